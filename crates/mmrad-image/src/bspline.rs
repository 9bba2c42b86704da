//! Cubic B-spline interpolation as ITK's `BSplineInterpolateImageFunction` (order 3) does it.
//!
//! Coefficients come from ITK's `BSplineDecompositionImageFilter`: per axis, gain 6, causal and anti-causal
//! recursive filters with the pole `√3 − 2`, mirror-boundary initialisation (tolerance 1e-10). Evaluation uses the
//! 4 × 4 × 4 support starting at `floor(x) − 1` with mirror boundary conditions on the indices.

use ndarray::{Array3, Axis};

/// Cubic B-spline coefficients of a volume (`[z, y, x]`), ready for [`evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct BSplineCoefficients {
    coefficients: Array3<f64>,
}

const TOLERANCE: f64 = 1.0e-10;

impl BSplineCoefficients {
    /// Computes the coefficients of `data`.
    pub fn new(data: &Array3<f64>) -> BSplineCoefficients {
        let mut coefficients = data.clone();
        // ITK filters dimension 0 (x) first, then y, then z.
        for axis in [2, 1, 0] {
            if coefficients.len_of(Axis(axis)) <= 1 {
                continue;
            }
            for mut lane in coefficients.lanes_mut(Axis(axis)) {
                let mut line: Vec<f64> = lane.iter().copied().collect();
                decompose_line(&mut line);
                for (target, value) in lane.iter_mut().zip(line) {
                    *target = value;
                }
            }
        }
        BSplineCoefficients { coefficients }
    }

    /// The interpolated value at continuous index `(x, y, z)`.
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
            for k in 0..4 {
                indices[d][k] = mirror(start + k as i64, lengths[d]);
            }
        }
        let mut value = 0.0;
        for (kz, &iz) in indices[2].iter().enumerate() {
            for (ky, &iy) in indices[1].iter().enumerate() {
                for (kx, &ix) in indices[0].iter().enumerate() {
                    let w = weights[0][kx] * weights[1][ky] * weights[2][kz];
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

/// In-place cubic B-spline decomposition of one line (ITK `DataToCoefficients1D`).
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
}
