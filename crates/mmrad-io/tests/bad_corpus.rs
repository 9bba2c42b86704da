//! The bad-image corpus `tests/data/bad/images/` and its `cases.tsv` (read by the end-to-end CLI harness): this test
//! builds every file from small valid sources (in-code NRRD/NIfTI, `pydicom/MR_small.dcm`, `tests/data/io` SEG and
//! RTSTRUCT fixtures) by one named mutation each, checks that the committed corpus is exactly what it builds, and that
//! the library refuses every file with an error naming it.
//!
//! Regenerate after changing a case: `MMRAD_REGENERATE_BAD_CORPUS=1 cargo test -p mmrad-io --test bad_corpus`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject, Tag};
use mmrad_core::{Geometry, LabelMap, Volume};
use mmrad_io::dicom::{SegSelect, SegmentId, read_seg};
use mmrad_testkit::{repo_data, shared, workspace_root};

/// One CLI case: `id`, expected exit code, a substring stderr must contain, and the `mmrad` arguments (`{dir}` is the
/// corpus folder, `{out}` a fresh temp folder).
struct Case {
    id: &'static str,
    must_contain: String,
    args: Vec<String>,
}

#[derive(Default)]
struct Corpus {
    files: BTreeMap<String, Vec<u8>>,
    cases: Vec<Case>,
}

impl Corpus {
    fn file(&mut self, name: &str, bytes: Vec<u8>) {
        assert!(
            self.files.insert(name.to_string(), bytes).is_none(),
            "{name} twice"
        );
    }

    fn case(&mut self, id: &'static str, must_contain: impl Into<String>, args: &[&str]) {
        let must_contain = must_contain.into();
        assert!(!must_contain.contains('\t') && !must_contain.is_empty(), "{id}");
        self.cases.push(Case {
            id,
            must_contain,
            args: args.iter().map(|a| a.to_string()).collect(),
        });
    }
}

// ---------------------------------------------------------------- sources

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn nrrd(fields: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut out = b"NRRD0004\n".to_vec();
    for (key, value) in fields {
        out.extend_from_slice(format!("{key}: {value}\n").as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(payload);
    out
}

/// The fields of the valid 8 × 8 × 4 image, with `changes` applied (a key replaced, or added when new; an empty
/// value removes the key).
fn image_fields<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("type", "short"),
        ("dimension", "3"),
        ("space", "left-posterior-superior"),
        ("sizes", "8 8 4"),
        ("space directions", "(0.7,0,0) (0,0.7,0) (0,0,2.5)"),
        ("endian", "little"),
        ("encoding", "raw"),
        ("space origin", "(-12.5,30,4)"),
    ];
    for &(key, value) in changes {
        match fields.iter().position(|(k, _)| *k == key) {
            Some(i) if value.is_empty() => {
                fields.remove(i);
            }
            Some(i) => fields[i].1 = value,
            None => fields.push((key, value)),
        }
    }
    fields
}

fn image_payload() -> Vec<u8> {
    (0..256_i16)
        .flat_map(|v| ((v * 53) % 997 - 400).to_le_bytes())
        .collect()
}

fn mask_payload() -> Vec<u8> {
    let mut out = vec![0_u8; 256];
    for z in 1..3 {
        for y in 2..6 {
            for x in 2..6 {
                out[z * 64 + y * 8 + x] = 1;
            }
        }
    }
    out
}

fn mask_fields<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = image_fields(changes);
    if !changes.iter().any(|(k, _)| *k == "type") {
        fields[0].1 = "uchar";
    }
    fields
}

fn small_volume() -> Volume {
    let data = ndarray::Array3::from_shape_fn((4, 8, 8), |(z, y, x)| {
        ((z * 64 + y * 8 + x) * 53 % 997) as f64 - 400.0
    });
    Volume::new(
        data,
        Geometry {
            spacing: [0.7, 0.7, 2.5],
            origin: [-12.5, 30.0, 4.0],
            ..Geometry::identity()
        },
    )
}

/// Bytes of a file written by one of the crate's writers (through a temp file).
fn written(name: &str, write: impl FnOnce(&Path)) -> Vec<u8> {
    // One folder per call: the tests of this file build the corpus in parallel.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mmrad-bad-corpus-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    write(&path);
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir(&dir);
    bytes
}

fn nifti_bytes() -> Vec<u8> {
    written("v.nii", |p| {
        mmrad_io::write_volume_nifti(&small_volume(), p).unwrap()
    })
}

fn set_i16(bytes: &mut [u8], at: usize, v: i16) {
    bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn set_f32(bytes: &mut [u8], at: usize, v: f32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn dicom_bytes(obj: &DefaultDicomObject) -> Vec<u8> {
    let mut out = Vec::new();
    obj.write_all(&mut out).unwrap();
    out
}

fn mr_small() -> DefaultDicomObject {
    dicom_object::open_file(shared("pydicom/MR_small.dcm")).unwrap()
}

fn with(mut obj: DefaultDicomObject, elements: Vec<dicom_object::mem::InMemElement>) -> DefaultDicomObject {
    for e in elements {
        obj.put(e);
    }
    obj
}

fn us(tag: Tag, v: u16) -> dicom_object::mem::InMemElement {
    DataElement::new(tag, VR::US, PrimitiveValue::from(v))
}

fn ds(tag: Tag, v: &str) -> dicom_object::mem::InMemElement {
    DataElement::new(tag, VR::DS, PrimitiveValue::from(v))
}

fn is(tag: Tag, v: &str) -> dicom_object::mem::InMemElement {
    DataElement::new(tag, VR::IS, PrimitiveValue::from(v))
}

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

/// The offset of the (last) Pixel Data tag in explicit little endian bytes.
fn pixel_data_at(bytes: &[u8]) -> usize {
    bytes
        .windows(4)
        .rposition(|w| w == [0xe0, 0x7f, 0x10, 0x00])
        .unwrap()
}

// ---------------------------------------------------------------- the corpus

fn build() -> Corpus {
    let mut c = Corpus::default();
    let image = image_payload();
    let mask = mask_payload();
    c.file("image.nrrd", nrrd(&image_fields(&[]), &image));
    c.file("mask.nrrd", nrrd(&mask_fields(&[]), &mask));

    // NRRD images, read by `mmrad extract IMAGE MASK`.
    let extract = |c: &mut Corpus, id: &'static str, name: &str, bytes: Vec<u8>, wanted: &str| {
        c.file(name, bytes);
        let image = format!("{{dir}}/{name}");
        c.case(id, wanted, &["extract", &image, "{dir}/mask.nrrd"]);
    };
    let full = nrrd(&image_fields(&[]), &image);
    extract(
        &mut c,
        "nrrd_truncated_raw",
        "nrrd_truncated_raw.nrrd",
        full[..full.len() - 100].to_vec(),
        "nrrd_truncated_raw.nrrd`: expected 512 bytes, found 412",
    );
    let packed = nrrd(&image_fields(&[("encoding", "gzip")]), &gzip(&image));
    let cut = packed.len() - 40;
    extract(
        &mut c,
        "nrrd_truncated_gzip",
        "nrrd_truncated_gzip.nrrd",
        packed[..cut].to_vec(),
        "nrrd_truncated_gzip.nrrd`: gzip data:",
    );
    extract(
        &mut c,
        "nrrd_huge_sizes",
        "nrrd_huge_sizes.nrrd",
        nrrd(&image_fields(&[("sizes", "100000 100000 100000")]), &image),
        "nrrd_huge_sizes.nrrd` declares NRRD `sizes` × `type`",
    );
    extract(
        &mut c,
        "nrrd_overflow_sizes",
        "nrrd_overflow_sizes.nrrd",
        nrrd(
            &image_fields(&[("sizes", "4294967296 4294967296 4294967296")]),
            &image,
        ),
        "product overflows 64 bits",
    );
    extract(
        &mut c,
        "nrrd_zero_size",
        "nrrd_zero_size.nrrd",
        nrrd(&image_fields(&[("sizes", "8 0 4")]), &image),
        "nrrd_zero_size.nrrd`: sizes `8 0 4`: expected positive integers",
    );
    extract(
        &mut c,
        "nrrd_negative_size",
        "nrrd_negative_size.nrrd",
        nrrd(&image_fields(&[("sizes", "8 -8 4")]), &image),
        "nrrd_negative_size.nrrd`: sizes `8 -8 4`: expected positive integers",
    );
    extract(
        &mut c,
        "nrrd_dimension_mismatch",
        "nrrd_dimension_mismatch.nrrd",
        nrrd(&image_fields(&[("dimension", "2")]), &image),
        "nrrd_dimension_mismatch.nrrd`: dimension 2 but 3 sizes",
    );
    extract(
        &mut c,
        "nrrd_nan_spacing",
        "nrrd_nan_spacing.nrrd",
        nrrd(
            &image_fields(&[("space directions", ""), ("spacings", "0.7 nan 2.5")]),
            &image,
        ),
        "nrrd_nan_spacing.nrrd`: `spacings` of axis 1 is `NaN`",
    );
    extract(
        &mut c,
        "nrrd_zero_spacing",
        "nrrd_zero_spacing.nrrd",
        nrrd(
            &image_fields(&[("space directions", ""), ("spacings", "0.7 0.7 0")]),
            &image,
        ),
        "nrrd_zero_spacing.nrrd`: `spacings` of axis 2 is `0`",
    );
    extract(
        &mut c,
        "nrrd_negative_spacing",
        "nrrd_negative_spacing.nrrd",
        nrrd(
            &image_fields(&[("space directions", ""), ("spacings", "-0.7 0.7 2.5")]),
            &image,
        ),
        "nrrd_negative_spacing.nrrd`: `spacings` of axis 0 is `-0.7`",
    );
    extract(
        &mut c,
        "nrrd_zero_direction",
        "nrrd_zero_direction.nrrd",
        nrrd(
            &image_fields(&[("space directions", "(0.7,0,0) (0,0,0) (0,0,2.5)")]),
            &image,
        ),
        "nrrd_zero_direction.nrrd`: space direction of axis 1 has length 0",
    );
    extract(
        &mut c,
        "nrrd_nan_direction",
        "nrrd_nan_direction.nrrd",
        nrrd(
            &image_fields(&[("space directions", "(0.7,0,0) (0,0.7,0) (0,nan,2.5)")]),
            &image,
        ),
        "nrrd_nan_direction.nrrd`: space direction of axis 2 has length NaN",
    );
    extract(
        &mut c,
        "nrrd_nan_origin",
        "nrrd_nan_origin.nrrd",
        nrrd(&image_fields(&[("space origin", "(-12.5,nan,4)")]), &image),
        "gives a non-finite origin",
    );
    extract(
        &mut c,
        "nrrd_bad_encoding",
        "nrrd_bad_encoding.nrrd",
        nrrd(&image_fields(&[("encoding", "bzip2")]), &image),
        "unsupported NRRD encoding `bzip2`",
    );
    extract(
        &mut c,
        "nrrd_bad_type",
        "nrrd_bad_type.nrrd",
        nrrd(&image_fields(&[("type", "block")]), &image),
        "unsupported NRRD type `block`",
    );
    extract(
        &mut c,
        "nrrd_gzip_bomb",
        "nrrd_gzip_bomb.nrrd",
        nrrd(
            &image_fields(&[
                ("sizes", "1000 1000 1000"),
                ("type", "uchar"),
                ("encoding", "gzip"),
            ]),
            &gzip(&[0; 64]),
        ),
        "can inflate to at most",
    );
    let mut no_blank = nrrd(&image_fields(&[]), &[]);
    no_blank.pop();
    extract(
        &mut c,
        "nrrd_no_blank_line",
        "nrrd_no_blank_line.nrrd",
        no_blank,
        "nrrd_no_blank_line.nrrd`: header is not followed by a blank line and data",
    );
    extract(
        &mut c,
        "nrrd_not_nrrd",
        "nrrd_not_nrrd.nrrd",
        b"P5\n8 8\n255\n".to_vec(),
        "nrrd_not_nrrd.nrrd`: missing `NRRD000x` magic",
    );
    extract(
        &mut c,
        "nrrd_empty",
        "nrrd_empty.nrrd",
        Vec::new(),
        "nrrd_empty.nrrd`: missing `NRRD000x` magic",
    );
    extract(
        &mut c,
        "nrrd_4d",
        "nrrd_4d.nrrd",
        nrrd(
            &image_fields(&[
                ("dimension", "4"),
                ("sizes", "8 8 4 2"),
                ("space directions", "(0.7,0,0) (0,0.7,0) (0,0,2.5) none"),
            ]),
            &[image.clone(), image.clone()].concat(),
        ),
        "unsupported 4D NRRD size",
    );
    extract(
        &mut c,
        "nrrd_detached_missing",
        "nrrd_detached_missing.nhdr",
        nrrd(&image_fields(&[("data file", "nrrd_detached_missing.raw")]), &[]),
        "nrrd_detached_missing.raw",
    );
    extract(
        &mut c,
        "nrrd_ascii_bad_value",
        "nrrd_ascii_bad_value.nrrd",
        nrrd(
            &image_fields(&[("encoding", "ascii"), ("sizes", "2 2 1")]),
            b"1 2 abc 4\n",
        ),
        "nrrd_ascii_bad_value.nrrd`: ascii value `abc`",
    );
    extract(
        &mut c,
        "nrrd_huge_line_skip",
        "nrrd_huge_line_skip.nrrd",
        nrrd(&image_fields(&[("line skip", "1000000000000000000")]), &image),
        "nrrd_huge_line_skip.nrrd`: expected 512 bytes, found 0",
    );
    extract(
        &mut c,
        "nrrd_negative_byte_skip",
        "nrrd_negative_byte_skip.nrrd",
        nrrd(&image_fields(&[("byte skip", "-5")]), &image),
        "byte skip `-5`: expected -1 or a byte count",
    );

    // Label maps, read by `mmrad extract IMAGE MASK`.
    let extract_mask = |c: &mut Corpus, id: &'static str, name: &str, bytes: Vec<u8>, wanted: &str| {
        c.file(name, bytes);
        let mask = format!("{{dir}}/{name}");
        c.case(id, wanted, &["extract", "{dir}/image.nrrd", &mask]);
    };
    let half: Vec<u8> = mask
        .iter()
        .flat_map(|&v| (f32::from(v) * 0.5).to_le_bytes())
        .collect();
    extract_mask(
        &mut c,
        "mask_float_label",
        "mask_float_label.nrrd",
        nrrd(&mask_fields(&[("type", "float")]), &half),
        "mask_float_label.nrrd` holds a non-integer value `0.5`",
    );
    let bigger: Vec<u8> = [mask.clone(), vec![0; 64]].concat();
    extract_mask(
        &mut c,
        "mask_other_size",
        "mask_other_size.nrrd",
        nrrd(&mask_fields(&[("sizes", "8 8 5")]), &bigger),
        "mask and image grids differ in size",
    );
    extract_mask(
        &mut c,
        "mask_other_spacing",
        "mask_other_spacing.nrrd",
        nrrd(
            &mask_fields(&[("space directions", "(0.7,0,0) (0,0.7,0) (0,0,3)")]),
            &mask,
        ),
        "mask and image grids differ in spacing",
    );
    extract_mask(
        &mut c,
        "mask_other_origin",
        "mask_other_origin.nrrd",
        nrrd(&mask_fields(&[("space origin", "(-12.5,30,9)")]), &mask),
        "mask and image grids differ in origin",
    );
    extract_mask(
        &mut c,
        "mask_truncated",
        "mask_truncated.nrrd",
        nrrd(&mask_fields(&[]), &mask[..200]),
        "mask_truncated.nrrd`: expected 256 bytes, found 200",
    );
    extract_mask(
        &mut c,
        "mask_empty_roi",
        "mask_empty_roi.nrrd",
        nrrd(&mask_fields(&[]), &[0; 256]),
        "mask_empty_roi.nrrd",
    );

    // NIfTI, read by `mmrad convert IMAGE OUT`.
    let nifti = nifti_bytes();
    let convert = |c: &mut Corpus, id: &'static str, name: &str, bytes: Vec<u8>, wanted: &str| {
        c.file(name, bytes);
        let input = format!("{{dir}}/{name}");
        c.case(id, wanted, &["convert", &input, "{out}/converted.nrrd"]);
    };
    let nifti_edit = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut b = nifti.clone();
        edit(&mut b);
        b
    };
    convert(
        &mut c,
        "nii_truncated",
        "nii_truncated.nii",
        nifti[..nifti.len() - 300].to_vec(),
        "nii_truncated.nii`: expected 2048 bytes, found 1748",
    );
    convert(
        &mut c,
        "nii_header_only",
        "nii_header_only.nii",
        nifti[..200].to_vec(),
        "nii_header_only.nii`: expected 348 bytes, found 200",
    );
    let packed = gzip(&nifti);
    convert(
        &mut c,
        "nii_gz_truncated",
        "nii_gz_truncated.nii.gz",
        packed[..packed.len() / 2].to_vec(),
        "nii_gz_truncated.nii.gz`: incomplete deflate stream; the file is truncated",
    );
    convert(
        &mut c,
        "nii_huge_dims",
        "nii_huge_dims.nii",
        nifti_edit(&|b| (1..4).for_each(|k| set_i16(b, 40 + 2 * k, 30000))),
        "nii_huge_dims.nii` declares NIfTI `dim` × `datatype`",
    );
    convert(
        &mut c,
        "nii_gz_bomb",
        "nii_gz_bomb.nii.gz",
        gzip(&nifti_edit(&|b| {
            (1..4).for_each(|k| set_i16(b, 40 + 2 * k, 1000))
        })),
        "can inflate to at most",
    );
    convert(
        &mut c,
        "nii_zero_dim",
        "nii_zero_dim.nii",
        nifti_edit(&|b| set_i16(b, 44, 0)),
        "nii_zero_dim.nii`: NIfTI `dim[2]` is 0",
    );
    convert(
        &mut c,
        "nii_negative_dim",
        "nii_negative_dim.nii",
        nifti_edit(&|b| set_i16(b, 42, -8)),
        "nii_negative_dim.nii`: NIfTI `dim[1]` is -8",
    );
    convert(
        &mut c,
        "nii_bad_dim0",
        "nii_bad_dim0.nii",
        nifti_edit(&|b| set_i16(b, 40, 12)),
        "nii_bad_dim0.nii`: NIfTI `dim[0]` is 12",
    );
    convert(
        &mut c,
        "nii_nan_pixdim",
        "nii_nan_pixdim.nii",
        nifti_edit(&|b| set_f32(b, 84, f32::NAN)),
        "nii_nan_pixdim.nii`: NIfTI `pixdim[2]` is NaN",
    );
    convert(
        &mut c,
        "nii_zero_pixdim",
        "nii_zero_pixdim.nii",
        nifti_edit(&|b| set_f32(b, 88, 0.0)),
        "nii_zero_pixdim.nii`: NIfTI `pixdim[3]` is 0",
    );
    convert(
        &mut c,
        "nii_nan_vox_offset",
        "nii_nan_vox_offset.nii",
        nifti_edit(&|b| set_f32(b, 108, f32::NAN)),
        "nii_nan_vox_offset.nii`: NIfTI `vox_offset` is NaN",
    );
    convert(
        &mut c,
        "nii_far_vox_offset",
        "nii_far_vox_offset.nii",
        nifti_edit(&|b| set_f32(b, 108, 1.0e9)),
        "nii_far_vox_offset.nii`: expected 2048 bytes, found 0",
    );
    convert(
        &mut c,
        "nii_bitpix_mismatch",
        "nii_bitpix_mismatch.nii",
        nifti_edit(&|b| set_i16(b, 72, 1)),
        "nii_bitpix_mismatch.nii`: NIfTI `bitpix` is 1",
    );
    convert(
        &mut c,
        "nii_nan_qform",
        "nii_nan_qform.nii",
        nifti_edit(&|b| {
            set_i16(b, 252, 1);
            set_i16(b, 254, 0);
            set_f32(b, 268, f32::NAN);
        }),
        "gives a non-finite origin",
    );
    convert(
        &mut c,
        "nii_bad_datatype",
        "nii_bad_datatype.nii",
        nifti_edit(&|b| set_i16(b, 70, 17)),
        "nii_bad_datatype.nii",
    );
    convert(
        &mut c,
        "nii_not_nifti",
        "nii_not_nifti.nii",
        vec![b'x'; 400],
        "nii_not_nifti.nii",
    );

    // DICOM images, read by `mmrad dicom read` / `mmrad dicom info` / `mmrad convert`.
    let dicom_read =
        |c: &mut Corpus, id: &'static str, name: &str, bytes: Vec<u8>, wanted: &str, command: &str| {
            c.file(name, bytes);
            let input = format!("{{dir}}/{name}");
            match command {
                "convert" => c.case(id, wanted, &["convert", &input, "{out}/converted.nrrd"]),
                other => c.case(id, wanted, &["dicom", other, &input]),
            }
        };
    let original = dicom_bytes(&mr_small());
    let pixel = pixel_data_at(&original);
    dicom_read(
        &mut c,
        "dcm_truncated_header",
        "dcm_truncated_header.dcm",
        original[..400].to_vec(),
        "dcm_truncated_header.dcm",
        "info",
    );
    dicom_read(
        &mut c,
        "dcm_truncated_pixels",
        "dcm_truncated_pixels.dcm",
        original[..original.len() - 1000].to_vec(),
        "(7FE0,0010) declares a length of 8192 bytes but only 7330 bytes remain",
        "read",
    );
    let mut bad_length = original.clone();
    bad_length[pixel + 8..pixel + 12].copy_from_slice(&0xfff0_0000_u32.to_le_bytes());
    dicom_read(
        &mut c,
        "dcm_bad_length",
        "dcm_bad_length.dcm",
        bad_length,
        "(7FE0,0010) declares a length of 4293918720 bytes",
        "convert",
    );
    let mut unknown_vr = original.clone();
    let rows_at = original
        .windows(6)
        .position(|w| w == [0x28, 0x00, 0x10, 0x00, b'U', b'S'])
        .unwrap();
    unknown_vr[rows_at + 4..rows_at + 6].copy_from_slice(b"\x01S");
    dicom_read(
        &mut c,
        "dcm_unknown_vr",
        "dcm_unknown_vr.dcm",
        unknown_vr,
        "(0028,0010) declares a length",
        "read",
    );
    dicom_read(
        &mut c,
        "dcm_empty",
        "dcm_empty.dcm",
        Vec::new(),
        "dcm_empty.dcm",
        "read",
    );
    dicom_read(
        &mut c,
        "dcm_not_dicom",
        "dcm_not_dicom.dcm",
        b"this is not a DICOM file\n".to_vec(),
        "dcm_not_dicom.dcm",
        "info",
    );
    dicom_read(
        &mut c,
        "dcm_huge_frames",
        "dcm_huge_frames.dcm",
        dicom_bytes(&with(mr_small(), vec![is(tags::NUMBER_OF_FRAMES, "100000")])),
        "dcm_huge_frames.dcm`: expected 819200000 bytes, found 8192",
        "read",
    );
    dicom_read(
        &mut c,
        "dcm_huge_rows",
        "dcm_huge_rows.dcm",
        dicom_bytes(&with(
            mr_small(),
            vec![
                us(tags::ROWS, 65535),
                us(tags::COLUMNS, 65535),
                is(tags::NUMBER_OF_FRAMES, "65535"),
            ],
        )),
        "dcm_huge_rows.dcm` declares NumberOfFrames (0028,0008) × Rows (0028,0010)",
        "read",
    );
    dicom_read(
        &mut c,
        "dcm_zero_rows",
        "dcm_zero_rows.dcm",
        dicom_bytes(&with(mr_small(), vec![us(tags::ROWS, 0)])),
        "missing or zero Rows/Columns",
        "read",
    );
    dicom_read(
        &mut c,
        "dcm_bits_allocated",
        "dcm_bits_allocated.dcm",
        dicom_bytes(&with(mr_small(), vec![us(tags::BITS_ALLOCATED, 12)])),
        "unsupported BitsAllocated `12`",
        "read",
    );
    dicom_read(
        &mut c,
        "dcm_nan_spacing",
        "dcm_nan_spacing.dcm",
        dicom_bytes(&with(mr_small(), vec![ds(tags::PIXEL_SPACING, "NaN\\0.5")])),
        "dcm_nan_spacing.dcm`: PixelSpacing (0028,0030) is `NaN",
        "read",
    );
    dicom_read(
        &mut c,
        "dcm_nan_rescale",
        "dcm_nan_rescale.dcm",
        dicom_bytes(&with(mr_small(), vec![ds(tags::RESCALE_SLOPE, "NaN")])),
        "dcm_nan_rescale.dcm`: RescaleSlope (0028,1053) is `NaN`",
        "convert",
    );
    dicom_read(
        &mut c,
        "dcm_negative_spacing",
        "dcm_negative_spacing.dcm",
        dicom_bytes(&with(mr_small(), vec![ds(tags::PIXEL_SPACING, "-0.5\\0.5")])),
        "PixelSpacing (0028,0030) is [-0.5, 0.5]",
        "convert",
    );
    dicom_read(
        &mut c,
        "dcm_nan_position",
        "dcm_nan_position.dcm",
        dicom_bytes(&with(
            mr_small(),
            vec![ds(tags::IMAGE_POSITION_PATIENT, "0\\NaN\\0")],
        )),
        "dcm_nan_position.dcm`: ImagePositionPatient (0020,0032) is",
        "read",
    );
    dicom_read(
        &mut c,
        "dcm_zero_orientation",
        "dcm_zero_orientation.dcm",
        dicom_bytes(&with(
            mr_small(),
            vec![ds(tags::IMAGE_ORIENTATION_PATIENT, "0\\0\\0\\0\\0\\0")],
        )),
        "dcm_zero_orientation.dcm",
        "read",
    );
    dicom_read(
        &mut c,
        "dcm_no_pixel_data",
        "dcm_no_pixel_data.dcm",
        {
            let mut obj = mr_small();
            obj.remove_element(tags::PIXEL_DATA);
            dicom_bytes(&obj)
        },
        "no Pixel Data (7FE0,0010)",
        "read",
    );
    let mut unknown_ts = original.clone();
    let ts_at = original
        .windows(20)
        .position(|w| w == b"1.2.840.10008.1.2.1\0")
        .unwrap();
    unknown_ts[ts_at..ts_at + 20].copy_from_slice(b"1.2.840.10008.1.2.98");
    dicom_read(
        &mut c,
        "dcm_unknown_transfer_syntax",
        "dcm_unknown_transfer_syntax.dcm",
        unknown_ts,
        "dcm_unknown_transfer_syntax.dcm",
        "read",
    );
    let mut rle = std::fs::read(shared("pydicom/MR_small_RLE.dcm")).unwrap();
    let rle_pixel = pixel_data_at(&rle);
    for byte in rle.iter_mut().skip(rle_pixel + 40).take(64) {
        *byte = 0xff;
    }
    dicom_read(
        &mut c,
        "dcm_rle_corrupt",
        "dcm_rle_corrupt.dcm",
        rle,
        "dcm_rle_corrupt.dcm",
        "read",
    );
    // A folder holding two series, and a series whose slices disagree in size.
    let series = |uid: &str, position: &str, rows: u16| {
        dicom_bytes(&with(
            mr_small(),
            vec![
                DataElement::new(tags::SERIES_INSTANCE_UID, VR::UI, PrimitiveValue::from(uid)),
                DataElement::new(
                    tags::SOP_INSTANCE_UID,
                    VR::UI,
                    PrimitiveValue::from(format!("{uid}.{rows}.{}", position.len())),
                ),
                ds(tags::IMAGE_POSITION_PATIENT, position),
                us(tags::ROWS, rows),
            ],
        ))
    };
    c.file("dcm_two_series/a.dcm", series("1.2.3.4.1", "0\\0\\0", 64));
    c.file("dcm_two_series/b.dcm", series("1.2.3.4.2", "0\\0\\5", 64));
    c.case(
        "dcm_two_series",
        "dcm_two_series` holds 2 DICOM series",
        &["dicom", "read", "{dir}/dcm_two_series"],
    );
    c.file("dcm_mixed_sizes/a.dcm", series("1.2.3.4.1", "0\\0\\0", 64));
    c.file("dcm_mixed_sizes/b.dcm", series("1.2.3.4.1", "0\\0\\5", 32));
    c.case(
        "dcm_mixed_sizes",
        "dcm_mixed_sizes",
        &["dicom", "read", "{dir}/dcm_mixed_sizes"],
    );

    // DICOM SEG, read by `mmrad convert --seg SEG --segment 1 --image seg_image.nrrd OUT`.
    let seg_path = repo_data("io/seg_two_segments.dcm");
    let segment_one = SegSelect {
        segment: Some(SegmentId::Number(1)),
        ..SegSelect::default()
    };
    let labels: LabelMap = read_seg(&seg_path, &segment_one, None).unwrap();
    let seg_image = Volume::new(labels.data.mapv(|v| v as f64), labels.geometry.clone());
    c.file(
        "seg_image.nrrd",
        written("s.nrrd", |p| mmrad_io::write_volume_nrrd(&seg_image, p).unwrap()),
    );
    let seg = || dicom_object::open_file(&seg_path).unwrap();
    let seg_case = |c: &mut Corpus, id: &'static str, name: &str, bytes: Vec<u8>, wanted: &str| {
        c.file(name, bytes);
        let input = format!("{{dir}}/{name}");
        c.case(
            id,
            wanted,
            &[
                "convert",
                "--seg",
                &input,
                "--segment",
                "1",
                "--image",
                "{dir}/seg_image.nrrd",
                "{out}/mask.nrrd",
            ],
        );
    };
    let per_frame = |edit: &dyn Fn(&mut Vec<InMemDicomObject>)| {
        let mut obj = seg();
        let mut items = items_of(&obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
        edit(&mut items);
        put_items(&mut obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, items);
        dicom_bytes(&obj)
    };
    let seg_bytes = std::fs::read(&seg_path).unwrap();
    seg_case(
        &mut c,
        "seg_truncated",
        "seg_truncated.dcm",
        seg_bytes[..seg_bytes.len() - 30].to_vec(),
        "seg_truncated.dcm",
    );
    seg_case(
        &mut c,
        "seg_frame_count",
        "seg_frame_count.dcm",
        dicom_bytes(&with(seg(), vec![is(tags::NUMBER_OF_FRAMES, "99")])),
        "has 6 items for NumberOfFrames (0028,0008) 99",
    );
    seg_case(
        &mut c,
        "seg_huge_frames",
        "seg_huge_frames.dcm",
        dicom_bytes(&with(seg(), vec![is(tags::NUMBER_OF_FRAMES, "2000000000")])),
        "seg_huge_frames.dcm",
    );
    seg_case(
        &mut c,
        "seg_unknown_segment_number",
        "seg_unknown_segment_number.dcm",
        per_frame(&|items| {
            for item in items.iter_mut() {
                let mut ident = InMemDicomObject::new_empty();
                ident.put(us(tags::REFERENCED_SEGMENT_NUMBER, 7));
                put_items(item, tags::SEGMENT_IDENTIFICATION_SEQUENCE, vec![ident]);
            }
        }),
        "references segment 7 (ReferencedSegmentNumber (0062,000B)), which the SegmentSequence",
    );
    seg_case(
        &mut c,
        "seg_missing_segment_reference",
        "seg_missing_segment_reference.dcm",
        per_frame(&|items| {
            items[2].remove_element(tags::SEGMENT_IDENTIFICATION_SEQUENCE);
        }),
        "frame 2 has no SegmentIdentificationSequence (0062,000A)",
    );
    seg_case(
        &mut c,
        "seg_missing_position",
        "seg_missing_position.dcm",
        per_frame(&|items| {
            items[1].remove_element(tags::PLANE_POSITION_SEQUENCE);
        }),
        "frame 1 has no PlanePositionSequence (0020,9113)",
    );
    let position = |p: &'static str| {
        move |items: &mut Vec<InMemDicomObject>| {
            for item in items.iter_mut() {
                let mut plane = InMemDicomObject::new_empty();
                plane.put(ds(tags::IMAGE_POSITION_PATIENT, p));
                put_items(item, tags::PLANE_POSITION_SEQUENCE, vec![plane]);
            }
        }
    };
    seg_case(
        &mut c,
        "seg_nan_position",
        "seg_nan_position.dcm",
        per_frame(&position("NaN\\0\\0")),
        "seg_nan_position.dcm",
    );
    seg_case(
        &mut c,
        "seg_far_position",
        "seg_far_position.dcm",
        per_frame(&position("1e12\\0\\0")),
        "lies between voxels of the image grid",
    );
    c.file(
        "seg_one_far_frame.dcm",
        per_frame(&|items| {
            let mut plane = InMemDicomObject::new_empty();
            plane.put(ds(tags::IMAGE_POSITION_PATIENT, "0\\0\\1e9"));
            put_items(&mut items[3], tags::PLANE_POSITION_SEQUENCE, vec![plane]);
        }),
    );
    c.case(
        "seg_one_far_frame",
        "span an implausible grid",
        &[
            "convert",
            "--seg",
            "{dir}/seg_one_far_frame.dcm",
            "--segment",
            "1",
            "{out}/mask.nrrd",
        ],
    );
    seg_case(
        &mut c,
        "seg_zero_spacing",
        "seg_zero_spacing.dcm",
        {
            let mut obj = seg();
            let mut shared_groups = items_of(&obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
            let mut measures = InMemDicomObject::new_empty();
            measures.put(ds(tags::PIXEL_SPACING, "0\\0"));
            measures.put(ds(tags::SLICE_THICKNESS, "1"));
            put_items(
                &mut shared_groups[0],
                tags::PIXEL_MEASURES_SEQUENCE,
                vec![measures],
            );
            put_items(&mut obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, shared_groups);
            dicom_bytes(&obj)
        },
        "has no positive PixelMeasuresSequence (0028,9110)",
    );
    seg_case(
        &mut c,
        "seg_short_pixel_data",
        "seg_short_pixel_data.dcm",
        dicom_bytes(&with(
            seg(),
            vec![DataElement::new(
                tags::PIXEL_DATA,
                VR::OB,
                PrimitiveValue::from(vec![0xff_u8; 4]),
            )],
        )),
        "seg_short_pixel_data.dcm",
    );
    seg_case(
        &mut c,
        "seg_not_a_seg",
        "seg_not_a_seg.dcm",
        original.clone(),
        "seg_not_a_seg.dcm",
    );
    c.file("seg_valid.dcm", seg_bytes.clone());
    c.case(
        "seg_absent_segment",
        "has no segment with SegmentLabel (0062,0005) `Liver`",
        &[
            "convert",
            "--seg",
            "{dir}/seg_valid.dcm",
            "--segment",
            "Liver",
            "--image",
            "{dir}/seg_image.nrrd",
            "{out}/mask.nrrd",
        ],
    );

    // RTSTRUCT, read by `mmrad convert --rtstruct RS --roi ring --image rs_image.nrrd OUT`.
    let rs_image = Volume::new(
        ndarray::Array3::zeros((3, 10, 10)),
        Geometry {
            spacing: [0.5, 0.8, 2.0],
            origin: [-10.0, 20.0, 5.0],
            ..Geometry::identity()
        },
    );
    c.file(
        "rs_image.nrrd",
        written("r.nrrd", |p| mmrad_io::write_volume_nrrd(&rs_image, p).unwrap()),
    );
    let rs_path = repo_data("io/rs_synthetic.dcm");
    let rs = || dicom_object::open_file(&rs_path).unwrap();
    let rs_case = |c: &mut Corpus, id: &'static str, name: &str, bytes: Vec<u8>, wanted: &str| {
        c.file(name, bytes);
        let input = format!("{{dir}}/{name}");
        c.case(
            id,
            wanted,
            &[
                "convert",
                "--rtstruct",
                &input,
                "--roi",
                "ring",
                "--image",
                "{dir}/rs_image.nrrd",
                "{out}/mask.nrrd",
            ],
        );
    };
    let contour = |edit: &dyn Fn(&mut InMemDicomObject)| {
        let mut obj = rs();
        let mut rois = items_of(&obj, tags::ROI_CONTOUR_SEQUENCE);
        let mut contours = items_of(&rois[0], tags::CONTOUR_SEQUENCE);
        edit(&mut contours[0]);
        put_items(&mut rois[0], tags::CONTOUR_SEQUENCE, contours);
        put_items(&mut obj, tags::ROI_CONTOUR_SEQUENCE, rois);
        dicom_bytes(&obj)
    };
    let rs_bytes = std::fs::read(&rs_path).unwrap();
    rs_case(
        &mut c,
        "rs_truncated",
        "rs_truncated.dcm",
        rs_bytes[..rs_bytes.len() / 2].to_vec(),
        "rs_truncated.dcm",
    );
    rs_case(
        &mut c,
        "rs_odd_points",
        "rs_odd_points.dcm",
        contour(&|item| {
            item.put(ds(tags::CONTOUR_DATA, "-9\\21\\5\\-8\\21\\5\\-8"));
        }),
        "ContourData (3006,0050) holds 7 values",
    );
    rs_case(
        &mut c,
        "rs_nan_points",
        "rs_nan_points.dcm",
        contour(&|item| {
            item.put(ds(tags::CONTOUR_DATA, "-9\\21\\5\\-8\\NaN\\5\\-8\\22\\5"));
        }),
        "at least 3 finite (x, y, z) points",
    );
    rs_case(
        &mut c,
        "rs_two_points",
        "rs_two_points.dcm",
        contour(&|item| {
            item.put(ds(tags::CONTOUR_DATA, "-9\\21\\5\\-8\\21\\5"));
        }),
        "ContourData (3006,0050) holds 6 values",
    );
    rs_case(
        &mut c,
        "rs_empty_contour",
        "rs_empty_contour.dcm",
        contour(&|item| {
            item.put(DataElement::new(
                tags::CONTOUR_DATA,
                VR::DS,
                PrimitiveValue::Empty,
            ));
        }),
        "has an empty ContourData (3006,0050)",
    );
    rs_case(
        &mut c,
        "rs_declared_points",
        "rs_declared_points.dcm",
        contour(&|item| {
            item.put(is(tags::NUMBER_OF_CONTOUR_POINTS, "99"));
        }),
        "NumberOfContourPoints (3006,0046) is 99",
    );
    rs_case(
        &mut c,
        "rs_off_slice",
        "rs_off_slice.dcm",
        contour(&|item| {
            item.put(ds(tags::CONTOUR_DATA, "-9\\21\\500\\-8\\21\\500\\-8\\22\\500"));
            item.put(is(tags::NUMBER_OF_CONTOUR_POINTS, "3"));
        }),
        "has no image slice",
    );
    rs_case(
        &mut c,
        "rs_open_planar",
        "rs_open_planar.dcm",
        {
            let mut obj = rs();
            let mut rois = items_of(&obj, tags::ROI_CONTOUR_SEQUENCE);
            let mut contours = items_of(&rois[0], tags::CONTOUR_SEQUENCE);
            for item in &mut contours {
                item.put(DataElement::new(
                    tags::CONTOUR_GEOMETRIC_TYPE,
                    VR::CS,
                    PrimitiveValue::from("OPEN_PLANAR"),
                ));
            }
            put_items(&mut rois[0], tags::CONTOUR_SEQUENCE, contours);
            put_items(&mut obj, tags::ROI_CONTOUR_SEQUENCE, rois);
            dicom_bytes(&obj)
        },
        "has no CLOSED_PLANAR contour",
    );
    rs_case(
        &mut c,
        "rs_unknown_roi_number",
        "rs_unknown_roi_number.dcm",
        {
            let mut obj = rs();
            let mut rois = items_of(&obj, tags::ROI_CONTOUR_SEQUENCE);
            for item in &mut rois {
                item.put(is(tags::REFERENCED_ROI_NUMBER, "42"));
            }
            put_items(&mut obj, tags::ROI_CONTOUR_SEQUENCE, rois);
            dicom_bytes(&obj)
        },
        "rs_unknown_roi_number.dcm",
    );
    c.case(
        "rs_unknown_roi_name",
        "rs_odd_points.dcm",
        &[
            "convert",
            "--rtstruct",
            "{dir}/rs_odd_points.dcm",
            "--roi",
            "GTV-9",
            "--image",
            "{dir}/rs_image.nrrd",
            "{out}/mask.nrrd",
        ],
    );
    c
}

fn corpus_dir() -> PathBuf {
    workspace_root().join("tests/data/bad/images")
}

fn cases_tsv(corpus: &Corpus) -> String {
    let mut out = String::from(
        "# Bad-image corpus of `mmrad` (built by crates/mmrad-io/tests/bad_corpus.rs; regenerate with\n\
         # MMRAD_REGENERATE_BAD_CORPUS=1 cargo test -p mmrad-io --test bad_corpus).\n\
         # id<TAB>expected_exit<TAB>must_contain<TAB>args...; {dir} = this folder, {out} = a fresh temp folder.\n",
    );
    for case in &corpus.cases {
        out.push_str(&format!(
            "{}\t1\t{}\t{}\n",
            case.id,
            case.must_contain,
            case.args.join("\t")
        ));
    }
    out
}

#[test]
fn committed_bad_image_corpus_is_what_the_generator_builds() {
    let corpus = build();
    let dir = corpus_dir();
    let mut expected: BTreeMap<String, Vec<u8>> = corpus.files.clone();
    expected.insert("cases.tsv".into(), cases_tsv(&corpus).into_bytes());
    if std::env::var_os("MMRAD_REGENERATE_BAD_CORPUS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        for (name, bytes) in &expected {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
    }
    let total: usize = expected.values().map(Vec::len).sum();
    assert!(
        total < 1 << 20,
        "the corpus holds {total} bytes; keep it under 1 MB"
    );
    for (name, bytes) in &expected {
        let committed = std::fs::read(dir.join(name)).unwrap_or_else(|e| {
            panic!("{name}: {e}; regenerate with MMRAD_REGENERATE_BAD_CORPUS=1 cargo test -p mmrad-io --test bad_corpus")
        });
        assert!(
            &committed == bytes,
            "{name} differs from what the generator builds; regenerate with MMRAD_REGENERATE_BAD_CORPUS=1"
        );
    }
    assert!(corpus.cases.len() >= 40, "{} cases", corpus.cases.len());
}

/// Every bad image of the corpus (`nrrd_*`, `nii_*`, `dcm_*`) is refused by [`mmrad_io::read_image`] with an error
/// naming it (the CLI cases check the commands end to end).
#[test]
fn the_library_refuses_every_bad_image() {
    let dir = corpus_dir();
    let corpus = build();
    let mut names: Vec<String> = corpus
        .files
        .keys()
        .map(|name| name.split('/').next().unwrap().to_string())
        .filter(|name| ["nrrd_", "nii_", "dcm_"].iter().any(|p| name.starts_with(p)))
        .collect();
    names.dedup();
    assert!(names.len() >= 40, "{} bad images", names.len());
    for name in names {
        let err = match mmrad_io::read_image(&dir.join(&name)) {
            Ok(_) => panic!("{name} was read"),
            Err(e) => e.to_string(),
        };
        // A detached header names its missing data file.
        let named = name.trim_end_matches(".nhdr");
        assert!(err.contains(named), "{name}: {err}");
    }
}
