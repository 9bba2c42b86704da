//! `cargo xtask repro [--update]`: runs the fast protocols of `studies/` with the release `mmrad` and compares each
//! run with its committed `studies/<name>.lock.json` (protocol hash, resolved settings, input digest, the sha256 of
//! every output, key metrics as written in `metrics.csv`); `--update` rewrites the lock files.
//!
//! A lock file is what CI holds a change to: a moved default shows as a `settings` diff, a moved number as an
//! `outputs` and `metrics` diff. Hashes are of this platform's build; another target or libm may need its own.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::Context;
use serde_json::{Map, Value};

use crate::study::{build_mmrad, describe_status};
use crate::{Failure, display_path, project_root};

/// Protocols of `studies/` that `cargo xtask repro` does not run unless named: templates (`*-template.yaml`) need
/// the user's own data. Every other protocol is fast enough for CI (the slowest, `liang2025`, generates and extracts
/// its image cohort in about 25 s from scratch on 2 cores).
fn skipped(stem: &str) -> bool {
    stem.ends_with("-template")
}

/// Columns of `metrics.csv` copied into the lock file.
const KEY_METRICS: [&str; 6] = ["auc", "auc_lo", "auc_hi", "brier", "cal_slope", "cal_intercept"];

/// Exit code when a run differs from its lock file (as `mmrad study check`).
const EXIT_NOT_REPRODUCED: u8 = 4;

pub(crate) fn run(args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    let mut update = false;
    let mut only: Vec<String> = Vec::new();
    for arg in args {
        match arg.to_string_lossy().as_ref() {
            "--update" => update = true,
            other if !other.starts_with('-') => only.push(other.trim_end_matches(".yaml").to_owned()),
            other => {
                return Err(Failure::usage(
                    format!("unknown argument `{other}` of `cargo xtask repro`"),
                    "usage: cargo xtask repro [--update] [NAME...]",
                )
                .into());
            }
        }
    }
    let root = project_root();
    let root = root.canonicalize().unwrap_or(root);
    let protocols = fast_protocols(&root, &only)?;
    let mmrad = build_mmrad(&root)?;
    let mut differing = Vec::new();
    for protocol in &protocols {
        let stem = stem(protocol);
        let out_dir = root.join("target").join("repro").join(&stem);
        let started = Instant::now();
        let mut command = Command::new(&mmrad);
        command
            .current_dir(&root)
            .args(["study", "run"])
            .arg(display_path(protocol, &root))
            .arg("--out")
            .arg(display_path(&out_dir, &root))
            .arg("--quiet")
            .stdin(Stdio::null());
        // Tables and warnings are those of `cargo xtask study`; shown only when the run fails.
        let output = command
            .output()
            .with_context(|| format!("could not start `{}`", display_path(&mmrad, &root)))?;
        let status = output.status;
        if !matches!(status.code(), Some(0 | 3)) {
            eprint!("{}", String::from_utf8_lossy(&output.stderr));
        }
        // 3: an `expected:` bound missed; the lock still records (and so guards) what the run produced.
        if !matches!(status.code(), Some(0 | 3)) {
            return Err(Failure::failed(
                format!(
                    "`mmrad study run {}` failed ({})",
                    display_path(protocol, &root),
                    describe_status(status)
                ),
                Some("run `cargo xtask study` on it to see the error".to_owned()),
            )
            .into());
        }
        let lock = lock_of(protocol, &out_dir, &root)?;
        let lock_path = protocol.with_file_name(format!("{stem}.lock.json"));
        let shown = display_path(&lock_path, &root);
        let seconds = started.elapsed().as_secs_f64();
        if update {
            let mut text = serde_json::to_string_pretty(&lock)?;
            text.push('\n');
            std::fs::write(&lock_path, text).with_context(|| format!("cannot write `{shown}`"))?;
            eprintln!("repro: {shown} written ({seconds:.1} s)");
            continue;
        }
        let committed = std::fs::read_to_string(&lock_path).map_err(|e| {
            Failure::failed(
                format!("cannot read the lock file `{shown}`: {e}"),
                Some("run `cargo xtask repro --update` and commit the lock file".to_owned()),
            )
        })?;
        let committed: Value = serde_json::from_str(&committed)
            .map_err(|e| Failure::failed(format!("`{shown}` is not valid JSON: {e}"), None))?;
        let changes = diff(&committed, &lock);
        if changes.is_empty() {
            eprintln!(
                "repro: {} reproduces {shown} ({seconds:.1} s)",
                display_path(protocol, &root)
            );
        } else {
            eprintln!(
                "repro: {} does NOT reproduce {shown}:",
                display_path(protocol, &root)
            );
            for change in &changes {
                eprintln!("  {change}");
            }
            differing.push(shown);
        }
    }
    if differing.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Failure {
            message: format!("{} protocol(s) differ from their lock files: {}", differing.len(), differing.join(", ")),
            help: Some(
                "if the change is deliberate, run `cargo xtask repro --update` and commit the lock diff with it"
                    .to_owned(),
            ),
            exit_code: EXIT_NOT_REPRODUCED,
        }
        .into())
    }
}

fn stem(protocol: &Path) -> String {
    protocol
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `studies/*.yaml` minus the [`skipped`] ones, sorted; or the named ones.
fn fast_protocols(root: &Path, only: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    let studies = root.join("studies");
    let mut all: Vec<PathBuf> = std::fs::read_dir(&studies)
        .with_context(|| format!("cannot list `{}`", studies.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    all.sort();
    if only.is_empty() {
        return Ok(all.into_iter().filter(|p| !skipped(&stem(p))).collect());
    }
    only.iter()
        .map(|name| {
            all.iter().find(|p| stem(p) == *name).cloned().ok_or_else(|| {
                Failure::usage(
                    format!("no protocol `studies/{name}.yaml`"),
                    format!(
                        "choose among: {}",
                        all.iter().map(|p| stem(p)).collect::<Vec<_>>().join(", ")
                    ),
                )
                .into()
            })
        })
        .collect()
}

/// The lock of a finished run: from its `manifest.json` and `metrics.csv`. Keys are inserted sorted so the text
/// is the same whatever map serde_json uses.
fn lock_of(protocol: &Path, out_dir: &Path, root: &Path) -> anyhow::Result<Value> {
    let manifest_path = out_dir.join("manifest.json");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("cannot read `{}`", manifest_path.display()))?,
    )
    .with_context(|| format!("`{}` is not JSON", manifest_path.display()))?;
    let field = |name: &str| manifest.get(name).cloned().unwrap_or(Value::Null);
    let files = |name: &str| -> BTreeMap<String, Value> {
        manifest
            .get(name)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| Some((f.get("path")?.as_str()?.to_owned(), f.get("sha256")?.clone())))
                    .collect()
            })
            .unwrap_or_default()
    };
    // One digest over every input (path and hash), so an image cohort's ~700 files stay one line.
    let inputs: String = files("inputs")
        .iter()
        .map(|(p, h)| format!("{p}\t{}\n", h.as_str().unwrap_or_default()))
        .collect();
    let metrics_path = out_dir.join("metrics.csv");
    let metrics_text = std::fs::read_to_string(&metrics_path)
        .with_context(|| format!("cannot read `{}`", metrics_path.display()))?;
    let mut lines = metrics_text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let mut metrics = BTreeMap::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let model = cells.first().copied().unwrap_or_default().to_owned();
        let values: BTreeMap<String, Value> = KEY_METRICS
            .iter()
            .filter_map(|k| {
                let idx = header.iter().position(|h| h == k)?;
                Some(((*k).to_owned(), Value::String(cells.get(idx)?.to_string())))
            })
            .collect();
        metrics.insert(model, Value::Object(values.into_iter().collect()));
    }
    let mut outputs = files("outputs");
    outputs.remove("manifest.json");
    let entries: BTreeMap<&str, Value> = BTreeMap::from([
        ("inputs_sha256", Value::String(sha256_of_text(&inputs))),
        ("metrics", Value::Object(metrics.into_iter().collect())),
        ("mmrad_version", field("mmrad_version")),
        ("output_format_version", field("output_format_version")),
        ("outputs", Value::Object(outputs.into_iter().collect())),
        ("protocol", Value::String(display_path(protocol, root))),
        (
            "protocol_sha256",
            manifest
                .pointer("/protocol/sha256")
                .cloned()
                .unwrap_or(Value::Null),
        ),
        ("settings", field("settings")),
    ]);
    let mut map = Map::new();
    for (k, v) in entries {
        map.insert(k.to_owned(), v);
    }
    Ok(Value::Object(map))
}

fn sha256_of_text(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What differs between a committed lock and a fresh one, one line per change.
fn diff(committed: &Value, now: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let get = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    if get(committed, "protocol_sha256") != get(now, "protocol_sha256") {
        out.push(format!(
            "the protocol `{}` changed since the lock file was written",
            get(now, "protocol").as_str().unwrap_or_default()
        ));
    }
    for key in ["mmrad_version", "output_format_version", "inputs_sha256"] {
        if get(committed, key) != get(now, key) {
            out.push(format!("{key}: {} -> {}", get(committed, key), get(now, key)));
        }
    }
    let lines = |v: &Value| -> Vec<String> {
        v.get("settings")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|l| l.as_str().map(|s| s.trim().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old, new) = (lines(committed), lines(now));
    if old != new {
        let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
        let suffix = old[prefix..]
            .iter()
            .rev()
            .zip(new[prefix..].iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        for l in &old[prefix..old.len() - suffix] {
            out.push(format!("settings - {l}"));
        }
        for l in &new[prefix..new.len() - suffix] {
            out.push(format!("settings + {l}"));
        }
    }
    for (section, what) in [("outputs", "sha256"), ("metrics", "")] {
        let (a, b) = (get(committed, section), get(now, section));
        let empty = Map::new();
        let (a, b) = (a.as_object().unwrap_or(&empty), b.as_object().unwrap_or(&empty));
        let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for key in keys {
            let (x, y) = (a.get(key), b.get(key));
            if x == y {
                continue;
            }
            match (x, y, section) {
                (Some(Value::Object(x)), Some(Value::Object(y)), "metrics") => {
                    for (metric, old) in x {
                        let new = y.get(metric).unwrap_or(&Value::Null);
                        if old != new {
                            out.push(format!("metrics {key}.{metric}: {old} -> {new}"));
                        }
                    }
                }
                (None, Some(_), _) => out.push(format!("{section} {key}: new")),
                (Some(_), None, _) => out.push(format!("{section} {key}: no longer written")),
                _ => out.push(format!("{section} {key}: {what} differs")),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_every_kind_of_change() {
        let a: Value = serde_json::json!({
            "protocol": "studies/x.yaml", "protocol_sha256": "p1", "mmrad_version": "0.1.0",
            "output_format_version": 3, "inputs_sha256": "i",
            "settings": ["Plan {", "    tol: 1e-7,", "}"],
            "outputs": {"metrics.csv": "h1", "dca.csv": "h2"},
            "metrics": {"CT": {"auc": "0.75", "brier": "0.2"}}
        });
        assert!(diff(&a, &a).is_empty());
        let mut b = a.clone();
        b["protocol_sha256"] = "p2".into();
        b["settings"][1] = "    tol: 1e-8,".into();
        b["outputs"]["metrics.csv"] = "h3".into();
        b["outputs"].as_object_mut().unwrap().remove("dca.csv");
        b["metrics"]["CT"]["auc"] = "0.76".into();
        let changes = diff(&a, &b);
        assert_eq!(
            changes,
            [
                "the protocol `studies/x.yaml` changed since the lock file was written",
                "settings - tol: 1e-7,",
                "settings + tol: 1e-8,",
                "outputs dca.csv: no longer written",
                "outputs metrics.csv: sha256 differs",
                "metrics CT.auc: \"0.75\" -> \"0.76\"",
            ]
        );
    }
}
