//! Test support: reads the committed reference CSV files under `tests/reference/modeling/`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use ndarray::{Array1, Array2};

/// A CSV file as named string columns.
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    pub fn read(name: &str) -> Csv {
        let path = mmrad_testkit::workspace_root()
            .join("tests/reference/modeling")
            .join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut lines = text.lines();
        let header = lines.next().unwrap().split(',').map(str::to_string).collect();
        let rows = lines
            .filter(|l| !l.is_empty())
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        Csv { header, rows }
    }

    pub fn idx(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    pub fn f64s(&self, name: &str) -> Vec<f64> {
        let j = self.idx(name);
        self.rows.iter().map(|r| r[j].parse::<f64>().unwrap()).collect()
    }

    pub fn strs(&self, name: &str) -> Vec<String> {
        let j = self.idx(name);
        self.rows.iter().map(|r| r[j].clone()).collect()
    }

    /// Columns by name → values, for a two-column lookup.
    pub fn map(&self, key: &str, value: &str) -> BTreeMap<String, f64> {
        self.strs(key).into_iter().zip(self.f64s(value)).collect()
    }
}

/// (x, y, foldid) of `lasso_p{p}.csv`.
pub fn lasso_data(p: usize) -> (Array2<f64>, Array1<f64>, Vec<usize>) {
    let csv = Csv::read(&format!("lasso_p{p}.csv"));
    let y = Array1::from(csv.f64s("y"));
    let foldid = csv.f64s("foldid").into_iter().map(|v| v as usize).collect();
    let n = y.len();
    let mut x = Array2::zeros((n, p));
    for j in 0..p {
        for (i, v) in csv.f64s(&format!("x{}", j + 1)).into_iter().enumerate() {
            x[[i, j]] = v;
        }
    }
    (x, y, foldid)
}

/// Named columns of a table as a matrix.
pub fn columns(csv: &Csv, names: &[&str]) -> Array2<f64> {
    let n = csv.rows.len();
    let mut x = Array2::zeros((n, names.len()));
    for (j, name) in names.iter().enumerate() {
        for (i, v) in csv.f64s(name).into_iter().enumerate() {
            x[[i, j]] = v;
        }
    }
    x
}
