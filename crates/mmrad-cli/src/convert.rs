//! `mmrad convert`: a DICOM series (or any image) to NRRD/NIfTI, and a DICOM SEG or RTSTRUCT to a label map on the
//! image grid, so that they can be inspected in 3D Slicer or ITK-SNAP.
//!
//! ```text
//! mmrad convert DICOM_DIR_or_FILE out.nrrd|out.nii.gz [--series UID]
//! mmrad convert --seg seg.dcm [--segment N|LABEL] [--image DICOM_DIR] mask.nrrd
//! mmrad convert --rtstruct rs.dcm --roi NAME --image DICOM_DIR mask.nrrd
//! ```
//!
//! The output format follows the extension (`.nrrd`, `.nii`, `.nii.gz`); the file is written to a temporary name in
//! the output folder and renamed, so a reader never sees half a file. Exit code 1 for bad input, 2 for usage.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mmrad_core::{LabelMap, Volume};
use mmrad_io::dicom::{DicomReadOptions, SegmentId, read_dicom};
use mmrad_io::mask::{ImageGrid, MaskSelect, read_mask};

/// Arguments of `mmrad convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// `INPUT OUTPUT` for an image (a DICOM folder or file, NIfTI or NRRD); only `OUTPUT` with `--seg`/`--rtstruct`.
    #[arg(value_name = "PATHS", num_args = 1..=2, required = true)]
    paths: Vec<PathBuf>,
    /// A DICOM SEG file to convert to a label map.
    #[arg(long, value_name = "SEG", conflicts_with = "rtstruct")]
    seg: Option<PathBuf>,
    /// The segment of `--seg`: its SegmentNumber or SegmentLabel (required when the SEG has several).
    #[arg(long, value_name = "N|LABEL", requires = "seg")]
    segment: Option<String>,
    /// A DICOM RTSTRUCT file to rasterise (needs `--roi` and `--image`).
    #[arg(long, value_name = "RTSTRUCT", requires = "image")]
    rtstruct: Option<PathBuf>,
    /// The ROI name of `--rtstruct` (StructureSetROISequence ROIName, e.g. `GTV-1`).
    #[arg(long, value_name = "NAME", requires = "rtstruct")]
    roi: Option<String>,
    /// The image the mask belongs to (DICOM folder or file, NIfTI, NRRD): the output is on its grid.
    #[arg(long, value_name = "IMAGE")]
    image: Option<PathBuf>,
    /// Pick one series of a DICOM folder holding several.
    #[arg(long, value_name = "UID")]
    series: Option<String>,
    /// Label value written for the segment or ROI.
    #[arg(long, default_value_t = 1)]
    label: i64,
    /// Resample a SEG that is not on the image grid onto it (nearest neighbour) instead of failing.
    #[arg(long)]
    resample_mask_to_image: bool,
}

/// A failure: message, location, help; and whether it is a usage error (exit 2).
struct Failure {
    message: String,
    location: Option<String>,
    help: Option<String>,
    usage: bool,
}

impl Failure {
    fn usage(message: impl Into<String>, help: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            location: None,
            help: Some(help.into()),
            usage: true,
        }
    }

    fn input(error: &mmrad_io::Error, location: &Path) -> Failure {
        let help = match error {
            mmrad_io::Error::GeometryMismatch { .. } => {
                Some("pass `--resample-mask-to-image` to resample the mask onto the image grid".to_string())
            }
            mmrad_io::Error::DicomSeveralSeries { .. } => Some("pick one with `--series UID`".to_string()),
            _ => None,
        };
        Failure {
            message: error.to_string(),
            location: Some(location.display().to_string()),
            help,
            usage: false,
        }
    }
}

/// Runs `mmrad convert`; prints errors as `error:` / `  --> ` / `  help:` lines and returns the exit code.
pub fn run(args: &ConvertArgs) -> ExitCode {
    match convert(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => crate::error::UserError {
            message: failure.message,
            location: failure.location,
            help: failure.help,
            exit: if failure.usage {
                crate::error::EXIT_USAGE
            } else {
                crate::error::EXIT_BAD_INPUT
            },
        }
        .report(),
    }
}

/// Output formats, from the extension.
#[derive(Debug, Clone, Copy)]
enum OutputFormat {
    Nrrd,
    Nifti,
}

fn output_format(path: &Path) -> Result<OutputFormat, Failure> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nrrd") {
        Ok(OutputFormat::Nrrd)
    } else if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        Ok(OutputFormat::Nifti)
    } else {
        Err(Failure::usage(
            format!("unknown output extension for `{}`", path.display()),
            "name the output `.nrrd`, `.nii` or `.nii.gz`",
        ))
    }
}

fn convert(args: &ConvertArgs) -> Result<(), Failure> {
    let mask_input = args.seg.as_ref().or(args.rtstruct.as_ref());
    let (input, output) = match (mask_input, args.paths.as_slice()) {
        (Some(_), [output]) => (None, output),
        (None, [input, output]) => (Some(input), output),
        (Some(_), _) => {
            return Err(Failure::usage(
                "with `--seg` or `--rtstruct`, give only the output path",
                "`mmrad convert --seg seg.dcm --image DICOM_DIR mask.nrrd`",
            ));
        }
        (None, _) => {
            return Err(Failure::usage(
                "give the input image and the output path",
                "`mmrad convert DICOM_DIR out.nrrd`",
            ));
        }
    };
    let format = output_format(output)?;
    if let Some(input) = input {
        let volume = read_any_image(input, args.series.as_deref())?.0;
        write_atomic(output, |path| match format {
            OutputFormat::Nrrd => mmrad_io::write_volume_nrrd(&volume, path),
            OutputFormat::Nifti => mmrad_io::write_volume_nifti(&volume, path),
        })?;
        report(output, volume.size_xyz(), &volume);
        return Ok(());
    }
    let Some(mask_path) = mask_input else {
        return Err(Failure::usage("nothing to convert", "see `mmrad convert --help`"));
    };
    let grid = match &args.image {
        Some(image) => Some(read_any_image(image, args.series.as_deref())?.1),
        None => None,
    };
    let select = MaskSelect {
        label: Some(args.label),
        segment: args.segment.as_deref().map(SegmentId::parse),
        roi: args.roi.clone(),
        resample_to_image: args.resample_mask_to_image,
        ..MaskSelect::default()
    };
    let labels = read_mask(mask_path, &select, grid.as_ref()).map_err(|e| Failure::input(&e, mask_path))?;
    write_atomic(output, |path| match format {
        OutputFormat::Nrrd => mmrad_io::write_label_map_nrrd(&labels, path),
        OutputFormat::Nifti => mmrad_io::write_label_map_nifti(&labels, path),
    })?;
    report_mask(output, &labels);
    Ok(())
}

/// Reads a DICOM folder or file, or a NIfTI/NRRD image; notes about DICOM choices go to stderr.
fn read_any_image(path: &Path, series: Option<&str>) -> Result<(Volume, ImageGrid), Failure> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let is_volume_file = [".nrrd", ".nhdr", ".nii", ".nii.gz"]
        .iter()
        .any(|ext| name.ends_with(ext));
    if is_volume_file && !path.is_dir() {
        let volume = mmrad_io::read_image(path).map_err(|e| Failure::input(&e, path))?;
        let grid = ImageGrid::of_volume(&volume);
        return Ok((volume, grid));
    }
    let options = DicomReadOptions {
        series_uid: series.map(str::to_owned),
        ..DicomReadOptions::default()
    };
    let image = read_dicom(path, &options).map_err(|e| Failure::input(&e, path))?;
    for (skipped, why) in &image.skipped {
        eprintln!("warning: skipped `{}`: {why}", skipped.display());
    }
    let grid = ImageGrid::of_dicom(&image);
    Ok((image.volume, grid))
}

/// Writes through `write` to a temporary file next to `output`, then renames it over `output`.
fn write_atomic(output: &Path, write: impl FnOnce(&Path) -> mmrad_io::Result<()>) -> Result<(), Failure> {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folder = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // The temporary name keeps the output's suffix, which decides gzip for NIfTI.
    let temporary: PathBuf = folder.join(format!(".mmrad-{}-{name}", std::process::id()));
    if let Err(e) = write(&temporary) {
        let _ = std::fs::remove_file(&temporary);
        return Err(Failure::input(&e, output));
    }
    std::fs::rename(&temporary, output).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        Failure {
            message: format!("cannot move the written file into place: {e}"),
            location: Some(output.display().to_string()),
            help: None,
            usage: false,
        }
    })
}

fn report(output: &Path, size: [usize; 3], volume: &Volume) {
    let g = &volume.geometry;
    println!(
        "wrote `{}`: {} × {} × {} voxels, spacing {:?} mm, origin {:?} mm (LPS)",
        output.display(),
        size[0],
        size[1],
        size[2],
        g.spacing,
        g.origin
    );
}

fn report_mask(output: &Path, labels: &LabelMap) {
    let size = labels.size_xyz();
    let n_inside = labels.data.iter().filter(|&&v| v != 0).count();
    println!(
        "wrote `{}`: {} × {} × {} voxels, {n_inside} inside the mask, labels {:?}",
        output.display(),
        size[0],
        size[1],
        size[2],
        labels.labels()
    );
}
