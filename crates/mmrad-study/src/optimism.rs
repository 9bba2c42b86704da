//! `validation: { scheme: bootstrap_optimism, n }`: Harrell's bootstrap optimism correction of the whole pipeline.
//!
//! In every bootstrap sample (n cases drawn with replacement, ordinary bootstrap as `rms::validate`), the whole
//! pipeline of the plan is refitted — selection steps, LASSO with its inner CV, fusion, clinical screen, combined
//! model — exactly as in a training fold ([`crate::pipeline::fit_fold`]). Each model's index is computed on the
//! bootstrap sample itself (`training`) and on the original cases (`test`); `optimism = mean(training − test)` over
//! the samples where the index is defined and `corrected = apparent − optimism` (Harrell, Lee & Mark 1996; the
//! arithmetic of `rms::validate`, whose plain-logistic version `mmrad_evaluation::logistic_optimism` is checked
//! against R).
//!
//! Indexes: `auc`, `brier`, `cal_intercept` and `cal_slope` (`a`, `b` of `logit P(y) = a + b logit p`, rms's
//! `Intercept` and `Slope`). The apparent fit is the fit on all cases with the random stream `[0, 0]`, the fit
//! whose predictions `metrics.csv` evaluates under this scheme.
//!
//! Seeds: the samples come from `SeededRng::derive(seed, [5])`; sample `b`'s inner LASSO CV from the stream
//! `[0xB007, b]` (as `[repeat, fold]` in the k-fold scheme). A sample with fewer than 2 events or 2 non-events is
//! drawn again; the redraws are counted and reported. A sample whose pipeline fit fails is left out (as rms leaves
//! out failed fits), counted and reported. An index undefined in a sample (e.g. a calibration slope of constant
//! predictions) is left out of that index's mean only; `n` in `optimism.csv` counts the samples used.

use rayon::prelude::*;

use mmrad_core::SeededRng;
use mmrad_protocol::Plan;

use crate::cohort::Cohort;
use crate::pipeline::{FoldData, fit_fold, predict};
use crate::{Result, fit_error};

/// Index names, in `optimism.csv` order.
pub const INDEXES: [&str; 4] = ["auc", "brier", "cal_intercept", "cal_slope"];

/// Stream key of the bootstrap fits (`[BOOT_STREAM, b]`).
pub const BOOT_STREAM: u64 = 0xB007;

/// One index of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexOptimism {
    /// One of [`INDEXES`].
    pub index: &'static str,
    /// On the apparent fit (all cases); NaN when undefined there (a warning says why).
    pub apparent: f64,
    /// Mean over used samples of the index of the sample's fit on the sample.
    pub training: f64,
    /// Mean over used samples of the index of the sample's fit on the original cases.
    pub test: f64,
    /// `training − test`.
    pub optimism: f64,
    /// `apparent − optimism`.
    pub corrected: f64,
    /// Samples in which the index was defined on both the sample and the original cases.
    pub used: usize,
}

/// The optimism table of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOptimism {
    pub model: String,
    pub indexes: Vec<IndexOptimism>,
}

/// One bootstrap sample's fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Replicate {
    /// Row indices of the sample (into the cohort's cases).
    pub sample: Vec<usize>,
    /// `None` when the pipeline could not be fitted on this sample (the message).
    pub failed: Option<String>,
    /// Per model (plan order) and index ([`INDEXES`] order): (on the sample, on the original cases); NaN when
    /// undefined.
    pub values: Vec<Vec<(f64, f64)>>,
    /// Per modality (plan order): the selected columns of the modality table and their coefficients.
    pub selected: Vec<Vec<(usize, f64)>>,
    /// The clinical model's terms (indices into the plan's candidates).
    pub clinical_terms: Vec<usize>,
}

/// The bootstrap validation of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyOptimism {
    pub models: Vec<ModelOptimism>,
    pub replicates: Vec<Replicate>,
    /// Samples drawn again (fewer than 2 events or non-events).
    pub redraws: usize,
    /// Samples whose pipeline fit failed and were left out.
    pub failed_fits: usize,
    /// Non-fatal problems, one sentence each.
    pub warnings: Vec<String>,
}

/// Draws `replicates` ordinary bootstrap samples of `y.len()` cases from `rng`, drawing again any sample with fewer
/// than 2 events or 2 non-events. Returns the samples and the number of redraws.
///
/// # Errors
/// [`Error::Fit`] when the cohort has fewer than 2 events or non-events, or more than `100 × replicates` samples
/// had to be drawn again.
pub fn bootstrap_samples(
    y: &[bool],
    replicates: usize,
    rng: &mut SeededRng,
) -> Result<(Vec<Vec<usize>>, usize)> {
    let n = y.len();
    let events = y.iter().filter(|&&v| v).count();
    if events < 2 || n - events < 2 {
        return Err(fit_error(
            "bootstrap optimism",
            format!(
                "the cohort has {events} events in {n} cases; at least 2 events and 2 non-events are needed"
            ),
        ));
    }
    let mut samples = Vec::with_capacity(replicates);
    let mut redraws = 0usize;
    while samples.len() < replicates {
        let sample: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
        let sample_events = sample
            .iter()
            .filter(|&&i| y.get(i).copied().unwrap_or(false))
            .count();
        if sample_events < 2 || n - sample_events < 2 {
            redraws += 1;
            if redraws > 100 * replicates.max(1) {
                return Err(fit_error(
                    "bootstrap optimism",
                    format!("{redraws} bootstrap samples had fewer than 2 events or non-events"),
                ));
            }
            continue;
        }
        samples.push(sample);
    }
    Ok((samples, redraws))
}

/// Bootstrap optimism of every model of the plan with `replicates` samples seeded from the plan's seed, fitted on
/// `pool`.
///
/// # Errors
/// As [`bootstrap_samples`] and [`optimism_with_samples`].
pub fn bootstrap_optimism(
    plan: &Plan,
    cohort: &Cohort,
    replicates: usize,
    pool: &rayon::ThreadPool,
) -> Result<StudyOptimism> {
    let mut rng = SeededRng::derive(plan.seed, &[5]);
    let (samples, redraws) = bootstrap_samples(&cohort.y, replicates, &mut rng)?;
    let mut result = optimism_with_samples(plan, cohort, &samples, pool)?;
    result.redraws = redraws;
    if redraws > 0 {
        result.warnings.push(format!(
            "bootstrap optimism: {redraws} samples had fewer than 2 events or non-events and were drawn again"
        ));
    }
    Ok(result)
}

/// Bootstrap optimism of every model of the plan on given samples (row indices into the cohort's cases).
///
/// # Errors
/// [`Error::Fit`] when the apparent fit fails, a sample index is out of range, or every sample's fit fails.
pub fn optimism_with_samples(
    plan: &Plan,
    cohort: &Cohort,
    samples: &[Vec<usize>],
    pool: &rayon::ThreadPool,
) -> Result<StudyOptimism> {
    let n = cohort.cases.len();
    if let Some(bad) = samples.iter().flatten().find(|&&i| i >= n) {
        return Err(fit_error(
            "bootstrap optimism",
            format!("sample row index {bad} is out of range for {n} cases"),
        ));
    }
    let model_ids = plan.model_ids();
    let all_rows: Vec<usize> = (0..n).collect();
    let original = FoldData::from_rows(cohort, &all_rows);
    let apparent_fit = fit_fold(plan, &original, &[0, 0], "bootstrap optimism, apparent fit")?;
    let apparent_scores = predict(plan, &apparent_fit, &original)?;
    let mut warnings = Vec::new();
    let apparent: Vec<Vec<f64>> = model_ids
        .iter()
        .zip(&apparent_scores)
        .map(|(model, p)| {
            indexes(p, &cohort.y)
                .into_iter()
                .zip(INDEXES)
                .map(|(value, name)| match value {
                    Ok(v) => v,
                    Err(reason) => {
                        warnings.push(format!(
                            "bootstrap optimism: apparent `{name}` of model `{model}` is undefined ({reason}); its \
                             row in optimism.csv is NaN"
                        ));
                        f64::NAN
                    }
                })
                .collect()
        })
        .collect();

    let replicates: Vec<Replicate> = pool.install(|| {
        samples
            .par_iter()
            .enumerate()
            .map(|(b, sample)| replicate(plan, cohort, &original, b, sample))
            .collect()
    });

    let failed_fits = replicates.iter().filter(|r| r.failed.is_some()).count();
    if failed_fits == replicates.len() && !replicates.is_empty() {
        let first = replicates
            .iter()
            .find_map(|r| r.failed.clone())
            .unwrap_or_default();
        return Err(fit_error(
            "bootstrap optimism",
            format!("the pipeline failed in all {failed_fits} bootstrap samples; the first: {first}"),
        ));
    }
    if let Some((b, message)) = replicates
        .iter()
        .enumerate()
        .find_map(|(b, r)| r.failed.as_ref().map(|m| (b, m)))
    {
        warnings.push(format!(
            "bootstrap optimism: the pipeline failed in {failed_fits} of {} samples, which were left out (first: \
             sample {b}: {message})",
            replicates.len()
        ));
    }

    let models = model_ids
        .iter()
        .enumerate()
        .map(|(model_idx, model)| {
            let indexes = INDEXES
                .iter()
                .enumerate()
                .map(|(k, &index)| {
                    let pairs: Vec<(f64, f64)> = replicates
                        .iter()
                        .filter(|r| r.failed.is_none())
                        .filter_map(|r| r.values.get(model_idx).and_then(|v| v.get(k)).copied())
                        .filter(|(train, test)| train.is_finite() && test.is_finite())
                        .collect();
                    let used = pairs.len();
                    let mean = |f: fn(&(f64, f64)) -> f64| {
                        if used == 0 {
                            f64::NAN
                        } else {
                            pairs.iter().map(f).sum::<f64>() / used as f64
                        }
                    };
                    let training = mean(|p| p.0);
                    let test = mean(|p| p.1);
                    let optimism = training - test;
                    let apparent_value = apparent
                        .get(model_idx)
                        .and_then(|v| v.get(k))
                        .copied()
                        .unwrap_or(f64::NAN);
                    IndexOptimism {
                        index,
                        apparent: apparent_value,
                        training,
                        test,
                        optimism,
                        corrected: apparent_value - optimism,
                        used,
                    }
                })
                .collect::<Vec<_>>();
            for row in &indexes {
                let usable = replicates.len() - failed_fits;
                if row.used < usable {
                    warnings.push(format!(
                        "bootstrap optimism: `{}` of model `{model}` was undefined in {} of {usable} samples (e.g. \
                         constant predictions), which were left out of its mean",
                        row.index,
                        usable - row.used
                    ));
                }
            }
            ModelOptimism {
                model: model.clone(),
                indexes,
            }
        })
        .collect();

    Ok(StudyOptimism {
        models,
        replicates,
        redraws: 0,
        failed_fits,
        warnings,
    })
}

/// Fits the pipeline on one sample and evaluates every model on the sample and on the original cases.
fn replicate(plan: &Plan, cohort: &Cohort, original: &FoldData, b: usize, sample: &[usize]) -> Replicate {
    let data = FoldData::from_rows(cohort, sample);
    let context = format!("bootstrap sample {b}");
    let fitted = fit_fold(plan, &data, &[BOOT_STREAM, b as u64], &context).and_then(|fit| {
        let on_sample = predict(plan, &fit, &data)?;
        let on_original = predict(plan, &fit, original)?;
        Ok((fit, on_sample, on_original))
    });
    match fitted {
        Err(err) => Replicate {
            sample: sample.to_vec(),
            failed: Some(err.to_string()),
            values: Vec::new(),
            selected: Vec::new(),
            clinical_terms: Vec::new(),
        },
        Ok((fit, on_sample, on_original)) => {
            let values = on_sample
                .iter()
                .zip(&on_original)
                .map(|(p_sample, p_original)| {
                    indexes(p_sample, &data.y)
                        .into_iter()
                        .zip(indexes(p_original, &cohort.y))
                        .map(|(a, b)| (a.unwrap_or(f64::NAN), b.unwrap_or(f64::NAN)))
                        .collect()
                })
                .collect();
            Replicate {
                sample: sample.to_vec(),
                failed: None,
                values,
                selected: fit.modalities.iter().map(|m| m.selected()).collect(),
                clinical_terms: fit.clinical.map(|c| c.terms).unwrap_or_default(),
            }
        }
    }
}

/// The [`INDEXES`] of probabilities `p` for outcomes `y`, each with the reason when undefined.
fn indexes(p: &[f64], y: &[bool]) -> Vec<std::result::Result<f64, String>> {
    let slope = mmrad_evaluation::calibration_slope(p, y).map_err(|e| e.to_string());
    vec![
        mmrad_evaluation::auc(p, y).map_err(|e| e.to_string()),
        mmrad_evaluation::brier(p, y).map_err(|e| e.to_string()),
        slope.clone().map(|(a, _)| a),
        slope.map(|(_, b)| b),
    ]
}

/// `optimism.csv`: `model,index,apparent,training,test,optimism,corrected,n`.
pub fn optimism_csv(result: &StudyOptimism) -> String {
    let mut csv = crate::output::Csv::new(&[
        "model",
        "index",
        "apparent",
        "training",
        "test",
        "optimism",
        "corrected",
        "n",
    ]);
    for model in &result.models {
        for row in &model.indexes {
            csv.row(vec![
                model.model.as_str().into(),
                row.index.into(),
                row.apparent.into(),
                row.training.into(),
                row.test.into(),
                row.optimism.into(),
                row.corrected.into(),
                row.used.into(),
            ]);
        }
    }
    csv.as_str().to_owned()
}

/// `optimism_replicates.csv`: `replicate,model,index,training,test` (one row per sample, model and index; empty
/// values for a failed or undefined fit).
pub fn replicates_csv(result: &StudyOptimism, model_ids: &[String]) -> String {
    let mut csv = crate::output::Csv::new(&["replicate", "model", "index", "training", "test"]);
    for (b, r) in result.replicates.iter().enumerate() {
        for (model_idx, model) in model_ids.iter().enumerate() {
            for (k, index) in INDEXES.iter().enumerate() {
                let (train, test) = r
                    .values
                    .get(model_idx)
                    .and_then(|v| v.get(k))
                    .copied()
                    .unwrap_or((f64::NAN, f64::NAN));
                let field = |v: f64| {
                    if v.is_finite() {
                        crate::output::Field::Float(v)
                    } else {
                        crate::output::Field::Empty
                    }
                };
                csv.row(vec![
                    b.into(),
                    model.as_str().into(),
                    (*index).into(),
                    field(train),
                    field(test),
                ]);
            }
        }
    }
    csv.as_str().to_owned()
}

/// `optimism_selected.csv`: `replicate,modality,feature,coef`, the signature selected in each bootstrap sample
/// (the evidence that selection is refitted per sample; with `selected.csv`, the selection frequency).
pub fn selected_csv(result: &StudyOptimism, plan: &Plan, cohort: &Cohort) -> String {
    let mut csv = crate::output::Csv::new(&["replicate", "modality", "feature", "coef"]);
    for (b, r) in result.replicates.iter().enumerate() {
        for ((modality, selected), (_, table)) in
            plan.modalities.iter().zip(&r.selected).zip(&cohort.features)
        {
            for &(column, coef) in selected {
                let name = table.names().get(column).map_or(String::new(), |n| n.0.clone());
                csv.row(vec![
                    b.into(),
                    modality.modality.as_str().into(),
                    name.into(),
                    coef.into(),
                ]);
            }
        }
    }
    csv.as_str().to_owned()
}
