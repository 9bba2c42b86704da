//! Output writers: CSV with shortest round-trip floats, atomic writes (temp file + rename), sha256 of files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use mmrad_core::FeatureTable;

use crate::{Error, Result};

/// One CSV value.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Text(String),
    Int(i64),
    /// Written as Rust's shortest round-trip representation (`format!("{}")`); NaN as `NaN`.
    Float(f64),
    Empty,
}

impl From<&str> for Field {
    fn from(value: &str) -> Self {
        Field::Text(value.to_owned())
    }
}
impl From<String> for Field {
    fn from(value: String) -> Self {
        Field::Text(value)
    }
}
impl From<f64> for Field {
    fn from(value: f64) -> Self {
        Field::Float(value)
    }
}
impl From<usize> for Field {
    fn from(value: usize) -> Self {
        Field::Int(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

/// An in-memory CSV table.
#[derive(Debug, Clone)]
pub struct Csv {
    text: String,
    width: usize,
}

impl Csv {
    pub fn new(header: &[&str]) -> Csv {
        let mut text = header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(",");
        text.push('\n');
        Csv {
            text,
            width: header.len(),
        }
    }

    /// Appends a row; `debug_assert`s its width.
    pub fn row(&mut self, fields: Vec<Field>) {
        debug_assert_eq!(fields.len(), self.width, "csv row width");
        for (idx, field) in fields.iter().enumerate() {
            if idx > 0 {
                self.text.push(',');
            }
            match field {
                Field::Text(t) => self.text.push_str(&csv_field(t)),
                Field::Int(i) => {
                    let _ = write!(self.text, "{i}");
                }
                Field::Float(x) => self.text.push_str(&float(*x)),
                Field::Empty => {}
            }
        }
        self.text.push('\n');
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Shortest round-trip text of a float (`NaN`, `inf`, `-inf` for the non-finite values).
pub fn float(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_owned()
    } else {
        format!("{x}")
    }
}

/// Quotes a CSV field when needed (RFC 4180).
pub fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// A feature table as CSV with a leading `case_id` column.
pub fn feature_table_csv(table: &FeatureTable) -> String {
    let mut header = vec!["case_id".to_owned()];
    header.extend(table.names().iter().map(|n| n.0.clone()));
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut csv = Csv::new(&header_refs);
    for (row, case) in table.cases().iter().enumerate() {
        let mut fields = vec![Field::Text(case.0.clone())];
        fields.extend(table.values().row(row).iter().map(|v| Field::Float(*v)));
        csv.row(fields);
    }
    csv.text
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, then a rename.
///
/// # Errors
/// [`Error::Write`] naming the path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let err = |e: std::io::Error| Error::Write {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    std::fs::write(&tmp, bytes).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// Hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Hex sha256 of a file.
///
/// # Errors
/// [`Error::ReadTable`] when the file cannot be read.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::ReadTable {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    Ok(sha256_hex(&bytes))
}

/// A feature table as Parquet: `case_id` (string) then one float64 column per feature, rows in table order; the
/// bytes depend on the values only (no timestamp), so runs stay byte-identical.
///
/// # Errors
/// [`Error::Write`] naming `path` when polars cannot build or encode the frame.
pub fn feature_table_parquet(table: &FeatureTable, path: &Path) -> Result<Vec<u8>> {
    use polars::prelude::{Column, DataFrame, ParquetWriter};
    let err = |e: polars::prelude::PolarsError| Error::Write {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let mut columns = Vec::with_capacity(table.n_features() + 1);
    let ids: Vec<String> = table.cases().iter().map(|c| c.0.clone()).collect();
    columns.push(Column::new("case_id".into(), ids));
    for (j, name) in table.names().iter().enumerate() {
        let values: Vec<f64> = table.values().column(j).to_vec();
        columns.push(Column::new(name.0.as_str().into(), values));
    }
    let mut frame = DataFrame::new(table.n_cases(), columns).map_err(err)?;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut frame).map_err(err)?;
    Ok(bytes)
}

/// Files written by a run, in write order, with their hashes.
#[derive(Debug, Default, Clone)]
pub struct Written {
    pub files: Vec<(PathBuf, String)>,
}

impl Written {
    /// Writes `bytes` atomically to `dir/name` and records its hash.
    ///
    /// # Errors
    /// [`Error::Write`].
    pub fn write(&mut self, dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
        let path = dir.join(name);
        write_atomic(&path, bytes)?;
        self.files.push((PathBuf::from(name), sha256_hex(bytes)));
        Ok(())
    }
}
