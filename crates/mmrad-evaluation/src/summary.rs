//! [`summarize`]: the headline metrics of one probability vector against outcomes, in one call.

use crate::calibration::{
    brier, brier_scaled, calibration_in_the_large, calibration_slope, expected_observed_ratio,
    hosmer_lemeshow, smooth_calibration, spiegelhalter,
};
use crate::discrimination::delong;
use crate::{Error, Result};

/// Options of [`summarize_with_options`].
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `groups` | 10 | quantile groups of predicted risk for the Hosmer–Lemeshow test | ≥ 3 |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryOptions {
    pub groups: usize,
}

impl Default for SummaryOptions {
    fn default() -> SummaryOptions {
        SummaryOptions { groups: 10 }
    }
}

/// Headline metrics of predicted probabilities; a statistic that is undefined for these data (DeLong with a
/// single event, calibration under separation, Hosmer–Lemeshow with fewer than 3 risk groups) is NaN and
/// `diagnostics` says why.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub events: usize,
    pub auc: f64,
    /// DeLong 95 % CI, clipped to `[0, 1]`.
    pub auc_lo: f64,
    pub auc_hi: f64,
    /// DeLong variance of the AUC.
    pub auc_var: f64,
    pub brier: f64,
    pub brier_scaled: f64,
    /// Calibration-in-the-large (slope fixed at 1).
    pub cal_intercept: f64,
    /// Intercept of the free-slope recalibration (rms `val.prob` "Intercept").
    pub cal_intercept_free: f64,
    pub cal_slope: f64,
    pub hl_stat: f64,
    pub hl_df: usize,
    pub hl_p: f64,
    /// Expected over observed events `Σ p / Σ y`.
    pub eo_ratio: f64,
    /// Largest, 90th-percentile and mean absolute difference between the predictions and their
    /// lowess-smoothed observed rate (`rms::val.prob`'s Emax, E90, Eavg; `eavg` is the ICI).
    pub emax: f64,
    pub e90: f64,
    pub eavg: f64,
    /// Spiegelhalter's calibration z and two-sided p.
    pub spiegelhalter_z: f64,
    pub spiegelhalter_p: f64,
    /// One sentence per statistic reported as NaN.
    pub diagnostics: Vec<String>,
}

/// [`summarize_with_options`] with the default 10 risk groups.
///
/// # Errors
/// As [`summarize_with_options`].
///
/// # Examples
/// ```
/// let p = [0.1, 0.3, 0.2, 0.8, 0.6, 0.4, 0.7, 0.2, 0.9, 0.5];
/// let y = [false, false, true, true, false, false, true, false, true, true];
/// let summary = mmrad_evaluation::summarize(&p, &y)?;
/// assert_eq!(summary.events, 5);
/// assert!(summary.auc_lo <= summary.auc && summary.auc <= summary.auc_hi);
/// # Ok::<(), mmrad_evaluation::Error>(())
/// ```
pub fn summarize(scores: &[f64], y: &[bool]) -> Result<Summary> {
    summarize_with_options(scores, y, &SummaryOptions::default())
}

/// AUC with DeLong CI, Brier (+ scaled), calibration intercepts and slope, Hosmer–Lemeshow, E/O, the smoothed
/// calibration errors (Emax, E90, Eavg) and Spiegelhalter's test.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::NonFinite`] (naming the index), [`Error::OneClass`],
/// [`Error::NotProbability`] (scores must be probabilities), [`Error::InvalidArgument`] for `groups < 3`.
pub fn summarize_with_options(scores: &[f64], y: &[bool], options: &SummaryOptions) -> Result<Summary> {
    let events = crate::check_scores("scores", scores, y)?;
    crate::check_probabilities("scores", scores)?;
    if options.groups < 3 {
        return Err(Error::InvalidArgument {
            name: "groups",
            value: options.groups as f64,
            reason: "must be at least 3 for the Hosmer–Lemeshow test",
        });
    }
    let mut diagnostics = Vec::new();
    let auc = crate::discrimination::auc(scores, y)?;
    let (auc_lo, auc_hi, auc_var) = match delong(scores, y) {
        Ok(d) => (d.lo, d.hi, d.var),
        Err(err) => {
            undefined(&mut diagnostics, "auc_lo, auc_hi, auc_var", err)?;
            (f64::NAN, f64::NAN, f64::NAN)
        }
    };
    let cal_intercept = match calibration_in_the_large(scores, y) {
        Ok(intercept) => intercept,
        Err(err) => {
            undefined(&mut diagnostics, "cal_intercept", err)?;
            f64::NAN
        }
    };
    let (cal_intercept_free, cal_slope) = match calibration_slope(scores, y) {
        Ok(pair) => pair,
        Err(err) => {
            undefined(&mut diagnostics, "cal_intercept_free, cal_slope", err)?;
            (f64::NAN, f64::NAN)
        }
    };
    let (hl_stat, hl_df, hl_p) = match hosmer_lemeshow(scores, y, options.groups) {
        Ok(h) => (h.stat, h.df, h.p),
        Err(err) => {
            undefined(&mut diagnostics, "hl_stat, hl_p", err)?;
            (f64::NAN, 0, f64::NAN)
        }
    };
    let smooth = smooth_calibration(scores, y)?;
    let (spiegelhalter_z, spiegelhalter_p) = match spiegelhalter(scores, y) {
        Ok(s) => (s.z, s.p),
        Err(err) => {
            undefined(&mut diagnostics, "spiegelhalter_z, spiegelhalter_p", err)?;
            (f64::NAN, f64::NAN)
        }
    };
    Ok(Summary {
        n: y.len(),
        events,
        auc,
        auc_lo,
        auc_hi,
        auc_var,
        brier: brier(scores, y)?,
        brier_scaled: brier_scaled(scores, y)?,
        cal_intercept,
        cal_intercept_free,
        cal_slope,
        hl_stat,
        hl_df,
        hl_p,
        eo_ratio: expected_observed_ratio(scores, y)?,
        emax: smooth.emax,
        e90: smooth.e90,
        eavg: smooth.eavg,
        spiegelhalter_z,
        spiegelhalter_p,
        diagnostics,
    })
}

/// Records an [`Error::Undefined`] as a diagnostic (the caller reports NaN); passes any other error through.
fn undefined(diagnostics: &mut Vec<String>, fields: &str, err: Error) -> Result<()> {
    match err {
        Error::Undefined { .. } => {
            diagnostics.push(format!("{fields} set to NaN: {err}"));
            Ok(())
        }
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_statistics_are_nan_with_a_diagnostic() {
        // One event: DeLong undefined; logit(p) separates y: calibration undefined.
        let p = [0.1, 0.2, 0.3, 0.4, 0.9];
        let y = [false, false, false, false, true];
        let s = summarize_with_options(&p, &y, &SummaryOptions { groups: 3 }).unwrap();
        assert_eq!(s.auc, 1.0);
        assert!(s.auc_var.is_nan() && s.cal_slope.is_nan(), "{s:?}");
        assert_eq!(s.diagnostics.len(), 2, "{:?}", s.diagnostics);
        assert!(s.hl_stat.is_finite());
        assert!(matches!(
            summarize(&[0.1, 2.0], &[true, false]),
            Err(Error::NotProbability { index: 1, .. })
        ));
        assert!(matches!(
            summarize_with_options(&p, &y, &SummaryOptions { groups: 2 }),
            Err(Error::InvalidArgument { .. })
        ));
    }
}
