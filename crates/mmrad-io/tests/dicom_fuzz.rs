//! Fuzz-style robustness of the DICOM reader: truncated and byte-mutated copies of the test files must give an
//! `Ok` or an `Err`, never a panic (mutations drawn from a seeded `SeededRng`, so the run is reproducible).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mmrad_core::SeededRng;
use mmrad_io::dicom::{dicom_info, read_dicom_series};
use mmrad_testkit::shared;

const FILES: &[&str] = &[
    "pydicom/MR_small.dcm",
    "pydicom/MR_small_RLE.dcm",
    "pydicom/MR_small_bigendian.dcm",
    "pydicom/MR_small_jp2klossless.dcm",
    "pydicom/JPGLosslessP14SV1_1s_1f_8b.dcm",
    "pydicom/emri_small.dcm",
    "pydicom/liver.dcm",
    "pydicom/OBXXXX1A_rle.dcm",
    "ibsi/ibsi_1_ct_radiomics_phantom/dicom/image/DCM_IMG_00000.dcm",
];

fn check(bytes: &[u8], dir: &std::path::Path, tag: &str) {
    let path = dir.join(format!("{tag}.dcm"));
    std::fs::write(&path, bytes).unwrap();
    // Either result is fine; a panic fails the test. Note: a few header mutations (a corrupted element length)
    // make dicom-parser 0.10.1 spend seconds (large allocation) before it returns its error.
    let _ = dicom_info(&path);
    let _ = read_dicom_series(&path);
}

#[test]
fn truncated_and_mutated_files_give_errors_not_panics() {
    let dir = std::env::temp_dir().join(format!("mmrad-dicom-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = SeededRng::new(20_251_126);
    for (file_idx, rel) in FILES.iter().enumerate() {
        let original = std::fs::read(shared(rel)).unwrap();
        let n = original.len();
        for (k, cut) in [132, 200, 400, n / 3, n / 2, n - 7].into_iter().enumerate() {
            check(&original[..cut.min(n)], &dir, &format!("{file_idx}-cut{k}"));
        }
        for trial in 0..6 {
            let mut bytes = original.clone();
            // Mutations in the header (first 2 KiB, where lengths and VRs live) and anywhere in the file.
            for m in 0..4 {
                let limit = if m % 2 == 0 { n.min(2048) } else { n };
                let pos = 132 + (rng.next_u64() as usize) % (limit - 132);
                bytes[pos] = (rng.next_u64() & 0xff) as u8;
            }
            check(&bytes, &dir, &format!("{file_idx}-mut{trial}"));
        }
    }
}
