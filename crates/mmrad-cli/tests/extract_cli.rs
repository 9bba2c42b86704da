//! End-to-end tests of `mmrad extract` (the built binary) on PyRadiomics' brain1 case: single case to stdout and to
//! CSV/Parquet, batches with bad rows, thread-count independence, and parameter-file errors; and IBSI-2 filters of a
//! parameter file (`imageType: {IBSI2: ...}`) on the IBSI CT phantom against IBSI-2 phase 2 consensus values.
//!
//! Reference: PyRadiomics' own regression baseline `baseline_firstorder.csv` (column `brain1`, made with
//! `voxelArrayShift: 2000`, `minimumROIDimensions: 1`, binWidth 25, label 1), rtol 1e-6.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mmrad_testkit::{baseline, close, shared};

const RTOL: f64 = 1e-6;
const ATOL: f64 = 1e-12;

/// brain1's baseline settings, first-order features only (texture in a debug build would be slow).
const PARAMS: &str = "featureClass:\n  firstorder:\nsetting:\n  binWidth: 25\n  label: 1\n  voxelArrayShift: 2000\n  minimumROIDimensions: 1\n  additionalInfo: false\n";

fn image() -> PathBuf {
    shared("pyradiomics/brain1_image.nrrd")
}

fn mask() -> PathBuf {
    shared("pyradiomics/brain1_label.nrrd")
}

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mmrad-extract-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mmrad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mmrad"))
        .arg("extract")
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Checks every brain1 first-order baseline feature in `values` (name -> value) at rtol 1e-6; returns how many.
fn check_against_baseline(values: &[(String, f64)]) -> usize {
    let table = baseline("firstorder");
    let mut checked = 0;
    for feature in table
        .features
        .iter()
        .filter(|f| f.starts_with("original_firstorder_"))
    {
        let Some(expected) = table.value("brain1", feature) else {
            continue;
        };
        let Some((_, actual)) = values.iter().find(|(n, _)| n == feature) else {
            panic!("{feature} missing from the output");
        };
        assert!(
            close(*actual, expected, RTOL, ATOL),
            "{feature}: {actual} vs baseline {expected}"
        );
        checked += 1;
    }
    checked
}

#[test]
fn single_case_to_stdout_matches_the_pyradiomics_baseline() {
    let dir = scratch("stdout");
    let params = dir.join("params.yaml");
    std::fs::write(&params, PARAMS).unwrap();
    let out = mmrad(&[p(&image()), p(&mask()), "-p", p(&params)]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("name,value\n"), "{stdout}");
    let values: Vec<(String, f64)> = stdout
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(',')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect();
    assert_eq!(
        check_against_baseline(&values),
        18,
        "the 18 default first-order features"
    );
    // `--compat pyradiomics-3.1` names the default behaviour: the same bytes; an unknown release is a usage error.
    let pinned = mmrad(&[
        p(&image()),
        p(&mask()),
        "-p",
        p(&params),
        "--compat",
        "pyradiomics-3.1",
    ]);
    assert!(pinned.status.success(), "stderr: {}", text(&pinned.stderr));
    assert_eq!(pinned.stdout, out.stdout);
    let unknown = mmrad(&[
        p(&image()),
        p(&mask()),
        "-p",
        p(&params),
        "--compat",
        "pyradiomics-2.2",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("pyradiomics-3.1"));
}

#[test]
fn single_case_to_csv_is_one_row_with_settings_from_overrides() {
    let dir = scratch("csv");
    let out_csv = dir.join("brain1.csv");
    let out = mmrad(&[
        p(&image()),
        p(&mask()),
        "-s",
        "voxelArrayShift:2000",
        "-s",
        "minimumROIDimensions:1",
        "--label",
        "1",
        "-o",
        p(&out_csv),
    ]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let written = std::fs::read_to_string(&out_csv).unwrap();
    assert!(
        written.starts_with("Image,Mask,"),
        "{}",
        &written[..80.min(written.len())]
    );
    // Diagnostics cells may hold commas (quoted); compare only feature columns, which are plain numbers.
    let header: Vec<&str> = written.lines().next().unwrap().split(',').collect();
    assert!(
        header.contains(&"original_glcm_Contrast"),
        "every class by default"
    );
    assert_eq!(written.lines().count(), 2, "header + one case");
    let out_parquet = dir.join("brain1.parquet");
    let out = mmrad(&[
        p(&image()),
        p(&mask()),
        "-s",
        "voxelArrayShift:2000",
        "-p",
        p(&write_params(&dir)),
        "-o",
        p(&out_parquet),
    ]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let bytes = std::fs::read(&out_parquet).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
}

fn write_params(dir: &Path) -> PathBuf {
    let params = dir.join("params.yaml");
    std::fs::write(&params, PARAMS).unwrap();
    params
}

#[test]
fn batch_continues_past_bad_rows_and_does_not_depend_on_threads() {
    let dir = scratch("batch");
    let params = write_params(&dir);
    std::fs::copy(image(), dir.join("img.nrrd")).unwrap();
    let batch = dir.join("cases.csv");
    std::fs::write(
        &batch,
        format!(
            "case_id,Image,Mask,Label,site\n\
             b1,img.nrrd,{mask},,\"Leiden, NL\"\n\
             gone,missing.nrrd,{mask},,x\n\
             b1_label7,{image},{mask},7,y\n\
             b1_again,{image},{mask},1,z\n",
            image = p(&image()),
            mask = p(&mask())
        ),
    )
    .unwrap();
    let run =
        |jobs: &str, out: &Path| mmrad(&["--batch", p(&batch), "-p", p(&params), "-j", jobs, "-o", p(out)]);
    let out1 = dir.join("j1.csv");
    let result = run("1", &out1);
    assert_eq!(result.status.code(), Some(1), "a failed case means exit code 1");
    let stderr = text(&result.stderr);
    assert!(stderr.contains("error: 2 of 4 case(s) failed"), "{stderr}");
    assert!(
        stderr.contains("line 3 (`") && stderr.contains("missing.nrrd"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 4 (`") && stderr.contains("label `7` is not present"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(&out1).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines.len(), 5, "{written}");
    assert!(
        lines[0].starts_with("case_id,Image,Mask,Label,site,"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("b1,img.nrrd,"),
        "copied verbatim, relative path kept: {}",
        lines[1]
    );
    assert!(
        lines[1].contains("\"Leiden, NL\""),
        "quoted cell survives: {}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("gone,missing.nrrd,") && lines[2].ends_with(",,,"),
        "failed row keeps its cells"
    );
    // Feature values of the good rows agree with the baseline (no diagnostics: features are the trailing columns).
    let header: Vec<&str> = lines[0].split(',').collect();
    let n_features = header.iter().filter(|h| h.starts_with("original_")).count();
    let feature_names = &header[header.len() - n_features..];
    assert!(
        feature_names
            .iter()
            .all(|h| h.starts_with("original_firstorder_")),
        "{header:?}"
    );
    for row in [lines[1], lines[4]] {
        let mut cells: Vec<&str> = row.rsplitn(n_features + 1, ',').take(n_features).collect();
        cells.reverse();
        let values: Vec<(String, f64)> = feature_names
            .iter()
            .zip(&cells)
            .map(|(n, c)| ((*n).to_owned(), c.parse().unwrap()))
            .collect();
        assert_eq!(check_against_baseline(&values), 18);
    }
    // Same bytes with two threads.
    let out2 = dir.join("j2.csv");
    assert_eq!(run("2", &out2).status.code(), Some(1));
    assert_eq!(
        std::fs::read(&out1).unwrap(),
        std::fs::read(&out2).unwrap(),
        "-j 2 output differs from -j 1"
    );
}

#[test]
fn fail_fast_stops_and_still_reports() {
    let dir = scratch("failfast");
    let batch = dir.join("cases.csv");
    std::fs::write(
        &batch,
        format!(
            "Image,Mask\nmissing.nrrd,{m}\nmissing2.nrrd,{m}\n",
            m = p(&mask())
        ),
    )
    .unwrap();
    let out = mmrad(&["--batch", p(&batch), "--fail-fast", "-o", p(&dir.join("out.csv"))]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2 (`"), "{stderr}");
}

#[test]
fn batch_without_mask_column_is_an_error() {
    let dir = scratch("nomask");
    let batch = dir.join("cases.csv");
    std::fs::write(&batch, "Image,Segmentation\na.nrrd,b.nrrd\n").unwrap();
    let out = mmrad(&["--batch", p(&batch), "-o", p(&dir.join("out.csv"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error: table `cases.csv` has no column `Mask`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn unknown_parameter_key_names_the_key_and_the_valid_ones() {
    let dir = scratch("badparams");
    let params = dir.join("params.yaml");
    std::fs::write(&params, "setting:\n  binWidht: 25\n").unwrap();
    let out = mmrad(&[p(&image()), p(&mask()), "-p", p(&params)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: unknown setting; valid: minimumROIDimensions, "),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("  --> {}: setting.binWidht\n", p(&params))),
        "{stderr}"
    );
    assert!(stderr.contains("  help: did you mean `binWidth`?"), "{stderr}");
    assert!(out.stdout.is_empty());

    let out = mmrad(&[p(&image()), p(&mask()), "-s", "binWidht:25"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("  --> -s binWidht\n"), "{stderr}");

    let out = mmrad(&[
        p(&image()),
        p(&mask()),
        "-p",
        p(&shared("pyradiomics/nonexistent.yaml")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("error: cannot read the parameter file: "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn lbp_image_types_are_extracted_and_bad_lbp_settings_are_named() {
    let dir = scratch("imagetypes");
    let params = dir.join("params.yaml");
    std::fs::write(
        &params,
        "imageType:\n  LBP2D: {binWidth: 1}\n  LBP3D: {binWidth: 0.5}\nfeatureClass:\n  firstorder:\n",
    )
    .unwrap();
    let out = mmrad(&[p(&image()), p(&mask()), "-p", p(&params)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for name in [
        "lbp-2D_firstorder_Mean,",
        "lbp-3D-m1_firstorder_Mean,",
        "lbp-3D-m2_firstorder_Mean,",
        "lbp-3D-k_firstorder_Mean,",
    ] {
        assert!(stdout.contains(name), "{name} missing:\n{stdout}");
    }
    std::fs::write(&params, "imageType:\n  LBP3D: {lbp3DLevels: 1}\n").unwrap();
    let out = mmrad(&[p(&image()), p(&mask()), "-p", p(&params)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: `1` is out of range") && stderr.contains("imageType.LBP3D.lbp3DLevels"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_with_2() {
    assert_eq!(mmrad(&[]).status.code(), Some(2));
    assert_eq!(mmrad(&[p(&image())]).status.code(), Some(2), "IMAGE without MASK");
    assert_eq!(
        mmrad(&[p(&image()), p(&mask()), "--batch", "x.csv"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn missing_image_is_a_clear_error() {
    let out = mmrad(&["/nonexistent/image.nrrd", p(&mask())]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: cannot read `/nonexistent/image.nrrd`"),
        "{stderr}"
    );
}

#[test]
fn ibsi2_filters_from_a_parameter_file_match_the_ibsi2_reference() {
    // IBSI-2 phase 2 configurations 2.A (mean, 5 voxels) and 4.A (Laws L5E5 energy, 4 in-plane rotations, max) on
    // the IBSI-1 CT phantom, 2D, ROI re-segmented to [-1000, 400] HU, mirror padding; reference: the IBSI-2
    // consensus values with their tolerances (`../shared/data/ibsi2/phase2_reference_values.csv`).
    let dir = scratch("ibsi2");
    let params = dir.join("params.yaml");
    std::fs::write(
        &params,
        "setting: {ibsiCompliant: true, resegmentRange: [-1000, 400]}\n\
         imageType:\n  IBSI2:\n    mean5: {filter: mean, dims: 2D, padding: mirror, support_vox: 5}\n    \
         laws: {filter: laws, dims: 2D, padding: mirror, kernel: L5E5, energy: yes, energy_delta_vox: 7, \
         rotation: 2d-4-right-angle, pooling: max}\n",
    )
    .unwrap();
    let image = shared("ibsi/ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz");
    let mask = shared("ibsi/ibsi_1_ct_radiomics_phantom/nifti/mask/mask.nii.gz");
    let out = mmrad(&[p(&image), p(&mask), "-p", p(&params)]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let value = |name: &str| -> f64 {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name},")))
            .unwrap_or_else(|| panic!("{name} missing from:\n{stdout}"))
            .parse()
            .unwrap()
    };
    // (feature, IBSI-2 consensus value, tolerance)
    for (name, reference, tol) in [
        ("ibsi2-mean5_ibsi_stat_mean", -49.9, 4.4),
        ("ibsi2-mean5_ibsi_stat_p90", 79.8, 0.1),
        ("ibsi2-mean5_ibsi_stat_min", -889.0, 3.0),
        ("ibsi2-laws_ibsi_stat_mean", 148.0, 3.0),
        ("ibsi2-laws_ibsi_stat_min", 15.5, 0.1),
        ("ibsi2-laws_ibsi_stat_max", 672.0, 4.0),
    ] {
        let actual = value(name);
        assert!(
            (actual - reference).abs() <= tol,
            "{name}: {actual} vs IBSI-2 {reference} ± {tol}"
        );
    }
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ibsi2-")).count(),
        36,
        "18 intensity statistics per filter:\n{stdout}"
    );
}
