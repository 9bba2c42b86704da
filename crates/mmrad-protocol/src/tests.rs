//! Table tests: protocol text in, `Plan` or error message (with YAML path and help) out.

use std::path::Path;

use mmrad_core::Modality;

use crate::*;

const BASE: &str = r#"
version: 1
name: t
seed: 7
cohort:
  synthetic: { level: features, generator: liang2025, n: 89, events: 28 }
outcome: pcr
modalities: { CT: {}, MR: {}, MG: {}, US: {} }
models:
  fusion: { of: [CT, MR, MG, US] }
  clinical: { candidates: [age, er, pr, her2, ki67, ct_stage] }
  combined: { of: [clinical, fusion] }
validation: { scheme: stratified_kfold, folds: 5, repeats: 2 }
expected:
  - { model: combined, metric: auc, min: 0.5 }
"#;

/// Parses `BASE` with `from` replaced by `to` and returns the error as `message | help`.
fn check_err(from: &str, to: &str, expected: &str) {
    assert!(BASE.contains(from), "test bug: `{from}` not in BASE");
    let text = BASE.replacen(from, to, 1);
    let err = match parse(&text, Path::new("/p")) {
        Ok(_) => panic!("expected an error containing `{expected}` for `{to}`"),
        Err(err) => err,
    };
    let full = format!("{err} | {}", err.help().unwrap_or(""));
    assert!(
        full.contains(expected),
        "error `{full}` does not contain `{expected}`"
    );
}

#[test]
fn base_protocol_is_valid_with_defaults() {
    let plan = parse(BASE, Path::new("/p")).unwrap();
    assert_eq!(plan.seed, 7);
    assert_eq!(
        plan.model_ids(),
        ["CT", "MR", "MG", "US", "fusion", "clinical", "combined"]
    );
    assert_eq!(plan.selection, validate::default_selection());
    assert_eq!(plan.signature, Signature::LassoLinearPredictor);
    assert_eq!(
        plan.validation,
        Validation::StratifiedKFold { folds: 5, repeats: 2 }
    );
    assert_eq!(
        plan.evaluation,
        EvaluationPlan {
            calibration_groups: 10,
            pool: Pooling::MeanOverRepeats,
            dca: false,
            bootstrap: None,
            thresholds: vec![ThresholdRule::Youden],
        }
    );
    assert_eq!(
        plan.cohort,
        CohortSource::Synthetic {
            generator: SyntheticGenerator::Liang2025,
            n: 89,
            events: 28,
            seed: 7
        }
    );
    assert_eq!(plan.combined.unwrap().radiomics, CombinedRadiomics::FusionScore);
    assert_eq!(plan.expected[0].metric, Metric::Auc);
}

#[test]
fn bootstrap_and_threshold_rules() {
    let text = BASE.replacen(
        "models:",
        "evaluation: { bootstrap: { n: 500 }, thresholds: [youden, { sensitivity: 0.9 }, { probability: 0.25 }] }\nmodels:",
        1,
    );
    let evaluation = parse(&text, Path::new("/p")).unwrap().evaluation;
    assert_eq!(
        evaluation.bootstrap,
        Some(BootstrapPlan {
            replicates: 500,
            stratified: true
        })
    );
    assert_eq!(
        evaluation.thresholds,
        [
            ThresholdRule::Youden,
            ThresholdRule::Sensitivity(0.9),
            ThresholdRule::Probability(0.25)
        ]
    );
    assert_eq!(ThresholdRule::Sensitivity(0.9).label(), "sensitivity=0.9");
    let single = BASE.replacen(
        "models:",
        "evaluation: { thresholds: { sensitivity: 0.8 } }\nmodels:",
        1,
    );
    assert_eq!(
        parse(&single, Path::new("/p")).unwrap().evaluation.thresholds,
        [ThresholdRule::Sensitivity(0.8)]
    );
    for (to, expected) in [
        (
            "evaluation: { bootstrap: { n: 50 } }\nmodels:",
            "evaluation.bootstrap.n",
        ),
        (
            "evaluation: { thresholds: yuden }\nmodels:",
            "did you mean `youden`?",
        ),
        (
            "evaluation: { thresholds: [youden, { probability: 1.0 }] }\nmodels:",
            "evaluation.thresholds[1].probability",
        ),
        (
            "evaluation: { thresholds: { probability: 0 } }\nmodels:",
            "outside (0, 1)",
        ),
        (
            "evaluation: { thresholds: { sensitivity: 1.5 } }\nmodels:",
            "evaluation.thresholds.sensitivity",
        ),
        (
            "evaluation: { thresholds: { specificity: 0.9 } }\nmodels:",
            "unknown threshold rule `specificity`",
        ),
        (
            "evaluation: { thresholds: { sensitivity: 0.9, probability: 0.2 } }\nmodels:",
            "exactly one key",
        ),
    ] {
        check_err("models:", to, expected);
    }
}

#[test]
fn decision_curve_analysis_is_opt_in() {
    let text = BASE.replacen("models:", "evaluation: { dca: true }\nmodels:", 1);
    assert!(parse(&text, Path::new("/p")).unwrap().evaluation.dca);
    check_err("models:", "evaluation: { dca: sometimes }\nmodels:", "dca");
}

#[test]
fn manifest_paths_resolve_against_the_protocol_folder_in_modality_order() {
    let text = BASE.replace(
        "synthetic: { level: features, generator: liang2025, n: 89, events: 28 }",
        "manifest: { clinical: c.csv, features: { US: us.parquet, CT: ct.csv, MR: m.csv, MG: g.csv } }",
    );
    let plan = parse(&text, Path::new("/data/study")).unwrap();
    let CohortSource::Manifest {
        clinical,
        features,
        case_id,
    } = plan.cohort
    else {
        panic!("not a manifest")
    };
    assert_eq!(clinical, Path::new("/data/study/c.csv"));
    assert_eq!(case_id, "case_id");
    assert_eq!(
        features[0],
        (Modality::Ct, Path::new("/data/study/ct.csv").to_path_buf())
    );
    assert_eq!(features[3].0, Modality::Us);
}

#[test]
fn selection_steps_parse_as_one_key_maps() {
    let text = BASE.replace(
        "models:",
        "selection:\n  - variance: {}\n  - univariate: { test: welch_t, p_max: 0.1 }\n  - correlation: { max_abs_r: 0.8, method: spearman }\n  - lasso: { lambda: 0.05, inner_folds: 5 }\nmodels:",
    );
    let plan = parse(&text, Path::new("/p")).unwrap();
    assert_eq!(plan.selection.len(), 4);
    assert_eq!(plan.selection[0], SelectionStep::Variance { min_variance: 0.0 });
    assert_eq!(
        plan.selection[1],
        SelectionStep::Univariate {
            test: UnivariateTest::WelchT,
            p_max: 0.1,
            min_keep: 1
        }
    );
    let lasso = plan.final_lasso().unwrap();
    assert_eq!(lasso.lambda, LambdaRule::Fixed(0.05));
    assert_eq!(lasso.inner_folds, 5);
}

#[test]
fn errors_name_the_yaml_path_and_help() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "version: 1",
            "version: 2",
            "version: unsupported protocol version `2`",
        ),
        (
            "of: [CT, MR, MG, US]",
            "of: [CT, MR, PET]",
            "models.fusion.of[2]: unknown modality \"PET\"; known: CT, MR, MG, US",
        ),
        ("of: [CT, MR, MG, US]", "of: [CT, MRR]", "did you mean `MR`?"),
        ("seed: 7", "seed: 7\nbogus: 1", "unknown field `bogus`"),
        (
            "generator: liang2025,",
            "generator: liang2025, nn: 3,",
            "cohort.synthetic: unknown field `nn`",
        ),
        (
            "generator: liang2025",
            "generator: liang2024",
            "cohort.synthetic.generator: unknown generator `liang2024`",
        ),
        (
            "level: features",
            "level: images",
            "modalities.CT.extraction: an image-level cohort needs the extraction parameters",
        ),
        (
            "events: 28",
            "events: 89",
            "cohort.synthetic.events: `events` = 89 must be between 1 and n - 1 = 88",
        ),
        (
            "outcome: pcr",
            "outcome: response",
            "outcome: the synthetic cohort has no outcome column `response`",
        ),
        (
            "{ CT: {}, MR: {}, MG: {}, US: {} }",
            "{ CT: {}, PET: {} }",
            "modalities.PET: the `liang2025` synthetic cohort has no modality `PET`",
        ),
        (
            "{ CT: {}, MR: {}, MG: {}, US: {} }",
            "{ CT: {}, ct: {} }",
            "modalities.ct: modality `CT` declared twice",
        ),
        (
            "{ CT: {}, MR: {}, MG: {}, US: {} }",
            "{ CT: {}, fusion: {} }",
            "reserved for a model",
        ),
        (
            "{ CT: {}, MR: {}, MG: {}, US: {} }",
            "{}",
            "modalities: no modality declared",
        ),
        (
            "ct_stage]",
            "t_stage]",
            "models.clinical.candidates[5]: the synthetic cohort has no clinical column `t_stage`",
        ),
        (
            "ct_stage]",
            "pcr]",
            "models.clinical.candidates[5]: `pcr` is the outcome",
        ),
        (
            "ct_stage]",
            "age]",
            "models.clinical.candidates[5]: `age` listed twice",
        ),
        (
            "of: [clinical, fusion]",
            "of: [clinical, fusoin]",
            "models.combined.of[1]: unknown term `fusoin`",
        ),
        (
            "of: [clinical, fusion]",
            "of: [fusion]",
            "models.combined.of: the combined model needs the clinical model",
        ),
        (
            "of: [clinical, fusion]",
            "of: [clinical]",
            "models.combined.of: no radiomics term",
        ),
        (
            "folds: 5",
            "folds: 29",
            "validation.folds: 29 folds but the smaller outcome class has only 28 cases",
        ),
        (
            "folds: 5",
            "folds: 1",
            "validation.folds: `1` folds; at least 2 are needed",
        ),
        ("repeats: 2", "repeats: 0", "validation.repeats"),
        (
            "scheme: stratified_kfold",
            "scheme: loocv",
            "validation.scheme: unknown scheme `loocv`",
        ),
        (
            "metric: auc",
            "metric: c_index",
            "expected[0].metric: unknown metric `c_index`",
        ),
        ("model: combined", "model: combine", "did you mean `combined`?"),
        (
            "min: 0.5",
            "min: 0.9, max: 0.5",
            "expected[0]: `min` 0.9 > `max` 0.5",
        ),
        (
            "{ model: combined, metric: auc, min: 0.5 }",
            "{ model: combined, metric: auc }",
            "neither `min` nor `max` given",
        ),
        (
            "CT: {}",
            "CT: { extraction: params/ct.yaml }",
            "modalities.CT.extraction: extraction parameters apply to image cohorts",
        ),
        (
            "models:",
            "published: [{ model: PET, metric: auc, value: 0.8 }]\nmodels:",
            "published[0].model: unknown model `PET`",
        ),
        (
            "models:",
            "published: [{ model: combined, metric: c_index, value: 0.8 }]\nmodels:",
            "published[0].metric: unknown metric `c_index`",
        ),
        (
            "models:",
            "published: [{ model: combined, metric: auc, value: .nan }]\nmodels:",
            "published[0].value: `NaN` is not a finite number",
        ),
        (
            "models:",
            "evaluation: { pool: median }\nmodels:",
            "evaluation.pool: unknown pooling `median`",
        ),
        (
            "models:",
            "evaluation: { calibration: { groups: 2 } }\nmodels:",
            "evaluation.calibration.groups",
        ),
        (
            "models:",
            "selection: [ { lasso: {} }, { correlation: {} } ]\nmodels:",
            "selection[0]: `lasso` must be the last selection step",
        ),
        (
            "models:",
            "selection: [ { correlation: { max_abs_r: 1.5 } } ]\nmodels:",
            "selection[0].correlation.max_abs_r: `1.5` is not in (0, 1]",
        ),
        (
            "models:",
            "selection: [ { univariate: { test: ks } } ]\nmodels:",
            "selection[0].univariate.test: unknown test `ks`",
        ),
        (
            "models:",
            "selection: [ { univariate: { p_max: 0 } } ]\nmodels:",
            "selection[0].univariate.p_max: `0` is not in (0, 1]",
        ),
        (
            "models:",
            "selection: [ { lasso: { lambda: 1sd } } ]\nmodels:",
            "selection[0].lasso.lambda: unknown lambda rule `1sd`",
        ),
        (
            "models:",
            "selection: [ { lasso: { inner_folds: 2 } } ]\nmodels:",
            "selection[0].lasso.inner_folds",
        ),
        (
            "models:",
            "selection: [ { lasso: { alpha: 0 } } ]\nmodels:",
            "selection[0].lasso.alpha",
        ),
        (
            "models:",
            "selection: [ { lasso: { family: poisson } } ]\nmodels:",
            "selection[0].lasso.family: unknown family `poisson`",
        ),
        (
            "models:",
            "selection: [ { correlation: {} } ]\nmodels:",
            "needs a `lasso` step at the end of `selection`",
        ),
        (
            "models:",
            "selection: [ { pca: {} } ]\nmodels:",
            "selection[0]: unknown field `pca`",
        ),
        (
            "models:",
            "selection: [ { correlation: {}, variance: {} } ]\nmodels:",
            "selection[0]: a selection step has exactly one key; found 2",
        ),
        ("name: t", "name: a/b", "name: invalid study name `a/b`"),
        (
            "synthetic: { level: features, generator: liang2025, n: 89, events: 28 }",
            "manifest: { clinical: c.xlsx, features: {} }",
            "cohort.manifest.clinical: `c.xlsx` is neither `.csv` nor `.parquet`",
        ),
        (
            "synthetic: { level: features, generator: liang2025, n: 89, events: 28 }",
            "manifest: { clinical: c.csv, features: { CT: a.csv, PET: p.csv } }",
            "cohort.manifest.features.PET: unknown modality `PET`; known: CT, MR, MG, US",
        ),
        (
            "synthetic: { level: features, generator: liang2025, n: 89, events: 28 }",
            "manifest: { clinical: c.csv, features: { CT: a.csv } }",
            "cohort.manifest.features: no feature table for modality `MR`",
        ),
        (
            "synthetic: { level: features, generator: liang2025, n: 89, events: 28 }",
            "manifest: { clinical: c.csv, features: { CT: a.csv, CT: b.csv } }",
            "duplicate key `CT`",
        ),
        (
            "synthetic:",
            "synthetic: {}\n  manifest: { clinical: c.csv, features: {} }\n  s2:",
            "unknown field `s2`",
        ),
    ];
    for (from, to, expected) in cases {
        check_err(from, to, expected);
    }
}

#[test]
fn syntax_errors_carry_a_location() {
    let err = parse("version: 1\nname: [unclosed\n", Path::new("/p")).unwrap_err();
    assert!(matches!(err, Error::Syntax { .. }), "{err:?}");
    assert!(err.location().is_some());
}

#[test]
fn bootstrap_optimism_scheme() {
    let text = BASE.replacen(
        "validation: { scheme: stratified_kfold, folds: 5, repeats: 2 }",
        "validation: { scheme: bootstrap_optimism, n: 50 }",
        1,
    );
    let plan = parse(&text, Path::new("/p")).unwrap();
    assert_eq!(plan.validation, Validation::BootstrapOptimism { replicates: 50 });
    assert!(plan.validation.is_apparent());
    let text = BASE.replacen(
        "validation: { scheme: stratified_kfold, folds: 5, repeats: 2 }",
        "validation: { scheme: bootstrap_optimism }",
        1,
    );
    let plan = parse(&text, Path::new("/p")).unwrap();
    assert_eq!(plan.validation, Validation::BootstrapOptimism { replicates: 200 });
    check_err(
        "scheme: stratified_kfold, folds: 5",
        "scheme: bootstrap_optimism, n: 5, folds: 5",
        "at least 10",
    );
    check_err(
        "folds: 5, repeats: 2",
        "folds: 5, repeats: 2, n: 100",
        "not read by scheme",
    );
    check_err("scheme: stratified_kfold", "scheme: boot", "bootstrap_optimism");
}

#[test]
fn leakage_defaults_to_none_and_deliberate_is_a_switch() {
    let plan = parse(BASE, Path::new("/p")).unwrap();
    assert_eq!(plan.leakage, Leakage::None);
    let text = format!("{BASE}leakage: deliberate\n");
    assert_eq!(
        parse(&text, Path::new("/p")).unwrap().leakage,
        Leakage::Deliberate
    );
    check_err(
        "seed: 7",
        "seed: 7\nleakage: deliberat",
        "unknown leakage mode `deliberat`; known: none, deliberate | did you mean `deliberate`?",
    );
}

#[test]
fn syntax_messages_leave_the_position_to_the_location() {
    assert_eq!(
        crate::strip_line_column(
            "did not find expected ',' at line 11 column 1, while parsing a flow mapping"
        ),
        "did not find expected ',', while parsing a flow mapping"
    );
    assert_eq!(
        crate::strip_line_column("missing field `name`"),
        "missing field `name`"
    );
    let err = crate::parse("version: 1\nname: [x\n", std::path::Path::new(".")).unwrap_err();
    assert!(!err.to_string().contains(" at line "), "{err}");
    assert!(err.location().is_some(), "{err:?}");
    // The parser locates no "more than one document" error; it is about the whole file.
    let text = "  Original: {}\nfeatureClass:\n  firstorder:\nsetting:\n  binWidth: 25\n";
    let err = crate::params_file::parse_params(text, &[]).unwrap_err();
    assert_eq!(err.location(), Some((1, 1)), "{err:?}");
    assert!(err.to_string().contains("not one YAML document"), "{err}");
}
