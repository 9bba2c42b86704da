//! `mmrad dicom info PATH [--json]`: what a DICOM file or folder holds (series, modality, size, spacing, transfer
//! syntax, photometric interpretation) and each file's decoded stored-value statistics, without any
//! patient-identifying attribute.
//!
//! ```text
//! mmrad dicom info DICOM_DIR_OR_FILE [--json] [--frame N]
//! mmrad dicom read DICOM_DIR_OR_FILE [--series KEY] [--frame N] [--repeat N]
//! ```
//!
//! `read` loads the image as `mmrad extract` sees it (rescaled, LPS) and prints its size, spacing and value range;
//! `--repeat N` times N further reads (after one untimed read) and prints `read_seconds min=... median=...`, which
//! `cargo xtask bench dicom` compares with pydicom + numpy.
//!
//! Series are named by their key (`mmrad_io::dicom::series_key`, 12 hex digits of the SHA-256 of the
//! SeriesInstanceUID), never by the UID itself: scanners embed acquisition dates in UIDs. The statistics (`rows,
//! columns, frames, samples, min, max, sum, sha256` of the little-endian stored values before rescale) can be compared
//! with another reader, e.g. pydicom's `pixel_array(raw=True)`. Nothing else is printed: no name, ID, birth date,
//! accession number, institution or date.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use mmrad_io::dicom::{
    DecodeSummary, DicomInfo, DicomReadOptions, DicomSummary, ImageInfo, PixelSpacingSource, SeriesInfo,
    SliceSpacingSource, dicom_series_info, read_dicom,
};
use serde_json::{Value, json};

use crate::error::UserError;

/// Subcommands of `mmrad dicom`.
#[derive(Debug, clap::Subcommand)]
pub enum DicomCommand {
    /// Series, geometry and per-file decode statistics of a DICOM file or folder (no patient-identifying data).
    Info(InfoArgs),
    /// Read a DICOM file or series as a volume (as `mmrad extract` does): size, spacing, value range, read time.
    Read(ReadArgs),
}

/// Arguments of `mmrad dicom read`.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// A DICOM file or a folder of DICOM files.
    path: PathBuf,
    /// The series to read from a folder holding several: its key (see `mmrad dicom info`) or SeriesInstanceUID.
    #[arg(long)]
    series: Option<String>,
    /// Read this frame of a multi-frame file as the image (ultrasound cine needs one).
    #[arg(long)]
    frame: Option<usize>,
    /// Time this many reads after one untimed read, and print the minimum and median read time.
    #[arg(long, default_value_t = 0)]
    repeat: usize,
}

/// Arguments of `mmrad dicom info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// A DICOM file or a folder of DICOM files.
    path: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Read this frame of a multi-frame file as the image (ultrasound cine needs one).
    #[arg(long)]
    frame: Option<usize>,
}

/// Runs `mmrad dicom ...`, printing errors as `error:` / `  help:`.
pub fn run(command: &DicomCommand) -> ExitCode {
    match command {
        DicomCommand::Info(args) => info(args),
        DicomCommand::Read(args) => read(args),
    }
}

fn read(args: &ReadArgs) -> ExitCode {
    let options = DicomReadOptions {
        series_uid: args.series.clone(),
        frame: args.frame,
        ..DicomReadOptions::default()
    };
    let image = match read_dicom(&args.path, &options) {
        Ok(image) => image,
        Err(e) => {
            return UserError::new(e.to_string())
                .at(args.path.display().to_string())
                .help(Some(
                    "`mmrad dicom info PATH` lists the series and what each file holds".into(),
                ))
                .report();
        }
    };
    let mut seconds = Vec::with_capacity(args.repeat);
    for _ in 0..args.repeat {
        let started = Instant::now();
        if let Err(e) = read_dicom(&args.path, &options) {
            return UserError::new(e.to_string())
                .at(args.path.display().to_string())
                .report();
        }
        seconds.push(started.elapsed().as_secs_f64());
    }
    let volume = &image.volume;
    let [nx, ny, nz] = volume.size_xyz();
    let g = &volume.geometry;
    let (min, max, sum) = volume
        .data
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY, 0.0), |(lo, hi, total), &v| {
            (lo.min(v), hi.max(v), total + v)
        });
    println!(
        "size     {nx} × {ny} × {nz} (x × y × z), {} file(s)",
        image.n_files
    );
    println!(
        "spacing  {} × {} × {} mm (in-plane from {}, slices from {})",
        g.spacing[0],
        g.spacing[1],
        g.spacing[2],
        pixel_spacing_source(image.pixel_spacing),
        slice_spacing_source(image.slice_spacing)
    );
    println!("values   min {min}, max {max}, sum {sum}");
    if !seconds.is_empty() {
        seconds.sort_by(f64::total_cmp);
        let n = seconds.len();
        let median = if n % 2 == 1 {
            seconds[n / 2]
        } else {
            0.5 * (seconds[n / 2 - 1] + seconds[n / 2])
        };
        println!("read_seconds min={:.6} median={median:.6} n={n}", seconds[0]);
    }
    for (path, reason) in &image.skipped {
        eprintln!("warning: skipped `{}`: {reason}", path.display());
    }
    ExitCode::SUCCESS
}

fn info(args: &InfoArgs) -> ExitCode {
    let options = DicomReadOptions {
        frame: args.frame,
        ..DicomReadOptions::default()
    };
    let info = match dicom_series_info(&args.path, &options) {
        Ok(info) => info,
        Err(e) => {
            return UserError::new(e.to_string())
                .at(args.path.display().to_string())
                .help(Some(
                    "give a DICOM file (with `DICM` at byte 128) or a folder holding DICOM image files"
                        .into(),
                ))
                .report();
        }
    };
    if args.json {
        let text = serde_json::to_string_pretty(&info_json(&info)).unwrap_or_default();
        println!("{text}");
    } else {
        print!("{}", info_text(&info));
    }
    for (path, reason) in &info.skipped {
        eprintln!("warning: skipped `{}`: {reason}", path.display());
    }
    ExitCode::SUCCESS
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn pixel_spacing_source(source: PixelSpacingSource) -> &'static str {
    match source {
        PixelSpacingSource::PixelSpacing => "PixelSpacing",
        PixelSpacingSource::ImagerPixelSpacing => "ImagerPixelSpacing",
        PixelSpacingSource::UltrasoundRegion => "SequenceOfUltrasoundRegions",
        PixelSpacingSource::Assumed => "assumed 1 mm",
        _ => "other",
    }
}

fn slice_spacing_source(source: SliceSpacingSource) -> &'static str {
    match source {
        SliceSpacingSource::ImagePositions => "ImagePositionPatient",
        SliceSpacingSource::SpacingBetweenSlices => "SpacingBetweenSlices",
        SliceSpacingSource::SliceThickness => "SliceThickness",
        SliceSpacingSource::Assumed => "assumed 1 mm",
        _ => "other",
    }
}

/// Distinct transfer syntaxes of a series, in file order.
fn transfer_syntaxes(series: &SeriesInfo) -> Vec<(&str, &'static str)> {
    let mut out: Vec<(&str, &'static str)> = Vec::new();
    for file in &series.files {
        let entry = (file.transfer_syntax_uid.as_str(), file.transfer_syntax_name);
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

fn info_text(info: &DicomInfo) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let n_files: usize = info.series.iter().map(|s| s.files.len()).sum();
    let _ = writeln!(
        out,
        "`{}`: {} series, {n_files} file(s), {} skipped",
        info.path.display(),
        info.series.len(),
        info.skipped.len()
    );
    for (series_idx, series) in info.series.iter().enumerate() {
        let _ = writeln!(
            out,
            "\nseries {}/{}: key `{}`, modality {}, {} file(s)",
            series_idx + 1,
            info.series.len(),
            series.key,
            series.modality.as_deref().unwrap_or("(none)"),
            series.files.len()
        );
        for (uid, name) in transfer_syntaxes(series) {
            let _ = writeln!(out, "  transfer syntax  {uid} ({name})");
        }
        match &series.image {
            Ok(image) => image_text(&mut out, image),
            Err(message) => {
                let _ = writeln!(out, "  image            not readable as a volume: {message}");
            }
        }
        let _ = writeln!(
            out,
            "  {:<32} {:>5} {:>7} {:>6} {:>7} {:<7} {:>12} {:>12} {:>16}  sha256",
            "file", "rows", "columns", "frames", "samples", "dtype", "min", "max", "sum"
        );
        for file in &series.files {
            file_text(&mut out, file);
        }
    }
    out
}

fn image_text(out: &mut String, image: &ImageInfo) {
    use std::fmt::Write as _;
    let [nx, ny, nz] = image.size_xyz;
    let g = &image.geometry;
    let _ = writeln!(out, "  size             {nx} × {ny} × {nz} (x × y × z)");
    let _ = writeln!(
        out,
        "  spacing          {} × {} × {} mm (in-plane from {}, slices from {})",
        g.spacing[0],
        g.spacing[1],
        g.spacing[2],
        pixel_spacing_source(image.pixel_spacing),
        slice_spacing_source(image.slice_spacing)
    );
    let _ = writeln!(
        out,
        "  origin           ({}, {}, {}) mm (LPS)",
        g.origin[0], g.origin[1], g.origin[2]
    );
    let d = &g.direction;
    let _ = writeln!(
        out,
        "  direction        [{}, {}, {}; {}, {}, {}; {}, {}, {}]",
        d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8]
    );
    let mut photometric = image.photometric.clone();
    if image.inverted_monochrome1 {
        photometric.push_str(" (inverted to MONOCHROME2)");
    }
    if let Some(rule) = image.colour_rule {
        let [r, g, b] = rule.weights();
        photometric.push_str(&format!(" (grey = {r} R + {g} G + {b} B)"));
    }
    let _ = writeln!(out, "  photometric      {photometric}");
}

fn file_text(out: &mut String, file: &DicomSummary) {
    use std::fmt::Write as _;
    let name = file_name(&file.path);
    match &file.decode {
        Ok(d) => {
            let _ = writeln!(
                out,
                "  {name:<32} {:>5} {:>7} {:>6} {:>7} {:<7} {:>12} {:>12} {:>16}  {}",
                d.rows, d.columns, d.frames, d.samples, d.dtype, d.min, d.max, d.sum, d.sha256
            );
        }
        Err(message) => {
            let _ = writeln!(out, "  {name:<32} not decoded: {message}");
        }
    }
}

fn info_json(info: &DicomInfo) -> Value {
    let series: Vec<Value> = info.series.iter().map(series_json).collect();
    let skipped: Vec<Value> = info
        .skipped
        .iter()
        .map(|(path, reason)| json!({"file": file_name(path), "reason": reason}))
        .collect();
    json!({
        "path": info.path.display().to_string(),
        "series": series,
        "skipped": skipped,
    })
}

fn series_json(series: &SeriesInfo) -> Value {
    let image = match &series.image {
        Ok(image) => json!({
            "size_xyz": image.size_xyz,
            "spacing": image.geometry.spacing,
            "origin": image.geometry.origin,
            "direction": image.geometry.direction,
            "pixel_spacing_source": pixel_spacing_source(image.pixel_spacing),
            "slice_spacing_source": slice_spacing_source(image.slice_spacing),
            "photometric": image.photometric,
            "inverted_monochrome1": image.inverted_monochrome1,
            "colour_weights": image.colour_rule.map(|rule| rule.weights()),
        }),
        Err(message) => json!({"error": message}),
    };
    let transfer_syntaxes: Vec<Value> = transfer_syntaxes(series)
        .into_iter()
        .map(|(uid, name)| json!({"uid": uid, "name": name}))
        .collect();
    json!({
        "key": series.key,
        "modality": series.modality,
        "transfer_syntaxes": transfer_syntaxes,
        "image": image,
        "files": series.files.iter().map(file_json).collect::<Vec<_>>(),
    })
}

fn decode_json(d: &DecodeSummary) -> Value {
    json!({
        "dtype": d.dtype,
        "rows": d.rows,
        "columns": d.columns,
        "frames": d.frames,
        "samples": d.samples,
        "min": d.min,
        "max": d.max,
        "sum": d.sum,
        "sha256": d.sha256,
    })
}

fn file_json(file: &DicomSummary) -> Value {
    let decode = match &file.decode {
        Ok(d) => decode_json(d),
        Err(message) => json!({"error": message}),
    };
    json!({
        "file": file_name(&file.path),
        "modality": file.modality,
        "sop_class_uid": file.sop_class_uid,
        "transfer_syntax": {"uid": file.transfer_syntax_uid, "name": file.transfer_syntax_name},
        "photometric": file.photometric,
        "bits_allocated": file.bits_allocated,
        "bits_stored": file.bits_stored,
        "pixel_representation": file.pixel_representation,
        "pixel_spacing": file.pixel_spacing,
        "imager_pixel_spacing": file.imager_pixel_spacing,
        "slice_thickness": file.slice_thickness,
        "rescale_slope": file.rescale_slope,
        "rescale_intercept": file.rescale_intercept,
        "decode": decode,
    })
}
