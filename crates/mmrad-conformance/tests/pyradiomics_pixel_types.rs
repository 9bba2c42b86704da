//! The file's pixel type vs PyRadiomics 3.1.0: the same CT stored as float32 (integer values), uint16 and scaled
//! int16 NIfTI (SimpleITK reads float32) gives PyRadiomics' values for that type.
//!
//! SimpleITK's resampling casts to the input pixel type and PyWavelets transforms a float32 image in float32, so a
//! float32 file holding whole numbers is *not* resampled like an int16 one (truncation) and a uint16 file clamps
//! B-spline undershoot at 0. mmrad reads the pixel type from the file (`Volume::pixel_type`). Cases:
//! `tests/data/pixeltypes/` (built by `tests/reference/pyradiomics/pixel_types.py` from the phantom
//! `s1_c000_ct3d`); references: `tests/reference/pyradiomics/pixeltypes_{b,d}_*.csv`, PyRadiomics with parameter
//! files b (1 mm B-spline resampling + LoG + wavelet) and d (no resampling; pointwise filters, gradient, LoG, haar
//! wavelet). Tolerance as in `pyradiomics_filters.rs`: rtol 1e-6, atol 1e-9.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use mmrad_core::{LabelMap, Volume};
use mmrad_features::extract_image_types;
use mmrad_protocol::params_file::load_params;
use mmrad_testkit::repo_data;

use common::read_reference;

const RTOL: f64 = 1e-6;
const ATOL: f64 = 1e-9;

fn read_case(case: &str) -> (Volume, LabelMap) {
    let dir = repo_data(&format!("pixeltypes/{case}"));
    let ext = if dir.join("image.nrrd").is_file() {
        "nrrd"
    } else {
        "nii.gz"
    };
    let image = mmrad_io::read_image(&dir.join(format!("image.{ext}"))).unwrap();
    let mask = mmrad_io::read_label_map(&dir.join(format!("mask.{ext}"))).unwrap();
    (image, mask)
}

/// Compares every reference value of `csv` with mmrad's extraction using `params`; with `forget_type`, the image's
/// pixel type is dropped first (mmrad then infers one from the values). Returns the values out of tolerance and the
/// worst relative error.
fn compare(params: &str, csv: &str, forget_type: bool) -> (Vec<String>, f64) {
    let params = load_params(&repo_data(params), &[]).unwrap();
    let table = read_reference(csv);
    assert_eq!(table.len(), 3, "{csv}: three cases");
    let mut problems = Vec::new();
    let mut worst = 0.0_f64;
    for (case, expected) in &table {
        let (mut image, mask) = read_case(case);
        assert!(
            image.pixel_type.is_some(),
            "{case}: the reader records the pixel type"
        );
        if forget_type {
            image.pixel_type = None;
        }
        let ours: BTreeMap<String, f64> = extract_image_types(
            &image,
            &mask,
            &params.settings,
            &params.image_type_specs,
            &params.classes,
        )
        .unwrap()
        .features
        .into_iter()
        .collect();
        for (name, &want) in expected {
            let Some(&got) = ours.get(name) else {
                problems.push(format!("{case}: {name} missing"));
                continue;
            };
            if !(got.is_nan() && want.is_nan()) && (got - want).abs() > ATOL {
                worst = worst.max((got - want).abs() / want.abs().max(got.abs()));
            }
            if !mmrad_testkit::close(got, want, RTOL, ATOL) {
                problems.push(format!("{case}: {name} = {got}, PyRadiomics {want}"));
            }
        }
    }
    (problems, worst)
}

/// `sensitive`: the cases whose values depend on the pixel type under these parameters (uint16 without resampling
/// is transformed like the int16 it is inferred as).
fn check(params: &str, csv: &str, sensitive: &[&str]) {
    let (problems, worst) = compare(params, csv, false);
    eprintln!("{csv}: worst relative error {worst:.3e}");
    assert!(
        problems.is_empty(),
        "{csv}: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    // The cases exercise the pixel type: inferring it from the values (all whole numbers) misses PyRadiomics.
    let (inferred, _) = compare(params, csv, true);
    for case in sensitive {
        let missed = inferred
            .iter()
            .filter(|p| p.starts_with(&format!("{case}:")))
            .count();
        eprintln!("{csv}: {case} with an inferred pixel type: {missed} value(s) out of tolerance");
        assert!(missed > 0, "{csv}: {case}: the pixel type made no difference");
    }
}

#[test]
fn resampled_log_wavelet_follow_the_stored_pixel_type() {
    check(
        "params/b_resampled_log_wavelet.yaml",
        "tests/reference/pyradiomics/pixeltypes_b_resampled_log_wavelet.csv",
        &["ct_float32", "ct_uint16", "ct_scaled_nifti"],
    );
}

#[test]
fn pointwise_gradient_log_wavelet_follow_the_stored_pixel_type() {
    check(
        "params/d_pointwise_gradient_log_wavelet.yaml",
        "tests/reference/pyradiomics/pixeltypes_d_pointwise_gradient_log_wavelet.csv",
        &["ct_float32", "ct_scaled_nifti"],
    );
}
