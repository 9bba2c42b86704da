//! `FeatureTable` (cases × named numeric columns) and `Outcome` (binary, per case).

use ndarray::{Array2, ArrayView1, Axis};

use crate::{CaseId, Error, FeatureName, Result};

/// Numeric features of a set of cases. Rows follow `cases`, columns follow `names`; values may be NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    cases: Vec<CaseId>,
    names: Vec<FeatureName>,
    values: Array2<f64>,
}

impl FeatureTable {
    /// Builds a table, checking the shape and that case ids and feature names are unique.
    ///
    /// # Errors
    /// `Error::Shape`, `Error::DuplicateCase`, `Error::DuplicateFeature`.
    pub fn new(cases: Vec<CaseId>, names: Vec<FeatureName>, values: Array2<f64>) -> Result<FeatureTable> {
        if values.dim() != (cases.len(), names.len()) {
            return Err(Error::Shape {
                what: "feature table".into(),
                expected: format!("{} × {}", cases.len(), names.len()),
                found: format!("{} × {}", values.nrows(), values.ncols()),
            });
        }
        let mut sorted: Vec<&CaseId> = cases.iter().collect();
        sorted.sort();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::DuplicateCase(w[0].0.clone()));
        }
        let mut sorted: Vec<&FeatureName> = names.iter().collect();
        sorted.sort();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::DuplicateFeature(w[0].0.clone()));
        }
        Ok(FeatureTable { cases, names, values })
    }

    pub fn cases(&self) -> &[CaseId] {
        &self.cases
    }

    pub fn names(&self) -> &[FeatureName] {
        &self.names
    }

    pub fn values(&self) -> &Array2<f64> {
        &self.values
    }

    pub fn n_cases(&self) -> usize {
        self.cases.len()
    }

    pub fn n_features(&self) -> usize {
        self.names.len()
    }

    /// Column by name.
    pub fn column(&self, name: &str) -> Option<ArrayView1<'_, f64>> {
        let idx = self.names.iter().position(|n| n.0 == name)?;
        Some(self.values.column(idx))
    }

    /// Row index of a case.
    pub fn case_index(&self, case: &CaseId) -> Option<usize> {
        self.cases.iter().position(|c| c == case)
    }

    /// The rows at `rows`, in that order.
    pub fn select_rows(&self, rows: &[usize]) -> FeatureTable {
        FeatureTable {
            cases: rows.iter().map(|&r| self.cases[r].clone()).collect(),
            names: self.names.clone(),
            values: self.values.select(Axis(0), rows),
        }
    }

    /// The columns at `cols`, in that order.
    pub fn select_columns(&self, cols: &[usize]) -> FeatureTable {
        FeatureTable {
            cases: self.cases.clone(),
            names: cols.iter().map(|&c| self.names[c].clone()).collect(),
            values: self.values.select(Axis(1), cols),
        }
    }
}

/// A binary outcome per case (true = event, e.g. pCR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub cases: Vec<CaseId>,
    pub events: Vec<bool>,
}

impl Outcome {
    /// Number of events.
    pub fn n_events(&self) -> usize {
        self.events.iter().filter(|&&e| e).count()
    }
}
