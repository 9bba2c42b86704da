//! Adapters from the plan's settings to the estimators of `mmrad-modeling` / `mmrad-stats`.
//!
//! FIXME(selection): `select_columns` is a private minimal version of the variance / univariate / correlation
//! filters, to be replaced by `mmrad-selection`'s fitted selectors once that crate lands.
//! FIXME(logistic): `Logit` wraps `mmrad_stats::logistic_irls` with Wald intervals, to be replaced by
//! `mmrad_modeling::LogisticParams` (profile intervals, Firth) once that lands.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use mmrad_core::{Dataset, SeededRng};
use mmrad_modeling::{FittedLasso, LassoParams};
use mmrad_protocol::{CorrelationMethod, Family, LambdaRule, LassoPlan, SelectionStep, UnivariateTest};
use mmrad_stats::{IrlsOptions, logistic_irls};

/// The exact two-sided 95 % normal quantile.
pub(crate) const Z_95: f64 = 1.959963984540054;

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

/// A fitted logistic regression with an intercept: `logit p = b0 + x·b`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Logit {
    /// Intercept first, then one coefficient per column.
    pub coef: Vec<f64>,
    /// Wald standard errors, same order (NaN when the information is singular).
    pub se: Vec<f64>,
    /// Perfect or quasi-complete separation detected (estimates unreliable).
    pub separation: bool,
}

impl Logit {
    pub(crate) fn fit(x: ArrayView2<'_, f64>, y: &[bool]) -> Result<Logit, mmrad_stats::Error> {
        let n = x.nrows();
        let mut design = Array2::<f64>::ones((n, x.ncols() + 1));
        design
            .slice_axis_mut(Axis(1), ndarray::Slice::from(1..))
            .assign(&x);
        let y_f: Array1<f64> = y.iter().map(|&e| f64::from(u8::from(e))).collect();
        let fit = logistic_irls(design.view(), y_f.view(), &IrlsOptions::default())?;
        let se = (0..fit.coef.len())
            .map(|k| fit.cov.get((k, k)).map_or(f64::NAN, |v| v.sqrt()))
            .collect();
        Ok(Logit {
            coef: fit.coef,
            se,
            separation: fit.separation,
        })
    }

    pub(crate) fn linear_predictor(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        x.rows()
            .into_iter()
            .map(|row| {
                self.coef.first().copied().unwrap_or(0.0)
                    + row
                        .iter()
                        .zip(self.coef.iter().skip(1))
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
            })
            .collect()
    }

    /// Odds ratio, Wald 95 % interval and Wald p of coefficient `k` (0 = intercept).
    pub(crate) fn odds_ratio(&self, k: usize) -> (f64, f64, f64, f64) {
        let b = self.coef.get(k).copied().unwrap_or(f64::NAN);
        let se = self.se.get(k).copied().unwrap_or(f64::NAN);
        let p = 2.0 * mmrad_stats::normal_sf((b / se).abs());
        (b.exp(), (b - Z_95 * se).exp(), (b + Z_95 * se).exp(), p)
    }

    /// Akaike information criterion, from the refit deviance.
    pub(crate) fn aic(x: ArrayView2<'_, f64>, y: &[bool]) -> Result<f64, mmrad_stats::Error> {
        let n = x.nrows();
        let mut design = Array2::<f64>::ones((n, x.ncols() + 1));
        design
            .slice_axis_mut(Axis(1), ndarray::Slice::from(1..))
            .assign(&x);
        let y_f: Array1<f64> = y.iter().map(|&e| f64::from(u8::from(e))).collect();
        let fit = logistic_irls(design.view(), y_f.view(), &IrlsOptions::default())?;
        Ok(fit.deviance + 2.0 * (x.ncols() + 1) as f64)
    }
}

pub(crate) fn sigmoid(eta: f64) -> f64 {
    mmrad_stats::logistic::sigmoid(eta)
}
