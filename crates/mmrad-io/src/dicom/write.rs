//! DICOM writing for synthetic cohorts: image series (one file per slice), single-frame 2D images (grey or RGB),
//! binary DICOM SEG and RTSTRUCT, all in explicit VR little endian, uncompressed, byte-identical for the same input.
//!
//! Identifiers are derived, never random: [`synthetic_uid`] hashes its parts into a `2.25.<decimal>` UID (PS3.5
//! B.2), so the same seed, case and modality give the same Study/Series/SOP Instance/Frame of Reference UIDs.
//! Patient attributes carry no personal data: PatientName `SYNTH^<case>`, PatientID = the case id, a fixed dummy study
//! date (`20000101`) and empty birth date. No attribute depends on the clock or the environment, and
//! `dicom-object` writes the attributes of a data set in ascending tag order.
//!
//! The writers keep to the subset of each IOD that radiomics readers use (geometry, rescale, pixel module,
//! segment and ROI structure); they do not claim full IOD conformance (no acquisition or equipment modules).

use std::path::{Path, PathBuf};

use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemElement;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject, Tag};
use ndarray::{ArrayView2, ArrayView3};
use sha2::{Digest, Sha256};

use mmrad_core::Geometry;

use crate::{Error, Result};

/// Explicit VR Little Endian.
pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
/// CT Image Storage.
pub const CT_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
/// MR Image Storage.
pub const MR_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.4";
/// Digital Mammography X-Ray Image Storage – For Presentation.
pub const MG_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.1.2";
/// Ultrasound Image Storage.
pub const US_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.6.1";
/// Secondary Capture Image Storage (any other modality).
pub const SECONDARY_CAPTURE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.7";
/// Segmentation Storage.
pub const SEGMENTATION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.66.4";
/// RT Structure Set Storage.
pub const RT_STRUCTURE_SET_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.481.3";
/// Study Root Query/Retrieve (the SOP class an RT Referenced Study item names).
const DETACHED_STUDY_MANAGEMENT: &str = "1.2.840.10008.3.1.2.3.1";
/// The fixed dummy study date of every synthetic file.
pub const DUMMY_DATE: &str = "20000101";

/// A UID `2.25.<decimal>` whose decimal is the first 128 bits of SHA-256 over the parts (each followed by a 0 byte).
///
/// # Examples
/// ```
/// let a = mmrad_io::dicom::write::synthetic_uid(&["2025", "P001", "CT"]);
/// assert!(a.starts_with("2.25.") && a.len() <= 64);
/// assert_eq!(a, mmrad_io::dicom::write::synthetic_uid(&["2025", "P001", "CT"]));
/// ```
pub fn synthetic_uid(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    for (slot, byte) in bytes.iter_mut().zip(digest.iter()) {
        *slot = *byte;
    }
    // Clear the top bit so the decimal never starts with a zero and stays at most 39 digits.
    let value = u128::from_be_bytes(bytes) >> 1;
    format!("2.25.{}", value.max(1))
}

/// Who and what a written object belongs to: the (synthetic) patient, the study, the series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DicomIdentity {
    /// The case id, written as PatientID and in PatientName `SYNTH^<case>`.
    pub case_id: String,
    pub study_uid: String,
    pub series_uid: String,
    pub frame_of_reference_uid: String,
    pub series_number: u32,
    pub series_description: String,
}

impl DicomIdentity {
    /// UIDs derived from `(seed, case, series key)`: one study per case and seed; series and frame of reference per
    /// series key (e.g. the modality, or `MR-SEG`).
    pub fn derive(seed: u64, case_id: &str, series_key: &str, series_number: u32) -> DicomIdentity {
        let seed = seed.to_string();
        DicomIdentity {
            case_id: case_id.to_string(),
            study_uid: synthetic_uid(&["mmrad-synth", &seed, case_id, "study"]),
            series_uid: synthetic_uid(&["mmrad-synth", &seed, case_id, series_key, "series"]),
            frame_of_reference_uid: synthetic_uid(&[
                "mmrad-synth",
                &seed,
                case_id,
                series_key,
                "frame-of-reference",
            ]),
            series_number,
            series_description: format!("synthetic {series_key}"),
        }
    }
}

/// Photometric interpretation of written pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Photometric {
    /// Low values dark.
    Monochrome2,
    /// Low values bright (projection radiography, mammography).
    Monochrome1,
    /// Three 8-bit samples per pixel, colour-by-pixel (PlanarConfiguration 0).
    Rgb,
}

impl Photometric {
    fn name(self) -> &'static str {
        match self {
            Photometric::Monochrome2 => "MONOCHROME2",
            Photometric::Monochrome1 => "MONOCHROME1",
            Photometric::Rgb => "RGB",
        }
    }
}

/// Which attribute carries the in-plane spacing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InPlaneSpacing {
    /// PixelSpacing (CT, MR).
    PixelSpacing,
    /// ImagerPixelSpacing (mammography, radiography).
    ImagerPixelSpacing,
    /// One Sequence of Ultrasound Regions item with PhysicalDeltaX/Y in cm; no PixelSpacing.
    UltrasoundRegions,
}

/// How a series is encoded.
///
/// | Name | Purpose | Range |
/// |---|---|---|
/// | `modality` | Modality (0008,0060); picks the SOP class (`CT`, `MR`, `MG`, `US`, else Secondary Capture) | |
/// | `bits_stored` | BitsStored; BitsAllocated is 8 up to 8 bits, else 16 | 1 ..= 16 (8 for RGB) |
/// | `signed` | PixelRepresentation 1 (two's complement) | |
/// | `photometric` | [`Photometric`] | |
/// | `rescale` | `(slope, intercept)` written as RescaleSlope/Intercept, if any | slope ≠ 0 |
/// | `spacing` | [`InPlaneSpacing`] | |
/// | `geometry_tags` | write ImagePositionPatient, ImageOrientationPatient, FrameOfReferenceUID (3D series) | |
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSpec {
    pub modality: String,
    pub identity: DicomIdentity,
    pub bits_stored: u16,
    pub signed: bool,
    pub photometric: Photometric,
    pub rescale: Option<(f64, f64)>,
    pub spacing: InPlaneSpacing,
    pub geometry_tags: bool,
}

/// What a writer wrote: the files and the SOP instances, so that a SEG or RTSTRUCT can reference them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenSeries {
    pub files: Vec<PathBuf>,
    pub sop_class_uid: String,
    /// One per slice, in slice (z) order.
    pub sop_instance_uids: Vec<String>,
    pub study_uid: String,
    pub series_uid: String,
    pub frame_of_reference_uid: String,
}

/// Pixels of a single-frame 2D image, indexed `[y, x]` (grey) or `[y, x, sample]` (RGB).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Pixels2d<'a> {
    /// Stored values (before rescale; for MONOCHROME1 as stored, i.e. already inverted).
    Grey(ArrayView2<'a, i32>),
    /// 8-bit R, G, B samples.
    Rgb(ArrayView3<'a, u8>),
}

/// One closed planar contour of an RTSTRUCT ROI, on slice `slice` of the referenced series, in LPS millimetres.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanarContour {
    pub slice: usize,
    pub points: Vec<[f64; 3]>,
}

fn write_error(path: &Path, message: impl Into<String>) -> Error {
    Error::DicomWrite {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Writes a 3D image as one single-frame file per slice, `IM0001.dcm`, `IM0002.dcm`, … in `dir` (created).
///
/// `stored` holds stored values indexed `[z, y, x]` (before rescale); slice `k` is placed at
/// `geometry.index_to_physical([0, 0, k])` with ImageOrientationPatient from the first two direction columns.
///
/// # Errors
/// [`Error::DicomWrite`] for a stored value outside the range of `bits_stored`/`signed`, an RGB spec, an empty
/// volume or bad bit depth; [`Error::Io`] when the folder or a file cannot be written.
pub fn write_series(
    dir: &Path,
    stored: ArrayView3<'_, i32>,
    geometry: &Geometry,
    spec: &SeriesSpec,
) -> Result<WrittenSeries> {
    let (nz, ny, nx) = stored.dim();
    if nz == 0 || ny == 0 || nx == 0 {
        return Err(write_error(dir, "empty volume"));
    }
    if spec.photometric == Photometric::Rgb {
        return Err(write_error(
            dir,
            "a 3D series is written grey; use `write_image_2d` for RGB",
        ));
    }
    check_range(dir, stored.iter().copied(), spec)?;
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let sop_class = sop_class_of(&spec.modality);
    let mut written = WrittenSeries {
        files: Vec::with_capacity(nz),
        sop_class_uid: sop_class.to_string(),
        sop_instance_uids: Vec::with_capacity(nz),
        study_uid: spec.identity.study_uid.clone(),
        series_uid: spec.identity.series_uid.clone(),
        frame_of_reference_uid: spec.identity.frame_of_reference_uid.clone(),
    };
    for k in 0..nz {
        let path = dir.join(format!("IM{:04}.dcm", k + 1));
        let sop_uid = synthetic_uid(&[&spec.identity.series_uid, "instance", &(k + 1).to_string()]);
        let mut obj = base_object(&spec.identity, &spec.modality, sop_class, &sop_uid, k + 1);
        put_pixel_module(&mut obj, spec, ny, nx, 1, &path)?;
        put_spacing(&mut obj, spec, geometry, &path)?;
        if spec.geometry_tags {
            put_plane(&mut obj, geometry, k, spec, &path)?;
        }
        let slice = stored.index_axis(ndarray::Axis(0), k);
        put_grey_pixels(&mut obj, slice.iter().copied(), spec);
        save(obj, &path)?;
        written.files.push(path);
        written.sop_instance_uids.push(sop_uid);
    }
    Ok(written)
}

/// Writes one single-frame 2D image (MG, US, grey or RGB) to `path`.
///
/// The in-plane spacing comes from `geometry.spacing[0..2]` and goes to the attribute `spec.spacing` names.
///
/// # Errors
/// As [`write_series`]; also RGB pixels with a grey spec or the reverse, or an RGB array without 3 samples.
pub fn write_image_2d(
    path: &Path,
    pixels: Pixels2d<'_>,
    geometry: &Geometry,
    spec: &SeriesSpec,
) -> Result<WrittenSeries> {
    let sop_class = sop_class_of(&spec.modality);
    let sop_uid = synthetic_uid(&[&spec.identity.series_uid, "instance", "1"]);
    let mut obj = base_object(&spec.identity, &spec.modality, sop_class, &sop_uid, 1);
    match pixels {
        Pixels2d::Grey(grey) => {
            if spec.photometric == Photometric::Rgb {
                return Err(write_error(path, "grey pixels with an RGB spec"));
            }
            let (ny, nx) = grey.dim();
            if ny == 0 || nx == 0 {
                return Err(write_error(path, "empty image"));
            }
            check_range(path, grey.iter().copied(), spec)?;
            put_pixel_module(&mut obj, spec, ny, nx, 1, path)?;
            put_grey_pixels(&mut obj, grey.iter().copied(), spec);
        }
        Pixels2d::Rgb(rgb) => {
            let (ny, nx, samples) = rgb.dim();
            if spec.photometric != Photometric::Rgb || spec.bits_stored != 8 || samples != 3 {
                return Err(write_error(
                    path,
                    format!(
                        "RGB pixels need an RGB 8-bit spec and 3 samples (found {}, {} bits, {samples} samples)",
                        spec.photometric.name(),
                        spec.bits_stored
                    ),
                ));
            }
            if ny == 0 || nx == 0 {
                return Err(write_error(path, "empty image"));
            }
            put_pixel_module(&mut obj, spec, ny, nx, 3, path)?;
            let mut bytes: Vec<u8> = rgb.iter().copied().collect();
            if bytes.len() % 2 == 1 {
                bytes.push(0);
            }
            obj.put(DataElement::new(
                tags::PIXEL_DATA,
                VR::OB,
                PrimitiveValue::from(bytes),
            ));
        }
    }
    put_spacing(&mut obj, spec, geometry, path)?;
    if spec.geometry_tags {
        put_plane(&mut obj, geometry, 0, spec, path)?;
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| Error::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    save(obj, path)?;
    Ok(WrittenSeries {
        files: vec![path.to_path_buf()],
        sop_class_uid: sop_class.to_string(),
        sop_instance_uids: vec![sop_uid],
        study_uid: spec.identity.study_uid.clone(),
        series_uid: spec.identity.series_uid.clone(),
        frame_of_reference_uid: spec.identity.frame_of_reference_uid.clone(),
    })
}

/// Writes a binary DICOM SEG with one segment (`segment_label`) over every slice of `referenced`.
///
/// `mask` is indexed `[z, y, x]` on the referenced grid (`geometry`); frame `k` is slice `k`, with its own
/// PlanePositionSequence and DerivationImageSequence, and the frames are bit-packed (first pixel in the lowest bit)
/// without padding between frames. `identity` gives the SEG its own series; its study and frame of reference should
/// be those of the referenced series.
///
/// # Errors
/// [`Error::DicomWrite`] when `mask` and `referenced` disagree on the slice count or the mask is empty in size;
/// [`Error::Io`] on write failures.
pub fn write_seg(
    path: &Path,
    mask: ArrayView3<'_, bool>,
    geometry: &Geometry,
    referenced: &WrittenSeries,
    identity: &DicomIdentity,
    segment_label: &str,
) -> Result<()> {
    let (nz, ny, nx) = mask.dim();
    if nz == 0 || ny == 0 || nx == 0 {
        return Err(write_error(path, "empty mask"));
    }
    if referenced.sop_instance_uids.len() != nz {
        return Err(write_error(
            path,
            format!(
                "mask has {nz} slices but the referenced series has {} instances",
                referenced.sop_instance_uids.len()
            ),
        ));
    }
    let sop_uid = synthetic_uid(&[&identity.series_uid, "instance", "1"]);
    let mut obj = base_object(identity, "SEG", SEGMENTATION_STORAGE, &sop_uid, 1);
    obj.put(text(tags::IMAGE_TYPE, VR::CS, "DERIVED\\PRIMARY"));
    obj.put(text(
        tags::FRAME_OF_REFERENCE_UID,
        VR::UI,
        &identity.frame_of_reference_uid,
    ));
    obj.put(text(tags::POSITION_REFERENCE_INDICATOR, VR::LO, ""));
    obj.put(text(tags::SEGMENTATION_TYPE, VR::CS, "BINARY"));
    obj.put(text(tags::CONTENT_LABEL, VR::CS, "LESION"));
    obj.put(text(tags::CONTENT_DESCRIPTION, VR::LO, "synthetic lesion"));
    obj.put(text(tags::CONTENT_CREATOR_NAME, VR::PN, "MMRAD^SYNTH"));
    obj.put(text(tags::CONTENT_DATE, VR::DA, DUMMY_DATE));
    obj.put(text(tags::CONTENT_TIME, VR::TM, "000000"));
    obj.put(text(tags::INSTANCE_NUMBER, VR::IS, "1"));
    obj.put(text(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00"));
    obj.put(uint16(tags::SAMPLES_PER_PIXEL, 1));
    obj.put(text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"));
    obj.put(uint16(tags::ROWS, dim_u16(path, ny)?));
    obj.put(uint16(tags::COLUMNS, dim_u16(path, nx)?));
    obj.put(text(tags::NUMBER_OF_FRAMES, VR::IS, &nz.to_string()));
    obj.put(uint16(tags::BITS_ALLOCATED, 1));
    obj.put(uint16(tags::BITS_STORED, 1));
    obj.put(uint16(tags::HIGH_BIT, 0));
    obj.put(uint16(tags::PIXEL_REPRESENTATION, 0));
    // Segment.
    let code = |value: &str, scheme: &str, meaning: &str| {
        let mut item = InMemDicomObject::new_empty();
        item.put(text(tags::CODE_VALUE, VR::SH, value));
        item.put(text(tags::CODING_SCHEME_DESIGNATOR, VR::SH, scheme));
        item.put(text(tags::CODE_MEANING, VR::LO, meaning));
        item
    };
    let mut segment = InMemDicomObject::new_empty();
    segment.put(uint16(tags::SEGMENT_NUMBER, 1));
    segment.put(text(tags::SEGMENT_LABEL, VR::LO, segment_label));
    segment.put(text(tags::SEGMENT_ALGORITHM_TYPE, VR::CS, "AUTOMATIC"));
    segment.put(text(tags::SEGMENT_ALGORITHM_NAME, VR::LO, "mmrad-synth"));
    segment.put(sequence(
        tags::SEGMENTED_PROPERTY_CATEGORY_CODE_SEQUENCE,
        vec![code("49755003", "SCT", "Morphologically Altered Structure")],
    ));
    segment.put(sequence(
        tags::SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE,
        vec![code("4147007", "SCT", "Mass")],
    ));
    obj.put(sequence(tags::SEGMENT_SEQUENCE, vec![segment]));
    // Dimension organisation: (ReferencedSegmentNumber, ImagePositionPatient).
    let dimension_uid = synthetic_uid(&[&identity.series_uid, "dimension-organization"]);
    let mut organisation = InMemDicomObject::new_empty();
    organisation.put(text(tags::DIMENSION_ORGANIZATION_UID, VR::UI, &dimension_uid));
    obj.put(sequence(
        tags::DIMENSION_ORGANIZATION_SEQUENCE,
        vec![organisation],
    ));
    let index_item = |pointer: Tag, group: Tag| {
        let mut item = InMemDicomObject::new_empty();
        item.put(DataElement::new(
            tags::DIMENSION_INDEX_POINTER,
            VR::AT,
            PrimitiveValue::from(pointer),
        ));
        item.put(DataElement::new(
            tags::FUNCTIONAL_GROUP_POINTER,
            VR::AT,
            PrimitiveValue::from(group),
        ));
        item.put(text(tags::DIMENSION_ORGANIZATION_UID, VR::UI, &dimension_uid));
        item
    };
    obj.put(sequence(
        tags::DIMENSION_INDEX_SEQUENCE,
        vec![
            index_item(
                tags::REFERENCED_SEGMENT_NUMBER,
                tags::SEGMENT_IDENTIFICATION_SEQUENCE,
            ),
            index_item(tags::IMAGE_POSITION_PATIENT, tags::PLANE_POSITION_SEQUENCE),
        ],
    ));
    // Shared functional groups: orientation and pixel measures.
    let (row, column) = orientation_of(geometry);
    let mut orientation = InMemDicomObject::new_empty();
    orientation.put(decimal(
        tags::IMAGE_ORIENTATION_PATIENT,
        &[row[0], row[1], row[2], column[0], column[1], column[2]],
        path,
    )?);
    let mut measures = InMemDicomObject::new_empty();
    measures.put(decimal(
        tags::PIXEL_SPACING,
        &[geometry.spacing[1], geometry.spacing[0]],
        path,
    )?);
    measures.put(decimal(tags::SLICE_THICKNESS, &[geometry.spacing[2]], path)?);
    measures.put(decimal(
        tags::SPACING_BETWEEN_SLICES,
        &[geometry.spacing[2]],
        path,
    )?);
    let mut shared = InMemDicomObject::new_empty();
    shared.put(sequence(tags::PLANE_ORIENTATION_SEQUENCE, vec![orientation]));
    shared.put(sequence(tags::PIXEL_MEASURES_SEQUENCE, vec![measures]));
    obj.put(sequence(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, vec![shared]));
    // Per-frame functional groups.
    let mut frames = Vec::with_capacity(nz);
    for (k, referenced_uid) in referenced.sop_instance_uids.iter().enumerate() {
        let position = geometry.index_to_physical([0.0, 0.0, k as f64]);
        let mut content = InMemDicomObject::new_empty();
        content.put(DataElement::new(
            tags::DIMENSION_INDEX_VALUES,
            VR::UL,
            PrimitiveValue::from([1u32, k as u32 + 1]),
        ));
        let mut plane = InMemDicomObject::new_empty();
        plane.put(decimal(tags::IMAGE_POSITION_PATIENT, &position, path)?);
        let mut segment_id = InMemDicomObject::new_empty();
        segment_id.put(uint16(tags::REFERENCED_SEGMENT_NUMBER, 1));
        let mut source = InMemDicomObject::new_empty();
        source.put(text(
            tags::REFERENCED_SOP_CLASS_UID,
            VR::UI,
            &referenced.sop_class_uid,
        ));
        source.put(text(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, referenced_uid));
        let mut purpose = InMemDicomObject::new_empty();
        purpose.put(text(tags::CODE_VALUE, VR::SH, "121322"));
        purpose.put(text(tags::CODING_SCHEME_DESIGNATOR, VR::SH, "DCM"));
        purpose.put(text(
            tags::CODE_MEANING,
            VR::LO,
            "Source image for image processing operation",
        ));
        source.put(sequence(tags::PURPOSE_OF_REFERENCE_CODE_SEQUENCE, vec![purpose]));
        let mut derivation_code = InMemDicomObject::new_empty();
        derivation_code.put(text(tags::CODE_VALUE, VR::SH, "113076"));
        derivation_code.put(text(tags::CODING_SCHEME_DESIGNATOR, VR::SH, "DCM"));
        derivation_code.put(text(tags::CODE_MEANING, VR::LO, "Segmentation"));
        let mut derivation = InMemDicomObject::new_empty();
        derivation.put(sequence(tags::DERIVATION_CODE_SEQUENCE, vec![derivation_code]));
        derivation.put(sequence(tags::SOURCE_IMAGE_SEQUENCE, vec![source]));
        let mut frame = InMemDicomObject::new_empty();
        frame.put(sequence(tags::DERIVATION_IMAGE_SEQUENCE, vec![derivation]));
        frame.put(sequence(tags::FRAME_CONTENT_SEQUENCE, vec![content]));
        frame.put(sequence(tags::PLANE_POSITION_SEQUENCE, vec![plane]));
        frame.put(sequence(tags::SEGMENT_IDENTIFICATION_SEQUENCE, vec![segment_id]));
        frames.push(frame);
    }
    obj.put(sequence(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, frames));
    // Referenced series.
    let mut instances = Vec::with_capacity(nz);
    for uid in &referenced.sop_instance_uids {
        let mut item = InMemDicomObject::new_empty();
        item.put(text(
            tags::REFERENCED_SOP_CLASS_UID,
            VR::UI,
            &referenced.sop_class_uid,
        ));
        item.put(text(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, uid));
        instances.push(item);
    }
    let mut series = InMemDicomObject::new_empty();
    series.put(text(tags::SERIES_INSTANCE_UID, VR::UI, &referenced.series_uid));
    series.put(sequence(tags::REFERENCED_INSTANCE_SEQUENCE, instances));
    obj.put(sequence(tags::REFERENCED_SERIES_SEQUENCE, vec![series]));
    // Bit-packed frames: pixel i of the whole stream in bit (i mod 8) of byte i / 8.
    let n_bits = mask.len();
    let mut packed = vec![0u8; n_bits.div_ceil(8)];
    for (i, &inside) in mask.iter().enumerate() {
        if inside && let Some(byte) = packed.get_mut(i / 8) {
            *byte |= 1 << (i % 8);
        }
    }
    if packed.len() % 2 == 1 {
        packed.push(0);
    }
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::from(packed),
    ));
    save(obj, path)
}

/// Writes an RTSTRUCT with one ROI (`roi_name`, interpreted type `GTV`) made of CLOSED_PLANAR contours, each
/// referencing the SOP instance of its slice in `referenced`.
///
/// # Errors
/// [`Error::DicomWrite`] for a contour with fewer than 3 points or a slice outside the referenced series;
/// [`Error::Io`] on write failures.
pub fn write_rtstruct(
    path: &Path,
    contours: &[PlanarContour],
    referenced: &WrittenSeries,
    identity: &DicomIdentity,
    roi_name: &str,
) -> Result<()> {
    let sop_uid = synthetic_uid(&[&identity.series_uid, "instance", "1"]);
    let mut obj = base_object(identity, "RTSTRUCT", RT_STRUCTURE_SET_STORAGE, &sop_uid, 1);
    obj.put(text(tags::INSTANCE_NUMBER, VR::IS, "1"));
    obj.put(text(tags::STRUCTURE_SET_LABEL, VR::SH, "SYNTH"));
    obj.put(text(tags::STRUCTURE_SET_DATE, VR::DA, DUMMY_DATE));
    obj.put(text(tags::STRUCTURE_SET_TIME, VR::TM, "000000"));
    let contour_image = |slice: usize| -> Result<InMemDicomObject> {
        let uid = referenced.sop_instance_uids.get(slice).ok_or_else(|| {
            write_error(
                path,
                format!(
                    "contour on slice {slice} but the referenced series has {} slices",
                    referenced.sop_instance_uids.len()
                ),
            )
        })?;
        let mut item = InMemDicomObject::new_empty();
        item.put(text(
            tags::REFERENCED_SOP_CLASS_UID,
            VR::UI,
            &referenced.sop_class_uid,
        ));
        item.put(text(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, uid));
        Ok(item)
    };
    // Referenced frame of reference → study → series → every slice.
    let mut images = Vec::with_capacity(referenced.sop_instance_uids.len());
    for slice in 0..referenced.sop_instance_uids.len() {
        images.push(contour_image(slice)?);
    }
    let mut rt_series = InMemDicomObject::new_empty();
    rt_series.put(text(tags::SERIES_INSTANCE_UID, VR::UI, &referenced.series_uid));
    rt_series.put(sequence(tags::CONTOUR_IMAGE_SEQUENCE, images));
    let mut rt_study = InMemDicomObject::new_empty();
    rt_study.put(text(
        tags::REFERENCED_SOP_CLASS_UID,
        VR::UI,
        DETACHED_STUDY_MANAGEMENT,
    ));
    rt_study.put(text(
        tags::REFERENCED_SOP_INSTANCE_UID,
        VR::UI,
        &referenced.study_uid,
    ));
    rt_study.put(sequence(tags::RT_REFERENCED_SERIES_SEQUENCE, vec![rt_series]));
    let mut frame_of_reference = InMemDicomObject::new_empty();
    frame_of_reference.put(text(
        tags::FRAME_OF_REFERENCE_UID,
        VR::UI,
        &referenced.frame_of_reference_uid,
    ));
    frame_of_reference.put(sequence(tags::RT_REFERENCED_STUDY_SEQUENCE, vec![rt_study]));
    obj.put(sequence(
        tags::REFERENCED_FRAME_OF_REFERENCE_SEQUENCE,
        vec![frame_of_reference],
    ));
    // The ROI.
    let mut roi = InMemDicomObject::new_empty();
    roi.put(text(tags::ROI_NUMBER, VR::IS, "1"));
    roi.put(text(
        tags::REFERENCED_FRAME_OF_REFERENCE_UID,
        VR::UI,
        &referenced.frame_of_reference_uid,
    ));
    roi.put(text(tags::ROI_NAME, VR::LO, roi_name));
    roi.put(text(tags::ROI_GENERATION_ALGORITHM, VR::CS, "AUTOMATIC"));
    obj.put(sequence(tags::STRUCTURE_SET_ROI_SEQUENCE, vec![roi]));
    let mut contour_items = Vec::with_capacity(contours.len());
    for (number, contour) in contours.iter().enumerate() {
        if contour.points.len() < 3 {
            return Err(write_error(
                path,
                format!(
                    "contour {} on slice {} has {} points (at least 3)",
                    number + 1,
                    contour.slice,
                    contour.points.len()
                ),
            ));
        }
        let flat: Vec<f64> = contour.points.iter().flat_map(|p| p.iter().copied()).collect();
        let mut item = InMemDicomObject::new_empty();
        item.put(sequence(
            tags::CONTOUR_IMAGE_SEQUENCE,
            vec![contour_image(contour.slice)?],
        ));
        item.put(text(tags::CONTOUR_GEOMETRIC_TYPE, VR::CS, "CLOSED_PLANAR"));
        item.put(text(
            tags::NUMBER_OF_CONTOUR_POINTS,
            VR::IS,
            &contour.points.len().to_string(),
        ));
        item.put(text(tags::CONTOUR_NUMBER, VR::IS, &(number + 1).to_string()));
        item.put(decimal(tags::CONTOUR_DATA, &flat, path)?);
        contour_items.push(item);
    }
    let mut roi_contour = InMemDicomObject::new_empty();
    roi_contour.put(DataElement::new(
        tags::ROI_DISPLAY_COLOR,
        VR::IS,
        strs(&["255", "0", "0"]),
    ));
    roi_contour.put(sequence(tags::CONTOUR_SEQUENCE, contour_items));
    roi_contour.put(text(tags::REFERENCED_ROI_NUMBER, VR::IS, "1"));
    obj.put(sequence(tags::ROI_CONTOUR_SEQUENCE, vec![roi_contour]));
    let mut observation = InMemDicomObject::new_empty();
    observation.put(text(tags::OBSERVATION_NUMBER, VR::IS, "1"));
    observation.put(text(tags::REFERENCED_ROI_NUMBER, VR::IS, "1"));
    observation.put(text(tags::RTROI_INTERPRETED_TYPE, VR::CS, "GTV"));
    observation.put(text(tags::ROI_INTERPRETER, VR::PN, ""));
    obj.put(sequence(tags::RTROI_OBSERVATIONS_SEQUENCE, vec![observation]));
    save(obj, path)
}

/// Formats a decimal string value (DS, at most 16 characters): the shortest round-trip form when it fits, else
/// fewer decimals.
pub fn format_ds(value: f64) -> String {
    let shortest = format!("{value}");
    if shortest.len() <= 16 && !shortest.contains('e') {
        return shortest;
    }
    for decimals in (0..=10).rev() {
        let text = format!("{value:.decimals$}");
        let text = if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        };
        if text.len() <= 16 {
            return if text == "-0" { "0".to_string() } else { text };
        }
    }
    format!("{value:.3e}")
}

fn sop_class_of(modality: &str) -> &'static str {
    match modality {
        "CT" => CT_IMAGE_STORAGE,
        "MR" => MR_IMAGE_STORAGE,
        "MG" => MG_IMAGE_STORAGE,
        "US" => US_IMAGE_STORAGE,
        _ => SECONDARY_CAPTURE_STORAGE,
    }
}

fn text(tag: Tag, vr: VR, value: &str) -> InMemElement {
    DataElement::new(tag, vr, PrimitiveValue::from(value))
}

fn strs(values: &[&str]) -> PrimitiveValue {
    PrimitiveValue::Strs(values.iter().map(|s| (*s).to_string()).collect())
}

fn uint16(tag: Tag, value: u16) -> InMemElement {
    DataElement::new(tag, VR::US, PrimitiveValue::from(value))
}

fn decimal(tag: Tag, values: &[f64], path: &Path) -> Result<InMemElement> {
    if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
        return Err(write_error(path, format!("non-finite value {bad} for {tag}")));
    }
    let formatted: Vec<String> = values.iter().map(|&v| format_ds(v)).collect();
    Ok(DataElement::new(
        tag,
        VR::DS,
        PrimitiveValue::Strs(formatted.into_iter().collect()),
    ))
}

fn sequence(tag: Tag, items: Vec<InMemDicomObject>) -> InMemElement {
    DataElement::new(tag, VR::SQ, Value::from(DataSetSequence::from(items)))
}

fn dim_u16(path: &Path, n: usize) -> Result<u16> {
    u16::try_from(n).map_err(|_| write_error(path, format!("dimension {n} exceeds 65535")))
}

/// Patient, study, series and SOP common attributes (no personal data, no clock).
fn base_object(
    identity: &DicomIdentity,
    modality: &str,
    sop_class: &str,
    sop_uid: &str,
    instance: usize,
) -> InMemDicomObject {
    let mut obj = InMemDicomObject::new_empty();
    obj.put(text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 100"));
    obj.put(text(tags::SOP_CLASS_UID, VR::UI, sop_class));
    obj.put(text(tags::SOP_INSTANCE_UID, VR::UI, sop_uid));
    obj.put(text(tags::STUDY_DATE, VR::DA, DUMMY_DATE));
    obj.put(text(tags::SERIES_DATE, VR::DA, DUMMY_DATE));
    obj.put(text(tags::STUDY_TIME, VR::TM, "000000"));
    obj.put(text(tags::ACCESSION_NUMBER, VR::SH, ""));
    obj.put(text(tags::MODALITY, VR::CS, modality));
    obj.put(text(tags::MANUFACTURER, VR::LO, "mmrad-synth"));
    obj.put(text(tags::REFERRING_PHYSICIAN_NAME, VR::PN, ""));
    obj.put(text(
        tags::SERIES_DESCRIPTION,
        VR::LO,
        &identity.series_description,
    ));
    obj.put(text(
        tags::PATIENT_NAME,
        VR::PN,
        &format!("SYNTH^{}", identity.case_id),
    ));
    obj.put(text(tags::PATIENT_ID, VR::LO, &identity.case_id));
    obj.put(text(tags::PATIENT_BIRTH_DATE, VR::DA, ""));
    obj.put(text(tags::PATIENT_SEX, VR::CS, "F"));
    obj.put(text(tags::BODY_PART_EXAMINED, VR::CS, "BREAST"));
    obj.put(text(tags::STUDY_INSTANCE_UID, VR::UI, &identity.study_uid));
    obj.put(text(tags::SERIES_INSTANCE_UID, VR::UI, &identity.series_uid));
    obj.put(text(tags::STUDY_ID, VR::SH, "1"));
    obj.put(text(
        tags::SERIES_NUMBER,
        VR::IS,
        &identity.series_number.to_string(),
    ));
    obj.put(text(tags::INSTANCE_NUMBER, VR::IS, &instance.to_string()));
    obj
}

fn check_range(path: &Path, values: impl Iterator<Item = i32>, spec: &SeriesSpec) -> Result<()> {
    if spec.bits_stored == 0 || spec.bits_stored > 16 {
        return Err(write_error(
            path,
            format!("bits stored {} (1 ..= 16)", spec.bits_stored),
        ));
    }
    let bits = i32::from(spec.bits_stored);
    let (lo, hi) = if spec.signed {
        (-(1i32 << (bits - 1)), (1i32 << (bits - 1)) - 1)
    } else {
        (0, (1i32 << bits) - 1)
    };
    for v in values {
        if v < lo || v > hi {
            return Err(write_error(
                path,
                format!(
                    "stored value {v} outside {lo} ..= {hi} ({bits} bits, signed {})",
                    spec.signed
                ),
            ));
        }
    }
    Ok(())
}

fn bits_allocated(spec: &SeriesSpec) -> u16 {
    if spec.bits_stored <= 8 { 8 } else { 16 }
}

fn put_pixel_module(
    obj: &mut InMemDicomObject,
    spec: &SeriesSpec,
    ny: usize,
    nx: usize,
    samples: u16,
    path: &Path,
) -> Result<()> {
    obj.put(text(tags::IMAGE_TYPE, VR::CS, "ORIGINAL\\PRIMARY"));
    obj.put(uint16(tags::SAMPLES_PER_PIXEL, samples));
    obj.put(text(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        spec.photometric.name(),
    ));
    if samples == 3 {
        obj.put(uint16(tags::PLANAR_CONFIGURATION, 0));
    }
    obj.put(uint16(tags::ROWS, dim_u16(path, ny)?));
    obj.put(uint16(tags::COLUMNS, dim_u16(path, nx)?));
    let allocated = bits_allocated(spec);
    obj.put(uint16(tags::BITS_ALLOCATED, allocated));
    obj.put(uint16(tags::BITS_STORED, spec.bits_stored));
    obj.put(uint16(tags::HIGH_BIT, spec.bits_stored.saturating_sub(1)));
    obj.put(uint16(tags::PIXEL_REPRESENTATION, u16::from(spec.signed)));
    if let Some((slope, intercept)) = spec.rescale {
        obj.put(decimal(tags::RESCALE_INTERCEPT, &[intercept], path)?);
        obj.put(decimal(tags::RESCALE_SLOPE, &[slope], path)?);
        let kind = if spec.modality == "CT" { "HU" } else { "US" };
        obj.put(text(tags::RESCALE_TYPE, VR::LO, kind));
    }
    Ok(())
}

fn put_grey_pixels(obj: &mut InMemDicomObject, values: impl Iterator<Item = i32>, spec: &SeriesSpec) {
    if bits_allocated(spec) == 8 {
        let mut bytes: Vec<u8> = values.map(|v| v as u8).collect();
        if bytes.len() % 2 == 1 {
            bytes.push(0);
        }
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PrimitiveValue::from(bytes),
        ));
    } else {
        // Two's complement for signed data: the 16 low bits of the value.
        let words: Vec<u16> = values.map(|v| v as u16).collect();
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::U16(words.into_iter().collect()),
        ));
    }
}

fn put_spacing(
    obj: &mut InMemDicomObject,
    spec: &SeriesSpec,
    geometry: &Geometry,
    path: &Path,
) -> Result<()> {
    let [sx, sy, sz] = geometry.spacing;
    match spec.spacing {
        InPlaneSpacing::PixelSpacing => {
            obj.put(decimal(tags::PIXEL_SPACING, &[sy, sx], path)?);
            if spec.geometry_tags {
                obj.put(decimal(tags::SLICE_THICKNESS, &[sz], path)?);
            }
        }
        InPlaneSpacing::ImagerPixelSpacing => {
            obj.put(decimal(tags::IMAGER_PIXEL_SPACING, &[sy, sx], path)?);
        }
        InPlaneSpacing::UltrasoundRegions => {
            let mut region = InMemDicomObject::new_empty();
            region.put(uint16(tags::REGION_SPATIAL_FORMAT, 1));
            region.put(uint16(tags::REGION_DATA_TYPE, 1));
            region.put(DataElement::new(
                tags::REGION_FLAGS,
                VR::UL,
                PrimitiveValue::from(0u32),
            ));
            let rows = obj
                .get(tags::ROWS)
                .and_then(|e| e.to_int::<u32>().ok())
                .unwrap_or(1);
            let columns = obj
                .get(tags::COLUMNS)
                .and_then(|e| e.to_int::<u32>().ok())
                .unwrap_or(1);
            region.put(DataElement::new(
                tags::REGION_LOCATION_MIN_X0,
                VR::UL,
                PrimitiveValue::from(0u32),
            ));
            region.put(DataElement::new(
                tags::REGION_LOCATION_MIN_Y0,
                VR::UL,
                PrimitiveValue::from(0u32),
            ));
            region.put(DataElement::new(
                tags::REGION_LOCATION_MAX_X1,
                VR::UL,
                PrimitiveValue::from(columns.saturating_sub(1)),
            ));
            region.put(DataElement::new(
                tags::REGION_LOCATION_MAX_Y1,
                VR::UL,
                PrimitiveValue::from(rows.saturating_sub(1)),
            ));
            region.put(uint16(tags::PHYSICAL_UNITS_X_DIRECTION, 3));
            region.put(uint16(tags::PHYSICAL_UNITS_Y_DIRECTION, 3));
            region.put(DataElement::new(
                tags::PHYSICAL_DELTA_X,
                VR::FD,
                PrimitiveValue::from(sx / 10.0),
            ));
            region.put(DataElement::new(
                tags::PHYSICAL_DELTA_Y,
                VR::FD,
                PrimitiveValue::from(sy / 10.0),
            ));
            obj.put(sequence(tags::SEQUENCE_OF_ULTRASOUND_REGIONS, vec![region]));
        }
    }
    Ok(())
}

fn orientation_of(geometry: &Geometry) -> ([f64; 3], [f64; 3]) {
    let d = &geometry.direction;
    ([d[0], d[3], d[6]], [d[1], d[4], d[7]])
}

fn put_plane(
    obj: &mut InMemDicomObject,
    geometry: &Geometry,
    slice: usize,
    spec: &SeriesSpec,
    path: &Path,
) -> Result<()> {
    let (row, column) = orientation_of(geometry);
    let position = geometry.index_to_physical([0.0, 0.0, slice as f64]);
    obj.put(decimal(tags::IMAGE_POSITION_PATIENT, &position, path)?);
    obj.put(decimal(
        tags::IMAGE_ORIENTATION_PATIENT,
        &[row[0], row[1], row[2], column[0], column[1], column[2]],
        path,
    )?);
    obj.put(text(
        tags::FRAME_OF_REFERENCE_UID,
        VR::UI,
        &spec.identity.frame_of_reference_uid,
    ));
    obj.put(text(tags::POSITION_REFERENCE_INDICATOR, VR::LO, ""));
    let normal = [
        row[1] * column[2] - row[2] * column[1],
        row[2] * column[0] - row[0] * column[2],
        row[0] * column[1] - row[1] * column[0],
    ];
    let along = position[0] * normal[0] + position[1] * normal[1] + position[2] * normal[2];
    obj.put(decimal(tags::SLICE_LOCATION, &[along], path)?);
    Ok(())
}

fn save(obj: InMemDicomObject, path: &Path) -> Result<()> {
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(EXPLICIT_VR_LITTLE_ENDIAN)
        .implementation_class_uid(synthetic_uid(&["mmrad-io", "implementation"]))
        .implementation_version_name("MMRAD_IO_0_1");
    let file = obj
        .with_meta(meta)
        .map_err(|e| write_error(path, format!("file meta: {e}")))?;
    let mut bytes = Vec::new();
    file.write_all(&mut bytes)
        .map_err(|e| write_error(path, e.to_string()))?;
    std::fs::write(path, bytes).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}
