//! Shared helpers for the PyRadiomics conformance tests: load a baseline case and its settings, read a committed
//! PyRadiomics reference table, read a committed phantom or a shared test case.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use mmrad_core::{LabelMap, Volume};
use mmrad_features::texture::WeightingNorm;
use mmrad_features::{ExtractionSettings, Interpolator, ResegmentMode};

/// The image and label map of a PyRadiomics test case (suffixes like `_2d` are stripped).
pub fn load_case(case: &str) -> (Volume, LabelMap) {
    mmrad_testkit::pyradiomics_case(case)
}

fn list(value: &str) -> Vec<f64> {
    value
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect()
}

/// Converts a baseline case's settings dict (PyRadiomics names, Python literals) into `ExtractionSettings`.
///
/// Any unknown key fails the test so that a setting is never silently ignored.
pub fn settings_from(dict: &BTreeMap<String, String>) -> ExtractionSettings {
    let mut s = ExtractionSettings::default();
    for (key, value) in dict {
        let none = value == "None";
        match key.as_str() {
            "binWidth" => s.bin_width = value.parse().unwrap(),
            "binCount" if !none => s.bin_count = Some(value.parse().unwrap()),
            "label" => s.label = value.parse().unwrap(),
            "voxelArrayShift" => s.voxel_array_shift = value.parse().unwrap(),
            "normalize" => s.normalize = value == "True",
            "normalizeScale" => s.normalize_scale = value.parse().unwrap(),
            "removeOutliers" if !none => s.remove_outliers = Some(value.parse().unwrap()),
            "resegmentRange" if !none => s.resegment_range = Some(list(value)),
            "resegmentMode" => {
                s.resegment_mode = match value.as_str() {
                    "absolute" => ResegmentMode::Absolute,
                    "relative" => ResegmentMode::Relative,
                    "sigma" => ResegmentMode::Sigma,
                    other => panic!("resegmentMode {other}"),
                }
            }
            "resegmentShape" => s.resegment_shape = value == "True",
            "minimumROIDimensions" => s.minimum_roi_dimensions = value.parse().unwrap(),
            "minimumROISize" if !none => s.minimum_roi_size = Some(value.parse().unwrap()),
            "force2D" => s.force_2d = value == "True",
            "force2Ddimension" => s.force_2d_dimension = value.parse().unwrap(),
            "distances" => s.distances = list(value).into_iter().map(|d| d as usize).collect(),
            "symmetricalGLCM" => s.symmetrical_glcm = value == "True",
            "weightingNorm" if !none => s.weighting_norm = Some(WeightingNorm::parse(value).unwrap()),
            "gldm_a" => s.gldm_a = value.parse().unwrap(),
            "preCrop" => s.pre_crop = value == "True",
            "padDistance" => s.pad_distance = value.parse().unwrap(),
            "geometryTolerance" if !none => s.geometry_tolerance = Some(value.parse().unwrap()),
            "correctMask" => s.correct_mask = value == "True",
            "additionalInfo" => s.additional_info = value == "True",
            "resampledPixelSpacing" if !none => {
                let v = list(value);
                s.resampled_pixel_spacing = Some([v[0], v[1], v[2]]);
            }
            "interpolator" if !none => {
                s.interpolator = match value.as_str() {
                    "sitkBSpline" => Interpolator::BSpline,
                    "sitkLinear" => Interpolator::Linear,
                    "sitkNearestNeighbor" => Interpolator::NearestNeighbor,
                    other => panic!("interpolator {other}"),
                }
            }
            _ if none => {}
            other => panic!("unhandled PyRadiomics setting `{other}` = `{value}`"),
        }
    }
    s
}

/// True when the case resamples (`resampledPixelSpacing` set); `mmrad-features` supports it (B-spline as ITK).
pub fn needs_resampling(dict: &BTreeMap<String, String>) -> bool {
    dict.get("resampledPixelSpacing").is_some_and(|v| v != "None")
}

/// Worst relative error tracker: `(feature, case, actual, expected, rel_err)`.
#[derive(Debug, Default)]
pub struct Worst {
    pub entries: Vec<(String, String, f64, f64, f64)>,
}

impl Worst {
    /// Records a comparison; relative error is |a − e| / max(|a|, |e|) (0 when both are 0 or both NaN).
    pub fn record(&mut self, feature: &str, case: &str, actual: f64, expected: f64) -> f64 {
        let rel = if (actual.is_nan() && expected.is_nan()) || actual == expected {
            0.0
        } else {
            (actual - expected).abs() / actual.abs().max(expected.abs())
        };
        let rel = if rel.is_nan() { f64::INFINITY } else { rel };
        self.entries
            .push((feature.to_string(), case.to_string(), actual, expected, rel));
        rel
    }

    /// The largest relative error recorded.
    pub fn max(&self) -> f64 {
        self.entries.iter().map(|e| e.4).fold(0.0, f64::max)
    }

    /// Entries above `rtol`, formatted one per line.
    pub fn failures(&self, rtol: f64) -> String {
        self.entries
            .iter()
            .filter(|e| e.4 > rtol)
            .map(|(f, c, a, e, r)| format!("{c} {f}: actual {a} expected {e} rel {r:e}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Reference features by case: `case_id`, then one column per feature (an empty cell is a feature PyRadiomics did not
/// compute for that case).
pub type Table = BTreeMap<String, BTreeMap<String, f64>>;

/// Reads a committed reference CSV (`tests/reference/pyradiomics/...`, relative to the workspace).
pub fn read_reference(rel: &str) -> Table {
    let path = mmrad_testkit::workspace_root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "case_id");
    let mut table = Table::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len(), "{rel}: ragged row");
        let row = table.entry(cells[0].to_owned()).or_default();
        for (name, cell) in header.iter().zip(&cells).skip(1) {
            if !cell.is_empty() {
                row.insert(
                    (*name).to_owned(),
                    cell.parse().unwrap_or_else(|_| panic!("{rel}: `{cell}`")),
                );
            }
        }
    }
    table
}

/// A committed phantom (`tests/data/phantoms/<case>`) or a PyRadiomics test case from the shared data.
pub fn read_case(case: &str) -> (Volume, LabelMap) {
    let dir = mmrad_testkit::repo_data(&format!("phantoms/{case}"));
    if dir.is_dir() {
        let image = mmrad_io::read_image(&dir.join("image.nrrd")).unwrap();
        let mask = mmrad_io::read_label_map(&dir.join("mask.nrrd")).unwrap();
        (image, mask)
    } else {
        mmrad_testkit::pyradiomics_case(case)
    }
}

/// A running comparison of mmrad's values with a reference at rtol 1e-6 (atol 1e-9 near 0): how many were compared,
/// the worst relative error and where, and every value missing or out of tolerance.
#[derive(Debug, Default)]
pub struct Tally {
    pub compared: usize,
    pub worst: (f64, String),
    pub problems: Vec<String>,
}

impl Tally {
    /// Compares `got` (`None`: mmrad did not compute it) with `reference`'s `want` for the value named `what`.
    pub fn check(&mut self, what: &str, got: Option<f64>, want: f64, reference: &str) {
        let Some(got) = got else {
            self.problems.push(format!("{what} missing"));
            return;
        };
        self.compared += 1;
        let rel = if (got - want).abs() <= 1e-9 {
            0.0
        } else {
            (got - want).abs() / want.abs().max(got.abs())
        };
        if rel > self.worst.0 || rel.is_nan() {
            self.worst = (rel, what.to_owned());
        }
        if !mmrad_testkit::close(got, want, 1e-6, 1e-9) {
            self.problems
                .push(format!("{what} = {got}, {reference} {want} (rel {rel:.2e})"));
        }
    }
}
