//! `Dataset`: the borrowed design matrix and binary outcome an estimator fits on; the `Fit`/`Predict`/`Transform`
//! traits that make "only a fitted object predicts" a type rule.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::{Error, Result};

/// A design matrix (rows = cases) with a 0/1 outcome, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Dataset<'a> {
    pub x: ArrayView2<'a, f64>,
    pub y: ArrayView1<'a, f64>,
}

impl<'a> Dataset<'a> {
    /// Pairs `x` and `y`, checking that they have the same number of rows.
    ///
    /// # Errors
    /// `Error::Shape` when the row counts differ.
    pub fn new(x: ArrayView2<'a, f64>, y: ArrayView1<'a, f64>) -> Result<Dataset<'a>> {
        if x.nrows() != y.len() {
            return Err(Error::Shape {
                what: "dataset".into(),
                expected: format!("{} outcomes", x.nrows()),
                found: format!("{}", y.len()),
            });
        }
        Ok(Dataset { x, y })
    }

    pub fn n_rows(&self) -> usize {
        self.x.nrows()
    }

    pub fn n_cols(&self) -> usize {
        self.x.ncols()
    }
}

/// Parameters that can be fitted on a dataset into a fitted object.
pub trait Fit {
    type Fitted;
    type Error;
    fn fit(&self, data: &Dataset<'_>) -> std::result::Result<Self::Fitted, Self::Error>;
}

/// A fitted model that scores new rows (probability of the event, or a linear predictor, as documented).
pub trait Predict {
    type Error;
    fn predict(&self, x: ArrayView2<'_, f64>) -> std::result::Result<Array1<f64>, Self::Error>;
}

/// A fitted transformation of new rows (scaling, column selection).
pub trait Transform {
    type Error;
    fn transform(&self, x: ArrayView2<'_, f64>) -> std::result::Result<Array2<f64>, Self::Error>;
}
