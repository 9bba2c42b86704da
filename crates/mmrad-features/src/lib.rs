//! mmrad-features: radiomic features with PyRadiomics 3.1 definitions (and, later, IBSI conventions); no file IO.
//!
//! Modules, in reading order:
//! - [`extract`]: the entry point `extract(image, mask, settings, classes)` returning PyRadiomics-named features.
//! - [`image_types`]: PyRadiomics image types (original, LoG, wavelet, square, ...): `extract_image_types`.
//! - [`settings`]: `ExtractionSettings` (PyRadiomics `setting:` keys and defaults).
//! - [`roi`]: the ROI pipeline in PyRadiomics order (geometry check, normalisation, resegmentation, crop, checks).
//! - [`discretise`]: the grey-level discretised ROI (`Discretised`) every texture class reads.
//! - [`firstorder`]: the 18 first-order features (+ StandardDeviation on request).
//! - [`shape`]: 3D shape from the marching-cubes mesh; [`shape2d`]: 2D shape from marching squares (`force2D`).
//! - [`texture`]: GLCM, GLRLM, GLSZM, GLDM, NGTDM matrices and their features.
//! - [`ibsi`]: IBSI-1 mode (`ibsiCompliant: true`): IBSI definitions, aggregations and families, `ibsi_*` names.
//!
//! This crate never reads files, never reads the clock or the environment, and draws no random numbers.

pub mod discretise;
pub mod extract;
pub mod firstorder;
pub mod ibsi;
pub mod image_types;
pub mod roi;
pub mod settings;
pub mod shape;
pub mod shape2d;
pub mod texture;

mod mesh_tables;

pub use discretise::{Binning, Discretised, discretise};
pub use extract::{Extraction, FeatureClass, FeatureClassSelection, extract, extract_region};
pub use image_types::{
    FilterSettings, Ibsi2FilterSpec, ImageType, ImageTypeSpec, Sigma, WAVELET_NAMES, extract_image_types,
};
pub use roi::{PreparedRoi, WholeInput, check_geometry, prepare_roi, prepare_roi_region};
pub use settings::{ExtractionSettings, Interpolator, ResegmentMode};

/// Errors of mmrad-features.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FeatureError {
    #[error("invalid setting `{name}` = `{value}`; expected {expected}")]
    InvalidSetting {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("unsupported `{what}`; {hint}")]
    Unsupported { what: String, hint: String },
    #[error("shape mismatch in {what}: expected {expected}, found {found}")]
    Shape {
        what: String,
        expected: String,
        found: String,
    },
    #[error(
        "image/mask geometry mismatch: {what} differs (image {image}, mask {mask}); set `correctMask` or fix the inputs"
    )]
    GeometryMismatch {
        what: &'static str,
        image: String,
        mask: String,
    },
    #[error("the mask is empty: no voxel has a non-zero label")]
    EmptyMask,
    #[error("label `{label}` is not present in the mask; labels present: {present:?}")]
    LabelAbsent { label: i64, present: Vec<i64> },
    #[error("the ROI is empty{}", label.map(|l| format!(" for label `{l}`")).unwrap_or_default())]
    EmptyRoi { label: Option<i64> },
    #[error("the ROI holds a single voxel; features cannot be extracted")]
    SingleVoxel,
    #[error("the ROI spans {found} dimension(s); `minimumROIDimensions` requires {required}")]
    TooFewDimensions { found: usize, required: usize },
    #[error("the ROI has {found} voxels; `minimumROISize` requires more than {required}")]
    TooSmall { found: usize, required: usize },
    #[error("resegmentation kept {kept} voxel(s) of label `{label}`; at least 2 are needed")]
    ResegmentedAway { label: i64, kept: usize },
    #[error("the ROI of the mask lies outside the image: {detail}")]
    RoiOutsideImage { detail: String },
    #[error("non-finite values in {what}")]
    NonFinite { what: String },
    #[error("unknown {class} feature `{name}`; valid: {valid}")]
    UnknownFeature {
        class: &'static str,
        name: String,
        valid: String,
    },
    #[error("{}; valid: {valid}", unknown_ibsi(key, feature.as_ref()))]
    UnknownIbsiSelection {
        /// The `featureClass` key.
        key: String,
        /// The unknown feature (index in the key's list, name); `None` when the key itself is unknown.
        feature: Option<(usize, String)>,
        valid: String,
    },
    #[error(
        "shape2D needs `force2D` and a single slice along axis {dimension}; the ROI spans {extent} slices"
    )]
    NotTwoDimensional { dimension: usize, extent: usize },
    #[error(transparent)]
    Texture(#[from] texture::TextureError),
}

impl FeatureError {
    /// What the user can do about it, when there is something more specific than the message.
    pub fn help(&self) -> Option<String> {
        Some(match self {
            FeatureError::InvalidSetting { name: "binWidth", .. } => {
                "the intensity range needs too many bins of this width: use a larger `binWidth`, or `binCount`".into()
            }
            FeatureError::InvalidSetting { name, .. } => {
                format!("change `{name}` in the parameter file (or with `-s {name}:VALUE`)")
            }
            FeatureError::GeometryMismatch { .. } | FeatureError::RoiOutsideImage { .. } => {
                "check that the mask was drawn on this image; `correctMask: true` resamples a mask on a slightly \
                 different grid onto the image, as PyRadiomics does"
                    .into()
            }
            FeatureError::EmptyMask | FeatureError::LabelAbsent { .. } | FeatureError::EmptyRoi { .. } => {
                "choose a label present in the mask (`--label N`, the batch's `Label` column, or `label` in the \
                 parameter file)"
                    .into()
            }
            FeatureError::SingleVoxel | FeatureError::TooFewDimensions { .. } | FeatureError::TooSmall { .. } => {
                "check the segmentation (PyRadiomics refuses such ROIs too); `minimumROIDimensions` and \
                 `minimumROISize` set the limits"
                    .into()
            }
            FeatureError::ResegmentedAway { .. } => "widen `resegmentRange` or remove it".into(),
            FeatureError::NonFinite { .. } => {
                "the image holds NaN or infinite values inside the ROI: fix the image or leave those voxels out of \
                 the mask"
                    .into()
            }
            FeatureError::UnknownFeature { .. } => {
                "list feature names under `featureClass` exactly as PyRadiomics spells them (or none for all)".into()
            }
            FeatureError::UnknownIbsiSelection { feature: None, .. } => {
                "in IBSI mode `featureClass` keys are PyRadiomics classes (mapped to IBSI families) or IBSI family \
                 tags; see README, IBSI mode"
                    .into()
            }
            FeatureError::UnknownIbsiSelection { .. } => {
                "in IBSI mode features are selected by their IBSI tag without family and aggregation, \
                 e.g. `cm: [joint_max]`"
                    .into()
            }
            FeatureError::NotTwoDimensional { .. } => {
                "set `force2D: true` with the slice axis in `force2Ddimension`, or use `shape` for a 3D ROI".into()
            }
            _ => return None,
        })
    }
}

/// The subject of [`FeatureError::UnknownIbsiSelection`]'s message.
fn unknown_ibsi(key: &str, feature: Option<&(usize, String)>) -> String {
    match feature {
        None => format!("unknown feature class `{key}` in IBSI mode"),
        Some((_, name)) => format!("unknown IBSI feature `{name}` under `featureClass.{key}`"),
    }
}

/// Result type of mmrad-features.
pub type Result<T, E = FeatureError> = std::result::Result<T, E>;
