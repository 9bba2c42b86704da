//! What is fitted inside one training fold, and how the fitted fold scores new rows.
//!
//! In a training fold, per modality: the selection steps (variance, univariate test, correlation pruning) choose
//! columns, then the final LASSO (inner CV seeded from the protocol seed, repeat, fold and modality) gives the
//! rad-score (its linear predictor). The modality's own model is the LASSO probability (binomial family) or, for
//! the gaussian family or `per_modality: logistic`, a logistic regression (on the rad-score, resp. the selected
//! columns). Fusion is a logistic regression on the training rad-scores of its modalities. The clinical model
//! screens each candidate by a univariate logistic Wald p value (< `univariate_p_max`; when none passes, the
//! single best candidate enters), then fits a multivariable logistic model (all screened terms, or backward AIC).
//! The combined model is a logistic regression on the clinical model's terms plus the fusion linear predictor
//! (or each fused modality's rad-score).
//!
//! Everything here sees only the rows of [`FoldData`] it is given: test rows never reach a fit.

use ndarray::{Array2, Axis};

use mmrad_core::SeededRng;
use mmrad_modeling::{CiMethod, FittedLasso, FittedLogistic};
use mmrad_protocol::{ClinicalMethod, CombinedRadiomics, Family, Plan, Signature};

use crate::cohort::Cohort;
use crate::fit::{fit_lasso, fit_logit, logit_aic, select_columns, sigmoid};
use crate::{Result, fit_error};

/// The rows of a cohort a fit may see (or a prediction is made for).
#[derive(Debug, Clone, PartialEq)]
pub struct FoldData {
    /// One matrix per modality, plan order.
    pub features: Vec<Array2<f64>>,
    /// Column names of each modality matrix (they name the column in selection errors).
    pub feature_names: Vec<Vec<String>>,
    /// Clinical candidates, plan order.
    pub clinical: Array2<f64>,
    pub y: Vec<bool>,
}

impl FoldData {
    /// The given rows of the cohort.
    pub fn from_rows(cohort: &Cohort, rows: &[usize]) -> FoldData {
        FoldData {
            features: cohort
                .features
                .iter()
                .map(|(_, t)| t.values().select(Axis(0), rows))
                .collect(),
            feature_names: cohort
                .features
                .iter()
                .map(|(_, t)| t.names().iter().map(|n| n.to_string()).collect())
                .collect(),
            clinical: cohort.clinical.values().select(Axis(0), rows),
            y: rows
                .iter()
                .map(|&r| cohort.y.get(r).copied().unwrap_or(false))
                .collect(),
        }
    }

    pub fn n_rows(&self) -> usize {
        self.y.len()
    }
}

/// A modality's fitted signature.
#[derive(Debug, Clone, PartialEq)]
pub struct ModalityFit {
    /// Columns of the modality table that passed the filters (before the LASSO), increasing.
    pub filtered: Vec<usize>,
    /// The LASSO on the filtered columns, when the selection ends with one.
    pub lasso: Option<FittedLasso>,
    /// The logistic model of the modality: on the selected columns (`per_modality: logistic`), or on the rad-score
    /// (gaussian LASSO), else `None` (the binomial LASSO's own probability is used).
    pub logistic: Option<LogisticOn>,
}

/// A logistic model and what it was fitted on.
#[derive(Debug, Clone, PartialEq)]
pub enum LogisticOn {
    /// The given columns of the modality table.
    Columns(Vec<usize>, LogitModel),
    /// The rad-score (recalibration).
    RadScore(LogitModel),
}

/// A fitted logistic regression (`mmrad_modeling::FittedLogistic`) and how it was obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct LogitModel {
    /// Intercept first.
    pub coef: Vec<f64>,
    /// Standard errors sqrt(diag I(β̂)⁻¹), same order.
    pub se: Vec<f64>,
    /// The maximum-likelihood fit hit (quasi-)separation and the model was refitted with Firth's penalty.
    pub firth_fallback: bool,
    /// The interval reported by [`LogitModel::odds_ratio`] (Wald in the folds; profile likelihood for the
    /// apparent fit, or Wald when a profile limit could not be bracketed).
    pub ci: CiMethod,
    /// The fitted model with its coefficient table.
    pub fit: FittedLogistic,
}

impl LogitModel {
    pub(crate) fn new(fit: FittedLogistic, firth_fallback: bool, ci: CiMethod) -> LogitModel {
        LogitModel {
            coef: fit.terms().iter().map(|t| t.coef).collect(),
            se: fit.terms().iter().map(|t| t.se).collect(),
            firth_fallback,
            ci,
            fit,
        }
    }

    /// `b0 + x·b` for each row (NaN input gives NaN).
    pub fn linear_predictor(&self, x: &Array2<f64>) -> Vec<f64> {
        x.rows()
            .into_iter()
            .map(|row| {
                self.coef.first().copied().unwrap_or(0.0)
                    + row
                        .iter()
                        .zip(self.coef.iter().skip(1))
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
            })
            .collect()
    }

    /// Odds ratio, 95 % interval (of [`LogitModel::ci`]) and Wald p of coefficient `k` (0 = intercept); NaN when
    /// `k` is out of range.
    pub fn odds_ratio(&self, k: usize) -> (f64, f64, f64, f64) {
        self.fit
            .terms()
            .get(k)
            .map_or((f64::NAN, f64::NAN, f64::NAN, f64::NAN), |t| {
                (t.odds_ratio, t.or_lo, t.or_hi, t.p)
            })
    }
}

/// The clinical model of a fold.
#[derive(Debug, Clone, PartialEq)]
pub struct ClinicalFit {
    /// Univariate Wald p of each candidate (1 when not estimable).
    pub screen_p: Vec<f64>,
    /// Candidates in the model (indices into the plan's candidates), increasing.
    pub terms: Vec<usize>,
    pub model: LogitModel,
}

/// Everything fitted in one training fold.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldFit {
    pub modalities: Vec<ModalityFit>,
    pub fusion: Option<LogitModel>,
    /// Fused modalities (indices into `fusion.of`) whose training rad-score is not constant (a LASSO that keeps
    /// no feature gives a constant score, which cannot enter a logistic model).
    pub fusion_columns: Vec<usize>,
    pub clinical: Option<ClinicalFit>,
    pub combined: Option<LogitModel>,
    /// Non-fatal problems (separation), one sentence each.
    pub warnings: Vec<String>,
}

impl ModalityFit {
    /// Columns with a non-zero coefficient in the signature (indices into the modality table).
    pub fn selected(&self) -> Vec<(usize, f64)> {
        match (&self.lasso, &self.logistic) {
            (_, Some(LogisticOn::Columns(cols, model))) => cols
                .iter()
                .zip(model.coef.iter().skip(1))
                .map(|(&c, &b)| (c, b))
                .collect(),
            (Some(lasso), _) => lasso
                .coefficients()
                .iter()
                .enumerate()
                .filter(|(_, b)| **b != 0.0)
                .filter_map(|(k, b)| self.filtered.get(k).map(|&c| (c, *b)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The rad-score (linear predictor of the signature) of each row of the modality matrix.
    fn rad_score(&self, x: &Array2<f64>) -> std::result::Result<Vec<f64>, String> {
        match (&self.logistic, &self.lasso) {
            (Some(LogisticOn::Columns(cols, model)), _) => {
                Ok(model.linear_predictor(&x.select(Axis(1), cols)))
            }
            (_, Some(lasso)) => lasso
                .linear_predictor(x.select(Axis(1), &self.filtered).view())
                .map(|a| a.to_vec())
                .map_err(|e| e.to_string()),
            _ => Err("no signature fitted".to_owned()),
        }
    }

    /// The modality model's probability of each row.
    fn probability(&self, x: &Array2<f64>) -> std::result::Result<Vec<f64>, String> {
        let score = self.rad_score(x)?;
        Ok(match &self.logistic {
            Some(LogisticOn::RadScore(model)) => {
                let column = Array2::from_shape_vec((score.len(), 1), score).map_err(|e| e.to_string())?;
                model.linear_predictor(&column).into_iter().map(sigmoid).collect()
            }
            _ => score.into_iter().map(sigmoid).collect(),
        })
    }
}

/// Fits every model of the plan on `data` (training rows only). `stream` (e.g. `[repeat, fold]`) seeds the inner
/// LASSO cross-validation together with the protocol seed and the modality index.
///
/// # Errors
/// [`crate::Error::Fit`] naming `context`, the modality or model, and the estimator's message.
pub fn fit_fold(plan: &Plan, data: &FoldData, stream: &[u64], context: &str) -> Result<FoldFit> {
    fit_fold_with(plan, data, stream, context, CiMethod::Wald)
}

/// [`fit_fold`] with the interval method `ci` of the logistic models' odds ratios (profile likelihood for the
/// published apparent fit; Wald in the folds, where only the predictions are used).
///
/// # Errors
/// As [`fit_fold`].
pub fn fit_fold_with(
    plan: &Plan,
    data: &FoldData,
    stream: &[u64],
    context: &str,
    ci: CiMethod,
) -> Result<FoldFit> {
    let mut warnings = Vec::new();
    let modalities = fit_modalities(plan, data, stream, context, ci, &mut warnings)?;
    fit_models(plan, data, context, ci, modalities, warnings)
}

/// The per-modality signatures of [`fit_fold_with`] (selection, LASSO, modality model), in plan order. A modality's
/// fit depends only on its own columns, the rows and its random stream (keyed by the modality's name, not its
/// position), so the same modality fits identically in any subset of modalities (the ablation relies on it).
///
/// # Errors
/// As [`fit_fold`].
pub fn fit_modalities(
    plan: &Plan,
    data: &FoldData,
    stream: &[u64],
    context: &str,
    ci: CiMethod,
    warnings: &mut Vec<String>,
) -> Result<Vec<ModalityFit>> {
    let mut modalities = Vec::with_capacity(plan.modalities.len());
    for ((modality, x), names) in plan
        .modalities
        .iter()
        .zip(&data.features)
        .zip(&data.feature_names)
    {
        let ctx = format!("{context}, modality `{}`", modality.modality);
        let filtered = select_columns(&plan.selection, x.view(), &data.y, names)
            .map_err(|e| fit_error(format!("{ctx}: selection"), e))?;
        let x_filtered = x.select(Axis(1), &filtered);
        let lasso = match plan.final_lasso() {
            Some(lasso_plan) => {
                let mut key = vec![plan.seed, 0x1A55_0000, modality_stream(&modality.modality)];
                key.extend_from_slice(stream);
                let mut rng = SeededRng::derive(plan.seed, &key);
                Some(
                    fit_lasso(lasso_plan, x_filtered.view(), &data.y, &mut rng)
                        .map_err(|e| fit_error(format!("{ctx}: lasso"), e))?,
                )
            }
            None => None,
        };
        let logistic = match (plan.signature, &lasso) {
            (Signature::Logistic, _) => {
                let cols: Vec<usize> = match &lasso {
                    Some(l) => l
                        .nonzero()
                        .into_iter()
                        .filter_map(|k| filtered.get(k).copied())
                        .collect(),
                    None => filtered.clone(),
                };
                let model = fit_logit(x.select(Axis(1), &cols).view(), &data.y, ci)
                    .map_err(|e| fit_error(format!("{ctx}: logistic signature"), e))?;
                note_fit(warnings, &ctx, "signature", &model, ci);
                Some(LogisticOn::Columns(cols, model))
            }
            (Signature::LassoLinearPredictor, Some(l))
                if plan.final_lasso().is_some_and(|p| p.family == Family::Gaussian) =>
            {
                let score = l
                    .linear_predictor(x_filtered.view())
                    .map_err(|e| fit_error(&ctx, e))?;
                let column = score.insert_axis(Axis(1));
                let model = fit_logit(column.view(), &data.y, ci)
                    .map_err(|e| fit_error(format!("{ctx}: rad-score recalibration"), e))?;
                note_fit(warnings, &ctx, "rad-score recalibration", &model, ci);
                Some(LogisticOn::RadScore(model))
            }
            _ => None,
        };
        modalities.push(ModalityFit {
            filtered,
            lasso,
            logistic,
        });
    }
    Ok(modalities)
}

/// A stable random-stream key of a modality: FNV-1a of its name.
fn modality_stream(modality: &mmrad_core::Modality) -> u64 {
    name_stream(modality.as_str())
}

/// A stable random-stream key of a name (modality or model id): FNV-1a of its bytes.
pub(crate) fn name_stream(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Fusion, clinical and combined models of [`fit_fold_with`] on top of already fitted modality signatures (one per
/// plan modality, plan order).
///
/// # Errors
/// As [`fit_fold`].
pub fn fit_models(
    plan: &Plan,
    data: &FoldData,
    context: &str,
    ci: CiMethod,
    modalities: Vec<ModalityFit>,
    mut warnings: Vec<String>,
) -> Result<FoldFit> {
    let mut rad_scores: Vec<Vec<f64>> = Vec::with_capacity(modalities.len());
    for ((modality, fit), x) in plan.modalities.iter().zip(&modalities).zip(&data.features) {
        let ctx = format!("{context}, modality `{}`", modality.modality);
        rad_scores.push(fit.rad_score(x).map_err(|e| fit_error(&ctx, e))?);
    }

    let fusion_x = fusion_matrix(plan, &rad_scores);
    let fusion_columns: Vec<usize> = fusion_x.as_ref().map_or_else(Vec::new, |fx| {
        (0..fx.ncols())
            .filter(|&j| fx.column(j).iter().any(|v| *v != fx[[0, j]]))
            .collect()
    });
    for (j, m) in plan.fusion.iter().flat_map(|f| f.of.iter()).enumerate() {
        if !fusion_columns.contains(&j) {
            warnings.push(format!(
                "{context}: the rad-score of `{m}` is constant (no feature kept); left out of fusion"
            ));
        }
    }
    let fusion_x = fusion_x.map(|fx| fx.select(Axis(1), &fusion_columns));
    let fusion = match (&plan.fusion, &fusion_x) {
        (Some(_), Some(fx)) => {
            let model =
                fit_logit(fx.view(), &data.y, ci).map_err(|e| fit_error(format!("{context}, fusion"), e))?;
            note_fit(&mut warnings, context, "fusion", &model, ci);
            Some(model)
        }
        _ => None,
    };

    let clinical = match &plan.clinical {
        Some(clinical_plan) => {
            let ctx = format!("{context}, clinical");
            let screen_p: Vec<f64> = (0..data.clinical.ncols())
                .map(|j| {
                    let column = data.clinical.select(Axis(1), &[j]);
                    fit_logit(column.view(), &data.y, CiMethod::Wald)
                        .map(|m| m.odds_ratio(1).3)
                        .ok()
                        .filter(|p| p.is_finite())
                        .unwrap_or(1.0)
                })
                .collect();
            let mut terms: Vec<usize> = (0..screen_p.len())
                .filter(|&j| screen_p[j] < clinical_plan.univariate_p_max)
                .collect();
            if terms.is_empty()
                && let Some(best) =
                    (0..screen_p.len()).min_by(|&a, &b| screen_p[a].total_cmp(&screen_p[b]).then(a.cmp(&b)))
            {
                terms.push(best);
            }
            if clinical_plan.method == ClinicalMethod::BackwardAic {
                terms = backward_aic(&data.clinical, &data.y, terms).map_err(|e| fit_error(&ctx, e))?;
            }
            let model = fit_logit(data.clinical.select(Axis(1), &terms).view(), &data.y, ci)
                .map_err(|e| fit_error(&ctx, e))?;
            note_fit(&mut warnings, context, "clinical", &model, ci);
            Some(ClinicalFit {
                screen_p,
                terms,
                model,
            })
        }
        None => None,
    };

    let combined = match (&plan.combined, &clinical, &fusion) {
        (Some(combined_plan), Some(clinical_fit), Some(fusion_model)) => {
            let x = combined_matrix(
                combined_plan.radiomics,
                &data.clinical,
                &clinical_fit.terms,
                fusion_model,
                fusion_x.as_ref(),
            );
            let model =
                fit_logit(x.view(), &data.y, ci).map_err(|e| fit_error(format!("{context}, combined"), e))?;
            note_fit(&mut warnings, context, "combined", &model, ci);
            Some(model)
        }
        _ => None,
    };
    Ok(FoldFit {
        modalities,
        fusion,
        fusion_columns,
        clinical,
        combined,
        warnings,
    })
}

/// Scores rows with a fitted fold: one probability vector per model id of [`Plan::model_ids`], same order.
///
/// # Errors
/// [`crate::Error::Fit`] if a fitted model cannot score the rows (shape mismatch).
pub fn predict(plan: &Plan, fit: &FoldFit, data: &FoldData) -> Result<Vec<Vec<f64>>> {
    let mut out = Vec::new();
    let mut rad_scores = Vec::new();
    for ((modality, model), x) in plan.modalities.iter().zip(&fit.modalities).zip(&data.features) {
        let ctx = format!("predicting modality `{}`", modality.modality);
        out.push(model.probability(x).map_err(|e| fit_error(&ctx, e))?);
        rad_scores.push(model.rad_score(x).map_err(|e| fit_error(&ctx, e))?);
    }
    let fusion_x = fusion_matrix(plan, &rad_scores).map(|fx| fx.select(Axis(1), &fit.fusion_columns));
    if let (Some(fusion), Some(fx)) = (&fit.fusion, &fusion_x) {
        out.push(fusion.linear_predictor(fx).into_iter().map(sigmoid).collect());
    }
    if let Some(clinical) = &fit.clinical {
        let x = data.clinical.select(Axis(1), &clinical.terms);
        out.push(
            clinical
                .model
                .linear_predictor(&x)
                .into_iter()
                .map(sigmoid)
                .collect(),
        );
    }
    if let (Some(plan_c), Some(model), Some(clinical), Some(fusion)) =
        (&plan.combined, &fit.combined, &fit.clinical, &fit.fusion)
    {
        let x = combined_matrix(
            plan_c.radiomics,
            &data.clinical,
            &clinical.terms,
            fusion,
            fusion_x.as_ref(),
        );
        out.push(model.linear_predictor(&x).into_iter().map(sigmoid).collect());
    }
    Ok(out)
}

/// Columns of the fusion model: the rad-scores of the fused modalities, in `fusion.of` order.
fn fusion_matrix(plan: &Plan, rad_scores: &[Vec<f64>]) -> Option<Array2<f64>> {
    let fusion = plan.fusion.as_ref()?;
    let n = rad_scores.first().map_or(0, Vec::len);
    let columns: Vec<&Vec<f64>> = fusion
        .of
        .iter()
        .filter_map(|m| {
            plan.modalities
                .iter()
                .position(|p| p.modality == *m)
                .and_then(|idx| rad_scores.get(idx))
        })
        .collect();
    Some(Array2::from_shape_fn((n, columns.len()), |(i, j)| columns[j][i]))
}

/// Columns of the combined model: the clinical terms, then the fusion linear predictor or the rad-scores.
fn combined_matrix(
    radiomics: CombinedRadiomics,
    clinical: &Array2<f64>,
    terms: &[usize],
    fusion: &LogitModel,
    fusion_x: Option<&Array2<f64>>,
) -> Array2<f64> {
    let clinical_part = clinical.select(Axis(1), terms);
    let radiomics_part = match (radiomics, fusion_x) {
        // Every fused rad-score constant: the fusion model is intercept-only and adds nothing to the clinical
        // terms (its constant score would make the design singular).
        (_, Some(fx)) if fx.ncols() == 0 => Array2::zeros((clinical.nrows(), 0)),
        (CombinedRadiomics::FusionScore, Some(fx)) => {
            let lp = fusion.linear_predictor(fx);
            Array2::from_shape_fn((lp.len(), 1), |(i, _)| lp[i])
        }
        (CombinedRadiomics::RadScores, Some(fx)) => fx.clone(),
        (_, None) => Array2::zeros((clinical.nrows(), 0)),
    };
    ndarray::concatenate(Axis(1), &[clinical_part.view(), radiomics_part.view()]).unwrap_or(clinical_part)
}

/// Backward elimination by AIC: drop the term whose removal lowers AIC most, while it does; keep at least one.
fn backward_aic(
    x: &Array2<f64>,
    y: &[bool],
    mut terms: Vec<usize>,
) -> std::result::Result<Vec<usize>, mmrad_modeling::Error> {
    let mut current = logit_aic(x.select(Axis(1), &terms).view(), y)?;
    while terms.len() > 1 {
        let mut best: Option<(f64, usize)> = None;
        for drop in 0..terms.len() {
            let candidate: Vec<usize> = terms
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != drop)
                .map(|(_, &t)| t)
                .collect();
            let aic = logit_aic(x.select(Axis(1), &candidate).view(), y)?;
            if aic < current && best.is_none_or(|(b, _)| aic < b) {
                best = Some((aic, drop));
            }
        }
        match best {
            Some((aic, drop)) => {
                terms.remove(drop);
                current = aic;
            }
            None => break,
        }
    }
    Ok(terms)
}

fn note_fit(warnings: &mut Vec<String>, context: &str, model: &str, fit: &LogitModel, requested: CiMethod) {
    if fit.firth_fallback {
        warnings.push(format!(
            "{context}: the {model} logistic model shows (quasi-)separation; refitted with Firth's penalty"
        ));
    }
    if fit.ci != requested {
        warnings.push(format!(
            "{context}: a profile-likelihood limit of the {model} logistic model could not be bracketed; Wald \
             intervals reported"
        ));
    }
}

/// The combined model's design matrix (without intercept) for `data`, when the plan has a combined model.
pub fn combined_design(plan: &Plan, fit: &FoldFit, data: &FoldData) -> Option<Array2<f64>> {
    let combined = plan.combined.as_ref()?;
    let clinical = fit.clinical.as_ref()?;
    let fusion = fit.fusion.as_ref()?;
    let rad_scores: Vec<Vec<f64>> = fit
        .modalities
        .iter()
        .zip(&data.features)
        .map(|(m, x)| m.rad_score(x))
        .collect::<std::result::Result<_, _>>()
        .ok()?;
    let fusion_x = fusion_matrix(plan, &rad_scores).map(|fx| fx.select(Axis(1), &fit.fusion_columns));
    Some(combined_matrix(
        combined.radiomics,
        &data.clinical,
        &clinical.terms,
        fusion,
        fusion_x.as_ref(),
    ))
}
