//! Identifiers: cases, modalities and feature names.

use std::fmt;

/// A patient or lesion identifier as written in the cohort tables.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaseId(pub String);

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for CaseId {
    fn from(value: &str) -> Self {
        CaseId(value.to_owned())
    }
}

/// An imaging modality. The four of the reference study have names; any other is kept by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Modality {
    Us,
    Mg,
    Ct,
    Mr,
    Other(String),
}

impl Modality {
    /// Parses the DICOM-style abbreviation (`US`, `MG`, `CT`, `MR`, case-insensitive); anything else is `Other`.
    pub fn parse(name: &str) -> Modality {
        match name.to_ascii_uppercase().as_str() {
            "US" => Modality::Us,
            "MG" => Modality::Mg,
            "CT" => Modality::Ct,
            "MR" | "MRI" => Modality::Mr,
            _ => Modality::Other(name.to_owned()),
        }
    }

    /// The name written in outputs.
    pub fn as_str(&self) -> &str {
        match self {
            Modality::Us => "US",
            Modality::Mg => "MG",
            Modality::Ct => "CT",
            Modality::Mr => "MR",
            Modality::Other(name) => name,
        }
    }
}

impl fmt::Display for Modality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A feature column name, PyRadiomics style (`original_glcm_Contrast`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeatureName(pub String);

impl fmt::Display for FeatureName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
