//! Nearest-neighbour resampling of label maps onto another grid, and the ROI-inside-image check
//! (PyRadiomics `_correctMask` / `_checkROI` with ITK's `NearestNeighborInterpolateImageFunction`).

use ndarray::Array3;

use mmrad_core::{Geometry, LabelMap};

use crate::{ImageError, Result};

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
}
