//! Image-level cohorts: the manifest CSV of images and masks, feature extraction per modality (cached next to the
//! manifest), and the synthetic image cohort generated on first use.
//!
//! Manifest columns: the case id, the outcome, the clinical candidates, and per modality `<MOD>_image` (NIfTI,
//! NRRD, a DICOM file or a DICOM series folder), `<MOD>_mask` (label map, DICOM SEG or RTSTRUCT), optionally
//! `<MOD>_label`, `<MOD>_roi` (RTSTRUCT ROI name) and `<MOD>_segment` (SEG segment number or label). Paths are
//! relative to the manifest's folder.
//!
//! Each modality is extracted with its protocol `extraction` parameters into `.mmrad-cache/features-<MOD>-<key>.csv`
//! beside the manifest, where the key is the sha256 of the mmrad version, the parameter file and the sha256 of every
//! image and mask (a DICOM folder: of its files in name order; these digests are also listed in the run manifest):
//! a changed image, mask or parameter gives a new key, an unchanged cohort is not extracted again. Only feature
//! columns (not diagnostics) enter the study. A case that fails to extract is an error naming the case,
//! the modality and the reason; nothing is silently dropped.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use mmrad_protocol::Plan;

use crate::cohort::Cohort;
use crate::extract_batch::{BatchCase, extract_case, parse_csv};
use crate::output::{csv_field, float, write_atomic};
use crate::{Error, Result, fit_error};

/// Loads an image-level cohort: extracts (or reuses) every modality's features, then reads the manifest as the
/// clinical table and the extracted tables as feature tables.
///
/// # Errors
/// A missing manifest column (named with the manifest), an unreadable parameter file, a case that fails to
/// extract (naming case and modality), and the errors of the table loader.
pub fn load_images(
    plan: &Plan,
    manifest: &Path,
    case_id: &str,
    candidates: &[String],
    threads: usize,
    reuse_cache: bool,
) -> Result<Cohort> {
    let text = std::fs::read_to_string(manifest).map_err(|e| Error::ReadTable {
        path: manifest.to_owned(),
        message: e.to_string(),
    })?;
    let records = parse_csv(&text).map_err(|message| Error::ReadTable {
        path: manifest.to_owned(),
        message,
    })?;
    let mut records = records.into_iter();
    let Some((_, columns)) = records.next() else {
        return Err(Error::ReadTable {
            path: manifest.to_owned(),
            message: "empty manifest; expected a header with `case_id`, the outcome and `<MOD>_image`, `<MOD>_mask`"
                .into(),
        });
    };
    let rows: Vec<(usize, Vec<String>)> = records
        .filter(|(_, cells)| !cells.iter().all(|c| c.trim().is_empty()))
        .collect();
    let table = manifest.display().to_string();
    let find = |name: &str| columns.iter().position(|c| c == name);
    let require = |name: &str| {
        find(name).ok_or_else(|| Error::MissingColumn {
            table: table.clone(),
            column: name.to_owned(),
        })
    };
    let id_idx = require(case_id)?;
    let base_dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let cache_dir = base_dir.join(".mmrad-cache");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| fit_error("thread pool", e))?;

    let mut feature_tables = Vec::new();
    // Every image and mask with its sha256, for the run manifest.
    let mut image_inputs: Vec<(PathBuf, String)> = Vec::new();
    for modality in &plan.modalities {
        let name = modality.modality.as_str();
        let params_path = modality.extraction.as_ref().ok_or_else(|| {
            fit_error(
                format!("modality `{name}`"),
                "an image-level cohort needs `extraction:` parameters for every modality",
            )
        })?;
        let params_error = |location: String, message: String| Error::Params {
            modality: name.to_owned(),
            location,
            message,
        };
        let params_bytes = std::fs::read(params_path)
            .map_err(|e| params_error(params_path.display().to_string(), format!("cannot read: {e}")))?;
        let params = mmrad_protocol::params_file::load_params(params_path, &[]).map_err(|e| {
            let location = match (e.yaml_path(), e.location()) {
                (Some(yaml), _) => format!("{}: {yaml}", params_path.display()),
                (None, Some((line, column))) => format!("{}:{line}:{column}", params_path.display()),
                (None, None) => params_path.display().to_string(),
            };
            params_error(location, e.to_string())
        })?;
        let image_idx = require(&format!("{name}_image"))?;
        let mask_idx = require(&format!("{name}_mask"))?;
        let optional = |suffix: &str| find(&format!("{name}_{suffix}"));
        let (label_idx, roi_idx, segment_idx) = (optional("label"), optional("roi"), optional("segment"));
        let cell = |cells: &[String], idx: Option<usize>| {
            idx.and_then(|i| cells.get(i))
                .map(|c| c.trim().to_owned())
                .unwrap_or_default()
        };
        let resolve = |text: String| {
            let p = PathBuf::from(&text);
            if p.is_absolute() || text.is_empty() {
                p
            } else {
                base_dir.join(p)
            }
        };
        let cases: Vec<(String, BatchCase)> = rows
            .iter()
            .map(|(line, cells)| {
                let case = BatchCase {
                    line: *line,
                    cells: cells.clone(),
                    image: resolve(cell(cells, Some(image_idx))),
                    mask: resolve(cell(cells, Some(mask_idx))),
                    label: cell(cells, label_idx),
                    roi: cell(cells, roi_idx),
                    segment: cell(cells, segment_idx),
                };
                (cell(cells, Some(id_idx)), case)
            })
            .collect();

        // Cache key: version, parameters, every case's inputs.
        let mut hasher = Sha256::new();
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        hasher.update(&params_bytes);
        for (id, case) in &cases {
            for part in [id.as_str(), &case.label, &case.roi, &case.segment] {
                hasher.update(part.as_bytes());
                hasher.update([0u8]);
            }
            for path in [&case.image, &case.mask] {
                let digest = path_digest(path)?;
                hasher.update(digest.as_bytes());
                image_inputs.push((path.clone(), digest));
            }
        }
        let key: String = hasher
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        let cached = cache_dir.join(format!("features-{name}-{key}.csv"));
        // `--no-cache` extracts again and overwrites the cached table (atomically, as any cache write).
        if !reuse_cache || !cached.is_file() {
            let results: Vec<std::result::Result<Vec<(String, f64)>, String>> = pool.install(|| {
                cases
                    .par_iter()
                    .map(|(_, case)| {
                        catch_unwind(AssertUnwindSafe(|| extract_case(case, &params)))
                            .unwrap_or_else(|_| {
                                Err("internal error during extraction (a bug in mmrad)".into())
                            })
                            .map(|e| e.features)
                            .map_err(|e| e.reason)
                    })
                    .collect()
            });
            let mut csv = String::new();
            let mut names: Option<Vec<String>> = None;
            for ((id, case), result) in cases.iter().zip(results) {
                let context = || {
                    format!(
                        "extracting modality `{name}` of case `{id}` ({table}, line {})",
                        case.line
                    )
                };
                let features = result.map_err(|e| fit_error(context(), e))?;
                let these: Vec<String> = features.iter().map(|(n, _)| n.clone()).collect();
                match &names {
                    None => {
                        csv.push_str("case_id");
                        for n in &these {
                            csv.push(',');
                            csv.push_str(&csv_field(n));
                        }
                        csv.push('\n');
                        names = Some(these);
                    }
                    Some(first) if *first != these => {
                        return Err(fit_error(
                            context(),
                            "the extraction produced other feature columns than for the first case",
                        ));
                    }
                    Some(_) => {}
                }
                csv.push_str(&csv_field(id));
                for (_, v) in &features {
                    csv.push(',');
                    csv.push_str(&float(*v));
                }
                csv.push('\n');
            }
            std::fs::create_dir_all(&cache_dir).map_err(|e| Error::Write {
                path: cache_dir.clone(),
                message: e.to_string(),
            })?;
            write_atomic(&cached, csv.as_bytes())?;
        }
        feature_tables.push((modality.modality.clone(), cached));
    }
    let mut cohort =
        crate::cohort::from_tables(manifest, &feature_tables, case_id, &plan.outcome, candidates)?;
    cohort.inputs.extend(image_inputs);
    Ok(cohort)
}

/// The sha256 of a file's bytes, or of a folder's files in name order (recursively, each preceded by its name).
pub(crate) fn path_digest(path: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    hash_path(&mut hasher, path)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Feeds a file's bytes, or every file of a folder (sorted by name, recursively), into the hash.
fn hash_path(hasher: &mut Sha256, path: &Path) -> Result<()> {
    let read_err = |e: std::io::Error| Error::ReadTable {
        path: path.to_owned(),
        message: e.to_string(),
    };
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(read_err)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            hasher.update(
                entry
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
            hash_path(hasher, &entry)?;
        }
        Ok(())
    } else {
        // A missing file is reported by the extraction with its case; hash the path so the key still differs.
        match std::fs::read(path) {
            Ok(bytes) => hasher.update(&bytes),
            Err(_) => hasher.update(path.display().to_string().as_bytes()),
        }
        Ok(())
    }
}

/// Generates the image-level synthetic cohort into `dir` unless a complete one for the same settings is there, and
/// returns its manifest.
///
/// # Errors
/// The generator's errors (naming the path it could not write).
pub fn ensure_synthetic_images(n: usize, events: usize, seed: u64, dir: &Path) -> Result<PathBuf> {
    let marker = dir.join(".complete");
    let stamp = format!(
        "mmrad {} liang2025 images n={n} events={events} seed={seed}\n",
        env!("CARGO_PKG_VERSION")
    );
    let manifest = dir.join("cohort.csv");
    if std::fs::read_to_string(&marker).is_ok_and(|s| s == stamp) && manifest.is_file() {
        return Ok(manifest);
    }
    let config = mmrad_synth::images::Liang2025ImagesConfig {
        n,
        events,
        seed,
        ..mmrad_synth::images::Liang2025ImagesConfig::new(dir)
    };
    let cohort = mmrad_synth::images::liang2025_images(&config)?;
    write_atomic(&marker, stamp.as_bytes())?;
    Ok(cohort.manifest)
}
