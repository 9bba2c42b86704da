//! The ROI pipeline in PyRadiomics 3.1 order (`featureextractor.execute` / `loadImage`, `imageoperations`).
//!
//! 1. Normalisation of the whole image (`normalize`): `(x − mean) / σ` with the sample σ (ITK `NormalizeImageFilter`),
//!    outliers clipped to ±`removeOutliers`, then × `normalizeScale`.
//! 2. Resampling (`resampledPixelSpacing`, `interpolator`, `padDistance`) as PyRadiomics `resampleImage`, then the
//!    geometry check of image vs mask (ITK tolerance: `geometryTolerance` × x spacing for origin and spacing,
//!    `geometryTolerance` for direction; default 1e-6). With `correctMask`, a mismatched mask whose ROI lies inside
//!    the image is resampled onto the image grid (nearest neighbour, ITK rounding).
//! 3. Mask label → boolean ROI; empty mask and absent label are errors; bounding box, `minimumROIDimensions` and
//!    `minimumROISize` checks (`checkMask`).
//! 4. Resegmentation (`resegmentRange`, `resegmentMode`), then the checks again on the resegmented ROI.
//! 5. Crop image and masks to the (last) bounding box. As in PyRadiomics, the shape mask is the morphological
//!    (non-resegmented) ROI unless `resegmentShape`, cropped with that same bounding box.

use std::borrow::Cow;

use ndarray::Array3;

use mmrad_core::{Geometry, LabelMap, Volume};
use mmrad_image::{
    ImageError, OutputCast, bounding_box, check_roi_inside, crop, normalise, resample_labels_nearest,
    resample_volume, resegment,
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
    prepare_roi_in(image, mask, settings, None)
}

/// The whole image and mask, when the extraction runs on a region of them ([`prepare_roi_region`]): what the
/// `diagnostics_*-original_*` entries report, and where the region lies.
#[derive(Debug, Clone, PartialEq)]
pub struct WholeInput {
    pub image_spacing: [f64; 3],
    pub image_size_xyz: [usize; 3],
    /// Sum, minimum and maximum of every image voxel.
    pub image_sum_min_max: (f64, f64, f64),
    pub mask_spacing: [f64; 3],
    pub mask_size_xyz: [usize; 3],
    /// Index `(z, y, x)` of the region's first voxel in the whole volume.
    pub region_offset: [usize; 3],
}

/// [`prepare_roi`] on a region of the image and mask that holds every voxel of the label (same region of both,
/// same grid), reporting diagnostics and bounding boxes of the whole volume. Reading a 512² CT whole costs more than
/// its features; a reader that can decode a region (e.g. [`mmrad-io`'s NRRD words]) uses this.
///
/// # Errors
/// As [`prepare_roi`], and `normalize` or `resampledPixelSpacing` (both need the whole image).
pub fn prepare_roi_region(
    image: &Volume,
    mask: &LabelMap,
    whole: &WholeInput,
    settings: &ExtractionSettings,
) -> Result<PreparedRoi> {
    if settings.normalize || settings.resampled_pixel_spacing.is_some() {
        return Err(FeatureError::InvalidSetting {
            name: if settings.normalize {
                "normalize"
            } else {
                "resampledPixelSpacing"
            },
            value: "on".into(),
            expected: "off when extracting from a region of the image (read the whole image instead)",
        });
    }
    prepare_roi_in(image, mask, settings, Some(whole))
}

fn prepare_roi_in(
    image: &Volume,
    mask: &LabelMap,
    settings: &ExtractionSettings,
    whole: Option<&WholeInput>,
) -> Result<PreparedRoi> {
    settings.check()?;
    let label = settings.label;
    let original_label = LabelScan::of(&mask.data, label);
    let region_offset = whole.map_or([0; 3], |w| w.region_offset);
    let mut diagnostics = match whole {
        None => original_diagnostics(image, mask, &original_label),
        Some(whole) => whole_diagnostics(whole, &original_label),
    };

    // 1. Normalisation of the whole image (PyRadiomics `loadImage`, before any resampling). Whole-volume copies
    //    are made only when a step changes the data: on a 512² CT each one costs ~130 MB of page faults.
    let normalised: Cow<'_, Volume> = if settings.normalize {
        let mut owned = image.clone();
        normalise(
            &mut owned.data,
            settings.normalize_scale,
            settings.remove_outliers,
        )
        .map_err(|e| FeatureError::NonFinite {
            what: format!("normalisation ({e})"),
        })?;
        Cow::Owned(owned)
    } else {
        Cow::Borrowed(image)
    };

    // 2. Resampling (`resampledPixelSpacing`), then the geometry check (with `correctMask`).
    let (image, mask): (Cow<'_, Volume>, Cow<'_, LabelMap>) = match settings.resampled_pixel_spacing {
        Some(spacing) => {
            let (resampled_image, resampled_mask) = resample_pair(&normalised, mask, spacing, settings)?;
            let spacing_text = format!("{:?}", resampled_image.geometry.spacing);
            diagnostics.push(("diagnostics_Image-interpolated_Spacing".to_string(), spacing_text));
            (Cow::Owned(resampled_image), Cow::Owned(resampled_mask))
        }
        None => (normalised, Cow::Borrowed(mask)),
    };
    let labels: Cow<'_, Array3<i64>> = match check_geometry(
        &image.geometry,
        image.data.dim(),
        &mask.geometry,
        mask.data.dim(),
        settings,
    ) {
        Ok(()) => Cow::Borrowed(&mask.data),
        Err(mismatch) if settings.correct_mask => {
            diagnostics.push(("diagnostics_Mask-corrected".to_string(), mismatch.to_string()));
            Cow::Owned(resample_mask_to_image(&mask, &image, label)?)
        }
        Err(mismatch) => return Err(mismatch),
    };

    // 3. Label → ROI, bounding box and checks. Everything after this point only looks at ROI voxels, so it runs on
    //    the label's bounding box (resegmentation can only shrink it); boxes are shifted back to the input grid.
    let scan = match &labels {
        Cow::Borrowed(_) if matches!(mask, Cow::Borrowed(_)) => original_label,
        _ => LabelScan::of(&labels, label),
    };
    let Some(label_box) = scan.bounding_box else {
        return Err(if scan.any_nonzero {
            FeatureError::LabelAbsent {
                label,
                present: present_labels(&labels),
            }
        } else {
            FeatureError::EmptyMask
        });
    };
    let offset: [usize; 3] = std::array::from_fn(|axis| label_box[axis][0] + region_offset[axis]);
    let shift = |b: [[usize; 2]; 3]| -> [[usize; 2]; 3] {
        std::array::from_fn(|axis| [b[axis][0] + offset[axis], b[axis][1] + offset[axis]])
    };
    let intensities = crop(&image.data, &label_box);
    let morphological = crop(&labels, &label_box).mapv(|v| v == label);
    let mut bounding_box = check_roi(&morphological, settings)?;
    if settings.resampled_pixel_spacing.is_some() {
        let count = morphological.iter().filter(|&&m| m).count();
        diagnostics.push((
            "diagnostics_Mask-interpolated_BoundingBox".to_string(),
            format_box(&shift(bounding_box)),
        ));
        diagnostics.push((
            "diagnostics_Mask-interpolated_VoxelNum".to_string(),
            count.to_string(),
        ));
    }

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
            format_box(&shift(bounding_box)),
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
        bounding_box: shift(bounding_box),
        diagnostics,
    })
}

/// One pass over a label map: the bounding box and voxel count of one label, and whether any voxel is labelled.
#[derive(Debug, Clone, Copy)]
struct LabelScan {
    bounding_box: Option<[[usize; 2]; 3]>,
    count: usize,
    any_nonzero: bool,
}

impl LabelScan {
    fn of(labels: &Array3<i64>, label: i64) -> LabelScan {
        let mut bb = [[usize::MAX, 0]; 3];
        let mut count = 0;
        let mut any_nonzero = false;
        for (z, plane) in labels.outer_iter().enumerate() {
            for (y, row) in plane.outer_iter().enumerate() {
                // Rows are scanned without per-voxel index bookkeeping: most rows hold no ROI voxel.
                let mut first = None;
                let mut last = 0;
                for (x, &v) in row.iter().enumerate() {
                    if v == label {
                        first.get_or_insert(x);
                        last = x;
                        count += 1;
                    }
                    any_nonzero |= v != 0;
                }
                if let Some(first) = first {
                    bb[0] = [bb[0][0].min(z), bb[0][1].max(z)];
                    bb[1] = [bb[1][0].min(y), bb[1][1].max(y)];
                    bb[2] = [bb[2][0].min(first), bb[2][1].max(last)];
                }
            }
        }
        LabelScan {
            bounding_box: (count > 0).then_some(bb),
            count,
            any_nonzero,
        }
    }
}

/// [`original_diagnostics`] from the whole-volume summary of a region extraction.
fn whole_diagnostics(whole: &WholeInput, scan: &LabelScan) -> Vec<(String, String)> {
    let (sum, min, max) = whole.image_sum_min_max;
    let n = whole.image_size_xyz.iter().product::<usize>().max(1) as f64;
    let shifted = scan.bounding_box.map(|b| {
        std::array::from_fn(|axis| {
            [
                b[axis][0] + whole.region_offset[axis],
                b[axis][1] + whole.region_offset[axis],
            ]
        })
    });
    diagnostics_entries(
        [whole.image_spacing, whole.mask_spacing],
        [whole.image_size_xyz, whole.mask_size_xyz],
        (sum / n, min, max),
        shifted,
        scan.count,
    )
}

/// PyRadiomics' `diagnostics_Image-original_*` and `diagnostics_Mask-original_*` entries of the inputs (Python
/// reprs: tuples in (x, y, z) order, shortest round-trip floats).
fn original_diagnostics(image: &Volume, mask: &LabelMap, scan: &LabelScan) -> Vec<(String, String)> {
    let n = image.data.len().max(1) as f64;
    let (min, max) = image
        .data
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    diagnostics_entries(
        [image.geometry.spacing, mask.geometry.spacing],
        [image.size_xyz(), mask.size_xyz()],
        (image.data.sum() / n, min, max),
        scan.bounding_box,
        scan.count,
    )
}

/// The `diagnostics_Image-original_*` / `diagnostics_Mask-original_*` entries: spacing and size of image and mask,
/// image mean/minimum/maximum, the label's bounding box and voxel count.
fn diagnostics_entries(
    spacing: [[f64; 3]; 2],
    size_xyz: [[usize; 3]; 2],
    (mean, min, max): (f64, f64, f64),
    bounding_box: Option<[[usize; 2]; 3]>,
    count: usize,
) -> Vec<(String, String)> {
    let tuple_f = |v: [f64; 3]| format!("({:?}, {:?}, {:?})", v[0], v[1], v[2]);
    let tuple_u = |v: [usize; 3]| format!("({}, {}, {})", v[0], v[1], v[2]);
    let mut out = vec![
        (
            "diagnostics_Image-original_Spacing".to_string(),
            tuple_f(spacing[0]),
        ),
        (
            "diagnostics_Image-original_Size".to_string(),
            tuple_u(size_xyz[0]),
        ),
        ("diagnostics_Image-original_Mean".to_string(), format!("{mean:?}")),
        (
            "diagnostics_Image-original_Minimum".to_string(),
            format!("{min:?}"),
        ),
        (
            "diagnostics_Image-original_Maximum".to_string(),
            format!("{max:?}"),
        ),
        (
            "diagnostics_Mask-original_Spacing".to_string(),
            tuple_f(spacing[1]),
        ),
        ("diagnostics_Mask-original_Size".to_string(), tuple_u(size_xyz[1])),
    ];
    if let Some(b) = bounding_box {
        out.push((
            "diagnostics_Mask-original_BoundingBox".to_string(),
            format_box(&b),
        ));
        out.push((
            "diagnostics_Mask-original_VoxelNum".to_string(),
            count.to_string(),
        ));
    }
    out
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

/// ITK's `VerifyInputInformation`: size exact, origin/spacing within `tol · spacing_x`, direction within `tol`
/// (`geometryTolerance`, default 1e-6); the error names what differs.
///
/// # Errors
/// [`FeatureError::GeometryMismatch`].
pub fn check_geometry(
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

/// PyRadiomics `resampleImage`: a grid with the requested spacing (0, or an axis the ROI spans one slice on, keeps the
/// mask spacing), aligned to the mask's voxel corners and covering the ROI bounding box plus `padDistance` voxels;
/// the image is interpolated with `interpolator` and cast back to the stored pixel type as ITK does ([`output_cast`]),
/// the mask with nearest neighbour.
fn resample_pair(
    image: &Volume,
    mask: &LabelMap,
    requested: [f64; 3],
    settings: &ExtractionSettings,
) -> Result<(Volume, LabelMap)> {
    let label = settings.label;
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
    let Some((geometry, shape)) = resampled_grid(
        mask,
        &roi_box,
        requested,
        image.geometry.spacing,
        settings.pad_distance as f64,
    ) else {
        // Only the mask is resampled onto the image grid (then cropped with padding by the caller's checks).
        let resampled =
            resample_labels_nearest(mask, &image.geometry, image.data.dim()).map_err(image_error)?;
        return Ok((image.clone(), resampled));
    };
    let cast = output_cast(image);
    let resampled_image =
        resample_volume(image, &geometry, shape, settings.interpolator, cast).map_err(image_error)?;
    let resampled_mask = resample_labels_nearest(mask, &geometry, shape).map_err(image_error)?;
    Ok((resampled_image, resampled_mask))
}

/// PyRadiomics' resampled grid (`imageoperations.resampleImage`) around the ROI's bounding box `roi_box` on the
/// mask grid, padded by `pad` voxels: its geometry and `[z, y, x]` shape; `None` when the spacing to reach equals the
/// image's (PyRadiomics then only resamples the mask onto the image grid). An axis of `requested` that is 0, or along
/// which the ROI is one voxel thick, keeps the mask's spacing.
pub(crate) fn resampled_grid(
    mask: &LabelMap,
    roi_box: &[[usize; 2]; 3],
    requested: [f64; 3],
    image_spacing: [f64; 3],
    pad: f64,
) -> Option<(Geometry, (usize, usize, usize))> {
    let mask_spacing = mask.geometry.spacing;
    // Bounding box as ITK reports it: lower index and size, (x, y, z).
    let lower = [roi_box[2][0] as f64, roi_box[1][0] as f64, roi_box[0][0] as f64];
    let size = [
        (roi_box[2][1] - roi_box[2][0] + 1) as f64,
        (roi_box[1][1] - roi_box[1][0] + 1) as f64,
        (roi_box[0][1] - roi_box[0][0] + 1) as f64,
    ];
    let spacing: [f64; 3] = std::array::from_fn(|k| {
        if requested[k] == 0.0 || size[k] == 1.0 {
            mask_spacing[k]
        } else {
            requested[k]
        }
    });
    if (0..3).all(|k| (image_spacing[k] - spacing[k]).abs() <= 1e-8 + 1e-5 * spacing[k].abs()) {
        return None;
    }
    let mask_size = mask.size_xyz();
    let mut new_size = [0_usize; 3];
    let mut origin_index = [0.0; 3];
    for k in 0..3 {
        let ratio = mask_spacing[k] / spacing[k];
        let max_upper = (mask_size[k] as f64 * ratio).ceil() - 1.0;
        let lower_new = ((lower[k] - 0.5) * ratio - pad).floor().max(0.0);
        let upper_new = ((lower[k] + size[k] - 0.5) * ratio + pad).ceil().min(max_upper);
        new_size[k] = (upper_new - lower_new + 1.0).max(1.0) as usize;
        origin_index[k] = 0.5 * (spacing[k] - mask_spacing[k]) / mask_spacing[k] + lower_new / ratio;
    }
    let geometry = Geometry {
        spacing,
        origin: mask.geometry.index_to_physical(origin_index),
        direction: mask.geometry.direction,
        ndim: mask.geometry.ndim,
    };
    Some((geometry, (new_size[2], new_size[1], new_size[0])))
}

/// Whether `v` is a whole number of magnitude below 9e15 (where an i64 round trip is exact), without `fract` or
/// `trunc` (libm calls on baseline x86-64) and without branches: below 2^52, adding and removing 2^52 rounds to a
/// whole number; from 2^52 on, every f64 is one. NaN and infinities are not.
#[inline]
pub(crate) fn is_integer(v: f64) -> bool {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let a = v.abs();
    (a < 9.0e15) & ((a >= TWO_52) | ((a + TWO_52) - TWO_52 == a))
}

/// How resampling stores interpolated values: as the image's pixel type when the file recorded it (ITK casts to
/// the input pixel type), else as inferred from the values ([`integer_cast`]).
pub(crate) fn output_cast(image: &Volume) -> OutputCast {
    match image.pixel_type {
        Some(mmrad_core::PixelType::Float32) => OutputCast::Float32,
        Some(t) => t
            .integer_range()
            .map_or(OutputCast::Float, |(min, max)| OutputCast::Integer { min, max }),
        None => integer_cast(&image.data),
    }
}

/// The smallest of uint8, int16, uint16, int32 holding every value when all values are integers, else float.
pub(crate) fn integer_cast(data: &Array3<f64>) -> OutputCast {
    // One pass over the whole image, in blocks without a per-voxel exit (which keeps the loop from vectorising),
    // stopping after the first block holding a non-integer.
    let mut min = [f64::INFINITY; 8];
    let mut max = [f64::NEG_INFINITY; 8];
    let values: std::borrow::Cow<'_, [f64]> = match data.as_slice() {
        Some(slice) => std::borrow::Cow::Borrowed(slice),
        None => std::borrow::Cow::Owned(data.iter().copied().collect()),
    };
    for block in values.chunks(4096) {
        let mut all_integers = true;
        let lanes = block.chunks_exact(8);
        let rest = lanes.remainder();
        for group in lanes {
            for k in 0..8 {
                let v = group[k];
                all_integers &= is_integer(v);
                min[k] = if v < min[k] { v } else { min[k] };
                max[k] = if v > max[k] { v } else { max[k] };
            }
        }
        for &v in rest {
            all_integers &= is_integer(v);
            min[0] = if v < min[0] { v } else { min[0] };
            max[0] = if v > max[0] { v } else { max[0] };
        }
        if !all_integers {
            return OutputCast::Float;
        }
    }
    let min = min.into_iter().fold(f64::INFINITY, f64::min);
    let max = max.into_iter().fold(f64::NEG_INFINITY, f64::max);
    for (lo, hi) in [
        (0_i64, 255_i64),
        (-32768, 32767),
        (0, 65535),
        (i64::from(i32::MIN), i64::from(i32::MAX)),
    ] {
        if min >= lo as f64 && max <= hi as f64 {
            return OutputCast::Integer { min: lo, max: hi };
        }
    }
    OutputCast::Float
}

#[cfg(test)]
mod integer_tests {
    use super::*;

    /// The branch-free test agrees with the i64 round trip it replaces, at the edges of every range.
    #[test]
    fn is_integer_matches_the_round_trip() {
        let round_trip = |v: f64| v.abs() < 9.0e15 && (v as i64) as f64 == v;
        let two_52 = 4_503_599_627_370_496.0_f64;
        let mut values = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            1.5,
            2.5,
            -2.5,
            1e-300,
            3.0e15,
            8.99e15,
            9.0e15,
            9.1e15,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            two_52,
            -two_52,
        ];
        for base in [two_52, 2.0 * two_52, 1.0, 1024.0, 32767.0, 65535.0] {
            let mut v = base;
            for _ in 0..4 {
                v = v.next_down();
                values.extend([v, -v]);
            }
            let mut v = base;
            for _ in 0..4 {
                v = v.next_up();
                values.extend([v, -v]);
            }
        }
        for v in values {
            assert_eq!(is_integer(v), round_trip(v), "{v:e}");
        }
    }
}
