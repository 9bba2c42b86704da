//! The LASSO selector and [`SelectionPipeline`]: steps applied in order, each fitted on the training rows and the
//! columns the previous steps kept.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use mmrad_core::{Dataset, SeededRng};
use mmrad_modeling::{FittedLasso, LassoParams, ValidLassoParams};

use crate::filters::{CorrelationParams, UnivariateParams, VarianceParams};
use crate::{ColumnSelection, Dropped, Error, Result, check_data};

/// Keeps the columns with a non-zero coefficient of a cross-validated LASSO (inner folds drawn from the rng).
#[derive(Debug, Clone, PartialEq)]
pub struct LassoSelectorParams {
    pub lasso: LassoParams,
}

impl Default for LassoSelectorParams {
    fn default() -> LassoSelectorParams {
        LassoSelectorParams {
            lasso: LassoParams::binomial(),
        }
    }
}

impl LassoSelectorParams {
    /// Fits the LASSO (cross-validated with `inner_folds` stratified folds from `rng`, or at a fixed λ) and keeps
    /// its non-zero columns. The fitted LASSO is returned too (its linear predictor is the rad-score).
    ///
    /// # Errors
    /// Invalid LASSO parameters and the errors of [`ValidLassoParams::fit_cv_seeded`].
    pub fn fit(
        &self,
        data: &Dataset<'_>,
        names: &[String],
        rng: &mut SeededRng,
    ) -> Result<(ColumnSelection, FittedLasso)> {
        check_data(data, names)?;
        let valid: ValidLassoParams = self.lasso.clone().check()?;
        let fitted = match valid.lambda_rule() {
            mmrad_modeling::LambdaRule::Value(v) => valid.fit_at(data, v)?,
            _ => valid.fit_cv_seeded(data, rng)?,
        };
        let kept = fitted.nonzero();
        let dropped = (0..data.n_cols())
            .filter(|j| !kept.contains(j))
            .map(|j| Dropped {
                column: j,
                name: names[j].clone(),
                step: "lasso",
                reason: format!("zero coefficient at lambda = {}", fitted.lambda()),
            })
            .collect();
        Ok((ColumnSelection::new(data.n_cols(), kept, names, dropped), fitted))
    }
}

/// One step of a [`SelectionPipeline`].
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Variance(VarianceParams),
    Univariate(UnivariateParams),
    Correlation(CorrelationParams),
    Lasso(LassoSelectorParams),
}

/// Selection steps applied in order on the training rows; the study fits one per modality inside each fold.
///
/// # Examples
/// ```
/// use mmrad_core::{Dataset, SeededRng};
/// use mmrad_selection::{CorrelationParams, SelectionPipeline, UnivariateParams, VarianceParams};
/// use ndarray::{Array1, Array2};
/// let x = Array2::from_shape_fn((40, 4), |(i, j)| match j { 0 => (i % 2) as f64 * 3.0 + (i % 5) as f64, 1 => 1.0, _ => ((i * j) % 7) as f64 });
/// let y = Array1::from_shape_fn(40, |i| (i % 2) as f64);
/// let names: Vec<String> = ["signal", "flat", "n2", "n3"].iter().map(|s| s.to_string()).collect();
/// let pipeline = SelectionPipeline::new()
///     .then_variance(VarianceParams::new())
///     .then_univariate(UnivariateParams::new().p_max(0.05))
///     .then_correlation(CorrelationParams::new());
/// let fitted = pipeline.fit(&Dataset::new(x.view(), y.view())?, &names, &mut SeededRng::new(1))?;
/// assert_eq!(fitted.names(), &["signal".to_string()]);
/// assert_eq!(fitted.transform(x.view())?.ncols(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SelectionPipeline {
    steps: Vec<Step>,
}

/// A fitted pipeline: kept input columns, every drop with its step and reason, and the LASSO fit (when a LASSO step
/// ran) with coefficients over the kept columns.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedSelection {
    selection: ColumnSelection,
    lasso: Option<FittedLasso>,
    lasso_input: Vec<usize>,
}

impl SelectionPipeline {
    pub fn new() -> SelectionPipeline {
        SelectionPipeline::default()
    }

    pub fn then(mut self, step: Step) -> SelectionPipeline {
        self.steps.push(step);
        self
    }

    pub fn then_variance(self, p: VarianceParams) -> SelectionPipeline {
        self.then(Step::Variance(p))
    }

    pub fn then_univariate(self, p: UnivariateParams) -> SelectionPipeline {
        self.then(Step::Univariate(p))
    }

    pub fn then_correlation(self, p: CorrelationParams) -> SelectionPipeline {
        self.then(Step::Correlation(p))
    }

    pub fn then_lasso(self, p: LassoSelectorParams) -> SelectionPipeline {
        self.then(Step::Lasso(p))
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Fits every step in order on the columns kept so far. A step left with no columns ends the pipeline (later
    /// steps are skipped and the selection is empty).
    ///
    /// # Errors
    /// The first error of a step (non-finite values name the column; a one-class outcome; LASSO errors).
    pub fn fit(&self, data: &Dataset<'_>, names: &[String], rng: &mut SeededRng) -> Result<FittedSelection> {
        check_data(data, names)?;
        let p = data.n_cols();
        let mut current: Vec<usize> = (0..p).collect();
        let mut dropped: Vec<Dropped> = Vec::new();
        let mut lasso = None;
        let mut lasso_input = Vec::new();
        let y: Array1<f64> = data.y.to_owned();
        for step in &self.steps {
            if current.is_empty() {
                break;
            }
            let x: Array2<f64> = data.x.select(Axis(1), &current);
            let sub_names: Vec<String> = current.iter().map(|&j| names[j].clone()).collect();
            let sub = Dataset::new(x.view(), y.view()).map_err(|_| Error::Shape {
                what: "selection rows",
                expected: y.len(),
                found: x.nrows(),
            })?;
            let selection = match step {
                Step::Variance(v) => v.fit(&sub, &sub_names)?,
                Step::Univariate(u) => u.fit(&sub, &sub_names)?,
                Step::Correlation(c) => c.fit(&sub, &sub_names)?,
                Step::Lasso(l) => {
                    let (selection, fitted) = l.fit(&sub, &sub_names, rng)?;
                    lasso = Some(fitted);
                    lasso_input = current.clone();
                    selection
                }
            };
            for d in selection.dropped() {
                let mut d = d.clone();
                d.column = current[d.column];
                dropped.push(d);
            }
            current = selection.kept().iter().map(|&k| current[k]).collect();
        }
        // A final LASSO keeps exactly its non-zero columns; otherwise there is no fitted LASSO to report.
        if !matches!(self.steps.last(), Some(Step::Lasso(_))) {
            lasso = None;
            lasso_input.clear();
        }
        Ok(FittedSelection {
            selection: ColumnSelection::new(p, current, names, dropped),
            lasso,
            lasso_input,
        })
    }
}

impl FittedSelection {
    /// Kept input columns, increasing.
    pub fn kept(&self) -> &[usize] {
        self.selection.kept()
    }

    /// Names of the kept columns.
    pub fn names(&self) -> &[String] {
        self.selection.names()
    }

    /// Every dropped column (input index, name, step, reason), in step order.
    pub fn dropped(&self) -> &[Dropped] {
        self.selection.dropped()
    }

    /// The kept columns of `x` (all input columns expected).
    ///
    /// # Errors
    /// [`Error::Shape`] for a wrong number of columns.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.selection.transform(x)
    }

    /// The LASSO of a pipeline that ends with a LASSO step (coefficients over the columns that entered it).
    pub fn lasso(&self) -> Option<&FittedLasso> {
        self.lasso.as_ref()
    }

    /// The rad-score β₀ + xβ from all input columns, when the pipeline ends with a LASSO step.
    ///
    /// # Errors
    /// [`Error::Shape`] for a wrong number of columns; `None` without a final LASSO step.
    pub fn rad_score(&self, x: ArrayView2<'_, f64>) -> Option<Result<Array1<f64>>> {
        let lasso = self.lasso.as_ref()?;
        if x.ncols() != self.selection.n_input() {
            return Some(Err(Error::Shape {
                what: "selection input columns",
                expected: self.selection.n_input(),
                found: x.ncols(),
            }));
        }
        Some(
            lasso
                .linear_predictor(x.select(Axis(1), &self.lasso_input).view())
                .map_err(Error::from),
        )
    }
}
