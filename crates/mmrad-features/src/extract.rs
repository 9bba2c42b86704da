//! The extraction entry point: image + mask + settings + class selection → PyRadiomics-named features.
//!
//! Output order follows PyRadiomics 3.1 `featureextractor.execute`: shape classes first (`shape`, then `shape2D`),
//! then the intensity classes in selection order; each class lists its features in PyRadiomics' order. Names are
//! `original_<class>_<Feature>` (`original_firstorder_Mean`, `original_shape_Sphericity`, `original_glcm_Contrast`).
//! Only the original image type is computed here; filtered image types are produced by `mmrad-image` and passed in
//! as their own `Volume` by the caller.

use mmrad_core::{LabelMap, Volume};

use crate::discretise::{Binning, discretise};
use crate::roi::{PreparedRoi, WholeInput, prepare_roi, prepare_roi_region};
use crate::settings::ExtractionSettings;
use crate::texture::{self, TextureSettings};
use crate::{FeatureError, Result, firstorder, shape, shape2d};

/// A PyRadiomics feature class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeatureClass {
    FirstOrder,
    Shape,
    Shape2D,
    Glcm,
    Glrlm,
    Glszm,
    Gldm,
    Ngtdm,
}

impl FeatureClass {
    /// Every class, in PyRadiomics' module order.
    pub const ALL: [FeatureClass; 8] = [
        FeatureClass::FirstOrder,
        FeatureClass::Glcm,
        FeatureClass::Gldm,
        FeatureClass::Glrlm,
        FeatureClass::Glszm,
        FeatureClass::Ngtdm,
        FeatureClass::Shape,
        FeatureClass::Shape2D,
    ];

    /// PyRadiomics' class name (`firstorder`, `shape`, `shape2D`, `glcm`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FeatureClass::FirstOrder => "firstorder",
            FeatureClass::Shape => "shape",
            FeatureClass::Shape2D => "shape2D",
            FeatureClass::Glcm => "glcm",
            FeatureClass::Glrlm => "glrlm",
            FeatureClass::Glszm => "glszm",
            FeatureClass::Gldm => "gldm",
            FeatureClass::Ngtdm => "ngtdm",
        }
    }

    /// Parses PyRadiomics' class name.
    pub fn parse(name: &str) -> Option<FeatureClass> {
        FeatureClass::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Default and on-request feature names of the class.
    pub fn feature_names(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            FeatureClass::FirstOrder => (firstorder::FEATURE_NAMES, firstorder::DEPRECATED_NAMES),
            FeatureClass::Shape => (shape::FEATURE_NAMES, shape::DEPRECATED_NAMES),
            FeatureClass::Shape2D => (shape2d::FEATURE_NAMES, shape2d::DEPRECATED_NAMES),
            FeatureClass::Glcm => (texture::glcm::FEATURE_NAMES, texture::glcm::DEPRECATED_NAMES),
            FeatureClass::Glrlm => (texture::glrlm::FEATURE_NAMES, texture::glrlm::DEPRECATED_NAMES),
            FeatureClass::Glszm => (texture::glszm::FEATURE_NAMES, texture::glszm::DEPRECATED_NAMES),
            FeatureClass::Gldm => (texture::gldm::FEATURE_NAMES, texture::gldm::DEPRECATED_NAMES),
            FeatureClass::Ngtdm => (texture::ngtdm::FEATURE_NAMES, texture::ngtdm::DEPRECATED_NAMES),
        }
    }
}

/// Which classes (and, optionally, which features of each) to compute: PyRadiomics' `featureClass` block.
///
/// An empty feature list means the class's default features.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureClassSelection {
    pub classes: Vec<(FeatureClass, Vec<String>)>,
}

impl FeatureClassSelection {
    /// Every class with its default features (PyRadiomics' default; shape2D only yields values with `force2D`).
    pub fn all() -> FeatureClassSelection {
        FeatureClassSelection::only(&FeatureClass::ALL)
    }

    /// The given classes with their default features.
    pub fn only(classes: &[FeatureClass]) -> FeatureClassSelection {
        FeatureClassSelection {
            classes: classes.iter().map(|&c| (c, Vec::new())).collect(),
        }
    }
}

/// Features and diagnostics of one extraction.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extraction {
    /// `(name, value)` in PyRadiomics' order; NaN where PyRadiomics reports NaN.
    pub features: Vec<(String, f64)>,
    /// `diagnostics_*` entries (bounding box, voxel counts, skipped classes), in order.
    pub diagnostics: Vec<(String, String)>,
}

impl Extraction {
    /// The value of a feature by full name.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.features.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

/// Extracts PyRadiomics features of the original image.
///
/// # Examples
///
/// ```
/// use mmrad_core::{Geometry, LabelMap, Volume};
/// use mmrad_features::{ExtractionSettings, FeatureClass, FeatureClassSelection, extract};
/// use ndarray::Array3;
///
/// // A 2 × 2 × 2 ROI holding 1..=8 inside a 4 × 4 × 4 image.
/// let image = Array3::from_shape_fn((4, 4, 4), |(z, y, x)| {
///     if (1..3).contains(&z) && (1..3).contains(&y) && (1..3).contains(&x) {
///         ((z - 1) * 4 + (y - 1) * 2 + (x - 1) + 1) as f64
///     } else {
///         0.0
///     }
/// });
/// let labels = image.mapv(|v| i64::from(v > 0.0));
/// let geometry = Geometry::with_spacing([1.0, 1.0, 2.0]);
/// let result = extract(
///     &Volume::new(image, geometry.clone()),
///     &LabelMap::new(labels, geometry),
///     &ExtractionSettings::default(),
///     &FeatureClassSelection::only(&[FeatureClass::FirstOrder, FeatureClass::Shape]),
/// )?;
/// assert_eq!(result.value("original_firstorder_Mean"), Some(4.5));
/// assert_eq!(result.value("original_shape_VoxelVolume"), Some(16.0));
/// # Ok::<(), mmrad_features::FeatureError>(())
/// ```
///
/// # Errors
/// Everything [`prepare_roi`] rejects (settings, geometry, empty mask, absent label, ROI checks), unknown feature
/// names in `classes`, and texture-class errors.
pub fn extract(
    image: &Volume,
    mask: &LabelMap,
    settings: &ExtractionSettings,
    classes: &FeatureClassSelection,
) -> Result<Extraction> {
    if settings.ibsi_compliant {
        // IBSI mode computes every IBSI family it implements; the PyRadiomics class selection does not apply.
        return crate::ibsi::extract_ibsi(image, mask, settings);
    }
    let roi = prepare_roi(image, mask, settings)?;
    features_of(&roi, mask.geometry.is_2d(), settings, classes)
}

/// [`extract`] on a region of the image and mask holding every voxel of the label (see
/// [`crate::roi::prepare_roi_region`]): same features, diagnostics of the whole volume.
///
/// # Errors
/// As [`extract`], and settings that need the whole image (`normalize`, `resampledPixelSpacing`).
pub fn extract_region(
    image: &Volume,
    mask: &LabelMap,
    whole: &WholeInput,
    settings: &ExtractionSettings,
    classes: &FeatureClassSelection,
) -> Result<Extraction> {
    if settings.ibsi_compliant {
        return Err(FeatureError::Unsupported {
            what: "IBSI mode (ibsiCompliant: true) on an image region".into(),
            hint: "local intensity peaks read the image around the ROI: extract from the whole image (`extract`)"
                .into(),
        });
    }
    let roi = prepare_roi_region(image, mask, whole, settings)?;
    features_of(&roi, mask.geometry.is_2d(), settings, classes)
}

/// The feature classes of a prepared ROI; `mask_is_2d` says the input was a 2D file.
fn features_of(
    roi: &PreparedRoi,
    mask_is_2d: bool,
    settings: &ExtractionSettings,
    classes: &FeatureClassSelection,
) -> Result<Extraction> {
    let mut out = Extraction::default();
    if settings.additional_info {
        out.diagnostics.extend(roi.diagnostics.iter().cloned());
    }
    let shape_first = classes
        .classes
        .iter()
        .filter(|(c, _)| matches!(c, FeatureClass::Shape | FeatureClass::Shape2D));
    let others = classes
        .classes
        .iter()
        .filter(|(c, _)| !matches!(c, FeatureClass::Shape | FeatureClass::Shape2D));
    let binning = match settings.bin_count {
        Some(count) => Binning::Count(count),
        None => Binning::Width(settings.bin_width),
    };
    let mut discretised = None;
    // PyRadiomics keeps a 2D file 2D: its array is (y, x), so `force2Ddimension` d names our axis d + 1 (0 drops y
    // and texture runs along x only); without force2D the one-slice volume already gives the 2D angles.
    let is_2d = mask_is_2d && roi.shape_mask.dim().0 == 1;
    let mut texture_settings: TextureSettings = settings.texture_settings();
    if is_2d && settings.force_2d {
        if settings.force_2d_dimension > 1 {
            return Err(FeatureError::InvalidSetting {
                name: "force2Ddimension",
                value: settings.force_2d_dimension.to_string(),
                expected: "0 or 1 on a 2D image",
            });
        }
        texture_settings.force2d_dimension = settings.force_2d_dimension + 1;
    }
    for (class, wanted) in shape_first.chain(others) {
        let (defaults, deprecated) = class.feature_names();
        for name in wanted {
            if !defaults.contains(&name.as_str()) && !deprecated.contains(&name.as_str()) {
                return Err(FeatureError::UnknownFeature {
                    class: class.name(),
                    name: name.clone(),
                    valid: defaults
                        .iter()
                        .chain(deprecated)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        let values: Vec<(&'static str, f64)> = match class {
            FeatureClass::Shape if is_2d => {
                out.diagnostics.push((
                    "diagnostics_Warning_shape".into(),
                    "shape needs a 3D input (use shape2D on a 2D image); skipped".into(),
                ));
                continue;
            }
            FeatureClass::Shape => shape::features(roi.shape_mask.view(), roi.spacing)?,
            FeatureClass::Shape2D if is_2d => shape2d::features(roi.shape_mask.view(), roi.spacing, 0)?,
            FeatureClass::Shape2D => {
                if !settings.force_2d {
                    out.diagnostics.push((
                        "diagnostics_Warning_shape2D".into(),
                        "shape2D needs `force2D: true`; skipped".into(),
                    ));
                    continue;
                }
                match shape2d::features(roi.shape_mask.view(), roi.spacing, settings.force_2d_dimension) {
                    Ok(values) => values,
                    Err(FeatureError::NotTwoDimensional { dimension, extent }) => {
                        out.diagnostics.push((
                            "diagnostics_Warning_shape2D".into(),
                            format!("the ROI spans {extent} slices along axis {dimension}; skipped"),
                        ));
                        continue;
                    }
                    Err(other) => return Err(other),
                }
            }
            _ => {
                if discretised.is_none() {
                    discretised = Some(discretise(
                        roi.image.view(),
                        roi.mask.view(),
                        roi.spacing,
                        binning,
                    )?);
                }
                let Some(d) = discretised.as_ref() else {
                    continue;
                };
                match class {
                    FeatureClass::FirstOrder => {
                        firstorder::features(roi.image.view(), d, settings.voxel_array_shift)?
                    }
                    FeatureClass::Glcm => texture::glcm::features(d, &texture_settings)?,
                    FeatureClass::Glrlm => texture::glrlm::features(d, &texture_settings)?,
                    FeatureClass::Glszm => texture::glszm::features(d, &texture_settings)?,
                    FeatureClass::Gldm => texture::gldm::features(d, &texture_settings)?,
                    FeatureClass::Ngtdm => texture::ngtdm::features(d, &texture_settings)?,
                    FeatureClass::Shape | FeatureClass::Shape2D => continue,
                }
            }
        };
        for (name, value) in values {
            let keep = if wanted.is_empty() {
                defaults.contains(&name)
            } else {
                wanted.iter().any(|w| w == name)
            };
            if keep {
                out.features
                    .push((format!("original_{}_{}", class.name(), name), value));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use mmrad_core::{Geometry, LabelMap, Volume};
    use ndarray::Array3;

    /// A 2D image (one slice, `ndim` 2) holding a 2 × 3 ROI of values 1..=6.
    fn two_d() -> (Volume, LabelMap) {
        let image = Array3::from_shape_fn((1, 4, 5), |(_, y, x)| {
            if (1..3).contains(&y) && (1..4).contains(&x) {
                ((y - 1) * 3 + x) as f64
            } else {
                0.0
            }
        });
        let labels = image.mapv(|v| i64::from(v > 0.0));
        let geometry = Geometry {
            ndim: 2,
            ..Geometry::identity()
        };
        (
            Volume::new(image, geometry.clone()),
            LabelMap::new(labels, geometry),
        )
    }

    #[test]
    fn two_d_input_gives_shape2d_without_force2d_and_no_3d_shape() {
        let (image, mask) = two_d();
        let classes = FeatureClassSelection::only(&[FeatureClass::Shape, FeatureClass::Shape2D]);
        let out = extract(&image, &mask, &ExtractionSettings::default(), &classes).unwrap();
        // Closed form: 2 × 3 unit pixels.
        assert_eq!(out.value("original_shape2D_PixelSurface"), Some(6.0));
        assert!(
            out.features
                .iter()
                .all(|(n, _)| !n.starts_with("original_shape_"))
        );
    }

    #[test]
    fn two_d_input_rejects_force2d_dimension_2() {
        let (image, mask) = two_d();
        let settings = ExtractionSettings {
            force_2d: true,
            force_2d_dimension: 2,
            ..ExtractionSettings::default()
        };
        let classes = FeatureClassSelection::only(&[FeatureClass::Glcm]);
        let err = extract(&image, &mask, &settings, &classes).unwrap_err();
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
