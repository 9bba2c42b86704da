//! Discrimination: AUC as the Mann–Whitney probability with ties counted one half, DeLong's variance and
//! confidence interval, and DeLong's paired test between two score vectors on the same cases.
//!
//! DeLong, DeLong & Clarke-Pearson (1988), Biometrics 44:837; computed with the placement values of
//! Sun & Xu (2014), IEEE Signal Process. Lett. 21:1389 ("fast DeLong"): for event `i` the placement
//! `V₁₀ᵢ = (Rᵢ - R⁽¹⁾ᵢ) / n₀` and for non-event `j` `V₀₁ⱼ = 1 - (Rⱼ - R⁽⁰⁾ⱼ) / n₁`, where `R` are mid-ranks in the
//! pooled sample and `R⁽¹⁾`, `R⁽⁰⁾` mid-ranks within the class. `Var(AUC) = S₁₀/n₁ + S₀₁/n₀` with the unbiased
//! sample (co)variances `S` of the placements; this is what pROC's `var(method = "delong")` computes.

use mmrad_stats::dist::normal_sf;
use mmrad_stats::ranks::average_ranks;

use crate::{Error, Result, Z_95};

/// AUC with its DeLong variance and 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeLong {
    pub auc: f64,
    /// DeLong variance of the AUC.
    pub var: f64,
    /// `auc - z √var` clipped to `[0, 1]` (`z = 1.959963984540054`), as pROC `ci.auc(method = "delong")`.
    pub lo: f64,
    /// `auc + z √var` clipped to `[0, 1]`.
    pub hi: f64,
}

/// DeLong's test for two correlated AUCs (the same cases scored twice).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedDeLong {
    pub auc_a: f64,
    pub auc_b: f64,
    /// `auc_a - auc_b`.
    pub diff: f64,
    /// `diff / √(var_a + var_b - 2 cov_ab)`.
    pub z: f64,
    /// Two-sided p value `2 (1 - Φ(|z|))`.
    pub p: f64,
}

/// The AUC: `P(score of an event > score of a non-event) + ½ P(tie)`, computed exactly from mid-ranks.
///
/// Higher scores must mean higher risk; nothing is flipped (unlike pROC's `direction = "auto"`).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::NonFinite`] (naming the index), [`Error::OneClass`].
///
/// # Examples
/// ```
/// let auc = mmrad_evaluation::auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true])?;
/// assert_eq!(auc, 0.75);
/// # Ok::<(), mmrad_evaluation::Error>(())
/// ```
pub fn auc(scores: &[f64], y: &[bool]) -> Result<f64> {
    let events = crate::check_scores("scores", scores, y)?;
    let ranks = average_ranks(scores)?;
    let rank_sum: f64 = ranks.iter().zip(y).filter(|(_, e)| **e).map(|(r, _)| r).sum();
    let (n1, n0) = (events as f64, (y.len() - events) as f64);
    Ok((rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0))
}

/// AUC, DeLong variance and 95 % CI.
///
/// # Errors
/// As [`auc`]; [`Error::Undefined`] when a class has a single case (its placement variance needs two).
pub fn delong(scores: &[f64], y: &[bool]) -> Result<DeLong> {
    let placements = Placements::new(scores, y)?;
    let var = placements.covariance(&placements);
    let half = Z_95 * var.sqrt();
    let auc = placements.auc;
    Ok(DeLong {
        auc,
        var,
        lo: (auc - half).clamp(0.0, 1.0),
        hi: (auc + half).clamp(0.0, 1.0),
    })
}

/// DeLong's paired test of `AUC(a) = AUC(b)`, as pROC `roc.test(method = "delong", paired = TRUE)`.
///
/// # Errors
/// As [`delong`] for each score vector; [`Error::Undefined`] when the difference has zero variance (for
/// example the two score vectors order the cases identically).
pub fn delong_paired(a: &[f64], b: &[f64], y: &[bool]) -> Result<PairedDeLong> {
    let placements_a = Placements::new(a, y)?;
    let placements_b = Placements::new(b, y)?;
    let var_diff = placements_a.covariance(&placements_a) + placements_b.covariance(&placements_b)
        - 2.0 * placements_a.covariance(&placements_b);
    let diff = placements_a.auc - placements_b.auc;
    if var_diff.is_nan() || var_diff <= 0.0 {
        return Err(Error::Undefined {
            what: "the paired DeLong test",
            reason: format!(
                "the AUC difference has variance {var_diff:e} (the two scores rank the cases alike)"
            ),
        });
    }
    let z = diff / var_diff.sqrt();
    let p = (2.0 * normal_sf(z.abs())).min(1.0);
    Ok(PairedDeLong {
        auc_a: placements_a.auc,
        auc_b: placements_b.auc,
        diff,
        z,
        p,
    })
}

/// Structural placement values of one score vector.
struct Placements {
    auc: f64,
    /// `V₁₀` for each event, in case order.
    events: Vec<f64>,
    /// `V₀₁` for each non-event, in case order.
    non_events: Vec<f64>,
}

impl Placements {
    fn new(scores: &[f64], y: &[bool]) -> Result<Placements> {
        let n_events = crate::check_scores("scores", scores, y)?;
        let n_non_events = y.len() - n_events;
        if n_events < 2 || n_non_events < 2 {
            return Err(Error::Undefined {
                what: "the DeLong variance",
                reason: format!(
                    "needs at least 2 events and 2 non-events; found {n_events} and {n_non_events}"
                ),
            });
        }
        let event_scores: Vec<f64> = scores
            .iter()
            .zip(y)
            .filter(|(_, e)| **e)
            .map(|(s, _)| *s)
            .collect();
        let non_event_scores: Vec<f64> = scores
            .iter()
            .zip(y)
            .filter(|(_, e)| !**e)
            .map(|(s, _)| *s)
            .collect();
        let pooled = average_ranks(scores)?;
        let within_events = average_ranks(&event_scores)?;
        let within_non_events = average_ranks(&non_event_scores)?;
        let pooled_events = pooled.iter().zip(y).filter(|(_, e)| **e).map(|(r, _)| *r);
        let pooled_non_events = pooled.iter().zip(y).filter(|(_, e)| !**e).map(|(r, _)| *r);
        let (n1, n0) = (n_events as f64, n_non_events as f64);
        let events: Vec<f64> = pooled_events
            .zip(&within_events)
            .map(|(r, w)| (r - w) / n0)
            .collect();
        let non_events: Vec<f64> = pooled_non_events
            .zip(&within_non_events)
            .map(|(r, w)| 1.0 - (r - w) / n1)
            .collect();
        // The AUC from the exact rank sum (the mean of the placements equals it up to rounding).
        let rank_sum: f64 = pooled.iter().zip(y).filter(|(_, e)| **e).map(|(r, _)| r).sum();
        let auc = (rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0);
        Ok(Placements {
            auc,
            events,
            non_events,
        })
    }

    /// DeLong covariance of two AUCs on the same cases: `S₁₀(a, b)/n₁ + S₀₁(a, b)/n₀`.
    fn covariance(&self, other: &Placements) -> f64 {
        sample_covariance(&self.events, &other.events) / self.events.len() as f64
            + sample_covariance(&self.non_events, &other.non_events) / self.non_events.len() as f64
    }
}

/// Unbiased sample covariance (two-pass); callers guarantee at least two values.
fn sample_covariance(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let mean_a = a.iter().sum::<f64>() / n;
    let mean_b = b.iter().sum::<f64>() / n;
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - mean_a) * (y - mean_b))
        .sum::<f64>()
        / (n - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_auc() {
        // Perfect, reversed and all-tied scores.
        let y = [false, false, true, true];
        assert_eq!(auc(&[0.1, 0.2, 0.3, 0.4], &y).unwrap(), 1.0);
        assert_eq!(auc(&[0.4, 0.3, 0.2, 0.1], &y).unwrap(), 0.0);
        assert_eq!(auc(&[0.5; 4], &y).unwrap(), 0.5);
        // One tie between an event and a non-event counts one half: (3 + 0.5) / 4.
        assert_eq!(auc(&[0.1, 0.3, 0.3, 0.4], &y).unwrap(), 0.875);
    }

    #[test]
    fn bad_input() {
        let y = [false, true, true];
        assert!(matches!(
            auc(&[0.1, f64::NAN, 0.2], &y),
            Err(Error::NonFinite { index: 1, .. })
        ));
        assert!(matches!(
            auc(&[0.1, 0.2], &y),
            Err(Error::LengthMismatch {
                expected: 3,
                found: 2,
                ..
            })
        ));
        assert!(matches!(
            auc(&[0.1, 0.2], &[true, true]),
            Err(Error::OneClass { events: 2, n: 2 })
        ));
        assert!(matches!(
            delong(&[0.1, 0.2, 0.3], &y),
            Err(Error::Undefined { .. })
        ));
        let y = [false, false, true, true];
        let s = [0.1, 0.2, 0.3, 0.4];
        assert!(matches!(delong_paired(&s, &s, &y), Err(Error::Undefined { .. })));
    }

    #[test]
    fn perfect_separation_has_zero_variance_and_clipped_ci() {
        let d = delong(&[0.1, 0.2, 0.3, 0.4], &[false, false, true, true]).unwrap();
        assert_eq!((d.auc, d.var, d.lo, d.hi), (1.0, 0.0, 1.0, 1.0));
    }
}
