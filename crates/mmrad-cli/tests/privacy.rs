//! Privacy end to end: a synthetic image cohort whose DICOM files carry known identifying values in every
//! identifying attribute (PS3.15 basic profile: names, IDs, dates, times, addresses, institution, descriptions) is
//! run through every command that reads DICOM (`dicom info`/`read`, `convert`, `extract` single and batch,
//! `study run`/`check`/`ablate` with its report) and through their error paths (truncated file, missing slice,
//! mixed series, a mask on another grid, a SEG and an RTSTRUCT of another patient). None of the values, nor the
//! files' instance UIDs, may appear in any file written, on stdout or on stderr. Case ids in the outputs are the
//! manifest's, never a DICOM attribute.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::Tag;
use mmrad_testkit::workspace_root;

/// The identifying attributes set in every file, with a distinctive value each (no value is a substring of
/// another, none occurs in a synthetic file before injection).
const PHI: &[(&str, Tag, VR, &str)] = &[
    ("PatientName", tags::PATIENT_NAME, VR::PN, "Quillfeather^Zebedee"),
    ("PatientID", tags::PATIENT_ID, VR::LO, "PHIID5550417"),
    ("PatientBirthDate", tags::PATIENT_BIRTH_DATE, VR::DA, "19470923"),
    ("PatientBirthTime", Tag(0x0010, 0x0032), VR::TM, "031742"),
    ("OtherPatientIDs", Tag(0x0010, 0x1000), VR::LO, "OTHERPHI8812"),
    (
        "PatientAddress",
        tags::PATIENT_ADDRESS,
        VR::LO,
        "4 Privet Drive Whinging",
    ),
    (
        "PatientTelephoneNumbers",
        tags::PATIENT_TELEPHONE_NUMBERS,
        VR::SH,
        "+44-20-7946-0958",
    ),
    (
        "PatientComments",
        tags::PATIENT_COMMENTS,
        VR::LT,
        "allergic to Quillwort",
    ),
    ("AccessionNumber", tags::ACCESSION_NUMBER, VR::SH, "ACC7319046"),
    ("StudyID", tags::STUDY_ID, VR::SH, "STPHI4242"),
    (
        "InstitutionName",
        tags::INSTITUTION_NAME,
        VR::LO,
        "Mercywood Infirmary",
    ),
    (
        "InstitutionAddress",
        tags::INSTITUTION_ADDRESS,
        VR::ST,
        "17 Larkspur Lane",
    ),
    (
        "ReferringPhysicianName",
        tags::REFERRING_PHYSICIAN_NAME,
        VR::PN,
        "Drumble^Octavia",
    ),
    (
        "PerformingPhysicianName",
        tags::PERFORMING_PHYSICIAN_NAME,
        VR::PN,
        "Vantongeren^Ilse",
    ),
    ("OperatorsName", tags::OPERATORS_NAME, VR::PN, "Pemberly^Rufus"),
    ("StationName", tags::STATION_NAME, VR::SH, "STATIONPHI9"),
    (
        "DeviceSerialNumber",
        tags::DEVICE_SERIAL_NUMBER,
        VR::LO,
        "SNPHI77123",
    ),
    (
        "StudyDescription",
        tags::STUDY_DESCRIPTION,
        VR::LO,
        "Quillfeather breast staging",
    ),
    (
        "SeriesDescription",
        tags::SERIES_DESCRIPTION,
        VR::LO,
        "Zebedee axial post",
    ),
    ("StudyDate", tags::STUDY_DATE, VR::DA, "19990214"),
    ("SeriesDate", tags::SERIES_DATE, VR::DA, "19990215"),
    ("AcquisitionDate", tags::ACQUISITION_DATE, VR::DA, "19990216"),
    ("ContentDate", tags::CONTENT_DATE, VR::DA, "19990217"),
    ("StudyTime", tags::STUDY_TIME, VR::TM, "071513.25"),
];

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mmrad-privacy-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mmrad_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mmrad"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Sets every identifying attribute of every DICOM file under `dir` to its [`PHI`] value.
fn inject_phi(dir: &Path) -> usize {
    let mut files = Vec::new();
    files_under(dir, &mut files);
    let mut n = 0;
    for file in files.iter().filter(|p| p.extension().is_some_and(|e| e == "dcm")) {
        let mut object = dicom_object::open_file(file).unwrap();
        for &(_, tag, vr, value) in PHI {
            object.put(DataElement::new(tag, vr, PrimitiveValue::from(value)));
        }
        object.write_to_file(file).unwrap();
        n += 1;
    }
    n
}

/// The Study/Series/SOP Instance and Frame of Reference UIDs of the DICOM files of `dir` (PS3.15
/// de-identification replaces UIDs too: they can embed dates and device serial numbers).
fn instance_uids(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    files_under(dir, &mut files);
    let mut out: Vec<(String, String)> = Vec::new();
    for file in files.iter().filter(|p| p.extension().is_some_and(|e| e == "dcm")) {
        let object = dicom_object::open_file(file).unwrap();
        for (name, tag) in [
            ("StudyInstanceUID", tags::STUDY_INSTANCE_UID),
            ("SeriesInstanceUID", tags::SERIES_INSTANCE_UID),
            ("SOPInstanceUID", tags::SOP_INSTANCE_UID),
            ("FrameOfReferenceUID", tags::FRAME_OF_REFERENCE_UID),
        ] {
            if let Some(uid) = object.get(tag).and_then(|e| e.to_str().ok()) {
                let uid = uid.trim_end_matches(['\0', ' ']).to_owned();
                if !out.iter().any(|(_, v)| *v == uid) {
                    out.push((name.to_owned(), uid));
                }
            }
        }
    }
    out
}

/// Every place one of `values` was found: `(where, attribute)`.
fn leaks_of(what: &str, bytes: &[u8], values: &[(String, String)]) -> Vec<String> {
    values
        .iter()
        .filter(|(_, value)| bytes.windows(value.len()).any(|w| w == value.as_bytes()))
        .map(|(name, value)| format!("{what}: {name} `{value}`"))
        .collect()
}

/// Every place an injected attribute value was found.
fn leaks(what: &str, bytes: &[u8]) -> Vec<String> {
    let values: Vec<(String, String)> = PHI
        .iter()
        .map(|(name, _, _, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    leaks_of(what, bytes, &values)
}

struct Session {
    dir: PathBuf,
    found: Vec<String>,
    runs: usize,
    /// Instance UIDs searched for besides the injected values.
    uids: Vec<(String, String)>,
}

impl Session {
    /// Runs a command in the session folder, records any identifying value on its stdout/stderr, and returns it.
    fn run(&mut self, args: &[&str]) -> Output {
        let out = mmrad_in(&self.dir, args);
        let label = format!("`mmrad {}`", args.join(" "));
        self.found.extend(leaks(&format!("{label} stdout"), &out.stdout));
        self.found.extend(leaks(&format!("{label} stderr"), &out.stderr));
        self.found
            .extend(leaks_of(&format!("{label} stdout"), &out.stdout, &self.uids));
        self.found
            .extend(leaks_of(&format!("{label} stderr"), &out.stderr, &self.uids));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked at") && out.status.code() != Some(101),
            "{label} panicked: {stderr}"
        );
        self.runs += 1;
        out
    }

    fn ok(&mut self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "`mmrad {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn fails(&mut self, args: &[&str], must_contain: &str) {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "`mmrad {}`: {stderr}", args.join(" "));
        assert!(
            stderr.starts_with("error: ") && stderr.contains(must_contain),
            "`mmrad {}`: expected `{must_contain}` in {stderr}",
            args.join(" ")
        );
    }
}

const PROTOCOL: &str = "\
version: 1
name: privacy
seed: 5
cohort:
  images: { manifest: cohort/cohort.csv }
outcome: pcr
modalities:
  CT: { extraction: params/ct.yaml }
  MR: { extraction: params/mr.yaml }
  MG: { extraction: params/mg2d.yaml }
  US: { extraction: params/us2d.yaml }
selection:
  - variance: { min_variance: 0 }
  - univariate: { test: mann_whitney, p_max: 0.2, min_keep: 1 }
  - lasso: { lambda: min, inner_folds: 3 }
models:
  fusion: { of: [CT, MR, MG, US] }
  clinical: { candidates: [pr, her2], univariate_p_max: 1 }
  combined: { of: [clinical, fusion], nomogram: true }
validation: { scheme: stratified_kfold, folds: 3, repeats: 1 }
evaluation: { calibration: { groups: 3 }, dca: true }
";

#[test]
fn no_identifying_value_reaches_any_output_log_or_error() {
    let dir = tmp("cohort");
    let mut s = Session {
        dir: dir.clone(),
        found: Vec::new(),
        runs: 0,
        uids: Vec::new(),
    };
    s.ok(&[
        "synth",
        "liang2025",
        "--level",
        "images",
        "--n",
        "15",
        "--events",
        "6",
        "--seed",
        "7",
        "--out",
        "cohort",
    ]);
    let n_files = inject_phi(&dir.join("cohort"));
    assert!(n_files >= 15 * 4, "only {n_files} DICOM files");
    // The injection worked: the values are in the inputs (so finding none in the outputs means something).
    let mut input = Vec::new();
    files_under(&dir.join("cohort/P001"), &mut input);
    let in_inputs: usize = input
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .map(|p| leaks("input", &std::fs::read(p).unwrap()).len())
        .sum();
    assert!(in_inputs >= PHI.len() * 4, "{in_inputs}");
    s.uids = instance_uids(&dir.join("cohort/P001"));
    s.uids.extend(instance_uids(&dir.join("cohort/P002")));
    assert!(s.uids.len() >= 60, "{} UIDs", s.uids.len());
    std::fs::create_dir_all(dir.join("params")).unwrap();
    for p in ["ct", "mr", "mg2d", "us2d"] {
        std::fs::copy(
            workspace_root().join(format!("studies/params/{p}.yaml")),
            dir.join(format!("params/{p}.yaml")),
        )
        .unwrap();
    }
    std::fs::write(dir.join("privacy.yaml"), PROTOCOL).unwrap();
    std::fs::create_dir_all(dir.join("out")).unwrap();

    // Inspection.
    for args in [
        &["dicom", "info", "cohort/P001/CT"][..],
        &["dicom", "info", "cohort/P001/CT", "--json"],
        &["dicom", "info", "cohort/P001/MR_seg.dcm", "--json"],
        &["dicom", "info", "cohort/P001/CT_rtstruct.dcm"],
        &["dicom", "info", "cohort/P001/US.dcm", "--json"],
        &["dicom", "read", "cohort/P001/MG.dcm"],
        &["dicom", "read", "cohort/P001/MR"],
    ] {
        s.ok(args);
    }
    // Conversion of images and masks.
    for args in [
        &["convert", "cohort/P001/CT", "out/ct.nrrd"][..],
        &["convert", "cohort/P001/MR", "out/mr.nii.gz"],
        &["convert", "cohort/P001/MG.dcm", "out/mg.nii"],
        &[
            "convert",
            "--seg",
            "cohort/P001/MR_seg.dcm",
            "--image",
            "cohort/P001/MR",
            "out/mr_seg.nrrd",
        ],
        &[
            "convert",
            "--rtstruct",
            "cohort/P001/CT_rtstruct.dcm",
            "--roi",
            "GTV",
            "--image",
            "cohort/P001/CT",
            "out/ct_gtv.nii.gz",
        ],
    ] {
        s.ok(args);
    }
    // Extraction, one case and a batch.
    s.ok(&["extract", "cohort/P001/MR", "cohort/P001/MR_seg.dcm"]);
    s.ok(&[
        "extract",
        "cohort/P001/US.dcm",
        "cohort/P001/US_mask.nrrd",
        "-p",
        "params/us2d.yaml",
        "-o",
        "out/us.csv",
    ]);
    let batch: String = std::iter::once("Image,Mask,Label\n".to_string())
        .chain((1..=3).map(|i| format!("cohort/P00{i}/MR,cohort/P00{i}/MR_seg.dcm,1\n")))
        .collect();
    std::fs::write(dir.join("batch.csv"), batch).unwrap();
    s.ok(&[
        "extract",
        "--batch",
        "batch.csv",
        "-j",
        "2",
        "-o",
        "out/batch.parquet",
    ]);
    // The study with its report and figures, its reproducibility check, and the ablation.
    s.ok(&[
        "study",
        "run",
        "privacy.yaml",
        "--out",
        "run",
        "-j",
        "2",
        "--quiet",
    ]);
    s.ok(&["study", "check", "run/manifest.json", "-j", "2", "--quiet"]);
    s.ok(&["study", "ablate", "privacy.yaml", "--out", "ablation", "-j", "2"]);
    let predictions = std::fs::read_to_string(dir.join("run/predictions.csv")).unwrap();
    assert!(predictions.contains("P001"), "case ids come from the manifest");

    // Error paths, where a careless message would quote the file's attributes.
    let bad = dir.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    let slice = std::fs::read(dir.join("cohort/P002/CT/IM0005.dcm")).unwrap();
    std::fs::write(bad.join("truncated.dcm"), &slice[..slice.len() * 2 / 3]).unwrap();
    std::fs::write(bad.join("header_only.dcm"), &slice[..700.min(slice.len())]).unwrap();
    copy_dir(&dir.join("cohort/P002/CT"), &bad.join("gap"));
    std::fs::remove_file(bad.join("gap/IM0008.dcm")).unwrap();
    copy_dir(&dir.join("cohort/P002/CT"), &bad.join("mixed"));
    std::fs::copy(dir.join("cohort/P002/MR/IM0003.dcm"), bad.join("mixed/ZZ_MR.dcm")).unwrap();
    s.fails(&["dicom", "read", "bad/truncated.dcm"], "truncated.dcm");
    s.fails(&["dicom", "read", "bad/header_only.dcm"], "header_only.dcm");
    s.fails(&["dicom", "read", "bad/gap"], "gap");
    s.fails(&["dicom", "read", "bad/mixed"], "series");
    s.fails(&["convert", "bad/mixed", "out/never.nrrd"], "series");
    s.fails(&["extract", "bad/gap", "cohort/P002/CT_mask.nrrd"], "gap");
    s.fails(
        &["extract", "cohort/P002/MR", "cohort/P001/CT_mask.nrrd"],
        "CT_mask.nrrd",
    );
    // A SEG and an RTSTRUCT of another patient on an identical grid: refused by their referenced series, which the
    // message must not quote.
    s.fails(
        &["extract", "cohort/P002/MR", "cohort/P001/MR_seg.dcm"],
        "another series",
    );
    s.fails(
        &[
            "convert",
            "--rtstruct",
            "cohort/P001/CT_rtstruct.dcm",
            "--roi",
            "GTV",
            "--image",
            "cohort/P002/CT",
            "out/never.nrrd",
        ],
        "another series",
    );
    s.fails(
        &[
            "convert",
            "--rtstruct",
            "cohort/P002/CT_rtstruct.dcm",
            "--roi",
            "NOPE",
            "--image",
            "cohort/P002/CT",
            "out/never.nrrd",
        ],
        "NOPE",
    );
    // A study whose case has a damaged series names the case id of the manifest.
    copy_dir(&dir.join("cohort"), &dir.join("cohort_bad"));
    std::fs::write(dir.join("cohort_bad/P003/CT/IM0005.dcm"), &slice[..600]).unwrap();
    std::fs::write(
        dir.join("privacy_bad.yaml"),
        PROTOCOL.replace("cohort/cohort.csv", "cohort_bad/cohort.csv"),
    )
    .unwrap();
    s.fails(
        &[
            "study",
            "run",
            "privacy_bad.yaml",
            "--out",
            "run_bad",
            "--quiet",
            "--no-cache",
        ],
        "P003",
    );

    // Every file any command wrote (the cohort's own DICOM files are the inputs, not outputs).
    let mut written = Vec::new();
    files_under(&dir, &mut written);
    let mut n_outputs = 0;
    for file in written.iter().filter(|p| {
        !(p.starts_with(dir.join("cohort")) || p.starts_with(dir.join("cohort_bad")) || p.starts_with(&bad))
            || p.extension().is_some_and(|e| e != "dcm")
    }) {
        let bytes = std::fs::read(file).unwrap();
        let name = file.strip_prefix(&dir).unwrap().display().to_string();
        s.found.extend(leaks(&name, &bytes));
        s.found.extend(leaks_of(&name, &bytes, &s.uids));
        n_outputs += 1;
    }
    assert!(n_outputs >= 40, "only {n_outputs} output files were written");
    assert!(s.runs >= 25, "{}", s.runs);
    assert!(
        s.found.is_empty(),
        "identifying values leaked:\n{}",
        s.found.join("\n")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
