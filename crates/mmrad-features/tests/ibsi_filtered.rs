//! IBSI mode with PyRadiomics image types: column naming, the ROI re-segmented on the unfiltered image, response-map
//! discretisation, and closed-form values (the response maps themselves are checked against PyRadiomics in
//! `mmrad-conformance/tests/ibsi_filters.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mmrad_core::{Geometry, LabelMap, Volume};
use mmrad_features::{
    ExtractionSettings, FeatureClassSelection, FeatureError, ImageType, ImageTypeSpec, Sigma, extract,
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

/// A 3 × 3 × 3 ROI of values 1..=27 in a 5 × 5 × 5 image of zeros.
fn cube() -> (Volume, LabelMap) {
    let image = Array3::from_shape_fn((5, 5, 5), |(z, y, x)| {
        if (1..4).contains(&z) && (1..4).contains(&y) && (1..4).contains(&x) {
            ((z - 1) * 9 + (y - 1) * 3 + x) as f64
        } else {
            0.0
        }
    });
    let labels = image.mapv(|v| i64::from(v > 0.0));
    (
        Volume::new(image, Geometry::identity()),
        LabelMap::new(labels, Geometry::identity()),
    )
}

fn ibsi(bin_count: Option<usize>) -> ExtractionSettings {
    ExtractionSettings {
        ibsi_compliant: true,
        bin_count,
        ibsi_ivh_bin_count: Some(50),
        ..ExtractionSettings::default()
    }
}

fn types(settings: &ExtractionSettings, list: &[ImageType]) -> Vec<ImageTypeSpec> {
    list.iter()
        .map(|&t| {
            let mut spec = ImageTypeSpec::new(t, settings.clone());
            spec.filter.sigma = vec![Sigma::float(1.0)];
            spec
        })
        .collect()
}

fn classes(entries: &[&str]) -> FeatureClassSelection {
    FeatureClassSelection::ibsi(entries.iter().map(|k| ((*k).to_owned(), Vec::new())).collect())
}

#[test]
fn square_of_a_known_image_gives_closed_form_statistics() {
    // PyRadiomics' Square is (x/√max|x|)² = x²/27 here: the ROI holds k²/27, k = 1..=27.
    let (image, mask) = cube();
    let settings = ibsi(Some(27));
    let out = extract_image_types(
        &image,
        &mask,
        &settings,
        &types(&settings, &[ImageType::Square]),
        &classes(&["stat", "ih"]),
    )
    .unwrap();
    let value = |n: &str| out.value(n).unwrap_or_else(|| panic!("{n} missing"));
    let n = 27.0_f64;
    let s2 = n * (n + 1.0) * (2.0 * n + 1.0) / 6.0; // Σk²
    let s4 = n * (n + 1.0) * (2.0 * n + 1.0) * (3.0 * n * n + 3.0 * n - 1.0) / 30.0; // Σk⁴
    let mean = s2 / n / 27.0;
    let var = s4 / n / 729.0 - mean * mean;
    for (name, expected) in [
        ("square_ibsi_stat_mean", mean),
        ("square_ibsi_stat_var", var),
        ("square_ibsi_stat_min", 1.0 / 27.0),
        ("square_ibsi_stat_max", 27.0),
        ("square_ibsi_stat_median", 196.0 / 27.0),
        ("square_ibsi_stat_range", 27.0 - 1.0 / 27.0),
        ("square_ibsi_stat_energy", s4 / 729.0),
        ("square_ibsi_stat_rms", (s4 / 729.0 / n).sqrt()),
        // 27 fixed bins over [1/27, 27]: k² − 1 over 728/27 per bin.
        ("square_ibsi_ih_max", 27.0),
        ("square_ibsi_ih_min", 1.0),
    ] {
        let got = value(name);
        assert!(
            (got - expected).abs() <= 1e-12 * expected.abs().max(1.0),
            "{name}: {got} vs {expected}"
        );
    }
    // Every column is prefixed by the image type and has an IBSI name; no morphology or local intensity.
    assert!(
        out.features
            .iter()
            .all(|(n, _)| n.starts_with("square_ibsi_stat_") || n.starts_with("square_ibsi_ih_"))
    );
}

#[test]
fn filtered_families_equal_ibsi_mode_on_the_response_map_inside_the_unfiltered_resegmentation() {
    let (image, mask) = case();
    // Re-segmentation keeps part of the ROI: on the unfiltered image, never on the response map.
    let settings = ExtractionSettings {
        resegment_range: Some(vec![90.0, 200.0]),
        ..ibsi(Some(16))
    };
    let kept = mask.data.mapv(|l| l == 1) & image.data.mapv(|v| (90.0..=200.0).contains(&v));
    assert!(kept.iter().filter(|&&k| k).count() < mask.data.iter().filter(|&&l| l == 1).count());
    let all = FeatureClassSelection::all();
    let specs = types(
        &settings,
        &[
            ImageType::Original,
            ImageType::Square,
            ImageType::SquareRoot,
            ImageType::LoG,
        ],
    );
    let out = extract_image_types(&image, &mask, &settings, &specs, &all).unwrap();
    // The reference: IBSI mode on the response map with the voxels the unfiltered re-segmentation drops moved out of
    // a re-segmentation range (the morphological mask, which GLDZM's border distances read, stays the whole ROI).
    let plain = ExtractionSettings {
        resegment_range: Some(vec![-1.0e5, 1.0e12]),
        ..settings.clone()
    };
    for (prefix, response) in [
        ("square_", mmrad_image::filters::square(&image.data).unwrap()),
        (
            "squareroot_",
            mmrad_image::filters::square_root(&image.data).unwrap(),
        ),
        (
            "log-sigma-1-0-mm-3D_",
            mmrad_image::filters::laplacian_of_gaussian(&image, 1.0)
                .unwrap()
                .data,
        ),
    ] {
        let mut response = response;
        ndarray::Zip::from(&mut response).and(&kept).for_each(|v, &k| {
            if !k {
                *v = -1.0e6;
            }
        });
        let reference = extract(
            &Volume::new(response, image.geometry.clone()),
            &mask,
            &plain,
            &classes(&["stat", "ih", "ivh", "cm", "rlm", "szm", "dzm", "ngt", "ngl"]),
        )
        .unwrap();
        let ours: Vec<(String, f64)> = out
            .features
            .iter()
            .filter_map(|(n, v)| n.strip_prefix(prefix).map(|s| (s.to_owned(), *v)))
            .collect();
        let names = |f: &[(String, f64)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        // Every intensity-based and texture column, and only those (no morphology, no local intensity).
        assert_eq!(names(&ours), names(&reference.features), "{prefix}");
        for ((name, a), (_, b)) in ours.iter().zip(&reference.features) {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{prefix}{name}: {a} vs {b}"
            );
        }
    }
    // The original image keeps its morphology and local intensity.
    assert!(out.value("original_ibsi_morph_vol").is_none());
    assert!(out.value("ibsi_morph_vol").is_some() && out.value("ibsi_loc_peak_global").is_some());
}

#[test]
fn every_pyradiomics_image_type_runs_in_ibsi_mode_with_its_pyradiomics_name() {
    let (image, mask) = case();
    let settings = ibsi(Some(8));
    let specs = types(
        &settings,
        &[
            ImageType::LoG,
            ImageType::Wavelet,
            ImageType::Square,
            ImageType::SquareRoot,
            ImageType::Logarithm,
            ImageType::Exponential,
            ImageType::Gradient,
            ImageType::Lbp2D,
            ImageType::Lbp3D,
        ],
    );
    let out = extract_image_types(&image, &mask, &settings, &specs, &classes(&["stat"])).unwrap();
    let prefixes: Vec<&str> = out
        .features
        .iter()
        .filter(|(n, _)| n.ends_with("_ibsi_stat_mean"))
        .map(|(n, _)| n.strip_suffix("_ibsi_stat_mean").unwrap())
        .collect();
    assert_eq!(
        prefixes,
        [
            "log-sigma-1-0-mm-3D",
            "wavelet-LLH",
            "wavelet-LHL",
            "wavelet-LHH",
            "wavelet-HLL",
            "wavelet-HLH",
            "wavelet-HHL",
            "wavelet-HHH",
            "wavelet-LLL",
            "square",
            "squareroot",
            "logarithm",
            "exponential",
            "gradient",
            "lbp-2D",
            "lbp-3D-m1",
            "lbp-3D-m2",
            "lbp-3D-k",
        ]
    );
    assert_eq!(out.features.len(), 18 * 18);
    assert!(out.features.iter().all(|(_, v)| v.is_finite()));
}

#[test]
fn response_maps_are_discretised_by_bin_count_or_by_width_from_their_own_minimum() {
    let (image, mask) = cube();
    let run = |settings: &ExtractionSettings| {
        extract_image_types(
            &image,
            &mask,
            settings,
            &types(settings, &[ImageType::Square]),
            &classes(&["ih"]),
        )
    };
    // Fixed bin size 1 from the response's ROI minimum 1/27 (a re-segmentation bound, in the unfiltered image's
    // units, would not apply): levels ⌊(k²/27 − 1/27)/1⌋ + 1, the top one ⌊728/27⌋ + 1 = 27.
    let width = ExtractionSettings {
        bin_width: 1.0,
        resegment_range: Some(vec![-100.0, 100.0]),
        ..ibsi(None)
    };
    let out = run(&width).unwrap();
    assert_eq!(out.value("square_ibsi_ih_min"), Some(1.0));
    assert_eq!(out.value("square_ibsi_ih_max"), Some(27.0));
    // Level of k = 14 (the median): ⌊(196 − 1)/27⌋ + 1 = 8.
    assert_eq!(out.value("square_ibsi_ih_median"), Some(8.0));
    // Fixed bin number: 5 levels, the top one holding the maximum.
    let out = run(&ibsi(Some(5))).unwrap();
    assert_eq!(out.value("square_ibsi_ih_max"), Some(5.0));
    // A bin width for the unfiltered image's range can give far too many levels on a response map: an error that
    // names the image type and the fix.
    let err = run(&ExtractionSettings {
        bin_width: 0.01,
        ..ibsi(None)
    })
    .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, FeatureError::Unsupported { .. })
            && text.contains("`square`")
            && text.contains("binCount"),
        "{text}"
    );
}

#[test]
fn original_next_to_filters_on_an_interpolated_grid_equals_extract() {
    // With filters, the interpolated grid is built once and `Original` reuses it: same columns, values and
    // diagnostics as extracting the original image alone.
    let (image, mask) = case();
    let settings = ExtractionSettings {
        resampled_pixel_spacing: Some([1.3, 1.3, 1.3]),
        interpolator: mmrad_features::Interpolator::Linear,
        additional_info: true,
        ..ibsi(Some(8))
    };
    let all = FeatureClassSelection::all();
    let alone = extract(&image, &mask, &settings, &all).unwrap();
    let specs = types(&settings, &[ImageType::Original, ImageType::LoG]);
    let out = extract_image_types(&image, &mask, &settings, &specs, &all).unwrap();
    let original: Vec<(String, f64)> = out
        .features
        .iter()
        .filter(|(n, _)| n.starts_with("ibsi_"))
        .cloned()
        .collect();
    assert_eq!(original.len(), alone.features.len());
    for ((a, x), (b, y)) in original.iter().zip(&alone.features) {
        assert!(
            a == b && (x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())),
            "{a}: {x} vs {y}"
        );
    }
    assert_eq!(out.diagnostics, alone.diagnostics);
    assert!(out.value("log-sigma-1-0-mm-3D_ibsi_stat_mean").is_some());
}
