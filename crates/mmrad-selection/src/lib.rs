//! mmrad-selection: feature selectors fitted on training rows only; each records what it dropped and why.
//!
//! Modules, in reading order:
//! - [`filters`]: the variance filter, the univariate filter (Mann–Whitney U or Welch t) and correlation pruning.
//! - [`pipeline`]: the LASSO selector and [`SelectionPipeline`], which chains steps and maps kept columns back
//!   to the input.
//!
//! Every selector is Params → `fit(&Dataset, names)` → [`ColumnSelection`]; only the fitted selection transforms.
//! This crate never reads files, the clock or the environment; randomness (inner LASSO folds) comes from a
//! [`mmrad_core::SeededRng`] the caller passes in.

pub mod filters;
pub mod pipeline;

use ndarray::{Array2, ArrayView2, Axis};

pub use filters::{CorrelationMethod, CorrelationParams, UnivariateParams, UnivariateTest, VarianceParams};
pub use pipeline::{FittedSelection, LassoSelectorParams, SelectionPipeline, Step};

/// Errors of the selectors; each names the offending column, parameter or step.
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
    /// Shapes that must agree do not.
    #[error("shape mismatch in {what}: expected {expected}, found {found}")]
    Shape {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// A NaN or infinite training value.
    #[error("non-finite value `{value}` in column `{column}` at row {row}")]
    NonFinite { column: String, row: usize, value: f64 },
    /// An outcome that is not 0/1 or has a single class.
    #[error("outcome must be 0/1 with both classes present ({events} events among {n} rows)")]
    Outcome { events: usize, n: usize },
    /// An error of the modeling crate (LASSO selector).
    #[error(transparent)]
    Modeling(#[from] mmrad_modeling::Error),
    /// An error of the statistics routines.
    #[error(transparent)]
    Stats(#[from] mmrad_stats::Error),
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a column was dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropped {
    /// Column index in the input of the step that dropped it.
    pub column: usize,
    pub name: String,
    /// The step (`variance`, `univariate`, `correlation`, `lasso`).
    pub step: &'static str,
    /// A sentence with the numbers (`variance 0 <= 0`, `p = 0.31 >= 0.05`, `|r| = 0.97 > 0.9 with `x3``).
    pub reason: String,
}

/// The result of fitting a selector: which input columns are kept (in input order) and what was dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSelection {
    n_input: usize,
    kept: Vec<usize>,
    names: Vec<String>,
    dropped: Vec<Dropped>,
}

impl ColumnSelection {
    pub(crate) fn new(
        n_input: usize,
        kept: Vec<usize>,
        all_names: &[String],
        dropped: Vec<Dropped>,
    ) -> ColumnSelection {
        let names = kept
            .iter()
            .map(|&j| all_names.get(j).cloned().unwrap_or_default())
            .collect();
        ColumnSelection {
            n_input,
            kept,
            names,
            dropped,
        }
    }

    /// Indices of the kept input columns, increasing.
    pub fn kept(&self) -> &[usize] {
        &self.kept
    }

    /// Names of the kept columns.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The dropped columns with reasons.
    pub fn dropped(&self) -> &[Dropped] {
        &self.dropped
    }

    /// Number of input columns the selection was fitted on.
    pub fn n_input(&self) -> usize {
        self.n_input
    }

    /// The kept columns of `x`.
    ///
    /// # Errors
    /// [`Error::Shape`] when `x` does not have the training number of columns.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.n_input {
            return Err(Error::Shape {
                what: "selection input columns",
                expected: self.n_input,
                found: x.ncols(),
            });
        }
        Ok(x.select(Axis(1), &self.kept))
    }
}

impl mmrad_core::Transform for ColumnSelection {
    type Error = Error;

    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        ColumnSelection::transform(self, x)
    }
}

/// Checks names, finiteness and the 0/1 outcome with both classes.
pub(crate) fn check_data(data: &mmrad_core::Dataset<'_>, names: &[String]) -> Result<()> {
    if names.len() != data.n_cols() {
        return Err(Error::Shape {
            what: "feature names",
            expected: data.n_cols(),
            found: names.len(),
        });
    }
    for ((row, col), &value) in data.x.indexed_iter() {
        if !value.is_finite() {
            return Err(Error::NonFinite {
                column: names[col].clone(),
                row,
                value,
            });
        }
    }
    let n = data.n_rows();
    let events = data.y.iter().filter(|&&v| v == 1.0).count();
    let zeros = data.y.iter().filter(|&&v| v == 0.0).count();
    if events + zeros != n || events == 0 || zeros == 0 {
        return Err(Error::Outcome { events, n });
    }
    Ok(())
}
