//! Decision curves of a run: `dca.csv` equals the closed-form net benefit `TP/n − FP/n · t/(1 − t)` recomputed
//! here from `predictions.csv`, for both poolings of repeats.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use mmrad_study::run::{RunOptions, run_study};

const PROTOCOL: &str = r#"
version: 1
name: dca-test
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
evaluation: { dca: true, pool: POOL }
"#;

/// predictions.csv → model → repeat → (outcome, score) per case.
fn predictions(dir: &Path) -> BTreeMap<String, BTreeMap<usize, Vec<(bool, f64)>>> {
    let text = std::fs::read_to_string(dir.join("predictions.csv")).unwrap();
    let mut out: BTreeMap<String, BTreeMap<usize, Vec<(bool, f64)>>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        out.entry(f[4].to_owned())
            .or_default()
            .entry(f[2].parse().unwrap())
            .or_default()
            .push((f[1] == "1", f[5].parse().unwrap()));
    }
    out
}

fn net_benefit(cases: &[(bool, f64)], t: f64) -> (f64, f64) {
    let n = cases.len() as f64;
    let tp = cases.iter().filter(|(y, p)| *y && *p >= t).count() as f64;
    let fp = cases.iter().filter(|(y, p)| !*y && *p >= t).count() as f64;
    let events = cases.iter().filter(|(y, _)| *y).count() as f64;
    let odds = t / (1.0 - t);
    (tp / n - fp / n * odds, events / n - (n - events) / n * odds)
}

#[test]
fn dca_csv_is_the_closed_form_net_benefit_of_the_predictions() {
    for pool in ["mean_over_repeats", "case_mean"] {
        let plan = mmrad_protocol::parse(&PROTOCOL.replace("POOL", pool), Path::new(".")).unwrap();
        let out = std::env::temp_dir().join(format!("mmrad-dca-test-{pool}-{}", std::process::id()));
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
        let dca = std::fs::read_to_string(out.join("dca.csv")).unwrap();
        let mut lines = dca.lines();
        assert_eq!(
            lines.next(),
            Some("model,threshold,net_benefit,treat_all,treat_none")
        );
        let mut rows = 0;
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            let t: f64 = f[1].parse().unwrap();
            let per_repeat = &predictions[f[0]];
            let (model, all) = if pool == "case_mean" {
                let k = per_repeat.len() as f64;
                let first = &per_repeat[&0];
                let mean: Vec<(bool, f64)> = (0..first.len())
                    .map(|i| (first[i].0, per_repeat.values().map(|r| r[i].1).sum::<f64>() / k))
                    .collect();
                net_benefit(&mean, t)
            } else {
                let k = per_repeat.len() as f64;
                let curves: Vec<(f64, f64)> = per_repeat.values().map(|r| net_benefit(r, t)).collect();
                (
                    curves.iter().map(|c| c.0).sum::<f64>() / k,
                    curves.iter().map(|c| c.1).sum::<f64>() / k,
                )
            };
            // Counts over 60 cases: only the final divisions round, so 1e-12 is ample.
            let got: f64 = f[2].parse().unwrap();
            assert!(
                (got - model).abs() < 1e-12,
                "{pool} {} t={t}: {got} vs {model}",
                f[0]
            );
            assert!((f[3].parse::<f64>().unwrap() - all).abs() < 1e-12);
            assert_eq!(f[4], "0");
            rows += 1;
        }
        // CT, MG, fusion at 99 thresholds.
        assert_eq!(rows, 3 * 99, "{pool}");
        std::fs::remove_dir_all(&out).ok();
    }
}
