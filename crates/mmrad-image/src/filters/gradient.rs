//! PyRadiomics `Gradient`: ITK `GradientMagnitudeImageFilter` (SimpleITK), central differences with zero-flux
//! Neumann boundaries, optionally divided by the voxel spacing (`gradientUseSpacing`, default true).
//!
//! ITK computes `√Σ_d g_d²` in double, `g_d = −c·x[i−1] + c·x[i+1]`, `c = 0.5 · (1 / spacing_d)` (or 0.5), over the
//! image's own dimensions (2 for a 2D image), and SimpleITK returns a float32 image: the result is rounded to f32.

use mmrad_core::Volume;
use ndarray::{Array3, Axis};

/// Gradient magnitude of a volume, on its grid.
///
/// # Examples
///
/// ```
/// use mmrad_core::{Geometry, Volume};
/// use mmrad_image::filters::gradient_magnitude;
/// use ndarray::Array3;
///
/// // A ramp of slope 3 per voxel along x, spacing 2 mm: 1.5 per mm inside, half that at the clamped edges.
/// let ramp = Array3::from_shape_fn((2, 2, 4), |(_, _, x)| 3.0 * x as f64);
/// let out = gradient_magnitude(&Volume::new(ramp, Geometry::with_spacing([2.0, 1.0, 1.0])), true);
/// assert_eq!(out.data[[0, 0, 1]], 1.5);
/// assert_eq!(out.data[[0, 0, 0]], 0.75);
/// ```
pub fn gradient_magnitude(volume: &Volume, use_spacing: bool) -> Volume {
    let data = &volume.data;
    let mut sum_of_squares = Array3::<f64>::zeros(data.dim());
    for (itk_dim, axis) in itk_axes(volume.geometry.ndim).into_iter().enumerate() {
        let weight = if use_spacing {
            1.0 / volume.geometry.spacing[itk_dim]
        } else {
            1.0
        };
        let c = 0.5 * weight;
        let n = data.len_of(Axis(axis));
        for (index, total) in sum_of_squares.indexed_iter_mut() {
            let mut at = [index.0, index.1, index.2];
            let i = at[axis];
            at[axis] = i.saturating_sub(1);
            let below = data[at];
            at[axis] = (i + 1).min(n - 1);
            let above = data[at];
            let g = -c * below + c * above;
            *total += g * g;
        }
    }
    let out = sum_of_squares.mapv(|v| f64::from(v.sqrt() as f32));
    Volume::new(out, volume.geometry.clone())
}

/// Array axes (`[z, y, x]` indexing) of ITK's dimensions 0, 1 (, 2): x, y (, z).
pub(crate) fn itk_axes(ndim: usize) -> Vec<usize> {
    if ndim == 2 { vec![2, 1] } else { vec![2, 1, 0] }
}
