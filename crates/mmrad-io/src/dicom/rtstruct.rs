//! DICOM RT Structure Set (RTSTRUCT) → [`LabelMap`]: the contours of one ROI rasterised on the image grid.
//!
//! # Conventions
//! - The ROI is chosen by `StructureSetROISequence/ROIName` (exact, else a unique case-insensitive match); its contours
//!   are the `ROIContourSequence` item whose ReferencedROINumber is the ROI's ROINumber.
//! - Each `CLOSED_PLANAR` (or `CLOSED_PLANAR_XOR`) contour is mapped into continuous image indices; it belongs to the
//!   slice whose index is nearest to its position along the slice normal, within
//!   [`RtStructOptions::slice_tolerance`] of the slice spacing (else an error: a contour between slices or beyond
//!   the image). `POINT` and `OPEN_*` contours enclose no area and are skipped.
//! - Pixel-centre rule: a voxel is inside when its centre is inside the polygon by the even-odd (crossing number)
//!   rule, with W. R. Franklin's PNPOLY tie convention: an edge crosses the row `y` when exactly one end has
//!   `y_end > y`, and a centre at `x` is counted left of a crossing at `x_c` when `x < x_c`. Voxels only partially
//!   covered by the polygon are therefore in or out according to their centre, as in plastimatch and
//!   `matplotlib.path.Path.contains_points`.
//! - All contours of the ROI on one slice are combined by the same even-odd rule (XOR), so a contour drawn inside
//!   another is a hole, as PS3.3 C.8.8.6.3 describes for nested contours.

use std::path::Path;

use dicom_dictionary_std::tags;
use ndarray::Array3;

use mmrad_core::LabelMap;

use crate::Result;
use crate::dicom::decode::{self, OpenedFile};
use crate::dicom::seg::{items, seg_error, text, uint};
use crate::mask::{ImageGrid, inverse_index_transform, quoted_list};

/// SOP Class UID of RT Structure Set Storage.
pub const RTSTRUCT_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.481.3";

/// Options of [`read_rtstruct_with_options`].
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `label_value` | `1` | the label written inside the ROI | ≠ 0 |
/// | `slice_tolerance` | `0.1` | how far (fraction of the slice spacing) a contour may lie from a slice | (0, 0.5] |
#[derive(Debug, Clone, PartialEq)]
pub struct RtStructOptions {
    pub label_value: i64,
    pub slice_tolerance: f64,
}

impl Default for RtStructOptions {
    fn default() -> Self {
        RtStructOptions {
            label_value: 1,
            slice_tolerance: 0.1,
        }
    }
}

/// Lists the ROI names of an RTSTRUCT (StructureSetROISequence order).
///
/// # Errors
/// An unreadable file or a file that is not an RTSTRUCT.
pub fn rtstruct_roi_names(path: &Path) -> Result<Vec<String>> {
    let opened = open_rtstruct(path)?;
    Ok(rois(&opened).into_iter().map(|(_, name)| name).collect())
}

/// Rasterises ROI `roi` of an RTSTRUCT on the image grid `reference`, with default options.
///
/// # Errors
/// See [`read_rtstruct_with_options`].
pub fn read_rtstruct(path: &Path, roi: &str, reference: &ImageGrid) -> Result<LabelMap> {
    read_rtstruct_with_options(path, roi, reference, &RtStructOptions::default())
}

/// Rasterises ROI `roi` of an RTSTRUCT on the image grid `reference` (see the module doc for the rules).
///
/// # Errors
/// Each names the file and the attribute: not an RTSTRUCT; ROI name absent (the error lists the names present); an
/// RTSTRUCT referencing another series than the image; an ROI without contours; an empty or degenerate ContourData;
/// a contour not parallel to the slices, between slices or on a position with no image slice.
pub fn read_rtstruct_with_options(
    path: &Path,
    roi: &str,
    reference: &ImageGrid,
    options: &RtStructOptions,
) -> Result<LabelMap> {
    if !(options.slice_tolerance > 0.0 && options.slice_tolerance <= 0.5) {
        return Err(seg_error(
            path,
            format!("slice tolerance `{}` outside (0, 0.5]", options.slice_tolerance),
        ));
    }
    if options.label_value == 0 {
        return Err(seg_error(
            path,
            "label value `0` is the background; choose another",
        ));
    }
    let opened = open_rtstruct(path)?;
    let all_rois = rois(&opened);
    let roi_number = choose_roi(path, &all_rois, roi)?;
    if let Some(uid) = &reference.series_uid {
        check_series(&opened, uid)?;
    }
    let roi_frame = items(&opened.object, tags::STRUCTURE_SET_ROI_SEQUENCE)
        .iter()
        .find(|item| uint(item, tags::ROI_NUMBER) == Some(roi_number))
        .and_then(|item| text(item, tags::REFERENCED_FRAME_OF_REFERENCE_UID));
    super::seg::check_frame_of_reference(
        path,
        "RTSTRUCT",
        "the ROI's ReferencedFrameOfReferenceUID (3006,0024)",
        roi_frame.as_deref(),
        reference.frame_of_reference_uid.as_deref(),
    )?;
    let contours = roi_contours(&opened, roi, roi_number)?;
    let geometry = &reference.geometry;
    let [nx, ny, nz] = reference.size_xyz;
    let inverse = inverse_index_transform(geometry)
        .ok_or_else(|| seg_error(path, "the image grid has a singular direction or zero spacing"))?;
    let d = &geometry.direction;
    let normal = [d[2], d[5], d[8]];
    let along = |p: [f64; 3]| p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2];
    let first_slice = along(geometry.index_to_physical([0.0; 3]));
    let last_slice = along(geometry.index_to_physical([0.0, 0.0, nz.saturating_sub(1) as f64]));
    // Polygons (in continuous x, y indices) per slice.
    let mut per_slice: Vec<Vec<Vec<[f64; 2]>>> = vec![Vec::new(); nz];
    let mut n_closed = 0;
    for (k, contour) in contours.iter().enumerate() {
        let geometric_type = text(contour, tags::CONTOUR_GEOMETRIC_TYPE).unwrap_or_default();
        if !matches!(geometric_type.as_str(), "CLOSED_PLANAR" | "CLOSED_PLANAR_XOR") {
            continue;
        }
        n_closed += 1;
        let data: Vec<f64> = contour
            .get(tags::CONTOUR_DATA)
            .and_then(|e| e.to_multi_float64().ok())
            .unwrap_or_default();
        let n_points = data.len() / 3;
        if data.is_empty() {
            return Err(seg_error(
                path,
                format!("ROI `{roi}` contour {k} has an empty ContourData (3006,0050)"),
            ));
        }
        if !data.len().is_multiple_of(3) || n_points < 3 || data.iter().any(|v| !v.is_finite()) {
            return Err(seg_error(
                path,
                format!(
                    "ROI `{roi}` contour {k}: ContourData (3006,0050) holds {} values; a closed planar contour needs \
                     at least 3 finite (x, y, z) points",
                    data.len()
                ),
            ));
        }
        if let Some(declared) = uint(contour, tags::NUMBER_OF_CONTOUR_POINTS)
            && declared as usize != n_points
        {
            return Err(seg_error(
                path,
                format!(
                    "ROI `{roi}` contour {k}: NumberOfContourPoints (3006,0046) is {declared} but ContourData \
                     (3006,0050) holds {n_points} points"
                ),
            ));
        }
        let points: Vec<[f64; 3]> = data
            .chunks_exact(3)
            .map(|c| inverse.apply([c[0], c[1], c[2]]))
            .collect();
        let mean_z = points.iter().map(|p| p[2]).sum::<f64>() / n_points as f64;
        let spread = points.iter().map(|p| (p[2] - mean_z).abs()).fold(0.0, f64::max);
        let position_mm = along([data[0], data[1], data[2]]);
        if spread > options.slice_tolerance {
            return Err(seg_error(
                path,
                format!(
                    "ROI `{roi}` contour {k} is not parallel to the image slices: its points span {:.3} mm along the \
                     slice normal",
                    2.0 * spread * geometry.spacing[2]
                ),
            ));
        }
        let slice = mean_z.round();
        if slice < -0.5 || slice > nz as f64 - 0.5 {
            return Err(seg_error(
                path,
                format!(
                    "ROI `{roi}` contour {k} at {position_mm:.3} mm along the slice normal has no image slice: the \
                     image spans {first_slice:.3} to {last_slice:.3} mm"
                ),
            ));
        }
        if (mean_z - slice).abs() > options.slice_tolerance {
            return Err(seg_error(
                path,
                format!(
                    "ROI `{roi}` contour {k} at {position_mm:.3} mm along the slice normal lies between slices \
                     {} and {} (more than {} of the {:.3} mm slice spacing from either)",
                    mean_z.floor(),
                    mean_z.ceil(),
                    options.slice_tolerance,
                    geometry.spacing[2]
                ),
            ));
        }
        if let Some(polygons) = per_slice.get_mut(slice as usize) {
            polygons.push(points.iter().map(|p| [p[0], p[1]]).collect());
        }
    }
    if n_closed == 0 {
        return Err(seg_error(
            path,
            format!("ROI `{roi}` has no CLOSED_PLANAR contour (ContourGeometricType (3006,0042))"),
        ));
    }
    let mut data = Array3::<i64>::zeros((nz, ny, nx));
    for (z, polygons) in per_slice.iter().enumerate() {
        if polygons.is_empty() {
            continue;
        }
        let mut crossings = Vec::new();
        for y in 0..ny {
            crossings.clear();
            let yc = y as f64;
            for polygon in polygons {
                let n = polygon.len();
                for i in 0..n {
                    let a = polygon[i];
                    let b = polygon[(i + 1) % n];
                    if (a[1] > yc) != (b[1] > yc) {
                        crossings.push(a[0] + (yc - a[1]) * (b[0] - a[0]) / (b[1] - a[1]));
                    }
                }
            }
            crossings.sort_by(f64::total_cmp);
            for pair in crossings.chunks_exact(2) {
                // Inside: pair[0] <= x < pair[1] (see the module doc).
                let start = pair[0].ceil().max(0.0);
                let end = pair[1].ceil().min(nx as f64);
                if start >= end {
                    continue;
                }
                for x in start as usize..end as usize {
                    if let Some(voxel) = data.get_mut((z, y, x)) {
                        *voxel = options.label_value;
                    }
                }
            }
        }
    }
    Ok(LabelMap::new(data, geometry.clone()))
}

fn open_rtstruct(path: &Path) -> Result<OpenedFile> {
    let opened = decode::open(path)?;
    let attrs = &opened.attributes;
    let is_rtstruct = attrs.sop_class_uid.as_deref() == Some(RTSTRUCT_SOP_CLASS)
        || attrs.modality.as_deref() == Some("RTSTRUCT");
    if !is_rtstruct {
        return Err(seg_error(
            path,
            format!(
                "not a DICOM RTSTRUCT: Modality (0008,0060) `{}`, SOPClassUID (0008,0016) `{}`",
                attrs.modality.clone().unwrap_or_default(),
                attrs.sop_class_uid.clone().unwrap_or_default()
            ),
        ));
    }
    Ok(opened)
}

/// (ROINumber, ROIName) of every StructureSetROISequence item.
fn rois(opened: &OpenedFile) -> Vec<(Option<u32>, String)> {
    items(&opened.object, tags::STRUCTURE_SET_ROI_SEQUENCE)
        .iter()
        .map(|item| {
            (
                uint(item, tags::ROI_NUMBER),
                text(item, tags::ROI_NAME).unwrap_or_default(),
            )
        })
        .collect()
}

fn choose_roi(path: &Path, rois: &[(Option<u32>, String)], wanted: &str) -> Result<u32> {
    let wanted = wanted.trim();
    let found = rois.iter().find(|(_, name)| name == wanted).or_else(|| {
        let mut folded = rois.iter().filter(|(_, name)| name.eq_ignore_ascii_case(wanted));
        match (folded.next(), folded.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    });
    match found {
        Some((Some(number), _)) => Ok(*number),
        Some((None, _)) => Err(seg_error(
            path,
            format!("ROI `{wanted}` has no ROINumber (3006,0022) in StructureSetROISequence (3006,0020)"),
        )),
        None => {
            let names: Vec<String> = rois.iter().map(|(_, name)| name.clone()).collect();
            Err(seg_error(
                path,
                format!(
                    "no ROI named `{wanted}` (StructureSetROISequence (3006,0020) / ROIName (3006,0026)); ROIs \
                     present: {}",
                    quoted_list(&names)
                ),
            ))
        }
    }
}

fn roi_contours<'a>(
    opened: &'a OpenedFile,
    roi: &str,
    roi_number: u32,
) -> Result<&'a [dicom_object::InMemDicomObject]> {
    let item = items(&opened.object, tags::ROI_CONTOUR_SEQUENCE)
        .iter()
        .find(|item| uint(item, tags::REFERENCED_ROI_NUMBER) == Some(roi_number));
    let contours = item.map(|i| items(i, tags::CONTOUR_SEQUENCE)).unwrap_or(&[]);
    if contours.is_empty() {
        return Err(seg_error(
            &opened.path,
            format!(
                "ROI `{roi}` (ROINumber {roi_number}) has no contour: no ROIContourSequence (3006,0039) item with a \
                 ContourSequence (3006,0040)"
            ),
        ));
    }
    Ok(contours)
}

fn check_series(opened: &OpenedFile, uid: &str) -> Result<()> {
    let mut referenced = Vec::new();
    for frame in items(&opened.object, tags::REFERENCED_FRAME_OF_REFERENCE_SEQUENCE) {
        for study in items(frame, tags::RT_REFERENCED_STUDY_SEQUENCE) {
            for series in items(study, tags::RT_REFERENCED_SERIES_SEQUENCE) {
                if let Some(series_uid) = text(series, tags::SERIES_INSTANCE_UID) {
                    referenced.push(series_uid);
                }
            }
        }
    }
    if referenced.is_empty() || referenced.iter().any(|r| r == uid) {
        return Ok(());
    }
    Err(seg_error(
        &opened.path,
        // UIDs are not printed: they can embed dates and device serial numbers (PS3.15 de-identification
        // replaces them).
        format!(
            "the RTSTRUCT was drawn on another series than the image ({} referenced series in \
             ReferencedFrameOfReferenceSequence (3006,0010) / RTReferencedSeriesSequence (3006,0014), none is the \
             image's SeriesInstanceUID): pair each mask with the series it was drawn on",
            referenced.len()
        ),
    ))
}
