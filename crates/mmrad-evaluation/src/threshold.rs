//! Threshold-based metrics: the ROC curve points, confusion counts at a threshold with Wilson intervals, the
//! Youden-optimal and fixed-sensitivity thresholds, and decision-curve net benefit (Vickers & Elkin 2006, Med
//! Decis Making 26:565).
//!
//! A case is called positive when its score is at or above the threshold (`score ≥ t`), as pROC
//! (`controls < t ≤ cases`) and the decision-curve packages do.

use mmrad_stats::ranks::average_ranks;

use crate::calibration::wilson_interval;
use crate::{Error, Result, Z_95};

/// Confusion counts and rates at one threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdMetrics {
    pub threshold: f64,
    pub true_positives: usize,
    pub false_positives: usize,
    pub true_negatives: usize,
    pub false_negatives: usize,
    /// `TP / (TP + FN)`.
    pub sensitivity: f64,
    /// `TN / (TN + FP)`.
    pub specificity: f64,
    /// `TP / (TP + FP)`; NaN when nothing is called positive.
    pub ppv: f64,
    /// `TN / (TN + FN)`; NaN when nothing is called negative.
    pub npv: f64,
    /// `(TP + TN) / n`.
    pub accuracy: f64,
}

/// Wilson score 95 % intervals of the rates of a [`ThresholdMetrics`] (`(lo, hi)`; `(NaN, NaN)` for a rate with
/// an empty denominator, which is then NaN itself).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdCis {
    pub sensitivity: (f64, f64),
    pub specificity: (f64, f64),
    pub ppv: (f64, f64),
    pub npv: (f64, f64),
    pub accuracy: (f64, f64),
}

/// One point of the empirical ROC curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RocPoint {
    /// Cases with `score ≥ threshold` are called positive.
    pub threshold: f64,
    pub sensitivity: f64,
    pub specificity: f64,
}

impl ThresholdMetrics {
    /// Wilson score 95 % intervals (`z = 1.959963984540054`) of sensitivity, specificity, PPV, NPV and
    /// accuracy; the same interval as R's `prop.test(x, n, correct = FALSE)`.
    pub fn wilson_cis(&self) -> ThresholdCis {
        let (tp, fp, tn, fn_) = (
            self.true_positives,
            self.false_positives,
            self.true_negatives,
            self.false_negatives,
        );
        ThresholdCis {
            sensitivity: wilson_interval(tp, tp + fn_, Z_95),
            specificity: wilson_interval(tn, tn + fp, Z_95),
            ppv: wilson_interval(tp, tp + fp, Z_95),
            npv: wilson_interval(tn, tn + fn_, Z_95),
            accuracy: wilson_interval(tp + tn, tp + fp + tn + fn_, Z_95),
        }
    }
}

/// The empirical ROC curve as pROC `coords(roc, "all")` lists it (direction `<`): thresholds `-∞`, the midpoints
/// between consecutive distinct scores, and `+∞`, ascending, so sensitivity falls from 1 to 0.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::NonFinite`], [`Error::OneClass`].
///
/// # Examples
/// ```
/// let curve = mmrad_evaluation::roc_curve(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true])?;
/// assert_eq!(curve.len(), 5);
/// assert_eq!((curve[0].sensitivity, curve[0].specificity), (1.0, 0.0));
/// # Ok::<(), mmrad_evaluation::Error>(())
/// ```
pub fn roc_curve(scores: &[f64], y: &[bool]) -> Result<Vec<RocPoint>> {
    crate::check_scores("scores", scores, y)?;
    Ok(candidate_thresholds(scores, true)
        .into_iter()
        .map(|threshold| {
            let m = counts(scores, y, threshold);
            RocPoint {
                threshold,
                sensitivity: m.sensitivity,
                specificity: m.specificity,
            }
        })
        .collect())
}

/// The highest threshold of [`roc_curve`] whose sensitivity is at least `target`, so the most specific rule that
/// reaches it; `-∞` (everyone positive) when only that rule does.
///
/// # Errors
/// As [`roc_curve`]; [`Error::InvalidArgument`] when `target` is outside `(0, 1]`.
pub fn sensitivity_threshold(scores: &[f64], y: &[bool], target: f64) -> Result<ThresholdMetrics> {
    crate::check_scores("scores", scores, y)?;
    if !(target > 0.0 && target <= 1.0) {
        return Err(Error::InvalidArgument {
            name: "sensitivity",
            value: target,
            reason: "a target sensitivity must be in (0, 1]",
        });
    }
    let mut best = counts(scores, y, f64::NEG_INFINITY);
    for threshold in candidate_thresholds(scores, false) {
        let metrics = counts(scores, y, threshold);
        if metrics.sensitivity >= target {
            best = metrics;
        } else {
            // Sensitivity only falls as the threshold rises.
            break;
        }
    }
    Ok(best)
}

/// Confusion counts and rates at a fixed probability threshold, which must lie in `(0, 1)`.
///
/// # Errors
/// As [`threshold_metrics`]; [`Error::InvalidArgument`] when `threshold` is outside `(0, 1)`.
pub fn probability_threshold(p: &[f64], y: &[bool], threshold: f64) -> Result<ThresholdMetrics> {
    crate::check_scores("p", p, y)?;
    crate::check_probabilities("p", p)?;
    if !(threshold > 0.0 && threshold < 1.0) {
        return Err(Error::InvalidArgument {
            name: "threshold",
            value: threshold,
            reason: "a probability threshold must be in (0, 1)",
        });
    }
    Ok(counts(p, y, threshold))
}

/// Midpoints between consecutive distinct scores, ascending; with `-∞` and `+∞` around them when `ends`.
fn candidate_thresholds(scores: &[f64], ends: bool) -> Vec<f64> {
    let mut distinct = scores.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let mut thresholds = Vec::with_capacity(distinct.len() + 1);
    if ends {
        thresholds.push(f64::NEG_INFINITY);
    }
    thresholds.extend(distinct.windows(2).map(|pair| (pair[0] + pair[1]) / 2.0));
    if ends {
        thresholds.push(f64::INFINITY);
    }
    thresholds
}

/// Decision-curve net benefit at one threshold probability `t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetBenefit {
    pub threshold: f64,
    /// `TP/n - FP/n · t/(1-t)` for the model's rule `p ≥ t`.
    pub model: f64,
    /// Net benefit of treating everyone: `ȳ - (1-ȳ) · t/(1-t)`; treating no one is 0.
    pub treat_all: f64,
}

/// Confusion counts and rates when `score ≥ threshold` is called positive.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::NonFinite`], [`Error::OneClass`]; [`Error::InvalidArgument`] for a NaN
/// threshold.
pub fn threshold_metrics(scores: &[f64], y: &[bool], threshold: f64) -> Result<ThresholdMetrics> {
    crate::check_scores("scores", scores, y)?;
    if threshold.is_nan() {
        return Err(Error::InvalidArgument {
            name: "threshold",
            value: threshold,
            reason: "must not be NaN",
        });
    }
    Ok(counts(scores, y, threshold))
}

/// The threshold maximising Youden's `J = sensitivity + specificity - 1`.
///
/// Candidate thresholds are the midpoints between consecutive distinct scores (as pROC's `coords(..., "best")`);
/// among equal maxima of `J` the lowest threshold is returned.
///
/// # Errors
/// As [`threshold_metrics`]; [`Error::Undefined`] when all scores are equal.
pub fn youden_threshold(scores: &[f64], y: &[bool]) -> Result<ThresholdMetrics> {
    crate::check_scores("scores", scores, y)?;
    // Validates finiteness once more through the ranking (cheap) and gives sorted distinct values.
    average_ranks(scores)?;
    let mut distinct = scores.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let mut best: Option<ThresholdMetrics> = None;
    for pair in distinct.windows(2) {
        let threshold = (pair[0] + pair[1]) / 2.0;
        let metrics = counts(scores, y, threshold);
        let j = metrics.sensitivity + metrics.specificity;
        if best.is_none_or(|b| j > b.sensitivity + b.specificity) {
            best = Some(metrics);
        }
    }
    best.ok_or_else(|| Error::Undefined {
        what: "the Youden threshold",
        reason: "all scores are equal, so no threshold separates them".to_string(),
    })
}

/// Net benefit of the rule `p ≥ t` and of treating everyone, at each threshold probability.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::NonFinite`], [`Error::OneClass`], [`Error::NotProbability`];
/// [`Error::InvalidArgument`] for a threshold outside `(0, 1)`.
pub fn net_benefit(p: &[f64], y: &[bool], thresholds: &[f64]) -> Result<Vec<NetBenefit>> {
    crate::check_scores("p", p, y)?;
    crate::check_probabilities("p", p)?;
    if let Some(&t) = thresholds.iter().find(|t| !(**t > 0.0 && **t < 1.0)) {
        return Err(Error::InvalidArgument {
            name: "threshold",
            value: t,
            reason: "must be in (0, 1)",
        });
    }
    let n = p.len() as f64;
    let prevalence = y.iter().filter(|&&v| v).count() as f64 / n;
    Ok(thresholds
        .iter()
        .map(|&t| {
            let c = counts(p, y, t);
            let odds = t / (1.0 - t);
            NetBenefit {
                threshold: t,
                model: c.true_positives as f64 / n - c.false_positives as f64 / n * odds,
                treat_all: prevalence - (1.0 - prevalence) * odds,
            }
        })
        .collect())
}

fn counts(scores: &[f64], y: &[bool], threshold: f64) -> ThresholdMetrics {
    let (mut tp, mut fp, mut tn, mut fn_) = (0usize, 0usize, 0usize, 0usize);
    for (&s, &event) in scores.iter().zip(y) {
        match (s >= threshold, event) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fn_ += 1,
        }
    }
    let ratio = |a: usize, b: usize| {
        if a + b == 0 {
            f64::NAN
        } else {
            a as f64 / (a + b) as f64
        }
    };
    ThresholdMetrics {
        threshold,
        true_positives: tp,
        false_positives: fp,
        true_negatives: tn,
        false_negatives: fn_,
        sensitivity: ratio(tp, fn_),
        specificity: ratio(tn, fp),
        ppv: ratio(tp, fp),
        npv: ratio(tn, fn_),
        accuracy: (tp + tn) as f64 / scores.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form() {
        let y = [false, false, true, true, false, true];
        let s = [0.1, 0.4, 0.35, 0.8, 0.6, 0.9];
        let m = threshold_metrics(&s, &y, 0.5).unwrap();
        // Called positive: 0.8 (event), 0.6 (non-event), 0.9 (event).
        assert_eq!(
            (
                m.true_positives,
                m.false_positives,
                m.true_negatives,
                m.false_negatives
            ),
            (2, 1, 2, 1)
        );
        assert_eq!(
            (m.sensitivity, m.specificity, m.accuracy),
            (2.0 / 3.0, 2.0 / 3.0, 4.0 / 6.0)
        );
        // Net benefit at t = 0.5: 2/6 - 1/6 · 1 = 1/6; treat all: 1/2 - 1/2 = 0.
        let nb = net_benefit(&s, &y, &[0.5]).unwrap();
        assert!((nb[0].model - 1.0 / 6.0).abs() < 1e-15 && nb[0].treat_all.abs() < 1e-15);
        assert!(net_benefit(&s, &y, &[1.0]).is_err());
        // Youden: sorted 0.1 n, 0.35 e, 0.4 n, 0.6 n, 0.8 e, 0.9 e; the cut 0.7 gives sens 2/3, spec 1 (J = 2/3),
        // every other cut less.
        let best = youden_threshold(&s, &y).unwrap();
        assert!((best.threshold - 0.7).abs() < 1e-15, "{best:?}");
        // Equal maxima (cuts 1.5 and 3.5 both give J = 1/2, 2.5 gives 0): the lower threshold wins.
        let tied = youden_threshold(&[1.0, 2.0, 3.0, 4.0], &[false, true, false, true]).unwrap();
        assert_eq!(tied.threshold, 1.5);
        assert!(matches!(
            youden_threshold(&[0.5; 6], &y),
            Err(Error::Undefined { .. })
        ));
    }
}
