//! Threshold-based metrics: confusion counts at a threshold, the Youden-optimal threshold, and decision-curve
//! net benefit (Vickers & Elkin 2006, Med Decis Making 26:565).
//!
//! A case is called positive when its score is at or above the threshold (`score ≥ t`), as pROC
//! (`controls < t ≤ cases`) and the decision-curve packages do.

use mmrad_stats::ranks::average_ranks;

use crate::{Error, Result};

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
