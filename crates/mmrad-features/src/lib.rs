//! mmrad-features: radiomic features with PyRadiomics 3.1 definitions; no file IO.
