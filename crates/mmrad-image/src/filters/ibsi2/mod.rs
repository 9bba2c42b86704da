//! IBSI-2 convolutional filters (IBSI reference manual for filters, arXiv:2006.05470): mean, Laplacian of
//! Gaussian, Laws, Gabor, undecimated separable wavelets, the Simoncelli non-separable wavelet and Riesz-transformed
//! LoG / Simoncelli responses, with zero, nearest, periodic and mirror padding, slice-wise (2D, in the plane of the
//! first two NIfTI axes) or 3D.
//!
//! A filter is described by a [`FilterSpec`], parsed from `key=value` pairs ([`FilterSpec::parse`]) and applied
//! with [`apply_filter`] (whole image) or [`apply_filter_region`] (the voxels of a box, e.g. a ROI's, with the same
//! values). These filters follow IBSI-2; they are not the PyRadiomics LoG and wavelet of the parent module, which
//! emulate ITK and PyWavelets. Checked against the IBSI-2 consensus response maps (phase 1, 33/33) and feature
//! values (phase 2, 323/323) in `mmrad-conformance`.
//!
//! Parameters (units in the name: `_mm` millimetres, `_vox` voxels, `_deg` degrees):
//!
//! | key | filters | values |
//! |---|---|---|
//! | `filter` | all | `mean`, `laplacian_of_gaussian`, `laws`, `gabor`, `separable_wavelet`, `simoncelli_wavelet`, `riesz_log`, `riesz_simoncelli` |
//! | `dims` | all | `2D` (slice by slice) or `3D` (default `3D`) |
//! | `padding` | all | `zero`, `nearest`, `periodic`, `mirror` (default `mirror`) |
//! | `support_vox` | mean | odd support, ≥ 1 |
//! | `sigma_mm`, `truncate_sigma` | LoG, Riesz-LoG, Gabor (`sigma_mm`) | > 0; `truncate_sigma` default 4 |
//! | `kernel`, `energy`, `energy_delta_vox` | laws | e.g. `E5L5S5` (one 1D kernel per axis, i first), `yes`/`no`, δ ≥ 0 (window 2δ+1) |
//! | `lambda_mm`, `gamma`, `theta_deg` or `theta_step_deg`, `response` | gabor | > 0, > 0, one angle or a step dividing the circle, `modulus` |
//! | `wavelet`, `subband`, `level`, `decimated` | separable wavelet | `db*`, `coif*`, `sym*`, `haar`; `L`/`H` per axis (i first); ≥ 1; `no` |
//! | `level` | Simoncelli, Riesz-Simoncelli | ≥ 1 |
//! | `riesz_order` | Riesz | `l_i:l_j:l_k` (2 values in 2D) |
//! | `rotation` | laws, wavelet, gabor | `none`, `2d-4-right-angle`, `3d-24-right-angle` (laws, wavelet); `theta-steps`, `orthogonal-planes+theta-steps` (gabor) |
//! | `pooling` | with `rotation` | `max` or `mean` |
//!
//! Integers are at most 1000 (wavelet `level` at most 16). The Gabor kernel is always 2D (`dims` does not change
//! it; `rotation=orthogonal-planes+theta-steps` adds the i-k and j-k planes). The Simoncelli and Riesz-Simoncelli
//! filters are computed on the periodic DFT grid of the image whatever the padding, as MIRP (the IBSI-2
//! coordinator's implementation) does and as the consensus values reproduce; Riesz-LoG pads the image by the LoG
//! radius and works on the DFT grid of the padded image.

pub(crate) mod fft;
mod fourier;
mod separable;

use std::collections::BTreeMap;

use mmrad_core::Volume;
use ndarray::Array3;

use self::separable::{Kernel1d, Stage, apply_pooled, box_mean, log_stages};
use super::wavelet_coefficients::WAVELETS;
use crate::{ImageError, Result};

/// Boundary condition of a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// Constant 0.
    Zero,
    /// Repeat the edge voxel.
    Nearest,
    /// Wrap around.
    Periodic,
    /// Symmetric reflection `… c b a | a b c …`.
    Mirror,
}

/// Voxel-wise pooling of the responses of rotated kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    Max,
    Mean,
}

/// Orientations of a Gabor filter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GaborOrientation {
    /// One angle (degrees) in the slice plane.
    Theta(f64),
    /// Angles 0, Δ, 2Δ, … below 360° (degrees), responses averaged; with `orthogonal_planes`, in the three
    /// orthogonal planes too.
    Steps { step_deg: f64, orthogonal_planes: bool },
}

/// One IBSI-2 filter and its parameters.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Ibsi2Filter {
    Mean {
        support_vox: usize,
    },
    LaplacianOfGaussian {
        sigma_mm: f64,
        truncate_sigma: f64,
    },
    Laws {
        kernel: String,
        energy_delta_vox: Option<usize>,
        rotation: Option<Pooling>,
    },
    Gabor {
        sigma_mm: f64,
        lambda_mm: f64,
        gamma: f64,
        orientation: GaborOrientation,
    },
    SeparableWavelet {
        wavelet: String,
        subband: String,
        level: usize,
        rotation: Option<Pooling>,
    },
    Simoncelli {
        level: usize,
    },
    RieszLog {
        sigma_mm: f64,
        truncate_sigma: f64,
        order: Vec<usize>,
    },
    RieszSimoncelli {
        level: usize,
        order: Vec<usize>,
    },
}

/// A filter with its dimensionality and padding.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterSpec {
    pub filter: Ibsi2Filter,
    /// Slice by slice in the plane of NIfTI axes i and j (`true`) or 3D.
    pub slice_wise: bool,
    pub padding: Padding,
}

impl FilterSpec {
    /// Parses space-separated `key=value` pairs (see the module table), e.g.
    /// `filter=laws dims=3D padding=mirror kernel=E5L5S5 energy=no rotation=3d-24-right-angle pooling=max`.
    ///
    /// # Errors
    /// A malformed pair, an unknown key, a key the filter does not take, a missing or out-of-range value: the
    /// message names the key.
    pub fn parse(text: &str) -> Result<FilterSpec> {
        let mut pairs = Vec::new();
        for item in text.split_whitespace() {
            let Some((key, value)) = item.split_once('=') else {
                return Err(error(format!("`{item}` is not a `key=value` pair")));
            };
            pairs.push((key.to_owned(), value.to_owned()));
        }
        FilterSpec::from_pairs(pairs)
    }

    /// Builds a spec from `(key, value)` pairs (see the module table).
    ///
    /// # Errors
    /// As [`FilterSpec::parse`].
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Result<FilterSpec> {
        let mut params = Params::default();
        for (key, value) in pairs {
            if params.values.insert(key.clone(), value).is_some() {
                return Err(error(format!("parameter `{key}` is given twice")));
            }
        }
        let filter_name = params
            .take("filter")
            .ok_or_else(|| error("parameter `filter` is missing".to_owned()))?;
        let slice_wise = match params.take("dims").as_deref() {
            None | Some("3D" | "3d") => false,
            Some("2D" | "2d") => true,
            Some(other) => return Err(error(format!("`dims={other}`: expected `2D` or `3D`"))),
        };
        let padding = match params.take("padding").as_deref() {
            None | Some("mirror") => Padding::Mirror,
            Some("zero" | "constant") => Padding::Zero,
            Some("nearest") => Padding::Nearest,
            Some("periodic") => Padding::Periodic,
            Some(other) => {
                return Err(error(format!(
                    "`padding={other}`: expected `zero`, `nearest`, `periodic` or `mirror`"
                )));
            }
        };
        let n_axes = if slice_wise { 2 } else { 3 };
        let filter = match filter_name.as_str() {
            "mean" => {
                let support_vox = params.usize("support_vox", None)?;
                if support_vox.is_multiple_of(2) {
                    return Err(error(format!(
                        "`support_vox={support_vox}`: expected an odd number of voxels"
                    )));
                }
                Ibsi2Filter::Mean { support_vox }
            }
            "laplacian_of_gaussian" => Ibsi2Filter::LaplacianOfGaussian {
                sigma_mm: params.positive("sigma_mm", None)?,
                truncate_sigma: params.positive("truncate_sigma", Some(4.0))?,
            },
            "laws" => {
                let kernel = params
                    .take("kernel")
                    .ok_or_else(|| error("parameter `kernel` is missing".to_owned()))?;
                let parsed = laws_kernels(&kernel)?;
                if parsed.len() != n_axes {
                    return Err(error(format!(
                        "`kernel={kernel}`: a {}D Laws filter needs {n_axes} 1D kernels",
                        n_axes
                    )));
                }
                let energy = params.yes_no("energy", false)?;
                let delta = params.usize("energy_delta_vox", Some(7))?;
                Ibsi2Filter::Laws {
                    kernel,
                    energy_delta_vox: energy.then_some(delta),
                    rotation: params.rotation(n_axes)?,
                }
            }
            "gabor" => {
                let response = params.take("response").unwrap_or_else(|| "modulus".to_owned());
                if response != "modulus" {
                    return Err(error(format!(
                        "`response={response}`: only `modulus` is supported"
                    )));
                }
                let theta = params.take("theta_deg");
                let step = params.take("theta_step_deg");
                let rotation = params.take("rotation");
                let pooling = params.take("pooling");
                if pooling.as_deref().is_some_and(|p| p != "mean") {
                    return Err(error(
                        "the Gabor filter pools orientations with `pooling=mean` only".to_owned(),
                    ));
                }
                let orientation = match (theta, step) {
                    (Some(t), None) => {
                        if rotation.as_deref().is_some_and(|r| r != "none") {
                            return Err(error(
                                "`rotation` needs `theta_step_deg`, not `theta_deg`".to_owned(),
                            ));
                        }
                        GaborOrientation::Theta(parse_f64("theta_deg", &t)?)
                    }
                    (None, Some(s)) => {
                        let step_deg = parse_f64("theta_step_deg", &s)?;
                        if !(step_deg > 0.0 && step_deg <= 360.0) {
                            return Err(error(format!(
                                "`theta_step_deg={s}`: expected a value in (0, 360]"
                            )));
                        }
                        // `dims` is the kernel's (always 2D here); the planes come from `rotation`.
                        let orthogonal_planes = match rotation.as_deref() {
                            None | Some("theta-steps") => false,
                            Some("orthogonal-planes+theta-steps") => true,
                            Some(other) => {
                                return Err(error(format!(
                                    "`rotation={other}`: expected `theta-steps` or `orthogonal-planes+theta-steps`"
                                )));
                            }
                        };
                        GaborOrientation::Steps {
                            step_deg,
                            orthogonal_planes,
                        }
                    }
                    _ => {
                        return Err(error(
                            "give exactly one of `theta_deg` and `theta_step_deg`".to_owned(),
                        ));
                    }
                };
                Ibsi2Filter::Gabor {
                    sigma_mm: params.positive("sigma_mm", None)?,
                    lambda_mm: params.positive("lambda_mm", None)?,
                    gamma: params.positive("gamma", None)?,
                    orientation,
                }
            }
            "separable_wavelet" => {
                let wavelet = params
                    .take("wavelet")
                    .ok_or_else(|| error("parameter `wavelet` is missing".to_owned()))?;
                if !is_ibsi_wavelet(&wavelet) {
                    return Err(error(format!(
                        "`wavelet={wavelet}`: expected a Daubechies (`db1`…), coiflet (`coif1`…), symlet (`sym2`…) or `haar` wavelet"
                    )));
                }
                let subband = params
                    .take("subband")
                    .ok_or_else(|| error("parameter `subband` is missing".to_owned()))?;
                if subband.len() != n_axes || !subband.chars().all(|c| c == 'L' || c == 'H') {
                    return Err(error(format!(
                        "`subband={subband}`: expected {n_axes} letters `L` or `H` (axis i first)"
                    )));
                }
                if params.yes_no("decimated", false)? {
                    return Err(error(
                        "`decimated=yes`: only the undecimated transform is supported".to_owned(),
                    ));
                }
                let level = params.usize("level", Some(1))?;
                // Level l dilates the filters by 2^(l−1): beyond 16 the filter spans more than any image.
                if level == 0 || level > 16 {
                    return Err(error(format!("`level={level}`: expected a level from 1 to 16")));
                }
                Ibsi2Filter::SeparableWavelet {
                    wavelet,
                    subband,
                    level,
                    rotation: params.rotation(n_axes)?,
                }
            }
            "simoncelli_wavelet" | "riesz_simoncelli" => {
                let level = params.usize("level", Some(1))?;
                if level == 0 {
                    return Err(error("`level=0`: expected a level ≥ 1".to_owned()));
                }
                if filter_name == "simoncelli_wavelet" {
                    Ibsi2Filter::Simoncelli { level }
                } else {
                    Ibsi2Filter::RieszSimoncelli {
                        level,
                        order: params.riesz_order(n_axes)?,
                    }
                }
            }
            "riesz_log" => Ibsi2Filter::RieszLog {
                sigma_mm: params.positive("sigma_mm", None)?,
                truncate_sigma: params.positive("truncate_sigma", Some(4.0))?,
                order: params.riesz_order(n_axes)?,
            },
            other => {
                return Err(error(format!(
                    "`filter={other}`: expected `mean`, `laplacian_of_gaussian`, `laws`, `gabor`, `separable_wavelet`, `simoncelli_wavelet`, `riesz_log` or `riesz_simoncelli`"
                )));
            }
        };
        if let Some(key) = params.values.keys().next() {
            return Err(error(format!(
                "parameter `{key}` does not apply to the `{filter_name}` filter"
            )));
        }
        Ok(FilterSpec {
            filter,
            slice_wise,
            padding,
        })
    }
}

/// The response map of `spec` on `volume` (same grid).
///
/// # Errors
/// An empty image, a non-positive spacing, an unknown Laws kernel or wavelet (a spec built by hand rather than
/// parsed).
pub fn apply_filter(volume: &Volume, spec: &FilterSpec) -> Result<Volume> {
    let (nz, ny, nx) = volume.data.dim();
    let out = filter_array(&volume.data, [nz, ny, nx], &array_spacing(volume), spec)?;
    Ok(Volume::new(out, volume.geometry.clone()))
}

/// The response of `spec` on the voxels of `region` only (inclusive `[[z_lo, z_hi], [y_lo, y_hi], [x_lo, x_hi]]`,
/// e.g. a ROI bounding box): the same values as cropping [`apply_filter`]'s map, computed on the region grown by
/// the filter's reach. The Fourier-domain
/// wavelet filters (Simoncelli, Riesz) reach the whole image and are computed on it.
///
/// # Errors
/// As [`apply_filter`]; a region outside the image.
pub fn apply_filter_region(
    volume: &Volume,
    spec: &FilterSpec,
    region: [[usize; 2]; 3],
) -> Result<Array3<f64>> {
    let (nz, ny, nx) = volume.data.dim();
    let full = [nz, ny, nx];
    if (0..3).any(|a| region[a][0] > region[a][1] || region[a][1] >= full[a]) {
        return Err(error(format!(
            "region {region:?} lies outside the image of size {full:?} (z, y, x)"
        )));
    }
    let spacing = array_spacing(volume);
    check_input(&volume.data, &spacing)?;
    let crop_out = |data: &Array3<f64>, offset: [usize; 3]| {
        Array3::from_shape_fn(
            (
                region[0][1] - region[0][0] + 1,
                region[1][1] - region[1][0] + 1,
                region[2][1] - region[2][0] + 1,
            ),
            |(a, b, c)| data[[a + offset[0], b + offset[1], c + offset[2]]],
        )
    };
    let Some(reach) = filter_reach(spec, full, spacing)? else {
        let out = filter_array(&volume.data, full, &spacing, spec)?;
        return Ok(crop_out(&out, [region[0][0], region[1][0], region[2][0]]));
    };
    // Along each axis the region grows by the reach. With periodic padding it may leave the image (filled by
    // wrapping, which commutes with every stage of the filter); otherwise it stops at the image edges, so that the
    // filter pads there exactly as on the whole image, at every stage (Laws energy, level-2 wavelets pad
    // intermediate responses, which extending the input would not reproduce).
    let mut starts = [0isize; 3];
    let mut shape = [0usize; 3];
    for a in 0..3 {
        let (lo, hi) = (region[a][0] as isize, region[a][1] as isize);
        let r = reach[a] as isize;
        let (start, end) = if spec.padding == Padding::Periodic {
            (lo - r, hi + r)
        } else {
            ((lo - r).max(0), (hi + r).min(full[a] as isize - 1))
        };
        let len = (end - start + 1) as usize;
        let covers_axis = start <= 0 && end >= full[a] as isize - 1;
        // A reflection folding past the far end of a partial grid would read the wrong voxels.
        if spec.padding != Padding::Periodic && !covers_axis && len <= reach[a] {
            let out = filter_array(&volume.data, full, &spacing, spec)?;
            return Ok(crop_out(&out, [region[0][0], region[1][0], region[2][0]]));
        }
        starts[a] = start;
        shape[a] = len;
    }
    let sources: Vec<Vec<Option<usize>>> = (0..3)
        .map(|a| {
            (0..shape[a])
                .map(|p| separable::pad_index(starts[a] + p as isize, full[a], spec.padding))
                .collect()
        })
        .collect();
    let grown = Array3::from_shape_fn((shape[0], shape[1], shape[2]), |(a, b, c)| {
        match (sources[0][a], sources[1][b], sources[2][c]) {
            (Some(z), Some(y), Some(x)) => volume.data[[z, y, x]],
            _ => 0.0,
        }
    });
    let offset: [usize; 3] = std::array::from_fn(|a| (region[a][0] as isize - starts[a]) as usize);
    let out = filter_array(&grown, full, &spacing, spec)?;
    Ok(crop_out(&out, offset))
}

/// Rejects what the filters cannot work on: an empty image, a non-positive or non-finite spacing.
fn check_input(data: &Array3<f64>, spacing: &[f64; 3]) -> Result<()> {
    if data.is_empty() {
        return Err(error(format!(
            "the image is empty (size {:?}, z y x)",
            data.dim()
        )));
    }
    if spacing.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(error(format!(
            "the voxel spacing {spacing:?} (z y x) must be positive"
        )));
    }
    Ok(())
}

/// The integer ranges [`FilterSpec::parse`] enforces, for a spec built by hand.
fn check_ranges(filter: &Ibsi2Filter) -> Result<()> {
    let (key, value, range) = match filter {
        Ibsi2Filter::Mean { support_vox } => ("support_vox", *support_vox, 1..=MAX_INTEGER_PARAMETER),
        Ibsi2Filter::Laws {
            energy_delta_vox: Some(delta),
            ..
        } => ("energy_delta_vox", *delta, 0..=MAX_INTEGER_PARAMETER),
        Ibsi2Filter::SeparableWavelet { level, .. } => ("level", *level, 1..=16),
        Ibsi2Filter::Simoncelli { level } | Ibsi2Filter::RieszSimoncelli { level, .. } => {
            ("level", *level, 1..=MAX_INTEGER_PARAMETER)
        }
        _ => return Ok(()),
    };
    if range.contains(&value) {
        Ok(())
    } else {
        Err(error(format!(
            "`{key}={value}`: expected {} to {}",
            range.start(),
            range.end()
        )))
    }
}

/// Voxel spacing per array axis (`[z, y, x]` = NIfTI `[k, j, i]`).
fn array_spacing(volume: &Volume) -> [f64; 3] {
    [
        volume.geometry.spacing[2],
        volume.geometry.spacing[1],
        volume.geometry.spacing[0],
    ]
}

/// How far (voxels, per array axis) a response voxel depends on input voxels; `None` for the filters computed on
/// the periodic DFT grid of the whole image.
fn filter_reach(spec: &FilterSpec, full_shape: [usize; 3], spacing: [f64; 3]) -> Result<Option<[usize; 3]>> {
    let axes: &[usize] = if spec.slice_wise { &[2, 1] } else { &[2, 1, 0] };
    let on_axes = |r: usize| {
        let mut reach = [0; 3];
        for &a in axes {
            reach[a] = r;
        }
        reach
    };
    let half = |k: &Kernel1d| k.taps.iter().map(|t| t.0.unsigned_abs()).max().unwrap_or(0);
    Ok(match &spec.filter {
        Ibsi2Filter::Mean { support_vox } => Some(on_axes(support_vox / 2)),
        Ibsi2Filter::LaplacianOfGaussian {
            sigma_mm,
            truncate_sigma,
        } => {
            let mut reach = [0; 3];
            for &a in axes {
                reach[a] = separable::log_radius(sigma_mm / spacing[a], *truncate_sigma);
            }
            Some(reach)
        }
        Ibsi2Filter::Laws {
            kernel,
            energy_delta_vox,
            ..
        } => {
            let kernel_reach = laws_kernels(kernel)?.iter().map(half).max().unwrap_or(0);
            Some(on_axes(kernel_reach + energy_delta_vox.unwrap_or(0)))
        }
        Ibsi2Filter::SeparableWavelet { wavelet, level, .. } => {
            let (lo, hi) = wavelet_filters(wavelet)?;
            let per_level = half(&lo).max(half(&hi));
            Some(on_axes((0..*level).map(|s| per_level << s).sum()))
        }
        Ibsi2Filter::Gabor {
            sigma_mm,
            gamma,
            orientation,
            ..
        } => {
            let stacks: &[usize] = match orientation {
                GaborOrientation::Steps {
                    orthogonal_planes: true,
                    ..
                } => &[0, 1, 2],
                _ => &[0],
            };
            let mut reach = [0; 3];
            for &stack in stacks {
                let in_plane: Vec<usize> = (0..3).filter(|&a| a != stack).collect();
                let voxel = in_plane.iter().map(|&a| spacing[a]).fold(0.0, f64::max);
                let radius = fourier::gabor_radius(full_shape, stack, sigma_mm / voxel, *gamma);
                for a in in_plane {
                    reach[a] = reach[a].max(radius);
                }
            }
            Some(reach)
        }
        Ibsi2Filter::Simoncelli { .. }
        | Ibsi2Filter::RieszSimoncelli { .. }
        | Ibsi2Filter::RieszLog { .. } => None,
    })
}

/// The response of `spec` on `data`, a grid of the image of `full_shape` (the whole image, or a region grown by the
/// filter's reach); `spacing` per array axis.
fn filter_array(
    data: &Array3<f64>,
    full_shape: [usize; 3],
    spacing: &[f64; 3],
    spec: &FilterSpec,
) -> Result<Array3<f64>> {
    check_input(data, spacing)?;
    check_ranges(&spec.filter)?;
    let spacing = *spacing;
    let axes: &[usize] = if spec.slice_wise { &[2, 1] } else { &[2, 1, 0] };
    let padding = spec.padding;
    let out: Array3<f64> = match &spec.filter {
        Ibsi2Filter::Mean { support_vox } => box_mean(data, axes, *support_vox, padding),
        Ibsi2Filter::LaplacianOfGaussian {
            sigma_mm,
            truncate_sigma,
        } => {
            let sigma_vox = spacing.map(|s| sigma_mm / s);
            let mut sum = Array3::zeros(data.raw_dim());
            for stage in log_stages(axes, sigma_vox, *truncate_sigma) {
                sum += &separable::apply_stage(data, &stage, padding);
            }
            sum
        }
        Ibsi2Filter::Laws {
            kernel,
            energy_delta_vox,
            rotation,
        } => {
            let kernels = laws_kernels(kernel)?;
            let mut stage: Stage = [None, None, None];
            for (&axis, k) in axes.iter().zip(kernels) {
                stage[axis] = Some(k);
            }
            let response = apply_pooled(
                data,
                &[stage],
                padding,
                rotation.map(|_| axes),
                *rotation == Some(Pooling::Max),
            );
            match energy_delta_vox {
                Some(delta) => box_mean(&response.mapv(f64::abs), axes, 2 * delta + 1, padding),
                None => response,
            }
        }
        Ibsi2Filter::Gabor {
            sigma_mm,
            lambda_mm,
            gamma,
            orientation,
        } => {
            let (thetas, stack_axes): (Vec<f64>, Vec<usize>) = match orientation {
                GaborOrientation::Theta(theta) => (vec![*theta], vec![0]),
                GaborOrientation::Steps {
                    step_deg,
                    orthogonal_planes,
                } => {
                    let n = (360.0 / step_deg - 1e-9).floor() as usize + 1;
                    let thetas = (0..n).map(|i| i as f64 * step_deg).collect();
                    (
                        thetas,
                        if *orthogonal_planes {
                            vec![0, 1, 2]
                        } else {
                            vec![0]
                        },
                    )
                }
            };
            fourier::gabor(
                data,
                full_shape,
                spacing,
                padding,
                *sigma_mm,
                *lambda_mm,
                *gamma,
                &thetas,
                &stack_axes,
            )
        }
        Ibsi2Filter::SeparableWavelet {
            wavelet,
            subband,
            level,
            rotation,
        } => {
            let (lo, hi) = wavelet_filters(wavelet)?;
            let mut pipeline = Vec::new();
            for step in 1..*level {
                let dilation = 1isize << (step - 1);
                let mut stage: Stage = [None, None, None];
                for &axis in axes {
                    stage[axis] = Some(lo.dilated(dilation));
                }
                pipeline.push(stage);
            }
            let dilation = 1isize << (level - 1);
            let mut stage: Stage = [None, None, None];
            for (&axis, letter) in axes.iter().zip(subband.chars()) {
                let k = if letter == 'H' { &hi } else { &lo };
                stage[axis] = Some(k.dilated(dilation));
            }
            pipeline.push(stage);
            apply_pooled(
                data,
                &pipeline,
                padding,
                rotation.map(|_| axes),
                *rotation == Some(Pooling::Max),
            )
        }
        Ibsi2Filter::Simoncelli { level } => fourier::simoncelli(data, axes, *level, None),
        Ibsi2Filter::RieszSimoncelli { level, order } => {
            fourier::simoncelli(data, axes, *level, Some(order_by_axis(axes, order)))
        }
        Ibsi2Filter::RieszLog {
            sigma_mm,
            truncate_sigma,
            order,
        } => {
            let sigma_vox = spacing.map(|s| sigma_mm / s);
            fourier::riesz_log(
                data,
                axes,
                sigma_vox,
                *truncate_sigma,
                order_by_axis(axes, order),
                padding,
            )
        }
    };
    Ok(out)
}

/// Riesz orders given along NIfTI axes (i, j, k) placed on array axes.
fn order_by_axis(axes: &[usize], order: &[usize]) -> [usize; 3] {
    let mut out = [0; 3];
    for (&axis, &l) in axes.iter().zip(order) {
        out[axis] = l;
    }
    out
}

fn error(reason: String) -> ImageError {
    ImageError::Filter {
        filter: "IBSI-2",
        reason,
    }
}

fn parse_f64(key: &str, value: &str) -> Result<f64> {
    value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| error(format!("`{key}={value}`: expected a number")))
}

/// The unit-L2 Laws 1D kernels named in `name` (`E5L5S5` = E5 along i, L5 along j, S5 along k).
fn laws_kernels(name: &str) -> Result<Vec<Kernel1d>> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(2) {
        return Err(error(format!(
            "`kernel={name}`: expected 1D Laws kernel names such as `E5L5S5`"
        )));
    }
    bytes
        .chunks(2)
        .map(|pair| {
            let values: &[f64] = match pair {
                b"L3" => &[1.0, 2.0, 1.0],
                b"E3" => &[-1.0, 0.0, 1.0],
                b"S3" => &[-1.0, 2.0, -1.0],
                b"L5" => &[1.0, 4.0, 6.0, 4.0, 1.0],
                b"E5" => &[-1.0, -2.0, 0.0, 2.0, 1.0],
                b"S5" => &[-1.0, 0.0, 2.0, 0.0, -1.0],
                b"W5" => &[-1.0, 2.0, 0.0, -2.0, 1.0],
                b"R5" => &[1.0, -4.0, 6.0, -4.0, 1.0],
                _ => {
                    return Err(error(format!(
                        "`kernel={name}`: unknown 1D kernel `{}` (expected L3, E3, S3, L5, E5, S5, W5 or R5)",
                        String::from_utf8_lossy(pair)
                    )));
                }
            };
            let norm = values.iter().map(|v| v * v).sum::<f64>().sqrt();
            let scaled: Vec<f64> = values.iter().map(|v| v / norm).collect();
            Ok(Kernel1d::centred(&scaled))
        })
        .collect()
}

fn is_ibsi_wavelet(name: &str) -> bool {
    name == "haar"
        || ["db", "coif", "sym"].iter().any(|family| {
            name.strip_prefix(family)
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        }) && WAVELETS.iter().any(|w| w.0 == name)
}

/// Decomposition low- and high-pass filters of a wavelet (PyWavelets' `dec_lo`, `dec_hi`).
fn wavelet_filters(name: &str) -> Result<(Kernel1d, Kernel1d)> {
    WAVELETS
        .iter()
        .find(|w| w.0 == name)
        .map(|w| (Kernel1d::centred(w.1), Kernel1d::centred(w.2)))
        .ok_or_else(|| error(format!("`wavelet={name}`: unknown wavelet")))
}

/// Largest `support_vox`, `energy_delta_vox` or `level` accepted.
const MAX_INTEGER_PARAMETER: usize = 1000;

/// Parameters not yet consumed, by key.
#[derive(Default)]
struct Params {
    values: BTreeMap<String, String>,
}

impl Params {
    fn take(&mut self, key: &str) -> Option<String> {
        self.values.remove(key)
    }

    fn positive(&mut self, key: &str, default: Option<f64>) -> Result<f64> {
        let value = match (self.take(key), default) {
            (Some(v), _) => parse_f64(key, &v)?,
            (None, Some(d)) => d,
            (None, None) => return Err(error(format!("parameter `{key}` is missing"))),
        };
        if value > 0.0 {
            Ok(value)
        } else {
            Err(error(format!("`{key}={value}`: expected a value > 0")))
        }
    }

    /// A non-negative integer up to [`MAX_INTEGER_PARAMETER`] (larger supports, windows and levels exceed any image).
    fn usize(&mut self, key: &str, default: Option<usize>) -> Result<usize> {
        let value = match (self.take(key), default) {
            (Some(v), _) => v
                .parse()
                .map_err(|_| error(format!("`{key}={v}`: expected a non-negative integer")))?,
            (None, Some(d)) => d,
            (None, None) => return Err(error(format!("parameter `{key}` is missing"))),
        };
        if value > MAX_INTEGER_PARAMETER {
            return Err(error(format!(
                "`{key}={value}`: expected at most {MAX_INTEGER_PARAMETER}"
            )));
        }
        Ok(value)
    }

    fn yes_no(&mut self, key: &str, default: bool) -> Result<bool> {
        match self.take(key).as_deref() {
            None => Ok(default),
            Some("yes" | "true") => Ok(true),
            Some("no" | "false") => Ok(false),
            Some(other) => Err(error(format!("`{key}={other}`: expected `yes` or `no`"))),
        }
    }

    /// `rotation` + `pooling` of a separable filter: `None` without rotation invariance.
    fn rotation(&mut self, n_axes: usize) -> Result<Option<Pooling>> {
        let rotation = self.take("rotation");
        let pooling = self.take("pooling");
        let expected = if n_axes == 2 {
            "2d-4-right-angle"
        } else {
            "3d-24-right-angle"
        };
        match rotation.as_deref() {
            None | Some("none") => {
                if let Some(p) = pooling.filter(|p| p != "-") {
                    return Err(error(format!("`pooling={p}` needs `rotation={expected}`")));
                }
                Ok(None)
            }
            Some(r) if r == expected => match pooling.as_deref() {
                Some("max") => Ok(Some(Pooling::Max)),
                Some("mean") => Ok(Some(Pooling::Mean)),
                Some(other) => Err(error(format!("`pooling={other}`: expected `max` or `mean`"))),
                None => Err(error(format!(
                    "`rotation={r}` needs `pooling=max` or `pooling=mean`"
                ))),
            },
            Some(other) => Err(error(format!(
                "`rotation={other}`: expected `none` or `{expected}` for a {n_axes}D filter"
            ))),
        }
    }

    fn riesz_order(&mut self, n_axes: usize) -> Result<Vec<usize>> {
        let text = self
            .take("riesz_order")
            .ok_or_else(|| error("parameter `riesz_order` is missing".to_owned()))?;
        let order: Option<Vec<usize>> = text.split(':').map(|v| v.parse().ok()).collect();
        match order {
            Some(order) if order.len() == n_axes && order.iter().any(|&l| l > 0) => Ok(order),
            _ => Err(error(format!(
                "`riesz_order={text}`: expected {n_axes} non-negative integers separated by `:`, not all 0"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_error(text: &str, expected: &str) {
        let message = FilterSpec::parse(text).unwrap_err().to_string();
        assert!(
            message.contains(expected),
            "`{text}`: `{message}` lacks `{expected}`"
        );
    }

    #[test]
    fn bad_parameters_are_named() {
        check_error("filter=mean support_vox=4", "`support_vox=4`: expected an odd");
        check_error("filter=mean", "parameter `support_vox` is missing");
        check_error("filter=mean support_vox=100001", "expected at most 1000");
        check_error(
            "filter=separable_wavelet wavelet=db2 subband=LLL level=70",
            "expected a level from 1 to 16",
        );
        check_error(
            "filter=mean support_vox=3 sigma_mm=2",
            "`sigma_mm` does not apply to the `mean` filter",
        );
        check_error(
            "filter=laplacian_of_gaussian sigma_mm=-1",
            "`sigma_mm=-1`: expected a value > 0",
        );
        check_error(
            "filter=laws kernel=E5L5 dims=3D",
            "a 3D Laws filter needs 3 1D kernels",
        );
        check_error("filter=laws kernel=E5X5S5", "unknown 1D kernel `X5`");
        check_error(
            "filter=laws kernel=E5L5S5 rotation=3d-24-right-angle",
            "needs `pooling=max` or `pooling=mean`",
        );
        check_error(
            "filter=separable_wavelet wavelet=bior1.1 subband=LLH",
            "`wavelet=bior1.1`",
        );
        check_error(
            "filter=separable_wavelet wavelet=db2 subband=LH",
            "expected 3 letters",
        );
        check_error("filter=riesz_log sigma_mm=3 riesz_order=1:0", "`riesz_order=1:0`");
        check_error(
            "filter=gabor sigma_mm=1 lambda_mm=1 gamma=1",
            "exactly one of `theta_deg`",
        );
        check_error("filter=mean support_vox=3 padding=reflect", "`padding=reflect`");
        check_error("filter=median", "`filter=median`");
        check_error("filter=mean support_vox", "not a `key=value` pair");
    }

    #[test]
    fn region_response_equals_the_cropped_whole_response() {
        // Deterministic texture on an anisotropic grid; the region touches one image edge.
        let data = Array3::from_shape_fn((9, 20, 23), |(z, y, x)| {
            ((x * 7 + y * 13 + z * 29) % 17) as f64 + (x as f64 * 0.3).sin() * 5.0
        });
        let volume = Volume::new(data, mmrad_core::Geometry::with_spacing([0.8, 0.9, 2.0]));
        let region = [[0, 5], [3, 12], [8, 22]];
        for text in [
            "filter=mean support_vox=5 padding=zero",
            "filter=laplacian_of_gaussian sigma_mm=1.5 padding=nearest",
            "filter=laws kernel=L5E5 dims=2D energy=yes energy_delta_vox=3 rotation=2d-4-right-angle pooling=max",
            "filter=laws kernel=E3W5R5 energy=no padding=periodic rotation=3d-24-right-angle pooling=mean",
            "filter=separable_wavelet wavelet=db3 subband=HHL level=2 rotation=3d-24-right-angle pooling=mean",
            "filter=separable_wavelet wavelet=coif1 subband=HLH level=2 padding=zero",
            "filter=separable_wavelet wavelet=sym4 subband=LH dims=2D level=2 padding=nearest",
            "filter=separable_wavelet wavelet=haar subband=HHH level=3 padding=periodic",
            "filter=laws kernel=E5L5S5 energy=yes energy_delta_vox=2 padding=zero",
            "filter=gabor sigma_mm=1.2 lambda_mm=2 gamma=1.5 theta_step_deg=45 rotation=orthogonal-planes+theta-steps",
            "filter=gabor dims=2D sigma_mm=1 lambda_mm=3 gamma=0.5 theta_deg=30 padding=zero",
            "filter=simoncelli_wavelet level=2",
        ] {
            let spec = FilterSpec::parse(text).unwrap();
            let whole = apply_filter(&volume, &spec).unwrap();
            let part = apply_filter_region(&volume, &spec, region).unwrap();
            let cropped = crate::crop(&whole.data, &region);
            assert_eq!(part.dim(), cropped.dim(), "{text}");
            let scale = cropped.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (a, b) in part.iter().zip(cropped.iter()) {
                // Same arithmetic up to FFT sizes: 1e-9 of the map's scale.
                assert!((a - b).abs() <= 1e-9 * scale.max(1.0), "{text}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn empty_image_is_an_error() {
        let volume = Volume::new(Array3::zeros((0, 3, 3)), mmrad_core::Geometry::identity());
        let spec = FilterSpec::parse("filter=mean support_vox=3 padding=periodic").unwrap();
        let message = apply_filter(&volume, &spec).unwrap_err().to_string();
        assert!(message.contains("the image is empty"), "{message}");
    }

    #[test]
    fn hand_built_specs_are_range_checked() {
        let volume = Volume::new(Array3::zeros((3, 3, 3)), mmrad_core::Geometry::identity());
        let spec = FilterSpec {
            filter: Ibsi2Filter::SeparableWavelet {
                wavelet: "haar".to_owned(),
                subband: "LLL".to_owned(),
                level: 70,
                rotation: None,
            },
            slice_wise: false,
            padding: Padding::Mirror,
        };
        let message = apply_filter(&volume, &spec).unwrap_err().to_string();
        assert!(message.contains("`level=70`: expected 1 to 16"), "{message}");
    }

    #[test]
    fn mean_of_a_constant_is_the_constant_for_every_padding_but_zero() {
        let volume = Volume::new(
            Array3::from_elem((4, 5, 6), 2.5),
            mmrad_core::Geometry::identity(),
        );
        for padding in ["nearest", "periodic", "mirror"] {
            let spec = FilterSpec::parse(&format!("filter=mean support_vox=5 padding={padding}")).unwrap();
            let out = apply_filter(&volume, &spec).unwrap();
            assert!(out.data.iter().all(|v| (v - 2.5).abs() < 1e-12), "{padding}");
        }
    }
}
