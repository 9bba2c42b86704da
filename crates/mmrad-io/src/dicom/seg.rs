//! DICOM Segmentation (SEG) → [`LabelMap`]: one segment chosen by number or label, binary (bit-packed) or
//! fractional, frames placed by their per-frame ImagePositionPatient, on a reference image grid or on the SEG's own.
//!
//! # Conventions
//! - Frame → segment: `SegmentIdentificationSequence/ReferencedSegmentNumber` of the per-frame functional groups (the
//!   shared groups, or the only segment, when absent). Frame → slice: `PlanePositionSequence/ImagePositionPatient`
//!   of the frame, mapped into the target grid; the frame order in the file never matters.
//! - BINARY: a pixel is in the segment when its bit is set (bits are packed across frame boundaries, LSB first, as
//!   PS3.5 §8.1.1 prescribes). FRACTIONAL: when `stored ≥ threshold × MaximumFractionalValue` (threshold 0.5 by
//!   default, highdicom's rule for turning fractional segments into binary masks).
//! - With a reference grid, every frame must lie on it: in-plane spacing and orientation equal (relative 1e-3) and
//!   the frame corner within [`POSITION_TOLERANCE_VOXELS`] of a voxel centre; a SEG on a sub-grid of the image (a
//!   cropped bounding box) is placed at its offset. A set pixel outside the grid is an error, never dropped.
//! - Without a reference, the grid spans every frame of the file (all segments): direction from
//!   ImageOrientationPatient, in-plane spacing from PixelSpacing, slice spacing from SpacingBetweenSlices, else the
//!   smallest gap between frame positions along the normal, else SliceThickness, else 1 mm.
//! - The chosen segment is written with [`SegSelect::label_value`] (default 1); overlapping frames are OR-ed.

use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::{InMemDicomObject, Tag};
use ndarray::Array3;

use mmrad_core::{Geometry, LabelMap};

use crate::dicom::decode::{self, OpenedFile};
use crate::mask::{ImageGrid, inverse_index_transform};
use crate::{Error, Result};

/// SOP Class UID of Segmentation Storage.
pub const SEG_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.66.4";

/// How far (in voxels) a frame's corner may lie from a voxel centre of the target grid.
pub const POSITION_TOLERANCE_VOXELS: f64 = 0.05;

/// A segment chosen by its SegmentNumber (0062,0004) or its SegmentLabel (0062,0005).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentId {
    Number(u32),
    Label(String),
}

impl SegmentId {
    /// A number when `text` is a non-negative integer, else a label (`--segment 2`, `--segment Liver`).
    ///
    /// # Examples
    /// ```
    /// use mmrad_io::dicom::SegmentId;
    /// assert_eq!(SegmentId::parse("2"), SegmentId::Number(2));
    /// assert_eq!(SegmentId::parse(" Liver "), SegmentId::Label("Liver".into()));
    /// ```
    pub fn parse(text: &str) -> SegmentId {
        match text.trim().parse::<u32>() {
            Ok(number) => SegmentId::Number(number),
            Err(_) => SegmentId::Label(text.trim().to_string()),
        }
    }
}

/// Which segment of a SEG to read, and how.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `segment` | `None` | the segment; `None` reads the only segment (an error when there are several) | |
/// | `fractional_threshold` | `0.5` | FRACTIONAL: inside when `stored ≥ threshold × MaximumFractionalValue` | (0, 1] |
/// | `label_value` | `1` | the label written for the segment | ≠ 0 |
#[derive(Debug, Clone, PartialEq)]
pub struct SegSelect {
    pub segment: Option<SegmentId>,
    pub fractional_threshold: f64,
    pub label_value: i64,
}

impl Default for SegSelect {
    fn default() -> Self {
        SegSelect {
            segment: None,
            fractional_threshold: 0.5,
            label_value: 1,
        }
    }
}

/// One entry of the SegmentSequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    pub number: u32,
    pub label: String,
}

/// Lists the segments of a SEG file.
///
/// # Errors
/// An unreadable file, a file that is not a SEG, or a missing SegmentSequence.
pub fn seg_segments(path: &Path) -> Result<Vec<SegmentInfo>> {
    let opened = open_seg(path)?;
    segments(&opened)
}

/// Reads one segment of a DICOM SEG into a label map, on `reference`'s grid when given (see the module doc).
///
/// # Errors
/// Each names the file and the attribute: not a SEG; several segments and none chosen, or the chosen one absent (the
/// error lists the segments present); a SEG referencing another series than the reference image
/// (ReferencedSeriesSequence); missing frame position, orientation or spacing; a frame off the reference grid;
/// truncated Pixel Data; an unsupported BitsAllocated or transfer syntax.
pub fn read_seg(path: &Path, select: &SegSelect, reference: Option<&ImageGrid>) -> Result<LabelMap> {
    if !(select.fractional_threshold > 0.0 && select.fractional_threshold <= 1.0) {
        return Err(seg_error(
            path,
            format!(
                "fractional threshold `{}` outside (0, 1]",
                select.fractional_threshold
            ),
        ));
    }
    if select.label_value == 0 {
        return Err(seg_error(
            path,
            "label value `0` is the background; choose another",
        ));
    }
    let opened = open_seg(path)?;
    let all_segments = segments(&opened)?;
    let chosen = choose_segment(path, &all_segments, select.segment.as_ref())?;
    if let Some(grid) = reference {
        check_image(path, &opened.object, grid)?;
    }
    let frames = frame_layout(&opened, &all_segments)?;
    let inside = pixels_inside(&opened, select.fractional_threshold)?;
    let target = match reference {
        Some(grid) => Target {
            geometry: grid.geometry.clone(),
            size_xyz: grid.size_xyz,
        },
        None => own_grid(&opened, &frames)?,
    };
    place(
        path,
        &opened,
        &frames,
        &inside,
        chosen,
        &target,
        select.label_value,
    )
}

/// (Modality, SOPClassUID) of a DICOM file.
pub(crate) fn sop_kind(path: &Path) -> Result<(Option<String>, Option<String>)> {
    let opened = decode::open(path)?;
    Ok((
        opened.attributes.modality.clone(),
        opened.attributes.sop_class_uid.clone(),
    ))
}

/// Checks that a SEG references series `uid` (when it lists referenced series at all).
pub(crate) fn check_referenced_series(path: &Path, grid: &ImageGrid) -> Result<()> {
    let opened = open_seg(path)?;
    check_image(path, &opened.object, grid)
}

/// The SEG must reference the image's series and share its frame of reference (when both sides record them).
fn check_image(path: &Path, obj: &InMemDicomObject, grid: &ImageGrid) -> Result<()> {
    if let Some(uid) = &grid.series_uid {
        check_series(path, obj, uid)?;
    }
    check_frame_of_reference(
        path,
        "SEG",
        "FrameOfReferenceUID (0020,0052)",
        text(obj, tags::FRAME_OF_REFERENCE_UID).as_deref(),
        grid.frame_of_reference_uid.as_deref(),
    )
}

/// A mask whose coordinates are in another frame of reference than the image's (another scan session or patient,
/// or an unregistered modality) would be placed by coordinates that mean something else: an error, unless either
/// side does not record its frame of reference.
pub(super) fn check_frame_of_reference(
    path: &Path,
    kind: &str,
    attribute: &str,
    mask: Option<&str>,
    image: Option<&str>,
) -> Result<()> {
    match (mask, image) {
        (Some(mask), Some(image)) if mask != image => Err(seg_error(
            path,
            // UIDs are not printed (see `check_series`).
            format!(
                "the {kind} is in another frame of reference than the image ({attribute} differs from the image's                  FrameOfReferenceUID (0020,0052)): its coordinates do not address this image; pair each mask with                  the image it was drawn on (or register them first)"
            ),
        )),
        _ => Ok(()),
    }
}

struct Target {
    geometry: Geometry,
    size_xyz: [usize; 3],
}

/// Geometry and segment of one frame.
struct FrameInfo {
    segment: u32,
    position: [f64; 3],
    orientation: [f64; 6],
    /// [row spacing, column spacing].
    pixel_spacing: [f64; 2],
}

pub(super) fn seg_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Dicom {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

pub(super) fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let value = obj.get(tag)?.to_str().ok()?;
    let trimmed = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

pub(super) fn uint(obj: &InMemDicomObject, tag: Tag) -> Option<u32> {
    obj.get(tag)?.to_int::<u32>().ok()
}

pub(super) fn items(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    obj.get(tag).and_then(|e| e.items()).unwrap_or(&[])
}

fn first_item(obj: &InMemDicomObject, tag: Tag) -> Option<&InMemDicomObject> {
    items(obj, tag).first()
}

fn open_seg(path: &Path) -> Result<OpenedFile> {
    let opened = decode::open(path)?;
    let attrs = &opened.attributes;
    let is_seg =
        attrs.sop_class_uid.as_deref() == Some(SEG_SOP_CLASS) || attrs.modality.as_deref() == Some("SEG");
    if !is_seg {
        return Err(seg_error(
            path,
            format!(
                "not a DICOM SEG: Modality (0008,0060) `{}`, SOPClassUID (0008,0016) `{}`",
                attrs.modality.clone().unwrap_or_default(),
                attrs.sop_class_uid.clone().unwrap_or_default()
            ),
        ));
    }
    Ok(opened)
}

fn segments(opened: &OpenedFile) -> Result<Vec<SegmentInfo>> {
    let list = items(&opened.object, tags::SEGMENT_SEQUENCE);
    if list.is_empty() {
        return Err(seg_error(&opened.path, "no SegmentSequence (0062,0002) item"));
    }
    let mut out = Vec::with_capacity(list.len());
    for (k, item) in list.iter().enumerate() {
        let number = uint(item, tags::SEGMENT_NUMBER).ok_or_else(|| {
            seg_error(
                &opened.path,
                format!("SegmentSequence item {k} has no SegmentNumber (0062,0004)"),
            )
        })?;
        out.push(SegmentInfo {
            number,
            label: text(item, tags::SEGMENT_LABEL).unwrap_or_default(),
        });
    }
    Ok(out)
}

fn describe_segments(segments: &[SegmentInfo]) -> String {
    segments
        .iter()
        .map(|s| format!("{} `{}`", s.number, s.label))
        .collect::<Vec<_>>()
        .join(", ")
}

fn choose_segment(path: &Path, segments: &[SegmentInfo], wanted: Option<&SegmentId>) -> Result<u32> {
    let found = match wanted {
        None if segments.len() == 1 => segments.first(),
        None => {
            return Err(seg_error(
                path,
                format!(
                    "holds {} segments; choose one by SegmentNumber or SegmentLabel (`--segment N|LABEL`): {}",
                    segments.len(),
                    describe_segments(segments)
                ),
            ));
        }
        Some(SegmentId::Number(n)) => segments.iter().find(|s| s.number == *n),
        Some(SegmentId::Label(label)) => segments.iter().find(|s| s.label == *label).or_else(|| {
            let mut folded = segments.iter().filter(|s| s.label.eq_ignore_ascii_case(label));
            match (folded.next(), folded.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        }),
    };
    found.map(|s| s.number).ok_or_else(|| {
        let what = match wanted {
            Some(SegmentId::Number(n)) => format!("SegmentNumber (0062,0004) `{n}`"),
            Some(SegmentId::Label(l)) => format!("SegmentLabel (0062,0005) `{l}`"),
            None => "a segment".to_string(),
        };
        seg_error(
            path,
            format!(
                "has no segment with {what}; segments present: {}",
                describe_segments(segments)
            ),
        )
    })
}

fn check_series(path: &Path, obj: &InMemDicomObject, uid: &str) -> Result<()> {
    let referenced: Vec<String> = items(obj, tags::REFERENCED_SERIES_SEQUENCE)
        .iter()
        .filter_map(|item| text(item, tags::SERIES_INSTANCE_UID))
        .collect();
    if referenced.is_empty() || referenced.iter().any(|r| r == uid) {
        return Ok(());
    }
    Err(seg_error(
        path,
        // UIDs are not printed: they can embed dates and device serial numbers (PS3.15 de-identification
        // replaces them).
        format!(
            "the SEG was made on another series than the image ({} referenced series in ReferencedSeriesSequence \
             (0008,1115), none is the image's SeriesInstanceUID): pair each mask with the series it was drawn on",
            referenced.len()
        ),
    ))
}

fn frame_layout(opened: &OpenedFile, segments: &[SegmentInfo]) -> Result<Vec<FrameInfo>> {
    let path = &opened.path;
    let obj = &opened.object;
    let attrs = &opened.attributes;
    let per_frame = items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    let shared = first_item(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    let n_frames = attrs.frames as usize;
    if per_frame.len() != n_frames && n_frames > 1 {
        return Err(seg_error(
            path,
            format!(
                "PerFrameFunctionalGroupsSequence (5200,9230) has {} items for NumberOfFrames (0028,0008) {n_frames}",
                per_frame.len()
            ),
        ));
    }
    let referenced_segment = |group: Option<&InMemDicomObject>| {
        group
            .and_then(|g| first_item(g, tags::SEGMENT_IDENTIFICATION_SEQUENCE))
            .and_then(|i| uint(i, tags::REFERENCED_SEGMENT_NUMBER))
    };
    let only_segment = match segments {
        [one] => Some(one.number),
        _ => None,
    };
    let mut frames = Vec::with_capacity(n_frames);
    for k in 0..n_frames {
        let geometry = attrs.frame(k);
        let segment = referenced_segment(per_frame.get(k))
            .or_else(|| referenced_segment(shared))
            .or(only_segment)
            .ok_or_else(|| {
                seg_error(
                    path,
                    format!(
                        "frame {k} has no SegmentIdentificationSequence (0062,000A) / ReferencedSegmentNumber \
                         (0062,000B)"
                    ),
                )
            })?;
        if !segments.is_empty() && !segments.iter().any(|s| s.number == segment) {
            return Err(seg_error(
                path,
                format!(
                    "frame {k} references segment {segment} (ReferencedSegmentNumber (0062,000B)), which the \
                     SegmentSequence (0062,0002) does not define (segments: {}); the SEG is corrupt: export it again",
                    segments
                        .iter()
                        .map(|s| s.number.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let position = geometry.position.ok_or_else(|| {
            seg_error(
                path,
                format!(
                    "frame {k} has no PlanePositionSequence (0020,9113) / ImagePositionPatient (0020,0032)"
                ),
            )
        })?;
        let orientation = geometry.orientation.ok_or_else(|| {
            seg_error(
                path,
                format!(
                    "frame {k} has no PlaneOrientationSequence (0020,9116) / ImageOrientationPatient (0020,0037)"
                ),
            )
        })?;
        let pixel_spacing = geometry
            .pixel_spacing
            .filter(|s| s[0] > 0.0 && s[1] > 0.0)
            .ok_or_else(|| {
                seg_error(
                    path,
                    format!("frame {k} has no positive PixelMeasuresSequence (0028,9110) / PixelSpacing (0028,0030)"),
                )
            })?;
        frames.push(FrameInfo {
            segment,
            position,
            orientation,
            pixel_spacing,
        });
    }
    Ok(frames)
}

/// Whether each stored pixel (frame, row, column order) is inside its frame's segment.
fn pixels_inside(opened: &OpenedFile, threshold: f64) -> Result<Vec<bool>> {
    let path = &opened.path;
    let attrs = &opened.attributes;
    let n_values = (attrs.frames as usize)
        .checked_mul(attrs.rows as usize)
        .and_then(|n| n.checked_mul(attrs.columns as usize))
        .ok_or_else(|| seg_error(path, "NumberOfFrames × Rows × Columns overflows"))?;
    if attrs.samples_per_pixel > 1 {
        return Err(seg_error(
            path,
            format!(
                "SamplesPerPixel (0028,0002) `{}`; a SEG has one sample",
                attrs.samples_per_pixel
            ),
        ));
    }
    let segmentation_type = text(&opened.object, tags::SEGMENTATION_TYPE).unwrap_or_else(|| "BINARY".into());
    let fractional = match segmentation_type.as_str() {
        "BINARY" => false,
        "FRACTIONAL" => true,
        other => {
            return Err(seg_error(
                path,
                format!("unsupported SegmentationType (0062,0001) `{other}`; expected BINARY or FRACTIONAL"),
            ));
        }
    };
    let native = matches!(
        attrs.transfer_syntax_uid.as_str(),
        "1.2.840.10008.1.2" | "1.2.840.10008.1.2.1" | "1.2.840.10008.1.2.1.99"
    );
    let raw_bytes = || opened.native_pixel_bytes();
    let truncated = |found: usize| {
        seg_error(
            path,
            format!(
                "truncated Pixel Data (7FE0,0010): {found} values for {} frames × {} rows × {} columns",
                attrs.frames, attrs.rows, attrs.columns
            ),
        )
    };
    let stored: Vec<u32> = match (native, attrs.bits_allocated) {
        (true, 1) => {
            let bytes = raw_bytes()?;
            if bytes.len().saturating_mul(8) < n_values {
                return Err(truncated(bytes.len() * 8));
            }
            (0..n_values)
                .map(|i| u32::from((bytes.get(i / 8).copied().unwrap_or(0) >> (i % 8)) & 1))
                .collect()
        }
        (true, 8) => {
            let bytes = raw_bytes()?;
            if bytes.len() < n_values {
                return Err(truncated(bytes.len()));
            }
            bytes.iter().take(n_values).map(|&b| u32::from(b)).collect()
        }
        (true, other) if other != 16 => {
            return Err(seg_error(
                path,
                format!("unsupported BitsAllocated (0028,0100) `{other}` for a SEG; expected 1 or 8"),
            ));
        }
        _ => {
            let values = opened.decode()?.values();
            if values.len() < n_values {
                return Err(truncated(values.len()));
            }
            values
                .iter()
                .take(n_values)
                .map(|&v| u32::try_from(v.max(0)).unwrap_or(u32::MAX))
                .collect()
        }
    };
    if fractional {
        let max_value = uint(&opened.object, tags::MAXIMUM_FRACTIONAL_VALUE).unwrap_or(255);
        if max_value == 0 {
            return Err(seg_error(path, "MaximumFractionalValue (0062,000E) is 0"));
        }
        let cut = threshold * f64::from(max_value);
        Ok(stored.iter().map(|&v| f64::from(v) >= cut).collect())
    } else {
        Ok(stored.iter().map(|&v| v != 0).collect())
    }
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn unit(v: [f64; 3]) -> Option<[f64; 3]> {
    let norm = dot(v, v).sqrt();
    (norm.is_finite() && norm > 1e-6).then(|| [v[0] / norm, v[1] / norm, v[2] / norm])
}

/// Largest label-map size accepted for a SEG's own grid (guards against corrupt positions).
const MAX_VOXELS: usize = 1 << 28;

fn own_grid(opened: &OpenedFile, frames: &[FrameInfo]) -> Result<Target> {
    let path = &opened.path;
    let attrs = &opened.attributes;
    let first = frames
        .first()
        .ok_or_else(|| seg_error(path, "no frame (NumberOfFrames (0028,0008) is 0)"))?;
    let o = first.orientation;
    let bad_orientation = || {
        seg_error(
            path,
            format!("degenerate ImageOrientationPatient (0020,0037) {o:?}"),
        )
    };
    let row = unit([o[0], o[1], o[2]]).ok_or_else(bad_orientation)?;
    let column = unit([o[3], o[4], o[5]]).ok_or_else(bad_orientation)?;
    let normal = unit(cross(row, column)).ok_or_else(bad_orientation)?;
    let [row_spacing, column_spacing] = first.pixel_spacing;
    // Slice spacing.
    let mut projections: Vec<f64> = frames.iter().map(|f| dot(f.position, normal)).collect();
    projections.sort_by(f64::total_cmp);
    let smallest_gap = projections
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|&g| g > 1e-3)
        .fold(f64::INFINITY, f64::min);
    let shared = first_item(&opened.object, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    let measures_spacing = shared
        .and_then(|g| first_item(g, tags::PIXEL_MEASURES_SEQUENCE))
        .and_then(|m| m.get(tags::SPACING_BETWEEN_SLICES)?.to_float64().ok());
    let slice_spacing = [
        measures_spacing,
        attrs.spacing_between_slices,
        smallest_gap.is_finite().then_some(smallest_gap),
        attrs.slice_thickness,
    ]
    .into_iter()
    .flatten()
    .find(|s| s.is_finite() && *s > 0.0)
    .unwrap_or(1.0);
    // Bounding box of all frames in (column, row, slice) units relative to the first frame.
    let spacing = [column_spacing, row_spacing, slice_spacing];
    let axes = [row, column, normal];
    let mut low = [f64::INFINITY; 3];
    let mut high = [f64::NEG_INFINITY; 3];
    for frame in frames {
        let d = [
            frame.position[0] - first.position[0],
            frame.position[1] - first.position[1],
            frame.position[2] - first.position[2],
        ];
        for axis in 0..3 {
            let u = (dot(d, axes[axis]) / spacing[axis]).round();
            low[axis] = low[axis].min(u);
            high[axis] = high[axis].max(u);
        }
    }
    let extent = [
        high[0] - low[0] + f64::from(attrs.columns),
        high[1] - low[1] + f64::from(attrs.rows),
        high[2] - low[2] + 1.0,
    ];
    if extent.iter().any(|e| !e.is_finite() || *e < 1.0) || extent.iter().product::<f64>() > MAX_VOXELS as f64
    {
        return Err(seg_error(
            path,
            format!(
                "frame positions (PlanePositionSequence (0020,9113)) span an implausible grid of {extent:?} voxels"
            ),
        ));
    }
    // The grid is a label map of 8-byte labels.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let voxels = extent.iter().product::<f64>() as u64;
    crate::limits::ReadLimits::current()?.check(
        path,
        "the SEG's own grid (frame positions × Rows × Columns, 8-byte labels)",
        voxels.saturating_mul(8),
    )?;
    let origin = {
        let mut p = first.position;
        for axis in 0..3 {
            for (c, value) in p.iter_mut().enumerate() {
                *value += low[axis] * spacing[axis] * axes[axis][c];
            }
        }
        p
    };
    Ok(Target {
        geometry: Geometry {
            spacing,
            origin,
            direction: [
                row[0], column[0], normal[0], row[1], column[1], normal[1], row[2], column[2], normal[2],
            ],
            ndim: 3,
        },
        size_xyz: [extent[0] as usize, extent[1] as usize, extent[2] as usize],
    })
}

fn place(
    path: &Path,
    opened: &OpenedFile,
    frames: &[FrameInfo],
    inside: &[bool],
    segment: u32,
    target: &Target,
    label_value: i64,
) -> Result<LabelMap> {
    let geometry = &target.geometry;
    let [nx, ny, nz] = target.size_xyz;
    let inverse = inverse_index_transform(geometry)
        .ok_or_else(|| seg_error(path, "the target grid has a singular direction or zero spacing"))?;
    let rows = opened.attributes.rows as usize;
    let columns = opened.attributes.columns as usize;
    let pixels = rows * columns;
    let d = &geometry.direction;
    let grid_row = [d[0], d[3], d[6]];
    let grid_column = [d[1], d[4], d[7]];
    let mut data = Array3::<i64>::zeros((nz, ny, nx));
    for (k, frame) in frames.iter().enumerate() {
        if frame.segment != segment {
            continue;
        }
        let Some(values) = inside.get(k * pixels..(k + 1) * pixels) else {
            return Err(seg_error(path, format!("frame {k}: Pixel Data too short")));
        };
        let o = frame.orientation;
        let cosine_difference = [o[0], o[1], o[2]]
            .iter()
            .zip(&grid_row)
            .chain([o[3], o[4], o[5]].iter().zip(&grid_column))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let [row_spacing, column_spacing] = frame.pixel_spacing;
        let spacing_difference = ((column_spacing - geometry.spacing[0]) / geometry.spacing[0])
            .abs()
            .max(((row_spacing - geometry.spacing[1]) / geometry.spacing[1]).abs());
        if !(cosine_difference <= 1e-3 && spacing_difference <= 1e-3) {
            return Err(seg_error(
                path,
                format!(
                    "frame {k} is not on the image grid: ImageOrientationPatient {o:?} and PixelSpacing \
                     {:?} (row, column) vs image direction columns {grid_row:?}, {grid_column:?} and spacing {:?}; \
                     resample with `--resample-mask-to-image`",
                    frame.pixel_spacing,
                    [geometry.spacing[1], geometry.spacing[0]]
                ),
            ));
        }
        let corner = inverse.apply(frame.position);
        let rounded = corner.map(f64::round);
        let off = corner
            .iter()
            .zip(&rounded)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        if off.is_nan() || off > POSITION_TOLERANCE_VOXELS {
            return Err(seg_error(
                path,
                format!(
                    "frame {k} at ImagePositionPatient {:?} lies between voxels of the image grid (index {corner:.3?}, \
                     off by {off:.3} voxel); resample with `--resample-mask-to-image`",
                    frame.position
                ),
            ));
        }
        let any_set = values.iter().any(|&v| v);
        let z = rounded[2];
        if z < 0.0 || z >= nz as f64 {
            if any_set {
                return Err(seg_error(
                    path,
                    format!(
                        "frame {k} at ImagePositionPatient {:?} is outside the image: slice index {z} of {nz}",
                        frame.position
                    ),
                ));
            }
            continue;
        }
        let z = z as usize;
        for (pixel, _) in values.iter().enumerate().filter(|(_, v)| **v) {
            let x = rounded[0] + (pixel % columns) as f64;
            let y = rounded[1] + (pixel / columns) as f64;
            if x < 0.0 || y < 0.0 || x >= nx as f64 || y >= ny as f64 {
                return Err(seg_error(
                    path,
                    format!(
                        "frame {k} has a segment pixel (row {}, column {}) outside the image grid ({nx} × {ny})",
                        pixel / columns,
                        pixel % columns
                    ),
                ));
            }
            if let Some(voxel) = data.get_mut((z, y as usize, x as usize)) {
                *voxel = label_value;
            }
        }
    }
    Ok(LabelMap::new(data, geometry.clone()))
}
