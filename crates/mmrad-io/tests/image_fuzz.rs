//! Property tests (proptest, fixed seed) of the NRRD, NIfTI and label-map readers on hostile input: header fields
//! mutated (sizes, type, encoding, spacing, origin, directions, byte/line skip, dim, datatype, pixdim, vox_offset,
//! qform/sform), truncation at every offset, bit flips, and masks on another grid. Every read gives `Ok` or a clear
//! `Err` naming the file, never a panic, and the peak resident memory of the test binary stays within the read limit
//! (64 MiB here, [`ReadLimits::set_override`]) plus the harness (Linux `VmHWM`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use mmrad_core::{Geometry, LabelMap, Volume};
use mmrad_io::mask::{DEFAULT_GEOMETRY_TOLERANCE, check_geometry, resample_mask_to_image};
use mmrad_io::words::read_volume_words;
use mmrad_io::{Error, ReadLimits, read_image, read_label_map};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngAlgorithm, TestRng, TestRunner};

/// The read limit of this test binary: far above every valid test file, far below what a hostile header declares.
const LIMIT: u64 = 64 << 20;

/// Peak resident memory allowed to the whole test binary: the limit plus the test harness itself. A reader that
/// zero-fills a buffer of a hostile declared size (gigabytes) trips it.
const PEAK_RSS: u64 = LIMIT + (192 << 20);

/// The peak resident set size of this process (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// A deterministic runner: ChaCha with a fixed seed per property, no failure files.
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

fn assert_bounded() {
    let peak = peak_rss();
    assert!(
        peak <= PEAK_RSS,
        "peak resident memory {peak} bytes exceeds {PEAK_RSS}"
    );
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
    let dir = std::env::temp_dir().join(format!("mmrad-image-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// Every reader of an image path: `Ok` with a consistent result, or an error naming the file.
fn read_all(path: &Path) {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let check_err = |e: &Error| {
        let text = e.to_string();
        let names_file = text.contains(&name) || matches!(e, Error::GeometryMismatch { .. });
        assert!(names_file, "the error does not name `{name}`: {text}");
    };
    match read_image(path) {
        Ok(volume) => {
            let g = &volume.geometry;
            assert!(g.spacing.iter().all(|s| s.is_finite() && *s > 0.0), "{g:?}");
            assert!(
                g.origin.iter().chain(g.direction.iter()).all(|v| v.is_finite()),
                "{g:?}"
            );
            let [x, y, z] = volume.size_xyz();
            assert!(x * y * z > 0);
        }
        Err(e) => check_err(&e),
    }
    if let Err(e) = read_label_map(path) {
        check_err(&e);
    }
    match read_volume_words(path) {
        Ok(Some(words)) => {
            let _ = words.sum_min_max();
        }
        Ok(None) => {}
        Err(e) => check_err(&e),
    }
}

// ---------------------------------------------------------------- NRRD

/// A valid header line set and payload for `sizes` of `type` with `encoding`.
fn nrrd_bytes(fields: &[(&str, String)], payload: &[u8]) -> Vec<u8> {
    let mut out = b"NRRD0004\n".to_vec();
    for (key, value) in fields {
        out.extend_from_slice(format!("{key}: {value}\n").as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(payload);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn hostile_count() -> impl Strategy<Value = String> {
    prop_oneof![
        (1_u64..6).prop_map(|n| n.to_string()),
        Just("0".to_string()),
        Just("-3".to_string()),
        Just("65536".to_string()),
        Just("4294967296".to_string()),
        Just("18446744073709551615".to_string()),
        Just("1e3".to_string()),
        Just("x".to_string()),
    ]
}

fn hostile_float() -> impl Strategy<Value = String> {
    prop_oneof![
        (-5.0_f64..5.0).prop_map(|v| format!("{v}")),
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("nan".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("1e308".to_string()),
        Just("1e-320".to_string()),
        Just("".to_string()),
    ]
}

fn vector(n: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_float(), n..=n).prop_map(|v| format!("({})", v.join(",")))
}

#[derive(Debug, Clone)]
struct NrrdCase {
    fields: Vec<(&'static str, String)>,
    payload: Vec<u8>,
}

fn nrrd_case() -> impl Strategy<Value = NrrdCase> {
    let types = prop::sample::select(vec![
        "uchar", "short", "ushort", "int", "uint", "int64", "uint64", "float", "double", "block", "",
    ]);
    let encodings = prop::sample::select(vec!["raw", "gzip", "ascii", "bzip2", "hex", ""]);
    let sizes = prop::collection::vec(hostile_count(), 0..6).prop_map(|v| v.join(" "));
    (
        types,
        encodings,
        sizes,
        prop::option::of(prop::collection::vec(vector(3), 1..4).prop_map(|v| v.join(" "))),
        prop::option::of(prop::collection::vec(hostile_float(), 1..4).prop_map(|v| v.join(" "))),
        prop::option::of(vector(3)),
        prop::option::of(prop::sample::select(vec![
            "-1",
            "0",
            "3",
            "-7",
            "99999999999999",
            "x",
        ])),
        prop::option::of(prop::sample::select(vec!["0", "1", "1000000000000000000", "-1"])),
        prop::option::of(prop::sample::select(vec!["big", "little"])),
        prop::collection::vec(any::<u8>(), 0..300),
        any::<bool>(),
    )
        .prop_map(
            |(
                ty,
                encoding,
                sizes,
                directions,
                spacings,
                origin,
                byte_skip,
                line_skip,
                endian,
                body,
                pack,
            )| {
                let mut fields = vec![
                    ("type", ty.to_string()),
                    ("dimension", sizes.split_whitespace().count().to_string()),
                    ("sizes", sizes),
                    ("encoding", encoding.to_string()),
                ];
                if let Some(d) = directions {
                    fields.push(("space", "left-posterior-superior".into()));
                    fields.push(("space directions", d));
                }
                if let Some(s) = spacings {
                    fields.push(("spacings", s));
                }
                if let Some(o) = origin {
                    fields.push(("space origin", o));
                }
                if let Some(b) = byte_skip {
                    fields.push(("byte skip", b.to_string()));
                }
                if let Some(l) = line_skip {
                    fields.push(("line skip", l.to_string()));
                }
                if let Some(e) = endian {
                    fields.push(("endian", e.to_string()));
                }
                let payload = if pack && encoding == "gzip" {
                    gzip(&body)
                } else {
                    body
                };
                NrrdCase { fields, payload }
            },
        )
}

#[test]
fn nrrd_header_mutations_give_ok_or_a_clear_error() {
    let dir = temp_dir("nrrd-header");
    let mut runner = runner(256, 1);
    let k = AtomicUsize::new(0);
    runner
        .run(&nrrd_case(), |case| {
            let k = k.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!("case{k}.nrrd"));
            std::fs::write(&path, nrrd_bytes(&case.fields, &case.payload)).unwrap();
            read_all(&path);
            Ok(())
        })
        .unwrap();
    assert_bounded();
}

/// A small valid NRRD (3 × 4 × 2 shorts) in the given encoding.
fn valid_nrrd(encoding: &str) -> Vec<u8> {
    let values: Vec<u8> = (0..24_i16).flat_map(|v| (v * 37 - 300).to_le_bytes()).collect();
    let payload = match encoding {
        "gzip" => gzip(&values),
        "ascii" => (0..24)
            .map(|v: i32| (v * 37 - 300).to_string())
            .collect::<Vec<_>>()
            .join(" ")
            .into_bytes(),
        _ => values,
    };
    nrrd_bytes(
        &[
            ("type", "short".into()),
            ("dimension", "3".into()),
            ("space", "left-posterior-superior".into()),
            ("sizes", "3 4 2".into()),
            ("space directions", "(0.5,0,0) (0,0.75,0) (0,0,2.5)".into()),
            ("endian", "little".into()),
            ("encoding", encoding.into()),
            ("space origin", "(-10,20.5,3)".into()),
        ],
        &payload,
    )
}

#[test]
fn nrrd_truncated_at_every_offset_and_bit_flipped() {
    let dir = temp_dir("nrrd-cut");
    for encoding in ["raw", "gzip", "ascii"] {
        let bytes = valid_nrrd(encoding);
        let path = dir.join(format!("valid-{encoding}.nrrd"));
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_image(&path).unwrap().size_xyz(), [3, 4, 2]);
        for cut in 0..bytes.len() {
            let path = dir.join(format!("cut-{encoding}-{cut}.nrrd"));
            std::fs::write(&path, &bytes[..cut]).unwrap();
            // Every cut inside the header or the data is an error (a raw or gzip cut always loses data).
            // The gzip trailer (CRC, size) may be cut once the data are complete: the streaming decoder reads them.
            let data_complete = encoding == "gzip" && cut >= bytes.len() - 8;
            if encoding != "ascii" && !data_complete {
                let err = read_image(&path).unwrap_err().to_string();
                assert!(err.contains(&format!("cut-{encoding}-{cut}.nrrd")), "{err}");
            } else {
                read_all(&path);
            }
        }
        let mut runner = runner(96, 2);
        runner
            .run(&(0..bytes.len(), 0_u8..8, 1_usize..4), |(at, bit, n)| {
                let mut flipped = bytes.clone();
                for j in 0..n {
                    let p = (at + j * 97) % flipped.len();
                    flipped[p] ^= 1 << bit;
                }
                let path = dir.join(format!("flip-{encoding}-{at}-{bit}-{n}.nrrd"));
                std::fs::write(&path, &flipped).unwrap();
                read_all(&path);
                Ok(())
            })
            .unwrap();
    }
    assert_bounded();
}

#[test]
fn nrrd_declared_sizes_beyond_the_limit_or_the_file_name_the_fix() {
    let dir = temp_dir("nrrd-limit");
    ReadLimits::set_override(Some(LIMIT));
    // 4096³ shorts: far beyond the limit; a gzip payload of 20 bytes cannot inflate to 1 GB; raw data absent.
    for (name, sizes, encoding, payload, wanted) in [
        (
            "huge.nrrd",
            "4096 4096 4096",
            "raw",
            vec![0_u8; 16],
            "MMRAD_MAX_IMAGE_BYTES",
        ),
        (
            "bomb.nrrd",
            "64 64 64",
            "gzip",
            gzip(&[0; 16]),
            "can inflate to at most",
        ),
        (
            "short.nrrd",
            "64 64 64",
            "raw",
            vec![0_u8; 100],
            "expected 524288 bytes, found 100",
        ),
        (
            "overflow.nrrd",
            "4294967296 4294967296 2",
            "raw",
            vec![0],
            "overflows",
        ),
        (
            "zero.nrrd",
            "4 0 4",
            "raw",
            vec![0; 100],
            "expected positive integers",
        ),
    ] {
        let path = dir.join(name);
        let fields = [
            ("type", "short".to_string()),
            ("dimension", "3".to_string()),
            ("sizes", sizes.to_string()),
            ("encoding", encoding.to_string()),
        ];
        std::fs::write(&path, nrrd_bytes(&fields, &payload)).unwrap();
        let err = read_image(&path).unwrap_err().to_string();
        assert!(err.contains(name) && err.contains(wanted), "{name}: {err}");
    }
    // Geometry: zero, negative and NaN spacing, NaN origin.
    for (name, field, value, wanted) in [
        ("zero-spacing.nrrd", "spacings", "1 0 1", "spacings"),
        ("negative-spacing.nrrd", "spacings", "1 -2 1", "spacings"),
        ("nan-spacing.nrrd", "spacings", "nan 1 1", "spacings"),
        (
            "nan-direction.nrrd",
            "space directions",
            "(nan,0,0) (0,1,0) (0,0,1)",
            "space direction",
        ),
        (
            "zero-direction.nrrd",
            "space directions",
            "(0,0,0) (0,1,0) (0,0,1)",
            "has length 0",
        ),
        (
            "nan-origin.nrrd",
            "space origin",
            "(0,nan,0)",
            "non-finite origin",
        ),
        (
            "inf-origin.nrrd",
            "space origin",
            "(0,inf,0)",
            "non-finite origin",
        ),
    ] {
        let path = dir.join(name);
        let fields = [
            ("type", "uchar".to_string()),
            ("dimension", "3".to_string()),
            ("sizes", "2 2 2".to_string()),
            ("encoding", "raw".to_string()),
            (field, value.to_string()),
        ];
        std::fs::write(&path, nrrd_bytes(&fields, &[1; 8])).unwrap();
        let err = read_image(&path).unwrap_err().to_string();
        assert!(err.contains(name) && err.contains(wanted), "{name}: {err}");
    }
    assert_bounded();
}

// ---------------------------------------------------------------- NIfTI

fn small_volume() -> Volume {
    let data = ndarray::Array3::from_shape_fn((2, 3, 4), |(z, y, x)| (z * 12 + y * 4 + x) as f64 - 5.5);
    Volume::new(
        data,
        Geometry {
            spacing: [0.8, 1.2, 3.0],
            origin: [10.0, -20.0, 5.0],
            ..Geometry::identity()
        },
    )
}

/// A valid uncompressed `.nii` of [`small_volume`].
fn valid_nifti(dir: &Path) -> Vec<u8> {
    let path = dir.join("valid.nii");
    mmrad_io::write_volume_nifti(&small_volume(), &path).unwrap();
    std::fs::read(&path).unwrap()
}

/// Header field mutations of NIfTI-1 (byte offset, value bytes).
fn nifti_mutation() -> impl Strategy<Value = (usize, Vec<u8>)> {
    let i16_field = |offset: usize| {
        prop_oneof![
            Just(0_i16),
            Just(-1),
            Just(1),
            Just(8),
            Just(i16::MAX),
            Just(i16::MIN),
            any::<i16>()
        ]
        .prop_map(move |v| (offset, v.to_le_bytes().to_vec()))
    };
    let f32_field = |offset: usize| {
        prop_oneof![
            Just(0.0_f32),
            Just(-1.0),
            Just(f32::NAN),
            Just(f32::INFINITY),
            Just(f32::NEG_INFINITY),
            Just(1.0e30),
            Just(f32::MIN_POSITIVE),
            any::<f32>()
        ]
        .prop_map(move |v| (offset, v.to_le_bytes().to_vec()))
    };
    prop_oneof![
        // dim[0..8]
        (0_usize..8).prop_flat_map(move |k| i16_field(40 + 2 * k)),
        // datatype, bitpix
        prop::sample::select(vec![
            0_i16, 1, 2, 4, 8, 16, 32, 64, 128, 256, 511, 768, 1024, 1280, 1536, 2304, -4
        ])
        .prop_map(|v| (70, v.to_le_bytes().to_vec())),
        i16_field(72),
        // pixdim[0..8]
        (0_usize..8).prop_flat_map(move |k| f32_field(76 + 4 * k)),
        // vox_offset, scl_slope, scl_inter
        f32_field(108),
        f32_field(112),
        f32_field(116),
        // qform_code, sform_code
        i16_field(252),
        i16_field(254),
        // quatern b, c, d, qoffset x, y, z, srow_x/y/z
        (0_usize..18).prop_flat_map(move |k| f32_field(256 + 4 * k)),
        // sizeof_hdr and magic
        any::<[u8; 4]>().prop_map(|b| (0, b.to_vec())),
        any::<[u8; 4]>().prop_map(|b| (344, b.to_vec())),
    ]
}

#[test]
fn nifti_header_mutations_give_ok_or_a_clear_error() {
    let dir = temp_dir("nifti-header");
    let valid = valid_nifti(&dir);
    let mut runner = runner(256, 3);
    let k = AtomicUsize::new(0);
    runner
        .run(
            &(prop::collection::vec(nifti_mutation(), 1..4), any::<bool>()),
            |(mutations, packed)| {
                let k = k.fetch_add(1, Ordering::Relaxed);
                let mut bytes = valid.clone();
                for (offset, value) in &mutations {
                    bytes[*offset..*offset + value.len()].copy_from_slice(value);
                }
                let path = if packed {
                    let path = dir.join(format!("case{k}.nii.gz"));
                    std::fs::write(&path, gzip(&bytes)).unwrap();
                    path
                } else {
                    let path = dir.join(format!("case{k}.nii"));
                    std::fs::write(&path, &bytes).unwrap();
                    path
                };
                read_all(&path);
                Ok(())
            },
        )
        .unwrap();
    assert_bounded();
}

#[test]
fn nifti_truncated_at_every_offset_and_bit_flipped() {
    let dir = temp_dir("nifti-cut");
    let valid = valid_nifti(&dir);
    let packed = gzip(&valid);
    for cut in 0..valid.len() {
        let path = dir.join(format!("cut{cut}.nii"));
        std::fs::write(&path, &valid[..cut]).unwrap();
        let err = read_image(&path).unwrap_err().to_string();
        assert!(err.contains(&format!("cut{cut}.nii")), "{err}");
    }
    for cut in 0..packed.len() {
        let path = dir.join(format!("cut{cut}.nii.gz"));
        std::fs::write(&path, &packed[..cut]).unwrap();
        read_all(&path);
    }
    let mut runner = runner(128, 4);
    runner
        .run(
            &(0..valid.len(), 0_u8..8, any::<bool>()),
            |(at, bit, compress)| {
                let mut flipped = valid.clone();
                flipped[at] ^= 1 << bit;
                let path = if compress {
                    let path = dir.join(format!("flip{at}-{bit}.nii.gz"));
                    std::fs::write(&path, gzip(&flipped)).unwrap();
                    path
                } else {
                    let path = dir.join(format!("flip{at}-{bit}.nii"));
                    std::fs::write(&path, &flipped).unwrap();
                    path
                };
                read_all(&path);
                Ok(())
            },
        )
        .unwrap();
    assert_bounded();
}

#[test]
fn nifti_declared_sizes_and_geometry_are_checked_before_allocation() {
    let dir = temp_dir("nifti-limit");
    ReadLimits::set_override(Some(LIMIT));
    let valid = valid_nifti(&dir);
    let set_i16 =
        |bytes: &mut Vec<u8>, at: usize, v: i16| bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let set_f32 =
        |bytes: &mut Vec<u8>, at: usize, v: f32| bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    type Edit = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "huge.nii",
            Box::new(move |b| (1..4).for_each(|k| set_i16(b, 40 + 2 * k, 30000))),
            "MMRAD_MAX_IMAGE_BYTES",
        ),
        (
            "huge.nii.gz",
            Box::new(move |b| (1..4).for_each(|k| set_i16(b, 40 + 2 * k, 30000))),
            "MMRAD_MAX_IMAGE_BYTES",
        ),
        (
            "bomb.nii.gz",
            Box::new(move |b| (1..4).for_each(|k| set_i16(b, 40 + 2 * k, 200))),
            "can inflate to at most",
        ),
        ("zero-dim.nii", Box::new(move |b| set_i16(b, 42, 0)), "`dim[1]`"),
        (
            "negative-dim.nii",
            Box::new(move |b| set_i16(b, 44, -5)),
            "`dim[2]`",
        ),
        ("dim0.nii", Box::new(move |b| set_i16(b, 40, 9)), "`dim[0]`"),
        (
            "nan-pixdim.nii",
            Box::new(move |b| set_f32(b, 80, f32::NAN)),
            "`pixdim[1]`",
        ),
        (
            "zero-pixdim.nii",
            Box::new(move |b| set_f32(b, 84, 0.0)),
            "`pixdim[2]`",
        ),
        (
            "vox-offset.nii",
            Box::new(move |b| set_f32(b, 108, f32::NAN)),
            "`vox_offset`",
        ),
        (
            "far-vox-offset.nii",
            Box::new(move |b| set_f32(b, 108, 1.0e9)),
            "truncated",
        ),
        (
            "nan-qform.nii",
            Box::new(move |b| {
                set_i16(b, 252, 1);
                set_i16(b, 254, 0);
                set_f32(b, 268, f32::NAN);
            }),
            "non-finite origin",
        ),
    ];
    for (name, edit, wanted) in cases {
        let mut bytes = valid.clone();
        edit(&mut bytes);
        let path = dir.join(name);
        if name.ends_with(".gz") {
            std::fs::write(&path, gzip(&bytes)).unwrap();
        } else {
            std::fs::write(&path, &bytes).unwrap();
        }
        let err = read_image(&path).unwrap_err().to_string();
        assert!(err.contains(name) && err.contains(wanted), "{name}: {err}");
        let err = read_volume_words(&path)
            .and_then(|_| read_label_map(&path).map(|_| ()))
            .unwrap_err();
        assert!(err.to_string().contains(name), "{name}: {err}");
    }
    assert_bounded();
}

// ---------------------------------------------------------------- label maps on another grid

fn hostile_geometry() -> impl Strategy<Value = Geometry> {
    let value = prop_oneof![
        -100.0_f64..100.0,
        Just(0.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-1.0),
        Just(1.0e300)
    ];
    (
        prop::array::uniform3(value.clone()),
        prop::array::uniform3(value.clone()),
        prop::array::uniform9(value),
        any::<bool>(),
    )
        .prop_map(|(spacing, origin, direction, identity)| Geometry {
            spacing,
            origin,
            direction: if identity {
                Geometry::identity().direction
            } else {
                direction
            },
            ndim: 3,
        })
}

#[test]
fn mask_grid_checks_and_resampling_never_panic() {
    let mut runner = runner(256, 5);
    let image = small_volume();
    runner
        .run(
            &(hostile_geometry(), prop::array::uniform3(1_usize..6)),
            |(geometry, [nx, ny, nz])| {
                let mask = LabelMap::new(
                    ndarray::Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| ((x + y + z) % 2) as i64),
                    geometry.clone(),
                );
                let _ = check_geometry(
                    &image.geometry,
                    image.size_xyz(),
                    &mask.geometry,
                    mask.size_xyz(),
                    DEFAULT_GEOMETRY_TOLERANCE,
                );
                let _ = resample_mask_to_image(&mask, &image.geometry, image.size_xyz());
                // And the other way round: an image of hostile geometry.
                let _ = resample_mask_to_image(
                    &LabelMap::new(ndarray::Array3::ones((2, 3, 4)), Geometry::identity()),
                    &geometry,
                    [nx, ny, nz],
                );
                Ok(())
            },
        )
        .unwrap();
    assert_bounded();
}
