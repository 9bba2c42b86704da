//! [`lowess`]: Cleveland's (1979) locally weighted scatterplot smoother, the algorithm of R's `lowess` (the
//! smoother `rms::val.prob` uses for its calibration curve), ported from the published description and R's
//! `clowess` conventions so that fitted values agree with R to rounding.
//!
//! Cleveland, W. S. (1979) "Robust locally weighted regression and smoothing scatterplots", JASA 74:829.
//! For each fitted point `xᵢ`, the `⌊f n⌋` nearest neighbours (at least 2) get tricube weights
//! `(1 - (|x - xᵢ| / h)³)³` (`h` the distance to the farthest of them; ties with it on the right are included),
//! a weighted straight line is fitted (a weighted mean when the neighbours' x are too close together), and points
//! closer than `delta` to the last fitted point are linearly interpolated instead of fitted.
//! Robustness iterations reweight by the bisquare of the residual over six median absolute residuals.

use crate::{Error, Result};

/// Options of [`lowess_with_options`] (R's `lowess` arguments).
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `span` | 2/3 | fraction `f` of points in each neighbourhood | (0, 1] |
/// | `iterations` | 3 | robustness iterations (`iter`); `rms::val.prob` uses 0 | ≥ 0 |
/// | `delta` | `None` = 1 % of the range of x | fit only points at least this far apart, interpolate between | ≥ 0 |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LowessOptions {
    pub span: f64,
    pub iterations: usize,
    pub delta: Option<f64>,
}

impl Default for LowessOptions {
    fn default() -> LowessOptions {
        LowessOptions {
            span: 2.0 / 3.0,
            iterations: 3,
            delta: None,
        }
    }
}

/// [`lowess_with_options`] with R's defaults (`f = 2/3`, `iter = 3`, `delta = 0.01 · range(x)`).
///
/// # Errors
/// As [`lowess_with_options`].
///
/// # Examples
/// ```
/// // A straight line is reproduced exactly (up to rounding).
/// let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let y = [3.0, 5.0, 7.0, 9.0, 11.0, 13.0];
/// let fitted = mmrad_evaluation::lowess(&x, &y)?;
/// assert!(fitted.iter().zip(&y).all(|(f, y)| (f - y).abs() < 1e-12));
/// # Ok::<(), mmrad_evaluation::Error>(())
/// ```
pub fn lowess(x: &[f64], y: &[f64]) -> Result<Vec<f64>> {
    lowess_with_options(x, y, &LowessOptions::default())
}

/// Lowess fitted values at every `x`, in input order (R returns them sorted by x: `lowess(x, y)$y[rank]`).
///
/// Points are sorted stably by x, as R's `order` does, so tied x keep their input order.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::NonFinite`] (naming the index), [`Error::InvalidArgument`] for a span
/// outside (0, 1], a negative or non-finite `delta`, or no points.
pub fn lowess_with_options(x: &[f64], y: &[f64], options: &LowessOptions) -> Result<Vec<f64>> {
    if x.len() != y.len() {
        return Err(Error::LengthMismatch {
            what: "y",
            expected: x.len(),
            found: y.len(),
        });
    }
    for (what, values) in [("x", x), ("y", y)] {
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what,
                index,
                value: values[index],
            });
        }
    }
    if !(options.span > 0.0 && options.span <= 1.0) {
        return Err(Error::InvalidArgument {
            name: "span",
            value: options.span,
            reason: "must be in (0, 1]",
        });
    }
    if x.is_empty() {
        return Err(Error::InvalidArgument {
            name: "n",
            value: 0.0,
            reason: "lowess needs at least one point",
        });
    }
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let sorted_x: Vec<f64> = order.iter().map(|&i| x[i]).collect();
    let sorted_y: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    let range = sorted_x.last().copied().unwrap_or(0.0) - sorted_x.first().copied().unwrap_or(0.0);
    let delta = options.delta.unwrap_or(0.01 * range);
    if !(delta >= 0.0 && delta.is_finite()) {
        return Err(Error::InvalidArgument {
            name: "delta",
            value: delta,
            reason: "must be finite and non-negative",
        });
    }
    let fitted_sorted = clowess(&sorted_x, &sorted_y, options.span, options.iterations, delta);
    let mut fitted = vec![0.0; x.len()];
    for (slot, &index) in order.iter().enumerate() {
        fitted[index] = fitted_sorted[slot];
    }
    Ok(fitted)
}

/// The smoother on x sorted ascending; returns fitted values in that order.
fn clowess(x: &[f64], y: &[f64], span: f64, iterations: usize, delta: f64) -> Vec<f64> {
    let n = x.len();
    if n < 2 {
        return y.to_vec();
    }
    // `(int)(f * n + 1e-7)` as R, at least 2 and at most n.
    let neighbours = ((span * n as f64 + 1e-7).floor() as usize).clamp(2, n);
    let mut fitted = vec![0.0; n];
    let mut robustness = vec![1.0; n];
    let mut weights = vec![0.0; n];
    for iteration in 0..=iterations {
        let use_robustness = iteration > 0;
        let mut left = 0usize;
        let mut right = neighbours - 1;
        let mut last: Option<usize> = None;
        let mut i = 0usize;
        loop {
            // Slide the window right while that does not increase the radius around x[i].
            if right + 1 < n {
                let d_left = x[i] - x[left];
                let d_right = x[right + 1] - x[i];
                if d_left > d_right {
                    left += 1;
                    right += 1;
                    continue;
                }
            }
            fitted[i] = local_fit(
                x,
                y,
                x[i],
                left,
                right,
                &mut weights,
                use_robustness.then_some(&robustness[..]),
            )
            .unwrap_or(y[i]);
            // Points skipped since the last fit are interpolated linearly.
            let previous = last.unwrap_or(0);
            if last.is_some() && previous + 1 < i {
                let denominator = x[i] - x[previous];
                for j in previous + 1..i {
                    let alpha = (x[j] - x[previous]) / denominator;
                    fitted[j] = alpha * fitted[i] + (1.0 - alpha) * fitted[previous];
                }
            }
            let mut newest = i;
            // Ties of x[i] copy its fit; then jump to the last point within delta of it.
            let cut = x[newest] + delta;
            let mut next = newest + 1;
            while next < n {
                if x[next] > cut {
                    break;
                }
                if x[next] == x[newest] {
                    fitted[next] = fitted[newest];
                    newest = next;
                }
                next += 1;
            }
            last = Some(newest);
            i = (newest + 1).max(next - 1);
            if newest + 1 >= n {
                break;
            }
        }
        if iteration == iterations {
            break;
        }
        let residuals: Vec<f64> = y.iter().zip(&fitted).map(|(yi, fi)| yi - fi).collect();
        let scale = residuals.iter().map(|r| r.abs()).sum::<f64>() / n as f64;
        let mut absolute: Vec<f64> = residuals.iter().map(|r| r.abs()).collect();
        absolute.sort_by(f64::total_cmp);
        let half = n / 2;
        let six_mad = if n.is_multiple_of(2) {
            3.0 * (absolute[half] + absolute[n - half - 1])
        } else {
            6.0 * absolute[half]
        };
        // Residuals are effectively zero: the fit is exact and reweighting would divide by ~0.
        if six_mad < 1e-7 * scale {
            break;
        }
        let (low, high) = (0.001 * six_mad, 0.999 * six_mad);
        for (weight, residual) in robustness.iter_mut().zip(&residuals) {
            let r = residual.abs();
            *weight = if r <= low {
                1.0
            } else if r <= high {
                (1.0 - (r / six_mad).powi(2)).powi(2)
            } else {
                0.0
            };
        }
    }
    fitted
}

/// Weighted straight-line fit at `at` over points `left..=right` (plus ties on the right); `None` when every
/// weight is zero (the caller keeps y).
fn local_fit(
    x: &[f64],
    y: &[f64],
    at: f64,
    left: usize,
    right: usize,
    weights: &mut [f64],
    robustness: Option<&[f64]>,
) -> Option<f64> {
    let n = x.len();
    let range = x[n - 1] - x[0];
    let radius = (at - x[left]).max(x[right] - at);
    let (near, far) = (0.001 * radius, 0.999 * radius);
    let mut total = 0.0;
    let mut j = left;
    while j < n {
        weights[j] = 0.0;
        let r = (x[j] - at).abs();
        if r <= far {
            weights[j] = if r <= near {
                1.0
            } else {
                (1.0 - (r / radius).powi(3)).powi(3)
            };
            if let Some(rw) = robustness {
                weights[j] *= rw[j];
            }
            total += weights[j];
        } else if x[j] > at {
            break;
        }
        j += 1;
    }
    let rightmost = j;
    if total <= 0.0 {
        return None;
    }
    for w in &mut weights[left..rightmost] {
        *w /= total;
    }
    if radius > 0.0 {
        let centre: f64 = (left..rightmost).map(|k| weights[k] * x[k]).sum();
        let spread: f64 = (left..rightmost)
            .map(|k| weights[k] * (x[k] - centre) * (x[k] - centre))
            .sum();
        // Enough spread in x for a slope; otherwise a weighted mean.
        if spread.sqrt() > 0.001 * range {
            let b = (at - centre) / spread;
            for k in left..rightmost {
                weights[k] *= b * (x[k] - centre) + 1.0;
            }
        }
    }
    Some((left..rightmost).map(|k| weights[k] * y[k]).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_x_gives_the_mean_and_one_point_is_itself() {
        let fitted =
            lowess_with_options(&[2.0; 4], &[0.0, 1.0, 1.0, 0.0], &LowessOptions::default()).unwrap();
        assert!(fitted.iter().all(|f| (f - 0.5).abs() < 1e-15), "{fitted:?}");
        assert_eq!(lowess(&[1.0], &[7.0]).unwrap(), vec![7.0]);
    }

    #[test]
    fn bad_input() {
        assert!(matches!(
            lowess(&[1.0], &[1.0, 2.0]),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            lowess(&[1.0, f64::NAN], &[1.0, 2.0]),
            Err(Error::NonFinite { index: 1, .. })
        ));
        let zero_span = LowessOptions {
            span: 0.0,
            ..LowessOptions::default()
        };
        assert!(matches!(
            lowess_with_options(&[1.0, 2.0], &[1.0, 2.0], &zero_span),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(lowess(&[], &[]), Err(Error::InvalidArgument { .. })));
    }
}
