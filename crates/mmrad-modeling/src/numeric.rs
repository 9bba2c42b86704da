//! Small numeric helpers shared by the estimators: input checks, the logistic function, softplus.

use ndarray::{ArrayView1, ArrayView2};

use crate::{Error, Result};

/// Checks that every entry of `x` is finite, naming the first offending row and column.
pub(crate) fn check_matrix(what: &'static str, x: ArrayView2<'_, f64>) -> Result<()> {
    for ((row, column), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(Error::NonFinite {
                what,
                row,
                column,
                value,
            });
        }
    }
    Ok(())
}

/// Checks a 0/1 outcome of `n` rows with both classes; returns the number of events.
pub(crate) fn check_binary(y: ArrayView1<'_, f64>, n: usize) -> Result<usize> {
    if y.len() != n {
        return Err(Error::Shape {
            what: "outcome rows",
            expected: n,
            found: y.len(),
        });
    }
    let mut events = 0;
    for (row, &value) in y.iter().enumerate() {
        if value == 1.0 {
            events += 1;
        } else if value != 0.0 {
            return Err(Error::NonBinaryOutcome { row, value });
        }
    }
    if events == 0 || events == n {
        return Err(Error::OneClass { events, n });
    }
    Ok(events)
}

/// The logistic function, stable for large |eta|.
pub(crate) fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// log(1 + exp(eta)), stable for large |eta|.
pub(crate) fn softplus(eta: f64) -> f64 {
    if eta > 0.0 {
        eta + (-eta).exp().ln_1p()
    } else {
        eta.exp().ln_1p()
    }
}

/// The soft-thresholding operator S(u, t) = sign(u) max(|u| - t, 0).
pub(crate) fn soft_threshold(u: f64, t: f64) -> f64 {
    if u > t {
        u - t
    } else if u < -t {
        u + t
    } else {
        0.0
    }
}

/// Σ a_i·b_i with four independent accumulators: the sums of the LASSO's gradients and Hessians are latency-bound
/// with one accumulator (the order differs from a left fold only at rounding level).
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let chunks = n / 4;
    for c in 0..chunks {
        let i = 4 * c;
        acc[0] += a[i] * b[i];
        acc[1] += a[i + 1] * b[i + 1];
        acc[2] += a[i + 2] * b[i + 2];
        acc[3] += a[i + 3] * b[i + 3];
    }
    let mut tail = 0.0;
    for i in 4 * chunks..n {
        tail += a[i] * b[i];
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}
