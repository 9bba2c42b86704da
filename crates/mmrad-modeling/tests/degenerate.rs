//! Binomial LASSO on degenerate data against glmnet 4.1 (`tests/reference/modeling/glmnet_degenerate_ref.R`):
//! completely separated outcomes (the path ends where glmnet ends it, at dev.ratio 0.999, with finite coefficients)
//! and exactly collinear plus constant columns (the lasso solution is not unique in the duplicated columns, so the
//! linear predictor, which is, is compared; a constant column stays at 0).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Csv;
use mmrad_core::Dataset;
use mmrad_modeling::LassoParams;
use ndarray::Array2;

const P: usize = 6;

fn check(name: &str) -> Array2<f64> {
    let data_csv = Csv::read(&format!("degenerate_{name}.csv"));
    let y = ndarray::Array1::from(data_csv.f64s("y"));
    let n = y.len();
    let mut x = Array2::<f64>::zeros((n, P));
    for j in 0..P {
        for (i, v) in data_csv.f64s(&format!("x{}", j + 1)).into_iter().enumerate() {
            x[[i, j]] = v;
        }
    }
    let data = Dataset::new(x.view(), y.view()).unwrap();
    let fitted = LassoParams::binomial().check().unwrap().fit_path(&data).unwrap();
    let path = Csv::read(&format!("degenerate_{name}_path.csv"));
    let lambdas = path.f64s("lambda");
    assert_eq!(
        fitted.lambdas.len(),
        lambdas.len(),
        "{name}: path length (early stop)"
    );
    let dev_ratio = path.f64s("dev_ratio");
    let mut worst: f64 = 0.0;
    for k in 0..lambdas.len() {
        mmrad_testkit::assert_close(
            &format!("{name} lambda[{k}]"),
            fitted.lambdas[k],
            lambdas[k],
            1e-12,
            0.0,
        );
        mmrad_testkit::assert_close(
            &format!("{name} dev_ratio[{k}]"),
            fitted.dev_ratio[k],
            dev_ratio[k],
            0.0,
            1e-6,
        );
        let lp = x.dot(&fitted.coefs.column(k)) + fitted.intercepts[k];
        let scale = (0..n)
            .map(|i| path.f64s(&format!("lp{}", i + 1))[k].abs())
            .fold(1.0f64, f64::max);
        for (i, ours) in lp.iter().enumerate() {
            let theirs = path.f64s(&format!("lp{}", i + 1))[k];
            let err = (ours - theirs).abs() / scale;
            worst = worst.max(err);
            assert!(
                err <= 1e-5,
                "{name} step {} case {}: lp {ours} vs glmnet {theirs}",
                k + 1,
                i + 1
            );
        }
        assert!(
            fitted.coefs.column(k).iter().all(|b| b.is_finite()),
            "{name} step {}",
            k + 1
        );
    }
    eprintln!("{name}: worst linear-predictor error relative to its largest value {worst:e}");
    fitted.coefs
}

#[test]
fn separated_outcome_ends_the_path_as_glmnet_does() {
    let coefs = check("separable");
    let path = Csv::read("degenerate_separable_path.csv");
    // The separating column has glmnet's coefficient at the end of the path (unique: x1 alone separates).
    let last = coefs.ncols() - 1;
    mmrad_testkit::assert_close(
        "x1 at the last step",
        coefs[[0, last]],
        path.f64s("b_x1")[last],
        1e-5,
        0.0,
    );
}

#[test]
fn collinear_and_constant_columns_give_glmnet_predictions() {
    let coefs = check("collinear");
    // The constant column x4 never enters.
    assert!(coefs.row(3).iter().all(|b| *b == 0.0), "{:?}", coefs.row(3));
}
