//! mmrad-stats: ranks, distributions, tests, correlation, folds and the IRLS logistic core; no file IO.
//!
//! Modules, in reading order:
//! - [`logistic`]: unpenalised logistic regression by IRLS (Newton), the core the modeling crate wraps.
//! - [`linalg`]: the small dense Cholesky factorisation the solvers use (errors name the singular column).
//! - [`ranks`]: average ranks with ties, tie-group sizes.
//! - [`dist`]: normal cdf / survival / quantile, chi-square and Student t survival functions.
//! - [`hypothesis`]: Mann–Whitney U (asymptotic, continuity- and tie-corrected) and Welch t tests.
//! - [`correlation`]: Pearson and Spearman correlation.
//! - [`icc`](mod@icc): intraclass correlation coefficients ICC(1), ICC(2), ICC(3), single and average.
//! - [`quantile`](mod@quantile): sample quantiles (Hyndman–Fan type 7, the R and numpy default).
//! - [`folds`]: stratified k-fold ids, repeated folds, stratified bootstrap indices, all from a [`SeededRng`].
//!
//! This crate never reads files, the clock or the environment, and draws random numbers only from a
//! [`SeededRng`] it is given.
//!
//! [`SeededRng`]: mmrad_core::SeededRng

pub mod correlation;
pub mod dist;
pub mod folds;
pub mod hypothesis;
pub mod icc;
pub mod linalg;
pub mod logistic;
pub mod quantile;
pub mod ranks;

pub use correlation::{pearson, spearman};
pub use dist::{chi2_sf, normal_cdf, normal_quantile, normal_sf, t_sf};
pub use folds::{repeated_stratified_folds, stratified_bootstrap, stratified_folds};
pub use hypothesis::{MannWhitney, WelchT, mann_whitney_u, welch_t};
pub use icc::{Icc, IccModel, icc};
pub use logistic::{IrlsOptions, LogisticFit, logistic_irls};
pub use quantile::{quantile, quantiles};
pub use ranks::average_ranks;

/// Errors of the statistics routines; each names the offending argument, index or value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two inputs that must have the same length do not.
    #[error("length mismatch: `{what}` has {found} values, expected {expected}")]
    LengthMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// An input that must not be empty is.
    #[error("`{what}` is empty")]
    Empty { what: &'static str },
    /// A NaN or infinite value where a finite one is required.
    #[error("non-finite value `{value}` in `{what}` at index {index}")]
    NonFinite {
        what: &'static str,
        index: usize,
        value: f64,
    },
    /// An outcome value outside `[0, 1]` (or not 0/1 where binary outcomes are required).
    #[error("outcome `{what}` must be 0 or 1 (or a proportion in [0, 1]); found `{value}` at index {index}")]
    NonBinary {
        what: &'static str,
        index: usize,
        value: f64,
    },
    /// A negative or non-finite prior weight.
    #[error("weight at index {index} must be finite and >= 0; found `{value}`")]
    BadWeight { index: usize, value: f64 },
    /// The design matrix (or information matrix) is not of full column rank.
    #[error(
        "singular design: column {column} is (numerically) a linear combination of columns 0..{column} \
         (relative pivot {relative_pivot:e}); drop or combine it"
    )]
    SingularDesign { column: usize, relative_pivot: f64 },
    /// More folds were asked for than one of the outcome classes has cases.
    #[error(
        "cannot make {k} stratified folds from {events} events and {non_events} non-events: \
         k must be at least 2 and at most the smaller class count"
    )]
    TooManyFolds {
        k: usize,
        events: usize,
        non_events: usize,
    },
    /// A group needs at least `needed` observations and has fewer.
    #[error("too few observations in `{what}`: need at least {needed}, found {found}")]
    TooFew {
        what: &'static str,
        needed: usize,
        found: usize,
    },
    /// A scalar argument outside its valid range.
    #[error("invalid argument `{name}` = `{value}`: {reason}")]
    InvalidArgument {
        name: &'static str,
        value: f64,
        reason: &'static str,
    },
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks that every value is finite, naming the first offending index.
pub(crate) fn check_finite(what: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite {
            what,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Checks that two lengths agree.
pub(crate) fn check_len(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            found,
        })
    }
}
