//! Crash safety of `mmrad study run`: a child process killed with SIGKILL at points spread over the run (the
//! computation and the writing of outputs) never leaves an incomplete file under a final name (every output
//! present equals the uninterrupted run's, byte for byte; a folder whose run did not finish has no
//! `manifest.json`), and a rerun into the same folder removes leftover temporary files and writes exactly the
//! uninterrupted run's outputs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use mmrad_testkit::workspace_root;

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mmrad-crash-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn command(dir: &Path, out: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mmrad"));
    command
        .args(["study", "run", "crash.yaml", "--out", out, "-j", "2", "--quiet"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Every file of a folder by name; the manifest without its unsealed `run` section.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let mut bytes = std::fs::read(&p).unwrap();
            if name == "manifest.json" {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                v.as_object_mut().unwrap().remove("run");
                bytes = v.to_string().into_bytes();
            }
            (name, bytes)
        })
        .collect()
}

#[test]
fn a_killed_run_leaves_no_partial_output_and_a_rerun_equals_an_uninterrupted_run() {
    let dir = tmp("kill");
    // The smoke protocol with more repeats, so that a run lasts long enough to be interrupted at many points.
    let protocol = std::fs::read_to_string(workspace_root().join("studies/smoke.yaml"))
        .unwrap()
        .replace("folds: 3, repeats: 2", "folds: 3, repeats: 6")
        .replace(
            "evaluation: { calibration: { groups: 5 } }",
            "evaluation: { calibration: { groups: 5 }, dca: true }",
        );
    assert!(protocol.contains("repeats: 6") && protocol.contains("dca: true"));
    std::fs::write(dir.join("crash.yaml"), protocol).unwrap();

    let started = Instant::now();
    assert!(command(&dir, "reference").status().unwrap().success());
    let duration = started.elapsed();
    let reference = files(&dir.join("reference"));
    assert!(reference.contains_key("manifest.json") && reference.contains_key("dca.csv"));

    let out = dir.join("out");
    let mut interrupted = 0;
    for fraction in [0.2, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 1.0] {
        let mut child = command(&dir, "out").spawn().unwrap();
        std::thread::sleep(duration.mul_f64(fraction));
        // `Child::kill` is SIGKILL on Unix: no destructor, no cleanup runs.
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !status.success() {
            interrupted += 1;
        }
        if !out.exists() {
            continue;
        }
        let now = files(&out);
        for (name, bytes) in &now {
            if name.starts_with('.') {
                assert!(name.contains(".tmp-"), "unexpected file `{name}`");
                continue;
            }
            let expected = reference
                .get(name)
                .unwrap_or_else(|| panic!("`{name}` is not an output"));
            assert!(
                bytes == expected,
                "killed at {fraction} of the run: `{name}` exists under its final name but is not the complete file"
            );
        }
        if !status.success() && now.contains_key("manifest.json") {
            // Killed after the manifest was written: the run was complete.
            assert_eq!(
                now.keys().filter(|k| !k.starts_with('.')).count(),
                reference.len()
            );
        }
    }
    assert!(
        interrupted >= 3,
        "only {interrupted} runs were interrupted; the kill points missed the run"
    );

    assert!(command(&dir, "out").status().unwrap().success());
    let after = files(&out);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "the rerun left other files (temporary files must be cleaned)"
    );
    for (name, bytes) in &reference {
        assert!(
            bytes == &after[name],
            "`{name}` differs from the uninterrupted run"
        );
    }
}

/// Files of a folder by name, without the temporary ones (`.name.tmp-PID`).
fn complete_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files(dir)
        .into_iter()
        .filter(|(name, _)| !name.starts_with('.'))
        .collect()
}

fn modified(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn a_run_killed_during_extraction_resumes_from_the_cases_already_extracted() {
    let dir = tmp("kill-images");
    std::fs::copy(
        workspace_root().join("studies/smoke-images.yaml"),
        dir.join("crash.yaml"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("params")).unwrap();
    for entry in std::fs::read_dir(workspace_root().join("studies/params")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join("params").join(path.file_name().unwrap())).unwrap();
    }
    // The first run generates the synthetic images (kept) and extracts every case (cache removed below).
    assert!(command(&dir, "reference").status().unwrap().success());
    let reference = files(&dir.join("reference"));
    let cache = std::fs::read_dir(dir.join("runs/.cache"))
        .unwrap()
        .map(|e| e.unwrap().path().join(".mmrad-cache"))
        .find(|p| p.is_dir())
        .expect("the image cohort's feature cache");
    let cases = cache.join("cases");
    let reference_cases = complete_files(&cases);
    let total = reference_cases.len();
    assert_eq!(total, 4 * 40, "one cached file per case and modality");
    std::fs::remove_dir_all(&cache).unwrap();

    // Kill the run once a third, then two thirds, of the cases are extracted.
    for share in [3, 2] {
        let mut child = command(&dir, "out").spawn().unwrap();
        let started = Instant::now();
        loop {
            let done = std::fs::read_dir(&cases)
                .map(|d| {
                    d.filter(|e| {
                        e.as_ref()
                            .is_ok_and(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    })
                    .count()
                })
                .unwrap_or(0);
            if done * share >= total || started.elapsed().as_secs() > 120 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let _ = child.kill();
        assert!(!child.wait().unwrap().success(), "the run ended before the kill");
        for (name, bytes) in complete_files(&cases) {
            assert!(
                reference_cases.get(&name) == Some(&bytes),
                "cached case `{name}` is not the complete file"
            );
        }
        for (name, bytes) in complete_files(&cache) {
            let path = cache.join(&name);
            if path.is_file() {
                assert!(name.starts_with("features-"), "unexpected cache file `{name}`");
                assert!(!bytes.is_empty(), "a modality table `{name}` exists but is empty");
            }
        }
    }
    let kept: BTreeMap<String, std::time::SystemTime> = complete_files(&cases)
        .keys()
        .map(|name| (name.clone(), modified(&cases.join(name))))
        .collect();
    assert!(
        !kept.is_empty() && kept.len() < total,
        "{} of {total} cases were cached when the run was killed",
        kept.len()
    );

    assert!(command(&dir, "out").status().unwrap().success());
    let after = files(&dir.join("out"));
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &reference {
        assert!(
            bytes == &after[name],
            "`{name}` differs from the uninterrupted run"
        );
    }
    assert_eq!(complete_files(&cases), reference_cases);
    for (name, time) in &kept {
        assert_eq!(
            modified(&cases.join(name)),
            *time,
            "case `{name}` was extracted again instead of reused"
        );
    }
    eprintln!(
        "killed twice during extraction; the rerun reused {} of {total} cached cases",
        kept.len()
    );
}
