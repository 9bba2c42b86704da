//! `manifest.json`: what a run read, how it was configured, what it wrote, and the hash that seals it.
//!
//! Every field except `run` (thread count, start time, wall time) is covered by `manifest_sha256`: the sha256 of
//! the manifest's JSON with `run` and `manifest_sha256` removed, object keys sorted and no whitespace. The
//! sealed part is identical for the same protocol, inputs and binary whatever the thread count or the day; a
//! manifest edited by hand no longer matches its seal ([`read`] says so).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use mmrad_protocol::{Plan, Pooling};

use crate::cohort::Cohort;
use crate::output::sha256_hex;
use crate::{Error, Result};

/// The manifest's file name in the output folder.
pub const MANIFEST: &str = "manifest.json";

/// Version of the output files' layout; bumped when a file, a column or a manifest field changes.
///
/// 2: metrics.csv gained eo_ratio, emax, e90, eavg, spiegelhalter_p (+ auc_boot_lo/hi), and thresholds.csv.
/// 3: manifest.json gained `settings`, `modalities`, `build`, `manifest_sha256` and the unsealed `run` section
///    (`threads` moved there); image cohorts list every image and mask with its sha256 under `inputs`. The run also
///    writes `figures/*.svg`, `report.html`, `optimism*.csv` (bootstrap validation), and `nomogram.csv` rows follow
///    rms's ticks with `probability` rows added.
pub const OUTPUT_FORMAT_VERSION: u32 = 3;

/// The contents of `manifest.json`, in file order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub mmrad_version: String,
    pub output_format_version: u32,
    pub name: String,
    /// The protocol file as given on the command line, with the sha256 of its text.
    pub protocol: FileEntry,
    /// The validated plan with every default explicit (its Rust `Debug` rendering, one line per element): a
    /// changed default shows up here even when the protocol text is unchanged.
    pub settings: Vec<String>,
    /// The modalities of the run, in order (fewer than the protocol's after `--only-modalities`).
    pub modalities: Vec<String>,
    pub seed: u64,
    pub seeds: String,
    pub n: usize,
    pub events: usize,
    pub validation: String,
    pub pooling: String,
    pub build: BuildInfo,
    /// Every file read, with its sha256: tables, and for image cohorts the manifest CSV, every image and mask
    /// (a DICOM folder: the digest of its files in name order) and the extracted feature tables.
    pub inputs: Vec<FileEntry>,
    pub dropped_columns: usize,
    pub warnings: Vec<String>,
    /// Every output file (relative to the output folder) with its sha256, in write order.
    pub outputs: Vec<FileEntry>,
    /// sha256 of everything above (see the module documentation).
    pub manifest_sha256: String,
    /// Not sealed: how this particular run went.
    pub run: RunInfo,
}

/// A file and the sha256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
}

/// The binary that produced the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildInfo {
    /// Git revision of the source the binary was built from (`unknown` outside a git checkout).
    pub git_revision: String,
    pub rustc: String,
    /// Target triple.
    pub platform: String,
    /// Feature naming and behaviour of the extraction.
    pub extraction_compat: String,
}

impl BuildInfo {
    /// This binary's build.
    pub fn current() -> BuildInfo {
        BuildInfo {
            git_revision: env!("MMRAD_GIT_REVISION").to_owned(),
            rustc: env!("MMRAD_RUSTC_VERSION").to_owned(),
            platform: env!("MMRAD_TARGET").to_owned(),
            extraction_compat: "pyradiomics-3.1".to_owned(),
        }
    }
}

/// The unsealed part of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub threads: usize,
    /// UTC start of the modelling (after the cohort was loaded), `YYYY-MM-DDTHH:MM:SSZ`.
    pub started_utc: String,
    pub wall_seconds: f64,
    /// The folder the run was started from: the relative protocol and input paths are relative to it, so
    /// `mmrad study check` can rerun from anywhere. Machine-specific, hence unsealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

/// Prepares an output folder for a run: removes the previous `manifest.json` (so that a folder whose run was
/// interrupted has no manifest, and mixed old and new outputs are never presented as one run) and temporary
/// files left by an interrupted write.
///
/// # Errors
/// [`Error::Write`] when the folder cannot be created or cleaned.
pub fn prepare_out_dir(dir: &Path) -> Result<()> {
    let err = |path: &Path, e: std::io::Error| Error::Write {
        path: path.to_owned(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
    let manifest = dir.join(MANIFEST);
    match std::fs::remove_file(&manifest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(&manifest, e)),
    }
    for entry in std::fs::read_dir(dir).map_err(|e| err(dir, e))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // The temporary names of `output::write_atomic`.
        if name.starts_with('.') && name.contains(".tmp-") && entry.path().is_file() {
            std::fs::remove_file(entry.path()).map_err(|e| err(&entry.path(), e))?;
        }
    }
    Ok(())
}

/// What [`build`] needs besides the plan and the cohort.
pub(crate) struct ManifestInput<'a> {
    pub protocol_path: Option<&'a Path>,
    pub protocol_bytes: &'a [u8],
    pub warnings: &'a [String],
    pub outputs: &'a [(PathBuf, String)],
    pub threads: usize,
    pub started: SystemTime,
}

/// The seed derivation, as documented in [`crate::run`].
const SEEDS: &str = "folds of repeat r: SeededRng::derive(seed, [1, r]); inner LASSO CV of modality m in repeat r, \
                     fold f: SeededRng::derive(seed, [seed, 0x1A550000 + m, r, f]); apparent fit: r = f = 2^64 - 1";

/// The manifest of a finished run, sealed.
pub(crate) fn build(plan: &Plan, cohort: &Cohort, input: &ManifestInput<'_>) -> Manifest {
    let entry = |(p, h): &(PathBuf, String)| FileEntry {
        path: p.display().to_string(),
        sha256: h.clone(),
    };
    let wall = input.started.elapsed().unwrap_or(Duration::ZERO).as_secs_f64();
    let mut manifest = Manifest {
        mmrad_version: env!("CARGO_PKG_VERSION").to_owned(),
        output_format_version: OUTPUT_FORMAT_VERSION,
        name: plan.name.clone(),
        protocol: FileEntry {
            path: input
                .protocol_path
                .map_or(String::new(), |p| p.display().to_string()),
            sha256: sha256_hex(input.protocol_bytes),
        },
        settings: format!("{plan:#?}").lines().map(str::to_owned).collect(),
        modalities: plan
            .modalities
            .iter()
            .map(|m| m.modality.as_str().to_owned())
            .collect(),
        seed: plan.seed,
        seeds: SEEDS.to_owned(),
        n: cohort.cases.len(),
        events: cohort.n_events(),
        validation: format!("{:?}", plan.validation),
        pooling: match plan.evaluation.pool {
            Pooling::MeanOverRepeats => "mean_over_repeats",
            Pooling::CaseMean => "case_mean",
        }
        .to_owned(),
        build: BuildInfo::current(),
        inputs: cohort.inputs.iter().map(entry).collect(),
        dropped_columns: cohort.dropped.len(),
        warnings: input.warnings.to_vec(),
        outputs: input.outputs.iter().map(entry).collect(),
        manifest_sha256: String::new(),
        run: RunInfo {
            threads: input.threads.max(1),
            started_utc: utc(input.started),
            // Milliseconds are enough and keep the text short.
            wall_seconds: (wall * 1000.0).round() / 1000.0,
            working_dir: std::env::current_dir().ok().map(|d| d.display().to_string()),
        },
    };
    manifest.manifest_sha256 = serde_json::to_value(&manifest).map_or_else(|_| String::new(), |v| seal(&v));
    manifest
}

/// The manifest's file text (pretty JSON in field order, trailing newline).
///
/// # Errors
/// [`Error::Write`] naming `path` if serialisation fails.
pub fn to_text(manifest: &Manifest, path: &Path) -> Result<String> {
    let mut json = serde_json::to_string_pretty(manifest).map_err(|e| Error::Write {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    json.push('\n');
    Ok(json)
}

/// The seal of a manifest given as JSON: sha256 of its canonical text without `run` and `manifest_sha256`.
pub fn seal(manifest: &Value) -> String {
    let mut sealed = manifest.clone();
    if let Value::Object(map) = &mut sealed {
        map.remove("run");
        map.remove("manifest_sha256");
    }
    let mut text = String::new();
    canonical(&sealed, &mut text);
    sha256_hex(text.as_bytes())
}

/// Compact JSON with object keys sorted at every level (independent of serde_json's map order).
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Reads and verifies a manifest: valid JSON of this layout, of this output format version, whose seal matches.
///
/// # Errors
/// [`Error::Manifest`] saying what is wrong (unreadable, not JSON, another format version, a missing field,
/// a seal mismatch: edited by hand).
pub fn read(path: &Path) -> Result<Manifest> {
    let fail = |message: String, help: &str| Error::Manifest {
        path: path.to_owned(),
        message,
        help: help.to_owned(),
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(
            format!("cannot read: {e}"),
            "give the `manifest.json` of a finished run (a folder without one holds an interrupted run)",
        )
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        fail(
            format!("not valid JSON: {e}"),
            "the file was damaged or edited; rerun the study to get a fresh manifest",
        )
    })?;
    let version = value.get("output_format_version").and_then(Value::as_u64);
    if version != Some(u64::from(OUTPUT_FORMAT_VERSION)) {
        return Err(fail(
            format!(
                "output format version {} but this mmrad ({}) reads version {OUTPUT_FORMAT_VERSION}",
                version.map_or_else(|| "missing".to_owned(), |v| v.to_string()),
                env!("CARGO_PKG_VERSION")
            ),
            "check it with the mmrad version that wrote it (`mmrad_version` in the manifest), or rerun the study",
        ));
    }
    let recorded = value
        .get("manifest_sha256")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let actual = seal(&value);
    if recorded != actual {
        return Err(fail(
            format!(
                "the manifest was modified after the run: its content hashes to {actual} but `manifest_sha256` \
                 records {recorded}"
            ),
            "restore the original manifest (or rerun the study); only the `run` section may differ",
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        fail(
            format!("unexpected layout: {e}"),
            "the manifest was written by another mmrad version; rerun the study",
        )
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a time (UTC; the proleptic Gregorian calendar of Howard Hinnant's `civil_from_days`).
fn utc(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_matches_known_dates() {
        // Closed form: 0 = 1970-01-01; 951_782_400 = 2000-02-29 (leap day); 1_798_761_599 = 2026-12-31 23:59:59.
        let at = |s: u64| utc(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_798_761_599), "2026-12-31T23:59:59Z");
    }

    #[test]
    fn seal_ignores_run_and_key_order_but_not_content() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":[1,{"y":2,"x":3}],"run":{"threads":1}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"run":{"threads":8},"b":[1,{"x":3,"y":2}],"a":1}"#).unwrap();
        let c: Value = serde_json::from_str(r#"{"a":2,"b":[1,{"y":2,"x":3}],"run":{"threads":1}}"#).unwrap();
        assert_eq!(seal(&a), seal(&b));
        assert_ne!(seal(&a), seal(&c));
    }
}
