//! Gaussian LASSO against scikit-learn `Lasso` / `LassoCV` (`tests/reference/modeling/sklearn_ref.py`, tol 1e-14).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Csv, lasso_data};
use mmrad_core::Dataset;
use mmrad_modeling::{LambdaRule, LassoParams};
use mmrad_testkit::assert_close;

/// Coefficients relative to the largest |slope| (issue 11: 1e-5 of the converged optimum).
const COEF_RTOL: f64 = 1e-5;

fn check_cv(p: usize, kind: &str) {
    let (x, y, foldid) = lasso_data(p);
    let data = Dataset::new(x.view(), y.view()).unwrap();
    let fitted = LassoParams::gaussian()
        .standardize(kind == "std")
        .lambda_rule(LambdaRule::Min)
        .check()
        .unwrap()
        .fit_cv(&data, &foldid)
        .unwrap();
    let tag = format!("p{p}_{kind}");
    let cv = Csv::read(&format!("sklearn_{tag}_cv.csv"));
    let table = fitted.cv_table().unwrap();
    let (alphas, mse) = (cv.f64s("alpha"), cv.f64s("mse"));
    assert_eq!(table.lambdas.len(), alphas.len());
    for k in 0..alphas.len() {
        // numpy geomspace vs exp of a log-spaced grid: rounding only.
        assert_close(
            &format!("{tag} alpha[{k}]"),
            table.lambdas[k],
            alphas[k],
            1e-12,
            0.0,
        );
        // Near interpolation (p > n, end of the grid) both solvers stop short; compare where ours converged.
        if fitted.path().converged[k] {
            assert_close(&format!("{tag} mse[{k}]"), table.cvm[k], mse[k], 1e-7, 0.0);
        }
    }
    let best = Csv::read(&format!("sklearn_{tag}_cvpick.csv")).f64s("alpha_best")[0];
    assert_close(&format!("{tag} alpha_"), fitted.lambda(), best, 1e-12, 0.0);
    let coef = Csv::read(&format!("sklearn_{tag}_cvcoef.csv")).f64s("coef");
    let scale = coef[1..].iter().fold(0.0f64, |a, v| a.max(v.abs()));
    for j in 0..p {
        let err = (fitted.coefficients()[j] - coef[j + 1]).abs() / scale;
        assert!(
            err <= COEF_RTOL,
            "{tag} x{}: {} vs {}",
            j + 1,
            fitted.coefficients()[j],
            coef[j + 1]
        );
        assert_eq!(
            fitted.coefficients()[j] != 0.0,
            coef[j + 1] != 0.0,
            "{tag} x{} non-zero set",
            j + 1
        );
    }
    let lp_ours = fitted.linear_predictor(x.view()).unwrap();
    let lp_ref = x.dot(&ndarray::Array1::from(coef[1..].to_vec())) + coef[0];
    for i in 0..y.len() {
        assert_close(&format!("{tag} prediction {i}"), lp_ours[i], lp_ref[i], 0.0, 1e-6);
    }
    assert!(
        fitted.predict_proba(x.view()).is_err(),
        "gaussian lasso has no probabilities"
    );
}

fn check_fixed(p: usize) {
    let (x, y, _) = lasso_data(p);
    let data = Dataset::new(x.view(), y.view()).unwrap();
    let params = LassoParams::gaussian().check().unwrap();
    let r = Csv::read(&format!("sklearn_p{p}_std_fixed.csv"));
    let (alphas, coefs) = (r.f64s("alpha"), r.f64s("coef"));
    for block in 0..alphas.len() / (p + 1) {
        let at = block * (p + 1);
        let fitted = params.fit_at(&data, alphas[at]).unwrap();
        let reference = &coefs[at + 1..at + 1 + p];
        let scale = reference.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for j in 0..p {
            let err = (fitted.coefficients()[j] - reference[j]).abs() / scale;
            assert!(
                err <= COEF_RTOL,
                "p{p} alpha {} x{}: {} vs {}",
                alphas[at],
                j + 1,
                fitted.coefficients()[j],
                reference[j]
            );
            assert_eq!(
                fitted.coefficients()[j] != 0.0,
                reference[j] != 0.0,
                "p{p} x{} non-zero set",
                j + 1
            );
        }
    }
}

#[test]
fn lasso_cv_raw_p40() {
    check_cv(40, "raw");
}

#[test]
fn lasso_cv_standardised_p40() {
    check_cv(40, "std");
}

#[test]
fn lasso_cv_standardised_p400() {
    check_cv(400, "std");
}

// FIXME: unstandardised p = 400 columns (scales 0.1 to 100, p > n) are not tested: near the end of the grid the
// problem approaches interpolation and coordinate descent (ours and scikit-learn's) needs millions of sweeps;
// the reference file `sklearn_p400_raw_*.csv` is committed for when the solver gets an active-set method for k > n.

#[test]
fn lasso_fixed_alpha_p40() {
    check_fixed(40);
}

#[test]
fn lasso_fixed_alpha_p400() {
    check_fixed(400);
}
