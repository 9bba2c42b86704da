//! Two-sample tests: Mann–Whitney U (asymptotic normal approximation) and Welch's unequal-variance t test.

use crate::dist::{normal_sf, t_sf};
use crate::ranks::ranks_and_ties;
use crate::{Error, Result};

/// Result of [`mann_whitney_u`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// `U₁ = R₁ - n₁(n₁+1)/2`, the statistic of the first sample (scipy's `statistic`).
    pub u: f64,
    /// The continuity-corrected, tie-corrected z of `max(U₁, U₂)`.
    pub z: f64,
    /// Two-sided p value.
    pub p: f64,
}

/// Result of [`welch_t`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WelchT {
    /// `(x̄ - ȳ) / sqrt(s²ₓ/nₓ + s²ᵧ/nᵧ)`.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p value.
    pub p: f64,
}

/// Two-sided Mann–Whitney U test, normal approximation with continuity and tie correction.
///
/// This is `scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)`
/// and R `wilcox.test(x, y, exact = FALSE, correct = TRUE)`:
/// `z = (max(U₁, U₂) - n₁n₂/2 - 1/2) / σ`,
/// `σ² = n₁n₂/12 · ((n+1) - Σ(tⱼ³ - tⱼ)/(n(n-1)))` over tie groups `tⱼ`, `p = min(1, 2(1 - Φ(z)))`.
///
/// # Errors
/// [`Error::TooFew`] when a sample is empty, [`Error::NonFinite`] for NaN/infinite values (index into the
/// concatenation `x ++ y`), [`Error::InvalidArgument`] when every value is tied (σ = 0; scipy returns NaN).
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> Result<MannWhitney> {
    if x.is_empty() || y.is_empty() {
        let (what, found) = if x.is_empty() {
            ("x", x.len())
        } else {
            ("y", y.len())
        };
        return Err(Error::TooFew {
            what,
            needed: 1,
            found,
        });
    }
    let pooled: Vec<f64> = x.iter().chain(y).copied().collect();
    let (ranks, ties) = ranks_and_ties(&pooled)?;
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let n = n1 + n2;
    let rank_sum_x: f64 = ranks.iter().take(x.len()).sum();
    let u1 = rank_sum_x - n1 * (n1 + 1.0) / 2.0;
    let u2 = n1 * n2 - u1;
    let tie_term: f64 = ties.iter().map(|&t| (t as f64).powi(3) - t as f64).sum();
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance.is_nan() || variance <= 0.0 {
        return Err(Error::InvalidArgument {
            name: "x, y",
            value: x[0],
            reason: "every value is tied, so the Mann–Whitney test is undefined",
        });
    }
    let z = (u1.max(u2) - n1 * n2 / 2.0 - 0.5) / variance.sqrt();
    let p = (2.0 * normal_sf(z)).min(1.0);
    Ok(MannWhitney { u: u1, z, p })
}

/// Welch's two-sample t test (unequal variances), two-sided.
///
/// This is `scipy.stats.ttest_ind(x, y, equal_var=False)` and R `t.test(x, y)`.
///
/// # Errors
/// [`Error::TooFew`] when a sample has fewer than 2 values, [`Error::NonFinite`] for NaN/infinite values,
/// [`Error::InvalidArgument`] when both samples have zero variance.
pub fn welch_t(x: &[f64], y: &[f64]) -> Result<WelchT> {
    for (what, sample) in [("x", x), ("y", y)] {
        if sample.len() < 2 {
            return Err(Error::TooFew {
                what,
                needed: 2,
                found: sample.len(),
            });
        }
        crate::check_finite(what, sample)?;
    }
    let (mean_x, var_x) = mean_var(x);
    let (mean_y, var_y) = mean_var(y);
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let (a, b) = (var_x / n1, var_y / n2);
    if (a + b).is_nan() || a + b <= 0.0 {
        return Err(Error::InvalidArgument {
            name: "x, y",
            value: mean_x,
            reason: "both samples are constant, so the t statistic is undefined",
        });
    }
    let t = (mean_x - mean_y) / (a + b).sqrt();
    let df = (a + b).powi(2) / (a * a / (n1 - 1.0) + b * b / (n2 - 1.0));
    let p = (2.0 * t_sf(t.abs(), df)?).min(1.0);
    Ok(WelchT { t, df, p })
}

/// Mean and unbiased variance (two-pass).
fn mean_var(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    (mean, ss / (n - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degenerate_input_is_an_error() {
        assert!(matches!(
            mann_whitney_u(&[], &[1.0]),
            Err(Error::TooFew { what: "x", .. })
        ));
        assert!(matches!(
            mann_whitney_u(&[1.0, 1.0], &[1.0]),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            welch_t(&[1.0], &[1.0, 2.0]),
            Err(Error::TooFew { what: "x", .. })
        ));
        assert!(matches!(
            welch_t(&[1.0, 1.0], &[2.0, 2.0]),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            welch_t(&[1.0, f64::NAN], &[2.0, 2.0]),
            Err(Error::NonFinite { index: 1, .. })
        ));
    }

    #[test]
    fn symmetric_samples_have_p_one() {
        // Identical samples: U₁ = U₂ = n₁n₂/2, z < 0 after the continuity correction, p clipped to 1.
        let r = mann_whitney_u(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(r.p, 1.0);
        assert_eq!(r.u, 4.5);
    }
}
