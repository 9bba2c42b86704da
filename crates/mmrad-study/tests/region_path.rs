//! The batch fast path for NRRD and NIfTI cases (`extract_case_region`: only the label's bounding box decoded) gives the same
//! features and diagnostics, bit for bit, as reading both volumes whole and calling `mmrad_features::extract`,
//! whose values the conformance tests check against PyRadiomics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use mmrad_features::Extraction;
use mmrad_protocol::params_file::parse_params;
use mmrad_study::extract_batch::{BatchCase, extract_case, extract_case_region};
use mmrad_testkit::shared;

fn case(name: &str, label: &str) -> BatchCase {
    files(
        &format!("pyradiomics/{name}_image.nrrd"),
        &format!("pyradiomics/{name}_label.nrrd"),
        label,
    )
}

fn files(image: &str, mask: &str, label: &str) -> BatchCase {
    let (image, mask) = (shared(image), shared(mask));
    BatchCase {
        line: 2,
        cells: vec![image.display().to_string(), mask.display().to_string()],
        image,
        mask,
        label: label.into(),
        roi: String::new(),
        segment: String::new(),
    }
}

fn assert_same(what: &str, fast: &Extraction, whole: &Extraction) {
    assert_eq!(fast.diagnostics, whole.diagnostics, "{what}: diagnostics");
    assert_eq!(fast.features.len(), whole.features.len(), "{what}: feature count");
    for ((name, a), (name_b, b)) in fast.features.iter().zip(&whole.features) {
        assert_eq!(name, name_b, "{what}");
        assert!(
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            "{what}: {name} {a} (region) != {b} (whole)"
        );
    }
}

#[test]
fn region_path_equals_the_whole_volume_path() {
    let settings = [
        ("brain1", "setting: {binWidth: 25}"),
        (
            "breast1",
            "setting: {binCount: 32, label: 1, additionalInfo: true}",
        ),
        (
            "lung2",
            "setting: {binWidth: 10, resegmentRange: [-1000, 200], distances: [1, 2]}",
        ),
        (
            "lung1",
            "setting: {force2D: true, force2Ddimension: 0, preCrop: true}",
        ),
        (
            "brain2",
            "setting: {minimumROIDimensions: 1, voxelArrayShift: 1000}",
        ),
    ];
    let sts = |patient: &str, modality: &str| {
        files(
            &format!("ibsi_validation_sts/nifti/{patient}/{modality}_image.nii.gz"),
            &format!("ibsi_validation_sts/nifti/{patient}/{modality}_mask.nii.gz"),
            "",
        )
    };
    let cases = settings
        .iter()
        .map(|(name, yaml)| ((*name).to_owned(), case(name, ""), *yaml))
        .chain([
            (
                "STS_001 CT".to_owned(),
                sts("STS_001", "CT"),
                "setting: {binWidth: 25}",
            ),
            (
                "STS_002 MR".to_owned(),
                sts("STS_002", "MR_T1"),
                "setting: {binCount: 64}",
            ),
            (
                "STS_003 PET".to_owned(),
                sts("STS_003", "PET"),
                "setting: {binWidth: 0.5}",
            ),
            (
                "IBSI CT phantom".to_owned(),
                files(
                    "ibsi/ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz",
                    "ibsi/ibsi_1_ct_radiomics_phantom/nifti/mask/mask.nii.gz",
                    "",
                ),
                "setting: {binWidth: 25}",
            ),
        ]);
    for (name, case, yaml) in cases {
        let params = parse_params(yaml, &[]).unwrap();
        let fast = extract_case_region(&case, &params, &params.settings)
            .unwrap()
            .unwrap_or_else(|| panic!("{name}: the region path should apply"));
        let image = mmrad_io::read_image(&case.image).unwrap();
        let mask = mmrad_io::read_label_map(&case.mask).unwrap();
        let whole = mmrad_features::extract(&image, &mask, &params.settings, &params.classes).unwrap();
        assert_same(&name, &fast, &whole);
        assert_same(&name, &extract_case(&case, &params).unwrap(), &whole);
    }
}

#[test]
fn region_path_steps_aside_where_it_does_not_apply() {
    let params = parse_params("setting: {binWidth: 25}", &[]).unwrap();
    // An absent label: the general path reports it.
    let absent = case("brain1", "9");
    let mut settings = params.settings.clone();
    settings.label = 9;
    assert!(
        extract_case_region(&absent, &params, &settings)
            .unwrap()
            .is_none()
    );
    let message = extract_case(&absent, &params).unwrap_err().reason;
    assert!(message.contains('9'), "{message}");
    // Normalisation needs the whole image.
    let normalised = parse_params("setting: {normalize: true}", &[]).unwrap();
    let brain = case("brain1", "");
    assert!(
        extract_case_region(&brain, &normalised, &normalised.settings)
            .unwrap()
            .is_none()
    );
    // Filtered image types go through `extract_image_types` on the whole image.
    for yaml in [
        "imageType: {Original: {}, LoG: {sigma: [1.0]}}",
        "imageType: {Square: {}}",
    ] {
        let filtered = parse_params(yaml, &[]).unwrap();
        assert!(
            extract_case_region(&brain, &filtered, &filtered.settings)
                .unwrap()
                .is_none(),
            "{yaml}"
        );
    }
    // A file that is neither NRRD nor NIfTI (a DICOM folder, say) is not even opened.
    let mut dicom = case("brain1", "");
    dicom.image = PathBuf::from("series-folder");
    assert!(
        extract_case_region(&dicom, &params, &params.settings)
            .unwrap()
            .is_none()
    );
}
