//! [`run_study`]: cohort → repeated stratified k-fold (every fit inside the training fold) → out-of-fold
//! evaluation → apparent fits → outputs → `expected:` checks.
//!
//! Pooling of repeats (protocol `evaluation.pool`): with `mean_over_repeats` (default) each repeat's out-of-fold
//! predictions (one per case) are evaluated on their own, and every column of `metrics.csv` is the mean over
//! repeats of that per-repeat value (`metrics_repeats.csv` holds the per-repeat rows; the printed table adds the
//! AUC's standard deviation over repeats). With `case_mean` each case's out-of-fold probability is averaged over
//! repeats and evaluated once. `calibration.csv` always groups the case-mean out-of-fold probabilities (one per
//! case). With `validation: none` there is one "repeat" whose predictions are the apparent (full-data) fit.
//!
//! `leakage: deliberate` (teaching only) first fits the selection filters on all cases and cuts each modality's
//! table to the features they keep (stream `[r, f] = [2^64 - 2, 2^64 - 2]`); the cross-validation then runs on those columns,
//! and a warning says the metrics are optimistic.
//!
//! Seeds: the folds of repeat `r` come from `SeededRng::derive(seed, [1, r])`; the inner LASSO CV of modality `m`
//! in repeat `r`, fold `f` from `SeededRng::derive(seed, [seed, 0x1A550000 + m, r, f])`; the apparent fit uses
//! `[r, f] = [u64::MAX, u64::MAX]`.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use mmrad_core::SeededRng;
use mmrad_evaluation::{BootstrapOptions, CalibrationGroup, SummaryOptions, ThresholdMetrics};
use mmrad_modeling::CiMethod;
use mmrad_protocol::{Expectation, Leakage, Metric, Plan, Pooling, ThresholdRule, Validation};

use crate::cohort::{self, Cohort, Dropped};
use crate::output::{Csv, Field, Written};
use crate::pipeline::{FoldData, FoldFit, LogisticOn, fit_fold, fit_fold_with, name_stream, predict};
use crate::{Error, Result, fit_error};

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Output folder (created).
    pub out_dir: PathBuf,
    /// Worker threads (≥ 1); results do not depend on it.
    pub threads: usize,
    /// Show progress bars (they are hidden anyway when stderr is not a terminal).
    pub progress: bool,
    /// The protocol file's bytes (hashed into the manifest) and its path as given.
    pub protocol_bytes: Vec<u8>,
    pub protocol_path: Option<PathBuf>,
    /// Extract image cohorts again instead of reusing cached feature tables (`--no-cache`).
    pub no_cache: bool,
}

/// The evaluation of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub n: usize,
    pub events: usize,
    pub auc: f64,
    pub auc_lo: f64,
    pub auc_hi: f64,
    pub brier: f64,
    pub brier_scaled: f64,
    pub cal_intercept: f64,
    pub cal_intercept_free: f64,
    pub cal_slope: f64,
    pub hl_stat: f64,
    pub hl_p: f64,
    /// Expected over observed events.
    pub eo_ratio: f64,
    /// `rms::val.prob`'s Emax, E90 and Eavg (the ICI) of the lowess-smoothed calibration curve.
    pub emax: f64,
    pub e90: f64,
    pub eavg: f64,
    pub spiegelhalter_z: f64,
    pub spiegelhalter_p: f64,
}

impl Metrics {
    /// The value of a metric column.
    pub fn get(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Auc => self.auc,
            Metric::AucLo => self.auc_lo,
            Metric::AucHi => self.auc_hi,
            Metric::Brier => self.brier,
            Metric::BrierScaled => self.brier_scaled,
            Metric::CalIntercept => self.cal_intercept,
            Metric::CalSlope => self.cal_slope,
            Metric::HlP => self.hl_p,
            Metric::EoRatio => self.eo_ratio,
            Metric::Emax => self.emax,
            Metric::Eavg => self.eavg,
            Metric::SpiegelhalterP => self.spiegelhalter_p,
        }
    }

    pub(crate) fn from_summary(s: &mmrad_evaluation::Summary) -> Metrics {
        Metrics {
            n: s.n,
            events: s.events,
            auc: s.auc,
            auc_lo: s.auc_lo,
            auc_hi: s.auc_hi,
            brier: s.brier,
            brier_scaled: s.brier_scaled,
            cal_intercept: s.cal_intercept,
            cal_intercept_free: s.cal_intercept_free,
            cal_slope: s.cal_slope,
            hl_stat: s.hl_stat,
            hl_p: s.hl_p,
            eo_ratio: s.eo_ratio,
            emax: s.emax,
            e90: s.e90,
            eavg: s.eavg,
            spiegelhalter_z: s.spiegelhalter_z,
            spiegelhalter_p: s.spiegelhalter_p,
        }
    }

    /// Field-wise mean (a NaN in any repeat gives NaN).
    pub(crate) fn mean(all: &[Metrics]) -> Metrics {
        let k = all.len().max(1) as f64;
        let mean = |f: fn(&Metrics) -> f64| all.iter().map(f).sum::<f64>() / k;
        Metrics {
            n: all.first().map_or(0, |m| m.n),
            events: all.first().map_or(0, |m| m.events),
            auc: mean(|m| m.auc),
            auc_lo: mean(|m| m.auc_lo),
            auc_hi: mean(|m| m.auc_hi),
            brier: mean(|m| m.brier),
            brier_scaled: mean(|m| m.brier_scaled),
            cal_intercept: mean(|m| m.cal_intercept),
            cal_intercept_free: mean(|m| m.cal_intercept_free),
            cal_slope: mean(|m| m.cal_slope),
            hl_stat: mean(|m| m.hl_stat),
            hl_p: mean(|m| m.hl_p),
            eo_ratio: mean(|m| m.eo_ratio),
            emax: mean(|m| m.emax),
            e90: mean(|m| m.e90),
            eavg: mean(|m| m.eavg),
            spiegelhalter_z: mean(|m| m.spiegelhalter_z),
            spiegelhalter_p: mean(|m| m.spiegelhalter_p),
        }
    }
}

/// One row of `metrics.csv`, with the spread over repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMetrics {
    /// Model id: a modality name, `fusion`, `clinical` or `combined`.
    pub model: String,
    /// Modalities the model uses, `+`-joined (empty for the clinical model).
    pub modalities: String,
    pub pooled: Metrics,
    pub per_repeat: Vec<Metrics>,
    /// Sample standard deviation of the AUC over repeats (NaN for one repeat).
    pub auc_sd: f64,
    /// Stratified percentile bootstrap CI of the AUC of the case-mean out-of-fold probabilities (when
    /// `evaluation.bootstrap` is set).
    pub bootstrap: Option<mmrad_evaluation::BootstrapCi>,
}

/// One row of `thresholds.csv`: a threshold rule applied to a model's case-mean out-of-fold probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdRow {
    pub model: String,
    pub rule: ThresholdRule,
    /// `None` when the rule is undefined for these predictions (a warning says why).
    pub metrics: Option<ThresholdMetrics>,
}

/// The result of an `expected:` check.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub expectation: Expectation,
    pub value: f64,
    pub passed: bool,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub name: String,
    pub n: usize,
    pub events: usize,
    pub metrics: Vec<ModelMetrics>,
    /// Per model id: the calibration table of the case-mean out-of-fold probabilities.
    pub calibration: Vec<(String, Vec<CalibrationGroup>)>,
    /// Per model id (when `evaluation.dca`): net benefit at [`DCA_THRESHOLDS`], pooled over repeats as the metrics.
    pub dca: Vec<(String, Vec<mmrad_evaluation::NetBenefit>)>,
    /// Per model id and rule of `evaluation.thresholds`, in that order.
    pub thresholds: Vec<ThresholdRow>,
    pub checks: Vec<Check>,
    /// Under `validation: bootstrap_optimism`: the optimism-corrected indexes of every model.
    pub optimism: Option<crate::optimism::StudyOptimism>,
    pub warnings: Vec<String>,
    pub dropped: Vec<Dropped>,
    /// Files written (relative to the output folder) with their sha256.
    pub files: Vec<(PathBuf, String)>,
}

impl RunSummary {
    pub fn checks_passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }
}

/// One fitted training fold and its held-out predictions.
struct FoldResult {
    repeat: usize,
    fold: usize,
    test_rows: Vec<usize>,
    /// Per model id, one score per test row.
    scores: Vec<Vec<f64>>,
    fit: FoldFit,
}

/// Runs the plan and writes every output into `options.out_dir`.
///
/// # Errors
/// Any cohort [`Error`] (naming table, column or case), a fit that fails in a fold (naming repeat, fold and
/// model), or a write failure.
pub fn run_study(plan: &Plan, options: &RunOptions) -> Result<RunSummary> {
    let cohort = cohort::load_with_cache(plan, options.threads, !options.no_cache)?;
    run_on_cohort(plan, &cohort, options)
}

/// As [`run_study`] on an already loaded cohort.
///
/// # Errors
/// As [`run_study`].
pub fn run_on_cohort(plan: &Plan, cohort: &Cohort, options: &RunOptions) -> Result<RunSummary> {
    let started = std::time::SystemTime::now();
    check_modalities(plan, cohort)?;
    let preselected;
    let cohort = if plan.leakage == Leakage::Deliberate {
        preselected = select_on_all_cases(plan, cohort)?;
        &preselected
    } else {
        cohort
    };
    let n = cohort.cases.len();
    let model_ids = plan.model_ids();
    let (folds_per_repeat, repeats) = fold_assignments(plan, cohort)?;
    let tasks = fold_tasks(&folds_per_repeat);

    let progress = if options.progress {
        ProgressBar::with_draw_target(Some(tasks.len() as u64 + 1), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} folds {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.set_prefix(plan.name.clone());

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.max(1))
        .build()
        .map_err(|e| fit_error("thread pool", e))?;
    let validation_none = plan.validation.is_apparent();
    let results: Vec<Result<FoldResult>> = pool.install(|| {
        tasks
            .par_iter()
            .map(|&(repeat, fold)| {
                let folds = &folds_per_repeat[repeat];
                let (train, test) = split_rows(folds, fold, validation_none);
                let context = format!("repeat {repeat}, fold {fold}");
                let train_data = FoldData::from_rows(cohort, &train);
                let fit = fit_fold(plan, &train_data, &[repeat as u64, fold as u64], &context)?;
                let scores = predict(plan, &fit, &FoldData::from_rows(cohort, &test))?;
                progress.inc(1);
                Ok(FoldResult {
                    repeat,
                    fold,
                    test_rows: test,
                    scores,
                    fit,
                })
            })
            .collect()
    });
    let results: Vec<FoldResult> = results.into_iter().collect::<Result<_>>()?;

    // Out-of-fold predictions: oof[repeat][model][case].
    let mut oof = vec![vec![vec![f64::NAN; n]; model_ids.len()]; repeats];
    let mut warnings: Vec<String> = Vec::new();
    if plan.leakage == Leakage::Deliberate {
        warnings.push(
            "`leakage: deliberate`: features were selected on all cases, test folds included; the cross-validated \
             metrics are optimistic (for teaching only)"
                .to_owned(),
        );
    }
    for result in &results {
        warnings.extend(result.fit.warnings.iter().cloned());
        for (model_idx, scores) in result.scores.iter().enumerate() {
            for (&row, &score) in result.test_rows.iter().zip(scores) {
                oof[result.repeat][model_idx][row] = score;
            }
        }
    }

    // Evaluation.
    let groups = plan.evaluation.calibration_groups;
    let summary_options = SummaryOptions {
        groups: groups.max(3),
    };
    let mut metrics = Vec::new();
    let mut calibration = Vec::new();
    let mut dca = Vec::new();
    let mut thresholds: Vec<ThresholdRow> = Vec::new();
    let dca_grid = dca_thresholds();
    for (model_idx, model) in model_ids.iter().enumerate() {
        let evaluate = |scores: &[f64]| {
            mmrad_evaluation::summarize_with_options(scores, &cohort.y, &summary_options)
                .map(|s| Metrics::from_summary(&s))
                .map_err(|e| fit_error(format!("evaluating model `{model}`"), e))
        };
        let per_repeat: Vec<Metrics> = oof
            .iter()
            .map(|r| evaluate(&r[model_idx]))
            .collect::<Result<_>>()?;
        let case_mean: Vec<f64> = (0..n)
            .map(|i| oof.iter().map(|r| r[model_idx][i]).sum::<f64>() / repeats as f64)
            .collect();
        let pooled = match plan.evaluation.pool {
            Pooling::MeanOverRepeats => Metrics::mean(&per_repeat),
            Pooling::CaseMean => evaluate(&case_mean)?,
        };
        let aucs: Vec<f64> = per_repeat.iter().map(|m| m.auc).collect();
        let bootstrap = match plan.evaluation.bootstrap {
            None => None,
            Some(b) => {
                let options = BootstrapOptions {
                    replicates: b.replicates,
                    stratified: b.stratified,
                    ..BootstrapOptions::default()
                };
                // The model's stream is keyed by its name, so it is the same in any subset of models.
                let mut rng = SeededRng::derive(plan.seed, &[3, name_stream(model)]);
                let ci = mmrad_evaluation::bootstrap_auc_ci_with_options(
                    &case_mean, &cohort.y, &options, &mut rng,
                )
                .map_err(|e| fit_error(format!("bootstrap AUC CI of model `{model}`"), e))?;
                if ci.redraws > 0 {
                    warnings.push(format!(
                        "model `{model}`: {} bootstrap samples had fewer than 2 events or non-events and were drawn \
                         again",
                        ci.redraws
                    ));
                }
                Some(ci)
            }
        };
        metrics.push(ModelMetrics {
            model: model.clone(),
            modalities: model_modalities(plan, model),
            pooled,
            per_repeat,
            auc_sd: sample_sd(&aucs),
            bootstrap,
        });
        for &rule in &plan.evaluation.thresholds {
            let chosen = match rule {
                ThresholdRule::Youden => mmrad_evaluation::youden_threshold(&case_mean, &cohort.y),
                ThresholdRule::Sensitivity(target) => {
                    mmrad_evaluation::sensitivity_threshold(&case_mean, &cohort.y, target)
                }
                ThresholdRule::Probability(t) => {
                    mmrad_evaluation::probability_threshold(&case_mean, &cohort.y, t)
                }
            };
            let metrics = match chosen {
                Ok(m) => Some(m),
                Err(err @ mmrad_evaluation::Error::Undefined { .. }) => {
                    warnings.push(format!(
                        "model `{model}`: threshold rule `{}` left empty in thresholds.csv: {err}",
                        rule.label()
                    ));
                    None
                }
                Err(err) => {
                    return Err(fit_error(
                        format!("threshold `{}` of model `{model}`", rule.label()),
                        err,
                    ));
                }
            };
            thresholds.push(ThresholdRow {
                model: model.clone(),
                rule,
                metrics,
            });
        }
        let table = mmrad_evaluation::calibration_table(&case_mean, &cohort.y, groups)
            .map_err(|e| fit_error(format!("calibration table of model `{model}`"), e))?;
        calibration.push((model.clone(), table));
        if plan.evaluation.dca {
            let curve = |p: &[f64]| {
                mmrad_evaluation::net_benefit(p, &cohort.y, &dca_grid)
                    .map_err(|e| fit_error(format!("decision curve of model `{model}`"), e))
            };
            let pooled = match plan.evaluation.pool {
                Pooling::MeanOverRepeats => {
                    let curves: Vec<_> = oof.iter().map(|r| curve(&r[model_idx])).collect::<Result<_>>()?;
                    let k = curves.len().max(1) as f64;
                    (0..dca_grid.len())
                        .map(|t| mmrad_evaluation::NetBenefit {
                            threshold: dca_grid[t],
                            model: curves.iter().map(|c| c[t].model).sum::<f64>() / k,
                            treat_all: curves.iter().map(|c| c[t].treat_all).sum::<f64>() / k,
                        })
                        .collect()
                }
                Pooling::CaseMean => curve(&case_mean)?,
            };
            dca.push((model.clone(), pooled));
        }
    }

    // Apparent (full-data) fits for the published tables.
    let all_rows: Vec<usize> = (0..n).collect();
    let apparent = fit_fold_with(
        plan,
        &FoldData::from_rows(cohort, &all_rows),
        &[u64::MAX, u64::MAX],
        "apparent fit",
        CiMethod::Profile,
    )?;
    warnings.extend(apparent.warnings.iter().cloned());
    let optimism = match plan.validation {
        Validation::BootstrapOptimism { replicates } => {
            let result = crate::optimism::bootstrap_optimism(plan, cohort, replicates, &pool)?;
            warnings.extend(result.warnings.iter().cloned());
            Some(result)
        }
        _ => None,
    };
    progress.inc(1);
    progress.finish_and_clear();

    let checks: Vec<Check> = plan
        .expected
        .iter()
        .map(|e| {
            let value = metrics
                .iter()
                .find(|m| m.model == e.model)
                .map_or(f64::NAN, |m| m.pooled.get(e.metric));
            let passed = value.is_finite()
                && e.min.is_none_or(|min| value >= min)
                && e.max.is_none_or(|max| value <= max);
            Check {
                expectation: e.clone(),
                value,
                passed,
            }
        })
        .collect();

    let mut summary = RunSummary {
        name: plan.name.clone(),
        n,
        events: cohort.n_events(),
        metrics,
        calibration,
        dca,
        thresholds,
        checks,
        optimism,
        warnings,
        dropped: cohort.dropped.clone(),
        files: Vec::new(),
    };
    summary.files = write_outputs(
        plan,
        cohort,
        options,
        &summary,
        &results,
        &oof,
        &folds_per_repeat,
        &apparent,
        started,
    )?;
    Ok(summary)
}

/// `leakage: deliberate`: the cohort with each modality's table cut to the features the selection filters
/// (variance, univariate test, correlation pruning) keep when fitted on all cases, the classic mistake of
/// screening features before cross-validating (the LASSO is still fitted in each training fold, on the screened
/// columns). A modality whose filters keep nothing keeps all its columns.
fn select_on_all_cases(plan: &Plan, cohort: &Cohort) -> Result<Cohort> {
    let all: Vec<usize> = (0..cohort.cases.len()).collect();
    let fit = fit_fold(
        plan,
        &FoldData::from_rows(cohort, &all),
        &[u64::MAX - 1, u64::MAX - 1],
        "leakage: deliberate, selection on all cases",
    )?;
    let mut out = cohort.clone();
    for ((_, table), modality) in out.features.iter_mut().zip(&fit.modalities) {
        if !modality.filtered.is_empty() {
            *table = table.select_columns(&modality.filtered);
        }
    }
    Ok(out)
}

/// Every (repeat, fold) pair, repeat-major: the order results are collected in.
pub(crate) fn fold_tasks(folds_per_repeat: &[Vec<usize>]) -> Vec<(usize, usize)> {
    let n_folds = folds_per_repeat
        .first()
        .map_or(1, |f| f.iter().max().map_or(1, |m| m + 1));
    (0..folds_per_repeat.len())
        .flat_map(|r| (0..n_folds).map(move |f| (r, f)))
        .collect()
}

/// Training and test rows of `fold` (all rows for both under `validation: none`, the apparent fit).
pub(crate) fn split_rows(folds: &[usize], fold: usize, validation_none: bool) -> (Vec<usize>, Vec<usize>) {
    let n = folds.len();
    if validation_none {
        ((0..n).collect(), (0..n).collect())
    } else {
        (
            (0..n).filter(|&i| folds[i] != fold).collect(),
            (0..n).filter(|&i| folds[i] == fold).collect(),
        )
    }
}

/// Threshold probabilities of the decision curves: 0.01, 0.02, …, 0.99 (computed as k/100, not by accumulation).
pub const DCA_THRESHOLDS: (usize, usize) = (1, 99);

fn dca_thresholds() -> Vec<f64> {
    (DCA_THRESHOLDS.0..=DCA_THRESHOLDS.1)
        .map(|k| k as f64 / 100.0)
        .collect()
}

/// The cohort's feature tables must be the plan's modalities, in plan order (fold data is built by position).
pub(crate) fn check_modalities(plan: &Plan, cohort: &Cohort) -> Result<()> {
    let want: Vec<&str> = plan.modalities.iter().map(|m| m.modality.as_str()).collect();
    let have: Vec<&str> = cohort.features.iter().map(|(m, _)| m.as_str()).collect();
    if want == have {
        return Ok(());
    }
    Err(fit_error(
        "cohort",
        format!(
            "the cohort has feature tables [{}] but the protocol's `modalities` are [{}]; load the cohort for this \
             protocol (or use `Cohort::with_modalities`)",
            have.join(", "),
            want.join(", ")
        ),
    ))
}

/// Fold ids per repeat (all zeros for `validation: none`).
pub(crate) fn fold_assignments(plan: &Plan, cohort: &Cohort) -> Result<(Vec<Vec<usize>>, usize)> {
    match plan.validation {
        Validation::None | Validation::BootstrapOptimism { .. } => Ok((vec![vec![0; cohort.cases.len()]], 1)),
        Validation::StratifiedKFold { folds, repeats } => {
            let mut out = Vec::with_capacity(repeats);
            for repeat in 0..repeats {
                let mut rng = SeededRng::derive(plan.seed, &[1, repeat as u64]);
                out.push(
                    mmrad_stats::stratified_folds(&cohort.y, folds, &mut rng).map_err(|e| {
                        let events = cohort.n_events();
                        match e {
                            mmrad_stats::Error::TooManyFolds { .. } => Error::TooManyFolds {
                                folds,
                                smaller: events.min(cohort.y.len() - events),
                            },
                            other => fit_error(format!("folds of repeat {repeat}"), other),
                        }
                    })?,
                );
            }
            Ok((out, repeats))
        }
    }
}

fn model_modalities(plan: &Plan, model: &str) -> String {
    match model {
        "clinical" => String::new(),
        "fusion" | "combined" => plan.fusion.as_ref().map_or(String::new(), |f| {
            f.of.iter().map(|m| m.as_str()).collect::<Vec<_>>().join("+")
        }),
        other => other.to_owned(),
    }
}

fn sample_sd(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return f64::NAN;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

const METRIC_COLUMNS: [&str; 18] = [
    "model",
    "modalities",
    "n",
    "events",
    "auc",
    "auc_lo",
    "auc_hi",
    "brier",
    "brier_scaled",
    "cal_intercept",
    "cal_intercept_free",
    "cal_slope",
    "hl_p",
    "eo_ratio",
    "emax",
    "e90",
    "eavg",
    "spiegelhalter_p",
];

/// Columns appended to `metrics.csv` (not `metrics_repeats.csv`) when `evaluation.bootstrap` is set.
const BOOTSTRAP_COLUMNS: [&str; 2] = ["auc_boot_lo", "auc_boot_hi"];

fn metric_fields(m: &Metrics) -> Vec<Field> {
    vec![
        m.n.into(),
        m.events.into(),
        m.auc.into(),
        m.auc_lo.into(),
        m.auc_hi.into(),
        m.brier.into(),
        m.brier_scaled.into(),
        m.cal_intercept.into(),
        m.cal_intercept_free.into(),
        m.cal_slope.into(),
        m.hl_p.into(),
        m.eo_ratio.into(),
        m.emax.into(),
        m.e90.into(),
        m.eavg.into(),
        m.spiegelhalter_p.into(),
    ]
}

const THRESHOLD_COLUMNS: [&str; 22] = [
    "model",
    "rule",
    "threshold",
    "tp",
    "fp",
    "tn",
    "fn",
    "sensitivity",
    "sensitivity_lo",
    "sensitivity_hi",
    "specificity",
    "specificity_lo",
    "specificity_hi",
    "ppv",
    "ppv_lo",
    "ppv_hi",
    "npv",
    "npv_lo",
    "npv_hi",
    "accuracy",
    "accuracy_lo",
    "accuracy_hi",
];

fn threshold_fields(m: &ThresholdMetrics) -> Vec<Field> {
    let cis = m.wilson_cis();
    let mut fields: Vec<Field> = vec![
        m.threshold.into(),
        m.true_positives.into(),
        m.false_positives.into(),
        m.true_negatives.into(),
        m.false_negatives.into(),
    ];
    for (rate, (lo, hi)) in [
        (m.sensitivity, cis.sensitivity),
        (m.specificity, cis.specificity),
        (m.ppv, cis.ppv),
        (m.npv, cis.npv),
        (m.accuracy, cis.accuracy),
    ] {
        fields.extend([rate.into(), lo.into(), hi.into()]);
    }
    fields
}

/// Names of the terms of each logistic model of the plan (intercept first).
fn fusion_terms(plan: &Plan) -> Vec<String> {
    plan.fusion.as_ref().map_or_else(Vec::new, |f| {
        f.of.iter().map(|m| format!("rad_{}", m.as_str())).collect()
    })
}

fn combined_terms(plan: &Plan, clinical_terms: &[usize], fusion_terms: &[String]) -> Vec<String> {
    let candidates = plan
        .clinical
        .as_ref()
        .map_or(&[][..], |c| c.candidates.as_slice());
    let mut terms: Vec<String> = clinical_terms
        .iter()
        .filter_map(|&t| candidates.get(t).cloned())
        .collect();
    match plan.combined.as_ref().map(|c| c.radiomics) {
        Some(mmrad_protocol::CombinedRadiomics::FusionScore) => terms.push("fusion_score".into()),
        Some(mmrad_protocol::CombinedRadiomics::RadScores) => terms.extend(fusion_terms.iter().cloned()),
        None => {}
    }
    terms
}

#[allow(clippy::too_many_lines)]
fn write_outputs(
    plan: &Plan,
    cohort: &Cohort,
    options: &RunOptions,
    summary: &RunSummary,
    results: &[FoldResult],
    oof: &[Vec<Vec<f64>>],
    folds_per_repeat: &[Vec<usize>],
    apparent: &FoldFit,
    started: std::time::SystemTime,
) -> Result<Vec<(PathBuf, String)>> {
    let dir = options.out_dir.as_path();
    crate::manifest::prepare_out_dir(dir)?;
    let mut written = Written::default();
    let model_ids = plan.model_ids();

    // metrics.csv and metrics_repeats.csv
    let mut header: Vec<&str> = METRIC_COLUMNS.to_vec();
    if plan.evaluation.bootstrap.is_some() {
        header.extend_from_slice(&BOOTSTRAP_COLUMNS);
    }
    let mut csv = Csv::new(&header);
    let mut by_repeat_header = vec!["repeat"];
    by_repeat_header.extend_from_slice(&METRIC_COLUMNS);
    let mut by_repeat = Csv::new(&by_repeat_header);
    for m in &summary.metrics {
        let mut row: Vec<Field> = vec![m.model.as_str().into(), m.modalities.as_str().into()];
        row.extend(metric_fields(&m.pooled));
        if let Some(ci) = &m.bootstrap {
            row.extend([ci.lo.into(), ci.hi.into()]);
        }
        csv.row(row);
        for (repeat, r) in m.per_repeat.iter().enumerate() {
            let mut row: Vec<Field> = vec![
                repeat.into(),
                m.model.as_str().into(),
                m.modalities.as_str().into(),
            ];
            row.extend(metric_fields(r));
            by_repeat.row(row);
        }
    }
    written.write(dir, "metrics.csv", csv.as_str().as_bytes())?;
    written.write(dir, "metrics_repeats.csv", by_repeat.as_str().as_bytes())?;

    // calibration.csv
    let mut csv = Csv::new(&[
        "model",
        "group",
        "n",
        "events",
        "mean_predicted",
        "observed_rate",
        "lo",
        "hi",
    ]);
    for (model, table) in &summary.calibration {
        for g in table {
            csv.row(vec![
                model.as_str().into(),
                g.group.into(),
                g.n.into(),
                g.events.into(),
                g.mean_predicted.into(),
                g.observed_rate.into(),
                g.lo.into(),
                g.hi.into(),
            ]);
        }
    }
    written.write(dir, "calibration.csv", csv.as_str().as_bytes())?;

    // dca.csv
    if plan.evaluation.dca {
        let mut csv = Csv::new(&["model", "threshold", "net_benefit", "treat_all", "treat_none"]);
        for (model, curve) in &summary.dca {
            for nb in curve {
                csv.row(vec![
                    model.as_str().into(),
                    nb.threshold.into(),
                    nb.model.into(),
                    nb.treat_all.into(),
                    0.0.into(),
                ]);
            }
        }
        written.write(dir, "dca.csv", csv.as_str().as_bytes())?;
    }

    // thresholds.csv
    let mut csv = Csv::new(&THRESHOLD_COLUMNS);
    for row in &summary.thresholds {
        let mut fields: Vec<Field> = vec![row.model.as_str().into(), row.rule.label().into()];
        match &row.metrics {
            Some(m) => fields.extend(threshold_fields(m)),
            None => fields.extend((2..THRESHOLD_COLUMNS.len()).map(|_| Field::Text(String::new()))),
        }
        csv.row(fields);
    }
    written.write(dir, "thresholds.csv", csv.as_str().as_bytes())?;

    // predictions.csv (case order within repeat and model; fold ids included)
    let mut csv = Csv::new(&["case_id", "outcome", "repeat", "fold", "model", "score"]);
    for (repeat, per_model) in oof.iter().enumerate() {
        for (model_idx, model) in model_ids.iter().enumerate() {
            for (case_idx, case) in cohort.cases.iter().enumerate() {
                csv.row(vec![
                    case.0.as_str().into(),
                    usize::from(cohort.y[case_idx]).into(),
                    repeat.into(),
                    folds_per_repeat
                        .get(repeat)
                        .and_then(|f| f.get(case_idx))
                        .copied()
                        .unwrap_or(0)
                        .into(),
                    model.as_str().into(),
                    per_model[model_idx][case_idx].into(),
                ]);
            }
        }
    }
    written.write(dir, "predictions.csv", csv.as_str().as_bytes())?;

    // selected.csv (every CV fold's signature)
    let mut csv = Csv::new(&["modality", "repeat", "fold", "feature", "coef"]);
    for result in results {
        for ((modality, fit), (_, table)) in plan
            .modalities
            .iter()
            .zip(&result.fit.modalities)
            .zip(&cohort.features)
        {
            for (column, coef) in fit.selected() {
                let name = table.names().get(column).map_or(String::new(), |n| n.0.clone());
                csv.row(vec![
                    modality.modality.as_str().into(),
                    result.repeat.into(),
                    result.fold.into(),
                    name.into(),
                    coef.into(),
                ]);
            }
        }
    }
    written.write(dir, "selected.csv", csv.as_str().as_bytes())?;

    // coefficients.csv and odds_ratios.csv (apparent fits)
    let mut coefs = Csv::new(&["model", "term", "coef", "se", "lambda"]);
    let mut ors = Csv::new(&["model", "term", "or", "lo", "hi", "p"]);
    for ((modality, fit), (_, table)) in plan
        .modalities
        .iter()
        .zip(&apparent.modalities)
        .zip(&cohort.features)
    {
        let model = modality.modality.as_str();
        let name = |c: usize| table.names().get(c).map_or(String::new(), |n| n.0.clone());
        if let Some(lasso) = &fit.lasso {
            coefs.row(vec![
                model.into(),
                "(Intercept)".into(),
                lasso.intercept().into(),
                Field::Empty,
                lasso.lambda().into(),
            ]);
            for (k, &b) in lasso.coefficients().iter().enumerate() {
                if b != 0.0 {
                    let column = fit.filtered.get(k).copied().unwrap_or(0);
                    coefs.row(vec![
                        model.into(),
                        name(column).into(),
                        b.into(),
                        Field::Empty,
                        lasso.lambda().into(),
                    ]);
                }
            }
        }
        match &fit.logistic {
            Some(LogisticOn::Columns(cols, logit)) => {
                let terms: Vec<String> = cols.iter().map(|&c| name(c)).collect();
                logit_rows(&mut coefs, &mut ors, &format!("{model}_logistic"), &terms, logit);
            }
            Some(LogisticOn::RadScore(logit)) => {
                logit_rows(
                    &mut coefs,
                    &mut ors,
                    &format!("{model}_recalibration"),
                    &["rad_score".to_owned()],
                    logit,
                );
            }
            None => {}
        }
    }
    let used_fusion_terms: Vec<String> = fusion_terms(plan)
        .into_iter()
        .enumerate()
        .filter(|(j, _)| apparent.fusion_columns.contains(j))
        .map(|(_, t)| t)
        .collect();
    if let Some(fusion) = &apparent.fusion {
        logit_rows(&mut coefs, &mut ors, "fusion", &used_fusion_terms, fusion);
    }
    if let (Some(clinical), Some(clinical_plan)) = (&apparent.clinical, &plan.clinical) {
        // Univariate screen: one logistic model per candidate on all cases.
        for (j, name) in clinical_plan.candidates.iter().enumerate() {
            let column = cohort.clinical.values().select(ndarray::Axis(1), &[j]);
            if let Ok(logit) = crate::fit::fit_logit(column.view(), &cohort.y, CiMethod::Profile) {
                let (or, lo, hi, p) = logit.odds_ratio(1);
                ors.row(vec![
                    "clinical_univariate".into(),
                    name.as_str().into(),
                    or.into(),
                    lo.into(),
                    hi.into(),
                    p.into(),
                ]);
            }
        }
        let terms: Vec<String> = clinical
            .terms
            .iter()
            .filter_map(|&t| clinical_plan.candidates.get(t).cloned())
            .collect();
        logit_rows(&mut coefs, &mut ors, "clinical", &terms, &clinical.model);
        if let Some(combined) = &apparent.combined {
            logit_rows(
                &mut coefs,
                &mut ors,
                "combined",
                &combined_terms(plan, &clinical.terms, &used_fusion_terms),
                combined,
            );
        }
    }
    written.write(dir, "coefficients.csv", coefs.as_str().as_bytes())?;
    written.write(dir, "odds_ratios.csv", ors.as_str().as_bytes())?;

    // nomogram.csv and figures/nomogram.svg (apparent combined model)
    let mut warnings_late = Vec::new();
    if let (Some(combined_plan), Some(combined), Some(clinical)) =
        (&plan.combined, &apparent.combined, &apparent.clinical)
        && combined_plan.nomogram
    {
        let terms = combined_terms(plan, &clinical.terms, &used_fusion_terms);
        match crate::report::nomogram(plan, cohort, apparent, &terms, combined) {
            Ok((csv, svg)) => {
                written.write(dir, "nomogram.csv", csv.as_bytes())?;
                written.write(dir, "figures/nomogram.svg", svg.as_bytes())?;
            }
            Err(message) => {
                written.write(dir, "nomogram.csv", b"kind,term,value,points,probability\n")?;
                warnings_late.push(format!("{message}; nomogram.csv has its header only"));
            }
        }
    }

    // figures/*.svg
    let mut figures = crate::report_html::figures(plan, cohort, summary, oof)?;
    for (name, svg) in &figures.files {
        written.write(dir, &format!("figures/{name}"), svg.as_bytes())?;
    }
    warnings_late.append(&mut figures.warnings);

    // optimism.csv, optimism_replicates.csv, optimism_selected.csv (validation: bootstrap_optimism)
    if let Some(result) = &summary.optimism {
        written.write(
            dir,
            "optimism.csv",
            crate::optimism::optimism_csv(result).as_bytes(),
        )?;
        let text = crate::optimism::replicates_csv(result, &model_ids);
        written.write(dir, "optimism_replicates.csv", text.as_bytes())?;
        let text = crate::optimism::selected_csv(result, plan, cohort);
        written.write(dir, "optimism_selected.csv", text.as_bytes())?;
    }

    // features/<MOD>.parquet: each modality's table as the study used it (after the cohort's drops).
    for (modality, table) in &cohort.features {
        let name = format!("features/{}.parquet", modality.as_str());
        let bytes = crate::output::feature_table_parquet(table, &dir.join(&name))?;
        written.write(dir, &name, &bytes)?;
    }

    // dropped.csv
    let mut csv = Csv::new(&["table", "column", "reason"]);
    for d in &cohort.dropped {
        csv.row(vec![
            d.table.as_str().into(),
            d.column.as_str().into(),
            d.reason.into(),
        ]);
    }
    written.write(dir, "dropped.csv", csv.as_str().as_bytes())?;

    // report.html (before manifest.json, whose hashes it lists as far as they exist)
    let mut all_warnings = summary.warnings.clone();
    all_warnings.extend(warnings_late);
    if let Ok(svg) = std::fs::read_to_string(dir.join("figures/nomogram.svg"))
        && written
            .files
            .iter()
            .any(|(p, _)| p == Path::new("figures/nomogram.svg"))
    {
        figures.files.push(("nomogram.svg".into(), svg));
    }
    let html = crate::report_html::render(&crate::report_html::ReportInput {
        dir,
        plan,
        summary,
        figures: &figures.files,
        written: &written.files,
        warnings: &all_warnings,
        protocol_sha256: crate::output::sha256_hex(&options.protocol_bytes),
    })?;
    written.write(dir, "report.html", html.as_bytes())?;

    // manifest.json (last: it lists the hashes of everything above)
    let manifest = crate::manifest::build(
        plan,
        cohort,
        &crate::manifest::ManifestInput {
            protocol_path: options.protocol_path.as_deref(),
            protocol_bytes: &options.protocol_bytes,
            warnings: &all_warnings,
            outputs: &written.files,
            threads: options.threads,
            started,
        },
    );
    let json = crate::manifest::to_text(&manifest, &dir.join(crate::manifest::MANIFEST))?;
    written.write(dir, crate::manifest::MANIFEST, json.as_bytes())?;
    Ok(written.files)
}

fn logit_rows(
    coefs: &mut Csv,
    ors: &mut Csv,
    model: &str,
    terms: &[String],
    logit: &crate::pipeline::LogitModel,
) {
    for (k, (&b, &se)) in logit.coef.iter().zip(&logit.se).enumerate() {
        let term = if k == 0 {
            "(Intercept)".to_owned()
        } else {
            terms.get(k - 1).cloned().unwrap_or_default()
        };
        coefs.row(vec![
            model.into(),
            term.as_str().into(),
            b.into(),
            se.into(),
            Field::Empty,
        ]);
        if k > 0 {
            let (or, lo, hi, p) = logit.odds_ratio(k);
            ors.row(vec![
                model.into(),
                term.into(),
                or.into(),
                lo.into(),
                hi.into(),
                p.into(),
            ]);
        }
    }
}

/// The default output folder of a plan: `runs/<name>` next to the current directory.
pub fn default_out_dir(plan: &Plan) -> PathBuf {
    Path::new("runs").join(&plan.name)
}
