//! IBSI families of filter response maps: IBSI-2 phase 2 (intensity statistics of an IBSI-2 filter's response) and
//! the intensity-based and texture families of PyRadiomics filters' responses (`response_families`).
//!
//! The image is interpolated as IBSI mode does ([`super::interpolate`], when `resampledPixelSpacing` is set), the
//! (interpolated) image is filtered with an [`mmrad_image::filters::ibsi2::FilterSpec`], and the ROI is the
//! mask re-segmented on the *unfiltered* intensities (`resegmentRange`, then `removeOutliers`), as IBSI-2 phase 2
//! specifies. Only the intensity statistics family (`ibsi_stat_*`, 18 features) is defined on response maps in
//! IBSI-2 phase 2, so only it is computed.

use mmrad_core::{LabelMap, Volume};
use mmrad_image::filters::ibsi2::{FilterSpec, apply_filter_region};

use ndarray::Array3;

use super::select::IbsiSelection;
use super::{Discretisation, ibsi_grid, intensity_families, remove_outliers, roi_values, stats};
use crate::roi::{PreparedRoi, prepare_roi};
use crate::settings::ExtractionSettings;
use crate::{Extraction, FeatureError, Result};

/// IBSI intensity statistics (`ibsi_stat_*`) of the response of `spec` (or of the image itself, `None`) inside the
/// ROI.
///
/// # Errors
/// What [`super::extract_ibsi`]'s interpolation and [`prepare_roi`] reject; a filter that fails on this image.
pub fn extract_ibsi_filtered(
    image: &Volume,
    mask: &LabelMap,
    settings: &ExtractionSettings,
    spec: Option<&FilterSpec>,
) -> Result<Extraction> {
    if settings.normalize {
        return Err(FeatureError::Unsupported {
            what: "normalize in IBSI mode (ibsiCompliant: true)".into(),
            hint: "IBSI defines no z-score normalisation; remove it".into(),
        });
    }
    let gridded = ibsi_grid(image, mask, settings)?;
    let (image, mask, settings) = match &gridded {
        Some((i, m, s)) => (i, m, s),
        None => (image, mask, settings),
    };
    let mut roi = prepare_roi(image, mask, settings)?;
    if let Some(n) = settings.remove_outliers {
        remove_outliers(&mut roi, n);
    }
    let cropped = match spec {
        Some(spec) => {
            // Only the ROI's bounding box is needed; the filter computes it from the box grown by its reach, with
            // the same values as filtering the whole image.
            apply_filter_region(image, spec, roi.bounding_box).map_err(|e| FeatureError::Unsupported {
                what: "IBSI-2 filter".into(),
                hint: e.to_string(),
            })?
        }
        None => roi.image.clone(),
    };
    let values = roi_values(&cropped, &roi.mask);
    if values.iter().any(|v| !v.is_finite()) {
        return Err(FeatureError::NonFinite {
            what: "IBSI-2 response map in the ROI".into(),
        });
    }
    let mut out = Extraction::default();
    stats::intensity_statistics(&mut out.features, &values);
    Ok(out)
}

/// The intensity-based and texture families `selection` includes (intensity statistics, intensity histogram,
/// intensity-volume histogram, GLCM, GLRLM, GLSZM, GLDZM, NGTDM, NGLDM; morphology and local intensity belong to
/// the unfiltered image, as in IBSI-2) of `response`, a response map cropped to `roi`'s box, inside `roi`'s mask
/// (re-segmented on the unfiltered image), named `ibsi_<tag>[_<aggregation>]`.
///
/// Discretisation: a fixed bin number when `settings` has `binCount` (IBSI-2's recommendation for response maps);
/// else a fixed bin size `binWidth` whose first bin starts at the response's ROI minimum (the re-segmentation bound
/// is in the unfiltered image's units, not the response's), at most [`super::RESPONSE_MAX_LEVELS`] levels. The
/// intensity-volume histogram uses those levels (or `ibsiIvhBinCount` levels).
///
/// # Errors
/// Non-finite responses in the ROI; a bin width giving too many levels.
pub(crate) fn response_families(
    response: &Array3<f64>,
    roi: &PreparedRoi,
    settings: &ExtractionSettings,
    selection: &IbsiSelection,
    two_d: bool,
    image_type: &str,
) -> Result<Vec<(String, f64)>> {
    if roi_values(response, &roi.mask).iter().any(|v| !v.is_finite()) {
        return Err(FeatureError::NonFinite {
            what: format!("the `{image_type}` response map in the ROI"),
        });
    }
    let mut features = Vec::new();
    let discretisation = Discretisation {
        bin_count: settings.bin_count,
        bin_width: settings.bin_width,
        minimum: None,
        range: None,
        response_map: Some(image_type.to_owned()),
    };
    intensity_families(
        &mut features,
        response,
        roi,
        settings,
        &discretisation,
        selection,
        two_d,
    )?;
    selection.retain(&mut features);
    Ok(features)
}
