//! Spatial separable filtering for IBSI-2: boundary padding, 1D convolution along an array axis, the right-angle
//! rotation groups used for rotation invariance, and the mean, LoG, Laws and undecimated-wavelet filters built on
//! them.
//!
//! Convention (checked on the IBSI-2 impulse maps): the filter is a true convolution,
//! `out[x] = Σ_t w_t · in[x − t]`, so a unit impulse at `x0` gives `out[x0 + t] = w_t`. Kernels listed as arrays are
//! centred at index `len / 2` (an even-length wavelet filter `h0..h3` has its taps at offsets −2..+1).

use ndarray::{Array3, Axis};

use super::Padding;

/// A 1D kernel as `(offset, weight)` taps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Kernel1d {
    pub taps: Vec<(isize, f64)>,
}

impl Kernel1d {
    /// Taps of `values` with index `len / 2` at offset 0.
    pub(crate) fn centred(values: &[f64]) -> Kernel1d {
        let centre = (values.len() / 2) as isize;
        Kernel1d {
            taps: values
                .iter()
                .enumerate()
                .map(|(j, &w)| (j as isize - centre, w))
                .collect(),
        }
    }

    /// The kernel seen through a reflection of its axis (`w'_t = w_{−t}`).
    pub(crate) fn reversed(&self) -> Kernel1d {
        Kernel1d {
            taps: self.taps.iter().map(|&(t, w)| (-t, w)).collect(),
        }
    }

    /// The à trous kernel: offsets multiplied by `factor` (holes in between).
    pub(crate) fn dilated(&self, factor: isize) -> Kernel1d {
        Kernel1d {
            taps: self.taps.iter().map(|&(t, w)| (t * factor, w)).collect(),
        }
    }
}

/// One separable pass: an optional kernel per array axis (`[z, y, x]` = NIfTI `[k, j, i]`).
pub(crate) type Stage = [Option<Kernel1d>; 3];

/// Index of a voxel outside `[0, n)` under the padding mode (`None` = the constant 0).
pub(crate) fn pad_index(index: isize, n: usize, padding: Padding) -> Option<usize> {
    let n_signed = n as isize;
    if (0..n_signed).contains(&index) {
        return Some(index as usize);
    }
    match padding {
        Padding::Zero => None,
        Padding::Nearest => Some(index.clamp(0, n_signed - 1) as usize),
        Padding::Periodic => Some(index.rem_euclid(n_signed) as usize),
        Padding::Mirror => {
            let m = index.rem_euclid(2 * n_signed);
            Some(if m < n_signed { m } else { 2 * n_signed - 1 - m } as usize)
        }
    }
}

/// Convolves every lane along `axis` with `kernel` under the padding mode.
pub(crate) fn convolve_axis(
    data: &Array3<f64>,
    axis: usize,
    kernel: &Kernel1d,
    padding: Padding,
) -> Array3<f64> {
    let n = data.len_of(Axis(axis));
    let (Some(min_t), Some(max_t)) = (
        kernel.taps.iter().map(|t| t.0).min(),
        kernel.taps.iter().map(|t| t.0).max(),
    ) else {
        return Array3::zeros(data.raw_dim());
    };
    // Inputs x − t for x in [0, n) and t in [min_t, max_t].
    let first = -max_t;
    let last = n as isize - 1 - min_t;
    let sources: Vec<Option<usize>> = (first..=last).map(|i| pad_index(i, n, padding)).collect();
    let mut extended = vec![0.0; sources.len()];
    let mut out = Array3::zeros(data.raw_dim());
    for (lane_in, mut lane_out) in data.lanes(Axis(axis)).into_iter().zip(out.lanes_mut(Axis(axis))) {
        for (e, s) in extended.iter_mut().zip(&sources) {
            *e = s.map_or(0.0, |i| lane_in[i]);
        }
        for (x, o) in lane_out.iter_mut().enumerate() {
            let mut sum = 0.0;
            for &(t, w) in &kernel.taps {
                sum += w * extended[(x as isize - t - first) as usize];
            }
            *o = sum;
        }
    }
    out
}

/// Applies one separable stage.
pub(crate) fn apply_stage(data: &Array3<f64>, stage: &Stage, padding: Padding) -> Array3<f64> {
    let mut current = data.clone();
    for (axis, kernel) in stage.iter().enumerate() {
        if let Some(kernel) = kernel {
            current = convolve_axis(&current, axis, kernel, padding);
        }
    }
    current
}

/// A right-angle rotation as a signed permutation of array axes: output axis `d` carries the kernel of axis
/// `source[d]`, reflected when `flip[d]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rotation {
    source: [usize; 3],
    flip: [bool; 3],
}

impl Rotation {
    pub(crate) fn apply(&self, stage: &Stage) -> Stage {
        let mut out: Stage = [None, None, None];
        for d in 0..3 {
            out[d] = stage[self.source[d]]
                .as_ref()
                .map(|k| if self.flip[d] { k.reversed() } else { k.clone() });
        }
        out
    }
}

/// The proper rotations (determinant +1) among signed permutations of `axes`: 4 for two axes (in-plane), 24 for
/// three.
pub(crate) fn rotations(axes: &[usize]) -> Vec<Rotation> {
    let m = axes.len();
    let mut perms: Vec<Vec<usize>> = Vec::new();
    permutations(&mut (0..m).collect(), 0, &mut perms);
    let mut out = Vec::new();
    for perm in &perms {
        let parity = inversions(perm).is_multiple_of(2);
        for signs in 0..(1usize << m) {
            let negatives = signs.count_ones() as usize;
            if parity != negatives.is_multiple_of(2) {
                continue;
            }
            let mut rotation = Rotation {
                source: [0, 1, 2],
                flip: [false; 3],
            };
            for (slot, &p) in perm.iter().enumerate() {
                rotation.source[axes[slot]] = axes[p];
                rotation.flip[axes[slot]] = signs & (1 << slot) != 0;
            }
            out.push(rotation);
        }
    }
    out
}

fn permutations(items: &mut Vec<usize>, start: usize, out: &mut Vec<Vec<usize>>) {
    if start == items.len() {
        out.push(items.clone());
        return;
    }
    for i in start..items.len() {
        items.swap(start, i);
        permutations(items, start + 1, out);
        items.swap(start, i);
    }
}

fn inversions(perm: &[usize]) -> usize {
    let mut count = 0;
    for i in 0..perm.len() {
        for j in i + 1..perm.len() {
            if perm[i] > perm[j] {
                count += 1;
            }
        }
    }
    count
}

/// Applies a pipeline of stages in every rotation of `axes` and pools voxel-wise (`max` or mean); without
/// rotations, applies it once.
pub(crate) fn apply_pooled(
    data: &Array3<f64>,
    pipeline: &[Stage],
    padding: Padding,
    rotation_axes: Option<&[usize]>,
    max_pooling: bool,
) -> Array3<f64> {
    let run = |stages: &[Stage]| {
        let mut current = data.clone();
        for stage in stages {
            current = apply_stage(&current, stage, padding);
        }
        current
    };
    let Some(axes) = rotation_axes else {
        return run(pipeline);
    };
    let mut pooled: Option<Array3<f64>> = None;
    let all = rotations(axes);
    for rotation in &all {
        let rotated: Vec<Stage> = pipeline.iter().map(|s| rotation.apply(s)).collect();
        let response = run(&rotated);
        pooled = Some(match pooled {
            None => response,
            Some(mut acc) => {
                if max_pooling {
                    acc.zip_mut_with(&response, |a, &b| *a = a.max(b));
                } else {
                    acc += &response;
                }
                acc
            }
        });
    }
    let mut out = pooled.unwrap_or_else(|| data.clone());
    if !max_pooling {
        out /= all.len() as f64;
    }
    out
}

/// Box mean of `support` voxels (odd) along each of `axes`.
pub(crate) fn box_mean(data: &Array3<f64>, axes: &[usize], support: usize, padding: Padding) -> Array3<f64> {
    let kernel = Kernel1d::centred(&vec![1.0 / support as f64; support]);
    let mut stage: Stage = [None, None, None];
    for &axis in axes {
        stage[axis] = Some(kernel.clone());
    }
    apply_stage(data, &stage, padding)
}

/// Sampled, unnormalised LoG over `axes` with per-axis sigma in voxels and radius `⌊truncate·σ + ½⌋`, as a sum of
/// separable stages: `Σ_d g''_d · Π_{e≠d} g_e`, with `g(t) = exp(−t²/2σ²)/(σ√2π)`.
pub(crate) fn log_stages(axes: &[usize], sigma_vox: [f64; 3], truncate: f64) -> Vec<Stage> {
    let gauss = |sigma: f64, second: bool| {
        let radius = (truncate * sigma + 0.5).floor() as isize;
        let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        Kernel1d {
            taps: (-radius..=radius)
                .map(|t| {
                    let x = t as f64;
                    let g = norm * (-x * x / (2.0 * sigma * sigma)).exp();
                    let w = if second {
                        g * (x * x / sigma.powi(4) - 1.0 / (sigma * sigma))
                    } else {
                        g
                    };
                    (t, w)
                })
                .collect(),
        }
    };
    axes.iter()
        .map(|&d| {
            let mut stage: Stage = [None, None, None];
            for &e in axes {
                stage[e] = Some(gauss(sigma_vox[e], e == d));
            }
            stage
        })
        .collect()
}

/// The LoG kernel radius (voxels) along an axis.
pub(crate) fn log_radius(sigma_vox: f64, truncate: f64) -> usize {
    (truncate * sigma_vox + 0.5).floor() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_modes_follow_the_ibsi_definitions() {
        // n = 4: ... | 0 1 2 3 | ...
        let idx = |i, p| pad_index(i, 4, p);
        assert_eq!(idx(-1, Padding::Zero), None);
        assert_eq!(idx(-2, Padding::Nearest), Some(0));
        assert_eq!(idx(5, Padding::Periodic), Some(1));
        assert_eq!(idx(-1, Padding::Mirror), Some(0));
        assert_eq!(idx(-2, Padding::Mirror), Some(1));
        assert_eq!(idx(4, Padding::Mirror), Some(3));
        assert_eq!(idx(9, Padding::Mirror), Some(1));
    }

    #[test]
    fn rotation_groups_have_the_right_size() {
        assert_eq!(rotations(&[0, 1, 2]).len(), 24);
        assert_eq!(rotations(&[1, 2]).len(), 4);
    }
}
