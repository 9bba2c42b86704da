//! rms-style nomogram points for a fitted logistic model: points per unit of each predictor, scaled so that the
//! predictor with the widest range of β·x gets 100 points; total points map back to the probability.

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
