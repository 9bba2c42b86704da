//! Committed phantoms (`tests/data/phantoms/`) vs PyRadiomics 3.1.0 reference CSVs (`tests/reference/pyradiomics/`).
//!
//! Each test reads one of the two parameter files the references were made with, through `mmrad-protocol`'s
//! PyRadiomics parameter-file reader, extracts every phantom with `mmrad_io` + `mmrad_features::extract`, and compares
//! one feature class per test: every reference value within rtol 1e-6 (atol 1e-12 for values near 0), no reference
//! feature missing, no feature that PyRadiomics did not produce. How the references were made:
//! `tests/reference/pyradiomics/README.md`. True 2D inputs (the us2d and mg2d phantoms, 2D NRRD files) are compared like
//! the others: PyRadiomics keeps them 2D (shape2D without force2D, no 3D shape; `force2Ddimension` indexing the
//! (y, x) array), and so does `mmrad_features::extract` through `Geometry::ndim`.
//!
//! Mesh-based shape features (surface area, mesh volume, sphericity, maximum diameters; perimeter and mesh surface
//! in 2D) are held to the same rtol 1e-6: measured worst relative error on these phantoms is 1e-13, so the 1e-4
//! allowance the issue grants for mesh features is not needed here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use mmrad_features::extract;
use mmrad_protocol::params_file::load_params;
use mmrad_testkit::repo_data;

use common::{Table, read_reference};

const RTOL: f64 = 1e-6;
const ATOL: f64 = 1e-12;

/// One reference file: the params it was made with and its table.
struct Reference {
    params: &'static str,
    csv: &'static str,
}

const A: Reference = Reference {
    params: "params/a_original_all.yaml",
    csv: "tests/reference/pyradiomics/phantoms_a_original_all.csv",
};
const C: Reference = Reference {
    params: "params/c_force2d_shape2d.yaml",
    csv: "tests/reference/pyradiomics/phantoms_c_force2d_shape2d.csv",
};

/// Our features for every reference case (`Err` = the extraction failed), computed once per reference file.
type Ours = BTreeMap<String, Result<BTreeMap<String, f64>, String>>;

fn extract_all(reference: &Reference, table: &Table) -> Ours {
    let params = load_params(&repo_data(reference.params), &[]).unwrap();
    table
        .keys()
        .map(|case| {
            let dir: PathBuf = repo_data(&format!("phantoms/{case}"));
            let result = (|| {
                let image = mmrad_io::read_image(&dir.join("image.nrrd")).map_err(|e| e.to_string())?;
                let mask = mmrad_io::read_label_map(&dir.join("mask.nrrd")).map_err(|e| e.to_string())?;
                let extraction =
                    extract(&image, &mask, &params.settings, &params.classes).map_err(|e| e.to_string())?;
                Ok(extraction.features.into_iter().collect::<BTreeMap<_, _>>())
            })();
            (case.clone(), result)
        })
        .collect()
}

fn data(reference: &Reference) -> &'static (Table, Ours) {
    static A_DATA: OnceLock<(Table, Ours)> = OnceLock::new();
    static C_DATA: OnceLock<(Table, Ours)> = OnceLock::new();
    let cell = if reference.csv == A.csv { &A_DATA } else { &C_DATA };
    cell.get_or_init(|| {
        let table = read_reference(reference.csv);
        let ours = extract_all(reference, &table);
        (table, ours)
    })
}

/// Whether the phantom is a true 2D image (its `meta.json` says `"ndim": 2`).
fn is_2d(case: &str) -> bool {
    let meta = std::fs::read_to_string(repo_data(&format!("phantoms/{case}/meta.json"))).unwrap();
    meta.contains("\"ndim\": 2")
}

/// Compares one class (`original_<class>_`) of one reference; panics listing every problem.
fn check(reference: &Reference, class: &str) {
    let problems = compare(reference, class);
    assert!(
        problems.is_empty(),
        "{} {class}: {} problem(s):\n{}",
        reference.params,
        problems.len(),
        problems.join("\n")
    );
}

/// The problems of one class over the cases `include` accepts, with the worst relative error printed.
fn compare(reference: &Reference, class: &str) -> Vec<String> {
    let (table, ours) = data(reference);
    let prefix = format!("original_{class}_");
    let mut problems = Vec::new();
    let mut worst = (0.0_f64, String::new());
    let mut compared = 0;
    for (case, expected_row) in table {
        let expected: Vec<(&String, &f64)> = expected_row
            .iter()
            .filter(|(n, _)| n.starts_with(&prefix))
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
            let rtol = RTOL;
            let rel = if got == want || (got.is_nan() && want.is_nan()) {
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
            if !mmrad_testkit::close(got, want, rtol, ATOL) {
                problems.push(format!(
                    "{case}: {name} = {got}, PyRadiomics {want} (rel {rel:.2e}, rtol {rtol:e})"
                ));
            }
        }
        for name in actual_row.keys().filter(|n| n.starts_with(&prefix)) {
            if !expected_row.contains_key(name) {
                problems.push(format!(
                    "{case}: {name} computed, but PyRadiomics does not compute it for this case"
                ));
            }
        }
    }
    eprintln!(
        "{} {class}: {compared} values compared, worst relative error {:.3e} ({})",
        reference.params, worst.0, worst.1
    );
    problems
}

#[test]
fn readers_keep_two_dimensional_phantoms_two_dimensional() {
    let (table, _) = data(&A);
    let mut n_2d = 0;
    for case in table.keys() {
        let dir: PathBuf = repo_data(&format!("phantoms/{case}"));
        let image = mmrad_io::read_image(&dir.join("image.nrrd")).unwrap();
        let mask = mmrad_io::read_label_map(&dir.join("mask.nrrd")).unwrap();
        let want = if is_2d(case) { 2 } else { 3 };
        n_2d += usize::from(want == 2);
        assert_eq!(image.geometry.ndim, want, "{case} image");
        assert_eq!(mask.geometry.ndim, want, "{case} mask");
    }
    assert!(n_2d > 0, "no 2D phantom among the references");
}

#[test]
fn references_cover_every_committed_phantom() {
    let (table, _) = data(&A);
    let mut on_disk: Vec<String> = std::fs::read_dir(repo_data("phantoms"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    assert_eq!(table.keys().cloned().collect::<Vec<_>>(), on_disk);
    let (table_c, _) = data(&C);
    assert!(
        table_c.len() >= 6,
        "force2D reference holds the 2D and single-slice phantoms"
    );
}

#[test]
fn a_firstorder() {
    check(&A, "firstorder");
}

#[test]
fn a_shape() {
    check(&A, "shape");
}

#[test]
fn a_shape2d() {
    check(&A, "shape2D");
}

#[test]
fn a_glcm() {
    check(&A, "glcm");
}

#[test]
fn a_glrlm() {
    check(&A, "glrlm");
}

#[test]
fn a_glszm() {
    check(&A, "glszm");
}

#[test]
fn a_gldm() {
    check(&A, "gldm");
}

#[test]
fn a_ngtdm() {
    check(&A, "ngtdm");
}

#[test]
fn c_force2d_firstorder() {
    check(&C, "firstorder");
}

#[test]
fn c_force2d_shape2d() {
    check(&C, "shape2D");
}

#[test]
fn c_force2d_glcm() {
    check(&C, "glcm");
}

#[test]
fn c_force2d_glrlm() {
    check(&C, "glrlm");
}

#[test]
fn c_force2d_glszm() {
    check(&C, "glszm");
}

#[test]
fn c_force2d_gldm() {
    check(&C, "gldm");
}

#[test]
fn c_force2d_ngtdm() {
    check(&C, "ngtdm");
}
