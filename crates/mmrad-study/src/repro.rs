//! `mmrad study check`: verify a run's manifest, its protocol and inputs, rerun the protocol into a scratch folder
//! and compare every output with the recorded one (sha256; for CSV tables also the largest numeric difference).
//!
//! Paths in a manifest are as given when the study ran (relative to the folder it was started from), so `check`
//! runs from that folder too.

use std::path::{Path, PathBuf};

use crate::extract_batch::parse_csv;
use crate::manifest::{self, Manifest};
use crate::output::sha256_hex;
use crate::{Error, Result, RunOptions};

/// How to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub threads: usize,
    pub progress: bool,
    /// Keep the rerun in this folder (else a scratch folder, removed afterwards).
    pub keep: Option<PathBuf>,
}

/// The result of a check.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub manifest: Manifest,
    /// Lines of the resolved settings that differ between the run and now (`-` recorded, `+` now): a default
    /// changed in mmrad while the protocol text did not.
    pub settings_changes: Vec<String>,
    /// One entry per recorded output, in manifest order.
    pub outputs: Vec<OutputCheck>,
    /// Files the rerun wrote that the manifest does not list.
    pub unlisted: Vec<String>,
}

impl CheckReport {
    /// Every recorded output reproduced and the run folder unmodified.
    pub fn reproduced(&self) -> bool {
        self.outputs
            .iter()
            .all(|o| o.rerun == Status::Same && o.run_folder == Status::Same)
            && self.unlisted.is_empty()
    }

    /// The report for stdout: one line per output that differs, and a summary.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let m = &self.manifest;
        out.push_str(&format!(
            "check of `{}` (protocol `{}`, mmrad {}, revision {})\n",
            m.name, m.protocol.path, m.mmrad_version, m.build.git_revision
        ));
        if !self.settings_changes.is_empty() {
            out.push_str("resolved settings changed since the run (same protocol text; a default moved):\n");
            for line in &self.settings_changes {
                out.push_str(&format!("  {line}\n"));
            }
        }
        for o in &self.outputs {
            if o.run_folder != Status::Same {
                out.push_str(&format!(
                    "{}: the file in the run folder {} since the run\n",
                    o.path,
                    match o.run_folder {
                        Status::Missing => "is missing",
                        _ => "was modified",
                    }
                ));
            }
            match o.rerun {
                Status::Same => {}
                Status::Missing => out.push_str(&format!("{}: not written by the rerun\n", o.path)),
                Status::Differs => {
                    let detail = o
                        .table
                        .as_ref()
                        .map_or_else(|| "bytes differ".to_owned(), |t| t.describe());
                    out.push_str(&format!("{}: differs: {detail}\n", o.path));
                }
            }
        }
        for path in &self.unlisted {
            out.push_str(&format!(
                "{path}: written by the rerun but not listed in the manifest\n"
            ));
        }
        let differing = self.outputs.iter().filter(|o| o.rerun != Status::Same).count();
        if self.reproduced() {
            out.push_str(&format!(
                "reproduced: all {} outputs byte-identical\n",
                self.outputs.len()
            ));
        } else {
            out.push_str(&format!(
                "NOT reproduced: {differing} of {} outputs differ\n",
                self.outputs.len()
            ));
        }
        out
    }
}

/// Whether a file matches its recorded sha256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Same,
    Differs,
    Missing,
}

/// One recorded output.
#[derive(Debug, Clone)]
pub struct OutputCheck {
    pub path: String,
    /// The rerun's file against the recorded hash.
    pub rerun: Status,
    /// The run folder's file against the recorded hash.
    pub run_folder: Status,
    /// For a CSV that differs: run folder file against the rerun's, cell by cell (when the run folder still holds
    /// the recorded file).
    pub table: Option<TableDiff>,
}

/// Cell-by-cell comparison of two CSV tables.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDiff {
    /// Header or row count differ: the tables cannot be compared cell by cell.
    pub shape: Option<String>,
    /// Cells that differ.
    pub cells: usize,
    /// The largest absolute difference among cells numeric in both tables: (difference, 1-based data row, column,
    /// recorded value, rerun value).
    pub largest: Option<(f64, usize, String, String, String)>,
    /// Differing cells not numeric in both.
    pub text_cells: usize,
}

impl TableDiff {
    fn describe(&self) -> String {
        if let Some(shape) = &self.shape {
            return shape.clone();
        }
        let mut parts = vec![format!("{} cell(s)", self.cells)];
        if let Some((d, row, column, a, b)) = &self.largest {
            parts.push(format!(
                "largest numeric difference {} at row {row}, column `{column}` ({a} recorded, {b} now)",
                crate::output::float(*d)
            ));
        }
        if self.text_cells > 0 {
            parts.push(format!("{} non-numeric cell(s)", self.text_cells));
        }
        parts.join("; ")
    }
}

/// Compares two CSV texts cell by cell.
pub fn diff_tables(recorded: &str, now: &str) -> TableDiff {
    let parse = |t: &str| {
        parse_csv(t)
            .map(|rows| rows.into_iter().map(|(_, cells)| cells).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let (a, b) = (parse(recorded), parse(now));
    let mut diff = TableDiff {
        shape: None,
        cells: 0,
        largest: None,
        text_cells: 0,
    };
    if a.first() != b.first() {
        diff.shape = Some("the header differs".to_owned());
        return diff;
    }
    if a.len() != b.len() {
        diff.shape = Some(format!(
            "{} data rows recorded, {} now",
            a.len().saturating_sub(1),
            b.len().saturating_sub(1)
        ));
        return diff;
    }
    let header = a.first().cloned().unwrap_or_default();
    for (row, (ra, rb)) in a.iter().zip(&b).enumerate().skip(1) {
        let width = ra.len().max(rb.len());
        for col in 0..width {
            let (ca, cb) = (
                ra.get(col).map_or("", String::as_str),
                rb.get(col).map_or("", String::as_str),
            );
            if ca == cb {
                continue;
            }
            diff.cells += 1;
            match (ca.parse::<f64>(), cb.parse::<f64>()) {
                (Ok(x), Ok(y)) => {
                    let d = if x.is_finite() && y.is_finite() {
                        (x - y).abs()
                    } else {
                        f64::INFINITY
                    };
                    if diff.largest.as_ref().is_none_or(|(best, ..)| d > *best) {
                        let column = header
                            .get(col)
                            .cloned()
                            .unwrap_or_else(|| format!("#{}", col + 1));
                        diff.largest = Some((d, row, column, ca.to_owned(), cb.to_owned()));
                    }
                }
                _ => diff.text_cells += 1,
            }
        }
    }
    diff
}

/// The digest of an input as recorded in a manifest (a folder: its files in name order).
fn input_digest(path: &Path) -> Result<String> {
    crate::images::path_digest(path)
}

/// Checks a run: verifies the manifest's seal, that the protocol and every input are unchanged, reruns the
/// protocol and compares every output.
///
/// # Errors
/// [`Error::Manifest`] for a damaged or edited manifest, a changed or missing protocol, a missing or changed
/// input; the run's own errors.
pub fn check(manifest_path: &Path, options: &CheckOptions) -> Result<CheckReport> {
    let recorded = manifest::read(manifest_path)?;
    let fail = |message: String, help: &str| Error::Manifest {
        path: manifest_path.to_owned(),
        message,
        help: help.to_owned(),
    };
    if recorded.protocol.path.is_empty() {
        return Err(fail(
            "the run records no protocol file (it was started from the library, not `mmrad study run`)"
                .into(),
            "check runs started with `mmrad study run PROTOCOL`",
        ));
    }
    let protocol_path = PathBuf::from(&recorded.protocol.path);
    let protocol_bytes = std::fs::read(&protocol_path).map_err(|e| {
        fail(
            format!("cannot read the protocol `{}`: {e}", protocol_path.display()),
            "paths in the manifest are relative to the folder the study was run from; run `check` from there",
        )
    })?;
    let now = sha256_hex(&protocol_bytes);
    if now != recorded.protocol.sha256 {
        return Err(fail(
            format!(
                "the protocol `{}` changed since the run (sha256 {now}, recorded {})",
                protocol_path.display(),
                recorded.protocol.sha256
            ),
            "restore the protocol of the run (e.g. `git diff` it), or rerun the study to record the new one",
        ));
    }
    for input in &recorded.inputs {
        let path = Path::new(&input.path);
        // The extraction cache may be cleared; the rerun then extracts again from the (checked) images.
        let cache = path.components().any(|c| c.as_os_str() == ".mmrad-cache");
        if !path.exists() {
            if cache {
                continue;
            }
            return Err(fail(
                format!(
                    "the input file `{}` listed in the manifest is missing",
                    input.path
                ),
                "restore the file (or run `check` from the folder the study was run from)",
            ));
        }
        let digest = input_digest(path)?;
        if digest != input.sha256 {
            return Err(fail(
                format!(
                    "the input file `{}` changed since the run (sha256 {digest}, recorded {})",
                    input.path, input.sha256
                ),
                "restore the input of the run; a changed input cannot reproduce the run",
            ));
        }
    }

    let mut plan = mmrad_protocol::load(&protocol_path).map_err(|e| {
        fail(
            format!(
                "the protocol `{}` no longer validates: {e}",
                protocol_path.display()
            ),
            "this mmrad reads the protocol differently from the one that ran it; check `mmrad_version`",
        )
    })?;
    let modalities: Vec<String> = plan
        .modalities
        .iter()
        .map(|m| m.modality.as_str().to_owned())
        .collect();
    if modalities != recorded.modalities {
        plan = crate::ablate::only_modalities(&plan, &recorded.modalities)?;
    }
    let settings: Vec<String> = format!("{plan:#?}").lines().map(str::to_owned).collect();
    let settings_changes = line_diff(&recorded.settings, &settings);

    let scratch = options.keep.clone().unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        std::env::temp_dir().join(format!("mmrad-check-{}-{nanos}", std::process::id()))
    });
    let run_options = RunOptions {
        out_dir: scratch.clone(),
        threads: options.threads,
        progress: options.progress,
        protocol_bytes,
        protocol_path: Some(protocol_path),
        no_cache: false,
    };
    let result = crate::run_study(&plan, &run_options)
        .and_then(|summary| compare(manifest_path, &recorded, &scratch, &summary.files));
    if options.keep.is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    let (outputs, unlisted) = result?;
    Ok(CheckReport {
        manifest: recorded,
        settings_changes,
        outputs,
        unlisted,
    })
}

type Compared = (Vec<OutputCheck>, Vec<String>);

fn compare(
    manifest_path: &Path,
    recorded: &Manifest,
    scratch: &Path,
    written: &[(PathBuf, String)],
) -> Result<Compared> {
    let run_dir = manifest_path.parent().unwrap_or(Path::new("."));
    let mut outputs = Vec::new();
    for entry in &recorded.outputs {
        let rerun_hash = written
            .iter()
            .find(|(p, _)| p.display().to_string() == entry.path)
            .map(|(_, h)| h.clone());
        let rerun = match &rerun_hash {
            None => Status::Missing,
            Some(h) if *h == entry.sha256 => Status::Same,
            Some(_) => Status::Differs,
        };
        let original = std::fs::read(run_dir.join(&entry.path)).ok();
        let run_folder = match &original {
            None => Status::Missing,
            Some(bytes) if sha256_hex(bytes) == entry.sha256 => Status::Same,
            Some(_) => Status::Differs,
        };
        let table = match (rerun, run_folder, &original) {
            (Status::Differs, Status::Same, Some(bytes)) if entry.path.ends_with(".csv") => {
                let now = std::fs::read(scratch.join(&entry.path)).unwrap_or_default();
                Some(diff_tables(
                    &String::from_utf8_lossy(bytes),
                    &String::from_utf8_lossy(&now),
                ))
            }
            _ => None,
        };
        outputs.push(OutputCheck {
            path: entry.path.clone(),
            rerun,
            run_folder,
            table,
        });
    }
    let unlisted = written
        .iter()
        .map(|(p, _)| p.display().to_string())
        .filter(|p| p != manifest::MANIFEST && !recorded.outputs.iter().any(|e| e.path == *p))
        .collect();
    Ok((outputs, unlisted))
}

/// Lines only in `before` (`- …`) and only in `after` (`+ …`), by position after the common prefix and suffix.
fn line_diff(before: &[String], after: &[String]) -> Vec<String> {
    let prefix = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let suffix = before[prefix..]
        .iter()
        .rev()
        .zip(after[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out: Vec<String> = before[prefix..before.len() - suffix]
        .iter()
        .map(|l| format!("- {}", l.trim()))
        .collect();
    out.extend(
        after[prefix..after.len() - suffix]
            .iter()
            .map(|l| format!("+ {}", l.trim())),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_diff_finds_the_largest_numeric_difference() {
        let a = "model,auc,note\nCT,0.75,x\nMR,0.5,y\n";
        let b = "model,auc,note\nCT,0.7501,x\nMR,0.25,z\n";
        let d = diff_tables(a, b);
        assert_eq!(d.cells, 3);
        assert_eq!(d.text_cells, 1);
        let (diff, row, column, was, now) = d.largest.unwrap();
        assert_eq!(
            (diff, row, column.as_str(), was.as_str(), now.as_str()),
            (0.25, 2, "auc", "0.5", "0.25")
        );
        assert_eq!(
            diff_tables(a, "model,auc,note\nCT,0.75,x\n").shape.unwrap(),
            "2 data rows recorded, 1 now"
        );
        assert_eq!(diff_tables(a, a).cells, 0);
    }

    #[test]
    fn line_diff_shows_the_changed_lines() {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            line_diff(&v(&["a", "tol: 1e-7,", "c"]), &v(&["a", "tol: 1e-8,", "c"])),
            ["- tol: 1e-7,", "+ tol: 1e-8,"]
        );
        assert!(line_diff(&v(&["a"]), &v(&["a"])).is_empty());
    }
}
