//! 2D shape features vs PyRadiomics' `baseline_shape2D.csv`.
//!
//! That baseline was computed on single-slice masks (`<case>_label_2D.nrrd`, not in the shared data) resampled onto
//! the 3D image with `correctMask`; its `diagnostics_Mask-corrected_BoundingBox` row names the slice (z = 16, 8, 9,
//! 33, 22) and `VoxelNum` its pixel count. The test rebuilds that mask as the 3D label restricted to the named slice,
//! checks the pixel count against the baseline, and compares every feature. Tolerance: rtol 1e-6.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Worst, load_case, settings_from};
use mmrad_features::{FeatureClass, FeatureClassSelection, extract};
use mmrad_testkit::baseline;

const RTOL: f64 = 1e-6;

/// `(x, y, z, sx, sy, sz)` from a PyRadiomics bounding-box string.
fn parse_box(text: &str) -> Vec<usize> {
    text.trim_matches(|c| c == '(' || c == ')').split(',').map(|t| t.trim().parse().unwrap()).collect()
}

#[test]
fn shape2d_matches_pyradiomics_baseline() {
    let b = baseline("shape2D");
    let mut worst = Worst::default();
    for case in &b.cases {
        let settings = settings_from(&b.settings(case));
        assert!(settings.force_2d && settings.correct_mask, "{case}: baseline settings");
        let (image, mut mask) = load_case(case);
        let bbox = parse_box(&b.raw(case, "diagnostics_Mask-corrected_BoundingBox").unwrap());
        let slice = bbox[2];
        for ((z, _, _), label) in mask.data.indexed_iter_mut() {
            if z != slice {
                *label = 0;
            }
        }
        let voxels: usize = b.raw(case, "diagnostics_Mask-corrected_VoxelNum").unwrap().parse().unwrap();
        assert_eq!(mask.data.iter().filter(|&&l| l == settings.label).count(), voxels, "{case}: slice {slice}");
        let result = extract(&image, &mask, &settings, &FeatureClassSelection::only(&[FeatureClass::Shape2D])).unwrap();
        assert_eq!(result.features.len(), 9, "{case}: every default shape2D feature");
        for feature in &b.features {
            let expected = b.value(case, feature).unwrap();
            let actual = result.value(feature).unwrap_or_else(|| panic!("{case}: {feature} missing"));
            worst.record(feature, case, actual, expected);
        }
    }
    assert_eq!(b.cases.len(), 5);
    eprintln!("shape2D worst relative error: {:e}", worst.max());
    assert!(worst.max() <= RTOL, "shape2D features beyond rtol {RTOL}:\n{}", worst.failures(RTOL));
}
