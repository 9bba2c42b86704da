//! End-to-end tests of `mmrad dicom info` (the built binary) on every file of `shared/data/pydicom/` and the IBSI CT
//! phantom: no patient-identifying value present in those files reaches stdout or stderr (text and `--json`), and
//! the `--json` decode statistics equal pydicom's (`pydicom/decoded_reference.json`, exact: integer stored values).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use dicom_dictionary_std::tags;
use mmrad_testkit::shared;
use serde_json::Value;

/// Identifying attributes whose values must never be printed.
const PHI_TAGS: &[(&str, dicom_object::Tag)] = &[
    ("PatientName", tags::PATIENT_NAME),
    ("PatientID", tags::PATIENT_ID),
    ("PatientBirthDate", tags::PATIENT_BIRTH_DATE),
    ("AccessionNumber", tags::ACCESSION_NUMBER),
    ("InstitutionName", tags::INSTITUTION_NAME),
    ("StudyDate", tags::STUDY_DATE),
    ("SeriesDate", tags::SERIES_DATE),
    ("AcquisitionDate", tags::ACQUISITION_DATE),
    ("ContentDate", tags::CONTENT_DATE),
    // OtherPatientIDs (0010,1000), retired in the standard (hence no non-deprecated constant) but still in files.
    ("OtherPatientIDs", dicom_object::Tag(0x0010, 0x1000)),
    ("ReferringPhysicianName", tags::REFERRING_PHYSICIAN_NAME),
];

fn pydicom_dir() -> PathBuf {
    shared("pydicom")
}

fn ibsi_image_dir() -> PathBuf {
    shared("ibsi/ibsi_1_ct_radiomics_phantom/dicom/image")
}

fn ibsi_rtstruct() -> PathBuf {
    shared("ibsi/ibsi_1_ct_radiomics_phantom/dicom/mask/DCM_RS_00060.dcm")
}

fn dcm_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect();
    files.sort();
    files
}

/// Runs `mmrad dicom info PATH [--json]`; returns (success, stdout, stderr).
fn info(path: &Path, json: bool) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mmrad"));
    command.args(["dicom", "info"]).arg(path);
    if json {
        command.arg("--json");
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The identifying values present in a file, read with dicom-object (with the tag name, for messages). Whole values
/// are searched: a name component such as `MR2` of `CompressedSamples^MR2` also occurs in the file name
/// `MR2_J2KR.dcm`, which is the user's input, not a leak.
fn phi_values(path: &Path) -> Vec<(String, &'static str)> {
    let object = dicom_object::OpenFileOptions::new()
        .read_until(tags::PIXEL_DATA)
        .open_file(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut values = Vec::new();
    for &(name, tag) in PHI_TAGS {
        let Some(text) = object.get(tag).and_then(|e| e.to_str().ok()) else {
            continue;
        };
        let text = text
            .trim_matches(|c: char| c.is_whitespace() || c == '\0')
            .to_string();
        // Values shorter than 3 characters (a one-digit ID) would match unrelated output anywhere; they are not
        // distinctive enough to search for.
        if text.chars().count() >= 3 && !values.iter().any(|(v, _)| *v == text) {
            values.push((text, name));
        }
    }
    values
}

#[test]
fn no_identifying_value_is_printed_for_any_test_file() {
    let mut files = dcm_files(&pydicom_dir());
    files.extend(dcm_files(&ibsi_image_dir()));
    files.push(ibsi_rtstruct());
    // Every identifying value of every test file, searched in every output (a value of one file must not appear
    // in the output for another either).
    let mut phi: Vec<(String, &'static str)> = Vec::new();
    for file in &files {
        for value in phi_values(file) {
            if !phi.iter().any(|(v, _)| *v == value.0) {
                phi.push(value);
            }
        }
    }
    assert!(phi.len() >= 40, "only {} identifying values found", phi.len());
    // Dates are among them (they also hide in UIDs, which is why series are printed by key).
    assert!(phi.iter().any(|(v, _)| v == "20040826"), "{phi:?}");
    let mut inputs: Vec<PathBuf> = dcm_files(&pydicom_dir());
    inputs.extend([pydicom_dir(), ibsi_image_dir(), ibsi_rtstruct()]);
    let mut n_ok = 0;
    for input in &inputs {
        for json in [false, true] {
            let (ok, stdout, stderr) = info(input, json);
            n_ok += usize::from(ok);
            for (value, tag) in &phi {
                assert!(
                    !stdout.contains(value.as_str()) && !stderr.contains(value.as_str()),
                    "`mmrad dicom info {}{}` prints the {tag} value `{value}`",
                    input.display(),
                    if json { " --json" } else { "" }
                );
            }
        }
    }
    // Every input is readable as DICOM (files without pixel data report it per file).
    assert_eq!(n_ok, 2 * inputs.len());
}

/// The JSON decode summary of `file` in the output of `mmrad dicom info PATH --json`.
fn decode_of<'a>(output: &'a Value, file: &str) -> Option<&'a Value> {
    output["series"]
        .as_array()?
        .iter()
        .flat_map(|series| series["files"].as_array().into_iter().flatten())
        .find(|f| f["file"] == file)
        .map(|f| &f["decode"])
}

#[test]
fn json_statistics_equal_pydicom() {
    let text = std::fs::read_to_string(shared("pydicom/decoded_reference.json")).unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let (ok, stdout, stderr) = info(&ibsi_image_dir(), true);
    assert!(ok, "{stderr}");
    let ibsi: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        ibsi["series"][0]["image"]["size_xyz"],
        serde_json::json!([204, 201, 60]),
        "{stdout}"
    );
    let mut n_compared = 0;
    for entry in reference["files"].as_array().unwrap() {
        let file = entry["file"].as_str().unwrap();
        let Some(sha256) = entry.get("sha256").and_then(Value::as_str) else {
            continue;
        };
        let output = if file.starts_with("DCM_IMG_") {
            ibsi.clone()
        } else {
            let (ok, stdout, stderr) = info(&pydicom_dir().join(file), true);
            assert!(ok, "{file}: {stderr}");
            serde_json::from_str(&stdout).unwrap()
        };
        let decode = decode_of(&output, file).unwrap_or_else(|| panic!("{file} missing"));
        let shape: Vec<u64> = entry["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        // pydicom's shape: [frames,] rows, columns[, samples].
        let frames = decode["frames"].as_u64().unwrap();
        let samples = decode["samples"].as_u64().unwrap();
        let mut ours = Vec::new();
        if frames > 1 {
            ours.push(frames);
        }
        ours.extend([
            decode["rows"].as_u64().unwrap(),
            decode["columns"].as_u64().unwrap(),
        ]);
        if samples > 1 {
            ours.push(samples);
        }
        assert_eq!(ours, shape, "{file}");
        assert_eq!(decode["dtype"], entry["dtype"], "{file}");
        // Exact: integer stored values, sums far below 2^53.
        for key in ["min", "max", "sum"] {
            assert_eq!(
                decode[key].as_f64().unwrap(),
                entry[key].as_f64().unwrap(),
                "{file} {key}"
            );
        }
        assert_eq!(decode["sha256"].as_str().unwrap(), sha256, "{file}");
        n_compared += 1;
    }
    // Every reference file pydicom decoded: 34 pydicom files and 60 CT slices (pydicom has no decode of
    // JPEG-lossy.dcm, and the RTSTRUCT has no Pixel Data).
    assert_eq!(n_compared, 94);
}

#[test]
fn text_output_names_series_by_key_and_shows_geometry() {
    let (ok, stdout, stderr) = info(&ibsi_image_dir(), false);
    assert!(ok, "{stderr}");
    for expected in [
        "1 series, 60 file(s)",
        "modality CT",
        "204 × 201 × 60 (x × y × z)",
        "in-plane from PixelSpacing, slices from ImagePositionPatient",
        "Implicit VR Little Endian",
        "photometric      MONOCHROME2",
        "DCM_IMG_00000.dcm",
    ] {
        assert!(stdout.contains(expected), "missing `{expected}` in\n{stdout}");
    }
    // An unreadable path is an error with a hint, exit code 1.
    let output = Command::new(env!("CARGO_BIN_EXE_mmrad"))
        .args(["dicom", "info", "/nonexistent/mmrad/x.dcm"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("x.dcm") && stderr.contains("help:"), "{stderr}");
}
