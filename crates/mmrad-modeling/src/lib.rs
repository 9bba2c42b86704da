//! mmrad-modeling: Params → check → Fitted estimators (standardiser, LASSO path, logistic, rad-score, fusion,
//! clinical model, nomogram).
//!
//! Modules, in reading order:
//! - [`standardise`]: column centring and scaling fitted on training rows only.
//! - [`lasso`]: binomial (glmnet) and gaussian (scikit-learn) LASSO / elastic-net paths by coordinate descent,
//!   with cross-validation, λ.min and λ.1se.
//! - [`logistic`]: unpenalised or Firth-penalised logistic regression with Wald and profile-likelihood intervals.
//! - [`signature`]: rad-scores (the LASSO linear predictor per modality), fusion and the clinical model.
//! - [`nomogram`]: rms-style points tables for a fitted logistic model.
//!
//! This crate never reads files, the clock or the environment; random numbers come only from a
//! [`mmrad_core::SeededRng`] the caller passes in.

pub mod lasso;
pub mod logistic;
pub mod nomogram;
pub mod signature;
pub mod standardise;

mod numeric;

pub use lasso::{CvTable, Family, FittedLasso, LambdaRule, LassoParams, LassoPath, ValidLassoParams};
pub use logistic::{CiMethod, FittedLogistic, LogisticParams, TermEstimate, ValidLogisticParams};
pub use nomogram::{Nomogram, NomogramAxis, axis_values, pretty};
pub use signature::{
    ClinicalParams, FittedClinical, FittedFusion, FusionParams, RadScore, ScreenResult,
    Selection as ClinicalSelection, ValidClinicalParams,
};

pub use standardise::{FittedStandardiser, SdDenominator, StandardiserParams};

/// Errors of the estimators; each names the offending parameter, column, row, fold or term.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter outside its valid range.
    #[error("invalid parameter `{name}` = `{value}`: {reason}")]
    InvalidParam {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
    /// Two inputs whose shapes must agree do not.
    #[error("shape mismatch in {what}: expected {expected}, found {found}")]
    Shape {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// A NaN or infinite value in the data.
    #[error("non-finite value `{value}` in {what} at row {row}, column {column}")]
    NonFinite {
        what: &'static str,
        row: usize,
        column: usize,
        value: f64,
    },
    /// An outcome that is not 0/1.
    #[error("outcome must be 0 or 1; found `{value}` at row {row}")]
    NonBinaryOutcome { row: usize, value: f64 },
    /// The outcome has a single class (no events or no non-events).
    #[error("outcome has a single class: {events} events among {n} rows")]
    OneClass { events: usize, n: usize },
    /// Too few rows to fit.
    #[error("too few rows in {what}: need at least {needed}, found {found}")]
    TooFewRows {
        what: &'static str,
        needed: usize,
        found: usize,
    },
    /// A fold id vector that cannot be used.
    #[error("bad fold ids: {reason} (fold {fold})")]
    BadFolds { fold: usize, reason: &'static str },
    /// Perfect or quasi-complete separation in an unpenalised logistic fit.
    #[error(
        "perfect separation: the maximum-likelihood estimate of term `{term}` is infinite; use the Firth option \
         or drop the term"
    )]
    Separation { term: String },
    /// An iterative solver that did not reach its tolerance.
    #[error("{what} did not converge in {iterations} iterations")]
    NoConvergence { what: &'static str, iterations: usize },
    /// A profile-likelihood limit that could not be bracketed.
    #[error("profile-likelihood {side} limit of term `{term}` not found (likelihood too flat)")]
    ProfileLimit { term: String, side: &'static str },
    /// A model without any term left to fit.
    #[error(
        "term `{term}` is (numerically) a linear combination of the terms before it; drop it or combine the terms"
    )]
    Collinear { term: String },
    #[error("no terms left in {what}")]
    NoTerms { what: &'static str },
    /// A term name given twice or unknown.
    #[error("unknown or duplicate term `{term}`")]
    BadTerm { term: String },
    /// Probabilities asked from a model that does not produce them.
    #[error("{what} does not produce probabilities")]
    NotProbabilistic { what: &'static str },
    /// An error of the statistics routines.
    #[error(transparent)]
    Stats(#[from] mmrad_stats::Error),
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
