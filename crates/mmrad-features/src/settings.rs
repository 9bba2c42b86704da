//! `ExtractionSettings`: PyRadiomics 3.1 extraction settings (the `setting:` block of a parameter file) as plain Rust.
//!
//! The protocol crate parses PyRadiomics parameter files into this struct; this module only holds values, defaults
//! and their validation ([`ExtractionSettings::check`]).

pub use mmrad_image::{Interpolator, ResegmentMode};

use crate::texture::{TextureSettings, WeightingNorm};
use crate::{FeatureError, Result};

/// PyRadiomics extraction settings with PyRadiomics 3.1 defaults.
///
/// | Name | PyRadiomics | Default | Purpose |
/// |---|---|---|---|
/// | `bin_width` | `binWidth` | 25 | fixed bin width, edges anchored at 0 |
/// | `bin_count` | `binCount` | `None` | fixed bin count (overrides `bin_width`) |
/// | `label` | `label` | 1 | mask value of the ROI |
/// | `voxel_array_shift` | `voxelArrayShift` | 0 | added to intensities in Energy, TotalEnergy, RMS |
/// | `normalize` | `normalize` | false | z-score the whole image (ITK `Normalize`, sample σ) |
/// | `normalize_scale` | `normalizeScale` | 1 | multiplier after normalisation |
/// | `remove_outliers` | `removeOutliers` | `None` | clip normalised values to ±n σ |
/// | `resegment_range` | `resegmentRange` | `None` | 1 (lower) or 2 (closed range) thresholds |
/// | `resegment_mode` | `resegmentMode` | absolute | threshold meaning |
/// | `resegment_shape` | `resegmentShape` | false | also use the resegmented mask for shape |
/// | `minimum_roi_dimensions` | `minimumROIDimensions` | 2 | minimum number of ROI axes with extent > 1 |
/// | `minimum_roi_size` | `minimumROISize` | `None` | ROI must have more voxels than this |
/// | `force_2d` | `force2D` | false | 2D (in-plane) texture and shape2D |
/// | `force_2d_dimension` | `force2Ddimension` | 0 | out-of-plane axis in (z, y, x) order; (y, x) on a 2D image |
/// | `distances` | `distances` | `[1]` | texture neighbour distances |
/// | `symmetrical_glcm` | `symmetricalGLCM` | true | symmetric GLCM |
/// | `weighting_norm` | `weightingNorm` | `None` | merge texture angles with distance weights |
/// | `gldm_a` | `gldm_a` | 0 | GLDM dependence cut-off |
/// | `pre_crop` | `preCrop` | false | crop before filtering (no effect on original-image features) |
/// | `pad_distance` | `padDistance` | 5 | padding kept by `preCrop`/resampling |
/// | `geometry_tolerance` | `geometryTolerance` | `None` (ITK 1e-6) | image/mask geometry tolerance, relative to x spacing |
/// | `correct_mask` | `correctMask` | false | resample a mismatched mask onto the image grid (nearest neighbour) |
/// | `additional_info` | `additionalInfo` | true | emit `diagnostics_*` entries |
/// | `resampled_pixel_spacing` | `resampledPixelSpacing` | `None` | resample image and mask (0 keeps an axis' spacing) |
/// | `interpolator` | `interpolator` | B-spline | image interpolator when resampling (the mask uses nearest neighbour) |
/// | `ibsi_compliant` | `ibsiCompliant` (mmrad only) | false | IBSI-1 definitions and `ibsi_*` names ([`crate::ibsi`]) |
/// | `ibsi_ivh_bin_width` | `ibsiIvhBinWidth` (mmrad only) | `None` | IBSI mode: IVH on bins of this width (centres) |
/// | `ibsi_ivh_bin_count` | `ibsiIvhBinCount` (mmrad only) | `None` | IBSI mode: IVH on this many fixed-number bins |
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractionSettings {
    pub bin_width: f64,
    pub bin_count: Option<usize>,
    pub label: i64,
    pub voxel_array_shift: f64,
    pub normalize: bool,
    pub normalize_scale: f64,
    pub remove_outliers: Option<f64>,
    pub resegment_range: Option<Vec<f64>>,
    pub resegment_mode: ResegmentMode,
    pub resegment_shape: bool,
    pub minimum_roi_dimensions: usize,
    pub minimum_roi_size: Option<usize>,
    pub force_2d: bool,
    pub force_2d_dimension: usize,
    pub distances: Vec<usize>,
    pub symmetrical_glcm: bool,
    pub weighting_norm: Option<WeightingNorm>,
    pub gldm_a: f64,
    pub pre_crop: bool,
    pub pad_distance: usize,
    pub geometry_tolerance: Option<f64>,
    pub correct_mask: bool,
    pub additional_info: bool,
    pub resampled_pixel_spacing: Option<[f64; 3]>,
    pub interpolator: Interpolator,
    pub ibsi_compliant: bool,
    pub ibsi_ivh_bin_width: Option<f64>,
    pub ibsi_ivh_bin_count: Option<usize>,
}

impl Default for ExtractionSettings {
    fn default() -> Self {
        ExtractionSettings {
            bin_width: 25.0,
            bin_count: None,
            label: 1,
            voxel_array_shift: 0.0,
            normalize: false,
            normalize_scale: 1.0,
            remove_outliers: None,
            resegment_range: None,
            resegment_mode: ResegmentMode::Absolute,
            resegment_shape: false,
            minimum_roi_dimensions: 2,
            minimum_roi_size: None,
            force_2d: false,
            force_2d_dimension: 0,
            distances: vec![1],
            symmetrical_glcm: true,
            weighting_norm: None,
            gldm_a: 0.0,
            pre_crop: false,
            pad_distance: 5,
            geometry_tolerance: None,
            correct_mask: false,
            additional_info: true,
            resampled_pixel_spacing: None,
            interpolator: Interpolator::BSpline,
            ibsi_compliant: false,
            ibsi_ivh_bin_width: None,
            ibsi_ivh_bin_count: None,
        }
    }
}

impl ExtractionSettings {
    /// Validates ranges.
    ///
    /// # Errors
    /// [`FeatureError::InvalidSetting`] naming the PyRadiomics setting and the offending value; resampling requested
    /// is [`FeatureError::Unsupported`].
    pub fn check(&self) -> Result<()> {
        let invalid = |name: &'static str, value: String, expected: &'static str| {
            Err(FeatureError::InvalidSetting {
                name,
                value,
                expected,
            })
        };
        if !(self.bin_width.is_finite() && self.bin_width > 0.0) {
            return invalid("binWidth", self.bin_width.to_string(), "a finite value > 0");
        }
        if self.bin_count == Some(0) {
            return invalid("binCount", "0".into(), "an integer >= 1");
        }
        if let Some(w) = self.ibsi_ivh_bin_width
            && !(w.is_finite() && w > 0.0)
        {
            return invalid("ibsiIvhBinWidth", w.to_string(), "a finite value > 0");
        }
        if self.ibsi_ivh_bin_count == Some(0) {
            return invalid("ibsiIvhBinCount", "0".into(), "an integer >= 1");
        }
        if !self.voxel_array_shift.is_finite() {
            return invalid(
                "voxelArrayShift",
                self.voxel_array_shift.to_string(),
                "a finite value",
            );
        }
        if !self.normalize_scale.is_finite() {
            return invalid(
                "normalizeScale",
                self.normalize_scale.to_string(),
                "a finite value",
            );
        }
        if let Some(n) = self.remove_outliers
            && !(n.is_finite() && n > 0.0)
        {
            return invalid("removeOutliers", n.to_string(), "a finite value > 0");
        }
        if let Some(range) = &self.resegment_range
            && (range.is_empty() || range.len() > 2 || range.iter().any(|v| !v.is_finite()))
        {
            return invalid("resegmentRange", format!("{range:?}"), "1 or 2 finite thresholds");
        }
        if !(1..=3).contains(&self.minimum_roi_dimensions) {
            return invalid(
                "minimumROIDimensions",
                self.minimum_roi_dimensions.to_string(),
                "1, 2 or 3",
            );
        }
        if self.force_2d_dimension > 2 {
            return invalid(
                "force2Ddimension",
                self.force_2d_dimension.to_string(),
                "0, 1 or 2",
            );
        }
        if let Some(t) = self.geometry_tolerance
            && !(t.is_finite() && t >= 0.0)
        {
            return invalid("geometryTolerance", t.to_string(), "a finite value >= 0");
        }
        if let Some(spacing) = self.resampled_pixel_spacing
            && spacing.iter().any(|s| !(s.is_finite() && *s >= 0.0))
        {
            return invalid(
                "resampledPixelSpacing",
                format!("{spacing:?}"),
                "finite values >= 0",
            );
        }
        self.texture_settings().check()?;
        Ok(())
    }

    /// The subset of settings the texture classes read.
    pub fn texture_settings(&self) -> TextureSettings {
        TextureSettings {
            distances: self.distances.clone(),
            symmetrical_glcm: self.symmetrical_glcm,
            weighting_norm: self.weighting_norm,
            gldm_a: self.gldm_a,
            force2d: self.force_2d,
            force2d_dimension: self.force_2d_dimension,
        }
    }
}
