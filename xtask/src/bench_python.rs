//! Benchmark support: finding the Python reference tools (pydicom, PyRadiomics) and the shared data folder.
//!
//! The reference environments are made by `../shared/reference/setup.sh`: `/tmp/pyref_np1` (PyRadiomics 3.1.0 on
//! numpy 1.26, the reference) and `/tmp/pyref` (numpy 2 tools: pydicom with its JPEG 2000 / JPEG-LS decoders).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Failure;

/// A Python package a benchmark compares against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PythonTool {
    /// pydicom + numpy (+ pylibjpeg-openjpeg for JPEG 2000).
    Pydicom,
    /// PyRadiomics (`radiomics`), 3.1.0 preferred.
    Pyradiomics,
}

impl PythonTool {
    /// Interpreters to try, best first.
    fn candidates(self) -> &'static [&'static str] {
        match self {
            PythonTool::Pydicom => &["/tmp/pyref/bin/python", "/tmp/pyref_np1/bin/python", "python3"],
            PythonTool::Pyradiomics => &["/tmp/pyref_np1/bin/python", "/tmp/pyref/bin/python", "python3"],
        }
    }

    /// A statement that fails unless the tool imports.
    fn probe(self) -> &'static str {
        match self {
            PythonTool::Pydicom => "import numpy, pydicom, pydicom.pixels",
            PythonTool::Pyradiomics => "import numpy, SimpleITK, radiomics",
        }
    }
}

/// The first interpreter that imports `tool`, or `None`.
pub(crate) fn find_python(tool: PythonTool) -> Option<PathBuf> {
    tool.candidates().iter().map(PathBuf::from).find(|python| {
        Command::new(python)
            .args(["-c", tool.probe()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

/// The shared data folder: `MMRAD_SHARED_DATA`, else `../shared/data` next to the workspace (as `mmrad-testkit`).
pub(crate) fn shared_data(root: &Path) -> anyhow::Result<PathBuf> {
    let dir = std::env::var_os("MMRAD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/data"));
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(Failure::failed(
            format!("shared data folder `{}` does not exist", dir.display()),
            Some(
                "set `MMRAD_SHARED_DATA` to the folder holding `pydicom/`, `pyradiomics/` and `ibsi/`"
                    .to_owned(),
            ),
        )
        .into())
    }
}
