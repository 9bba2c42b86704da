//! `mmrad merge`: joins the parts of a sharded `mmrad extract --batch … --shard I/N` into the unsharded table.
//!
//! ```text
//! mmrad merge parts/ -o features.csv|.parquet [--rerun-list FILE]
//! ```
//!
//! Exit code 0 when every shard is present and every case extracted; 1 when shards are missing, foreign (another
//! batch, settings, shard count or mmrad version), duplicated or damaged (nothing is written, the shards to rerun
//! are listed and, with `--rerun-list`, written one per line), or when cases failed (the table is written, as the
//! unsharded run writes it, and the shards holding the failures are listed).

use std::path::PathBuf;
use std::process::ExitCode;

use mmrad_study::shard::{MergeError, merge_parts_into};

/// Arguments of `mmrad merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The folder of the parts and their `.shard.json` manifests.
    parts: PathBuf,
    /// The merged table: `.parquet` for Parquet, anything else for CSV.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
    /// Write the indices of the shards to rerun here, one per line (an empty file when none).
    #[arg(long, value_name = "FILE")]
    rerun_list: Option<PathBuf>,
}

fn write_rerun_list(args: &MergeArgs, shards: &[usize]) -> Result<(), String> {
    let Some(path) = &args.rerun_list else {
        return Ok(());
    };
    let text: String = shards.iter().map(|s| format!("{s}\n")).collect();
    mmrad_study::output::write_atomic(path, text.as_bytes()).map_err(|e| e.to_string())
}

fn rerun_help(shards: &[usize]) -> String {
    let list: Vec<String> = shards.iter().map(ToString::to_string).collect();
    format!(
        "rerun shard(s) {} (Slurm: `sbatch --array={} …`), then merge again",
        list.join(", "),
        list.join(",")
    )
}

/// Runs `mmrad merge`, printing errors as `error:` / `  -->` / `  help:`.
pub fn run(args: &MergeArgs) -> ExitCode {
    let location = args.parts.display().to_string();
    let merged = match merge_parts_into(&args.parts, &args.out) {
        Ok(merged) => merged,
        Err(MergeError::Problems(problems)) => {
            eprintln!("error: cannot merge the parts in `{location}`");
            for problem in &problems.problems {
                eprintln!("  --> {problem}");
            }
            if !problems.rerun.is_empty() {
                eprintln!("  help: {}", rerun_help(&problems.rerun));
            }
            if let Err(e) = write_rerun_list(args, &problems.rerun) {
                eprintln!("error: {e}");
            }
            return ExitCode::from(1);
        }
        Err(MergeError::Read(e)) => {
            eprintln!("error: {e}");
            eprintln!("  --> {location}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = merged.output.write(&args.out) {
        eprintln!("error: {e}");
        if let Some(help) = e.help() {
            eprintln!("  help: {help}");
        }
        return ExitCode::from(1);
    }
    if let Err(e) = write_rerun_list(args, &merged.failed_shards) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    let n_rows = merged.output.rows.len();
    if merged.failed_shards.is_empty() {
        eprintln!(
            "merged {} shard(s), {n_rows} case(s) into `{}`",
            merged.shards,
            args.out.display()
        );
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "error: {} of {n_rows} case(s) failed in shard(s) {}; `{}` keeps their rows with empty feature cells",
        merged.output.failures.len() + merged.output.skipped,
        merged
            .failed_shards
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        args.out.display()
    );
    for failure in &merged.output.failures {
        eprintln!("  --> {failure}");
    }
    eprintln!(
        "  help: fix those cases, then {}",
        rerun_help(&merged.failed_shards)
    );
    ExitCode::from(1)
}
