//! mmrad-testkit: dev-only test support: the one function that finds `../shared/data`, tolerance assertions,
//! PyRadiomics test cases ([`pyradiomics_case`]) and the PyRadiomics baseline reader ([`baseline`]).

pub mod baseline;

use std::path::{Path, PathBuf};

pub use baseline::{Baseline, baseline};

/// The shared third-party data folder (`../shared/data` next to the workspace), or `MMRAD_SHARED_DATA` if set.
///
/// # Panics
/// When the folder does not exist: tests that need it must fail loudly, never skip.
#[allow(clippy::panic)]
pub fn shared_data() -> PathBuf {
    if let Some(dir) = std::env::var_os("MMRAD_SHARED_DATA") {
        return PathBuf::from(dir);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = workspace.join("../shared/data");
    if !dir.is_dir() {
        panic!(
            "shared test data not found at `{}`; set MMRAD_SHARED_DATA",
            dir.display()
        );
    }
    dir
}

/// A path inside the shared data folder.
pub fn shared(rel: &str) -> PathBuf {
    shared_data().join(rel)
}

/// The image and label map of a PyRadiomics test case from the shared data (`brain1`, `lung2`, ...; a suffix such as
/// `_2d` or `_normalization` is stripped), read with `mmrad-io`.
///
/// # Panics
/// When the files are missing or unreadable (test support: fail loudly).
#[allow(clippy::panic)]
pub fn pyradiomics_case(case: &str) -> (mmrad_core::Volume, mmrad_core::LabelMap) {
    let base = case.split('_').next().unwrap_or(case);
    let image_path = shared(&format!("pyradiomics/{base}_image.nrrd"));
    let label_path = shared(&format!("pyradiomics/{base}_label.nrrd"));
    let image = mmrad_io::read_image(&image_path).unwrap_or_else(|e| panic!("{e}"));
    let labels = mmrad_io::read_label_map(&label_path).unwrap_or_else(|e| panic!("{e}"));
    (image, labels)
}

/// The workspace's own `tests/data` folder (small committed fixtures).
pub fn repo_data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(rel)
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// True when `a` and `b` agree within `rtol` relative to `max(|a|, |b|)` or within `atol` absolutely.
/// NaN equals NaN (PyRadiomics reports NaN for undefined features).
pub fn close(a: f64, b: f64, rtol: f64, atol: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    let diff = (a - b).abs();
    diff <= atol || diff <= rtol * a.abs().max(b.abs())
}

/// Asserts `close` with a message naming what was compared.
#[allow(clippy::panic)]
#[track_caller]
pub fn assert_close(what: &str, actual: f64, expected: f64, rtol: f64, atol: f64) {
    if !close(actual, expected, rtol, atol) {
        panic!(
            "{what}: actual {actual} vs expected {expected} (rel err {:e}, rtol {rtol:e}, atol {atol:e})",
            ((actual - expected) / expected).abs()
        );
    }
}
