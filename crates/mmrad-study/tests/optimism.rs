//! `validation: bootstrap_optimism` wiring: with a pipeline that is a plain logistic model (every clinical
//! candidate enters), the study's optimism equals `mmrad_evaluation::logistic_optimism_with_samples` (itself checked
//! against `rms::validate`) on the same samples; with selection, every sample refits the selection (each sample's
//! signature equals a fresh fit on that sample), `optimism.csv` is `apparent − mean(training − test)` of
//! `optimism_replicates.csv`, its apparent values are `metrics.csv`'s, and the outputs do not depend on the thread
//! count.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use mmrad_core::SeededRng;
use mmrad_study::optimism::{BOOT_STREAM, bootstrap_samples, optimism_with_samples};
use mmrad_study::pipeline::{FoldData, fit_fold};
use mmrad_study::run::{RunOptions, run_study};

const PLAIN: &str = r#"
version: 1
name: optimism-plain
seed: 11
cohort: { synthetic: { level: features, generator: liang2025, n: 80, events: 30 } }
outcome: pcr
modalities: { CT: {} }
selection:
  - univariate: { p_max: 0.1 }
  - lasso: { lambda: 1se, inner_folds: 5 }
models:
  clinical: { candidates: [age, pr, ki67], univariate_p_max: 1.0 }
validation: { scheme: bootstrap_optimism, n: 30 }
"#;

const SELECTING: &str = r#"
version: 1
name: optimism-selecting
seed: 5
cohort: { synthetic: { level: features, generator: liang2025, n: 60, events: 20 } }
outcome: pcr
modalities: { CT: {}, MG: {} }
selection:
  - univariate: { p_max: 0.1 }
  - lasso: { lambda: 1se, inner_folds: 5 }
models:
  fusion: {}
  clinical: { candidates: [pr, her2, ct_stage] }
  combined: { of: [clinical, fusion] }
validation: { scheme: bootstrap_optimism, n: 12 }
"#;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

#[test]
fn a_plain_logistic_pipeline_gives_the_rms_validate_table() {
    let plan = mmrad_protocol::parse(PLAIN, Path::new(".")).unwrap();
    let cohort = mmrad_study::cohort::load(&plan).unwrap();
    let mut rng = SeededRng::new(99);
    let (samples, _) = bootstrap_samples(&cohort.y, 30, &mut rng).unwrap();
    let study = optimism_with_samples(&plan, &cohort, &samples, &pool(2)).unwrap();
    assert_eq!(study.failed_fits, 0);
    // Every candidate enters in every sample: the clinical model is a plain logistic model.
    assert!(study.replicates.iter().all(|r| r.clinical_terms == [0, 1, 2]));
    let core = mmrad_evaluation::logistic_optimism_with_samples(
        cohort.clinical.values().view(),
        &cohort.y,
        &samples,
    )
    .unwrap();
    assert_eq!(core.failed_fits, 0);
    let core_row = |name: &str| *core.rows.iter().find(|r| r.index == name).unwrap();
    let clinical = study.models.iter().find(|m| m.model == "clinical").unwrap();
    let row = |name: &str| clinical.indexes.iter().find(|r| r.index == name).unwrap();
    // AUC = (Dxy + 1) / 2, so every AUC column is Dxy's mapped, optimism halved; IRLS fits converge to 1e-10.
    let eps = 1e-9;
    let dxy = core_row("Dxy");
    for (ours, theirs) in [
        (row("auc").apparent, (dxy.apparent + 1.0) / 2.0),
        (row("auc").optimism, dxy.optimism / 2.0),
        (row("auc").corrected, (dxy.corrected + 1.0) / 2.0),
        (row("brier").apparent, core_row("B").apparent),
        (row("brier").optimism, core_row("B").optimism),
        (row("brier").corrected, core_row("B").corrected),
        (row("cal_slope").test, core_row("Slope").test),
        (row("cal_slope").corrected, core_row("Slope").corrected),
        (row("cal_intercept").test, core_row("Intercept").test),
        (row("cal_intercept").corrected, core_row("Intercept").corrected),
    ] {
        assert!((ours - theirs).abs() < eps, "{ours} vs {theirs}");
    }
    // On its own sample a maximum-likelihood logistic model is calibrated: slope 1, intercept 0.
    assert!((row("cal_slope").training - 1.0).abs() < 1e-8);
    assert!(row("cal_intercept").training.abs() < 1e-8);
    assert_eq!(row("auc").used, 30);
}

/// `file.csv` as rows of fields, header dropped.
fn rows(dir: &Path, file: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join(file))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

fn run(threads: usize) -> std::path::PathBuf {
    let plan = mmrad_protocol::parse(SELECTING, Path::new(".")).unwrap();
    let out = std::env::temp_dir().join(format!("mmrad-optimism-{threads}-{}", std::process::id()));
    let options = RunOptions {
        out_dir: out.clone(),
        threads,
        progress: false,
        protocol_bytes: Vec::new(),
        protocol_path: None,
        no_cache: false,
    };
    let summary = run_study(&plan, &options).unwrap();
    assert!(summary.optimism.is_some());
    // The apparent MG signature keeps no feature here, so its calibration is undefined, and said so.
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.contains("apparent `cal_slope` of model `MG` is undefined")),
        "{:?}",
        summary.warnings
    );
    out
}

#[test]
fn the_whole_pipeline_is_refitted_in_every_sample() {
    let out = run(1);
    let plan = mmrad_protocol::parse(SELECTING, Path::new(".")).unwrap();
    let cohort = mmrad_study::cohort::load(&plan).unwrap();

    // corrected = apparent − mean(training − test) over the replicate rows.
    let mut per_index: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for f in rows(&out, "optimism_replicates.csv") {
        if !f[3].is_empty() && !f[4].is_empty() {
            per_index
                .entry((f[1].clone(), f[2].clone()))
                .or_default()
                .push((f[3].parse().unwrap(), f[4].parse().unwrap()));
        }
    }
    let metrics: BTreeMap<String, Vec<String>> = rows(&out, "metrics.csv")
        .into_iter()
        .map(|f| (f[0].clone(), f))
        .collect();
    let table = rows(&out, "optimism.csv");
    assert_eq!(table.len(), plan.model_ids().len() * 4);
    for f in &table {
        let values = &per_index[&(f[0].clone(), f[1].clone())];
        let k = values.len() as f64;
        let optimism = values.iter().map(|(a, b)| a - b).sum::<f64>() / k;
        let apparent: f64 = f[2].parse().unwrap();
        let corrected: f64 = f[6].parse().unwrap();
        assert_eq!(f[7].parse::<usize>().unwrap(), values.len());
        if apparent.is_nan() {
            // Undefined on the apparent fit (e.g. a LASSO keeping no feature: constant predictions): NaN, with a
            // warning in the manifest.
            assert!(corrected.is_nan() && f[1].starts_with("cal_"), "{f:?}");
        } else {
            assert!((corrected - (apparent - optimism)).abs() < 1e-12, "{f:?}");
        }
        // The apparent AUC and Brier are metrics.csv's (the same fit on all cases).
        let column = match f[1].as_str() {
            "auc" => Some(4),
            "brier" => Some(7),
            _ => None,
        };
        if let Some(c) = column {
            let m: f64 = metrics[&f[0]][c].parse().unwrap();
            assert!(
                (m - apparent).abs() < 1e-12,
                "{} {}: {m} vs {apparent}",
                f[0],
                f[1]
            );
        }
        if f[1] == "auc" {
            // Selection inside each sample makes the apparent AUC optimistic on average.
            assert!(apparent.is_finite() && corrected <= apparent + 0.05);
        }
    }

    // Each sample's signature is a fresh fit of the pipeline on that sample, and the signatures differ.
    let selected = rows(&out, "optimism_selected.csv");
    let mut by_sample: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for f in &selected {
        by_sample
            .entry(f[0].parse().unwrap())
            .or_default()
            .push(format!("{}:{}", f[1], f[2]));
    }
    let distinct: std::collections::BTreeSet<&Vec<String>> = by_sample.values().collect();
    assert!(distinct.len() > 1, "every sample selected the same features");
    let mut rng = SeededRng::derive(plan.seed, &[5]);
    let (samples, redraws) = bootstrap_samples(&cohort.y, 12, &mut rng).unwrap();
    assert_eq!(redraws, 0);
    for b in [0usize, 7] {
        let fit = fit_fold(
            &plan,
            &FoldData::from_rows(&cohort, &samples[b]),
            &[BOOT_STREAM, b as u64],
            "test",
        )
        .unwrap();
        let mut expected = Vec::new();
        for ((modality, m), (_, table)) in plan.modalities.iter().zip(&fit.modalities).zip(&cohort.features) {
            for (column, _) in m.selected() {
                expected.push(format!("{}:{}", modality.modality, table.names()[column].0));
            }
        }
        assert_eq!(
            by_sample.get(&b).cloned().unwrap_or_default(),
            expected,
            "sample {b}"
        );
    }

    // Deterministic whatever the thread count.
    let out2 = run(2);
    for file in [
        "optimism.csv",
        "optimism_replicates.csv",
        "optimism_selected.csv",
        "metrics.csv",
    ] {
        assert_eq!(
            std::fs::read(out.join(file)).unwrap(),
            std::fs::read(out2.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn too_few_events_for_a_bootstrap_is_an_error_and_rare_events_are_redrawn() {
    let y = [true, false, false, false];
    assert!(bootstrap_samples(&y, 10, &mut SeededRng::new(1)).is_err());
    // 2 events in 12 cases: many samples hold fewer than 2 events and are drawn again, and counted.
    let mut y = vec![false; 12];
    y[0] = true;
    y[1] = true;
    let (samples, redraws) = bootstrap_samples(&y, 50, &mut SeededRng::new(3)).unwrap();
    assert_eq!(samples.len(), 50);
    assert!(redraws > 0);
    for s in &samples {
        assert!(s.iter().filter(|&&i| y[i]).count() >= 2);
    }
}
