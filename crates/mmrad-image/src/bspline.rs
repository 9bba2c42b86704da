//! Cubic B-spline interpolation as ITK's `BSplineInterpolateImageFunction` (order 3) does it.
//!
//! Coefficients come from ITK's `BSplineDecompositionImageFilter`: per axis, gain 6, causal and anti-causal
//! recursive filters with the pole `√3 − 2`, mirror-boundary initialisation (tolerance 1e-10). Evaluation uses the
//! 4 × 4 × 4 support starting at `floor(x) − 1` with mirror boundary conditions on the indices.

use ndarray::{Array3, ArrayView3, Axis};

/// Cubic B-spline coefficients of a volume (`[z, y, x]`), or of a box of it, ready for [`evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct BSplineCoefficients {
    coefficients: Array3<f64>,
    /// Index `(x, y, z)` in the whole volume of the box's first voxel (0 for the whole volume).
    offset: [usize; 3],
}

/// Voxels kept beyond the interpolation support when coefficients are computed on a box of the volume
/// ([`BSplineCoefficients::of_box`]). The decomposition is a recursive filter with pole `√3 − 2`: a cut's effect on a
/// coefficient `k` voxels away is of order `|√3 − 2|^k`, 4e-23 at 40 voxels, far below a double's resolution, so
/// the coefficients the box's interpolation reads equal those of the whole volume.
pub const BOX_MARGIN: usize = 40;

const TOLERANCE: f64 = 1.0e-10;

impl BSplineCoefficients {
    /// Computes the coefficients of `data`.
    pub fn new(data: &Array3<f64>) -> BSplineCoefficients {
        BSplineCoefficients::of_box(data.view(), [0; 3])
    }

    /// Computes the coefficients of a box of a volume: `data` is the box, `offset` the `(x, y, z)` index of its first
    /// voxel in the volume. A box face that is not on the volume's border must lie at least [`BOX_MARGIN`] voxels
    /// beyond every index [`evaluate`](Self::evaluate) is asked for; faces on the border keep ITK's mirror boundary.
    pub fn of_box(data: ArrayView3<'_, f64>, offset: [usize; 3]) -> BSplineCoefficients {
        let mut coefficients = data.to_owned();
        let mut lines: Vec<[f64; LINES]> = Vec::new();
        // ITK filters dimension 0 (x) first, then y, then z.
        for axis in [2, 1, 0] {
            let n = coefficients.len_of(Axis(axis));
            if n <= 1 {
                continue;
            }
            // Lanes in groups of `LINES`, filtered side by side (neighbouring lanes: x-adjacent for the y and z
            // axes, so that the gathering reads whole cache lines); a last, short group is padded with zeros.
            let mut lanes: Vec<_> = coefficients.lanes_mut(Axis(axis)).into_iter().collect();
            for group in lanes.chunks_mut(LINES) {
                lines.clear();
                lines.resize(n, [0.0; LINES]);
                for (k, lane) in group.iter().enumerate() {
                    for (line, &value) in lines.iter_mut().zip(lane.iter()) {
                        line[k] = value;
                    }
                }
                decompose_lines(&mut lines);
                for (k, lane) in group.iter_mut().enumerate() {
                    for (target, line) in lane.iter_mut().zip(&lines) {
                        *target = line[k];
                    }
                }
            }
        }
        BSplineCoefficients { coefficients, offset }
    }

    /// The interpolated value at continuous index `(x, y, z)` of the whole volume.
    pub fn evaluate(&self, index: [f64; 3]) -> f64 {
        let (nz, ny, nx) = self.coefficients.dim();
        let lengths = [nx, ny, nz];
        let mut indices = [[0_usize; 4]; 3];
        let mut weights = [[0.0_f64; 4]; 3];
        for d in 0..3 {
            let x = index[d];
            // ITK casts to float before flooring (`std::floor((float)x)`).
            let start = (x as f32).floor() as i64 - 1;
            let w = x - (start + 1) as f64;
            let w3 = w * w * w / 6.0;
            let w0 = 1.0 / 6.0 + 0.5 * w * (w - 1.0) - w3;
            let w2 = w + w0 - 2.0 * w3;
            let w1 = 1.0 - w0 - w2 - w3;
            weights[d] = [w0, w1, w2, w3];
            // The support is found from the whole volume's index (ITK's float32 floor depends on its magnitude),
            // then read in the box.
            let first = start - self.offset[d] as i64;
            if first >= 0 && first + 3 < lengths[d] as i64 {
                // Inside: the mirror (two integer divisions per index) is the identity.
                for (k, index) in indices[d].iter_mut().enumerate() {
                    *index = first as usize + k;
                }
            } else {
                for (k, index) in indices[d].iter_mut().enumerate() {
                    *index = mirror(first + k as i64, lengths[d]);
                }
            }
        }
        // ITK's weight of a support point is `(w_x · w_y) · w_z`; the 16 products `w_x · w_y` are shared by the 4
        // planes (the same roundings, in ITK's order).
        let mut wxy = [[0.0_f64; 4]; 4];
        for (ky, row) in wxy.iter_mut().enumerate() {
            for (kx, w) in row.iter_mut().enumerate() {
                *w = weights[0][kx] * weights[1][ky];
            }
        }
        let mut value = 0.0;
        for (kz, &iz) in indices[2].iter().enumerate() {
            for (ky, &iy) in indices[1].iter().enumerate() {
                for (kx, &ix) in indices[0].iter().enumerate() {
                    let w = wxy[ky][kx] * weights[2][kz];
                    value += w * self.coefficients[[iz, iy, ix]];
                }
            }
        }
        value
    }
}

/// ITK's mirror boundary on an index (`dataLength2 = 2 (N − 1)`).
fn mirror(index: i64, length: usize) -> usize {
    if length <= 1 {
        return 0;
    }
    let period = 2 * (length as i64 - 1);
    let mut i = if index < 0 {
        -index - period * ((-index) / period)
    } else {
        index - period * (index / period)
    };
    if i >= length as i64 {
        i = period - i;
    }
    i.clamp(0, length as i64 - 1) as usize
}

/// Lines decomposed side by side by [`decompose_lines`].
const LINES: usize = 4;

/// In-place cubic B-spline decomposition of `LINES` lines of one length side by side (`c[i][k]` is sample `i` of
/// line `k`), each with the arithmetic of ITK's `DataToCoefficients1D` in its order ([`decompose_line`], which it
/// replaced: tested bit for bit). The recursions are chains of dependent operations; four independent chains keep
/// the processor busy while each waits on its previous result.
fn decompose_lines(c: &mut [[f64; LINES]]) {
    let n = c.len();
    if n <= 1 {
        return;
    }
    let z = 3.0_f64.sqrt() - 2.0;
    let lambda = (1.0 - z) * (1.0 - 1.0 / z);
    for v in c.iter_mut() {
        for x in v.iter_mut() {
            *x *= lambda;
        }
    }
    // Causal initialisation (mirror boundary).
    let horizon = (TOLERANCE.ln() / z.abs().ln()).ceil() as usize;
    if horizon < n {
        let mut zn = z;
        let mut sum = c[0];
        for value in c.iter().take(horizon).skip(1) {
            for k in 0..LINES {
                sum[k] += zn * value[k];
            }
            zn *= z;
        }
        c[0] = sum;
    } else {
        let mut zn = z;
        let iz = 1.0 / z;
        let mut z2n = z.powi(n as i32 - 1);
        let mut sum: [f64; LINES] = std::array::from_fn(|k| c[0][k] + z2n * c[n - 1][k]);
        // ITK: `z2n *= z2n * iz`, i.e. z2n = z^(2(n-1)) / z.
        z2n = z2n * z2n * iz;
        for value in c.iter().take(n - 1).skip(1) {
            let weight = zn + z2n;
            for k in 0..LINES {
                sum[k] += weight * value[k];
            }
            zn *= z;
            z2n *= iz;
        }
        c[0] = std::array::from_fn(|k| sum[k] / (1.0 - zn * zn));
    }
    for i in 1..n {
        let previous = c[i - 1];
        for k in 0..LINES {
            c[i][k] += z * previous[k];
        }
    }
    // Anti-causal initialisation and recursion.
    c[n - 1] = std::array::from_fn(|k| (z / (z * z - 1.0)) * (z * c[n - 2][k] + c[n - 1][k]));
    for i in (0..n - 1).rev() {
        let next = c[i + 1];
        for k in 0..LINES {
            c[i][k] = z * (next[k] - c[i][k]);
        }
    }
}

/// In-place cubic B-spline decomposition of one line (ITK `DataToCoefficients1D`): the reference for
/// [`decompose_lines`].
#[cfg(test)]
fn decompose_line(c: &mut [f64]) {
    let n = c.len();
    if n <= 1 {
        return;
    }
    let z = 3.0_f64.sqrt() - 2.0;
    let lambda = (1.0 - z) * (1.0 - 1.0 / z);
    for v in c.iter_mut() {
        *v *= lambda;
    }
    // Causal initialisation (mirror boundary).
    let horizon = (TOLERANCE.ln() / z.abs().ln()).ceil() as usize;
    if horizon < n {
        let mut zn = z;
        let mut sum = c[0];
        for value in c.iter().take(horizon).skip(1) {
            sum += zn * value;
            zn *= z;
        }
        c[0] = sum;
    } else {
        let mut zn = z;
        let iz = 1.0 / z;
        let mut z2n = z.powi(n as i32 - 1);
        let mut sum = c[0] + z2n * c[n - 1];
        // ITK: `z2n *= z2n * iz`, i.e. z2n = z^(2(n-1)) / z.
        z2n = z2n * z2n * iz;
        for value in c.iter().take(n - 1).skip(1) {
            sum += (zn + z2n) * value;
            zn *= z;
            z2n *= iz;
        }
        c[0] = sum / (1.0 - zn * zn);
    }
    for i in 1..n {
        c[i] += z * c[i - 1];
    }
    // Anti-causal initialisation and recursion.
    c[n - 1] = (z / (z * z - 1.0)) * (z * c[n - 2] + c[n - 1]);
    for i in (0..n - 1).rev() {
        c[i] = z * (c[i + 1] - c[i]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_side_by_side_decompose_as_one_at_a_time() {
        // Lengths on both sides of the initialisation horizon, and the shortest lines.
        for n in [2, 3, 5, 17, 18, 19, 30, 64, 131] {
            let lines: Vec<Vec<f64>> = (0..LINES)
                .map(|k| {
                    (0..n)
                        .map(|i| ((i * 37 + k * 11) % 23) as f64 * 1.7 - 20.0 + (i as f64 * 0.1).sin())
                        .collect()
                })
                .collect();
            let mut side_by_side: Vec<[f64; LINES]> =
                (0..n).map(|i| std::array::from_fn(|k| lines[k][i])).collect();
            decompose_lines(&mut side_by_side);
            for (k, line) in lines.iter().enumerate() {
                let mut one = line.clone();
                decompose_line(&mut one);
                for i in 0..n {
                    assert_eq!(
                        side_by_side[i][k].to_bits(),
                        one[i].to_bits(),
                        "n {n}, line {k}, sample {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn interpolates_samples_exactly_and_mirrors_indices() {
        // A cubic B-spline interpolant passes through its samples; off-sample values are checked against scipy in
        // `tests/bspline_scipy.rs`.
        let data = Array3::from_shape_fn((5, 6, 7), |(z, y, x)| {
            (x as f64) * (y as f64) - (z as f64).powi(2)
        });
        let spline = BSplineCoefficients::new(&data);
        for ((z, y, x), &v) in data.indexed_iter() {
            let got = spline.evaluate([x as f64, y as f64, z as f64]);
            assert!((got - v).abs() < 1e-9, "{got} vs {v}");
        }
        assert_eq!(mirror(-1, 5), 1);
        assert_eq!(mirror(5, 5), 3);
        assert_eq!(mirror(-9, 5), 1);
        assert_eq!(mirror(0, 1), 0);
    }

    #[test]
    fn a_box_with_the_margin_interpolates_as_the_whole_volume() {
        let data = Array3::from_shape_fn((30, 100, 110), |(z, y, x)| {
            ((x * 7 + y * 13 + z * 31) % 17) as f64 * 3.5 - (y as f64 * 0.3).sin() * 20.0
        });
        let whole = BSplineCoefficients::new(&data);
        // Evaluated: x in [45, 60] (both faces cut), y in [52, 55] (low face cut, high face on the border), every z
        // (both faces on the border).
        let (first, last) = (
            [45 - BOX_MARGIN - 2, 52 - BOX_MARGIN - 2, 0],
            [60 + BOX_MARGIN + 2, 99, 29],
        );
        let mut view = data.view();
        for (axis, d) in [(0, 2), (1, 1), (2, 0)] {
            view.slice_axis_inplace(Axis(axis), ndarray::Slice::from(first[d]..=last[d]));
        }
        let boxed = BSplineCoefficients::of_box(view, first);
        let mut compared = 0;
        for i in 0..=40 {
            for j in 0..=6 {
                for k in 0..=58 {
                    let p = [
                        45.0 + 0.375 * f64::from(i),
                        52.0 + 0.5 * f64::from(j),
                        0.5 * f64::from(k) - 0.25,
                    ];
                    assert_eq!(whole.evaluate(p).to_bits(), boxed.evaluate(p).to_bits(), "{p:?}");
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 41 * 7 * 59);
    }
}
