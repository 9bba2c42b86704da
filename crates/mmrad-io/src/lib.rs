//! mmrad-io: reads and writes images and masks (NRRD, NIfTI; DICOM in a later issue); every error names the path.
