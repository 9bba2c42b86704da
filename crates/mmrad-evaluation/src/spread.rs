//! Spread of a metric across repeats (or bootstrap replicates): mean, sd, min, max, 2.5 % and 97.5 % quantiles.

use mmrad_stats::quantiles;

use crate::Result;

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
}
