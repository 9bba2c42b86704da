//! PyRadiomics' voxel-wise filters `Square`, `SquareRoot`, `Logarithm` and `Exponential` (imageoperations.py).
//!
//! Each rescales by the largest absolute intensity of the whole filtered grid, so the result depends on the voxels
//! outside the ROI too, exactly as in PyRadiomics. An image that is zero everywhere has no scale: PyRadiomics yields
//! NaN voxels (a division by zero); here it is an error.

use ndarray::Array3;

use crate::{ImageError, Result};

/// `(c·x)²` with `c = 1 / √max|x|` (PyRadiomics `getSquareImage`).
///
/// # Errors
/// [`ImageError::Filter`] when the image is zero everywhere (or not finite).
pub fn square(data: &Array3<f64>) -> Result<Array3<f64>> {
    let max_abs = max_abs(data, "square")?;
    let coefficient = 1.0 / max_abs.sqrt();
    Ok(data.mapv(|v| {
        let scaled = coefficient * v;
        scaled * scaled
    }))
}

/// `√(c·x)` for `x > 0`, `−√(−x·c)` for `x < 0`, with `c = max|x|` (PyRadiomics `getSquareRootImage`).
///
/// # Errors
/// [`ImageError::Filter`] when the image is zero everywhere (or not finite).
pub fn square_root(data: &Array3<f64>) -> Result<Array3<f64>> {
    let coefficient = max_abs(data, "squareroot")?;
    Ok(data.mapv(|v| {
        if v > 0.0 {
            (v * coefficient).sqrt()
        } else if v < 0.0 {
            -(-v * coefficient).sqrt()
        } else {
            v
        }
    }))
}

/// `log(x + 1)` for `x > 0`, `−log(−(x − 1))` for `x < 0`, then rescaled so that the largest absolute value equals
/// the original's (PyRadiomics `getLogarithmImage`).
///
/// # Errors
/// [`ImageError::Filter`] when the image is zero everywhere (or not finite).
pub fn logarithm(data: &Array3<f64>) -> Result<Array3<f64>> {
    let original_max = max_abs(data, "logarithm")?;
    let logged = data.mapv(|v| {
        if v > 0.0 {
            (v + 1.0).ln()
        } else if v < 0.0 {
            -(-(v - 1.0)).ln()
        } else {
            v
        }
    });
    let factor = original_max / max_abs(&logged, "logarithm")?;
    Ok(logged.mapv(|v| v * factor))
}

/// `exp(c·x)` with `c = log(max|x|) / max|x|` (PyRadiomics `getExponentialImage`).
///
/// # Errors
/// [`ImageError::Filter`] when the image is zero everywhere (or not finite).
pub fn exponential(data: &Array3<f64>) -> Result<Array3<f64>> {
    let max_abs = max_abs(data, "exponential")?;
    let coefficient = max_abs.ln() / max_abs;
    Ok(data.mapv(|v| (coefficient * v).exp()))
}

/// The largest absolute value, which must be finite and non-zero to scale by.
fn max_abs(data: &Array3<f64>, filter: &'static str) -> Result<f64> {
    let max_abs = data.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    if max_abs > 0.0 && max_abs.is_finite() {
        Ok(max_abs)
    } else {
        Err(ImageError::Filter {
            filter,
            reason: format!(
                "the largest absolute intensity is {max_abs}; the filter needs a finite, non-zero scale"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use ndarray::array;

    /// Closed forms on `[-4, 0, 1, 4]` (max |x| = 4).
    #[test]
    fn closed_forms() {
        let data = array![[[-4.0, 0.0, 1.0, 4.0]]];
        let check = |got: Array3<f64>, want: [f64; 4]| {
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() <= 1e-15 * w.abs().max(1.0), "{got:?} vs {want:?}");
            }
        };
        check(square(&data).unwrap(), [4.0, 0.0, 0.25, 4.0]);
        check(square_root(&data).unwrap(), [-4.0, 0.0, 2.0, 4.0]);
        let c = 4.0 / 5.0_f64.ln();
        check(logarithm(&data).unwrap(), [-4.0, 0.0, c * 2.0_f64.ln(), 4.0]);
        check(exponential(&data).unwrap(), [0.25, 1.0, 4.0_f64.powf(0.25), 4.0]);
    }

    #[test]
    fn zero_image_is_an_error() {
        let data = Array3::<f64>::zeros((1, 2, 2));
        assert!(matches!(
            square(&data),
            Err(ImageError::Filter { filter: "square", .. })
        ));
        assert!(exponential(&data).is_err());
    }
}
