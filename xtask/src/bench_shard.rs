//! `cargo xtask bench shard [--mmrad PATH] [--n N] [--shards K]`: the cost of sharding and of merging.
//!
//! - Overhead: the CT modality of the synthetic image cohort (`mmrad synth liang2025`, 89 patients by default as in
//!   the study; DICOM series + RTSTRUCT) extracted as the Liang study extracts it (`studies/params/ct-filters.yaml`:
//!   original + LoG + wavelet, 1,130 features) by one `mmrad extract --batch -j 1`, against the same batch as K
//!   sequential `--shard I/K` processes plus `mmrad merge` (the merged table is checked equal). The overhead is
//!   (shards + merge − unsharded) / unsharded: process start and warm-up, parameter parsing, the size-balanced split,
//!   hashing the batch file, sidecars and the merge.
//! - Merge: 100 parts of 100 rows × 1,300 feature columns (10,000 rows; CSV with shortest round-trip floats and
//!   their sidecars, written here) merged by `mmrad merge` to CSV and to Parquet.
//!
//! Prints wall times (overhead: the minimum of three runs of each command); asserts nothing about them.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use crate::{Failure, project_root};

pub(crate) fn run(args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    let (mut mmrad, mut n, mut shards) = (None, 89usize, 4usize);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let value = |v: Option<OsString>| v.map(|v| v.to_string_lossy().into_owned()).unwrap_or_default();
        match arg.to_string_lossy().as_ref() {
            "--mmrad" => mmrad = Some(PathBuf::from(value(args.next()))),
            "--n" => n = value(args.next()).parse().context("`--n` needs a number")?,
            "--shards" => shards = value(args.next()).parse().context("`--shards` needs a number")?,
            other => {
                return Err(Failure::usage(
                    format!("unknown argument `{other}`"),
                    "cargo xtask bench shard [--mmrad PATH] [--n N] [--shards K]",
                )
                .into());
            }
        }
    }
    let root = project_root();
    let mmrad = match mmrad {
        Some(p) => std::path::absolute(p)?,
        None => crate::study::build_mmrad(&root)?,
    };
    let work = root.join("target/xtask-bench-shard");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    overhead(&mmrad, &work, &root, n, shards)?;
    merge(&mmrad, &work)?;
    Ok(ExitCode::SUCCESS)
}

fn timed(mmrad: &Path, dir: &Path, args: &[&str]) -> anyhow::Result<f64> {
    let start = Instant::now();
    let out = Command::new(mmrad).args(args).current_dir(dir).output()?;
    let seconds = start.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "`mmrad {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(seconds)
}

/// Runs of each timed command in the overhead measurement; the minimum is reported (a 4-shard batch of the small
/// cohort takes about a second, where one scheduler hiccup is a few percent).
const OVERHEAD_RUNS: usize = 3;

/// The minimum wall time of [`OVERHEAD_RUNS`] runs of one command.
fn timed_min(mmrad: &Path, dir: &Path, args: &[&str]) -> anyhow::Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..OVERHEAD_RUNS {
        best = best.min(timed(mmrad, dir, args)?);
    }
    Ok(best)
}

fn overhead(mmrad: &Path, work: &Path, root: &Path, n: usize, shards: usize) -> anyhow::Result<()> {
    let cohort = work.join("cohort");
    timed(
        mmrad,
        work,
        &[
            "synth",
            "liang2025",
            "--level",
            "images",
            "--out",
            "cohort",
            "--n",
            &n.to_string(),
            "--events",
            &(n / 3).to_string(),
        ],
    )?;
    let manifest = std::fs::read_to_string(cohort.join("cohort.csv"))?;
    let mut lines = manifest.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .context(format!("no `{name}` column"))
    };
    let (image, mask, label, roi) = (
        col("CT_image")?,
        col("CT_mask")?,
        col("CT_label")?,
        col("CT_roi")?,
    );
    let mut batch = String::from("Image,Mask,Label,MaskROI\n");
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let _ = writeln!(
            batch,
            "{},{},{},{}",
            cells[image], cells[mask], cells[label], cells[roi]
        );
    }
    std::fs::write(cohort.join("ct.csv"), batch)?;
    std::fs::copy(
        root.join("studies/params/ct-filters.yaml"),
        cohort.join("ct.yaml"),
    )?;
    let unsharded = timed_min(
        mmrad,
        &cohort,
        &[
            "extract", "--batch", "ct.csv", "-p", "ct.yaml", "-q", "-o", "full.csv",
        ],
    )?;
    let mut shard_times = Vec::new();
    for i in 0..shards {
        let part = format!("parts/part-{i}.csv");
        shard_times.push(timed_min(
            mmrad,
            &cohort,
            &[
                "extract",
                "--batch",
                "ct.csv",
                "-p",
                "ct.yaml",
                "-q",
                "--shard",
                &format!("{i}/{shards}"),
                "-o",
                &part,
            ],
        )?);
    }
    let merge = timed_min(mmrad, &cohort, &["merge", "parts", "-o", "merged.csv"])?;
    if std::fs::read(cohort.join("full.csv"))? != std::fs::read(cohort.join("merged.csv"))? {
        bail!("the merged table differs from the unsharded one");
    }
    let total: f64 = shard_times.iter().sum::<f64>() + merge;
    println!(
        "sharding overhead, CT of the synthetic image cohort (n = {n}, {shards} shards, -j 1 each; minimum of \
         {OVERHEAD_RUNS} runs):"
    );
    println!("  unsharded extract --batch  {unsharded:8.3} s");
    println!(
        "  shards                     {:8.3} s  ({})",
        shard_times.iter().sum::<f64>(),
        shard_times
            .iter()
            .map(|t| format!("{t:.3}"))
            .collect::<Vec<_>>()
            .join(" + ")
    );
    println!("  merge                      {merge:8.3} s");
    println!(
        "  overhead                   {:+8.1} %  (longest shard {:.3} s: {:.2}x speed-up on {shards} nodes)",
        100.0 * (total - unsharded) / unsharded,
        shard_times.iter().copied().fold(0.0, f64::max),
        unsharded / (shard_times.iter().copied().fold(0.0, f64::max) + merge)
    );
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn merge(mmrad: &Path, work: &Path) -> anyhow::Result<()> {
    const PARTS: usize = 100;
    const ROWS: usize = 100;
    const COLUMNS: usize = 1300;
    let parts = work.join("merge-parts");
    std::fs::create_dir_all(&parts)?;
    let names: Vec<String> = (0..COLUMNS)
        .map(|c| format!("original_glcm_Feature{c:04}"))
        .collect();
    let columns_json: Vec<serde_json::Value> =
        names.iter().map(|n| serde_json::json!([n, "feature"])).collect();
    // A deterministic spread of magnitudes, so the floats have long shortest representations as real features do.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for p in 0..PARTS {
        let mut csv = String::from("Image,Mask");
        for n in &names {
            csv.push(',');
            csv.push_str(n);
        }
        csv.push('\n');
        let mut rows = Vec::new();
        for r in 0..ROWS {
            let row = p * ROWS + r;
            let _ = write!(csv, "img{row}.nrrd,mask{row}.nrrd");
            for _ in 0..COLUMNS {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let v = (state >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((state % 9) as i32 - 3);
                let _ = write!(csv, ",{v}");
            }
            csv.push('\n');
            rows.push(serde_json::json!({"row": row, "line": row + 2, "status": "ok", "image": format!("img{row}.nrrd")}));
        }
        let file = format!("part-{p}.csv");
        std::fs::write(parts.join(&file), &csv)?;
        let sidecar = serde_json::json!({
            "format": "mmrad-shard/1", "mmrad_version": env!("CARGO_PKG_VERSION"), "batch": "cases.csv",
            "batch_sha256": "0", "settings_sha256": "0", "shard": p, "shards": PARTS, "split": "row_index",
            "batch_rows": PARTS * ROWS, "rows": rows, "part": file, "part_sha256": hex(&Sha256::digest(csv.as_bytes())),
            "input_columns": ["Image", "Mask"], "columns": columns_json, "first_columns": COLUMNS,
        });
        std::fs::write(
            parts.join(format!("{file}.shard.json")),
            serde_json::to_string(&sidecar)?,
        )?;
    }
    let size: u64 = std::fs::read_dir(&parts)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "merge of {PARTS} parts x {ROWS} rows x {COLUMNS} feature columns ({} MB of CSV and sidecars):",
        size / 1_000_000
    );
    for out in ["merged.csv", "merged.parquet"] {
        let t = timed(mmrad, work, &["merge", "merge-parts", "-o", out])?;
        println!("  mmrad merge -o {out:<15} {t:8.3} s");
    }
    Ok(())
}
