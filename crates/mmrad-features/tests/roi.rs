//! ROI pipeline and extraction on small synthetic volumes with closed-form answers, and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mmrad_core::{Geometry, LabelMap, Volume};
use mmrad_features::{
    ExtractionSettings, FeatureClass, FeatureClassSelection, FeatureError, ResegmentMode, extract,
    prepare_roi,
};
use mmrad_testkit::{assert_close, pyradiomics_case};
use ndarray::Array3;

/// A 1×2×2 image holding 1, 2, 3, 4 fully inside label 1, in a 3×4×4 volume of zeros (labels 0).
fn tiny() -> (Volume, LabelMap) {
    let mut image = Array3::<f64>::zeros((3, 4, 4));
    let mut labels = Array3::<i64>::zeros((3, 4, 4));
    for (k, (y, x)) in [(1, 1), (1, 2), (2, 1), (2, 2)].into_iter().enumerate() {
        image[[1, y, x]] = (k + 1) as f64;
        labels[[1, y, x]] = 1;
    }
    let geometry = Geometry::with_spacing([0.5, 2.0, 3.0]);
    (
        Volume::new(image, geometry.clone()),
        LabelMap::new(labels, geometry),
    )
}

fn firstorder(image: &Volume, mask: &LabelMap, settings: &ExtractionSettings) -> Vec<(String, f64)> {
    extract(
        image,
        mask,
        settings,
        &FeatureClassSelection::only(&[FeatureClass::FirstOrder]),
    )
    .unwrap()
    .features
}

#[test]
fn firstorder_closed_form_on_four_voxels() {
    let (image, mask) = tiny();
    let settings = ExtractionSettings {
        bin_width: 1.0,
        voxel_array_shift: 10.0,
        ..ExtractionSettings::default()
    };
    let f = firstorder(&image, &mask, &settings);
    let get = |name: &str| {
        f.iter()
            .find(|(n, _)| n == &format!("original_firstorder_{name}"))
            .unwrap()
            .1
    };
    // x = 1, 2, 3, 4: mean 2.5, population variance 1.25, m4 = 2.5625 → kurtosis 1.64, skewness 0.
    let expected = [
        ("Mean", 2.5),
        ("Variance", 1.25),
        ("Kurtosis", 2.5625 / 1.5625),
        ("Skewness", 0.0),
        ("Minimum", 1.0),
        ("Maximum", 4.0),
        ("Range", 3.0),
        ("Median", 2.5),
        ("10Percentile", 1.3),
        ("90Percentile", 3.7),
        ("InterquartileRange", 1.5),
        ("MeanAbsoluteDeviation", 1.0),
        // Only 2 and 3 lie within [1.3, 3.7]: mean 2.5, mean |dev| 0.5.
        ("RobustMeanAbsoluteDeviation", 0.5),
        // Energy with shift 10: 11² + 12² + 13² + 14² = 630; voxel volume 3 mm³.
        ("Energy", 630.0),
        ("TotalEnergy", 1890.0),
        ("RootMeanSquared", (630.0_f64 / 4.0).sqrt()),
        // Four equally filled bins of width 1: entropy 2 bits (eps shifts it by < 1e-15), uniformity 1/4.
        ("Entropy", 2.0),
        ("Uniformity", 0.25),
    ];
    for (name, value) in expected {
        assert_close(name, get(name), value, 1e-12, 1e-12);
    }
    assert_eq!(f.len(), 18, "StandardDeviation only on request");
}

#[test]
fn shape2d_requires_force2d_and_uses_the_plane() {
    let (image, mask) = tiny();
    let classes = FeatureClassSelection::only(&[FeatureClass::Shape2D]);
    let off = extract(&image, &mask, &ExtractionSettings::default(), &classes).unwrap();
    assert!(off.features.is_empty());
    assert!(
        off.diagnostics
            .iter()
            .any(|(k, _)| k == "diagnostics_Warning_shape2D")
    );
    let settings = ExtractionSettings {
        force_2d: true,
        ..ExtractionSettings::default()
    };
    let on = extract(&image, &mask, &settings, &classes).unwrap();
    // 2×2 pixels of 2 mm (y) × 0.5 mm (x): pixel surface 4 mm².
    assert_close(
        "PixelSurface",
        on.value("original_shape2D_PixelSurface").unwrap(),
        4.0,
        1e-12,
        0.0,
    );
    assert_eq!(on.features.len(), 9);
}

#[test]
fn bad_input_gives_named_errors() {
    let (image, mask) = tiny();
    let settings = ExtractionSettings::default();
    let empty = LabelMap::new(Array3::zeros((3, 4, 4)), mask.geometry.clone());
    assert_eq!(
        prepare_roi(&image, &empty, &settings).unwrap_err(),
        FeatureError::EmptyMask
    );

    let relabelled = LabelMap::new(mask.data.mapv(|v| v * 2), mask.geometry.clone());
    let err = prepare_roi(&image, &relabelled, &settings).unwrap_err();
    assert_eq!(
        err,
        FeatureError::LabelAbsent {
            label: 1,
            present: vec![2]
        }
    );
    assert!(err.to_string().contains("labels present: [2]"), "{err}");

    let smaller = LabelMap::new(Array3::zeros((3, 4, 5)), mask.geometry.clone());
    let err = prepare_roi(&image, &smaller, &settings).unwrap_err();
    assert!(
        matches!(err, FeatureError::GeometryMismatch { what: "size", .. }),
        "{err}"
    );

    let mut moved = mask.clone();
    moved.geometry.origin[2] += 0.01;
    let err = prepare_roi(&image, &moved, &settings).unwrap_err();
    assert!(
        matches!(err, FeatureError::GeometryMismatch { what: "origin", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("origin differs"), "{err}");
    // Within the tolerance (1e-6 × x spacing by default, or geometryTolerance × x spacing) it is accepted.
    let tolerant = ExtractionSettings {
        geometry_tolerance: Some(0.1),
        ..ExtractionSettings::default()
    };
    assert!(prepare_roi(&image, &moved, &tolerant).is_ok());

    let mut single = Array3::<i64>::zeros((3, 4, 4));
    single[[1, 1, 1]] = 1;
    let single = LabelMap::new(single, mask.geometry.clone());
    assert_eq!(
        prepare_roi(&image, &single, &settings).unwrap_err(),
        FeatureError::SingleVoxel
    );

    let three_d = ExtractionSettings {
        minimum_roi_dimensions: 3,
        ..ExtractionSettings::default()
    };
    assert_eq!(
        prepare_roi(&image, &mask, &three_d).unwrap_err(),
        FeatureError::TooFewDimensions {
            found: 2,
            required: 3
        }
    );
    let big = ExtractionSettings {
        minimum_roi_size: Some(4),
        ..ExtractionSettings::default()
    };
    assert_eq!(
        prepare_roi(&image, &mask, &big).unwrap_err(),
        FeatureError::TooSmall {
            found: 4,
            required: 4
        }
    );

    let reseg = ExtractionSettings {
        resegment_range: Some(vec![4.0]),
        ..ExtractionSettings::default()
    };
    assert_eq!(
        prepare_roi(&image, &mask, &reseg).unwrap_err(),
        FeatureError::ResegmentedAway { label: 1, kept: 1 }
    );

    let bad_width = ExtractionSettings {
        bin_width: 0.0,
        ..ExtractionSettings::default()
    };
    assert!(matches!(
        prepare_roi(&image, &mask, &bad_width).unwrap_err(),
        FeatureError::InvalidSetting { name: "binWidth", .. }
    ));
    let resampling = ExtractionSettings {
        resampled_pixel_spacing: Some([1.0, -1.0, 1.0]),
        ..ExtractionSettings::default()
    };
    assert!(matches!(
        prepare_roi(&image, &mask, &resampling).unwrap_err(),
        FeatureError::InvalidSetting {
            name: "resampledPixelSpacing",
            ..
        }
    ));
    let unknown = FeatureClassSelection {
        classes: vec![(FeatureClass::FirstOrder, vec!["Mode".into()])],
        ibsi: None,
    };
    assert!(matches!(
        extract(&image, &mask, &settings, &unknown).unwrap_err(),
        FeatureError::UnknownFeature { .. }
    ));
}

#[test]
fn resegmentation_modes_keep_the_right_voxels() {
    let (image, mask) = tiny();
    let check = |range: Vec<f64>, mode: ResegmentMode, kept: usize| {
        let settings = ExtractionSettings {
            resegment_range: Some(range.clone()),
            resegment_mode: mode,
            minimum_roi_dimensions: 1,
            ..Default::default()
        };
        let roi = prepare_roi(&image, &mask, &settings).unwrap();
        assert_eq!(
            roi.mask.iter().filter(|&&m| m).count(),
            kept,
            "{range:?} {mode:?}"
        );
    };
    check(vec![2.0, 3.0], ResegmentMode::Absolute, 2);
    check(vec![3.0], ResegmentMode::Absolute, 2);
    // Relative to the maximum 4: [0.5, 1] → [2, 4].
    check(vec![0.5, 1.0], ResegmentMode::Relative, 3);
    // mean 2.5 ± 1 × σ (σ = √1.25 ≈ 1.118): keeps 2, 3.
    check(vec![-1.0, 1.0], ResegmentMode::Sigma, 2);
}

#[test]
fn normalisation_uses_the_whole_image_and_sample_sigma() {
    let (image, mask) = tiny();
    let settings = ExtractionSettings {
        normalize: true,
        normalize_scale: 100.0,
        ..ExtractionSettings::default()
    };
    let roi = prepare_roi(&image, &mask, &settings).unwrap();
    // 48 voxels: values 1..4 once each, 44 zeros: mean 10/48, sample variance (30 − 100/48) / 47.
    let mean = 10.0 / 48.0;
    let sigma = ((30.0 - 100.0 / 48.0) / 47.0_f64).sqrt();
    let first_roi_value = roi
        .image
        .iter()
        .zip(roi.mask.iter())
        .find(|(_, m)| **m)
        .unwrap()
        .0;
    assert_close(
        "normalised 1",
        *first_roi_value,
        100.0 * (1.0 - mean) / sigma,
        1e-12,
        0.0,
    );
}

#[test]
fn correct_mask_resamples_a_shifted_mask_onto_the_image_grid() {
    // breast1's mask moved one voxel along x in index space and back in physical space (origin − one spacing):
    // after correction it coincides with the original mask, so features are identical.
    let (image, mask) = pyradiomics_case("breast1");
    let (nz, ny, nx) = mask.data.dim();
    let mut shifted_data = Array3::<i64>::zeros((nz, ny, nx + 1));
    for ((z, y, x), &v) in mask.data.indexed_iter() {
        shifted_data[[z, y, x + 1]] = v;
    }
    let mut shifted_geometry = mask.geometry.clone();
    for row in 0..3 {
        shifted_geometry.origin[row] -= mask.geometry.direction[row * 3] * mask.geometry.spacing[0];
    }
    let shifted = LabelMap::new(shifted_data, shifted_geometry);
    let classes = FeatureClassSelection::only(&[FeatureClass::FirstOrder, FeatureClass::Shape]);
    let strict = ExtractionSettings::default();
    assert!(matches!(
        extract(&image, &shifted, &strict, &classes).unwrap_err(),
        FeatureError::GeometryMismatch { what: "size", .. }
    ));
    let corrected = ExtractionSettings {
        correct_mask: true,
        ..ExtractionSettings::default()
    };
    let reference = extract(&image, &mask, &strict, &classes).unwrap();
    let result = extract(&image, &shifted, &corrected, &classes).unwrap();
    assert_eq!(reference.features, result.features);
}

#[test]
fn resampling_to_the_same_spacing_keeps_the_features() {
    // Requesting the image's own spacing only resamples the mask onto the image grid (PyRadiomics shortcut), so every
    // feature equals the plain extraction.
    let (image, mask) = pyradiomics_case("breast1");
    let classes = FeatureClassSelection::only(&[FeatureClass::FirstOrder, FeatureClass::Shape]);
    let plain = extract(&image, &mask, &ExtractionSettings::default(), &classes).unwrap();
    let same = ExtractionSettings {
        resampled_pixel_spacing: Some(image.geometry.spacing),
        ..ExtractionSettings::default()
    };
    assert_eq!(
        extract(&image, &mask, &same, &classes).unwrap().features,
        plain.features
    );
}
