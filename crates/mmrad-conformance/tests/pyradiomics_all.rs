//! Full extraction (`FeatureClassSelection::all()`) vs every PyRadiomics baseline table at once.
//!
//! For each test case column (brain1, brain2, breast1, lung1, lung2 and the `_2d`, `_FBN`, `_combined`,
//! `_flatRegion`, `_normalization`, `_resampling`, `_resegmentation` variants) the settings are read from the
//! baselines (they must agree between tables), one extraction computes every class, and each class table's features
//! are compared. Tolerance: rtol 1e-6, except the four brain1 surface-mesh shape features (rtol 1e-3, reason in
//! `pyradiomics_shape.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::{Worst, load_case, settings_from};
use mmrad_features::{FeatureClassSelection, extract};
use mmrad_testkit::{Baseline, baseline};

const RTOL: f64 = 1e-6;
const RTOL_BRAIN1_MESH: f64 = 1e-3;
const DIAGNOSTICS: &[&str] = &[
    "diagnostics_Image-original_Spacing",
    "diagnostics_Image-original_Size",
    "diagnostics_Image-original_Mean",
    "diagnostics_Image-original_Minimum",
    "diagnostics_Image-original_Maximum",
    "diagnostics_Mask-original_Spacing",
    "diagnostics_Mask-original_Size",
    "diagnostics_Mask-original_BoundingBox",
    "diagnostics_Mask-original_VoxelNum",
    "diagnostics_Mask-interpolated_BoundingBox",
    "diagnostics_Mask-interpolated_VoxelNum",
    "diagnostics_Mask-resegmented_BoundingBox",
    "diagnostics_Mask-resegmented_VoxelNum",
];
const CLASSES: [&str; 7] = ["firstorder", "shape", "glcm", "glrlm", "glszm", "gldm", "ngtdm"];

#[test]
fn full_extraction_matches_every_baseline() {
    let tables: Vec<(&str, Baseline)> = CLASSES.iter().map(|c| (*c, baseline(c))).collect();
    // case -> (settings dict, tables holding the case)
    let mut cases: BTreeMap<String, (BTreeMap<String, String>, Vec<usize>)> = BTreeMap::new();
    for (index, (class, table)) in tables.iter().enumerate() {
        for case in &table.cases {
            let dict = table.settings(case);
            let entry = cases
                .entry(case.clone())
                .or_insert_with(|| (dict.clone(), Vec::new()));
            assert_eq!(
                settings_from(&entry.0),
                settings_from(&dict),
                "{case}: settings differ between baseline tables ({class})"
            );
            entry.1.push(index);
        }
    }
    assert_eq!(
        cases.len(),
        40,
        "5 images × 8 variants (original, 2d, FBN, combined, flatRegion, normalization, resampling, resegmentation)"
    );
    let mut worst = Worst::default();
    let mut brain1_mesh = Worst::default();
    let mut per_class: BTreeMap<&str, Worst> = BTreeMap::new();
    let mut n_diagnostics = 0;
    for (case, (dict, table_indices)) in &cases {
        let settings = settings_from(dict);
        let (image, mask) = load_case(case);
        let result = extract(&image, &mask, &settings, &FeatureClassSelection::all())
            .unwrap_or_else(|e| panic!("{case}: extraction failed: {e}"));
        // Diagnostics: exact strings (Python reprs); image mean/min/max as numbers to 1e-12 (the repr depends on the
        // stored pixel type, `0` for int16 and `0.0` for float).
        for &index in table_indices {
            let (_, table) = &tables[index];
            for key in DIAGNOSTICS {
                let Some(expected) = table.raw(case, key).filter(|v| !v.is_empty()) else {
                    continue;
                };
                let actual = result
                    .diagnostics
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone());
                let actual = actual.unwrap_or_else(|| panic!("{case}: {key} missing"));
                if key.ends_with("_Mean") || key.ends_with("_Minimum") || key.ends_with("_Maximum") {
                    let (a, e): (f64, f64) = (actual.parse().unwrap(), expected.parse().unwrap());
                    assert!(
                        (a - e).abs() <= 1e-12 * e.abs(),
                        "{case} {key}: {actual} vs {expected}"
                    );
                } else {
                    assert_eq!(actual, expected, "{case} {key}");
                }
                n_diagnostics += 1;
            }
        }
        for &index in table_indices {
            let (class, table) = &tables[index];
            for feature in &table.features {
                let Some(expected) = table.value(case, feature) else {
                    continue;
                };
                let actual = result
                    .value(feature)
                    .unwrap_or_else(|| panic!("{case}: {feature} missing"));
                let brain1_mesh_feature = case == "brain1"
                    && matches!(
                        feature.as_str(),
                        "original_shape_MeshVolume"
                            | "original_shape_SurfaceArea"
                            | "original_shape_Sphericity"
                            | "original_shape_SurfaceVolumeRatio"
                    );
                if brain1_mesh_feature {
                    brain1_mesh.record(feature, case, actual, expected);
                } else {
                    worst.record(feature, case, actual, expected);
                    per_class
                        .entry(class)
                        .or_default()
                        .record(feature, case, actual, expected);
                }
            }
        }
    }
    for (class, w) in &per_class {
        eprintln!(
            "{class}: worst relative error {:e} over {} values",
            w.max(),
            w.entries.len()
        );
    }
    eprintln!("{n_diagnostics} diagnostics entries matched");
    assert!(n_diagnostics > 500, "diagnostics compared: {n_diagnostics}");
    assert!(
        worst.max() <= RTOL,
        "features beyond rtol {RTOL}:\n{}",
        worst.failures(RTOL)
    );
    assert!(
        brain1_mesh.max() <= RTOL_BRAIN1_MESH,
        "{}",
        brain1_mesh.failures(RTOL_BRAIN1_MESH)
    );
}
