//! Reader for PyRadiomics' regression baselines (`pyradiomics/baseline/baseline_<class>.csv` in the shared data).
//!
//! Rows are feature (or `diagnostics_*`) names, columns are test cases (`brain1`, `brain1_2d`, ...). Each case's
//! settings are the Python dict literal in its `diagnostics_Configuration_Settings` row; [`Baseline::settings`]
//! splits it into `key → value` strings (`'binWidth' → "25"`, `'resegmentRange' → "[-3, 3]"`, `'force2D' → "True"`).

use std::collections::BTreeMap;
use std::path::PathBuf;

/// One baseline table.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// The file read.
    pub path: PathBuf,
    /// Case (column) names, in file order.
    pub cases: Vec<String>,
    /// Feature names (`original_<class>_<Feature>`, excluding `diagnostics_*`), in file order.
    pub features: Vec<String>,
    rows: BTreeMap<String, Vec<String>>,
}

/// Reads `baseline_<class>.csv` (`class` as in the file name: `firstorder`, `shape`, `shape2D`, `glcm`, ...).
///
/// # Panics
/// When the file is missing or malformed (test support: fail loudly).
#[allow(clippy::panic)]
pub fn baseline(class: &str) -> Baseline {
    let path = crate::shared(&format!("pyradiomics/baseline/baseline_{class}.csv"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read baseline `{}`: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = split_csv_line(
        lines
            .next()
            .unwrap_or_else(|| panic!("empty baseline `{}`", path.display())),
    );
    let cases: Vec<String> = header.into_iter().skip(1).collect();
    let mut rows = BTreeMap::new();
    let mut features = Vec::new();
    for line in lines {
        let mut cells = split_csv_line(line);
        if cells.len() != cases.len() + 1 {
            panic!(
                "baseline `{}`: row `{}` has {} cells, expected {}",
                path.display(),
                cells[0],
                cells.len(),
                cases.len() + 1
            );
        }
        let name = cells.remove(0);
        if !name.starts_with("diagnostics_") {
            features.push(name.clone());
        }
        rows.insert(name, cells);
    }
    Baseline {
        path,
        cases,
        features,
        rows,
    }
}

impl Baseline {
    fn cell(&self, case: &str, row: &str) -> Option<&str> {
        let column = self.cases.iter().position(|c| c == case)?;
        self.rows.get(row)?.get(column).map(String::as_str)
    }

    /// The baseline value of `feature` for `case`; `None` when the case or feature is absent or the cell is empty.
    pub fn value(&self, case: &str, feature: &str) -> Option<f64> {
        let cell = self.cell(case, feature)?.trim();
        if cell.is_empty() {
            return None;
        }
        match cell.to_ascii_lowercase().as_str() {
            "nan" => Some(f64::NAN),
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            _ => cell.parse().ok(),
        }
    }

    /// A raw cell (diagnostics rows included).
    pub fn raw(&self, case: &str, row: &str) -> Option<String> {
        self.cell(case, row).map(str::to_string)
    }

    /// The case's settings dict as `key → Python literal` strings (quotes removed from string values).
    pub fn settings(&self, case: &str) -> BTreeMap<String, String> {
        let Some(text) = self.cell(case, "diagnostics_Configuration_Settings") else {
            return BTreeMap::new();
        };
        parse_python_dict(text)
    }
}

/// Splits one CSV line with double-quote quoting (`""` escapes a quote).
fn split_csv_line(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    cells.push(current);
    cells
}

/// Splits a flat Python dict literal `{'a': 1, 'b': [1, 2], 'c': 'x'}` into key/value strings.
fn parse_python_dict(text: &str) -> BTreeMap<String, String> {
    let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
    let mut parts = Vec::new();
    let mut depth = 0_i32;
    let mut current = String::new();
    for ch in inner.chars() {
        match ch {
            '[' | '(' | '{' => {
                depth += 1;
                current.push(ch);
            }
            ']' | ')' | '}' => {
                depth -= 1;
                current.push(ch);
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    let unquote = |s: &str| s.trim().trim_matches('\'').trim_matches('"').to_string();
    parts
        .iter()
        .filter_map(|part| part.split_once(':').map(|(k, v)| (unquote(k), unquote(v))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dict_and_csv_parsing() {
        let d =
            parse_python_dict("{'distances': [1, 2], 'binWidth': 25, 'resegmentMode': 'sigma', 'x': None}");
        assert_eq!(d["distances"], "[1, 2]");
        assert_eq!(d["binWidth"], "25");
        assert_eq!(d["resegmentMode"], "sigma");
        assert_eq!(d["x"], "None");
        assert_eq!(split_csv_line(r#"a,"b, c",d"#), vec!["a", "b, c", "d"]);
    }

    #[test]
    fn reads_the_firstorder_baseline() {
        let b = baseline("firstorder");
        assert!(b.cases.contains(&"brain1".to_string()));
        assert!(b.features.contains(&"original_firstorder_Mean".to_string()));
        assert!(b.value("brain1", "original_firstorder_Mean").is_some());
        assert_eq!(b.settings("brain1")["voxelArrayShift"], "2000");
    }
}
