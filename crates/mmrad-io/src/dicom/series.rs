//! DICOM series assembly: lists a folder, groups files by SeriesInstanceUID, sorts slices (files or frames) along the
//! slice normal, checks spacing and orientation, applies rescale, and builds the LPS [`Volume`]; and
//! [`dicom_series_info`], the per-series and per-file summary behind `mmrad dicom info`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::Array3;
use rayon::prelude::*;

use mmrad_core::{Geometry, Volume};

use sha2::{Digest, Sha256};

use crate::dicom::attributes::FrameAttributes;
use crate::dicom::decode::{self, OpenedFile, StoredPixels};
use crate::dicom::{
    ColourRule, DicomImage, DicomReadOptions, DicomSummary, PixelSpacingSource, SliceSpacingSource, summarise,
};
use crate::{Error, Result};

/// Reads a DICOM series folder, or one DICOM file, into a [`Volume`] with default options.
///
/// # Errors
/// See [`read_dicom`].
pub fn read_dicom_series(path: &Path) -> Result<Volume> {
    read_dicom(path, &DicomReadOptions::default()).map(|image| image.volume)
}

/// Reads a DICOM series folder (files grouped by SeriesInstanceUID), a single-frame file or a multi-frame file.
///
/// A folder's files that are not DICOM (no `DICM` marker), have no Pixel Data, or are segmentations are skipped and
/// listed in [`DicomImage::skipped`].
///
/// # Errors
/// A folder with several series (the error lists them) unless `options.series_uid` picks one; an unreadable or
/// truncated DICOM file; an unsupported transfer syntax (named with its UID); slices of different size or
/// orientation; duplicate slice positions; a missing slice or non-uniform spacing (the gap is named); gantry tilt;
/// an ultrasound cine without `options.frame`.
pub fn read_dicom(path: &Path, options: &DicomReadOptions) -> Result<DicomImage> {
    let (files, skipped) = open_files(path)?;
    let files = select_series(path, files, options)?;
    check_series_size(path, &files)?;
    let decoded: Vec<Result<StoredPixels<'_>>> = map_files(&files, OpenedFile::decode);
    let decoded: Vec<StoredPixels<'_>> = decoded.into_iter().collect::<Result<_>>()?;
    let mut image = assemble(path, &files, &decoded, options)?;
    image.skipped = skipped;
    Ok(image)
}

/// `f` of every file, in order: on rayon's pool for several files, on the calling thread for one (handing a single
/// file to the pool and waiting for it costs a thread wake-up per read).
fn map_files<'a, T: Send>(files: &'a [OpenedFile], f: impl Fn(&'a OpenedFile) -> T + Sync + Send) -> Vec<T> {
    if files.len() == 1 {
        files.iter().map(f).collect()
    } else {
        files.par_iter().map(f).collect()
    }
}

/// Checks the decoded size of the whole series (every file is checked on its own when decoded, but a folder of many
/// files could still exceed [`crate::ReadLimits`] together) before any file is decoded.
fn check_series_size(path: &Path, files: &[OpenedFile]) -> Result<()> {
    let what = "NumberOfFrames (0028,0008) × Rows (0028,0010) × Columns (0028,0011) × SamplesPerPixel (0028,0002) over \
                the series (8-byte voxels)";
    let mut total = 0_u64;
    for file in files {
        let a = &file.attributes;
        let bytes = crate::limits::declared_product(
            path,
            what,
            &[
                u64::from(a.frames),
                u64::from(a.rows),
                u64::from(a.columns),
                u64::from(a.samples_per_pixel.max(1)),
                8,
            ],
        )?;
        total = total.saturating_add(bytes);
    }
    crate::limits::ReadLimits::current()?.check(path, what, total)
}

/// What `mmrad dicom info` reports about a file or folder: one entry per series, and the skipped files.
#[derive(Debug, Clone, PartialEq)]
pub struct DicomInfo {
    pub path: PathBuf,
    /// Series in the order of their [`series_key`].
    pub series: Vec<SeriesInfo>,
    /// Files of the folder that were skipped, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
}

/// One series of a [`DicomInfo`].
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesInfo {
    /// SeriesInstanceUID (UIDs often embed acquisition dates: print [`SeriesInfo::key`] instead).
    pub series_uid: Option<String>,
    /// [`series_key`] of the UID, safe to print and accepted by [`DicomReadOptions::series_uid`].
    pub key: String,
    pub modality: Option<String>,
    /// The series read as a volume (as [`read_dicom`] with the same options), or why it cannot be.
    pub image: std::result::Result<ImageInfo, String>,
    /// Every file of the series, in file-name order.
    pub files: Vec<DicomSummary>,
}

/// Geometry and pixel interpretation of a series read as a volume (no voxel data).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageInfo {
    /// Size `(x, y, z)`.
    pub size_xyz: [usize; 3],
    pub geometry: Geometry,
    pub pixel_spacing: PixelSpacingSource,
    pub slice_spacing: SliceSpacingSource,
    pub photometric: String,
    pub colour_rule: Option<ColourRule>,
    pub inverted_monochrome1: bool,
}

/// A short, printable key of a SeriesInstanceUID: the first 12 hexadecimal digits of its SHA-256.
///
/// UIDs are not printed by mmrad because scanners embed the acquisition date and time in them (PS3.15 E.1 lists
/// UIDs among the attributes to replace when de-identifying).
pub fn series_key(uid: &str) -> String {
    let digest = Sha256::digest(uid.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Summarises a DICOM file or folder for `mmrad dicom info`: every series (grouped by SeriesInstanceUID) read as
/// [`read_dicom`] would read it, and every file's attributes and decode statistics. Each file is decoded once.
///
/// # Errors
/// A path that is neither a readable DICOM file nor a folder holding one; a DICOM file of the folder that cannot be
/// parsed. A series that does not form a volume, or a file that does not decode, is reported inside the result.
pub fn dicom_series_info(path: &Path, options: &DicomReadOptions) -> Result<DicomInfo> {
    let (files, skipped) = open_files(path)?;
    let mut groups: BTreeMap<String, Vec<OpenedFile>> = BTreeMap::new();
    for file in files {
        let key = series_key(file.attributes.series_uid.as_deref().unwrap_or_default());
        groups.entry(key).or_default().push(file);
    }
    let mut series = Vec::with_capacity(groups.len());
    for (key, files) in groups {
        let decoded: Vec<Result<StoredPixels<'_>>> = map_files(&files, OpenedFile::decode);
        let summaries: Vec<DicomSummary> = files
            .iter()
            .zip(&decoded)
            .map(|(file, pixels)| summarise(file, pixels.as_ref().map_err(ToString::to_string)))
            .collect();
        let image = match decoded.into_iter().collect::<Result<Vec<StoredPixels<'_>>>>() {
            Ok(decoded) => assemble(path, &files, &decoded, options)
                .map(|image| ImageInfo {
                    size_xyz: image.volume.size_xyz(),
                    geometry: image.volume.geometry.clone(),
                    pixel_spacing: image.pixel_spacing,
                    slice_spacing: image.slice_spacing,
                    photometric: image.photometric,
                    colour_rule: image.colour_rule,
                    inverted_monochrome1: image.inverted_monochrome1,
                })
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let first = files.first().map(|f| &f.attributes);
        series.push(SeriesInfo {
            series_uid: first.and_then(|a| a.series_uid.clone()),
            key,
            modality: first.and_then(|a| a.modality.clone()),
            image,
            files: summaries,
        });
    }
    Ok(DicomInfo {
        path: path.to_path_buf(),
        series,
        skipped,
    })
}

fn dicom_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Dicom {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn geometry_error(path: &Path, message: impl Into<String>) -> Error {
    Error::DicomGeometry {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Whether the file carries the `DICM` marker after the 128-byte preamble.
pub(crate) fn has_dicom_marker(path: &Path) -> Result<bool> {
    let mut file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut head = [0u8; 132];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(source) => {
                return Err(Error::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
    Ok(read == 132 && &head[128..132] == b"DICM")
}

type Skipped = Vec<(PathBuf, String)>;

fn open_files(path: &Path) -> Result<(Vec<OpenedFile>, Skipped)> {
    if !path.is_dir() {
        let opened = decode::open(path)?;
        return Ok((vec![opened], Vec::new()));
    }
    let entries = std::fs::read_dir(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let file_path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if file_path.is_file() && !hidden {
            paths.push(file_path);
        }
    }
    paths.sort();
    let mut skipped = Vec::new();
    let mut candidates = Vec::new();
    for file_path in paths {
        if has_dicom_marker(&file_path)? {
            candidates.push(file_path);
        } else {
            skipped.push((file_path, "not a DICOM file (no DICM marker)".to_string()));
        }
    }
    let opened: Vec<Result<OpenedFile>> = candidates.par_iter().map(|p| decode::open(p)).collect();
    let mut files = Vec::new();
    for file in opened {
        let file = file?;
        if !file.attributes.has_pixel_data {
            skipped.push((file.path.clone(), "no Pixel Data".to_string()));
        } else if file.attributes.modality.as_deref() == Some("SEG") {
            skipped.push((file.path.clone(), "a segmentation (Modality SEG)".to_string()));
        } else {
            files.push(file);
        }
    }
    if files.is_empty() {
        return Err(dicom_error(path, "no DICOM image file in the folder"));
    }
    Ok((files, skipped))
}

fn select_series(path: &Path, files: Vec<OpenedFile>, options: &DicomReadOptions) -> Result<Vec<OpenedFile>> {
    let mut groups: BTreeMap<String, Vec<OpenedFile>> = BTreeMap::new();
    for file in files {
        let uid = file.attributes.series_uid.clone().unwrap_or_default();
        groups.entry(uid).or_default().push(file);
    }
    // Series are listed by key (UIDs embed dates), in key order.
    let listing = |groups: &BTreeMap<String, Vec<OpenedFile>>| {
        let mut lines: Vec<(String, String)> = groups
            .iter()
            .map(|(uid, files)| {
                let modality = files
                    .first()
                    .and_then(|f| f.attributes.modality.clone())
                    .unwrap_or_default();
                let key = series_key(uid);
                let line = format!("`{key}` ({modality}, {} files)", files.len());
                (key, line)
            })
            .collect();
        lines.sort();
        lines
            .into_iter()
            .map(|(_, line)| line)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(wanted) = &options.series_uid {
        let count = groups.len();
        let uids = listing(&groups);
        let found = groups
            .keys()
            .find(|uid| *uid == wanted || series_key(uid) == *wanted)
            .cloned();
        return found
            .and_then(|uid| groups.remove(&uid))
            .ok_or_else(|| Error::DicomSeveralSeries {
                path: path.to_path_buf(),
                count,
                uids,
            });
    }
    if groups.len() > 1 {
        return Err(Error::DicomSeveralSeries {
            path: path.to_path_buf(),
            count: groups.len(),
            uids: listing(&groups),
        });
    }
    Ok(groups.into_values().next().unwrap_or_default())
}

/// One slice of the output volume: a frame of a decoded file.
struct Slice {
    file: usize,
    frame: usize,
    attrs: FrameAttributes,
    projection: f64,
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn unit(path: &Path, v: [f64; 3]) -> Result<[f64; 3]> {
    let norm = dot(v, v).sqrt();
    if norm.is_nan() || norm <= 1e-6 {
        return Err(geometry_error(
            path,
            format!("degenerate ImageOrientationPatient vector {v:?}"),
        ));
    }
    Ok([v[0] / norm, v[1] / norm, v[2] / norm])
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn assemble(
    path: &Path,
    files: &[OpenedFile],
    decoded: &[StoredPixels<'_>],
    options: &DicomReadOptions,
) -> Result<DicomImage> {
    let first = files
        .first()
        .ok_or_else(|| dicom_error(path, "no DICOM image file"))?;
    let first_attrs = &first.attributes;
    // Slices: every frame of every file, or the chosen frame.
    let mut slices = Vec::new();
    for (file_idx, file) in files.iter().enumerate() {
        let n_frames = file.attributes.frames as usize;
        if n_frames > 1 && files.len() > 1 {
            return Err(dicom_error(
                &file.path,
                format!(
                    "multi-frame file ({n_frames} frames) inside a series of {} files is not supported",
                    files.len()
                ),
            ));
        }
        match options.frame {
            Some(frame) if frame >= n_frames => {
                return Err(dicom_error(
                    &file.path,
                    format!("frame {frame} requested, the file has {n_frames} frames"),
                ));
            }
            Some(frame) => slices.push(Slice {
                file: file_idx,
                frame,
                attrs: file.attributes.frame(frame),
                projection: 0.0,
            }),
            None => {
                if n_frames > 1 && file.attributes.modality.as_deref() == Some("US") {
                    return Err(dicom_error(
                        &file.path,
                        format!("ultrasound cine with {n_frames} frames; choose one frame (`frame` option)"),
                    ));
                }
                for frame in 0..n_frames {
                    slices.push(Slice {
                        file: file_idx,
                        frame,
                        attrs: file.attributes.frame(frame),
                        projection: 0.0,
                    });
                }
            }
        }
    }
    // Same pixel grid everywhere.
    for file in files {
        let a = &file.attributes;
        if (a.rows, a.columns, a.samples_per_pixel)
            != (
                first_attrs.rows,
                first_attrs.columns,
                first_attrs.samples_per_pixel,
            )
        {
            return Err(geometry_error(
                path,
                format!(
                    "`{}` is {}×{}×{} (rows×columns×samples) but `{}` is {}×{}×{}",
                    file_name(&file.path),
                    a.rows,
                    a.columns,
                    a.samples_per_pixel,
                    file_name(&first.path),
                    first_attrs.rows,
                    first_attrs.columns,
                    first_attrs.samples_per_pixel
                ),
            ));
        }
    }
    let slice0 = slices.first().ok_or_else(|| dicom_error(path, "no slice"))?;
    // In-plane spacing ([row spacing, column spacing] in DICOM order).
    // A zero spacing (seen in exported radiographs) counts as absent.
    let positive = |s: &[f64; 2]| s[0] > 0.0 && s[1] > 0.0;
    // A negative or non-finite spacing is not an export habit but a corrupt header.
    for (name, value) in [
        ("PixelSpacing (0028,0030)", slice0.attrs.pixel_spacing),
        ("ImagerPixelSpacing (0018,1164)", first_attrs.imager_pixel_spacing),
    ] {
        if let Some(s) = value
            && s.iter().any(|v| !v.is_finite() || *v < 0.0)
        {
            return Err(geometry_error(
                path,
                format!(
                    "{name} is {s:?}; expected two finite, non-negative values (fix or remove the attribute)"
                ),
            ));
        }
    }
    let (pixel_spacing, spacing_source) = if let Some(s) = slice0.attrs.pixel_spacing.filter(positive) {
        (s, PixelSpacingSource::PixelSpacing)
    } else if let Some(s) = first_attrs.imager_pixel_spacing.filter(positive) {
        (s, PixelSpacingSource::ImagerPixelSpacing)
    } else if let Some(s) = first_attrs.ultrasound_spacing {
        (s, PixelSpacingSource::UltrasoundRegion)
    } else {
        ([1.0, 1.0], PixelSpacingSource::Assumed)
    };
    if !(pixel_spacing[0] > 0.0 && pixel_spacing[1] > 0.0) {
        return Err(geometry_error(
            path,
            format!("non-positive pixel spacing {pixel_spacing:?}"),
        ));
    }
    // Orientation, consistent across slices.
    let orientation = slice0.attrs.orientation.unwrap_or([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    for slice in &slices {
        let o = slice.attrs.orientation.unwrap_or(orientation);
        let worst = o
            .iter()
            .zip(&orientation)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        if worst > options.orientation_tolerance {
            return Err(geometry_error(
                path,
                format!(
                    "ImageOrientationPatient of `{}` frame {} differs from the first slice by {worst:.3e} (tolerance {:.1e})",
                    file_name(&files[slice.file].path),
                    slice.frame,
                    options.orientation_tolerance
                ),
            ));
        }
    }
    let row = unit(path, [orientation[0], orientation[1], orientation[2]])?;
    let column = unit(path, [orientation[3], orientation[4], orientation[5]])?;
    let normal = unit(path, cross(row, column))?;
    // Positions along the normal.
    let (origin, slice_spacing, slice_source) = if slices.len() == 1 {
        let (spacing, source) = match (first_attrs.spacing_between_slices, first_attrs.slice_thickness) {
            (Some(s), _) if s > 0.0 => (s, SliceSpacingSource::SpacingBetweenSlices),
            (_, Some(t)) if t > 0.0 => (t, SliceSpacingSource::SliceThickness),
            _ => (1.0, SliceSpacingSource::Assumed),
        };
        (slice0.attrs.position.unwrap_or([0.0; 3]), spacing, source)
    } else if slices.iter().all(|s| s.attrs.position.is_some()) {
        for slice in &mut slices {
            slice.projection = dot(slice.attrs.position.unwrap_or_default(), normal);
        }
        slices.sort_by(|a, b| a.projection.total_cmp(&b.projection));
        let spacing = check_spacing(path, files, &slices, normal, options)?;
        (
            slices[0].attrs.position.unwrap_or_default(),
            spacing,
            SliceSpacingSource::ImagePositions,
        )
    } else if files.len() == 1 {
        // Multi-frame without per-frame positions: frames evenly spaced along the normal.
        let (spacing, source) = match (first_attrs.spacing_between_slices, first_attrs.slice_thickness) {
            (Some(s), _) if s > 0.0 => (s, SliceSpacingSource::SpacingBetweenSlices),
            (_, Some(t)) if t > 0.0 => (t, SliceSpacingSource::SliceThickness),
            _ => (1.0, SliceSpacingSource::Assumed),
        };
        (first_attrs.position.unwrap_or([0.0; 3]), spacing, source)
    } else {
        let missing = slices
            .iter()
            .find(|s| s.attrs.position.is_none())
            .map(|s| file_name(&files[s.file].path));
        return Err(geometry_error(
            path,
            format!(
                "`{}` has no ImagePositionPatient (0020,0032)",
                missing.unwrap_or_default()
            ),
        ));
    };
    // Voxels.
    let rows = first_attrs.rows as usize;
    let columns = first_attrs.columns as usize;
    let mut values = Vec::with_capacity(slices.len() * rows * columns);
    for slice in &slices {
        let file = &files[slice.file];
        let pixels = &decoded[slice.file];
        // Colour images are not rescaled.
        let rescale = slice.attrs.rescale.filter(|_| pixels.samples == 1);
        pixels.extend_grey_frame(
            slice.frame,
            &file.attributes,
            options.colour,
            rescale,
            &mut values,
            &file.path,
        )?;
    }
    let data = Array3::from_shape_vec((slices.len(), rows, columns), values)
        .map_err(|e| dicom_error(path, format!("voxel count does not match the grid: {e}")))?;
    let geometry = Geometry {
        spacing: [pixel_spacing[1], pixel_spacing[0], slice_spacing],
        origin,
        direction: [
            row[0], column[0], normal[0], row[1], column[1], normal[1], row[2], column[2], normal[2],
        ],
        ndim: 3,
    };
    crate::limits::check_geometry(
        path,
        "PixelSpacing (0028,0030) / ImagePositionPatient (0020,0032) / ImageOrientationPatient (0020,0037)",
        &geometry,
    )?;
    let photometric = decoded.first().map(|d| d.photometric.clone()).unwrap_or_default();
    let colour = decoded
        .first()
        .is_some_and(|d| d.samples > 1 || d.photometric == "PALETTE COLOR");
    Ok(DicomImage {
        volume: Volume::new(data, geometry),
        series_uid: first_attrs.series_uid.clone(),
        frame_of_reference_uid: first_attrs.frame_of_reference_uid.clone(),
        modality: first_attrs.modality.clone(),
        n_files: files.len(),
        pixel_spacing: spacing_source,
        slice_spacing: slice_source,
        inverted_monochrome1: photometric == "MONOCHROME1",
        colour_rule: colour.then_some(options.colour),
        photometric,
        skipped: Vec::new(),
    })
}

/// Checks sorted slices: no duplicate positions, uniform gaps, stack along the normal; returns the mean gap.
fn check_spacing(
    path: &Path,
    files: &[OpenedFile],
    slices: &[Slice],
    normal: [f64; 3],
    options: &DicomReadOptions,
) -> Result<f64> {
    let describe = |s: &Slice| {
        let name = file_name(&files[s.file].path);
        if files.len() == 1 {
            format!("frame {}", s.frame)
        } else {
            format!("`{name}`")
        }
    };
    let gaps: Vec<f64> = slices
        .windows(2)
        .map(|w| w[1].projection - w[0].projection)
        .collect();
    let mut sorted_gaps = gaps.clone();
    sorted_gaps.sort_by(f64::total_cmp);
    let median = sorted_gaps.get(sorted_gaps.len() / 2).copied().unwrap_or(0.0);
    for (k, &gap) in gaps.iter().enumerate() {
        if gap.abs() < 1e-6_f64.max(options.spacing_tolerance * median) {
            return Err(geometry_error(
                path,
                format!(
                    "duplicate slice position {:.4} mm along the normal: {} and {}",
                    slices[k].projection,
                    describe(&slices[k]),
                    describe(&slices[k + 1])
                ),
            ));
        }
    }
    for (k, &gap) in gaps.iter().enumerate() {
        if (gap - median).abs() > options.spacing_tolerance * median {
            let what = if gap > 1.5 * median {
                "missing slice: gap"
            } else {
                "non-uniform slice spacing: gap"
            };
            return Err(geometry_error(
                path,
                format!(
                    "{what} of {gap:.4} mm between {} (at {:.4} mm) and {} (at {:.4} mm); the other gaps are {median:.4} mm",
                    describe(&slices[k]),
                    slices[k].projection,
                    describe(&slices[k + 1]),
                    slices[k + 1].projection
                ),
            ));
        }
    }
    // Gantry tilt / shear: the stack must run along the normal.
    let first = slices.first().and_then(|s| s.attrs.position).unwrap_or_default();
    let last = slices.last().and_then(|s| s.attrs.position).unwrap_or_default();
    let d = [last[0] - first[0], last[1] - first[1], last[2] - first[2]];
    let along = dot(d, normal);
    let off = [
        d[0] - along * normal[0],
        d[1] - along * normal[1],
        d[2] - along * normal[2],
    ];
    let off_norm = dot(off, off).sqrt();
    if off_norm > 1e-3 + options.orientation_tolerance * along.abs() {
        return Err(geometry_error(
            path,
            format!(
                "slice positions drift {off_norm:.4} mm across the slice normal over {along:.4} mm (gantry tilt or \
                 sheared stack); resample the series first"
            ),
        ));
    }
    let n_gaps = gaps.len().max(1) as f64;
    Ok(along / n_gaps)
}
