//! DICOM image input: a series folder, a single-frame 2D file or a multi-frame file → [`Volume`] (stored values
//! decoded by `dicom-pixeldata`, rescaled, LPS geometry), and [`dicom_info`] / [`dicom_series_info`], decode
//! summaries without any patient-identifying attribute (series are named by [`series_key`], not by their UID).
//!
//! Modules, in reading order:
//! - `attributes`: the non-identifying attributes of one file (pixel module, geometry, rescale, functional groups).
//! - `decode`: Pixel Data → stored values (before rescale) and grey frames (MONOCHROME1 inversion, colour → luminance).
//! - `series`: grouping by SeriesInstanceUID, slice sorting along the normal, spacing and orientation checks.
//! - [`write`]: deterministic DICOM writing (image series, 2D MG/US, binary SEG, RTSTRUCT) for synthetic cohorts.
//!
//! # Conventions
//! - Slices (files, or frames of a multi-frame file) are sorted by ImagePositionPatient projected on the slice normal
//!   `n = row × column` (from ImageOrientationPatient); the slice spacing is the difference of consecutive
//!   projections, never SliceThickness. The origin is the position of the first sorted slice; the direction matrix
//!   has columns `row`, `column`, `n` (LPS, as ITK).
//! - Rescale Slope/Intercept (or the Pixel Value Transformation functional group) is applied per slice, so CT is in HU.
//! - MONOCHROME1 is inverted to MONOCHROME2 on stored values as `min + max − v` over the stored range (not the image
//!   range), before rescale.
//! - RGB (and YBR_FULL) becomes grey by [`ColourRule`]; the default is ITK's `RGBPixel::GetLuminance` weights
//!   (0.30, 0.59, 0.11), the conversion PyRadiomics users get from SimpleITK.
//! - Transfer syntaxes decoded: implicit/explicit little endian, big endian, deflate, RLE, JPEG baseline/extended/
//!   lossless, JPEG-LS lossless and near-lossless (CharLS), JPEG 2000; any other is a clear error naming its UID.
//! - This module never reads PatientName, PatientID, PatientBirthDate, AccessionNumber, institution or date attributes,
//!   so no error, note or summary can contain them.

mod attributes;
mod decode;
pub mod rtstruct;
mod scan;
pub mod seg;
mod series;
pub mod write;

use std::path::{Path, PathBuf};

use mmrad_core::Volume;

pub use attributes::transfer_syntax_name;
pub use rtstruct::{read_rtstruct, read_rtstruct_with_options, rtstruct_roi_names};
pub use seg::{SegSelect, SegmentId, read_seg, seg_segments};
pub(crate) use series::has_dicom_marker;
pub use series::{
    DicomInfo, ImageInfo, SeriesInfo, dicom_series_info, read_dicom, read_dicom_series, series_key,
};

use crate::Result;

/// Rule turning a colour pixel into one grey value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ColourRule {
    /// ITK `RGBPixel::GetLuminance`: `0.30 R + 0.59 G + 0.11 B` (what SimpleITK / PyRadiomics users get).
    #[default]
    ItkLuminance,
    /// ITU-R BT.601 luma: `0.299 R + 0.587 G + 0.114 B`.
    Bt601,
}

impl ColourRule {
    /// The (R, G, B) weights.
    pub fn weights(self) -> [f64; 3] {
        match self {
            ColourRule::ItkLuminance => [0.30, 0.59, 0.11],
            ColourRule::Bt601 => [0.299, 0.587, 0.114],
        }
    }
}

/// Options of [`read_dicom`].
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `series_uid` | `None` | pick one series of a folder holding several: its SeriesInstanceUID or [`series_key`] |
/// | `frame` | `None` | read one frame of a multi-frame file as a 2D image (required for ultrasound cine) |
/// | `colour` | [`ColourRule::ItkLuminance`] | colour → grey rule |
/// | `spacing_tolerance` | `0.01` | allowed relative deviation of a slice gap from the median gap |
/// | `orientation_tolerance` | `1e-4` | allowed difference of direction cosines between slices, and of the slice stack from the normal (per mm) |
#[derive(Debug, Clone, PartialEq)]
pub struct DicomReadOptions {
    pub series_uid: Option<String>,
    pub frame: Option<usize>,
    pub colour: ColourRule,
    pub spacing_tolerance: f64,
    pub orientation_tolerance: f64,
}

impl Default for DicomReadOptions {
    fn default() -> Self {
        DicomReadOptions {
            series_uid: None,
            frame: None,
            colour: ColourRule::default(),
            spacing_tolerance: 0.01,
            orientation_tolerance: 1e-4,
        }
    }
}

/// Where the in-plane pixel spacing came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PixelSpacingSource {
    /// PixelSpacing (0028,0030), top level or Pixel Measures functional group: spacing in the patient.
    PixelSpacing,
    /// ImagerPixelSpacing (0018,1164): spacing at the detector (projection radiography, mammography), no
    /// magnification correction.
    ImagerPixelSpacing,
    /// PhysicalDeltaX/Y of the first Sequence of Ultrasound Regions item whose physical units are centimetres in
    /// both directions (cm converted to mm).
    UltrasoundRegion,
    /// No spacing attribute: 1 mm assumed.
    Assumed,
}

/// Where the slice spacing came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SliceSpacingSource {
    /// Differences of ImagePositionPatient along the normal.
    ImagePositions,
    /// SpacingBetweenSlices (0018,0088), for evenly spaced frames without per-frame positions.
    SpacingBetweenSlices,
    /// SliceThickness (0018,0050), for a single slice or frames without positions or spacing.
    SliceThickness,
    /// Nothing available: 1 mm assumed.
    Assumed,
}

/// A DICOM image read into a [`Volume`], with notes on the choices made (no patient-identifying attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct DicomImage {
    pub volume: Volume,
    pub series_uid: Option<String>,
    /// FrameOfReferenceUID of the series (a SEG or RTSTRUCT in another frame of reference is refused).
    pub frame_of_reference_uid: Option<String>,
    pub modality: Option<String>,
    /// Files of the series that were read.
    pub n_files: usize,
    pub pixel_spacing: PixelSpacingSource,
    pub slice_spacing: SliceSpacingSource,
    /// Photometric interpretation of the decoded pixels (a compressed colour image decodes to `RGB`).
    pub photometric: String,
    /// The colour rule applied, when the image was colour.
    pub colour_rule: Option<ColourRule>,
    /// Whether MONOCHROME1 stored values were inverted.
    pub inverted_monochrome1: bool,
    /// Files of the folder that were skipped, with the reason (not DICOM, no pixel data, a segmentation).
    pub skipped: Vec<(PathBuf, String)>,
}

/// Decode statistics of the stored values (before rescale), comparable with pydicom's `pixel_array(raw=True)`.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeSummary {
    /// numpy dtype of the stored values (`uint8`, `int16`, ...; 1-bit data is `uint8`).
    pub dtype: &'static str,
    pub frames: usize,
    pub rows: usize,
    pub columns: usize,
    pub samples: usize,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    /// SHA-256 of the stored values as little-endian integers of the dtype width, frame/row/column/sample order.
    pub sha256: String,
}

/// A summary of one DICOM file without patient-identifying attributes, for `mmrad dicom info`.
#[derive(Debug, Clone, PartialEq)]
pub struct DicomSummary {
    pub path: PathBuf,
    pub modality: Option<String>,
    pub sop_class_uid: Option<String>,
    pub series_uid: Option<String>,
    pub transfer_syntax_uid: String,
    pub transfer_syntax_name: &'static str,
    pub rows: u32,
    pub columns: u32,
    pub frames: u32,
    pub samples_per_pixel: u16,
    pub photometric: String,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub pixel_representation: u16,
    pub pixel_spacing: Option<[f64; 2]>,
    pub imager_pixel_spacing: Option<[f64; 2]>,
    pub slice_thickness: Option<f64>,
    pub image_position: Option<[f64; 3]>,
    pub image_orientation: Option<[f64; 6]>,
    pub rescale_slope: Option<f64>,
    pub rescale_intercept: Option<f64>,
    /// Decode statistics, or why decoding failed (the message names the transfer syntax).
    pub decode: std::result::Result<DecodeSummary, String>,
}

/// Summarises one DICOM file: attributes and decode statistics of the stored values.
///
/// # Errors
/// When the file cannot be read as DICOM at all. A file that reads but does not decode (unsupported transfer syntax,
/// no pixel data) is a summary whose `decode` is `Err`.
pub fn dicom_info(path: &Path) -> Result<DicomSummary> {
    let opened = decode::open(path)?;
    let decoded = opened.decode();
    Ok(summarise(&opened, decoded.as_ref().map_err(ToString::to_string)))
}

/// The summary of an opened file from its decode result.
pub(crate) fn summarise(
    opened: &decode::OpenedFile,
    decoded: std::result::Result<&decode::StoredPixels<'_>, String>,
) -> DicomSummary {
    let attrs = &opened.attributes;
    let decoded = decoded.map(|pixels| {
        let (dtype, width) = decode::dtype(attrs);
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        let mut sum = 0.0;
        let values = pixels.values();
        for &v in &values {
            let x = v as f64;
            min = min.min(x);
            max = max.max(x);
            sum += x;
        }
        DecodeSummary {
            dtype,
            frames: pixels.frames,
            rows: pixels.rows,
            columns: pixels.columns,
            samples: pixels.samples,
            min,
            max,
            sum,
            sha256: decode::sha256_le(&values, width),
        }
    });
    DicomSummary {
        path: opened.path.clone(),
        modality: attrs.modality.clone(),
        sop_class_uid: attrs.sop_class_uid.clone(),
        series_uid: attrs.series_uid.clone(),
        transfer_syntax_uid: attrs.transfer_syntax_uid.clone(),
        transfer_syntax_name: attrs.transfer_syntax_name(),
        rows: attrs.rows,
        columns: attrs.columns,
        frames: attrs.frames,
        samples_per_pixel: attrs.samples_per_pixel,
        photometric: attrs.photometric.clone(),
        bits_allocated: attrs.bits_allocated,
        bits_stored: attrs.bits_stored,
        pixel_representation: attrs.pixel_representation,
        pixel_spacing: attrs.pixel_spacing,
        imager_pixel_spacing: attrs.imager_pixel_spacing,
        slice_thickness: attrs.slice_thickness,
        image_position: attrs.position,
        image_orientation: attrs.orientation,
        rescale_slope: attrs.rescale_slope,
        rescale_intercept: attrs.rescale_intercept,
        decode: decoded,
    }
}
