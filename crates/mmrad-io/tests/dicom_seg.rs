//! DICOM SEG reading: `liver.dcm` against pydicom's decode (`tests/reference/io/seg_liver.json`), the synthetic
//! fixtures of `tests/reference/io/seg_fixtures.py` (two bit-packed segments in shuffled frame order, a fractional
//! sagittal SEG, a SEG on a sub-grid of a larger image), and the bad inputs (segment absent, several segments, another
//! series, truncated file, byte mutations: an `Err`, never a panic).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use mmrad_core::{Geometry, LabelMap, SeededRng};
use mmrad_io::Error;
use mmrad_io::dicom::{SegSelect, SegmentId, read_seg, seg_segments};
use mmrad_io::mask::ImageGrid;
use mmrad_testkit::{repo_data, shared, workspace_root};
use serde_json::Value;

fn liver() -> PathBuf {
    shared("pydicom/liver.dcm")
}

fn reference(name: &str) -> Value {
    let path = workspace_root().join("tests/reference/io").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn fixture(name: &str) -> PathBuf {
    repo_data(&format!("io/{name}.dcm"))
}

fn select(segment: Option<SegmentId>) -> SegSelect {
    SegSelect {
        segment,
        ..SegSelect::default()
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Asserts that `labels` equals the expected [z][y][x] 0/1 volume (scaled by `value`) and the expected geometry.
fn check_fixture(labels: &LabelMap, expected: &Value, geometry: &Value, value: i64) {
    let expected: Vec<Vec<Vec<i64>>> = serde_json::from_value(expected.clone()).unwrap();
    let (nz, ny, nx) = labels.data.dim();
    assert_eq!(
        (nz, ny, nx),
        (expected.len(), expected[0].len(), expected[0][0].len())
    );
    for ((z, y, x), &v) in labels.data.indexed_iter() {
        assert_eq!(v, expected[z][y][x] * value, "voxel (z {z}, y {y}, x {x})");
    }
    // Geometry from the generator's DS values; 1e-9 mm covers the decimal round trip.
    let tolerance = 1e-9;
    for (name, actual, wanted) in [
        (
            "origin",
            labels.geometry.origin.to_vec(),
            floats(&geometry["origin"]),
        ),
        (
            "spacing",
            labels.geometry.spacing.to_vec(),
            floats(&geometry["spacing"]),
        ),
        (
            "direction",
            labels.geometry.direction.to_vec(),
            floats(&geometry["direction"]),
        ),
    ] {
        for (a, b) in actual.iter().zip(&wanted) {
            assert!((a - b).abs() <= tolerance, "{name}: {actual:?} vs {wanted:?}");
        }
    }
}

fn message(e: &Error) -> String {
    e.to_string()
}

#[test]
fn liver_seg_equals_pydicom_frames_exactly() {
    let reference = reference("seg_liver.json");
    let labels = read_seg(&liver(), &SegSelect::default(), None).unwrap();
    let rows = reference["rows"].as_u64().unwrap() as usize;
    let columns = reference["columns"].as_u64().unwrap() as usize;
    let frames = reference["frames"].as_array().unwrap();
    assert_eq!(labels.data.dim(), (frames.len(), rows, columns));
    // Own grid: in-plane spacing from PixelSpacing, slice spacing 1 mm, origin at the lowest frame (z sorted).
    let spacing = floats(&reference["pixel_spacing"]);
    assert_eq!(labels.geometry.spacing, [spacing[1], spacing[0], 1.0]);
    let mut by_z: Vec<&Value> = frames.iter().collect();
    by_z.sort_by(|a, b| {
        floats(&a["position"])[2]
            .partial_cmp(&floats(&b["position"])[2])
            .unwrap()
    });
    assert_eq!(labels.geometry.origin.to_vec(), floats(&by_z[0]["position"]));
    for (z, frame) in by_z.iter().enumerate() {
        let slice = labels.data.index_axis(ndarray::Axis(0), z);
        let mut count = 0u64;
        let mut index_sum = 0u64;
        let mut index_square_sum = 0u64;
        for ((y, x), &v) in slice.indexed_iter() {
            assert!(v == 0 || v == 1);
            if v == 1 {
                let flat = (y * columns + x) as u64;
                count += 1;
                index_sum += flat;
                index_square_sum += flat * flat;
            }
        }
        assert_eq!(count, frame["count"].as_u64().unwrap(), "slice {z}");
        assert_eq!(index_sum, frame["index_sum"].as_u64().unwrap(), "slice {z}");
        assert_eq!(
            index_square_sum,
            frame["index_square_sum"].as_u64().unwrap(),
            "slice {z}"
        );
    }
    let total: i64 = labels.data.iter().sum();
    assert_eq!(total as u64, reference["segments"][0]["count"].as_u64().unwrap());
    let segments = seg_segments(&liver()).unwrap();
    assert_eq!(segments.len(), 1);
    assert_eq!((segments[0].number, segments[0].label.as_str()), (1, "Liver"));
}

#[test]
fn liver_seg_by_number_and_label_with_a_chosen_value() {
    let by_number = read_seg(&liver(), &select(Some(SegmentId::Number(1))), None).unwrap();
    let by_label = read_seg(&liver(), &select(Some(SegmentId::parse("liver"))), None).unwrap();
    assert_eq!(by_number, by_label);
    let as_seven = SegSelect {
        label_value: 7,
        ..SegSelect::default()
    };
    let seven = read_seg(&liver(), &as_seven, None).unwrap();
    assert_eq!(seven.data, by_number.data.mapv(|v| v * 7));
}

#[test]
fn liver_seg_on_the_referenced_series_grid_and_on_a_larger_grid() {
    let reference = reference("seg_liver.json");
    let own = read_seg(&liver(), &SegSelect::default(), None).unwrap();
    // The same grid, with the series the SEG references: identical.
    let grid = ImageGrid {
        geometry: own.geometry.clone(),
        size_xyz: own.size_xyz(),
        series_uid: Some(reference["referenced_series_uid"].as_str().unwrap().to_string()),
        frame_of_reference_uid: None,
    };
    assert_eq!(
        read_seg(&liver(), &SegSelect::default(), Some(&grid)).unwrap(),
        own
    );
    // A grid two slices and (3, 5) voxels larger before the SEG: the SEG lands at offset (x 3, y 5, z 2).
    let mut geometry = own.geometry.clone();
    geometry.origin = own.geometry.index_to_physical([-3.0, -5.0, -2.0]);
    let larger = ImageGrid {
        geometry,
        size_xyz: [520, 520, 6],
        series_uid: None,
        frame_of_reference_uid: None,
    };
    let placed = read_seg(&liver(), &SegSelect::default(), Some(&larger)).unwrap();
    assert_eq!(placed.data.dim(), (6, 520, 520));
    for ((z, y, x), &v) in placed.data.indexed_iter() {
        let inside = (2..5).contains(&z) && (5..517).contains(&y) && (3..515).contains(&x);
        let inner = if inside {
            own.data[[z - 2, y - 5, x - 3]]
        } else {
            0
        };
        assert_eq!(v, inner, "voxel (z {z}, y {y}, x {x})");
    }
}

#[test]
fn two_bit_packed_segments_in_shuffled_frame_order() {
    let reference = reference("seg_fixtures.json");
    let case = &reference["seg_two_segments"];
    let path = fixture("seg_two_segments");
    let segments = seg_segments(&path).unwrap();
    let listed: Vec<(u32, &str)> = segments.iter().map(|s| (s.number, s.label.as_str())).collect();
    assert_eq!(listed, [(1, "Tumour"), (2, "Edema")]);
    let tumour = read_seg(&path, &select(Some(SegmentId::Number(1))), None).unwrap();
    check_fixture(&tumour, &case["labels"]["1"], &case["geometry"], 1);
    // Segment 2 has frames on slices 0 and 3 only; the grid spans all frames of the file.
    let edema = read_seg(&path, &select(Some(SegmentId::parse("Edema"))), None).unwrap();
    check_fixture(&edema, &case["labels"]["2"], &case["geometry"], 1);
}

#[test]
fn fractional_sagittal_seg_thresholded_at_half_the_maximum() {
    let reference = reference("seg_fixtures.json");
    let case = &reference["seg_fractional"];
    let labels = read_seg(&fixture("seg_fractional"), &SegSelect::default(), None).unwrap();
    check_fixture(&labels, &case["labels"]["1"], &case["geometry"], 1);
    // The generator set voxel (0, 0, 0) to 100 = 0.5 × 200 (inside) and (0, 0, 1) to 99 (outside).
    assert_eq!(labels.data[[0, 0, 0]], 1);
    assert_eq!(labels.data[[0, 0, 1]], 0);
    // A higher threshold keeps fewer voxels; a threshold outside (0, 1] is an error.
    let strict = SegSelect {
        fractional_threshold: 0.9,
        ..SegSelect::default()
    };
    let kept = read_seg(&fixture("seg_fractional"), &strict, None).unwrap();
    assert!(kept.data.iter().sum::<i64>() < labels.data.iter().sum::<i64>());
    let bad = SegSelect {
        fractional_threshold: 1.5,
        ..SegSelect::default()
    };
    let e = read_seg(&fixture("seg_fractional"), &bad, None).unwrap_err();
    assert!(message(&e).contains("threshold `1.5`"), "{e}");
}

#[test]
fn seg_on_a_sub_grid_is_placed_at_its_offset() {
    let reference = reference("seg_fixtures.json");
    let case = &reference["seg_two_segments"];
    let path = fixture("seg_two_segments");
    let own = read_seg(&path, &select(Some(SegmentId::Number(1))), None).unwrap();
    let mut geometry: Geometry = own.geometry.clone();
    geometry.origin = own.geometry.index_to_physical([-2.0, -1.0, -1.0]);
    let grid = ImageGrid {
        geometry,
        size_xyz: [11, 8, 6],
        series_uid: Some(reference["referenced_series_uid"].as_str().unwrap().to_string()),
        frame_of_reference_uid: None,
    };
    let placed = read_seg(&path, &select(Some(SegmentId::Number(1))), Some(&grid)).unwrap();
    let expected: Vec<Vec<Vec<i64>>> = serde_json::from_value(case["labels"]["1"].clone()).unwrap();
    for ((z, y, x), &v) in placed.data.indexed_iter() {
        let inside = (1..5).contains(&z) && (1..6).contains(&y) && (2..9).contains(&x);
        let wanted = if inside { expected[z - 1][y - 1][x - 2] } else { 0 };
        assert_eq!(v, wanted, "voxel (z {z}, y {y}, x {x})");
    }
    // A grid whose voxel centres are half a voxel off the SEG frames is an error, not a silent shift.
    let mut shifted = grid.clone();
    shifted.geometry.origin = own.geometry.index_to_physical([-2.5, -1.0, -1.0]);
    let e = read_seg(&path, &select(Some(SegmentId::Number(1))), Some(&shifted)).unwrap_err();
    assert!(message(&e).contains("lies between voxels"), "{e}");
    // A grid too small for the segment pixels is an error naming the frame.
    let mut small = grid;
    small.size_xyz = [4, 4, 6];
    let e = read_seg(&path, &select(Some(SegmentId::Number(1))), Some(&small)).unwrap_err();
    assert!(message(&e).contains("outside the image grid"), "{e}");
}

#[test]
fn bad_segment_choices_list_the_segments() {
    let path = fixture("seg_two_segments");
    let e = read_seg(&path, &SegSelect::default(), None).unwrap_err();
    let text = message(&e);
    assert!(
        text.contains("seg_two_segments.dcm") && text.contains("holds 2 segments"),
        "{text}"
    );
    assert!(text.contains("1 `Tumour`, 2 `Edema`"), "{text}");
    for wanted in [SegmentId::Number(3), SegmentId::parse("Necrosis")] {
        let e = read_seg(&path, &select(Some(wanted)), None).unwrap_err();
        let text = message(&e);
        assert!(text.contains("segments present: 1 `Tumour`, 2 `Edema`"), "{text}");
    }
}

#[test]
fn seg_referencing_another_series_is_an_error() {
    let own = read_seg(&liver(), &SegSelect::default(), None).unwrap();
    let grid = ImageGrid {
        geometry: own.geometry.clone(),
        size_xyz: own.size_xyz(),
        series_uid: Some("1.2.3.4.5.6".into()),
        frame_of_reference_uid: None,
    };
    let e = read_seg(&liver(), &SegSelect::default(), Some(&grid)).unwrap_err();
    let text = message(&e);
    assert!(text.contains("liver.dcm"), "{text}");
    assert!(text.contains("ReferencedSeriesSequence (0008,1115)"), "{text}");
    // Neither UID is printed (they can carry dates); the message says what to do.
    assert!(!text.contains("1.2.3.4.5.6") && !text.contains("2.25."), "{text}");
    assert!(
        text.contains("another series") && text.contains("pair each mask"),
        "{text}"
    );
}

#[test]
fn seg_in_another_frame_of_reference_is_an_error() {
    let own = read_seg(&liver(), &SegSelect::default(), None).unwrap();
    let grid = ImageGrid {
        geometry: own.geometry.clone(),
        size_xyz: own.size_xyz(),
        series_uid: None,
        frame_of_reference_uid: Some("1.2.3.4.5.6".into()),
    };
    let text = message(&read_seg(&liver(), &SegSelect::default(), Some(&grid)).unwrap_err());
    assert!(
        text.contains("liver.dcm")
            && text.contains("another frame of reference")
            && text.contains("FrameOfReferenceUID (0020,0052)")
            && !text.contains("1.2.3.4.5.6"),
        "{text}"
    );
}

#[test]
fn not_a_seg_and_truncated_seg_are_errors() {
    let ct = shared("ibsi/ibsi_1_ct_radiomics_phantom/dicom/image/DCM_IMG_00000.dcm");
    let e = read_seg(&ct, &SegSelect::default(), None).unwrap_err();
    assert!(
        message(&e).contains("not a DICOM SEG: Modality (0008,0060) `CT`"),
        "{e}"
    );
    let dir = std::env::temp_dir().join(format!("mmrad-seg-truncated-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(liver()).unwrap();
    let path = dir.join("liver_truncated.dcm");
    std::fs::write(&path, &bytes[..bytes.len() - 5000]).unwrap();
    let e = read_seg(&path, &SegSelect::default(), None).unwrap_err();
    assert!(message(&e).contains("liver_truncated.dcm"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mutated_seg_bytes_give_ok_or_err_never_a_panic() {
    let dir = std::env::temp_dir().join(format!("mmrad-seg-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = SeededRng::new(20_251_104);
    for source in [liver(), fixture("seg_two_segments"), fixture("seg_fractional")] {
        let original = std::fs::read(&source).unwrap();
        let n = original.len();
        for cut in [132, 300, n / 2, n - 3] {
            let path = dir.join("cut.dcm");
            std::fs::write(&path, &original[..cut.min(n)]).unwrap();
            let _ = read_seg(&path, &SegSelect::default(), None);
        }
        // Mutations in the header region (first 2 kB), where the sequences live.
        for _ in 0..15 {
            let mut bytes = original.clone();
            for _ in 0..4 {
                let at = 132 + rng.below(n.min(2048) - 132);
                bytes[at] = rng.below(256) as u8;
            }
            let path = dir.join("mutated.dcm");
            std::fs::write(&path, &bytes).unwrap();
            let _ = read_seg(&path, &SegSelect::default(), None);
            let _ = seg_segments(&path);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
