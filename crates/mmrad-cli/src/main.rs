//! The `mmrad` binary: argument parsing, error display and exit codes (0 ok, 1 bad input or failed run,
//! 2 usage, 3 an `expected:` check missed, 4 `study check` found outputs that differ from the manifest).

mod convert;
mod dicom_cmd;
mod error;
mod extract;
mod shard;
mod slurm;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::{EXIT_EXPECTATION_MISSED, EXIT_NOT_REPRODUCED, UserError};

/// Radiomics from medical images to a published-quality study.
#[derive(Debug, Parser)]
#[command(name = "mmrad", version, about)]
// A missing subcommand is a usage error (`error: ...`, exit 2) like any other, not a help page.
#[command(arg_required_else_help = false)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run or inspect a study protocol.
    #[command(arg_required_else_help = false)]
    Study {
        #[command(subcommand)]
        command: StudyCommand,
    },
    /// Metrics (AUC with DeLong CI, Brier, calibration) of score columns of a predictions table.
    Eval(EvalArgs),
    /// glmnet-compatible penalised logistic regression (LASSO / elastic net) of a table.
    Lasso(LassoArgs),
    /// Write a synthetic cohort to disk.
    Synth(SynthArgs),
    /// PyRadiomics-compatible feature extraction of one case or a batch CSV.
    Extract(extract::ExtractArgs),
    /// Join the parts of a sharded `extract --batch … --shard I/N` into the unsharded table.
    Merge(shard::MergeArgs),
    /// Cluster (Slurm) submission scripts for sharded extraction.
    Slurm {
        #[command(subcommand)]
        command: slurm::SlurmCommand,
    },
    /// Convert a DICOM series to NRRD/NIfTI, or a DICOM SEG / RTSTRUCT to a label map on the image grid.
    Convert(convert::ConvertArgs),
    /// Inspect DICOM files and series (no patient-identifying data is printed).
    #[command(arg_required_else_help = false)]
    Dicom {
        #[command(subcommand)]
        command: dicom_cmd::DicomCommand,
    },
}

#[derive(Debug, Subcommand)]
enum StudyCommand {
    /// Run a protocol: cross-validated models, metrics, tables, manifest.
    Run {
        /// The protocol YAML file.
        protocol: PathBuf,
        /// Output folder [default: runs/<name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads [default: all cores]; outputs do not depend on it.
        #[arg(short = 'j', long)]
        jobs: Option<usize>,
        /// Do not show progress bars.
        #[arg(long)]
        quiet: bool,
        /// Run on these modalities only (comma-separated, e.g. `CT,MR`); `expected:` checks of models that no
        /// longer exist are skipped.
        #[arg(long, value_delimiter = ',')]
        only_modalities: Vec<String>,
        /// Extract image cohorts again instead of reusing their cached feature tables (the cache is rewritten).
        #[arg(long)]
        no_cache: bool,
        /// Run one stage of an image-level study: `extract` (one `--shard I/N` of the extraction, no
        /// modelling) or `model` (assemble the shards' parts into the cache, extracting nothing, then run).
        #[arg(long, value_enum)]
        stage: Option<slurm::StageArg>,
        /// The shard of `--stage extract`: `I/N` with `0 <= I < N` (e.g. `$SLURM_ARRAY_TASK_ID/8`).
        #[arg(long, value_name = "I/N", requires = "stage")]
        shard: Option<mmrad_study::shard::ShardSpec>,
    },
    /// Rerun the protocol of a finished run and compare every output with its manifest (exit 4 when any
    /// differs; 1 when the manifest was edited, the protocol changed or an input is missing or changed).
    Check {
        /// The run's `manifest.json` (run `check` from the folder the study was run from).
        manifest: PathBuf,
        /// Worker threads [default: all cores]; outputs do not depend on it.
        #[arg(short = 'j', long)]
        jobs: Option<usize>,
        /// Keep the rerun's outputs in this folder (else a scratch folder, removed afterwards).
        #[arg(long)]
        keep: Option<PathBuf>,
        /// Do not show progress bars.
        #[arg(long)]
        quiet: bool,
    },
    /// Modality ablation: every non-empty subset of the protocol's modalities, with and without clinical factors
    /// (`ablation.csv`, and a table sorted by AUC on stdout).
    Ablate {
        /// The protocol YAML file.
        protocol: PathBuf,
        /// Output folder [default: runs/<name>-ablation].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads [default: all cores]; outputs do not depend on it.
        #[arg(short = 'j', long)]
        jobs: Option<usize>,
        /// Extract image cohorts again instead of reusing their cached feature tables (the cache is rewritten).
        #[arg(long)]
        no_cache: bool,
    },
}

#[derive(Debug, clap::Args)]
struct EvalArgs {
    /// CSV or Parquet table with an outcome column and score columns (probabilities).
    predictions: PathBuf,
    /// The 0/1 outcome column.
    #[arg(long)]
    outcome: String,
    /// A score column (repeat for several).
    #[arg(long = "score", required = true)]
    scores: Vec<String>,
    /// Write the metrics table here (else stdout).
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Write the pairwise paired-DeLong table here (needs two or more scores).
    #[arg(long)]
    pairs_out: Option<PathBuf>,
    /// Risk groups of the Hosmer–Lemeshow test.
    #[arg(long, default_value_t = 10)]
    groups: usize,
}

#[derive(Debug, clap::Args)]
struct LassoArgs {
    /// CSV or Parquet table: the outcome, optional fold ids, and numeric predictor columns.
    table: PathBuf,
    /// The 0/1 outcome column.
    #[arg(long)]
    outcome: String,
    /// Column of cross-validation fold ids (else stratified folds drawn from --seed).
    #[arg(long)]
    foldid: Option<String>,
    /// Elastic-net mixing (1 = LASSO).
    #[arg(long, default_value_t = 1.0)]
    alpha: f64,
    /// `min`, `1se` or a λ value.
    #[arg(long, default_value = "min")]
    lambda_rule: String,
    /// Least-squares LASSO on the 0/1 outcome (scikit-learn LassoCV) instead of binomial.
    #[arg(long)]
    gaussian: bool,
    /// Folds when --foldid is not given.
    #[arg(long, default_value_t = 10)]
    nfolds: usize,
    /// Seed of the folds when --foldid is not given.
    #[arg(long, default_value_t = 2025)]
    seed: u64,
    /// Columns that are not predictors (`case_id` is always skipped).
    #[arg(long)]
    skip: Vec<String>,
    /// Write `term,coef,lambda` here (else stdout).
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Write the λ path with CV mean / sd of the deviance here.
    #[arg(long)]
    path_out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct SynthArgs {
    /// Generator (only `liang2025`).
    generator: String,
    /// `images` (DICOM/NRRD images and masks with a `cohort.csv` manifest) or `features` (feature tables).
    #[arg(long, default_value = "images")]
    level: String,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 89)]
    n: usize,
    #[arg(long, default_value_t = 28)]
    events: usize,
    #[arg(long, default_value_t = 2025)]
    seed: u64,
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => e.report(),
    }
}

/// `mmrad … | head` closes stdout early and `print!` then panics with a broken-pipe message. A Unix tool would be
/// ended by SIGPIPE; restoring that signal's default action needs `unsafe`, so the panic is turned into the same
/// quiet end (exit 0: the reader chose to stop) and every other panic keeps the default report.
fn quiet_on_closed_stdout() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
}

fn run(cli: Cli) -> Result<ExitCode, UserError> {
    match cli.command {
        Command::Study {
            command:
                StudyCommand::Run {
                    protocol,
                    out,
                    jobs,
                    quiet,
                    only_modalities,
                    no_cache,
                    stage,
                    shard,
                },
        } => {
            match stage {
                Some(slurm::StageArg::Extract) => {
                    return Ok(slurm::extract_stage(&protocol, shard, threads_of(jobs)));
                }
                Some(slurm::StageArg::Model) => {
                    slurm::assemble_stage(&protocol, threads_of(jobs)).map_err(|(message, help)| {
                        UserError::new(message)
                            .at(protocol.display().to_string())
                            .help(help)
                    })?;
                }
                None => {}
            }
            study_run(&protocol, out, jobs, quiet, &only_modalities, no_cache)
        }
        Command::Study {
            command:
                StudyCommand::Ablate {
                    protocol,
                    out,
                    jobs,
                    no_cache,
                },
        } => study_ablate(&protocol, out, jobs, no_cache),
        Command::Study {
            command:
                StudyCommand::Check {
                    manifest,
                    jobs,
                    keep,
                    quiet,
                },
        } => study_check(&manifest, jobs, keep, quiet),
        Command::Eval(args) => eval(&args),
        Command::Lasso(args) => lasso(&args),
        Command::Synth(args) => synth(&args),
        Command::Extract(args) => Ok(extract::run(&args)),
        Command::Merge(args) => Ok(shard::run(&args)),
        Command::Slurm { command } => Ok(slurm::run(&command)),
        Command::Convert(args) => Ok(convert::run(&args)),
        Command::Dicom { command } => Ok(dicom_cmd::run(&command)),
    }
}

fn protocol_error(path: &Path, e: &mmrad_protocol::Error) -> UserError {
    let location = match (e.yaml_path(), e.location()) {
        (Some(yaml), _) => format!("{}: {yaml}", path.display()),
        (None, Some((line, column))) => format!("{}:{line}:{column}", path.display()),
        (None, None) => path.display().to_string(),
    };
    UserError::new(e.to_string())
        .at(location)
        .help(e.help().map(str::to_owned))
}

fn threads_of(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
        .max(1)
}

fn study_ablate(
    protocol: &Path,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    no_cache: bool,
) -> Result<ExitCode, UserError> {
    let plan = mmrad_protocol::load(protocol).map_err(|e| protocol_error(protocol, &e))?;
    let at = |e: mmrad_study::Error| UserError::from(e).or_at(protocol.display().to_string());
    let threads = threads_of(jobs);
    let cohort = mmrad_study::cohort::load_with_cache(&plan, threads, !no_cache).map_err(at)?;
    let ablation = mmrad_study::ablate::ablate(&plan, &cohort, threads).map_err(at)?;
    let out_dir = out.unwrap_or_else(|| {
        let mut dir = mmrad_study::run::default_out_dir(&plan).into_os_string();
        dir.push("-ablation");
        PathBuf::from(dir)
    });
    ablation.write(&out_dir).map_err(at)?;
    print!("{}", ablation.text());
    println!("outputs in `{}`", out_dir.display());
    Ok(ExitCode::SUCCESS)
}

fn study_check(
    manifest: &Path,
    jobs: Option<usize>,
    keep: Option<PathBuf>,
    quiet: bool,
) -> Result<ExitCode, UserError> {
    let absolute = |p: &Path| {
        std::path::absolute(p).map_err(|e| UserError::new(format!("cannot resolve `{}`: {e}", p.display())))
    };
    let manifest = &absolute(manifest)?;
    let keep = keep.as_deref().map(absolute).transpose()?;
    move_to_run_folder(manifest)?;
    let options = mmrad_study::repro::CheckOptions {
        threads: threads_of(jobs),
        progress: !quiet,
        keep,
    };
    let report = mmrad_study::repro::check(manifest, &options)
        .map_err(|e| UserError::from(e).or_at(manifest.display().to_string()))?;
    print!("{}", report.text());
    if report.reproduced() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: the rerun does not reproduce `{}`", manifest.display());
        eprintln!(
            "  help: the lines above name each output that differs; rerun with `--keep DIR` to inspect the new files"
        );
        Ok(ExitCode::from(EXIT_NOT_REPRODUCED))
    }
}

/// A run's relative paths (protocol, inputs) are relative to the folder it was started from. When the protocol is
/// not found from here but is from that folder (recorded in the manifest), `check` continues there, so it works
/// from any folder. An unreadable manifest is left for `check` to report.
fn move_to_run_folder(manifest: &Path) -> Result<(), UserError> {
    let Ok(recorded) = mmrad_study::manifest::read(manifest) else {
        return Ok(());
    };
    let (protocol, Some(dir)) = (Path::new(&recorded.protocol.path), recorded.run.working_dir) else {
        return Ok(());
    };
    if protocol.as_os_str().is_empty() || protocol.is_absolute() || protocol.exists() {
        return Ok(());
    }
    let dir = PathBuf::from(dir);
    if dir.join(protocol).exists() {
        std::env::set_current_dir(&dir).map_err(|e| {
            UserError::new(format!("cannot enter `{}`: {e}", dir.display()))
                .at(manifest.display().to_string())
        })?;
        eprintln!(
            "note: rerunning from `{}`, the folder the study was run from",
            dir.display()
        );
    }
    Ok(())
}

fn study_run(
    protocol: &Path,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    quiet: bool,
    only_modalities: &[String],
    no_cache: bool,
) -> Result<ExitCode, UserError> {
    let mut plan = mmrad_protocol::load(protocol).map_err(|e| protocol_error(protocol, &e))?;
    if !only_modalities.is_empty() {
        plan = mmrad_study::ablate::only_modalities(&plan, only_modalities).map_err(|e| {
            UserError::usage(e.to_string())
                .at(format!("{}: modalities", protocol.display()))
                .help(Some(
                    "name modalities declared under `modalities`, e.g. `--only-modalities CT,MR`".into(),
                ))
        })?;
    }
    let protocol_bytes = std::fs::read(protocol)
        .map_err(|e| UserError::new(format!("cannot read `{}`: {e}", protocol.display())))?;
    let threads = threads_of(jobs);
    let out_dir = out.unwrap_or_else(|| mmrad_study::run::default_out_dir(&plan));
    let options = mmrad_study::RunOptions {
        out_dir: out_dir.clone(),
        threads,
        progress: !quiet,
        protocol_bytes,
        protocol_path: Some(protocol.to_owned()),
        no_cache,
    };
    let summary = mmrad_study::run_study(&plan, &options)
        .map_err(|e| UserError::from(e).or_at(protocol.display().to_string()))?;
    print!("{}", mmrad_study::report::metrics_text(&summary));
    println!();
    let published = mmrad_study::report::published_text(&plan, &summary);
    if !published.is_empty() {
        print!("{published}");
        println!();
    }
    print!("{}", mmrad_study::report::calibration_text(&summary));
    for warning in &summary.warnings {
        eprintln!("warning: {warning}");
    }
    if !summary.dropped.is_empty() {
        eprintln!(
            "note: {} constant or empty feature column(s) dropped; see `dropped.csv`",
            summary.dropped.len()
        );
    }
    println!("outputs in `{}`", out_dir.display());
    if !summary.checks.is_empty() {
        print!("{}", mmrad_study::report::checks_text(&summary));
    }
    if summary.checks_passed() {
        Ok(ExitCode::SUCCESS)
    } else {
        let missed = summary.checks.iter().filter(|c| !c.passed).count();
        eprintln!("error: {missed} `expected:` check(s) missed");
        eprintln!("  --> {}: expected", protocol.display());
        eprintln!(
            "  help: compare `metrics.csv` with the bounds; change the protocol or the bounds deliberately"
        );
        Ok(ExitCode::from(EXIT_EXPECTATION_MISSED))
    }
}

fn write_or_print(path: Option<&Path>, text: &str) -> Result<(), UserError> {
    match path {
        Some(path) => mmrad_study::output::write_atomic(path, text.as_bytes()).map_err(UserError::from),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

fn eval(args: &EvalArgs) -> Result<ExitCode, UserError> {
    let out = mmrad_study::tools::eval_file(&args.predictions, &args.outcome, &args.scores, args.groups)
        .map_err(|e| UserError::from_table_tool(e, "eval").or_at(args.predictions.display().to_string()))?;
    write_or_print(args.output.as_deref(), &out.metrics_csv)?;
    if let Some(pairs) = &args.pairs_out {
        if args.scores.len() < 2 {
            return Err(
                UserError::usage("`--pairs-out` needs at least two `--score` columns")
                    .help(Some("add a second `--score COL`, or drop `--pairs-out`".into())),
            );
        }
        write_or_print(Some(pairs), &out.pairs_csv)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn lasso(args: &LassoArgs) -> Result<ExitCode, UserError> {
    let options = mmrad_study::tools::LassoOptions {
        outcome: args.outcome.clone(),
        foldid: args.foldid.clone(),
        skip: args.skip.clone(),
        alpha: args.alpha,
        lambda_rule: args.lambda_rule.clone(),
        gaussian: args.gaussian,
        nfolds: args.nfolds,
        seed: args.seed,
    };
    let out = mmrad_study::tools::lasso_file(&args.table, &options)
        .map_err(|e| UserError::from_table_tool(e, "lasso").or_at(args.table.display().to_string()))?;
    if let Some(min) = out.lambda_min {
        println!("lambda.min = {min}");
    }
    if let Some(one_se) = out.lambda_1se {
        println!("lambda.1se = {one_se}");
    }
    if args.output.is_none() {
        println!("lambda = {}", out.lambda);
    }
    write_or_print(args.output.as_deref(), &out.coef_csv)?;
    if let Some(path) = &args.path_out {
        write_or_print(Some(path), &out.path_csv)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn synth(args: &SynthArgs) -> Result<ExitCode, UserError> {
    if args.generator != "liang2025" {
        return Err(UserError::new(format!("unknown generator `{}`", args.generator))
            .help(Some("use `liang2025`".into())));
    }
    if args.level == "images" {
        let config = mmrad_synth::images::Liang2025ImagesConfig {
            n: args.n,
            events: args.events,
            seed: args.seed,
            ..mmrad_synth::images::Liang2025ImagesConfig::new(&args.out)
        };
        let cohort =
            mmrad_synth::images::liang2025_images(&config).map_err(|e| UserError::new(e.to_string()))?;
        println!("{}", cohort.manifest.display());
        println!("{}", cohort.clinical.display());
        return Ok(ExitCode::SUCCESS);
    }
    if args.level != "features" {
        return Err(UserError::new(format!("unknown level `{}`", args.level))
            .help(Some("use `--level images` or `--level features`".into())));
    }
    let params = mmrad_synth::Liang2025Params {
        n: args.n,
        events: args.events,
        seed: args.seed,
    };
    let cohort = mmrad_synth::liang2025_features(&params).map_err(|e| UserError::new(e.to_string()))?;
    let written = mmrad_study::cohort::write_synthetic(&cohort, &args.out, "liang2025_synthetic")?;
    for path in written {
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
