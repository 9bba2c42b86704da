//! The region readers (`read_volume_words`, NRRD and NIfTI) against the whole-volume readers, which
//! `read_reference.rs` checks against numpy: same geometry, the same sum bits as ndarray's `sum()`, label extents
//! and region values, on the PyRadiomics cases (int16 NRRD), the IBSI soft-tissue sarcoma CT/MR/PET (float32 NIfTI)
//! and the IBSI CT phantom.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mmrad_io::words::{IndexBox, read_volume_words};
use mmrad_io::{read_image, read_label_map, write_label_map_nrrd, write_volume_nrrd};
use mmrad_testkit::shared;

/// Bounding box and count of `label` by a plain loop over the whole label map.
fn bbox_by_loop(labels: &ndarray::Array3<i64>, label: i64) -> (Option<IndexBox>, usize) {
    let mut bbox: Option<IndexBox> = None;
    let mut count = 0;
    for ((z, y, x), &v) in labels.indexed_iter() {
        if v != label {
            continue;
        }
        count += 1;
        let b = bbox.get_or_insert([[z, z], [y, y], [x, x]]);
        for (axis, i) in [z, y, x].into_iter().enumerate() {
            b[axis][0] = b[axis][0].min(i);
            b[axis][1] = b[axis][1].max(i);
        }
    }
    (bbox, count)
}

/// The inclusive box `b` of `a`, copied index by index.
fn crop<T: Copy>(a: &ndarray::Array3<T>, b: &IndexBox) -> ndarray::Array3<T> {
    let shape = (
        b[0][1] - b[0][0] + 1,
        b[1][1] - b[1][0] + 1,
        b[2][1] - b[2][0] + 1,
    );
    ndarray::Array3::from_shape_fn(shape, |(z, y, x)| a[[z + b[0][0], y + b[1][0], x + b[2][0]]])
}

#[test]
fn words_match_the_whole_volume_readers() {
    let cases = [
        (
            "pyradiomics/brain1_image.nrrd",
            "pyradiomics/brain1_label.nrrd",
            true,
        ),
        (
            "pyradiomics/breast1_image.nrrd",
            "pyradiomics/breast1_label.nrrd",
            true,
        ),
        (
            "pyradiomics/lung2_image.nrrd",
            "pyradiomics/lung2_label.nrrd",
            true,
        ),
        (
            "ibsi_validation_sts/nifti/STS_001/CT_image.nii.gz",
            "ibsi_validation_sts/nifti/STS_001/CT_mask.nii.gz",
            false,
        ),
        (
            "ibsi_validation_sts/nifti/STS_002/MR_T1_image.nii.gz",
            "ibsi_validation_sts/nifti/STS_002/MR_T1_mask.nii.gz",
            false,
        ),
        (
            "ibsi_validation_sts/nifti/STS_003/PET_image.nii.gz",
            "ibsi_validation_sts/nifti/STS_003/PET_mask.nii.gz",
            false,
        ),
        (
            "ibsi/ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz",
            "ibsi/ibsi_1_ct_radiomics_phantom/nifti/mask/mask.nii.gz",
            false,
        ),
    ];
    for (image_rel, label_rel, integer) in cases {
        let case = image_rel;
        let image_path = shared(image_rel);
        let label_path = shared(label_rel);
        let image = read_image(&image_path).unwrap();
        let labels = read_label_map(&label_path).unwrap();
        let words = read_volume_words(&image_path)
            .unwrap()
            .expect("binary little-endian");
        let mask_words = read_volume_words(&label_path)
            .unwrap()
            .expect("binary little-endian");

        let (nz, ny, nx) = image.data.dim();
        assert_eq!(words.size_xyz(), [nx, ny, nz], "{case}");
        assert_eq!(words.geometry(), &image.geometry, "{case}");
        assert_eq!(words.is_integer(), integer, "{case}");
        let (sum, min, max) = words.sum_min_max();
        // Bit for bit the sum the whole-volume extraction reports (ndarray's eight-way unrolled order).
        assert_eq!(sum.to_bits(), image.data.sum().to_bits(), "{case} sum");
        assert_eq!(
            min,
            image.data.iter().copied().fold(f64::INFINITY, f64::min),
            "{case}"
        );
        assert_eq!(
            max,
            image.data.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            "{case}"
        );

        for label in [1, 2, 7] {
            let extent = mask_words.label_extent(label);
            let (bbox, count) = bbox_by_loop(&labels.data, label);
            assert_eq!(extent.bounding_box, bbox, "{case} label {label}");
            assert_eq!(extent.count, count, "{case} label {label}");
            assert_eq!(extent.any_nonzero, labels.data.iter().any(|&v| v != 0), "{case}");
        }

        let region = mask_words.label_extent(1).bounding_box.unwrap();
        let (values, geometry) = words.region_f64(&region);
        assert_eq!(values, crop(&image.data, &region), "{case} region values");
        let corner =
            image
                .geometry
                .index_to_physical([region[2][0] as f64, region[1][0] as f64, region[0][0] as f64]);
        assert_eq!(geometry.origin, corner, "{case} region origin");
        assert_eq!(geometry.spacing, image.geometry.spacing);
        assert_eq!(geometry.direction, image.geometry.direction);
        let region_labels = mask_words.region_labels(&region).unwrap();
        assert_eq!(
            region_labels.data,
            crop(&labels.data, &region),
            "{case} region labels"
        );
    }
}

#[test]
fn regions_are_clamped_and_float_images_are_not_integer() {
    let dir = std::env::temp_dir().join(format!("mmrad-nrrd-words-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let geometry = mmrad_core::Geometry {
        origin: [1.0, -2.0, 3.0],
        spacing: [0.5, 0.75, 2.0],
        ..mmrad_core::Geometry::identity()
    };
    let data = ndarray::Array3::from_shape_fn((3, 4, 5), |(z, y, x)| (z * 100 + y * 10 + x) as f64 + 0.5);
    let volume = mmrad_core::Volume::new(data.clone(), geometry.clone());
    let path = dir.join("float.nrrd");
    write_volume_nrrd(&volume, &path).unwrap();
    let words = read_volume_words(&path).unwrap().unwrap();
    assert!(!words.is_integer());
    let (values, _) = words.region_f64(&[[1, 9], [2, 3], [4, 40]]);
    assert_eq!(values, crop(&data, &[[1, 2], [2, 3], [4, 4]]));

    // A label touching every face of the volume.
    let mut labels = ndarray::Array3::<i64>::zeros((3, 4, 5));
    labels[[0, 0, 4]] = 2;
    labels[[2, 3, 0]] = 2;
    labels[[1, 1, 1]] = 5;
    let path = dir.join("labels.nrrd");
    write_label_map_nrrd(&mmrad_core::LabelMap::new(labels.clone(), geometry), &path).unwrap();
    let words = read_volume_words(&path).unwrap().unwrap();
    let extent = words.label_extent(2);
    assert_eq!(extent.bounding_box, Some([[0, 2], [0, 3], [0, 4]]));
    assert_eq!(extent.count, 2);
    assert_eq!(words.label_extent(3).bounding_box, None);
    assert_eq!(
        words.region_labels(&[[0, 2], [0, 3], [0, 4]]).unwrap().data,
        labels
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn nifti_scaling_is_applied_as_the_whole_volume_reader_applies_it() {
    let dir = std::env::temp_dir().join(format!("mmrad-nifti-words-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let labels = ndarray::Array3::from_shape_fn((3, 5, 7), |(z, y, x)| ((z * 35 + y * 7 + x) % 11) as i64);
    let path = dir.join("scaled.nii");
    mmrad_io::write_label_map_nifti(
        &mmrad_core::LabelMap::new(labels, mmrad_core::Geometry::identity()),
        &path,
    )
    .unwrap();
    // scl_slope and scl_inter live at bytes 112..120 of the NIfTI-1 header.
    for (slope, inter) in [(2.5_f32, -3.0_f32), (1.0, 0.0), (0.0, 7.0)] {
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[112..116].copy_from_slice(&slope.to_le_bytes());
        bytes[116..120].copy_from_slice(&inter.to_le_bytes());
        let scaled = dir.join("patched.nii");
        std::fs::write(&scaled, &bytes).unwrap();
        let whole = read_image(&scaled).unwrap();
        let words = read_volume_words(&scaled)
            .unwrap()
            .expect("little-endian integer NIfTI");
        let (values, _) = words.region_f64(&[[0, 2], [0, 4], [0, 6]]);
        assert_eq!(values, whole.data, "slope {slope} inter {inter}");
        let (sum, min, max) = words.sum_min_max();
        assert_eq!(sum.to_bits(), whole.data.sum().to_bits(), "slope {slope}");
        assert_eq!(min, whole.data.iter().copied().fold(f64::INFINITY, f64::min));
        assert_eq!(max, whole.data.iter().copied().fold(f64::NEG_INFINITY, f64::max));
    }
    std::fs::remove_dir_all(&dir).ok();
}
