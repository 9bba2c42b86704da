//! mmrad-io: reads and writes images and masks (NRRD, NIfTI, DICOM); every error names the path.
//!
//! Modules, in reading order:
//! - [`nrrd`]: NRRD reader (raw, gzip, ascii encodings; every scalar type) and writer, geometry converted to LPS.
//! - [`nifti`]: NIfTI-1 reader (`.nii`, `.nii.gz`) via the `nifti` crate, qform/sform converted to LPS as ITK does.
//! - [`limits`]: declared sizes checked against the file and [`ReadLimits`] (`MMRAD_MAX_IMAGE_BYTES`, default 8 GiB)
//!   before any allocation; zero, negative or non-finite spacing and non-finite origin/direction rejected.
//!
//! The entry points [`read_image`] (NRRD, NIfTI, a DICOM file or series folder) and [`read_label_map`] (NRRD, NIfTI)
//! dispatch on the file extension, a folder, or the `DICM` marker of a DICOM file.
//! This crate never computes features and never resamples: geometry is reported as stored.

pub mod dicom;
mod gzip;
pub mod limits;
pub mod mask;
pub mod nifti;
pub mod nrrd;
mod scratch;
pub mod words;

use std::path::{Path, PathBuf};

use mmrad_core::{LabelMap, Volume};

pub use limits::{DEFAULT_MAX_IMAGE_BYTES, MAX_IMAGE_BYTES_ENV, ReadLimits};
pub use nifti::{write_label_map_nifti, write_volume_nifti};
pub use nrrd::{write_label_map_nrrd, write_volume_nrrd};

/// Errors of mmrad-io; every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot read `{path}`: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("invalid NRRD header in `{path}`: {message}")]
    NrrdHeader { path: PathBuf, message: String },
    #[error(
        "truncated data in `{path}`: expected {expected} bytes, found {found}; the file is cut short or its header \
         declares too large a size: copy or export it again"
    )]
    Truncated {
        path: PathBuf,
        expected: usize,
        found: usize,
    },
    #[error("unsupported {what} `{value}` in `{path}`")]
    Unsupported {
        path: PathBuf,
        what: &'static str,
        value: String,
    },
    #[error("cannot read NIfTI `{path}`: {message}")]
    Nifti { path: PathBuf, message: String },
    #[error("label map `{path}` holds a non-integer value `{value}`")]
    NonIntegerLabel { path: PathBuf, value: f64 },
    #[error("unknown {what} format for `{path}`; expected {expected}")]
    UnknownFormat {
        path: PathBuf,
        /// `image` or `label map`.
        what: &'static str,
        /// The accepted formats.
        expected: &'static str,
    },
    #[error("cannot read DICOM `{path}`: {message}")]
    Dicom { path: PathBuf, message: String },
    #[error("unsupported DICOM transfer syntax `{uid}` ({name}) in `{path}`")]
    DicomTransferSyntax {
        path: PathBuf,
        uid: String,
        name: String,
    },
    #[error("`{path}` holds {count} DICOM series: {uids}; choose one by its key or SeriesInstanceUID")]
    DicomSeveralSeries {
        path: PathBuf,
        count: usize,
        uids: String,
    },
    #[error("inconsistent DICOM series in `{path}`: {message}")]
    DicomGeometry { path: PathBuf, message: String },
    #[error("cannot write DICOM `{path}`: {message}")]
    DicomWrite { path: PathBuf, message: String },
    #[error("mask `{path}` {message}")]
    Mask { path: PathBuf, message: String },
    #[error(
        "mask and image grids differ in {fields}: {details}; hint: resample the mask onto the image grid with \
         `--resample-mask-to-image` (nearest neighbour)"
    )]
    GeometryMismatch { fields: String, details: String },
    #[error(
        "`{path}` declares {what} of {declared} bytes, above the limit of {limit} bytes; if the image is genuine raise \
         the limit with the environment variable MMRAD_MAX_IMAGE_BYTES (e.g. MMRAD_MAX_IMAGE_BYTES=32G), otherwise \
         the header is corrupt: export the image again"
    )]
    TooLarge {
        path: PathBuf,
        /// The header field(s) that declared the size.
        what: String,
        declared: u64,
        limit: u64,
    },
    #[error("corrupt data in `{path}`: {message}; the file is truncated or damaged: copy or export it again")]
    Corrupt { path: PathBuf, message: String },
    #[error("invalid header in `{path}`: {field} {message}")]
    BadHeader {
        path: PathBuf,
        /// The header field (NRRD key, NIfTI field, DICOM attribute).
        field: String,
        message: String,
    },
    #[error(
        "MMRAD_MAX_IMAGE_BYTES is `{value}`, expected a positive byte count such as 8589934592 or 8G; fix or unset it"
    )]
    InvalidLimit { value: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// File formats recognised from the extension, a folder, or the DICOM marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Nrrd,
    Nifti,
    /// A DICOM file (`.dcm`, `.dicom`, or `DICM` at byte 128) or a folder of DICOM files.
    Dicom,
}

/// The formats [`read_image`] accepts, as its error lists them.
const IMAGE_FORMATS: &str = "NRRD (.nrrd, .nhdr), NIfTI (.nii, .nii.gz), a DICOM file (.dcm, or `DICM` at byte 128) \
                             or a DICOM series folder";

/// The formats [`read_label_map`] accepts (DICOM SEG and RTSTRUCT masks are read by [`mask::read_mask`]).
const LABEL_MAP_FORMATS: &str = "NRRD (.nrrd, .nhdr) or NIfTI (.nii, .nii.gz); read DICOM SEG and RTSTRUCT masks as \
                                 masks (`mask::read_mask`)";

/// The format of `path`, or `None` when neither the name nor the content tells (an unreadable file of unknown
/// extension is `None` too: the unknown-format error is the more useful one).
fn format_of(path: &Path) -> Option<Format> {
    if path.is_dir() {
        return Some(Format::Dicom);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nrrd") || name.ends_with(".nhdr") {
        Some(Format::Nrrd)
    } else if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        Some(Format::Nifti)
    } else if name.ends_with(".dcm")
        || name.ends_with(".dicom")
        || dicom::has_dicom_marker(path).unwrap_or(false)
    {
        Some(Format::Dicom)
    } else {
        None
    }
}

/// Reads an image into a `Volume` with f64 intensities and LPS geometry: NRRD, NIfTI, a DICOM file (2D, or a
/// multi-frame volume) or a DICOM series folder ([`dicom::read_dicom_series`]: default options, rescale applied).
///
/// # Errors
/// Unreadable, truncated or malformed files, unsupported types or encodings, and an unknown format (the error lists
/// the accepted ones); the error names the path.
pub fn read_image(path: &Path) -> Result<Volume> {
    match format_of(path) {
        Some(Format::Nrrd) => nrrd::read_nrrd(path)?.into_volume(),
        Some(Format::Nifti) => nifti::read_nifti(path)?.into_volume(),
        Some(Format::Dicom) => dicom::read_dicom_series(path),
        None => Err(Error::UnknownFormat {
            path: path.to_path_buf(),
            what: "image",
            expected: IMAGE_FORMATS,
        }),
    }
}

/// As [`read_image`], with the grid a mask is checked against: for a DICOM image it carries the SeriesInstanceUID, so
/// a DICOM SEG or RTSTRUCT that references another series (a mask of another scan or patient, possibly on an
/// identical grid) is an error in [`mask::read_mask`] rather than silently accepted.
///
/// # Errors
/// As [`read_image`].
pub fn read_image_with_grid(path: &Path) -> Result<(Volume, mask::ImageGrid)> {
    if format_of(path) == Some(Format::Dicom) {
        let image = dicom::read_dicom(path, &dicom::DicomReadOptions::default())?;
        let grid = mask::ImageGrid::of_dicom(&image);
        return Ok((image.volume, grid));
    }
    let volume = read_image(path)?;
    let grid = mask::ImageGrid::of_volume(&volume);
    Ok((volume, grid))
}

/// Reads a segmentation (NRRD or NIfTI) into a `LabelMap` with integer labels and LPS geometry.
///
/// # Errors
/// As [`read_image`], a DICOM path (SEG and RTSTRUCT are masks, see [`mask::read_mask`]), and a non-integer voxel
/// value.
pub fn read_label_map(path: &Path) -> Result<LabelMap> {
    match format_of(path) {
        Some(Format::Nrrd) => nrrd::read_nrrd(path)?.into_label_map(),
        Some(Format::Nifti) => nifti::read_nifti(path)?.into_label_map(),
        Some(Format::Dicom) | None => Err(Error::UnknownFormat {
            path: path.to_path_buf(),
            what: "label map",
            expected: LABEL_MAP_FORMATS,
        }),
    }
}

/// Voxel values as decoded, before conversion to a `Volume` or `LabelMap`.
#[derive(Debug, Clone, PartialEq)]
pub enum Samples {
    /// Integer-typed files (int8 … uint64 that fit in i64).
    Int(Vec<i64>),
    /// Floating-point files.
    Float(Vec<f64>),
}

/// A decoded image: samples in x-fastest order, size `(x, y, z)` and LPS geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct RawImage {
    pub path: PathBuf,
    pub size_xyz: [usize; 3],
    pub samples: Samples,
    pub geometry: mmrad_core::Geometry,
    /// The file's pixel type as SimpleITK reads it; `None` for types it has no scalar equivalent of.
    pub pixel_type: Option<mmrad_core::PixelType>,
}

impl RawImage {
    fn shape_zyx(&self) -> (usize, usize, usize) {
        (self.size_xyz[2], self.size_xyz[1], self.size_xyz[0])
    }

    fn shape_error(&self, n: usize) -> Error {
        Error::Truncated {
            path: self.path.clone(),
            expected: self.size_xyz.iter().product(),
            found: n,
        }
    }

    /// Converts to a `Volume` (integers become exact f64 values).
    ///
    /// # Errors
    /// When the sample count does not match the size.
    pub fn into_volume(self) -> Result<Volume> {
        let shape = self.shape_zyx();
        let n = match &self.samples {
            Samples::Int(v) => v.len(),
            Samples::Float(v) => v.len(),
        };
        if n != shape.0 * shape.1 * shape.2 {
            return Err(self.shape_error(n));
        }
        let values: Vec<f64> = match self.samples {
            Samples::Int(v) => v.into_iter().map(|x| x as f64).collect(),
            Samples::Float(v) => v,
        };
        let data = ndarray::Array3::from_shape_vec(shape, values).map_err(|_| Error::Truncated {
            path: self.path.clone(),
            expected: shape.0 * shape.1 * shape.2,
            found: n,
        })?;
        Ok(Volume::new(data, self.geometry).with_pixel_type(self.pixel_type))
    }

    /// Converts to a `LabelMap`; floating-point files must hold integral values.
    ///
    /// # Errors
    /// A non-integral or non-finite value, or a sample count that does not match the size.
    pub fn into_label_map(self) -> Result<LabelMap> {
        let shape = self.shape_zyx();
        let values: Vec<i64> = match self.samples {
            Samples::Int(v) => v,
            Samples::Float(v) => {
                let mut out = Vec::with_capacity(v.len());
                for x in v {
                    if !x.is_finite() || x.fract() != 0.0 || x.abs() > 9.0e15 {
                        return Err(Error::NonIntegerLabel {
                            path: self.path.clone(),
                            value: x,
                        });
                    }
                    out.push(x as i64);
                }
                out
            }
        };
        let n = values.len();
        let data = ndarray::Array3::from_shape_vec(shape, values).map_err(|_| Error::Truncated {
            path: self.path.clone(),
            expected: shape.0 * shape.1 * shape.2,
            found: n,
        })?;
        Ok(LabelMap::new(data, self.geometry))
    }
}
