//! The NRRD region reader (`read_nrrd_words`) against the whole-volume reader, which `read_reference.rs` checks
//! against numpy: same geometry, sums, label extents and region values on the PyRadiomics cases (raw and gzip).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mmrad_io::nrrd::{IndexBox, read_nrrd_words};
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
fn words_match_the_whole_volume_reader_on_pyradiomics_cases() {
    for case in ["brain1", "breast1", "lung2"] {
        let image_path = shared(&format!("pyradiomics/{case}_image.nrrd"));
        let label_path = shared(&format!("pyradiomics/{case}_label.nrrd"));
        let image = read_image(&image_path).unwrap();
        let labels = read_label_map(&label_path).unwrap();
        let words = read_nrrd_words(&image_path)
            .unwrap()
            .expect("binary little-endian");
        let mask_words = read_nrrd_words(&label_path)
            .unwrap()
            .expect("binary little-endian");

        let (nz, ny, nx) = image.data.dim();
        assert_eq!(words.size_xyz(), [nx, ny, nz], "{case}");
        assert_eq!(words.geometry(), &image.geometry, "{case}");
        assert!(words.is_integer(), "{case}");
        let (sum, min, max) = words.sum_min_max();
        assert_eq!(sum, image.data.iter().sum::<f64>(), "{case} sum");
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
    let words = read_nrrd_words(&path).unwrap().unwrap();
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
    let words = read_nrrd_words(&path).unwrap().unwrap();
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
