//! mmrad-evaluation against scikit-learn / statsmodels / scipy / pandas and a numpy fast DeLong
//! (`tests/reference/evaluation/make_reference.py`), and against R pROC / glm / rms::val.prob
//! (`tests/reference/evaluation/make_reference.R`), on the datasets of `make_data.py`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use mmrad_evaluation::{
    Z_95, auc, brier, brier_scaled, calibration, calibration_table, delong, delong_paired, hosmer_lemeshow,
    net_benefit, spread, summarize, threshold_metrics, youden_threshold,
};
use mmrad_testkit::{assert_close, workspace_root};
use serde_json::Value;

const DATASETS: [&str; 5] = ["liang", "unbalanced", "ordinal", "extremes", "near_perfect"];

struct Case {
    y: Vec<bool>,
    a: Vec<f64>,
    b: Vec<f64>,
}

fn folder() -> std::path::PathBuf {
    workspace_root().join("tests/reference/evaluation")
}

fn cases() -> BTreeMap<String, Case> {
    let text = std::fs::read_to_string(folder().join("data.csv")).unwrap();
    let mut cases: BTreeMap<String, Case> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let case = cases.entry(fields[0].to_string()).or_insert(Case {
            y: vec![],
            a: vec![],
            b: vec![],
        });
        case.y.push(fields[2] == "1");
        case.a.push(fields[3].parse().unwrap());
        case.b.push(fields[4].parse().unwrap());
    }
    cases
}

fn python() -> Value {
    let text = std::fs::read_to_string(folder().join("reference_python.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `(dataset, score, metric) -> value` from R.
fn r_values() -> BTreeMap<(String, String, String), f64> {
    let text = std::fs::read_to_string(folder().join("reference_r.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (
                (f[0].to_string(), f[1].to_string(), f[2].to_string()),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

fn num(value: &Value) -> f64 {
    value.as_f64().unwrap()
}

fn scores<'a>(case: &'a Case, score: &str) -> &'a [f64] {
    if score == "a" { &case.a } else { &case.b }
}

#[test]
fn z_is_the_exact_normal_quantile() {
    assert_eq!(Z_95, num(&python()["z"]));
    assert_eq!(Z_95, mmrad_stats::normal_quantile(0.975).unwrap());
}

#[test]
fn discrimination_matches_sklearn_numpy_delong_and_proc() {
    let (cases, python, r) = (cases(), python(), r_values());
    for name in DATASETS {
        let case = &cases[name];
        for score in ["a", "b"] {
            let what = format!("{name}/{score}");
            let expected = &python["datasets"][name]["scores"][score];
            let r_get = |metric: &str| r[&(name.to_string(), score.to_string(), metric.to_string())];
            let d = delong(scores(case, score), &case.y).unwrap();
            // AUC exact: 1e-15 absolute against sklearn, the numpy DeLong placements and pROC.
            assert_close(
                &format!("{what} auc sklearn"),
                d.auc,
                num(&expected["auc"]),
                0.0,
                1e-15,
            );
            assert_close(
                &format!("{what} auc numpy"),
                d.auc,
                num(&expected["auc_delong_numpy"]),
                0.0,
                1e-15,
            );
            assert_close(&format!("{what} auc pROC"), d.auc, r_get("auc"), 0.0, 1e-15);
            assert_eq!(d.auc, auc(scores(case, score), &case.y).unwrap());
            // DeLong variance 1e-12 relative; CI within 1e-12 (the brief asks 1e-6).
            assert_close(
                &format!("{what} var numpy"),
                d.var,
                num(&expected["auc_var"]),
                1e-12,
                0.0,
            );
            assert_close(&format!("{what} var pROC"), d.var, r_get("auc_var"), 1e-12, 0.0);
            assert_close(
                &format!("{what} lo numpy"),
                d.lo,
                num(&expected["auc_lo"]),
                0.0,
                1e-12,
            );
            assert_close(
                &format!("{what} hi numpy"),
                d.hi,
                num(&expected["auc_hi"]),
                0.0,
                1e-12,
            );
            assert_close(&format!("{what} lo pROC"), d.lo, r_get("auc_lo"), 0.0, 1e-12);
            assert_close(&format!("{what} hi pROC"), d.hi, r_get("auc_hi"), 0.0, 1e-12);
        }
    }
}

#[test]
fn paired_delong_matches_numpy_and_proc_roc_test() {
    let (cases, python, r) = (cases(), python(), r_values());
    for name in DATASETS {
        let case = &cases[name];
        let expected = &python["datasets"][name]["paired"];
        let t = delong_paired(&case.a, &case.b, &case.y).unwrap();
        assert_close(
            &format!("{name} diff"),
            t.diff,
            num(&expected["diff"]),
            0.0,
            1e-15,
        );
        // z within 1e-12 relative, p within 1e-9 relative (the brief's target) of numpy and pROC.
        assert_close(&format!("{name} z numpy"), t.z, num(&expected["z"]), 1e-12, 0.0);
        assert_close(&format!("{name} p numpy"), t.p, num(&expected["p"]), 1e-9, 0.0);
        let key = |m: &str| (name.to_string(), "a-b".to_string(), m.to_string());
        assert_close(&format!("{name} z pROC"), t.z, r[&key("delong_z")], 1e-12, 0.0);
        assert_close(&format!("{name} p pROC"), t.p, r[&key("delong_p")], 1e-9, 0.0);
    }
}

#[test]
fn brier_and_calibration_match_statsmodels_glm_and_val_prob() {
    let (cases, python, r) = (cases(), python(), r_values());
    for name in DATASETS {
        let case = &cases[name];
        for score in ["a", "b"] {
            let what = format!("{name}/{score}");
            let expected = &python["datasets"][name]["scores"][score];
            let r_get = |metric: &str| r[&(name.to_string(), score.to_string(), metric.to_string())];
            let p = scores(case, score);
            // Brier: a mean of squares, 1e-15 relative.
            assert_close(
                &format!("{what} brier"),
                brier(p, &case.y).unwrap(),
                num(&expected["brier"]),
                1e-15,
                0.0,
            );
            assert_close(
                &format!("{what} brier R"),
                brier(p, &case.y).unwrap(),
                r_get("brier"),
                1e-15,
                0.0,
            );
            let scaled = brier_scaled(p, &case.y).unwrap();
            assert_close(
                &format!("{what} brier_scaled"),
                scaled,
                num(&expected["brier_scaled"]),
                1e-14,
                0.0,
            );
            // Calibration within 1e-9 absolute of statsmodels and of R glm(epsilon = 1e-14) (the brief asks 1e-6).
            let c = calibration(p, &case.y).unwrap();
            for (field, value) in [
                ("cal_intercept", c.intercept),
                ("cal_intercept_free", c.intercept_free),
                ("cal_slope", c.slope),
            ] {
                assert_close(
                    &format!("{what} {field}"),
                    value,
                    num(&expected[field]),
                    0.0,
                    1e-9,
                );
                assert_close(&format!("{what} {field} R"), value, r_get(field), 0.0, 1e-9);
            }
            // rms::val.prob (lrm's default convergence) stops short of the optimum, by up to 5e-6 on
            // `near_perfect/b`: 2e-5 absolute. The tight comparison is with the converged glm above.
            assert_close(
                &format!("{what} val.prob Intercept"),
                c.intercept_free,
                r_get("valprob_intercept"),
                0.0,
                2e-5,
            );
            assert_close(
                &format!("{what} val.prob Slope"),
                c.slope,
                r_get("valprob_slope"),
                0.0,
                2e-5,
            );
            // val.prob's "C (ROC)" is not compared: on `unbalanced/a` it counts one event/non-event tie
            // differently (0.5 of 1656 pairs) from pROC, scikit-learn and the numpy DeLong, which agree with us.
        }
    }
}

#[test]
fn calibration_table_and_hosmer_lemeshow_match_pandas_statsmodels_scipy() {
    let (cases, python) = (cases(), python());
    let groups = python["groups"].as_u64().unwrap() as usize;
    for name in DATASETS {
        let case = &cases[name];
        for score in ["a", "b"] {
            let what = format!("{name}/{score}");
            let expected = &python["datasets"][name]["scores"][score];
            let p = scores(case, score);
            let table = calibration_table(p, &case.y, groups).unwrap();
            let rows = expected["calibration_table"].as_array().unwrap();
            assert_eq!(table.len(), rows.len(), "{what}: number of groups");
            for (k, (got, row)) in table.iter().zip(rows).enumerate() {
                assert_eq!(got.group, k + 1);
                assert_eq!(got.n as u64, row["n"].as_u64().unwrap(), "{what} group {k} n");
                assert_eq!(
                    got.events as u64,
                    row["events"].as_u64().unwrap(),
                    "{what} group {k} events"
                );
                // Means and Wilson limits: a handful of operations, 1e-14 relative.
                for (field, value) in [
                    ("mean_predicted", got.mean_predicted),
                    ("observed_rate", got.observed_rate),
                    ("lo", got.lo),
                    ("hi", got.hi),
                ] {
                    assert_close(
                        &format!("{what} group {k} {field}"),
                        value,
                        num(&row[field]),
                        1e-14,
                        1e-16,
                    );
                }
            }
            let hl = hosmer_lemeshow(p, &case.y, groups).unwrap();
            assert_eq!(hl.df as u64, expected["hl_df"].as_u64().unwrap(), "{what} HL df");
            assert_close(
                &format!("{what} HL stat"),
                hl.stat,
                num(&expected["hl_stat"]),
                1e-12,
                0.0,
            );
            assert_close(&format!("{what} HL p"), hl.p, num(&expected["hl_p"]), 1e-9, 0.0);
        }
    }
}

#[test]
fn summary_agrees_with_the_parts_on_liang() {
    let (cases, python) = (cases(), python());
    let case = &cases["liang"];
    let expected = &python["datasets"]["liang"]["scores"]["a"];
    let s = summarize(&case.a, &case.y).unwrap();
    assert_eq!((s.n, s.events), (89, 28));
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    // Tolerances as in the per-metric tests above.
    for (field, value, tol) in [
        ("auc", s.auc, 1e-15),
        ("auc_lo", s.auc_lo, 1e-12),
        ("auc_hi", s.auc_hi, 1e-12),
        ("brier", s.brier, 1e-15),
        ("brier_scaled", s.brier_scaled, 1e-14),
        ("cal_intercept", s.cal_intercept, 1e-9),
        ("cal_intercept_free", s.cal_intercept_free, 1e-9),
        ("cal_slope", s.cal_slope, 1e-9),
        ("hl_stat", s.hl_stat, 1e-12),
    ] {
        assert_close(
            &format!("summary {field}"),
            value,
            num(&expected[field]),
            0.0,
            tol,
        );
    }
    assert_close("summary hl_p", s.hl_p, num(&expected["hl_p"]), 1e-9, 0.0);
    assert_close(
        "summary auc_var",
        s.auc_var,
        num(&expected["auc_var"]),
        1e-12,
        0.0,
    );
}

#[test]
fn threshold_metrics_net_benefit_and_spread_match_sklearn_numpy_and_proc() {
    let (cases, python, r) = (cases(), python(), r_values());
    for name in DATASETS {
        let case = &cases[name];
        for score in ["a", "b"] {
            let what = format!("{name}/{score}");
            let expected = &python["datasets"][name]["scores"][score];
            let r_get = |metric: &str| r[&(name.to_string(), score.to_string(), metric.to_string())];
            let p = scores(case, score);
            for row in expected["thresholds"].as_array().unwrap() {
                let t = num(&row["threshold"]);
                let m = threshold_metrics(p, &case.y, t).unwrap();
                let counts = [
                    m.true_positives,
                    m.false_positives,
                    m.true_negatives,
                    m.false_negatives,
                ];
                let expected_counts = ["tp", "fp", "tn", "fn"].map(|k| row[k].as_u64().unwrap() as usize);
                assert_eq!(counts, expected_counts, "{what} t = {t}");
                // Ratios of counts: 1e-15 relative (NaN when undefined, as in the reference).
                for (field, value) in [
                    ("sensitivity", m.sensitivity),
                    ("specificity", m.specificity),
                    ("ppv", m.ppv),
                    ("npv", m.npv),
                ] {
                    let e = row[field].as_f64().unwrap_or(f64::NAN);
                    assert_close(&format!("{what} t = {t} {field}"), value, e, 1e-15, 0.0);
                }
            }
            let rows = expected["net_benefit"].as_array().unwrap();
            let thresholds: Vec<f64> = rows.iter().map(|row| num(&row["threshold"])).collect();
            for (got, row) in net_benefit(p, &case.y, &thresholds).unwrap().iter().zip(rows) {
                // A difference of two ratios: 1e-15 absolute.
                assert_close(
                    &format!("{what} NB model"),
                    got.model,
                    num(&row["model"]),
                    0.0,
                    1e-15,
                );
                assert_close(
                    &format!("{what} NB all"),
                    got.treat_all,
                    num(&row["treat_all"]),
                    0.0,
                    1e-15,
                );
            }
            // Youden threshold as pROC coords(best.method = "youden"): identical midpoint, exact rates.
            let best = youden_threshold(p, &case.y).unwrap();
            assert_eq!(r_get("youden_n_best"), 1.0, "{what}: reference has tied optima");
            assert_eq!(
                best.threshold,
                r_get("youden_threshold"),
                "{what} Youden threshold"
            );
            assert_close(
                &format!("{what} Youden sens"),
                best.sensitivity,
                r_get("youden_sensitivity"),
                1e-15,
                0.0,
            );
            assert_close(
                &format!("{what} Youden spec"),
                best.specificity,
                r_get("youden_specificity"),
                1e-15,
                0.0,
            );
            // Spread of the score values themselves (numpy mean / std(ddof=1) / quantile): 1e-14 relative.
            let s = spread(p).unwrap();
            let e = &expected["spread"];
            for (field, value) in [
                ("mean", s.mean),
                ("sd", s.sd),
                ("min", s.min),
                ("max", s.max),
                ("q025", s.q025),
                ("q975", s.q975),
            ] {
                assert_close(
                    &format!("{what} spread {field}"),
                    value,
                    num(&e[field]),
                    1e-14,
                    0.0,
                );
            }
        }
    }
}
