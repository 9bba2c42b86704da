//! The extraction entry point: image + mask + settings + class selection → PyRadiomics-named features.
//!
//! Output order follows PyRadiomics 3.1 `featureextractor.execute`: shape classes first (`shape`, then `shape2D`),
//! then the intensity classes in selection order; each class lists its features in PyRadiomics' order. Names are
//! `original_<class>_<Feature>` (`original_firstorder_Mean`, `original_shape_Sphericity`, `original_glcm_Contrast`).
//! Only the original image type is computed here; filtered image types are produced by `mmrad-image` and passed in
//! as their own `Volume` by the caller.

use mmrad_core::{LabelMap, Volume};

use rayon::prelude::*;

use crate::discretise::{Binning, Discretised, discretise};
use crate::roi::{PreparedRoi, WholeInput, prepare_roi, prepare_roi_region};
use crate::settings::ExtractionSettings;
use crate::texture::{self, Prepared, TextureSettings};
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
/// An empty feature list means the class's default features. IBSI mode reads [`Self::ibsi`] instead of
/// [`Self::classes`] (see [`crate::ibsi::select`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureClassSelection {
    /// PyRadiomics mode's classes, each with its requested features.
    pub classes: Vec<(FeatureClass, Vec<String>)>,
    /// IBSI mode's selection: the `featureClass` keys (PyRadiomics classes or IBSI family tags) with their
    /// requested IBSI feature tags, in file order; `None` (no `featureClass` block) selects every IBSI family.
    pub ibsi: Option<Vec<(String, Vec<String>)>>,
}

impl FeatureClassSelection {
    /// Every class with its default features (PyRadiomics' default; shape2D only yields values with `force2D`); in
    /// IBSI mode every family.
    pub fn all() -> FeatureClassSelection {
        FeatureClassSelection {
            ibsi: None,
            ..FeatureClassSelection::only(&FeatureClass::ALL)
        }
    }

    /// The given classes with their default features; in IBSI mode the IBSI families they map to.
    pub fn only(classes: &[FeatureClass]) -> FeatureClassSelection {
        FeatureClassSelection {
            classes: classes.iter().map(|&c| (c, Vec::new())).collect(),
            ibsi: Some(
                classes
                    .iter()
                    .map(|c| (c.name().to_owned(), Vec::new()))
                    .collect(),
            ),
        }
    }

    /// IBSI mode's selection of `featureClass` keys (PyRadiomics classes or IBSI family tags, see
    /// [`crate::ibsi::select`]) with their IBSI feature tags; `classes` holds the PyRadiomics classes among the keys.
    pub fn ibsi(entries: Vec<(String, Vec<String>)>) -> FeatureClassSelection {
        FeatureClassSelection {
            classes: entries
                .iter()
                .filter_map(|(name, _)| FeatureClass::parse(name).map(|c| (c, Vec::new())))
                .collect(),
            ibsi: Some(entries),
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
/// names in `classes` (in IBSI mode unknown IBSI classes and tags, [`FeatureError::UnknownIbsiSelection`]), and
/// texture-class errors.
pub fn extract(
    image: &Volume,
    mask: &LabelMap,
    settings: &ExtractionSettings,
    classes: &FeatureClassSelection,
) -> Result<Extraction> {
    if settings.ibsi_compliant {
        // IBSI mode reads the selection as IBSI families (PyRadiomics classes mapped, or family tags).
        let selection = crate::ibsi::select::IbsiSelection::from_classes(classes)?;
        return crate::ibsi::extract_ibsi_with(image, mask, settings, &selection);
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

/// ROIs with at least this many voxels have their feature classes computed in parallel (rayon; the values do not
/// depend on it). Below it the classes take well under a millisecond each, less than handing them out costs.
const PARALLEL_CLASSES_MIN_VOXELS: usize = 20_000;

/// What one feature class gives: its values in PyRadiomics' order, or a `diagnostics_Warning_*` entry when skipped.
enum ClassOutput {
    Values(Vec<(&'static str, f64)>),
    Skipped(String, String),
}

/// The feature classes of a prepared ROI; `mask_is_2d` says the input was a 2D file.
fn features_of(
    roi: &PreparedRoi,
    mask_is_2d: bool,
    settings: &ExtractionSettings,
    classes: &FeatureClassSelection,
) -> Result<Extraction> {
    let parallel = roi.mask.iter().filter(|&&v| v).count() >= PARALLEL_CLASSES_MIN_VOXELS;
    features_of_with(roi, mask_is_2d, settings, classes, parallel)
}

/// [`features_of`], the classes computed in parallel or one after the other.
fn features_of_with(
    roi: &PreparedRoi,
    mask_is_2d: bool,
    settings: &ExtractionSettings,
    classes: &FeatureClassSelection,
    parallel: bool,
) -> Result<Extraction> {
    let mut out = Extraction::default();
    if settings.additional_info {
        out.diagnostics.extend(roi.diagnostics.iter().cloned());
    }
    let is_shape = |c: &FeatureClass| matches!(c, FeatureClass::Shape | FeatureClass::Shape2D);
    // Shape classes first, as PyRadiomics computes them.
    let ordered: Vec<&(FeatureClass, Vec<String>)> = classes
        .classes
        .iter()
        .filter(|(c, _)| is_shape(c))
        .chain(classes.classes.iter().filter(|(c, _)| !is_shape(c)))
        .collect();
    for (class, wanted) in &ordered {
        let (defaults, deprecated) = class.feature_names();
        if let Some(name) = wanted
            .iter()
            .find(|name| !defaults.contains(&name.as_str()) && !deprecated.contains(&name.as_str()))
        {
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
    let binning = match settings.bin_count {
        Some(count) => Binning::Count(count),
        None => Binning::Width(settings.bin_width),
    };
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
    let shape = |class: &FeatureClass| -> Result<ClassOutput> {
        Ok(ClassOutput::Values(match class {
            FeatureClass::Shape if is_2d => {
                return Ok(ClassOutput::Skipped(
                    "diagnostics_Warning_shape".into(),
                    "shape needs a 3D input (use shape2D on a 2D image); skipped".into(),
                ));
            }
            FeatureClass::Shape => shape::features(roi.shape_mask.view(), roi.spacing)?,
            FeatureClass::Shape2D if is_2d => shape2d::features(roi.shape_mask.view(), roi.spacing, 0)?,
            FeatureClass::Shape2D if !settings.force_2d => {
                return Ok(ClassOutput::Skipped(
                    "diagnostics_Warning_shape2D".into(),
                    "shape2D needs `force2D: true`; skipped".into(),
                ));
            }
            FeatureClass::Shape2D => {
                match shape2d::features(roi.shape_mask.view(), roi.spacing, settings.force_2d_dimension) {
                    Ok(values) => values,
                    Err(FeatureError::NotTwoDimensional { dimension, extent }) => {
                        return Ok(ClassOutput::Skipped(
                            "diagnostics_Warning_shape2D".into(),
                            format!("the ROI spans {extent} slices along axis {dimension}; skipped"),
                        ));
                    }
                    Err(other) => return Err(other),
                }
            }
            _ => Vec::new(),
        }))
    };
    let texture = |class: &FeatureClass, d: &Discretised, shared: Option<&Prepared>| -> Result<ClassOutput> {
        Ok(ClassOutput::Values(match class {
            FeatureClass::FirstOrder => {
                firstorder::features(roi.image.view(), d, settings.voxel_array_shift)?
            }
            FeatureClass::Glcm => texture::glcm::features_with(d, &texture_settings, shared)?,
            FeatureClass::Glrlm => texture::glrlm::features_with(d, &texture_settings, shared)?,
            FeatureClass::Glszm => texture::glszm::features_with(d, &texture_settings, shared)?,
            FeatureClass::Gldm => texture::gldm::features_with(d, &texture_settings, shared)?,
            FeatureClass::Ngtdm => texture::ngtdm::features_with(d, &texture_settings, shared)?,
            FeatureClass::Shape | FeatureClass::Shape2D => Vec::new(),
        }))
    };
    // The padded ROI every texture class reads, built once per image; `None` when no texture class is selected or
    // the ROI is invalid (each class then builds and reports it).
    let needs_texture = ordered
        .iter()
        .any(|(c, _)| !is_shape(c) && *c != FeatureClass::FirstOrder);
    let shared_roi = |d: &Discretised| {
        needs_texture
            .then(|| Prepared::new(d, Prepared::pad_for(&texture_settings)).ok())
            .flatten()
    };
    let n_shape = ordered.iter().filter(|(c, _)| is_shape(c)).count();
    let (shape_classes, other_classes) = ordered.split_at(n_shape);
    let discretise_roi = || {
        (!other_classes.is_empty())
            .then(|| discretise(roi.image.view(), roi.mask.view(), roi.spacing, binning))
            .transpose()
    };
    let (shape_results, discretised, other_results) = if parallel {
        let (shape_results, discretised) = rayon::join(
            || {
                shape_classes
                    .par_iter()
                    .map(|(c, _)| shape(c))
                    .collect::<Vec<_>>()
            },
            discretise_roi,
        );
        let other_results = match &discretised {
            Ok(Some(d)) => {
                let shared = shared_roi(d);
                other_classes
                    .par_iter()
                    .map(|(c, _)| texture(c, d, shared.as_ref()))
                    .collect::<Vec<_>>()
            }
            _ => Vec::new(),
        };
        (shape_results, discretised, other_results)
    } else {
        let shape_results: Vec<_> = shape_classes.iter().map(|(c, _)| shape(c)).collect();
        // As PyRadiomics fails: a shape error comes before a discretisation error.
        if let Some(Err(_)) = shape_results.iter().find(|r| r.is_err()) {
            (shape_results, Ok(None), Vec::new())
        } else {
            let discretised = discretise_roi();
            let other_results = match &discretised {
                Ok(Some(d)) => {
                    let shared = shared_roi(d);
                    other_classes
                        .iter()
                        .map(|(c, _)| texture(c, d, shared.as_ref()))
                        .collect()
                }
                _ => Vec::new(),
            };
            (shape_results, discretised, other_results)
        }
    };
    // Results in class order; the first error in that order is the one reported.
    let mut results: Vec<Result<ClassOutput>> = shape_results;
    if let Err(e) = discretised {
        results.push(Err(e));
    }
    results.extend(other_results);
    for ((class, wanted), result) in ordered.iter().zip(results) {
        let values = match result? {
            ClassOutput::Values(values) => values,
            ClassOutput::Skipped(key, message) => {
                out.diagnostics.push((key, message));
                continue;
            }
        };
        let (defaults, _) = class.feature_names();
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

    #[test]
    fn parallel_classes_give_the_same_bits_as_one_after_the_other() {
        // A textured ellipsoid of ~27 000 voxels, above the parallel threshold.
        let image = Array3::from_shape_fn((40, 44, 48), |(z, y, x)| {
            ((z * 31 + y * 17 + x * 7) % 97) as f64 + (x as f64 * 0.37).sin() * 40.0
        });
        let labels = Array3::from_shape_fn((40, 44, 48), |(z, y, x)| {
            let (dz, dy, dx) = (z as f64 - 19.5, y as f64 - 21.5, x as f64 - 23.5);
            i64::from((dz / 18.0).powi(2) + (dy / 20.0).powi(2) + (dx / 22.0).powi(2) <= 1.0)
        });
        let geometry = Geometry::with_spacing([0.7, 0.8, 2.0]);
        let (image, mask) = (
            Volume::new(image, geometry.clone()),
            LabelMap::new(labels, geometry),
        );
        let settings = ExtractionSettings {
            bin_width: 5.0,
            ..ExtractionSettings::default()
        };
        let roi = prepare_roi(&image, &mask, &settings).unwrap();
        assert!(roi.mask.iter().filter(|&&v| v).count() >= PARALLEL_CLASSES_MIN_VOXELS);
        let classes = FeatureClassSelection::all();
        let one = features_of_with(&roi, false, &settings, &classes, false).unwrap();
        for threads in [1, 2, 4] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let many = pool.install(|| features_of_with(&roi, false, &settings, &classes, true).unwrap());
            assert_eq!(one.diagnostics, many.diagnostics);
            assert_eq!(one.features.len(), many.features.len());
            assert!(one.features.len() >= 100, "{}", one.features.len());
            for ((name, a), (other, b)) in one.features.iter().zip(&many.features) {
                assert_eq!(name, other);
                assert!(
                    a.to_bits() == b.to_bits(),
                    "{name}: {a} vs {b} on {threads} threads"
                );
            }
        }
    }
}
