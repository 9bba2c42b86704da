//! `thresholds.csv`, the bootstrap AUC CI columns and the val.prob calibration columns of `metrics.csv`, recomputed
//! here in closed form from `predictions.csv` (counts at the written threshold, the Youden and sensitivity rules
//! over every midpoint, Wilson intervals, E/O).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use mmrad_study::run::{RunOptions, run_study};

const PROTOCOL: &str = r#"
version: 1
name: thresholds-test
seed: 5
cohort: { synthetic: { level: features, generator: liang2025, n: 60, events: 20 } }
outcome: pcr
modalities: { CT: {}, MG: {} }
selection:
  - univariate: { p_max: 0.1 }
  - lasso: { lambda: 1se, inner_folds: 5 }
models:
  fusion: {}
validation: { folds: 3, repeats: 2 }
evaluation:
  bootstrap: { n: 200 }
  thresholds: [youden, { sensitivity: 0.9 }, { probability: 0.3 }]
"#;

/// A model's case-mean probability per case with its outcome, and its scores per repeat.
type ModelPredictions = (Vec<(bool, f64)>, BTreeMap<usize, Vec<f64>>);

/// predictions.csv → model → [`ModelPredictions`].
fn predictions(dir: &Path) -> BTreeMap<String, ModelPredictions> {
    let text = std::fs::read_to_string(dir.join("predictions.csv")).unwrap();
    let mut per_repeat: BTreeMap<String, BTreeMap<usize, Vec<(bool, f64)>>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        per_repeat
            .entry(f[4].to_owned())
            .or_default()
            .entry(f[2].parse().unwrap())
            .or_default()
            .push((f[1] == "1", f[5].parse().unwrap()));
    }
    per_repeat
        .into_iter()
        .map(|(model, repeats)| {
            let k = repeats.len() as f64;
            let first = &repeats[&0];
            let mean = (0..first.len())
                .map(|i| (first[i].0, repeats.values().map(|r| r[i].1).sum::<f64>() / k))
                .collect();
            let scores = repeats
                .into_iter()
                .map(|(r, cases)| (r, cases.into_iter().map(|(_, s)| s).collect()))
                .collect();
            (model, (mean, scores))
        })
        .collect()
}

/// (tp, fp, tn, fn) of `p ≥ t`.
fn counts(cases: &[(bool, f64)], t: f64) -> [usize; 4] {
    let tp = cases.iter().filter(|(y, p)| *y && *p >= t).count();
    let fp = cases.iter().filter(|(y, p)| !*y && *p >= t).count();
    let tn = cases.iter().filter(|(y, p)| !*y && *p < t).count();
    [tp, fp, tn, cases.len() - tp - fp - tn]
}

/// Wilson score 95 % interval, written out (Wilson 1927).
fn wilson(x: usize, n: usize) -> (f64, f64) {
    let z = 1.959963984540054f64;
    let (x, n) = (x as f64, n as f64);
    let p = x / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    (centre - half, centre + half)
}

fn midpoints(cases: &[(bool, f64)]) -> Vec<f64> {
    let mut s: Vec<f64> = cases.iter().map(|c| c.1).collect();
    s.sort_by(f64::total_cmp);
    s.dedup();
    s.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
}

fn close(what: &str, a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12, "{what}: {a} vs {b}");
}

#[test]
fn thresholds_csv_and_new_metric_columns_follow_from_the_predictions() {
    let plan = mmrad_protocol::parse(PROTOCOL, Path::new(".")).unwrap();
    let out = std::env::temp_dir().join(format!("mmrad-thresholds-test-{}", std::process::id()));
    let options = RunOptions {
        out_dir: out.clone(),
        threads: 1,
        progress: false,
        protocol_bytes: Vec::new(),
        protocol_path: None,
        no_cache: false,
    };
    run_study(&plan, &options).unwrap();
    let predictions = predictions(&out);

    let text = std::fs::read_to_string(out.join("thresholds.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "model,rule,threshold,tp,fp,tn,fn,sensitivity,sensitivity_lo,sensitivity_hi,specificity,\
             specificity_lo,specificity_hi,ppv,ppv_lo,ppv_hi,npv,npv_lo,npv_hi,accuracy,accuracy_lo,accuracy_hi"
        )
    );
    let mut rules = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let cases = &predictions[f[0]].0;
        let t: f64 = f[2].parse().unwrap();
        let c = counts(cases, t);
        let written: Vec<usize> = f[3..7].iter().map(|v| v.parse().unwrap()).collect();
        assert_eq!(written, c, "{line}");
        let [tp, fp, tn, fn_] = c;
        let sens = |t: f64| {
            let [tp, _, _, fn_] = counts(cases, t);
            tp as f64 / (tp + fn_) as f64
        };
        let spec = |t: f64| {
            let [_, fp, tn, _] = counts(cases, t);
            tn as f64 / (tn + fp) as f64
        };
        match f[1] {
            "youden" => {
                let best = midpoints(cases)
                    .into_iter()
                    .map(|m| sens(m) + spec(m))
                    .fold(f64::MIN, f64::max);
                close("youden J", sens(t) + spec(t), best);
            }
            "sensitivity=0.9" => {
                assert!(sens(t) >= 0.9);
                // The next higher midpoint misses the target.
                if let Some(&next) = midpoints(cases).iter().find(|&&m| m > t) {
                    assert!(sens(next) < 0.9, "{line}");
                }
            }
            "probability=0.3" => assert_eq!(t, 0.3),
            other => panic!("unexpected rule {other}"),
        }
        let value = |k: usize| f[k].parse::<f64>().unwrap();
        for (k, (x, n)) in [
            (7, (tp, tp + fn_)),
            (10, (tn, tn + fp)),
            (13, (tp, tp + fp)),
            (16, (tn, tn + fn_)),
        ]
        .into_iter()
        .chain([(19, (tp + tn, cases.len()))])
        {
            close(&format!("{line} rate {k}"), value(k), x as f64 / n as f64);
            let (lo, hi) = wilson(x, n);
            close(&format!("{line} lo {k}"), value(k + 1), lo);
            close(&format!("{line} hi {k}"), value(k + 2), hi);
        }
        rules.push((f[0].to_owned(), f[1].to_owned()));
    }
    assert_eq!(rules.len(), predictions.len() * 3);

    let text = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert_eq!(
        header[13..],
        [
            "eo_ratio",
            "emax",
            "e90",
            "eavg",
            "spiegelhalter_p",
            "auc_boot_lo",
            "auc_boot_hi"
        ]
    );
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let value = |name: &str| f[column(name)].parse::<f64>().unwrap();
        let (cases, repeats) = &predictions[f[0]];
        let events = cases.iter().filter(|c| c.0).count() as f64;
        // E/O pooled as the other metrics: the mean over repeats of Σp / Σy.
        let eo = repeats
            .values()
            .map(|s| s.iter().sum::<f64>() / events)
            .sum::<f64>()
            / repeats.len() as f64;
        close(&format!("{} eo_ratio", f[0]), value("eo_ratio"), eo);
        assert!(
            value("eavg") <= value("e90") && value("e90") <= value("emax"),
            "{line}"
        );
        assert!((0.0..=1.0).contains(&value("spiegelhalter_p")), "{line}");
        // The bootstrap interval brackets the AUC of the case-mean probabilities.
        let auc = mmrad_evaluation::auc(
            &cases.iter().map(|c| c.1).collect::<Vec<_>>(),
            &cases.iter().map(|c| c.0).collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(value("auc_boot_lo") < auc && auc < value("auc_boot_hi"), "{line}");
    }
    std::fs::remove_dir_all(&out).ok();
}
