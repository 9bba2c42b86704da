//! mmrad-io against an independent numpy parse (`tests/reference/io/io_reference.py` → `io_reference.tsv`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use mmrad_io::{Error, read_image, read_label_map, write_label_map_nrrd, write_volume_nrrd};
use mmrad_testkit::{assert_close, repo_data, shared, workspace_root};

/// Reference lines grouped by file: key → list of value vectors.
fn reference() -> BTreeMap<String, Vec<(String, Vec<f64>)>> {
    let text = std::fs::read_to_string(workspace_root().join("tests/reference/io/io_reference.tsv")).unwrap();
    let mut map: BTreeMap<String, Vec<(String, Vec<f64>)>> = BTreeMap::new();
    for line in text.lines() {
        let mut parts = line.split('\t');
        let (file, key, values) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let values = values
            .split_whitespace()
            .map(|v| v.parse::<f64>().unwrap())
            .collect();
        map.entry(file.to_string())
            .or_default()
            .push((key.to_string(), values));
    }
    map
}

#[test]
fn every_reference_file_matches_numpy() {
    let reference = reference();
    assert!(reference.len() >= 22, "reference lists {} files", reference.len());
    for (file, entries) in &reference {
        let volume = read_image(&shared(file)).unwrap();
        let size = volume.size_xyz();
        for (key, values) in entries {
            let what = format!("{file} {key}");
            match key.as_str() {
                "size" => assert_eq!(
                    size.iter().map(|&s| s as f64).collect::<Vec<_>>(),
                    *values,
                    "{what}"
                ),
                // Geometry is parsed from decimal text or f32 fields: exact to 1e-12 relative.
                "spacing" => (0..3)
                    .for_each(|k| assert_close(&what, volume.geometry.spacing[k], values[k], 1e-12, 1e-12)),
                "origin" => (0..3)
                    .for_each(|k| assert_close(&what, volume.geometry.origin[k], values[k], 1e-12, 1e-12)),
                "direction" => (0..9)
                    .for_each(|k| assert_close(&what, volume.geometry.direction[k], values[k], 1e-12, 1e-12)),
                // Integer-valued sums are exact in f64 at these sizes (< 2^53).
                "sum" => assert_close(&what, volume.data.sum(), values[0], 1e-12, 0.0),
                "min" => assert_eq!(
                    volume.data.iter().copied().fold(f64::INFINITY, f64::min),
                    values[0],
                    "{what}"
                ),
                "max" => assert_eq!(
                    volume.data.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    values[0],
                    "{what}"
                ),
                "voxel" => {
                    let (x, y, z) = (values[0] as usize, values[1] as usize, values[2] as usize);
                    assert_eq!(volume.data[[z, y, x]], values[3], "{what}");
                }
                other => panic!("unknown reference key {other}"),
            }
        }
    }
}

#[test]
fn label_maps_read_as_integers() {
    let labels = read_label_map(&shared("pyradiomics/prostate_phantom_subvolume-label.nrrd")).unwrap();
    assert_eq!(labels.labels(), vec![1, 7, 8, 9]);
    let mask = read_label_map(&shared("ibsi/ibsi_1_digital_phantom/nifti/mask/mask.nii.gz")).unwrap();
    assert_eq!(mask.labels(), vec![1]);
    assert_eq!(mask.data.iter().filter(|&&v| v == 1).count(), 74);
}

#[test]
fn nrrd_round_trip_is_exact() {
    let dir = std::env::temp_dir().join(format!("mmrad-io-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let volume = read_image(&shared("pyradiomics/brain1_image.nrrd")).unwrap();
    let path = dir.join("brain1.nrrd");
    write_volume_nrrd(&volume, &path).unwrap();
    assert_eq!(read_image(&path).unwrap(), volume);
    assert_eq!(volume.pixel_type, Some(mmrad_core::PixelType::Int16));
    // An image of unknown pixel type (as from DICOM) with whole values is written as int16 (what SimpleITK reads a
    // CT series as); with a fraction, as doubles.
    let unknown = mmrad_core::Volume::new(volume.data.clone(), volume.geometry.clone());
    write_volume_nrrd(&unknown, &path).unwrap();
    assert_eq!(read_image(&path).unwrap(), volume);
    let fractional = mmrad_core::Volume::new(volume.data.mapv(|v| v + 0.25), volume.geometry.clone());
    write_volume_nrrd(&fractional, &path).unwrap();
    let back = read_image(&path).unwrap();
    assert_eq!(back.pixel_type, Some(mmrad_core::PixelType::Float64));
    assert_eq!(back.data, fractional.data);
    let labels = read_label_map(&shared("pyradiomics/prostate_phantom_subvolume-label.nrrd")).unwrap();
    let label_path = dir.join("labels.nrrd");
    write_label_map_nrrd(&labels, &label_path).unwrap();
    assert_eq!(read_label_map(&label_path).unwrap(), labels);
    // A 2D NRRD (its header says `dimension: 2`) reads as 2D and is written back as 2D.
    let flat = read_image(&repo_data("phantoms/s1_c002_us2d/image.nrrd")).unwrap();
    assert_eq!(flat.geometry.ndim, 2);
    assert_eq!(flat.data.dim().0, 1);
    let flat_path = dir.join("flat.nrrd");
    write_volume_nrrd(&flat, &flat_path).unwrap();
    assert_eq!(read_image(&flat_path).unwrap(), flat);
    assert_eq!(
        read_image(&shared("pyradiomics/brain1_image.nrrd"))
            .unwrap()
            .geometry
            .ndim,
        3
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("mmrad-io-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Truncated gzip NRRD: header plus half of the compressed payload.
    let bytes = std::fs::read(shared("pyradiomics/breast1_image.nrrd")).unwrap();
    let truncated = dir.join("truncated.nrrd");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_image(&truncated).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Truncated { .. } | Error::Io { .. } | Error::Corrupt { .. }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("truncated.nrrd"), "{err}");
    // Raw NRRD with too few bytes.
    let raw = dir.join("short.nrrd");
    std::fs::write(
        &raw,
        b"NRRD0004\ntype: short\ndimension: 3\nsizes: 2 2 2\nencoding: raw\n\n\x01\x00",
    )
    .unwrap();
    let err = read_image(&raw).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Truncated {
                expected: 16,
                found: 2,
                ..
            }
        ),
        "{err}"
    );
    // Unknown type, missing file, unknown extension.
    let bad_type = dir.join("type.nrrd");
    std::fs::write(
        &bad_type,
        b"NRRD0004\ntype: quaternion\nsizes: 1 1 1\nencoding: raw\n\n\x00",
    )
    .unwrap();
    assert!(
        read_image(&bad_type)
            .unwrap_err()
            .to_string()
            .contains("quaternion")
    );
    let missing = dir.join("missing.nii.gz");
    assert!(
        read_image(&missing)
            .unwrap_err()
            .to_string()
            .contains("missing.nii.gz")
    );
    assert!(matches!(
        read_image(&dir.join("x.png")).unwrap_err(),
        Error::UnknownFormat { .. }
    ));
    // A NIfTI cut in half is an error naming the file, never a panic.
    let nifti = std::fs::read(shared(
        "ibsi/ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz",
    ))
    .unwrap();
    let half = dir.join("half.nii.gz");
    std::fs::write(&half, &nifti[..nifti.len() / 2]).unwrap();
    assert!(read_image(&half).unwrap_err().to_string().contains("half.nii.gz"));
    // Float label map with a fractional value.
    let float = dir.join("float.nrrd");
    std::fs::write(
        &float,
        b"NRRD0004\ntype: float\nsizes: 1 1 1\nencoding: ascii\n\n1.5\n",
    )
    .unwrap();
    assert!(matches!(
        read_label_map(&float).unwrap_err(),
        Error::NonIntegerLabel { .. }
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ras_space_and_big_endian_are_converted() {
    let dir = std::env::temp_dir().join(format!("mmrad-io-ras-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ras.nrrd");
    let mut bytes = b"NRRD0004\ntype: short\ndimension: 3\nspace: right-anterior-superior\nsizes: 2 1 1\n\
space directions: (2,0,0) (0,3,0) (0,0,4)\nendian: big\nencoding: raw\nspace origin: (10,20,30)\n\n"
        .to_vec();
    bytes.extend_from_slice(&[0x01, 0x02, 0xff, 0xfe]);
    std::fs::write(&path, bytes).unwrap();
    let volume = read_image(&path).unwrap();
    // RAS → LPS: the first two physical axes change sign (as ITK's NrrdImageIO).
    assert_eq!(volume.geometry.origin, [-10.0, -20.0, 30.0]);
    assert_eq!(volume.geometry.spacing, [2.0, 3.0, 4.0]);
    assert_eq!(
        volume.geometry.direction,
        [-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0]
    );
    assert_eq!(volume.data.iter().copied().collect::<Vec<_>>(), vec![258.0, -2.0]);
    std::fs::remove_dir_all(&dir).unwrap();
}
