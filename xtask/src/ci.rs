//! `cargo xtask ci`: the strict checks CI runs (format, clippy with `-D warnings`, the test suite with the tidy
//! tests), in order, stopping at the first failure.

use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::Context;

use crate::study::{describe, describe_status};
use crate::{Failure, cargo, project_root};

/// The CI steps, as cargo argument lists, in the order they run.
pub(crate) const STEPS: [&[&str]; 3] = [
    &["fmt", "--all", "--check"],
    &[
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ],
    &["test", "--workspace", "--locked"],
];

/// Runs every step of [`STEPS`] with `$CARGO` from the workspace root.
pub(crate) fn run() -> anyhow::Result<ExitCode> {
    let root = project_root();
    let n_steps = STEPS.len();
    let started = Instant::now();
    for (step_idx, step) in STEPS.iter().enumerate() {
        let mut command = Command::new(cargo());
        command.current_dir(&root).args(*step).stdin(Stdio::null());
        let shown = format!("cargo {}", step.join(" "));
        eprintln!("\n== ci step {}/{n_steps}: `{shown}`", step_idx + 1);
        let step_started = Instant::now();
        let status = command
            .status()
            .with_context(|| format!("could not start `{}`", describe(&command, &root)))?;
        let seconds = step_started.elapsed().as_secs_f64();
        if !status.success() {
            return Err(Failure::failed(
                format!(
                    "ci step {}/{n_steps} `{shown}` failed ({}) after {seconds:.0} s",
                    step_idx + 1,
                    describe_status(status)
                ),
                Some(help_for(step)),
            )
            .into());
        }
        eprintln!("== ci step {}/{n_steps} passed in {seconds:.0} s", step_idx + 1);
    }
    eprintln!(
        "\nci: all {n_steps} steps passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn help_for(step: &[&str]) -> String {
    match step.first() {
        Some(&"fmt") => {
            "run `cargo fmt --all` (or `cargo fmt -p CRATE` for the crate you own) and commit".to_owned()
        }
        Some(&"clippy") => "fix the warnings above; CI treats every warning as an error".to_owned(),
        _ => "fix the failing tests above; rerun one with `cargo test -p CRATE --test NAME`".to_owned(),
    }
}
