//! Nearest-neighbour resampling of label maps onto another grid, and the ROI-inside-image check
//! (PyRadiomics `_correctMask` / `_checkROI` with ITK's `NearestNeighborInterpolateImageFunction`).

use ndarray::Array3;

use mmrad_core::{Geometry, LabelMap, Volume};

use crate::bspline::BSplineCoefficients;
use crate::{ImageError, Result};

/// Interpolators of [`resample_volume`] (PyRadiomics/SimpleITK `interpolator` names in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interpolator {
    /// `sitkNearestNeighbor`: value at the rounded (half up) index.
    NearestNeighbor,
    /// `sitkLinear`: trilinear.
    Linear,
    /// `sitkBSpline`: cubic B-spline (ITK `BSplineInterpolateImageFunction`, order 3).
    #[default]
    BSpline,
}

/// How interpolated values are stored, as ITK's `ResampleImageFilter` casts to the output pixel type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputCast {
    /// Keep f64 values (float64 images).
    #[default]
    Float,
    /// Round to the nearest f32 (float32 images: ITK interpolates in double and stores float).
    Float32,
    /// Clamp to `[min, max]` and truncate toward zero (an integer pixel type such as int16: `(-32768, 32767)`).
    Integer { min: i64, max: i64 },
}

/// Inverse of a 3×3 row-major matrix, `None` when singular.
fn invert3(m: &[f64; 9]) -> Option<[f64; 9]> {
    let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
        + m[2] * (m[3] * m[7] - m[4] * m[6]);
    if det.abs() < 1.0e-12 || !det.is_finite() {
        return None;
    }
    Some([
        (m[4] * m[8] - m[5] * m[7]) / det,
        (m[2] * m[7] - m[1] * m[8]) / det,
        (m[1] * m[5] - m[2] * m[4]) / det,
        (m[5] * m[6] - m[3] * m[8]) / det,
        (m[0] * m[8] - m[2] * m[6]) / det,
        (m[2] * m[3] - m[0] * m[5]) / det,
        (m[3] * m[7] - m[4] * m[6]) / det,
        (m[1] * m[6] - m[0] * m[7]) / det,
        (m[0] * m[4] - m[1] * m[3]) / det,
    ])
}

/// Continuous index `(x, y, z)` of a physical point.
fn physical_to_index(g: &Geometry, inverse_direction: &[f64; 9], p: [f64; 3]) -> [f64; 3] {
    let d = [p[0] - g.origin[0], p[1] - g.origin[1], p[2] - g.origin[2]];
    let r = inverse_direction;
    [
        (r[0] * d[0] + r[1] * d[1] + r[2] * d[2]) / g.spacing[0],
        (r[3] * d[0] + r[4] * d[1] + r[5] * d[2]) / g.spacing[1],
        (r[6] * d[0] + r[7] * d[1] + r[8] * d[2]) / g.spacing[2],
    ]
}

/// PyRadiomics `_checkROI`: the corners of the ROI's bounding box (voxel edges, ±0.5) must map inside the
/// reference grid's extent `[-0.5, size - 0.5]` with a tolerance of 1e-3 voxel.
///
/// `roi_box` is the inclusive box in the mask grid, `(z, y, x)` order; `reference_size` is `(x, y, z)`.
///
/// # Errors
/// [`ImageError::RoiOutsideImage`] naming the offending corner, or a singular direction.
pub fn check_roi_inside(
    mask: &Geometry,
    roi_box: &crate::BoundingBox,
    reference: &Geometry,
    reference_size: [usize; 3],
) -> Result<()> {
    let inverse = invert3(&reference.direction).ok_or(ImageError::SingularDirection("reference"))?;
    let lower = [
        roi_box[2][0] as f64 - 0.5,
        roi_box[1][0] as f64 - 0.5,
        roi_box[0][0] as f64 - 0.5,
    ];
    let upper = [
        roi_box[2][1] as f64 + 0.5,
        roi_box[1][1] as f64 + 0.5,
        roi_box[0][1] as f64 + 0.5,
    ];
    let tolerance = 1.0e-3;
    for corner in [lower, upper] {
        let index = physical_to_index(reference, &inverse, mask.index_to_physical(corner));
        for k in 0..3 {
            if index[k] < -0.5 - tolerance || index[k] > reference_size[k] as f64 - 0.5 + tolerance {
                return Err(ImageError::RoiOutsideImage(format!(
                    "ROI corner at image index {index:?}, image size {reference_size:?}"
                )));
            }
        }
    }
    Ok(())
}

/// Resamples `labels` onto the grid `(geometry, shape [z, y, x])` with nearest-neighbour interpolation: each output
/// voxel takes the label at the rounded (half up) continuous index of its centre, 0 outside the input.
///
/// # Errors
/// A singular direction matrix.
pub fn resample_labels_nearest(
    labels: &LabelMap,
    geometry: &Geometry,
    shape: (usize, usize, usize),
) -> Result<LabelMap> {
    let inverse = invert3(&labels.geometry.direction).ok_or(ImageError::SingularDirection("label map"))?;
    let (mz, my, mx) = labels.data.dim();
    let mut out = Array3::<i64>::zeros(shape);
    for ((z, y, x), value) in out.indexed_iter_mut() {
        let p = geometry.index_to_physical([x as f64, y as f64, z as f64]);
        let c = physical_to_index(&labels.geometry, &inverse, p);
        let rounded = [(c[0] + 0.5).floor(), (c[1] + 0.5).floor(), (c[2] + 0.5).floor()];
        if rounded.iter().any(|v| *v < 0.0 || !v.is_finite()) {
            continue;
        }
        let (ix, iy, iz) = (rounded[0] as usize, rounded[1] as usize, rounded[2] as usize);
        if let Some(v) = labels.data.get([iz, iy, ix])
            && ix < mx
            && iy < my
            && iz < mz
        {
            *value = *v;
        }
    }
    Ok(LabelMap::new(out, geometry.clone()))
}

/// Resamples `volume` onto the grid `(geometry, shape [z, y, x])`, as ITK's `ResampleImageFilter` with an identity
/// transform: each output voxel centre is mapped to a continuous input index; outside `[-0.5, size - 0.5)` it gets 0,
/// inside the interpolated value, cast as `cast` says.
///
/// # Errors
/// A singular direction matrix.
pub fn resample_volume(
    volume: &Volume,
    geometry: &Geometry,
    shape: (usize, usize, usize),
    interpolator: Interpolator,
    cast: OutputCast,
) -> Result<Volume> {
    let inverse = invert3(&volume.geometry.direction).ok_or(ImageError::SingularDirection("image"))?;
    let size = volume.size_xyz();
    let spline = (interpolator == Interpolator::BSpline)
        .then(|| spline_of_needed_box(volume, &inverse, geometry, shape));
    let mut out = Array3::<f64>::zeros(shape);
    for ((z, y, x), value) in out.indexed_iter_mut() {
        let p = geometry.index_to_physical([x as f64, y as f64, z as f64]);
        let c = physical_to_index(&volume.geometry, &inverse, p);
        let inside = (0..3).all(|k| c[k] >= -0.5 && c[k] < size[k] as f64 - 0.5);
        if !inside {
            continue;
        }
        let interpolated = match (&spline, interpolator) {
            (Some(spline), _) => spline.evaluate(c),
            (None, Interpolator::Linear) => linear(&volume.data, c),
            (None, _) => {
                let i = [
                    (c[0] + 0.5).floor() as usize,
                    (c[1] + 0.5).floor() as usize,
                    (c[2] + 0.5).floor() as usize,
                ];
                volume.data.get([i[2], i[1], i[0]]).copied().unwrap_or(0.0)
            }
        };
        *value = match cast {
            OutputCast::Float => interpolated,
            #[allow(clippy::cast_possible_truncation)]
            OutputCast::Float32 => f64::from(interpolated as f32),
            OutputCast::Integer { min, max } => interpolated.clamp(min as f64, max as f64).trunc(),
        };
    }
    Ok(Volume::new(out, geometry.clone()))
}

/// B-spline coefficients of the part of `volume` the output grid reads: ITK decomposes the whole image, but a
/// region of interest is often a small part of a large scan (a lung nodule in 512 × 512 × 48 voxels), and
/// coefficients beyond [`crate::bspline::BOX_MARGIN`] voxels of the grid's support do not reach it.
fn spline_of_needed_box(
    volume: &Volume,
    inverse: &[f64; 9],
    geometry: &Geometry,
    shape: (usize, usize, usize),
) -> BSplineCoefficients {
    let size = volume.size_xyz();
    let (oz, oy, ox) = shape;
    let mut low = [f64::INFINITY; 3];
    let mut high = [f64::NEG_INFINITY; 3];
    // The grid maps affinely into the volume's index space: its extremes are at the corners.
    for corner in 0..8_usize {
        let pick = |bit: usize, n: usize| {
            if corner & bit != 0 {
                n.saturating_sub(1) as f64
            } else {
                0.0
            }
        };
        let p = geometry.index_to_physical([pick(1, ox), pick(2, oy), pick(4, oz)]);
        let c = physical_to_index(&volume.geometry, inverse, p);
        for d in 0..3 {
            low[d] = low[d].min(c[d]);
            high[d] = high[d].max(c[d]);
        }
    }
    let mut first = [0_usize; 3];
    let mut last = [0_usize; 3];
    for d in 0..3 {
        let n = size[d];
        if !(low[d].is_finite() && high[d].is_finite()) || n == 0 {
            return BSplineCoefficients::new(&volume.data);
        }
        let margin = crate::bspline::BOX_MARGIN as f64 + 2.0;
        first[d] = (low[d].floor() - margin).max(0.0).min((n - 1) as f64) as usize;
        last[d] = (high[d].floor() + margin).max(0.0).min((n - 1) as f64) as usize;
    }
    if first == [0; 3] && (0..3).all(|d| last[d] + 1 == size[d]) {
        return BSplineCoefficients::new(&volume.data);
    }
    let mut view = volume.data.view();
    for (axis, d) in [(0, 2), (1, 1), (2, 0)] {
        view.slice_axis_inplace(ndarray::Axis(axis), ndarray::Slice::from(first[d]..=last[d]));
    }
    BSplineCoefficients::of_box(view, first)
}

/// Trilinear interpolation at continuous index `(x, y, z)`, neighbours clamped to the array (ITK).
fn linear(data: &Array3<f64>, c: [f64; 3]) -> f64 {
    let (nz, ny, nx) = data.dim();
    let lengths = [nx, ny, nz];
    let mut base = [0_usize; 3];
    let mut upper = [0_usize; 3];
    let mut frac = [0.0; 3];
    for d in 0..3 {
        let f = c[d].floor();
        let b = f.max(0.0) as usize;
        base[d] = b.min(lengths[d] - 1);
        upper[d] = (b + 1).min(lengths[d] - 1);
        frac[d] = if c[d] < 0.0 { 0.0 } else { c[d] - f };
    }
    let mut value = 0.0;
    for corner in 0..8 {
        let mut w = 1.0;
        let mut idx = [0_usize; 3];
        for d in 0..3 {
            if corner & (1 << d) != 0 {
                w *= frac[d];
                idx[d] = upper[d];
            } else {
                w *= 1.0 - frac[d];
                idx[d] = base[d];
            }
        }
        value += w * data[[idx[2], idx[1], idx[0]]];
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_onto_a_half_spacing_grid_duplicates_labels() {
        let data = Array3::from_shape_vec((1, 1, 2), vec![1_i64, 2]).unwrap();
        let labels = LabelMap::new(data, Geometry::with_spacing([2.0, 1.0, 1.0]));
        // Output voxels at x = 0, 1, 2, 3 mm: input indices 0, 0.5 (→ 1, half up), 1, 1.5 (→ 2, outside).
        let out = resample_labels_nearest(&labels, &Geometry::identity(), (1, 1, 4)).unwrap();
        assert_eq!(out.data.iter().copied().collect::<Vec<_>>(), vec![1, 2, 2, 0]);
        let roi_box = [[0, 0], [0, 0], [0, 1]];
        assert!(check_roi_inside(&labels.geometry, &roi_box, &labels.geometry, [2, 1, 1]).is_ok());
        let outside = check_roi_inside(&labels.geometry, &roi_box, &labels.geometry, [1, 1, 1]);
        assert!(matches!(outside, Err(ImageError::RoiOutsideImage(_))));
    }

    #[test]
    fn resampling_a_linear_ramp_is_exact_and_integer_cast_truncates() {
        let data = Array3::from_shape_fn((4, 5, 6), |(z, y, x)| 10.0 * x as f64 + y as f64 - 3.0 * z as f64);
        let volume = Volume::new(data, Geometry::identity());
        // Half-voxel shifted grid of spacing 0.5 inside the volume.
        let grid = Geometry {
            spacing: [0.5; 3],
            origin: [1.25, 1.25, 1.25],
            ..Geometry::identity()
        };
        for interpolator in [Interpolator::Linear] {
            let out = resample_volume(&volume, &grid, (3, 3, 3), interpolator, OutputCast::Float).unwrap();
            for ((z, y, x), &v) in out.data.indexed_iter() {
                let (px, py, pz) = (
                    1.25 + 0.5 * x as f64,
                    1.25 + 0.5 * y as f64,
                    1.25 + 0.5 * z as f64,
                );
                let want = 10.0 * px + py - 3.0 * pz;
                assert!((v - want).abs() < 1e-9, "{interpolator:?} {v} vs {want}");
            }
        }
        let cast = OutputCast::Integer {
            min: -32768,
            max: 32767,
        };
        let out = resample_volume(&volume, &grid, (1, 1, 1), Interpolator::Linear, cast).unwrap();
        // 12.5 + 1.25 − 3.75 = 10.0 exactly; at (1.75, 1.25, 1.25): 17.5 + 1.25 − 3.75 = 15.0.
        assert_eq!(out.data[[0, 0, 0]], 10.0);
        let shifted = Geometry {
            origin: [1.3, 1.25, 1.25],
            ..grid.clone()
        };
        let out = resample_volume(&volume, &shifted, (1, 1, 1), Interpolator::Linear, cast).unwrap();
        assert_eq!(out.data[[0, 0, 0]], 10.0, "10.5 truncates toward zero");
    }
}
