//! Binomial LASSO / elastic net against glmnet 4.1 (`tests/reference/modeling/glmnet_ref.R`, thresh = 1e-22).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Csv, lasso_data};
use mmrad_core::Dataset;
use mmrad_modeling::{LambdaRule, LassoParams};

/// Coefficient tolerance: relative to the largest |slope| at that λ (issue 11: 1e-5 of the converged optimum).
const COEF_RTOL: f64 = 1e-5;
/// λ values are the same formula; they agree to rounding.
const LAMBDA_RTOL: f64 = 1e-12;

fn check_path(p: usize, alpha: &str) {
    let (x, y, _) = lasso_data(p);
    let data = Dataset::new(x.view(), y.view()).unwrap();
    let a: f64 = alpha.parse().unwrap();
    let fitted = LassoParams::binomial()
        .alpha(a)
        .check()
        .unwrap()
        .fit_path(&data)
        .unwrap();
    let tag = format!("p{p}_a{alpha}");
    let path = Csv::read(&format!("glmnet_{tag}_path.csv"));
    let lambdas = path.f64s("lambda");
    assert_eq!(
        fitted.lambdas.len(),
        lambdas.len(),
        "{tag}: path length (early stop)"
    );
    for (k, (ours, theirs)) in fitted.lambdas.iter().zip(&lambdas).enumerate() {
        mmrad_testkit::assert_close(&format!("{tag} lambda[{k}]"), *ours, *theirs, LAMBDA_RTOL, 0.0);
    }
    let dev_ratio = path.f64s("dev_ratio");
    let a0 = path.f64s("a0");
    // Reference coefficients in long form (step, term, coef) for the non-zero entries.
    let coef = Csv::read(&format!("glmnet_{tag}_coef.csv"));
    let steps = coef.f64s("step");
    let terms = coef.f64s("term");
    let values = coef.f64s("coef");
    let m = lambdas.len();
    let mut reference = ndarray::Array2::<f64>::zeros((p, m));
    for ((s, t), v) in steps.iter().zip(&terms).zip(&values) {
        reference[[*t as usize - 1, *s as usize - 1]] = *v;
    }
    let mut worst: f64 = 0.0;
    for k in 0..m {
        let col = reference.column(k);
        let scale = col.iter().fold(0.0f64, |acc, v| acc.max(v.abs())).max(1e-300);
        for j in 0..p {
            let (ours, theirs) = (fitted.coefs[[j, k]], col[j]);
            let err = (ours - theirs).abs() / scale;
            worst = worst.max(err);
            assert!(
                err <= COEF_RTOL,
                "{tag} step {} term x{}: ours {ours} glmnet {theirs} (rel {err:e})",
                k + 1,
                j + 1
            );
            assert_eq!(
                ours != 0.0,
                theirs != 0.0,
                "{tag} step {} term x{}: non-zero set differs ({ours} vs {theirs})",
                k + 1,
                j + 1
            );
        }
        // The intercept is dominated by the column offsets; compare it on the linear-predictor scale.
        let lp_ours = x.dot(&fitted.coefs.column(k)) + fitted.intercepts[k];
        let lp_ref = x.dot(&col) + a0[k];
        let lp_scale = lp_ref.iter().fold(1.0f64, |acc, v| acc.max(v.abs()));
        let lp_err = (&lp_ours - &lp_ref)
            .iter()
            .fold(0.0f64, |acc, v| acc.max(v.abs()))
            / lp_scale;
        assert!(
            lp_err <= COEF_RTOL,
            "{tag} step {}: linear predictor rel err {lp_err:e}",
            k + 1
        );
        // dev.ratio: glmnet's solutions keep KKT residuals up to ~2e-8 at thresh = 1e-14, so 1e-6 absolute.
        mmrad_testkit::assert_close(
            &format!("{tag} dev_ratio[{k}]"),
            fitted.dev_ratio[k],
            dev_ratio[k],
            0.0,
            1e-6,
        );
        assert_eq!(
            fitted.df[k],
            col.iter().filter(|v| **v != 0.0).count(),
            "{tag} df step {}",
            k + 1
        );
    }
    eprintln!("{tag}: worst coefficient error relative to largest slope {worst:e}");
}

fn check_cv(p: usize, alpha: &str) {
    let (x, y, foldid) = lasso_data(p);
    let data = Dataset::new(x.view(), y.view()).unwrap();
    let a: f64 = alpha.parse().unwrap();
    let tag = format!("p{p}_a{alpha}");
    let fitted = LassoParams::binomial()
        .alpha(a)
        .lambda_rule(LambdaRule::OneSe)
        .check()
        .unwrap()
        .fit_cv(&data, &foldid)
        .unwrap();
    let table = fitted.cv_table().unwrap();
    let cv = Csv::read(&format!("glmnet_{tag}_cv.csv"));
    let (cvm, cvsd) = (cv.f64s("cvm"), cv.f64s("cvsd"));
    assert_eq!(table.cvm.len(), cvm.len(), "{tag}: cv length");
    let mut worst: f64 = 0.0;
    for k in 0..cvm.len() {
        // CV deviance is a smooth function of the fold fits (glmnet's converged to KKT residuals ~1e-8): 1e-5 relative.
        mmrad_testkit::assert_close(&format!("{tag} cvm[{k}]"), table.cvm[k], cvm[k], 1e-5, 0.0);
        mmrad_testkit::assert_close(&format!("{tag} cvsd[{k}]"), table.cvsd[k], cvsd[k], 1e-4, 1e-9);
        worst = worst.max(((table.cvm[k] - cvm[k]) / cvm[k]).abs());
    }
    eprintln!("{tag}: worst cvm relative error {worst:e}");
    let pick = Csv::read(&format!("glmnet_{tag}_cvpick.csv"));
    assert_eq!(
        table.index_min + 1,
        pick.f64s("index_min")[0] as usize,
        "{tag}: lambda.min index"
    );
    assert_eq!(
        table.index_1se + 1,
        pick.f64s("index_1se")[0] as usize,
        "{tag}: lambda.1se index"
    );
    mmrad_testkit::assert_close(
        "lambda.min",
        fitted.lambda_min().unwrap(),
        pick.f64s("lambda_min")[0],
        LAMBDA_RTOL,
        0.0,
    );
    mmrad_testkit::assert_close(
        "lambda.1se",
        fitted.lambda_1se().unwrap(),
        pick.f64s("lambda_1se")[0],
        LAMBDA_RTOL,
        0.0,
    );
    let coefs = Csv::read(&format!("glmnet_{tag}_cvcoef.csv"));
    let c1se = coefs.f64s("coef_1se");
    let scale = c1se[1..].iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
    for j in 0..p {
        let err = (fitted.coefficients()[j] - c1se[j + 1]).abs() / scale;
        assert!(
            err <= COEF_RTOL,
            "{tag} 1se coef x{}: {} vs {}",
            j + 1,
            fitted.coefficients()[j],
            c1se[j + 1]
        );
    }
}

#[test]
fn path_p40_lasso() {
    check_path(40, "1");
}

#[test]
fn path_p40_elastic_net() {
    check_path(40, "0.5");
}

#[test]
fn path_p400_lasso() {
    check_path(400, "1");
}

#[test]
fn path_p400_elastic_net() {
    check_path(400, "0.5");
}

#[test]
fn cv_p40_lasso() {
    check_cv(40, "1");
}

#[test]
fn cv_p400_lasso() {
    check_cv(400, "1");
}

#[test]
fn cv_p40_elastic_net() {
    check_cv(40, "0.5");
}

#[test]
fn cv_p400_elastic_net() {
    check_cv(400, "0.5");
}
