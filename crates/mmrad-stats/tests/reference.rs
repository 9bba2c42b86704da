//! mmrad-stats against scipy / statsmodels / numpy values from `tests/reference/stats/make_reference.py`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mmrad_stats::{
    IrlsOptions, average_ranks, chi2_sf, logistic_irls, mann_whitney_u, normal_cdf, normal_quantile,
    normal_sf, pearson, quantiles, spearman, t_sf, welch_t,
};
use mmrad_testkit::{assert_close, workspace_root};
use ndarray::{Array1, Array2};
use serde_json::Value;

fn reference() -> Value {
    let path = workspace_root().join("tests/reference/stats/reference.json");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn num(value: &Value) -> f64 {
    value.as_f64().unwrap()
}

fn design(reference: &Value) -> (Array2<f64>, Array1<f64>) {
    let data = &reference["data"];
    let (x1, x2, x3) = (floats(&data["x1"]), floats(&data["x2"]), floats(&data["x3"]));
    let n = x1.len();
    let x = Array2::from_shape_fn((n, 4), |(i, j)| match j {
        0 => 1.0,
        1 => x1[i],
        2 => x2[i],
        _ => x3[i],
    });
    (x, Array1::from(floats(&data["y"])))
}

/// Compares a logistic fit with statsmodels: coefficients and standard errors within `rtol` relative
/// (`atol` absolute for values near zero), deviance within 1e-10 relative.
fn check_logistic(what: &str, options: IrlsOptions, expected: &Value) {
    let reference = reference();
    let (x, y) = design(&reference);
    let fit = logistic_irls(x.view(), y.view(), &options).unwrap();
    assert!(fit.converged && !fit.separation, "{what}: {fit:?}");
    // 1e-9: both solvers converge to ~1e-12; statsmodels' own Logit and GLM differ by ~1e-11 in bse.
    for (j, (c, e)) in fit.coef.iter().zip(floats(&expected["coef"])).enumerate() {
        assert_close(&format!("{what} coef[{j}]"), *c, e, 1e-9, 1e-12);
    }
    for (j, e) in floats(&expected["bse"]).into_iter().enumerate() {
        assert_close(
            &format!("{what} bse[{j}]"),
            fit.cov[[j, j]].sqrt(),
            e,
            1e-9,
            1e-12,
        );
    }
    assert_close(
        &format!("{what} deviance"),
        fit.deviance,
        num(&expected["deviance"]),
        1e-10,
        0.0,
    );
}

#[test]
fn logistic_matches_statsmodels() {
    let reference = reference();
    check_logistic("plain", IrlsOptions::default(), &reference["logistic_plain"]);
    let options = IrlsOptions {
        offset: Some(floats(&reference["data"]["offset"])),
        ..IrlsOptions::default()
    };
    check_logistic("offset", options, &reference["logistic_offset"]);
    let options = IrlsOptions {
        weights: Some(floats(&reference["data"]["weights"])),
        ..IrlsOptions::default()
    };
    check_logistic("weighted", options, &reference["logistic_weighted"]);
    // Full covariance and log-likelihood of the plain fit (statsmodels Logit, 1e-9 relative).
    let (x, y) = design(&reference);
    let fit = logistic_irls(x.view(), y.view(), &IrlsOptions::default()).unwrap();
    assert_close(
        "loglik",
        fit.loglik,
        num(&reference["logistic_plain"]["loglik"]),
        1e-12,
        0.0,
    );
    for (i, row) in reference["logistic_plain"]["cov"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        for (j, e) in floats(row).into_iter().enumerate() {
            assert_close(&format!("cov[{i},{j}]"), fit.cov[[i, j]], e, 1e-9, 1e-13);
        }
    }
}

#[test]
fn ranks_match_scipy_rankdata() {
    let reference = reference();
    let ranks = average_ranks(&floats(&reference["data"]["x2"])).unwrap();
    // Ranks are exact multiples of 1/2.
    assert_eq!(ranks, floats(&reference["ranks_x2"]));
}

#[test]
fn two_sample_tests_match_scipy() {
    let reference = reference();
    for case in reference["tests"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (x, y) = (floats(&case["x"]), floats(&case["y"]));
        let mw = mann_whitney_u(&x, &y).unwrap();
        // U is an exact half-integer; p within 1e-12 relative (the brief asks 1e-9).
        assert_eq!(mw.u, num(&case["mwu"]["u"]), "{name} U");
        assert_close(&format!("{name} MWU p"), mw.p, num(&case["mwu"]["p"]), 1e-12, 0.0);
        let welch = welch_t(&x, &y).unwrap();
        assert_close(
            &format!("{name} Welch t"),
            welch.t,
            num(&case["welch"]["t"]),
            1e-13,
            0.0,
        );
        assert_close(
            &format!("{name} Welch df"),
            welch.df,
            num(&case["welch"]["df"]),
            1e-13,
            0.0,
        );
        assert_close(
            &format!("{name} Welch p"),
            welch.p,
            num(&case["welch"]["p"]),
            1e-9,
            0.0,
        );
    }
}

#[test]
fn correlation_matches_scipy() {
    let reference = reference();
    let data = &reference["data"];
    let (x1, x2, x3) = (floats(&data["x1"]), floats(&data["x2"]), floats(&data["x3"]));
    let expected = &reference["correlation"];
    // 1e-14: a sum of 89 products.
    assert_close(
        "pearson",
        pearson(&x1, &x2).unwrap(),
        num(&expected["pearson_x1_x2"]),
        1e-14,
        1e-16,
    );
    assert_close(
        "spearman",
        spearman(&x1, &x2).unwrap(),
        num(&expected["spearman_x1_x2"]),
        1e-14,
        1e-16,
    );
    assert_close(
        "spearman ties",
        spearman(&x2, &x3).unwrap(),
        num(&expected["spearman_x2_x3"]),
        1e-14,
        1e-16,
    );
}

#[test]
fn distributions_match_scipy() {
    let reference = reference();
    for case in reference["normal"].as_array().unwrap() {
        let x = num(&case["x"]);
        // Φ and 1-Φ within 5e-14 relative: the rounding of x/√2 is amplified by x² in the tails (1.3e-14 at -8).
        assert_close(&format!("cdf({x})"), normal_cdf(x), num(&case["cdf"]), 5e-14, 0.0);
        assert_close(&format!("sf({x})"), normal_sf(x), num(&case["sf"]), 5e-14, 0.0);
    }
    for case in reference["normal_quantile"].as_array().unwrap() {
        let p = num(&case["p"]);
        // 2e-15 relative (one or two ulps); the 97.5 % point exactly to the printed digits.
        assert_close(
            &format!("quantile({p})"),
            normal_quantile(p).unwrap(),
            num(&case["q"]),
            2e-15,
            0.0,
        );
    }
    assert!((normal_quantile(0.975).unwrap() - 1.959963984540054).abs() <= 2.3e-16);
    for case in reference["chi2_sf"].as_array().unwrap() {
        let (x, df) = (num(&case["x"]), num(&case["df"]));
        // p values within 1e-9 relative (the brief's target).
        assert_close(
            &format!("chi2_sf({x}, {df})"),
            chi2_sf(x, df).unwrap(),
            num(&case["sf"]),
            1e-9,
            0.0,
        );
    }
    for case in reference["t_sf"].as_array().unwrap() {
        let (t, df) = (num(&case["t"]), num(&case["df"]));
        assert_close(
            &format!("t_sf({t}, {df})"),
            t_sf(t, df).unwrap(),
            num(&case["sf"]),
            1e-9,
            0.0,
        );
    }
}

#[test]
fn quantiles_match_numpy() {
    let reference = reference();
    let expected = &reference["quantiles_x1"];
    let got = quantiles(&floats(&reference["data"]["x1"]), &floats(&expected["q"])).unwrap();
    for (g, e) in got.iter().zip(floats(&expected["values"])) {
        // One interpolation: 1e-15 relative.
        assert_close("quantile", *g, e, 1e-15, 1e-16);
    }
}

#[test]
fn icc_matches_pingouin() {
    use mmrad_stats::{IccModel, icc};
    let reference = reference();
    for case in reference["icc"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let rows: Vec<Vec<f64>> = case["ratings"].as_array().unwrap().iter().map(floats).collect();
        let ratings = Array2::from_shape_fn((rows.len(), rows[0].len()), |(i, j)| rows[i][j]);
        for (model, single, average) in [
            (IccModel::OneWay, "ICC1", "ICC1k"),
            (IccModel::TwoWayAgreement, "ICC2", "ICC2k"),
            (IccModel::TwoWayConsistency, "ICC3", "ICC3k"),
        ] {
            let got = icc(ratings.view(), model).unwrap();
            let e = &case[single];
            // Mean squares of a few dozen values: 1e-12 relative; p within 1e-9 relative (the brief's target).
            assert_close(
                &format!("{name} {single}"),
                got.single,
                num(&e["icc"]),
                1e-12,
                0.0,
            );
            assert_close(
                &format!("{name} {average}"),
                got.average,
                num(&case[average]["icc"]),
                1e-12,
                0.0,
            );
            assert_close(&format!("{name} {single} F"), got.f, num(&e["f"]), 1e-12, 0.0);
            assert_eq!(
                (got.df1, got.df2),
                (num(&e["df1"]), num(&e["df2"])),
                "{name} {single} df"
            );
            assert_close(&format!("{name} {single} p"), got.p, num(&e["p"]), 1e-9, 0.0);
        }
    }
}
