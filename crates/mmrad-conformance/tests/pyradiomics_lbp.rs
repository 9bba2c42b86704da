//! The local binary pattern image types (`LBP2D`, `LBP3D`) vs PyRadiomics 3.1.0.
//!
//! References in `tests/reference/pyradiomics/` (made by `lbp_refs.sh` there: PyRadiomics 3.1.0 with scikit-image
//! 0.25.2, trimesh 4.5.3 and scipy 1.16.3): the committed phantoms and PyRadiomics' test cases `breast1` and `lung1`
//! from the shared data, each extracted with
//! - `e_lbp.yaml`: no resampling, LBP2D and LBP3D with PyRadiomics' defaults (every phantom, 2D ones included, and
//!   `breast1`), and
//! - `f_lbp_resampled_settings.yaml`: 1 mm B-spline resampling, force2D along numpy axis 1, every LBP setting off its
//!   default (lbp2DRadius 1.5, 9 samples, method `default`; lbp3DLevels 3, radius 1.5, subdivision 2) (the 3D
//!   phantoms, `breast1` and `lung1`).
//!
//! Each test reads the parameter file through `mmrad-protocol`, extracts every case with
//! `mmrad_features::extract_image_types` and compares one image type: every reference value within rtol 1e-6 (atol
//! 1e-9 near 0), no reference feature missing, no feature PyRadiomics did not produce. The filters themselves agree
//! with PyRadiomics voxel by voxel to 1e-12 (`crates/mmrad-image/tests/lbp.rs`), so no looser tolerance is needed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use mmrad_features::extract_image_types;
use mmrad_protocol::params_file::load_params;
use mmrad_testkit::repo_data;

use common::{Table, read_case, read_reference};

const RTOL: f64 = 1e-6;
const ATOL: f64 = 1e-9;

struct Reference {
    params: &'static str,
    csv: &'static str,
}

const REFERENCES: [Reference; 4] = [
    Reference {
        params: "params/e_lbp.yaml",
        csv: "tests/reference/pyradiomics/phantoms_e_lbp.csv",
    },
    Reference {
        params: "params/e_lbp.yaml",
        csv: "tests/reference/pyradiomics/real_e_lbp.csv",
    },
    Reference {
        params: "params/f_lbp_resampled_settings.yaml",
        csv: "tests/reference/pyradiomics/phantoms_f_lbp_resampled_settings.csv",
    },
    Reference {
        params: "params/f_lbp_resampled_settings.yaml",
        csv: "tests/reference/pyradiomics/real_f_lbp_resampled_settings.csv",
    },
];

/// The image types the references hold (every column starts with one of these).
const PREFIXES: [&str; 5] = ["lbp-2D_", "lbp-3D-m1_", "lbp-3D-m2_", "lbp-3D-m3_", "lbp-3D-k_"];

type Ours = BTreeMap<String, Result<BTreeMap<String, f64>, String>>;

fn data(idx: usize) -> &'static (Table, Ours) {
    static CELLS: [OnceLock<(Table, Ours)>; 4] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];
    CELLS[idx].get_or_init(|| {
        let reference = &REFERENCES[idx];
        let table = read_reference(reference.csv);
        let params = load_params(&repo_data(reference.params), &[]).unwrap();
        let ours = table
            .keys()
            .map(|case| {
                let (image, mask) = read_case(case);
                let result = extract_image_types(
                    &image,
                    &mask,
                    &params.settings,
                    &params.image_type_specs,
                    &params.classes,
                )
                .map(|e| e.features.into_iter().collect::<BTreeMap<_, _>>())
                .map_err(|e| e.to_string());
                (case.clone(), result)
            })
            .collect();
        (table, ours)
    })
}

/// Compares the features whose name starts with `prefix`; panics listing every problem.
fn check(idx: usize, prefix: &str) {
    let reference = &REFERENCES[idx];
    let (table, ours) = data(idx);
    let mut problems = Vec::new();
    let mut worst = (0.0_f64, String::new());
    let mut compared = 0;
    for (case, expected_row) in table {
        let expected: Vec<(&String, &f64)> = expected_row
            .iter()
            .filter(|(n, _)| n.starts_with(prefix))
            .collect();
        let actual_row = match &ours[case] {
            Ok(row) => row,
            Err(error) => {
                if !expected.is_empty() {
                    problems.push(format!("{case}: extraction failed: {error}"));
                }
                continue;
            }
        };
        for &(name, &want) in &expected {
            let Some(&got) = actual_row.get(name) else {
                problems.push(format!("{case}: {name} missing (PyRadiomics: {want})"));
                continue;
            };
            compared += 1;
            let rel = if got == want || (got.is_nan() && want.is_nan()) || (got - want).abs() <= ATOL {
                0.0
            } else {
                (got - want).abs() / want.abs().max(got.abs())
            };
            if rel.is_nan() || rel > worst.0 {
                worst = (
                    if rel.is_nan() { f64::INFINITY } else { rel },
                    format!("{case} {name}"),
                );
            }
            if !mmrad_testkit::close(got, want, RTOL, ATOL) {
                problems.push(format!(
                    "{case}: {name} = {got}, PyRadiomics {want} (rel {rel:.2e})"
                ));
            }
        }
        for name in actual_row.keys().filter(|n| n.starts_with(prefix)) {
            if !expected_row.contains_key(name) {
                problems.push(format!(
                    "{case}: {name} computed, but PyRadiomics does not compute it for this case"
                ));
            }
        }
    }
    eprintln!(
        "{} {prefix}: {compared} values compared, worst relative error {:.3e} ({})",
        reference.csv, worst.0, worst.1
    );
    assert!(compared > 0, "{} {prefix}: nothing compared", reference.csv);
    assert!(
        problems.is_empty(),
        "{} {prefix}: {} problem(s):\n{}",
        reference.csv,
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn phantoms_e_lbp_2d() {
    check(0, "lbp-2D_");
}

#[test]
fn phantoms_e_lbp_3d() {
    for prefix in ["lbp-3D-m1_", "lbp-3D-m2_", "lbp-3D-k_"] {
        check(0, prefix);
    }
}

#[test]
fn real_e_every_lbp_image() {
    for prefix in ["lbp-2D_", "lbp-3D-m1_", "lbp-3D-m2_", "lbp-3D-k_"] {
        check(1, prefix);
    }
}

#[test]
fn phantoms_f_lbp_2d() {
    check(2, "lbp-2D_");
}

#[test]
fn phantoms_f_lbp_3d() {
    for prefix in ["lbp-3D-m1_", "lbp-3D-m2_", "lbp-3D-m3_", "lbp-3D-k_"] {
        check(2, prefix);
    }
}

#[test]
fn real_f_every_lbp_image() {
    for prefix in ["lbp-2D_", "lbp-3D-m1_", "lbp-3D-m2_", "lbp-3D-m3_", "lbp-3D-k_"] {
        check(3, prefix);
    }
}

#[test]
fn every_reference_column_belongs_to_a_checked_image_type() {
    for reference in &REFERENCES {
        let table = read_reference(reference.csv);
        for row in table.values() {
            for name in row.keys() {
                assert!(
                    PREFIXES.iter().any(|p| name.starts_with(p)),
                    "{}: unchecked column {name}",
                    reference.csv
                );
            }
        }
    }
}
