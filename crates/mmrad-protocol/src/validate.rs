//! DTO → [`Plan`]: every rule that the YAML schema alone cannot express, each error naming its YAML path.

use std::path::{Path, PathBuf};

use mmrad_core::Modality;

use crate::dto::{
    ClinicalDto, CohortDto, CombinedDto, EvaluationDto, ExpectationDto, FusionDto, LambdaDto, LassoDto,
    ProtocolDto, PublishedDto, SelectionStepDto, ThresholdRuleDto, ThresholdsDto, ValidationDto,
};
use crate::plan::*;
use crate::{Error, Result};

/// Validates a parsed protocol; relative paths resolve against `base_dir`.
///
/// # Errors
/// [`Error::Invalid`] naming the first offending YAML path.
pub fn validate(dto: ProtocolDto, base_dir: &Path) -> Result<Plan> {
    if dto.version != 1 {
        return Err(Error::invalid(
            "version",
            format!(
                "unsupported protocol version `{}`; this mmrad reads version 1",
                dto.version
            ),
            "set `version: 1`",
        ));
    }
    let valid_name = !dto.name.is_empty()
        && dto
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !dto.name.starts_with('.');
    if !valid_name {
        return Err(Error::invalid(
            "name",
            format!("invalid study name `{}`", dto.name),
            "use letters, digits, `_`, `-` or `.` (the name becomes the run folder)",
        ));
    }
    if dto.outcome.trim().is_empty() {
        return Err(Error::invalid(
            "outcome",
            "empty outcome column name",
            "name the 0/1 outcome column, e.g. `outcome: pcr`",
        ));
    }
    let modalities = modalities(&dto, base_dir)?;
    let modality_names: Vec<Modality> = modalities.iter().map(|m| m.modality.clone()).collect();
    let cohort = cohort(&dto.cohort, dto.seed, &modality_names, base_dir)?;
    let synthetic = matches!(
        cohort,
        CohortSource::Synthetic { .. } | CohortSource::SyntheticImages { .. }
    );
    if matches!(
        cohort,
        CohortSource::SyntheticImages { .. } | CohortSource::Images { .. }
    ) && let Some(m) = modalities.iter().find(|m| m.extraction.is_none())
    {
        return Err(Error::invalid(
            format!("modalities.{}.extraction", m.modality),
            "an image-level cohort needs the extraction parameters of every modality",
            format!(
                "add `extraction: params/{}.yaml` (a PyRadiomics parameter file)",
                m.modality.as_str().to_ascii_lowercase()
            ),
        ));
    }
    // Extraction parameters on a cohort of feature tables would be silently ignored: say so instead.
    if matches!(
        cohort,
        CohortSource::Synthetic { .. } | CohortSource::Manifest { .. }
    ) && let Some(m) = modalities.iter().find(|m| m.extraction.is_some())
    {
        return Err(Error::invalid(
            format!("modalities.{}.extraction", m.modality),
            "extraction parameters apply to image cohorts; this cohort reads feature tables",
            "remove `extraction`, or read images (`cohort: { images: ... }` or `synthetic: { level: images }`)",
        ));
    }
    if synthetic && dto.outcome != "pcr" {
        return Err(Error::invalid(
            "outcome",
            format!(
                "the synthetic cohort has no outcome column `{}`; it has `pcr`",
                dto.outcome
            ),
            "set `outcome: pcr`",
        ));
    }

    let selection = match &dto.selection {
        None => default_selection(),
        Some(steps) => selection(steps)?,
    };
    let signature = match dto.models.signature.as_ref().map(|s| s.per_modality.as_str()) {
        None | Some("lasso_linear_predictor") => Signature::LassoLinearPredictor,
        Some("logistic") => Signature::Logistic,
        Some(other) => {
            return Err(unknown(
                "models.signature.per_modality",
                "signature",
                other,
                &["lasso_linear_predictor", "logistic"],
            ));
        }
    };
    if signature == Signature::LassoLinearPredictor
        && !matches!(selection.last(), Some(SelectionStep::Lasso(_)))
    {
        return Err(Error::invalid(
            "models.signature.per_modality",
            "`lasso_linear_predictor` needs a `lasso` step at the end of `selection`",
            "add `- lasso: { lambda: 1se }` as the last selection step, or use `per_modality: logistic`",
        ));
    }
    let fusion = dto
        .models
        .fusion
        .as_ref()
        .map(|f| fusion(f, &modality_names))
        .transpose()?;
    let clinical = dto
        .models
        .clinical
        .as_ref()
        .map(|c| clinical(c, &dto.outcome, synthetic))
        .transpose()?;
    let combined = dto
        .models
        .combined
        .as_ref()
        .map(|c| combined(c, fusion.is_some(), clinical.is_some()))
        .transpose()?;
    let validation = validation(&dto.validation, &cohort)?;
    let evaluation = evaluation(&dto.evaluation)?;
    let leakage = match dto.leakage.as_str() {
        "none" => Leakage::None,
        "deliberate" => Leakage::Deliberate,
        other => return Err(unknown("leakage", "leakage mode", other, &["none", "deliberate"])),
    };

    let mut plan = Plan {
        name: dto.name,
        reference: dto.reference,
        seed: dto.seed,
        cohort,
        outcome: dto.outcome,
        modalities,
        selection,
        signature,
        fusion,
        clinical,
        combined,
        validation,
        evaluation,
        expected: Vec::new(),
        published: Vec::new(),
        leakage,
    };
    let model_ids = plan.model_ids();
    plan.expected = dto
        .expected
        .iter()
        .enumerate()
        .map(|(idx, e)| expectation(e, idx, &model_ids))
        .collect::<Result<_>>()?;
    plan.published = dto
        .published
        .iter()
        .enumerate()
        .map(|(idx, p)| published(p, idx, &model_ids))
        .collect::<Result<_>>()?;
    Ok(plan)
}

fn modalities(dto: &ProtocolDto, base_dir: &Path) -> Result<Vec<ModalityPlan>> {
    if dto.modalities.0.is_empty() {
        return Err(Error::invalid(
            "modalities",
            "no modality declared",
            "declare at least one, e.g. `modalities: { CT: {} }`",
        ));
    }
    let mut out: Vec<ModalityPlan> = Vec::new();
    for (name, modality) in &dto.modalities.0 {
        let path = format!("modalities.{name}");
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::invalid(
                path,
                format!("invalid modality name `{name}`"),
                "use letters, digits and `_` (e.g. `CT`)",
            ));
        }
        if RESERVED_MODEL_IDS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(Error::invalid(
                path,
                format!("modality name `{name}` is reserved for a model"),
                "rename the modality; `fusion`, `clinical` and `combined` name models",
            ));
        }
        let parsed = Modality::parse(name);
        if out.iter().any(|m| m.modality == parsed) {
            return Err(Error::invalid(
                path,
                format!("modality `{parsed}` declared twice"),
                "remove the duplicate",
            ));
        }
        out.push(ModalityPlan {
            modality: parsed,
            extraction: modality.extraction.as_ref().map(|p| base_dir.join(p)),
        });
    }
    Ok(out)
}

fn cohort(dto: &CohortDto, seed: u64, modalities: &[Modality], base_dir: &Path) -> Result<CohortSource> {
    let given = [
        dto.synthetic.is_some(),
        dto.manifest.is_some(),
        dto.images.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given > 1 {
        return Err(Error::invalid(
            "cohort",
            "more than one cohort source given",
            "keep exactly one of `synthetic`, `manifest` and `images`",
        ));
    }
    if let Some(images) = &dto.images {
        if images.manifest.trim().is_empty() || !images.manifest.to_ascii_lowercase().ends_with(".csv") {
            return Err(Error::invalid(
                "cohort.images.manifest",
                format!("`{}` is not a CSV file name", images.manifest),
                "give the cohort CSV (`case_id`, outcome, clinical columns, `<MOD>_image`, `<MOD>_mask`)",
            ));
        }
        if images.case_id.trim().is_empty() {
            return Err(Error::invalid(
                "cohort.images.case_id",
                "empty column name",
                "omit it to use `case_id`",
            ));
        }
        return Ok(CohortSource::Images {
            manifest: base_dir.join(&images.manifest),
            case_id: images.case_id.clone(),
        });
    }
    match (&dto.synthetic, &dto.manifest) {
        (Some(_), Some(_)) => Err(Error::invalid(
            "cohort",
            "both `synthetic` and `manifest` given",
            "keep exactly one cohort source",
        )),
        (None, None) => Err(Error::invalid(
            "cohort",
            "no cohort source",
            "add `synthetic: { level: features, generator: liang2025 }` or `manifest: { clinical: ..., features: { CT: ... } }`",
        )),
        (Some(s), None) => {
            if s.level != "features" && s.level != "images" {
                return Err(unknown(
                    "cohort.synthetic.level",
                    "level",
                    &s.level,
                    &["features", "images"],
                ));
            }
            if s.level == "features" && s.dir.is_some() {
                return Err(Error::invalid(
                    "cohort.synthetic.dir",
                    "`dir` is only used with `level: images`",
                    "remove `dir`, or set `level: images`",
                ));
            }
            let generator = match s.generator.as_str() {
                "liang2025" => SyntheticGenerator::Liang2025,
                other => {
                    return Err(unknown(
                        "cohort.synthetic.generator",
                        "generator",
                        other,
                        &["liang2025"],
                    ));
                }
            };
            if s.n < 4 {
                return Err(Error::invalid(
                    "cohort.synthetic.n",
                    format!("`n` = {} is too small", s.n),
                    "use at least 4 patients",
                ));
            }
            if s.events == 0 || s.events >= s.n {
                return Err(Error::invalid(
                    "cohort.synthetic.events",
                    format!(
                        "`events` = {} must be between 1 and n - 1 = {}",
                        s.events,
                        s.n - 1
                    ),
                    "both outcome classes must occur",
                ));
            }
            for (idx, modality) in modalities.iter().enumerate() {
                if !LIANG2025_MODALITIES.contains(&modality.as_str()) {
                    return Err(Error::invalid(
                        format!("modalities.{modality}"),
                        format!(
                            "the `liang2025` synthetic cohort has no modality `{modality}` (modality {})",
                            idx + 1
                        ),
                        format!("use a subset of {}", LIANG2025_MODALITIES.join(", ")),
                    ));
                }
            }
            let seed = s.seed.unwrap_or(seed);
            if s.level == "images" {
                let dir = s.dir.as_ref().map_or_else(
                    || {
                        PathBuf::from(format!(
                            "runs/.cache/{}-n{}-e{}-s{seed}",
                            s.generator, s.n, s.events
                        ))
                    },
                    PathBuf::from,
                );
                return Ok(CohortSource::SyntheticImages {
                    generator,
                    n: s.n,
                    events: s.events,
                    seed,
                    dir,
                });
            }
            Ok(CohortSource::Synthetic {
                generator,
                n: s.n,
                events: s.events,
                seed,
            })
        }
        (None, Some(m)) => {
            if m.clinical.trim().is_empty() {
                return Err(Error::invalid(
                    "cohort.manifest.clinical",
                    "empty path",
                    "give the clinical table (CSV or Parquet)",
                ));
            }
            check_table_ext("cohort.manifest.clinical", &m.clinical)?;
            if m.case_id.trim().is_empty() {
                return Err(Error::invalid(
                    "cohort.manifest.case_id",
                    "empty column name",
                    "omit it to use `case_id`",
                ));
            }
            let mut features = Vec::new();
            for (name, path) in &m.features.0 {
                let yaml_path = format!("cohort.manifest.features.{name}");
                let modality = Modality::parse(name);
                if !modalities.contains(&modality) {
                    return Err(Error::invalid(
                        yaml_path,
                        format!("unknown modality `{name}`; known: {}", join(modalities)),
                        format!("declare `{name}` under `modalities`, or remove this table"),
                    ));
                }
                check_table_ext(&yaml_path, path)?;
                features.push((modality, base_dir.join(path)));
            }
            for modality in modalities {
                if !features.iter().any(|(m, _)| m == modality) {
                    return Err(Error::invalid(
                        "cohort.manifest.features",
                        format!("no feature table for modality `{modality}`"),
                        format!(
                            "add `{modality}: path/to/{}.csv`",
                            modality.as_str().to_ascii_lowercase()
                        ),
                    ));
                }
            }
            // Tables follow the protocol's modality order.
            features.sort_by_key(|(m, _)| modalities.iter().position(|x| x == m));
            Ok(CohortSource::Manifest {
                clinical: base_dir.join(&m.clinical),
                features,
                case_id: m.case_id.clone(),
            })
        }
    }
}

fn check_table_ext(yaml_path: &str, path: &str) -> Result<()> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".csv") || lower.ends_with(".parquet") {
        Ok(())
    } else {
        Err(Error::invalid(
            yaml_path,
            format!("`{path}` is neither `.csv` nor `.parquet`"),
            "convert the table to CSV or Parquet",
        ))
    }
}

/// The default selection: Mann–Whitney p < 0.05, correlation pruning at |r| 0.9, LASSO λ.1se with 10 inner folds.
pub fn default_selection() -> Vec<SelectionStep> {
    vec![
        SelectionStep::Univariate {
            test: UnivariateTest::MannWhitney,
            p_max: 0.05,
            min_keep: 1,
        },
        SelectionStep::Correlation {
            max_abs_r: 0.9,
            method: CorrelationMethod::Pearson,
        },
        SelectionStep::Lasso(LassoPlan {
            lambda: LambdaRule::OneSe,
            inner_folds: 10,
            alpha: 1.0,
            standardize: true,
            family: Family::Binomial,
            nlambda: 100,
            lambda_min_ratio: None,
            tol: 1e-7,
        }),
    ]
}

fn selection(steps: &[SelectionStepDto]) -> Result<Vec<SelectionStep>> {
    let mut out = Vec::new();
    for (idx, step) in steps.iter().enumerate() {
        let path = |key: &str| format!("selection[{idx}].{key}");
        let set = usize::from(step.variance.is_some())
            + usize::from(step.univariate.is_some())
            + usize::from(step.correlation.is_some())
            + usize::from(step.lasso.is_some());
        if set != 1 {
            return Err(Error::invalid(
                format!("selection[{idx}]"),
                format!("a selection step has exactly one key; found {set}"),
                "write each step as its own list item, e.g. `- correlation: { max_abs_r: 0.9 }`",
            ));
        }
        let step = match step {
            SelectionStepDto {
                variance: Some(v), ..
            } => {
                if !(v.min_variance >= 0.0 && v.min_variance.is_finite()) {
                    return Err(Error::invalid(
                        path("variance.min_variance"),
                        format!("`{}` must be ≥ 0", v.min_variance),
                        "use 0 to drop constant columns only",
                    ));
                }
                SelectionStep::Variance {
                    min_variance: v.min_variance,
                }
            }
            SelectionStepDto {
                univariate: Some(u), ..
            } => {
                let test = match u.test.as_str() {
                    "mann_whitney" => UnivariateTest::MannWhitney,
                    "welch_t" => UnivariateTest::WelchT,
                    other => {
                        return Err(unknown(
                            &path("univariate.test"),
                            "test",
                            other,
                            &["mann_whitney", "welch_t"],
                        ));
                    }
                };
                check_probability(&path("univariate.p_max"), u.p_max)?;
                SelectionStep::Univariate {
                    test,
                    p_max: u.p_max,
                    min_keep: u.min_keep,
                }
            }
            SelectionStepDto {
                correlation: Some(c), ..
            } => {
                if !(c.max_abs_r > 0.0 && c.max_abs_r <= 1.0) {
                    return Err(Error::invalid(
                        path("correlation.max_abs_r"),
                        format!("`{}` is not in (0, 1]", c.max_abs_r),
                        "a usual value is 0.9",
                    ));
                }
                let method = match c.method.as_str() {
                    "pearson" => CorrelationMethod::Pearson,
                    "spearman" => CorrelationMethod::Spearman,
                    other => {
                        return Err(unknown(
                            &path("correlation.method"),
                            "method",
                            other,
                            &["pearson", "spearman"],
                        ));
                    }
                };
                SelectionStep::Correlation {
                    max_abs_r: c.max_abs_r,
                    method,
                }
            }
            SelectionStepDto { lasso: Some(l), .. } => {
                if idx + 1 != steps.len() {
                    return Err(Error::invalid(
                        format!("selection[{idx}]"),
                        "`lasso` must be the last selection step",
                        "move the `lasso` step to the end of `selection`",
                    ));
                }
                SelectionStep::Lasso(lasso(l, &path("lasso"))?)
            }
            SelectionStepDto { .. } => continue,
        };
        out.push(step);
    }
    Ok(out)
}

fn lasso(l: &LassoDto, path: &str) -> Result<LassoPlan> {
    let lambda = match &l.lambda {
        None => LambdaRule::OneSe,
        Some(LambdaDto::Rule(rule)) => match rule.as_str() {
            "1se" => LambdaRule::OneSe,
            "min" => LambdaRule::Min,
            other => {
                return Err(unknown(
                    &format!("{path}.lambda"),
                    "lambda rule",
                    other,
                    &["1se", "min"],
                ));
            }
        },
        Some(LambdaDto::Value(value)) => {
            if !(*value > 0.0 && value.is_finite()) {
                return Err(Error::invalid(
                    format!("{path}.lambda"),
                    format!("λ = {value} must be > 0"),
                    "use `1se`, `min` or a positive number",
                ));
            }
            LambdaRule::Fixed(*value)
        }
    };
    if l.inner_folds < 3 {
        return Err(Error::invalid(
            format!("{path}.inner_folds"),
            format!("`{}` inner folds; at least 3 are needed", l.inner_folds),
            "use 10 (glmnet's default)",
        ));
    }
    if !(l.alpha > 0.0 && l.alpha <= 1.0) {
        return Err(Error::invalid(
            format!("{path}.alpha"),
            format!("`{}` is not in (0, 1]", l.alpha),
            "use 1 for the LASSO",
        ));
    }
    let family = match l.family.as_str() {
        "binomial" => Family::Binomial,
        "gaussian" => Family::Gaussian,
        other => {
            return Err(unknown(
                &format!("{path}.family"),
                "family",
                other,
                &["binomial", "gaussian"],
            ));
        }
    };
    if l.nlambda == 0 {
        return Err(Error::invalid(
            format!("{path}.nlambda"),
            "`nlambda` must be ≥ 1",
            "use 100 (glmnet's default)",
        ));
    }
    if let Some(ratio) = l.lambda_min_ratio
        && !(ratio > 0.0 && ratio < 1.0)
    {
        return Err(Error::invalid(
            format!("{path}.lambda_min_ratio"),
            format!("`{ratio}` is not in (0, 1)"),
            "omit it for glmnet's default",
        ));
    }
    if !(l.tol > 0.0 && l.tol < 1.0) {
        return Err(Error::invalid(
            format!("{path}.tol"),
            format!("`{}` is not in (0, 1)", l.tol),
            "omit it for the default 1e-7",
        ));
    }
    Ok(LassoPlan {
        lambda,
        inner_folds: l.inner_folds,
        alpha: l.alpha,
        standardize: l.standardize,
        family,
        nlambda: l.nlambda,
        lambda_min_ratio: l.lambda_min_ratio,
        tol: l.tol,
    })
}

fn fusion(f: &FusionDto, modalities: &[Modality]) -> Result<FusionPlan> {
    if f.model != "logistic" {
        return Err(unknown("models.fusion.model", "model", &f.model, &["logistic"]));
    }
    let of = match &f.of {
        None => modalities.to_vec(),
        Some(names) => {
            if names.is_empty() {
                return Err(Error::invalid(
                    "models.fusion.of",
                    "empty list",
                    "list the modalities to fuse, or omit `of` for all",
                ));
            }
            let mut of: Vec<Modality> = Vec::new();
            for (idx, name) in names.iter().enumerate() {
                let modality = Modality::parse(name);
                if !modalities.contains(&modality) {
                    let names: Vec<String> = modalities.iter().map(|m| m.as_str().to_owned()).collect();
                    let hint = match closest(name, &names) {
                        Some(best) => format!(
                            "did you mean `{best}`? Fused modalities must be declared under `modalities`"
                        ),
                        None => "declare it under `modalities`, or remove it from `of`".to_owned(),
                    };
                    return Err(Error::invalid(
                        format!("models.fusion.of[{idx}]"),
                        format!("unknown modality \"{name}\"; known: {}", join(modalities)),
                        hint,
                    ));
                }
                if of.contains(&modality) {
                    return Err(Error::invalid(
                        format!("models.fusion.of[{idx}]"),
                        format!("modality `{name}` listed twice"),
                        "remove the duplicate",
                    ));
                }
                of.push(modality);
            }
            of
        }
    };
    Ok(FusionPlan { of })
}

fn clinical(c: &ClinicalDto, outcome: &str, synthetic: bool) -> Result<ClinicalPlan> {
    if c.model != "logistic" {
        return Err(unknown("models.clinical.model", "model", &c.model, &["logistic"]));
    }
    if c.candidates.is_empty() {
        return Err(Error::invalid(
            "models.clinical.candidates",
            "empty list",
            "list the clinical columns to screen",
        ));
    }
    for (idx, name) in c.candidates.iter().enumerate() {
        let path = format!("models.clinical.candidates[{idx}]");
        if name == outcome {
            return Err(Error::invalid(
                path,
                format!("`{name}` is the outcome"),
                "remove the outcome from the candidates",
            ));
        }
        if c.candidates[..idx].contains(name) {
            return Err(Error::invalid(
                path,
                format!("`{name}` listed twice"),
                "remove the duplicate",
            ));
        }
        if synthetic && !LIANG2025_CLINICAL.contains(&name.as_str()) {
            let known: Vec<String> = LIANG2025_CLINICAL.iter().map(|s| (*s).to_owned()).collect();
            let hint = match closest(name, &known) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "use one of the synthetic cohort's clinical columns".to_owned(),
            };
            return Err(Error::invalid(
                path,
                format!(
                    "the synthetic cohort has no clinical column `{name}`; known: {}",
                    LIANG2025_CLINICAL.join(", ")
                ),
                hint,
            ));
        }
    }
    check_probability("models.clinical.univariate_p_max", c.univariate_p_max)?;
    let method = match c.method.as_str() {
        "enter" => ClinicalMethod::Enter,
        "backward_aic" => ClinicalMethod::BackwardAic,
        other => {
            return Err(unknown(
                "models.clinical.method",
                "method",
                other,
                &["enter", "backward_aic"],
            ));
        }
    };
    Ok(ClinicalPlan {
        candidates: c.candidates.clone(),
        univariate_p_max: c.univariate_p_max,
        method,
    })
}

fn combined(c: &CombinedDto, has_fusion: bool, has_clinical: bool) -> Result<CombinedPlan> {
    let of: Vec<String> =
        c.of.clone()
            .unwrap_or_else(|| vec!["clinical".into(), "fusion".into()]);
    let mut radiomics = None;
    let mut clinical = false;
    for (idx, term) in of.iter().enumerate() {
        let path = format!("models.combined.of[{idx}]");
        match term.as_str() {
            "clinical" => clinical = true,
            "fusion" | "rad_scores" => {
                if radiomics.is_some() {
                    return Err(Error::invalid(
                        path,
                        "two radiomics terms",
                        "use either `fusion` or `rad_scores`",
                    ));
                }
                radiomics = Some(if term == "fusion" {
                    CombinedRadiomics::FusionScore
                } else {
                    CombinedRadiomics::RadScores
                });
            }
            other => {
                return Err(unknown(
                    &path,
                    "term",
                    other,
                    &["clinical", "fusion", "rad_scores"],
                ));
            }
        }
    }
    let Some(radiomics) = radiomics else {
        return Err(Error::invalid(
            "models.combined.of",
            "no radiomics term",
            "add `fusion` or `rad_scores`",
        ));
    };
    if !clinical || !has_clinical {
        return Err(Error::invalid(
            "models.combined.of",
            "the combined model needs the clinical model",
            "add `clinical` to `of` and a `models.clinical` block",
        ));
    }
    if !has_fusion {
        return Err(Error::invalid(
            "models.combined",
            "the combined model needs `models.fusion` (it defines which rad-scores enter)",
            "add `fusion: { of: [...] }` under `models`",
        ));
    }
    Ok(CombinedPlan {
        radiomics,
        nomogram: c.nomogram,
    })
}

fn validation(v: &ValidationDto, cohort: &CohortSource) -> Result<Validation> {
    if v.n.is_some() && v.scheme != "bootstrap_optimism" {
        return Err(Error::invalid(
            "validation.n",
            format!("`n` (bootstrap samples) is not read by scheme `{}`", v.scheme),
            "remove `n`, or use `scheme: bootstrap_optimism`",
        ));
    }
    match v.scheme.as_str() {
        "none" => Ok(Validation::None),
        "bootstrap_optimism" => {
            let replicates = v.n.unwrap_or(200);
            if replicates < 10 {
                return Err(Error::invalid(
                    "validation.n",
                    format!("`{replicates}` bootstrap samples; the optimism needs at least 10"),
                    "use 200 (rms::validate's default is 40; 200 is the usual choice in papers)",
                ));
            }
            Ok(Validation::BootstrapOptimism { replicates })
        }
        "stratified_kfold" => {
            if v.folds < 2 {
                return Err(Error::invalid(
                    "validation.folds",
                    format!("`{}` folds; at least 2 are needed", v.folds),
                    "use 5 or 10",
                ));
            }
            if v.repeats == 0 {
                return Err(Error::invalid(
                    "validation.repeats",
                    "`repeats` must be ≥ 1",
                    "use 1 for a single k-fold split",
                ));
            }
            if let CohortSource::Synthetic { n, events, .. } = cohort {
                let smaller = (*events).min(n - events);
                if v.folds > smaller {
                    return Err(Error::invalid(
                        "validation.folds",
                        format!(
                            "{} folds but the smaller outcome class has only {smaller} cases",
                            v.folds
                        ),
                        format!("use at most {smaller} folds so that every test fold holds both classes"),
                    ));
                }
            }
            Ok(Validation::StratifiedKFold {
                folds: v.folds,
                repeats: v.repeats,
            })
        }
        other => Err(unknown(
            "validation.scheme",
            "scheme",
            other,
            &["stratified_kfold", "bootstrap_optimism", "none"],
        )),
    }
}

fn evaluation(e: &EvaluationDto) -> Result<EvaluationPlan> {
    if e.auc_ci != "delong" {
        return Err(unknown("evaluation.auc_ci", "method", &e.auc_ci, &["delong"]));
    }
    if e.calibration.groups < 3 {
        return Err(Error::invalid(
            "evaluation.calibration.groups",
            format!(
                "`{}` groups; at least 3 are needed (Hosmer–Lemeshow)",
                e.calibration.groups
            ),
            "use 10 (deciles)",
        ));
    }
    let pool = match e.pool.as_str() {
        "mean_over_repeats" => Pooling::MeanOverRepeats,
        "case_mean" => Pooling::CaseMean,
        other => {
            return Err(unknown(
                "evaluation.pool",
                "pooling",
                other,
                &["mean_over_repeats", "case_mean"],
            ));
        }
    };
    let bootstrap = match &e.bootstrap {
        None => None,
        Some(b) if b.n < 100 => {
            return Err(Error::invalid(
                "evaluation.bootstrap.n",
                format!(
                    "`{}` bootstrap samples; a percentile interval needs at least 100",
                    b.n
                ),
                "use 1000 (or 2000, pROC's default)",
            ));
        }
        Some(b) => Some(BootstrapPlan {
            replicates: b.n,
            stratified: b.stratified,
        }),
    };
    let rules: Vec<&ThresholdRuleDto> = match &e.thresholds {
        ThresholdsDto::One(rule) => vec![rule],
        ThresholdsDto::Many(rules) => rules.iter().collect(),
    };
    let thresholds = rules
        .iter()
        .enumerate()
        .map(|(idx, rule)| threshold_rule(rule, idx, matches!(e.thresholds, ThresholdsDto::Many(_))))
        .collect::<Result<Vec<_>>>()?;
    Ok(EvaluationPlan {
        calibration_groups: e.calibration.groups,
        pool,
        dca: e.dca,
        bootstrap,
        thresholds,
    })
}

fn threshold_rule(rule: &ThresholdRuleDto, idx: usize, list: bool) -> Result<ThresholdRule> {
    let path = if list {
        format!("evaluation.thresholds[{idx}]")
    } else {
        "evaluation.thresholds".to_owned()
    };
    let help = "write `youden`, `{ sensitivity: 0.9 }` or `{ probability: 0.3 }`";
    match rule {
        ThresholdRuleDto::Name(name) if name == "youden" => Ok(ThresholdRule::Youden),
        ThresholdRuleDto::Name(name) => Err(unknown(&path, "threshold rule", name, &["youden"])),
        ThresholdRuleDto::Map(map) => {
            let mut entries = map.iter();
            let (Some((key, &value)), None) = (entries.next(), entries.next()) else {
                return Err(Error::invalid(
                    path,
                    format!("a threshold rule has exactly one key; found {}", map.len()),
                    help,
                ));
            };
            match key.as_str() {
                "sensitivity" if value > 0.0 && value <= 1.0 => Ok(ThresholdRule::Sensitivity(value)),
                "sensitivity" => Err(Error::invalid(
                    format!("{path}.sensitivity"),
                    format!("target sensitivity `{value}` is outside (0, 1]"),
                    "use for example 0.9",
                )),
                "probability" if value > 0.0 && value < 1.0 => Ok(ThresholdRule::Probability(value)),
                "probability" => Err(Error::invalid(
                    format!("{path}.probability"),
                    format!("threshold probability `{value}` is outside (0, 1)"),
                    "use a probability strictly between 0 and 1, for example 0.3",
                )),
                other => Err(unknown(
                    &path,
                    "threshold rule",
                    other,
                    &["sensitivity", "probability"],
                )),
            }
        }
    }
}

fn published(p: &PublishedDto, idx: usize, model_ids: &[String]) -> Result<Published> {
    let path = |key: &str| format!("published[{idx}].{key}");
    known_model(&p.model, &path("model"), model_ids)?;
    let Some((metric, _)) = Metric::ALL.iter().find(|(_, name)| *name == p.metric) else {
        let names: Vec<&str> = Metric::ALL.iter().map(|(_, n)| *n).collect();
        return Err(unknown(&path("metric"), "metric", &p.metric, &names));
    };
    if !p.value.is_finite() {
        return Err(Error::invalid(
            path("value"),
            format!("`{}` is not a finite number", p.value),
            "write the value as the paper reports it, e.g. `0.814`",
        ));
    }
    Ok(Published {
        model: p.model.clone(),
        metric: *metric,
        value: p.value,
    })
}

fn known_model(model: &str, path: &str, model_ids: &[String]) -> Result<()> {
    if model_ids.iter().any(|m| m == model) {
        return Ok(());
    }
    let hint = match closest(model, model_ids) {
        Some(best) => format!("did you mean `{best}`?"),
        None => {
            "use a modality name or `fusion`, `clinical`, `combined` (declared under `models`)".to_owned()
        }
    };
    Err(Error::invalid(
        path.to_owned(),
        format!(
            "unknown model `{model}`; this protocol builds: {}",
            model_ids.join(", ")
        ),
        hint,
    ))
}

fn expectation(e: &ExpectationDto, idx: usize, model_ids: &[String]) -> Result<Expectation> {
    let path = |key: &str| format!("expected[{idx}].{key}");
    known_model(&e.model, &path("model"), model_ids)?;
    let Some((metric, _)) = Metric::ALL.iter().find(|(_, name)| *name == e.metric) else {
        let names: Vec<&str> = Metric::ALL.iter().map(|(_, n)| *n).collect();
        return Err(unknown(&path("metric"), "metric", &e.metric, &names));
    };
    if e.min.is_none() && e.max.is_none() {
        return Err(Error::invalid(
            format!("expected[{idx}]"),
            "neither `min` nor `max` given",
            "add `min: ...` and/or `max: ...`",
        ));
    }
    if let (Some(min), Some(max)) = (e.min, e.max)
        && min > max
    {
        return Err(Error::invalid(
            format!("expected[{idx}]"),
            format!("`min` {min} > `max` {max}"),
            "swap the bounds",
        ));
    }
    Ok(Expectation {
        model: e.model.clone(),
        metric: *metric,
        min: e.min,
        max: e.max,
    })
}

fn check_probability(path: &str, p: f64) -> Result<()> {
    if p > 0.0 && p <= 1.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            path,
            format!("`{p}` is not in (0, 1]"),
            "a usual value is 0.05",
        ))
    }
}

fn unknown(path: &str, what: &str, value: &str, known: &[&str]) -> Error {
    let known_owned: Vec<String> = known.iter().map(|s| (*s).to_owned()).collect();
    let help = match closest(value, &known_owned) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("use one of: {}", known.join(", ")),
    };
    Error::invalid(
        path,
        format!("unknown {what} `{value}`; known: {}", known.join(", ")),
        help,
    )
}

fn join(modalities: &[Modality]) -> String {
    modalities
        .iter()
        .map(Modality::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The candidate nearest to `value` by edit distance (case-insensitive), if it is close enough to be a typo.
fn closest(value: &str, candidates: &[String]) -> Option<String> {
    let value = value.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (levenshtein(&value, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d < c.len().max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.clone())
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
