//! rms-style nomogram points for a fitted logistic model: points per unit of each predictor, scaled so that the
//! predictor with the widest range of β·x gets 100 points; total points map back to the probability.
//!
//! [`axis_values`] and [`pretty`] give the tick values `rms::nomogram` draws (and scales the points over): the
//! distinct values of a predictor with at most 10 of them (datadist's `n.unique`), else R's `pretty(range, n = 10)`.

use ndarray::ArrayView1;

use crate::logistic::FittedLogistic;
use crate::numeric::sigmoid;
use crate::{Error, Result};

/// One predictor axis of the nomogram.
#[derive(Debug, Clone, PartialEq)]
pub struct NomogramAxis {
    pub term: String,
    pub coef: f64,
    /// The range of the predictor the axis covers (training minimum and maximum, or as given).
    pub min: f64,
    pub max: f64,
    /// The predictor value that receives 0 points (the end with the lower β·x).
    pub zero_at: f64,
    /// Points per unit of the predictor: |β| × `points_per_lp`.
    pub points_per_unit: f64,
    /// Points at the other end of the range (100 for the widest axis).
    pub max_points: f64,
}

/// A nomogram: for a row x, points_j = |β_j| (x_j − zero_at_j) × s with s = 100 / max_k |β_k| (max_k − min_k),
/// total = Σ points_j, and P(event) = σ(lp₀ + total / s) with lp₀ = β₀ + Σ β_j zero_at_j
/// (Harrell, rms `nomogram`, default `maxscale = 100`).
///
/// # Examples
/// ```
/// use mmrad_core::Dataset;
/// use mmrad_modeling::{LogisticParams, Nomogram};
/// use ndarray::{Array1, Array2};
/// let x = Array2::from_shape_fn((30, 1), |(i, _)| i as f64);
/// let y = Array1::from_shape_fn(30, |i| if i % 4 == 0 || i > 18 { 1.0 } else { 0.0 });
/// let fit = LogisticParams::new().check()?.fit_named(&Dataset::new(x.view(), y.view())?, &["size"])?;
/// let nomogram = Nomogram::new(&fit, &[(0.0, 29.0)])?;
/// assert!((nomogram.axes()[0].max_points - 100.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Nomogram {
    axes: Vec<NomogramAxis>,
    points_per_lp: f64,
    lp_at_zero: f64,
}

impl Nomogram {
    /// Builds the axes from a fitted model and one (min, max) range per slope (e.g. the training ranges).
    ///
    /// # Errors
    /// [`Error::Shape`] when the number of ranges differs from the number of slopes; [`Error::InvalidParam`] for a
    /// range with min > max or non-finite ends, or when every β·x range is zero.
    pub fn new(model: &FittedLogistic, ranges: &[(f64, f64)]) -> Result<Nomogram> {
        let slopes = model.slopes();
        if ranges.len() != slopes.len() {
            return Err(Error::Shape {
                what: "nomogram ranges",
                expected: slopes.len(),
                found: ranges.len(),
            });
        }
        let mut widest: f64 = 0.0;
        for (&(lo, hi), b) in ranges.iter().zip(slopes.iter()) {
            if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                return Err(Error::InvalidParam {
                    name: "nomogram range",
                    value: format!("({lo}, {hi})"),
                    reason: "needs finite min <= max",
                });
            }
            widest = widest.max(b.abs() * (hi - lo));
        }
        if widest <= 0.0 || !widest.is_finite() {
            return Err(Error::InvalidParam {
                name: "nomogram range",
                value: widest.to_string(),
                reason: "every predictor spans zero points",
            });
        }
        let points_per_lp = 100.0 / widest;
        let mut lp_at_zero = model.intercept();
        let mut axes = Vec::with_capacity(slopes.len());
        for (j, (&(lo, hi), &b)) in ranges.iter().zip(slopes.iter()).enumerate() {
            let zero_at = if b >= 0.0 { lo } else { hi };
            lp_at_zero += b * zero_at;
            axes.push(NomogramAxis {
                term: model
                    .terms()
                    .get(j + 1)
                    .map(|t| t.term.clone())
                    .unwrap_or_default(),
                coef: b,
                min: lo,
                max: hi,
                zero_at,
                points_per_unit: b.abs() * points_per_lp,
                max_points: b.abs() * (hi - lo) * points_per_lp,
            });
        }
        Ok(Nomogram {
            axes,
            points_per_lp,
            lp_at_zero,
        })
    }

    pub fn axes(&self) -> &[NomogramAxis] {
        &self.axes
    }

    /// Points per unit of the linear predictor.
    pub fn points_per_lp(&self) -> f64 {
        self.points_per_lp
    }

    /// Linear predictor at 0 total points.
    pub fn lp_at_zero_points(&self) -> f64 {
        self.lp_at_zero
    }

    /// Points of each predictor for one row.
    ///
    /// # Errors
    /// [`Error::Shape`] for a wrong number of values.
    pub fn points(&self, row: ArrayView1<'_, f64>) -> Result<Vec<f64>> {
        if row.len() != self.axes.len() {
            return Err(Error::Shape {
                what: "nomogram row",
                expected: self.axes.len(),
                found: row.len(),
            });
        }
        Ok(self
            .axes
            .iter()
            .zip(row.iter())
            .map(|(a, x)| a.coef * (x - a.zero_at) * self.points_per_lp)
            .collect())
    }

    /// Total points of one row.
    ///
    /// # Errors
    /// As [`Nomogram::points`].
    pub fn total_points(&self, row: ArrayView1<'_, f64>) -> Result<f64> {
        Ok(self.points(row)?.iter().sum())
    }

    /// The linear predictor of a total-points value.
    pub fn linear_predictor(&self, total_points: f64) -> f64 {
        self.lp_at_zero + total_points / self.points_per_lp
    }

    /// The probability of a total-points value.
    pub fn probability(&self, total_points: f64) -> f64 {
        sigmoid(self.linear_predictor(total_points))
    }

    /// The total points giving probability `p` (for drawing the probability axis).
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for p outside (0, 1).
    pub fn points_for_probability(&self, p: f64) -> Result<f64> {
        if !(p > 0.0 && p < 1.0) {
            return Err(Error::InvalidParam {
                name: "probability",
                value: p.to_string(),
                reason: "must be in (0, 1)",
            });
        }
        Ok(((p / (1.0 - p)).ln() - self.lp_at_zero) * self.points_per_lp)
    }
}

/// The values `rms::nomogram` puts on a predictor's axis (its defaults, `nint = 10`, datadist `n.unique = 10`):
/// the sorted distinct values when there are at most 10, else R's `pretty(range(x), n = 10)`. The axis range
/// (first, last) is the range to give [`Nomogram::new`] so that the points equal rms's. Non-finite values are
/// ignored; empty when none is finite.
pub fn axis_values(x: &[f64]) -> Vec<f64> {
    let mut distinct: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    match (distinct.first(), distinct.last()) {
        (Some(&lo), Some(&hi)) if distinct.len() > 10 => pretty(lo, hi, 10),
        _ => distinct,
    }
}

/// R's `pretty(c(lo, hi), n)` with its defaults (`min.n = n %/% 3`, `shrink.sml = 0.75`, `high.u.bias = 1.5`,
/// `u5.bias = 0.5 + 1.5 * high.u.bias`, `eps.correct = 0`, `bounds = TRUE`): about `n + 1` equally spaced round
/// values covering `[lo, hi]` (R's `src/appl/pretty.c` and `pretty.default`). `lo > hi` is swapped; a non-finite
/// end gives an empty vector.
pub fn pretty(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) {
        return Vec::new();
    }
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    const ROUNDING_EPS: f64 = 1e-10;
    let h = 1.5;
    let h5 = 0.5 + 1.5 * h;
    let shrink_sml = 0.75;
    let min_n = (n / 3) as f64;
    let n_div = n.max(1) as f64;
    let dx = hi - lo;
    let mut cell;
    let i_small;
    if dx == 0.0 && hi == 0.0 {
        cell = 1.0;
        i_small = true;
    } else {
        cell = lo.abs().max(hi.abs());
        let u =
            (1.0 + if h5 >= 1.5 * h + 0.5 {
                1.0 / (1.0 + h)
            } else {
                1.5 / (1.0 + h5)
            }) * n_div
                * f64::EPSILON;
        i_small = dx < cell * u * 3.0;
    }
    if i_small {
        if cell > 10.0 {
            cell = 9.0 + cell / 10.0;
        }
        cell *= shrink_sml;
        if min_n > 1.0 {
            cell /= min_n;
        }
    } else {
        cell = dx;
        if n > 1 {
            cell /= n as f64;
        }
    }
    let subsmall = 2f64.powi(-20) * f64::MIN_POSITIVE;
    if cell < subsmall {
        cell = subsmall;
    } else if cell > f64::MAX / 1.25 {
        cell = f64::MAX / 1.25;
    }
    let base = 10f64.powf(cell.log10().floor());
    let mut unit = base;
    if 2.0 * base - cell < h * (cell - unit) {
        unit = 2.0 * base;
        if 5.0 * base - cell < h5 * (cell - unit) {
            unit = 5.0 * base;
            if 10.0 * base - cell < h * (cell - unit) {
                unit = 10.0 * base;
            }
        }
    }
    let mut ns = (lo / unit + ROUNDING_EPS).floor();
    let mut nu = (hi / unit - ROUNDING_EPS).ceil();
    while ns * unit > lo + ROUNDING_EPS * unit {
        ns -= 1.0;
    }
    while nu * unit < hi - ROUNDING_EPS * unit {
        nu += 1.0;
    }
    let mut k = (0.5 + nu - ns).floor();
    if k < min_n {
        let missing = min_n - k;
        let half = (missing / 2.0).floor();
        let odd = missing - 2.0 * half;
        if ns >= 0.0 {
            nu += half;
            ns -= half + odd;
        } else {
            ns -= half;
            nu += half + odd;
        }
        k = min_n;
    }
    // bounds = TRUE: the ends become multiples of the unit (`seq.int(l, u, length.out = k + 1)`).
    let (from, to) = ((ns * unit).min(lo), (nu * unit).max(hi));
    let steps = k.max(0.0) as usize;
    if steps == 0 {
        return vec![from];
    }
    let by = (to - from) / steps as f64;
    let mut values: Vec<f64> = (0..=steps)
        .map(|i| if i == steps { to } else { from + i as f64 * by })
        .collect();
    // pretty.default: values within 1e-14 steps of 0 are 0.
    for v in &mut values {
        if v.abs() < 1e-14 * by {
            *v = 0.0;
        }
    }
    values
}
