//! Filtered image types (LoG, wavelet, square, square root, logarithm, exponential, gradient) vs PyRadiomics 3.1.0.
//!
//! References in `tests/reference/pyradiomics/` (how they were made: its README): the committed phantoms and two
//! PyRadiomics test cases (`breast1`, `lung1` from the shared data), each extracted by PyRadiomics with
//! - `b_resampled_log_wavelet.yaml`: 1 mm B-spline resampling, Original + LoG (σ 1, 3 mm) + Wavelet (coif1), and
//! - `d_pointwise_gradient_log_wavelet.yaml`: no resampling, Original + Square + SquareRoot + Logarithm +
//!   Exponential + Gradient (no spacing) + LoG (σ `1`, `2.0`) + Wavelet (haar, its own binWidth).
//!
//! Each test reads the parameter file through `mmrad-protocol`, extracts every case with
//! `mmrad_features::extract_image_types` and compares one image type: every reference value within the tolerance
//! below, no reference feature missing, no feature PyRadiomics did not produce; the worst relative error per image
//! type is printed, over all cases and over the integer-typed images alone (the mr3d phantoms are float32, which
//! SimpleITK's resampling keeps and PyWavelets transforms in float32; mmrad emulates both for the filters).
//! Tolerance: rtol 1e-6 (atol 1e-9 for values near 0), except one MCC value, asserted as it is ([`KNOWN_DEVIATIONS`]).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use mmrad_features::extract_image_types;
use mmrad_protocol::params_file::load_params;
use mmrad_testkit::repo_data;

use common::{Table, read_case, read_reference};

const RTOL: f64 = 1e-6;
/// Wavelet detail bands and LoG images cancel to values near 0, where a mean of ±1e-10 carries no relative meaning.
const ATOL: f64 = 1e-9;

/// Values that differ for a reason outside the filters, asserted as they are today: `(reference, case, feature,
/// ours / PyRadiomics)`.
///
/// FIXME (`texture::glcm` MCC): on one of the 13 angles of `breast1`'s haar HHH band the second eigenvalue of Q is 0
/// up to rounding; numpy's general eigensolver returns it ≥ 0 (its square root, ≈ 0, enters the mean over angles)
/// while mmrad's symmetric solver returns it < 0 (NaN, skipped by the nan-mean), so mmrad averages 12 angles where
/// PyRadiomics averages 13: the ratio is exactly 13/12. The filtered image is not the cause: the band's 92 other
/// features match within 1e-6.
const KNOWN_DEVIATIONS: [(&str, &str, &str, f64); 1] =
    [(REAL_D.csv, "breast1", "wavelet-HHH_glcm_MCC", 13.0 / 12.0)];

struct Reference {
    params: &'static str,
    csv: &'static str,
}

const PHANTOMS_B: Reference = Reference {
    params: "params/b_resampled_log_wavelet.yaml",
    csv: "tests/reference/pyradiomics/phantoms_b_resampled_log_wavelet.csv",
};
const PHANTOMS_D: Reference = Reference {
    params: "params/d_pointwise_gradient_log_wavelet.yaml",
    csv: "tests/reference/pyradiomics/phantoms_d_pointwise_gradient_log_wavelet.csv",
};
const REAL_B: Reference = Reference {
    params: "params/b_resampled_log_wavelet.yaml",
    csv: "tests/reference/pyradiomics/real_b_resampled_log_wavelet.csv",
};
const REAL_D: Reference = Reference {
    params: "params/d_pointwise_gradient_log_wavelet.yaml",
    csv: "tests/reference/pyradiomics/real_d_pointwise_gradient_log_wavelet.csv",
};

type Ours = BTreeMap<String, Result<BTreeMap<String, f64>, String>>;

/// Whether a phantom's image is stored as float32 (its `meta.json`); the PyRadiomics cases are int16.
fn is_float32(case: &str) -> bool {
    std::fs::read_to_string(repo_data(&format!("phantoms/{case}/meta.json")))
        .is_ok_and(|meta| meta.contains("\"dtype\": \"float32\""))
}

fn extract_all(reference: &Reference, table: &Table) -> Ours {
    let params = load_params(&repo_data(reference.params), &[]).unwrap();
    table
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
        .collect()
}

fn data(reference: &Reference) -> &'static (Table, Ours) {
    static CELLS: [OnceLock<(Table, Ours)>; 4] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let idx = [PHANTOMS_B.csv, PHANTOMS_D.csv, REAL_B.csv, REAL_D.csv]
        .iter()
        .position(|c| *c == reference.csv)
        .unwrap();
    CELLS[idx].get_or_init(|| {
        let table = read_reference(reference.csv);
        let ours = extract_all(reference, &table);
        (table, ours)
    })
}

/// Compares the features whose name starts with `prefix` (an image type name such as `log-sigma-1-0-mm-3D_`, or a
/// family such as `wavelet-`); panics listing every problem.
fn check(reference: &Reference, prefix: &str, rtol: f64) {
    let (table, ours) = data(reference);
    let mut problems = Vec::new();
    let mut worst = (0.0_f64, String::new());
    let mut worst_integer = (0.0_f64, String::new());
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
            if let Some(&(_, _, _, ratio)) = KNOWN_DEVIATIONS
                .iter()
                .find(|(r, c, n, _)| *r == reference.csv && c == case && n == name)
            {
                if (got / want - ratio).abs() > 1e-6 {
                    problems.push(format!(
                        "{case}: {name} = {got}, PyRadiomics {want}: expected ratio {ratio}"
                    ));
                }
                continue;
            }
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
            if !is_float32(case) && (rel.is_nan() || rel > worst_integer.0) {
                worst_integer = (
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
        for name in actual_row.keys().filter(|n| n.starts_with(prefix)) {
            if !expected_row.contains_key(name) {
                problems.push(format!(
                    "{case}: {name} computed, but PyRadiomics does not compute it for this case"
                ));
            }
        }
    }
    eprintln!(
        "{} {prefix}: {compared} values compared, worst relative error {:.3e} ({}); integer images only: {:.3e} ({})",
        reference.csv, worst.0, worst.1, worst_integer.0, worst_integer.1
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
fn phantoms_b_original_and_shape() {
    check(&PHANTOMS_B, "original_", RTOL);
}

#[test]
fn phantoms_b_log() {
    check(&PHANTOMS_B, "log-sigma-", RTOL);
}

#[test]
fn phantoms_b_wavelet() {
    check(&PHANTOMS_B, "wavelet-", RTOL);
}

#[test]
fn phantoms_d_original_and_shape() {
    check(&PHANTOMS_D, "original_", RTOL);
}

#[test]
fn phantoms_d_square() {
    check(&PHANTOMS_D, "square_", RTOL);
}

#[test]
fn phantoms_d_squareroot() {
    check(&PHANTOMS_D, "squareroot_", RTOL);
}

#[test]
fn phantoms_d_logarithm() {
    check(&PHANTOMS_D, "logarithm_", RTOL);
}

#[test]
fn phantoms_d_exponential() {
    check(&PHANTOMS_D, "exponential_", RTOL);
}

#[test]
fn phantoms_d_gradient() {
    check(&PHANTOMS_D, "gradient_", RTOL);
}

#[test]
fn phantoms_d_log() {
    check(&PHANTOMS_D, "log-sigma-", RTOL);
}

#[test]
fn phantoms_d_wavelet() {
    check(&PHANTOMS_D, "wavelet-", RTOL);
}

#[test]
fn real_b_every_image_type() {
    for prefix in ["original_", "log-sigma-", "wavelet-"] {
        check(&REAL_B, prefix, RTOL);
    }
}

#[test]
fn real_d_every_image_type() {
    for prefix in [
        "original_",
        "square_",
        "squareroot_",
        "logarithm_",
        "exponential_",
        "gradient_",
        "log-sigma-",
        "wavelet-",
    ] {
        check(&REAL_D, prefix, RTOL);
    }
}

#[test]
fn every_reference_column_belongs_to_a_checked_image_type() {
    for reference in [&PHANTOMS_B, &PHANTOMS_D, &REAL_B, &REAL_D] {
        let (table, _) = data(reference);
        for row in table.values() {
            for name in row.keys() {
                assert!(
                    [
                        "original_",
                        "square_",
                        "squareroot_",
                        "logarithm_",
                        "exponential_",
                        "gradient_",
                        "log-sigma-",
                        "wavelet-"
                    ]
                    .iter()
                    .any(|p| name.starts_with(p)),
                    "{}: unchecked column {name}",
                    reference.csv
                );
            }
        }
    }
}
