//! Cluster runs: `mmrad study run --stage extract --shard I/N` / `--stage model` (an image-level study whose
//! extraction fans out over a job array and whose modelling runs once), and `mmrad slurm script`, which prints a
//! submission script: an `sbatch` job array (`#SBATCH --array=0-<N-1>`, one shard per `$SLURM_ARRAY_TASK_ID`) and
//! the merge / model job that depends on it (`--dependency=afterok:<array id>`).
//!
//! ```text
//! mmrad slurm script X.yaml --shards N [--partition P --time T --mem M --cpus C] > submit.sh && bash submit.sh
//! mmrad slurm script --batch cases.csv -p params.yaml --shards N -o features.parquet > submit.sh
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mmrad_study::images::{Stage, run_stage};
use mmrad_study::shard::ShardSpec;

/// The part of `mmrad study run` to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StageArg {
    /// Extract one shard (`--shard I/N`) of every modality into the cohort's cache folder; no modelling.
    Extract,
    /// Assemble the cache from the shards' parts (extracting nothing), then run the study as usual.
    Model,
}

/// `mmrad slurm` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SlurmCommand {
    /// Print an sbatch submission script: the extraction job array and the dependent merge / model job.
    Script(ScriptArgs),
}

/// Arguments of `mmrad slurm script`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("input").required(true).args(["protocol", "batch"]))]
pub struct ScriptArgs {
    /// An image-level study protocol (array: `study run --stage extract`; then `study run --stage model`).
    #[arg(conflicts_with = "batch")]
    protocol: Option<PathBuf>,
    /// A batch CSV instead (array: `extract --batch --shard`; then `merge`).
    #[arg(long, value_name = "CSV", requires = "out")]
    batch: Option<PathBuf>,
    /// The batch's PyRadiomics parameter file.
    #[arg(short = 'p', long = "param", value_name = "FILE", requires = "batch")]
    param: Option<PathBuf>,
    /// The batch's merged table (`.parquet` or `.csv`); the parts go to `<out>.parts/`.
    #[arg(short = 'o', long = "out", value_name = "FILE", requires = "batch")]
    out: Option<PathBuf>,
    /// Array tasks (shards).
    #[arg(long)]
    shards: usize,
    /// `#SBATCH --partition`.
    #[arg(long)]
    partition: Option<String>,
    /// `#SBATCH --time` (e.g. `02:00:00`).
    #[arg(long)]
    time: Option<String>,
    /// `#SBATCH --mem` (e.g. `8G`).
    #[arg(long)]
    mem: Option<String>,
    /// `#SBATCH --cpus-per-task` (the shard's `-j`).
    #[arg(long, default_value_t = 1)]
    cpus: usize,
    /// The mmrad binary the jobs run [default: this one].
    #[arg(long)]
    mmrad: Option<PathBuf>,
}

fn fail(message: &str, help: &str) -> ExitCode {
    eprintln!("error: {message}");
    eprintln!("  help: {help}");
    ExitCode::from(1)
}

/// `mmrad study run --stage extract --shard I/N`: extracts the shard's cases, writes the parts, no study.
pub fn extract_stage(protocol: &Path, shard: Option<ShardSpec>, threads: usize) -> ExitCode {
    let Some(spec) = shard else {
        return fail(
            "`--stage extract` needs `--shard I/N`",
            "add e.g. `--shard $SLURM_ARRAY_TASK_ID/4`, or run a plain `mmrad study run`",
        );
    };
    let plan = match mmrad_protocol::load(protocol) {
        Ok(plan) => plan,
        Err(e) => return fail(&format!("{}: {e}", protocol.display()), "fix the protocol"),
    };
    match run_stage(&plan, threads, Stage::Extract(spec)) {
        Ok(_) => {
            eprintln!(
                "extracted shard {spec} of `{}`; run `mmrad study run {} --stage model` when every shard is done",
                plan.name,
                protocol.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("  --> {}", protocol.display());
            if let Some(help) = e.help() {
                eprintln!("  help: {help}");
            }
            ExitCode::from(1)
        }
    }
}

/// `mmrad study run --stage model`, first step: the cache assembled from the parts (nothing extracted).
///
/// # Errors
/// The message and help of a missing shard or a protocol without an image-level cohort.
pub fn assemble_stage(protocol: &Path, threads: usize) -> Result<(), (String, Option<String>)> {
    let plan = mmrad_protocol::load(protocol).map_err(|e| (format!("{}: {e}", protocol.display()), None))?;
    run_stage(&plan, threads, Stage::Model)
        .map(|_| ())
        .map_err(|e| (e.to_string(), e.help()))
}

/// Single-quotes a word for the shell.
fn sh(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:=@%,".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

/// The submission script of [`ScriptArgs`].
pub fn script(args: &ScriptArgs, mmrad: &Path) -> String {
    let n = args.shards;
    let mmrad = sh(&absolute(mmrad));
    let (name, array_cmd, final_cmd) = if let Some(protocol) = &args.protocol {
        let name = protocol
            .file_stem()
            .map_or_else(|| "study".to_owned(), |s| s.to_string_lossy().into_owned());
        let protocol = sh(&protocol.display().to_string());
        (
            name,
            format!(
                "{mmrad} study run {protocol} --stage extract --shard \"$SLURM_ARRAY_TASK_ID/{n}\" -j \"${{SLURM_CPUS_PER_TASK:-1}}\" --quiet"
            ),
            format!("{mmrad} study run {protocol} --stage model -j \"${{SLURM_CPUS_PER_TASK:-1}}\" --quiet"),
        )
    } else {
        let batch = args.batch.as_deref().unwrap_or(Path::new("cases.csv"));
        let out = args.out.as_deref().unwrap_or(Path::new("features.csv"));
        let name = batch
            .file_stem()
            .map_or_else(|| "batch".to_owned(), |s| s.to_string_lossy().into_owned());
        let ext = if out.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
            "parquet"
        } else {
            "csv"
        };
        let parts = {
            let mut p = std::ffi::OsString::from(out.as_os_str());
            p.push(".parts");
            PathBuf::from(p)
        };
        let params = args
            .param
            .as_ref()
            .map(|p| format!(" -p {}", sh(&p.display().to_string())))
            .unwrap_or_default();
        let parts_s = sh(&parts.display().to_string());
        (
            name,
            format!(
                "{mmrad} extract --batch {}{params} --shard \"$SLURM_ARRAY_TASK_ID/{n}\" -j \"${{SLURM_CPUS_PER_TASK:-1}}\" --quiet -o {parts_s}/\"part-$SLURM_ARRAY_TASK_ID.{ext}\"",
                sh(&batch.display().to_string())
            ),
            format!(
                "{mmrad} merge {parts_s} -o {} --rerun-list {parts_s}/rerun.txt",
                sh(&out.display().to_string())
            ),
        )
    };
    let mut directives = String::new();
    for (key, value) in [
        ("partition", args.partition.as_ref()),
        ("time", args.time.as_ref()),
        ("mem", args.mem.as_ref()),
    ] {
        if let Some(value) = value {
            directives.push_str(&format!("#SBATCH --{key}={value}\n"));
        }
    }
    directives.push_str(&format!("#SBATCH --cpus-per-task={}\n", args.cpus.max(1)));
    // The jobs start in this folder, so paths mean what they meant here and the run's manifest records the
    // protocol path as a plain `study run` from here would.
    directives.push_str(&format!(
        "#SBATCH --chdir={}\n",
        sh(&std::env::current_dir().map_or_else(|_| ".".to_owned(), |d| d.display().to_string()))
    ));
    let job = sh(&format!("mmrad-{name}"));
    format!(
        r#"#!/usr/bin/env bash
# Generated by `mmrad slurm script`: submits the extraction array ({n} shards) and the job that depends on it.
# Run `bash THIS_FILE` on the login node; the jobs start in the folder the script was generated in (`--chdir`).
set -euo pipefail

array=$(sbatch --parsable <<'MMRAD_ARRAY'
#!/usr/bin/env bash
#SBATCH --job-name={job}-extract
#SBATCH --array=0-{last}
{directives}#SBATCH --output=mmrad-%x-%A_%a.out
set -euo pipefail
{array_cmd}
MMRAD_ARRAY
)
array=${{array%%;*}}

final=$(sbatch --parsable --dependency=afterok:"$array" <<'MMRAD_FINAL'
#!/usr/bin/env bash
#SBATCH --job-name={job}-merge
{directives}#SBATCH --output=mmrad-%x-%j.out
set -euo pipefail
{final_cmd}
MMRAD_FINAL
)
final=${{final%%;*}}
echo "submitted extraction array $array ({n} tasks) and merge job $final (runs after every task succeeded)"
"#,
        last = n.saturating_sub(1),
    )
}

/// Runs `mmrad slurm …`.
pub fn run(command: &SlurmCommand) -> ExitCode {
    let SlurmCommand::Script(args) = command;
    if args.shards == 0 {
        return fail("`--shards` must be at least 1", "e.g. `--shards 16`");
    }
    let mmrad = match (&args.mmrad, std::env::current_exe()) {
        (Some(path), _) => path.clone(),
        (None, Ok(path)) => path,
        (None, Err(e)) => {
            return fail(
                &format!("cannot find the mmrad binary: {e}"),
                "give its path with `--mmrad`",
            );
        }
    };
    print!("{}", script(args, &mmrad));
    ExitCode::SUCCESS
}
