//! `mmrad extract`: PyRadiomics-compatible feature extraction of one case (IMAGE MASK) or a batch CSV.
//!
//! ```text
//! mmrad extract IMAGE MASK [-p params.yaml] [--label N] [-s key:value ...] [--mode pyradiomics|ibsi] [-o out.csv|.parquet]
//! mmrad extract --batch cases.csv [-p params.yaml] [-j N] [--fail-fast] [-o features.csv|.parquet]
//! mmrad extract --batch cases.csv [-p params.yaml] --shard I/N -o parts/part-I.csv|.parquet
//! ```
//!
//! One case without `-o` prints `name,value` rows (diagnostics, then features) to stdout; with `-o` it writes one
//! row with the features as columns, like PyRadiomics' `--format csv`. A batch writes one row per case. Exit code 1
//! when the parameters are invalid or any case failed (the failures are listed on stderr), 2 for usage errors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mmrad_protocol::params_file::{ExtractionParams, load_params, parse_params};
use mmrad_study::extract_batch::{BatchInput, BatchOptions, BatchOutput, extract_batch, read_batch};
use mmrad_study::output::csv_field;

use crate::error::UserError as Failure;

/// Arguments of `mmrad extract`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("input").required(true).args(["image", "batch"]))]
pub struct ExtractArgs {
    /// Image file (NRRD or NIfTI).
    #[arg(requires = "mask", conflicts_with = "batch")]
    image: Option<PathBuf>,
    /// Label map file (NRRD or NIfTI).
    mask: Option<PathBuf>,
    /// Batch CSV with columns `Image`, `Mask` and optionally `Label`; other columns are copied to the output.
    #[arg(long, value_name = "CSV")]
    batch: Option<PathBuf>,
    /// PyRadiomics parameter file (YAML or JSON).
    #[arg(short = 'p', long = "param", visible_alias = "params", value_name = "FILE")]
    param: Option<PathBuf>,
    /// Label value of the ROI (overrides the `label` setting; a batch's `Label` column wins).
    #[arg(short = 'l', long)]
    label: Option<i64>,
    /// Setting override `key:value` (PyRadiomics `--setting`); lists as `key:a,b`. Repeatable.
    #[arg(short = 's', long = "setting", value_name = "KEY:VALUE")]
    settings: Vec<String>,
    /// Feature definitions: `pyradiomics` (PyRadiomics 3.1, default) or `ibsi` (IBSI-1 reference manual, `ibsi_*`
    /// columns; the same as `-s ibsiCompliant:true`).
    #[arg(long, value_enum, default_value_t = Mode::Pyradiomics)]
    mode: Mode,
    /// The PyRadiomics release whose names, defaults and values the extraction reproduces. Only
    /// `pyradiomics-3.1` exists; naming it in scripts pins the behaviour: a later release that adds another keeps
    /// this one selectable, and study manifests record it (`extraction_compat`).
    #[arg(long, value_enum, default_value_t = Compat::Pyradiomics31)]
    compat: Compat,
    /// Cases extracted in parallel (batch only); the output does not depend on it.
    #[arg(short = 'j', long, default_value_t = 1)]
    jobs: usize,
    /// Stop starting new cases after the first failure (batch only).
    #[arg(long)]
    fail_fast: bool,
    /// Extract only shard I of N (`0 <= I < N`, e.g. `$SLURM_ARRAY_TASK_ID/4`) of the batch into `-o`, with a
    /// `<out>.shard.json` manifest; `mmrad merge` joins the parts into the unsharded table.
    #[arg(long, value_name = "I/N", requires_all = ["batch", "out"])]
    shard: Option<mmrad_study::shard::ShardSpec>,
    /// Output file: `.parquet` for Parquet, anything else for CSV [default: stdout].
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
    /// Do not draw a progress bar.
    #[arg(short = 'q', long)]
    quiet: bool,
}

/// Feature definitions of `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// PyRadiomics 3.1 definitions and names.
    Pyradiomics,
    /// IBSI-1 definitions, aggregations and `ibsi_*` names.
    Ibsi,
}

/// Behaviour versions of `--compat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compat {
    /// PyRadiomics 3.1.0 (the reference of every conformance test).
    #[value(name = "pyradiomics-3.1")]
    Pyradiomics31,
}

/// Runs `mmrad extract`, printing errors as `error:` / `  -->` / `  help:`.
pub fn run(args: &ExtractArgs) -> ExitCode {
    let params = match params(args) {
        Ok(params) => params,
        Err(failure) => return failure.report(),
    };
    let code = match run_with(args, &params) {
        Ok(code) => code,
        Err(failure) => failure.report(),
    };
    // After the outcome, so that an error is the first line of stderr, as for every command.
    for note in &params.notes {
        eprintln!("note: {note}");
    }
    code
}

fn run_with(args: &ExtractArgs, params: &ExtractionParams) -> Result<ExitCode, Failure> {
    let options = BatchOptions {
        threads: args.jobs.max(1),
        fail_fast: args.fail_fast,
        progress: !args.quiet,
    };
    if let Some(batch) = &args.batch {
        let input = read_batch(batch)
            .map_err(|e| Failure::from_table_tool(e, "extract").at(batch.display().to_string()))?;
        if let (Some(spec), Some(out)) = (args.shard, &args.out) {
            let shard = mmrad_study::shard::extract_shard(batch, &input, params, &options, spec, out)
                .map_err(|e| Failure::from(e).at(out.display().to_string()))?;
            eprintln!(
                "shard {spec}: {} of {} row(s), manifest `{}`",
                shard.manifest.rows.len(),
                input.cases.len(),
                mmrad_study::shard::sidecar_path(out).display()
            );
            return report(&shard.output, shard.manifest.rows.len());
        }
        let output = extract_batch(&input, params, &options)?;
        emit(&output, args.out.as_deref(), false)?;
        report(&output, input.cases.len())
    } else {
        let (Some(image), Some(mask)) = (&args.image, &args.mask) else {
            return Err(Failure::new("give IMAGE and MASK, or `--batch cases.csv`"));
        };
        let input = BatchInput::single(image, mask);
        let output = extract_batch(
            &input,
            params,
            &BatchOptions {
                progress: false,
                ..options
            },
        )?;
        if let Some(failure) = output.failures.first() {
            let mut error =
                Failure::new(failure.reason.clone()).at(format!("{} + {}", image.display(), mask.display()));
            error.help = failure.help.clone();
            return Err(error);
        }
        emit(&output, args.out.as_deref(), true)?;
        Ok(ExitCode::SUCCESS)
    }
}

/// The parameter file (or PyRadiomics' defaults) with `--label` and `-s` overrides applied.
fn params(args: &ExtractArgs) -> Result<ExtractionParams, Failure> {
    let mut overrides = args.settings.clone();
    if args.mode == Mode::Ibsi {
        overrides.push("ibsiCompliant:true".to_owned());
    }
    if let Some(label) = args.label {
        overrides.push(format!("label:{label}"));
    }
    let parsed = match &args.param {
        Some(path) => load_params(path, &overrides),
        None => parse_params("", &overrides),
    };
    parsed.map_err(|error| {
        let source = args
            .param
            .as_ref()
            .map_or_else(|| "command line".to_owned(), |p| p.display().to_string());
        let location = match (error.yaml_path(), error.location()) {
            (Some(path), _) if path.starts_with("-s ") => path.to_owned(),
            (Some(path), _) => format!("{source}: {path}"),
            (None, Some((line, column))) => format!("{source}:{line}:{column}"),
            (None, None) => source,
        };
        // The path is already the message's prefix; show the message without it.
        let message = error.to_string();
        let message = match error.yaml_path() {
            Some(path) => message
                .strip_prefix(&format!("{path}: "))
                .unwrap_or(&message)
                .to_owned(),
            None => message,
        };
        let help = error
            .help()
            .filter(|h| !h.is_empty() && !h.starts_with("compare with `studies/"));
        Failure::new(message).at(location).help(help.map(str::to_owned))
    })
}

/// Writes the table to `out`, or prints it: `name,value` rows for a single case, CSV for a batch.
fn emit(output: &BatchOutput, out: Option<&Path>, single: bool) -> Result<(), Failure> {
    if let Some(path) = out {
        return output
            .write(path)
            .map_err(|e| Failure::from(e).at(path.display().to_string()));
    }
    if single {
        let mut text = String::from("name,value\n");
        if let Some(row) = output.rows.first() {
            for ((name, kind), cell) in output.columns.iter().zip(row) {
                if *kind == mmrad_study::extract_batch::ColumnKind::Copied {
                    continue;
                }
                let value = match cell {
                    mmrad_study::extract_batch::Cell::Text(t) => csv_field(t),
                    mmrad_study::extract_batch::Cell::Float(v) => mmrad_study::output::float(*v),
                    mmrad_study::extract_batch::Cell::Missing => String::new(),
                };
                text.push_str(&format!("{},{value}\n", csv_field(name)));
            }
        }
        print!("{text}");
    } else {
        print!("{}", output.to_csv());
    }
    Ok(())
}

/// Lists failed and skipped cases on stderr; exit code 1 when there are any.
fn report(output: &BatchOutput, n_cases: usize) -> Result<ExitCode, Failure> {
    let n_failed = output.failures.len();
    if n_failed == 0 && output.skipped == 0 {
        eprintln!("extracted {n_cases} case(s)");
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("error: {n_failed} of {n_cases} case(s) failed");
    for failure in &output.failures {
        eprintln!("  --> {failure}");
    }
    if output.skipped > 0 {
        eprintln!(
            "  note: {} case(s) not started because of `--fail-fast`",
            output.skipped
        );
    }
    eprintln!("  help: failed cases keep their row with empty feature cells; fix them and rerun those rows");
    Ok(ExitCode::from(1))
}
