//! Calibration of predicted probabilities: Brier score (+ scaled), calibration-in-the-large, calibration slope
//! and free intercept, grouped calibration table with Wilson intervals, Hosmer–Lemeshow test, and the rest of
//! what `rms::val.prob` reports: the lowess-smoothed calibration curve with Emax, E90 and Eavg (ICI),
//! Spiegelhalter's z test, and the expected/observed ratio.
//!
//! Recalibration models are fitted with [`mmrad_stats::logistic_irls`] to a relative deviance change of 1e-10
//! plus one polishing Newton step (coefficients converged far below 1e-8). Probabilities of exactly 0 or 1 are
//! clipped to `[1e-15, 1 - 1e-15]` before taking logits (and in the Hosmer–Lemeshow variance); the Brier score
//! and the calibration table use the probabilities as given.

use mmrad_stats::logistic::logit;
use mmrad_stats::{IrlsOptions, LogisticFit, chi2_sf, logistic_irls, normal_sf, quantiles};
use ndarray::{Array1, Array2};

use crate::smooth::{LowessOptions, lowess_with_options};
use crate::{Error, Result, Z_95};

/// Probabilities are clipped to `[PROBABILITY_CLIP, 1 - PROBABILITY_CLIP]` before taking logits.
pub const PROBABILITY_CLIP: f64 = 1e-15;

/// Logistic recalibration of predicted probabilities `p` against outcomes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Calibration-in-the-large: `a` in `logit P(y) = a + logit(p)` (slope fixed at 1); 0 is ideal.
    pub intercept: f64,
    /// `a` in `logit P(y) = a + b logit(p)`; rms `val.prob` reports it as "Intercept".
    pub intercept_free: f64,
    /// `b` in `logit P(y) = a + b logit(p)`; 1 is ideal, below 1 means predictions too extreme.
    pub slope: f64,
}

/// One row of the grouped calibration table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationGroup {
    /// 1-based group number in increasing predicted risk (empty groups are skipped, so numbers are consecutive).
    pub group: usize,
    pub n: usize,
    pub events: usize,
    /// Mean predicted probability in the group.
    pub mean_predicted: f64,
    /// `events / n`.
    pub observed_rate: f64,
    /// Wilson score 95 % interval of the observed rate (`z = 1.959963984540054`).
    pub lo: f64,
    pub hi: f64,
}

/// Hosmer–Lemeshow goodness-of-fit test on the groups of [`calibration_table`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HosmerLemeshow {
    /// `Σ_g (O_g - E_g)² / (E_g (1 - E_g / n_g))` with `E_g = Σ p` over the group.
    pub stat: f64,
    /// Non-empty groups minus 2.
    pub df: usize,
    /// `P(χ²(df) > stat)`.
    pub p: f64,
}

/// Brier score `mean((p - y)²)`.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::NonFinite`], [`Error::OneClass`], [`Error::NotProbability`].
pub fn brier(p: &[f64], y: &[bool]) -> Result<f64> {
    crate::check_scores("p", p, y)?;
    crate::check_probabilities("p", p)?;
    let sum: f64 = p
        .iter()
        .zip(y)
        .map(|(&pi, &yi)| (pi - f64::from(u8::from(yi))).powi(2))
        .sum();
    Ok(sum / p.len() as f64)
}

/// Scaled Brier score `1 - brier / (ȳ (1 - ȳ))`, `ȳ` the event rate (the Brier score of predicting `ȳ` for
/// everyone); 1 is perfect, 0 is no better than the event rate.
///
/// # Errors
/// As [`brier`].
pub fn brier_scaled(p: &[f64], y: &[bool]) -> Result<f64> {
    let score = brier(p, y)?;
    let rate = y.iter().filter(|&&v| v).count() as f64 / y.len() as f64;
    Ok(1.0 - score / (rate * (1.0 - rate)))
}

/// Calibration-in-the-large, calibration slope and free intercept by logistic recalibration on `logit(p)`.
///
/// # Errors
/// As [`calibration_in_the_large`] and [`calibration_slope`].
pub fn calibration(p: &[f64], y: &[bool]) -> Result<Calibration> {
    let intercept = calibration_in_the_large(p, y)?;
    let (intercept_free, slope) = calibration_slope(p, y)?;
    Ok(Calibration {
        intercept,
        intercept_free,
        slope,
    })
}

/// Calibration-in-the-large: `a` in `logit P(y) = a + logit(p)`, the slope fixed at 1 (`logit(p)` an offset).
///
/// # Errors
/// As [`brier`]; [`Error::Undefined`] if the fit does not converge.
pub fn calibration_in_the_large(p: &[f64], y: &[bool]) -> Result<f64> {
    let (lp, outcome) = recalibration_data(p, y)?;
    let options = IrlsOptions {
        offset: Some(lp),
        ..IrlsOptions::default()
    };
    let fit = logistic_irls(Array2::ones((p.len(), 1)).view(), outcome.view(), &options)?;
    check_fit("calibration-in-the-large", &fit)?;
    Ok(fit.coef.first().copied().unwrap_or(f64::NAN))
}

/// Calibration slope and free intercept: `(a, b)` in `logit P(y) = a + b logit(p)`.
///
/// # Errors
/// As [`brier`]; [`Error::Undefined`] when `logit(p)` is constant, separates `y` (no maximum-likelihood
/// estimate) or the fit does not converge.
pub fn calibration_slope(p: &[f64], y: &[bool]) -> Result<(f64, f64)> {
    let (lp, outcome) = recalibration_data(p, y)?;
    let design = Array2::from_shape_fn((p.len(), 2), |(i, j)| if j == 0 { 1.0 } else { lp[i] });
    let fit = match logistic_irls(design.view(), outcome.view(), &IrlsOptions::default()) {
        Err(mmrad_stats::Error::SingularDesign { .. }) => {
            return Err(Error::Undefined {
                what: "the calibration slope",
                reason: "the predicted probabilities are all equal".to_string(),
            });
        }
        other => other?,
    };
    check_fit("the calibration slope", &fit)?;
    let coef = |j: usize| fit.coef.get(j).copied().unwrap_or(f64::NAN);
    Ok((coef(0), coef(1)))
}

/// Validated `logit(clip(p))` and 0/1 outcomes.
fn recalibration_data(p: &[f64], y: &[bool]) -> Result<(Vec<f64>, Array1<f64>)> {
    crate::check_scores("p", p, y)?;
    crate::check_probabilities("p", p)?;
    let lp = p.iter().map(|&pi| logit(clip(pi))).collect();
    let outcome = y.iter().map(|&v| f64::from(u8::from(v))).collect();
    Ok((lp, outcome))
}

/// A recalibration fit must converge without separation.
fn check_fit(what: &'static str, fit: &LogisticFit) -> Result<()> {
    if fit.separation || !fit.converged {
        return Err(Error::Undefined {
            what,
            reason: format!(
                "the recalibration fit {} after {} iterations",
                if fit.separation {
                    "shows separation of the outcome by logit(p)"
                } else {
                    "did not converge"
                },
                fit.iterations
            ),
        });
    }
    Ok(())
}

/// Grouped calibration table: `groups` quantile groups of predicted risk.
///
/// The cut points are the type-7 quantiles of `p` at `k/groups`, `k = 0..=groups`; duplicate cut points are
/// merged; group `k` holds `cut[k] < p ≤ cut[k+1]`, the first group also its lower edge (this is pandas
/// `qcut(p, groups, duplicates="drop")`). Empty groups are skipped.
///
/// # Errors
/// As [`brier`]; [`Error::InvalidArgument`] when `groups` is 0.
pub fn calibration_table(p: &[f64], y: &[bool], groups: usize) -> Result<Vec<CalibrationGroup>> {
    crate::check_scores("p", p, y)?;
    crate::check_probabilities("p", p)?;
    if groups == 0 {
        return Err(Error::InvalidArgument {
            name: "groups",
            value: 0.0,
            reason: "must be at least 1",
        });
    }
    let levels: Vec<f64> = (0..=groups).map(|k| k as f64 / groups as f64).collect();
    let mut cuts = quantiles(p, &levels)?;
    cuts.dedup();
    let n_bins = cuts.len().saturating_sub(1).max(1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_bins];
    for (index, &pi) in p.iter().enumerate() {
        // First upper edge at or above p; the maximum lands in the last bin.
        let bin = cuts
            .iter()
            .skip(1)
            .position(|&edge| pi <= edge)
            .unwrap_or(n_bins - 1);
        if let Some(bin_members) = members.get_mut(bin) {
            bin_members.push(index);
        }
    }
    let mut table = Vec::new();
    for bin_members in members.into_iter().filter(|m| !m.is_empty()) {
        let n = bin_members.len();
        let events = bin_members.iter().filter(|&&i| y[i]).count();
        let mean_predicted = bin_members.iter().map(|&i| p[i]).sum::<f64>() / n as f64;
        let (lo, hi) = wilson_interval(events, n, Z_95);
        table.push(CalibrationGroup {
            group: table.len() + 1,
            n,
            events,
            mean_predicted,
            observed_rate: events as f64 / n as f64,
            lo,
            hi,
        });
    }
    Ok(table)
}

/// Hosmer–Lemeshow test over the groups of [`calibration_table`], with `groups - 2` degrees of freedom
/// (groups counted after dropping empty ones). Probabilities are clipped as documented in the module.
///
/// # Errors
/// As [`calibration_table`]; [`Error::Undefined`] when fewer than 3 non-empty groups remain.
pub fn hosmer_lemeshow(p: &[f64], y: &[bool], groups: usize) -> Result<HosmerLemeshow> {
    let table = calibration_table(p, y, groups)?;
    if table.len() < 3 {
        return Err(Error::Undefined {
            what: "the Hosmer–Lemeshow test",
            reason: format!("only {} distinct risk groups (needs 3)", table.len()),
        });
    }
    // Group membership again, with clipped probabilities for the expected counts.
    let stat: f64 = table
        .iter()
        .map(|group| {
            let n = group.n as f64;
            let expected = clip(group.mean_predicted) * n;
            (group.events as f64 - expected).powi(2) / (expected * (1.0 - expected / n))
        })
        .sum();
    let df = table.len() - 2;
    let p_value = chi2_sf(stat, df as f64)?;
    Ok(HosmerLemeshow { stat, df, p: p_value })
}

/// The smoothed calibration curve and its error summaries, as `rms::val.prob` reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct SmoothCalibration {
    /// `max |p - s(p)|` over the cases, `s` the lowess-smoothed observed rate (`f = 2/3`, no robustness
    /// iterations, `delta` 1 % of the range: `lowess(p, y, iter = 0)`).
    pub emax: f64,
    /// Type-7 90 % quantile of `|p - s(p)|`.
    pub e90: f64,
    /// `mean |p - s(p)|`; this is the integrated calibration index (ICI) of Austin & Steyerberg (2019), Stat Med
    /// 38:4051, with val.prob's lowess in place of their loess.
    pub eavg: f64,
    /// `s(p)` at each case, in case order (tied predictions share the mean of their fits, as `approx(ties = mean)`).
    pub smoothed: Vec<f64>,
}

/// Spiegelhalter's (1986) z test of calibration, `rms::val.prob`'s `S:z` and `S:p`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spiegelhalter {
    /// `Σ (y - p)(1 - 2p) / √Σ (1 - 2p)² p (1 - p)`.
    pub z: f64,
    /// Two-sided `2 Φ(-|z|)`.
    pub p: f64,
}

/// Lowess-smoothed calibration curve with Emax, E90 and Eavg (ICI) exactly as `rms::val.prob` computes them.
///
/// # Errors
/// As [`brier`].
///
/// # Examples
/// ```
/// let p = [0.1, 0.3, 0.2, 0.8, 0.6, 0.4, 0.7, 0.2, 0.9, 0.5];
/// let y = [false, false, true, true, false, false, true, false, true, true];
/// let curve = mmrad_evaluation::smooth_calibration(&p, &y)?;
/// assert!(curve.eavg <= curve.e90 && curve.e90 <= curve.emax);
/// # Ok::<(), mmrad_evaluation::Error>(())
/// ```
pub fn smooth_calibration(p: &[f64], y: &[bool]) -> Result<SmoothCalibration> {
    crate::check_scores("p", p, y)?;
    crate::check_probabilities("p", p)?;
    let outcome: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v))).collect();
    let options = LowessOptions {
        iterations: 0,
        ..LowessOptions::default()
    };
    let fitted = lowess_with_options(p, &outcome, &options)?;
    // `approx(..., ties = mean)`: tied predictions take the mean of their fitted values.
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut smoothed = fitted.clone();
    for group in order.chunk_by(|&a, &b| p[a] == p[b]) {
        let mean = group.iter().map(|&i| fitted[i]).sum::<f64>() / group.len() as f64;
        for &i in group {
            smoothed[i] = mean;
        }
    }
    let errors: Vec<f64> = p.iter().zip(&smoothed).map(|(pi, si)| (pi - si).abs()).collect();
    let e90 = quantiles(&errors, &[0.9])?.first().copied().unwrap_or(f64::NAN);
    Ok(SmoothCalibration {
        emax: errors.iter().copied().fold(0.0, f64::max),
        e90,
        eavg: errors.iter().sum::<f64>() / errors.len() as f64,
        smoothed,
    })
}

/// Spiegelhalter's z test that the predictions are calibrated.
///
/// # Errors
/// As [`brier`]; [`Error::Undefined`] when every prediction is 0, ½ or 1 (the variance `Σ (1 - 2p)² p (1 - p)`
/// is zero).
pub fn spiegelhalter(p: &[f64], y: &[bool]) -> Result<Spiegelhalter> {
    crate::check_scores("p", p, y)?;
    crate::check_probabilities("p", p)?;
    let (mut numerator, mut variance) = (0.0, 0.0);
    for (&pi, &yi) in p.iter().zip(y) {
        let lever = 1.0 - 2.0 * pi;
        numerator += (f64::from(u8::from(yi)) - pi) * lever;
        variance += lever * lever * pi * (1.0 - pi);
    }
    if variance <= 0.0 {
        return Err(Error::Undefined {
            what: "the Spiegelhalter z test",
            reason: "every prediction is 0, 0.5 or 1, so the statistic has zero variance".to_string(),
        });
    }
    let z = numerator / variance.sqrt();
    Ok(Spiegelhalter {
        z,
        p: (2.0 * normal_sf(z.abs())).min(1.0),
    })
}

/// Expected over observed events, `Σ p / Σ y`; 1 is ideal, above 1 means risk over-estimated.
///
/// # Errors
/// As [`brier`] (both classes are required, so the denominator is positive).
pub fn expected_observed_ratio(p: &[f64], y: &[bool]) -> Result<f64> {
    let events = crate::check_scores("p", p, y)?;
    crate::check_probabilities("p", p)?;
    Ok(p.iter().sum::<f64>() / events as f64)
}

/// Wilson score interval for `events` successes in `n` trials at normal quantile `z`, clipped to `[0, 1]`;
/// `(NaN, NaN)` when `n` is 0.
pub fn wilson_interval(events: usize, n: usize, z: f64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let n = n as f64;
    let rate = events as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (rate + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (rate * (1.0 - rate) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).clamp(0.0, 1.0), (centre + half).clamp(0.0, 1.0))
}

fn clip(p: f64) -> f64 {
    p.clamp(PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form() {
        let y = [false, true, false, true];
        // (0.01 + 0.04 + 0.09 + 0.16) / 4 = 0.075; scaled: 1 - 0.075 / 0.25 = 0.7.
        let p = [0.1, 0.8, 0.3, 0.6];
        assert!((brier(&p, &y).unwrap() - 0.075).abs() < 1e-15);
        assert!((brier_scaled(&p, &y).unwrap() - 0.7).abs() < 1e-15);
        // Predicting the event rate for everyone: calibration-in-the-large 0, scaled Brier 0; the slope is
        // undefined (logit(p) is constant, a singular design).
        let flat = [0.5; 4];
        assert!(calibration_in_the_large(&flat, &y).unwrap().abs() < 1e-12);
        assert!(matches!(
            calibration_slope(&flat, &y),
            Err(Error::Undefined { .. })
        ));
        assert!(brier_scaled(&flat, &y).unwrap().abs() < 1e-15);
        // Wilson interval of 0/10 has lower limit 0 and upper z²/(n + z²).
        let (lo, hi) = wilson_interval(0, 10, Z_95);
        assert_eq!(lo, 0.0);
        assert!((hi - Z_95 * Z_95 / (10.0 + Z_95 * Z_95)).abs() < 1e-15);
    }

    #[test]
    fn bad_input() {
        let y = [false, true, false];
        assert!(matches!(
            brier(&[0.1, 1.2, 0.3], &y),
            Err(Error::NotProbability { index: 1, .. })
        ));
        assert!(matches!(
            calibration(&[0.1, -0.2, 0.3], &y),
            Err(Error::NotProbability { index: 1, .. })
        ));
        assert!(matches!(
            calibration_table(&[0.1, 0.2, 0.3], &y, 0),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            hosmer_lemeshow(&[0.1, 0.2, 0.3], &y, 2),
            Err(Error::Undefined { .. })
        ));
        // Separation of y by logit(p): the slope is undefined.
        assert!(matches!(
            calibration(&[0.1, 0.9, 0.2], &y),
            Err(Error::Undefined { .. })
        ));
    }

    #[test]
    fn exact_zero_and_one_are_clipped() {
        // Probabilities 0 and 1 give finite logits ±34.5 after clipping; the in-the-large fit still converges.
        let y = [false, true, false, true, true, false];
        let p = [0.0, 1.0, 0.2, 0.7, 0.4, 0.6];
        let c = calibration(&p, &y).unwrap();
        assert!(c.intercept.is_finite() && c.slope.is_finite(), "{c:?}");
    }
}
