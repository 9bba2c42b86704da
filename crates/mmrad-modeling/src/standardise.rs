//! Column standardisation fitted on training rows only: `StandardiserParams` → `FittedStandardiser`.

use ndarray::{Array1, Array2, ArrayView2};

use crate::numeric::check_matrix;
use crate::{Error, Result};

/// Which denominator the standard deviation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SdDenominator {
    /// Population sd, sqrt(Σ(x − x̄)²/n): what glmnet (`standardize = TRUE`) and scikit-learn `StandardScaler` use.
    #[default]
    N,
    /// Sample sd, sqrt(Σ(x − x̄)²/(n − 1)): what R `scale()` uses.
    NMinusOne,
}

/// Centre each column on its training mean and divide by its training standard deviation.
///
/// z = (x − mean) / sd, with mean and sd computed from the rows given to [`StandardiserParams::fit`] only.
/// A column whose training sd is zero (constant) is recorded in [`FittedStandardiser::constant_columns`] and is
/// only centred (divided by 1), never divided by zero.
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `denominator` | [`SdDenominator::N`] | n (glmnet, scikit-learn) or n − 1 (R `scale`) |
///
/// # Examples
/// ```
/// use mmrad_modeling::StandardiserParams;
/// use ndarray::array;
/// let train = array![[1.0, 5.0], [3.0, 5.0]];
/// let fitted = StandardiserParams::new().fit(train.view())?;
/// assert_eq!(fitted.means().to_vec(), vec![2.0, 5.0]);
/// assert_eq!(fitted.constant_columns(), &[1]);
/// let z = fitted.transform(ndarray::array![[2.0, 6.0]].view())?;
/// assert_eq!(z[[0, 0]], 0.0);
/// # Ok::<(), mmrad_modeling::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StandardiserParams {
    denominator: SdDenominator,
}

/// Training means and standard deviations of each column.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedStandardiser {
    means: Array1<f64>,
    sds: Array1<f64>,
    constant: Vec<usize>,
}

impl StandardiserParams {
    /// Population sd (denominator n).
    pub fn new() -> StandardiserParams {
        StandardiserParams::default()
    }

    /// Sets the sd denominator.
    pub fn denominator(mut self, denominator: SdDenominator) -> StandardiserParams {
        self.denominator = denominator;
        self
    }

    /// Computes means and sds from the rows of `x`.
    ///
    /// # Errors
    /// [`Error::TooFewRows`] with fewer than 2 rows; [`Error::NonFinite`] for NaN or infinite values.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedStandardiser> {
        let n = x.nrows();
        if n < 2 {
            return Err(Error::TooFewRows {
                what: "standardiser",
                needed: 2,
                found: n,
            });
        }
        check_matrix("standardiser input", x)?;
        let denom = match self.denominator {
            SdDenominator::N => n as f64,
            SdDenominator::NMinusOne => (n - 1) as f64,
        };
        let mut means = Array1::zeros(x.ncols());
        let mut sds = Array1::zeros(x.ncols());
        let mut constant = Vec::new();
        for (j, col) in x.columns().into_iter().enumerate() {
            let mean = col.sum() / n as f64;
            let ss: f64 = col.iter().map(|v| (v - mean) * (v - mean)).sum();
            let sd = (ss / denom).sqrt();
            means[j] = mean;
            // A column is constant when its spread is at rounding level relative to its magnitude.
            if sd <= 1e-13 * mean.abs().max(f64::MIN_POSITIVE) || sd == 0.0 {
                constant.push(j);
                sds[j] = 1.0;
            } else {
                sds[j] = sd;
            }
        }
        Ok(FittedStandardiser { means, sds, constant })
    }
}

impl FittedStandardiser {
    /// Training column means.
    pub fn means(&self) -> &Array1<f64> {
        &self.means
    }

    /// Training column sds (1 for constant columns).
    pub fn sds(&self) -> &Array1<f64> {
        &self.sds
    }

    /// Indices of the columns that were constant in training.
    pub fn constant_columns(&self) -> &[usize] {
        &self.constant
    }

    /// (x − mean) / sd, column by column.
    ///
    /// # Errors
    /// [`Error::Shape`] when `x` has a different number of columns than the training data.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.means.len() {
            return Err(Error::Shape {
                what: "standardiser columns",
                expected: self.means.len(),
                found: x.ncols(),
            });
        }
        let mut out = x.to_owned();
        for (j, mut col) in out.columns_mut().into_iter().enumerate() {
            let (m, s) = (self.means[j], self.sds[j]);
            col.mapv_inplace(|v| (v - m) / s);
        }
        Ok(out)
    }
}
