//! Whole-image intensity normalisation (PyRadiomics `normalizeImage`).

use ndarray::Array3;

use crate::{ImageError, Result};

/// In-place `scale · clip((x − mean) / σ, ±outliers)` over every voxel of the image.
///
/// `σ` is the sample standard deviation (`N − 1`), as ITK's `NormalizeImageFilter` (used by PyRadiomics through
/// `sitk.Normalize`) computes it; clipping happens before scaling, as in PyRadiomics.
///
/// # Errors
/// Fewer than 2 voxels, non-finite values, or a constant image (σ = 0).
pub fn normalise(data: &mut Array3<f64>, scale: f64, outliers: Option<f64>) -> Result<()> {
    if data.len() < 2 {
        return Err(ImageError::Normalise("fewer than 2 voxels"));
    }
    if data.iter().any(|v| !v.is_finite()) {
        return Err(ImageError::Normalise("the image holds non-finite values"));
    }
    let n = data.len() as f64;
    let mean = data.sum() / n;
    let sigma = (data.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)).sqrt();
    if sigma == 0.0 {
        return Err(ImageError::Normalise("the image is constant (sigma = 0)"));
    }
    data.mapv_inplace(|v| {
        let mut z = (v - mean) / sigma;
        if let Some(limit) = outliers {
            z = z.clamp(-limit, limit);
        }
        z * scale
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_scores_with_sample_sigma_then_clip_then_scale() {
        // 1, 2, 3, 4, 10: mean 4, sample variance (9 + 4 + 1 + 0 + 36) / 4 = 12.5.
        let mut data = Array3::from_shape_vec((1, 1, 5), vec![1.0, 2.0, 3.0, 4.0, 10.0]).unwrap();
        normalise(&mut data, 10.0, Some(1.5)).unwrap();
        let sigma = 12.5_f64.sqrt();
        // 6/σ ≈ 1.70 is clipped to 1.5.
        let expected = [-3.0 / sigma, -2.0 / sigma, -1.0 / sigma, 0.0, 1.5].map(|z: f64| z * 10.0);
        for (got, want) in data.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        let mut flat = Array3::from_elem((1, 1, 3), 2.0);
        assert!(normalise(&mut flat, 1.0, None).is_err());
    }
}
