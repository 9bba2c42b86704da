//! 3D shape features vs PyRadiomics' `baseline_shape.csv` (brain1, brain2, breast1, lung1, lung2).
//!
//! Tolerance: rtol 1e-6 for every feature of every case, except brain1's four surface-mesh features.
//! The mesh is built from the same tables and midpoint vertices as PyRadiomics' `cshape.c`, and brain2, breast1,
//! lung1 and lung2 agree to 1e-9 on all 14 features, as do brain1's diameters, axis lengths, elongation, flatness
//! and voxel volume. brain1's MeshVolume (1.2e-4), SurfaceArea (7.9e-4), Sphericity (8.7e-4) and
//! SurfaceVolumeRatio (9.1e-4) differ: that column was produced by a development build (2.0.1b1.post11) and brain1
//! is the only case containing the cube configurations 28, 52, 60, 62, 65 and 71 (after the 0x80 flip; listed by
//! `tests/reference/features/shape_cube_configs.py`); the current PyRadiomics table rows for those configurations
//! are the ones used here. These four brain1 values are therefore checked at rtol 1e-3 (PyRadiomics' own
//! `tests/testUtils.py` `checkResult` accepts a relative difference below 3 %).
//! `_resampling` columns (B-spline resampling to 2 mm) are included.
//!
//! 2D shape vs `baseline_shape2D.csv`: that baseline was computed on single-slice masks (`<case>_label_2D.nrrd`, not
//! in the shared data) resampled onto the 3D image with `correctMask`; its `diagnostics_Mask-corrected_BoundingBox`
//! row names the slice (z = 16, 8, 9, 33, 22) and `VoxelNum` its pixel count. The test rebuilds that mask as the 3D
//! label restricted to the named slice, checks the pixel count against the baseline, and compares every feature at
//! rtol 1e-6.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Worst, load_case, settings_from};
use mmrad_features::{FeatureClass, FeatureClassSelection, extract};
use mmrad_testkit::baseline;

const RTOL: f64 = 1e-6;
const RTOL_BRAIN1_MESH: f64 = 1e-3;
const BRAIN1_MESH: [&str; 4] = [
    "original_shape_MeshVolume",
    "original_shape_SurfaceArea",
    "original_shape_Sphericity",
    "original_shape_SurfaceVolumeRatio",
];

#[test]
fn shape_matches_pyradiomics_baseline() {
    let b = baseline("shape");
    let mut strict = Worst::default();
    let mut brain1_mesh = Worst::default();
    let mut n_cases = 0;
    for case in &b.cases {
        let dict = b.settings(case);
        n_cases += 1;
        let settings = settings_from(&dict);
        let (image, mask) = load_case(case);
        let result = extract(
            &image,
            &mask,
            &settings,
            &FeatureClassSelection::only(&[FeatureClass::Shape]),
        )
        .unwrap();
        assert_eq!(result.features.len(), 14, "{case}: every default shape feature");
        for feature in &b.features {
            let expected = b.value(case, feature).unwrap();
            let actual = result
                .value(feature)
                .unwrap_or_else(|| panic!("{case}: {feature} missing"));
            if case == "brain1" && BRAIN1_MESH.contains(&feature.as_str()) {
                brain1_mesh.record(feature, case, actual, expected);
            } else {
                strict.record(feature, case, actual, expected);
            }
        }
    }
    assert_eq!(
        n_cases, 10,
        "brain1, brain2, breast1, lung1, lung2 and their _resampling columns"
    );
    eprintln!(
        "shape worst relative error: {:e} (brain1 mesh features: {:e})",
        strict.max(),
        brain1_mesh.max()
    );
    assert!(
        strict.max() <= RTOL,
        "shape features beyond rtol {RTOL}:\n{}",
        strict.failures(RTOL)
    );
    assert!(
        brain1_mesh.max() <= RTOL_BRAIN1_MESH,
        "brain1 mesh features beyond rtol {RTOL_BRAIN1_MESH}:\n{}",
        brain1_mesh.failures(RTOL_BRAIN1_MESH)
    );
}

/// `(x, y, z, sx, sy, sz)` from a PyRadiomics bounding-box string.
fn parse_box(text: &str) -> Vec<usize> {
    text.trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(|t| t.trim().parse().unwrap())
        .collect()
}

#[test]
fn shape2d_matches_pyradiomics_baseline() {
    let b = baseline("shape2D");
    let mut worst = Worst::default();
    for case in &b.cases {
        let settings = settings_from(&b.settings(case));
        assert!(
            settings.force_2d && settings.correct_mask,
            "{case}: baseline settings"
        );
        let (image, mut mask) = load_case(case);
        let bbox = parse_box(&b.raw(case, "diagnostics_Mask-corrected_BoundingBox").unwrap());
        let slice = bbox[2];
        for ((z, _, _), label) in mask.data.indexed_iter_mut() {
            if z != slice {
                *label = 0;
            }
        }
        let voxels: usize = b
            .raw(case, "diagnostics_Mask-corrected_VoxelNum")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            mask.data.iter().filter(|&&l| l == settings.label).count(),
            voxels,
            "{case}: slice {slice}"
        );
        let result = extract(
            &image,
            &mask,
            &settings,
            &FeatureClassSelection::only(&[FeatureClass::Shape2D]),
        )
        .unwrap();
        assert_eq!(result.features.len(), 9, "{case}: every default shape2D feature");
        for feature in &b.features {
            let expected = b.value(case, feature).unwrap();
            let actual = result
                .value(feature)
                .unwrap_or_else(|| panic!("{case}: {feature} missing"));
            worst.record(feature, case, actual, expected);
        }
    }
    assert_eq!(b.cases.len(), 5);
    eprintln!("shape2D worst relative error: {:e}", worst.max());
    assert!(
        worst.max() <= RTOL,
        "shape2D features beyond rtol {RTOL}:\n{}",
        worst.failures(RTOL)
    );
}
