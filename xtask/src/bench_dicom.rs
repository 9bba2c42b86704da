//! `cargo xtask bench dicom`: reading DICOM with the release `mmrad` (`mmrad dicom read --repeat N`) against pydicom +
//! numpy (the same reads timed in-process with `time.perf_counter`), on the 60-slice IBSI CT series and the 512×512
//! JPEG 2000 files of `../shared/data/pydicom`; prints both times and their ratio, measured in the same run.
//!
//! Both sides read one untimed time first (page cache warm, libraries loaded), then time `runs` reads and report the
//! minimum. "Read" means: parse every file, decode the pixels, sort the slices along the normal, apply rescale, and
//! produce one float64 array. mmrad is timed with all cores (rayon over files) and with `RAYON_NUM_THREADS=1`;
//! pydicom is single-threaded. OpenJPEG, which decodes JPEG 2000 for both, runs its own threads in mmrad (one per
//! core, whatever `RAYON_NUM_THREADS` says) and one in pydicom: for one core each, run the benchmark under
//! `taskset -c 0`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::Context;

use crate::bench_python::{PythonTool, find_python, shared_data};
use crate::study::build_mmrad;
use crate::{Failure, project_root};

/// The inputs: a label and a path below the shared data folder.
const INPUTS: &[(&str, &str)] = &[
    (
        "IBSI CT series (60 × 201 × 204)",
        "ibsi/ibsi_1_ct_radiomics_phantom/dicom/image",
    ),
    ("693_J2KR.dcm (J2K lossless 512²)", "pydicom/693_J2KR.dcm"),
    ("693_J2KI.dcm (J2K lossy 512²)", "pydicom/693_J2KI.dcm"),
    (
        "J2K_pixelrep_mismatch.dcm (J2K 512²)",
        "pydicom/J2K_pixelrep_mismatch.dcm",
    ),
    ("693_UNCI.dcm (uncompressed 512²)", "pydicom/693_UNCI.dcm"),
];

/// pydicom + numpy reader, timed in-process: prints one JSON line `{"min": s, "median": s, "sum": x}`.
const PYDICOM_SNIPPET: &str = r#"
import glob, json, os, sys, time
import numpy as np
import pydicom

def rescaled(ds):
    return ds.pixel_array.astype(np.float64) * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))

def read_series(folder):
    datasets = [pydicom.dcmread(f) for f in sorted(glob.glob(os.path.join(folder, "*")))]
    datasets = [ds for ds in datasets if "PixelData" in ds]
    iop = np.array(datasets[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    datasets.sort(key=lambda ds: float(np.dot(np.array(ds.ImagePositionPatient, dtype=float), normal)))
    return np.stack([rescaled(ds) for ds in datasets])

def read_file(path):
    return rescaled(pydicom.dcmread(path))

path, runs = sys.argv[1], int(sys.argv[2])
read = read_series if os.path.isdir(path) else read_file
volume = read(path)
times = []
for _ in range(runs):
    started = time.perf_counter()
    volume = read(path)
    times.append(time.perf_counter() - started)
times.sort()
print(json.dumps({"min": times[0], "median": times[len(times) // 2], "sum": float(volume.sum())}))
"#;

/// Runs the DICOM reading benchmark with `runs` timed reads per input and side.
pub(crate) fn run(runs: usize) -> anyhow::Result<ExitCode> {
    let root = project_root();
    let data = shared_data(&root)?;
    let python = find_python(PythonTool::Pydicom);
    if python.is_none() {
        eprintln!(
            "pydicom not available: only mmrad is timed\n  hint: run `bash ../shared/reference/setup.sh` (creates \
             /tmp/pyref with pydicom and its JPEG 2000 decoder)"
        );
    }
    let mmrad = build_mmrad(&root)?;
    println!(
        "{:<40} {:>12} {:>12} {:>12} {:>9} {:>9}  check",
        "input", "pydicom_ms", "mmrad_ms", "mmrad_1t_ms", "ratio", "ratio_1t"
    );
    for (label, rel) in INPUTS {
        let path = data.join(rel);
        let ours = time_mmrad(&mmrad, &path, runs, None)?;
        let ours_1t = time_mmrad(&mmrad, &path, runs, Some(1))?;
        let reference = match &python {
            Some(python) => Some(time_pydicom(python, &path, runs)?),
            None => None,
        };
        let (py_ms, ratio, ratio_1t, check) = match reference {
            Some((seconds, sum)) => {
                let scale = sum.abs().max(ours.sum.abs()).max(1.0);
                let check = if (sum - ours.sum).abs() <= 1e-9 * scale {
                    "same voxel sum".to_owned()
                } else {
                    format!("voxel sums differ: pydicom {sum}, mmrad {}", ours.sum)
                };
                (
                    format!("{:.2}", 1e3 * seconds),
                    format!("{:.2}x", seconds / ours.seconds),
                    format!("{:.2}x", seconds / ours_1t.seconds),
                    check,
                )
            }
            None => ("-".into(), "-".into(), "-".into(), "pydicom not available".into()),
        };
        println!(
            "{label:<40} {py_ms:>12} {:>12.2} {:>12.2} {ratio:>9} {ratio_1t:>9}  {check}",
            1e3 * ours.seconds,
            1e3 * ours_1t.seconds
        );
    }
    println!(
        "ratio = pydicom time / mmrad time (minimum of {runs} reads each; > 1 means mmrad is faster); mmrad_1t: \
         RAYON_NUM_THREADS=1"
    );
    Ok(ExitCode::SUCCESS)
}

/// The minimum read time and the voxel sum reported by `mmrad dicom read PATH --repeat N`.
struct MmradRead {
    seconds: f64,
    sum: f64,
}

fn time_mmrad(mmrad: &Path, path: &Path, runs: usize, threads: Option<usize>) -> anyhow::Result<MmradRead> {
    let mut command = Command::new(mmrad);
    command
        .args(["dicom", "read"])
        .arg(path)
        .args(["--repeat", &runs.to_string()])
        .stdin(Stdio::null());
    if let Some(threads) = threads {
        command.env("RAYON_NUM_THREADS", threads.to_string());
    }
    let output = command
        .output()
        .with_context(|| format!("could not start `{}`", mmrad.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(Failure::failed(
            format!(
                "`mmrad dicom read {}` failed: {}",
                path.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            None,
        )
        .into());
    }
    let seconds = field(&stdout, "read_seconds min=");
    let sum = field(&stdout, "sum ");
    match (seconds, sum) {
        (Some(seconds), Some(sum)) => Ok(MmradRead { seconds, sum }),
        _ => Err(Failure::failed(
            format!("unexpected output of `mmrad dicom read`:\n{stdout}"),
            None,
        )
        .into()),
    }
}

/// The number after `prefix` in `text` (up to the next space, comma or line end).
fn field(text: &str, prefix: &str) -> Option<f64> {
    let start = text.find(prefix)? + prefix.len();
    let rest = &text[start..];
    let end = rest.find([' ', ',', '\n']).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Minimum pydicom + numpy read time and voxel sum.
fn time_pydicom(python: &PathBuf, path: &Path, runs: usize) -> anyhow::Result<(f64, f64)> {
    let output = Command::new(python)
        .args(["-c", PYDICOM_SNIPPET])
        .arg(path)
        .arg(runs.to_string())
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{}`", python.display()))?;
    if !output.status.success() {
        return Err(Failure::failed(
            format!(
                "pydicom failed on `{}`: {}",
                path.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            None,
        )
        .into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json: serde_json::Value = serde_json::from_str(stdout.trim())
        .with_context(|| format!("unexpected pydicom output `{}`", stdout.trim()))?;
    match (json["min"].as_f64(), json["sum"].as_f64()) {
        (Some(seconds), Some(sum)) => Ok((seconds, sum)),
        _ => Err(Failure::failed(format!("unexpected pydicom output `{}`", stdout.trim()), None).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_parsed_from_mmrad_output() {
        let text =
            "size 1 × 1 × 1\nvalues   min -1, max 3, sum 12.5\nread_seconds min=0.012500 median=0.013 n=5\n";
        assert_eq!(field(text, "read_seconds min="), Some(0.0125));
        assert_eq!(field(text, "sum "), Some(12.5));
        assert_eq!(field(text, "absent="), None);
    }
}
