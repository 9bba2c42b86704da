//! Spread of a metric across repeats (or bootstrap replicates): mean, sd, min, max, 2.5 % and 97.5 % quantiles.

use mmrad_core::SeededRng;
use mmrad_stats::{quantiles, stratified_bootstrap};

use crate::discrimination::auc;
use crate::{Error, Result};

/// Summary of repeated values of one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (`n - 1` denominator); NaN when `n = 1`.
    pub sd: f64,
    pub min: f64,
    pub max: f64,
    /// Type-7 quantiles at 0.025 and 0.975.
    pub q025: f64,
    pub q975: f64,
}

/// A percentile bootstrap confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootstrapCi {
    /// The statistic on the original sample.
    pub estimate: f64,
    /// Type-7 quantiles of the replicates at 0.025 and 0.975.
    pub lo: f64,
    pub hi: f64,
    pub replicates: usize,
}

/// Mean, sd, range and 95 % percentile range of `values` (for example one AUC per CV repeat).
///
/// # Errors
/// [`Error::Stats`] wrapping an empty input or a non-finite value (naming the index).
pub fn spread(values: &[f64]) -> Result<Spread> {
    let q = quantiles(values, &[0.0, 0.025, 0.975, 1.0])?;
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    let at = |k: usize| q.get(k).copied().unwrap_or(f64::NAN);
    Ok(Spread {
        n,
        mean,
        sd,
        min: at(0),
        max: at(3),
        q025: at(1),
        q975: at(2),
    })
}

/// Stratified percentile bootstrap CI of the AUC (the scheme of pROC `ci.auc(method = "bootstrap")` with its
/// default `stratified = TRUE`; the random stream is mmrad's, so limits differ from pROC's by Monte-Carlo error).
///
/// # Errors
/// As [`auc`]; [`Error::InvalidArgument`] when `replicates` is below 100.
pub fn bootstrap_auc_ci(
    scores: &[f64],
    y: &[bool],
    replicates: usize,
    rng: &mut SeededRng,
) -> Result<BootstrapCi> {
    let estimate = auc(scores, y)?;
    if replicates < 100 {
        return Err(Error::InvalidArgument {
            name: "replicates",
            value: replicates as f64,
            reason: "must be at least 100 for a percentile interval",
        });
    }
    let mut values = Vec::with_capacity(replicates);
    let mut resampled_scores = vec![0.0; scores.len()];
    let mut resampled_y = vec![false; y.len()];
    for _ in 0..replicates {
        let indices = stratified_bootstrap(y, rng)?;
        for (slot, &index) in indices.iter().enumerate() {
            resampled_scores[slot] = scores.get(index).copied().unwrap_or(f64::NAN);
            resampled_y[slot] = y.get(index).copied().unwrap_or(false);
        }
        values.push(auc(&resampled_scores, &resampled_y)?);
    }
    let q = quantiles(&values, &[0.025, 0.975])?;
    Ok(BootstrapCi {
        estimate,
        lo: q.first().copied().unwrap_or(f64::NAN),
        hi: q.get(1).copied().unwrap_or(f64::NAN),
        replicates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_closed_form() {
        let s = spread(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        // mean 2.5, sd sqrt(5/3); q025 = 1 + 0.075 · 1 (type 7: h = 3 · 0.025).
        assert_eq!((s.n, s.mean, s.min, s.max), (4, 2.5, 1.0, 4.0));
        assert!((s.sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!((s.q025 - 1.075).abs() < 1e-15 && (s.q975 - 3.925).abs() < 1e-15);
        assert!(spread(&[1.0]).unwrap().sd.is_nan());
        assert!(spread(&[]).is_err());
    }

    #[test]
    fn bootstrap_is_deterministic_and_brackets_the_estimate() {
        let y: Vec<bool> = (0..40).map(|i| i % 3 == 0).collect();
        let s: Vec<f64> = (0..40)
            .map(|i| (i % 7) as f64 + if i % 3 == 0 { 2.5 } else { 0.0 })
            .collect();
        let a = bootstrap_auc_ci(&s, &y, 500, &mut SeededRng::new(9)).unwrap();
        let b = bootstrap_auc_ci(&s, &y, 500, &mut SeededRng::new(9)).unwrap();
        assert_eq!(a, b);
        assert!(a.lo < a.estimate && a.estimate < a.hi, "{a:?}");
        assert!(bootstrap_auc_ci(&s, &y, 10, &mut SeededRng::new(9)).is_err());
    }
}
