//! IBSI-1 mode (`ibsiCompliant: true`): features with the IBSI reference manual's definitions and names.
//!
//! PyRadiomics mode never enters this module. IBSI mode reuses the ROI pipeline of [`crate::roi`] (geometry check,
//! re-segmentation, crop) and the marching-cubes mesh of [`crate::shape`], then computes every family with IBSI's
//! conventions where PyRadiomics differs:
//! - discretisation ([`discretise_ibsi`]): fixed bin number `⌊Ng (X − Xmin)/(Xmax − Xmin)⌋ + 1` (`binCount`),
//!   fixed bin size `⌊(X − Xmin)/w⌋ + 1` with `Xmin` the lower re-segmentation bound, else the ROI minimum
//!   (`binWidth`); `Ng` is the number of bins, empty grey levels included (PyRadiomics drops them);
//! - intensity statistics with excess kurtosis and IBSI's energy (no voxel volume) ([`stats`]);
//! - intensity histogram, intensity-volume histogram and local intensity peaks ([`stats`]);
//! - texture matrices with IBSI aggregation ([`texture`]): GLCM and GLRLM in 2D averaged / 2D slice-merged /
//!   2.5D direction-merged / 2.5D merged / 3D averaged / 3D merged; GLSZM, GLDZM, NGTDM and NGLDM in 2D / 2.5D / 3D.
//!
//! Names: `ibsi_<tag>[_<aggregation>]` where `<tag>` is the IBSI manual's feature tag lower-cased with `.` replaced
//! by `_` (`ibsi_cm_joint_max_3D_avg`, `ibsi_stat_kurt`, `ibsi_ih_p90`, `ibsi_ivh_v10`), and `<aggregation>` one of
//! [`AGGREGATIONS`]. Z-score normalisation and interpolators other than linear and B-spline are rejected in IBSI mode.
//! `resampledPixelSpacing` interpolates on IBSI's centre-aligned grid ([`interpolate`]); `removeOutliers: n`
//! removes voxels beyond μ ± nσ of the re-segmented ROI (IBSI outlier filtering; no `normalize` needed).
//!
//! `featureClass` selects IBSI families and features ([`select`]): PyRadiomics class names map to IBSI families,
//! IBSI family tags name themselves; unselected families are not computed.
//!
//! `force2D: true` (slices along z: `force2Ddimension` 0 only) and 2D images report IBSI's 2D aggregations only.
//! IBSI's morphology is defined on a 3D mesh: a 3D volume keeps it under `force2D`; a 2D image keeps only the
//! morphological features defined without volume or surface (centre of mass shift, Moran's I, Geary's C).

pub mod filtered;
pub mod hull;
pub mod interpolate;
pub mod select;
pub mod stats;
pub mod texture;

use mmrad_core::{LabelMap, Volume};
use ndarray::{Array3, Zip};

use self::select::{IbsiFamily, IbsiSelection};
use crate::roi::{PreparedRoi, prepare_roi};
use crate::settings::ExtractionSettings;
use crate::{Extraction, FeatureError, Result, shape};

/// Aggregation suffixes, in output order: `(suffix, IBSI reference-table wording)`.
pub const AGGREGATIONS: [(&str, &str); 9] = [
    ("2D_avg", "2D, averaged"),
    ("2D_smrg", "2D, slice-merged"),
    ("2_5D_dmrg", "2.5D, direction-merged"),
    ("2_5D_mrg", "2.5D, merged"),
    ("3D_avg", "3D, averaged"),
    ("3D_mrg", "3D, merged"),
    ("2D", "2D"),
    ("2_5D", "2.5D"),
    ("3D", "3D"),
];

/// Discretised ROI in IBSI's convention.
#[derive(Debug, Clone, PartialEq)]
pub struct IbsiGrey {
    /// Grey level 1..=`n_levels` inside the intensity mask, 0 outside.
    pub grey: Array3<u32>,
    /// Number of grey levels `Ng` (empty levels included).
    pub n_levels: u32,
}

/// Discretises the intensity-mask voxels with IBSI's fixed bin number or fixed bin size.
///
/// `bin_count` wins over `bin_width` (as in PyRadiomics). `minimum` is the lower re-segmentation bound (fixed bin
/// size only); `None` uses the ROI minimum.
///
/// # Errors
/// An empty ROI or non-finite intensities.
pub fn discretise_ibsi(
    image: &Array3<f64>,
    mask: &Array3<bool>,
    bin_count: Option<usize>,
    bin_width: f64,
    minimum: Option<f64>,
) -> Result<IbsiGrey> {
    let values: Vec<f64> = roi_values(image, mask);
    if values.is_empty() {
        return Err(FeatureError::EmptyRoi { label: None });
    }
    if values.iter().any(|v| !v.is_finite()) {
        return Err(FeatureError::NonFinite {
            what: "ROI intensities".into(),
        });
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut grey = Array3::<u32>::zeros(image.dim());
    let n_levels = match bin_count {
        Some(n) => {
            let n_f = n as f64;
            Zip::from(&mut grey).and(image).and(mask).for_each(|g, &v, &m| {
                if m {
                    // A flat ROI has one grey level; X = Xmax falls in bin Ng.
                    let bin = if hi > lo {
                        (n_f * (v - lo) / (hi - lo)).floor() + 1.0
                    } else {
                        1.0
                    };
                    *g = bin.clamp(1.0, n_f) as u32;
                }
            });
            n as u32
        }
        None => {
            let start = minimum.unwrap_or(lo);
            let mut top = 1u32;
            Zip::from(&mut grey).and(image).and(mask).for_each(|g, &v, &m| {
                if m {
                    let bin = ((v - start) / bin_width).floor() + 1.0;
                    *g = bin.max(1.0) as u32;
                    top = top.max(*g);
                }
            });
            top
        }
    };
    Ok(IbsiGrey { grey, n_levels })
}

/// ROI values in (z, y, x) order.
pub(crate) fn roi_values<T: Copy>(image: &Array3<T>, mask: &Array3<bool>) -> Vec<T> {
    Zip::from(image).and(mask).fold(Vec::new(), |mut acc, &v, &m| {
        if m {
            acc.push(v);
        }
        acc
    })
}

/// Pushes `ibsi_<tag>` (tag lower-cased, `.` → `_`) with an optional aggregation suffix.
pub(crate) fn push(out: &mut Vec<(String, f64)>, tag: &str, aggregation: Option<&str>, value: f64) {
    let mut name = format!("ibsi_{}", tag.to_lowercase().replace('.', "_"));
    if let Some(a) = aggregation {
        name.push('_');
        name.push_str(a);
    }
    out.push((name, value));
}

/// Extracts every IBSI family implemented on the original image.
///
/// # Errors
/// What [`prepare_roi`] rejects, and [`FeatureError::Unsupported`] for settings IBSI mode does not implement yet
/// (an interpolator other than linear or B-spline, normalisation, `weightingNorm`, distances other than 1);
/// `force2Ddimension` other than 0.
pub fn extract_ibsi(image: &Volume, mask: &LabelMap, settings: &ExtractionSettings) -> Result<Extraction> {
    extract_ibsi_with(image, mask, settings, &IbsiSelection::all())
}

/// [`extract_ibsi`] restricted to the families and features of `selection` (unselected families are not
/// computed; the selected columns keep their order and values).
///
/// # Errors
/// As [`extract_ibsi`].
pub fn extract_ibsi_with(
    image: &Volume,
    mask: &LabelMap,
    settings: &ExtractionSettings,
    selection: &IbsiSelection,
) -> Result<Extraction> {
    check_ibsi_settings(settings)?;
    let two_d = two_d_aggregation_only(mask, settings);
    let is_2d_image = mask.geometry.is_2d();
    let gridded = ibsi_grid(image, mask, settings)?;
    let (image, mask, settings) = match &gridded {
        Some((i, m, s)) => (i, m, s),
        None => (image, mask, settings),
    };
    let mut roi = prepare_roi(image, mask, settings)?;
    if let Some(n) = settings.remove_outliers {
        remove_outliers(&mut roi, n);
    }
    let spacing = roi.spacing;
    let mut out = Extraction::default();
    if settings.additional_info {
        out.diagnostics.extend(roi.diagnostics.iter().cloned());
        out.diagnostics
            .push(("diagnostics_Configuration_Mode".into(), "ibsi".into()));
    }
    let features = &mut out.features;
    if selection.includes(IbsiFamily::Morph) {
        let mut morph = Vec::new();
        morphology(&mut morph, &roi.image, &roi.mask, &roi.shape_mask, spacing)?;
        if is_2d_image {
            // A 2D image has no extent along z: IBSI's morphology is defined on a 3D mesh, so only the features
            // that need no volume or surface remain (centre of mass shift, Moran's I, Geary's C, all in-plane).
            morph.retain(|(name, _)| {
                MORPH_2D
                    .iter()
                    .any(|tag| name.strip_prefix("ibsi_") == Some(*tag))
            });
            if settings.additional_info {
                out.diagnostics.push((
                    "diagnostics_Warning_ibsi_morph".into(),
                    "2D image: IBSI morphology is defined in 3D; only morph_com, morph_moran_i and morph_geary_c \
                     are reported"
                        .into(),
                ));
            }
        }
        features.extend(morph);
    }
    if selection.includes(IbsiFamily::Loc) {
        // Local intensity reads the image around the ROI: the sphere may leave the bounding box.
        let b = roi.bounding_box;
        let offset = [b[0][0], b[1][0], b[2][0]];
        stats::local_intensity(features, &image.data, &roi.mask, offset, spacing);
    }
    let minimum = match settings.resegment_mode {
        mmrad_image::ResegmentMode::Absolute => {
            settings.resegment_range.as_ref().and_then(|r| r.first().copied())
        }
        _ => None,
    };
    let range = match settings.resegment_range.as_deref() {
        Some(&[a, b]) if settings.resegment_mode == mmrad_image::ResegmentMode::Absolute => Some((a, b)),
        _ => None,
    };
    let discretisation = Discretisation {
        bin_count: settings.bin_count,
        bin_width: settings.bin_width,
        minimum,
        range,
        response_map: None,
    };
    intensity_families(
        features,
        &roi.image,
        &roi,
        settings,
        &discretisation,
        selection,
        two_d,
    )?;
    selection.retain(features);
    Ok(out)
}

/// Morphological features that a 2D image keeps (see [`extract_ibsi_with`]).
const MORPH_2D: [&str; 3] = ["morph_com", "morph_moran_i", "morph_geary_c"];

/// Rejects what IBSI mode does not implement.
pub(crate) fn check_ibsi_settings(settings: &ExtractionSettings) -> Result<()> {
    let unsupported = |what: &str, hint: &str| FeatureError::Unsupported {
        what: format!("{what} in IBSI mode (ibsiCompliant: true)"),
        hint: hint.into(),
    };
    if settings.normalize {
        return Err(unsupported(
            "normalize",
            "IBSI defines no z-score normalisation; remove it",
        ));
    }
    if settings.weighting_norm.is_some() || settings.distances != [1] {
        return Err(unsupported(
            "weightingNorm or distances other than [1]",
            "IBSI mode reports the IBSI aggregations at distance 1; remove these settings",
        ));
    }
    if settings.force_2d && settings.force_2d_dimension != 0 {
        return Err(FeatureError::InvalidSetting {
            name: "force2Ddimension",
            value: settings.force_2d_dimension.to_string(),
            expected: "0 in IBSI mode (IBSI's 2D aggregation runs over axial slices, the z axis)",
        });
    }
    Ok(())
}

/// Whether only IBSI's 2D aggregations are reported: `force2D`, or a 2D image (one slice, where the 2.5D and 3D
/// aggregations only repeat the 2D matrices).
pub(crate) fn two_d_aggregation_only(mask: &LabelMap, settings: &ExtractionSettings) -> bool {
    settings.force_2d || mask.geometry.is_2d()
}

/// How the intensities of [`intensity_families`] are discretised.
pub(crate) struct Discretisation {
    pub bin_count: Option<usize>,
    pub bin_width: f64,
    /// Lower re-segmentation bound (fixed bin size starts there; else at the ROI minimum).
    pub minimum: Option<f64>,
    /// Re-segmentation range (the IVH's intensity range for integer intensities).
    pub range: Option<(f64, f64)>,
    /// `Some(image type name)` for a filter response map: fixed bin size starts at the ROI's response minimum and
    /// may not give more than [`RESPONSE_MAX_LEVELS`] levels; the IVH uses the discretised levels.
    pub response_map: Option<String>,
}

/// At most this many fixed-bin-size grey levels on a response map: a bin width chosen for the unfiltered image can
/// give millions of levels on a response map of another range (the GLCM alone would need `Ng²` cells).
pub const RESPONSE_MAX_LEVELS: u32 = 1000;

/// The intensity statistics, intensity histogram, intensity-volume histogram and texture families `selection`
/// includes, of `image` (the ROI's box, as [`PreparedRoi::image`]) inside `roi.mask`.
pub(crate) fn intensity_families(
    features: &mut Vec<(String, f64)>,
    image: &Array3<f64>,
    roi: &PreparedRoi,
    settings: &ExtractionSettings,
    discretisation: &Discretisation,
    selection: &IbsiSelection,
    two_d: bool,
) -> Result<()> {
    let values = roi_values(image, &roi.mask);
    if selection.includes(IbsiFamily::Stat) {
        stats::intensity_statistics(features, &values);
    }
    let needs_levels = selection.includes_any(&[
        IbsiFamily::Ih,
        IbsiFamily::Ivh,
        IbsiFamily::Cm,
        IbsiFamily::Rlm,
        IbsiFamily::Szm,
        IbsiFamily::Dzm,
        IbsiFamily::Ngt,
        IbsiFamily::Ngl,
    ]);
    if !needs_levels {
        return Ok(());
    }
    let Discretisation {
        bin_count,
        bin_width,
        minimum,
        range,
        ref response_map,
    } = *discretisation;
    let g = discretise_ibsi(image, &roi.mask, bin_count, bin_width, minimum)?;
    if let Some(name) = response_map
        && bin_count.is_none()
        && g.n_levels > RESPONSE_MAX_LEVELS
    {
        return Err(FeatureError::Unsupported {
            what: format!(
                "binWidth {bin_width} on the `{name}` response map in IBSI mode ({} grey levels)",
                g.n_levels
            ),
            hint: format!(
                "IBSI-2 recommends a fixed bin number on response maps: set `binCount` for this image type \
                 (e.g. `imageType: {{{name}: {{binCount: 32}}}}`), or a `binWidth` giving at most \
                 {RESPONSE_MAX_LEVELS} levels"
            ),
        });
    }
    let levels: Vec<u32> = roi_values(&g.grey, &roi.mask);
    if selection.includes(IbsiFamily::Ih) {
        stats::intensity_histogram(features, &levels, g.n_levels);
    }
    if selection.includes(IbsiFamily::Ivh) {
        // IVH: with `ibsiIvhBinCount` n, the fixed-bin-number levels 1..=n; with `ibsiIvhBinWidth` w, intensities
        // binned from the re-segmentation minimum (else the ROI minimum) and represented by their bin centres; else
        // integer intensities (CT in HU, the digital phantom) as they are on a 1-unit grid spanning the
        // re-segmentation range (else the ROI range); else (and always on a response map, whose intensities have no
        // natural unit step) the discretised levels 1..=Ng.
        let roi_min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let roi_max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if let Some(n) = settings.ibsi_ivh_bin_count {
            let ivh = discretise_ibsi(image, &roi.mask, Some(n), 1.0, None)?;
            let grey: Vec<f64> = roi_values(&ivh.grey, &roi.mask)
                .iter()
                .map(|&l| f64::from(l))
                .collect();
            stats::intensity_volume_histogram(features, &grey, 1.0, n as f64, 1.0);
        } else if let (Some(w), None) = (settings.ibsi_ivh_bin_width, response_map) {
            let lo = minimum.unwrap_or(roi_min);
            let centre = |v: f64| lo + (((v - lo) / w).floor() + 0.5) * w;
            let binned: Vec<f64> = values.iter().map(|&v| centre(v)).collect();
            let hi = centre(range.map_or(roi_max, |r| r.1));
            stats::intensity_volume_histogram(features, &binned, lo + 0.5 * w, hi, w);
        } else if response_map.is_none() && values.iter().all(|v| v.fract() == 0.0) {
            let (lo, hi) = range.unwrap_or((roi_min, roi_max));
            stats::intensity_volume_histogram(features, &values, lo, hi, 1.0);
        } else {
            let grey: Vec<f64> = levels.iter().map(|&l| f64::from(l)).collect();
            stats::intensity_volume_histogram(features, &grey, 1.0, f64::from(g.n_levels), 1.0);
        }
    }
    texture::selected(features, &g, &roi.shape_mask, roi.spacing, selection, two_d);
    Ok(())
}

/// IBSI interpolation (`resampledPixelSpacing`), which replaces PyRadiomics' resampling: centre-aligned grid, ROI
/// partial-volume threshold 0.5; the interpolated image, mask and settings (without the spacing), or `None` when
/// no interpolation is asked for.
///
/// # Errors
/// An interpolator other than linear or B-spline, a singular direction matrix.
pub(crate) fn ibsi_grid(
    image: &Volume,
    mask: &LabelMap,
    settings: &ExtractionSettings,
) -> Result<Option<(Volume, LabelMap, ExtractionSettings)>> {
    let Some(spacing) = settings.resampled_pixel_spacing else {
        return Ok(None);
    };
    let bspline = match settings.interpolator {
        mmrad_image::Interpolator::Linear => false,
        mmrad_image::Interpolator::BSpline => true,
        _ => {
            return Err(FeatureError::Unsupported {
                what: "interpolator in IBSI mode (ibsiCompliant: true)".into(),
                hint: "IBSI mode interpolates with `sitkLinear` or `sitkBSpline` (tricubic spline)".into(),
            });
        }
    };
    let (image, mask) =
        interpolate::interpolate(image, mask, settings.label, spacing, bspline).map_err(|e| {
            FeatureError::Unsupported {
                what: format!("IBSI interpolation: {e}"),
                hint: "check the image's direction matrix".into(),
            }
        })?;
    let plain = ExtractionSettings {
        resampled_pixel_spacing: None,
        ..settings.clone()
    };
    Ok(Some((image, mask, plain)))
}

/// IBSI outlier filtering (`removeOutliers: n`, which PyRadiomics applies only with `normalize`): voxels beyond
/// μ ± nσ of the (range re-segmented) intensity mask leave it.
pub(crate) fn remove_outliers(roi: &mut PreparedRoi, n: f64) {
    let values = roi_values(&roi.image, &roi.mask);
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count).sqrt();
    Zip::from(&mut roi.mask).and(&roi.image).for_each(|m, &v| {
        if *m && (v - mean).abs() > n * sd {
            *m = false;
        }
    });
}

/// Morphology from the mesh and voxel features of [`shape`] plus IBSI's own (centre of mass shift, densities,
/// integrated intensity, Moran's I, Geary's C).
fn morphology(
    out: &mut Vec<(String, f64)>,
    image: &Array3<f64>,
    intensity_mask: &Array3<bool>,
    morph_mask: &Array3<bool>,
    spacing: [f64; 3],
) -> Result<()> {
    let shape_values = shape::features(morph_mask.view(), spacing)?;
    let get = |name: &str| {
        shape_values
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(f64::NAN, |(_, v)| *v)
    };
    let volume = get("MeshVolume");
    let area = get("SurfaceArea");
    let pi = std::f64::consts::PI;
    push(out, "morph.vol", None, volume);
    push(out, "morph.approx.vol", None, get("VoxelVolume"));
    push(out, "morph.area", None, area);
    push(out, "morph.av", None, area / volume);
    push(out, "morph.comp.1", None, volume / (pi.sqrt() * area.powf(1.5)));
    push(
        out,
        "morph.comp.2",
        None,
        36.0 * pi * volume * volume / area.powi(3),
    );
    let sph_dispr = area / (36.0 * pi * volume * volume).cbrt();
    push(out, "morph.sph.dispr", None, sph_dispr);
    push(out, "morph.sphericity", None, 1.0 / sph_dispr);
    push(out, "morph.asphericity", None, sph_dispr - 1.0);
    // Centre of mass shift: geometric centre of the morphological mask vs intensity-weighted centre.
    let position = |(z, y, x): (usize, usize, usize)| {
        [
            x as f64 * spacing[0],
            y as f64 * spacing[1],
            z as f64 * spacing[2],
        ]
    };
    let (mut geo, mut n_geo) = ([0.0; 3], 0.0);
    let (mut wtd, mut w_sum) = ([0.0; 3], 0.0);
    for ((idx, &m), (&i, &v)) in morph_mask
        .indexed_iter()
        .zip(intensity_mask.iter().zip(image.iter()))
    {
        let p = position(idx);
        if m {
            (0..3).for_each(|k| geo[k] += p[k]);
            n_geo += 1.0;
        }
        if i {
            (0..3).for_each(|k| wtd[k] += v * p[k]);
            w_sum += v;
        }
    }
    let shift = (0..3)
        .map(|k| (geo[k] / n_geo - wtd[k] / w_sum).powi(2))
        .sum::<f64>()
        .sqrt();
    push(out, "morph.com", None, shift);
    push(out, "morph.diam", None, get("Maximum3DDiameter"));
    // PyRadiomics' axes come from the population covariance (1/N) of the voxel centres; the IBSI reference
    // values match the sample covariance (1/(N − 1)), so every eigenvalue scales by N/(N − 1).
    let n_voxels = morph_mask.iter().filter(|&&m| m).count() as f64;
    let scale = if n_voxels > 1.0 {
        (n_voxels / (n_voxels - 1.0)).sqrt()
    } else {
        f64::NAN
    };
    let (major, minor, least) = (
        get("MajorAxisLength") * scale,
        get("MinorAxisLength") * scale,
        get("LeastAxisLength") * scale,
    );
    push(out, "morph.pca.major", None, major);
    push(out, "morph.pca.minor", None, minor);
    push(out, "morph.pca.least", None, least);
    push(out, "morph.pca.elongation", None, minor / major);
    push(out, "morph.pca.flatness", None, least / major);
    // The mesh runs half-way between inside and outside voxel centres: its bounding box is the voxel box.
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for ((z, y, x), &m) in morph_mask.indexed_iter() {
        if m {
            for (k, c) in [x, y, z].into_iter().enumerate() {
                lo[k] = lo[k].min(c);
                hi[k] = hi[k].max(c);
            }
        }
    }
    let ext: Vec<f64> = (0..3).map(|k| (hi[k] + 1 - lo[k]) as f64 * spacing[k]).collect();
    push(
        out,
        "morph.v.dens.aabb",
        None,
        volume / (ext[0] * ext[1] * ext[2]),
    );
    let aabb_area = 2.0 * (ext[0] * ext[1] + ext[1] * ext[2] + ext[0] * ext[2]);
    push(out, "morph.a.dens.aabb", None, area / aabb_area);
    // Approximate enclosing ellipsoid: semi-axes are half the PCA axis lengths.
    let ellipsoid = 4.0 * pi / 3.0 * (major / 2.0) * (minor / 2.0) * (least / 2.0);
    push(out, "morph.v.dens.aee", None, volume / ellipsoid);
    let ellipsoid_area = hull::ellipsoid_area(major / 2.0, minor / 2.0, least / 2.0);
    push(out, "morph.a.dens.aee", None, area / ellipsoid_area);
    let (hull_volume, hull_area) = hull::convex_hull(morph_mask, spacing).unwrap_or((f64::NAN, f64::NAN));
    push(out, "morph.v.dens.conv.hull", None, volume / hull_volume);
    push(out, "morph.a.dens.conv.hull", None, area / hull_area);
    let values = roi_values(image, intensity_mask);
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    push(out, "morph.integ.int", None, mean * volume);
    let (moran, geary) = mmrad_image::autocorrelation::moran_geary(image, intensity_mask, spacing);
    push(out, "morph.moran.i", None, moran);
    push(out, "morph.geary.c", None, geary);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use mmrad_core::Geometry;

    /// A 3 × 3 × 3 ROI of values 1..=27 in a 5 × 5 × 5 image.
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

    #[test]
    fn closed_form_values_and_fixed_bin_number() {
        let (image, mask) = cube();
        let settings = ExtractionSettings {
            ibsi_compliant: true,
            bin_count: Some(27),
            ..ExtractionSettings::default()
        };
        let out = crate::extract(&image, &mask, &settings, &crate::FeatureClassSelection::all()).unwrap();
        let value = |n: &str| out.value(n).unwrap();
        // Uniform 1..=27: mean 14, population variance (27² − 1)/12, excess kurtosis −6(n² + 1)/(5(n² − 1)).
        assert!((value("ibsi_stat_mean") - 14.0).abs() < 1e-12);
        assert!((value("ibsi_stat_var") - (729.0 - 1.0) / 12.0).abs() < 1e-9);
        assert!((value("ibsi_stat_kurt") + 6.0 * 730.0 / (5.0 * 728.0)).abs() < 1e-12);
        // 27 bins over [1, 27]: every value its own level; 27 zones of one voxel each.
        assert_eq!(value("ibsi_ih_max"), 27.0);
        assert_eq!(value("ibsi_szm_z_perc_3D"), 1.0);
        assert_eq!(value("ibsi_morph_approx_vol"), 27.0);
        // PyRadiomics mode on the same input has no IBSI column.
        let pyradiomics = crate::extract(
            &image,
            &mask,
            &ExtractionSettings::default(),
            &crate::FeatureClassSelection::all(),
        )
        .unwrap();
        assert!(pyradiomics.features.iter().all(|(n, _)| !n.starts_with("ibsi_")));
    }

    #[test]
    fn force2d_reports_the_2d_aggregations_of_the_full_extraction() {
        let (image, mask) = cube();
        let settings = ExtractionSettings {
            ibsi_compliant: true,
            bin_count: Some(5),
            ..ExtractionSettings::default()
        };
        let full = extract_ibsi(&image, &mask, &settings).unwrap();
        let forced = extract_ibsi(
            &image,
            &mask,
            &ExtractionSettings {
                force_2d: true,
                ..settings
            },
        )
        .unwrap();
        let expected: Vec<(String, f64)> = full
            .features
            .into_iter()
            .filter(|(n, _)| !n.contains("_2_5D") && !n.contains("_3D"))
            .collect();
        assert_eq!(forced.features.len(), expected.len());
        for ((a, x), (b, y)) in forced.features.iter().zip(&expected) {
            assert!(
                a == b && (x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())),
                "{a} {x} / {b} {y}"
            );
        }
        // A 3D volume keeps its 3D morphology under force2D.
        assert!(forced.value("ibsi_morph_vol").is_some());
    }

    #[test]
    fn unsupported_settings_are_named_errors() {
        let (image, mask) = cube();
        for (settings, needle) in [
            (
                ExtractionSettings {
                    normalize: true,
                    ..ExtractionSettings::default()
                },
                "normalize",
            ),
            (
                ExtractionSettings {
                    distances: vec![1, 2],
                    ..ExtractionSettings::default()
                },
                "distances",
            ),
            (
                ExtractionSettings {
                    resampled_pixel_spacing: Some([2.0; 3]),
                    interpolator: mmrad_image::Interpolator::NearestNeighbor,
                    ..ExtractionSettings::default()
                },
                "interpolator",
            ),
        ] {
            let settings = ExtractionSettings {
                ibsi_compliant: true,
                ..settings
            };
            let err = extract_ibsi(&image, &mask, &settings).unwrap_err();
            assert!(
                matches!(&err, FeatureError::Unsupported { what, .. } if what.contains(needle)),
                "{err}"
            );
        }
        // IBSI's 2D aggregation is slice by slice along z: other slice axes are an error naming the setting.
        let settings = ExtractionSettings {
            ibsi_compliant: true,
            force_2d: true,
            force_2d_dimension: 1,
            ..ExtractionSettings::default()
        };
        let err = extract_ibsi(&image, &mask, &settings).unwrap_err();
        assert!(
            matches!(
                err,
                FeatureError::InvalidSetting {
                    name: "force2Ddimension",
                    ..
                }
            ),
            "{err}"
        );
    }
}
