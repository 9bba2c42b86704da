//! Fuzz-style robustness of the DICOM reader: truncated and byte-mutated copies of the test files must give an
//! `Ok` or an `Err`, never a panic (mutations drawn from a seeded `SeededRng`, so the run is reproducible); the
//! codestreams of the compressed files (JPEG-LS, JPEG 2000, JPEG lossless, RLE) are mutated separately.
//! Structured mutations (proptest, fixed ChaCha seed): image header attributes (Rows, Columns, NumberOfFrames,
//! BitsAllocated/Stored, SamplesPerPixel, PixelSpacing, ImagePositionPatient/OrientationPatient, rescale,
//! photometric, Pixel Data length), SEG frame mapping (ReferencedSegmentNumber, per-frame positions, dropped items,
//! frame counts, segmentation type) and RTSTRUCT contours (odd point counts, NaN coordinates, empty contours, unknown
//! ROI numbers, geometric types); declared sizes beyond the file or the read limit are refused before decoding.

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
    // Either result is fine; a panic fails the test. A corrupted element length (or a VR byte turned into an unknown
    // VR, which dicom-parser 0.10.1 reads as UN with a 4-byte length) used to make the parser zero-fill up to 4 GiB
    // for seconds; the pre-walk of element lengths (`dicom::scan`) now refuses it first.
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

// ---------------------------------------------------------------- structured mutations (proptest, fixed seed)

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject, Tag};
use mmrad_core::Geometry;
use mmrad_io::ReadLimits;
use mmrad_io::dicom::{SegSelect, SegmentId, read_rtstruct, read_seg};
use mmrad_io::mask::ImageGrid;
use mmrad_testkit::repo_data;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngAlgorithm, TestRng, TestRunner};

/// The read limit of these properties: far above the test files, far below a hostile header.
const LIMIT: u64 = 64 << 20;

fn runner(cases: u32, seed: u8) -> TestRunner {
    ReadLimits::set_override(Some(LIMIT));
    let config = Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]))
}

/// A fresh directory, removed when the test ends (also on failure).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("mmrad-dicom-prop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// Peak resident memory (`VmHWM`) within the limit plus the harness: no reader zero-filled a hostile size.
fn assert_bounded() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let peak = line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024;
    assert!(peak <= LIMIT + (256 << 20), "peak resident memory {peak} bytes");
}

fn hostile_float() -> impl Strategy<Value = f64> {
    prop_oneof![
        -300.0_f64..300.0,
        Just(0.0),
        Just(-1.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(1.0e300),
        Just(1.0e-300),
    ]
}

fn hostile_uint() -> impl Strategy<Value = u32> {
    prop_oneof![
        0_u32..8,
        Just(255),
        Just(65_535),
        Just(65_536),
        Just(1 << 24),
        Just(u32::MAX),
        any::<u32>()
    ]
}

fn floats(tag: Tag, values: &[f64]) -> InMemElement {
    let text: Vec<String> = values.iter().map(|v| format!("{v}")).collect();
    DataElement::new(tag, VR::DS, PrimitiveValue::from(text.join("\\")))
}

type InMemElement = dicom_object::mem::InMemElement;

/// The items of a sequence, cloned (empty when absent).
fn items_of(obj: &InMemDicomObject, tag: Tag) -> Vec<InMemDicomObject> {
    obj.get(tag)
        .and_then(|e| e.items())
        .map(<[InMemDicomObject]>::to_vec)
        .unwrap_or_default()
}

fn put_items(obj: &mut InMemDicomObject, tag: Tag, items: Vec<InMemDicomObject>) {
    obj.put(DataElement::new(
        tag,
        VR::SQ,
        Value::from(DataSetSequence::from(items)),
    ));
}

fn save(obj: &DefaultDicomObject, path: &Path) {
    obj.write_to_file(path).unwrap();
}

/// Image-level mutations of a DICOM image header.
#[derive(Debug, Clone)]
enum ImageEdit {
    Rows(u32),
    Columns(u32),
    Frames(u32),
    BitsAllocated(u32),
    BitsStored(u32),
    Samples(u32),
    PixelRepresentation(u32),
    PixelSpacing([f64; 2]),
    Position([f64; 3]),
    Orientation([f64; 6]),
    Rescale(f64, f64),
    Photometric(&'static str),
    DropPixelData,
    PixelDataLength(usize),
}

fn image_edit() -> impl Strategy<Value = ImageEdit> {
    prop_oneof![
        hostile_uint().prop_map(ImageEdit::Rows),
        hostile_uint().prop_map(ImageEdit::Columns),
        hostile_uint().prop_map(ImageEdit::Frames),
        prop::sample::select(vec![0_u32, 1, 7, 8, 12, 16, 24, 32, 64, 65_535])
            .prop_map(ImageEdit::BitsAllocated),
        prop::sample::select(vec![0_u32, 1, 8, 12, 16, 33, 64, 65_535]).prop_map(ImageEdit::BitsStored),
        prop::sample::select(vec![0_u32, 1, 2, 3, 4, 65_535]).prop_map(ImageEdit::Samples),
        prop::sample::select(vec![0_u32, 1, 2, 65_535]).prop_map(ImageEdit::PixelRepresentation),
        prop::array::uniform2(hostile_float()).prop_map(ImageEdit::PixelSpacing),
        prop::array::uniform3(hostile_float()).prop_map(ImageEdit::Position),
        prop::array::uniform6(hostile_float()).prop_map(ImageEdit::Orientation),
        (hostile_float(), hostile_float()).prop_map(|(s, i)| ImageEdit::Rescale(s, i)),
        prop::sample::select(vec!["MONOCHROME1", "RGB", "PALETTE COLOR", "YBR_FULL", "", "XYZ"])
            .prop_map(ImageEdit::Photometric),
        Just(ImageEdit::DropPixelData),
        (0_usize..9000).prop_map(ImageEdit::PixelDataLength),
    ]
}

fn apply_image_edit(obj: &mut DefaultDicomObject, edit: &ImageEdit) {
    let us = |tag: Tag, v: u32| DataElement::new(tag, VR::US, PrimitiveValue::from(v as u16));
    match edit {
        ImageEdit::Rows(v) => obj.put(us(tags::ROWS, *v)),
        ImageEdit::Columns(v) => obj.put(us(tags::COLUMNS, *v)),
        ImageEdit::Frames(v) => obj.put(DataElement::new(
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            PrimitiveValue::from(v.to_string()),
        )),
        ImageEdit::BitsAllocated(v) => obj.put(us(tags::BITS_ALLOCATED, *v)),
        ImageEdit::BitsStored(v) => obj.put(us(tags::BITS_STORED, *v)),
        ImageEdit::Samples(v) => obj.put(us(tags::SAMPLES_PER_PIXEL, *v)),
        ImageEdit::PixelRepresentation(v) => obj.put(us(tags::PIXEL_REPRESENTATION, *v)),
        ImageEdit::PixelSpacing(v) => obj.put(floats(tags::PIXEL_SPACING, v)),
        ImageEdit::Position(v) => obj.put(floats(tags::IMAGE_POSITION_PATIENT, v)),
        ImageEdit::Orientation(v) => obj.put(floats(tags::IMAGE_ORIENTATION_PATIENT, v)),
        ImageEdit::Rescale(s, i) => {
            obj.put(floats(tags::RESCALE_SLOPE, &[*s]));
            obj.put(floats(tags::RESCALE_INTERCEPT, &[*i]));
            None
        }
        ImageEdit::Photometric(p) => obj.put(DataElement::new(
            tags::PHOTOMETRIC_INTERPRETATION,
            VR::CS,
            PrimitiveValue::from(*p),
        )),
        ImageEdit::DropPixelData => {
            obj.remove_element(tags::PIXEL_DATA);
            None
        }
        ImageEdit::PixelDataLength(n) => obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::from(vec![0x5a_u8; *n]),
        )),
    };
}

#[test]
fn dicom_image_header_mutations_give_ok_or_a_clear_error() {
    let dir = temp_dir("image");
    let k = AtomicUsize::new(0);
    for (seed, rel) in [(11, "pydicom/MR_small.dcm"), (12, "pydicom/emri_small.dcm")] {
        let original = dicom_object::open_file(shared(rel)).unwrap();
        runner(128, seed)
            .run(&prop::collection::vec(image_edit(), 1..4), |edits| {
                let mut obj = original.clone();
                for edit in &edits {
                    apply_image_edit(&mut obj, edit);
                }
                let name = format!("image{}.dcm", k.fetch_add(1, Ordering::Relaxed));
                let path = dir.join(&name);
                save(&obj, &path);
                match read_dicom_series(&path) {
                    Ok(volume) => {
                        let g = &volume.geometry;
                        prop_assert!(g.spacing.iter().all(|s| s.is_finite() && *s > 0.0), "{g:?}");
                        prop_assert!(
                            g.origin.iter().chain(&g.direction).all(|v| v.is_finite()),
                            "{g:?}"
                        );
                    }
                    Err(e) => prop_assert!(e.to_string().contains(&name), "{e}"),
                }
                if let Err(e) = dicom_info(&path) {
                    prop_assert!(e.to_string().contains(&name), "{e}");
                }
                Ok(())
            })
            .unwrap();
    }
    assert_bounded();
}

/// Declared sizes far beyond the file or the limit are refused before the decoder allocates for them.
#[test]
fn dicom_declared_sizes_are_checked_before_decoding() {
    let dir = temp_dir("sizes");
    ReadLimits::set_override(Some(LIMIT));
    let original = dicom_object::open_file(shared("pydicom/MR_small.dcm")).unwrap();
    for (name, edits, wanted) in [
        (
            "frames.dcm",
            vec![ImageEdit::Frames(100_000)],
            "MMRAD_MAX_IMAGE_BYTES",
        ),
        (
            "rows.dcm",
            vec![ImageEdit::Rows(65_535), ImageEdit::Columns(65_535)],
            "MMRAD_MAX_IMAGE_BYTES",
        ),
        (
            "short.dcm",
            vec![ImageEdit::PixelDataLength(100)],
            "expected 8192 bytes, found 100",
        ),
    ] {
        let mut obj = original.clone();
        for edit in &edits {
            apply_image_edit(&mut obj, edit);
        }
        let path = dir.join(name);
        save(&obj, &path);
        let err = read_dicom_series(&path).unwrap_err().to_string();
        assert!(err.contains(name) && err.contains(wanted), "{name}: {err}");
    }
    // A corrupt element length beyond the end of the file: named before the parser reserves it.
    let mut bytes = std::fs::read(shared("pydicom/MR_small.dcm")).unwrap();
    let pixel_tag = bytes
        .windows(4)
        .rposition(|w| w == [0xe0, 0x7f, 0x10, 0x00])
        .unwrap();
    bytes[pixel_tag + 8..pixel_tag + 12].copy_from_slice(&0xfff0_0000_u32.to_le_bytes());
    let path = dir.join("length.dcm");
    std::fs::write(&path, &bytes).unwrap();
    let err = read_dicom_series(&path).unwrap_err().to_string();
    assert!(
        err.contains("length.dcm") && err.contains("(7FE0,0010) declares a length"),
        "{err}"
    );
    assert_bounded();
}

/// Mutations of a DICOM SEG's frame mapping.
#[derive(Debug, Clone)]
enum SegEdit {
    ReferencedSegment(usize, u32),
    FramePosition(usize, [f64; 3]),
    DropPerFrameItem(usize),
    DropSegmentIdentification(usize),
    Frames(u32),
    Rows(u32),
    Columns(u32),
    PixelSpacing([f64; 2]),
    Orientation([f64; 6]),
    SegmentationType(&'static str),
    BitsAllocated(u32),
    DropSegmentSequence,
    PixelDataLength(usize),
}

fn seg_edit() -> impl Strategy<Value = SegEdit> {
    prop_oneof![
        (0_usize..8, hostile_uint()).prop_map(|(k, v)| SegEdit::ReferencedSegment(k, v)),
        (0_usize..8, prop::array::uniform3(hostile_float())).prop_map(|(k, p)| SegEdit::FramePosition(k, p)),
        (0_usize..8).prop_map(SegEdit::DropPerFrameItem),
        (0_usize..8).prop_map(SegEdit::DropSegmentIdentification),
        hostile_uint().prop_map(SegEdit::Frames),
        hostile_uint().prop_map(SegEdit::Rows),
        hostile_uint().prop_map(SegEdit::Columns),
        prop::array::uniform2(hostile_float()).prop_map(SegEdit::PixelSpacing),
        prop::array::uniform6(hostile_float()).prop_map(SegEdit::Orientation),
        prop::sample::select(vec!["BINARY", "FRACTIONAL", "LABELMAP", ""])
            .prop_map(SegEdit::SegmentationType),
        prop::sample::select(vec![0_u32, 1, 8, 16, 3]).prop_map(SegEdit::BitsAllocated),
        Just(SegEdit::DropSegmentSequence),
        (0_usize..64).prop_map(SegEdit::PixelDataLength),
    ]
}

/// Applies `f` to item `k` (modulo the count) of the per-frame functional groups.
fn edit_frame(obj: &mut DefaultDicomObject, k: usize, f: impl FnOnce(&mut Vec<InMemDicomObject>, usize)) {
    let mut items = items_of(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    if items.is_empty() {
        return;
    }
    let k = k % items.len();
    f(&mut items, k);
    put_items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, items);
}

fn apply_seg_edit(obj: &mut DefaultDicomObject, edit: &SegEdit) {
    let us = |tag: Tag, v: u32| DataElement::new(tag, VR::US, PrimitiveValue::from(v as u16));
    match edit {
        SegEdit::ReferencedSegment(k, v) => edit_frame(obj, *k, |items, k| {
            let mut ident = InMemDicomObject::new_empty();
            ident.put(us(tags::REFERENCED_SEGMENT_NUMBER, *v));
            put_items(&mut items[k], tags::SEGMENT_IDENTIFICATION_SEQUENCE, vec![ident]);
        }),
        SegEdit::FramePosition(k, p) => edit_frame(obj, *k, |items, k| {
            let mut plane = InMemDicomObject::new_empty();
            plane.put(floats(tags::IMAGE_POSITION_PATIENT, p));
            put_items(&mut items[k], tags::PLANE_POSITION_SEQUENCE, vec![plane]);
        }),
        SegEdit::DropPerFrameItem(k) => edit_frame(obj, *k, |items, k| {
            items.remove(k);
        }),
        SegEdit::DropSegmentIdentification(k) => edit_frame(obj, *k, |items, k| {
            items[k].remove_element(tags::SEGMENT_IDENTIFICATION_SEQUENCE);
        }),
        SegEdit::Frames(v) => {
            obj.put(DataElement::new(
                tags::NUMBER_OF_FRAMES,
                VR::IS,
                PrimitiveValue::from(v.to_string()),
            ));
        }
        SegEdit::Rows(v) => {
            obj.put(us(tags::ROWS, *v));
        }
        SegEdit::Columns(v) => {
            obj.put(us(tags::COLUMNS, *v));
        }
        SegEdit::PixelSpacing(s) => {
            let mut shared = items_of(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
            let mut measures = InMemDicomObject::new_empty();
            measures.put(floats(tags::PIXEL_SPACING, s));
            measures.put(floats(tags::SLICE_THICKNESS, &[s[0]]));
            if shared.is_empty() {
                shared.push(InMemDicomObject::new_empty());
            }
            put_items(&mut shared[0], tags::PIXEL_MEASURES_SEQUENCE, vec![measures]);
            put_items(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, shared);
        }
        SegEdit::Orientation(o) => {
            let mut shared = items_of(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
            let mut plane = InMemDicomObject::new_empty();
            plane.put(floats(tags::IMAGE_ORIENTATION_PATIENT, o));
            if shared.is_empty() {
                shared.push(InMemDicomObject::new_empty());
            }
            put_items(&mut shared[0], tags::PLANE_ORIENTATION_SEQUENCE, vec![plane]);
            put_items(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, shared);
        }
        SegEdit::SegmentationType(t) => {
            obj.put(DataElement::new(
                tags::SEGMENTATION_TYPE,
                VR::CS,
                PrimitiveValue::from(*t),
            ));
        }
        SegEdit::BitsAllocated(v) => {
            obj.put(us(tags::BITS_ALLOCATED, *v));
        }
        SegEdit::DropSegmentSequence => {
            obj.remove_element(tags::SEGMENT_SEQUENCE);
        }
        SegEdit::PixelDataLength(n) => {
            obj.put(DataElement::new(
                tags::PIXEL_DATA,
                VR::OB,
                PrimitiveValue::from(vec![0xa5_u8; *n]),
            ));
        }
    }
}

#[test]
fn seg_frame_mapping_mutations_give_ok_or_a_clear_error() {
    let dir = temp_dir("seg");
    let k = AtomicUsize::new(0);
    for (seed, name) in [(21, "seg_two_segments"), (22, "seg_fractional")] {
        let path = repo_data(&format!("io/{name}.dcm"));
        let original = dicom_object::open_file(&path).unwrap();
        let grid = ImageGrid {
            geometry: Geometry::identity(),
            size_xyz: [8, 8, 4],
            series_uid: None,
            frame_of_reference_uid: None,
        };
        runner(128, seed)
            .run(&prop::collection::vec(seg_edit(), 1..4), |edits| {
                let mut obj = original.clone();
                for edit in &edits {
                    apply_seg_edit(&mut obj, edit);
                }
                let name = format!("seg{}.dcm", k.fetch_add(1, Ordering::Relaxed));
                let path = dir.join(&name);
                save(&obj, &path);
                for segment in [None, Some(SegmentId::Number(1)), Some(SegmentId::Number(2))] {
                    let select = SegSelect {
                        segment,
                        ..SegSelect::default()
                    };
                    for reference in [None, Some(&grid)] {
                        match read_seg(&path, &select, reference) {
                            Ok(labels) => {
                                let g = &labels.geometry;
                                prop_assert!(g.spacing.iter().all(|s| s.is_finite() && *s > 0.0), "{g:?}");
                            }
                            Err(e) => prop_assert!(e.to_string().contains(&name), "{e}"),
                        }
                    }
                }
                Ok(())
            })
            .unwrap();
    }
    assert_bounded();
}

/// Mutations of an RTSTRUCT's contours.
#[derive(Debug, Clone)]
enum ContourEdit {
    Data(usize, Vec<f64>),
    DeclaredPoints(usize, u32),
    GeometricType(usize, &'static str),
    ReferencedRoi(u32),
    DropContours,
    DropRoiSequence,
}

fn contour_edit() -> impl Strategy<Value = ContourEdit> {
    prop_oneof![
        (0_usize..8, prop::collection::vec(hostile_float(), 0..20))
            .prop_map(|(k, v)| ContourEdit::Data(k, v)),
        (0_usize..8, hostile_uint()).prop_map(|(k, v)| ContourEdit::DeclaredPoints(k, v)),
        (
            0_usize..8,
            prop::sample::select(vec![
                "CLOSED_PLANAR",
                "OPEN_PLANAR",
                "POINT",
                "CLOSED_PLANAR_XOR",
                ""
            ])
        )
            .prop_map(|(k, t)| ContourEdit::GeometricType(k, t)),
        hostile_uint().prop_map(ContourEdit::ReferencedRoi),
        Just(ContourEdit::DropContours),
        Just(ContourEdit::DropRoiSequence),
    ]
}

fn apply_contour_edit(obj: &mut DefaultDicomObject, edit: &ContourEdit) {
    let mut rois = items_of(obj, tags::ROI_CONTOUR_SEQUENCE);
    if rois.is_empty() {
        return;
    }
    let mut contours = items_of(&rois[0], tags::CONTOUR_SEQUENCE);
    let n = contours.len().max(1);
    match edit {
        ContourEdit::Data(k, v) => {
            if let Some(c) = contours.get_mut(k % n) {
                c.put(floats(tags::CONTOUR_DATA, v));
            }
        }
        ContourEdit::DeclaredPoints(k, v) => {
            if let Some(c) = contours.get_mut(k % n) {
                c.put(DataElement::new(
                    tags::NUMBER_OF_CONTOUR_POINTS,
                    VR::IS,
                    PrimitiveValue::from(v.to_string()),
                ));
            }
        }
        ContourEdit::GeometricType(k, t) => {
            if let Some(c) = contours.get_mut(k % n) {
                c.put(DataElement::new(
                    tags::CONTOUR_GEOMETRIC_TYPE,
                    VR::CS,
                    PrimitiveValue::from(*t),
                ));
            }
        }
        ContourEdit::ReferencedRoi(v) => {
            rois[0].put(DataElement::new(
                tags::REFERENCED_ROI_NUMBER,
                VR::IS,
                PrimitiveValue::from(v.to_string()),
            ));
        }
        ContourEdit::DropContours => contours.clear(),
        ContourEdit::DropRoiSequence => {
            obj.remove_element(tags::ROI_CONTOUR_SEQUENCE);
            return;
        }
    }
    put_items(&mut rois[0], tags::CONTOUR_SEQUENCE, contours);
    put_items(obj, tags::ROI_CONTOUR_SEQUENCE, rois);
}

#[test]
fn rtstruct_contour_mutations_give_ok_or_a_clear_error() {
    let dir = temp_dir("rtstruct");
    let original = dicom_object::open_file(repo_data("io/rs_synthetic.dcm")).unwrap();
    let grid = ImageGrid {
        geometry: Geometry {
            spacing: [0.5, 0.8, 2.0],
            origin: [-10.0, 20.0, 5.0],
            ..Geometry::identity()
        },
        size_xyz: [10, 10, 3],
        series_uid: None,
        frame_of_reference_uid: None,
    };
    let k = AtomicUsize::new(0);
    runner(256, 31)
        .run(&prop::collection::vec(contour_edit(), 1..4), |edits| {
            let mut obj = original.clone();
            for edit in &edits {
                apply_contour_edit(&mut obj, edit);
            }
            let name = format!("rs{}.dcm", k.fetch_add(1, Ordering::Relaxed));
            let path = dir.join(&name);
            save(&obj, &path);
            for roi in ["ring", "absent"] {
                if let Err(e) = read_rtstruct(&path, roi, &grid) {
                    prop_assert!(e.to_string().contains(&name), "{e}");
                }
            }
            // Contours in NaN-free coordinates on a grid of hostile geometry.
            let mut hostile = grid.clone();
            hostile.geometry.spacing = [0.0, f64::NAN, -1.0];
            let _ = read_rtstruct(&path, "ring", &hostile);
            Ok(())
        })
        .unwrap();
    assert_bounded();
}
