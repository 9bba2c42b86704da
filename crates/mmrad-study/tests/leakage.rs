//! Leakage tests.
//!
//! 1. For every fitted step of a training fold (the filters: variance, univariate test, correlation pruning; the
//!    LASSO with its internal standardisation and inner-CV λ; the per-modality logistic signature or the gaussian
//!    signature's logistic recalibration; fusion; the clinical univariate screen and multivariable model; the
//!    combined model), under several protocols covering the alternatives of each step: changing the outcome and
//!    features of the test-fold rows changes nothing fitted, step by step, while changing one training row does
//!    change the fit (so the test has power). (There is no ICC filter in the pipeline to test.)
//! 2. `leakage: deliberate` on a cohort whose outcome is independent of every feature (the synthetic outcome
//!    permuted), where the true AUC of any radiomics model is 0.5: the honest cross-validation stays near 0.5,
//!    the deliberate mistake reports a clearly higher AUC; the optimism is printed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use mmrad_core::{FeatureTable, SeededRng};
use mmrad_study::cohort::{self, Cohort};
use mmrad_study::pipeline::{FoldData, FoldFit, LogisticOn, fit_fold, predict};
use mmrad_study::{RunOptions, run::run_on_cohort};

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

/// Variants of [`PROTOCOL`] that switch each step to its alternative.
fn protocols() -> Vec<(&'static str, String)> {
    vec![
        ("binomial lasso, backward AIC, rad-scores", PROTOCOL.to_owned()),
        (
            "welch t, spearman, gaussian lasso (recalibration), enter, fusion score",
            PROTOCOL
                .replace(
                    "univariate: { p_max: 0.2 }",
                    "univariate: { test: welch_t, p_max: 0.2 }",
                )
                .replace("max_abs_r: 0.9 }", "max_abs_r: 0.9, method: spearman }")
                .replace("inner_folds: 5 }", "inner_folds: 5, family: gaussian }")
                .replace("method: backward_aic", "method: enter, univariate_p_max: 0.3")
                .replace("of: [clinical, rad_scores]", "of: [clinical, fusion]"),
        ),
        (
            "logistic signature on the selected columns",
            PROTOCOL
                .replace(
                    "lasso: { lambda: min, inner_folds: 5 }",
                    "lasso: { lambda: 1se, inner_folds: 5 }",
                )
                .replace("models:\n", "models:\n  signature: { per_modality: logistic }\n"),
        ),
    ]
}

/// Asserts two fits equal step by step, naming the first step that differs.
fn assert_same_fit(a: &FoldFit, b: &FoldFit, what: &str) {
    for (m, (x, y)) in a.modalities.iter().zip(&b.modalities).enumerate() {
        assert_eq!(
            x.filtered, y.filtered,
            "{what}: modality {m}: filters (variance/univariate/correlation)"
        );
        assert_eq!(
            x.lasso, y.lasso,
            "{what}: modality {m}: LASSO (standardisation, λ, coefficients)"
        );
        assert_eq!(
            x.logistic, y.logistic,
            "{what}: modality {m}: logistic signature / recalibration"
        );
    }
    assert_eq!(a.fusion_columns, b.fusion_columns, "{what}: fusion terms");
    assert_eq!(a.fusion, b.fusion, "{what}: fusion model");
    let (ca, cb) = (a.clinical.as_ref().unwrap(), b.clinical.as_ref().unwrap());
    assert_eq!(ca.screen_p, cb.screen_p, "{what}: clinical univariate screen");
    assert_eq!(ca.terms, cb.terms, "{what}: clinical terms");
    assert_eq!(ca.model, cb.model, "{what}: clinical model");
    assert_eq!(a.combined, b.combined, "{what}: combined model");
    assert_eq!(a, b, "{what}: some other part of the fit");
}

#[test]
fn test_rows_do_not_reach_any_fitted_step() {
    for (name, text) in protocols() {
        test_rows_do_not_reach_the_training_fit(name, &text);
    }
}

fn test_rows_do_not_reach_the_training_fit(name: &str, text: &str) {
    let plan = mmrad_protocol::parse(text, Path::new(".")).unwrap();
    let mut kinds = (false, false);
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
        assert_same_fit(
            &fit,
            &refit,
            &format!("{name}, fold {test_fold}: a test-row change altered"),
        );
        for m in &fit.modalities {
            kinds.0 |= matches!(m.logistic, Some(LogisticOn::RadScore(_)));
            kinds.1 |= matches!(m.logistic, Some(LogisticOn::Columns(..)));
        }
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
            "{name}, fold {test_fold}: a training-row change must alter the fit"
        );
    }
    // The variants really exercise the recalibration and the logistic signature.
    if name.contains("gaussian") {
        assert!(kinds.0, "{name}: no recalibration fitted");
    }
    if name.contains("logistic signature") {
        assert!(kinds.1, "{name}: no logistic signature fitted");
    }
}

/// The liang2025 synthetic cohort with its outcome permuted (seeded): no feature carries information.
fn null_cohort(plan: &mmrad_protocol::Plan) -> Cohort {
    let mut cohort = cohort::load(plan).unwrap();
    SeededRng::new(4242).shuffle(&mut cohort.y);
    cohort
}

const NULL_PROTOCOL: &str = r#"
version: 1
name: null-cohort
seed: 3
cohort: { synthetic: { level: features, generator: liang2025, n: 89, events: 28 } }
outcome: pcr
modalities: { CT: {}, MR: {}, MG: {}, US: {} }
selection:
  - univariate: { test: mann_whitney, p_max: 0.05 }
  - correlation: { max_abs_r: 0.9 }
  - lasso: { lambda: min, inner_folds: 5 }
validation: { folds: 5, repeats: 4 }
"#;

fn radiomics_aucs(text: &str, cohort: &Cohort, out: &str) -> Vec<f64> {
    let plan = mmrad_protocol::parse(text, Path::new(".")).unwrap();
    let options = RunOptions {
        out_dir: std::env::temp_dir().join(format!("mmrad-leakage-{out}-{}", std::process::id())),
        threads: 2,
        progress: false,
        protocol_bytes: Vec::new(),
        protocol_path: None,
        no_cache: false,
    };
    let summary = run_on_cohort(&plan, cohort, &options).unwrap();
    let _ = std::fs::remove_dir_all(&options.out_dir);
    if plan.leakage == mmrad_protocol::Leakage::Deliberate {
        assert!(summary.warnings.iter().any(|w| w.contains("leakage: deliberate")));
    }
    summary.metrics.iter().map(|m| m.pooled.auc).collect()
}

#[test]
fn deliberate_leakage_shows_optimism_where_the_truth_is_chance() {
    let plan = mmrad_protocol::parse(NULL_PROTOCOL, Path::new(".")).unwrap();
    let cohort = null_cohort(&plan);
    let honest = radiomics_aucs(NULL_PROTOCOL, &cohort, "honest");
    let leaky = radiomics_aucs(
        &format!("{NULL_PROTOCOL}leakage: deliberate\n"),
        &cohort,
        "deliberate",
    );
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    eprintln!(
        "null cohort (true AUC 0.5), per modality CT, MR, MG, US: honest {honest:?} (mean {:.3}), deliberate \
         {leaky:?} (mean {:.3}); optimism {:.3}",
        mean(&honest),
        mean(&leaky),
        mean(&leaky) - mean(&honest)
    );
    // Honest: the mean over four modalities of 4×5-fold CV AUCs of a null signal stays near 0.5 (cross-validation
    // under the null is known to sit slightly below 0.5).
    assert!((mean(&honest) - 0.5).abs() < 0.1, "honest {honest:?}");
    // Deliberate: features screened for their association with this outcome on all cases look predictive in every
    // modality, although nothing is.
    for (m, (h, l)) in honest.iter().zip(&leaky).enumerate() {
        assert!(l - h > 0.04, "modality {m}: honest {h}, deliberate {l}");
    }
    assert!(
        mean(&leaky) - mean(&honest) > 0.08,
        "honest {honest:?}, deliberate {leaky:?}"
    );
}
