//! Harrell's bootstrap optimism correction for a plain logistic model (no variable selection), the indexes and
//! arithmetic of `rms::validate(lrm(...), method = "boot")`.
//!
//! Harrell, Lee & Mark (1996), Stat Med 15:361; Efron & Tibshirani (1993) §17.6. For each bootstrap sample the
//! model is refitted; its indexes on the sample itself (`training`) minus its indexes on the original data
//! (`test`) estimate the optimism; `index_corrected = apparent - mean optimism`. The indexes, as rms defines them
//! for a linear predictor `x` and outcomes `y` (n cases):
//! - `Dxy = 2 (C - ½)`, C the AUC of `x` (Somers' rank correlation, `Hmisc::somers2`);
//! - `R2`: Nagelkerke, `(1 - exp(-LR/n)) / (1 - exp(-L₀/n))`, `L₀` the null deviance, `LR` the model χ²;
//! - `Intercept`, `Slope`: 0 and 1 on the fitting data, the logistic recalibration of `x` on the test data;
//! - `Emax`: `max |p - expit(a + b logit p)|` over `p = 0, 0.0005, …, 1` at the corrected intercept `a` and slope `b`;
//! - `D = (LR - 1)/n`, `U` (−2/n on the fitting data, `(L₀₁ - deviance(recalibration) - 2)/n` on the test data,
//!   `L₀₁` the deviance of `x` as given), `Q = D - U`;
//! - `B`: Brier score of `expit(x)`; `g`, `gp`: Gini mean difference of `x` and of the probabilities (after
//!   recalibration on the test data).

use mmrad_core::SeededRng;
use mmrad_stats::{IrlsOptions, LogisticFit, logistic_irls};
use ndarray::{Array1, Array2, ArrayView2};

use crate::discrimination::auc;
use crate::{Error, Result};

/// Index names in rms's order.
pub const OPTIMISM_INDEXES: [&str; 11] = [
    "Dxy",
    "R2",
    "Intercept",
    "Slope",
    "Emax",
    "D",
    "U",
    "Q",
    "B",
    "g",
    "gp",
];

/// One row of the validation table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptimismRow {
    /// One of [`OPTIMISM_INDEXES`].
    pub index: &'static str,
    /// On the model fitted to all data (rms `index.orig`).
    pub apparent: f64,
    /// Mean over bootstrap fits of the index on their own sample.
    pub training: f64,
    /// Mean over bootstrap fits of the index on the original data.
    pub test: f64,
    /// `training - test`.
    pub optimism: f64,
    /// `apparent - optimism`.
    pub corrected: f64,
}

/// The validation table and its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimism {
    pub rows: Vec<OptimismRow>,
    /// Bootstrap fits used (rms's `n` column).
    pub replicates: usize,
    /// Samples drawn again because they had fewer than 2 events or non-events (seeded version only).
    pub redraws: usize,
    /// Samples whose fit failed (separation or no convergence) and were left out, as rms does.
    pub failed_fits: usize,
}

/// Bootstrap optimism correction with `replicates` ordinary (unstratified) bootstrap samples drawn from `rng`.
///
/// `x` holds the predictors (no intercept column; one is added), `y` the outcomes.
///
/// # Errors
/// As [`logistic_optimism_with_samples`]; [`Error::InvalidArgument`] for fewer than 10 replicates.
pub fn logistic_optimism(
    x: ArrayView2<'_, f64>,
    y: &[bool],
    replicates: usize,
    rng: &mut SeededRng,
) -> Result<Optimism> {
    if replicates < 10 {
        return Err(Error::InvalidArgument {
            name: "replicates",
            value: replicates as f64,
            reason: "the optimism needs at least 10 bootstrap fits",
        });
    }
    let n = y.len();
    let mut samples = Vec::with_capacity(replicates);
    let mut redraws = 0;
    while samples.len() < replicates {
        let sample: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
        let events = sample
            .iter()
            .filter(|&&i| y.get(i).copied().unwrap_or(false))
            .count();
        if events < 2 || n - events < 2 {
            redraws += 1;
            if redraws > 100 * replicates {
                return Err(Error::Undefined {
                    what: "the bootstrap optimism",
                    reason: format!("{redraws} samples had fewer than 2 events or non-events"),
                });
            }
            continue;
        }
        samples.push(sample);
    }
    let mut result = logistic_optimism_with_samples(x, y, &samples)?;
    result.redraws = redraws;
    Ok(result)
}

/// Bootstrap optimism correction on given bootstrap samples (0-based row indices, one vector per replicate).
///
/// # Errors
/// [`Error::LengthMismatch`] when `x` and `y` differ in rows or a sample is not `n` long; [`Error::OneClass`];
/// [`Error::NonFinite`] for a non-finite predictor; [`Error::InvalidArgument`] for a row index out of range;
/// [`Error::Undefined`] when the fit on all data fails or every bootstrap fit fails.
pub fn logistic_optimism_with_samples(
    x: ArrayView2<'_, f64>,
    y: &[bool],
    samples: &[Vec<usize>],
) -> Result<Optimism> {
    let n = y.len();
    if x.nrows() != n {
        return Err(Error::LengthMismatch {
            what: "x rows",
            expected: n,
            found: x.nrows(),
        });
    }
    if let Some(index) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "x",
            index,
            value: x.iter().nth(index).copied().unwrap_or(f64::NAN),
        });
    }
    let events = y.iter().filter(|&&v| v).count();
    if events == 0 || events == n {
        return Err(Error::OneClass { events, n });
    }
    let outcome: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v))).collect();
    let full = fit(x, &outcome).ok_or_else(|| Error::Undefined {
        what: "the bootstrap optimism",
        reason: "the logistic model on all data did not converge or shows separation".to_string(),
    })?;
    let apparent = fitted_indexes(&linear_predictor(x, &full.coef), &outcome, &full)?;
    let mut training = [0.0; 10];
    let mut test = [0.0; 10];
    let mut used = 0usize;
    let mut failed_fits = 0usize;
    for sample in samples {
        if sample.len() != n {
            return Err(Error::LengthMismatch {
                what: "bootstrap sample",
                expected: n,
                found: sample.len(),
            });
        }
        if let Some(&bad) = sample.iter().find(|&&i| i >= n) {
            return Err(Error::InvalidArgument {
                name: "bootstrap sample index",
                value: bad as f64,
                reason: "a row index must be below the number of cases",
            });
        }
        let x_sample = x.select(ndarray::Axis(0), sample);
        let y_sample: Vec<f64> = sample.iter().map(|&i| outcome[i]).collect();
        let Some(boot) = fit(x_sample.view(), &y_sample) else {
            failed_fits += 1;
            continue;
        };
        let on_sample = fitted_indexes(&linear_predictor(x_sample.view(), &boot.coef), &y_sample, &boot)?;
        let Some(on_original) = test_indexes(&linear_predictor(x, &boot.coef), &outcome)? else {
            failed_fits += 1;
            continue;
        };
        for k in 0..10 {
            training[k] += on_sample[k];
            test[k] += on_original[k];
        }
        used += 1;
    }
    if used == 0 {
        return Err(Error::Undefined {
            what: "the bootstrap optimism",
            reason: format!("all {failed_fits} bootstrap fits failed"),
        });
    }
    let k = used as f64;
    let row = |index: &'static str, j: usize| {
        let (train, tst) = (training[j] / k, test[j] / k);
        OptimismRow {
            index,
            apparent: apparent[j],
            training: train,
            test: tst,
            optimism: train - tst,
            corrected: apparent[j] - (train - tst),
        }
    };
    // Rows without Emax, in rms order: Dxy, R2, Intercept, Slope | D, U, Q, B, g, gp.
    let names = ["Dxy", "R2", "Intercept", "Slope", "D", "U", "Q", "B", "g", "gp"];
    let mut rows: Vec<OptimismRow> = names.iter().enumerate().map(|(j, name)| row(name, j)).collect();
    let corrected = |j: usize| rows.get(j).map_or(f64::NAN, |r| r.corrected);
    let (a, b) = (corrected(2), corrected(3));
    let emax = (0..=2000)
        .map(|step| {
            let p = f64::from(step) * 5e-4;
            let calibrated = expit(a + b * (p / (1.0 - p)).ln());
            (p - calibrated).abs()
        })
        .filter(|d| !d.is_nan())
        .fold(0.0, f64::max);
    rows.insert(
        4,
        OptimismRow {
            index: "Emax",
            apparent: 0.0,
            training: 0.0,
            test: emax,
            optimism: emax,
            corrected: emax,
        },
    );
    Ok(Optimism {
        rows,
        replicates: used,
        redraws: 0,
        failed_fits,
    })
}

/// Logistic fit with an intercept; `None` when it does not converge or separates.
fn fit(x: ArrayView2<'_, f64>, y: &[f64]) -> Option<LogisticFit> {
    let (n, p) = x.dim();
    let design = Array2::from_shape_fn((n, p + 1), |(i, j)| if j == 0 { 1.0 } else { x[[i, j - 1]] });
    let outcome = Array1::from(y.to_vec());
    let options = IrlsOptions {
        tol: 1e-12,
        ..IrlsOptions::default()
    };
    match logistic_irls(design.view(), outcome.view(), &options) {
        Ok(f) if f.converged && !f.separation => Some(f),
        _ => None,
    }
}

fn linear_predictor(x: ArrayView2<'_, f64>, coef: &[f64]) -> Vec<f64> {
    x.rows()
        .into_iter()
        .map(|row| {
            let slopes = coef.get(1..).unwrap_or(&[]);
            coef.first().copied().unwrap_or(0.0) + row.iter().zip(slopes).map(|(v, c)| v * c).sum::<f64>()
        })
        .collect()
}

/// Indexes of a model on the data it was fitted to (rms `evalfit = TRUE`), without Emax.
fn fitted_indexes(lp: &[f64], y: &[f64], model: &LogisticFit) -> Result<[f64; 10]> {
    let n = y.len() as f64;
    let null = null_deviance(y);
    let lr = null - model.deviance;
    let d = (lr - 1.0) / n;
    let u = -2.0 / n;
    let probabilities: Vec<f64> = lp.iter().map(|&v| expit(v)).collect();
    Ok([
        dxy(lp, y)?,
        nagelkerke(lr, null, n),
        0.0,
        1.0,
        d,
        u,
        d - u,
        brier(&probabilities, y),
        gini_mean_difference(lp),
        gini_mean_difference(&probabilities),
    ])
}

/// Indexes of a linear predictor on new data (rms `evalfit = FALSE`): recalibrated; `None` when the
/// recalibration fit fails.
fn test_indexes(lp: &[f64], y: &[f64]) -> Result<Option<[f64; 10]>> {
    let n = y.len() as f64;
    let x = Array2::from_shape_fn((lp.len(), 1), |(i, _)| lp[i]);
    let Some(recalibration) = fit(x.view(), y) else {
        return Ok(None);
    };
    let coef = |j: usize| recalibration.coef.get(j).copied().unwrap_or(f64::NAN);
    let (intercept, slope) = (coef(0), coef(1));
    let null = null_deviance(y);
    let lr = null - recalibration.deviance;
    let d = (lr - 1.0) / n;
    let as_given: f64 = -2.0
        * lp.iter()
            .zip(y)
            .map(|(&v, &yi)| yi * v - log1p_exp(v))
            .sum::<f64>();
    let u = (as_given - recalibration.deviance - 2.0) / n;
    let probabilities: Vec<f64> = lp.iter().map(|&v| expit(v)).collect();
    let shrunk: Vec<f64> = lp.iter().map(|&v| slope * v).collect();
    let recalibrated: Vec<f64> = lp.iter().map(|&v| expit(intercept + slope * v)).collect();
    Ok(Some([
        dxy(lp, y)?,
        nagelkerke(lr, null, n),
        intercept,
        slope,
        d,
        u,
        d - u,
        brier(&probabilities, y),
        gini_mean_difference(&shrunk),
        gini_mean_difference(&recalibrated),
    ]))
}

fn dxy(lp: &[f64], y: &[f64]) -> Result<f64> {
    let events: Vec<bool> = y.iter().map(|&v| v > 0.5).collect();
    Ok(2.0 * (auc(lp, &events)? - 0.5))
}

fn nagelkerke(lr: f64, null: f64, n: f64) -> f64 {
    (1.0 - (-lr / n).exp()) / (1.0 - (-null / n).exp())
}

fn null_deviance(y: &[f64]) -> f64 {
    let n = y.len() as f64;
    let events: f64 = y.iter().sum();
    let rate = events / n;
    -2.0 * (events * rate.ln() + (n - events) * (1.0 - rate).ln())
}

fn brier(p: &[f64], y: &[f64]) -> f64 {
    p.iter().zip(y).map(|(pi, yi)| (yi - pi).powi(2)).sum::<f64>() / y.len() as f64
}

/// Gini's mean difference `Σ_{i<j} |vᵢ - vⱼ| / C(n, 2)` (`Hmisc::GiniMd`), from the sorted values.
fn gini_mean_difference(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let total: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, v)| (2.0 * i as f64 - (n as f64 - 1.0)) * v)
        .sum();
    total / (n as f64 * (n as f64 - 1.0) / 2.0)
}

/// `ln(1 + eᵛ)` without overflow.
fn log1p_exp(v: f64) -> f64 {
    if v > 35.0 { v + (-v).exp() } else { v.exp().ln_1p() }
}

fn expit(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_mean_difference_closed_form() {
        // Pairs of [1, 2, 4]: 1, 3, 2 → mean 2.
        assert!((gini_mean_difference(&[4.0, 1.0, 2.0]) - 2.0).abs() < 1e-15);
    }

    #[test]
    fn bad_input() {
        let x = Array2::from_shape_fn((6, 1), |(i, _)| i as f64);
        let y = [false, true, false, true, true, false];
        assert!(matches!(
            logistic_optimism(x.view(), &y, 5, &mut SeededRng::new(1)),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            logistic_optimism_with_samples(x.view(), &y, &[vec![0, 1, 2, 3, 4, 9]]),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            logistic_optimism_with_samples(x.view(), &[true; 6], &[]),
            Err(Error::OneClass { .. })
        ));
    }
}
