//! `studies/liang2025-real-template.yaml` is a working protocol for a user's own images: pointed at a `cohort.csv`
//! written in the documented manifest format (here by `mmrad synth liang2025 --level images`, 30 patients), with the
//! project's extraction parameter files beside it, `mmrad study run` goes from DICOM/NRRD to the study's tables.
//! Only the validation is shortened (3 folds, 1 repeat, 3 inner folds) to keep the test fast.
//!
//! The run's `features/<MOD>.parquet` are then the input of the same protocol on feature tables (`manifest:`), whose
//! metrics must equal the image run's byte for byte: the Parquet files hold exactly the features the study used.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use mmrad_testkit::workspace_root;

fn mmrad(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mmrad"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn the_real_data_template_runs_on_a_cohort_csv() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mmrad-template");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("params")).unwrap();
    let out = mmrad(
        &dir,
        &[
            "synth",
            "liang2025",
            "--level",
            "images",
            "--out",
            "my_cohort",
            "--n",
            "30",
            "--events",
            "10",
            "--seed",
            "7",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("my_cohort/cohort.csv").is_file());

    let template =
        std::fs::read_to_string(workspace_root().join("studies/liang2025-real-template.yaml")).unwrap();
    assert!(template.contains("images: { manifest: my_cohort/cohort.csv, case_id: case_id }"));
    assert!(
        !template.lines().any(|l| l.starts_with("expected:")),
        "a template for new data expects nothing"
    );
    let shortened = template
        .replace("folds: 5, repeats: 10", "folds: 3, repeats: 1")
        .replace("inner_folds: 10", "inner_folds: 3");
    assert_ne!(shortened, template);
    std::fs::write(dir.join("study.yaml"), shortened).unwrap();
    for entry in std::fs::read_dir(workspace_root().join("studies/params")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join("params").join(path.file_name().unwrap())).unwrap();
    }

    let out = mmrad(
        &dir,
        &["study", "run", "study.yaml", "--out", "run", "-j", "2", "--quiet"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("liang2025-real: 30 cases, 10 events"), "{stdout}");
    assert!(
        stdout.contains("published"),
        "the paper's values are printed beside the run's: {stdout}"
    );
    let metrics = std::fs::read_to_string(dir.join("run/metrics.csv")).unwrap();
    for model in ["CT", "MR", "MG", "US", "fusion", "clinical", "combined"] {
        assert!(
            metrics.lines().any(|l| l.starts_with(&format!("{model},"))),
            "no `{model}` row in metrics.csv:\n{metrics}"
        );
    }
    // The manifest records every image and mask read (by digest), not just the tables.
    let manifest = std::fs::read_to_string(dir.join("run/manifest.json")).unwrap();
    assert!(
        manifest.contains("CT_rtstruct.dcm") && manifest.contains("MR_seg.dcm"),
        "{manifest}"
    );

    let images_cohort = "images: { manifest: my_cohort/cohort.csv, case_id: case_id }";
    let tables_cohort = "manifest: { clinical: my_cohort/cohort.csv, features: { CT: run/features/CT.parquet, \
        MR: run/features/MR.parquet, MG: run/features/MG.parquet, US: run/features/US.parquet } }";
    let mut from_tables = std::fs::read_to_string(dir.join("study.yaml"))
        .unwrap()
        .replace(images_cohort, tables_cohort);
    for modality in ["CT", "MR", "MG", "US"] {
        let params = if matches!(modality, "MG" | "US") {
            format!("{}2d", modality.to_lowercase())
        } else {
            modality.to_lowercase()
        };
        from_tables = from_tables.replace(
            &format!("{modality}: {{ extraction: params/{params}-filters.yaml }}"),
            &format!("{modality}: {{}}"),
        );
    }
    assert!(
        !from_tables.contains("{ extraction:") && from_tables.contains("run/features/US.parquet"),
        "{from_tables}"
    );
    std::fs::write(dir.join("tables.yaml"), from_tables).unwrap();
    let out = mmrad(
        &dir,
        &[
            "study",
            "run",
            "tables.yaml",
            "--out",
            "run_tables",
            "-j",
            "2",
            "--quiet",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("run_tables/metrics.csv")).unwrap(),
        metrics,
        "the study on the run's Parquet feature tables differs from the study on the images"
    );
}
