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
