//! Filters fitted on training rows: variance, univariate test (Mann–Whitney U or Welch t), correlation pruning.

use mmrad_core::Dataset;

use crate::{ColumnSelection, Dropped, Error, Result, check_data};

/// Drops columns whose training variance (denominator n − 1) is at most `min_variance` (default 0: constant
/// columns). Constant columns are a recorded drop, never an error.
///
/// # Examples
/// ```
/// use mmrad_core::Dataset;
/// use mmrad_selection::VarianceParams;
/// use ndarray::array;
/// let x = array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0]];
/// let y = array![0.0, 1.0, 0.0, 1.0];
/// let names = vec!["a".to_string(), "flat".to_string()];
/// let selection = VarianceParams::new().fit(&Dataset::new(x.view(), y.view())?, &names)?;
/// assert_eq!(selection.names(), &["a".to_string()]);
/// assert_eq!(selection.dropped()[0].name, "flat");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct VarianceParams {
    pub min_variance: f64,
}

impl VarianceParams {
    pub fn new() -> VarianceParams {
        VarianceParams::default()
    }

    pub fn min_variance(mut self, v: f64) -> VarianceParams {
        self.min_variance = v;
        self
    }

    /// # Errors
    /// [`Error::InvalidParam`] for a negative or NaN threshold; [`Error::NonFinite`] naming the column.
    pub fn fit(&self, data: &Dataset<'_>, names: &[String]) -> Result<ColumnSelection> {
        if self.min_variance.is_nan() || self.min_variance < 0.0 {
            return Err(Error::InvalidParam {
                name: "min_variance",
                value: self.min_variance.to_string(),
                reason: "must be >= 0",
            });
        }
        check_data(data, names)?;
        let n = data.n_rows() as f64;
        let mut kept = Vec::new();
        let mut dropped = Vec::new();
        for (j, col) in data.x.columns().into_iter().enumerate() {
            let mean = col.sum() / n;
            let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
            // Rounding-level spread around a large mean counts as constant.
            let constant = var.sqrt() <= 1e-13 * mean.abs();
            if constant || var <= self.min_variance {
                dropped.push(Dropped {
                    column: j,
                    name: names[j].clone(),
                    step: "variance",
                    reason: format!("variance {var} <= {}", self.min_variance),
                });
            } else {
                kept.push(j);
            }
        }
        Ok(ColumnSelection::new(data.n_cols(), kept, names, dropped))
    }
}

/// The two-sample test of the univariate filter (events vs non-events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnivariateTest {
    /// Mann–Whitney U, normal approximation with tie and continuity correction (scipy `mannwhitneyu` asymptotic).
    #[default]
    MannWhitney,
    /// Welch's unequal-variance t test.
    WelchT,
}

/// Keeps columns whose two-sample p value (events vs non-events) is below `p_max`. When fewer than `min_keep`
/// columns pass, the `min_keep` columns with the smallest p values are kept instead (ties by column order), so
/// that a later LASSO always has candidates; set `min_keep` to 0 to allow an empty selection. A column on which
/// the test is undefined (all values tied) is dropped with that reason.
///
/// | Name | Default | Range |
/// |---|---|---|
/// | `test` | Mann–Whitney | |
/// | `p_max` | 0.05 | (0, 1] |
/// | `min_keep` | 1 | ≥ 0 |
///
/// # Examples
/// ```
/// use mmrad_core::Dataset;
/// use mmrad_selection::{UnivariateParams, UnivariateTest};
/// use ndarray::Array2;
/// let x = Array2::from_shape_fn((20, 2), |(i, j)| if j == 0 { (i % 2) as f64 * 5.0 + (i % 3) as f64 } else { ((i / 2) % 5) as f64 });
/// let y = ndarray::Array1::from_shape_fn(20, |i| (i % 2) as f64);
/// let names = vec!["signal".to_string(), "noise".to_string()];
/// let fitted = UnivariateParams::new().test(UnivariateTest::WelchT).fit(&Dataset::new(x.view(), y.view())?, &names)?;
/// assert_eq!(fitted.names(), &["signal".to_string()]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnivariateParams {
    pub test: UnivariateTest,
    pub p_max: f64,
    pub min_keep: usize,
}

impl Default for UnivariateParams {
    fn default() -> UnivariateParams {
        UnivariateParams {
            test: UnivariateTest::MannWhitney,
            p_max: 0.05,
            min_keep: 1,
        }
    }
}

impl UnivariateParams {
    pub fn new() -> UnivariateParams {
        UnivariateParams::default()
    }

    pub fn test(mut self, test: UnivariateTest) -> UnivariateParams {
        self.test = test;
        self
    }

    pub fn p_max(mut self, p_max: f64) -> UnivariateParams {
        self.p_max = p_max;
        self
    }

    pub fn min_keep(mut self, k: usize) -> UnivariateParams {
        self.min_keep = k;
        self
    }

    /// The p value of every column (NaN where the test is undefined).
    ///
    /// # Errors
    /// As [`UnivariateParams::fit`].
    pub fn p_values(&self, data: &Dataset<'_>, names: &[String]) -> Result<Vec<f64>> {
        check_data(data, names)?;
        let mut out = Vec::with_capacity(data.n_cols());
        for col in data.x.columns() {
            let (mut events, mut others) = (Vec::new(), Vec::new());
            for (v, y) in col.iter().zip(data.y.iter()) {
                if *y == 1.0 {
                    events.push(*v)
                } else {
                    others.push(*v)
                }
            }
            let p = match self.test {
                UnivariateTest::MannWhitney => mmrad_stats::mann_whitney_u(&events, &others).map(|r| r.p),
                UnivariateTest::WelchT => mmrad_stats::welch_t(&events, &others).map(|r| r.p),
            };
            out.push(p.unwrap_or(f64::NAN));
        }
        Ok(out)
    }

    /// # Errors
    /// [`Error::InvalidParam`] for `p_max` outside (0, 1]; [`Error::NonFinite`] naming the column;
    /// [`Error::Outcome`] for a non-binary or one-class outcome.
    pub fn fit(&self, data: &Dataset<'_>, names: &[String]) -> Result<ColumnSelection> {
        if !(self.p_max > 0.0 && self.p_max <= 1.0) {
            return Err(Error::InvalidParam {
                name: "p_max",
                value: self.p_max.to_string(),
                reason: "must be in (0, 1]",
            });
        }
        let p = self.p_values(data, names)?;
        let mut kept: Vec<usize> = (0..p.len()).filter(|&j| p[j] < self.p_max).collect();
        if kept.len() < self.min_keep {
            let mut order: Vec<usize> = (0..p.len()).filter(|&j| p[j].is_finite()).collect();
            order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
            kept = order.into_iter().take(self.min_keep).collect();
            kept.sort_unstable();
        }
        let dropped = (0..p.len())
            .filter(|j| !kept.contains(j))
            .map(|j| Dropped {
                column: j,
                name: names[j].clone(),
                step: "univariate",
                reason: if p[j].is_nan() {
                    "test undefined (all values tied)".to_string()
                } else {
                    format!("p = {} >= {}", p[j], self.p_max)
                },
            })
            .collect();
        Ok(ColumnSelection::new(data.n_cols(), kept, names, dropped))
    }
}

/// The correlation coefficient used by [`CorrelationParams`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CorrelationMethod {
    #[default]
    Pearson,
    Spearman,
}

/// Correlation pruning: among columns with |r| > `max_abs_r`, keep the one more associated with the outcome.
///
/// Association is |r(x, y)| with the 0/1 outcome (point-biserial for Pearson), using the same `method`. Columns
/// are visited from the most to the least associated (ties by column order) and a column is kept when its |r|
/// with every already kept column is at most `max_abs_r`; a dropped column's reason names the kept column it
/// correlates with. Default `max_abs_r` 0.9, Pearson.
///
/// # Examples
/// ```
/// use mmrad_core::Dataset;
/// use mmrad_selection::CorrelationParams;
/// use ndarray::Array2;
/// let x = Array2::from_shape_fn((12, 2), |(i, j)| i as f64 + if j == 1 { 0.01 * (i % 2) as f64 } else { 0.0 });
/// let y = ndarray::Array1::from_shape_fn(12, |i| (i >= 6) as u8 as f64);
/// let names = vec!["a".to_string(), "a_copy".to_string()];
/// let fitted = CorrelationParams::new().fit(&Dataset::new(x.view(), y.view())?, &names)?;
/// assert_eq!(fitted.kept().len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorrelationParams {
    pub max_abs_r: f64,
    pub method: CorrelationMethod,
}

impl Default for CorrelationParams {
    fn default() -> CorrelationParams {
        CorrelationParams {
            max_abs_r: 0.9,
            method: CorrelationMethod::Pearson,
        }
    }
}

impl CorrelationParams {
    pub fn new() -> CorrelationParams {
        CorrelationParams::default()
    }

    pub fn max_abs_r(mut self, r: f64) -> CorrelationParams {
        self.max_abs_r = r;
        self
    }

    pub fn method(mut self, method: CorrelationMethod) -> CorrelationParams {
        self.method = method;
        self
    }

    fn corr(&self, a: &[f64], b: &[f64]) -> f64 {
        let r = match self.method {
            CorrelationMethod::Pearson => mmrad_stats::pearson(a, b),
            CorrelationMethod::Spearman => mmrad_stats::spearman(a, b),
        };
        r.unwrap_or(f64::NAN)
    }

    /// # Errors
    /// [`Error::InvalidParam`] for `max_abs_r` outside (0, 1]; [`Error::NonFinite`] naming the column;
    /// [`Error::Outcome`].
    pub fn fit(&self, data: &Dataset<'_>, names: &[String]) -> Result<ColumnSelection> {
        if !(self.max_abs_r > 0.0 && self.max_abs_r <= 1.0) {
            return Err(Error::InvalidParam {
                name: "max_abs_r",
                value: self.max_abs_r.to_string(),
                reason: "must be in (0, 1]",
            });
        }
        check_data(data, names)?;
        let cols: Vec<Vec<f64>> = data.x.columns().into_iter().map(|c| c.to_vec()).collect();
        let y = data.y.to_vec();
        // A constant column has an undefined association: it goes last (and correlates with nothing).
        let assoc: Vec<f64> = cols
            .iter()
            .map(|c| self.corr(c, &y).abs())
            .map(|a| if a.is_nan() { -1.0 } else { a })
            .collect();
        let mut order: Vec<usize> = (0..cols.len()).collect();
        order.sort_by(|&a, &b| assoc[b].total_cmp(&assoc[a]).then(a.cmp(&b)));
        let mut kept: Vec<usize> = Vec::new();
        let mut dropped = Vec::new();
        for j in order {
            let clash = kept.iter().find_map(|&k| {
                let r = self.corr(&cols[j], &cols[k]);
                (r.abs() > self.max_abs_r).then_some((k, r))
            });
            match clash {
                Some((k, r)) => dropped.push(Dropped {
                    column: j,
                    name: names[j].clone(),
                    step: "correlation",
                    reason: format!(
                        "|r| = {} > {} with `{}` (more associated with the outcome)",
                        r.abs(),
                        self.max_abs_r,
                        names[k]
                    ),
                }),
                None => kept.push(j),
            }
        }
        kept.sort_unstable();
        dropped.sort_by_key(|d| d.column);
        Ok(ColumnSelection::new(data.n_cols(), kept, names, dropped))
    }
}
