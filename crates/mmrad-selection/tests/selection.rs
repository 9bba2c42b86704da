//! Selectors against scipy (`tests/reference/modeling/selection_ref.py`): Mann–Whitney and Welch p values, a numpy
//! greedy correlation pruning; pipeline bookkeeping and fitted-on-train behaviour.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mmrad_core::{Dataset, SeededRng};
use mmrad_selection::{
    CorrelationParams, Error, LassoSelectorParams, SelectionPipeline, UnivariateParams, UnivariateTest,
    VarianceParams,
};
use mmrad_testkit::assert_close;
use ndarray::{Array1, Array2, Axis};

fn read(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let path = mmrad_testkit::workspace_root()
        .join("tests/reference/modeling")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(str::to_string).collect();
    (
        header,
        lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect(),
    )
}

fn p40() -> (Array2<f64>, Array1<f64>, Vec<String>) {
    let (header, rows) = read("lasso_p40.csv");
    let names: Vec<String> = header[2..].to_vec();
    let y = Array1::from_iter(rows.iter().map(|r| r[0].parse::<f64>().unwrap()));
    let x = Array2::from_shape_fn((rows.len(), names.len()), |(i, j)| {
        rows[i][j + 2].parse::<f64>().unwrap()
    });
    (x, y, names)
}

#[test]
fn univariate_p_values_match_scipy() {
    let (x, y, names) = p40();
    let data = Dataset::new(x.view(), y.view()).unwrap();
    let (_, rows) = read("selection_univariate.csv");
    for (test, col) in [(UnivariateTest::MannWhitney, 1), (UnivariateTest::WelchT, 2)] {
        let params = UnivariateParams::new().test(test);
        let p = params.p_values(&data, &names).unwrap();
        for (j, row) in rows.iter().enumerate() {
            // Normal and t tail probabilities: 1e-9 relative.
            assert_close(
                &format!("{test:?} {}", row[0]),
                p[j],
                row[col].parse().unwrap(),
                1e-9,
                1e-15,
            );
        }
        let fitted = params.fit(&data, &names).unwrap();
        let expected: Vec<String> = rows
            .iter()
            .filter(|r| r[col].parse::<f64>().unwrap() < 0.05)
            .map(|r| r[0].clone())
            .collect();
        assert_eq!(fitted.names(), expected.as_slice(), "{test:?}");
        assert_eq!(fitted.dropped().len(), names.len() - expected.len());
    }
}

#[test]
fn nothing_passing_keeps_the_min_keep_smallest_p() {
    let (x, y, names) = p40();
    let data = Dataset::new(x.view(), y.view()).unwrap();
    let (_, rows) = read("selection_univariate.csv");
    let fitted = UnivariateParams::new()
        .p_max(1e-12)
        .min_keep(2)
        .fit(&data, &names)
        .unwrap();
    let mut by_p: Vec<(f64, String)> = rows
        .iter()
        .map(|r| (r[1].parse().unwrap(), r[0].clone()))
        .collect();
    by_p.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut expected = vec![by_p[0].1.clone(), by_p[1].1.clone()];
    expected.sort_by_key(|n| names.iter().position(|m| m == n));
    assert_eq!(fitted.names(), expected.as_slice());
    assert!(
        UnivariateParams::new()
            .p_max(1e-12)
            .min_keep(0)
            .fit(&data, &names)
            .unwrap()
            .kept()
            .is_empty()
    );
}

#[test]
fn correlation_pruning_matches_numpy_greedy() {
    let (x, y, names) = p40();
    let data = Dataset::new(x.view(), y.view()).unwrap();
    let fitted = CorrelationParams::new()
        .max_abs_r(0.6)
        .fit(&data, &names)
        .unwrap();
    let (_, rows) = read("selection_correlation_0.6.csv");
    let expected: Vec<String> = rows.into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(fitted.names(), expected.as_slice());
    assert!(
        fitted
            .dropped()
            .iter()
            .all(|d| d.step == "correlation" && d.reason.contains("|r| ="))
    );
}

#[test]
fn variance_filter_records_constant_columns_and_nan_is_an_error() {
    let x = ndarray::array![[1.0, 3.0, 0.5], [2.0, 3.0, 0.5], [4.0, 3.0, 0.7], [3.0, 3.0, 0.5]];
    let y = ndarray::array![0.0, 1.0, 0.0, 1.0];
    let names: Vec<String> = ["a", "flat", "b"].iter().map(|s| s.to_string()).collect();
    let data = Dataset::new(x.view(), y.view()).unwrap();
    let fitted = VarianceParams::new().fit(&data, &names).unwrap();
    assert_eq!(fitted.kept(), &[0, 2]);
    assert_eq!(fitted.dropped()[0].name, "flat");
    let mut bad = x.clone();
    bad[[2, 2]] = f64::NAN;
    let data = Dataset::new(bad.view(), y.view()).unwrap();
    let err = VarianceParams::new().fit(&data, &names).unwrap_err();
    assert!(
        matches!(err, Error::NonFinite { ref column, row: 2, .. } if column == "b"),
        "{err}"
    );
    let one_class = ndarray::array![1.0, 1.0, 1.0, 1.0];
    let data = Dataset::new(x.view(), one_class.view()).unwrap();
    assert!(matches!(
        VarianceParams::new().fit(&data, &names),
        Err(Error::Outcome { events: 4, n: 4 })
    ));
}

#[test]
fn pipeline_maps_columns_back_and_is_fitted_on_training_rows_only() {
    let (x, y, names) = p40();
    let train: Vec<usize> = (0..y.len()).filter(|i| i % 5 != 0).collect();
    let (xt, yt) = (x.select(Axis(0), &train), y.select(Axis(0), &train));
    let pipeline = SelectionPipeline::new()
        .then_variance(VarianceParams::new())
        .then_univariate(UnivariateParams::new().p_max(0.2))
        .then_correlation(CorrelationParams::new().max_abs_r(0.6))
        .then_lasso(LassoSelectorParams::default());
    let fit = |x: &Array2<f64>, y: &Array1<f64>| {
        pipeline
            .fit(
                &Dataset::new(x.view(), y.view()).unwrap(),
                &names,
                &mut SeededRng::new(11),
            )
            .unwrap()
    };
    let fitted = fit(&xt, &yt);
    // Every input column is either kept or dropped exactly once.
    assert_eq!(fitted.kept().len() + fitted.dropped().len(), names.len());
    let lasso = fitted.lasso().unwrap();
    assert_eq!(lasso.nonzero().len(), fitted.kept().len());
    let score = fitted.rad_score(x.view()).unwrap().unwrap();
    let direct = fitted.transform(x.view()).unwrap().dot(&Array1::from_iter(
        lasso.coefficients().iter().copied().filter(|c| *c != 0.0),
    )) + lasso.intercept();
    for i in 0..y.len() {
        assert_close("rad-score", score[i], direct[i], 1e-12, 1e-12);
    }
    // Changing the held-out rows changes nothing fitted on the training rows.
    let mut x2 = x.clone();
    let mut y2 = y.clone();
    for i in (0..y.len()).filter(|i| i % 5 == 0) {
        y2[i] = 1.0 - y2[i];
        x2.row_mut(i).mapv_inplace(|v| v * 3.0 + 1.0);
    }
    let refit = fit(&x2.select(Axis(0), &train), &y2.select(Axis(0), &train));
    assert_eq!(refit, fitted);
}
