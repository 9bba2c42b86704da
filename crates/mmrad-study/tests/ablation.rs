//! Ablation test: every row equals a full cross-validated run of the protocol restricted to that subset (the
//! ablation reuses the per-modality fits, so this checks the reuse changes nothing), on 1 and 2 threads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use mmrad_study::ablate::{ablate, restrict};
use mmrad_study::cohort;
use mmrad_study::run::{RunOptions, run_on_cohort};

const PROTOCOL: &str = r#"
version: 1
name: ablation-test
seed: 23
cohort: { synthetic: { level: features, generator: liang2025, n: 60, events: 20 } }
outcome: pcr
modalities: { CT: {}, MR: {}, US: {} }
selection:
  - univariate: { p_max: 0.2 }
  - correlation: { max_abs_r: 0.9 }
  - lasso: { lambda: min, inner_folds: 5 }
models:
  fusion: {}
  clinical: { candidates: [pr, her2, ct_stage] }
  combined: { of: [clinical, fusion] }
validation: { folds: 3, repeats: 2 }
evaluation: { calibration: { groups: 5 } }
"#;

#[test]
fn every_row_equals_the_restricted_protocol_run() {
    let plan = mmrad_protocol::parse(PROTOCOL, Path::new(".")).unwrap();
    let cohort = cohort::load(&plan).unwrap();
    let ablation = ablate(&plan, &cohort, 1).unwrap();
    assert_eq!(ablation.rows.len(), 7 * 2);
    // NaN fields (the reference rows' tests) make `==` false; the full-precision CSV compares them too.
    assert_eq!(
        ablate(&plan, &cohort, 2).unwrap().csv(),
        ablation.csv(),
        "thread count changed the ablation"
    );

    let out = std::env::temp_dir().join(format!("mmrad-ablation-test-{}", std::process::id()));
    for (keep, name) in [
        (vec![0], "CT"),
        (vec![1, 2], "MR+US"),
        (vec![0, 1, 2], "CT+MR+US"),
    ] {
        for clinical in [false, true] {
            let row = ablation
                .rows
                .iter()
                .find(|r| r.modalities == name && r.clinical == clinical)
                .unwrap();
            let sub = restrict(&plan, &keep, clinical);
            let options = RunOptions {
                out_dir: out.clone(),
                threads: 1,
                progress: false,
                protocol_bytes: Vec::new(),
                protocol_path: None,
                no_cache: false,
            };
            let modalities: Vec<_> = sub.modalities.iter().map(|m| m.modality.clone()).collect();
            let run = run_on_cohort(&sub, &cohort.with_modalities(&modalities), &options).unwrap();
            let model = if clinical { "combined" } else { "fusion" };
            let expected = &run.metrics.iter().find(|m| m.model == model).unwrap().pooled;
            // Same fits on the same rows: the numbers are identical, not merely close.
            assert_eq!(&row.pooled, expected, "subset {name}, clinical {clinical}");
            if keep.len() == 3 {
                assert!(
                    row.delong_p.is_nan() && row.auc_diff.is_nan(),
                    "the reference row has no test"
                );
            } else {
                assert!(row.delong_p > 0.0 && row.delong_p <= 1.0, "{}", row.delong_p);
            }
        }
    }
    std::fs::remove_dir_all(&out).ok();

    let csv = ablation.csv();
    assert_eq!(csv.lines().count(), 15);
    assert!(csv.starts_with("modalities,clinical,model,n,events,auc,"));
    let text = ablation.text();
    let aucs: Vec<f64> = text
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().nth(2).unwrap().parse().unwrap())
        .collect();
    assert!(
        aucs.windows(2).all(|w| w[0] >= w[1]),
        "printed table not sorted by AUC: {aucs:?}"
    );
}

#[test]
fn one_modality_is_an_error_naming_the_key() {
    let one = PROTOCOL.replace("{ CT: {}, MR: {}, US: {} }", "{ CT: {} }");
    let plan = mmrad_protocol::parse(&one, Path::new(".")).unwrap();
    let cohort = cohort::load(&plan).unwrap();
    let message = ablate(&plan, &cohort, 1).unwrap_err().to_string();
    assert!(message.contains("modalities"), "{message}");
}
