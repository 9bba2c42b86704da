//! First-order features vs PyRadiomics' `baseline_firstorder.csv` (every case whose settings mmrad supports).
//!
//! Tolerance: rtol 1e-6 on every feature, `_resampling` cases (B-spline resampling to 2 mm) included.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Worst, load_case, settings_from};
use mmrad_features::{FeatureClass, FeatureClassSelection, extract};
use mmrad_testkit::baseline;

const RTOL: f64 = 1e-6;

#[test]
fn firstorder_matches_pyradiomics_baseline() {
    let b = baseline("firstorder");
    let mut worst = Worst::default();
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
            &FeatureClassSelection::only(&[FeatureClass::FirstOrder]),
        )
        .unwrap();
        for feature in &b.features {
            let expected = b.value(case, feature).unwrap();
            let actual = result
                .value(feature)
                .unwrap_or_else(|| panic!("{case}: {feature} missing"));
            worst.record(feature, case, actual, expected);
        }
    }
    assert_eq!(
        n_cases, 20,
        "5 original + 5 normalization + 5 resampling + 5 resegmentation cases"
    );
    eprintln!("firstorder worst relative error: {:e}", worst.max());
    assert!(
        worst.max() <= RTOL,
        "firstorder features beyond rtol {RTOL}:\n{}",
        worst.failures(RTOL)
    );
}
