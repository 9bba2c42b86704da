//! `cargo xtask ibsi2`: the IBSI-2 conformance tests in a release build, including the phase 2 3D configurations
//! (`ibsi2_phase2_configurations_b`, compiled in release builds only: they filter a 7-million-voxel image).

use std::process::{Command, ExitCode, Stdio};

use anyhow::Context;

use crate::study::{describe, describe_status};
use crate::{Failure, cargo, project_root};

/// The cargo arguments run.
const ARGS: &[&str] = &[
    "test",
    "--release",
    "--locked",
    "-p",
    "mmrad-conformance",
    "--test",
    "ibsi2",
    "--test",
    "ibsi2_phase2",
    "--",
    "--nocapture",
    "--test-threads=1",
];

pub(crate) fn run() -> anyhow::Result<ExitCode> {
    let root = project_root();
    let mut command = Command::new(cargo());
    command.current_dir(&root).args(ARGS).stdin(Stdio::null());
    eprintln!("== `cargo {}`", ARGS.join(" "));
    let status = command
        .status()
        .with_context(|| format!("could not start `{}`", describe(&command, &root)))?;
    if !status.success() {
        return Err(Failure::failed(
            format!("the IBSI-2 conformance tests failed ({})", describe_status(status)),
            Some("rerun one with `cargo test --release -p mmrad-conformance --test ibsi2_phase2 -- --nocapture`".to_owned()),
        )
        .into());
    }
    Ok(ExitCode::SUCCESS)
}
