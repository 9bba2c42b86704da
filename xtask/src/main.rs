//! xtask: developer tasks (`cargo xtask study|bench|ci|repro|ibsi2|tidy`); depends on no mmrad crate so it compiles in seconds.
//!
//! Modules in reading order: [`study`] (build the release `mmrad` binary and run a protocol), [`ci`] (the strict
//! checks CI runs), [`repro`] (the fast protocols against their committed lock files), [`slurm`] (sharded runs on a
//! one-node Slurm cluster), [`ibsi2`] (the IBSI-2 conformance tests in release mode), [`bench`] (wall-time of a
//! study run; [`bench_dicom`] and [`bench_extract`] against pydicom and PyRadiomics, found by [`bench_python`]),
//! [`tidy`] (architecture checks, also run as `#[test]`s by `cargo test --workspace`).
//! This crate never links an `mmrad-*` crate: it drives them through `$CARGO` and the `mmrad` binary.

mod bench;
mod bench_dicom;
mod bench_extract;
mod bench_python;
mod bench_shard;
mod ci;
mod ibsi2;
mod repro;
mod slurm;
mod study;
mod tidy;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP: &str = "\
usage: cargo xtask <command> [args]

commands:
  study <studies/X.yaml> [--out DIR] [-j N] [ARGS...]
        build `mmrad` in release mode and run `mmrad study run` on the protocol
        (default output `runs/X`; extra ARGS are passed to `mmrad study run`)
  ablate <studies/X.yaml> [--out DIR] [-j N]
        build `mmrad` in release mode and run `mmrad study ablate`: every non-empty subset of the
        modalities, with and without clinical factors (default output `runs/X-ablation`)
  ci    run `cargo fmt --all --check`, `cargo clippy --workspace --all-targets --locked -- -D warnings`
        and `cargo test --workspace --locked`; stop at the first failure
  bench [study|dicom|extract|shard] [--runs N]
        study: time `mmrad study run studies/liang2025.yaml` (release) N times (default 3); print min and median
        dicom: read the IBSI CT series and the 512x512 JPEG 2000 files with `mmrad` and with pydicom + numpy
               (N timed reads each, default 10); print both times and the ratio
        shard [--mmrad PATH] [--n N] [--shards K]: sharded extraction (K shards + merge) against one
               `extract --batch` on the synthetic image cohort's CT, and `mmrad merge` of 100 parts x 100 rows
               x 1,300 columns
        extract: `mmrad extract` against PyRadiomics 3.1 on the PyRadiomics test cases, single-threaded
               (N runs each, default 3); print per-case times and the ratio (target >= 30x);
               `--params b`: resampling + LoG + wavelet (tests/data/params/b_resampled_log_wavelet.yaml,
               target >= 10x)
  repro [--update] [NAME...]
        build `mmrad` in release mode, run every fast protocol of `studies/` (or the named ones) into
        `target/repro/NAME` and compare with the committed `studies/NAME.lock.json` (protocol hash, resolved
        settings, input digest, output sha256s, key metrics); exit 4 when one differs; `--update` rewrites them
  slurm [--mmrad PATH]
        start a one-node Slurm cluster here (slurm-wlm + munge, apt-installed when missing; needs root),
        submit `mmrad slurm script` jobs with 4 shards for a PyRadiomics batch and a small image study, and
        compare the merged results byte for byte with the unsharded runs (default: the release `mmrad`)
  ibsi2 run the IBSI-2 conformance tests in release mode: phase 1 response maps and phase 2 intensity
        statistics, including the 3D configurations that `cargo test` (debug) leaves out
  tidy  run the architecture checks (crate edges, `//!` headers, one `ndarray`, licences, banned macros)
        and print the crates that use MPL-2.0; the same checks run in `cargo test --workspace`
  help  print this message
";

/// Exit code for a usage error, as in `mmrad` (DESIGN.md §4).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(args) {
        Ok(code) => code,
        Err(err) => {
            let code = match err.downcast_ref::<Failure>() {
                Some(failure) => failure.exit_code,
                None => 1,
            };
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(code)
        }
    }
}

fn run(args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        print!("{HELP}");
        return Err(Failure::usage("no command given", "run `cargo xtask help` for the list").into());
    };
    let rest: Vec<OsString> = args.collect();
    match command.to_string_lossy().as_ref() {
        "study" => study::run(rest),
        "ablate" => study::ablate(rest),
        "ci" => {
            no_extra_args("ci", &rest)?;
            ci::run()
        }
        "bench" if rest.first().is_some_and(|a| a == "shard") => {
            bench_shard::run(rest.into_iter().skip(1).collect())
        }
        "bench" => bench::run(rest),
        "repro" => repro::run(rest),
        "slurm" => slurm::run(rest),
        "ibsi2" => {
            no_extra_args("ibsi2", &rest)?;
            ibsi2::run()
        }
        "tidy" => {
            no_extra_args("tidy", &rest)?;
            tidy::run()
        }
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(Failure::usage(
            format!("unknown command `{other}`"),
            "valid commands: `study`, `ablate`, `ci`, `bench`, `repro`, `slurm`, `ibsi2`, `tidy`, `help`",
        )
        .into()),
    }
}

fn no_extra_args(command: &str, rest: &[OsString]) -> anyhow::Result<()> {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(Failure::usage(
            format!(
                "`cargo xtask {command}` takes no arguments, got `{}`",
                arg.to_string_lossy()
            ),
            format!("run `cargo xtask {command}`"),
        )
        .into()),
    }
}

/// An error that carries its exit code and a `help:` line for the user.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) message: String,
    pub(crate) help: Option<String>,
    pub(crate) exit_code: u8,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>, help: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            help: Some(help.into()),
            exit_code: EXIT_USAGE,
        }
    }

    pub(crate) fn failed(message: impl Into<String>, help: Option<String>) -> Failure {
        Failure {
            message: message.into(),
            help,
            exit_code: 1,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// The workspace root: the parent of this crate's manifest directory.
pub(crate) fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The cargo that runs us (`$CARGO`, set by `cargo run`), falling back to `cargo` on `PATH`.
pub(crate) fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

/// Shows a path relative to `base` when it lies below it.
pub(crate) fn display_path(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).display().to_string()
}
