//! Sharded batch extraction (`mmrad extract --batch … --shard I/N`) and the exact merge of the parts
//! (`mmrad merge`), for job arrays (Slurm) where each task extracts one shard.
//!
//! **Split.** Shard `I` of `N` (`0 ≤ I < N`, Slurm's `$SLURM_ARRAY_TASK_ID`) takes the rows the split assigns to it,
//! in batch order. When every `Image` exists, rows are balanced by image size on disk (a DICOM folder: its files'
//! sizes summed): largest first, each to the shard with the fewest bytes so far (ties: fewer rows, lower index),
//! which every shard computes alike from the same files. Otherwise (a missing image) contiguous blocks of rows.
//!
//! **Part.** A shard writes its rows as `mmrad extract --batch` would (CSV or Parquet) and then, as the last step, a
//! sidecar `<part>.shard.json` ([`ShardManifest`]): the batch file's sha256, the resolved settings' sha256, `N`,
//! `I`, the rows, each row's status, the part's columns and kinds, the part file's sha256 and the mmrad version.
//! A shard that dies leaves no sidecar (both files are written atomically), so the merge sees it as missing.
//!
//! **Merge.** [`merge_parts`] reads every sidecar of a folder, checks that one batch, one setting and one `N` are
//! present, that every shard `0..N` is there once, that each part file is the one its sidecar describes, and that
//! the rows cover the batch exactly once; then rebuilds the table of the unsharded run: copied columns, the
//! columns of the batch's first successful case (the head of that case's part), then every other column sorted by
//! name — the rule of [`crate::extract_batch`] — with rows in batch order. Written by the same writer, the merged
//! file is byte-identical to the unsharded output. A CSV part cannot tell an empty diagnostic text from a missing
//! cell; both are written empty to CSV, and as null to Parquet (no diagnostic PyRadiomics-mode extraction writes
//! is empty).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use mmrad_protocol::params_file::ExtractionParams;

use crate::extract_batch::{
    BatchInput, BatchOptions, BatchOutput, CaseFailure, Cell, ColumnKind, assemble, extract_results,
    parse_csv,
};
use crate::output::{sha256_file, sha256_hex, write_atomic};
use crate::{Error, Result};

/// The format tag of a shard sidecar.
pub const SHARD_FORMAT: &str = "mmrad-shard/1";

/// Shard `index` of `count` (`I/N`, `0 ≤ I < N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for ShardSpec {
    type Err = String;

    /// Parses `I/N` with `0 ≤ I < N` (Slurm array task ids start at 0).
    fn from_str(text: &str) -> std::result::Result<ShardSpec, String> {
        let bad = || format!("expected `I/N` with 0 <= I < N (e.g. `0/4`); found `{text}`");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(ShardSpec { index, count })
    }
}

impl std::fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// How the rows were split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitRule {
    /// Balanced by image bytes (every image exists).
    ImageSize,
    /// Contiguous blocks of rows.
    RowIndex,
}

/// Bytes of a file, or of every file under a folder; `None` when the path does not exist.
pub fn path_size(path: &Path) -> Option<u64> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return Some(meta.len());
    }
    let mut total = 0u64;
    for entry in std::fs::read_dir(path).ok()? {
        let entry = entry.ok()?;
        total = total.saturating_add(path_size(&entry.path())?);
    }
    Some(total)
}

/// The rows of each of `count` shards (each in ascending order): balanced by `sizes` when given (one per row),
/// else contiguous blocks.
pub fn split_rows(n_rows: usize, sizes: Option<&[u64]>, count: usize) -> Vec<Vec<usize>> {
    let count = count.max(1);
    let mut shards = vec![Vec::new(); count];
    match sizes {
        Some(sizes) if sizes.len() == n_rows => {
            let mut order: Vec<usize> = (0..n_rows).collect();
            // Largest first; equal sizes in row order.
            order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
            let mut load = vec![(0u64, 0usize); count];
            for row in order {
                let target = (0..count).min_by_key(|&s| (load[s].0, load[s].1, s)).unwrap_or(0);
                load[target].0 = load[target].0.saturating_add(sizes[row]);
                load[target].1 += 1;
                shards[target].push(row);
            }
            for shard in &mut shards {
                shard.sort_unstable();
            }
        }
        _ => {
            for (s, shard) in shards.iter_mut().enumerate() {
                *shard = (s * n_rows / count..(s + 1) * n_rows / count).collect();
            }
        }
    }
    shards
}

/// The split of a batch: by image size when every image exists, else by row index.
pub fn split_batch(input: &BatchInput, count: usize) -> (SplitRule, Vec<Vec<usize>>) {
    let sizes: Option<Vec<u64>> = input.cases.iter().map(|c| path_size(&c.image)).collect();
    match sizes {
        Some(sizes) => (
            SplitRule::ImageSize,
            split_rows(input.cases.len(), Some(&sizes), count),
        ),
        None => (SplitRule::RowIndex, split_rows(input.cases.len(), None, count)),
    }
}

/// sha256 of the resolved extraction settings (every setting, class, image type and filter setting).
pub fn settings_digest(params: &ExtractionParams) -> String {
    let resolved = ExtractionParams {
        notes: Vec::new(),
        ..params.clone()
    };
    sha256_hex(format!("{resolved:?}").as_bytes())
}

/// What happened to one row of a shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowStatus {
    /// Row index in the batch (0 = the first case).
    pub row: usize,
    /// Line in the batch file.
    pub line: usize,
    /// `ok`, `failed` or `skipped` (not started under `--fail-fast`).
    pub status: String,
    /// The failure's reason.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The image path (for failure messages).
    pub image: String,
}

/// The sidecar of a shard's part (`<part>.shard.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardManifest {
    pub format: String,
    pub mmrad_version: String,
    /// The batch file as given, and its sha256.
    pub batch: String,
    pub batch_sha256: String,
    /// sha256 of the resolved extraction settings ([`settings_digest`]).
    pub settings_sha256: String,
    pub shard: usize,
    pub shards: usize,
    pub split: SplitRule,
    /// Rows of the whole batch.
    pub batch_rows: usize,
    /// This shard's rows, ascending, with their status.
    pub rows: Vec<RowStatus>,
    /// The part file's name (same folder as the sidecar) and sha256.
    pub part: String,
    pub part_sha256: String,
    /// The batch file's columns (copied to the output first).
    pub input_columns: Vec<String>,
    /// The part's computed columns in file order, with kind `diagnostic` or `feature`.
    pub columns: Vec<(String, String)>,
    /// How many of `columns` are the columns of the shard's first successful case.
    pub first_columns: usize,
}

/// The sidecar path of a part: `<part>.shard.json`.
pub fn sidecar_path(part: &Path) -> PathBuf {
    let mut name = part.file_name().map(std::ffi::OsString::from).unwrap_or_default();
    name.push(".shard.json");
    part.with_file_name(name)
}

/// The result of one shard: its table and sidecar.
#[derive(Debug, Clone)]
pub struct ShardOutput {
    pub output: BatchOutput,
    pub manifest: ShardManifest,
}

/// Extracts shard `spec` of the batch `input` (read from `batch_path`) and writes the part to `out` and its sidecar
/// beside it.
///
/// # Errors
/// An unreadable batch file, a thread-pool or write failure. Failing cases are recorded, not errors.
pub fn extract_shard(
    batch_path: &Path,
    input: &BatchInput,
    params: &ExtractionParams,
    options: &BatchOptions,
    spec: ShardSpec,
    out: &Path,
) -> Result<ShardOutput> {
    let batch_sha256 = sha256_file(batch_path)?;
    let (split, shards) = split_batch(input, spec.count);
    let rows = shards.into_iter().nth(spec.index).unwrap_or_default();
    let sub = BatchInput {
        columns: input.columns.clone(),
        cases: rows.iter().filter_map(|&r| input.cases.get(r).cloned()).collect(),
    };
    let results = extract_results(&sub, params, options)?;
    let output = assemble(&sub, &results);
    let first_columns = results
        .iter()
        .find_map(|r| r.as_ref().and_then(|r| r.as_ref().ok()))
        .map_or(0, |e| {
            e.diagnostics
                .iter()
                .map(|(n, _)| n)
                .chain(e.features.iter().map(|(n, _)| n))
                .filter(|n| !input.columns.contains(n))
                .count()
        });
    let statuses = rows
        .iter()
        .zip(&sub.cases)
        .zip(&results)
        .map(|((&row, case), result)| {
            let (status, reason) = match result {
                Some(Ok(_)) => ("ok", String::new()),
                Some(Err(error)) => ("failed", error.reason.clone()),
                None => ("skipped", String::new()),
            };
            RowStatus {
                row,
                line: case.line,
                status: status.to_owned(),
                reason,
                image: case.image.display().to_string(),
            }
        })
        .collect();
    output.write(out)?;
    let manifest = ShardManifest {
        format: SHARD_FORMAT.to_owned(),
        mmrad_version: env!("CARGO_PKG_VERSION").to_owned(),
        batch: batch_path.display().to_string(),
        batch_sha256,
        settings_sha256: settings_digest(params),
        shard: spec.index,
        shards: spec.count,
        split,
        batch_rows: input.cases.len(),
        rows: statuses,
        part: out
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        part_sha256: sha256_file(out)?,
        input_columns: input.columns.clone(),
        columns: output
            .columns
            .iter()
            .skip(input.columns.len())
            .map(|(n, k)| (n.clone(), kind_name(*k).to_owned()))
            .collect(),
        first_columns,
    };
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| Error::Write {
        path: sidecar_path(out),
        message: e.to_string(),
    })?;
    write_atomic(&sidecar_path(out), format!("{json}\n").as_bytes())?;
    Ok(ShardOutput { output, manifest })
}

fn kind_name(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Feature => "feature",
        ColumnKind::Diagnostic => "diagnostic",
        ColumnKind::Copied => "copied",
    }
}

/// A merged table and what the shards reported.
#[derive(Debug, Clone)]
pub struct Merged {
    pub output: BatchOutput,
    pub shards: usize,
    /// Shards with failed or skipped cases (to rerun once the cause is fixed).
    pub failed_shards: Vec<usize>,
}

/// Why a set of parts cannot be merged: every problem found, and the shards to rerun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeProblems {
    pub problems: Vec<String>,
    pub rerun: Vec<usize>,
}

impl std::fmt::Display for MergeProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.problems.join("; "))
    }
}

/// Why [`merge_parts`] failed.
#[derive(Debug)]
pub enum MergeError {
    /// The parts do not make one complete run.
    Problems(MergeProblems),
    /// The folder cannot be read.
    Read(Error),
}

/// A part read back: its sidecar, header and rows of cells.
struct Part {
    manifest: ShardManifest,
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

/// Reads every `*.shard.json` in `dir` and merges the parts.
///
/// # Errors
/// [`MergeError::Problems`] when shards are missing, foreign, duplicated, damaged or do not cover the batch
/// ([`MergeProblems::rerun`] lists the shards to rerun); [`MergeError::Read`] for an unreadable folder.
pub fn merge_parts(dir: &Path) -> std::result::Result<Merged, MergeError> {
    merge_parts_into(dir, Path::new("merged.parquet"))
}

/// As [`merge_parts`], for the output `out`: for a CSV output the feature cells of CSV parts stay text (their
/// shortest round-trip form is the text the unsharded run writes), which saves parsing and formatting every value.
///
/// # Errors
/// As [`merge_parts`].
pub fn merge_parts_into(dir: &Path, out: &Path) -> std::result::Result<Merged, MergeError> {
    let text_features = !out.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let read_err = |path: &Path, message: String| Error::ReadTable {
        path: path.to_owned(),
        message,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| MergeError::Read(read_err(dir, e.to_string())))?;
    let mut sidecars: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy().ends_with(".shard.json") && !n.to_string_lossy().starts_with('.')
            })
        })
        .collect();
    sidecars.sort();
    if sidecars.is_empty() {
        return Err(MergeError::Problems(MergeProblems {
            problems: vec![format!(
                "no shard manifests (`*.shard.json`) in `{}`; run `mmrad extract --batch … --shard I/N -o {}/part-I.csv` first",
                dir.display(),
                dir.display()
            )],
            rerun: Vec::new(),
        }));
    }
    let mut problems = Vec::new();
    let mut manifests = Vec::new();
    for path in &sidecars {
        let parsed = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<ShardManifest>(&t).map_err(|e| e.to_string()));
        match parsed {
            Ok(m) if m.format == SHARD_FORMAT => manifests.push((path.clone(), m)),
            Ok(m) => problems.push(format!(
                "`{}` has format `{}`; expected `{SHARD_FORMAT}`",
                path.display(),
                m.format
            )),
            Err(e) => problems.push(format!("`{}` is not a shard manifest: {e}", path.display())),
        }
    }
    // The reference run: the (batch, settings, N, version) with the most distinct shards; ties by the key.
    let key = |m: &ShardManifest| {
        (
            m.batch_sha256.clone(),
            m.settings_sha256.clone(),
            m.shards,
            m.mmrad_version.clone(),
        )
    };
    let mut groups: BTreeMap<_, BTreeSet<usize>> = BTreeMap::new();
    for (_, m) in &manifests {
        groups.entry(key(m)).or_default().insert(m.shard);
    }
    let Some(reference) = groups
        .iter()
        .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(a.0)))
        .map(|(k, _)| k.clone())
    else {
        return Err(MergeError::Problems(MergeProblems {
            problems,
            rerun: Vec::new(),
        }));
    };
    let count = reference.2;
    let mut by_shard: BTreeMap<usize, Vec<(PathBuf, ShardManifest)>> = BTreeMap::new();
    for (path, m) in manifests {
        if key(&m) == reference {
            by_shard.entry(m.shard).or_default().push((path, m));
            continue;
        }
        let why = if m.batch_sha256 != reference.0 {
            "another batch file (sha256 differs)"
        } else if m.settings_sha256 != reference.1 {
            "other extraction settings"
        } else if m.shards != count {
            "another shard count"
        } else {
            "another mmrad version"
        };
        problems.push(format!(
            "`{}` (shard {}/{}) comes from {why} than the other {} part(s); remove it",
            path.display(),
            m.shard,
            m.shards,
            groups.get(&reference).map_or(0, BTreeSet::len)
        ));
    }
    let mut rerun = BTreeSet::new();
    let mut missing = Vec::new();
    let mut parts: Vec<Part> = Vec::new();
    for index in 0..count {
        let Some(entries) = by_shard.remove(&index) else {
            rerun.insert(index);
            missing.push(index.to_string());
            continue;
        };
        if entries.len() > 1 {
            let names: Vec<String> = entries
                .iter()
                .map(|(p, _)| format!("`{}`", p.display()))
                .collect();
            problems.push(format!(
                "shard {index}/{count} appears {} times: {}; keep one",
                entries.len(),
                names.join(", ")
            ));
            continue;
        }
        for (path, m) in entries {
            match read_part(dir, m, text_features) {
                Ok(part) => parts.push(part),
                Err(message) => {
                    problems.push(format!("`{}`: {message}", path.display()));
                    rerun.insert(index);
                }
            }
        }
    }
    if !missing.is_empty() {
        problems.insert(
            0,
            format!(
                "{} of {count} shard(s) missing (no `.shard.json`: not run, still running or failed): {}",
                missing.len(),
                missing.join(", ")
            ),
        );
    }
    // Rows: every batch row exactly once.
    let n_rows = parts.first().map_or(0, |p| p.manifest.batch_rows);
    let mut owner: Vec<Option<(usize, usize)>> = vec![None; n_rows];
    for (p, part) in parts.iter().enumerate() {
        for (r, status) in part.manifest.rows.iter().enumerate() {
            match owner.get_mut(status.row) {
                Some(slot @ None) => *slot = Some((p, r)),
                Some(Some((other, _))) => problems.push(format!(
                    "batch row {} (line {}) is in shards {} and {}",
                    status.row, status.line, parts[*other].manifest.shard, part.manifest.shard
                )),
                None => problems.push(format!(
                    "shard {} lists row {} but the batch has {n_rows} rows",
                    part.manifest.shard, status.row
                )),
            }
        }
    }
    if problems.is_empty() {
        let uncovered: Vec<String> = owner
            .iter()
            .enumerate()
            .filter(|(_, o)| o.is_none())
            .map(|(r, _)| r.to_string())
            .collect();
        if !uncovered.is_empty() {
            problems.push(format!(
                "batch rows {} are in no shard (the split changed between shards: did an image change?); rerun every shard",
                uncovered.join(", ")
            ));
            rerun.extend(0..count);
        }
    }
    if !problems.is_empty() {
        return Err(MergeError::Problems(MergeProblems {
            problems,
            rerun: rerun.into_iter().collect(),
        }));
    }
    let failed_shards = parts
        .iter()
        .filter(|p| p.manifest.rows.iter().any(|r| r.status != "ok"))
        .map(|p| p.manifest.shard)
        .collect();
    let owner: Vec<(usize, usize)> = owner.into_iter().flatten().collect();
    Ok(Merged {
        output: assemble_merged(&mut parts, &owner),
        shards: count,
        failed_shards,
    })
}

/// Reads a part and checks it against its sidecar.
fn read_part(dir: &Path, manifest: ShardManifest, text_features: bool) -> std::result::Result<Part, String> {
    let path = dir.join(&manifest.part);
    let bytes =
        std::fs::read(&path).map_err(|e| format!("cannot read the part `{}`: {e}", path.display()))?;
    if sha256_hex(&bytes) != manifest.part_sha256 {
        return Err(format!(
            "the part `{}` is not the file its manifest describes (sha256 differs)",
            path.display()
        ));
    }
    let n_copied = manifest.input_columns.len();
    let kinds: Vec<ColumnKind> = std::iter::repeat_n(ColumnKind::Copied, n_copied)
        .chain(manifest.columns.iter().map(|(_, k)| {
            if k == "feature" {
                ColumnKind::Feature
            } else {
                ColumnKind::Diagnostic
            }
        }))
        .collect();
    let (header, rows) = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    {
        read_parquet_part(&bytes, &kinds)?
    } else {
        read_csv_part(&bytes, &kinds, text_features)?
    };
    let expected: Vec<&str> = manifest
        .input_columns
        .iter()
        .map(String::as_str)
        .chain(manifest.columns.iter().map(|(n, _)| n.as_str()))
        .collect();
    if header.iter().map(String::as_str).ne(expected.iter().copied()) || rows.len() != manifest.rows.len() {
        return Err("the part's columns or rows differ from its manifest".into());
    }
    Ok(Part {
        manifest,
        header,
        rows,
    })
}

fn read_csv_part(
    bytes: &[u8],
    kinds: &[ColumnKind],
    text_features: bool,
) -> std::result::Result<(Vec<String>, Vec<Vec<Cell>>), String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut records = parse_csv(text)?.into_iter();
    let header = records.next().map(|(_, h)| h).unwrap_or_default();
    let mut rows = Vec::new();
    for (line, cells) in records {
        if cells.len() != kinds.len() {
            return Err(format!(
                "line {line} has {} cells; expected {}",
                cells.len(),
                kinds.len()
            ));
        }
        let row = cells
            .into_iter()
            .zip(kinds)
            .map(|(text, kind)| match kind {
                ColumnKind::Copied => Ok(Cell::Text(text)),
                _ if text.is_empty() => Ok(Cell::Missing),
                ColumnKind::Diagnostic => Ok(Cell::Text(text)),
                ColumnKind::Feature if text_features => Ok(Cell::Text(text)),
                ColumnKind::Feature => text
                    .parse::<f64>()
                    .map(Cell::Float)
                    .map_err(|_| format!("line {line}: `{text}` is not a number")),
            })
            .collect::<std::result::Result<Vec<Cell>, String>>()?;
        rows.push(row);
    }
    Ok((header, rows))
}

fn read_parquet_part(
    bytes: &[u8],
    kinds: &[ColumnKind],
) -> std::result::Result<(Vec<String>, Vec<Vec<Cell>>), String> {
    use polars::prelude::{DataType, ParquetReader, SerReader};
    let frame = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| e.to_string())?;
    let header: Vec<String> = frame.get_column_names().iter().map(|n| n.to_string()).collect();
    if header.len() != kinds.len() {
        return Err(format!("{} columns; expected {}", header.len(), kinds.len()));
    }
    let mut rows = vec![Vec::with_capacity(kinds.len()); frame.height()];
    for (column, kind) in frame.columns().iter().zip(kinds) {
        if *kind == ColumnKind::Feature {
            let values = column.cast(&DataType::Float64).map_err(|e| e.to_string())?;
            let values = values.f64().map_err(|e| e.to_string())?;
            for (row, value) in rows.iter_mut().zip(values.iter()) {
                row.push(value.map_or(Cell::Missing, Cell::Float));
            }
        } else {
            let values = column.cast(&DataType::String).map_err(|e| e.to_string())?;
            let values = values.str().map_err(|e| e.to_string())?;
            for (row, value) in rows.iter_mut().zip(values.iter()) {
                row.push(value.map_or(Cell::Missing, |t| Cell::Text(t.to_owned())));
            }
        }
    }
    Ok((header, rows))
}

/// The unsharded table from the parts; `owner[row]` = (part, row within the part).
fn assemble_merged(parts: &mut [Part], owner: &[(usize, usize)]) -> BatchOutput {
    let input_columns = parts
        .first()
        .map(|p| p.manifest.input_columns.clone())
        .unwrap_or_default();
    let n_copied = input_columns.len();
    let mut columns: Vec<(String, ColumnKind)> = input_columns
        .iter()
        .map(|c| (c.clone(), ColumnKind::Copied))
        .collect();
    let kind_of = |k: &str| {
        if k == "feature" {
            ColumnKind::Feature
        } else {
            ColumnKind::Diagnostic
        }
    };
    // The batch's first successful case heads the part it is in, so that part's first columns are its columns.
    let first_ok = owner
        .iter()
        .find(|&&(p, r)| parts[p].manifest.rows[r].status == "ok")
        .map(|&(p, _)| p);
    if let Some(p) = first_ok {
        let manifest = &parts[p].manifest;
        let first: Vec<(String, ColumnKind)> = manifest
            .columns
            .iter()
            .take(manifest.first_columns)
            .map(|(n, k)| (n.clone(), kind_of(k)))
            .collect();
        let mut later = BTreeSet::new();
        for part in parts.iter() {
            for (name, kind) in &part.manifest.columns {
                if !first.iter().any(|(n, _)| n == name) && !input_columns.contains(name) {
                    later.insert((name.clone(), kind == "feature"));
                }
            }
        }
        columns.extend(first);
        columns.extend(later.into_iter().map(|(n, is_feature)| {
            (
                n,
                if is_feature {
                    ColumnKind::Feature
                } else {
                    ColumnKind::Diagnostic
                },
            )
        }));
    }
    // Per part: the part column of each merged column.
    let maps: Vec<Vec<Option<usize>>> = parts
        .iter()
        .map(|part| {
            let index: BTreeMap<&str, usize> = part
                .header
                .iter()
                .enumerate()
                .skip(n_copied)
                .map(|(i, n)| (n.as_str(), i))
                .collect();
            columns
                .iter()
                .enumerate()
                .map(|(i, (n, _))| {
                    if i < n_copied {
                        Some(i)
                    } else {
                        index.get(n.as_str()).copied()
                    }
                })
                .collect()
        })
        .collect();
    let mut rows = Vec::with_capacity(owner.len());
    let mut failures = Vec::new();
    let mut skipped = 0;
    for &(p, r) in owner {
        let part = &mut parts[p];
        let status = &part.manifest.rows[r];
        match status.status.as_str() {
            "failed" => failures.push(CaseFailure {
                line: status.line,
                image: PathBuf::from(&status.image),
                reason: status.reason.clone(),
                // The sidecar keeps the reason; the help line is printed by the shard's own run.
                help: None,
            }),
            "skipped" => skipped += 1,
            _ => {}
        }
        // Each part cell moves to the merged table once.
        let source = &mut part.rows[r];
        rows.push(
            maps[p]
                .iter()
                .map(|c| {
                    c.and_then(|c| source.get_mut(c))
                        .map_or(Cell::Missing, |cell| std::mem::replace(cell, Cell::Missing))
                })
                .collect(),
        );
    }
    BatchOutput {
        columns,
        rows,
        failures,
        skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs_parse_and_reject() {
        assert_eq!("2/4".parse::<ShardSpec>(), Ok(ShardSpec { index: 2, count: 4 }));
        for bad in ["4/4", "0/0", "1", "a/2", "-1/3"] {
            assert!(bad.parse::<ShardSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn splits_cover_every_row_once_and_balance_bytes() {
        let sizes = [100, 1, 1, 1, 50, 50, 1, 1];
        let shards = split_rows(sizes.len(), Some(&sizes), 3);
        let mut all: Vec<usize> = shards.concat();
        all.sort_unstable();
        assert_eq!(all, (0..8).collect::<Vec<_>>());
        // LPT: 100 alone; 50 + 50 split; the 1s fill the lighter shards.
        assert_eq!(shards, vec![vec![0], vec![1, 3, 4, 7], vec![2, 5, 6]]);
        assert_eq!(split_rows(5, None, 2), vec![vec![0, 1], vec![2, 3, 4]]);
        assert_eq!(split_rows(2, None, 4), vec![vec![], vec![0], vec![], vec![1]]);
    }
}
