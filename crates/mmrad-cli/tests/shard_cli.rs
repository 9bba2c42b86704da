//! End-to-end tests of sharded extraction (`mmrad extract --batch … --shard I/N`) and `mmrad merge` on
//! PyRadiomics' NRRD cases: the merged table is byte-identical to the unsharded `mmrad extract --batch` output
//! (CSV and Parquet, N = 1, 3, 4), the sidecar manifests hold what they claim (batch sha256 checked with coreutils'
//! `sha256sum`), and missing, foreign, duplicated and damaged shards exit 1 naming the shards to rerun.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mmrad_testkit::shared;

/// First-order and GLCM features: enough columns to matter, quick in a debug build.
const PARAMS: &str = "featureClass:\n  firstorder:\n  glcm:\nsetting:\n  binWidth: 25\n  label: 1\n";

/// The cases, each with a `Label`; the first row asks for a label its mask lacks, so it fails and the batch's
/// first successful case (whose columns head the table) is not row 0.
const CASES: [(&str, &str); 6] = [
    ("brain1", "7"),
    ("brain1", "1"),
    ("brain2", "1"),
    ("breast1", "1"),
    ("lung1", "1"),
    ("lung2", "1"),
];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mmrad-shard-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `cases.csv` and `params.yaml` into `dir`.
fn batch(dir: &Path) -> (PathBuf, PathBuf) {
    let mut csv = String::from("case_id,Image,Mask,Label\n");
    for (i, (case, label)) in CASES.iter().enumerate() {
        let image = shared(&format!("pyradiomics/{case}_image.nrrd"));
        let mask = shared(&format!("pyradiomics/{case}_label.nrrd"));
        csv.push_str(&format!(
            "c{i}_{case},{},{},{label}\n",
            image.display(),
            mask.display()
        ));
    }
    let cases = dir.join("cases.csv");
    std::fs::write(&cases, csv).unwrap();
    let params = dir.join("params.yaml");
    std::fs::write(&params, PARAMS).unwrap();
    (cases, params)
}

fn mmrad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mmrad"))
        .args(args)
        .output()
        .unwrap()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs every shard of `n` into `parts/part-I.<ext>`.
fn run_shards(cases: &Path, params: &Path, parts: &Path, n: usize, ext: &str) {
    for i in 0..n {
        let part = parts.join(format!("part-{i}.{ext}"));
        let out = mmrad(&[
            "extract",
            "--batch",
            s(cases),
            "-p",
            s(params),
            "-q",
            "--shard",
            &format!("{i}/{n}"),
            "-o",
            s(&part),
        ]);
        // Row 0 fails: its shard exits 1 as the unsharded batch does; the others exit 0.
        let json = std::fs::read_to_string(format!("{}.shard.json", part.display())).unwrap();
        let holds_row0 = json.contains("\"row\": 0,");
        assert_eq!(out.status.code(), Some(i32::from(holds_row0)), "{}", stderr(&out));
    }
}

#[test]
fn merged_parts_are_byte_identical_to_the_unsharded_batch() {
    let dir = scratch("identical");
    let (cases, params) = batch(&dir);
    for ext in ["csv", "parquet"] {
        let full = dir.join(format!("full.{ext}"));
        let out = mmrad(&[
            "extract",
            "--batch",
            s(&cases),
            "-p",
            s(&params),
            "-q",
            "-o",
            s(&full),
        ]);
        assert_eq!(out.status.code(), Some(1), "row 0 fails: {}", stderr(&out));
        let full_bytes = std::fs::read(&full).unwrap();
        for n in [1, 3, 4] {
            let parts = dir.join(format!("parts-{ext}-{n}"));
            run_shards(&cases, &params, &parts, n, ext);
            let merged = dir.join(format!("merged-{n}.{ext}"));
            let rerun = dir.join(format!("rerun-{ext}-{n}.txt"));
            let out = mmrad(&["merge", s(&parts), "-o", s(&merged), "--rerun-list", s(&rerun)]);
            // The failed case is reported and its shard listed; the table is written all the same.
            assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
            assert!(stderr(&out).contains("1 of 6 case(s) failed"), "{}", stderr(&out));
            assert!(
                std::fs::read(&merged).unwrap() == full_bytes,
                "{ext}, {n} shard(s): the merge differs from the unsharded output"
            );
            let rerun = std::fs::read_to_string(&rerun).unwrap();
            assert_eq!(
                rerun.lines().count(),
                1,
                "one shard holds the failed row: {rerun}"
            );
        }
    }
    // A CSV merge of Parquet parts equals the CSV of the unsharded run too.
    let merged = dir.join("cross.csv");
    let out = mmrad(&["merge", s(&dir.join("parts-parquet-3")), "-o", s(&merged)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(std::fs::read(&merged).unwrap() == std::fs::read(dir.join("full.csv")).unwrap());
}

#[test]
fn a_clean_batch_merges_with_exit_zero_and_the_sidecar_describes_the_shard() {
    let dir = scratch("sidecar");
    let (cases, params) = batch(&dir);
    // Drop the failing row.
    let text = std::fs::read_to_string(&cases).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(&cases, format!("{}\n", kept.join("\n"))).unwrap();
    let parts = dir.join("parts");
    for i in 0..2 {
        let out = mmrad(&[
            "extract",
            "--batch",
            s(&cases),
            "-p",
            s(&params),
            "-q",
            "--shard",
            &format!("{i}/2"),
            "-o",
            s(&parts.join(format!("part-{i}.csv"))),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let merged = dir.join("merged.csv");
    let out = mmrad(&["merge", s(&parts), "-o", s(&merged)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let full = dir.join("full.csv");
    let out = mmrad(&[
        "extract",
        "--batch",
        s(&cases),
        "-p",
        s(&params),
        "-q",
        "-o",
        s(&full),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read(&merged).unwrap() == std::fs::read(&full).unwrap());

    let sha = Command::new("sha256sum").arg(&cases).output().unwrap();
    let sha = String::from_utf8_lossy(&sha.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let mut rows = Vec::new();
    let mut image_bytes = [0u64; 2];
    for i in 0..2 {
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(parts.join(format!("part-{i}.csv.shard.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(json["format"], "mmrad-shard/1");
        assert_eq!(json["batch_sha256"], sha.as_str());
        assert_eq!(json["shard"], i);
        assert_eq!(json["shards"], 2);
        assert_eq!(json["batch_rows"], 5);
        assert_eq!(json["split"], "image_size", "every image exists: split by size");
        assert_eq!(json["mmrad_version"], env!("CARGO_PKG_VERSION"));
        for row in json["rows"].as_array().unwrap() {
            assert_eq!(row["status"], "ok");
            let row = usize::try_from(row["row"].as_u64().unwrap()).unwrap();
            let case = CASES[row + 1].0;
            image_bytes[i] += std::fs::metadata(shared(&format!("pyradiomics/{case}_image.nrrd")))
                .unwrap()
                .len();
            rows.push(row);
        }
    }
    rows.sort_unstable();
    assert_eq!(rows, [0, 1, 2, 3, 4], "every row in exactly one shard");
    // Greedy largest-first: no shard exceeds the other by more than the largest image.
    let largest = (1..CASES.len())
        .map(|r| {
            std::fs::metadata(shared(&format!("pyradiomics/{}_image.nrrd", CASES[r].0)))
                .unwrap()
                .len()
        })
        .max()
        .unwrap();
    assert!(
        image_bytes[0].abs_diff(image_bytes[1]) <= largest,
        "{image_bytes:?}"
    );
}

#[test]
fn missing_foreign_duplicated_and_damaged_shards_exit_one_naming_the_shards_to_rerun() {
    let dir = scratch("problems");
    let (cases, params) = batch(&dir);
    let parts = dir.join("parts");
    run_shards(&cases, &params, &parts, 4, "csv");
    let merged = dir.join("merged.csv");
    let rerun = dir.join("rerun.txt");
    let merge = || mmrad(&["merge", s(&parts), "-o", s(&merged), "--rerun-list", s(&rerun)]);

    // Missing: shards 1 and 3 never finished.
    for i in [1, 3] {
        std::fs::rename(
            parts.join(format!("part-{i}.csv.shard.json")),
            dir.join(format!("part-{i}.csv.shard.json")),
        )
        .unwrap();
    }
    let out = merge();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("2 of 4 shard(s) missing") && err.contains(": 1, 3"),
        "{err}"
    );
    assert!(err.contains("--array=1,3"), "{err}");
    assert_eq!(std::fs::read_to_string(&rerun).unwrap(), "1\n3\n");
    assert!(!merged.exists(), "nothing is written when shards are missing");
    for i in [1, 3] {
        std::fs::rename(
            dir.join(format!("part-{i}.csv.shard.json")),
            parts.join(format!("part-{i}.csv.shard.json")),
        )
        .unwrap();
    }

    // Foreign: a part of the same batch extracted with other settings.
    let other_params = dir.join("other.yaml");
    std::fs::write(&other_params, PARAMS.replace("binWidth: 25", "binWidth: 10")).unwrap();
    let foreign = dir.join("foreign.csv");
    let out = mmrad(&[
        "extract",
        "--batch",
        s(&cases),
        "-p",
        s(&other_params),
        "-q",
        "--shard",
        "2/4",
        "-o",
        s(&foreign),
    ]);
    assert!(out.status.code().is_some());
    std::fs::copy(&foreign, parts.join("stale-2.csv")).unwrap();
    let sidecar = std::fs::read_to_string(dir.join("foreign.csv.shard.json"))
        .unwrap()
        .replace("\"part\": \"foreign.csv\"", "\"part\": \"stale-2.csv\"");
    std::fs::write(parts.join("stale-2.csv.shard.json"), sidecar).unwrap();
    let out = merge();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("stale-2.csv.shard.json") && err.contains("other extraction settings"),
        "{err}"
    );
    std::fs::remove_file(parts.join("stale-2.csv.shard.json")).unwrap();

    // Duplicated: the same shard twice.
    std::fs::copy(
        parts.join("part-0.csv.shard.json"),
        parts.join("copy-0.csv.shard.json"),
    )
    .unwrap();
    let out = merge();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("shard 0/4 appears 2 times"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_file(parts.join("copy-0.csv.shard.json")).unwrap();

    // Damaged: a part edited after its manifest was written.
    let part = parts.join("part-2.csv");
    let mut bytes = std::fs::read(&part).unwrap();
    bytes.extend_from_slice(b"x\n");
    std::fs::write(&part, bytes).unwrap();
    let out = merge();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("part-2.csv") && err.contains("sha256 differs"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&rerun).unwrap(), "2\n");

    // No parts at all.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = mmrad(&["merge", s(&empty), "-o", s(&merged)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no shard manifests"), "{}", stderr(&out));
}

#[test]
fn bad_shard_arguments_are_usage_errors() {
    let dir = scratch("usage");
    let (cases, params) = batch(&dir);
    for (shard, out) in [("4/4", Some("p.csv")), ("x", Some("p.csv")), ("0/2", None)] {
        let mut args = vec![
            "extract",
            "--batch",
            s(&cases),
            "-p",
            s(&params),
            "--shard",
            shard,
        ];
        let path = dir.join(out.unwrap_or("unused"));
        if out.is_some() {
            args.extend(["-o", s(&path)]);
        }
        let result = mmrad(&args);
        assert_eq!(result.status.code(), Some(2), "{shard}: {}", stderr(&result));
    }
}
