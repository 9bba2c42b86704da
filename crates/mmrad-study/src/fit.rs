//! Adapters from the plan's settings to the estimators of `mmrad-modeling` / `mmrad-stats`.
//!
//! The non-LASSO selection steps are `mmrad-selection`'s fitted selectors; the LASSO is fitted here because the
//! plan's LASSO carries the family and λ rule the signature needs.

use ndarray::{Array1, ArrayView2};

use mmrad_core::{Dataset, SeededRng};
use mmrad_modeling::{CiMethod, FittedLasso, LassoParams, LogisticParams};
use mmrad_protocol::{CorrelationMethod, Family, LambdaRule, LassoPlan, SelectionStep, UnivariateTest};
use mmrad_selection::{CorrelationParams, SelectionPipeline, UnivariateParams, VarianceParams};

use crate::pipeline::LogitModel;

/// Columns kept by the non-LASSO selection steps, fitted on (`x`, `y`) = the training rows only, with
/// `mmrad-selection`'s pipeline (a step left with no column ends it with an empty selection).
///
/// # Errors
/// The selector's message (non-finite values name the column).
pub(crate) fn select_columns(
    steps: &[SelectionStep],
    x: ArrayView2<'_, f64>,
    y: &[bool],
    names: &[String],
) -> Result<Vec<usize>, String> {
    let mut pipeline = SelectionPipeline::new();
    for step in steps {
        pipeline = match step {
            SelectionStep::Variance { min_variance } => {
                pipeline.then_variance(VarianceParams::new().min_variance(*min_variance))
            }
            SelectionStep::Univariate {
                test,
                p_max,
                min_keep,
            } => pipeline.then_univariate(
                UnivariateParams::new()
                    .test(match test {
                        UnivariateTest::MannWhitney => mmrad_selection::UnivariateTest::MannWhitney,
                        UnivariateTest::WelchT => mmrad_selection::UnivariateTest::WelchT,
                    })
                    .p_max(*p_max)
                    .min_keep(*min_keep),
            ),
            SelectionStep::Correlation { max_abs_r, method } => {
                pipeline.then_correlation(CorrelationParams::new().max_abs_r(*max_abs_r).method(
                    match method {
                        CorrelationMethod::Pearson => mmrad_selection::CorrelationMethod::Pearson,
                        CorrelationMethod::Spearman => mmrad_selection::CorrelationMethod::Spearman,
                    },
                ))
            }
            // The plan's final LASSO is fitted by `fit_lasso` on the columns kept here.
            SelectionStep::Lasso(_) => pipeline,
        };
    }
    let y_f: Array1<f64> = y.iter().map(|&e| f64::from(u8::from(e))).collect();
    let x = x.to_owned();
    let data = Dataset::new(x.view(), y_f.view()).map_err(|e| e.to_string())?;
    // No step above draws random numbers; the generator only satisfies the pipeline's signature.
    let mut unused = SeededRng::new(0);
    pipeline
        .fit(&data, names, &mut unused)
        .map(|fitted| fitted.kept().to_vec())
        .map_err(|e| e.to_string())
}

/// Fits the LASSO of the plan on (`x`, `y`), with its inner CV folds drawn from `rng`.
pub(crate) fn fit_lasso(
    plan: &LassoPlan,
    x: ArrayView2<'_, f64>,
    y: &[bool],
    rng: &mut SeededRng,
) -> Result<FittedLasso, String> {
    let y_f: Array1<f64> = y.iter().map(|&e| f64::from(u8::from(e))).collect();
    let data = Dataset::new(x.view(), y_f.view()).map_err(|e| e.to_string())?;
    let params = match plan.family {
        Family::Binomial => LassoParams::binomial(),
        Family::Gaussian => LassoParams::gaussian(),
    }
    .alpha(plan.alpha)
    .nlambda(plan.nlambda)
    .lambda_min_ratio(plan.lambda_min_ratio)
    .inner_folds(plan.inner_folds)
    .standardize(plan.standardize)
    .tol(plan.tol)
    .lambda_rule(match plan.lambda {
        LambdaRule::Min => mmrad_modeling::LambdaRule::Min,
        LambdaRule::OneSe => mmrad_modeling::LambdaRule::OneSe,
        LambdaRule::Fixed(v) => mmrad_modeling::LambdaRule::Value(v),
    })
    .check()
    .map_err(|e| e.to_string())?;
    match plan.lambda {
        LambdaRule::Fixed(v) => params.fit_at(&data, v),
        _ => params.fit_cv_seeded(&data, rng),
    }
    .map_err(|e| e.to_string())
}

/// Fits `logit p = b0 + x·b` with `mmrad_modeling::LogisticParams` (intercept added, terms `x1`, `x2`, …) and
/// intervals of `ci`. When the maximum-likelihood fit hits [`mmrad_modeling::Error::Separation`], the model is
/// refitted with Firth's penalty and marked [`LogitModel::firth_fallback`] (callers record a warning). When a
/// profile limit cannot be bracketed ([`mmrad_modeling::Error::ProfileLimit`]), Wald intervals are reported instead
/// and [`LogitModel::ci`] says so.
pub(crate) fn fit_logit(
    x: ArrayView2<'_, f64>,
    y: &[bool],
    ci: CiMethod,
) -> Result<LogitModel, mmrad_modeling::Error> {
    let y_f: Array1<f64> = y.iter().map(|&e| f64::from(u8::from(e))).collect();
    let data = Dataset::new(x.view(), y_f.view()).map_err(|e| mmrad_modeling::Error::InvalidParam {
        name: "logistic data",
        value: e.to_string(),
        reason: "not a valid dataset",
    })?;
    let fit_with = |firth: bool, ci: CiMethod| LogisticParams::new().firth(firth).ci(ci).check()?.fit(&data);
    let fit_ci = |firth: bool| match fit_with(firth, ci) {
        Err(mmrad_modeling::Error::ProfileLimit { .. }) if ci == CiMethod::Profile => {
            fit_with(firth, CiMethod::Wald).map(|f| (f, CiMethod::Wald))
        }
        other => other.map(|f| (f, ci)),
    };
    let (fit, used_ci, firth_fallback) = match fit_ci(false) {
        Err(mmrad_modeling::Error::Separation { .. }) => {
            let (fit, used) = fit_ci(true)?;
            (fit, used, true)
        }
        other => {
            let (fit, used) = other?;
            (fit, used, false)
        }
    };
    Ok(LogitModel::new(fit, firth_fallback, used_ci))
}

/// Akaike information criterion of the logistic model on (`x`, `y`) (Firth fit under separation: deviance of
/// its unpenalised log-likelihood at the Firth estimate).
pub(crate) fn logit_aic(x: ArrayView2<'_, f64>, y: &[bool]) -> Result<f64, mmrad_modeling::Error> {
    fit_logit(x, y, CiMethod::Wald).map(|m| m.fit.aic())
}

pub(crate) fn sigmoid(eta: f64) -> f64 {
    mmrad_stats::logistic::sigmoid(eta)
}
