//! The ROI pipeline in PyRadiomics 3.1 order (`featureextractor.execute` / `loadImage`, `imageoperations`).
//!
//! 1. Geometry check of image vs mask (ITK tolerance: `geometryTolerance` × x spacing for origin and spacing,
//!    `geometryTolerance` for direction; default 1e-6). With `correctMask`, a mismatched mask whose ROI lies inside
//!    the image is resampled onto the image grid (nearest neighbour, ITK rounding).
//! 2. Normalisation of the whole image (`normalize`): `(x − mean) / σ` with the sample σ (ITK `NormalizeImageFilter`),
//!    outliers clipped to ±`removeOutliers`, then × `normalizeScale`.
//! 3. Mask label → boolean ROI; empty mask and absent label are errors; bounding box, `minimumROIDimensions` and
//!    `minimumROISize` checks (`checkMask`).
//! 4. Resegmentation (`resegmentRange`, `resegmentMode`), then the checks again on the resegmented ROI.
//! 5. Crop image and masks to the (last) bounding box. As in PyRadiomics, the shape mask is the morphological
//!    (non-resegmented) ROI unless `resegmentShape`, cropped with that same bounding box.

use ndarray::{Array3, Slice, Zip};

use mmrad_core::{Geometry, LabelMap, Volume};

use crate::settings::{ExtractionSettings, ResegmentMode};
use crate::{FeatureError, Result};

/// A ROI ready for feature classes: cropped image and masks plus what was done to get there.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRoi {
    /// Cropped (normalised) intensities, `[z, y, x]`.
    pub image: Array3<f64>,
    /// Cropped ROI for intensity and texture classes (resegmented when resegmentation is on).
    pub mask: Array3<bool>,
    /// Cropped ROI for shape classes.
    pub shape_mask: Array3<bool>,
    /// Voxel spacing `(x, y, z)` in mm.
    pub spacing: [f64; 3],
    /// Inclusive bounding box in the input grid, `[[z_lo, z_hi], [y_lo, y_hi], [x_lo, x_hi]]`.
    pub bounding_box: [[usize; 2]; 3],
    /// `diagnostics_*` name/value pairs (PyRadiomics `additionalInfo`), in order.
    pub diagnostics: Vec<(String, String)>,
}

/// Runs the ROI pipeline on an image and a label map.
///
/// # Errors
/// Invalid settings, geometry mismatch (naming what differs), empty mask, absent label, a ROI failing the
/// dimension/size checks, and a resegmentation that keeps fewer than 2 voxels.
pub fn prepare_roi(image: &Volume, mask: &LabelMap, settings: &ExtractionSettings) -> Result<PreparedRoi> {
    settings.check()?;
    let mut diagnostics = Vec::new();
    let label = settings.label;

    // 1. Geometry.
    let labels = match check_geometry(
        &image.geometry,
        image.data.dim(),
        &mask.geometry,
        mask.data.dim(),
        settings,
    ) {
        Ok(()) => mask.data.clone(),
        Err(mismatch) if settings.correct_mask => {
            diagnostics.push(("diagnostics_Mask-corrected".to_string(), mismatch.to_string()));
            resample_mask_to_image(mask, image, label)?
        }
        Err(mismatch) => return Err(mismatch),
    };

    // 2. Normalisation of the whole image.
    let mut intensities = image.data.clone();
    if settings.normalize {
        normalise(&mut intensities, settings)?;
    }

    // 3. Label → ROI, bounding box and checks.
    let present = present_labels(&labels);
    if present.is_empty() {
        return Err(FeatureError::EmptyMask);
    }
    if !present.contains(&label) {
        return Err(FeatureError::LabelAbsent { label, present });
    }
    let morphological = labels.mapv(|v| v == label);
    let mut bounding_box = check_roi(&morphological, settings)?;
    diagnostics.push((
        "diagnostics_Mask-original_BoundingBox".to_string(),
        format_box(&bounding_box),
    ));
    diagnostics.push((
        "diagnostics_Mask-original_VoxelNum".to_string(),
        morphological.iter().filter(|&&m| m).count().to_string(),
    ));

    // 4. Resegmentation.
    let mut intensity_mask = morphological.clone();
    if let Some(range) = &settings.resegment_range {
        intensity_mask = resegment(
            &intensities,
            &morphological,
            range,
            settings.resegment_mode,
            label,
        )?;
        bounding_box = check_roi(&intensity_mask, settings)?;
        diagnostics.push((
            "diagnostics_Mask-resegmented_BoundingBox".to_string(),
            format_box(&bounding_box),
        ));
        diagnostics.push((
            "diagnostics_Mask-resegmented_VoxelNum".to_string(),
            intensity_mask.iter().filter(|&&m| m).count().to_string(),
        ));
    }
    let shape_source = if settings.resegment_shape {
        &intensity_mask
    } else {
        &morphological
    };

    // 5. Crop.
    Ok(PreparedRoi {
        image: crop(&intensities, &bounding_box),
        mask: crop(&intensity_mask, &bounding_box),
        shape_mask: crop(shape_source, &bounding_box),
        spacing: image.geometry.spacing,
        bounding_box,
        diagnostics,
    })
}

/// The inclusive box `b` of `array`.
pub(crate) fn crop<T: Clone>(array: &Array3<T>, b: &[[usize; 2]; 3]) -> Array3<T> {
    array
        .slice_each_axis(|axis| {
            let [lo, hi] = b[axis.axis.index()];
            Slice::from(lo..hi + 1)
        })
        .to_owned()
}

fn format_box(b: &[[usize; 2]; 3]) -> String {
    // PyRadiomics reports (x, y, z, size_x, size_y, size_z).
    format!(
        "({}, {}, {}, {}, {}, {})",
        b[2][0],
        b[1][0],
        b[0][0],
        b[2][1] - b[2][0] + 1,
        b[1][1] - b[1][0] + 1,
        b[0][1] - b[0][0] + 1
    )
}

fn present_labels(labels: &Array3<i64>) -> Vec<i64> {
    let mut present: Vec<i64> = labels.iter().copied().filter(|&l| l != 0).collect();
    present.sort_unstable();
    present.dedup();
    present
}

/// ITK's `VerifyInputInformation`: size exact, origin/spacing within `tol · spacing_x`, direction within `tol`.
fn check_geometry(
    image: &Geometry,
    image_dim: (usize, usize, usize),
    mask: &Geometry,
    mask_dim: (usize, usize, usize),
    settings: &ExtractionSettings,
) -> Result<()> {
    let tolerance = settings.geometry_tolerance.unwrap_or(1.0e-6);
    if image_dim != mask_dim {
        let (iz, iy, ix) = image_dim;
        let (mz, my, mx) = mask_dim;
        return Err(FeatureError::GeometryMismatch {
            what: "size",
            image: format!("({ix}, {iy}, {iz})"),
            mask: format!("({mx}, {my}, {mz})"),
        });
    }
    let coordinate_tolerance = (tolerance * image.spacing[0]).abs();
    let differs = |a: &[f64], b: &[f64], tol: f64| a.iter().zip(b).any(|(x, y)| (x - y).abs() > tol);
    if differs(&image.origin, &mask.origin, coordinate_tolerance) {
        return Err(FeatureError::GeometryMismatch {
            what: "origin",
            image: format!("{:?}", image.origin),
            mask: format!("{:?}", mask.origin),
        });
    }
    if differs(&image.spacing, &mask.spacing, coordinate_tolerance) {
        return Err(FeatureError::GeometryMismatch {
            what: "spacing",
            image: format!("{:?}", image.spacing),
            mask: format!("{:?}", mask.spacing),
        });
    }
    if differs(&image.direction, &mask.direction, tolerance) {
        return Err(FeatureError::GeometryMismatch {
            what: "direction",
            image: format!("{:?}", image.direction),
            mask: format!("{:?}", mask.direction),
        });
    }
    Ok(())
}

/// Inverse of a 3×3 row-major matrix, `None` when singular.
fn invert3(m: &[f64; 9]) -> Option<[f64; 9]> {
    let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
        + m[2] * (m[3] * m[7] - m[4] * m[6]);
    if det.abs() < 1.0e-12 || !det.is_finite() {
        return None;
    }
    let inv = [
        (m[4] * m[8] - m[5] * m[7]) / det,
        (m[2] * m[7] - m[1] * m[8]) / det,
        (m[1] * m[5] - m[2] * m[4]) / det,
        (m[5] * m[6] - m[3] * m[8]) / det,
        (m[0] * m[8] - m[2] * m[6]) / det,
        (m[2] * m[3] - m[0] * m[5]) / det,
        (m[3] * m[7] - m[4] * m[6]) / det,
        (m[1] * m[6] - m[0] * m[7]) / det,
        (m[0] * m[4] - m[1] * m[3]) / det,
    ];
    Some(inv)
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

/// PyRadiomics `_correctMask`: checks the ROI lies inside the image (`_checkROI`, tolerance 1e-3 voxel), then
/// resamples the mask onto the image grid with nearest-neighbour interpolation (round half up, outside = 0).
fn resample_mask_to_image(mask: &LabelMap, image: &Volume, label: i64) -> Result<Array3<i64>> {
    let singular = |what: &str| FeatureError::RoiOutsideImage {
        detail: format!("{what} direction is singular"),
    };
    let image_inverse = invert3(&image.geometry.direction).ok_or_else(|| singular("image"))?;
    let mask_inverse = invert3(&mask.geometry.direction).ok_or_else(|| singular("mask"))?;
    // ROI bounding box in the mask grid.
    let roi = mask.data.mapv(|v| v == label);
    let Some(bb) = bounding_box(&roi) else {
        let present = present_labels(&mask.data);
        return Err(if present.is_empty() {
            FeatureError::EmptyMask
        } else {
            FeatureError::LabelAbsent { label, present }
        });
    };
    let lower = [
        bb[2][0] as f64 - 0.5,
        bb[1][0] as f64 - 0.5,
        bb[0][0] as f64 - 0.5,
    ];
    let upper = [
        bb[2][1] as f64 + 0.5,
        bb[1][1] as f64 + 0.5,
        bb[0][1] as f64 + 0.5,
    ];
    let size = image.size_xyz();
    let tolerance = 1.0e-3;
    for corner in [lower, upper] {
        let p = mask.geometry.index_to_physical(corner);
        let index = physical_to_index(&image.geometry, &image_inverse, p);
        for k in 0..3 {
            if index[k] < -0.5 - tolerance || index[k] > size[k] as f64 - 0.5 + tolerance {
                return Err(FeatureError::RoiOutsideImage {
                    detail: format!("ROI corner at image index {index:?}, image size {size:?}"),
                });
            }
        }
    }
    let (mz, my, mx) = mask.data.dim();
    let mut out = Array3::<i64>::zeros(image.data.dim());
    for ((z, y, x), value) in out.indexed_iter_mut() {
        let p = image.geometry.index_to_physical([x as f64, y as f64, z as f64]);
        let c = physical_to_index(&mask.geometry, &mask_inverse, p);
        let rounded = [(c[0] + 0.5).floor(), (c[1] + 0.5).floor(), (c[2] + 0.5).floor()];
        if rounded.iter().any(|v| *v < 0.0) {
            continue;
        }
        let (ix, iy, iz) = (rounded[0] as usize, rounded[1] as usize, rounded[2] as usize);
        if ix < mx && iy < my && iz < mz {
            *value = mask.data[[iz, iy, ix]];
        }
    }
    Ok(out)
}

/// In-place z-score of the whole image with the sample standard deviation (ITK), clipping, scaling.
fn normalise(data: &mut Array3<f64>, settings: &ExtractionSettings) -> Result<()> {
    let n = data.len() as f64;
    if data.len() < 2 || data.iter().any(|v| !v.is_finite()) {
        return Err(FeatureError::NonFinite {
            what: "image intensities (normalisation)".into(),
        });
    }
    let mean = data.sum() / n;
    let variance = data.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    let sigma = variance.sqrt();
    if sigma == 0.0 {
        return Err(FeatureError::NonFinite {
            what: "normalised image (the image is constant, sigma = 0)".into(),
        });
    }
    let outliers = settings.remove_outliers;
    let scale = settings.normalize_scale;
    data.mapv_inplace(|v| {
        let mut z = (v - mean) / sigma;
        if let Some(limit) = outliers {
            z = z.clamp(-limit, limit);
        }
        z * scale
    });
    Ok(())
}

/// Inclusive bounding box `[[z_lo, z_hi], [y_lo, y_hi], [x_lo, x_hi]]` of the true voxels.
pub(crate) fn bounding_box(mask: &Array3<bool>) -> Option<[[usize; 2]; 3]> {
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

/// PyRadiomics `checkMask` on a boolean ROI: bounding box, dimensionality and size checks.
fn check_roi(roi: &Array3<bool>, settings: &ExtractionSettings) -> Result<[[usize; 2]; 3]> {
    let bb = bounding_box(roi).ok_or(FeatureError::EmptyRoi {
        label: Some(settings.label),
    })?;
    let n_dims = bb.iter().filter(|b| b[1] > b[0]).count();
    if n_dims == 0 {
        return Err(FeatureError::SingleVoxel);
    }
    if n_dims < settings.minimum_roi_dimensions {
        return Err(FeatureError::TooFewDimensions {
            found: n_dims,
            required: settings.minimum_roi_dimensions,
        });
    }
    if let Some(minimum) = settings.minimum_roi_size {
        let count = roi.iter().filter(|&&m| m).count();
        if count <= minimum {
            return Err(FeatureError::TooSmall {
                found: count,
                required: minimum,
            });
        }
    }
    Ok(bb)
}

/// PyRadiomics `resegmentMask`: keeps ROI voxels within the thresholds.
fn resegment(
    image: &Array3<f64>,
    roi: &Array3<bool>,
    range: &[f64],
    mode: ResegmentMode,
    label: i64,
) -> Result<Array3<bool>> {
    let mut sorted = range.to_vec();
    sorted.sort_by(f64::total_cmp);
    let values: Vec<f64> = Zip::from(image).and(roi).fold(Vec::new(), |mut acc, &v, &m| {
        if m {
            acc.push(v);
        }
        acc
    });
    if values.is_empty() {
        return Err(FeatureError::EmptyRoi { label: Some(label) });
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
        return Err(FeatureError::ResegmentedAway { label, kept });
    }
    Ok(out)
}
