//! mmrad-core: the vocabulary every other mmrad crate speaks.
//!
//! Modules, in reading order:
//! - [`ids`]: `CaseId`, `Modality`, `FeatureName`.
//! - [`volume`]: `Geometry`, `Volume` (voxels in z, y, x order with ITK/LPS geometry) and `LabelMap`.
//! - [`table`]: `FeatureTable` (cases × named features) and `Outcome`.
//! - [`dataset`]: `Dataset`, the borrowed (x, y) view that estimators fit on, and the `Fit`/`Predict`/`Transform` traits.
//! - [`rng`]: `SeededRng`, the only source of random numbers in mmrad.
//! - [`par`]: `Par`, the explicit thread-count argument.
//! - [`contain`]: turns a panic of third-party code on corrupt input into an error, without a message on stderr.
//!
//! This crate never does file IO, never reads the clock or the environment, and knows no serde format.

pub mod contain;
pub mod dataset;
pub mod ids;
pub mod par;
pub mod rng;
pub mod table;
pub mod volume;

pub use dataset::{Dataset, Fit, Predict, Transform};
pub use ids::{CaseId, FeatureName, Modality};
pub use par::Par;
pub use rng::SeededRng;
pub use table::{FeatureTable, Outcome};
pub use volume::{Geometry, LabelMap, PixelType, Volume};

/// Errors raised when building core values from inconsistent parts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("shape mismatch in {what}: expected {expected}, found {found}")]
    Shape {
        what: String,
        expected: String,
        found: String,
    },
    #[error("duplicate case id `{0}`")]
    DuplicateCase(String),
    #[error("duplicate feature name `{0}`")]
    DuplicateFeature(String),
    #[error("outcome must be binary (0/1); found `{value}` for case `{case}`")]
    NonBinaryOutcome { case: String, value: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
