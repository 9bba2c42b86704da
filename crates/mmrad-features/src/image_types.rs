//! PyRadiomics image types (`imageType:`): extraction over the original and filtered images, named as PyRadiomics.
//!
//! Order of operations, as PyRadiomics 3.1 `featureextractor.execute`:
//! 1. The image is loaded once: normalised, then resampled onto the grid of the ROI bounding box plus `padDistance`
//!    voxels (`resampledPixelSpacing`; when the spacing is already the requested one, only cropped with the padding),
//!    or cropped with the padding (`preCrop`), or kept whole.
//! 2. Shape features are computed once, from the original image's ROI (`original_shape_*`).
//! 3. Each enabled image type, in parameter-file order, filters the loaded image (every sigma of `LoG`, every band
//!    of `Wavelet`); each filtered image is cropped to the ROI bounding box and gets the intensity and texture classes
//!    with the image type's own settings (`imageType: {LoG: {binWidth: 5}}` overrides `setting:`), named
//!    `<image type name>_<class>_<feature>`: `original_firstorder_Mean`, `log-sigma-3-0-mm-3D_glcm_Contrast`,
//!    `wavelet-LLH_glrlm_RunEntropy`, `square_...`, `squareroot_...`, `logarithm_...`, `exponential_...`,
//!    `gradient_...`, `lbp-2D_...`, `lbp-3D-m1_...` .. `lbp-3D-m<levels>_...`, `lbp-3D-k_...`.
//!
//! A float32 image stays float32 in PyRadiomics (SimpleITK resamples it to float32, PyWavelets transforms it in
//! float32): here the loaded image is rounded to f32 and the wavelet runs in emulated float32 when the file stored
//! float32 ([`Volume::pixel_type`]; for an image of unknown type, when it looks like one: see `stored_as_float32`).
//!
//! The ROI (masks, bounding box, resegmentation, checks, diagnostics) comes from [`prepare_roi`]; the loaded image is
//! rebuilt here with the same grid arithmetic (see [`filter_input`]) and checked voxel for voxel against the ROI's
//! cropped image, so the two can never silently disagree.
//!
//! The LBP filters store their results in the image's numpy pixel type: the file's ([`Volume::pixel_type`]), or for
//! an image of unknown type one inferred from the values (see `lbp_pixel_type`).
//!
//! In IBSI mode (`ibsiCompliant: true`) the same filters run on IBSI mode's grid and each response map gets IBSI
//! families inside the ROI re-segmented on the unfiltered image (see `extract_ibsi_image_types`).

use std::borrow::Cow;

use ndarray::Array3;

use mmrad_core::{Geometry, LabelMap, Volume};
use mmrad_image::filters;
use mmrad_image::{bounding_box, normalise, resample_labels_nearest, resample_volume};

use crate::extract::{Extraction, FeatureClass, FeatureClassSelection, extract};
use crate::roi::{output_cast, prepare_roi, resampled_grid};
use crate::settings::ExtractionSettings;
use crate::{FeatureError, Result};

/// A PyRadiomics image type (`imageType` keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageType {
    Original,
    LoG,
    Wavelet,
    Square,
    SquareRoot,
    Logarithm,
    Exponential,
    Gradient,
    Lbp2D,
    Lbp3D,
    /// mmrad's own: the IBSI-2 convolutional filters of [`FilterSettings::ibsi2`] (IBSI mode only).
    Ibsi2,
}

impl ImageType {
    /// Every image type: PyRadiomics 3.1's, in the order of its documentation, then mmrad's `IBSI2`.
    pub const ALL: [ImageType; 11] = [
        ImageType::Original,
        ImageType::LoG,
        ImageType::Wavelet,
        ImageType::Square,
        ImageType::SquareRoot,
        ImageType::Logarithm,
        ImageType::Exponential,
        ImageType::Gradient,
        ImageType::Lbp2D,
        ImageType::Lbp3D,
        ImageType::Ibsi2,
    ];

    /// PyRadiomics' name (`Original`, `LoG`, `Wavelet`, ..., `LBP3D`), or `IBSI2`.
    pub fn name(self) -> &'static str {
        match self {
            ImageType::Original => "Original",
            ImageType::LoG => "LoG",
            ImageType::Wavelet => "Wavelet",
            ImageType::Square => "Square",
            ImageType::SquareRoot => "SquareRoot",
            ImageType::Logarithm => "Logarithm",
            ImageType::Exponential => "Exponential",
            ImageType::Gradient => "Gradient",
            ImageType::Lbp2D => "LBP2D",
            ImageType::Lbp3D => "LBP3D",
            ImageType::Ibsi2 => "IBSI2",
        }
    }

    /// Parses PyRadiomics' (case-sensitive) name.
    pub fn parse(name: &str) -> Option<ImageType> {
        ImageType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether mmrad computes features on this image type (every PyRadiomics 3.1 image type).
    pub fn is_supported(self) -> bool {
        true
    }
}

pub use mmrad_image::filters::{Lbp2dSettings, Lbp3dSettings, LbpMethod, WAVELET_NAMES};

/// Whether PyWavelets knows the discrete wavelet `name` (`coif1`, `haar`, `db2`, `sym4`, `bior1.3`, ...).
pub fn wavelet_is_known(name: &str) -> bool {
    filters::wavelet_names().any(|known| known == name)
}

/// One LoG sigma: its value in mm and the text PyRadiomics puts in the image type name (`str(sigma)`: `3.0` for a
/// float, `3` for an integer in the parameter file, giving `log-sigma-3-0-mm-3D` or `log-sigma-3-mm-3D`).
#[derive(Debug, Clone, PartialEq)]
pub struct Sigma {
    pub mm: f64,
    pub text: String,
}

impl Sigma {
    /// A sigma written as a float (`1.0` → text `1.0`).
    pub fn float(mm: f64) -> Sigma {
        Sigma {
            mm,
            text: format!("{mm:?}"),
        }
    }
}

/// Settings of the filtered image types, with PyRadiomics 3.1 defaults.
///
/// | Name | PyRadiomics | Default | Purpose |
/// |---|---|---|---|
/// | `sigma` | `sigma` | none | LoG widths in mm (no sigma: no LoG image) |
/// | `wavelet` | `wavelet` | `coif1` | PyWavelets wavelet name |
/// | `start_level` | `start_level` | 0 | first decomposition level whose bands are used |
/// | `level` | `level` | 1 | number of levels whose bands are used |
/// | `gradient_use_spacing` | `gradientUseSpacing` | true | gradient in intensity per mm (else per voxel) |
/// | `lbp_2d` | `lbp2DRadius`, `lbp2DSamples`, `lbp2DMethod` | 1, 8, `uniform` | LBP2D circle and code ([`Lbp2dSettings`]; its `axis` is replaced by `force2Ddimension`) |
/// | `lbp_3d` | `lbp3DLevels`, `lbp3DIcosphereRadius`, `lbp3DIcosphereSubdivision` | 2, 1, 1 | LBP3D harmonics and sphere ([`Lbp3dSettings`]) |
/// | `ibsi2` | (mmrad: `imageType: {IBSI2: {<name>: {<filter parameters>}}}`) | none | named IBSI-2 filters, file order |
#[derive(Debug, Clone, PartialEq)]
pub struct FilterSettings {
    pub sigma: Vec<Sigma>,
    pub wavelet: String,
    pub start_level: usize,
    pub level: usize,
    pub gradient_use_spacing: bool,
    pub lbp_2d: Lbp2dSettings,
    pub lbp_3d: Lbp3dSettings,
    pub ibsi2: Vec<(String, Ibsi2FilterSpec)>,
}

/// One IBSI-2 filter (parameters: [`mmrad_image::filters::ibsi2`]).
pub use mmrad_image::filters::ibsi2::FilterSpec as Ibsi2FilterSpec;

impl Default for FilterSettings {
    fn default() -> Self {
        FilterSettings {
            sigma: Vec::new(),
            wavelet: "coif1".to_owned(),
            start_level: 0,
            level: 1,
            gradient_use_spacing: true,
            lbp_2d: Lbp2dSettings::default(),
            lbp_3d: Lbp3dSettings::default(),
            ibsi2: Vec::new(),
        }
    }
}

/// One enabled image type with its effective settings (`setting:` plus the type's own overrides).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageTypeSpec {
    pub image_type: ImageType,
    /// Feature settings for this type's images (bin width, texture settings, ...); the ROI is always prepared with
    /// the settings given to [`extract_image_types`], as PyRadiomics loads the image once.
    pub settings: ExtractionSettings,
    pub filter: FilterSettings,
}

impl ImageTypeSpec {
    /// The image type with the given settings and default filter settings.
    pub fn new(image_type: ImageType, settings: ExtractionSettings) -> ImageTypeSpec {
        ImageTypeSpec {
            image_type,
            settings,
            filter: FilterSettings::default(),
        }
    }
}

/// Extracts features of every enabled image type, named and ordered as PyRadiomics does.
///
/// With `image_types` = `[Original]` (with the same settings, whatever its `label`) this is exactly [`extract`].
///
/// # Errors
/// Everything [`extract`] rejects; an unknown wavelet or a level of 0; LBP settings out of range;
/// a filter without a scale (`Square` etc. on an image that is zero everywhere). A sigma PyRadiomics skips (too large
/// for the image, or the image smaller than 4 voxels along an axis) is not an error: it is skipped with a
/// `diagnostics_Warning_LoG` entry, as PyRadiomics logs a warning.
pub fn extract_image_types(
    image: &Volume,
    mask: &LabelMap,
    settings: &ExtractionSettings,
    image_types: &[ImageTypeSpec],
    classes: &FeatureClassSelection,
) -> Result<Extraction> {
    if let [only] = image_types
        && only.image_type == ImageType::Original
        && (ExtractionSettings {
            label: settings.label,
            ..only.settings.clone()
        }) == *settings
    {
        return extract(image, mask, settings, classes);
    }
    if settings.ibsi_compliant {
        return extract_ibsi_image_types(image, mask, settings, image_types, classes);
    }
    if image_types.iter().any(|t| t.image_type == ImageType::Ibsi2) {
        return Err(FeatureError::Unsupported {
            what: "imageType.IBSI2 without IBSI mode".into(),
            hint: "the IBSI-2 filters feed IBSI intensity statistics; add `setting: {ibsiCompliant: true}`"
                .into(),
        });
    }
    let roi = prepare_roi(image, mask, settings)?;
    let (loaded, offset) = filter_input(image, mask, settings)?;
    let mut local_box = roi.bounding_box;
    for axis in 0..3 {
        for end in 0..2 {
            local_box[axis][end] -= offset[axis];
        }
    }
    if mmrad_image::crop(&loaded.data, &local_box) != roi.image {
        return Err(FeatureError::Shape {
            what: "the image filters see (internal: the filter grid differs from the ROI grid)".to_owned(),
            expected: format!("{:?}", roi.image.dim()),
            found: format!("{:?}", mmrad_image::crop(&loaded.data, &local_box).dim()),
        });
    }
    // SimpleITK keeps a float32 image float32 through resampling, and PyWavelets then transforms it in float32.
    let float32 = !settings.normalize
        && image.pixel_type.map_or_else(
            || stored_as_float32(&image.data),
            |t| t == mmrad_core::PixelType::Float32,
        );
    let mut loaded = loaded;
    if float32 {
        loaded.data.mapv_inplace(|v| f64::from(v as f32));
    }
    let geometry = Geometry {
        ndim: mask.geometry.ndim,
        ..loaded.geometry.clone()
    };
    let mut out = Extraction::default();
    if settings.additional_info {
        out.diagnostics.extend(roi.diagnostics.iter().cloned());
    }
    // The cropped ROI is extracted again with everything the ROI pipeline did switched off.
    let plain = |s: &ExtractionSettings| ExtractionSettings {
        label: 1,
        normalize: false,
        resegment_range: None,
        resegment_shape: false,
        pre_crop: false,
        correct_mask: false,
        additional_info: false,
        resampled_pixel_spacing: None,
        geometry_tolerance: None,
        ..s.clone()
    };
    let as_labels = |m: &Array3<bool>| LabelMap::new(m.mapv(i64::from), geometry.clone());

    // 2. Shape, once, from the original image's ROI.
    let (shape_classes, intensity_classes): (Vec<_>, Vec<_>) = classes
        .classes
        .iter()
        .cloned()
        .partition(|(c, _)| matches!(c, FeatureClass::Shape | FeatureClass::Shape2D));
    if !shape_classes.is_empty() {
        let shape = extract(
            &Volume::new(roi.image.clone(), geometry.clone()),
            &as_labels(&roi.shape_mask),
            &plain(settings),
            &FeatureClassSelection {
                classes: shape_classes,
                ibsi: None,
            },
        )?;
        out.features.extend(shape.features);
        out.diagnostics.extend(shape.diagnostics);
    }

    // 3. Every image type, every image it yields.
    let intensity = FeatureClassSelection {
        classes: intensity_classes,
        ibsi: None,
    };
    if intensity.classes.is_empty() {
        return Ok(out);
    }
    let intensity_mask = as_labels(&roi.mask);
    // SimpleITK's Normalize returns a float64 image.
    // Only the LBP filters use the pixel type; inferring it scans the whole image.
    let lbp = image_types
        .iter()
        .any(|spec| matches!(spec.image_type, ImageType::Lbp2D | ImageType::Lbp3D));
    let pixel = if settings.normalize || !lbp {
        filters::PixelType::Float64
    } else {
        image
            .pixel_type
            .map_or_else(|| lbp_pixel_type(&image.data, float32), numpy_pixel_type)
    };
    // LBP3D filters the ROI voxels only: the ROI mask placed on the filter grid.
    let mut loaded_roi = Array3::from_elem(loaded.data.dim(), false);
    for ((z, y, x), &inside) in roi.mask.indexed_iter() {
        if inside {
            loaded_roi[[z + local_box[0][0], y + local_box[1][0], x + local_box[2][0]]] = true;
        }
    }
    let input = FilterInput {
        loaded: &loaded,
        roi: &loaded_roi,
        float32,
        pixel,
    };
    for spec in image_types {
        for (name, filtered) in filtered_images(&input, spec, &mut out.diagnostics)? {
            let cropped = if name == "original" {
                roi.image.clone()
            } else {
                mmrad_image::crop(&filtered, &local_box)
            };
            let features = extract(
                &Volume::new(cropped, geometry.clone()),
                &intensity_mask,
                &plain(&spec.settings),
                &intensity,
            )?;
            out.features
                .extend(features.features.into_iter().map(|(feature, value)| {
                    let suffix = feature.strip_prefix("original_").unwrap_or(&feature);
                    (format!("{name}_{suffix}"), value)
                }));
            out.diagnostics.extend(features.diagnostics);
        }
    }
    Ok(out)
}

/// What the filters see: the loaded image, its ROI on the same grid and its inferred pixel type.
struct FilterInput<'a> {
    loaded: &'a Volume,
    roi: &'a Array3<bool>,
    float32: bool,
    pixel: filters::PixelType,
}

/// The images one image type yields, with PyRadiomics' image type names, in PyRadiomics' order.
fn filtered_images(
    input: &FilterInput<'_>,
    spec: &ImageTypeSpec,
    diagnostics: &mut Vec<(String, String)>,
) -> Result<Vec<(String, Array3<f64>)>> {
    let (loaded, float32) = (input.loaded, input.float32);
    let filter_error = |e: mmrad_image::ImageError| FeatureError::InvalidSetting {
        name: "imageType",
        value: format!("{}: {e}", spec.image_type.name()),
        expected: "settings the filter accepts",
    };
    let one = |name: &str, data: Array3<f64>| Ok(vec![(name.to_owned(), data)]);
    match spec.image_type {
        ImageType::Original => one("original", Array3::zeros((0, 0, 0))),
        ImageType::Square => one("square", filters::square(&loaded.data).map_err(filter_error)?),
        ImageType::SquareRoot => one(
            "squareroot",
            filters::square_root(&loaded.data).map_err(filter_error)?,
        ),
        ImageType::Logarithm => one(
            "logarithm",
            filters::logarithm(&loaded.data).map_err(filter_error)?,
        ),
        ImageType::Exponential => one(
            "exponential",
            filters::exponential(&loaded.data).map_err(filter_error)?,
        ),
        ImageType::Gradient => one(
            "gradient",
            filters::gradient_magnitude(loaded, spec.filter.gradient_use_spacing).data,
        ),
        ImageType::LoG => {
            let ndim = if loaded.geometry.ndim == 2 { 2 } else { 3 };
            let (nz, ny, nx) = loaded.data.dim();
            let size = &[nx, ny, nz][..ndim];
            let spacing = &loaded.geometry.spacing[..ndim];
            let (mut out, mut skipped) = (Vec::new(), Vec::new());
            for sigma in &spec.filter.sigma {
                let name = format!("log-sigma-{}-mm-3D", sigma.text.replace('.', "-"));
                match filters::log_sigma_applies(size, spacing, sigma.mm) {
                    Ok(()) => out.push((
                        name,
                        filters::laplacian_of_gaussian(loaded, sigma.mm)
                            .map_err(filter_error)?
                            .data,
                    )),
                    Err(reason) => skipped.push(format!("{name}: {reason}; skipped")),
                }
            }
            // One column for every skipped sigma: a column per sigma would repeat the same name.
            if !skipped.is_empty() {
                diagnostics.push(("diagnostics_Warning_LoG".to_owned(), skipped.join(" | ")));
            }
            Ok(out)
        }
        ImageType::Wavelet => {
            let force = spec.settings.force_2d.then_some(spec.settings.force_2d_dimension);
            let axes = filters::wavelet_axes(loaded.geometry.ndim.clamp(2, 3), force);
            let precision = if float32 {
                filters::Precision::F32
            } else {
                filters::Precision::F64
            };
            let bands = filters::wavelet_decompositions(
                &loaded.data,
                &spec.filter.wavelet,
                spec.filter.start_level,
                spec.filter.level,
                &axes,
                precision,
            )
            .map_err(filter_error)?;
            Ok(bands.into_iter().map(|b| (b.name, b.data)).collect())
        }
        ImageType::Lbp2D => {
            let settings = filters::Lbp2dSettings {
                axis: spec.settings.force_2d_dimension,
                ..spec.filter.lbp_2d.clone()
            };
            let ndim = if loaded.geometry.ndim == 2 { 2 } else { 3 };
            one(
                "lbp-2D",
                filters::lbp_2d(&loaded.data, ndim, &settings, input.pixel).map_err(filter_error)?,
            )
        }
        // PyRadiomics yields no LBP3D image for a 2D image (a logged warning).
        ImageType::Lbp3D if loaded.geometry.ndim == 2 => Ok(Vec::new()),
        ImageType::Lbp3D => {
            let images = filters::lbp_3d(&loaded.data, input.roi, &spec.filter.lbp_3d, input.pixel)
                .map_err(filter_error)?;
            // The kurtosis is NaN (scipy) where all icosphere samples of a ROI voxel are equal. PyRadiomics keeps the
            // NaN voxels (its nan-aware first-order statistics skip them); mmrad computes no feature on NaN voxels.
            for (name, image) in &images {
                let undefined = image
                    .iter()
                    .zip(input.roi.iter())
                    .filter(|(v, inside)| **inside && v.is_nan())
                    .count();
                if undefined > 0 {
                    return Err(FeatureError::Unsupported {
                        what: format!("imageType.LBP3D ({name})"),
                        hint: format!(
                            "the sample kurtosis is undefined (NaN) at {undefined} ROI voxel(s) whose icosphere \
                             samples are all equal (a flat neighbourhood); PyRadiomics computes its features with \
                             those NaN voxels in the ROI (its nan-aware first-order statistics skip them), mmrad \
                             computes no feature on NaN voxels: remove LBP3D from `imageType` for this image"
                        ),
                    });
                }
            }
            Ok(images)
        }
        ImageType::Ibsi2 => Ok(Vec::new()),
    }
}

/// IBSI mode with image types: `Original` gets the selected IBSI families ([`crate::ibsi::extract_ibsi_with`], as
/// without image types); each filter `<name>` of `IBSI2` gets the IBSI intensity statistics of its response map
/// inside the ROI re-segmented on the unfiltered image ([`crate::ibsi::filtered::extract_ibsi_filtered`]), named
/// `ibsi2-<name>_ibsi_stat_<tag>`; each PyRadiomics filter (LoG, Wavelet, Square, ..., LBP3D) filters the image on
/// IBSI mode's grid ([`ibsi_filter_input`]) exactly as in PyRadiomics mode ([`filtered_images`]) and gets the
/// selected intensity-based and texture families of each response map inside that same ROI
/// ([`crate::ibsi::filtered::response_families`]), named `<image type name>_ibsi_<tag>[_<aggregation>]`
/// (`log-sigma-1-0-mm-3D_ibsi_stat_mean`, `wavelet-LLH_ibsi_cm_joint_max_3D_avg`).
fn extract_ibsi_image_types(
    image: &Volume,
    mask: &LabelMap,
    settings: &ExtractionSettings,
    image_types: &[ImageTypeSpec],
    classes: &FeatureClassSelection,
) -> Result<Extraction> {
    let selection = crate::ibsi::select::IbsiSelection::from_classes(classes)?;
    let mut out = Extraction::default();
    // Built once, before `Original`, when a PyRadiomics filter runs: `Original` then reuses its interpolated grid.
    let mut filter_input: Option<IbsiFilterInput> = image_types
        .iter()
        .any(|t| !matches!(t.image_type, ImageType::Original | ImageType::Ibsi2))
        .then(|| ibsi_filter_input(image, mask, settings, image_types))
        .transpose()?;
    for spec in image_types {
        let typed = ExtractionSettings {
            label: settings.label,
            ..spec.settings.clone()
        };
        match spec.image_type {
            ImageType::Original => {
                let original = match filter_input.as_ref().and_then(|f| f.grid.as_ref()) {
                    // The same grid `extract` would interpolate: the image and mask on it, without the spacing.
                    Some((grid_image, grid_mask, grid_settings)) if typed == *settings => {
                        extract(grid_image, grid_mask, grid_settings, classes)?
                    }
                    _ => extract(image, mask, &typed, classes)?,
                };
                out.features.extend(original.features);
                out.diagnostics.extend(original.diagnostics);
            }
            ImageType::Ibsi2 => {
                for (name, filter) in &spec.filter.ibsi2 {
                    let filtered =
                        crate::ibsi::filtered::extract_ibsi_filtered(image, mask, &typed, Some(filter))?;
                    out.features.extend(
                        filtered
                            .features
                            .into_iter()
                            .map(|(feature, value)| (format!("ibsi2-{name}_{feature}"), value)),
                    );
                }
            }
            _ => {
                crate::ibsi::check_ibsi_settings(&typed)?;
                let input = match &mut filter_input {
                    Some(input) => input,
                    None => filter_input.insert(ibsi_filter_input(image, mask, settings, image_types)?),
                };
                let two_d = crate::ibsi::two_d_aggregation_only(mask, &typed);
                let filters = FilterInput {
                    loaded: &input.loaded,
                    roi: &input.loaded_roi,
                    float32: input.float32,
                    pixel: input.pixel,
                };
                for (name, response) in filtered_images(&filters, spec, &mut out.diagnostics)? {
                    let cropped = mmrad_image::crop(&response, &input.local_box);
                    let features = crate::ibsi::filtered::response_families(
                        &cropped, &input.roi, &typed, &selection, two_d, &name,
                    )?;
                    out.features.extend(
                        features
                            .into_iter()
                            .map(|(feature, value)| (format!("{name}_{feature}"), value)),
                    );
                }
            }
        }
    }
    Ok(out)
}

/// What the PyRadiomics filters see in IBSI mode, built once for every filtered image type.
struct IbsiFilterInput {
    /// The interpolated image, mask and settings (without the spacing), when `resampledPixelSpacing` is set.
    grid: Option<(Volume, LabelMap, ExtractionSettings)>,
    /// The image the filters run on (see [`ibsi_filter_input`]).
    loaded: Volume,
    /// The ROI (re-segmented on the unfiltered image, outliers removed) on IBSI mode's grid.
    roi: crate::roi::PreparedRoi,
    /// `roi`'s box in `loaded`'s grid.
    local_box: [[usize; 2]; 3],
    /// `roi.mask` placed on `loaded`'s grid (LBP3D filters these voxels only).
    loaded_roi: Array3<bool>,
    float32: bool,
    pixel: filters::PixelType,
}

/// IBSI mode's filter input: the image on IBSI's grid (interpolated when `resampledPixelSpacing` is set, as
/// [`crate::ibsi::extract_ibsi`] does), cropped to the ROI box plus `padDistance` voxels when it was interpolated or
/// `preCrop` is set (PyRadiomics' `loadImage` rule; the crop only saves work, as PyRadiomics' filters see the same
/// padded box), else whole; with the ROI prepared on that grid and re-segmented on the unfiltered intensities.
fn ibsi_filter_input(
    image: &Volume,
    mask: &LabelMap,
    settings: &ExtractionSettings,
    image_types: &[ImageTypeSpec],
) -> Result<IbsiFilterInput> {
    crate::ibsi::check_ibsi_settings(settings)?;
    let gridded = crate::ibsi::ibsi_grid(image, mask, settings)?;
    let input = ibsi_filter_input_on(image, mask, settings, image_types, gridded.as_ref())?;
    Ok(IbsiFilterInput {
        grid: gridded,
        ..input
    })
}

/// [`ibsi_filter_input`] given the interpolation's result (`grid`: image, mask, settings).
fn ibsi_filter_input_on(
    image: &Volume,
    mask: &LabelMap,
    settings: &ExtractionSettings,
    image_types: &[ImageTypeSpec],
    gridded: Option<&(Volume, LabelMap, ExtractionSettings)>,
) -> Result<IbsiFilterInput> {
    let (grid_image, grid_mask, grid_settings) = match gridded {
        Some((i, m, s)) => (i, m, s),
        None => (image, mask, settings),
    };
    let mut roi = prepare_roi(grid_image, grid_mask, grid_settings)?;
    if let Some(n) = grid_settings.remove_outliers {
        crate::ibsi::remove_outliers(&mut roi, n);
    }
    let bb = roi.bounding_box;
    let (loaded, offset) = if gridded.is_some() || settings.pre_crop {
        crop_padded(grid_image, bb, settings.pad_distance)
    } else {
        (grid_image.clone(), [0, 0, 0])
    };
    let mut local_box = bb;
    for axis in 0..3 {
        for end in 0..2 {
            local_box[axis][end] -= offset[axis];
        }
    }
    if mmrad_image::crop(&loaded.data, &local_box) != roi.image {
        return Err(FeatureError::Shape {
            what: "the image IBSI mode's filters see (internal: the filter grid differs from the ROI grid)"
                .to_owned(),
            expected: format!("{:?}", roi.image.dim()),
            found: format!("{:?}", mmrad_image::crop(&loaded.data, &local_box).dim()),
        });
    }
    // As in PyRadiomics mode: a float32 file stays float32 through the filters (an interpolated image is float64).
    let float32 = gridded.is_none()
        && image.pixel_type.map_or_else(
            || stored_as_float32(&image.data),
            |t| t == mmrad_core::PixelType::Float32,
        );
    let mut loaded = loaded;
    if float32 {
        loaded.data.mapv_inplace(|v| f64::from(v as f32));
    }
    let lbp = image_types
        .iter()
        .any(|spec| matches!(spec.image_type, ImageType::Lbp2D | ImageType::Lbp3D));
    // The LBP codes are stored in the file's pixel type; an interpolated image's type is inferred from its values
    // (IBSI interpolation rounds integer images to integers).
    let pixel = if !lbp {
        filters::PixelType::Float64
    } else if gridded.is_none() {
        image
            .pixel_type
            .map_or_else(|| lbp_pixel_type(&image.data, float32), numpy_pixel_type)
    } else {
        lbp_pixel_type(&grid_image.data, false)
    };
    let mut loaded_roi = Array3::from_elem(loaded.data.dim(), false);
    for ((z, y, x), &inside) in roi.mask.indexed_iter() {
        if inside {
            loaded_roi[[z + local_box[0][0], y + local_box[1][0], x + local_box[2][0]]] = true;
        }
    }
    Ok(IbsiFilterInput {
        grid: None,
        loaded,
        roi,
        local_box,
        loaded_roi,
        float32,
        pixel,
    })
}

/// The image PyRadiomics' filters see (`featureextractor.loadImage`) and the offset of its grid in the grid of
/// `roi.bounding_box`: the normalised image, resampled onto the padded ROI grid (or cropped with `padDistance` when
/// already at the requested spacing, or with `preCrop`), else the whole image.
///
/// The resampling grid repeats `roi::resample_pair` (PyRadiomics `resampleImage`); the caller checks the result
/// against [`prepare_roi`]'s cropped image voxel for voxel.
fn filter_input(
    image: &Volume,
    mask: &LabelMap,
    settings: &ExtractionSettings,
) -> Result<(Volume, [usize; 3])> {
    // A whole-image copy only when normalisation changes the data (on a 512² CT each copy is ~130 MB).
    let normalised: Cow<'_, Volume> = if settings.normalize {
        let mut owned = image.clone();
        normalise(
            &mut owned.data,
            settings.normalize_scale,
            settings.remove_outliers,
        )
        .map_err(|e| FeatureError::NonFinite {
            what: format!("normalisation ({e})"),
        })?;
        Cow::Owned(owned)
    } else {
        Cow::Borrowed(image)
    };
    let pad = settings.pad_distance;
    let crop_padded = |volume: &Volume, bb: [[usize; 2]; 3]| crop_padded(volume, bb, pad);
    let morphological_box = |labels: &Array3<i64>| {
        bounding_box(&labels.mapv(|v| v == settings.label)).ok_or(FeatureError::EmptyRoi {
            label: Some(settings.label),
        })
    };
    let Some(requested) = settings.resampled_pixel_spacing else {
        if settings.pre_crop {
            let bb = morphological_box(&mask.data)?;
            return Ok(crop_padded(&normalised, bb));
        }
        return Ok((normalised.into_owned(), [0, 0, 0]));
    };
    let roi_box = morphological_box(&mask.data)?;
    let Some((geometry, shape)) =
        resampled_grid(mask, &roi_box, requested, normalised.geometry.spacing, pad as f64)
    else {
        // PyRadiomics resamples only the mask onto the image grid, then crops both with the padding.
        let resampled =
            resample_labels_nearest(mask, &normalised.geometry, normalised.data.dim()).map_err(|e| {
                FeatureError::RoiOutsideImage {
                    detail: e.to_string(),
                }
            })?;
        let bb = morphological_box(&resampled.data)?;
        return Ok(crop_padded(&normalised, bb));
    };
    // SimpleITK's Normalize returns a float64 image; otherwise the image keeps its pixel type.
    let cast = if settings.normalize {
        mmrad_image::OutputCast::Float
    } else {
        output_cast(image)
    };
    let resampled =
        resample_volume(&normalised, &geometry, shape, settings.interpolator, cast).map_err(|e| {
            FeatureError::RoiOutsideImage {
                detail: e.to_string(),
            }
        })?;
    Ok((resampled, [0, 0, 0]))
}

/// The numpy pixel type of an image read as `t`.
fn numpy_pixel_type(t: mmrad_core::PixelType) -> filters::PixelType {
    match (t, t.integer_range()) {
        (mmrad_core::PixelType::Float32, _) => filters::PixelType::Float32,
        (_, Some((min, max))) => filters::PixelType::integer(min, max),
        _ => filters::PixelType::Float64,
    }
}

/// For an image of unknown pixel type (see [`Volume::pixel_type`]): the numpy pixel type PyRadiomics' LBP filters
/// would see, inferred from the whole image's values: float32 as for
/// the wavelet, else the first of int16, uint16, int32 holding every value (int16 first: the usual type of CT and MR
/// files, including MR files whose values happen to lie in 0..=255, such as PyRadiomics' `breast1`), else float64.
///
/// `Volume` does not record the file's pixel type. A uint8 or uint16 file whose values fit int16 is taken as int16:
/// its LBP2D codes are the same unless they exceed 255 (a uint8 3D image with `lbp2DSamples` > 8 and a method other
/// than `uniform`), and its LBP3D samples differ where scipy's cubic interpolation overshoots below 0 (uint types
/// clip there).
fn lbp_pixel_type(data: &Array3<f64>, float32: bool) -> filters::PixelType {
    if float32 {
        return filters::PixelType::Float32;
    }
    if data.iter().any(|v| v.fract() != 0.0 || !v.is_finite()) {
        return filters::PixelType::Float64;
    }
    let (min, max) = data
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    for (lo, hi) in [
        (-32_768_i64, 32_767_i64),
        (0, 65_535),
        (i64::from(i32::MIN), i64::from(i32::MAX)),
    ] {
        if min >= lo as f64 && max <= hi as f64 {
            return filters::PixelType::integer(lo, hi);
        }
    }
    filters::PixelType::Float64
}

/// Whether the image was (most likely) stored as float32: every value is a float32 value and not all are integers.
///
/// `Volume` does not record the pixel type; an integer image (all values integers) is transformed in float64 by
/// PyWavelets, as is any image with a value float32 cannot hold. A float32 file holding only integers is read as an
/// integer image here, and its wavelet bands then differ from PyWavelets' by float32 rounding.
fn stored_as_float32(data: &Array3<f64>) -> bool {
    // In blocks without a per-voxel exit, so that the loop vectorises (and without `fract`, a libm call on baseline
    // x86-64: this runs over the whole image).
    let values: Cow<'_, [f64]> = match data.as_slice() {
        Some(slice) => Cow::Borrowed(slice),
        None => Cow::Owned(data.iter().copied().collect()),
    };
    let mut any_fraction = false;
    for block in values.chunks(4096) {
        let mut all_float32 = true;
        for &v in block {
            all_float32 &= v.is_finite() & (f64::from(v as f32) == v);
            any_fraction |= !crate::roi::is_integer(v) & (v.abs() < 9.0e15);
        }
        if !all_float32 {
            return false;
        }
    }
    any_fraction
}

/// The box `bb` grown by `pad` voxels (within the image) cut out of `volume`, with its geometry, and the box's
/// offset in `volume`.
fn crop_padded(volume: &Volume, bb: [[usize; 2]; 3], pad: usize) -> (Volume, [usize; 3]) {
    let (nz, ny, nx) = volume.data.dim();
    let upper = [nz - 1, ny - 1, nx - 1];
    let mut padded = bb;
    for axis in 0..3 {
        padded[axis] = [
            bb[axis][0].saturating_sub(pad),
            (bb[axis][1] + pad).min(upper[axis]),
        ];
    }
    let offset = [padded[0][0], padded[1][0], padded[2][0]];
    let origin_index = [offset[2] as f64, offset[1] as f64, offset[0] as f64];
    let geometry = Geometry {
        origin: volume.geometry.index_to_physical(origin_index),
        ..volume.geometry.clone()
    };
    (
        Volume::new(mmrad_image::crop(&volume.data, &padded), geometry),
        offset,
    )
}
