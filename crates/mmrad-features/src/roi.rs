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

use ndarray::Array3;

use mmrad_core::{Geometry, LabelMap, Volume};
use mmrad_image::{
    ImageError, bounding_box, check_roi_inside, crop, normalise, resample_labels_nearest, resegment,
};

use crate::settings::ExtractionSettings;
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
        normalise(
            &mut intensities,
            settings.normalize_scale,
            settings.remove_outliers,
        )
        .map_err(|e| FeatureError::NonFinite {
            what: format!("normalisation ({e})"),
        })?;
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
        intensity_mask =
            resegment(&intensities, &morphological, range, settings.resegment_mode).map_err(|e| match e {
                ImageError::ResegmentedAway { kept } => FeatureError::ResegmentedAway { label, kept },
                ImageError::EmptyRoi => FeatureError::EmptyRoi { label: Some(label) },
                other => FeatureError::InvalidSetting {
                    name: "resegmentRange",
                    value: other.to_string(),
                    expected: "1 or 2 finite thresholds",
                },
            })?;
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

/// PyRadiomics `_correctMask`: checks the ROI lies inside the image (`_checkROI`), then resamples the mask onto the
/// image grid with nearest-neighbour interpolation.
fn resample_mask_to_image(mask: &LabelMap, image: &Volume, label: i64) -> Result<Array3<i64>> {
    let roi = mask.data.mapv(|v| v == label);
    let Some(roi_box) = bounding_box(&roi) else {
        let present = present_labels(&mask.data);
        return Err(if present.is_empty() {
            FeatureError::EmptyMask
        } else {
            FeatureError::LabelAbsent { label, present }
        });
    };
    check_roi_inside(&mask.geometry, &roi_box, &image.geometry, image.size_xyz()).map_err(image_error)?;
    Ok(resample_labels_nearest(mask, &image.geometry, image.data.dim())
        .map_err(image_error)?
        .data)
}

fn image_error(e: ImageError) -> FeatureError {
    FeatureError::RoiOutsideImage {
        detail: e.to_string(),
    }
}
