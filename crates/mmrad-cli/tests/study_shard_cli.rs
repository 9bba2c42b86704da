//! `mmrad study run --stage extract --shard I/N` then `--stage model` on a reduced synthetic image cohort (CT/MR
//! DICOM series, MG/US 2D, RTSTRUCT/SEG/NRRD masks): every output is byte-identical to a plain `mmrad study run`
//! (the manifest's seal equal), the model stage refuses to run while a shard is missing (naming it), and
//! `mmrad slurm script` prints the job array and the dependent job.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn protocol(dir: &Path, cohort: &Path) -> PathBuf {
    let params = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../studies/params");
    for name in ["ct.yaml", "mr.yaml", "mg2d.yaml", "us2d.yaml"] {
        std::fs::copy(params.join(name), dir.join(name)).unwrap();
    }
    let text = format!(
        r#"version: 1
name: shard-test
seed: 3
cohort: {{ synthetic: {{ level: images, generator: liang2025, n: 24, events: 8, dir: "{}" }} }}
outcome: pcr
modalities:
  CT: {{ extraction: ct.yaml }}
  MR: {{ extraction: mr.yaml }}
  MG: {{ extraction: mg2d.yaml }}
  US: {{ extraction: us2d.yaml }}
selection:
  - univariate: {{ p_max: 0.2 }}
  - correlation: {{ max_abs_r: 0.9 }}
  - lasso: {{ lambda: 1se, inner_folds: 3 }}
models:
  fusion: {{}}
  clinical: {{ candidates: [pr, her2, ct_stage] }}
  combined: {{ of: [clinical, fusion] }}
validation: {{ folds: 2, repeats: 1 }}
"#,
        cohort.display()
    );
    let path = dir.join("shard-test.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn mmrad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mmrad"))
        .args(args)
        .output()
        .unwrap()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file of a run folder (relative name, bytes), sorted by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn sharded_extraction_then_model_stage_equals_the_plain_run() {
    let root = std::env::temp_dir().join(format!("mmrad-study-shard-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let cohort = root.join("cohort");
    let protocol = protocol(&root, &cohort);

    let plain = root.join("plain");
    let out = mmrad(&[
        "study",
        "run",
        s(&protocol),
        "--out",
        s(&plain),
        "--quiet",
        "-j",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let cache = cohort.join(".mmrad-cache");
    let cached: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "cases")
        .collect();
    assert_eq!(cached.len(), 4, "one cached table per modality: {cached:?}");
    let plain_tables: Vec<(String, Vec<u8>)> = files(&cache);
    std::fs::remove_dir_all(&cache).unwrap();

    // Shards 0 and 2 of 3; the model stage refuses, naming shard 1 for every modality.
    for i in [0, 2] {
        let out = mmrad(&[
            "study",
            "run",
            s(&protocol),
            "--stage",
            "extract",
            "--shard",
            &format!("{i}/3"),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let sharded = root.join("sharded");
    let model = || {
        mmrad(&[
            "study",
            "run",
            s(&protocol),
            "--stage",
            "model",
            "--out",
            s(&sharded),
            "--quiet",
        ])
    };
    let out = model();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("1 of 3 extraction shard(s) missing: 1"), "{err}");
    assert!(err.contains("--array=1"), "{err}");
    assert!(!sharded.exists(), "no run without every shard");

    let out = mmrad(&[
        "study",
        "run",
        s(&protocol),
        "--stage",
        "extract",
        "--shard",
        "1/3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = model();
    assert!(out.status.success(), "{}", stderr(&out));

    // The assembled cache (and the per-case cache the shards wrote) equals the unsharded extraction's, byte for byte.
    let assembled: Vec<(String, Vec<u8>)> = files(&cache)
        .into_iter()
        .filter(|(n, _)| !n.contains(".shard-"))
        .collect();
    assert_eq!(
        assembled.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        plain_tables.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()
    );
    assert!(
        assembled == plain_tables,
        "assembled cache differs from the unsharded extraction"
    );

    // Every output byte-identical; manifest.json's seal equal (its `run` section holds times).
    let (a, b) = (files(&plain), files(&sharded));
    assert_eq!(
        a.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        b.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if name == "manifest.json" {
            let seal = |bytes: &[u8]| {
                let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                v["manifest_sha256"].as_str().unwrap().to_owned()
            };
            assert_eq!(seal(x), seal(y));
        } else {
            assert!(x == y, "{name} differs between the plain and the sharded run");
        }
    }

    // A feature-table protocol has nothing to shard.
    let tabular = root.join("tabular.yaml");
    std::fs::write(
        &tabular,
        std::fs::read_to_string(&protocol)
            .unwrap()
            .replace("level: images, ", "")
            .replace(&format!(", dir: \"{}\"", cohort.display()), "")
            // Extraction parameters on a feature-table cohort are themselves an error; without them the
            // protocol is valid and only `--stage` is refused.
            .replace("{ extraction: ct.yaml }", "{}")
            .replace("{ extraction: mr.yaml }", "{}")
            .replace("{ extraction: mg2d.yaml }", "{}")
            .replace("{ extraction: us2d.yaml }", "{}"),
    )
    .unwrap();
    let out = mmrad(&[
        "study",
        "run",
        s(&tabular),
        "--stage",
        "extract",
        "--shard",
        "0/2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("apply to image-level cohorts"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn slurm_script_holds_the_array_and_the_dependent_job() {
    let root = std::env::temp_dir().join(format!("mmrad-slurm-script-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let protocol = root.join("my study.yaml");
    let out = mmrad(&[
        "slurm",
        "script",
        s(&protocol),
        "--shards",
        "8",
        "--partition",
        "short",
        "--time",
        "01:00:00",
        "--mem",
        "4G",
        "--cpus",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let script = String::from_utf8(out.stdout).unwrap();
    for line in [
        "#SBATCH --array=0-7",
        "#SBATCH --partition=short",
        "#SBATCH --time=01:00:00",
        "#SBATCH --mem=4G",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --chdir=",
        "--stage extract --shard \"$SLURM_ARRAY_TASK_ID/8\"",
        "--stage model",
        "sbatch --parsable --dependency=afterok:\"$array\"",
    ] {
        assert!(script.contains(line), "missing `{line}` in\n{script}");
    }
    // The path with a space is quoted for the shell.
    assert!(script.contains(&format!("'{}'", protocol.display())), "{script}");
    assert!(script.starts_with("#!/usr/bin/env bash\n"));
    // `bash -n`: the script parses.
    let path = root.join("submit.sh");
    std::fs::write(&path, &script).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(check.status.success(), "{}", stderr(&check));

    let out = mmrad(&[
        "slurm",
        "script",
        "--batch",
        "cases.csv",
        "-p",
        "params.yaml",
        "-o",
        "features.parquet",
        "--shards",
        "3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let script = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "#SBATCH --array=0-2",
        "--shard \"$SLURM_ARRAY_TASK_ID/3\"",
        "part-$SLURM_ARRAY_TASK_ID.parquet",
        " merge ",
        "--rerun-list",
    ] {
        assert!(script.contains(needle), "missing `{needle}` in\n{script}");
    }
    let out = mmrad(&["slurm", "script", s(&protocol), "--shards", "0"]);
    assert_eq!(out.status.code(), Some(1));
}
