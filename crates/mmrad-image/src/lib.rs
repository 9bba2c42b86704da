//! mmrad-image: pure operations on volumes and label maps (cropping, resampling, normalisation, filters); no file IO.
//!
//! Modules, in reading order:
//! - [`roi`]: bounding boxes, cropping and intensity re-segmentation of a boolean ROI (PyRadiomics semantics).
//! - [`intensity`]: whole-image normalisation (ITK `NormalizeImageFilter` + PyRadiomics outlier clipping).
//! - [`resample`]: resampling of volumes (nearest neighbour, linear, cubic B-spline) and label maps (nearest
//!   neighbour) onto another grid as ITK's `ResampleImageFilter` does, and the check that a ROI lies inside an image.
//! - [`bspline`]: ITK's cubic B-spline decomposition and evaluation.
//! - [`filters`]: PyRadiomics image types (square, square root, logarithm, exponential, gradient, LoG, wavelet), and
//!   the IBSI-2 convolutional filters ([`filters::ibsi2`]).
//! - [`autocorrelation`]: Moran's I and Geary's C of an ROI (inverse-distance weights over every voxel pair), exact
//!   at any ROI size through FFT correlations.
//!
//! This crate never reads files, never computes features, and draws no random numbers.

pub mod autocorrelation;
pub mod bspline;
pub mod filters;
pub mod intensity;
pub mod resample;
pub mod roi;

pub use intensity::normalise;
pub use resample::{Interpolator, OutputCast, check_roi_inside, resample_labels_nearest, resample_volume};
pub use roi::{BoundingBox, ResegmentMode, bounding_box, crop, resegment};

/// Errors of mmrad-image.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    #[error("the ROI is empty")]
    EmptyRoi,
    #[error("resegmentation kept {kept} voxel(s); at least 2 are needed")]
    ResegmentedAway { kept: usize },
    #[error("invalid resegmentation range {0:?}; expected 1 or 2 finite thresholds")]
    InvalidRange(Vec<f64>),
    #[error("cannot normalise: {0}")]
    Normalise(&'static str),
    #[error("shape mismatch: image {image:?}, mask {mask:?}")]
    Shape {
        image: (usize, usize, usize),
        mask: (usize, usize, usize),
    },
    #[error("{0} direction matrix is singular")]
    SingularDirection(&'static str),
    #[error("{filter} filter: {reason}")]
    Filter { filter: &'static str, reason: String },
    #[error("the ROI of the mask lies outside the image: {0}")]
    RoiOutsideImage(String),
}

/// Result type of mmrad-image.
pub type Result<T, E = ImageError> = std::result::Result<T, E>;
