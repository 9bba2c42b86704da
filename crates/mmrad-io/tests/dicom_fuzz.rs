//! Fuzz-style robustness of the DICOM reader: truncated and byte-mutated copies of the test files must give an
//! `Ok` or an `Err`, never a panic (mutations drawn from a seeded `SeededRng`, so the run is reproducible); the
//! codestreams of the compressed files (JPEG-LS, JPEG 2000, JPEG lossless, RLE) are mutated separately.

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
    "pydicom/MR_small_jpeg_ls_lossless.dcm",
    "pydicom/JPEGLSNearLossless_16.dcm",
    "pydicom/emri_small_jpeg_ls_lossless.dcm",
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

/// Compressed files whose codestream (inside the encapsulated Pixel Data) is mutated: JPEG-LS (CharLS), JPEG 2000,
/// JPEG lossless and RLE decoders.
const CODEC_FILES: &[&str] = &[
    "pydicom/MR_small_jpeg_ls_lossless.dcm",
    "pydicom/JPEGLSNearLossless_16.dcm",
    "pydicom/emri_small_jpeg_ls_lossless.dcm",
    "pydicom/MR_small_jp2klossless.dcm",
    "pydicom/JPGLosslessP14SV1_1s_1f_8b.dcm",
    "pydicom/MR_small_RLE.dcm",
];

#[test]
fn mutated_codestreams_give_errors_not_panics() {
    let dir = std::env::temp_dir().join(format!("mmrad-dicom-fuzz-codec-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = SeededRng::new(20_261_126);
    for (file_idx, rel) in CODEC_FILES.iter().enumerate() {
        let original = std::fs::read(shared(rel)).unwrap();
        let n = original.len();
        // The Pixel Data element (7FE0,0010) is the last top-level element; its fragments follow the tag, the
        // length and the (possibly empty) basic offset table item.
        let pixel_tag = original
            .windows(4)
            .rposition(|w| w == [0xe0, 0x7f, 0x10, 0x00])
            .unwrap();
        let start = pixel_tag + 24;
        assert!(start + 16 < n, "{rel}");
        for trial in 0..16 {
            let mut bytes = original.clone();
            let n_mutations = 1 + trial % 8;
            for _ in 0..n_mutations {
                let pos = start + (rng.next_u64() as usize) % (n - start);
                bytes[pos] = (rng.next_u64() & 0xff) as u8;
            }
            check(&bytes, &dir, &format!("codec{file_idx}-mut{trial}"));
        }
        // A run of zeros right after the codestream header, and a codestream cut short inside the file.
        let mut zeroed = original.clone();
        for byte in zeroed.iter_mut().skip(start + 8).take(32) {
            *byte = 0;
        }
        check(&zeroed, &dir, &format!("codec{file_idx}-zeros"));
        check(
            &original[..start + (n - start) / 2],
            &dir,
            &format!("codec{file_idx}-cut"),
        );
    }
}
