//! mmrad-study: runs a validated [`Plan`] end to end and writes its outputs.
//!
//! Modules, in reading order:
//! - [`run`]: [`run::run_study`], the one entry point: load the cohort, cross-validate every model, evaluate the
//!   out-of-fold predictions, fit the apparent models, write the outputs, check `expected:`.
//! - [`ablate`]: modality ablation, every non-empty subset of the modalities with and without clinical factors.
//! - [`cohort`]: the cohort (outcome, clinical and feature tables by case) from a synthetic generator or from
//!   CSV/Parquet tables, with every consistency check; also writes a synthetic cohort to disk.
//! - [`images`]: image-level cohorts: the image/mask manifest, cached per-modality extraction, the synthetic image
//!   cohort generated on first use.
//! - [`optimism`]: `validation: bootstrap_optimism`, Harrell's optimism correction with the whole pipeline
//!   refitted in every bootstrap sample.
//! - [`pipeline`]: what is fitted inside one training fold (selection, LASSO rad-scores, fusion, clinical, combined)
//!   and how the fitted fold scores new rows.
//! - [`figures`]: SVG figures (plotters): ROC with bootstrap band, calibration, decision curves, nomogram.
//! - [`manifest`]: `manifest.json` (inputs, settings, build, output hashes, sealed by its own hash), read back and
//!   verified.
//! - [`repro`]: `mmrad study check`: rerun a manifest's protocol and compare the outputs.
//! - [`output`]: CSV / JSON writers (shortest round-trip floats, atomic temp-file + rename, sha256).
//! - [`report`]: aligned text tables for stdout.
//! - [`report_html`]: `report.html`, the self-contained page (tables, figures, checklist, manifest).
//! - [`shard`]: sharded batch extraction (`--shard I/N`) and the exact merge of the parts (`mmrad merge`).
//! - [`tools`]: the table-in, CSV-out functions behind `mmrad eval` and `mmrad lasso`.
//! - `fit` (private): adapters to the estimators of `mmrad-modeling`, `mmrad-selection` and `mmrad-evaluation`.
//!
//! Only this crate creates a thread pool (rayon, `threads` of [`run::RunOptions`]); results are collected in input
//! order so outputs are byte-identical whatever the thread count.
//!
//! [`Plan`]: mmrad_protocol::Plan

pub mod ablate;
pub mod cohort;
pub mod extract_batch;
pub mod figures;
mod fit;
pub mod images;
pub mod manifest;
pub mod optimism;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod report_html;
pub mod repro;
pub mod run;
pub mod shard;
pub mod tools;

pub use cohort::{Cohort, Dropped};
pub use run::{ModelMetrics, RunOptions, RunSummary, ThresholdRow, run_study};

use std::path::PathBuf;

/// Errors of a study run; each names the table, column, case, modality, repeat or fold involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot read table `{path}`: {message}")]
    ReadTable { path: PathBuf, message: String },
    #[error("table `{table}` has no column `{column}`")]
    MissingColumn { table: String, column: String },
    #[error("duplicate case id `{case}` in table `{table}`")]
    DuplicateCase { table: String, case: String },
    #[error("case `{case}` is in table `{table}` but not in table `{other}`")]
    CaseMismatch {
        table: String,
        other: String,
        case: String,
    },
    #[error("outcome column `{column}` of table `{table}` must be 0 or 1; found `{value}` for case `{case}`")]
    NonBinaryOutcome {
        table: String,
        column: String,
        case: String,
        value: String,
    },
    #[error("outcome `{column}` has a single class: {events} events among {n} cases")]
    OneClass { column: String, events: usize, n: usize },
    #[error("missing value in table `{table}`, column `{column}`, case `{case}`")]
    MissingValue {
        table: String,
        column: String,
        case: String,
    },
    #[error("column `{column}` of table `{table}` is not numeric: `{value}` for case `{case}`")]
    NotNumeric {
        table: String,
        column: String,
        case: String,
        value: String,
    },
    #[error("{folds} folds but the smaller outcome class has only {smaller} cases")]
    TooManyFolds { folds: usize, smaller: usize },
    #[error("no usable feature column left in table `{table}` (all constant or all missing)")]
    NoFeatures { table: String },
    #[error("{context}: {message}")]
    Fit { context: String, message: String },
    #[error("cannot write `{path}`: {message}")]
    Write { path: PathBuf, message: String },
    #[error("manifest `{path}`: {message}")]
    Manifest {
        path: PathBuf,
        message: String,
        help: String,
    },
    #[error("extraction parameters of modality `{modality}`: {message}")]
    Params {
        modality: String,
        /// The parameter file, with the YAML path or `line:column` when known.
        location: String,
        message: String,
    },
    #[error(transparent)]
    Synth(#[from] mmrad_synth::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// What the user can do about it.
    pub fn help(&self) -> Option<String> {
        Some(match self {
            Error::ReadTable { .. } => {
                "check the path (relative to the protocol file) and that it is CSV or Parquet".into()
            }
            Error::MissingColumn { column, .. } => {
                format!("add a `{column}` column, or change the protocol to name an existing one")
            }
            Error::DuplicateCase { .. } => {
                "each case must appear once per table; remove or rename the duplicate row".into()
            }
            Error::CaseMismatch { .. } => {
                "every table must hold the same case ids; add the missing row or drop the case everywhere"
                    .into()
            }
            Error::NonBinaryOutcome { .. } => "code the outcome as 0 (no event) / 1 (event)".into(),
            Error::OneClass { .. } => "both outcome classes must occur in the cohort".into(),
            Error::MissingValue { .. } => {
                "impute or remove the case before the study; mmrad does not impute".into()
            }
            Error::NotNumeric { .. } => {
                "code categorical clinical variables as numbers (e.g. 0/1, stage 1–4)".into()
            }
            Error::TooManyFolds { smaller, .. } => format!("set `validation.folds` to at most {smaller}"),
            Error::NoFeatures { .. } => "check the feature table; every column is constant or empty".into(),
            Error::Fit { .. } => {
                "try fewer folds, a looser selection threshold, or fewer clinical candidates".into()
            }
            Error::Write { .. } => "check that the output folder is writable".into(),
            Error::Manifest { help, .. } => help.clone(),
            Error::Params { modality, .. } => format!(
                "fix the PyRadiomics parameter file named by `modalities.{modality}.extraction` (relative to the protocol)"
            ),
            _ => return None,
        })
    }
}

impl Error {
    /// Where the error is, when it is in a table or a file: `table: column `c`, case `id``, a path.
    pub fn location(&self) -> Option<String> {
        Some(match self {
            Error::ReadTable { path, .. } | Error::Write { path, .. } | Error::Manifest { path, .. } => {
                path.display().to_string()
            }
            Error::MissingColumn { table, .. } | Error::NoFeatures { table } => table.clone(),
            Error::Params { location, .. } => location.clone(),
            Error::DuplicateCase { table, case } => format!("{table}: case `{case}`"),
            Error::CaseMismatch { table, case, .. } => format!("{table}: case `{case}`"),
            Error::NonBinaryOutcome {
                table, column, case, ..
            }
            | Error::MissingValue { table, column, case }
            | Error::NotNumeric {
                table, column, case, ..
            } => format!("{table}: column `{column}`, case `{case}`"),
            _ => return None,
        })
    }
}

pub(crate) fn fit_error(context: impl Into<String>, error: impl std::fmt::Display) -> Error {
    Error::Fit {
        context: context.into(),
        message: error.to_string(),
    }
}
