//! Eigenvalues of small dense symmetric matrices (Householder tridiagonalisation + implicit QL), for GLCM MCC.

use super::{Result, TextureError};

/// Eigenvalues of the symmetric `n`×`n` row-major matrix `a` (only its lower triangle is read), ascending.
///
/// # Errors
/// [`TextureError::EigenNoConvergence`] when the QL iteration does not converge (not seen for finite input).
pub(crate) fn symmetric_eigenvalues(a: &[f64], n: usize) -> Result<Vec<f64>> {
    let mut m: Vec<f64> = a.to_vec();
    // Symmetrise from the lower triangle.
    for i in 0..n {
        for j in 0..i {
            m[j * n + i] = m[i * n + j];
        }
    }
    let (mut diag, mut off) = tridiagonalise(&mut m, n);
    tridiagonal_ql(&mut diag, &mut off)?;
    diag.sort_by(f64::total_cmp);
    Ok(diag)
}

/// Householder reduction to tridiagonal form; returns (diagonal, sub-diagonal padded with a trailing 0).
fn tridiagonalise(m: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; n];
    let mut p = vec![0.0; n];
    for k in 0..n.saturating_sub(2) {
        let lo = k + 1;
        // Column k below the diagonal equals row k right of it (symmetry).
        let x = &m[k * n + lo..(k + 1) * n];
        let norm = x.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        let alpha = if x[0] > 0.0 { -norm } else { norm };
        v[lo..].copy_from_slice(x);
        v[lo] -= alpha;
        let v_norm = v[lo..].iter().map(|a| a * a).sum::<f64>().sqrt();
        if v_norm == 0.0 {
            continue;
        }
        v[lo..].iter_mut().for_each(|a| *a /= v_norm);
        // p = A v on the trailing block, then q = p - (v'p) v, A -= 2 (v q' + q v').
        for i in lo..n {
            p[i] = dot(&m[i * n + lo..(i + 1) * n], &v[lo..]);
        }
        let vp = dot(&v[lo..], &p[lo..]);
        for i in lo..n {
            p[i] -= vp * v[i];
        }
        for i in lo..n {
            let (vi, pi) = (2.0 * v[i], 2.0 * p[i]);
            let row = &mut m[i * n + lo..(i + 1) * n];
            for ((a, &vj), &pj) in row.iter_mut().zip(&v[lo..]).zip(&p[lo..]) {
                *a -= vi * pj + pi * vj;
            }
        }
        m[lo * n + k] = alpha;
        m[k * n + lo] = alpha;
        for i in k + 2..n {
            m[i * n + k] = 0.0;
            m[k * n + i] = 0.0;
        }
    }
    let diag = (0..n).map(|i| m[i * n + i]).collect();
    let mut off: Vec<f64> = (0..n.saturating_sub(1)).map(|i| m[(i + 1) * n + i]).collect();
    off.push(0.0);
    (diag, off)
}

/// Dot product with four independent accumulators (lets the compiler pipeline and vectorise the reduction).
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks_a = a.chunks_exact(4);
    let chunks_b = b.chunks_exact(4);
    let tail: f64 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for k in 0..4 {
            acc[k] += ca[k] * cb[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Implicit QL with Wilkinson shifts on a symmetric tridiagonal matrix; eigenvalues overwrite `d`.
///
/// Plain `sqrt(a² + b²)` replaces `hypot`: entries here are probabilities-scaled values of order 1, far from
/// overflow, and `hypot` dominated the run time.
fn tridiagonal_ql(d: &mut [f64], e: &mut [f64]) -> Result<()> {
    let n = d.len();
    if n < 2 {
        return Ok(());
    }
    for l in 0..n {
        let mut iterations = 0;
        loop {
            let mut m = l;
            while m + 1 < n {
                let scale = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * scale {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iterations += 1;
            if iterations > 100 {
                return Err(TextureError::EigenNoConvergence(n));
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = (g * g + 1.0).sqrt();
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0f64, 1.0f64, 0.0f64);
            let mut i = m;
            let mut deflated = false;
            while i > l {
                i -= 1;
                let f = s * e[i];
                let b = c * e[i];
                r = (f * f + g * g).sqrt();
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    deflated = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
            }
            if deflated {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slow reference: cyclic Jacobi rotations.
    fn jacobi_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
        let mut m = a.to_vec();
        for _sweep in 0..100 {
            let off: f64 = (0..n)
                .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
                .map(|(i, j)| m[i * n + j].powi(2))
                .sum();
            if off < 1e-30 {
                break;
            }
            for p in 0..n {
                for q in p + 1..n {
                    let apq = m[p * n + q];
                    if apq == 0.0 {
                        continue;
                    }
                    let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                    let t = if theta == 0.0 { 1.0 } else { t };
                    let c = 1.0 / (t * t + 1.0).sqrt();
                    let s = t * c;
                    for k in 0..n {
                        let akp = m[k * n + p];
                        let akq = m[k * n + q];
                        m[k * n + p] = c * akp - s * akq;
                        m[k * n + q] = s * akp + c * akq;
                    }
                    for k in 0..n {
                        let apk = m[p * n + k];
                        let aqk = m[q * n + k];
                        m[p * n + k] = c * apk - s * aqk;
                        m[q * n + k] = s * apk + c * aqk;
                    }
                }
            }
        }
        let mut d: Vec<f64> = (0..n).map(|i| m[i * n + i]).collect();
        d.sort_by(f64::total_cmp);
        d
    }

    #[test]
    fn closed_form_2x2_and_diagonal() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let ev = symmetric_eigenvalues(&[2.0, 1.0, 1.0, 2.0], 2).unwrap();
        assert!(
            (ev[0] - 1.0).abs() < 1e-14 && (ev[1] - 3.0).abs() < 1e-14,
            "{ev:?}"
        );
        let ev = symmetric_eigenvalues(&[3.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0], 3).unwrap();
        assert_eq!(ev, vec![1.0, 2.0, 3.0]);
        assert_eq!(symmetric_eigenvalues(&[5.0], 1).unwrap(), vec![5.0]);
    }

    #[test]
    fn matches_jacobi_reference_on_pseudo_random_matrices() {
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64) / ((1u64 << 53) as f64) - 0.5
        };
        for n in [3usize, 7, 20, 45] {
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..=i {
                    let v = next();
                    a[i * n + j] = v;
                    a[j * n + i] = v;
                }
            }
            let fast = symmetric_eigenvalues(&a, n).unwrap();
            let slow = jacobi_eigenvalues(&a, n);
            for (f, s) in fast.iter().zip(&slow) {
                // Tolerance: both methods are backward stable; 1e-12 absolute on O(1) entries.
                assert!((f - s).abs() < 1e-12, "n={n}: {f} vs {s}");
            }
        }
    }
}
