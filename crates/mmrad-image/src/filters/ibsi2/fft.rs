//! A small complex FFT for the Fourier-domain IBSI-2 filters (Gabor, Simoncelli, Riesz): iterative radix-2 for
//! powers of two and Bluestein's chirp-z algorithm for every other length, applied lane by lane along the axes of a
//! 3D array.
//!
//! Written here rather than taken from a crate because the filters need only forward/inverse transforms of a few
//! hundred points; it is checked against a direct DFT in the tests below.

use std::f64::consts::PI;
use std::ops::{Add, Mul, Sub};

use ndarray::{Array3, Axis};

/// A complex number in f64.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Complex {
    pub re: f64,
    pub im: f64,
}

impl Complex {
    pub(crate) const fn new(re: f64, im: f64) -> Complex {
        Complex { re, im }
    }

    /// `exp(i·phase)`.
    pub(crate) fn cis(phase: f64) -> Complex {
        Complex::new(phase.cos(), phase.sin())
    }

    pub(crate) fn conj(self) -> Complex {
        Complex::new(self.re, -self.im)
    }

    pub(crate) fn norm(self) -> f64 {
        self.re.hypot(self.im)
    }

    pub(crate) fn scale(self, factor: f64) -> Complex {
        Complex::new(self.re * factor, self.im * factor)
    }
}

impl Add for Complex {
    type Output = Complex;
    fn add(self, other: Complex) -> Complex {
        Complex::new(self.re + other.re, self.im + other.im)
    }
}

impl Sub for Complex {
    type Output = Complex;
    fn sub(self, other: Complex) -> Complex {
        Complex::new(self.re - other.re, self.im - other.im)
    }
}

impl Mul for Complex {
    type Output = Complex;
    fn mul(self, other: Complex) -> Complex {
        Complex::new(
            self.re * other.re - self.im * other.im,
            self.re * other.im + self.im * other.re,
        )
    }
}

/// A planned transform of one length (forward: `X[k] = Σ x[n] e^{-2πikn/N}`; inverse scaled by `1/N`).
pub(crate) struct Fft {
    len: usize,
    plan: Plan,
}

enum Plan {
    Radix2 {
        twiddles: Vec<Complex>,
    },
    Bluestein {
        inner: Box<Fft>,
        chirp: Vec<Complex>,
        /// FFT of the conjugate chirp, zero padded and wrapped to the inner length.
        kernel: Vec<Complex>,
    },
}

impl Fft {
    pub(crate) fn new(len: usize) -> Fft {
        let len = len.max(1);
        if len.is_power_of_two() {
            let twiddles = (0..len / 2)
                .map(|k| Complex::cis(-2.0 * PI * k as f64 / len as f64))
                .collect();
            return Fft {
                len,
                plan: Plan::Radix2 { twiddles },
            };
        }
        let inner_len = (2 * len - 1).next_power_of_two();
        let inner = Fft::new(inner_len);
        // k² mod 2N keeps the chirp phase accurate for long transforms.
        let chirp: Vec<Complex> = (0..len)
            .map(|k| {
                let k2 = (k * k) % (2 * len);
                Complex::cis(-PI * k2 as f64 / len as f64)
            })
            .collect();
        let mut kernel = vec![Complex::default(); inner_len];
        kernel[0] = chirp[0].conj();
        for k in 1..len {
            kernel[k] = chirp[k].conj();
            kernel[inner_len - k] = chirp[k].conj();
        }
        inner.forward(&mut kernel);
        Fft {
            len,
            plan: Plan::Bluestein {
                inner: Box::new(inner),
                chirp,
                kernel,
            },
        }
    }

    pub(crate) fn forward(&self, data: &mut [Complex]) {
        debug_assert_eq!(data.len(), self.len);
        match &self.plan {
            Plan::Radix2 { twiddles } => radix2(data, twiddles),
            Plan::Bluestein { inner, chirp, kernel } => {
                let m = kernel.len();
                let mut work = vec![Complex::default(); m];
                for (k, value) in data.iter().enumerate() {
                    work[k] = *value * chirp[k];
                }
                inner.forward(&mut work);
                for (w, k) in work.iter_mut().zip(kernel) {
                    *w = *w * *k;
                }
                inner.inverse(&mut work);
                for (k, value) in data.iter_mut().enumerate() {
                    *value = work[k] * chirp[k];
                }
            }
        }
    }

    pub(crate) fn inverse(&self, data: &mut [Complex]) {
        for value in data.iter_mut() {
            *value = value.conj();
        }
        self.forward(data);
        let scale = 1.0 / self.len as f64;
        for value in data.iter_mut() {
            *value = value.conj().scale(scale);
        }
    }
}

fn radix2(data: &mut [Complex], twiddles: &[Complex]) {
    let n = data.len();
    if n <= 1 {
        return;
    }
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if j > i {
            data.swap(i, j);
        }
    }
    let mut size = 2;
    while size <= n {
        let half = size / 2;
        let step = n / size;
        for start in (0..n).step_by(size) {
            for k in 0..half {
                let t = data[start + k + half] * twiddles[k * step];
                let u = data[start + k];
                data[start + k] = u + t;
                data[start + k + half] = u - t;
            }
        }
        size *= 2;
    }
}

/// Transforms `data` in place along the given array axes (forward or inverse).
pub(crate) fn fft_axes(data: &mut Array3<Complex>, axes: &[usize], inverse: bool) {
    for &axis in axes {
        let len = data.len_of(Axis(axis));
        let plan = Fft::new(len);
        let mut buffer = vec![Complex::default(); len];
        for mut lane in data.lanes_mut(Axis(axis)) {
            for (b, v) in buffer.iter_mut().zip(lane.iter()) {
                *b = *v;
            }
            if inverse {
                plan.inverse(&mut buffer);
            } else {
                plan.forward(&mut buffer);
            }
            for (v, b) in lane.iter_mut().zip(&buffer) {
                *v = *b;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dft(x: &[Complex]) -> Vec<Complex> {
        let n = x.len();
        (0..n)
            .map(|k| {
                x.iter().enumerate().fold(Complex::default(), |acc, (j, v)| {
                    acc + *v * Complex::cis(-2.0 * PI * ((k * j) % n) as f64 / n as f64)
                })
            })
            .collect()
    }

    #[test]
    fn matches_direct_dft_and_inverts() {
        for n in [1, 2, 5, 8, 12, 64, 76, 97] {
            let x: Vec<Complex> = (0..n)
                .map(|i| Complex::new((i as f64 * 0.7).sin(), (i as f64 * 1.3).cos() - 0.2))
                .collect();
            let mut y = x.clone();
            let plan = Fft::new(n);
            plan.forward(&mut y);
            for (a, b) in y.iter().zip(dft(&x)) {
                assert!((*a - b).norm() < 1e-9 * n as f64, "n={n}");
            }
            plan.inverse(&mut y);
            for (a, b) in y.iter().zip(&x) {
                assert!((*a - *b).norm() < 1e-12 * n as f64, "n={n}");
            }
        }
    }
}
