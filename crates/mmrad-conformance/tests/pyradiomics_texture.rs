//! Texture classes (GLCM, GLRLM, GLSZM, GLDM, NGTDM) vs PyRadiomics' own regression data.
//!
//! Three references: two from PyRadiomics' repository (shared data, `pyradiomics/baseline/`), one made with
//! PyRadiomics 3.1.0 and committed:
//! - `<case>_<class>.npy`: the processed matrices PyRadiomics holds (`P_glcm`, ... after empty grey levels, run
//!   lengths, zone sizes and angles are removed) for brain1, brain2, breast1, lung1 and lung2 with their default
//!   settings; compared element by element (counts exactly, normalised GLCM within 1e-15 absolute).
//! - `baseline_<class>.csv`: feature values for every original-image column (plain, `_2d`, `_FBN`, `_combined`,
//!   `_flatRegion`, `_normalization`, `_resegmentation`); `_resampling` columns are skipped (no resampling in
//!   mmrad-features). Tolerance rtol 1e-9 (the target is 1e-6); the measured worst relative error per
//!   class is printed (`cargo test -- --nocapture`).
//! - `tests/reference/texture/texture_settings.txt` (made by `make_reference.py` beside it with PyRadiomics 3.1.0):
//!   non-default texture settings the baselines do not cover (`distances`, `symmetricalGLCM`, the weighting norms
//!   with anisotropic spacing, `gldm_a`, `force2D` along each axis) on small synthetic volumes; rtol 1e-9.
//!
//! Images go through the same ROI pipeline and discretisation as extraction (`prepare_roi`, `discretise`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use common::{Worst, load_case, needs_resampling, settings_from};
use mmrad_features::discretise::{Binning, Discretised, discretise};
use mmrad_features::prepare_roi;
use mmrad_features::texture::WeightingNorm;
use mmrad_features::texture::{TextureSettings, glcm, gldm, glrlm, glszm, ngtdm};
use mmrad_testkit::{baseline, shared, workspace_root};
use ndarray::Array3;

/// The target is rtol 1e-6; the measured worst is about 1e-12 (GLCM), so a regression is caught
/// long before the target is at risk.
const RTOL: f64 = 1e-9;
const CLASSES: [&str; 5] = ["glcm", "glrlm", "glszm", "gldm", "ngtdm"];
const PLAIN_CASES: [&str; 5] = ["brain1", "brain2", "breast1", "lung1", "lung2"];

/// Discretised ROI and texture settings of every baseline column that needs no resampling, computed once.
fn cases() -> &'static BTreeMap<String, (Discretised, TextureSettings)> {
    static CASES: OnceLock<BTreeMap<String, (Discretised, TextureSettings)>> = OnceLock::new();
    CASES.get_or_init(|| {
        let mut columns: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for class in CLASSES {
            let table = baseline(class);
            for case in &table.cases {
                let dict = table.settings(case);
                if !needs_resampling(&dict) {
                    columns.entry(case.clone()).or_insert(dict);
                }
            }
        }
        let mut images = BTreeMap::new();
        let mut out = BTreeMap::new();
        for (case, dict) in columns {
            let base = case.split('_').next().unwrap().to_string();
            let (image, mask) = images.entry(base).or_insert_with(|| load_case(&case));
            let settings = settings_from(&dict);
            let roi = prepare_roi(image, mask, &settings).unwrap_or_else(|e| panic!("{case}: {e}"));
            let binning = match settings.bin_count {
                Some(count) => Binning::Count(count),
                None => Binning::Width(settings.bin_width),
            };
            let d = discretise(roi.image.view(), roi.mask.view(), roi.spacing, binning)
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            out.insert(case, (d, settings.texture_settings()));
        }
        out
    })
}

type FeatureFn =
    fn(&Discretised, &TextureSettings) -> mmrad_features::texture::Result<Vec<(&'static str, f64)>>;

/// Compares one class on every non-resampling baseline column; returns the worst relative error.
fn check_class(class: &str, features: FeatureFn, names: &[&str]) -> f64 {
    let table = baseline(class);
    let prefix = format!("original_{class}_");
    let mut baseline_names: Vec<&str> = table
        .features
        .iter()
        .filter_map(|f| f.strip_prefix(prefix.as_str()))
        .collect();
    baseline_names.sort_unstable();
    let mut ours: Vec<&str> = names.to_vec();
    ours.sort_unstable();
    assert_eq!(
        ours, baseline_names,
        "{class}: default feature set differs from the baseline rows"
    );

    let mut worst = Worst::default();
    let mut compared = Vec::new();
    for case in &table.cases {
        let Some((d, settings)) = cases().get(case) else {
            continue;
        };
        let values = features(d, settings).unwrap_or_else(|e| panic!("{class} {case}: {e}"));
        let names_out: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
        assert_eq!(names_out, names, "{class}: output order");
        for (name, value) in values {
            let expected = table.value(case, &format!("{prefix}{name}")).unwrap();
            worst.record(name, case, value, expected);
        }
        compared.push(case.clone());
    }
    println!(
        "{class}: {} columns, worst relative error {:e}",
        compared.len(),
        worst.max()
    );
    // Every column except the `_resampling` ones is compared.
    let expected_columns = table.cases.iter().filter(|c| !c.ends_with("_resampling")).count();
    assert_eq!(compared.len(), expected_columns, "{class}: compared {compared:?}");
    let failures = worst.failures(RTOL);
    assert!(failures.is_empty(), "{class} beyond rtol {RTOL:e}:\n{failures}");
    worst.max()
}

#[test]
fn glcm_matches_baseline() {
    check_class("glcm", glcm::features, glcm::FEATURE_NAMES);
}

#[test]
fn glrlm_matches_baseline() {
    check_class("glrlm", glrlm::features, glrlm::FEATURE_NAMES);
}

#[test]
fn glszm_matches_baseline() {
    check_class("glszm", glszm::features, glszm::FEATURE_NAMES);
}

#[test]
fn gldm_matches_baseline() {
    check_class("gldm", gldm::features, gldm::FEATURE_NAMES);
}

#[test]
fn ngtdm_matches_baseline() {
    check_class("ngtdm", ngtdm::features, ngtdm::FEATURE_NAMES);
}

/// Minimal `.npy` reader: little-endian f64, C or Fortran order, format versions 1–3; returns C-order data.
fn read_npy(path: &std::path::Path) -> (Vec<usize>, Vec<f64>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{}: not a .npy file", path.display());
    let major = bytes[6];
    let (header_len, start) = if major == 1 {
        (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10)
    } else {
        (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        )
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).unwrap();
    assert!(
        header.contains("'descr': '<f8'"),
        "{}: dtype in {header}",
        path.display()
    );
    let fortran = header.contains("'fortran_order': True");
    let shape_text = header
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let shape: Vec<usize> = shape_text
        .split(',')
        .map(|s| s.trim().trim_end_matches('L'))
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    // Python 2 headers write longs as `33L`.
    let data: Vec<f64> = bytes[start + header_len..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(
        data.len(),
        shape.iter().product::<usize>(),
        "{}: size",
        path.display()
    );
    if !fortran {
        return (shape, data);
    }
    // Column-major storage: element (i0, i1, ...) sits at i0 + n0 * (i1 + n1 * (...)); reorder to C order.
    let c_order = (0..data.len())
        .map(|linear| {
            let mut rest = linear;
            let mut index = vec![0; shape.len()];
            for (k, &n) in shape.iter().enumerate().rev() {
                index[k] = rest % n;
                rest /= n;
            }
            let offset = index
                .iter()
                .zip(&shape)
                .rev()
                .fold(0, |acc, (&i, &n)| acc * n + i);
            data[offset]
        })
        .collect();
    (shape, c_order)
}

/// Asserts equal shapes and elements (C order) within `atol`.
fn assert_matrix<'a>(
    what: &str,
    shape: &[usize],
    actual: impl Iterator<Item = &'a f64>,
    expected: &(Vec<usize>, Vec<f64>),
    atol: f64,
) {
    assert_eq!(shape, expected.0.as_slice(), "{what}: shape");
    let max = actual
        .zip(&expected.1)
        .map(|(a, e)| (a - e).abs())
        .fold(0.0, f64::max);
    assert!(max <= atol, "{what}: max abs difference {max:e} > {atol:e}");
}

#[test]
fn matrices_match_pyradiomics_npy() {
    for case in PLAIN_CASES {
        let (d, s) = cases().get(case).unwrap();
        let npy = |class: &str| read_npy(&shared(&format!("pyradiomics/baseline/{case}_{class}.npy")));
        // GLCM is normalised per angle (counts / integer total): 1e-15 absolute on values <= 1.
        let m = glcm::matrix(d, s).unwrap();
        assert_matrix(&format!("{case} glcm"), m.shape(), m.iter(), &npy("glcm"), 1e-15);
        // Counts: exact.
        let m = glrlm::matrix(d, s).unwrap();
        assert_matrix(&format!("{case} glrlm"), m.shape(), m.iter(), &npy("glrlm"), 0.0);
        let m = glszm::matrix(d, s).unwrap();
        assert_matrix(&format!("{case} glszm"), m.shape(), m.iter(), &npy("glszm"), 0.0);
        let m = gldm::matrix(d, s).unwrap();
        assert_matrix(&format!("{case} gldm"), m.shape(), m.iter(), &npy("gldm"), 0.0);
        // Sums of |i - mean| in another order: 1e-12 absolute on sums of order 1e3.
        let m = ngtdm::matrix(d, s).unwrap();
        assert_matrix(
            &format!("{case} ngtdm"),
            m.shape(),
            m.iter(),
            &npy("ngtdm"),
            1e-12,
        );
    }
}

/// Reference features of one setting: (class, feature, value).
type ReferenceFeatures = Vec<(String, String, f64)>;

/// One synthetic volume of `texture_settings.txt` with its per-setting reference features.
struct SyntheticCase {
    name: String,
    d: Discretised,
    /// (setting text, settings, reference features).
    settings: Vec<(String, TextureSettings, ReferenceFeatures)>,
}

fn parse_setting(text: &str) -> TextureSettings {
    let mut s = TextureSettings::default();
    for item in text.split(';').filter(|t| !t.is_empty()) {
        let (key, value) = item.split_once('=').unwrap();
        match key {
            "distances" => {
                s.distances = value
                    .trim_matches(|c| c == '[' || c == ']')
                    .split(',')
                    .map(|d| d.trim().parse().unwrap())
                    .collect();
            }
            "symmetricalGLCM" => s.symmetrical_glcm = value == "True",
            "weightingNorm" => s.weighting_norm = Some(WeightingNorm::parse(value).unwrap()),
            "gldm_a" => s.gldm_a = value.parse().unwrap(),
            "force2D" => s.force2d = value == "True",
            "force2Ddimension" => s.force2d_dimension = value.parse().unwrap(),
            other => panic!("unknown setting `{other}`"),
        }
    }
    s
}

fn synthetic_cases() -> Vec<SyntheticCase> {
    let path = workspace_root().join("tests/reference/texture/texture_settings.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cases = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let head: Vec<&str> = line.split(' ').collect();
        assert_eq!(head[0], "case", "unexpected line `{line}`");
        let dims: Vec<usize> = head[2..5].iter().map(|v| v.parse().unwrap()).collect();
        let spacing: Vec<f64> = head[5..8].iter().map(|v| v.parse().unwrap()).collect();
        let grey: Vec<u32> = lines
            .next()
            .unwrap()
            .strip_prefix("grey ")
            .unwrap()
            .split(' ')
            .map(|v| v.parse().unwrap())
            .collect();
        let mask: Vec<bool> = lines
            .next()
            .unwrap()
            .strip_prefix("mask ")
            .unwrap()
            .split(' ')
            .map(|v| v == "1")
            .collect();
        let shape = (dims[0], dims[1], dims[2]);
        let grey = Array3::from_shape_vec(shape, grey).unwrap();
        let mask = Array3::from_shape_vec(shape, mask).unwrap();
        let n_levels = grey.iter().copied().max().unwrap();
        let d = Discretised {
            grey,
            mask,
            n_levels,
            spacing: [spacing[0], spacing[1], spacing[2]],
        };
        let mut settings = Vec::new();
        for line in lines.by_ref() {
            if line == "end" {
                break;
            }
            if let Some(text) = line.strip_prefix("setting ") {
                settings.push((text.to_string(), parse_setting(text), Vec::new()));
            } else if line == "setting" {
                settings.push((String::new(), TextureSettings::default(), Vec::new()));
            } else {
                let parts: Vec<&str> = line.split(' ').collect();
                assert_eq!(parts[0], "feature", "unexpected line `{line}`");
                let value: f64 = parts[3].parse().unwrap();
                settings
                    .last_mut()
                    .unwrap()
                    .2
                    .push((parts[1].to_string(), parts[2].to_string(), value));
            }
        }
        cases.push(SyntheticCase {
            name: head[1].to_string(),
            d,
            settings,
        });
    }
    cases
}

#[test]
fn non_default_settings_match_pyradiomics() {
    let cases = synthetic_cases();
    assert_eq!(cases.len(), 3);
    let mut worst = Worst::default();
    let mut n_settings = 0;
    for case in &cases {
        for (text, settings, expected) in &case.settings {
            n_settings += 1;
            let what = format!("{} [{text}]", case.name);
            let mut ours = Vec::new();
            for class in CLASSES {
                let f: FeatureFn = match class {
                    "glcm" => glcm::features,
                    "glrlm" => glrlm::features,
                    "glszm" => glszm::features,
                    "gldm" => gldm::features,
                    _ => ngtdm::features,
                };
                for (name, value) in f(&case.d, settings).unwrap_or_else(|e| panic!("{what} {class}: {e}")) {
                    ours.push((class, name, value));
                }
            }
            assert_eq!(ours.len(), expected.len(), "{what}: number of features");
            for (class, name, value) in ours {
                let reference = expected
                    .iter()
                    .find(|(c, n, _)| c == class && n == name)
                    .unwrap_or_else(|| panic!("{what}: no reference for {class} {name}"))
                    .2;
                worst.record(&format!("{class}_{name}"), &what, value, reference);
            }
        }
    }
    println!(
        "non-default settings: {n_settings} case settings, worst relative error {:e}",
        worst.max()
    );
    let failures = worst.failures(RTOL);
    assert!(failures.is_empty(), "beyond rtol {RTOL:e}:\n{failures}");
}
