//! Batch feature extraction (`mmrad extract --batch`): a PyRadiomics batch CSV in, one feature row per case out.
//!
//! The batch CSV has the columns `Image` and `Mask` and optionally `Label`, `MaskROI` (the ROI of an RTSTRUCT mask)
//! and `MaskSegment` (the segment of a DICOM SEG mask, number or label); every column is copied verbatim to the
//! output, ahead of the `diagnostics_*` and feature columns (PyRadiomics' batch behaviour). Relative paths resolve
//! against the batch file's folder. Cases run in parallel on a pool of `threads` threads; results are collected in
//! row order, so the output is identical for any thread count. A failing case is reported with its line and reason
//! and keeps its row (copied columns, empty features) without stopping the others, unless `fail_fast` is set.
//!
//! Column order follows PyRadiomics' `--format csv`: the columns of the first successful case, then columns that
//! only later cases produced, sorted by name. Output is CSV or Parquet by extension, written atomically.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use polars::prelude::{Column, DataFrame, ParquetWriter};
use rayon::prelude::*;

use mmrad_features::Extraction;
use mmrad_protocol::params_file::ExtractionParams;

use crate::output::{csv_field, float, write_atomic};
use crate::{Error, Result};

/// How a batch runs.
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `threads` | 1 | cases extracted at the same time (`-j N`); 0 means one per core |
/// | `fail_fast` | false | stop starting new cases after the first failure (`--fail-fast`) |
/// | `progress` | false | draw a progress bar on stderr (hidden when stderr is not a terminal) |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOptions {
    pub threads: usize,
    pub fail_fast: bool,
    pub progress: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            threads: 1,
            fail_fast: false,
            progress: false,
        }
    }
}

/// The cases of a batch file: every column, and for each case its cells and resolved paths.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchInput {
    /// Column names in file order.
    pub columns: Vec<String>,
    pub cases: Vec<BatchCase>,
}

/// One row of a batch file.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchCase {
    /// Line of the row in the batch file (the header is line 1).
    pub line: usize,
    /// Cells as written, one per column (missing trailing cells are empty).
    pub cells: Vec<String>,
    /// `Image`, resolved against the batch file's folder.
    pub image: PathBuf,
    /// `Mask`, resolved against the batch file's folder.
    pub mask: PathBuf,
    /// `Label` cell as written (empty: the `label` setting).
    pub label: String,
    /// `MaskROI` cell: the RTSTRUCT ROI name (empty for other masks).
    pub roi: String,
    /// `MaskSegment` cell: the DICOM SEG segment, number or label (empty: the only segment).
    pub segment: String,
}

impl BatchInput {
    /// A one-case batch (`mmrad extract IMAGE MASK`): columns `Image` and `Mask` holding the paths as given.
    pub fn single(image: &Path, mask: &Path) -> BatchInput {
        let cells = vec![image.display().to_string(), mask.display().to_string()];
        BatchInput {
            columns: vec!["Image".into(), "Mask".into()],
            cases: vec![BatchCase {
                line: 0,
                cells,
                image: image.to_owned(),
                mask: mask.to_owned(),
                label: String::new(),
                roi: String::new(),
                segment: String::new(),
            }],
        }
    }
}

/// A case that failed, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFailure {
    /// Line in the batch file (0 for a single case given on the command line).
    pub line: usize,
    pub image: PathBuf,
    pub reason: String,
    /// What the user can do, when the failure's cause is known.
    pub help: Option<String>,
}

/// Why one case could not be extracted: a message naming the file or setting, and what to do when known.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseError {
    pub reason: String,
    pub help: Option<String>,
}

impl CaseError {
    fn new(reason: impl Into<String>) -> CaseError {
        CaseError {
            reason: reason.into(),
            help: None,
        }
    }
}

impl std::fmt::Display for CaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl From<String> for CaseError {
    fn from(reason: String) -> CaseError {
        CaseError::new(reason)
    }
}

impl From<&str> for CaseError {
    fn from(reason: &str) -> CaseError {
        CaseError::new(reason)
    }
}

impl From<mmrad_features::FeatureError> for CaseError {
    fn from(error: mmrad_features::FeatureError) -> CaseError {
        CaseError {
            reason: error.to_string(),
            help: error.help(),
        }
    }
}

impl std::fmt::Display for CaseFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "line {} (`{}`): {}",
                self.line,
                self.image.display(),
                self.reason
            )
        } else {
            write!(f, "`{}`: {}", self.image.display(), self.reason)
        }
    }
}

/// One output cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Float(f64),
    Missing,
}

/// Whether a column holds copied text, diagnostics text or feature values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Copied,
    Diagnostic,
    Feature,
}

/// The result of a batch: a table with one row per case, in batch order, and the failures.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutput {
    pub columns: Vec<(String, ColumnKind)>,
    pub rows: Vec<Vec<Cell>>,
    pub failures: Vec<CaseFailure>,
    /// Cases never started because `fail_fast` stopped the batch.
    pub skipped: usize,
}

/// Reads a PyRadiomics batch CSV.
///
/// # Errors
/// [`Error::ReadTable`] when the file cannot be read or is not CSV, [`Error::MissingColumn`] without `Image` or `Mask`.
pub fn read_batch(path: &Path) -> Result<BatchInput> {
    let read_err = |message: String| Error::ReadTable {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| read_err(e.to_string()))?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let table = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let records = parse_csv(&text).map_err(read_err)?;
    let mut records = records.into_iter();
    let Some((_, columns)) = records.next() else {
        return Err(read_err(
            "the file is empty; expected a header with `Image` and `Mask`".into(),
        ));
    };
    let find = |name: &str| columns.iter().position(|c| c == name);
    let missing = |column: &str| Error::MissingColumn {
        table: table.clone(),
        column: column.to_owned(),
    };
    let image_idx = find("Image").ok_or_else(|| missing("Image"))?;
    let mask_idx = find("Mask").ok_or_else(|| missing("Mask"))?;
    let label_idx = find("Label");
    let roi_idx = find("MaskROI");
    let segment_idx = find("MaskSegment");
    let resolve = |cell: &str| {
        let p = PathBuf::from(cell);
        if p.is_absolute() || cell.is_empty() {
            p
        } else {
            base_dir.join(p)
        }
    };
    let mut cases = Vec::new();
    for (line, mut cells) in records {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if cells.len() > columns.len() {
            return Err(read_err(format!(
                "line {line} has {} cells but the header has {} columns",
                cells.len(),
                columns.len()
            )));
        }
        cells.resize(columns.len(), String::new());
        let cell = |idx: usize| cells.get(idx).map(|c| c.trim().to_owned()).unwrap_or_default();
        let (image, mask) = (resolve(&cell(image_idx)), resolve(&cell(mask_idx)));
        let label = label_idx.map(cell).unwrap_or_default();
        let roi = roi_idx.map(cell).unwrap_or_default();
        let segment = segment_idx.map(cell).unwrap_or_default();
        cases.push(BatchCase {
            line,
            cells,
            image,
            mask,
            label,
            roi,
            segment,
        });
    }
    Ok(BatchInput { columns, cases })
}

/// Extracts every case of a batch.
///
/// # Errors
/// [`Error::Fit`] when the thread pool cannot be built. Failing cases are not errors: they are listed in
/// [`BatchOutput::failures`].
pub fn extract_batch(
    input: &BatchInput,
    params: &ExtractionParams,
    options: &BatchOptions,
) -> Result<BatchOutput> {
    let results = extract_results(input, params, options)?;
    Ok(assemble(input, &results))
}

/// Each case's extraction in batch order: `None` for a case `fail_fast` never started.
pub(crate) type CaseResults = Vec<Option<std::result::Result<Extraction, CaseError>>>;

/// The per-case results of [`extract_batch`], before they are assembled into a table.
///
/// # Errors
/// As [`extract_batch`].
pub(crate) fn extract_results(
    input: &BatchInput,
    params: &ExtractionParams,
    options: &BatchOptions,
) -> Result<CaseResults> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|e| crate::fit_error("extraction thread pool", e))?;
    let bar = if options.progress {
        let bar = ProgressBar::new(input.cases.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} cases  {elapsed_precise} (eta {eta})")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let stop = AtomicBool::new(false);
    let results: Vec<Option<std::result::Result<Extraction, CaseError>>> = pool.install(|| {
        input
            .cases
            .par_iter()
            .map(|case| {
                if options.fail_fast && stop.load(Ordering::SeqCst) {
                    return None;
                }
                let result = extract_case(case, params);
                if result.is_err() && options.fail_fast {
                    stop.store(true, Ordering::SeqCst);
                }
                bar.inc(1);
                Some(result)
            })
            .collect()
    });
    bar.finish_and_clear();
    Ok(results)
}

/// The fast path of [`extract_case`] for NRRD/NIfTI label-map cases on the original image: decodes both files to
/// their stored words and converts only the label's bounding box, instead of whole-volume `f64`/`i64` arrays (on a
/// 512² CT those cost more than the features). `Ok(None)` when the case needs the whole image (normalisation,
/// resampling, filters, DICOM/SEG/RTSTRUCT, data the word readers leave to the general readers, a geometry
/// mismatch, an absent label, a label map with non-integer values): the general path then runs, and reports errors
/// as before.
///
/// # Errors
/// A file that cannot be read or decompressed.
pub fn extract_case_region(
    case: &BatchCase,
    params: &ExtractionParams,
    settings: &mmrad_features::ExtractionSettings,
) -> std::result::Result<Option<Extraction>, CaseError> {
    // The condition under which `extract_image_types` is exactly `extract`.
    let original_only = match params.image_type_specs.as_slice() {
        [only] => {
            only.image_type == mmrad_features::ImageType::Original
                && (mmrad_features::ExtractionSettings {
                    label: settings.label,
                    ..only.settings.clone()
                }) == *settings
        }
        _ => false,
    };
    if !original_only
        || settings.normalize
        || settings.resampled_pixel_spacing.is_some()
        // IBSI mode's local intensity peaks read the image around the ROI, which the region path does not decode.
        || settings.ibsi_compliant
        || !case.segment.is_empty()
        || !case.roi.is_empty()
    {
        return Ok(None);
    }
    let read = |path: &std::path::Path| mmrad_io::words::read_volume_words(path).map_err(|e| e.to_string());
    let Some(image) = read(&case.image)? else {
        return Ok(None);
    };
    let Some(mask) = read(&case.mask)? else {
        return Ok(None);
    };
    let dims = |w: &mmrad_io::words::VolumeWords| {
        let [x, y, z] = w.size_xyz();
        (z, y, x)
    };
    if mmrad_features::check_geometry(
        image.geometry(),
        dims(&image),
        mask.geometry(),
        dims(&mask),
        settings,
    )
    .is_err()
    {
        return Ok(None);
    }
    let extent = mask.label_extent(settings.label);
    let Some(region) = extent.bounding_box.filter(|_| !extent.any_non_integer) else {
        return Ok(None);
    };
    let (values, geometry) = image.region_f64(&region);
    let labels = mask.region_labels(&region).map_err(|e| e.to_string())?;
    // One grid: the mask region takes the image region's geometry (they matched within the tolerance above).
    let whole = mmrad_features::WholeInput {
        image_spacing: image.geometry().spacing,
        image_size_xyz: image.size_xyz(),
        image_sum_min_max: image.sum_min_max(),
        mask_spacing: mask.geometry().spacing,
        mask_size_xyz: mask.size_xyz(),
        region_offset: [region[0][0], region[1][0], region[2][0]],
    };
    let image = mmrad_core::Volume::new(values, geometry.clone()).with_pixel_type(Some(image.pixel_type()));
    let mask = mmrad_core::LabelMap::new(labels.data, geometry);
    mmrad_features::extract_region(&image, &mask, &whole, settings, &params.classes)
        .map(Some)
        .map_err(CaseError::from)
}

/// Extracts one case: reads the image (NIfTI, NRRD, DICOM file or series folder) and the mask (label map, DICOM SEG
/// or RTSTRUCT, put on the image grid by [`mmrad_io::mask::read_mask`]), applies the row's `Label`, runs
/// [`mmrad_features::extract_image_types`] with the parameter file's image types.
///
/// # Errors
/// The reason, as text naming the file or setting (a panic inside the extraction is caught and reported too).
pub fn extract_case(
    case: &BatchCase,
    params: &ExtractionParams,
) -> std::result::Result<Extraction, CaseError> {
    if case.image.as_os_str().is_empty() || case.mask.as_os_str().is_empty() {
        return Err(CaseError::new("missing `Image` or `Mask` path"));
    }
    let mut settings = params.settings.clone();
    if !case.label.is_empty() {
        settings.label = match case.label.parse::<i64>() {
            Ok(label) if label >= 1 => label,
            _ => {
                return Err(CaseError::new(format!(
                    "`Label` must be an integer >= 1; found `{}`",
                    case.label
                )));
            }
        };
    }
    let run = || -> std::result::Result<Extraction, CaseError> {
        if let Some(extraction) = extract_case_region(case, params, &settings)? {
            return Ok(extraction);
        }
        let (image, grid) = mmrad_io::read_image_with_grid(&case.image).map_err(|e| e.to_string())?;
        let kind = mmrad_io::mask::mask_kind(&case.mask).map_err(|e| e.to_string())?;
        let select = mmrad_io::mask::MaskSelect {
            // SEG and RTSTRUCT masks are written with the label the extraction reads; a label map keeps its labels
            // (the extraction reports a missing label).
            label: (kind != mmrad_io::mask::MaskKind::LabelMap).then_some(settings.label),
            segment: (!case.segment.is_empty()).then(|| mmrad_io::dicom::SegmentId::parse(&case.segment)),
            roi: (!case.roi.is_empty()).then(|| case.roi.clone()),
            ..mmrad_io::mask::MaskSelect::default()
        };
        let mask = mmrad_io::mask::read_mask(&case.mask, &select, Some(&grid)).map_err(|e| e.to_string())?;
        mmrad_features::extract_image_types(
            &image,
            &mask,
            &settings,
            &params.image_type_specs,
            &params.classes,
        )
        .map_err(CaseError::from)
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(CaseError::new(format!(
                "internal error (a bug in mmrad, please report it): {message}"
            )))
        }
    }
}

/// Builds the output table from per-case results in batch order.
pub(crate) fn assemble(
    input: &BatchInput,
    results: &[Option<std::result::Result<Extraction, CaseError>>],
) -> BatchOutput {
    let mut columns: Vec<(String, ColumnKind)> = input
        .columns
        .iter()
        .map(|c| (c.clone(), ColumnKind::Copied))
        .collect();
    let computed = |e: &Extraction| {
        e.diagnostics
            .iter()
            .map(|(n, _)| (n.clone(), ColumnKind::Diagnostic))
            .chain(e.features.iter().map(|(n, _)| (n.clone(), ColumnKind::Feature)))
            .collect::<Vec<_>>()
    };
    let successes: Vec<&Extraction> = results.iter().filter_map(|r| r.as_ref()?.as_ref().ok()).collect();
    if let Some(first) = successes.first() {
        let first_columns = computed(first);
        let mut later = BTreeSet::new();
        for extraction in successes.iter().skip(1) {
            for column in computed(extraction) {
                if !first_columns.iter().any(|(n, _)| *n == column.0) && !input.columns.contains(&column.0) {
                    later.insert((column.0, column.1 == ColumnKind::Feature));
                }
            }
        }
        columns.extend(
            first_columns
                .into_iter()
                .filter(|(n, _)| !input.columns.contains(n)),
        );
        columns.extend(later.into_iter().map(|(n, is_feature)| {
            (
                n,
                if is_feature {
                    ColumnKind::Feature
                } else {
                    ColumnKind::Diagnostic
                },
            )
        }));
    }
    let mut rows = Vec::with_capacity(input.cases.len());
    let mut failures = Vec::new();
    let mut skipped = 0;
    for (case, result) in input.cases.iter().zip(results) {
        let mut row: Vec<Cell> = case.cells.iter().map(|c| Cell::Text(c.clone())).collect();
        let extraction = match result {
            Some(Ok(extraction)) => Some(extraction),
            Some(Err(error)) => {
                failures.push(CaseFailure {
                    line: case.line,
                    image: case.image.clone(),
                    reason: error.reason.clone(),
                    help: error.help.clone(),
                });
                None
            }
            None => {
                skipped += 1;
                None
            }
        };
        for (name, kind) in columns.iter().skip(input.columns.len()) {
            let cell = extraction.and_then(|e| match kind {
                ColumnKind::Feature => e
                    .features
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| Cell::Float(*v)),
                _ => e
                    .diagnostics
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| Cell::Text(v.clone())),
            });
            row.push(cell.unwrap_or(Cell::Missing));
        }
        rows.push(row);
    }
    BatchOutput {
        columns,
        rows,
        failures,
        skipped,
    }
}

impl BatchOutput {
    /// The table as CSV: RFC 4180 quoting, floats in shortest round-trip form (`NaN` for NaN), empty when missing.
    pub fn to_csv(&self) -> String {
        let mut text = self
            .columns
            .iter()
            .map(|(n, _)| csv_field(n))
            .collect::<Vec<_>>()
            .join(",");
        text.push('\n');
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|cell| match cell {
                    Cell::Text(t) => csv_field(t),
                    Cell::Float(v) => float(*v),
                    Cell::Missing => String::new(),
                })
                .collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        text
    }

    /// The table as Parquet: copied and diagnostics columns as strings, features as f64; missing cells are null.
    ///
    /// # Errors
    /// [`Error::Write`] (naming `path`, used only in the message) when polars cannot encode the table.
    pub fn to_parquet(&self, path: &Path) -> Result<Vec<u8>> {
        let err = |e: polars::prelude::PolarsError| Error::Write {
            path: path.to_owned(),
            message: e.to_string(),
        };
        let mut columns = Vec::with_capacity(self.columns.len());
        for (idx, (name, kind)) in self.columns.iter().enumerate() {
            let cells = self.rows.iter().map(|row| row.get(idx).unwrap_or(&Cell::Missing));
            let column = match kind {
                ColumnKind::Feature => {
                    let values: Vec<Option<f64>> = cells
                        .map(|c| if let Cell::Float(v) = c { Some(*v) } else { None })
                        .collect();
                    Column::new(name.as_str().into(), values)
                }
                _ => {
                    let values: Vec<Option<String>> = cells
                        .map(|c| {
                            if let Cell::Text(t) = c {
                                Some(t.clone())
                            } else {
                                None
                            }
                        })
                        .collect();
                    Column::new(name.as_str().into(), values)
                }
            };
            columns.push(column);
        }
        let mut frame = DataFrame::new(self.rows.len(), columns).map_err(err)?;
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes).finish(&mut frame).map_err(err)?;
        Ok(bytes)
    }

    /// Writes the table atomically: Parquet when `path` ends in `.parquet`, CSV otherwise.
    ///
    /// # Errors
    /// [`Error::Write`] naming the path.
    pub fn write(&self, path: &Path) -> Result<()> {
        let is_parquet = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        let bytes = if is_parquet {
            self.to_parquet(path)?
        } else {
            self.to_csv().into_bytes()
        };
        write_atomic(path, &bytes)
    }
}

/// Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF, a UTF-8 BOM) into `(line, cells)` records.
pub(crate) fn parse_csv(text: &str) -> std::result::Result<Vec<(usize, Vec<String>)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes => {
                if chars.peek() == Some(&'"') {
                    cell.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            }
            '"' if cell.is_empty() => in_quotes = true,
            ',' if !in_quotes => cells.push(std::mem::take(&mut cell)),
            '\r' if !in_quotes && chars.peek() == Some(&'\n') => {}
            '\n' if !in_quotes => {
                cells.push(std::mem::take(&mut cell));
                records.push((record_line, std::mem::take(&mut cells)));
                line += 1;
                record_line = line;
            }
            other => {
                if other == '\n' {
                    line += 1;
                }
                cell.push(other);
            }
        }
    }
    if in_quotes {
        return Err(format!(
            "unterminated quoted field starting on line {record_line}"
        ));
    }
    if !cell.is_empty() || !cells.is_empty() {
        cells.push(cell);
        records.push((record_line, cells));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_parsing_handles_quotes_crlf_and_bom() {
        let text = "\u{feff}Image,Mask,note\r\na.nrrd,b.nrrd,\"x, \"\"y\"\"\"\r\n\nc.nrrd,d.nrrd\n";
        let records = parse_csv(text).unwrap();
        assert_eq!(
            records,
            vec![
                (1, vec!["Image".to_owned(), "Mask".into(), "note".into()]),
                (2, vec!["a.nrrd".to_owned(), "b.nrrd".into(), "x, \"y\"".into()]),
                (3, vec![String::new()]),
                (4, vec!["c.nrrd".to_owned(), "d.nrrd".into()]),
            ]
        );
        assert!(parse_csv("a,\"b\n").unwrap_err().contains("unterminated"));
    }

    #[test]
    fn columns_union_keeps_first_case_order_then_sorted_extras() {
        let input = BatchInput {
            columns: vec!["case_id".into(), "Image".into(), "Mask".into()],
            cases: (0..3)
                .map(|i| BatchCase {
                    line: i + 2,
                    cells: vec![format!("c{i}"), "i".into(), "m".into()],
                    image: PathBuf::from("i"),
                    mask: PathBuf::from("m"),
                    label: String::new(),
                    roi: String::new(),
                    segment: String::new(),
                })
                .collect(),
        };
        let e1 = Extraction {
            features: vec![("b".into(), 1.0), ("a".into(), 2.0)],
            diagnostics: vec![],
        };
        let e2 = Extraction {
            features: vec![("a".into(), 3.0), ("z".into(), 4.0), ("y".into(), 5.0)],
            diagnostics: vec![],
        };
        let out = assemble(&input, &[Some(Err("bad".into())), Some(Ok(e1)), Some(Ok(e2))]);
        let names: Vec<&str> = out.columns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["case_id", "Image", "Mask", "b", "a", "y", "z"]);
        assert_eq!(
            out.to_csv(),
            "case_id,Image,Mask,b,a,y,z\nc0,i,m,,,,\nc1,i,m,1,2,,\nc2,i,m,,3,5,4\n"
        );
        assert_eq!(
            out.failures,
            [CaseFailure {
                line: 2,
                image: PathBuf::from("i"),
                reason: "bad".into(),
                help: None
            }]
        );
    }
}
