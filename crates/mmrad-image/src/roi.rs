//! Bounding boxes, cropping and re-segmentation of a boolean ROI (PyRadiomics `imageoperations` semantics).

use ndarray::{Array3, Slice, Zip};

use crate::{ImageError, Result};

/// Inclusive bounding box `[[z_lo, z_hi], [y_lo, y_hi], [x_lo, x_hi]]` in array (z, y, x) order.
pub type BoundingBox = [[usize; 2]; 3];

/// How re-segmentation thresholds are interpreted (PyRadiomics `resegmentMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResegmentMode {
    /// Thresholds are grey values.
    #[default]
    Absolute,
    /// Thresholds are fractions of the ROI maximum.
    Relative,
    /// Thresholds are numbers of (population) standard deviations from the ROI mean.
    Sigma,
}

/// The bounding box of the true voxels, `None` for an empty ROI.
pub fn bounding_box(mask: &Array3<bool>) -> Option<BoundingBox> {
    let mut bb = [[usize::MAX, 0]; 3];
    let mut any = false;
    for ((z, y, x), &m) in mask.indexed_iter() {
        if m {
            any = true;
            for (axis, index) in [z, y, x].into_iter().enumerate() {
                bb[axis][0] = bb[axis][0].min(index);
                bb[axis][1] = bb[axis][1].max(index);
            }
        }
    }
    any.then_some(bb)
}

/// The part of `array` inside the inclusive box `b` (clamped to the array).
pub fn crop<T: Clone>(array: &Array3<T>, b: &BoundingBox) -> Array3<T> {
    array
        .slice_each_axis(|axis| {
            let len = axis.len;
            let [lo, hi] = b[axis.axis.index()];
            let hi = (hi + 1).min(len);
            Slice::from(lo.min(hi)..hi)
        })
        .to_owned()
}

/// PyRadiomics `resegmentMask`: keeps the ROI voxels within `range` (one lower threshold, or a closed interval).
///
/// Relative thresholds are fractions of the ROI maximum; sigma thresholds are `mean + t·σ` with the population σ.
///
/// # Errors
/// Shape mismatch, an invalid range, an empty ROI, or fewer than 2 voxels kept.
pub fn resegment(
    image: &Array3<f64>,
    roi: &Array3<bool>,
    range: &[f64],
    mode: ResegmentMode,
) -> Result<Array3<bool>> {
    if image.dim() != roi.dim() {
        return Err(ImageError::Shape {
            image: image.dim(),
            mask: roi.dim(),
        });
    }
    if range.is_empty() || range.len() > 2 || range.iter().any(|v| !v.is_finite()) {
        return Err(ImageError::InvalidRange(range.to_vec()));
    }
    let mut sorted = range.to_vec();
    sorted.sort_by(f64::total_cmp);
    let values: Vec<f64> = Zip::from(image).and(roi).fold(Vec::new(), |mut acc, &v, &m| {
        if m {
            acc.push(v);
        }
        acc
    });
    if values.is_empty() {
        return Err(ImageError::EmptyRoi);
    }
    let thresholds: Vec<f64> = match mode {
        ResegmentMode::Absolute => sorted,
        ResegmentMode::Relative => {
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            sorted.iter().map(|t| max * t).collect()
        }
        ResegmentMode::Sigma => {
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let sd = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
            sorted.iter().map(|t| mean + sd * t).collect()
        }
    };
    let lower = thresholds.first().copied().unwrap_or(f64::NEG_INFINITY);
    let upper = thresholds.get(1).copied().unwrap_or(f64::INFINITY);
    let out = Zip::from(image)
        .and(roi)
        .map_collect(|&v, &m| m && v >= lower && v <= upper);
    let kept = out.iter().filter(|&&m| m).count();
    if kept <= 1 {
        return Err(ImageError::ResegmentedAway { kept });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_crop_and_resegment() {
        let mut roi = Array3::from_elem((2, 3, 4), false);
        roi[[0, 1, 2]] = true;
        roi[[1, 2, 3]] = true;
        assert_eq!(bounding_box(&roi), Some([[0, 1], [1, 2], [2, 3]]));
        assert_eq!(bounding_box(&Array3::from_elem((1, 1, 1), false)), None);
        let image = Array3::from_shape_fn((2, 3, 4), |(z, y, x)| (z * 12 + y * 4 + x) as f64);
        assert_eq!(
            crop(&image, &[[1, 1], [2, 2], [0, 3]])
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![20.0, 21.0, 22.0, 23.0]
        );
        let all = Array3::from_elem((2, 3, 4), true);
        // Values 0..23: closed range [5, 7] keeps 3 voxels; relative 0.5 of max 23 keeps >= 11.5 (12 voxels).
        let kept = |r: &[f64], m| {
            resegment(&image, &all, r, m)
                .unwrap()
                .iter()
                .filter(|&&v| v)
                .count()
        };
        assert_eq!(kept(&[7.0, 5.0], ResegmentMode::Absolute), 3);
        assert_eq!(kept(&[0.5], ResegmentMode::Relative), 12);
        assert_eq!(
            resegment(&image, &all, &[23.0], ResegmentMode::Absolute),
            Err(ImageError::ResegmentedAway { kept: 1 })
        );
        assert!(matches!(
            resegment(&image, &all, &[], ResegmentMode::Absolute),
            Err(ImageError::InvalidRange(_))
        ));
    }
}
