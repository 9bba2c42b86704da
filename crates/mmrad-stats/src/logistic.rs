//! Unpenalised logistic regression by iteratively reweighted least squares (Newton–Raphson on the
//! log-likelihood; for the canonical logit link Fisher scoring and Newton coincide).
//!
//! This is the core the modeling crate wraps (Wald / profile CIs, odds ratios, Firth) and the evaluation crate
//! uses for calibration intercept and slope. It takes the full design matrix: the caller adds the intercept
//! column of ones.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::linalg::{Cholesky, weighted_gram};
use crate::{Error, Result};

/// Options of [`logistic_irls`].
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `max_iter` | 50 | Newton iterations at most | ≥ 1 |
/// | `tol` | 1e-10 | stop when `|dev - dev_old| / (|dev| + 0.1) < tol` (R `glm.control` form) | > 0 |
/// | `offset` | none | fixed term added to the linear predictor, one per row | finite |
/// | `weights` | none (all 1) | prior (frequency) weights, one per row | finite, ≥ 0 |
///
/// After the deviance criterion is met one more Newton step is taken, so coefficients are converged to about
/// the square of the last step (far below 1e-8 standard errors for the default `tol`).
#[derive(Debug, Clone, PartialEq)]
pub struct IrlsOptions {
    pub max_iter: usize,
    pub tol: f64,
    pub offset: Option<Vec<f64>>,
    pub weights: Option<Vec<f64>>,
}

impl Default for IrlsOptions {
    fn default() -> IrlsOptions {
        IrlsOptions {
            max_iter: 50,
            tol: 1e-10,
            offset: None,
            weights: None,
        }
    }
}

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// Coefficients, one per design column, on the scale of the design given.
    pub coef: Vec<f64>,
    /// Inverse Fisher information at `coef` (the Wald covariance); NaN-filled when the information is singular
    /// at the end (which happens only with `separation`).
    pub cov: Array2<f64>,
    /// Residual deviance `2 Σ wᵢ [yᵢ ln(yᵢ/μᵢ) + (1-yᵢ) ln((1-yᵢ)/(1-μᵢ))]`.
    pub deviance: f64,
    /// Log-likelihood `Σ wᵢ [yᵢ ln μᵢ + (1-yᵢ) ln(1-μᵢ)]`; equals `-deviance / 2` for 0/1 outcomes.
    pub loglik: f64,
    /// Newton steps taken.
    pub iterations: usize,
    /// Whether the deviance criterion was met within `max_iter`.
    pub converged: bool,
    /// Perfect or quasi-complete separation detected: after the deviance criterion is met the Newton steps still
    /// move some linear predictor by more than 1e-3 (a converging fit moves it by far less than 1e-8, a diverging
    /// one by about 1 per step), the fit did not converge with steps that large, or the information matrix
    /// became singular while iterating. Maximum-likelihood estimates do not exist then (Albert & Anderson 1984);
    /// use Firth's penalty instead.
    pub separation: bool,
}

/// A last Newton step that moves some linear predictor by more than this signals diverging coefficients.
const SEPARATION_STEP: f64 = 1e-3;

/// Fits `logit P(y = 1) = offset + X β` by maximum likelihood.
///
/// `y` holds 0/1 outcomes (proportions in `[0, 1]` are accepted and treated as binomial with the prior weight
/// as the number of trials). The result matches R `glm(family = binomial)` and statsmodels `Logit` / `GLM` to
/// the convergence tolerance.
///
/// # Errors
/// - [`Error::LengthMismatch`] when `y`, `offset` or `weights` do not have one value per row;
/// - [`Error::NonFinite`] for a NaN or infinite entry of `x` (index = row-major position) or `offset`;
/// - [`Error::NonBinary`] for an outcome outside `[0, 1]`; [`Error::BadWeight`] for a negative weight;
/// - [`Error::SingularDesign`] naming the first design column that is a linear combination of earlier ones
///   (for example a constant column next to the intercept).
///
/// # Examples
/// ```
/// use mmrad_stats::{IrlsOptions, logistic_irls};
/// use ndarray::array;
/// let x = array![[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [1.0, 4.0], [1.0, 5.0]];
/// let y = array![0.0, 0.0, 1.0, 0.0, 1.0, 1.0];
/// let fit = logistic_irls(x.view(), y.view(), &IrlsOptions::default())?;
/// assert!(fit.converged && !fit.separation);
/// assert!(fit.coef[1] > 0.0);
/// # Ok::<(), mmrad_stats::Error>(())
/// ```
pub fn logistic_irls(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    options: &IrlsOptions,
) -> Result<LogisticFit> {
    let (n_rows, n_cols) = x.dim();
    crate::check_len("y", n_rows, y.len())?;
    if let Some((index, value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "x",
            index,
            value: *value,
        });
    }
    if let Some((index, &value)) = y.iter().enumerate().find(|(_, v)| !(**v >= 0.0 && **v <= 1.0)) {
        return Err(Error::NonBinary {
            what: "y",
            index,
            value,
        });
    }
    let offset = match &options.offset {
        Some(offset) => {
            crate::check_len("offset", n_rows, offset.len())?;
            crate::check_finite("offset", offset)?;
            Array1::from(offset.clone())
        }
        None => Array1::zeros(n_rows),
    };
    let weights = match &options.weights {
        Some(weights) => {
            crate::check_len("weights", n_rows, weights.len())?;
            if let Some((index, &value)) = weights
                .iter()
                .enumerate()
                .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
            {
                return Err(Error::BadWeight { index, value });
            }
            Array1::from(weights.clone())
        }
        None => Array1::ones(n_rows),
    };
    if options.tol.is_nan() || options.tol <= 0.0 {
        return Err(Error::InvalidArgument {
            name: "tol",
            value: options.tol,
            reason: "must be > 0",
        });
    }
    // Rank check of the design itself, so that a dependent column is reported as such and not as separation.
    Cholesky::new(weighted_gram(x, weights.view()).view())?;

    let mut beta = Array1::<f64>::zeros(n_cols);
    let mut eta = offset.clone();
    let mut deviance = binomial_deviance(y, eta.view(), weights.view());
    let mut iterations = 0;
    let mut converged = false;
    let mut separation = false;
    let mut last_step_eta = 0.0_f64;
    while iterations < options.max_iter {
        let Some(step) = newton_step(x, y, eta.view(), weights.view()) else {
            separation = true;
            break;
        };
        iterations += 1;
        // Step halving (as R's glm.fit) if the deviance is not finite or increases beyond rounding.
        let mut scale = 1.0;
        let mut candidate_beta = &beta + &step;
        let mut candidate_eta = x.dot(&candidate_beta) + &offset;
        let mut candidate_deviance = binomial_deviance(y, candidate_eta.view(), weights.view());
        let mut halvings = 0;
        while !(candidate_deviance.is_finite()
            && candidate_deviance <= deviance + 1e-12 * (deviance.abs() + 1.0))
            && halvings < 40
        {
            scale *= 0.5;
            halvings += 1;
            candidate_beta = &beta + &(&step * scale);
            candidate_eta = x.dot(&candidate_beta) + &offset;
            candidate_deviance = binomial_deviance(y, candidate_eta.view(), weights.view());
        }
        let change = (candidate_deviance - deviance).abs() / (candidate_deviance.abs() + 0.1);
        last_step_eta = (&candidate_eta - &eta).iter().fold(0.0, |m, d| m.max(d.abs()));
        beta = candidate_beta;
        eta = candidate_eta;
        deviance = candidate_deviance;
        if converged {
            // This was the polishing step after convergence.
            break;
        }
        if change < options.tol {
            converged = true;
        }
    }
    if !deviance.is_finite() {
        return Err(Error::NonFinite {
            what: "deviance",
            index: iterations,
            value: deviance,
        });
    }
    let information = weighted_gram(x, working_weights(eta.view(), weights.view()).view());
    let cov = match Cholesky::new(information.view()) {
        Ok(chol) => chol.inverse(),
        Err(_) => {
            separation = true;
            Array2::from_elem((n_cols, n_cols), f64::NAN)
        }
    };
    separation |= last_step_eta > SEPARATION_STEP;
    let loglik = binomial_loglik(y, eta.view(), weights.view());
    Ok(LogisticFit {
        coef: beta.to_vec(),
        cov,
        deviance,
        loglik,
        iterations,
        converged,
        separation,
    })
}

/// The logistic function `1 / (1 + e^{-η})`, accurate in both tails.
pub fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// The logit `ln(p / (1 - p))`.
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// `ln(1 + e^t)` without overflow or cancellation.
fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

/// `w μ (1 - μ)`, the IRLS working weights.
fn working_weights(eta: ArrayView1<'_, f64>, weights: ArrayView1<'_, f64>) -> Array1<f64> {
    eta.iter()
        .zip(weights.iter())
        .map(|(&e, &w)| {
            let mu = sigmoid(e);
            w * mu * sigmoid(-e)
        })
        .collect()
}

/// The Newton step `(Xᵀ W X)⁻¹ Xᵀ w (y - μ)`, or `None` when the information matrix is singular.
fn newton_step(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    eta: ArrayView1<'_, f64>,
    weights: ArrayView1<'_, f64>,
) -> Option<Array1<f64>> {
    let information = weighted_gram(x, working_weights(eta, weights).view());
    let residual: Array1<f64> = y
        .iter()
        .zip(eta.iter())
        .zip(weights.iter())
        .map(|((&yi, &e), &w)| w * (yi - sigmoid(e)))
        .collect();
    let score = x.t().dot(&residual);
    let chol = Cholesky::new(information.view()).ok()?;
    chol.solve(score.view()).ok()
}

/// `Σ wᵢ [yᵢ ln μᵢ + (1-yᵢ) ln(1-μᵢ)]` with `ln μ = -softplus(-η)`.
fn binomial_loglik(y: ArrayView1<'_, f64>, eta: ArrayView1<'_, f64>, weights: ArrayView1<'_, f64>) -> f64 {
    y.iter()
        .zip(eta.iter())
        .zip(weights.iter())
        .map(|((&yi, &e), &w)| {
            if w == 0.0 {
                return 0.0;
            }
            let mut ll = 0.0;
            if yi > 0.0 {
                ll -= yi * softplus(-e);
            }
            if yi < 1.0 {
                ll -= (1.0 - yi) * softplus(e);
            }
            w * ll
        })
        .sum()
}

/// Residual deviance: `-2 (loglik - saturated loglik)`; the saturated term is zero for 0/1 outcomes.
fn binomial_deviance(y: ArrayView1<'_, f64>, eta: ArrayView1<'_, f64>, weights: ArrayView1<'_, f64>) -> f64 {
    let saturated: f64 = y
        .iter()
        .zip(weights.iter())
        .map(|(&yi, &w)| {
            let xlogx = |v: f64| if v > 0.0 { v * v.ln() } else { 0.0 };
            w * (xlogx(yi) + xlogx(1.0 - yi))
        })
        .sum();
    -2.0 * (binomial_loglik(y, eta, weights) - saturated)
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn intercept_only_is_the_logit_of_the_mean() {
        // Closed form: β0 = logit(3/8), var = 1 / (n p (1-p)).
        let x = Array2::ones((8, 1));
        let y = array![1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0];
        let fit = logistic_irls(x.view(), y.view(), &IrlsOptions::default()).unwrap();
        let p: f64 = 3.0 / 8.0;
        // 1e-12: Newton converges quadratically far past this.
        assert!(
            (fit.coef[0] - (p / (1.0 - p)).ln()).abs() < 1e-12,
            "{:?}",
            fit.coef
        );
        assert!((fit.cov[[0, 0]] - 1.0 / (8.0 * p * (1.0 - p))).abs() < 1e-12);
        assert!(fit.converged && !fit.separation);
        let deviance = -2.0 * (3.0 * p.ln() + 5.0 * (1.0 - p).ln());
        assert!((fit.deviance - deviance).abs() < 1e-12);
        assert!((fit.loglik + deviance / 2.0).abs() < 1e-12);
    }

    #[test]
    fn offset_only_model_with_slope_fixed() {
        // With offset o and intercept only, the score equation is Σ y = Σ sigmoid(o + b).
        let x = Array2::ones((4, 1));
        let y = array![1.0, 0.0, 1.0, 0.0];
        let offset = vec![0.5, 0.5, 0.5, 0.5];
        let options = IrlsOptions {
            offset: Some(offset),
            ..IrlsOptions::default()
        };
        let fit = logistic_irls(x.view(), y.view(), &options).unwrap();
        assert!((fit.coef[0] + 0.5).abs() < 1e-12, "{:?}", fit.coef);
    }

    #[test]
    fn complete_separation_is_flagged() {
        let x = array![
            [1.0, 0.0],
            [1.0, 1.0],
            [1.0, 2.0],
            [1.0, 3.0],
            [1.0, 4.0],
            [1.0, 5.0]
        ];
        let y = array![0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let fit = logistic_irls(x.view(), y.view(), &IrlsOptions::default()).unwrap();
        assert!(fit.separation, "{fit:?}");
    }

    #[test]
    fn quasi_complete_separation_is_flagged() {
        // x <= 2 are all 0 and x >= 2 are all 1 except for a tie at x = 2 with both outcomes.
        let x = array![
            [1.0, 0.0],
            [1.0, 1.0],
            [1.0, 2.0],
            [1.0, 2.0],
            [1.0, 3.0],
            [1.0, 4.0]
        ];
        let y = array![0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let fit = logistic_irls(x.view(), y.view(), &IrlsOptions::default()).unwrap();
        assert!(fit.separation, "{fit:?}");
    }

    #[test]
    fn bad_input_is_an_error() {
        let x = array![[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]];
        let y = array![0.0, 1.0, 0.0];
        let err = logistic_irls(x.view(), y.view(), &IrlsOptions::default()).unwrap_err();
        assert!(matches!(err, Error::SingularDesign { column: 1, .. }), "{err}");
        let x = array![[1.0, 1.0], [1.0, f64::NAN], [1.0, 2.0]];
        let err = logistic_irls(x.view(), y.view(), &IrlsOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NonFinite {
                    what: "x",
                    index: 3,
                    ..
                }
            ),
            "{err}"
        );
        let x = array![[1.0, 1.0], [1.0, 3.0], [1.0, 2.0]];
        let err = logistic_irls(x.view(), array![0.0, 2.0, 1.0].view(), &IrlsOptions::default()).unwrap_err();
        assert!(matches!(err, Error::NonBinary { index: 1, .. }), "{err}");
        let err = logistic_irls(x.view(), array![0.0, 1.0].view(), &IrlsOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::LengthMismatch {
                    what: "y",
                    expected: 3,
                    found: 2
                }
            ),
            "{err}"
        );
    }
}
