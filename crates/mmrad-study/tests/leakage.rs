//! Leakage test: changing the outcome and features of test-fold rows leaves every training-fold fit unchanged,
//! while changing one training row does change it (so the test has power).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use mmrad_core::{FeatureTable, SeededRng};
use mmrad_study::cohort::{self, Cohort};
use mmrad_study::pipeline::{FoldData, fit_fold, predict};

const PROTOCOL: &str = r#"
version: 1
name: leakage
seed: 11
cohort: { synthetic: { level: features, generator: liang2025, n: 60, events: 20 } }
outcome: pcr
modalities: { CT: {}, MG: {} }
selection:
  - variance: {}
  - univariate: { p_max: 0.2 }
  - correlation: { max_abs_r: 0.9 }
  - lasso: { lambda: min, inner_folds: 5 }
models:
  fusion: {}
  clinical: { candidates: [age, pr, her2, ct_stage], method: backward_aic }
  combined: { of: [clinical, rad_scores] }
validation: { folds: 3, repeats: 1 }
"#;

/// The cohort with the rows in `rows` replaced: outcome flipped, features and clinical values redrawn.
fn perturb(cohort: &Cohort, rows: &[usize], seed: u64) -> Cohort {
    let mut rng = SeededRng::new(seed);
    let mut out = cohort.clone();
    for &r in rows {
        out.y[r] = !out.y[r];
    }
    let redraw = |table: &FeatureTable, rng: &mut SeededRng| {
        let mut values = table.values().clone();
        for &r in rows {
            for v in values.row_mut(r).iter_mut() {
                *v = 1000.0 * rng.normal();
            }
        }
        FeatureTable::new(table.cases().to_vec(), table.names().to_vec(), values).unwrap()
    };
    out.features = cohort
        .features
        .iter()
        .map(|(m, t)| (m.clone(), redraw(t, &mut rng)))
        .collect();
    out.clinical = redraw(&cohort.clinical, &mut rng);
    out
}

#[test]
fn test_rows_do_not_reach_the_training_fit() {
    let plan = mmrad_protocol::parse(PROTOCOL, Path::new(".")).unwrap();
    let cohort = cohort::load(&plan).unwrap();
    let folds = mmrad_stats::stratified_folds(&cohort.y, 3, &mut SeededRng::new(5)).unwrap();
    for test_fold in 0..3 {
        let train: Vec<usize> = (0..cohort.y.len()).filter(|&i| folds[i] != test_fold).collect();
        let test: Vec<usize> = (0..cohort.y.len()).filter(|&i| folds[i] == test_fold).collect();
        let fit = fit_fold(
            &plan,
            &FoldData::from_rows(&cohort, &train),
            &[0, test_fold as u64],
            "t",
        )
        .unwrap();
        let changed = perturb(&cohort, &test, 99);
        let refit = fit_fold(
            &plan,
            &FoldData::from_rows(&changed, &train),
            &[0, test_fold as u64],
            "t",
        )
        .unwrap();
        assert_eq!(
            fit, refit,
            "fold {test_fold}: a test-row change altered the training fit"
        );
        // Predictions of the training rows are unchanged too; the test rows' predictions do change.
        let train_data = FoldData::from_rows(&cohort, &train);
        assert_eq!(
            predict(&plan, &fit, &train_data).unwrap(),
            predict(&plan, &refit, &train_data).unwrap()
        );
        assert_ne!(
            predict(&plan, &fit, &FoldData::from_rows(&cohort, &test)).unwrap(),
            predict(&plan, &refit, &FoldData::from_rows(&changed, &test)).unwrap()
        );
        // Power: perturbing one training row changes the fit.
        let changed_train = perturb(&cohort, &train[..1], 7);
        let moved = fit_fold(
            &plan,
            &FoldData::from_rows(&changed_train, &train),
            &[0, test_fold as u64],
            "t",
        )
        .unwrap();
        assert_ne!(
            fit, moved,
            "fold {test_fold}: a training-row change must alter the fit"
        );
    }
}
