//! `cargo xtask bench`: wall-time benchmarks of the release `mmrad` binary (`study`: a full `mmrad study run` of
//! `studies/liang2025.yaml`; `dicom`: DICOM reading against pydicom, in `bench_dicom`; `extract`: feature extraction
//! against PyRadiomics, in `bench_extract`). Benchmarks never run in `cargo test`.

use std::ffi::OsString;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::study::{build_mmrad, describe, describe_status};
use crate::{Failure, display_path, project_root};

const STUDY_PROTOCOL: &str = "studies/liang2025.yaml";
const DEFAULT_RUNS: usize = 3;
/// Timed reads per input of `bench dicom` (each takes milliseconds).
const DEFAULT_DICOM_RUNS: usize = 10;

/// Runs `cargo xtask bench [study|dicom|extract] [--runs N]`.
pub(crate) fn run(args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    let mut which = None;
    let mut n_runs = None;
    let mut preset = crate::bench_extract::Preset::Default;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        if text == "--runs" {
            let value = args
                .next()
                .map(|value| value.to_string_lossy().into_owned())
                .unwrap_or_default();
            n_runs = Some(value.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                Failure::usage(
                    format!("`--runs` needs a positive integer, got `{value}`"),
                    "write `--runs 5`",
                )
            })?);
        } else if text == "--params" {
            let value = args
                .next()
                .map(|value| value.to_string_lossy().into_owned())
                .unwrap_or_default();
            preset = match value.as_str() {
                "default" => crate::bench_extract::Preset::Default,
                "b" => crate::bench_extract::Preset::B,
                _ => {
                    return Err(Failure::usage(
                        format!("`--params` of `bench extract` is `default` or `b`, got `{value}`"),
                        "write `cargo xtask bench extract --params b`",
                    )
                    .into());
                }
            };
        } else if which.is_none() && !text.starts_with('-') {
            which = Some(text);
        } else {
            return Err(Failure::usage(
                format!("unexpected argument `{text}`"),
                "run `cargo xtask bench study|dicom|extract|shard [--runs N]` or `cargo xtask bench extract --params b`",
            )
            .into());
        }
    }
    match which.as_deref() {
        None | Some("study") => bench_study(n_runs.unwrap_or(DEFAULT_RUNS)),
        Some("dicom") => crate::bench_dicom::run(n_runs.unwrap_or(DEFAULT_DICOM_RUNS)),
        Some("extract") => crate::bench_extract::run(n_runs.unwrap_or(DEFAULT_RUNS), preset),
        Some(other) => Err(Failure::usage(
            format!("unknown benchmark `{other}`"),
            "valid benchmarks: `study`, `dicom`, `extract`",
        )
        .into()),
    }
}

fn bench_study(n_runs: usize) -> anyhow::Result<ExitCode> {
    let root = project_root();
    if !root.join(STUDY_PROTOCOL).is_file() {
        return Err(Failure::failed(
            format!("benchmark protocol `{STUDY_PROTOCOL}` does not exist"),
            Some("write the protocol first (see DESIGN.md §5)".to_owned()),
        )
        .into());
    }
    let mmrad = build_mmrad(&root)?;
    let out_dir = root.join("runs").join("bench-liang2025");
    let mut times = Vec::with_capacity(n_runs);
    for run_idx in 0..n_runs {
        let mut command = Command::new(&mmrad);
        command
            .current_dir(&root)
            .args(["study", "run", STUDY_PROTOCOL, "--out"])
            .arg(display_path(&out_dir, &root))
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        eprintln!(
            "bench run {}/{n_runs}: {}",
            run_idx + 1,
            describe(&command, &root)
        );
        let started = Instant::now();
        let status = command
            .status()
            .with_context(|| format!("could not start `{}`", describe(&command, &root)))?;
        let elapsed = started.elapsed();
        // Exit code 3 means an `expected:` check missed: the run completed, so its time still counts.
        if !(status.success() || status.code() == Some(3)) {
            return Err(Failure::failed(
                format!(
                    "`mmrad study run {STUDY_PROTOCOL}` failed ({})",
                    describe_status(status)
                ),
                Some(format!(
                    "run `cargo xtask study {STUDY_PROTOCOL}` to see its output"
                )),
            )
            .into());
        }
        eprintln!("  {:.3} s", elapsed.as_secs_f64());
        times.push(elapsed);
    }
    let summary = Summary::of(&times);
    println!("benchmark  runs  min_s  median_s");
    println!(
        "study      {:>4}  {:>5.3}  {:>8.3}",
        times.len(),
        summary.min,
        summary.median
    );
    Ok(ExitCode::SUCCESS)
}

/// Minimum and median of a set of wall times, in seconds.
#[derive(Debug, PartialEq)]
struct Summary {
    min: f64,
    median: f64,
}

impl Summary {
    fn of(times: &[Duration]) -> Summary {
        let mut seconds: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
        seconds.sort_by(f64::total_cmp);
        let n = seconds.len();
        let min = seconds.first().copied().unwrap_or(f64::NAN);
        let median = match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => seconds[n / 2],
            _ => 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]),
        };
        Summary { min, median }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(millis: &[u64]) -> Summary {
        Summary::of(
            &millis
                .iter()
                .map(|&ms| Duration::from_millis(ms))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn summary_min_and_median() {
        // Exact: millisecond durations are exact in f64 seconds up to rounding of 1e-3, tolerance 1e-12.
        let tol = 1e-12;
        let odd = summary(&[300, 100, 200]);
        assert!(
            (odd.min - 0.1).abs() < tol && (odd.median - 0.2).abs() < tol,
            "{odd:?}"
        );
        let even = summary(&[400, 100, 200, 300]);
        assert!(
            (even.min - 0.1).abs() < tol && (even.median - 0.25).abs() < tol,
            "{even:?}"
        );
        let empty = summary(&[]);
        assert!(empty.min.is_nan() && empty.median.is_nan());
    }
}
