//! Numerical robustness of `mmrad extract` on degenerate ROIs (`tests/data/degenerate/`, made by
//! `tests/reference/pyradiomics/degenerate_cases.py`): a constant ROI, two grey levels, values of 1e-30, a 2D ROI in a
//! 3D image, an int32 range of ±2e9 and float32 extremes (±3e38) give PyRadiomics 3.1.0's values (rtol 1e-6, NaN where
//! it gives NaN); where PyRadiomics raises (single voxel, a 1D ROI, 1.6e8 fixed-width bins) mmrad exits 1 with a
//! message naming the case and the rule. Two documented departures: float32 extremes with `binCount` overflow
//! PyRadiomics' float32 arithmetic (IndexError) while mmrad discretises in f64 and equals PyRadiomics on a float64 copy
//! of the same values; a NaN inside the ROI is an error in mmrad, where PyRadiomics silently puts it in the top bin.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use mmrad_testkit::workspace_root;

const RTOL: f64 = 1e-6;
const ATOL: f64 = 1e-12;

fn case_dir(case: &str) -> PathBuf {
    workspace_root().join("tests/data/degenerate").join(case)
}

fn params(name: &str) -> PathBuf {
    workspace_root().join("tests/data/params").join(name)
}

/// `case -> feature -> value` of a PyRadiomics reference CSV.
fn reference(name: &str) -> BTreeMap<String, BTreeMap<String, f64>> {
    let path = workspace_root().join("tests/reference/pyradiomics").join(name);
    rows(&std::fs::read_to_string(&path).unwrap())
}

fn rows(text: &str) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut out = BTreeMap::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len(), "ragged row");
        let row: BTreeMap<String, f64> = header
            .iter()
            .zip(&cells)
            .skip(1)
            .filter_map(|(h, c)| c.parse::<f64>().ok().map(|v| ((*h).to_owned(), v)))
            .collect();
        out.insert(cells[0].to_owned(), row);
    }
    out
}

/// Runs `mmrad extract` on a degenerate case; Ok(features) or Err((exit code, stderr)).
fn extract(case: &str, params_file: &str) -> Result<BTreeMap<String, f64>, (Option<i32>, String)> {
    let dir = case_dir(case);
    let output = Command::new(env!("CARGO_BIN_EXE_mmrad"))
        .arg("extract")
        .arg(dir.join("image.nrrd"))
        .arg(dir.join("mask.nrrd"))
        .arg("-p")
        .arg(params(params_file))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stderr.contains("panicked") && output.status.code() != Some(101),
        "{case}: {stderr}"
    );
    if !output.status.success() {
        return Err((output.status.code(), stderr));
    }
    // `name,value` rows: diagnostics (whose values may be quoted lists), then the `original_*` features.
    let stdout = String::from_utf8_lossy(&output.stdout);
    Ok(stdout
        .lines()
        .filter(|l| l.starts_with("original_"))
        .map(|l| {
            let (name, value) = l.split_once(',').unwrap();
            (name.to_owned(), value.parse::<f64>().unwrap_or(f64::NAN))
        })
        .collect())
}

fn compare(label: &str, ours: &BTreeMap<String, f64>, want: &BTreeMap<String, f64>) -> Vec<String> {
    let mut bad = Vec::new();
    for (name, &expected) in want {
        match ours.get(name) {
            None => bad.push(format!("{label}: {name} missing")),
            Some(&got) => {
                let same = (got.is_nan() && expected.is_nan())
                    || (got - expected).abs() <= ATOL + RTOL * expected.abs();
                if !same {
                    bad.push(format!("{label}: {name} = {got}, PyRadiomics {expected}"));
                }
            }
        }
    }
    let extra: Vec<&String> = ours.keys().filter(|k| !want.contains_key(*k)).collect();
    if !extra.is_empty() {
        bad.push(format!("{label}: features PyRadiomics does not give: {extra:?}"));
    }
    bad
}

#[test]
fn degenerate_rois_give_pyradiomics_values_or_clear_errors() {
    let mut bad = Vec::new();
    for (params_file, csv, cases) in [
        (
            "a_original_all.yaml",
            "degenerate_a_original_all.csv",
            &["constant_roi", "two_levels", "tiny_values", "flat_roi"][..],
        ),
        (
            "a_original_bincount32.yaml",
            "degenerate_a_bincount32.csv",
            &[
                "constant_roi",
                "two_levels",
                "tiny_values",
                "flat_roi",
                "huge_range",
            ],
        ),
        (
            "a_original_bincount32.yaml",
            "degenerate_float64_copy_bincount32.csv",
            &["float32_extreme"],
        ),
    ] {
        let want = reference(csv);
        for case in cases {
            let label = format!("{case} ({params_file})");
            let want = want.get(*case).unwrap_or_else(|| panic!("{csv} has no `{case}`"));
            assert!(want.len() >= 100, "{label}: {} reference features", want.len());
            match extract(case, params_file) {
                Ok(ours) => bad.extend(compare(&label, &ours, want)),
                Err((_, stderr)) => bad.push(format!("{label}: failed: {stderr}")),
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn rois_pyradiomics_rejects_are_clear_errors() {
    // (case, params, what the message must say). PyRadiomics' own errors are in the reference timing JSONs.
    for (case, params_file, expected) in [
        ("single_voxel", "a_original_all.yaml", "single voxel"),
        ("line_roi", "a_original_all.yaml", "minimumROIDimensions"),
        ("single_voxel", "a_original_bincount32.yaml", "single voxel"),
        ("line_roi", "a_original_bincount32.yaml", "minimumROIDimensions"),
        ("huge_range", "a_original_all.yaml", "binWidth"),
        ("float32_extreme", "a_original_all.yaml", "binWidth"),
        ("nan_in_roi", "a_original_all.yaml", "non-finite"),
        ("nan_in_roi", "a_original_bincount32.yaml", "non-finite"),
    ] {
        let Err((code, stderr)) = extract(case, params_file) else {
            panic!("{case} ({params_file}) was extracted; expected an error about {expected}");
        };
        assert_eq!(code, Some(1), "{case}: {stderr}");
        assert!(
            stderr.starts_with("error: ")
                && stderr.contains(expected)
                && stderr.contains(case)
                && stderr.contains("\n  help: "),
            "{case} ({params_file}): expected `{expected}`, the case's path and a help line in: {stderr}"
        );
    }
    // The reference side of the list above: PyRadiomics raised on exactly these cases.
    for (timing, cases) in [
        (
            "degenerate_a_original_all.timing.json",
            &["float32_extreme", "huge_range", "line_roi", "single_voxel"][..],
        ),
        (
            "degenerate_a_bincount32.timing.json",
            &["float32_extreme", "line_roi", "nan_in_roi", "single_voxel"],
        ),
    ] {
        let text = std::fs::read_to_string(workspace_root().join("tests/reference/pyradiomics").join(timing))
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<&String> = json["errors"].as_object().unwrap().keys().collect();
        assert_eq!(errors, cases.to_vec(), "{timing}");
    }
}
