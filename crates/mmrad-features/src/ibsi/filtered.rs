//! IBSI-2 phase 2: IBSI intensity statistics of an IBSI-2 filter response map.
//!
//! The image is interpolated as IBSI mode does ([`super::interpolate`], when `resampledPixelSpacing` is set), the
//! (interpolated) image is filtered with an [`mmrad_image::filters::ibsi2::FilterSpec`], and the ROI is the
//! mask re-segmented on the *unfiltered* intensities (`resegmentRange`, then `removeOutliers`), as IBSI-2 phase 2
//! specifies. Only the intensity statistics family (`ibsi_stat_*`, 18 features) is defined on response maps in
//! IBSI-2 phase 2, so only it is computed.

use mmrad_core::{LabelMap, Volume};
use mmrad_image::filters::ibsi2::{FilterSpec, apply_filter_region};

use super::{ibsi_grid, remove_outliers, roi_values, stats};
use crate::roi::prepare_roi;
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
