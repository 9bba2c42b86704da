//! Moran's I and Geary's C of an ROI (IBSI-1 morphology, inverse-distance weights over every pair of voxels), exact
//! for any ROI size through FFT correlations.
//!
//! With `y = x − mean` over the ROI and `w(i, j) = 1/‖r_i − r_j‖` (mm, `i ≠ j`), IBSI-1 (§3.1.26–27) defines
//! `I = N/W · Σ w y_i y_j / Σ y²` and `C = (N − 1)/(2W) · Σ w (y_i − y_j)² / Σ y²` with `W = Σ w` over the pairs.
//! Summed over every pair directly that is O(N²): 125 000 voxels (IBSI-1's CT phantom, configuration A) are
//! 7.8·10⁹ pairs. The weight depends on the offset `r_j − r_i` only, so every pair sum is a correlation of ROI
//! images with one kernel: with `m` the ROI indicator, `C = w ∗ m` and `D = w ∗ (y m)`,
//! `W = Σ m C`, `Σ w y_i y_j = Σ y m D` and `Σ w (y_i − y_j)² = 2 Σ y² m C − 2 Σ y m D`. Both convolutions run
//! through one complex FFT of `m + i·y m` (the kernel is real and even, so its spectrum is real and keeps the two
//! parts apart) on the ROI's bounding box padded to at least `2n − 1` per axis, where circular and linear
//! correlation agree: O(L log L) in the padded box size `L`. Rounding makes the two methods differ in the last
//! digits only (the tests bound it at 10⁻¹⁰ relative); the cheaper one is used.

use ndarray::Array3;

use crate::roi::bounding_box;

use crate::filters::ibsi2::fft::{Complex, fft_axes};

/// The FFT path allocates 24 bytes per padded voxel: above this many padded voxels (1.6 GB) it is not taken.
const FFT_MAX_PADDED: usize = 1 << 26;

/// Above this many ROI voxels the direct O(N²) sums take longer than a feature should (10⁹ pairs take seconds):
/// when the FFT path is too large as well, both values are NaN.
pub const DIRECT_MAX_VOXELS: usize = 50_000;

/// Moran's I and Geary's C of the `mask` voxels of `image` (same shape) with voxel `spacing` `[x, y, z]` in mm
/// (array axes are `(z, y, x)`). NaN for fewer than 2 voxels, a constant ROI, or an ROI both too spread out for
/// the FFT path (a padded bounding box above 2²⁶ voxels) and too large for the direct sums
/// ([`DIRECT_MAX_VOXELS`]).
#[must_use]
pub fn moran_geary(image: &Array3<f64>, mask: &Array3<bool>, spacing: [f64; 3]) -> (f64, f64) {
    let n = mask.iter().filter(|&&m| m).count();
    if n < 2 || image.dim() != mask.dim() {
        return (f64::NAN, f64::NAN);
    }
    let Some(padded) = padded_box(mask) else {
        return (f64::NAN, f64::NAN);
    };
    let length: usize = padded.padded.iter().product();
    // About a dozen operations per element and level of the three transforms, against one weighted pair.
    let fft_cost = 12.0 * length as f64 * (length as f64).log2().max(1.0);
    let direct_cost = (n as f64) * (n as f64) / 2.0;
    if direct_cost <= fft_cost || (length > FFT_MAX_PADDED && n <= DIRECT_MAX_VOXELS) {
        direct(image, mask, spacing)
    } else if length <= FFT_MAX_PADDED {
        by_fft(image, mask, spacing, padded)
    } else {
        (f64::NAN, f64::NAN)
    }
}

/// The ROI's bounding box and the FFT grid it is padded to, per array axis `(z, y, x)`.
#[derive(Debug, Clone, Copy)]
struct PaddedBox {
    low: [usize; 3],
    extent: [usize; 3],
    /// `2·extent − 1` rounded up to a power of two: circular correlation equals linear correlation on the box.
    padded: [usize; 3],
}

/// The [`PaddedBox`] of the mask; `None` for an empty mask.
fn padded_box(mask: &Array3<bool>) -> Option<PaddedBox> {
    let bb = bounding_box(mask)?;
    let extent = bb.map(|[lo, hi]| hi + 1 - lo);
    Some(PaddedBox {
        low: bb.map(|[lo, _]| lo),
        extent,
        padded: extent.map(|e| (2 * e - 1).next_power_of_two()),
    })
}

/// The mean and sum of squared deviations of the ROI values.
fn mean_and_squares(image: &Array3<f64>, mask: &Array3<bool>) -> (f64, f64, usize) {
    let values: Vec<f64> = image
        .iter()
        .zip(mask.iter())
        .filter(|(_, m)| **m)
        .map(|(v, _)| *v)
        .collect();
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let squares = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>();
    (mean, squares, n)
}

/// `(I, C)` from the ordered-pair sums.
fn ratios(n: usize, weights: f64, cross: f64, squared_differences: f64, squares: f64) -> (f64, f64) {
    let n = n as f64;
    (
        n / weights * cross / squares,
        (n - 1.0) / (2.0 * weights) * squared_differences / squares,
    )
}

/// The sums over every pair of ROI voxels, one by one (O(N²)).
pub(crate) fn direct(image: &Array3<f64>, mask: &Array3<bool>, spacing: [f64; 3]) -> (f64, f64) {
    let (mean, squares, n) = mean_and_squares(image, mask);
    let voxels: Vec<([usize; 3], f64)> = image
        .indexed_iter()
        .zip(mask.iter())
        .filter(|(_, m)| **m)
        .map(|(((z, y, x), &v), _)| ([z, y, x], v - mean))
        .collect();
    // Weights depend on the offset only: a table of 1/distance indexed by (|dz|, |dy|, |dx|).
    let (nz, ny, nx) = image.dim();
    let mut inverse = vec![0.0; nz * ny * nx];
    for dz in 0..nz {
        for dy in 0..ny {
            for dx in 0..nx {
                inverse[(dz * ny + dy) * nx + dx] =
                    inverse_distance([dz as f64, dy as f64, dx as f64], spacing);
            }
        }
    }
    let (mut w_sum, mut cross, mut differences) = (0.0, 0.0, 0.0);
    for (a, &([za, ya, xa], da)) in voxels.iter().enumerate() {
        let (mut w_row, mut c_row, mut d_row) = (0.0, 0.0, 0.0);
        for &([zb, yb, xb], db) in &voxels[a + 1..] {
            let w = inverse[(za.abs_diff(zb) * ny + ya.abs_diff(yb)) * nx + xa.abs_diff(xb)];
            w_row += w;
            c_row += w * db;
            d_row += w * (da - db) * (da - db);
        }
        w_sum += w_row;
        cross += da * c_row;
        differences += d_row;
    }
    // Each unordered pair stands for both ordered pairs.
    ratios(n, 2.0 * w_sum, 2.0 * cross, 2.0 * differences, squares)
}

/// `1/‖(dz, dy, dx)‖` in mm, 0 at the origin.
fn inverse_distance(offset: [f64; 3], spacing: [f64; 3]) -> f64 {
    let [dz, dy, dx] = offset;
    let d = ((dx * spacing[0]).powi(2) + (dy * spacing[1]).powi(2) + (dz * spacing[2]).powi(2)).sqrt();
    if d > 0.0 { 1.0 / d } else { 0.0 }
}

/// The sums through FFT correlations on the padded bounding box (see the module docs).
fn by_fft(
    image: &Array3<f64>,
    mask: &Array3<bool>,
    spacing: [f64; 3],
    PaddedBox {
        low: lo,
        extent,
        padded,
    }: PaddedBox,
) -> (f64, f64) {
    let (mean, squares, n) = mean_and_squares(image, mask);
    let [lz, ly, lx] = padded;
    // Offsets −(n−1)..=(n−1) wrap to the top of each padded axis.
    let signed = |i: usize, len: usize, e: usize| -> Option<f64> {
        if i < e {
            Some(i as f64)
        } else if i > len - e {
            Some(i as f64 - len as f64)
        } else {
            None
        }
    };
    let mut kernel = Array3::from_shape_fn((lz, ly, lx), |(z, y, x)| {
        match (
            signed(z, lz, extent[0]),
            signed(y, ly, extent[1]),
            signed(x, lx, extent[2]),
        ) {
            (Some(dz), Some(dy), Some(dx)) => Complex::new(inverse_distance([dz, dy, dx], spacing), 0.0),
            _ => Complex::default(),
        }
    });
    fft_axes(&mut kernel, &[0, 1, 2], false);
    // Real and even kernel: a real spectrum (the imaginary parts are rounding).
    let spectrum: Array3<f64> = kernel.mapv(|c| c.re);
    drop(kernel);
    let mut packed = Array3::from_elem((lz, ly, lx), Complex::default());
    let window = |a: &[usize; 3]| [lo[0] + a[0], lo[1] + a[1], lo[2] + a[2]];
    for z in 0..extent[0] {
        for y in 0..extent[1] {
            for x in 0..extent[2] {
                let [iz, iy, ix] = window(&[z, y, x]);
                if mask[[iz, iy, ix]] {
                    packed[[z, y, x]] = Complex::new(1.0, image[[iz, iy, ix]] - mean);
                }
            }
        }
    }
    fft_axes(&mut packed, &[0, 1, 2], false);
    packed.zip_mut_with(&spectrum, |p, &s| *p = p.scale(s));
    fft_axes(&mut packed, &[0, 1, 2], true);
    let (mut weights, mut cross, mut blurred_squares) = (0.0, 0.0, 0.0);
    for z in 0..extent[0] {
        for y in 0..extent[1] {
            for x in 0..extent[2] {
                let [iz, iy, ix] = window(&[z, y, x]);
                if mask[[iz, iy, ix]] {
                    let d = image[[iz, iy, ix]] - mean;
                    let c = packed[[z, y, x]];
                    weights += c.re;
                    cross += d * c.im;
                    blurred_squares += d * d * c.re;
                }
            }
        }
    }
    ratios(n, weights, cross, 2.0 * blurred_squares - 2.0 * cross, squares)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random stream in [0, 1) (no RNG dependency in this crate).
    fn stream(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1_u64 << 53) as f64
        }
    }

    #[test]
    fn fft_sums_equal_the_direct_pair_sums() {
        for (seed, dims, spacing) in [
            (1, (6, 9, 11), [0.8, 0.8, 2.5]),
            (2, (1, 17, 13), [1.0, 1.0, 1.0]),
            (3, (12, 5, 7), [0.5, 1.5, 3.0]),
        ] {
            let mut next = stream(seed);
            // A smooth field plus noise, so I and C are far from their null values, in a ragged ROI.
            let image = Array3::from_shape_fn(dims, |(z, y, x)| {
                (x as f64 * 0.4).sin() * 50.0 + (y as f64 + z as f64) * 3.0 + next() * 20.0
            });
            let mask = Array3::from_shape_fn(dims, |_| next() < 0.7);
            let (i_direct, c_direct) = direct(&image, &mask, spacing);
            let padded = padded_box(&mask).unwrap();
            let (i_fft, c_fft) = by_fft(&image, &mask, spacing, padded);
            assert!(i_direct.abs() > 0.05 && c_direct > 0.05, "{i_direct} {c_direct}");
            assert!(
                ((i_fft - i_direct) / i_direct).abs() < 1e-10,
                "{i_fft} vs {i_direct}"
            );
            assert!(
                ((c_fft - c_direct) / c_direct).abs() < 1e-10,
                "{c_fft} vs {c_direct}"
            );
        }
    }

    #[test]
    fn closed_form_two_and_three_voxels() {
        // Two voxels: one pair, y = ±d: I = 2/(2w) · (2w·(−d²)) / (2d²) = −1, C = 1/(4w) · 2w(2d)² / (2d²) = 1.
        let image = Array3::from_shape_vec((1, 1, 2), vec![3.0, 7.0]).unwrap();
        let mask = Array3::from_elem((1, 1, 2), true);
        let (i, c) = moran_geary(&image, &mask, [2.0, 1.0, 1.0]);
        assert!((i + 1.0).abs() < 1e-15 && (c - 1.0).abs() < 1e-15, "{i} {c}");
        // Three collinear voxels 0, 1, 2 at 1 mm with values −1, 0, 1: w = 1, 1, 1/2; W = 5 (ordered);
        // Σ w y_i y_j = 2·(−1/2) = −1; Σ w (y_i − y_j)² = 2·(1 + 1 + 4/2) = 8; Σ y² = 2.
        let image = Array3::from_shape_vec((1, 1, 3), vec![-1.0, 0.0, 1.0]).unwrap();
        let mask = Array3::from_elem((1, 1, 3), true);
        let (i, c) = moran_geary(&image, &mask, [1.0; 3]);
        assert!((i + 3.0 / 5.0 / 2.0).abs() < 1e-15, "{i}");
        assert!((c - 2.0 / 10.0 * 8.0 / 2.0).abs() < 1e-15, "{c}");
        let padded = padded_box(&mask).unwrap();
        let (i_fft, c_fft) = by_fft(&image, &mask, [1.0; 3], padded);
        assert!((i_fft - i).abs() < 1e-12 && (c_fft - c).abs() < 1e-12);
    }

    #[test]
    fn degenerate_rois_are_nan() {
        let image = Array3::from_elem((2, 2, 2), 1.0);
        let mut mask = Array3::from_elem((2, 2, 2), false);
        assert!(moran_geary(&image, &mask, [1.0; 3]).0.is_nan());
        mask[[0, 0, 0]] = true;
        assert!(moran_geary(&image, &mask, [1.0; 3]).1.is_nan());
        // A constant ROI has no variance: 0/0.
        mask.fill(true);
        assert!(moran_geary(&image, &mask, [1.0; 3]).0.is_nan());
    }
}
