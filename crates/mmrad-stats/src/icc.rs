//! Intraclass correlation coefficients (Shrout & Fleiss 1979; McGraw & Wong 1996) from a subjects × raters
//! matrix, e.g. one radiomic feature extracted from repeated segmentations of each lesion.
//!
//! With `n` subjects (rows), `k` raters (columns) and the two-way ANOVA mean squares `MSR` (rows), `MSC`
//! (columns), `MSE` (residual) and the one-way within-subject mean square `MSW`:
//!
//! | model | single rater | average of k raters | F |
//! |---|---|---|---|
//! | `OneWay` (ICC1) | `(MSR - MSW) / (MSR + (k-1) MSW)` | `(MSR - MSW) / MSR` | `MSR / MSW` on `(n-1, n(k-1))` |
//! | `TwoWayAgreement` (ICC2) | `(MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n)` | `(MSR - MSE) / (MSR + (MSC - MSE) / n)` | `MSR / MSE` on `(n-1, (n-1)(k-1))` |
//! | `TwoWayConsistency` (ICC3) | `(MSR - MSE) / (MSR + (k-1) MSE)` | `(MSR - MSE) / MSR` | `MSR / MSE` on `(n-1, (n-1)(k-1))` |
//!
//! These are pingouin's `ICC1/ICC2/ICC3` and `ICC1k/ICC2k/ICC3k`, and R `irr::icc` / `psych::ICC`.

use ndarray::ArrayView2;
use statrs::distribution::{ContinuousCDF, FisherSnedecor};

use crate::{Error, Result};

/// Which intraclass correlation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IccModel {
    /// ICC(1): one-way random effects, absolute agreement.
    OneWay,
    /// ICC(2): two-way random effects, absolute agreement (the usual choice for segmentation reproducibility).
    TwoWayAgreement,
    /// ICC(3): two-way mixed effects, consistency.
    TwoWayConsistency,
}

/// An intraclass correlation with its F test of `ICC = 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Icc {
    /// Reliability of a single rater.
    pub single: f64,
    /// Reliability of the mean of the `k` raters.
    pub average: f64,
    pub f: f64,
    pub df1: f64,
    pub df2: f64,
    /// One-sided p value `P(F > f)`.
    pub p: f64,
}

/// The intraclass correlation of `ratings` (rows = subjects, columns = raters / repeats).
///
/// # Errors
/// [`Error::TooFew`] for fewer than 2 subjects or 2 raters, [`Error::NonFinite`] for a NaN/infinite rating
/// (row-major index), [`Error::InvalidArgument`] when the residual mean square is zero (for example all
/// ratings equal), which leaves the ICC undefined.
///
/// # Examples
/// ```
/// use mmrad_stats::icc::{IccModel, icc};
/// let ratings = ndarray::array![[9.0, 2.0, 5.0, 8.0], [6.0, 1.0, 3.0, 2.0], [8.0, 4.0, 6.0, 8.0],
///     [7.0, 1.0, 2.0, 6.0], [10.0, 5.0, 6.0, 9.0], [6.0, 2.0, 4.0, 7.0]];
/// // Shrout & Fleiss (1979), Table 2: ICC(2,1) = 0.29, ICC(3,1) = 0.71.
/// assert!((icc(ratings.view(), IccModel::TwoWayAgreement)?.single - 0.29).abs() < 0.005);
/// assert!((icc(ratings.view(), IccModel::TwoWayConsistency)?.single - 0.71).abs() < 0.005);
/// # Ok::<(), mmrad_stats::Error>(())
/// ```
pub fn icc(ratings: ArrayView2<'_, f64>, model: IccModel) -> Result<Icc> {
    let (n_subjects, n_raters) = ratings.dim();
    if n_subjects < 2 {
        return Err(Error::TooFew {
            what: "subjects (rows)",
            needed: 2,
            found: n_subjects,
        });
    }
    if n_raters < 2 {
        return Err(Error::TooFew {
            what: "raters (columns)",
            needed: 2,
            found: n_raters,
        });
    }
    if let Some((index, value)) = ratings.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "ratings",
            index,
            value: *value,
        });
    }
    let (n, k) = (n_subjects as f64, n_raters as f64);
    let grand_mean = ratings.iter().sum::<f64>() / (n * k);
    let row_means: Vec<f64> = ratings
        .rows()
        .into_iter()
        .map(|r| r.iter().sum::<f64>() / k)
        .collect();
    let col_means: Vec<f64> = ratings
        .columns()
        .into_iter()
        .map(|c| c.iter().sum::<f64>() / n)
        .collect();
    let ss_rows = k * row_means.iter().map(|m| (m - grand_mean).powi(2)).sum::<f64>();
    let ss_cols = n * col_means.iter().map(|m| (m - grand_mean).powi(2)).sum::<f64>();
    let mut ss_error = 0.0;
    for (i, row) in ratings.rows().into_iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            ss_error += (x - row_means[i] - col_means[j] + grand_mean).powi(2);
        }
    }
    let ms_rows = ss_rows / (n - 1.0);
    let ms_cols = ss_cols / (k - 1.0);
    let ms_error = ss_error / ((n - 1.0) * (k - 1.0));
    let ms_within = (ss_cols + ss_error) / (n * (k - 1.0));
    let denominator_ms = if model == IccModel::OneWay {
        ms_within
    } else {
        ms_error
    };
    if denominator_ms.is_nan() || denominator_ms <= 0.0 {
        return Err(Error::InvalidArgument {
            name: "ratings",
            value: denominator_ms,
            reason: "have zero residual variance, so the intraclass correlation is undefined",
        });
    }
    let (single, average, df2) = match model {
        IccModel::OneWay => (
            (ms_rows - ms_within) / (ms_rows + (k - 1.0) * ms_within),
            (ms_rows - ms_within) / ms_rows,
            n * (k - 1.0),
        ),
        IccModel::TwoWayAgreement => (
            (ms_rows - ms_error) / (ms_rows + (k - 1.0) * ms_error + k * (ms_cols - ms_error) / n),
            (ms_rows - ms_error) / (ms_rows + (ms_cols - ms_error) / n),
            (n - 1.0) * (k - 1.0),
        ),
        IccModel::TwoWayConsistency => (
            (ms_rows - ms_error) / (ms_rows + (k - 1.0) * ms_error),
            (ms_rows - ms_error) / ms_rows,
            (n - 1.0) * (k - 1.0),
        ),
    };
    let f = ms_rows / denominator_ms;
    let df1 = n - 1.0;
    let dist = FisherSnedecor::new(df1, df2).map_err(|_| Error::InvalidArgument {
        name: "df",
        value: df2,
        reason: "must be > 0",
    })?;
    Ok(Icc {
        single,
        average,
        f,
        df1,
        df2,
        p: dist.sf(f),
    })
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn degenerate_input() {
        let one_row = array![[1.0, 2.0]];
        assert!(matches!(
            icc(one_row.view(), IccModel::OneWay),
            Err(Error::TooFew {
                needed: 2,
                found: 1,
                ..
            })
        ));
        let constant = array![[1.0, 1.0], [1.0, 1.0]];
        assert!(matches!(
            icc(constant.view(), IccModel::TwoWayAgreement),
            Err(Error::InvalidArgument { .. })
        ));
        let nan = array![[1.0, 2.0], [f64::NAN, 1.0]];
        assert!(matches!(
            icc(nan.view(), IccModel::OneWay),
            Err(Error::NonFinite { index: 2, .. })
        ));
    }

    #[test]
    fn perfect_agreement_is_one() {
        // Raters agree exactly up to noise-free identity: ICC = 1 is approached; with tiny noise, above 0.999.
        let ratings = array![[1.0, 1.001], [2.0, 2.0], [3.0, 2.999], [4.0, 4.0]];
        for model in [
            IccModel::OneWay,
            IccModel::TwoWayAgreement,
            IccModel::TwoWayConsistency,
        ] {
            assert!(icc(ratings.view(), model).unwrap().single > 0.999);
        }
    }
}
