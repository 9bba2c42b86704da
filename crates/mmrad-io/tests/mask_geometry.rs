//! Mask geometry: `check_geometry` names the differing field and the remedy; `resample_mask_to_image` against
//! closed-form index maps (identity, shifted, finer, flipped grids); `read_mask` dispatch over label maps, SEG and
//! RTSTRUCT on the IBSI-1 CT phantom and the pydicom SEG, with the grid check and the resampling remedy.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use mmrad_core::{Geometry, LabelMap};
use mmrad_io::Error;
use mmrad_io::dicom::{DicomReadOptions, SegSelect, SegmentId, read_dicom, read_rtstruct, read_seg};
use mmrad_io::mask::{
    DEFAULT_GEOMETRY_TOLERANCE, ImageGrid, MaskKind, MaskSelect, check_geometry, mask_kind, read_mask,
    resample_mask_to_image,
};
use ndarray::Array3;

fn phantom(rel: &str) -> PathBuf {
    mmrad_testkit::shared(&format!("ibsi/ibsi_1_ct_radiomics_phantom/{rel}"))
}

/// A 4 × 3 × 2 (x, y, z) mask whose label encodes its index: 1 + x + 10 y + 100 z.
fn coded_mask(geometry: Geometry) -> LabelMap {
    let data = Array3::from_shape_fn((2, 3, 4), |(z, y, x)| (1 + x + 10 * y + 100 * z) as i64);
    LabelMap::new(data, geometry)
}

fn base_geometry() -> Geometry {
    Geometry {
        spacing: [1.0, 2.0, 4.0],
        origin: [-3.0, 5.0, 10.0],
        ..Geometry::identity()
    }
}

fn mismatch(result: mmrad_io::Result<()>) -> String {
    match result {
        Err(e @ Error::GeometryMismatch { .. }) => e.to_string(),
        other => panic!("expected a geometry mismatch, got {other:?}"),
    }
}

#[test]
fn check_geometry_names_the_field_the_difference_and_the_remedy() {
    let g = base_geometry();
    let tol = DEFAULT_GEOMETRY_TOLERANCE;
    assert!(check_geometry(&g, [4, 3, 2], &g, [4, 3, 2], tol).is_ok());
    // Within tolerance (1e-3 × 1 mm): accepted.
    let mut close = g.clone();
    close.origin[2] += 5e-4;
    assert!(check_geometry(&g, [4, 3, 2], &close, [4, 3, 2], tol).is_ok());
    let text = mismatch(check_geometry(&g, [4, 3, 2], &g, [4, 3, 3], tol));
    assert!(
        text.contains("differ in size") && text.contains("[4, 3, 2] vs mask [4, 3, 3]"),
        "{text}"
    );
    assert!(text.contains("`--resample-mask-to-image`"), "{text}");
    let mut spacing = g.clone();
    spacing.spacing[1] = 2.5;
    let text = mismatch(check_geometry(&g, [4, 3, 2], &spacing, [4, 3, 2], tol));
    assert!(
        text.contains("differ in spacing") && text.contains("5.000e-1 mm along y"),
        "{text}"
    );
    let mut origin = g.clone();
    origin.origin[0] += 0.25;
    let text = mismatch(check_geometry(&g, [4, 3, 2], &origin, [4, 3, 2], tol));
    assert!(
        text.contains("differ in origin") && text.contains("2.500e-1 mm along x"),
        "{text}"
    );
    let mut direction = g.clone();
    direction.direction = [-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    let text = mismatch(check_geometry(&g, [4, 3, 2], &direction, [4, 3, 2], tol));
    assert!(
        text.contains("differ in direction") && text.contains("cosine difference 2.000e0"),
        "{text}"
    );
    // Several fields at once are all named.
    let text = mismatch(check_geometry(&g, [4, 3, 2], &origin, [5, 3, 2], tol));
    assert!(text.contains("differ in size, origin"), "{text}");
}

#[test]
fn resampling_onto_the_same_grid_is_the_identity() {
    let mask = coded_mask(base_geometry());
    let out = resample_mask_to_image(&mask, &mask.geometry, mask.size_xyz()).unwrap();
    assert_eq!(out, mask);
}

#[test]
fn resampling_onto_a_shifted_grid_moves_labels_by_whole_voxels() {
    let mask = coded_mask(base_geometry());
    // Image origin two voxels further along x and one voxel back along z: image (x, y, z) is mask (x + 2, y, z - 1).
    let mut image = base_geometry();
    image.origin = [image.origin[0] + 2.0, image.origin[1], image.origin[2] - 4.0];
    let out = resample_mask_to_image(&mask, &image, [4, 3, 3]).unwrap();
    for ((z, y, x), &v) in out.data.indexed_iter() {
        let expected = if x + 2 < 4 && z >= 1 {
            (1 + (x + 2) + 10 * y + 100 * (z - 1)) as i64
        } else {
            0
        };
        assert_eq!(v, expected, "voxel (z {z}, y {y}, x {x})");
    }
    assert_eq!(out.geometry, image);
}

#[test]
fn resampling_onto_a_finer_grid_rounds_half_up() {
    let mask = coded_mask(base_geometry());
    // Half the x spacing: image x index i sits at mask index i / 2; ITK rounds half up, so i maps to (i + 1) / 2.
    let mut image = base_geometry();
    image.spacing[0] = 0.5;
    let out = resample_mask_to_image(&mask, &image, [8, 3, 2]).unwrap();
    for ((z, y, x), &v) in out.data.indexed_iter() {
        let mx = x.div_ceil(2);
        let expected = if mx < 4 {
            (1 + mx + 10 * y + 100 * z) as i64
        } else {
            0
        };
        assert_eq!(v, expected, "voxel (z {z}, y {y}, x {x})");
    }
}

#[test]
fn resampling_onto_a_flipped_grid_reverses_the_axis() {
    let mask = coded_mask(base_geometry());
    // x axis reversed, origin at the mask's last x voxel: image x maps to mask 3 − x.
    let mut image = base_geometry();
    image.direction = [-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    image.origin[0] += 3.0;
    let out = resample_mask_to_image(&mask, &image, [4, 3, 2]).unwrap();
    for ((z, y, x), &v) in out.data.indexed_iter() {
        assert_eq!(
            v,
            (1 + (3 - x) + 10 * y + 100 * z) as i64,
            "voxel (z {z}, y {y}, x {x})"
        );
    }
    // A singular mask geometry is an error, not a panic.
    let mut singular = mask.clone();
    singular.geometry.spacing = [1.0, 0.0, 1.0];
    assert!(resample_mask_to_image(&singular, &image, [4, 3, 2]).is_err());
}

#[test]
fn mask_kind_recognises_each_format() {
    assert_eq!(
        mask_kind(&phantom("nifti/mask/mask.nii.gz")).unwrap(),
        MaskKind::LabelMap
    );
    assert_eq!(
        mask_kind(&phantom("dicom/mask/DCM_RS_00060.dcm")).unwrap(),
        MaskKind::RtStruct
    );
    assert_eq!(
        mask_kind(&mmrad_testkit::shared("pydicom/liver.dcm")).unwrap(),
        MaskKind::Seg
    );
    let text = mask_kind(&phantom("dicom/image/DCM_IMG_00000.dcm"))
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("DCM_IMG_00000.dcm") && text.contains("not a mask: Modality (0008,0060) `CT`"),
        "{text}"
    );
    let text = mask_kind(&phantom("dicom/image")).unwrap_err().to_string();
    assert!(text.contains("is a folder"), "{text}");
}

#[test]
fn read_mask_dispatches_and_checks_the_grid() {
    let image = read_dicom(&phantom("dicom/image"), &DicomReadOptions::default()).unwrap();
    let grid = ImageGrid::of_dicom(&image);
    let nifti_path = phantom("nifti/mask/mask.nii.gz");
    // NIfTI label map on the DICOM grid: the float32 header is within the default tolerance.
    let nifti = read_mask(&nifti_path, &MaskSelect::default(), Some(&grid)).unwrap();
    assert_eq!(nifti, mmrad_io::read_label_map(&nifti_path).unwrap());
    let absent = MaskSelect {
        label: Some(2),
        ..MaskSelect::default()
    };
    let text = read_mask(&nifti_path, &absent, Some(&grid))
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("mask.nii.gz") && text.contains("no voxel with label `2`; labels present: [1]"),
        "{text}"
    );
    // RTSTRUCT: the ROI is required, and so is the image grid.
    let rs = phantom("dicom/mask/DCM_RS_00060.dcm");
    let gtv = MaskSelect {
        roi: Some("GTV-1".into()),
        ..MaskSelect::default()
    };
    let from_rs = read_mask(&rs, &gtv, Some(&grid)).unwrap();
    assert_eq!(from_rs, read_rtstruct(&rs, "GTV-1", &grid).unwrap());
    let text = read_mask(&rs, &MaskSelect::default(), Some(&grid))
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("choose an ROI by name") && text.contains("`GTV-1`"),
        "{text}"
    );
    let text = read_mask(&rs, &gtv, None).unwrap_err().to_string();
    assert!(text.contains("need the image grid"), "{text}");
    // SEG through the dispatcher, with a chosen label value.
    let liver = mmrad_testkit::shared("pydicom/liver.dcm");
    let seg_select = MaskSelect {
        segment: Some(SegmentId::parse("Liver")),
        label: Some(4),
        ..MaskSelect::default()
    };
    let seg = read_mask(&liver, &seg_select, None).unwrap();
    let direct = read_seg(&liver, &SegSelect::default(), None).unwrap();
    assert_eq!(seg.data, direct.data.mapv(|v| v * 4));
}

#[test]
fn a_label_map_on_another_grid_fails_or_is_resampled_on_request() {
    let image = mmrad_io::read_image(&phantom("nifti/image/phantom.nii.gz")).unwrap();
    let grid = ImageGrid::of_volume(&image);
    let mask = mmrad_io::read_label_map(&phantom("nifti/mask/mask.nii.gz")).unwrap();
    // The same mask written with its origin moved by exactly one voxel along y.
    let mut moved = mask.clone();
    moved.geometry.origin = mask.geometry.index_to_physical([0.0, 1.0, 0.0]);
    let dir = std::env::temp_dir().join(format!("mmrad-mask-geometry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("moved.nrrd");
    mmrad_io::write_label_map_nrrd(&moved, &path).unwrap();
    let text = read_mask(&path, &MaskSelect::default(), Some(&grid))
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("differ in origin") && text.contains("`--resample-mask-to-image`"),
        "{text}"
    );
    let resample = MaskSelect {
        resample_to_image: true,
        ..MaskSelect::default()
    };
    let back = read_mask(&path, &resample, Some(&grid)).unwrap();
    assert_eq!(back.size_xyz(), image.size_xyz());
    // Image voxel (x, y, z) is moved-mask voxel (x, y − 1, z), i.e. original mask voxel (x, y − 1, z).
    for ((z, y, x), &v) in back.data.indexed_iter() {
        let expected = if y >= 1 { mask.data[[z, y - 1, x]] } else { 0 };
        assert_eq!(v, expected, "voxel (z {z}, y {y}, x {x})");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// An oblique LPS geometry (rotation about z by 30°, then the z axis flipped) with distinct spacings.
fn oblique_geometry() -> Geometry {
    let (s, c) = 30f64.to_radians().sin_cos();
    Geometry {
        spacing: [0.7, 1.3, 2.5],
        origin: [-12.5, 40.25, -7.0],
        direction: [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, -1.0],
        ndim: 3,
    }
}

fn assert_geometry_close(actual: &Geometry, expected: &Geometry) {
    // The NIfTI header stores float32: 1e-5 relative covers its rounding of these values.
    let tolerance = 1e-5;
    for (name, a, b) in [
        ("spacing", actual.spacing.to_vec(), expected.spacing.to_vec()),
        ("origin", actual.origin.to_vec(), expected.origin.to_vec()),
        (
            "direction",
            actual.direction.to_vec(),
            expected.direction.to_vec(),
        ),
    ] {
        for (x, y) in a.iter().zip(&b) {
            assert!(
                (x - y).abs() <= tolerance * y.abs().max(1.0),
                "{name}: {a:?} vs {b:?}"
            );
        }
    }
}

#[test]
fn nifti_writer_round_trips_through_sform_and_qform() {
    let dir = std::env::temp_dir().join(format!("mmrad-nifti-write-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let geometry = oblique_geometry();
    let labels = LabelMap::new(
        Array3::from_shape_fn((3, 4, 5), |(z, y, x)| ((x * 7 + y * 3 + z) % 5) as i64 * 1000),
        geometry.clone(),
    );
    let volume = mmrad_core::Volume::new(labels.data.mapv(|v| v as f64 * 0.25 - 3.5), geometry.clone());
    // gzip, read back through the sform.
    let gz = dir.join("labels.nii.gz");
    mmrad_io::write_label_map_nifti(&labels, &gz).unwrap();
    let back = mmrad_io::read_label_map(&gz).unwrap();
    assert_eq!(back.data, labels.data);
    assert_geometry_close(&back.geometry, &geometry);
    let image_path = dir.join("image.nii.gz");
    mmrad_io::write_volume_nifti(&volume, &image_path).unwrap();
    let image = mmrad_io::read_image(&image_path).unwrap();
    assert_eq!(image.data, volume.data);
    assert_geometry_close(&image.geometry, &geometry);
    // Uncompressed, with sform_code (bytes 254..256) zeroed so that the reader must use the qform.
    let nii = dir.join("labels.nii");
    mmrad_io::write_label_map_nifti(&labels, &nii).unwrap();
    let mut bytes = std::fs::read(&nii).unwrap();
    bytes[254] = 0;
    bytes[255] = 0;
    std::fs::write(&nii, &bytes).unwrap();
    let from_qform = mmrad_io::read_label_map(&nii).unwrap();
    assert_eq!(from_qform.data, labels.data);
    assert_geometry_close(&from_qform.geometry, &geometry);
    let _ = std::fs::remove_dir_all(&dir);
}
