//! Modality ablation: every non-empty subset of the plan's modalities, with and without the clinical model.
//!
//! A subset `S` is evaluated as the plan restricted to `S` would be ([`restrict`]): its radiomics model is the
//! fusion logistic regression on the rad-scores of `S` (for one modality, the logistic recalibration of its
//! rad-score), and with clinical factors the combined model of the restricted plan. Each training fold fits the
//! per-modality signatures once ([`crate::pipeline::fit_modalities`]); a modality's fit does not depend on which
//! other modalities are in the plan (its random stream is keyed by its name), so every subset reuses them and a row
//! equals a full run of the restricted plan (tested). The paired DeLong test compares each row with the
//! all-modality row of the same clinical variant, on the case-mean out-of-fold probabilities.

use rayon::prelude::*;

use mmrad_evaluation::SummaryOptions;
use mmrad_modeling::CiMethod;
use mmrad_protocol::{CombinedPlan, CombinedRadiomics, FusionPlan, Plan, Pooling};

use crate::cohort::Cohort;
use crate::output::{Csv, Field, Written};
use crate::pipeline::{FoldData, fit_modalities, fit_models, predict};
use crate::run::{Metrics, check_modalities, fold_assignments, fold_tasks, split_rows};
use crate::{Error, Result, fit_error};

/// One row of `ablation.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct AblationRow {
    /// The subset's modalities, plan order, `+`-joined.
    pub modalities: String,
    pub clinical: bool,
    /// The model of the restricted plan this row evaluates (`fusion` or `combined`).
    pub model: &'static str,
    pub pooled: Metrics,
    /// Paired DeLong test against the all-modality row with the same `clinical` (NaN for that row itself).
    pub auc_diff: f64,
    pub delong_p: f64,
}

/// All rows, in subset order (bit mask over the plan's modalities, then without/with clinical).
#[derive(Debug, Clone, PartialEq)]
pub struct Ablation {
    pub rows: Vec<AblationRow>,
}

/// The plan restricted to the modalities `keep` (indices into `plan.modalities`), fused by logistic regression;
/// with `clinical`, the clinical model and a combined model (the plan's, or the fusion score with the clinical
/// terms when the plan has none) are kept, otherwise both are dropped.
pub fn restrict(plan: &Plan, keep: &[usize], clinical: bool) -> Plan {
    let mut out = plan.clone();
    out.modalities = keep
        .iter()
        .filter_map(|&i| plan.modalities.get(i).cloned())
        .collect();
    out.fusion = Some(FusionPlan {
        of: out.modalities.iter().map(|m| m.modality.clone()).collect(),
    });
    if clinical && plan.clinical.is_some() {
        out.combined = Some(plan.combined.clone().unwrap_or(CombinedPlan {
            radiomics: CombinedRadiomics::FusionScore,
            nomogram: false,
        }));
    } else {
        out.clinical = None;
        out.combined = None;
    }
    out.expected.clear();
    out
}

/// The plan with only the modalities named in `names` (`mmrad study run --only-modalities`): fusion keeps the
/// named modalities it had, the clinical and combined models are unchanged, and `expected:` entries of models that
/// no longer exist are dropped.
///
/// # Errors
/// [`Error::Fit`] for a name that is not one of the plan's modalities (the message lists them).
pub fn only_modalities(plan: &Plan, names: &[String]) -> Result<Plan> {
    let mut keep = Vec::new();
    for name in names {
        let idx = plan
            .modalities
            .iter()
            .position(|m| m.modality.as_str().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| Error::Fit {
                context: "--only-modalities".into(),
                message: format!(
                    "`{name}` is not a modality of the protocol; it has {}",
                    subset_name(plan, &(0..plan.modalities.len()).collect::<Vec<_>>()).replace('+', ", ")
                ),
            })?;
        if !keep.contains(&idx) {
            keep.push(idx);
        }
    }
    keep.sort_unstable();
    let mut out = plan.clone();
    out.modalities = keep
        .iter()
        .filter_map(|&i| plan.modalities.get(i).cloned())
        .collect();
    if let Some(fusion) = &mut out.fusion {
        fusion
            .of
            .retain(|m| out.modalities.iter().any(|k| k.modality == *m));
        if fusion.of.is_empty() {
            out.fusion = None;
            out.combined = None;
        }
    }
    let ids = out.model_ids();
    out.expected.retain(|e| ids.contains(&e.model));
    Ok(out)
}

/// The data of `data` for the modalities `keep`.
fn restrict_data(data: &FoldData, keep: &[usize]) -> FoldData {
    FoldData {
        features: keep
            .iter()
            .filter_map(|&i| data.features.get(i).cloned())
            .collect(),
        feature_names: keep
            .iter()
            .filter_map(|&i| data.feature_names.get(i).cloned())
            .collect(),
        clinical: data.clinical.clone(),
        y: data.y.clone(),
    }
}

/// The subsets to evaluate: (modality indices, clinical), every non-empty subset by bit mask, without then with
/// clinical factors (with only when the plan has a clinical model).
fn variants(plan: &Plan) -> Vec<(Vec<usize>, bool)> {
    let m = plan.modalities.len();
    let clinical_options: &[bool] = if plan.clinical.is_some() {
        &[false, true]
    } else {
        &[false]
    };
    (1..(1usize << m))
        .flat_map(|mask| {
            let keep: Vec<usize> = (0..m).filter(|i| mask & (1 << i) != 0).collect();
            clinical_options.iter().map(move |&c| (keep.clone(), c))
        })
        .collect()
}

/// Cross-validates every subset of modalities (see the module docs) on `threads` worker threads.
///
/// # Errors
/// [`Error::Fit`] naming repeat, fold and subset; fold assignment errors as [`crate::run::run_study`]; a plan with
/// fewer than two modalities.
pub fn ablate(plan: &Plan, cohort: &Cohort, threads: usize) -> Result<Ablation> {
    if plan.modalities.len() < 2 {
        return Err(Error::Fit {
            context: "ablation".into(),
            message: format!(
                "the protocol has {} modality; ablation needs at least two (declare more under `modalities`)",
                plan.modalities.len()
            ),
        });
    }
    check_modalities(plan, cohort)?;
    let n = cohort.cases.len();
    let (folds_per_repeat, repeats) = fold_assignments(plan, cohort)?;
    let tasks = fold_tasks(&folds_per_repeat);
    let variants = variants(plan);
    let validation_none = plan.validation.is_apparent();

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| fit_error("thread pool", e))?;
    // Per task: test rows and, per variant, the test-row probabilities of its model.
    type TaskScores = (usize, Vec<usize>, Vec<Vec<f64>>);
    let results: Vec<Result<TaskScores>> = pool.install(|| {
        tasks
            .par_iter()
            .map(|&(repeat, fold)| {
                let folds = &folds_per_repeat[repeat];
                let (train, test) = split_rows(folds, fold, validation_none);
                let context = format!("ablation, repeat {repeat}, fold {fold}");
                let train_data = FoldData::from_rows(cohort, &train);
                let test_data = FoldData::from_rows(cohort, &test);
                let mut warnings = Vec::new();
                let stream = [repeat as u64, fold as u64];
                let signatures = fit_modalities(
                    plan,
                    &train_data,
                    &stream,
                    &context,
                    CiMethod::Wald,
                    &mut warnings,
                )?;
                let mut scores = Vec::with_capacity(variants.len());
                for (keep, clinical) in &variants {
                    let sub_plan = restrict(plan, keep, *clinical);
                    let sub_context = format!("{context}, subset {}", subset_name(plan, keep));
                    let fit = fit_models(
                        &sub_plan,
                        &restrict_data(&train_data, keep),
                        &sub_context,
                        CiMethod::Wald,
                        keep.iter().filter_map(|&i| signatures.get(i).cloned()).collect(),
                        Vec::new(),
                    )?;
                    let predicted = predict(&sub_plan, &fit, &restrict_data(&test_data, keep))?;
                    let model_idx = sub_plan
                        .model_ids()
                        .iter()
                        .position(|id| id == model_of(*clinical))
                        .ok_or_else(|| fit_error(&sub_context, "the restricted plan lacks its model"))?;
                    scores.push(predicted.into_iter().nth(model_idx).unwrap_or_default());
                }
                Ok((repeat, test, scores))
            })
            .collect()
    });

    // oof[variant][repeat][case]
    let mut oof = vec![vec![vec![f64::NAN; n]; repeats]; variants.len()];
    for result in results {
        let (repeat, test, scores) = result?;
        for (v, s) in scores.iter().enumerate() {
            for (&row, &p) in test.iter().zip(s) {
                oof[v][repeat][row] = p;
            }
        }
    }

    let options = SummaryOptions {
        groups: plan.evaluation.calibration_groups.max(3),
    };
    let case_means: Vec<Vec<f64>> = oof
        .iter()
        .map(|per_repeat| {
            (0..n)
                .map(|i| per_repeat.iter().map(|r| r[i]).sum::<f64>() / repeats as f64)
                .collect()
        })
        .collect();
    let all_mask: Vec<usize> = (0..plan.modalities.len()).collect();
    let mut rows = Vec::with_capacity(variants.len());
    for (v, (keep, clinical)) in variants.iter().enumerate() {
        let name = subset_name(plan, keep);
        let evaluate = |scores: &[f64]| {
            mmrad_evaluation::summarize_with_options(scores, &cohort.y, &options)
                .map(|s| Metrics::from_summary(&s))
                .map_err(|e| fit_error(format!("evaluating ablation subset {name}"), e))
        };
        let pooled = match plan.evaluation.pool {
            Pooling::MeanOverRepeats => {
                Metrics::mean(&oof[v].iter().map(|r| evaluate(r)).collect::<Result<Vec<_>>>()?)
            }
            Pooling::CaseMean => evaluate(&case_means[v])?,
        };
        let reference = variants
            .iter()
            .position(|(k, c)| *k == all_mask && c == clinical)
            .unwrap_or(v);
        let (auc_diff, delong_p) = if reference == v {
            (f64::NAN, f64::NAN)
        } else {
            match mmrad_evaluation::delong_paired(&case_means[v], &case_means[reference], &cohort.y) {
                Ok(paired) => (paired.diff, paired.p),
                // A subset that ranks every case as the full model does has no paired test: its row is kept
                // without a difference or p value instead of aborting the whole ablation.
                Err(mmrad_evaluation::Error::Undefined { .. }) => (f64::NAN, f64::NAN),
                Err(e) => {
                    return Err(fit_error(
                        format!("paired DeLong test of ablation subset {name}"),
                        e,
                    ));
                }
            }
        };
        rows.push(AblationRow {
            modalities: name,
            clinical: *clinical,
            model: model_of(*clinical),
            pooled,
            auc_diff,
            delong_p,
        });
    }
    Ok(Ablation { rows })
}

fn model_of(clinical: bool) -> &'static str {
    if clinical { "combined" } else { "fusion" }
}

fn subset_name(plan: &Plan, keep: &[usize]) -> String {
    keep.iter()
        .filter_map(|&i| plan.modalities.get(i))
        .map(|m| m.modality.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

const COLUMNS: [&str; 12] = [
    "modalities",
    "clinical",
    "model",
    "n",
    "events",
    "auc",
    "auc_lo",
    "auc_hi",
    "brier",
    "cal_slope",
    "auc_diff_vs_all",
    "delong_p_vs_all",
];

impl Ablation {
    /// `ablation.csv`: one row per subset, in subset order, full-precision numbers.
    pub fn csv(&self) -> String {
        let mut csv = Csv::new(&COLUMNS);
        for r in &self.rows {
            let m = &r.pooled;
            csv.row(vec![
                Field::from(r.modalities.as_str()),
                Field::from(if r.clinical { "yes" } else { "no" }),
                Field::from(r.model),
                m.n.into(),
                m.events.into(),
                m.auc.into(),
                m.auc_lo.into(),
                m.auc_hi.into(),
                m.brier.into(),
                m.cal_slope.into(),
                r.auc_diff.into(),
                r.delong_p.into(),
            ]);
        }
        csv.as_str().to_owned()
    }

    /// Aligned text table for stdout, sorted by AUC (highest first; ties in subset order).
    pub fn text(&self) -> String {
        let mut order: Vec<&AblationRow> = self.rows.iter().collect();
        order.sort_by(|a, b| b.pooled.auc.total_cmp(&a.pooled.auc));
        let f3 = |x: f64| {
            if x.is_finite() {
                format!("{x:.3}")
            } else {
                "-".into()
            }
        };
        let rows: Vec<Vec<String>> = order
            .iter()
            .map(|r| {
                vec![
                    r.modalities.clone(),
                    if r.clinical { "yes" } else { "no" }.into(),
                    f3(r.pooled.auc),
                    format!("{}–{}", f3(r.pooled.auc_lo), f3(r.pooled.auc_hi)),
                    f3(r.pooled.brier),
                    f3(r.pooled.cal_slope),
                    if r.delong_p.is_finite() {
                        format!("{:.4}", r.delong_p)
                    } else {
                        "(reference)".into()
                    },
                ]
            })
            .collect();
        crate::report::table(
            &[
                "modalities",
                "clinical",
                "AUC",
                "95% CI",
                "Brier",
                "cal. slope",
                "p vs all",
            ],
            &rows,
        )
    }

    /// Writes `ablation.csv` and the forest plot `figures/ablation.svg` atomically into `dir` (created).
    ///
    /// # Errors
    /// [`Error::Write`] naming the path.
    pub fn write(&self, dir: &std::path::Path) -> Result<Vec<(std::path::PathBuf, String)>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::Write {
            path: dir.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut written = Written { files: Vec::new() };
        written.write(dir, "ablation.csv", self.csv().as_bytes())?;
        let rows: Vec<(String, f64, f64, f64)> = self
            .rows
            .iter()
            .map(|r| {
                let label = format!("{}{}", r.modalities, if r.clinical { " + clinical" } else { "" });
                (label, r.pooled.auc, r.pooled.auc_lo, r.pooled.auc_hi)
            })
            .collect();
        let svg = crate::figures::forest_svg(&rows).map_err(|e| fit_error("figure `ablation.svg`", e))?;
        written.write(dir, "figures/ablation.svg", svg.as_bytes())?;
        Ok(written.files)
    }
}
