//! The image-level `liang2025` cohort: per patient a CT and an MR 3D DICOM series, an MG and a US 2D DICOM image, a
//! lesion mask for each (RTSTRUCT for CT, DICOM SEG for MR, NRRD label maps for all four), the clinical table and a
//! `cohort.csv` manifest in the format a user fills in for real data.
//!
//! Modules, in reading order:
//! - this file: [`liang2025_images`] (writes the cohort) and [`render_case`] (one case in memory), the model below.
//! - `lesion`: the star-shaped lesion, its slice polygons and mask, smooth random fields.
//! - `render`: the four modalities' intensity models.
//!
//! # What this cohort is, and what it is not
//!
//! It exists so that the whole pipeline — DICOM and NRRD reading, SEG and RTSTRUCT masks, 2D and 3D feature
//! extraction, selection, signatures, fusion, the clinical model — runs from images on a fresh machine, with outcome
//! information planted at known strengths. Its images are drawn from a few lines of arithmetic, not from anatomy or
//! physics; the effect of the latent factor on texture and shape is an assumption chosen to make the pipeline's
//! published ordering reproducible. It demonstrates the pipeline. **It proves nothing about breast cancer**, and no
//! number computed on it is evidence for or against the reference study.
//!
//! # The generative model
//!
//! Steps 1–3 are those of the feature-level cohort ([`crate::liang2025_features`], same seed streams, so the clinical
//! table and the outcome of an image-level cohort equal the feature-level ones for the same `(n, events, seed)`):
//! clinical covariates, a latent response factor `u ~ N(0, 1)`, and pCR from the logistic model with the published
//! odds ratios (PR 4.45, HER2 9.95, cT 0.253) plus `3·u`, with exactly `events` events.
//!
//! 4. Each modality `m` sees the latent factor through its own noise,
//!    `z_m = (u + σ_m·v_m) / √(1 + σ_m²)`, `v_m ~ N(0, 1)` (stream `(seed, 20, m)`, one draw per case in case order),
//!    with `σ` = [`IMAGE_VIEW_NOISE`] = (0.4, 0.6, 0.6, 0.55) for (CT, MR, MG, US). CT sees the factor best; US's
//!    view is a little cleaner than MR's and MG's because its speckle and 8-bit grey levels hide more of it. The
//!    values were tuned (model revision 2, [`MODEL_REVISION`]) so that `studies/liang2025.yaml`, which extracts the
//!    original image plus LoG (σ 1, 2, 3 mm, 3D modalities) and coif1 wavelet bands, recovers the published ordering
//!    of signature AUCs on the default seed (CT 0.811, MR 0.788, MG 0.751, US 0.719 against the paper's 0.814, 0.787,
//!    0.762, 0.702). Revision 1 (σ 0.5, 0.55, 0.75, 0.9) was tuned on original-image features alone; with the filters
//!    it gave CT 0.766 < MR 0.802 and US 0.595.
//! 5. The lesion appearance of case `i` in modality `m` (stream `(seed, 30, m, i)`, so a case does not depend on the
//!    cohort size) is driven by `z = z_m[i]`:
//!    - mean contrast `1 + 0.35·z + 0.25·ε`,
//!    - heterogeneity (standard deviation of a smooth texture inside the lesion) `0.35·exp(0.35·z + 0.15·ε)`,
//!    - shape irregularity (amplitude of radial harmonics of orders 2–7 with random phases, twisting along z)
//!      `clamp(0.15 + 0.07·z + 0.03·ε, 0.02, 0.4)`,
//!    - margin width (logistic edge in units of the normalised radius) `0.08·exp(−0.4·z + 0.15·ε)`,
//!
//!    with independent `ε ~ N(0, 1)` per case and modality. The lesion is the star-shaped ellipsoid
//!    `ρ = √(u² + v² + ζ²) / (1 + a·H(θ, ζ)) < 1` (`u, v, ζ` offsets over the semi-axes, `θ` the in-plane angle,
//!    `H` the harmonic sum with weights summing to 1). Its mask on each slice is the set of pixel centres inside a
//!    96-vertex polygon of the slice boundary (vertices rounded to 1 µm), so that the RTSTRUCT contour and the
//!    label map describe the same voxels. The base radius (shared by the modalities of a case, nuisance, unrelated to
//!    the outcome) is `clamp(exp(ln 8 + 0.15·ε), 6, 10)` mm, scaled by 1 (CT, MR), 0.45 (MG) and 0.8 (US).
//! 6. The lesion field `L = w·(contrast + heterogeneity·T) + (1 − w)·0.3·B`, with `w` the logistic margin weight,
//!    `T` and `B` smooth unit-variance fields (lesion texture, background tissue), is mapped to each modality with
//!    its nuisance:
//!
//! | modality | grid (x × y × z) | spacing (mm) | intensity | nuisance | stored |
//! |---|---|---|---|---|---|
//! | CT | 64 × 64 × 16 | 0.7 × 0.7 × 2.5 | HU = −80 + 60·L | scanner offset N(0, 8) HU, noise σ 9.6–15 HU | int16, HU + 1024, RescaleIntercept −1024 |
//! | MR | 64 × 64 × 16 | 0.8 × 0.8 × 2.0 | gain·(400 + 220·L)·bias | gain exp(N(0, 0.15)), bias exp(β·(x, y, z, xy)), β ~ N(0, 0.15), noise σ 15 | uint16, 12 bits |
//! | MG | 160 × 160 | 0.1 × 0.1 (ImagerPixelSpacing) | 5000 + 1500·L | offset N(0, 150), noise σ 80 | uint16, 14 bits, MONOCHROME1 (2¹⁴ − 1 − grey) |
//! | US | 128 × 128 | 0.25 × 0.25 (ultrasound region, cm) | 120·gain·(0.6 − 0.25·L)·speckle | gain exp(N(0, 0.1)), Rayleigh speckle | uint8 MONOCHROME2; RGB (R = G = B) for cases 5, 20, 35, … |
//!
//! Every random number comes from [`SeededRng`] streams derived from the seed; files carry no clock, no
//! environment and no personal data (see [`mmrad_io::dicom::write`]), so the same configuration writes
//! byte-identical files.
//!
//! # Files
//!
//! `out_dir/cohort.csv` (`case_id, pcr, age, er, pr, her2, ki67, ct_stage, cn_stage`, then per modality
//! `<MOD>_image, <MOD>_mask, <MOD>_label`, and `CT_roi`), `out_dir/clinical.csv` (`case_id, pcr` and the clinical
//! columns), and per case `P001/`: `CT/IM0001.dcm …`, `CT_rtstruct.dcm` (ROI `GTV`), `CT_mask.nrrd`, `MR/IM0001.dcm …`,
//! `MR_seg.dcm` (segment 1), `MR_mask.nrrd`, `MG.dcm`, `MG_mask.nrrd`, `US.dcm`, `US_mask.nrrd`. The manifest points
//! to the RTSTRUCT and SEG masks unless [`Liang2025ImagesConfig::dicom_masks`] is false, then to the NRRD masks.

mod lesion;
mod render;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ndarray::Axis;

use mmrad_core::{CaseId, LabelMap, SeededRng};
use mmrad_io::dicom::write::{
    DicomIdentity, InPlaneSpacing, Photometric, Pixels2d, PlanarContour, SeriesSpec, WrittenSeries,
    write_image_2d, write_rtstruct, write_seg, write_series,
};

pub use render::{CT_INTERCEPT, LesionDrivers, MG_BITS, RenderedImage};

use crate::{CLINICAL_COLUMNS, Error, Liang2025Params, MODALITIES, Result, base_cohort};

/// Revision of the generative model below: bumped whenever the same `(n, events, seed)` would write other files, so
/// that a cohort cached by an earlier model is regenerated (`mmrad-study` puts it in the cache stamp).
pub const MODEL_REVISION: u32 = 2;
/// Noise `σ_m` of each modality's view of the latent factor in the image-level cohort, in [`MODALITIES`] order.
pub const IMAGE_VIEW_NOISE: [f64; 4] = [0.4, 0.6, 0.6, 0.55];
/// ROI name of the CT RTSTRUCT.
pub const RTSTRUCT_ROI: &str = "GTV";

/// Configuration of [`liang2025_images`].
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `n` | 89 | patients | ≥ 4 |
/// | `events` | 28 | patients with pCR, exactly | 1 ..= n − 1 |
/// | `seed` | 2025 | every random draw | any |
/// | `out_dir` | — | folder to write (created) | |
/// | `dicom_masks` | true | manifest masks: RTSTRUCT for CT and SEG for MR (else the NRRD label maps) | |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Liang2025ImagesConfig {
    pub n: usize,
    pub events: usize,
    pub seed: u64,
    pub out_dir: PathBuf,
    pub dicom_masks: bool,
}

impl Liang2025ImagesConfig {
    /// The default cohort (89 patients, 28 events, seed 2025) written to `out_dir`.
    pub fn new(out_dir: impl Into<PathBuf>) -> Liang2025ImagesConfig {
        let defaults = Liang2025Params::default();
        Liang2025ImagesConfig {
            n: defaults.n,
            events: defaults.events,
            seed: defaults.seed,
            out_dir: out_dir.into(),
            dicom_masks: true,
        }
    }

    fn params(&self) -> Liang2025Params {
        Liang2025Params {
            n: self.n,
            events: self.events,
            seed: self.seed,
        }
    }
}

/// What [`liang2025_images`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageCohort {
    /// `out_dir/cohort.csv`.
    pub manifest: PathBuf,
    /// `out_dir/clinical.csv`.
    pub clinical: PathBuf,
    pub cases: Vec<CaseId>,
    pub pcr: Vec<bool>,
    /// Standardised latent views `z_m` per case, [`MODALITIES`] order (the truth the images were drawn from).
    pub views: Vec<[f64; 4]>,
    /// Every file written, relative to `out_dir`, sorted.
    pub files: Vec<PathBuf>,
}

/// One case rendered in memory: its four images in [`MODALITIES`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseImages {
    pub case_id: CaseId,
    pub pcr: bool,
    pub images: Vec<RenderedImage>,
}

/// Writes the image-level `liang2025` cohort to `config.out_dir` (see the module docs for the model and the files).
///
/// # Errors
/// [`Error::InvalidParameter`] as [`crate::liang2025_features`]; [`Error::Io`] or [`Error::Write`] when a file cannot
/// be written (naming the path).
///
/// # Examples
/// ```
/// let dir = std::env::temp_dir().join(format!("mmrad-synth-doc-{}", std::process::id()));
/// let config = mmrad_synth::images::Liang2025ImagesConfig { n: 4, events: 2, ..mmrad_synth::images::Liang2025ImagesConfig::new(&dir) };
/// let cohort = mmrad_synth::images::liang2025_images(&config)?;
/// assert_eq!(cohort.cases.len(), 4);
/// assert!(cohort.manifest.exists());
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), mmrad_synth::Error>(())
/// ```
pub fn liang2025_images(config: &Liang2025ImagesConfig) -> Result<ImageCohort> {
    let params = config.params();
    let base = base_cohort(&params)?;
    let views = latent_views(&base.latent, params.seed);
    let out = &config.out_dir;
    create_dir(out)?;
    let mut files = Vec::new();
    let mut manifest = String::from("case_id,pcr");
    let mut clinical_csv = String::from("case_id,pcr");
    for column in CLINICAL_COLUMNS {
        manifest.push(',');
        manifest.push_str(column);
        clinical_csv.push(',');
        clinical_csv.push_str(column);
    }
    for modality in MODALITIES {
        let _ = write!(manifest, ",{modality}_image,{modality}_mask,{modality}_label");
    }
    manifest.push_str(",CT_roi\n");
    clinical_csv.push('\n');
    for (case_idx, case_id) in base.cases.iter().enumerate() {
        let case = render_with(&base.cases, &base.events, &views, params.seed, case_idx)?;
        let written = write_case(out, &case, params.seed)?;
        let row_clinical: Vec<String> = (0..CLINICAL_COLUMNS.len())
            .map(|j| format!("{}", base.clinical[[case_idx, j]]))
            .collect();
        let pcr = u8::from(case.pcr);
        let _ = write!(manifest, "{case_id},{pcr},{}", row_clinical.join(","));
        let _ = writeln!(clinical_csv, "{case_id},{pcr},{}", row_clinical.join(","));
        for (m_idx, modality) in MODALITIES.iter().enumerate() {
            let mask = if config.dicom_masks {
                &written.dicom_masks[m_idx]
            } else {
                &written.nrrd_masks[m_idx]
            };
            let _ = write!(manifest, ",{},{},1", slash(&written.images[m_idx]), slash(mask));
            let _ = modality;
        }
        manifest.push_str(&format!(",{RTSTRUCT_ROI}\n"));
        files.extend(written.files);
    }
    let manifest_path = out.join("cohort.csv");
    let clinical_path = out.join("clinical.csv");
    write_text(&manifest_path, &manifest)?;
    write_text(&clinical_path, &clinical_csv)?;
    files.push(PathBuf::from("cohort.csv"));
    files.push(PathBuf::from("clinical.csv"));
    files.sort();
    Ok(ImageCohort {
        manifest: manifest_path,
        clinical: clinical_path,
        cases: base.cases,
        pcr: base.events,
        views,
        files,
    })
}

/// Renders case `case_index` (0-based) of the cohort `params` in memory, exactly as [`liang2025_images`] writes it.
///
/// # Errors
/// [`Error::InvalidParameter`] for bad `params` or a `case_index` outside `0..n`.
pub fn render_case(params: &Liang2025Params, case_index: usize) -> Result<CaseImages> {
    let base = base_cohort(params)?;
    let views = latent_views(&base.latent, params.seed);
    render_with(&base.cases, &base.events, &views, params.seed, case_index)
}

/// Standardised views `z_m = (u + σ_m·v_m) / √(1 + σ_m²)` per case.
fn latent_views(latent: &[f64], seed: u64) -> Vec<[f64; 4]> {
    let mut views = vec![[0.0; 4]; latent.len()];
    for (m_idx, sigma) in IMAGE_VIEW_NOISE.iter().enumerate() {
        let mut rng = SeededRng::derive(seed, &[20, m_idx as u64]);
        let sd = (1.0 + sigma * sigma).sqrt();
        for (view, u) in views.iter_mut().zip(latent) {
            view[m_idx] = (u + sigma * rng.normal()) / sd;
        }
    }
    views
}

/// Whether case `case_index` writes its US image in RGB.
pub fn us_is_rgb(case_index: usize) -> bool {
    case_index % 15 == 4
}

fn render_with(
    cases: &[CaseId],
    events: &[bool],
    views: &[[f64; 4]],
    seed: u64,
    case_index: usize,
) -> Result<CaseImages> {
    let (Some(case_id), Some(&pcr), Some(view)) = (
        cases.get(case_index),
        events.get(case_index),
        views.get(case_index),
    ) else {
        return Err(Error::InvalidParameter {
            name: "case_index",
            value: case_index.to_string(),
            reason: format!("the cohort has {} cases", cases.len()),
        });
    };
    let mut size_rng = SeededRng::derive(seed, &[30, 99, case_index as u64]);
    let base_size = (8f64.ln() + 0.15 * size_rng.normal()).exp().clamp(6.0, 10.0);
    let images = (0..MODALITIES.len())
        .map(|m_idx| {
            let mut rng = SeededRng::derive(seed, &[30, m_idx as u64, case_index as u64]);
            render::render(m_idx, base_size, view[m_idx], us_is_rgb(case_index), &mut rng)
        })
        .collect();
    Ok(CaseImages {
        case_id: case_id.clone(),
        pcr,
        images,
    })
}

/// Paths written for one case, relative to the cohort folder.
struct WrittenCase {
    images: Vec<PathBuf>,
    dicom_masks: Vec<PathBuf>,
    nrrd_masks: Vec<PathBuf>,
    files: Vec<PathBuf>,
}

fn write_case(out: &Path, case: &CaseImages, seed: u64) -> Result<WrittenCase> {
    let case_id = case.case_id.0.as_str();
    let case_dir = PathBuf::from(case_id);
    create_dir(&out.join(&case_dir))?;
    let mut written = WrittenCase {
        images: Vec::new(),
        dicom_masks: Vec::new(),
        nrrd_masks: Vec::new(),
        files: Vec::new(),
    };
    for (m_idx, image) in case.images.iter().enumerate() {
        let modality = image.modality;
        let identity = DicomIdentity::derive(seed, case_id, modality, m_idx as u32 + 1);
        let spec = series_spec(modality, identity.clone(), image.rgb);
        let nrrd_rel = case_dir.join(format!("{modality}_mask.nrrd"));
        let labels = LabelMap::new(image.mask.mapv(i64::from), image.geometry.clone());
        mmrad_io::write_label_map_nrrd(&labels, &out.join(&nrrd_rel))?;
        written.files.push(nrrd_rel.clone());
        written.nrrd_masks.push(nrrd_rel.clone());
        match modality {
            "CT" | "MR" => {
                let image_rel = case_dir.join(modality);
                let series =
                    write_series(&out.join(&image_rel), image.stored.view(), &image.geometry, &spec)?;
                for file in &series.files {
                    if let Some(name) = file.file_name() {
                        written.files.push(image_rel.join(name));
                    }
                }
                written.images.push(image_rel);
                let mask_rel = if modality == "CT" {
                    let rel = case_dir.join("CT_rtstruct.dcm");
                    let mut rt_identity = DicomIdentity::derive(seed, case_id, "CT-RTSTRUCT", 101);
                    rt_identity.frame_of_reference_uid = identity.frame_of_reference_uid.clone();
                    let contours = contours_of(image);
                    write_rtstruct(&out.join(&rel), &contours, &series, &rt_identity, RTSTRUCT_ROI)?;
                    rel
                } else {
                    let rel = case_dir.join("MR_seg.dcm");
                    let mut seg_identity = DicomIdentity::derive(seed, case_id, "MR-SEG", 102);
                    seg_identity.frame_of_reference_uid = identity.frame_of_reference_uid.clone();
                    write_seg(
                        &out.join(&rel),
                        image.mask.view(),
                        &image.geometry,
                        &series,
                        &seg_identity,
                        "lesion",
                    )?;
                    rel
                };
                written.files.push(mask_rel.clone());
                written.dicom_masks.push(mask_rel);
            }
            _ => {
                let image_rel = case_dir.join(format!("{modality}.dcm"));
                let grey = image.stored.index_axis(Axis(0), 0);
                let rgb = render::rgb_of(&image.stored);
                let pixels = if image.rgb {
                    Pixels2d::Rgb(rgb.view())
                } else {
                    Pixels2d::Grey(grey)
                };
                let _: WrittenSeries = write_image_2d(&out.join(&image_rel), pixels, &image.geometry, &spec)?;
                written.files.push(image_rel.clone());
                written.images.push(image_rel);
                written.dicom_masks.push(nrrd_rel);
            }
        }
    }
    Ok(written)
}

/// The RTSTRUCT contours of a rendered 3D image: each slice polygon in LPS millimetres (rounded to 1 µm).
pub fn contours_of(image: &RenderedImage) -> Vec<PlanarContour> {
    let g = &image.geometry;
    let mut contours = Vec::new();
    for (slice, polygon) in image.polygons.iter().enumerate() {
        let Some(polygon) = polygon else { continue };
        let points = polygon
            .iter()
            .map(|p| {
                let physical = g.index_to_physical([p[0] / g.spacing[0], p[1] / g.spacing[1], slice as f64]);
                physical.map(|v| (v * 1000.0).round() / 1000.0)
            })
            .collect();
        contours.push(PlanarContour { slice, points });
    }
    contours
}

/// How each modality is encoded.
pub fn series_spec(modality: &str, identity: DicomIdentity, rgb: bool) -> SeriesSpec {
    match modality {
        "CT" => SeriesSpec {
            modality: "CT".into(),
            identity,
            bits_stored: 16,
            signed: true,
            photometric: Photometric::Monochrome2,
            rescale: Some((1.0, CT_INTERCEPT)),
            spacing: InPlaneSpacing::PixelSpacing,
            geometry_tags: true,
        },
        "MR" => SeriesSpec {
            modality: "MR".into(),
            identity,
            bits_stored: 12,
            signed: false,
            photometric: Photometric::Monochrome2,
            rescale: None,
            spacing: InPlaneSpacing::PixelSpacing,
            geometry_tags: true,
        },
        "MG" => SeriesSpec {
            modality: "MG".into(),
            identity,
            bits_stored: MG_BITS,
            signed: false,
            photometric: Photometric::Monochrome1,
            rescale: None,
            spacing: InPlaneSpacing::ImagerPixelSpacing,
            geometry_tags: false,
        },
        _ => SeriesSpec {
            modality: "US".into(),
            identity,
            bits_stored: 8,
            signed: false,
            photometric: if rgb {
                Photometric::Rgb
            } else {
                Photometric::Monochrome2
            },
            rescale: None,
            spacing: InPlaneSpacing::UltrasoundRegions,
            geometry_tags: false,
        },
    }
}

fn slash(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}
