//! `mmrad study check`: a fresh run reproduces (exit 0); an output that a rerun does not reproduce is named with
//! its largest numeric difference (exit 4); a hand-edited manifest, a changed protocol, a missing or changed input
//! are clear errors (exit 1); a missing argument is a usage error (exit 2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mmrad_testkit::workspace_root;

fn mmrad_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mmrad"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mmrad-check-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `studies/smoke.yaml` (copied into `dir`) into `dir/run`.
fn smoke_run(dir: &Path) {
    std::fs::copy(
        workspace_root().join("studies/smoke.yaml"),
        dir.join("smoke.yaml"),
    )
    .unwrap();
    let out = mmrad_in(
        dir,
        &["study", "run", "smoke.yaml", "--out", "run", "-j", "2", "--quiet"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn a_fresh_run_reproduces_and_a_differing_output_is_named_with_its_largest_difference() {
    let dir = tmp("smoke");
    smoke_run(&dir);
    let out = mmrad_in(
        &dir,
        &["study", "check", "run/manifest.json", "-j", "1", "--quiet"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("reproduced: all 16 outputs byte-identical"),
        "{}",
        text(&out.stdout)
    );

    // A run whose metrics.csv says CT's AUC is 0.125 higher (as if written by a binary that computes it
    // differently): the file and its hash in the manifest are changed consistently and the manifest resealed.
    let metrics_path = dir.join("run/metrics.csv");
    let metrics = std::fs::read_to_string(&metrics_path).unwrap();
    let mut lines: Vec<String> = metrics.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let auc_col = header.iter().position(|h| *h == "auc").unwrap();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
    assert_eq!(cells[0], "CT");
    let auc: f64 = cells[auc_col].parse().unwrap();
    cells[auc_col] = format!("{}", auc + 0.125);
    lines[1] = cells.join(",");
    let edited = format!("{}\n", lines.join("\n"));
    std::fs::write(&metrics_path, &edited).unwrap();
    let manifest_path = dir.join("run/manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    for output in manifest["outputs"].as_array_mut().unwrap() {
        if output["path"] == "metrics.csv" {
            output["sha256"] = mmrad_study::output::sha256_hex(edited.as_bytes()).into();
        }
    }
    manifest["manifest_sha256"] = mmrad_study::manifest::seal(&manifest).into();
    std::fs::write(&manifest_path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();

    let out = mmrad_in(&dir, &["study", "check", "run/manifest.json", "--quiet"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}{}", text(&out.stderr));
    let line = stdout
        .lines()
        .find(|l| l.starts_with("metrics.csv: differs"))
        .unwrap_or_else(|| panic!("{stdout}"));
    // Shortest round-trip text of |(auc + 0.125) - auc|, computed here as the check must.
    let expected = (auc + 0.125 - auc).abs();
    assert!(
        line.contains(&format!(
            "largest numeric difference {expected} at row 1, column `auc`"
        )),
        "{line}"
    );
    assert!(line.contains("1 cell(s)"), "{line}");
    assert!(
        stdout.contains("NOT reproduced: 1 of 16 outputs differ"),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("does not reproduce"));
}

#[test]
fn edited_manifest_changed_protocol_and_missing_usage_are_errors() {
    let dir = tmp("errors");
    smoke_run(&dir);
    let manifest_path = dir.join("run/manifest.json");
    let original = std::fs::read_to_string(&manifest_path).unwrap();

    // Hand edit: a seed changed without resealing.
    std::fs::write(&manifest_path, original.replace("\"seed\": 7", "\"seed\": 8")).unwrap();
    let out = mmrad_in(&dir, &["study", "check", "run/manifest.json", "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the manifest was modified after the run"),
        "{stderr}"
    );
    assert!(stderr.contains("help: restore the original manifest"), "{stderr}");
    std::fs::write(&manifest_path, &original).unwrap();

    // A default that moved between the run and now shows as a settings change (simulated: the recorded
    // settings say `tol: 1e-8`, resealed); the outputs still reproduce.
    let mut manifest: serde_json::Value = serde_json::from_str(&original).unwrap();
    for line in manifest["settings"].as_array_mut().unwrap() {
        if line.as_str().unwrap().trim() == "tol: 1e-7," {
            *line = line.as_str().unwrap().replace("1e-7", "1e-8").into();
        }
    }
    manifest["manifest_sha256"] = mmrad_study::manifest::seal(&manifest).into();
    std::fs::write(&manifest_path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    let out = mmrad_in(&dir, &["study", "check", "run/manifest.json", "--quiet"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("resolved settings changed since the run"),
        "{stdout}"
    );
    assert!(stdout.contains("  - tol: 1e-8,\n  + tol: 1e-7,\n"), "{stdout}");
    std::fs::write(&manifest_path, &original).unwrap();

    // The protocol changed since the run (even only a comment).
    let protocol = std::fs::read_to_string(dir.join("smoke.yaml")).unwrap();
    std::fs::write(dir.join("smoke.yaml"), format!("{protocol}# edited\n")).unwrap();
    let out = mmrad_in(&dir, &["study", "check", "run/manifest.json", "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the protocol `smoke.yaml` changed since the run"),
        "{stderr}"
    );
    std::fs::write(dir.join("smoke.yaml"), &protocol).unwrap();

    // A manifest that does not exist, and no manifest at all (usage).
    let out = mmrad_in(&dir, &["study", "check", "nope/manifest.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read"), "{}", text(&out.stderr));
    let out = mmrad_in(&dir, &["study", "check"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_and_changed_input_tables_are_named() {
    let dir = tmp("inputs");
    let out = mmrad_in(
        &dir,
        &[
            "synth",
            "liang2025",
            "--level",
            "features",
            "--out",
            "tables",
            "--n",
            "60",
            "--events",
            "20",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Fewer repeats than `mmrad synth` writes, to keep the test short.
    let yaml = std::fs::read_to_string(dir.join("tables/cohort.yaml")).unwrap();
    let yaml = yaml.replace("folds: 5, repeats: 10", "folds: 3, repeats: 1");
    std::fs::write(dir.join("tables/cohort.yaml"), yaml).unwrap();
    let out = mmrad_in(
        &dir,
        &["study", "run", "tables/cohort.yaml", "--out", "run", "--quiet"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = mmrad_in(&dir, &["study", "check", "run/manifest.json", "--quiet"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    let ct = dir.join("tables/ct.csv");
    let bytes = std::fs::read(&ct).unwrap();
    std::fs::write(&ct, [&bytes[..], b"\n"].concat()).unwrap();
    let out = mmrad_in(&dir, &["study", "check", "run/manifest.json", "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the input file `tables/ct.csv` changed since the run"),
        "{stderr}"
    );

    std::fs::remove_file(&ct).unwrap();
    let out = mmrad_in(&dir, &["study", "check", "run/manifest.json", "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the input file `tables/ct.csv` listed in the manifest is missing"),
        "{stderr}"
    );
}

#[test]
fn check_works_from_another_folder() {
    let dir = tmp("elsewhere");
    smoke_run(&dir);
    let other = tmp("elsewhere-cwd");
    let manifest = dir.join("run/manifest.json");
    let out = mmrad_in(
        &other,
        &["study", "check", manifest.to_str().unwrap(), "-j", "1", "--quiet"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("rerunning from"),
        "{}",
        text(&out.stderr)
    );
}
