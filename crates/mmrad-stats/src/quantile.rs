//! Sample quantiles, Hyndman–Fan type 7 (the default of R `quantile` and `numpy.quantile`).

use crate::{Error, Result};

/// The type-7 quantile `q` of `values`: with the sorted sample `x₍₁₎ ≤ … ≤ x₍ₙ₎` and `h = (n-1) q`,
/// `x₍⌊h⌋+1₎ + (h - ⌊h⌋)(x₍⌊h⌋+2₎ - x₍⌊h⌋+1₎)`.
///
/// # Errors
/// [`Error::Empty`] for no values, [`Error::NonFinite`] for a NaN/infinite value, [`Error::InvalidArgument`]
/// when `q` is outside `[0, 1]`.
///
/// # Examples
/// ```
/// assert_eq!(mmrad_stats::quantile(&[1.0, 2.0, 3.0, 4.0], 0.5)?, 2.5);
/// # Ok::<(), mmrad_stats::Error>(())
/// ```
pub fn quantile(values: &[f64], q: f64) -> Result<f64> {
    Ok(quantiles(values, &[q])?.first().copied().unwrap_or(f64::NAN))
}

/// Several type-7 quantiles of the same sample (sorted once).
///
/// # Errors
/// As [`quantile`].
pub fn quantiles(values: &[f64], qs: &[f64]) -> Result<Vec<f64>> {
    if values.is_empty() {
        return Err(Error::Empty { what: "values" });
    }
    crate::check_finite("values", values)?;
    if let Some(&q) = qs.iter().find(|q| !(0.0..=1.0).contains(*q)) {
        return Err(Error::InvalidArgument {
            name: "q",
            value: q,
            reason: "must be in [0, 1]",
        });
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let last = sorted.len() - 1;
    Ok(qs
        .iter()
        .map(|&q| {
            let h = last as f64 * q;
            let lo = (h.floor() as usize).min(last);
            let hi = (lo + 1).min(last);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type7_matches_numpy() {
        // numpy.quantile([3, 1, 4, 1, 5, 9, 2, 6], [0, .1, .25, .5, .9, 1]) = [1, 1, 1.75, 3.5, 6.9, 9].
        let values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let got = quantiles(&values, &[0.0, 0.1, 0.25, 0.5, 0.9, 1.0]).unwrap();
        let expected = [1.0, 1.0, 1.75, 3.5, 6.9, 9.0];
        for (g, e) in got.iter().zip(expected) {
            // 1e-14: one interpolation step.
            assert!((g - e).abs() < 1e-14, "{got:?}");
        }
        assert!(matches!(quantile(&[], 0.5), Err(Error::Empty { .. })));
        assert!(quantile(&[1.0], 1.5).is_err());
        assert_eq!(quantile(&[7.0], 0.3).unwrap(), 7.0);
    }
}
