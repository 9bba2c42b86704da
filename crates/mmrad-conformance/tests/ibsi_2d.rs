//! IBSI mode on real 2D images (one-slice mammography and ultrasound phantoms, `tests/data/phantoms/*2d`) against
//! PyRadiomics 3.1.0's values for the same images (`tests/reference/pyradiomics/phantoms_d_*.csv`, original image).
//!
//! On a 2D image IBSI mode reports the 2D aggregations only, and on one slice they are PyRadiomics' definitions for
//! the features both define alike: IBSI's GLCM "2D, averaged" is PyRadiomics' mean over its 4 in-plane angles
//! (symmetric matrices, empty angles dropped), IBSI's GLSZM/NGTDM/NGLDM "2D" are PyRadiomics' GLSZM/NGTDM/GLDM
//! (α = 0) of the slice, the intensity statistics are PyRadiomics' first-order features (kurtosis − 3). The
//! discretisation is made equal: IBSI's fixed bin size 25 starts at the re-segmentation bound, set to PyRadiomics'
//! first edge `⌊min / 25⌋ · 25` with an upper bound no voxel reaches. Left out: features that divide by the number
//! of grey levels (PyRadiomics counts the levels present, IBSI all `Ng`: `Idn`, `Idmn`) and PyRadiomics' entropy
//! `eps` (2.2e-16 inside the logarithm) is below the tolerance. Tolerance: rtol 1e-6, atol 1e-9.
//!
//! The same test checks what a 2D image gives: no 2.5D/3D column, morphology reduced to the features defined
//! without a 3D mesh, and `force2D: true` giving the same values.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use mmrad_features::{ExtractionSettings, FeatureClassSelection, extract};

use common::{read_case, read_reference};

/// `(PyRadiomics class_feature, IBSI column without the `ibsi_` prefix, offset added to PyRadiomics' value)`.
const SHARED: &[(&str, &str, f64)] = &[
    ("firstorder_Mean", "stat_mean", 0.0),
    ("firstorder_Variance", "stat_var", 0.0),
    ("firstorder_Skewness", "stat_skew", 0.0),
    ("firstorder_Kurtosis", "stat_kurt", -3.0),
    ("firstorder_Median", "stat_median", 0.0),
    ("firstorder_Minimum", "stat_min", 0.0),
    ("firstorder_Maximum", "stat_max", 0.0),
    ("firstorder_10Percentile", "stat_p10", 0.0),
    ("firstorder_90Percentile", "stat_p90", 0.0),
    ("firstorder_InterquartileRange", "stat_iqr", 0.0),
    ("firstorder_Range", "stat_range", 0.0),
    ("firstorder_MeanAbsoluteDeviation", "stat_mad", 0.0),
    ("firstorder_RobustMeanAbsoluteDeviation", "stat_rmad", 0.0),
    ("firstorder_Energy", "stat_energy", 0.0),
    ("firstorder_RootMeanSquared", "stat_rms", 0.0),
    ("firstorder_Entropy", "ih_entropy", 0.0),
    ("firstorder_Uniformity", "ih_uniformity", 0.0),
    ("glcm_Autocorrelation", "cm_auto_corr_2D_avg", 0.0),
    ("glcm_JointAverage", "cm_joint_avg_2D_avg", 0.0),
    ("glcm_ClusterProminence", "cm_clust_prom_2D_avg", 0.0),
    ("glcm_ClusterShade", "cm_clust_shade_2D_avg", 0.0),
    ("glcm_ClusterTendency", "cm_clust_tend_2D_avg", 0.0),
    ("glcm_Contrast", "cm_contrast_2D_avg", 0.0),
    ("glcm_Correlation", "cm_corr_2D_avg", 0.0),
    ("glcm_DifferenceAverage", "cm_diff_avg_2D_avg", 0.0),
    ("glcm_DifferenceEntropy", "cm_diff_entr_2D_avg", 0.0),
    ("glcm_DifferenceVariance", "cm_diff_var_2D_avg", 0.0),
    ("glcm_JointEnergy", "cm_energy_2D_avg", 0.0),
    ("glcm_JointEntropy", "cm_joint_entr_2D_avg", 0.0),
    ("glcm_Imc1", "cm_info_corr_1_2D_avg", 0.0),
    ("glcm_Imc2", "cm_info_corr_2_2D_avg", 0.0),
    ("glcm_Idm", "cm_inv_diff_mom_2D_avg", 0.0),
    ("glcm_Id", "cm_inv_diff_2D_avg", 0.0),
    ("glcm_InverseVariance", "cm_inv_var_2D_avg", 0.0),
    ("glcm_MaximumProbability", "cm_joint_max_2D_avg", 0.0),
    ("glcm_SumEntropy", "cm_sum_entr_2D_avg", 0.0),
    ("glcm_SumSquares", "cm_joint_var_2D_avg", 0.0),
    ("glszm_SmallAreaEmphasis", "szm_sze_2D", 0.0),
    ("glszm_LargeAreaEmphasis", "szm_lze_2D", 0.0),
    ("glszm_GrayLevelNonUniformity", "szm_glnu_2D", 0.0),
    ("glszm_GrayLevelNonUniformityNormalized", "szm_glnu_norm_2D", 0.0),
    ("glszm_SizeZoneNonUniformity", "szm_zsnu_2D", 0.0),
    ("glszm_SizeZoneNonUniformityNormalized", "szm_zsnu_norm_2D", 0.0),
    ("glszm_ZonePercentage", "szm_z_perc_2D", 0.0),
    ("glszm_GrayLevelVariance", "szm_gl_var_2D", 0.0),
    ("glszm_ZoneVariance", "szm_zs_var_2D", 0.0),
    ("glszm_ZoneEntropy", "szm_zs_entr_2D", 0.0),
    ("glszm_LowGrayLevelZoneEmphasis", "szm_lgze_2D", 0.0),
    ("glszm_HighGrayLevelZoneEmphasis", "szm_hgze_2D", 0.0),
    ("glszm_SmallAreaLowGrayLevelEmphasis", "szm_szlge_2D", 0.0),
    ("glszm_SmallAreaHighGrayLevelEmphasis", "szm_szhge_2D", 0.0),
    ("glszm_LargeAreaLowGrayLevelEmphasis", "szm_lzlge_2D", 0.0),
    ("glszm_LargeAreaHighGrayLevelEmphasis", "szm_lzhge_2D", 0.0),
    ("ngtdm_Coarseness", "ngt_coarseness_2D", 0.0),
    ("ngtdm_Contrast", "ngt_contrast_2D", 0.0),
    ("ngtdm_Busyness", "ngt_busyness_2D", 0.0),
    ("ngtdm_Complexity", "ngt_complexity_2D", 0.0),
    ("ngtdm_Strength", "ngt_strength_2D", 0.0),
    ("gldm_SmallDependenceEmphasis", "ngl_lde_2D", 0.0),
    ("gldm_LargeDependenceEmphasis", "ngl_hde_2D", 0.0),
    ("gldm_LowGrayLevelEmphasis", "ngl_lgce_2D", 0.0),
    ("gldm_HighGrayLevelEmphasis", "ngl_hgce_2D", 0.0),
    ("gldm_SmallDependenceLowGrayLevelEmphasis", "ngl_ldlge_2D", 0.0),
    ("gldm_SmallDependenceHighGrayLevelEmphasis", "ngl_ldhge_2D", 0.0),
    ("gldm_LargeDependenceLowGrayLevelEmphasis", "ngl_hdlge_2D", 0.0),
    ("gldm_LargeDependenceHighGrayLevelEmphasis", "ngl_hdhge_2D", 0.0),
    ("gldm_GrayLevelNonUniformity", "ngl_glnu_2D", 0.0),
    ("gldm_DependenceNonUniformity", "ngl_dcnu_2D", 0.0),
    ("gldm_DependenceNonUniformityNormalized", "ngl_dcnu_norm_2D", 0.0),
    ("gldm_GrayLevelVariance", "ngl_gl_var_2D", 0.0),
    ("gldm_DependenceVariance", "ngl_dc_var_2D", 0.0),
    ("gldm_DependenceEntropy", "ngl_dc_entr_2D", 0.0),
];

#[test]
fn two_d_images_in_ibsi_mode_equal_pyradiomics_on_the_shared_definitions() {
    let table = read_reference("tests/reference/pyradiomics/phantoms_d_pointwise_gradient_log_wavelet.csv");
    let cases: Vec<&String> = table.keys().filter(|c| c.ends_with("2d")).collect();
    assert_eq!(cases.len(), 4, "{cases:?}");
    let mut tally = common::Tally::default();
    for case in cases {
        let (image, mask) = read_case(case);
        assert_eq!(image.geometry.ndim, 2, "{case}");
        let minimum = image
            .data
            .iter()
            .zip(mask.data.iter())
            .filter(|(_, l)| **l == 1)
            .map(|(v, _)| *v)
            .fold(f64::INFINITY, f64::min);
        let settings = ExtractionSettings {
            ibsi_compliant: true,
            bin_width: 25.0,
            resegment_range: Some(vec![(minimum / 25.0).floor() * 25.0, 1.0e12]),
            ..ExtractionSettings::default()
        };
        let ours = extract(&image, &mask, &settings, &FeatureClassSelection::all()).unwrap();
        // force2D on a 2D image changes nothing.
        let forced = extract(
            &image,
            &mask,
            &ExtractionSettings {
                force_2d: true,
                ..settings.clone()
            },
            &FeatureClassSelection::all(),
        )
        .unwrap();
        assert_eq!(ours.features.len(), forced.features.len(), "{case}");
        for ((a, x), (b, y)) in ours.features.iter().zip(&forced.features) {
            assert!(
                a == b && (x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())),
                "{case}: {a}"
            );
        }
        let not_2d: Vec<&str> = ours
            .features
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| n.contains("_2_5D") || n.contains("_3D"))
            .collect();
        assert!(not_2d.is_empty(), "{case}: {not_2d:?}");
        let morph: Vec<&str> = ours
            .features
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| n.starts_with("ibsi_morph_"))
            .collect();
        assert_eq!(
            morph,
            ["ibsi_morph_com", "ibsi_morph_moran_i", "ibsi_morph_geary_c"],
            "{case}"
        );
        let expected = &table[case];
        for &(pyradiomics, ibsi, offset) in SHARED {
            let want = expected[&format!("original_{pyradiomics}")] + offset;
            let name = format!("ibsi_{ibsi}");
            tally.check(
                &format!("{case}: {name}"),
                ours.value(&name),
                want,
                &format!("PyRadiomics {pyradiomics}"),
            );
        }
    }
    let common::Tally {
        compared,
        worst,
        problems,
    } = tally;
    eprintln!(
        "IBSI mode on 2D images vs PyRadiomics: {compared} values, worst relative error {:.3e} ({})",
        worst.0, worst.1
    );
    assert_eq!(compared, 4 * SHARED.len());
    assert!(
        problems.is_empty(),
        "{}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
