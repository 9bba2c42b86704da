//! Tests of the PyRadiomics parameter-file reader: shipped params, PyRadiomics' own examples, errors and overrides.

use mmrad_features::texture::WeightingNorm;
use mmrad_features::{ExtractionSettings, FeatureClass, Interpolator, ResegmentMode, Sigma};
use mmrad_testkit::repo_data;

use super::*;

fn ok(text: &str, overrides: &[&str]) -> ExtractionParams {
    let overrides: Vec<String> = overrides.iter().map(|s| (*s).to_owned()).collect();
    match parse_params(text, &overrides) {
        Ok(params) => params,
        Err(err) => panic!("expected Ok for {text:?}, got {err}"),
    }
}

/// Checks that parsing fails with `path: message...` starting with `expected_start`, and returns the help.
fn err(text: &str, overrides: &[&str], expected_start: &str) -> String {
    let overrides: Vec<String> = overrides.iter().map(|s| (*s).to_owned()).collect();
    match parse_params(text, &overrides) {
        Ok(params) => panic!("expected an error for {text:?}, got {params:?}"),
        Err(error) => {
            let shown = error.to_string();
            assert!(
                shown.starts_with(expected_start),
                "error `{shown}` does not start with `{expected_start}`"
            );
            error.help().unwrap_or_default().to_owned()
        }
    }
}

fn load(rel: &str) -> Result<ExtractionParams> {
    load_params(&repo_data(rel), &[])
}

fn class_names(params: &ExtractionParams) -> Vec<&'static str> {
    params.classes.classes.iter().map(|(c, _)| c.name()).collect()
}

#[test]
fn shared_params_a_original_all() {
    let params = load("params/a_original_all.yaml").unwrap();
    assert_eq!(
        class_names(&params),
        [
            "shape",
            "shape2D",
            "firstorder",
            "glcm",
            "glrlm",
            "glszm",
            "gldm",
            "ngtdm"
        ]
    );
    assert!(
        params
            .classes
            .classes
            .iter()
            .all(|(_, features)| features.is_empty())
    );
    assert_eq!(params.image_types, [ImageType::Original]);
    let expected = ExtractionSettings {
        bin_width: 25.0,
        label: 1,
        additional_info: true,
        ..Default::default()
    };
    assert_eq!(params.settings, expected);
    assert!(params.notes.is_empty());
}

#[test]
fn shared_params_b_has_log_and_wavelet_specs() {
    let params = load("params/b_resampled_log_wavelet.yaml").unwrap();
    assert_eq!(
        params.image_types,
        [ImageType::Original, ImageType::LoG, ImageType::Wavelet]
    );
    let log = &params.image_type_specs[1];
    assert_eq!(log.image_type, ImageType::LoG);
    assert_eq!(log.filter.sigma, [Sigma::float(1.0), Sigma::float(3.0)]);
    assert_eq!(params.image_type_specs[2].filter.wavelet, "coif1");
    assert_eq!(log.settings.resampled_pixel_spacing, Some([1.0, 1.0, 1.0]));
}

#[test]
fn image_type_settings_override_setting_for_that_type_only() {
    let params = ok(
        "imageType: {Original: {}, LoG: {sigma: [1, 2.5], binWidth: 5}, Wavelet: {wavelet: haar, level: 2}}\n\
         setting: {binWidth: 10, sigma: [9.0], gradientUseSpacing: false}",
        &[],
    );
    let [original, log, wavelet] = &params.image_type_specs[..] else {
        panic!("{:?}", params.image_type_specs);
    };
    assert_eq!(original.settings.bin_width, 10.0);
    assert_eq!(log.settings.bin_width, 5.0);
    // An integer sigma keeps its integer text (PyRadiomics' `str(1)`: `log-sigma-1-mm-3D`).
    let texts: Vec<&str> = log.filter.sigma.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(texts, ["1", "2.5"]);
    assert_eq!(original.filter.sigma, [Sigma::float(9.0)]);
    assert_eq!(
        (wavelet.filter.wavelet.as_str(), wavelet.filter.level),
        ("haar", 2)
    );
    assert_eq!(wavelet.settings.bin_width, 10.0);
    assert!(!wavelet.filter.gradient_use_spacing);
}

#[test]
fn filter_settings_are_checked_and_named() {
    err(
        "imageType: {Wavelet: {wavelet: coif0}}",
        &[],
        "imageType.Wavelet.wavelet: unknown wavelet `coif0`; valid: haar",
    );
    err("setting: {level: 0}", &[], "setting.level: `0` is out of range");
    err("imageType: {LoG: {binWidth: -1}}", &[], "imageType.LoG.binWidth");
    err(
        "imageType: {LoG: {sigmaa: [1.0]}}",
        &[],
        "imageType.LoG.sigmaa: unknown setting",
    );
    err(
        "imageType: {Original: {}, LBP2: {}}",
        &[],
        "imageType.LBP2: unknown image type",
    );
}

#[test]
fn shared_params_c_force2d() {
    let params = load("params/c_force2d_shape2d.yaml").unwrap();
    assert_eq!(
        class_names(&params),
        ["shape2D", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"]
    );
    assert!(params.settings.force_2d);
    assert_eq!(params.settings.force_2d_dimension, 0);
    assert_eq!(params.settings.bin_width, 25.0);
}

#[test]
fn pyradiomics_example_params_yaml_has_a_duplicate_key() {
    // PyRadiomics 3.1.0 rejects this file too (ruamel.yaml DuplicateKeyError), see tests/data/params/.../SOURCES.md.
    let error = load("params/pyradiomics_examples/Params.yaml").unwrap_err();
    assert_eq!(error.to_string(), "featureClass.shape: duplicate key");
}

#[test]
fn pyradiomics_example_ct_has_five_sigmas() {
    let params = load("params/pyradiomics_examples/exampleCT.yaml").unwrap();
    assert_eq!(
        params.image_types,
        [ImageType::Original, ImageType::LoG, ImageType::Wavelet]
    );
    assert_eq!(params.image_type_specs[1].filter.sigma.len(), 5);
}

#[test]
fn pyradiomics_example_voxel_is_read_and_voxel_settings_noted() {
    let params = load("params/pyradiomics_examples/exampleVoxel.yaml").unwrap();
    assert_eq!(
        params.classes.classes,
        [(FeatureClass::Glcm, vec!["JointEntropy".to_owned()])]
    );
    assert!(params.settings.force_2d);
    assert_eq!(params.notes.len(), 1);
    assert!(
        params.notes[0].starts_with("voxelSetting: ignored"),
        "{:?}",
        params.notes
    );
}

#[test]
fn pyradiomics_example_mr_2d_has_a_misspelt_setting() {
    let error = load("params/pyradiomics_examples/MR_2D_extraction.yaml").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("setting.force2DDimension: unknown setting; valid: "),
        "{error}"
    );
    assert_eq!(error.help(), Some("did you mean `force2Ddimension`?"));
    assert_eq!(error.yaml_path(), Some("setting.force2DDimension"));
}

#[test]
fn empty_file_is_pyradiomics_without_params() {
    assert_eq!(ok("", &[]), ExtractionParams::default());
    assert_eq!(ok("# only a comment\n", &[]), ExtractionParams::default());
    assert_eq!(
        ok("featureClass: {}\nimageType: {}\nsetting: {}", &[]),
        ExtractionParams::default()
    );
}

#[test]
fn every_setting_is_read() {
    let text = "
setting:
  minimumROIDimensions: 3
  minimumROISize: 20
  geometryTolerance: 1.0e-4
  correctMask: true
  additionalInfo: false
  label: 2
  binWidth: 12.5
  binCount: 16
  normalize: true
  normalizeScale: 100
  removeOutliers: 3
  interpolator: sitkLinear
  padDistance: 2
  distances: [1, 2]
  force2D: true
  force2Ddimension: 2
  resegmentRange: [-100, 200.5]
  resegmentMode: sigma
  resegmentShape: true
  preCrop: true
  voxelArrayShift: 1000
  symmetricalGLCM: false
  weightingNorm: euclidean
  gldm_a: 1
  ibsiCompliant: true
  ibsiIvhBinWidth: 2.5
  ibsiIvhBinCount: 1000
";
    let s = ok(text, &[]).settings;
    let expected = ExtractionSettings {
        bin_width: 12.5,
        bin_count: Some(16),
        label: 2,
        voxel_array_shift: 1000.0,
        normalize: true,
        normalize_scale: 100.0,
        remove_outliers: Some(3.0),
        resegment_range: Some(vec![-100.0, 200.5]),
        resegment_mode: ResegmentMode::Sigma,
        resegment_shape: true,
        minimum_roi_dimensions: 3,
        minimum_roi_size: Some(20),
        force_2d: true,
        force_2d_dimension: 2,
        distances: vec![1, 2],
        symmetrical_glcm: false,
        weighting_norm: Some(WeightingNorm::Euclidean),
        gldm_a: 1.0,
        pre_crop: true,
        pad_distance: 2,
        geometry_tolerance: Some(1.0e-4),
        correct_mask: true,
        additional_info: false,
        resampled_pixel_spacing: None,
        interpolator: Interpolator::Linear,
        ibsi_compliant: true,
        ibsi_ivh_bin_width: Some(2.5),
        ibsi_ivh_bin_count: Some(1000),
    };
    assert_eq!(s, expected);
}

#[test]
fn json_is_accepted() {
    let params = ok(
        r#"{"setting": {"binWidth": 5, "label": 3}, "featureClass": {"glcm": ["Contrast"], "firstorder": null}}"#,
        &[],
    );
    assert_eq!(params.settings.bin_width, 5.0);
    assert_eq!(params.settings.label, 3);
    assert_eq!(
        params.classes.classes,
        [
            (FeatureClass::Glcm, vec!["Contrast".to_owned()]),
            (FeatureClass::FirstOrder, vec![])
        ]
    );
}

#[test]
fn null_values_mean_none_where_pyradiomics_allows_it() {
    let s = ok(
        "setting: {resampledPixelSpacing: , weightingNorm: , binCount: , interpolator: }",
        &[],
    )
    .settings;
    assert_eq!(s, ExtractionSettings::default());
    err(
        "setting:\n  binWidth:\n",
        &[],
        "setting.binWidth: no value; expected a number",
    );
}

#[test]
fn pykwalify_float_accepts_integers_and_numeric_strings() {
    assert_eq!(ok("setting: {binWidth: 10}", &[]).settings.bin_width, 10.0);
    assert_eq!(
        ok("setting: {geometryTolerance: '1e-6'}", &[])
            .settings
            .geometry_tolerance,
        Some(1e-6)
    );
    assert_eq!(
        ok("setting: {geometryTolerance: 1e-6}", &[])
            .settings
            .geometry_tolerance,
        Some(1e-6)
    );
}

#[test]
fn unknown_keys_name_the_path_and_the_valid_keys() {
    let help = err(
        "setting:\n  binWidht: 25\n",
        &[],
        "setting.binWidht: unknown setting; valid: minimumROIDimensions, ",
    );
    assert_eq!(help, "did you mean `binWidth`?");
    let help = err(
        "settings:\n  binWidth: 25\n",
        &[],
        "settings: unknown top-level key; valid: imageType, featureClass",
    );
    assert_eq!(help, "did you mean `setting`?");
    let help = err(
        "inputImage: {Original: {}}",
        &[],
        "inputImage: unknown top-level key",
    );
    assert!(help.contains("renamed `imageType`"), "{help}");
    err(
        "voxelSetting: {kernelRadus: 2}",
        &[],
        "voxelSetting.kernelRadus: unknown voxel setting; valid: kernelRadius",
    );
    let help = err(
        "featureClass: {GLCM: }",
        &[],
        "featureClass.GLCM: unknown feature class; valid: firstorder, ",
    );
    assert_eq!(help, "did you mean `glcm`?");
    let help = err(
        "featureClass: {glcm: [Contrastt]}",
        &[],
        "featureClass.glcm[0]: unknown glcm feature `Contrastt`",
    );
    assert_eq!(help, "did you mean `Contrast`?");
    err(
        "imageType: {Orignal: {}}",
        &[],
        "imageType.Orignal: unknown image type; valid: Original, LoG, ",
    );
    err(
        "imageType: {Original: {binWidht: 3}}",
        &[],
        "imageType.Original.binWidht: unknown setting",
    );
}

#[test]
fn wrong_types_name_the_path_and_the_expected_type() {
    err(
        "setting: {binWidth: abc}",
        &[],
        "setting.binWidth: expected a number; found the string `abc`",
    );
    err(
        "setting: {label: 1.5}",
        &[],
        "setting.label: expected an integer; found the number `1.5`",
    );
    err(
        "setting: {force2D: 1}",
        &[],
        "setting.force2D: expected a boolean (`true`/`false`); found the integer `1`",
    );
    err(
        "setting: {distances: 1}",
        &[],
        "setting.distances: expected a list of integers > 0; found the integer `1`",
    );
    err(
        "setting: {distances: [1, 0]}",
        &[],
        "setting.distances[1]: `0` is out of range",
    );
    err(
        "setting: {voxelArrayShift: 10.5}",
        &[],
        "setting.voxelArrayShift: expected an integer",
    );
    err(
        "setting: [binWidth]",
        &[],
        "setting: expected a mapping; found a list",
    );
    err(
        "featureClass: {glcm: Contrast}",
        &[],
        "featureClass.glcm: expected a list of feature names",
    );
    err(
        "featureClass:\n",
        &[],
        "featureClass: no value; expected a mapping",
    );
    err(
        "- a\n- b\n",
        &[],
        "(root): expected a mapping with keys imageType, featureClass, setting, voxelSetting",
    );
}

#[test]
fn out_of_range_values_are_errors() {
    err(
        "setting: {label: 0}",
        &[],
        "setting.label: `0` is out of range; expected an integer >= 1",
    );
    err(
        "setting: {force2Ddimension: 3}",
        &[],
        "setting.force2Ddimension: `3` is out of range; expected an integer >= 0 and <= 2",
    );
    err(
        "setting: {binWidth: 0}",
        &[],
        "setting.binWidth: `0` is out of range; expected a finite number > 0",
    );
    err(
        "setting: {minimumROIDimensions: 4}",
        &[],
        "setting.minimumROIDimensions: `4` is out of range",
    );
    err(
        "setting: {resegmentMode: percentile}",
        &[],
        "setting.resegmentMode: unknown mode `percentile`",
    );
    err(
        "setting: {weightingNorm: l2}",
        &[],
        "setting.weightingNorm: unknown norm `l2`",
    );
    err(
        "setting: {interpolator: sitkCubic}",
        &[],
        "setting.interpolator: unknown interpolator `sitkCubic`",
    );
    err(
        "setting: {interpolator: 11}",
        &[],
        "setting.interpolator: `11` is not in 1..=10",
    );
    err(
        "setting: {resegmentRange: [1, 2, 3]}",
        &[],
        "setting.resegmentRange: invalid setting `resegmentRange`",
    );
}

#[test]
fn interpolators_by_name_and_number() {
    assert_eq!(
        ok("setting: {interpolator: 1}", &[]).settings.interpolator,
        Interpolator::NearestNeighbor
    );
    assert_eq!(
        ok("setting: {interpolator: sitkBSpline}", &[])
            .settings
            .interpolator,
        Interpolator::BSpline
    );
    let params = ok("setting: {interpolator: sitkGaussian}", &[]);
    assert_eq!(params.settings.interpolator, Interpolator::BSpline);
    assert!(
        params.notes[0].contains("`sitkGaussian` is not implemented"),
        "{:?}",
        params.notes
    );
}

#[test]
fn filter_settings_are_read_with_lbp_settings() {
    let params = ok(
        "setting: {sigma: [1.0, 3.0], wavelet: coif1, label_channel: 0, lbp2DRadius: 2}",
        &[],
    );
    assert_eq!(params.filter.sigma, [Sigma::float(1.0), Sigma::float(3.0)]);
    assert_eq!(params.filter.lbp_2d.radius, 2.0);
    // `label_channel: 0` is the only channel mmrad reads: no note.
    assert!(params.notes.is_empty(), "{:?}", params.notes);
    err(
        "setting: {sigma: [0]}",
        &[],
        "setting.sigma: every sigma must be > 0",
    );
    err(
        "setting: {lbp2DMethod: fancy}",
        &[],
        "setting.lbp2DMethod: unknown method `fancy`",
    );
}

#[test]
fn lbp_image_types_take_their_own_settings() {
    let params = ok(
        "imageType:\n  LBP2D: {lbp2DSamples: 9, lbp2DMethod: ROR, binWidth: 1}\n  \
         LBP3D: {lbp3DLevels: 3, lbp3DIcosphereRadius: 1.5, lbp3DIcosphereSubdivision: 0}\n",
        &[],
    );
    let [lbp2, lbp3] = &params.image_type_specs[..] else {
        panic!("{:?}", params.image_type_specs)
    };
    assert_eq!(lbp2.image_type, ImageType::Lbp2D);
    assert_eq!(lbp2.filter.lbp_2d.samples, 9);
    assert_eq!(
        lbp2.filter.lbp_2d.method,
        mmrad_features::image_types::LbpMethod::Ror
    );
    assert_eq!(lbp2.settings.bin_width, 1.0);
    assert_eq!(lbp3.filter.lbp_3d.levels, 3);
    assert_eq!(lbp3.filter.lbp_3d.icosphere_radius, 1.5);
    assert_eq!(lbp3.filter.lbp_3d.icosphere_subdivision, 0);
    // Settings PyRadiomics cannot run (or scikit-image overflows on) are errors naming them.
    for (text, expected) in [
        (
            "imageType: {LBP3D: {lbp3DLevels: 1}}",
            "imageType.LBP3D.lbp3DLevels: `1` is out of range",
        ),
        (
            "imageType: {LBP2D: {lbp2DSamples: 32}}",
            "imageType.LBP2D.lbp2DSamples: `32` is out of range",
        ),
        (
            "imageType: {LBP2D: {lbp2DRadius: 0}}",
            "imageType.LBP2D.lbp2DRadius",
        ),
        (
            "imageType: {LBP3D: {lbp3DIcosphereSubdivision: 6}}",
            "imageType.LBP3D.lbp3DIcosphereSubdivision",
        ),
        (
            "imageType: {LBP2D: {lbp2DMethod: 3}}",
            "imageType.LBP2D.lbp2DMethod",
        ),
    ] {
        err(text, &[], expected);
    }
}

#[test]
fn overrides_are_typed_by_the_schema() {
    let s = ok(
        "",
        &[
            "binWidth:10",
            "distances:1,2",
            "force2D:true",
            "label:2",
            "resegmentRange:-10,20.5",
        ],
    )
    .settings;
    assert_eq!(s.bin_width, 10.0);
    assert_eq!(s.distances, [1, 2]);
    assert!(s.force_2d);
    assert_eq!(s.label, 2);
    assert_eq!(s.resegment_range, Some(vec![-10.0, 20.5]));
    assert_eq!(
        ok("", &["interpolator:2"]).settings.interpolator,
        Interpolator::Linear
    );
    assert_eq!(
        ok("", &["weightingNorm:manhattan"]).settings.weighting_norm,
        Some(WeightingNorm::Manhattan)
    );
}

#[test]
fn override_precedence_follows_pyradiomics() {
    // defaults < setting < -s overrides < imageType.Original settings.
    assert_eq!(
        ok("setting: {binWidth: 5}", &["binWidth:10"]).settings.bin_width,
        10.0
    );
    let text = "setting: {binWidth: 5}\nimageType: {Original: {binWidth: 3}}";
    assert_eq!(ok(text, &["binWidth:10"]).settings.bin_width, 3.0);
}

#[test]
fn bad_overrides_are_errors() {
    let help = err("", &["binWidht:10"], "-s binWidht: unknown setting; valid: ");
    assert_eq!(help, "did you mean `binWidth`?");
    err("", &["binWidth"], "-s binWidth: expected `key:value`");
    err(
        "",
        &["binWidth:ten"],
        "-s binWidth: cannot read `ten` as a number",
    );
    err("", &["label:1.5"], "-s label: cannot read `1.5` as an integer");
    err("", &["force2D:yes"], "-s force2D: cannot read `yes` as a boolean");
    err("", &["label:0"], "-s label: `0` is out of range");
    let help = err(
        "",
        &["resegmentRange:[-500,400]"],
        "-s resegmentRange: cannot read `[-500` as a number",
    );
    assert_eq!(
        help,
        "a list is written comma-separated, without brackets: `-s resegmentRange:-500,400`"
    );
    assert_eq!(
        ok("", &["resegmentRange:-500,400"]).settings.resegment_range,
        Some(vec![-500.0, 400.0])
    );
}

#[test]
fn duplicate_keys_are_errors() {
    err(
        "setting: {binWidth: 5, binWidth: 6}",
        &[],
        "setting.binWidth: duplicate key",
    );
    err("setting: {}\nsetting: {}\n", &[], "setting: duplicate key");
}

#[test]
fn syntax_errors_have_a_location() {
    let error = parse_params("setting: {binWidth: [1, 2}", &[]).unwrap_err();
    assert!(matches!(error, Error::Syntax { .. }), "{error:?}");
    assert!(error.to_string().starts_with("parameter file: "), "{error}");
    assert!(error.location().is_some());
}

#[test]
fn missing_file_names_the_path() {
    let error = load_params(Path::new("/nonexistent/params.yaml"), &[]).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("/nonexistent/params.yaml: cannot read the parameter file: "),
        "{error}"
    );
}

#[test]
fn edit_distance_is_levenshtein() {
    for (a, b, d) in [
        ("", "", 0),
        ("abc", "abc", 0),
        ("binwidht", "binwidth", 2),
        ("kitten", "sitting", 3),
        ("", "ab", 2),
    ] {
        assert_eq!(edit_distance(a, b), d, "{a} {b}");
    }
}

#[test]
fn ibsi2_filters_are_named_image_type_entries() {
    let params = ok(
        "setting: {ibsiCompliant: true}\n\
         imageType:\n  Original: {}\n  IBSI2:\n    laws2d: {filter: laws, dims: 2D, kernel: L5E5, energy: yes, energy_delta_vox: 7, \
         rotation: 2d-4-right-angle, pooling: max}\n    log: {filter: laplacian_of_gaussian, sigma_mm: 1.5}\n",
        &[],
    );
    assert_eq!(params.image_types, [ImageType::Original, ImageType::Ibsi2]);
    let filters = &params.image_type_specs[1].filter.ibsi2;
    let names: Vec<&str> = filters.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["laws2d", "log"]);
    assert_eq!(
        filters[1].1,
        mmrad_features::Ibsi2FilterSpec::parse("filter=laplacian_of_gaussian sigma_mm=1.5").unwrap()
    );
}

#[test]
fn ibsi2_errors_name_the_filter() {
    err(
        "imageType: {IBSI2: {m: {filter: mean, support_vox: 5}}}",
        &[],
        "imageType.IBSI2: the IBSI-2 filters need IBSI mode",
    );
    err(
        "setting: {ibsiCompliant: true}\nimageType: {IBSI2: {m: {filter: mean, support_vox: 4}}}",
        &[],
        "imageType.IBSI2.m: IBSI-2 filter: `support_vox=4`: expected an odd number of voxels",
    );
    err(
        "setting: {ibsiCompliant: true}\nimageType: {IBSI2: {m: {filter: mean, support_vox: [5]}}}",
        &[],
        "imageType.IBSI2.m.support_vox: expected a number, a name or yes/no",
    );
    err(
        "setting: {ibsiCompliant: true}\nimageType: {IBSI2: {}}",
        &[],
        "imageType.IBSI2: no filters",
    );
    err(
        "setting: {ibsiCompliant: true}\nimageType: {IBSI2: {a_b: {filter: mean, support_vox: 5}}}",
        &[],
        "imageType.IBSI2.a_b: a filter name is part of the feature names",
    );
}

#[test]
fn readme_ibsi2_example_parses() {
    // The example of README.md, section "IBSI-2 filters".
    let params = ok(
        "setting: {ibsiCompliant: true, resegmentRange: [-1000, 400]}
imageType:
  Original: {}
  IBSI2:
    laws2d: {filter: laws, dims: 2D, padding: mirror, kernel: L5E5, energy: yes, energy_delta_vox: 7,
             rotation: 2d-4-right-angle, pooling: max}
    gabor: {filter: gabor, sigma_mm: 5, lambda_mm: 2, gamma: 1.5, theta_step_deg: 22.5,
            rotation: orthogonal-planes+theta-steps, pooling: mean}
",
        &[],
    );
    let filters = &params.image_type_specs[1].filter.ibsi2;
    assert_eq!(
        filters[0].1,
        mmrad_features::Ibsi2FilterSpec::parse(
            "filter=laws dims=2D padding=mirror kernel=L5E5 energy=yes energy_delta_vox=7 \
             rotation=2d-4-right-angle pooling=max"
        )
        .unwrap()
    );
    assert_eq!(
        filters[1].1,
        mmrad_features::Ibsi2FilterSpec::parse(
            "filter=gabor sigma_mm=5 lambda_mm=2 gamma=1.5 theta_step_deg=22.5 \
             rotation=orthogonal-planes+theta-steps pooling=mean"
        )
        .unwrap()
    );
}

#[test]
fn ibsi_mode_reads_ibsi_family_tags_and_features() {
    // Keys are read once the mode is known: `setting:` may come after `featureClass:`, or `-s` may set it.
    let params = ok(
        "featureClass: {glcm: [joint_max], dzm: , firstorder: [mean, p10]}\nsetting: {ibsiCompliant: true}",
        &[],
    );
    assert_eq!(
        params.classes.ibsi,
        Some(vec![
            ("glcm".to_owned(), vec!["joint_max".to_owned()]),
            ("dzm".to_owned(), Vec::new()),
            ("firstorder".to_owned(), vec!["mean".to_owned(), "p10".to_owned()]),
        ])
    );
    assert_eq!(class_names(&params), ["glcm", "firstorder"]);
    let overridden = ok("featureClass: {ngl: }", &["ibsiCompliant:true"]);
    assert_eq!(
        overridden.classes.ibsi,
        Some(vec![("ngl".to_owned(), Vec::new())])
    );
    // No block, or an empty one: every family.
    assert_eq!(ok("setting: {ibsiCompliant: true}", &[]).classes.ibsi, None);
    assert_eq!(
        ok("setting: {ibsiCompliant: true}\nfeatureClass: {}", &[])
            .classes
            .ibsi,
        None
    );
}

#[test]
fn ibsi_mode_errors_name_the_key_and_list_the_valid_names() {
    let help = err(
        "setting: {ibsiCompliant: true}\nfeatureClass: {cmm: }",
        &[],
        "featureClass.cmm: unknown feature class in IBSI mode; valid: firstorder, shape, shape2D, glcm",
    );
    assert_eq!(help, "did you mean `cm`?");
    let help = err(
        "setting: {ibsiCompliant: true}\nfeatureClass: {cm: [joint_maxx]}",
        &[],
        "featureClass.cm[0]: unknown IBSI feature `joint_maxx`",
    );
    assert_eq!(help, "did you mean `joint_max`?");
    // A PyRadiomics feature name is not an IBSI tag.
    err(
        "setting: {ibsiCompliant: true}\nfeatureClass: {glcm: [JointEnergy]}",
        &[],
        "featureClass.glcm[0]: unknown IBSI feature `JointEnergy`",
    );
    // IBSI family tags need IBSI mode, and the error says so.
    let help = err(
        "featureClass: {cm: }",
        &[],
        "featureClass.cm: unknown feature class; valid: firstorder, ",
    );
    assert!(help.contains("ibsiCompliant: true"), "{help}");
}
