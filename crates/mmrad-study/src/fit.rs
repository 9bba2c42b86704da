//! Adapters from the plan's settings to the estimators of `mmrad-modeling` / `mmrad-stats`.
//!
//! FIXME(selection): `select_columns` is a private minimal version of the variance / univariate / correlation
//! filters, to be replaced by `mmrad-selection`'s fitted selectors once that crate lands.

use ndarray::{Array1, ArrayView1, ArrayView2};

use mmrad_core::{Dataset, SeededRng};
use mmrad_modeling::{CiMethod, FittedLasso, LassoParams, LogisticParams};
use mmrad_protocol::{CorrelationMethod, Family, LambdaRule, LassoPlan, SelectionStep, UnivariateTest};

use crate::pipeline::LogitModel;

/// Columns kept by the non-LASSO selection steps, fitted on (`x`, `y`) = the training rows only.
pub(crate) fn select_columns(steps: &[SelectionStep], x: ArrayView2<'_, f64>, y: &[bool]) -> Vec<usize> {
    let mut kept: Vec<usize> = (0..x.ncols()).collect();
    // p values of the last univariate test (to rank columns for correlation pruning).
    let mut strength: Vec<f64> = (0..x.ncols())
        .map(|j| univariate_p(UnivariateTest::MannWhitney, x.column(j), y))
        .collect();
    for step in steps {
        match step {
            SelectionStep::Variance { min_variance } => {
                kept.retain(|&j| variance(x.column(j)) > *min_variance);
            }
            SelectionStep::Univariate {
                test,
                p_max,
                min_keep,
            } => {
                for &j in &kept {
                    strength[j] = univariate_p(*test, x.column(j), y);
                }
                let mut ranked = kept.clone();
                ranked.sort_by(|&a, &b| strength[a].total_cmp(&strength[b]).then(a.cmp(&b)));
                let passing = ranked.iter().filter(|&&j| strength[j] < *p_max).count();
                ranked.truncate(passing.max((*min_keep).min(ranked.len())));
                ranked.sort_unstable();
                kept = ranked;
            }
            SelectionStep::Correlation { max_abs_r, method } => {
                let mut ranked = kept.clone();
                ranked.sort_by(|&a, &b| strength[a].total_cmp(&strength[b]).then(a.cmp(&b)));
                let columns: Vec<Vec<f64>> = ranked.iter().map(|&j| x.column(j).to_vec()).collect();
                let mut keep_idx: Vec<usize> = Vec::new();
                for (idx, column) in columns.iter().enumerate() {
                    let redundant = keep_idx.iter().any(|&k| {
                        let r = match method {
                            CorrelationMethod::Pearson => mmrad_stats::pearson(column, &columns[k]),
                            CorrelationMethod::Spearman => mmrad_stats::spearman(column, &columns[k]),
                        };
                        r.map(|r| r.abs() > *max_abs_r).unwrap_or(false)
                    });
                    if !redundant {
                        keep_idx.push(idx);
                    }
                }
                let mut next: Vec<usize> = keep_idx.iter().map(|&k| ranked[k]).collect();
                next.sort_unstable();
                kept = next;
            }
            SelectionStep::Lasso(_) => {}
        }
    }
    kept
}

fn variance(column: ArrayView1<'_, f64>) -> f64 {
    let n = column.len() as f64;
    if column.len() < 2 {
        return 0.0;
    }
    let mean = column.sum() / n;
    column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

fn univariate_p(test: UnivariateTest, column: ArrayView1<'_, f64>, y: &[bool]) -> f64 {
    let events: Vec<f64> = column
        .iter()
        .zip(y)
        .filter(|(_, e)| **e)
        .map(|(v, _)| *v)
        .collect();
    let others: Vec<f64> = column
        .iter()
        .zip(y)
        .filter(|(_, e)| !**e)
        .map(|(v, _)| *v)
        .collect();
    let p = match test {
        UnivariateTest::MannWhitney => mmrad_stats::mann_whitney_u(&events, &others).map(|r| r.p),
        UnivariateTest::WelchT => mmrad_stats::welch_t(&events, &others).map(|r| r.p),
    };
    p.ok().filter(|p| p.is_finite()).unwrap_or(1.0)
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
