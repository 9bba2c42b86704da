//! PyRadiomics `LoG`: ITK `LaplacianRecursiveGaussianImageFilter` with `NormalizeAcrossScale` on (SimpleITK), and
//! PyRadiomics' rules for which sigmas apply (`getLoGImage`).
//!
//! ITK's Laplacian sums, over each image dimension `d`, the second-derivative recursive Gaussian along `d` followed by
//! zero-order recursive Gaussians along the other dimensions in increasing order, each divided by `spacing_d²`. Every
//! 1D pass is Deriche's fourth-order recursive filter (`RecursiveGaussianImageFilter::SetUp`, coefficients of Young and
//! van Vliet's ITK implementation) computed in double on one line, with edge-extension boundary coefficients; the
//! images between passes and the accumulator are float32 (`InternalRealType = float`), so every pass output is
//! rounded to f32 here too, in the same order, which reproduces ITK's values to the last float32 bit in practice.

use mmrad_core::Volume;
use ndarray::{Array3, Axis};

use super::gradient::itk_axes;
use crate::{ImageError, Result};

/// Whether PyRadiomics computes the LoG image for `sigma` (mm) on an image of this size (`(x, y, z)`) and spacing,
/// and if not, why (the warning PyRadiomics logs before skipping).
///
/// PyRadiomics skips every sigma when a dimension has fewer than 4 voxels, a sigma ≤ 0, and a sigma for which some
/// dimension has fewer than `ceil(sigma / spacing) + 1` voxels.
///
/// # Errors
/// The reason the sigma is skipped, as a sentence.
pub fn log_sigma_applies(size: &[usize], spacing: &[f64], sigma: f64) -> Result<(), String> {
    if size.iter().any(|&n| n < 4) {
        return Err(format!(
            "image too small for the LoG filter (size {size:?}; every dimension needs at least 4 voxels)"
        ));
    }
    if sigma.is_nan() || sigma <= 0.0 {
        return Err(format!("sigma must be greater than 0 (found {sigma})"));
    }
    let fits = size
        .iter()
        .zip(spacing)
        .all(|(&n, &s)| n as f64 >= (sigma / s).ceil() + 1.0);
    if !fits {
        return Err(format!(
            "sigma {sigma} mm / spacing {spacing:?} + 1 exceeds the image size {size:?}"
        ));
    }
    Ok(())
}

/// Laplacian of Gaussian (scale-normalised: × σ²) of a volume, on its grid, over the image's dimensions (2 or 3).
///
/// # Errors
/// [`ImageError::Filter`] when [`log_sigma_applies`] rejects the sigma (callers following PyRadiomics check it first
/// and skip the sigma with a warning).
pub fn laplacian_of_gaussian(volume: &Volume, sigma: f64) -> Result<Volume> {
    let axes = itk_axes(volume.geometry.ndim);
    let (nz, ny, nx) = volume.data.dim();
    let size: Vec<usize> = [nx, ny, nz][..axes.len()].to_vec();
    let spacing: Vec<f64> = volume.geometry.spacing[..axes.len()].to_vec();
    log_sigma_applies(&size, &spacing, sigma).map_err(|reason| ImageError::Filter {
        filter: "LoG",
        reason,
    })?;
    let mut cumulative = Array3::<f64>::zeros(volume.data.dim());
    for (dim, &axis) in axes.iter().enumerate() {
        let derivative = Recursive::new(sigma, spacing[dim], Order::Second);
        let mut pass = filter_along(&volume.data, axis, &derivative);
        for (other, &other_axis) in axes.iter().enumerate() {
            if other != dim {
                let smoothing = Recursive::new(sigma, spacing[other], Order::Zero);
                pass = filter_along(&pass, other_axis, &smoothing);
            }
        }
        let scale = 1.0 / (spacing[dim] * spacing[dim]);
        cumulative.zip_mut_with(&pass, |a, &b| *a = round_f32(*a + b * scale));
    }
    Ok(Volume::new(cumulative, volume.geometry.clone()))
}

fn round_f32(v: f64) -> f64 {
    f64::from(v as f32)
}

/// Lines filtered side by side: each line keeps its own sequential arithmetic, and the same operation on
/// neighbouring lines lets the compiler use vector instructions (on the y and z axes the lines are adjacent in memory).
const LANES: usize = 4;

/// Applies a 1D recursive filter along one array axis, rounding the output to f32 (ITK's float32 pass images).
fn filter_along(data: &Array3<f64>, axis: usize, filter: &Recursive) -> Array3<f64> {
    let mut out = data.clone();
    let n = data.len_of(Axis(axis));
    let mut input = vec![[0.0; LANES]; n];
    let mut output = vec![[0.0; LANES]; n];
    let mut scratch = vec![[0.0; LANES]; n];
    let mut lanes: Vec<_> = out.lanes_mut(Axis(axis)).into_iter().collect();
    for group in lanes.chunks_mut(LANES) {
        for (lane_idx, lane) in group.iter().enumerate() {
            for (slot, v) in input.iter_mut().zip(lane.iter()) {
                slot[lane_idx] = *v;
            }
        }
        filter.apply_lanes(&input, &mut output, &mut scratch);
        for (lane_idx, lane) in group.iter_mut().enumerate() {
            for (v, o) in lane.iter_mut().zip(&output) {
                *v = round_f32(o[lane_idx]);
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Zero,
    Second,
}

/// Coefficients of ITK's `RecursiveSeparableImageFilter` as `RecursiveGaussianImageFilter::SetUp` computes them.
#[derive(Debug, Clone)]
struct Recursive {
    n: [f64; 4],
    d: [f64; 4],
    m: [f64; 4],
    bn: [f64; 4],
    bm: [f64; 4],
}

/// `(SN, DN, EN)` and `N0..N3` of `ComputeNCoefficients`.
fn n_coefficients(
    sigmad: f64,
    a1: f64,
    b1: f64,
    w1: f64,
    l1: f64,
    a2: f64,
    b2: f64,
    w2: f64,
    l2: f64,
) -> ([f64; 4], [f64; 3]) {
    let sin1 = (w1 / sigmad).sin();
    let sin2 = (w2 / sigmad).sin();
    let cos1 = (w1 / sigmad).cos();
    let cos2 = (w2 / sigmad).cos();
    let exp1 = (l1 / sigmad).exp();
    let exp2 = (l2 / sigmad).exp();
    let n0 = a1 + a2;
    let mut n1 = exp2 * (b2 * sin2 - (a2 + 2.0 * a1) * cos2);
    n1 += exp1 * (b1 * sin1 - (a1 + 2.0 * a2) * cos1);
    let mut n2 = (a1 + a2) * cos2 * cos1;
    n2 -= b1 * cos2 * sin1 + b2 * cos1 * sin2;
    n2 *= 2.0 * exp1 * exp2;
    n2 += a2 * exp1 * exp1 + a1 * exp2 * exp2;
    let mut n3 = exp2 * exp1 * exp1 * (b2 * sin2 - a2 * cos2);
    n3 += exp1 * exp2 * exp2 * (b1 * sin1 - a1 * cos1);
    let sn = n0 + n1 + n2 + n3;
    let dn = n1 + 2.0 * n2 + 3.0 * n3;
    let en = n1 + 4.0 * n2 + 9.0 * n3;
    ([n0, n1, n2, n3], [sn, dn, en])
}

impl Recursive {
    /// `RecursiveGaussianImageFilter::SetUp(spacing)` with `NormalizeAcrossScale` on.
    fn new(sigma: f64, spacing: f64, order: Order) -> Recursive {
        let sigmad = sigma / spacing.abs();
        let (w1, l1, w2, l2) = (0.6681, -1.3932, 2.0787, -1.3732);
        // `ComputeDCoefficients`.
        let cos1 = (w1 / sigmad).cos();
        let cos2 = (w2 / sigmad).cos();
        let exp1 = (l1 / sigmad).exp();
        let exp2 = (l2 / sigmad).exp();
        let d4 = exp1 * exp1 * exp2 * exp2;
        let mut d3 = -2.0 * cos1 * exp1 * exp2 * exp2;
        d3 += -2.0 * cos2 * exp2 * exp1 * exp1;
        let mut d2 = 4.0 * cos2 * cos1 * exp1 * exp2;
        d2 += exp1 * exp1 + exp2 * exp2;
        let d1 = -2.0 * (exp2 * cos2 + exp1 * cos1);
        let sd = 1.0 + d1 + d2 + d3 + d4;
        let dd = d1 + 2.0 * d2 + 3.0 * d3 + 4.0 * d4;
        let ed = d1 + 4.0 * d2 + 9.0 * d3 + 16.0 * d4;
        let n = match order {
            Order::Zero => {
                let (n, [sn, _, _]) = n_coefficients(sigmad, 1.3530, 1.8151, w1, l1, -0.3531, 0.0902, w2, l2);
                let alpha0 = 2.0 * sn / sd - n[0];
                n.map(|v| v * (1.0 / alpha0))
            }
            Order::Second => {
                let across_scale_normalization = sigma * sigma;
                let (n_0, [sn0, dn0, en0]) =
                    n_coefficients(sigmad, 1.3530, 1.8151, w1, l1, -0.3531, 0.0902, w2, l2);
                let (n_2, [sn2, dn2, en2]) =
                    n_coefficients(sigmad, -1.3563, 5.2318, w1, l1, 0.3446, -2.2355, w2, l2);
                let beta = -(2.0 * sn2 - sd * n_2[0]) / (2.0 * sn0 - sd * n_0[0]);
                let n = [0, 1, 2, 3].map(|k| n_2[k] + beta * n_0[k]);
                let sn = sn2 + beta * sn0;
                let dn = dn2 + beta * dn0;
                let en = en2 + beta * en0;
                let mut alpha2 = en * sd * sd - ed * sn * sd - 2.0 * dn * dd * sd + 2.0 * dd * dd * sn;
                alpha2 /= sd * sd * sd;
                n.map(|v| v * (across_scale_normalization / alpha2))
            }
        };
        let d = [d1, d2, d3, d4];
        // `ComputeRemainingCoefficients(symmetric = true)`.
        let m = [n[1] - d1 * n[0], n[2] - d2 * n[0], n[3] - d3 * n[0], -d4 * n[0]];
        let sn = n[0] + n[1] + n[2] + n[3];
        let sm = m[0] + m[1] + m[2] + m[3];
        let sd = 1.0 + d1 + d2 + d3 + d4;
        let bn = d.map(|dk| dk * sn / sd);
        let bm = d.map(|dk| dk * sm / sd);
        Recursive { n, d, m, bn, bm }
    }

    /// `RecursiveSeparableImageFilter::FilterDataArray` (needs `data.len() >= 4`) on one line: the reference
    /// [`Recursive::apply_lanes`] is checked against.
    #[cfg(test)]
    fn apply(&self, data: &[f64], outs: &mut [f64], scratch: &mut [f64]) {
        let ln = data.len();
        let [n0, n1, n2, n3] = self.n;
        let [d1, d2, d3, d4] = self.d;
        let [m1, m2, m3, m4] = self.m;
        let [bn1, bn2, bn3, bn4] = self.bn;
        let [bm1, bm2, bm3, bm4] = self.bm;
        let ema = |a1: f64, b1: f64, a2: f64, b2: f64, a3: f64, b3: f64, a4: f64, b4: f64| {
            a1 * b1 + a2 * b2 + a3 * b3 + a4 * b4
        };
        // Causal pass.
        let v1 = data[0];
        outs[0] = ema(v1, n0, v1, n1, v1, n2, v1, n3);
        outs[1] = ema(data[1], n0, v1, n1, v1, n2, v1, n3);
        outs[2] = ema(data[2], n0, data[1], n1, v1, n2, v1, n3);
        outs[3] = ema(data[3], n0, data[2], n1, data[1], n2, v1, n3);
        outs[0] -= ema(v1, bn1, v1, bn2, v1, bn3, v1, bn4);
        outs[1] -= ema(outs[0], d1, v1, bn2, v1, bn3, v1, bn4);
        outs[2] -= ema(outs[1], d1, outs[0], d2, v1, bn3, v1, bn4);
        outs[3] -= ema(outs[2], d1, outs[1], d2, outs[0], d3, v1, bn4);
        for i in 4..ln {
            outs[i] = ema(data[i], n0, data[i - 1], n1, data[i - 2], n2, data[i - 3], n3);
            outs[i] -= ema(outs[i - 1], d1, outs[i - 2], d2, outs[i - 3], d3, outs[i - 4], d4);
        }
        // Anti-causal pass.
        let v2 = data[ln - 1];
        scratch[ln - 1] = ema(v2, m1, v2, m2, v2, m3, v2, m4);
        scratch[ln - 2] = ema(data[ln - 1], m1, v2, m2, v2, m3, v2, m4);
        scratch[ln - 3] = ema(data[ln - 2], m1, data[ln - 1], m2, v2, m3, v2, m4);
        scratch[ln - 4] = ema(data[ln - 3], m1, data[ln - 2], m2, data[ln - 1], m3, v2, m4);
        scratch[ln - 1] -= ema(v2, bm1, v2, bm2, v2, bm3, v2, bm4);
        scratch[ln - 2] -= ema(scratch[ln - 1], d1, v2, bm2, v2, bm3, v2, bm4);
        scratch[ln - 3] -= ema(scratch[ln - 2], d1, scratch[ln - 1], d2, v2, bm3, v2, bm4);
        scratch[ln - 4] -= ema(
            scratch[ln - 3],
            d1,
            scratch[ln - 2],
            d2,
            scratch[ln - 1],
            d3,
            v2,
            bm4,
        );
        for i in (1..=ln - 4).rev() {
            scratch[i - 1] = ema(data[i], m1, data[i + 1], m2, data[i + 2], m3, data[i + 3], m4);
            scratch[i - 1] -= ema(
                scratch[i],
                d1,
                scratch[i + 1],
                d2,
                scratch[i + 2],
                d3,
                scratch[i + 3],
                d4,
            );
        }
        for (o, s) in outs.iter_mut().zip(scratch.iter()) {
            *o += *s;
        }
    }

    /// [`Recursive::apply`] on `LANES` lines at once (`data[i][lane]`): every line's values are computed by the same
    /// operations in the same order as `apply` computes them, so each is bit-identical to filtering it alone.
    fn apply_lanes(&self, data: &[[f64; LANES]], outs: &mut [[f64; LANES]], scratch: &mut [[f64; LANES]]) {
        type L = [f64; LANES];
        let ln = data.len();
        let [n0, n1, n2, n3] = self.n;
        let [d1, d2, d3, d4] = self.d;
        let [m1, m2, m3, m4] = self.m;
        let [bn1, bn2, bn3, bn4] = self.bn;
        let [bm1, bm2, bm3, bm4] = self.bm;
        // `a1 * b1 + a2 * b2 + a3 * b3 + a4 * b4`, left to right, per lane.
        let ema = |a1: &L, b1: f64, a2: &L, b2: f64, a3: &L, b3: f64, a4: &L, b4: f64| -> L {
            std::array::from_fn(|l| a1[l] * b1 + a2[l] * b2 + a3[l] * b3 + a4[l] * b4)
        };
        let sub = |a: &mut L, b: L| {
            for (x, y) in a.iter_mut().zip(b) {
                *x -= y;
            }
        };
        // Causal pass.
        let v1 = data[0];
        outs[0] = ema(&v1, n0, &v1, n1, &v1, n2, &v1, n3);
        outs[1] = ema(&data[1], n0, &v1, n1, &v1, n2, &v1, n3);
        outs[2] = ema(&data[2], n0, &data[1], n1, &v1, n2, &v1, n3);
        outs[3] = ema(&data[3], n0, &data[2], n1, &data[1], n2, &v1, n3);
        let e = ema(&v1, bn1, &v1, bn2, &v1, bn3, &v1, bn4);
        sub(&mut outs[0], e);
        let e = ema(&outs[0], d1, &v1, bn2, &v1, bn3, &v1, bn4);
        sub(&mut outs[1], e);
        let e = ema(&outs[1], d1, &outs[0], d2, &v1, bn3, &v1, bn4);
        sub(&mut outs[2], e);
        let e = ema(&outs[2], d1, &outs[1], d2, &outs[0], d3, &v1, bn4);
        sub(&mut outs[3], e);
        for i in 4..ln {
            let mut o = ema(&data[i], n0, &data[i - 1], n1, &data[i - 2], n2, &data[i - 3], n3);
            sub(
                &mut o,
                ema(
                    &outs[i - 1],
                    d1,
                    &outs[i - 2],
                    d2,
                    &outs[i - 3],
                    d3,
                    &outs[i - 4],
                    d4,
                ),
            );
            outs[i] = o;
        }
        // Anti-causal pass.
        let v2 = data[ln - 1];
        scratch[ln - 1] = ema(&v2, m1, &v2, m2, &v2, m3, &v2, m4);
        scratch[ln - 2] = ema(&data[ln - 1], m1, &v2, m2, &v2, m3, &v2, m4);
        scratch[ln - 3] = ema(&data[ln - 2], m1, &data[ln - 1], m2, &v2, m3, &v2, m4);
        scratch[ln - 4] = ema(&data[ln - 3], m1, &data[ln - 2], m2, &data[ln - 1], m3, &v2, m4);
        let e = ema(&v2, bm1, &v2, bm2, &v2, bm3, &v2, bm4);
        sub(&mut scratch[ln - 1], e);
        let e = ema(&scratch[ln - 1], d1, &v2, bm2, &v2, bm3, &v2, bm4);
        sub(&mut scratch[ln - 2], e);
        let e = ema(&scratch[ln - 2], d1, &scratch[ln - 1], d2, &v2, bm3, &v2, bm4);
        sub(&mut scratch[ln - 3], e);
        let e = ema(
            &scratch[ln - 3],
            d1,
            &scratch[ln - 2],
            d2,
            &scratch[ln - 1],
            d3,
            &v2,
            bm4,
        );
        sub(&mut scratch[ln - 4], e);
        for i in (1..=ln - 4).rev() {
            let mut o = ema(&data[i], m1, &data[i + 1], m2, &data[i + 2], m3, &data[i + 3], m4);
            sub(
                &mut o,
                ema(
                    &scratch[i],
                    d1,
                    &scratch[i + 1],
                    d2,
                    &scratch[i + 2],
                    d3,
                    &scratch[i + 3],
                    d4,
                ),
            );
            scratch[i - 1] = o;
        }
        for (o, s) in outs.iter_mut().zip(scratch.iter()) {
            for (x, y) in o.iter_mut().zip(s) {
                *x += *y;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Filtering lines side by side gives, bit for bit, what filtering each line alone gives.
    #[test]
    fn lanes_match_the_one_line_reference() {
        for (sigma, spacing, order) in [
            (1.0, 1.0, Order::Second),
            (3.0, 0.7, Order::Zero),
            (2.5, 5.0, Order::Second),
        ] {
            let filter = Recursive::new(sigma, spacing, order);
            for n in [4, 5, 17, 64] {
                let lines: Vec<Vec<f64>> = (0..LANES)
                    .map(|l| {
                        (0..n)
                            .map(|i| ((i * 37 + l * 11) % 23) as f64 * 13.7 - 100.0)
                            .collect()
                    })
                    .collect();
                let data: Vec<[f64; LANES]> = (0..n).map(|i| std::array::from_fn(|l| lines[l][i])).collect();
                let (mut outs, mut scratch) = (vec![[0.0; LANES]; n], vec![[0.0; LANES]; n]);
                filter.apply_lanes(&data, &mut outs, &mut scratch);
                for (l, line) in lines.iter().enumerate() {
                    let (mut out, mut scratch) = (vec![0.0; n], vec![0.0; n]);
                    filter.apply(line, &mut out, &mut scratch);
                    for i in 0..n {
                        assert_eq!(
                            outs[i][l].to_bits(),
                            out[i].to_bits(),
                            "sigma {sigma}, n {n}, lane {l}, i {i}"
                        );
                    }
                }
            }
        }
    }
}
