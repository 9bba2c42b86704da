//! The cohort: case ids, the binary outcome, the clinical table and one feature table per modality, all in the
//! same case order; loaded from the embedded synthetic generator or from CSV / Parquet tables with every check.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use polars::prelude::*;

use mmrad_core::{CaseId, FeatureName, FeatureTable, Modality};
use mmrad_protocol::{CohortSource, Plan, SyntheticGenerator};

use crate::output::{csv_field, write_atomic};
use crate::{Error, Result};

/// A loaded cohort; every table's rows follow `cases`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    pub cases: Vec<CaseId>,
    /// The outcome (true = event).
    pub y: Vec<bool>,
    /// The clinical candidates of the plan (only those columns), in plan order; empty without a clinical model.
    pub clinical: FeatureTable,
    /// Feature tables in plan modality order, after dropping constant / all-missing columns.
    pub features: Vec<(Modality, FeatureTable)>,
    /// Columns dropped at load time, with the reason.
    pub dropped: Vec<Dropped>,
    /// Input files with their sha256 (empty for a synthetic cohort).
    pub inputs: Vec<(PathBuf, String)>,
}

/// A feature column removed before any fitting (it carries no information in any fold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub table: String,
    pub column: String,
    /// `constant` or `all_missing`.
    pub reason: &'static str,
}

impl Cohort {
    pub fn n_events(&self) -> usize {
        self.y.iter().filter(|&&e| e).count()
    }

    /// The cohort with only the feature tables of `modalities`, in that order (a table absent from the cohort is
    /// skipped; [`crate::run::run_on_cohort`] then reports the mismatch with the plan).
    pub fn with_modalities(&self, modalities: &[Modality]) -> Cohort {
        let mut out = self.clone();
        out.features = modalities
            .iter()
            .filter_map(|m| self.features.iter().find(|(have, _)| have == m).cloned())
            .collect();
        out
    }
}

/// Loads the plan's cohort and checks it.
///
/// # Errors
/// Any [`Error`] naming the table, column or case: unreadable table, missing column, duplicate or unmatched case
/// ids, non-binary or one-class outcome, missing clinical or feature values, non-numeric columns, a table with no
/// usable column, more folds than cases of the smaller class.
pub fn load(plan: &Plan) -> Result<Cohort> {
    load_with_threads(plan, 1)
}

/// As [`load`], extracting the features of an image-level cohort on `threads` threads (the result does not depend
/// on it).
///
/// # Errors
/// As [`load`], and those of [`crate::images::load_images`].
pub fn load_with_threads(plan: &Plan, threads: usize) -> Result<Cohort> {
    load_with_cache(plan, threads, true)
}

/// As [`load_with_threads`]; `reuse_cache: false` extracts image cohorts again instead of reading their cached
/// feature tables (and rewrites the cache).
///
/// # Errors
/// As [`load`].
pub fn load_with_cache(plan: &Plan, threads: usize, reuse_cache: bool) -> Result<Cohort> {
    let candidates: Vec<String> = plan
        .clinical
        .as_ref()
        .map(|c| c.candidates.clone())
        .unwrap_or_default();
    let cohort = match &plan.cohort {
        CohortSource::Synthetic {
            generator: SyntheticGenerator::Liang2025,
            n,
            events,
            seed,
        } => {
            let params = mmrad_synth::Liang2025Params {
                n: *n,
                events: *events,
                seed: *seed,
            };
            from_synthetic(&mmrad_synth::liang2025_features(&params)?, plan, &candidates)?
        }
        CohortSource::SyntheticImages {
            generator: SyntheticGenerator::Liang2025,
            n,
            events,
            seed,
            dir,
        } => {
            let manifest = crate::images::ensure_synthetic_images(*n, *events, *seed, dir)?;
            crate::images::load_images(plan, &manifest, "case_id", &candidates, threads, reuse_cache)?
        }
        CohortSource::Images { manifest, case_id } => {
            crate::images::load_images(plan, manifest, case_id, &candidates, threads, reuse_cache)?
        }
        CohortSource::Synthetic { .. } | CohortSource::SyntheticImages { .. } => {
            return Err(Error::Fit {
                context: "cohort".into(),
                message: "unsupported synthetic generator".into(),
            });
        }
        CohortSource::Manifest {
            clinical,
            features,
            case_id,
        } => from_tables(clinical, features, case_id, &plan.outcome, &candidates)?,
    };
    check_outcome(&cohort, &plan.outcome, plan)?;
    Ok(cohort)
}

fn check_outcome(cohort: &Cohort, outcome: &str, plan: &Plan) -> Result<()> {
    let events = cohort.n_events();
    let n = cohort.y.len();
    if events == 0 || events == n {
        return Err(Error::OneClass {
            column: outcome.to_owned(),
            events,
            n,
        });
    }
    if let mmrad_protocol::Validation::StratifiedKFold { folds, .. } = plan.validation {
        let smaller = events.min(n - events);
        if folds > smaller {
            return Err(Error::TooManyFolds { folds, smaller });
        }
    }
    Ok(())
}

/// Builds a cohort from a generated synthetic cohort, keeping the plan's modalities and clinical candidates.
///
/// # Errors
/// [`Error::MissingColumn`] for a modality or candidate the generator does not produce.
pub fn from_synthetic(
    synthetic: &mmrad_synth::SyntheticCohort,
    plan: &Plan,
    candidates: &[String],
) -> Result<Cohort> {
    let clinical_cols: Vec<usize> = candidates
        .iter()
        .map(|c| {
            synthetic
                .clinical
                .names()
                .iter()
                .position(|n| n.0 == *c)
                .ok_or_else(|| Error::MissingColumn {
                    table: "synthetic clinical".into(),
                    column: c.clone(),
                })
        })
        .collect::<Result<_>>()?;
    let mut features = Vec::new();
    let mut dropped = Vec::new();
    for modality in &plan.modalities {
        let table = synthetic
            .features
            .iter()
            .find(|(m, _)| *m == modality.modality)
            .map(|(_, t)| t)
            .ok_or_else(|| Error::MissingColumn {
                table: "synthetic cohort".into(),
                column: modality.modality.to_string(),
            })?;
        let (table, mut dropped_here) = drop_uninformative(table, modality.modality.as_str())?;
        dropped.append(&mut dropped_here);
        features.push((modality.modality.clone(), table));
    }
    Ok(Cohort {
        cases: synthetic.outcome.cases.clone(),
        y: synthetic.outcome.events.clone(),
        clinical: synthetic.clinical.select_columns(&clinical_cols),
        features,
        dropped,
        inputs: Vec::new(),
    })
}

/// Removes constant and all-missing columns; any other missing value is an error naming the case.
fn drop_uninformative(table: &FeatureTable, table_name: &str) -> Result<(FeatureTable, Vec<Dropped>)> {
    let mut keep = Vec::new();
    let mut dropped = Vec::new();
    for (j, name) in table.names().iter().enumerate() {
        let column = table.values().column(j);
        let finite: Vec<f64> = column.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            dropped.push(Dropped {
                table: table_name.to_owned(),
                column: name.0.clone(),
                reason: "all_missing",
            });
            continue;
        }
        if let Some(row) = column.iter().position(|v| !v.is_finite()) {
            return Err(Error::MissingValue {
                table: table_name.to_owned(),
                column: name.0.clone(),
                case: table.cases().get(row).map(|c| c.0.clone()).unwrap_or_default(),
            });
        }
        if finite.iter().all(|v| *v == finite[0]) {
            dropped.push(Dropped {
                table: table_name.to_owned(),
                column: name.0.clone(),
                reason: "constant",
            });
            continue;
        }
        keep.push(j);
    }
    if keep.is_empty() {
        return Err(Error::NoFeatures {
            table: table_name.to_owned(),
        });
    }
    Ok((table.select_columns(&keep), dropped))
}

/// The first line of a CSV/Parquet reader's message, at most 200 characters: polars appends advice about its own
/// options ("Consider setting 'truncate_ragged_lines=true'") and may quote whole rows of the file.
pub(crate) fn short_reader_message(message: &str) -> String {
    const MAX_CHARS: usize = 200;
    let first = message
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if first.chars().count() > MAX_CHARS {
        let cut: String = first.chars().take(MAX_CHARS).collect();
        format!("{cut}…")
    } else {
        first.to_owned()
    }
}

/// Reads a Parquet file; a panic of the reader is turned into an error.
///
/// polars' Parquet reader trusts the offsets and lengths written in the file and panics on some damaged files (found
/// by the mutation tests in `tests/mutated_tables.rs`), on this thread or on one of its worker threads, hence
/// [`mmrad_core::contain::contain_all_threads`].
fn read_parquet_contained(file: std::fs::File) -> std::result::Result<DataFrame, String> {
    let result = mmrad_core::contain::contain_all_threads(|| ParquetReader::new(file).finish());
    match result {
        Ok(Ok(frame)) => Ok(frame),
        Ok(Err(e)) => Err(short_reader_message(&e.to_string())),
        Err(_) => Err("damaged Parquet file: a page or column chunk does not fit the file".to_owned()),
    }
}

/// One cell of a table read from disk.
pub(crate) enum Cell {
    Value(f64),
    Missing,
    Text(String),
}

/// A table read with polars: column names and cells.
pub(crate) struct RawTable {
    pub(crate) label: String,
    pub(crate) names: Vec<String>,
    columns: Vec<Column>,
}

impl RawTable {
    pub(crate) fn read(path: &Path) -> Result<RawTable> {
        let err = |message: String| Error::ReadTable {
            path: path.to_owned(),
            message: short_reader_message(&message),
        };
        let lower = path.to_string_lossy().to_ascii_lowercase();
        let frame = if lower.ends_with(".parquet") {
            let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
            read_parquet_contained(file).map_err(err)?
        } else {
            CsvReadOptions::default()
                .with_has_header(true)
                .with_infer_schema_length(None)
                .try_into_reader_with_file_path(Some(path.to_owned()))
                .map_err(|e| err(e.to_string()))?
                .finish()
                .map_err(|e| err(e.to_string()))?
        };
        let label = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        // polars renames a repeated header name to `<name>_duplicated_<k>`; two columns with one name are ambiguous.
        for name in frame.get_column_names() {
            if let Some((base, _)) = name.rsplit_once("_duplicated_")
                && frame.get_column_names().iter().any(|n| n.as_str() == base)
            {
                return Err(err(format!("the header names column `{base}` twice")));
            }
        }
        Ok(RawTable {
            label,
            names: frame.get_column_names().iter().map(|n| n.to_string()).collect(),
            columns: frame.columns().to_vec(),
        })
    }

    fn column(&self, name: &str) -> Result<&Column> {
        self.names
            .iter()
            .position(|n| n == name)
            .and_then(|idx| self.columns.get(idx))
            .ok_or_else(|| Error::MissingColumn {
                table: self.label.clone(),
                column: name.to_owned(),
            })
    }

    fn strings(&self, name: &str) -> Result<Vec<Option<String>>> {
        let column = self.column(name)?;
        let as_text = column.cast(&DataType::String).map_err(|e| self.read_err(e))?;
        let text = as_text.str().map_err(|e| self.read_err(e))?;
        Ok((0..text.len()).map(|i| text.get(i).map(str::to_owned)).collect())
    }

    pub(crate) fn cells(&self, name: &str) -> Result<Vec<Cell>> {
        let column = self.column(name)?;
        if column.dtype() == &DataType::String {
            return Ok(self
                .strings(name)?
                .into_iter()
                .map(|v| match v {
                    None => Cell::Missing,
                    Some(s) => {
                        let trimmed = s.trim();
                        if trimmed.is_empty()
                            || ["na", "nan", "null", "none"].contains(&trimmed.to_ascii_lowercase().as_str())
                        {
                            Cell::Missing
                        } else {
                            match trimmed.parse::<f64>() {
                                // `inf` read as text is as unusable as `inf` read as a number (missing).
                                Ok(value) if value.is_finite() => Cell::Value(value),
                                Ok(_) => Cell::Missing,
                                Err(_) => Cell::Text(s),
                            }
                        }
                    }
                })
                .collect());
        }
        let as_float = column.cast(&DataType::Float64).map_err(|e| self.read_err(e))?;
        let floats = as_float.f64().map_err(|e| self.read_err(e))?;
        Ok((0..floats.len())
            .map(|i| match floats.get(i) {
                Some(value) if value.is_finite() => Cell::Value(value),
                _ => Cell::Missing,
            })
            .collect())
    }

    fn read_err(&self, error: impl std::fmt::Display) -> Error {
        Error::ReadTable {
            path: PathBuf::from(&self.label),
            message: error.to_string(),
        }
    }

    /// Case ids, checked for missing and duplicate values.
    fn case_ids(&self, id_column: &str) -> Result<Vec<CaseId>> {
        let ids = self.strings(id_column)?;
        let mut out = Vec::with_capacity(ids.len());
        for (row, id) in ids.into_iter().enumerate() {
            match id {
                Some(id) if !id.trim().is_empty() => out.push(CaseId(id.trim().to_owned())),
                _ => {
                    return Err(Error::MissingValue {
                        table: self.label.clone(),
                        column: id_column.to_owned(),
                        case: format!("row {}", row + 1),
                    });
                }
            }
        }
        let mut sorted: Vec<&CaseId> = out.iter().collect();
        sorted.sort();
        if let Some(pair) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::DuplicateCase {
                table: self.label.clone(),
                case: pair[0].0.clone(),
            });
        }
        Ok(out)
    }
}

pub(crate) fn from_tables(
    clinical_path: &Path,
    feature_paths: &[(Modality, PathBuf)],
    id_column: &str,
    outcome: &str,
    candidates: &[String],
) -> Result<Cohort> {
    let mut inputs = vec![(
        clinical_path.to_owned(),
        crate::output::sha256_file(clinical_path)?,
    )];
    let clinical = RawTable::read(clinical_path)?;
    let cases = clinical.case_ids(id_column)?;
    // Outcome.
    let mut y = Vec::with_capacity(cases.len());
    for (row, cell) in clinical.cells(outcome)?.into_iter().enumerate() {
        let case = cases.get(row).map(|c| c.0.clone()).unwrap_or_default();
        match cell {
            Cell::Value(v) if v == 0.0 || v == 1.0 => y.push(v == 1.0),
            Cell::Value(v) => {
                return Err(Error::NonBinaryOutcome {
                    table: clinical.label.clone(),
                    column: outcome.to_owned(),
                    case,
                    value: v.to_string(),
                });
            }
            Cell::Text(text) => {
                return Err(Error::NonBinaryOutcome {
                    table: clinical.label.clone(),
                    column: outcome.to_owned(),
                    case,
                    value: text,
                });
            }
            Cell::Missing => {
                return Err(Error::MissingValue {
                    table: clinical.label.clone(),
                    column: outcome.to_owned(),
                    case,
                });
            }
        }
    }
    // Clinical candidates: numeric, no missing value.
    let mut clinical_values = Array2::<f64>::zeros((cases.len(), candidates.len()));
    for (j, name) in candidates.iter().enumerate() {
        for (row, cell) in clinical.cells(name)?.into_iter().enumerate() {
            let case = || cases.get(row).map(|c| c.0.clone()).unwrap_or_default();
            clinical_values[[row, j]] = match cell {
                Cell::Value(v) => v,
                Cell::Missing => {
                    return Err(Error::MissingValue {
                        table: clinical.label.clone(),
                        column: name.clone(),
                        case: case(),
                    });
                }
                Cell::Text(value) => {
                    return Err(Error::NotNumeric {
                        table: clinical.label.clone(),
                        column: name.clone(),
                        case: case(),
                        value,
                    });
                }
            };
        }
    }
    let clinical_table = FeatureTable::new(
        cases.clone(),
        candidates.iter().map(|c| FeatureName(c.clone())).collect(),
        clinical_values,
    )
    .map_err(|e| Error::ReadTable {
        path: clinical_path.to_owned(),
        message: e.to_string(),
    })?;

    // Feature tables, reordered to the clinical table's case order.
    let mut features = Vec::new();
    let mut dropped = Vec::new();
    for (modality, path) in feature_paths {
        inputs.push((path.clone(), crate::output::sha256_file(path)?));
        let raw = RawTable::read(path)?;
        let table_cases = raw.case_ids(id_column)?;
        for case in &table_cases {
            if !cases.contains(case) {
                return Err(Error::CaseMismatch {
                    table: raw.label.clone(),
                    other: clinical.label.clone(),
                    case: case.0.clone(),
                });
            }
        }
        let mut row_of = Vec::with_capacity(cases.len());
        for case in &cases {
            match table_cases.iter().position(|c| c == case) {
                Some(row) => row_of.push(row),
                None => {
                    return Err(Error::CaseMismatch {
                        table: clinical.label.clone(),
                        other: raw.label.clone(),
                        case: case.0.clone(),
                    });
                }
            }
        }
        let names: Vec<String> = raw.names.iter().filter(|n| *n != id_column).cloned().collect();
        let mut values = Array2::<f64>::from_elem((cases.len(), names.len()), f64::NAN);
        for (j, name) in names.iter().enumerate() {
            let cells = raw.cells(name)?;
            for (out_row, &row) in row_of.iter().enumerate() {
                values[[out_row, j]] = match cells.get(row) {
                    Some(Cell::Value(v)) => *v,
                    Some(Cell::Text(value)) => {
                        return Err(Error::NotNumeric {
                            table: raw.label.clone(),
                            column: name.clone(),
                            case: cases[out_row].0.clone(),
                            value: value.clone(),
                        });
                    }
                    _ => f64::NAN,
                };
            }
        }
        let table = FeatureTable::new(
            cases.clone(),
            names.into_iter().map(FeatureName).collect(),
            values,
        )
        .map_err(|e| Error::ReadTable {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let (table, mut dropped_here) = drop_uninformative(&table, &raw.label)?;
        dropped.append(&mut dropped_here);
        features.push((modality.clone(), table));
    }
    Ok(Cohort {
        cases,
        y,
        clinical: clinical_table,
        features,
        dropped,
        inputs,
    })
}

/// Writes a synthetic cohort as CSV tables (`clinical.csv` with `case_id`, the outcome and the clinical columns;
/// one `<modality>.csv` per modality) plus `cohort.yaml`, a protocol that reads them back through `manifest:`.
/// Returns the written paths.
///
/// # Errors
/// [`Error::Write`] naming the file.
pub fn write_synthetic(
    cohort: &mmrad_synth::SyntheticCohort,
    dir: &Path,
    name: &str,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Write {
        path: dir.to_owned(),
        message: e.to_string(),
    })?;
    let mut written = Vec::new();
    let mut text = String::from("case_id,");
    text.push_str(mmrad_synth::OUTCOME_COLUMN);
    for column in cohort.clinical.names() {
        text.push(',');
        text.push_str(&csv_field(&column.0));
    }
    text.push('\n');
    for (row, case) in cohort.outcome.cases.iter().enumerate() {
        text.push_str(&csv_field(&case.0));
        text.push_str(if cohort.outcome.events.get(row).copied().unwrap_or(false) {
            ",1"
        } else {
            ",0"
        });
        for value in cohort.clinical.values().row(row) {
            text.push(',');
            text.push_str(&value.to_string());
        }
        text.push('\n');
    }
    let path = dir.join("clinical.csv");
    write_atomic(&path, text.as_bytes())?;
    written.push(path);
    let mut manifest_features = Vec::new();
    for (modality, table) in &cohort.features {
        let file = format!("{}.csv", modality.as_str().to_ascii_lowercase());
        let path = dir.join(&file);
        write_atomic(&path, crate::output::feature_table_csv(table).as_bytes())?;
        written.push(path);
        manifest_features.push(format!("{}: {file}", modality.as_str()));
    }
    let modalities: Vec<String> = cohort
        .features
        .iter()
        .map(|(m, _)| format!("{}: {{}}", m.as_str()))
        .collect();
    let yaml = format!(
        "# Written by `mmrad synth`: the synthetic cohort as tables, read back through `manifest:`.\n\
         version: 1\nname: {name}\nseed: 2025\ncohort:\n  manifest:\n    clinical: clinical.csv\n    features: {{ {} }}\n\
         outcome: {}\nmodalities: {{ {} }}\nmodels:\n  fusion: {{}}\n  clinical: {{ candidates: [age, er, pr, her2, ki67, ct_stage, cn_stage] }}\n  combined: {{ of: [clinical, fusion] }}\n\
         validation: {{ scheme: stratified_kfold, folds: 5, repeats: 10 }}\n",
        manifest_features.join(", "),
        mmrad_synth::OUTCOME_COLUMN,
        modalities.join(", "),
    );
    let path = dir.join("cohort.yaml");
    write_atomic(&path, yaml.as_bytes())?;
    written.push(path);
    Ok(written)
}
