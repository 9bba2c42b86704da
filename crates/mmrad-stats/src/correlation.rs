//! Pearson and Spearman correlation coefficients.

use crate::ranks::average_ranks;
use crate::{Error, Result};

/// Pearson's product-moment correlation (two-pass, centred sums).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::TooFew`] (fewer than 2 pairs), [`Error::NonFinite`], and
/// [`Error::InvalidArgument`] when either input is constant (the correlation is undefined).
pub fn pearson(x: &[f64], y: &[f64]) -> Result<f64> {
    crate::check_len("y", x.len(), y.len())?;
    if x.len() < 2 {
        return Err(Error::TooFew {
            what: "pairs",
            needed: 2,
            found: x.len(),
        });
    }
    crate::check_finite("x", x)?;
    crate::check_finite("y", y)?;
    let n = x.len() as f64;
    let mean_x = x.iter().sum::<f64>() / n;
    let mean_y = y.iter().sum::<f64>() / n;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (dx, dy) = (a - mean_x, b - mean_y);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        let value = if sxx == 0.0 { mean_x } else { mean_y };
        return Err(Error::InvalidArgument {
            name: if sxx == 0.0 { "x" } else { "y" },
            value,
            reason: "is constant, so the correlation is undefined",
        });
    }
    Ok((sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0))
}

/// Spearman's rank correlation: Pearson's correlation of the average ranks (ties handled as scipy and R).
///
/// # Errors
/// As [`pearson`].
pub fn spearman(x: &[f64], y: &[f64]) -> Result<f64> {
    crate::check_len("y", x.len(), y.len())?;
    pearson(&average_ranks(x)?, &average_ranks(y)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form() {
        // Exactly linear data: r = ±1; monotone data: Spearman 1.
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]).unwrap() - 1.0).abs() < 1e-15);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-15);
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 8.0, 27.0, 64.0]).unwrap() - 1.0).abs() < 1e-15);
        assert!(matches!(
            pearson(&[1.0, 1.0], &[1.0, 2.0]),
            Err(Error::InvalidArgument { name: "x", .. })
        ));
        assert!(matches!(
            pearson(&[1.0], &[1.0, 2.0]),
            Err(Error::LengthMismatch { .. })
        ));
    }
}
