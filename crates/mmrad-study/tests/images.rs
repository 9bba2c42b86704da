//! The image-level pipeline end to end on a reduced synthetic cohort: DICOM/NRRD images and RTSTRUCT/SEG/NRRD masks
//! written by `mmrad-synth`, extracted per modality with the protocol's parameter files (cached), cross-validated.
//! Also: the feature cache is reused when nothing changed, and a manifest without a modality's columns is an error
//! naming the column.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use mmrad_study::cohort;
use mmrad_study::run::{RunOptions, run_study};

fn params_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../studies/params")
}

fn protocol(dir: &Path) -> String {
    format!(
        r#"
version: 1
name: images-test
seed: 3
cohort: {{ synthetic: {{ level: images, generator: liang2025, n: 24, events: 8, dir: "{dir}" }} }}
outcome: pcr
modalities:
  CT: {{ extraction: ct.yaml }}
  MR: {{ extraction: mr.yaml }}
  MG: {{ extraction: mg2d.yaml }}
  US: {{ extraction: us2d.yaml }}
selection:
  - univariate: {{ p_max: 0.2 }}
  - correlation: {{ max_abs_r: 0.9 }}
  - lasso: {{ lambda: 1se, inner_folds: 3 }}
models:
  fusion: {{}}
  clinical: {{ candidates: [pr, her2, ct_stage] }}
  combined: {{ of: [clinical, fusion] }}
validation: {{ folds: 2, repeats: 1 }}
"#,
        dir = dir.display()
    )
}

#[test]
fn reduced_image_cohort_runs_end_to_end_and_reuses_its_feature_cache() {
    let root = std::env::temp_dir().join(format!("mmrad-images-test-{}", std::process::id()));
    let cohort_dir = root.join("cohort");
    let plan = mmrad_protocol::parse(&protocol(&cohort_dir), &params_dir()).unwrap();
    let options = RunOptions {
        out_dir: root.join("run"),
        threads: 2,
        progress: false,
        protocol_bytes: Vec::new(),
        protocol_path: None,
        no_cache: false,
    };
    let summary = run_study(&plan, &options).unwrap();
    assert_eq!((summary.n, summary.events), (24, 8));
    let ids: Vec<&str> = summary.metrics.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(ids, ["CT", "MR", "MG", "US", "fusion", "clinical", "combined"]);
    assert!(summary.metrics.iter().all(|m| m.pooled.auc.is_finite()));

    // One cached table per modality; a second load reuses them (same files, same bytes) and gives the same cohort.
    let cache = cohort_dir.join(".mmrad-cache");
    let mut cached: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    cached.sort();
    assert_eq!(cached.len(), 4, "{cached:?}");
    let stamps: Vec<_> = cached
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    let first = cohort::load(&plan).unwrap();
    let again = cohort::load_with_threads(&plan, 2).unwrap();
    assert_eq!(first.features, again.features);
    let stamps_after: Vec<_> = cached
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    assert_eq!(stamps, stamps_after, "the cache was rewritten");
    // A damaged cached table is read as it is when the cache is reused, and replaced by a fresh extraction with
    // `--no-cache` (reuse_cache = false): the rewritten table equals the original bytes.
    let original = std::fs::read(&cached[0]).unwrap();
    let mut damaged = original.clone();
    let last_digit = damaged.iter().rposition(u8::is_ascii_digit).unwrap();
    damaged[last_digit] = if damaged[last_digit] == b'1' { b'2' } else { b'1' };
    std::fs::write(&cached[0], &damaged).unwrap();
    let reused = cohort::load_with_cache(&plan, 2, true).unwrap();
    assert_ne!(reused.features, first.features, "a reused cache is read as it is");
    let fresh = cohort::load_with_cache(&plan, 2, false).unwrap();
    assert_eq!(fresh.features, first.features);
    assert_eq!(std::fs::read(&cached[0]).unwrap(), original);
    // Without the modality tables, each case comes from its own cache file: a valid but edited one is read as it
    // is, an unreadable one is extracted again and rewritten.
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cache.join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 4 * 24);
    let victim = &cases[0];
    let original_case = std::fs::read(victim).unwrap();
    // The last value replaced by another written as mmrad writes floats (an edit that is not in that form, e.g. a
    // changed last digit of 17, would make the file unreadable as a cache entry, the next case below).
    let text = String::from_utf8(original_case.clone()).unwrap();
    let cut = text.trim_end().rfind(',').unwrap();
    let edited = format!("{},12345.5\n", &text[..cut]);
    let remove_tables = || {
        for table in &cached {
            std::fs::remove_file(table).unwrap();
        }
    };
    std::fs::write(victim, &edited).unwrap();
    remove_tables();
    let from_cases = cohort::load_with_cache(&plan, 2, true).unwrap();
    assert_ne!(
        from_cases.features, first.features,
        "the edited case file was not read"
    );
    std::fs::write(victim, b"not a cached case").unwrap();
    remove_tables();
    let repaired = cohort::load_with_cache(&plan, 2, true).unwrap();
    assert_eq!(repaired.features, first.features);
    assert_eq!(std::fs::read(victim).unwrap(), original_case);
    // 3D CT/MR get 3D shape features, 2D MG/US get shape2D.
    let names = |m: usize| {
        first.features[m]
            .1
            .names()
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
    };
    assert!(names(0).iter().any(|n| n == "original_shape_Sphericity"));
    assert!(names(2).iter().any(|n| n.starts_with("original_shape2D_")));
    assert!(!names(2).iter().any(|n| n.starts_with("original_shape_")));

    // A manifest lacking a modality's columns: the error names the column and the manifest.
    let text = std::fs::read_to_string(cohort_dir.join("cohort.csv")).unwrap();
    let broken = cohort_dir.join("broken.csv");
    std::fs::write(&broken, text.replace("US_image", "US_picture")).unwrap();
    let synthetic = format!(
        "synthetic: {{ level: images, generator: liang2025, n: 24, events: 8, dir: \"{}\" }}",
        cohort_dir.display()
    );
    let images = protocol(&cohort_dir).replace(
        &synthetic,
        &format!("images: {{ manifest: \"{}\" }}", broken.display()),
    );
    let plan = mmrad_protocol::parse(&images, &params_dir()).unwrap();
    let message = cohort::load(&plan).unwrap_err().to_string();
    assert!(
        message.contains("US_image") && message.contains("broken.csv"),
        "{message}"
    );
    std::fs::remove_dir_all(&root).ok();
}
