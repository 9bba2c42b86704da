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
//! a changed image, mask or parameter gives a new key, an unchanged cohort is not extracted again. Each case's
//! features are also cached on their own, in `.mmrad-cache/cases/<key>.csv`, keyed by the sha256 of the mmrad
//! version, the parameter file, the case's image and mask and how the mask is read (label, ROI, segment), written
//! as soon as the case is extracted: a run that was killed, or a cohort with one changed image, extracts only the
//! cases without a cached result. `--no-cache` ignores and rewrites both. Only feature
//! columns (not diagnostics) enter the study. A case that fails to extract is an error naming the case,
//! the modality and the reason; nothing is silently dropped.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use mmrad_protocol::Plan;

use crate::cohort::Cohort;
use crate::extract_batch::{BatchCase, extract_case, parse_csv};
use crate::output::{csv_field, float, write_atomic};
use crate::shard::ShardSpec;
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
    load_images_staged(
        plan,
        manifest,
        case_id,
        candidates,
        threads,
        reuse_cache,
        Stage::All,
    )?
    .ok_or_else(|| fit_error("image cohort", "no cohort was assembled"))
}

/// Which part of an image-level cohort's preparation runs (`mmrad study run --stage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Extract what the cache lacks, then load the cohort (a plain `study run`).
    All,
    /// Extract only this shard's cases of every modality into
    /// `.mmrad-cache/features-<MOD>-<key>.shard-<I>-of-<N>.csv`; no cohort.
    Extract(ShardSpec),
    /// Extract nothing: assemble each modality's cache from its complete set of shard parts (when the cache is
    /// absent), then load the cohort.
    Model,
}

/// [`load_images`] for one [`Stage`]; `Ok(None)` after [`Stage::Extract`].
///
/// # Errors
/// As [`load_images`]; under [`Stage::Model`], a modality with neither a cache nor a complete set of parts
/// (naming the shards to rerun).
pub fn load_images_staged(
    plan: &Plan,
    manifest: &Path,
    case_id: &str,
    candidates: &[String],
    threads: usize,
    reuse_cache: bool,
    stage: Stage,
) -> Result<Option<Cohort>> {
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

        // Cache key: version, parameters, every case's inputs. Each case also gets a key of its own (the same
        // without its id: the content of its image and mask, how the mask is read, the parameters).
        let mut hasher = Sha256::new();
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        hasher.update(&params_bytes);
        let mut case_keys = Vec::with_capacity(cases.len());
        for (id, case) in &cases {
            let mut case_hasher = Sha256::new();
            case_hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
            case_hasher.update(&params_bytes);
            for part in [id.as_str(), &case.label, &case.roi, &case.segment] {
                hasher.update(part.as_bytes());
                hasher.update([0u8]);
            }
            for part in [&case.label, &case.roi, &case.segment] {
                case_hasher.update(part.as_bytes());
                case_hasher.update([0u8]);
            }
            for path in [&case.image, &case.mask] {
                let digest = path_digest(path)?;
                hasher.update(digest.as_bytes());
                case_hasher.update(digest.as_bytes());
                image_inputs.push((path.clone(), digest));
            }
            case_keys.push(hex(&case_hasher.finalize()));
        }
        let key: String = hasher
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        let cached = cache_dir.join(format!("features-{name}-{key}.csv"));
        let (_, split) = crate::shard::split_batch(
            &crate::extract_batch::BatchInput {
                columns: Vec::new(),
                cases: cases.iter().map(|(_, c)| c.clone()).collect(),
            },
            match stage {
                Stage::Extract(spec) => spec.count,
                _ => 1,
            },
        );
        let part_name = |spec: ShardSpec| {
            cache_dir.join(format!(
                "features-{name}-{key}.shard-{}-of-{}.csv",
                spec.index, spec.count
            ))
        };
        let selected: Vec<usize> = match stage {
            Stage::Extract(spec) => split.get(spec.index).cloned().unwrap_or_default(),
            _ => (0..cases.len()).collect(),
        };
        if stage == Stage::Model && !cached.is_file() {
            assemble_parts(&cache_dir, name, &key, &cases, &cached)?;
        }
        // `--no-cache` extracts again and overwrites the cached table (atomically, as any cache write).
        let extract = match stage {
            Stage::All => !reuse_cache || !cached.is_file(),
            Stage::Extract(_) => true,
            Stage::Model => false,
        };
        if extract {
            let case_dir = cache_dir.join("cases");
            std::fs::create_dir_all(&case_dir).map_err(|e| Error::Write {
                path: case_dir.clone(),
                message: e.to_string(),
            })?;
            let results: Vec<std::result::Result<Vec<(String, f64)>, String>> = pool.install(|| {
                selected
                    .par_iter()
                    .filter_map(|&r| Some((cases.get(r)?, case_keys.get(r)?)))
                    .map(|((_, case), case_key)| {
                        let path = case_dir.join(format!("{case_key}.csv"));
                        if reuse_cache && let Some(features) = read_case_cache(&path) {
                            return Ok(features);
                        }
                        let features = catch_unwind(AssertUnwindSafe(|| extract_case(case, &params)))
                            .unwrap_or_else(|_| {
                                Err("internal error during extraction (a bug in mmrad)".into())
                            })
                            .map(|e| e.features)
                            .map_err(|e| e.reason)?;
                        // Written as soon as the case is done, so that a run killed part-way resumes from here; a
                        // failed write only costs extracting the case again next time.
                        let _ = write_atomic(&path, case_cache_text(&features).as_bytes());
                        Ok(features)
                    })
                    .collect()
            });
            let mut csv = String::new();
            let mut names: Option<Vec<String>> = None;
            for ((id, case), result) in selected.iter().filter_map(|&r| cases.get(r)).zip(results) {
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
            match stage {
                Stage::Extract(spec) => write_atomic(&part_name(spec), csv.as_bytes())?,
                _ => write_atomic(&cached, csv.as_bytes())?,
            }
        }
        feature_tables.push((modality.modality.clone(), cached));
    }
    if matches!(stage, Stage::Extract(_)) {
        return Ok(None);
    }
    let mut cohort =
        crate::cohort::from_tables(manifest, &feature_tables, case_id, &plan.outcome, candidates)?;
    cohort.inputs.extend(image_inputs);
    Ok(Some(cohort))
}

/// Writes a modality's cached table from a complete set of shard parts
/// (`features-<MOD>-<key>.shard-<I>-of-<N>.csv`): each part holds the rows the split gives its shard, under the
/// header of its first case; the table is the common header and every row in manifest order, byte for byte what
/// the unsharded extraction writes. The key covers every input's sha256, so the split recomputed here from the
/// images' sizes is the one each shard used. With parts of several `N`, the smallest complete `N` is used.
///
/// # Errors
/// No complete set (naming the missing shards and the command to run them), parts whose rows or headers disagree.
fn assemble_parts(
    cache_dir: &Path,
    name: &str,
    key: &str,
    cases: &[(String, BatchCase)],
    cached: &Path,
) -> Result<()> {
    let prefix = format!("features-{name}-{key}.shard-");
    let mut found: std::collections::BTreeMap<usize, std::collections::BTreeSet<usize>> =
        std::collections::BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(cache_dir) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = file.strip_prefix(&prefix).and_then(|r| r.strip_suffix(".csv")) else {
                continue;
            };
            if let Some((i, n)) = rest.split_once("-of-")
                && let (Ok(i), Ok(n)) = (i.parse::<usize>(), n.parse::<usize>())
                && i < n
            {
                found.entry(n).or_default().insert(i);
            }
        }
    }
    let complete = found.iter().find(|(n, have)| have.len() == **n).map(|(n, _)| *n);
    let Some(count) = complete else {
        let message = match found
            .iter()
            .max_by_key(|(n, have)| (have.len(), std::cmp::Reverse(**n)))
        {
            None => format!(
                "no cached features and no shard parts for modality `{name}` in `{}`; run `mmrad study run \
                 PROTOCOL --stage extract --shard I/N` for every I first (or a plain `study run`)",
                cache_dir.display()
            ),
            Some((n, have)) => {
                let missing: Vec<String> = (0..*n)
                    .filter(|i| !have.contains(i))
                    .map(|i| i.to_string())
                    .collect();
                format!(
                    "modality `{name}`: {} of {n} extraction shard(s) missing: {}; rerun `mmrad study run \
                     PROTOCOL --stage extract --shard I/{n}` for those I (Slurm: `--array={}`)",
                    missing.len(),
                    missing.join(", "),
                    missing.join(",")
                )
            }
        };
        return Err(fit_error("assembling the sharded extraction", message));
    };
    let (_, split) = crate::shard::split_batch(
        &crate::extract_batch::BatchInput {
            columns: Vec::new(),
            cases: cases.iter().map(|(_, c)| c.clone()).collect(),
        },
        count,
    );
    let mut lines: Vec<Option<String>> = vec![None; cases.len()];
    let mut header: Option<String> = None;
    for (index, rows) in split.iter().enumerate() {
        let path = cache_dir.join(format!("{prefix}{index}-of-{count}.csv"));
        let text = std::fs::read_to_string(&path).map_err(|e| Error::ReadTable {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let mut part_lines = text.split_inclusive('\n');
        let bad = |message: &str| fit_error(format!("shard part `{}`", path.display()), message);
        if rows.is_empty() {
            if !text.is_empty() {
                return Err(bad("holds rows but its shard has none"));
            }
            continue;
        }
        let head = part_lines.next().unwrap_or_default().to_owned();
        match &header {
            None => header = Some(head),
            Some(h) if *h != head => {
                return Err(bad(
                    "has other feature columns than the other parts; extract every shard again",
                ));
            }
            Some(_) => {}
        }
        let body: Vec<&str> = part_lines.collect();
        if body.len() != rows.len() {
            return Err(bad(
                "holds another number of rows than its shard; extract it again",
            ));
        }
        for (&row, line) in rows.iter().zip(body) {
            if let Some(slot) = lines.get_mut(row) {
                *slot = Some(line.to_owned());
            }
        }
    }
    let mut csv = header.unwrap_or_default();
    for line in lines.into_iter().flatten() {
        csv.push_str(&line);
    }
    std::fs::create_dir_all(cache_dir).map_err(|e| Error::Write {
        path: cache_dir.to_owned(),
        message: e.to_string(),
    })?;
    write_atomic(cached, csv.as_bytes())
}

/// One case's features as cached in `.mmrad-cache/cases/<key>.csv`: the feature names, then their values.
fn case_cache_text(features: &[(String, f64)]) -> String {
    let names: Vec<String> = features.iter().map(|(n, _)| csv_field(n)).collect();
    let values: Vec<String> = features.iter().map(|(_, v)| float(*v)).collect();
    format!("{}\n{}\n", names.join(","), values.join(","))
}

/// A case's cached features, or `None` when the file is absent or is not exactly what [`case_cache_text`] writes
/// (edited or from another version): the case is then extracted again.
fn read_case_cache(path: &Path) -> Option<Vec<(String, f64)>> {
    let text = std::fs::read_to_string(path).ok()?;
    let records = parse_csv(&text).ok()?;
    let [(_, names), (_, values)] = records.as_slice() else {
        return None;
    };
    if names.len() != values.len() {
        return None;
    }
    let features: Vec<(String, f64)> = names
        .iter()
        .zip(values)
        .map(|(n, v)| Some((n.clone(), v.parse::<f64>().ok()?)))
        .collect::<Option<_>>()?;
    (case_cache_text(&features) == text).then_some(features)
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
    // The generative model's revision is part of the stamp, so a cohort cached by an mmrad whose generator drew other
    // images is regenerated, not reused; the marker also lists every file's sha256, checked on reuse, so a cohort
    // edited or damaged on disk is regenerated too.
    let stamp = format!(
        "mmrad {} liang2025 images model={} n={n} events={events} seed={seed}\n",
        env!("CARGO_PKG_VERSION"),
        mmrad_synth::images::MODEL_REVISION
    );
    let manifest = dir.join("cohort.csv");
    let complete = || {
        manifest.is_file()
            && std::fs::read_to_string(&marker).is_ok_and(|s| {
                s.strip_prefix(stamp.as_str())
                    .is_some_and(|files| files_match(dir, files))
            })
    };
    // Shards of a job array start together: one generates (holding `.generating`), the others wait for it, since
    // a file rewritten while another process reads it would be read torn. A lock older than ten minutes is left
    // by a process that died and is taken over.
    let lock = dir.join(".generating");
    let write_err = |e: std::io::Error| Error::Write {
        path: lock.clone(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(write_err)?;
    loop {
        if complete() {
            return Ok(manifest);
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
        {
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let stale = std::fs::metadata(&lock)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > std::time::Duration::from_secs(600));
                if stale {
                    let _ = std::fs::remove_file(&lock);
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(e) => return Err(write_err(e)),
        }
    }
    let generated = generate_synthetic_images(n, events, seed, dir, &marker, &stamp);
    let _ = std::fs::remove_file(&lock);
    generated
}

fn generate_synthetic_images(
    n: usize,
    events: usize,
    seed: u64,
    dir: &Path,
    marker: &Path,
    stamp: &str,
) -> Result<PathBuf> {
    let config = mmrad_synth::images::Liang2025ImagesConfig {
        n,
        events,
        seed,
        ..mmrad_synth::images::Liang2025ImagesConfig::new(dir)
    };
    let cohort = mmrad_synth::images::liang2025_images(&config)?;
    let mut text = stamp.to_owned();
    for file in &cohort.files {
        let digest = path_digest(&dir.join(file))?;
        let _ = writeln!(text, "{digest}  {}", file.to_string_lossy());
    }
    write_atomic(marker, text.as_bytes())?;
    Ok(cohort.manifest)
}

/// Whether every `<sha256>  <relative path>` line of a cohort marker matches the file on disk (and there is at least
/// one line: a marker of an older mmrad without digests is not trusted).
fn files_match(dir: &Path, lines: &str) -> bool {
    let mut any = false;
    for line in lines.lines() {
        let Some((digest, file)) = line.split_once("  ") else {
            return false;
        };
        if !path_digest(&dir.join(file)).is_ok_and(|d| d == digest) {
            return false;
        }
        any = true;
    }
    any
}

/// Runs one [`Stage`] of an image-level protocol's cohort (`mmrad study run --stage`): `Ok(None)` after
/// [`Stage::Extract`], the cohort otherwise.
///
/// # Errors
/// A protocol whose cohort is not image-level, and the errors of [`load_images_staged`].
pub fn run_stage(plan: &Plan, threads: usize, stage: Stage) -> Result<Option<Cohort>> {
    let candidates: Vec<String> = plan
        .clinical
        .as_ref()
        .map(|c| c.candidates.clone())
        .unwrap_or_default();
    let (manifest, case_id) = match &plan.cohort {
        mmrad_protocol::CohortSource::SyntheticImages {
            n, events, seed, dir, ..
        } => (
            ensure_synthetic_images(*n, *events, *seed, dir)?,
            "case_id".to_owned(),
        ),
        mmrad_protocol::CohortSource::Images { manifest, case_id } => (manifest.clone(), case_id.clone()),
        _ => {
            return Err(fit_error(
                "cohort",
                "`--stage` and `--shard` apply to image-level cohorts (`cohort: { images: … }` or \
                 `synthetic: { level: images, … }`); this protocol's features are already tables",
            ));
        }
    };
    load_images_staged(plan, &manifest, &case_id, &candidates, threads, true, stage)
}
