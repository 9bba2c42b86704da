//! Masks for an image: [`read_mask`] dispatches between label maps (NIfTI, NRRD), DICOM SEG and RTSTRUCT;
//! [`check_geometry`] compares a mask grid with an image grid; [`resample_mask_to_image`] moves a mask onto the image
//! grid by nearest neighbour in physical space (the `--resample-mask-to-image` remedy).
//!
//! # Conventions
//! - Grids are compared as ITK's `ImageBase::VerifyInformation` does: the size exactly, spacing and origin within
//!   `tolerance × image spacing x` millimetres, the direction cosines within `tolerance` (absolute).
//! - Nearest neighbour follows ITK's `NearestNeighborInterpolateImageFunction`: the continuous mask index of each
//!   image voxel centre is rounded half up (`floor(j + 0.5)`); image voxels outside the mask grid get label 0.
//! - A SEG segment or an RTSTRUCT ROI becomes one label, [`MaskSelect::label`] (default 1, PyRadiomics' default).

use std::path::Path;

use mmrad_core::{Geometry, LabelMap, Volume};
use ndarray::Array3;

use crate::dicom::DicomImage;
use crate::dicom::rtstruct::{RtStructOptions, read_rtstruct_with_options, rtstruct_roi_names};
use crate::dicom::seg::{self, SegSelect, SegmentId, read_seg};
use crate::{Error, Result};

/// Default grid tolerance of [`check_geometry`], relative to the image x spacing for lengths (1 µm for 1 mm voxels:
/// above the float32 rounding of NIfTI headers, far below any real misregistration).
pub const DEFAULT_GEOMETRY_TOLERANCE: f64 = 1e-3;

/// The grid of the image a mask belongs to, and its DICOM series (checked against what a SEG or RTSTRUCT references).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageGrid {
    pub geometry: Geometry,
    /// Size `(x, y, z)`.
    pub size_xyz: [usize; 3],
    /// SeriesInstanceUID of a DICOM image; `None` for NIfTI/NRRD images (no series check then).
    pub series_uid: Option<String>,
    /// FrameOfReferenceUID of a DICOM image; `None` for NIfTI/NRRD images (no frame-of-reference check then).
    pub frame_of_reference_uid: Option<String>,
}

impl ImageGrid {
    /// The grid of a volume (no series UID).
    pub fn of_volume(volume: &Volume) -> ImageGrid {
        ImageGrid {
            geometry: volume.geometry.clone(),
            size_xyz: volume.size_xyz(),
            series_uid: None,
            frame_of_reference_uid: None,
        }
    }

    /// The grid and series UID of a DICOM image.
    pub fn of_dicom(image: &DicomImage) -> ImageGrid {
        ImageGrid {
            series_uid: image.series_uid.clone(),
            frame_of_reference_uid: image.frame_of_reference_uid.clone(),
            ..ImageGrid::of_volume(&image.volume)
        }
    }
}

/// Which part of a mask file to read, and how to fit it to the image.
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `label` | `None` | label map: the label that must be present; SEG/RTSTRUCT: the value written (else 1) |
/// | `segment` | `None` | SEG: segment by number or label (required when the SEG has several) |
/// | `roi` | `None` | RTSTRUCT: ROI name (required) |
/// | `resample_to_image` | `false` | put a label map or SEG on another grid onto the image grid (nearest neighbour) instead of failing |
/// | `geometry_tolerance` | [`DEFAULT_GEOMETRY_TOLERANCE`] | see [`check_geometry`] |
#[derive(Debug, Clone, PartialEq)]
pub struct MaskSelect {
    pub label: Option<i64>,
    pub segment: Option<SegmentId>,
    pub roi: Option<String>,
    pub resample_to_image: bool,
    pub geometry_tolerance: f64,
}

impl Default for MaskSelect {
    fn default() -> Self {
        MaskSelect {
            label: None,
            segment: None,
            roi: None,
            resample_to_image: false,
            geometry_tolerance: DEFAULT_GEOMETRY_TOLERANCE,
        }
    }
}

/// The kind of a mask file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MaskKind {
    /// NIfTI or NRRD label map (by extension).
    LabelMap,
    /// DICOM Segmentation (SOP class 1.2.840.10008.5.1.4.1.1.66.4 or Modality `SEG`).
    Seg,
    /// DICOM RT Structure Set (SOP class 1.2.840.10008.5.1.4.1.1.481.3 or Modality `RTSTRUCT`).
    RtStruct,
}

/// Recognises a mask file: a label map by its extension, else a DICOM file by SOPClassUID or Modality.
///
/// # Errors
/// A folder, an unreadable file, or a DICOM file that is neither SEG nor RTSTRUCT (the error names its Modality).
pub fn mask_kind(path: &Path) -> Result<MaskKind> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if [".nrrd", ".nhdr", ".nii", ".nii.gz"]
        .iter()
        .any(|ext| name.ends_with(ext))
    {
        return Ok(MaskKind::LabelMap);
    }
    if path.is_dir() {
        return Err(mask_error(
            path,
            "is a folder; a mask is one file (label map, DICOM SEG or RTSTRUCT)",
        ));
    }
    let (modality, sop_class) = seg::sop_kind(path)?;
    match (modality.as_deref(), sop_class.as_deref()) {
        (_, Some(seg::SEG_SOP_CLASS)) | (Some("SEG"), _) => Ok(MaskKind::Seg),
        (_, Some(crate::dicom::rtstruct::RTSTRUCT_SOP_CLASS)) | (Some("RTSTRUCT"), _) => {
            Ok(MaskKind::RtStruct)
        }
        _ => Err(mask_error(
            path,
            format!(
                "is a DICOM file but not a mask: Modality (0008,0060) `{}`, SOPClassUID (0008,0016) `{}`; expected \
                 a DICOM SEG or RTSTRUCT, or a .nrrd/.nii.gz label map",
                modality.unwrap_or_default(),
                sop_class.unwrap_or_default()
            ),
        )),
    }
}

/// Reads a mask of any supported kind, on the image grid when `reference` is given.
///
/// - Label map: read as stored; with `select.label`, that label must be present; with a reference, the grids must
///   agree ([`check_geometry`]) unless `select.resample_to_image`.
/// - DICOM SEG: the selected segment (see [`read_seg`]) placed on the reference grid, or on its own grid.
/// - RTSTRUCT: the ROI `select.roi` rasterised on the reference grid (a reference is required).
///
/// # Errors
/// Those of the readers; a missing label, ROI or reference; a grid mismatch (names the field and the remedy).
pub fn read_mask(path: &Path, select: &MaskSelect, reference: Option<&ImageGrid>) -> Result<LabelMap> {
    let label_value = select.label.unwrap_or(1);
    match mask_kind(path)? {
        MaskKind::LabelMap => {
            let labels = crate::read_label_map(path)?;
            if let Some(label) = select.label {
                let present = labels.labels();
                if !present.contains(&label) {
                    return Err(mask_error(
                        path,
                        format!("has no voxel with label `{label}`; labels present: {present:?}"),
                    ));
                }
            }
            fit_to_reference(labels, select, reference)
        }
        MaskKind::Seg => {
            let seg_select = SegSelect {
                segment: select.segment.clone(),
                label_value,
                ..SegSelect::default()
            };
            match reference {
                Some(grid) if select.resample_to_image => {
                    seg::check_referenced_series(path, grid)?;
                    let own = read_seg(path, &seg_select, None)?;
                    resample_mask_to_image(&own, &grid.geometry, grid.size_xyz)
                }
                _ => read_seg(path, &seg_select, reference),
            }
        }
        MaskKind::RtStruct => {
            let Some(roi) = &select.roi else {
                let names = rtstruct_roi_names(path)?;
                return Err(mask_error(
                    path,
                    format!(
                        "is an RTSTRUCT: choose an ROI by name (`--roi NAME`); ROIs present: {}",
                        quoted_list(&names)
                    ),
                ));
            };
            let Some(grid) = reference else {
                return Err(mask_error(
                    path,
                    "is an RTSTRUCT: its contours need the image grid; give the image (`--image`)",
                ));
            };
            let options = RtStructOptions {
                label_value,
                ..RtStructOptions::default()
            };
            read_rtstruct_with_options(path, roi, grid, &options)
        }
    }
}

fn fit_to_reference(
    labels: LabelMap,
    select: &MaskSelect,
    reference: Option<&ImageGrid>,
) -> Result<LabelMap> {
    let Some(grid) = reference else {
        return Ok(labels);
    };
    let checked = check_geometry(
        &grid.geometry,
        grid.size_xyz,
        &labels.geometry,
        labels.size_xyz(),
        select.geometry_tolerance,
    );
    match checked {
        Ok(()) => Ok(labels),
        Err(_) if select.resample_to_image => resample_mask_to_image(&labels, &grid.geometry, grid.size_xyz),
        Err(e) => Err(e),
    }
}

/// Checks that a mask grid equals an image grid: size exactly; spacing and origin within `tolerance × image spacing
/// x` mm; direction cosines within `tolerance`.
///
/// # Errors
/// [`Error::GeometryMismatch`] naming every field that differs (`size`, `spacing`, `origin`, `direction`), both
/// values and the largest difference, with the `--resample-mask-to-image` hint.
///
/// # Examples
/// ```
/// use mmrad_core::Geometry;
/// use mmrad_io::mask::{DEFAULT_GEOMETRY_TOLERANCE, check_geometry};
/// let image = Geometry::with_spacing([0.8, 0.8, 2.0]);
/// let mut mask = image.clone();
/// assert!(check_geometry(&image, [64, 64, 20], &mask, [64, 64, 20], DEFAULT_GEOMETRY_TOLERANCE).is_ok());
/// mask.origin[2] = 1.0;
/// let error = check_geometry(&image, [64, 64, 20], &mask, [64, 64, 20], DEFAULT_GEOMETRY_TOLERANCE).unwrap_err();
/// assert!(error.to_string().contains("differ in origin"));
/// ```
pub fn check_geometry(
    image: &Geometry,
    image_size: [usize; 3],
    mask: &Geometry,
    mask_size: [usize; 3],
    tolerance: f64,
) -> Result<()> {
    let length_tolerance = tolerance * image.spacing[0].abs();
    let mut fields = Vec::new();
    let mut details = Vec::new();
    if image_size != mask_size {
        fields.push("size");
        details.push(format!(
            "size (x, y, z) image {image_size:?} vs mask {mask_size:?} voxels"
        ));
    }
    let worst = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .enumerate()
            .map(|(k, (x, y))| (k, (x - y).abs()))
            .fold(
                (0, 0.0_f64),
                |best, (k, d)| {
                    if d > best.1 || d.is_nan() { (k, d) } else { best }
                },
            )
    };
    const AXES: [&str; 3] = ["x", "y", "z"];
    for (field, a, b) in [
        ("spacing", &image.spacing, &mask.spacing),
        ("origin", &image.origin, &mask.origin),
    ] {
        let (axis, difference) = worst(a, b);
        if difference.is_nan() || difference > length_tolerance {
            fields.push(field);
            details.push(format!(
                "{field} image {a:?} vs mask {b:?} mm, largest difference {difference:.3e} mm along {} (tolerance \
                 {length_tolerance:.1e} mm)",
                AXES.get(axis).unwrap_or(&"?")
            ));
        }
    }
    let (_, difference) = worst(&image.direction, &mask.direction);
    if difference.is_nan() || difference > tolerance {
        fields.push("direction");
        details.push(format!(
            "direction image {:?} vs mask {:?}, largest cosine difference {difference:.3e} (tolerance {tolerance:.1e})",
            image.direction, mask.direction
        ));
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(Error::GeometryMismatch {
            fields: fields.join(", "),
            details: details.join("; "),
        })
    }
}

/// Resamples a mask onto an image grid by nearest neighbour in physical space (ITK convention, see the module doc).
///
/// The result has the image geometry and size; image voxels whose centre falls outside the mask grid are 0.
///
/// # Errors
/// A mask geometry with a singular direction × spacing matrix, or an empty image size.
pub fn resample_mask_to_image(mask: &LabelMap, image: &Geometry, image_size: [usize; 3]) -> Result<LabelMap> {
    let inverse = inverse_index_transform(&mask.geometry).ok_or_else(|| Error::GeometryMismatch {
        fields: "direction".into(),
        details: format!(
            "the mask direction {:?} with spacing {:?} is not invertible",
            mask.geometry.direction, mask.geometry.spacing
        ),
    })?;
    let [nx, ny, nz] = image_size;
    let [mx, my, mz] = mask.size_xyz();
    let mut data = Array3::<i64>::zeros((nz, ny, nx));
    for ((z, y, x), out) in data.indexed_iter_mut() {
        let p = image.index_to_physical([x as f64, y as f64, z as f64]);
        let j = inverse.apply(p);
        let nearest = [(j[0] + 0.5).floor(), (j[1] + 0.5).floor(), (j[2] + 0.5).floor()];
        let inside = nearest[0] >= 0.0
            && nearest[1] >= 0.0
            && nearest[2] >= 0.0
            && nearest[0] < mx as f64
            && nearest[1] < my as f64
            && nearest[2] < mz as f64;
        if inside {
            let index = (nearest[2] as usize, nearest[1] as usize, nearest[0] as usize);
            *out = mask.data.get(index).copied().unwrap_or(0);
        }
    }
    let geometry = Geometry {
        ndim: image.ndim,
        ..image.clone()
    };
    Ok(LabelMap::new(data, geometry))
}

/// Physical point → continuous index `(x, y, z)` of a grid: `index = (D · diag(spacing))⁻¹ (p − origin)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct InverseTransform {
    origin: [f64; 3],
    /// Row-major inverse of `D · diag(spacing)`.
    matrix: [f64; 9],
}

impl InverseTransform {
    pub(crate) fn apply(&self, p: [f64; 3]) -> [f64; 3] {
        let d = [
            p[0] - self.origin[0],
            p[1] - self.origin[1],
            p[2] - self.origin[2],
        ];
        let m = &self.matrix;
        [
            m[0] * d[0] + m[1] * d[1] + m[2] * d[2],
            m[3] * d[0] + m[4] * d[1] + m[5] * d[2],
            m[6] * d[0] + m[7] * d[1] + m[8] * d[2],
        ]
    }
}

/// The inverse index transform of a geometry, or `None` when `D · diag(spacing)` is singular or not finite.
pub(crate) fn inverse_index_transform(geometry: &Geometry) -> Option<InverseTransform> {
    let d = &geometry.direction;
    let s = &geometry.spacing;
    let a = [
        d[0] * s[0],
        d[1] * s[1],
        d[2] * s[2],
        d[3] * s[0],
        d[4] * s[1],
        d[5] * s[2],
        d[6] * s[0],
        d[7] * s[1],
        d[8] * s[2],
    ];
    let cofactor = [
        a[4] * a[8] - a[5] * a[7],
        a[5] * a[6] - a[3] * a[8],
        a[3] * a[7] - a[4] * a[6],
        a[2] * a[7] - a[1] * a[8],
        a[0] * a[8] - a[2] * a[6],
        a[1] * a[6] - a[0] * a[7],
        a[1] * a[5] - a[2] * a[4],
        a[2] * a[3] - a[0] * a[5],
        a[0] * a[4] - a[1] * a[3],
    ];
    let det = a[0] * cofactor[0] + a[1] * cofactor[1] + a[2] * cofactor[2];
    let scale = s.iter().map(|v| v.abs()).product::<f64>();
    if !det.is_finite() || det.abs() <= 1e-12 * scale.max(f64::MIN_POSITIVE) {
        return None;
    }
    // inverse = adjugate / det, adjugate = cofactorᵀ.
    let matrix = [
        cofactor[0] / det,
        cofactor[3] / det,
        cofactor[6] / det,
        cofactor[1] / det,
        cofactor[4] / det,
        cofactor[7] / det,
        cofactor[2] / det,
        cofactor[5] / det,
        cofactor[8] / det,
    ];
    matrix.iter().all(|v| v.is_finite()).then_some(InverseTransform {
        origin: geometry.origin,
        matrix,
    })
}

pub(crate) fn mask_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Mask {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// `` `a`, `b`, `c` `` (or `none`).
pub(crate) fn quoted_list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
