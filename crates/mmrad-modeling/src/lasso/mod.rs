//! LASSO / elastic-net paths by coordinate descent: the binomial family as glmnet defines it (the default) and the
//! gaussian family as scikit-learn's `Lasso` / `LassoCV` define it; cross-validation with λ.min and λ.1se.
//!
//! Binomial objective (Friedman, Hastie & Tibshirani 2010, J Stat Softw 33(1); glmnet vignette):
//! −loglik(β₀, β)/n + λ[(1−α)/2‖β‖² + α‖β‖₁].
//! Gaussian objective (scikit-learn `ElasticNet` with `l1_ratio = α`): ‖y − β₀ − Xβ‖²/(2n) + λ[(1−α)/2‖β‖² + α‖β‖₁].

mod cv;
mod solver;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use mmrad_core::{Dataset, SeededRng};

use crate::numeric::{check_binary, check_matrix, sigmoid};
use crate::{Error, Result};

pub use cv::CvTable;

/// The likelihood the LASSO penalises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// Penalised logistic regression, glmnet `family = "binomial"`; CV loss = binomial deviance.
    #[default]
    Binomial,
    /// Penalised least squares on the 0/1 outcome, scikit-learn `Lasso`/`LassoCV`; CV loss = mean squared error.
    Gaussian,
}

/// How the final λ is chosen from the cross-validation curve.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum LambdaRule {
    /// cv.glmnet's `lambda.1se`: the largest λ whose CV mean is within one standard error of the minimum.
    #[default]
    OneSe,
    /// cv.glmnet's `lambda.min` (scikit-learn `LassoCV.alpha_`): the λ of the smallest CV mean (largest on ties).
    Min,
    /// A fixed λ (no cross-validation needed to choose it).
    Value(f64),
}

/// Parameters of a LASSO / elastic-net fit.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `family` | binomial | glmnet logistic or scikit-learn least squares | [`Family`] |
/// | `alpha` | 1 | elastic-net mixing (1 = LASSO, 0 = ridge) | [0, 1] |
/// | `nlambda` | 100 | length of the λ grid | ≥ 1 |
/// | `lambda_min_ratio` | binomial: 0.01 if n < p else 1e-4; gaussian: 1e-3 (scikit-learn `eps`) | smallest λ / λ_max | (0, 1) |
/// | `lambda_rule` | `OneSe` | how CV picks λ | [`LambdaRule`] |
/// | `inner_folds` | 10 | folds of [`ValidLassoParams::fit_cv_seeded`] | ≥ 3 |
/// | `standardize` | true | penalise standardised columns (1/n sd), report original-scale coefficients | |
/// | `tol` | 1e-11 | convergence: largest coefficient move × sqrt(curvature) | > 0 |
///
/// The λ grid is log-spaced from λ_max = max_j |⟨x_j, y − ȳ⟩|/(n max(α, 0.001)) (standardised x) down to
/// λ_max × `lambda_min_ratio`. As glmnet does, a computed binomial path stops early (after at least 5 values)
/// when the deviance ratio exceeds 0.999 or improves by less than 1e-5 (absolute); a given λ sequence, the fold
/// fits of cross-validation and the gaussian family never stop early.
///
/// With `standardize`, the binomial CV standardises each training fold on its own rows (as cv.glmnet does); the
/// gaussian CV standardises once on all rows and then cross-validates (as a scikit-learn
/// `make_pipeline(StandardScaler(), LassoCV(cv=PredefinedSplit(...)))` does).
///
/// # Errors
/// `check` returns [`Error::InvalidParam`] naming the parameter.
///
/// # Examples
/// ```
/// use mmrad_modeling::{LambdaRule, LassoParams};
/// use mmrad_core::Dataset;
/// use ndarray::{Array1, Array2};
/// let x = Array2::from_shape_fn((40, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f64 + if j == 0 { (i % 2) as f64 * 3.0 } else { 0.0 });
/// let y = Array1::from_shape_fn(40, |i| (i % 2) as f64);
/// let data = Dataset::new(x.view(), y.view())?;
/// let foldid: Vec<usize> = (0..40).map(|i| (i / 2) % 4).collect();
/// let lasso = LassoParams::binomial().lambda_rule(LambdaRule::Min).inner_folds(4).check()?;
/// let fitted = lasso.fit_cv(&data, &foldid)?;
/// assert!(fitted.coefficients()[0] > 0.0);
/// let score = fitted.linear_predictor(x.view())?;
/// assert_eq!(score.len(), 40);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LassoParams {
    family: Family,
    alpha: f64,
    nlambda: usize,
    lambda_min_ratio: Option<f64>,
    lambda_rule: LambdaRule,
    inner_folds: usize,
    standardize: bool,
    tol: f64,
    max_passes: usize,
}

/// Checked [`LassoParams`]; the only type that fits.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidLassoParams(LassoParams);

/// A fitted λ path; coefficients on the original scale of the columns.
#[derive(Debug, Clone, PartialEq)]
pub struct LassoPath {
    /// λ values, decreasing.
    pub lambdas: Vec<f64>,
    /// Intercept at each λ.
    pub intercepts: Vec<f64>,
    /// Coefficients, one column per λ (p × nλ).
    pub coefs: Array2<f64>,
    /// Number of non-zero coefficients at each λ.
    pub df: Vec<usize>,
    /// Fraction of the null deviance explained at each λ (glmnet `dev.ratio`).
    pub dev_ratio: Vec<f64>,
    /// Deviance of the intercept-only model (binomial: −2 loglik; gaussian: total sum of squares).
    pub null_deviance: f64,
    /// Columns with zero training variance (never selected).
    pub constant_columns: Vec<usize>,
    /// Whether the solver reached its tolerance at each λ (false: coordinate descent hit its sweep limit, which
    /// happens only near interpolation with p > n; the coefficients are the last iterate).
    pub converged: Vec<bool>,
}

/// A LASSO fit at one chosen λ, with the path and (when cross-validated) the CV table it was chosen from.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedLasso {
    family: Family,
    lambda: f64,
    intercept: f64,
    coefficients: Array1<f64>,
    path: LassoPath,
    cv: Option<CvTable>,
}

impl Default for LassoParams {
    fn default() -> LassoParams {
        LassoParams::binomial()
    }
}

impl LassoParams {
    /// glmnet binomial LASSO defaults (α = 1, 100 λ values, λ.1se, 10 inner folds, standardised).
    pub fn binomial() -> LassoParams {
        LassoParams {
            family: Family::Binomial,
            alpha: 1.0,
            nlambda: 100,
            lambda_min_ratio: None,
            lambda_rule: LambdaRule::OneSe,
            inner_folds: 10,
            standardize: true,
            tol: 1e-11,
            max_passes: 20_000,
        }
    }

    /// scikit-learn `Lasso`/`LassoCV` on the 0/1 outcome (α = 1, 100 values, `eps` 1e-3, λ.min as `LassoCV`).
    pub fn gaussian() -> LassoParams {
        LassoParams {
            family: Family::Gaussian,
            lambda_rule: LambdaRule::Min,
            ..LassoParams::binomial()
        }
    }

    pub fn family(mut self, family: Family) -> LassoParams {
        self.family = family;
        self
    }

    pub fn alpha(mut self, alpha: f64) -> LassoParams {
        self.alpha = alpha;
        self
    }

    pub fn nlambda(mut self, nlambda: usize) -> LassoParams {
        self.nlambda = nlambda;
        self
    }

    /// `None` = the family default (see the table).
    pub fn lambda_min_ratio(mut self, ratio: Option<f64>) -> LassoParams {
        self.lambda_min_ratio = ratio;
        self
    }

    pub fn lambda_rule(mut self, rule: LambdaRule) -> LassoParams {
        self.lambda_rule = rule;
        self
    }

    pub fn inner_folds(mut self, folds: usize) -> LassoParams {
        self.inner_folds = folds;
        self
    }

    pub fn standardize(mut self, standardize: bool) -> LassoParams {
        self.standardize = standardize;
        self
    }

    pub fn tol(mut self, tol: f64) -> LassoParams {
        self.tol = tol;
        self
    }

    /// Validates the ranges in the table above.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] naming the parameter.
    pub fn check(self) -> Result<ValidLassoParams> {
        let bad = |name, value: String, reason| Err(Error::InvalidParam { name, value, reason });
        if !(0.0..=1.0).contains(&self.alpha) {
            return bad("alpha", self.alpha.to_string(), "must be in [0, 1]");
        }
        if self.nlambda == 0 {
            return bad("nlambda", "0".into(), "must be at least 1");
        }
        if let Some(r) = self.lambda_min_ratio
            && !(r > 0.0 && r < 1.0)
        {
            return bad("lambda_min_ratio", r.to_string(), "must be in (0, 1)");
        }
        if let LambdaRule::Value(v) = self.lambda_rule
            && !(v.is_finite() && v >= 0.0)
        {
            return bad("lambda", v.to_string(), "must be finite and >= 0");
        }
        if self.inner_folds < 3 {
            return bad(
                "inner_folds",
                self.inner_folds.to_string(),
                "must be at least 3 (as cv.glmnet requires)",
            );
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return bad("tol", self.tol.to_string(), "must be positive");
        }
        Ok(ValidLassoParams(self))
    }
}

impl ValidLassoParams {
    /// The checked parameters.
    pub fn params(&self) -> &LassoParams {
        &self.0
    }

    pub fn family(&self) -> Family {
        self.0.family
    }

    pub fn lambda_rule(&self) -> LambdaRule {
        self.0.lambda_rule
    }

    pub fn inner_folds(&self) -> usize {
        self.0.inner_folds
    }

    /// Fits the path on the default (data-derived) λ grid.
    ///
    /// # Errors
    /// Shape, non-finite, non-binary or one-class input (binomial); a solver that does not converge.
    pub fn fit_path(&self, data: &Dataset<'_>) -> Result<LassoPath> {
        self.path(data.x, data.y, None)
    }

    /// Fits the path on a given decreasing λ sequence (never stopped early).
    ///
    /// # Errors
    /// As [`ValidLassoParams::fit_path`], and [`Error::InvalidParam`] for an empty or non-decreasing sequence.
    pub fn fit_path_with_lambdas(&self, data: &Dataset<'_>, lambdas: &[f64]) -> Result<LassoPath> {
        check_lambdas(lambdas)?;
        self.path(data.x, data.y, Some(lambdas))
    }

    /// Fits at one λ (the default grid above λ, then λ itself, with warm starts); ignores `lambda_rule`.
    ///
    /// # Errors
    /// As [`ValidLassoParams::fit_path`].
    pub fn fit_at(&self, data: &Dataset<'_>, lambda: f64) -> Result<FittedLasso> {
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(Error::InvalidParam {
                name: "lambda",
                value: lambda.to_string(),
                reason: "must be >= 0",
            });
        }
        let grid = self.grid(data.x, data.y)?;
        let mut lambdas: Vec<f64> = grid.into_iter().filter(|&l| l > lambda).collect();
        lambdas.push(lambda);
        let path = self.path(data.x, data.y, Some(&lambdas))?;
        let last = path.lambdas.len() - 1;
        Ok(FittedLasso::from_path(self.0.family, path, last, None))
    }

    /// Cross-validates on the given fold ids (any labels; each distinct value is one fold) and picks λ by the rule.
    ///
    /// # Errors
    /// As [`ValidLassoParams::fit_path`]; [`Error::BadFolds`] for fewer than 3 folds, a wrong length, or a
    /// training fold with a single class (binomial).
    pub fn fit_cv(&self, data: &Dataset<'_>, foldid: &[usize]) -> Result<FittedLasso> {
        let (path, table) = cv::cross_validate(self, data.x, data.y, foldid)?;
        let index = match self.0.lambda_rule {
            LambdaRule::Min => Some(table.index_min),
            LambdaRule::OneSe => Some(table.index_1se),
            LambdaRule::Value(_) => None,
        };
        match (index, self.0.lambda_rule) {
            (Some(k), _) => Ok(FittedLasso::from_path(self.0.family, path, k, Some(table))),
            (None, LambdaRule::Value(v)) => {
                let mut fitted = self.fit_at(data, v)?;
                fitted.cv = Some(table);
                Ok(fitted)
            }
            (None, _) => Err(Error::NoTerms { what: "lambda rule" }),
        }
    }

    /// Cross-validates on `inner_folds` stratified folds drawn from `rng` (binomial) or plain random folds of equal
    /// size (gaussian also stratifies on the 0/1 outcome), then as [`ValidLassoParams::fit_cv`].
    ///
    /// # Errors
    /// As [`ValidLassoParams::fit_cv`]; more folds than cases of the smaller class.
    pub fn fit_cv_seeded(&self, data: &Dataset<'_>, rng: &mut SeededRng) -> Result<FittedLasso> {
        let events: Vec<bool> = data.y.iter().map(|&v| v == 1.0).collect();
        let foldid = mmrad_stats::stratified_folds(&events, self.0.inner_folds, rng)?;
        self.fit_cv(data, &foldid)
    }

    /// Validates inputs and fits the path on `x` (rows) and `y`.
    pub(crate) fn path(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        lambdas: Option<&[f64]>,
    ) -> Result<LassoPath> {
        let p = &self.0;
        check_inputs(p.family, x, y)?;
        let y_vec: Vec<f64> = y.to_vec();
        let problem = solver::Problem::new(x, &y_vec, p.family, p.alpha, p.standardize, p.tol, p.max_passes);
        let (grid, early_stop) = match lambdas {
            Some(l) => (l.to_vec(), false),
            None => (
                self.default_grid(problem.lambda_max(), x.nrows(), x.ncols()),
                p.family == Family::Binomial,
            ),
        };
        let std_path = problem.fit_path(&grid, early_stop)?;
        Ok(to_original_scale(&problem, std_path))
    }

    /// The default λ grid of this data (λ_max from the data, log-spaced down to the ratio).
    fn grid(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<Vec<f64>> {
        let p = &self.0;
        check_inputs(p.family, x, y)?;
        let y_vec: Vec<f64> = y.to_vec();
        let problem = solver::Problem::new(x, &y_vec, p.family, p.alpha, p.standardize, p.tol, p.max_passes);
        Ok(self.default_grid(problem.lambda_max(), x.nrows(), x.ncols()))
    }

    fn default_grid(&self, lambda_max: f64, n: usize, n_cols: usize) -> Vec<f64> {
        let p = &self.0;
        let ratio = p.lambda_min_ratio.unwrap_or(match p.family {
            Family::Binomial => {
                if n < n_cols {
                    0.01
                } else {
                    1e-4
                }
            }
            Family::Gaussian => 1e-3,
        });
        let m = p.nlambda;
        if m == 1 {
            return vec![lambda_max];
        }
        (0..m)
            .map(|k| lambda_max * (k as f64 / (m - 1) as f64 * ratio.ln()).exp())
            .collect()
    }
}

impl FittedLasso {
    fn from_path(family: Family, path: LassoPath, index: usize, cv: Option<CvTable>) -> FittedLasso {
        let coefficients = path.coefs.column(index).to_owned();
        FittedLasso {
            family,
            lambda: path.lambdas[index],
            intercept: path.intercepts[index],
            coefficients,
            path,
            cv,
        }
    }

    /// The λ of the reported coefficients.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// cv.glmnet's `lambda.min` (when cross-validated).
    pub fn lambda_min(&self) -> Option<f64> {
        self.cv.as_ref().map(|t| t.lambda_min)
    }

    /// cv.glmnet's `lambda.1se` (when cross-validated).
    pub fn lambda_1se(&self) -> Option<f64> {
        self.cv.as_ref().map(|t| t.lambda_1se)
    }

    /// Intercept on the original scale.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// Coefficients on the original scale of the columns.
    pub fn coefficients(&self) -> &Array1<f64> {
        &self.coefficients
    }

    /// Indices of the non-zero coefficients, increasing.
    pub fn nonzero(&self) -> Vec<usize> {
        self.coefficients
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != 0.0)
            .map(|(j, _)| j)
            .collect()
    }

    /// The full-data path the coefficients were taken from.
    pub fn path(&self) -> &LassoPath {
        &self.path
    }

    /// The cross-validation table (per λ: mean and standard error of the CV loss).
    pub fn cv_table(&self) -> Option<&CvTable> {
        self.cv.as_ref()
    }

    pub fn family(&self) -> Family {
        self.family
    }

    /// β₀ + xβ for each row of `x` (original scale): the rad-score.
    ///
    /// # Errors
    /// [`Error::Shape`] for a wrong number of columns; [`Error::NonFinite`] for NaN input.
    pub fn linear_predictor(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        if x.ncols() != self.coefficients.len() {
            return Err(Error::Shape {
                what: "lasso predictor columns",
                expected: self.coefficients.len(),
                found: x.ncols(),
            });
        }
        check_matrix("lasso predictor input", x)?;
        Ok(x.dot(&self.coefficients) + self.intercept)
    }

    /// Probability of the event (binomial family only).
    ///
    /// # Errors
    /// As [`FittedLasso::linear_predictor`]; [`Error::NotProbabilistic`] for the gaussian family.
    pub fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        if self.family == Family::Gaussian {
            return Err(Error::NotProbabilistic {
                what: "the gaussian lasso",
            });
        }
        Ok(self.linear_predictor(x)?.mapv(sigmoid))
    }
}

impl mmrad_core::Predict for FittedLasso {
    type Error = Error;

    /// The linear predictor (rad-score).
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        self.linear_predictor(x)
    }
}

fn check_lambdas(lambdas: &[f64]) -> Result<()> {
    if lambdas.is_empty() {
        return Err(Error::InvalidParam {
            name: "lambda",
            value: "[]".into(),
            reason: "sequence is empty",
        });
    }
    for w in lambdas.windows(2) {
        if w[1] > w[0] {
            return Err(Error::InvalidParam {
                name: "lambda",
                value: w[1].to_string(),
                reason: "sequence must decrease",
            });
        }
    }
    if let Some(v) = lambdas.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(Error::InvalidParam {
            name: "lambda",
            value: v.to_string(),
            reason: "must be finite and >= 0",
        });
    }
    Ok(())
}

fn check_inputs(family: Family, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<()> {
    if x.nrows() < 2 {
        return Err(Error::TooFewRows {
            what: "lasso",
            needed: 2,
            found: x.nrows(),
        });
    }
    if x.ncols() == 0 {
        return Err(Error::NoTerms { what: "lasso design" });
    }
    check_matrix("lasso design", x)?;
    match family {
        Family::Binomial => {
            check_binary(y, x.nrows())?;
        }
        Family::Gaussian => {
            if y.len() != x.nrows() {
                return Err(Error::Shape {
                    what: "outcome rows",
                    expected: x.nrows(),
                    found: y.len(),
                });
            }
            if let Some((row, &value)) = y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(Error::NonFinite {
                    what: "outcome",
                    row,
                    column: 0,
                    value,
                });
            }
        }
    }
    Ok(())
}

fn to_original_scale(problem: &solver::Problem<'_>, path: solver::StdPath) -> LassoPath {
    let p = problem.p;
    let m = path.lambdas.len();
    let mut coefs = Array2::zeros((p, m));
    let mut intercepts = Vec::with_capacity(m);
    let mut df = Vec::with_capacity(m);
    for k in 0..m {
        let mut b0 = path.b0[k];
        let mut nonzero = 0;
        for j in 0..p {
            let b = path.beta[k][j] / problem.sds[j];
            if b != 0.0 {
                nonzero += 1;
                b0 -= b * problem.means[j];
            }
            coefs[[j, k]] = b;
        }
        intercepts.push(b0);
        df.push(nonzero);
    }
    LassoPath {
        lambdas: path.lambdas,
        intercepts,
        coefs,
        df,
        dev_ratio: path.dev_ratio,
        converged: path.converged,
        null_deviance: path.null_dev,
        constant_columns: (0..p).filter(|&j| !problem.included[j]).collect(),
    }
}
