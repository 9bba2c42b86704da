//! PyRadiomics `Wavelet`: `imageoperations._swt3` over PyWavelets' stationary wavelet transform `swtn`.
//!
//! PyRadiomics pads every odd-sized axis by one voxel (`numpy.pad(..., 'wrap')`: the first slice repeated at the end),
//! runs `start_level` single-level `swtn` passes keeping only the approximation, then `level` passes whose detail
//! bands it yields, and crops the padding off every band. A single-level `swtn` filters each axis in turn
//! (`axes = (x, y, z)`, i.e. numpy axes `(2, 1, 0)`) with the decomposition low-pass (`a`, named `L`) and high-pass
//! (`d`, named `H`) filters as a circular convolution (PyWavelets' `downsampling_convolution_periodization` with step
//! 1): `out[n] = Σ_j f[j] · x[(n + F/2 − j) mod N]`. Band names list the axes in that order (`LLH` = low in x and y,
//! high in z). Filters come from PyWavelets' tables ([`WAVELET_NAMES`]).

use ndarray::{Array3, Axis, Slice};

use super::wavelet_coefficients::WAVELETS;
use crate::{ImageError, Result};

/// Every wavelet name PyWavelets accepts for a discrete transform (`pywt.wavelist(kind='discrete')`).
pub fn wavelet_names() -> impl Iterator<Item = &'static str> {
    WAVELETS.iter().map(|w| w.0)
}

/// The names of [`wavelet_names`], summarised for error messages.
pub const WAVELET_NAMES: &str =
    "haar, db1-db38, sym2-sym20, coif1-coif17, bior1.1-bior6.8, rbio1.1-rbio6.8, dmey";

/// The arithmetic of the transform, which PyWavelets picks from the pixel type: float32 images are transformed with
/// float32 filters and float32 sums, everything else in float64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    #[default]
    F64,
    /// PyWavelets' float kernel: its float filter tables, every product and sum rounded to float32, in its order.
    F32,
}

/// One band of a wavelet decomposition: PyRadiomics' image type name (`wavelet-LLH`, `wavelet2-HHH`, ...) and voxels.
#[derive(Debug, Clone, PartialEq)]
pub struct WaveletBand {
    pub name: String,
    pub data: Array3<f64>,
}

/// The array axes (`[z, y, x]` indexing) PyRadiomics transforms: x, y, z for a 3D image, x, y for a 2D one, minus the
/// `force2Ddimension` axis when `force2D` is on (`force_2d_dimension` in numpy's axis numbering of the image).
pub fn wavelet_axes(ndim: usize, force_2d_dimension: Option<usize>) -> Vec<usize> {
    // numpy axes of the image, last first (PyRadiomics `range(Nd - 1, -1, -1)`), and our axis for each.
    let numpy_axes: Vec<usize> = (0..ndim).rev().collect();
    numpy_axes
        .into_iter()
        .filter(|&a| Some(a) != force_2d_dimension)
        .map(|a| if ndim == 2 { a + 1 } else { a })
        .collect()
}

/// PyRadiomics' wavelet bands of `data` along `axes` (see [`wavelet_axes`]), in PyRadiomics' order: for each level
/// the detail bands (`LLH`, `LHL`, `LHH`, `HLL`, `HLH`, `HHL`, `HHH` in 3D), then the last approximation (`LLL`).
///
/// `precision` is the arithmetic PyWavelets uses for the image's pixel type ([`Precision::F32`] for a float32 image,
/// whose voxels `data` then holds).
///
/// # Errors
/// [`ImageError::Filter`] for an unknown wavelet name, `level` 0, or no axis.
pub fn wavelet_decompositions(
    data: &Array3<f64>,
    wavelet: &str,
    start_level: usize,
    level: usize,
    axes: &[usize],
    precision: Precision,
) -> Result<Vec<WaveletBand>> {
    let Some(&(_, lo64, hi64, lo32, hi32)) = WAVELETS.iter().find(|w| w.0 == wavelet) else {
        return Err(ImageError::Filter {
            filter: "wavelet",
            reason: format!("unknown wavelet `{wavelet}`; valid: {WAVELET_NAMES}"),
        });
    };
    let (dec_lo, dec_hi): (Vec<f64>, Vec<f64>) = match precision {
        Precision::F64 => (lo64.to_vec(), hi64.to_vec()),
        Precision::F32 => (
            lo32.iter().map(|&v| f64::from(v)).collect(),
            hi32.iter().map(|&v| f64::from(v)).collect(),
        ),
    };
    if level == 0 || axes.is_empty() {
        return Err(ImageError::Filter {
            filter: "wavelet",
            reason: format!("needs level >= 1 and at least one axis (level {level}, axes {axes:?})"),
        });
    }
    let original = data.dim();
    let original_len = [original.0, original.1, original.2];
    let mut padded = data.clone();
    for axis in 0..3 {
        if original_len[axis] % 2 != 0 {
            let first = padded.slice_axis(Axis(axis), Slice::from(0..1)).to_owned();
            padded = ndarray::concatenate(Axis(axis), &[padded.view(), first.view()]).map_err(|e| {
                ImageError::Filter {
                    filter: "wavelet",
                    reason: e.to_string(),
                }
            })?;
        }
    }
    let crop = |band: &Array3<f64>| -> Array3<f64> {
        let mut view = band.view();
        for axis in 0..3 {
            view.slice_axis_inplace(Axis(axis), Slice::from(0..original_len[axis]));
        }
        view.to_owned()
    };
    let mut approximation = padded;
    for _ in 0..start_level {
        approximation = swtn_approximation(&approximation, &dec_lo, axes, precision);
    }
    let mut out = Vec::new();
    for idx in 1..=level {
        let bands = swtn(&approximation, &dec_lo, &dec_hi, axes, precision);
        let prefix = if idx == 1 {
            "wavelet".to_owned()
        } else {
            format!("wavelet{idx}")
        };
        let mut next = None;
        for (key, band) in bands {
            if key.bytes().all(|b| b == b'L') {
                next = Some(band);
            } else {
                out.push(WaveletBand {
                    name: format!("{prefix}-{key}"),
                    data: crop(&band),
                });
            }
        }
        if let Some(approx) = next {
            approximation = approx;
        }
    }
    let prefix = if level == 1 {
        "wavelet".to_owned()
    } else {
        format!("wavelet{level}")
    };
    out.push(WaveletBand {
        name: format!("{prefix}-{}", "L".repeat(axes.len())),
        data: crop(&approximation),
    });
    Ok(out)
}

/// Single-level `swtn`: every band keyed by its `L`/`H` letters (axes in order), in PyWavelets' key order.
fn swtn(
    data: &Array3<f64>,
    dec_lo: &[f64],
    dec_hi: &[f64],
    axes: &[usize],
    precision: Precision,
) -> Vec<(String, Array3<f64>)> {
    let mut bands = vec![(String::new(), data.clone())];
    for &axis in axes {
        let mut next = Vec::with_capacity(bands.len() * 2);
        for (key, band) in bands {
            next.push((
                format!("{key}L"),
                convolve_periodic(&band, axis, dec_lo, precision),
            ));
            next.push((
                format!("{key}H"),
                convolve_periodic(&band, axis, dec_hi, precision),
            ));
        }
        bands = next;
    }
    bands
}

/// The approximation band only (the `start_level` passes PyRadiomics discards the details of).
fn swtn_approximation(
    data: &Array3<f64>,
    dec_lo: &[f64],
    axes: &[usize],
    precision: Precision,
) -> Array3<f64> {
    let mut band = data.clone();
    for &axis in axes {
        band = convolve_periodic(&band, axis, dec_lo, precision);
    }
    band
}

/// `out[n] = Σ_j f[j] · x[(n + F/2 − j) mod N]` along one axis: PyWavelets' `downsampling_convolution_periodization`
/// with step 1, summing in its order (for `n + F/2 >= N` the wrapped filter taps `i − N, ..., 0` first, then the
/// rest ascending); in [`Precision::F32`] every product and sum is rounded to float32 (exact emulation: f64 holds the
/// product of two float32 values exactly, and rounding an f64 sum of two float32 values to float32 is the correctly
/// rounded float32 sum).
fn convolve_periodic(data: &Array3<f64>, axis: usize, filter: &[f64], precision: Precision) -> Array3<f64> {
    match precision {
        Precision::F64 => convolve_periodic_in::<false>(data, axis, filter),
        Precision::F32 => convolve_periodic_in::<true>(data, axis, filter),
    }
}

/// Rounds to float32 when `F32` (monomorphised so that the hot loops carry no branch).
#[inline(always)]
fn round<const F32: bool>(v: f64) -> f64 {
    if F32 { f64::from(v as f32) } else { v }
}

/// [`convolve_periodic`] with the arithmetic fixed at compile time. Each lane is copied into `ext`, the lane
/// extended periodically so that tap `j` of output `o` reads `ext[o + F/2 + F − j]` without a modulo. Outputs whose
/// taps do not wrap past the end (`o + F/2 < N`) sum in ascending tap order, so they are computed tap by tap across
/// all of them (each output's sum still in PyWavelets' order, and the loop over outputs vectorises); the last F/2
/// outputs keep PyWavelets' wrapped order.
fn convolve_periodic_in<const F32: bool>(data: &Array3<f64>, axis: usize, filter: &[f64]) -> Array3<f64> {
    let n = data.len_of(Axis(axis));
    let taps = filter.len();
    let half = taps / 2;
    let mut out = Array3::<f64>::zeros(data.dim());
    if n == 0 || taps == 0 {
        return out;
    }
    // ext[e] = x[(e − F) mod N] for e in 0..N + F/2 + F.
    let ext_len = n + half + taps;
    let source: Vec<usize> = (0..ext_len)
        .map(|e| (e + n * (taps / n + 1) - taps) % n)
        .collect();
    let mut line = vec![0.0; n];
    let mut ext = vec![0.0; ext_len];
    let mut acc = vec![0.0; n];
    // Outputs `0..straight` read no wrapped tap in PyWavelets' order.
    let straight = n.saturating_sub(half);
    for (input, mut output) in data.lanes(Axis(axis)).into_iter().zip(out.lanes_mut(Axis(axis))) {
        for (slot, v) in line.iter_mut().zip(input.iter()) {
            *slot = *v;
        }
        for (slot, &from) in ext.iter_mut().zip(&source) {
            *slot = line[from];
        }
        let acc = &mut acc[..straight];
        acc.fill(0.0);
        for (j, &f) in filter.iter().enumerate() {
            let shifted = &ext[half + taps - j..half + taps - j + straight];
            for (a, &x) in acc.iter_mut().zip(shifted) {
                *a = round::<F32>(*a + round::<F32>(f * x));
            }
        }
        for (value, &a) in output.iter_mut().zip(acc.iter()) {
            *value = a;
        }
        for o in straight..n {
            let i = o + half;
            let mut sum = 0.0;
            let mut first_ascending = 0;
            if i >= n {
                for m in (0..=(i - n).min(taps - 1)).rev() {
                    sum = round::<F32>(sum + round::<F32>(filter[m] * ext[i + taps - m]));
                }
                first_ascending = i - n + 1;
            }
            for j in first_ascending..taps {
                sum = round::<F32>(sum + round::<F32>(filter[j] * ext[i + taps - j]));
            }
            if let Some(slot) = output.get_mut(o) {
                *slot = sum;
            }
        }
    }
    out
}
