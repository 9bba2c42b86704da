//! `mmrad … | head`: a reader that closes stdout early ends the command quietly (exit 0, no panic report), as a
//! Unix tool ended by SIGPIPE would be.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};

use mmrad_testkit::shared;

#[test]
fn a_closed_stdout_ends_the_command_without_a_panic() {
    let case = shared("pyradiomics");
    let (reader, writer) = std::io::pipe().unwrap();
    // Closed before the command starts, so its first write fails with EPIPE whatever the timing.
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_mmrad"))
        .arg("extract")
        .arg(case.join("brain1_image.nrrd"))
        .arg(case.join("brain1_label.nrrd"))
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
