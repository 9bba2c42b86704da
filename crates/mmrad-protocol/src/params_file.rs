//! PyRadiomics parameter files (YAML or JSON) read unchanged into [`ExtractionParams`]: settings, feature classes and
//! image types, validated against PyRadiomics 3.1's schema (`radiomics/schemas/paramSchema.yaml`).
//!
//! The file has up to four top-level keys, as in PyRadiomics:
//!
//! | key | meaning | here |
//! |---|---|---|
//! | `setting` | extraction settings (`binWidth`, `label`, `force2D`, ...) | [`ExtractionSettings`] |
//! | `featureClass` | classes to compute, each with an optional list of features | [`FeatureClassSelection`] |
//! | `imageType` | image types, each with its own setting overrides | [`ImageTypeSpec`]s |
//! | `voxelSetting` | voxel-based extraction settings | validated, then ignored with a note |
//!
//! Unknown keys, wrong value types and out-of-range values are errors naming the YAML path
//! (`setting.binWidht: unknown setting; valid: ...`). Settings PyRadiomics accepts but that only matter for image
//! types or modes mmrad does not run (the `lbp*` settings, `label_channel`, ...) are type-checked and then reported in
//! [`ExtractionParams::notes`]. Precedence follows PyRadiomics: defaults < `setting` < `-s key:value` overrides <
//! `imageType.<Type>` settings (for that image type; `imageType.Original` settings apply to the ROI too, as before).
//! Two keys are mmrad's own: `setting: {ibsiCompliant: true}` switches to IBSI-1 mode (`mmrad_features::ibsi`), and
//! in that mode `imageType: {IBSI2: {<name>: {filter: <filter>, <parameter>: <value>, ...}}}` adds IBSI-2 filters
//! (parameters: `mmrad_image::filters::ibsi2`), each giving the IBSI intensity statistics of its response map as
//! `ibsi2-<name>_ibsi_stat_<tag>`. In IBSI mode `featureClass` keys are PyRadiomics classes or IBSI family tags and
//! feature lists hold IBSI feature tags (`mmrad_features::ibsi::select`); the entries are checked once the mode is
//! known (after `-s` overrides), against PyRadiomics' names or IBSI's.

use std::path::Path;

use mmrad_features::texture::WeightingNorm;
use mmrad_features::{
    ExtractionSettings, FeatureClass, FeatureClassSelection, FilterSettings, ImageTypeSpec, Interpolator,
    ResegmentMode, Sigma,
};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::{Error, Result};

pub use mmrad_features::ImageType;

/// A parsed PyRadiomics parameter file (plus command-line overrides).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractionParams {
    /// Settings for the `Original` image type, checked with [`ExtractionSettings::check`].
    pub settings: ExtractionSettings,
    /// Classes in file order, each with its requested features (empty = the class's defaults).
    pub classes: FeatureClassSelection,
    /// Enabled image types in file order.
    pub image_types: Vec<ImageType>,
    /// Filter settings of `setting:` (`sigma`, `wavelet`, `level`, `start_level`, `gradientUseSpacing`).
    pub filter: FilterSettings,
    /// Every enabled image type with its effective settings (`setting:`, overrides, then the type's own settings),
    /// in file order: the argument of [`mmrad_features::extract_image_types`]. Computed by [`parse_params`]
    /// ([`apply_override`] does not update it).
    pub image_type_specs: Vec<ImageTypeSpec>,
    /// Accepted-but-ignored keys, one sentence each (`voxelSetting: ...`).
    pub notes: Vec<String>,
}

impl Default for ExtractionParams {
    /// PyRadiomics without a parameter file: default settings, every class with its default features, `Original`.
    fn default() -> Self {
        ExtractionParams {
            settings: ExtractionSettings::default(),
            classes: FeatureClassSelection::all(),
            image_types: vec![ImageType::Original],
            filter: FilterSettings::default(),
            image_type_specs: vec![ImageTypeSpec::new(
                ImageType::Original,
                ExtractionSettings::default(),
            )],
            notes: Vec::new(),
        }
    }
}

/// Reads a PyRadiomics parameter file (`.yaml`, `.yml` or `.json`) and applies `-s key:value` overrides.
///
/// # Errors
/// [`Error::Invalid`] naming the path when the file cannot be read; otherwise as [`parse_params`].
pub fn load_params(path: &Path, overrides: &[String]) -> Result<ExtractionParams> {
    let text = std::fs::read_to_string(path).map_err(|source| {
        Error::invalid(
            path.display().to_string(),
            format!("cannot read the parameter file: {source}"),
            "check the path given to `-p`",
        )
    })?;
    parse_params(&text, overrides)
}

/// Parses PyRadiomics parameter text (YAML, or JSON which is YAML) and applies `-s key:value` overrides.
///
/// Empty text is PyRadiomics without a parameter file ([`ExtractionParams::default`] plus the overrides).
///
/// # Examples
///
/// ```
/// use mmrad_protocol::params_file::parse_params;
///
/// let params = parse_params("setting: {binWidth: 10}\nfeatureClass: {firstorder: [Mean]}", &["label:2".into()])?;
/// assert_eq!(params.settings.bin_width, 10.0);
/// assert_eq!(params.settings.label, 2);
/// assert!(parse_params("setting: {binWidht: 10}", &[]).is_err());
/// # Ok::<(), mmrad_protocol::Error>(())
/// ```
///
/// # Errors
/// [`Error::Syntax`] for malformed YAML/JSON; [`Error::Invalid`] naming the YAML path for an unknown key (with the
/// valid keys), a value of the wrong type or out of range, a duplicate key, an unknown image type, an
/// unknown feature class or feature, a malformed override, or settings [`ExtractionSettings::check`] rejects.
pub fn parse_params(text: &str, overrides: &[String]) -> Result<ExtractionParams> {
    let root: Node =
        serde_yaml::from_str(text).map_err(|err| crate::syntax_error(&err, "parameter file: "))?;
    let root = match root {
        Node::Null => Vec::new(),
        Node::Map(entries) => entries,
        Node::Duplicate(key) => return Err(duplicate(&key)),
        other => {
            return Err(Error::invalid(
                "(root)",
                format!(
                    "expected a mapping with keys {}; found {}",
                    TOP_LEVEL_KEYS.join(", "),
                    other.kind()
                ),
                "see PyRadiomics' `examples/exampleSettings/Params.yaml` for the layout",
            ));
        }
    };
    let mut out = ExtractionParams::default();
    let mut class_entries: Option<Vec<ClassEntry>> = None;
    let mut type_settings: Vec<(ImageType, Entries)> = vec![(ImageType::Original, Vec::new())];
    for (key, value) in &root {
        match key.as_str() {
            "setting" => {
                for (name, node) in mapping(value, "setting")? {
                    apply_setting(&mut out, name, node, &format!("setting.{name}"))?;
                }
            }
            "voxelSetting" => {
                let entries = mapping(value, "voxelSetting")?;
                for (name, node) in entries {
                    check_voxel_setting(name, node)?;
                }
                if !entries.is_empty() {
                    out.notes.push(
                        "voxelSetting: ignored; mmrad does segment-based extraction only (no voxel-based maps)".into(),
                    );
                }
            }
            "featureClass" => class_entries = Some(feature_class_entries(value)?),
            "imageType" => {
                type_settings = image_types(value)?;
                out.image_types = type_settings.iter().map(|(t, _)| *t).collect();
            }
            other => {
                let help = if other == "inputImage" {
                    "`inputImage` was renamed `imageType` in PyRadiomics 2.0".to_owned()
                } else {
                    suggestion(other, &TOP_LEVEL_KEYS)
                };
                return Err(Error::invalid(
                    other,
                    format!("unknown top-level key; valid: {}", TOP_LEVEL_KEYS.join(", ")),
                    help,
                ));
            }
        }
    }
    for text in overrides {
        apply_override(&mut out, text)?;
    }
    for (image_type, entries) in &type_settings {
        if *image_type == ImageType::Original {
            for (name, node) in entries {
                apply_setting(&mut out, name, node, &format!("imageType.Original.{name}"))?;
            }
        }
    }
    check_settings(&out.settings, "setting")?;
    // The mode decides what the class names mean, and `-s ibsiCompliant:true` may set it after the file.
    if let Some(entries) = class_entries {
        out.classes = if out.settings.ibsi_compliant {
            ibsi_classes(entries)?
        } else {
            feature_classes(entries)?
        };
    }
    // Each image type's own settings override `setting:` for that type only (PyRadiomics `args.update(customKwargs)`).
    let mut specs = Vec::with_capacity(type_settings.len());
    for (image_type, entries) in &type_settings {
        let mut typed = out.clone();
        if *image_type == ImageType::Ibsi2 {
            // Its entries are named filters, not setting overrides.
            typed.filter.ibsi2 = ibsi2_filters(entries)?;
            if !out.settings.ibsi_compliant {
                return Err(Error::invalid(
                    "imageType.IBSI2",
                    "the IBSI-2 filters need IBSI mode",
                    "add `setting: {ibsiCompliant: true}`",
                ));
            }
        } else if *image_type != ImageType::Original {
            let prefix = format!("imageType.{}", image_type.name());
            for (name, node) in entries {
                apply_setting(&mut typed, name, node, &format!("{prefix}.{name}"))?;
            }
            check_settings(&typed.settings, &prefix)?;
        }
        for note in typed.notes.iter().skip(out.notes.len()) {
            out.notes.push(note.clone());
        }
        specs.push(ImageTypeSpec {
            image_type: *image_type,
            settings: typed.settings,
            filter: typed.filter,
        });
    }
    out.image_type_specs = specs;
    Ok(out)
}

/// [`ExtractionSettings::check`] as a protocol error naming `<prefix>.<setting>`.
fn check_settings(settings: &ExtractionSettings, prefix: &str) -> Result<()> {
    settings.check().map_err(|err| {
        let path = match &err {
            mmrad_features::FeatureError::InvalidSetting { name, .. } => format!("{prefix}.{name}"),
            _ => prefix.to_owned(),
        };
        Error::invalid(
            path,
            err.to_string(),
            "change the setting, or leave it out to use PyRadiomics' default",
        )
    })
}

/// Applies one PyRadiomics `--setting` override (`key:value`; lists as `a,b,c`) to parsed params.
///
/// Values are typed by the schema as PyRadiomics' command line does (`binWidth:10` is a number, `force2D:true` a
/// boolean, `distances:1,2` a list of integers); unlike PyRadiomics, which logs and skips a bad override, an unknown
/// key or a value of the wrong type is an error. The result is not re-checked: call
/// [`ExtractionSettings::check`] (or use [`parse_params`], which does).
///
/// # Errors
/// [`Error::Invalid`] with path `-s <key>`.
pub fn apply_override(params: &mut ExtractionParams, text: &str) -> Result<()> {
    let Some((key, value)) = text.split_once(':') else {
        return Err(Error::invalid(
            format!("-s {text}"),
            "expected `key:value`",
            "for example `-s binWidth:10` or `-s distances:1,2`",
        ));
    };
    let path = format!("-s {key}");
    let Some(kind) = setting_kind(key) else {
        return Err(Error::invalid(
            &path,
            format!("unknown setting; valid: {}", SETTING_KEYS.join(", ")),
            suggestion(key, SETTING_KEYS),
        ));
    };
    // A list written as in YAML (`[-500, 400]`) is the usual slip: PyRadiomics' command line takes `a,b`.
    let hint = match kind {
        Kind::SeqInt => format!("a list is written comma-separated, without brackets: `-s {key}:1,2`"),
        Kind::SeqFloat => format!("a list is written comma-separated, without brackets: `-s {key}:-500,400`"),
        _ => "for example `-s binWidth:10`".to_owned(),
    };
    let scalar = |raw: &str, kind: Kind| -> Result<Node> {
        let raw = raw.trim();
        let bad = |expected: &str| Error::invalid(&path, format!("cannot read `{raw}` as {expected}"), &hint);
        Ok(match kind {
            Kind::Int => Node::Int(raw.parse().map_err(|_| bad("an integer"))?),
            Kind::Float => Node::Float(raw.parse().map_err(|_| bad("a number"))?),
            Kind::Bool => match raw.to_ascii_lowercase().as_str() {
                "true" | "1" => Node::Bool(true),
                "false" | "0" => Node::Bool(false),
                _ => return Err(bad("a boolean (`true`/`false`)")),
            },
            Kind::Str => Node::Str(raw.to_owned()),
            Kind::IntOrStr => raw
                .parse()
                .map(Node::Int)
                .unwrap_or_else(|_| Node::Str(raw.to_owned())),
            Kind::SeqInt | Kind::SeqFloat => Node::Null,
        })
    };
    let node = match kind {
        Kind::SeqInt => Node::Seq(
            value
                .split(',')
                .map(|v| scalar(v, Kind::Int))
                .collect::<Result<_>>()?,
        ),
        Kind::SeqFloat => Node::Seq(
            value
                .split(',')
                .map(|v| scalar(v, Kind::Float))
                .collect::<Result<_>>()?,
        ),
        other => scalar(value, other)?,
    };
    apply_setting(params, key, &node, &path)
}

/// Valid top-level keys.
pub const TOP_LEVEL_KEYS: [&str; 4] = ["imageType", "featureClass", "setting", "voxelSetting"];

/// Valid `setting` keys, in the order of PyRadiomics' schema, then mmrad's own `ibsiCompliant`,
/// `ibsiIvhBinWidth` and `ibsiIvhBinCount` (IBSI-1 mode, `mmrad_features::ibsi`; PyRadiomics would reject these keys).
pub const SETTING_KEYS: &[&str] = &[
    "minimumROIDimensions",
    "minimumROISize",
    "geometryTolerance",
    "correctMask",
    "additionalInfo",
    "label",
    "label_channel",
    "binWidth",
    "binCount",
    "normalize",
    "normalizeScale",
    "removeOutliers",
    "resampledPixelSpacing",
    "interpolator",
    "padDistance",
    "distances",
    "force2D",
    "force2Ddimension",
    "resegmentRange",
    "resegmentMode",
    "resegmentShape",
    "preCrop",
    "sigma",
    "start_level",
    "level",
    "wavelet",
    "gradientUseSpacing",
    "lbp2DRadius",
    "lbp2DSamples",
    "lbp2DMethod",
    "lbp3DLevels",
    "lbp3DIcosphereRadius",
    "lbp3DIcosphereSubdivision",
    "voxelArrayShift",
    "symmetricalGLCM",
    "weightingNorm",
    "gldm_a",
    "ibsiCompliant",
    "ibsiIvhBinWidth",
    "ibsiIvhBinCount",
];

/// Valid `voxelSetting` keys.
pub const VOXEL_SETTING_KEYS: [&str; 4] = ["kernelRadius", "maskedKernel", "initValue", "voxelBatch"];

/// SimpleITK interpolator names PyRadiomics accepts, in SimpleITK's enum order (value = index + 1).
const INTERPOLATORS: [&str; 10] = [
    "sitkNearestNeighbor",
    "sitkLinear",
    "sitkBSpline",
    "sitkGaussian",
    "sitkLabelGaussian",
    "sitkHammingWindowedSinc",
    "sitkCosineWindowedSinc",
    "sitkWelchWindowedSinc",
    "sitkLanczosWindowedSinc",
    "sitkBlackmanWindowedSinc",
];

/// Schema type of a setting, used to read `-s key:value` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Bool,
    Str,
    IntOrStr,
    SeqInt,
    SeqFloat,
}

fn setting_kind(key: &str) -> Option<Kind> {
    Some(match key {
        "minimumROIDimensions"
        | "minimumROISize"
        | "label"
        | "label_channel"
        | "binCount"
        | "padDistance"
        | "force2Ddimension"
        | "start_level"
        | "level"
        | "lbp2DSamples"
        | "lbp3DLevels"
        | "lbp3DIcosphereSubdivision"
        | "voxelArrayShift"
        | "gldm_a"
        | "ibsiIvhBinCount" => Kind::Int,
        "geometryTolerance"
        | "binWidth"
        | "normalizeScale"
        | "removeOutliers"
        | "lbp2DRadius"
        | "lbp3DIcosphereRadius"
        | "ibsiIvhBinWidth" => Kind::Float,
        "correctMask" | "additionalInfo" | "normalize" | "force2D" | "resegmentShape" | "preCrop"
        | "gradientUseSpacing" | "symmetricalGLCM" | "ibsiCompliant" => Kind::Bool,
        "resegmentMode" | "wavelet" | "lbp2DMethod" | "weightingNorm" => Kind::Str,
        "interpolator" => Kind::IntOrStr,
        "distances" => Kind::SeqInt,
        "resampledPixelSpacing" | "resegmentRange" | "sigma" => Kind::SeqFloat,
        _ => return None,
    })
}

/// Applies one `setting` entry; `path` names it in errors.
fn apply_setting(out: &mut ExtractionParams, key: &str, node: &Node, path: &str) -> Result<()> {
    let s = &mut out.settings;
    let Some(kind) = setting_kind(key) else {
        return Err(Error::invalid(
            path,
            format!("unknown setting; valid: {}", SETTING_KEYS.join(", ")),
            suggestion(key, SETTING_KEYS),
        ));
    };
    // Settings whose PyRadiomics default is None accept an empty value; the others need one.
    let nullable = matches!(
        key,
        "minimumROISize"
            | "geometryTolerance"
            | "binCount"
            | "removeOutliers"
            | "resampledPixelSpacing"
            | "interpolator"
            | "resegmentRange"
            | "weightingNorm"
            | "label_channel"
            | "sigma"
            | "wavelet"
            | "ibsiIvhBinWidth"
            | "ibsiIvhBinCount"
    );
    if matches!(node, Node::Null) {
        if !nullable {
            return Err(Error::invalid(
                path,
                format!("no value; expected {}", kind_text(kind)),
                "give a value, or remove the line to use PyRadiomics' default",
            ));
        }
        match key {
            "minimumROISize" => s.minimum_roi_size = None,
            "geometryTolerance" => s.geometry_tolerance = None,
            "binCount" => s.bin_count = None,
            "removeOutliers" => s.remove_outliers = None,
            "resampledPixelSpacing" => s.resampled_pixel_spacing = None,
            "resegmentRange" => s.resegment_range = None,
            "weightingNorm" => s.weighting_norm = None,
            "ibsiIvhBinWidth" => s.ibsi_ivh_bin_width = None,
            "ibsiIvhBinCount" => s.ibsi_ivh_bin_count = None,
            "sigma" => out.filter.sigma = Vec::new(),
            "wavelet" => out.filter.wavelet = FilterSettings::default().wavelet,
            _ => {}
        }
        return Ok(());
    }
    match key {
        "minimumROIDimensions" => s.minimum_roi_dimensions = int_in(node, path, 1, 3)?,
        "minimumROISize" => s.minimum_roi_size = Some(int_in(node, path, 1, usize::MAX)?),
        "geometryTolerance" => s.geometry_tolerance = Some(float_above(node, path, 0.0)?),
        "correctMask" => s.correct_mask = boolean(node, path)?,
        "ibsiCompliant" => s.ibsi_compliant = boolean(node, path)?,
        "ibsiIvhBinWidth" => s.ibsi_ivh_bin_width = Some(float_above(node, path, 0.0)?),
        "ibsiIvhBinCount" => s.ibsi_ivh_bin_count = Some(int_in(node, path, 1, usize::MAX)?),
        "additionalInfo" => s.additional_info = boolean(node, path)?,
        "label" => s.label = int_in(node, path, 1, i64::MAX)?,
        "label_channel" => {
            let channel: usize = int_in(node, path, 0, usize::MAX)?;
            if channel != 0 {
                out.notes.push(format!(
                    "{path}: ignored; masks are read as scalar label maps (channel {channel} is not selectable)"
                ));
            }
        }
        "binWidth" => s.bin_width = float_above(node, path, 0.0)?,
        "binCount" => s.bin_count = Some(int_in(node, path, 1, usize::MAX)?),
        "normalize" => s.normalize = boolean(node, path)?,
        "normalizeScale" => s.normalize_scale = float_above(node, path, 0.0)?,
        "removeOutliers" => s.remove_outliers = Some(float_above(node, path, 0.0)?),
        "resampledPixelSpacing" => {
            let values = floats(node, path)?;
            if let Some((idx, v)) = values.iter().enumerate().find(|(_, v)| v.is_nan() || **v < 0.0) {
                return Err(Error::invalid(
                    format!("{path}[{idx}]"),
                    format!("`{v}` is negative"),
                    "spacings are >= 0",
                ));
            }
            let [x, y, z] = values[..] else {
                return Err(Error::invalid(
                    path,
                    format!("expected 3 spacings [x, y, z]; found {}", values.len()),
                    "give the spacing in mm along x, y and z (0 keeps the original spacing of that axis)",
                ));
            };
            s.resampled_pixel_spacing = Some([x, y, z]);
        }
        "interpolator" => {
            let name = match node {
                Node::Int(i) => usize::try_from(*i)
                    .ok()
                    .and_then(|i| i.checked_sub(1))
                    .and_then(|i| INTERPOLATORS.get(i).copied())
                    .ok_or_else(|| {
                        Error::invalid(path, format!("`{i}` is not in 1..=10"), "use a SimpleITK name")
                    })?,
                Node::Str(text) => INTERPOLATORS.iter().copied().find(|n| n == text).ok_or_else(|| {
                    Error::invalid(
                        path,
                        format!(
                            "unknown interpolator `{text}`; valid: {}",
                            INTERPOLATORS.join(", ")
                        ),
                        suggestion(text, &INTERPOLATORS),
                    )
                })?,
                other => return Err(wrong_type(path, "a SimpleITK interpolator name or 1..=10", other)),
            };
            match name {
                "sitkNearestNeighbor" => s.interpolator = Interpolator::NearestNeighbor,
                "sitkLinear" => s.interpolator = Interpolator::Linear,
                "sitkBSpline" => s.interpolator = Interpolator::BSpline,
                other => out.notes.push(format!(
                    "{path}: `{other}` is not implemented; it only matters with resampling, which then fails"
                )),
            }
        }
        "padDistance" => s.pad_distance = int_in(node, path, 0, usize::MAX)?,
        "distances" => {
            let Node::Seq(items) = node else {
                return Err(wrong_type(path, "a list of integers > 0", node));
            };
            s.distances = items
                .iter()
                .enumerate()
                .map(|(idx, item)| int_in(item, &format!("{path}[{idx}]"), 1, usize::MAX))
                .collect::<Result<_>>()?;
        }
        "force2D" => s.force_2d = boolean(node, path)?,
        "force2Ddimension" => s.force_2d_dimension = int_in(node, path, 0, 2)?,
        "resegmentRange" => s.resegment_range = Some(floats(node, path)?),
        "resegmentMode" => {
            s.resegment_mode = match string(node, path)? {
                "absolute" => ResegmentMode::Absolute,
                "relative" => ResegmentMode::Relative,
                "sigma" => ResegmentMode::Sigma,
                other => {
                    return Err(Error::invalid(
                        path,
                        format!("unknown mode `{other}`; valid: absolute, relative, sigma"),
                        "",
                    ));
                }
            }
        }
        "resegmentShape" => s.resegment_shape = boolean(node, path)?,
        "preCrop" => s.pre_crop = boolean(node, path)?,
        "voxelArrayShift" => s.voxel_array_shift = int_in::<i64>(node, path, i64::MIN, i64::MAX)? as f64,
        "symmetricalGLCM" => s.symmetrical_glcm = boolean(node, path)?,
        "weightingNorm" => {
            let text = string(node, path)?;
            s.weighting_norm = Some(WeightingNorm::parse(text).map_err(|_| {
                Error::invalid(
                    path,
                    format!("unknown norm `{text}`; valid: euclidean, manhattan, infinity, no_weighting"),
                    "",
                )
            })?);
        }
        "gldm_a" => s.gldm_a = int_in::<i64>(node, path, 0, i64::MAX)? as f64,
        "sigma" => {
            let values = floats(node, path)?;
            if values.iter().any(|v| v.is_nan() || *v <= 0.0) {
                return Err(Error::invalid(path, "every sigma must be > 0", ""));
            }
            let Node::Seq(items) = node else {
                return Err(wrong_type(path, "a list of numbers", node));
            };
            // PyRadiomics names the image with `str(sigma)`: `3` for an integer, `3.0` for a float.
            out.filter.sigma = items
                .iter()
                .zip(values)
                .map(|(item, mm)| match item {
                    Node::Int(i) => Sigma {
                        mm,
                        text: i.to_string(),
                    },
                    _ => Sigma::float(mm),
                })
                .collect();
        }
        "start_level" => out.filter.start_level = int_in(node, path, 0, usize::MAX)?,
        "level" => out.filter.level = int_in(node, path, 1, usize::MAX)?,
        "gradientUseSpacing" => out.filter.gradient_use_spacing = boolean(node, path)?,
        "wavelet" => {
            let name = string(node, path)?;
            if !mmrad_features::image_types::wavelet_is_known(name) {
                return Err(Error::invalid(
                    path,
                    format!(
                        "unknown wavelet `{name}`; valid: {}",
                        mmrad_features::WAVELET_NAMES
                    ),
                    "use a PyWavelets discrete wavelet name such as `coif1`, `haar`, `db2` or `sym4`",
                ));
            }
            out.filter.wavelet = name.to_owned();
        }
        "lbp2DRadius" => out.filter.lbp_2d.radius = float_above(node, path, 0.0)?,
        "lbp2DSamples" => out.filter.lbp_2d.samples = int_in(node, path, 1, 31)?,
        "lbp2DMethod" => {
            let method = string(node, path)?;
            out.filter.lbp_2d.method = mmrad_features::image_types::LbpMethod::parse(method).ok_or_else(|| {
                Error::invalid(
                    path,
                    format!("unknown method `{method}`; valid: {}", mmrad_features::image_types::LbpMethod::NAMES.join(", ")),
                    "PyRadiomics passes it to scikit-image's `local_binary_pattern`; `uniform` is the default",
                )
            })?;
        }
        "lbp3DLevels" => out.filter.lbp_3d.levels = int_in(node, path, 2, 10)?,
        "lbp3DIcosphereRadius" => out.filter.lbp_3d.icosphere_radius = float_above(node, path, 0.0)?,
        "lbp3DIcosphereSubdivision" => out.filter.lbp_3d.icosphere_subdivision = int_in(node, path, 0, 5)?,
        _ => {
            return Err(Error::invalid(
                path,
                "setting not handled",
                "please report this as a bug in mmrad",
            ));
        }
    }
    Ok(())
}

fn check_voxel_setting(key: &str, node: &Node) -> Result<()> {
    let path = format!("voxelSetting.{key}");
    if matches!(node, Node::Null) {
        return Ok(());
    }
    match key {
        "kernelRadius" | "voxelBatch" => {
            int_in::<i64>(node, &path, 1, i64::MAX)?;
        }
        "maskedKernel" => {
            boolean(node, &path)?;
        }
        "initValue" => {
            float(node, &path)?;
        }
        other => {
            return Err(Error::invalid(
                &path,
                format!("unknown voxel setting; valid: {}", VOXEL_SETTING_KEYS.join(", ")),
                suggestion(other, &VOXEL_SETTING_KEYS),
            ));
        }
    }
    Ok(())
}

/// One `featureClass` entry as written: class name and feature names; checked once the mode is known.
type ClassEntry = (String, Vec<String>);

/// The `featureClass` mapping's entries, type-checked (an empty mapping: no entries, every class).
fn feature_class_entries(node: &Node) -> Result<Vec<ClassEntry>> {
    if matches!(node, Node::Null) {
        return Err(Error::invalid(
            "featureClass",
            "no value; expected a mapping of feature classes",
            "list classes (`firstorder:`), or remove `featureClass` to enable every class",
        ));
    }
    let entries = mapping(node, "featureClass")?;
    let mut out = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        let path = format!("featureClass.{name}");
        let features = match value {
            Node::Null => Vec::new(),
            Node::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(idx, item)| string(item, &format!("{path}[{idx}]")).map(str::to_owned))
                .collect::<Result<Vec<_>>>()?,
            other => {
                return Err(wrong_type(
                    &path,
                    "a list of feature names, or nothing for the defaults",
                    other,
                ));
            }
        };
        out.push((name.clone(), features));
    }
    Ok(out)
}

/// PyRadiomics mode: PyRadiomics' classes and feature names.
fn feature_classes(entries: Vec<ClassEntry>) -> Result<FeatureClassSelection> {
    if entries.is_empty() {
        return Ok(FeatureClassSelection::all());
    }
    let valid_classes: Vec<&str> = FeatureClass::ALL.iter().map(|c| c.name()).collect();
    let mut classes = Vec::with_capacity(entries.len());
    for (name, features) in entries {
        let path = format!("featureClass.{name}");
        let Some(class) = FeatureClass::parse(&name) else {
            let ibsi_hint = if mmrad_features::ibsi::select::IbsiFamily::for_class_name(&name).is_some() {
                format!("`{name}` is an IBSI family: add `setting: {{ibsiCompliant: true}}`")
            } else {
                suggestion(&name, &valid_classes)
            };
            return Err(Error::invalid(
                &path,
                format!("unknown feature class; valid: {}", valid_classes.join(", ")),
                ibsi_hint,
            ));
        };
        let (defaults, deprecated) = class.feature_names();
        for (idx, feature) in features.iter().enumerate() {
            if !defaults.contains(&feature.as_str()) && !deprecated.contains(&feature.as_str()) {
                let valid: Vec<&str> = defaults.iter().chain(deprecated).copied().collect();
                return Err(Error::invalid(
                    format!("{path}[{idx}]"),
                    format!("unknown {name} feature `{feature}`; valid: {}", valid.join(", ")),
                    suggestion(feature, &valid),
                ));
            }
        }
        classes.push((class, features));
    }
    Ok(FeatureClassSelection { classes, ibsi: None })
}

/// IBSI mode: PyRadiomics classes (mapped to IBSI families) or IBSI family tags, features by IBSI tag
/// (`mmrad_features::ibsi::select`).
fn ibsi_classes(entries: Vec<ClassEntry>) -> Result<FeatureClassSelection> {
    if entries.is_empty() {
        return Ok(FeatureClassSelection::all());
    }
    let selection = FeatureClassSelection::ibsi(entries);
    match mmrad_features::ibsi::select::IbsiSelection::from_classes(&selection) {
        Ok(_) => Ok(selection),
        Err(mmrad_features::FeatureError::UnknownIbsiSelection { key, feature, valid }) => {
            let valid_names: Vec<&str> = valid.split(", ").collect();
            Err(match feature {
                None => Error::invalid(
                    format!("featureClass.{key}"),
                    format!("unknown feature class in IBSI mode; valid: {valid}"),
                    suggestion(&key, &valid_names),
                ),
                Some((idx, name)) => Error::invalid(
                    format!("featureClass.{key}[{idx}]"),
                    format!(
                        "unknown IBSI feature `{name}` (IBSI tags without family and aggregation, e.g. \
                         `joint_max`); valid: {valid}"
                    ),
                    suggestion(&name.to_lowercase().replace('.', "_"), &valid_names),
                ),
            })
        }
        Err(other) => Err(Error::invalid(
            "featureClass",
            other.to_string(),
            "see README, IBSI mode",
        )),
    }
}

/// Key-value pairs of a mapping, in file order.
type Entries = Vec<(String, Node)>;

/// Enabled image types with their custom settings, in file order.
fn image_types(node: &Node) -> Result<Vec<(ImageType, Entries)>> {
    if matches!(node, Node::Null) {
        return Err(Error::invalid(
            "imageType",
            "no value; expected a mapping of image types",
            "write `imageType: {Original: {}}`, or remove `imageType`",
        ));
    }
    let entries = mapping(node, "imageType")?;
    if entries.is_empty() {
        return Ok(vec![(ImageType::Original, Vec::new())]);
    }
    let valid: Vec<&str> = ImageType::ALL.iter().map(|t| t.name()).collect();
    let mut types = Vec::new();
    for (name, value) in entries {
        let path = format!("imageType.{name}");
        let Some(image_type) = ImageType::parse(name) else {
            return Err(Error::invalid(
                &path,
                format!("unknown image type; valid: {}", valid.join(", ")),
                suggestion(name, &valid),
            ));
        };
        let custom = match value {
            Node::Null => &[][..],
            _ => mapping(value, &path)?,
        };
        types.push((image_type, custom.to_vec()));
    }
    Ok(types)
}

/// The named filters of `imageType.IBSI2` (`<name>: {filter: laws, kernel: L5E5E5, ...}`), in file order; parameter
/// values are written as in the IBSI-2 tables (`mmrad_image::filters::ibsi2`), numbers and `yes`/`no` as YAML
/// scalars.
fn ibsi2_filters(entries: &Entries) -> Result<Vec<(String, mmrad_features::Ibsi2FilterSpec)>> {
    if entries.is_empty() {
        return Err(Error::invalid(
            "imageType.IBSI2",
            "no filters; expected a mapping of filter names to IBSI-2 filter parameters",
            "write e.g. `IBSI2: {laws3d: {filter: laws, kernel: L5E5E5, energy: yes, rotation: 3d-24-right-angle, \
             pooling: max}}`",
        ));
    }
    let mut filters = Vec::with_capacity(entries.len());
    for (name, node) in entries {
        let path = format!("imageType.IBSI2.{name}");
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(Error::invalid(
                &path,
                "a filter name is part of the feature names; use letters, digits, `-` and `.`",
                "rename the filter, e.g. `laws3d`",
            ));
        }
        let mut pairs = Vec::new();
        for (key, value) in mapping(node, &path)? {
            let text = match value {
                Node::Str(v) => v.clone(),
                Node::Int(v) => v.to_string(),
                Node::Float(v) => v.to_string(),
                Node::Bool(true) => "yes".to_owned(),
                Node::Bool(false) => "no".to_owned(),
                other => {
                    return Err(wrong_type(
                        &format!("{path}.{key}"),
                        "a number, a name or yes/no",
                        other,
                    ));
                }
            };
            pairs.push((key.clone(), text));
        }
        let spec = mmrad_features::Ibsi2FilterSpec::from_pairs(pairs).map_err(|e| {
            Error::invalid(
                &path,
                e.to_string(),
                "see the parameter table of `mmrad_image::filters::ibsi2` (README: IBSI-2 filters)",
            )
        })?;
        filters.push((name.clone(), spec));
    }
    Ok(filters)
}

// ---- typed readers -------------------------------------------------------------------------------------------

fn mapping<'a>(node: &'a Node, path: &str) -> Result<&'a [(String, Node)]> {
    match node {
        Node::Map(entries) => Ok(entries),
        Node::Null => Ok(&[]),
        Node::Duplicate(key) => Err(duplicate(&format!("{path}.{key}"))),
        other => Err(wrong_type(path, "a mapping", other)),
    }
}

fn wrong_type(path: &str, expected: &str, found: &Node) -> Error {
    Error::invalid(path, format!("expected {expected}; found {}", found.kind()), "")
}

fn kind_text(kind: Kind) -> &'static str {
    match kind {
        Kind::Int => "an integer",
        Kind::Float => "a number",
        Kind::Bool => "a boolean",
        Kind::Str => "a string",
        Kind::IntOrStr => "a name or an integer",
        Kind::SeqInt => "a list of integers",
        Kind::SeqFloat => "a list of numbers",
    }
}

fn boolean(node: &Node, path: &str) -> Result<bool> {
    match node {
        Node::Bool(b) => Ok(*b),
        other => Err(wrong_type(path, "a boolean (`true`/`false`)", other)),
    }
}

fn string<'a>(node: &'a Node, path: &str) -> Result<&'a str> {
    match node {
        Node::Str(s) => Ok(s),
        other => Err(wrong_type(path, "a string", other)),
    }
}

/// A pykwalify `int`: an integer (not a boolean, not a float) within `[min, max]`.
fn int_in<T>(node: &Node, path: &str, min: T, max: T) -> Result<T>
where
    T: TryFrom<i64> + PartialOrd + Copy + std::fmt::Display,
{
    let Node::Int(value) = node else {
        return Err(wrong_type(path, "an integer", node));
    };
    match T::try_from(*value) {
        Ok(v) if v >= min && v <= max => Ok(v),
        _ => Err(Error::invalid(
            path,
            format!(
                "`{value}` is out of range; expected an integer >= {min}{}",
                upper(max)
            ),
            "",
        )),
    }
}

fn upper<T: std::fmt::Display>(max: T) -> String {
    let text = max.to_string();
    if text.len() > 6 {
        String::new()
    } else {
        format!(" and <= {text}")
    }
}

/// A pykwalify `float`: a number, an integer, or a string that reads as a number (PyYAML reads `1e-6` as a string).
fn float(node: &Node, path: &str) -> Result<f64> {
    match node {
        Node::Float(f) => Ok(*f),
        Node::Int(i) => Ok(*i as f64),
        Node::Str(s) => s.trim().parse().map_err(|_| wrong_type(path, "a number", node)),
        other => Err(wrong_type(path, "a number", other)),
    }
}

fn float_above(node: &Node, path: &str, min_exclusive: f64) -> Result<f64> {
    let value = float(node, path)?;
    if value > min_exclusive && value.is_finite() {
        Ok(value)
    } else {
        Err(Error::invalid(
            path,
            format!("`{value}` is out of range; expected a finite number > {min_exclusive}"),
            "",
        ))
    }
}

fn floats(node: &Node, path: &str) -> Result<Vec<f64>> {
    let Node::Seq(items) = node else {
        return Err(wrong_type(path, "a list of numbers", node));
    };
    items
        .iter()
        .enumerate()
        .map(|(idx, item)| float(item, &format!("{path}[{idx}]")))
        .collect()
}

fn duplicate(path: &str) -> Error {
    Error::invalid(
        path,
        "duplicate key",
        "remove one of the two entries (PyRadiomics 3.1 rejects duplicate keys too)",
    )
}

/// `did you mean ...?` for the closest valid name (case-insensitive equality, or edit distance <= 2).
fn suggestion(name: &str, valid: &[&str]) -> String {
    let lower = name.to_ascii_lowercase();
    let best = valid
        .iter()
        .map(|v| (edit_distance(&lower, &v.to_ascii_lowercase()), *v))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, v)) if d <= 2 => format!("did you mean `{v}`?"),
        _ => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let value = (prev + usize::from(ca != *cb))
                .min(above.saturating_add(1))
                .min(left.saturating_add(1));
            prev = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

// ---- a YAML tree that keeps key order and reports duplicate keys ----------------------------------------------

/// A YAML/JSON value with mapping keys in file order; a duplicate key is kept as [`Node::Duplicate`].
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
    /// A mapping that repeated this key (reported when the mapping is read).
    Duplicate(String),
}

impl Node {
    fn kind(&self) -> String {
        match self {
            Node::Null => "nothing".into(),
            Node::Bool(b) => format!("the boolean `{b}`"),
            Node::Int(i) => format!("the integer `{i}`"),
            Node::Float(f) => format!("the number `{f}`"),
            Node::Str(s) => format!("the string `{s}`"),
            Node::Seq(_) => "a list".into(),
            Node::Map(_) | Node::Duplicate(_) => "a mapping".into(),
        }
    }

    fn key_text(&self) -> String {
        match self {
            Node::Str(s) => s.clone(),
            Node::Null => "null".into(),
            Node::Bool(b) => b.to_string(),
            Node::Int(i) => i.to_string(),
            Node::Float(f) => f.to_string(),
            Node::Seq(_) | Node::Map(_) | Node::Duplicate(_) => "(complex key)".into(),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a YAML or JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> std::result::Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Node, E> {
        Ok(Node::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Node, E> {
        Ok(i64::try_from(v).map(Node::Int).unwrap_or(Node::Float(v as f64)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Node, E> {
        Ok(Node::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Node, E> {
        Ok(Node::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Node, A::Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        let mut duplicate = None;
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            let key = key.key_text();
            if entries.iter().any(|(k, _)| *k == key) {
                duplicate.get_or_insert(key);
                continue;
            }
            // A duplicate deeper down surfaces with its full path.
            if let Node::Duplicate(inner) = &value {
                duplicate.get_or_insert(format!("{key}.{inner}"));
            }
            entries.push((key, value));
        }
        Ok(match duplicate {
            Some(key) => Node::Duplicate(key),
            None => Node::Map(entries),
        })
    }
}

#[cfg(test)]
mod tests;
