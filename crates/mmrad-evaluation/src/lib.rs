//! mmrad-evaluation: metrics computed from (scores, outcomes) only.
//!
//! Every function takes `scores: &[f64]` (one per case; a predicted probability of the event where the metric
//! needs one) and `y: &[bool]` (`true` = event), checked to have the same length, no NaN score and both classes.
//!
//! Modules, in reading order:
//! - [`summary`]: [`summarize`], all headline metrics of one score vector in one call.
//! - [`discrimination`]: AUC (Mann–Whitney with ties), DeLong variance and 95 % CI, paired DeLong test.
//! - [`bootstrap`](mod@bootstrap): percentile bootstrap CI of the AUC and the paired bootstrap test (pROC's
//!   stratified scheme; samples with fewer than 2 events or non-events are redrawn and counted).
//! - [`calibration`](mod@calibration): Brier score (+ scaled), calibration-in-the-large, calibration slope and free intercept,
//!   grouped calibration table with Wilson intervals, Hosmer–Lemeshow test, and the rest of `rms::val.prob`:
//!   lowess-smoothed curve with Emax / E90 / Eavg (ICI), Spiegelhalter's z, expected/observed ratio.
//! - [`smooth`]: Cleveland's lowess, as R's `lowess`.
//! - [`optimism`]: Harrell's bootstrap optimism correction of a plain logistic model, as `rms::validate`.
//! - [`threshold`]: ROC curve points, confusion metrics with Wilson intervals at a threshold, Youden-optimal and
//!   fixed-sensitivity thresholds, decision-curve net benefit.
//! - [`spread`](mod@spread): spread of a metric over CV repeats.
//!
//! This crate never reads files, the clock or the environment, and knows nothing of the study's models: it only
//! sees the scores they produced (out-of-fold scores in a study). The one exception is [`optimism`], which refits
//! a plain logistic model on bootstrap samples of its predictors (the reference form of Harrell's method; the
//! study's whole-pipeline version belongs in mmrad-study).

pub mod bootstrap;
pub mod calibration;
pub mod discrimination;
pub mod optimism;
pub mod smooth;
pub mod spread;
pub mod summary;
pub mod threshold;

pub use bootstrap::{
    BootstrapCi, BootstrapOptions, PairedBootstrap, bootstrap_auc_ci, bootstrap_auc_ci_with_options,
    bootstrap_paired,
};
pub use calibration::{
    Calibration, CalibrationGroup, HosmerLemeshow, PROBABILITY_CLIP, SmoothCalibration, Spiegelhalter, brier,
    brier_scaled, calibration, calibration_in_the_large, calibration_slope, calibration_table,
    expected_observed_ratio, hosmer_lemeshow, smooth_calibration, spiegelhalter, wilson_interval,
};
pub use discrimination::{DeLong, PairedDeLong, auc, delong, delong_paired};
pub use optimism::{
    OPTIMISM_INDEXES, Optimism, OptimismRow, logistic_optimism, logistic_optimism_with_samples,
};
pub use smooth::{LowessOptions, lowess, lowess_with_options};
pub use spread::{Spread, spread};
pub use summary::{Summary, SummaryOptions, summarize, summarize_with_options};
pub use threshold::{
    NetBenefit, RocPoint, ThresholdCis, ThresholdMetrics, net_benefit, probability_threshold, roc_curve,
    sensitivity_threshold, threshold_metrics, youden_threshold,
};

/// Errors of the evaluation functions; each names the offending index, value or count.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Scores and outcomes (or two score vectors) differ in length.
    #[error("length mismatch: `{what}` has {found} values, expected {expected} (one per case)")]
    LengthMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// A NaN or infinite score.
    #[error("`{what}` at index {index} is `{value}`; every score must be finite")]
    NonFinite {
        what: &'static str,
        index: usize,
        value: f64,
    },
    /// Only one outcome class is present.
    #[error(
        "outcome has a single class ({events} events among {n} cases); the metric needs events and non-events"
    )]
    OneClass { events: usize, n: usize },
    /// A score outside `[0, 1]` where a probability is required.
    #[error(
        "`{what}` at index {index} is `{value}`, outside [0, 1]; Brier score and calibration need probabilities"
    )]
    NotProbability {
        what: &'static str,
        index: usize,
        value: f64,
    },
    /// A scalar argument outside its valid range.
    #[error("invalid argument `{name}` = `{value}`: {reason}")]
    InvalidArgument {
        name: &'static str,
        value: f64,
        reason: &'static str,
    },
    /// The statistic is undefined for these data (the reason says why).
    #[error("{what} is undefined: {reason}")]
    Undefined { what: &'static str, reason: String },
    /// An error from the statistics core.
    #[error(transparent)]
    Stats(#[from] mmrad_stats::Error),
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The two-sided 95 % normal quantile `Φ⁻¹(0.975)`, exact to the last digit (not 1.96).
pub const Z_95: f64 = 1.959963984540054;

/// Checks scores against outcomes: same length, finite scores, both classes present; returns the event count.
pub(crate) fn check_scores(what: &'static str, scores: &[f64], y: &[bool]) -> Result<usize> {
    if scores.len() != y.len() {
        return Err(Error::LengthMismatch {
            what,
            expected: y.len(),
            found: scores.len(),
        });
    }
    if let Some(index) = scores.iter().position(|s| !s.is_finite()) {
        return Err(Error::NonFinite {
            what,
            index,
            value: scores[index],
        });
    }
    let events = y.iter().filter(|&&v| v).count();
    if events == 0 || events == y.len() {
        return Err(Error::OneClass { events, n: y.len() });
    }
    Ok(events)
}

/// Checks that scores are probabilities in `[0, 1]`.
pub(crate) fn check_probabilities(what: &'static str, scores: &[f64]) -> Result<()> {
    match scores.iter().position(|s| !(0.0..=1.0).contains(s)) {
        Some(index) => Err(Error::NotProbability {
            what,
            index,
            value: scores[index],
        }),
        None => Ok(()),
    }
}
