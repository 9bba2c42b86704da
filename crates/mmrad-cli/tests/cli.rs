//! End-to-end tests of the `mmrad` binary: `study run` on `studies/smoke.yaml` (outputs, columns, determinism
//! across thread counts, exit codes), protocol and cohort errors, `synth`, and `eval` / `lasso` against the
//! committed R references of the evaluation and modeling engineers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mmrad_testkit::{assert_close, workspace_root};

fn mmrad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mmrad"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mmrad-cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn header(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// Every file of a folder, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// CSV as a map from (row key columns) to a named value column.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let content = std::fs::read_to_string(path).unwrap();
    let mut lines = content.lines();
    let names: Vec<String> = lines.next().unwrap().split(',').map(str::to_owned).collect();
    lines
        .map(|l| {
            names
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_owned))
                .collect()
        })
        .collect()
}

#[test]
fn smoke_study_outputs_columns_and_determinism_across_threads() {
    let dir = tmp("smoke");
    let (a, b) = (dir.join("a"), dir.join("b"));
    let out_a = mmrad(&[
        "study",
        "run",
        "studies/smoke.yaml",
        "--out",
        a.to_str().unwrap(),
        "-j",
        "1",
        "--quiet",
    ]);
    assert!(out_a.status.success(), "stderr: {}", text(&out_a.stderr));
    let stdout = text(&out_a.stdout);
    assert!(
        stdout.contains("model") && stdout.contains("combined") && stdout.contains("calibration of `CT`"),
        "{stdout}"
    );
    assert!(stdout.contains("ok   CT auc"), "{stdout}");

    let expected_headers = [
        (
            "metrics.csv",
            "model,modalities,n,events,auc,auc_lo,auc_hi,brier,brier_scaled,cal_intercept,cal_intercept_free,cal_slope,hl_p,\
             eo_ratio,emax,e90,eavg,spiegelhalter_p",
        ),
        (
            "thresholds.csv",
            "model,rule,threshold,tp,fp,tn,fn,sensitivity,sensitivity_lo,sensitivity_hi,specificity,specificity_lo,\
             specificity_hi,ppv,ppv_lo,ppv_hi,npv,npv_lo,npv_hi,accuracy,accuracy_lo,accuracy_hi",
        ),
        (
            "calibration.csv",
            "model,group,n,events,mean_predicted,observed_rate,lo,hi",
        ),
        ("predictions.csv", "case_id,outcome,repeat,fold,model,score"),
        ("coefficients.csv", "model,term,coef,se,lambda"),
        ("odds_ratios.csv", "model,term,or,lo,hi,p"),
        ("selected.csv", "modality,repeat,fold,feature,coef"),
        ("nomogram.csv", "kind,term,value,points,probability"),
        ("dropped.csv", "table,column,reason"),
    ];
    for (file, expected) in expected_headers {
        assert_eq!(header(&a.join(file)), expected, "{file}");
    }
    let metrics = csv_rows(&a.join("metrics.csv"));
    let models: Vec<&str> = metrics.iter().map(|r| r["model"].as_str()).collect();
    assert_eq!(models, ["CT", "US", "fusion", "clinical", "combined"]);
    assert!(metrics.iter().all(|r| r["n"] == "60" && r["events"] == "20"));
    // 60 cases × 2 repeats × 5 models, each case once per repeat and model with its fold id.
    let predictions = csv_rows(&a.join("predictions.csv"));
    assert_eq!(predictions.len(), 60 * 2 * 5);
    assert!(
        predictions
            .iter()
            .all(|r| ["0", "1", "2"].contains(&r["fold"].as_str()))
    );
    let manifest = std::fs::read_to_string(a.join("manifest.json")).unwrap();
    for key in [
        "\"protocol\"",
        "\"sha256\"",
        "\"seed\": 7",
        "\"threads\": 1",
        "\"outputs\"",
        "\"manifest_sha256\"",
        "\"output_format_version\": 3",
        "\"git_revision\"",
        "\"rustc\": \"rustc ",
        "metrics.csv",
    ] {
        assert!(manifest.contains(key), "manifest lacks {key}: {manifest}");
    }

    // Same protocol and seed with two threads: every output byte-identical (the manifest differs only in
    // its `threads` field).
    let out_b = mmrad(&[
        "study",
        "run",
        "studies/smoke.yaml",
        "--out",
        b.to_str().unwrap(),
        "-j",
        "2",
        "--quiet",
    ]);
    assert!(out_b.status.success(), "stderr: {}", text(&out_b.stderr));
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        if name == "manifest.json" {
            // Only the unsealed `run` section (threads, start and wall time) may differ.
            let strip = |m: &[u8]| {
                let mut v: serde_json::Value = serde_json::from_slice(m).unwrap();
                v.as_object_mut().unwrap().remove("run");
                v
            };
            assert_eq!(strip(bytes), strip(&fb[name]), "manifest.json");
        } else {
            assert!(bytes == &fb[name], "{name} differs between -j 1 and -j 2");
        }
    }
    assert!(
        !fa.keys().any(|k| k.contains(".tmp")),
        "temporary files left behind"
    );
}

#[test]
fn expected_miss_exits_3_and_usage_error_exits_2() {
    let dir = tmp("miss");
    let protocol = std::fs::read_to_string(workspace_root().join("studies/smoke.yaml")).unwrap();
    let protocol = protocol.replace(
        "{ model: CT, metric: auc, min: 0.5 }",
        "{ model: CT, metric: auc, min: 0.999 }",
    );
    let path = dir.join("miss.yaml");
    std::fs::write(&path, protocol).unwrap();
    let out = mmrad(&[
        "study",
        "run",
        path.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(3), "stderr: {}", text(&out.stderr));
    assert!(text(&out.stdout).contains("MISS CT auc"));
    assert!(text(&out.stderr).contains("error: 1 `expected:` check(s) missed"));

    let out = mmrad(&["study", "run"]);
    assert_eq!(out.status.code(), Some(2));
    let out = mmrad(&["study", "frobnicate", "x.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Runs `study run` on protocol text and returns (exit code, stderr).
fn run_protocol(name: &str, protocol: &str) -> (Option<i32>, String) {
    let dir = tmp(name);
    let path = dir.join("p.yaml");
    std::fs::write(&path, protocol).unwrap();
    let out = mmrad(&[
        "study",
        "run",
        path.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
        "--quiet",
    ]);
    (out.status.code(), text(&out.stderr))
}

#[test]
fn bad_protocol_error_names_the_yaml_path_with_help() {
    let protocol = std::fs::read_to_string(workspace_root().join("studies/smoke.yaml")).unwrap();
    let (code, stderr) = run_protocol(
        "bad-protocol",
        &protocol.replace("of: [CT, US]", "of: [CT, US, PET]"),
    );
    assert_eq!(code, Some(1));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[0], "error: models.fusion.of[2]: unknown modality \"PET\"; known: CT, US",
        "{stderr}"
    );
    assert!(
        lines[1].starts_with("  --> ") && lines[1].ends_with("p.yaml: models.fusion.of[2]"),
        "{stderr}"
    );
    assert!(lines[2].starts_with("  help: "), "{stderr}");

    let (code, stderr) = run_protocol("bad-key", &protocol.replace("seed: 7", "seed: 7\nsede: 8"));
    assert_eq!(code, Some(1));
    assert!(stderr.starts_with("error: unknown field `sede`"), "{stderr}");
    assert!(stderr.contains("p.yaml:"), "{stderr}");
}

/// Writes a small synthetic cohort with `mmrad synth` and a manifest protocol reading it.
fn synthetic_tables(name: &str) -> PathBuf {
    let dir = tmp(name);
    let out = mmrad(&[
        "synth",
        "liang2025",
        "--level",
        "features",
        "--out",
        dir.to_str().unwrap(),
        "--n",
        "40",
        "--events",
        "14",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for file in [
        "clinical.csv",
        "ct.csv",
        "mr.csv",
        "mg.csv",
        "us.csv",
        "cohort.yaml",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    assert!(
        header(&dir.join("clinical.csv")).starts_with("case_id,pcr,age,er,pr,her2,ki67,ct_stage,cn_stage")
    );
    let protocol = "version: 1\nname: manifest\nseed: 3\n\
        cohort: { manifest: { clinical: clinical.csv, features: { CT: ct.csv, US: us.csv } } }\n\
        outcome: pcr\nmodalities: { CT: {}, US: {} }\n\
        selection: [ { univariate: { p_max: 0.2 } }, { lasso: { lambda: min, inner_folds: 3 } } ]\n\
        models: { fusion: {}, clinical: { candidates: [pr, her2] }, combined: {} }\n\
        validation: { folds: 3, repeats: 1 }\nevaluation: { calibration: { groups: 4 } }\n";
    std::fs::write(dir.join("p.yaml"), protocol).unwrap();
    dir
}

fn run_in(dir: &Path) -> Output {
    mmrad(&[
        "study",
        "run",
        dir.join("p.yaml").to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
        "--quiet",
    ])
}

#[test]
fn synth_tables_run_through_a_manifest_and_bad_tables_are_named() {
    let dir = synthetic_tables("manifest-ok");
    // A constant column is dropped and recorded.
    let ct = std::fs::read_to_string(dir.join("ct.csv")).unwrap();
    let with_constant: String = ct
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},flat\n")
            } else {
                format!("{l},5\n")
            }
        })
        .collect();
    std::fs::write(dir.join("ct.csv"), with_constant).unwrap();
    let out = run_in(&dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("out/dropped.csv")).unwrap(),
        "table,column,reason\nct.csv,flat,constant\n"
    );
    assert!(
        std::fs::read_to_string(dir.join("out/manifest.json"))
            .unwrap()
            .contains("clinical.csv")
    );

    type Case = (&'static str, fn(&str) -> String, &'static str);
    let cases: &[Case] = &[
        (
            "dup",
            |t| format!("{t}{}\n", t.lines().nth(1).unwrap()),
            "duplicate case id `P001` in table `clinical.csv`",
        ),
        (
            "nonbinary",
            |t| {
                t.replacen("P002,0,", "P002,2,", 1)
                    .replacen("P002,1,", "P002,2,", 1)
            },
            "outcome column `pcr` of table `clinical.csv` must be 0 or 1; found `2` for case `P002`",
        ),
        (
            "missing",
            |t| {
                let mut lines: Vec<String> = t.lines().map(str::to_owned).collect();
                let mut cells: Vec<String> = lines[3].split(',').map(str::to_owned).collect();
                cells[4] = String::new();
                lines[3] = cells.join(",");
                lines.join("\n") + "\n"
            },
            "missing value in table `clinical.csv`, column `pr`, case `P003`",
        ),
        ("unknown-case", |t| t.replacen("P004,", "P999,", 1), "is in table"),
    ];
    for (name, edit, expected) in cases {
        let dir = synthetic_tables(&format!("manifest-{name}"));
        let clinical = std::fs::read_to_string(dir.join("clinical.csv")).unwrap();
        std::fs::write(dir.join("clinical.csv"), edit(&clinical)).unwrap();
        let out = run_in(&dir);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(stderr.contains("  help: "), "{name}: {stderr}");
    }
}

/// The `liang` dataset of the evaluation references as a wide CSV (`y,a,b`).
fn evaluation_dataset(dir: &Path, dataset: &str) -> PathBuf {
    let data = std::fs::read_to_string(workspace_root().join("tests/reference/evaluation/data.csv")).unwrap();
    let mut out = String::from("y,a,b\n");
    for line in data.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells[0] == dataset {
            out.push_str(&format!("{},{},{}\n", cells[2], cells[3], cells[4]));
        }
    }
    let path = dir.join(format!("{dataset}.csv"));
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn eval_agrees_with_the_committed_r_references() {
    let dir = tmp("eval");
    let reference = csv_rows(&workspace_root().join("tests/reference/evaluation/reference_r.csv"));
    let value = |dataset: &str, score: &str, metric: &str| -> f64 {
        reference
            .iter()
            .find(|r| r["dataset"] == dataset && r["score"] == score && r["metric"] == metric)
            .unwrap_or_else(|| panic!("no reference {dataset} {score} {metric}"))["value"]
            .parse()
            .unwrap()
    };
    for dataset in ["liang", "unbalanced", "ordinal"] {
        let input = evaluation_dataset(&dir, dataset);
        let (metrics, pairs) = (
            dir.join(format!("{dataset}-metrics.csv")),
            dir.join(format!("{dataset}-pairs.csv")),
        );
        let out = mmrad(&[
            "eval",
            input.to_str().unwrap(),
            "--outcome",
            "y",
            "--score",
            "a",
            "--score",
            "b",
            "-o",
            metrics.to_str().unwrap(),
            "--pairs-out",
            pairs.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        for row in csv_rows(&metrics) {
            let score = row["score"].as_str();
            let got = |m: &str| row[m].parse::<f64>().unwrap();
            // AUC and Brier exact up to summation order; DeLong CI and calibration within 1e-6 (issue 11).
            assert_close(
                &format!("{dataset} {score} auc"),
                got("auc"),
                value(dataset, score, "auc"),
                1e-12,
                1e-12,
            );
            assert_close(
                &format!("{dataset} {score} brier"),
                got("brier"),
                value(dataset, score, "brier"),
                1e-12,
                1e-12,
            );
            for m in [
                "auc_lo",
                "auc_hi",
                "cal_intercept",
                "cal_intercept_free",
                "cal_slope",
            ] {
                assert_close(
                    &format!("{dataset} {score} {m}"),
                    got(m),
                    value(dataset, score, m),
                    0.0,
                    1e-6,
                );
            }
        }
        let pair = &csv_rows(&pairs)[0];
        // pROC's z is for AUC(a) − AUC(b), as ours.
        assert_close(
            &format!("{dataset} delong z"),
            pair["z"].parse().unwrap(),
            value(dataset, "a-b", "delong_z"),
            0.0,
            1e-6,
        );
        assert_close(
            &format!("{dataset} delong p"),
            pair["p"].parse().unwrap(),
            value(dataset, "a-b", "delong_p"),
            0.0,
            1e-6,
        );
    }
}

#[test]
fn lasso_agrees_with_the_committed_glmnet_references() {
    let dir = tmp("lasso");
    let reference_dir = workspace_root().join("tests/reference/modeling");
    for (rule, column) in [("min", "coef_min"), ("1se", "coef_1se")] {
        let coef_path = dir.join(format!("coef-{rule}.csv"));
        let path_out = dir.join(format!("path-{rule}.csv"));
        let out = mmrad(&[
            "lasso",
            reference_dir.join("lasso_p40.csv").to_str().unwrap(),
            "--outcome",
            "y",
            "--foldid",
            "foldid",
            "--lambda-rule",
            rule,
            "-o",
            coef_path.to_str().unwrap(),
            "--path-out",
            path_out.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let pick = &csv_rows(&reference_dir.join("glmnet_p40_a1_cvpick.csv"))[0];
        for (label, key) in [("lambda.min = ", "lambda_min"), ("lambda.1se = ", "lambda_1se")] {
            let line = stdout
                .lines()
                .find(|l| l.starts_with(label))
                .unwrap_or_else(|| panic!("{stdout}"));
            let got: f64 = line[label.len()..].parse().unwrap();
            // The λ sequence is computed, not read: identical picks agree to rounding (1e-12 relative).
            assert_close(key, got, pick[key].parse().unwrap(), 1e-12, 0.0);
        }
        let expected = csv_rows(&reference_dir.join("glmnet_p40_a1_cvcoef.csv"));
        let got = csv_rows(&coef_path);
        assert_eq!(got[0]["term"], "(Intercept)");
        assert_eq!(got.len(), expected.len());
        let largest_slope = expected
            .iter()
            .skip(1)
            .map(|r| r[column].parse::<f64>().unwrap().abs())
            .fold(0.0, f64::max);
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g["term"], e["term"]);
            let (gv, ev): (f64, f64) = (g["coef"].parse().unwrap(), e[column].parse().unwrap());
            // Issue 11: within 1e-5 of the converged optimum relative to the largest slope, same non-zero set.
            let tolerance = if g["term"] == "(Intercept)" {
                1e-5 * ev.abs().max(1.0)
            } else {
                1e-5 * largest_slope
            };
            assert!((gv - ev).abs() <= tolerance, "{rule} {}: {gv} vs {ev}", g["term"]);
            if g["term"] != "(Intercept)" {
                assert_eq!(gv == 0.0, ev == 0.0, "{rule} {}: non-zero set", g["term"]);
            }
        }
        assert_eq!(header(&path_out), "lambda,df,dev_ratio,cvm,cvsd");
    }
}
