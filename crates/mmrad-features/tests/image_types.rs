//! `extract_image_types`: PyRadiomics' order of operations and naming on small synthetic volumes (the values
//! themselves are checked against PyRadiomics in `mmrad-conformance/tests/pyradiomics_filters.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mmrad_core::{Geometry, LabelMap, Volume};
use mmrad_features::{
    ExtractionSettings, FeatureClass, FeatureClassSelection, ImageType, ImageTypeSpec, Sigma, extract,
    extract_image_types,
};
use ndarray::Array3;

/// A 12 × 12 × 12 image with a smooth pattern and a 6 × 5 × 4 ROI away from the border.
fn case() -> (Volume, LabelMap) {
    let image = Array3::from_shape_fn((12, 12, 12), |(z, y, x)| {
        (100.0 + 40.0 * ((x as f64) * 0.7).sin() + 25.0 * ((y * z) as f64 * 0.3).cos()).round()
    });
    let labels = Array3::from_shape_fn((12, 12, 12), |(z, y, x)| {
        i64::from((4..8).contains(&z) && (3..8).contains(&y) && (3..9).contains(&x))
    });
    let geometry = Geometry::with_spacing([1.0, 1.0, 1.5]);
    (
        Volume::new(image, geometry.clone()),
        LabelMap::new(labels, geometry),
    )
}

fn spec(image_type: ImageType, settings: &ExtractionSettings) -> ImageTypeSpec {
    ImageTypeSpec::new(image_type, settings.clone())
}

fn names(features: &[(String, f64)]) -> Vec<String> {
    features.iter().map(|(n, _)| n.clone()).collect()
}

#[test]
fn original_through_the_filter_path_equals_extract() {
    let (image, mask) = case();
    let settings = ExtractionSettings::default();
    let classes =
        FeatureClassSelection::only(&[FeatureClass::Shape, FeatureClass::FirstOrder, FeatureClass::Glcm]);
    let plain = extract(&image, &mask, &settings, &classes).unwrap();
    // A second type forces the filter path (ROI prepared once, image re-cropped, features renamed).
    let types = [
        spec(ImageType::Original, &settings),
        spec(ImageType::Square, &settings),
    ];
    let filtered = extract_image_types(&image, &mask, &settings, &types, &classes).unwrap();
    let original: Vec<(String, f64)> = filtered
        .features
        .iter()
        .filter(|(n, _)| n.starts_with("original_"))
        .cloned()
        .collect();
    assert_eq!(original, plain.features);
    assert!(filtered.features.iter().any(|(n, _)| n == "square_glcm_Contrast"));
    assert!(
        !filtered
            .features
            .iter()
            .any(|(n, _)| n.starts_with("square_shape"))
    );
}

#[test]
fn columns_follow_pyradiomics_order_and_names() {
    let (image, mask) = case();
    let settings = ExtractionSettings::default();
    let mut log = spec(ImageType::LoG, &settings);
    log.filter.sigma = vec![
        Sigma::float(1.0),
        Sigma {
            mm: 2.0,
            text: "2".into(),
        },
    ];
    let types = [
        spec(ImageType::Gradient, &settings),
        log,
        spec(ImageType::Wavelet, &settings),
        spec(ImageType::Original, &settings),
    ];
    let classes = FeatureClassSelection::only(&[FeatureClass::FirstOrder, FeatureClass::Shape]);
    let out = extract_image_types(&image, &mask, &settings, &types, &classes).unwrap();
    let mut prefixes: Vec<String> = Vec::new();
    for name in names(&out.features) {
        let image_type = name.split('_').next().unwrap().to_owned();
        let prefix = if name.contains("_shape_") {
            format!("{image_type}_shape")
        } else {
            image_type
        };
        if prefixes.last() != Some(&prefix) {
            prefixes.push(prefix);
        }
    }
    assert_eq!(
        prefixes,
        [
            "original_shape",
            "gradient",
            "log-sigma-1-0-mm-3D",
            "log-sigma-2-mm-3D",
            "wavelet-LLH",
            "wavelet-LHL",
            "wavelet-LHH",
            "wavelet-HLL",
            "wavelet-HLH",
            "wavelet-HHL",
            "wavelet-HHH",
            "wavelet-LLL",
            "original",
        ]
    );
}

#[test]
fn per_type_settings_apply_to_that_type_only() {
    let (image, mask) = case();
    let settings = ExtractionSettings::default();
    let fine = ExtractionSettings {
        bin_width: 1.0,
        ..settings.clone()
    };
    let types = [
        spec(ImageType::Original, &settings),
        spec(ImageType::Square, &fine),
    ];
    let classes = FeatureClassSelection::only(&[FeatureClass::FirstOrder]);
    let out = extract_image_types(&image, &mask, &settings, &types, &classes).unwrap();
    let square_alone =
        extract_image_types(&image, &mask, &fine, &[spec(ImageType::Square, &fine)], &classes).unwrap();
    let entropy = |e: &mmrad_features::Extraction| e.value("square_firstorder_Entropy").unwrap();
    assert_eq!(entropy(&out), entropy(&square_alone));
    let coarse = extract_image_types(
        &image,
        &mask,
        &settings,
        &[spec(ImageType::Square, &settings)],
        &classes,
    )
    .unwrap();
    assert_ne!(entropy(&out), entropy(&coarse));
}

#[test]
fn too_large_sigma_is_skipped_with_a_warning() {
    let (image, mask) = case();
    let settings = ExtractionSettings::default();
    let mut log = spec(ImageType::LoG, &settings);
    // 12 voxels < ceil(20 / 1) + 1: PyRadiomics logs a warning and yields no image for this sigma.
    log.filter.sigma = vec![Sigma::float(20.0), Sigma::float(1.0), Sigma::float(30.0)];
    let classes = FeatureClassSelection::only(&[FeatureClass::FirstOrder]);
    let out = extract_image_types(&image, &mask, &settings, &[log], &classes).unwrap();
    assert!(out.value("log-sigma-1-0-mm-3D_firstorder_Mean").is_some());
    assert!(!out.features.iter().any(|(n, _)| n.starts_with("log-sigma-20")));
    assert!(
        out.diagnostics
            .iter()
            .any(|(k, v)| k == "diagnostics_Warning_LoG" && v.starts_with("log-sigma-20-0-mm-3D:")),
        "{:?}",
        out.diagnostics
    );
    // Both skipped sigmas share one column: two columns of the same name would make the CSV ambiguous.
    let warnings: Vec<&String> = out
        .diagnostics
        .iter()
        .filter(|(k, _)| k == "diagnostics_Warning_LoG")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains(" | log-sigma-30-0-mm-3D:"), "{warnings:?}");
}

#[test]
fn lbp_images_are_named_as_pyradiomics_and_bad_lbp_settings_and_unknown_wavelets_are_errors() {
    let (image, mask) = case();
    let settings = ExtractionSettings::default();
    let classes = FeatureClassSelection::only(&[FeatureClass::FirstOrder]);
    let out = extract_image_types(
        &image,
        &mask,
        &settings,
        &[
            spec(ImageType::Lbp2D, &settings),
            spec(ImageType::Lbp3D, &settings),
        ],
        &classes,
    )
    .unwrap();
    let prefixes: Vec<&str> = out
        .features
        .iter()
        .filter(|(n, _)| n.ends_with("_firstorder_Mean"))
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        prefixes,
        [
            "lbp-2D_firstorder_Mean",
            "lbp-3D-m1_firstorder_Mean",
            "lbp-3D-m2_firstorder_Mean",
            "lbp-3D-k_firstorder_Mean"
        ]
    );
    // A flat neighbourhood: scipy's kurtosis of 42 equal samples is NaN, which PyRadiomics' nan-aware features
    // skip; mmrad names the image type and the reason.
    let flat = Volume::new(Array3::from_elem((9, 9, 9), 100.0), image.geometry.clone());
    let flat_mask = LabelMap::new(
        Array3::from_shape_fn((9, 9, 9), |(z, y, x)| {
            i64::from((3..6).contains(&z) && (3..6).contains(&y) && (3..6).contains(&x))
        }),
        image.geometry.clone(),
    );
    let err = extract_image_types(
        &flat,
        &flat_mask,
        &settings,
        &[spec(ImageType::Lbp3D, &settings)],
        &classes,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("imageType.LBP3D (lbp-3D-k)") && err.contains("27 ROI voxel(s)"),
        "{err}"
    );
    let mut lbp3 = spec(ImageType::Lbp3D, &settings);
    lbp3.filter.lbp_3d.levels = 1;
    let err = extract_image_types(&image, &mask, &settings, &[lbp3], &classes).unwrap_err();
    assert!(err.to_string().contains("lbp3DLevels"), "{err}");
    let mut wavelet = spec(ImageType::Wavelet, &settings);
    wavelet.filter.wavelet = "coif0".into();
    let err = extract_image_types(&image, &mask, &settings, &[wavelet], &classes).unwrap_err();
    assert!(err.to_string().contains("`coif0`"), "{err}");
}
