//! End-to-end tests of `mmrad convert` on the IBSI-1 CT phantom: the DICOM series written as NRRD and NIfTI equals the
//! shipped NIfTI image voxel for voxel; the RTSTRUCT `GTV-1` written as a mask agrees with the shipped NIfTI mask;
//! the pydicom SEG on its own grid; usage and input errors with their exit codes; no temporary file left behind.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mmrad_testkit::{shared, workspace_root};

fn mmrad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mmrad"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mmrad-convert-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn phantom(rel: &str) -> String {
    shared(&format!("ibsi/ibsi_1_ct_radiomics_phantom/{rel}"))
        .display()
        .to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Only the expected files are in `dir` (no `.mmrad-*` temporary left behind).
fn assert_only(dir: &Path, names: &[&str]) {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut wanted: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    wanted.sort();
    assert_eq!(found, wanted);
}

#[test]
fn dicom_series_to_nrrd_and_nifti_equals_the_shipped_nifti_image() {
    let dir = tmp("image");
    let reference = mmrad_io::read_image(Path::new(&phantom("nifti/image/phantom.nii.gz"))).unwrap();
    for name in ["phantom.nrrd", "phantom.nii.gz"] {
        let out_path = dir.join(name);
        let out = mmrad(&["convert", &phantom("dicom/image"), out_path.to_str().unwrap()]);
        assert_success(&out);
        assert!(
            text(&out.stdout).contains("204 × 201 × 60 voxels"),
            "{}",
            text(&out.stdout)
        );
        let back = mmrad_io::read_image(&out_path).unwrap();
        assert_eq!(back.size_xyz(), [204, 201, 60]);
        // HU values are integers on both sides: exact.
        assert_eq!(back.data, reference.data, "{name}");
        // Geometry within 1e-4 mm / 1e-6 (the shipped NIfTI and a written NIfTI store float32).
        for (a, b) in back.geometry.origin.iter().zip(&reference.geometry.origin) {
            assert!(
                (a - b).abs() <= 1e-4,
                "{name} origin {:?} vs {:?}",
                back.geometry.origin,
                reference.geometry.origin
            );
        }
        for (a, b) in back.geometry.spacing.iter().zip(&reference.geometry.spacing) {
            assert!((a - b).abs() <= 1e-4, "{name} spacing");
        }
        for (a, b) in back.geometry.direction.iter().zip(&reference.geometry.direction) {
            assert!((a - b).abs() <= 1e-6, "{name} direction");
        }
    }
    assert_only(&dir, &["phantom.nrrd", "phantom.nii.gz"]);
}

#[test]
fn rtstruct_to_mask_agrees_with_the_shipped_nifti_mask() {
    let dir = tmp("rtstruct");
    let out_path = dir.join("gtv.nrrd");
    let out = mmrad(&[
        "convert",
        "--rtstruct",
        &phantom("dicom/mask/DCM_RS_00060.dcm"),
        "--roi",
        "GTV-1",
        "--image",
        &phantom("dicom/image"),
        out_path.to_str().unwrap(),
    ]);
    assert_success(&out);
    let mask = mmrad_io::read_label_map(&out_path).unwrap();
    let reference = mmrad_io::read_label_map(Path::new(&phantom("nifti/mask/mask.nii.gz"))).unwrap();
    let both = mask
        .data
        .iter()
        .zip(reference.data.iter())
        .filter(|(a, b)| **a != 0 && **b != 0)
        .count();
    let n_mask = mask.data.iter().filter(|&&v| v != 0).count();
    let n_reference = reference.data.iter().filter(|&&v| v != 0).count();
    let dice = 2.0 * both as f64 / (n_mask + n_reference) as f64;
    // Measured Dice 1.0 (no voxel differs); issue 4 asks for at least 0.995.
    assert_eq!(dice, 1.0);
    assert_eq!(n_mask, 125_256);
    assert_only(&dir, &["gtv.nrrd"]);
}

#[test]
fn seg_to_mask_on_its_own_grid() {
    let dir = tmp("seg");
    let out_path = dir.join("liver.nii.gz");
    let out = mmrad(&[
        "convert",
        "--seg",
        &shared("pydicom/liver.dcm").display().to_string(),
        "--segment",
        "Liver",
        out_path.to_str().unwrap(),
    ]);
    assert_success(&out);
    let mask = mmrad_io::read_label_map(&out_path).unwrap();
    assert_eq!(mask.size_xyz(), [512, 512, 3]);
    // pydicom's count of set pixels (tests/reference/io/seg_liver.json).
    assert_eq!(mask.data.iter().filter(|&&v| v == 1).count(), 107_098);
}

#[test]
fn errors_have_exit_codes_and_name_the_problem() {
    let dir = tmp("errors");
    let out_path = dir.join("mask.nrrd");
    let out = mmrad(&[
        "convert",
        "--rtstruct",
        &phantom("dicom/mask/DCM_RS_00060.dcm"),
        "--roi",
        "GTV-2",
        "--image",
        &phantom("dicom/image"),
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error:") && stderr.contains("ROIs present: `GTV-1`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  --> ") && stderr.contains("DCM_RS_00060.dcm"),
        "{stderr}"
    );
    // Unknown output extension: usage error.
    let out = mmrad(&[
        "convert",
        &phantom("dicom/image"),
        dir.join("out.png").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("`.nrrd`, `.nii` or `.nii.gz`"));
    // An RTSTRUCT without the image: clap usage error.
    let out = mmrad(&[
        "convert",
        "--rtstruct",
        &phantom("dicom/mask/DCM_RS_00060.dcm"),
        "--roi",
        "GTV-1",
        "m.nrrd",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // Nothing was written.
    assert_only(&dir, &[]);
}
