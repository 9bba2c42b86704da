//! mmrad-conformance: tests only; conformance to IBSI, PyRadiomics and statistics references lives in tests/.
