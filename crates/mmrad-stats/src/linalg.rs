//! Small dense symmetric positive-definite algebra: Cholesky factorisation, solve and inverse.
//!
//! The matrices here are information matrices of a few dozen columns at most, so a plain right-looking
//! Cholesky in `f64` is accurate and fast; a pivot that is tiny relative to its original diagonal entry marks
//! the column as linearly dependent on the previous ones.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::{Error, Result};

/// Relative pivot below which a column counts as a linear combination of the previous ones.
///
/// The pivot of column `j` divided by the original diagonal entry is `1 - R²` of that column regressed on the
/// previous ones (in the metric of the matrix), so `1e-11` means `R² > 1 - 1e-11`.
pub const SINGULAR_RELATIVE_PIVOT: f64 = 1e-11;

/// The lower-triangular Cholesky factor `L` with `a = L Lᵀ`.
#[derive(Debug, Clone)]
pub struct Cholesky {
    lower: Array2<f64>,
}

impl Cholesky {
    /// Factorises a symmetric positive-definite matrix (only the lower triangle is read).
    ///
    /// # Errors
    /// [`Error::SingularDesign`] naming the first column whose relative pivot is below
    /// [`SINGULAR_RELATIVE_PIVOT`] (or not finite); [`Error::LengthMismatch`] for a non-square matrix.
    pub fn new(a: ArrayView2<'_, f64>) -> Result<Cholesky> {
        let n = a.nrows();
        crate::check_len("matrix columns", n, a.ncols())?;
        let mut lower = Array2::<f64>::zeros((n, n));
        for j in 0..n {
            let diag = a[[j, j]];
            let mut pivot = diag;
            for k in 0..j {
                pivot -= lower[[j, k]] * lower[[j, k]];
            }
            let relative_pivot = if diag > 0.0 { pivot / diag } else { 0.0 };
            if !(relative_pivot.is_finite() && relative_pivot > SINGULAR_RELATIVE_PIVOT) {
                return Err(Error::SingularDesign {
                    column: j,
                    relative_pivot,
                });
            }
            let l_jj = pivot.sqrt();
            lower[[j, j]] = l_jj;
            for i in (j + 1)..n {
                let mut s = a[[i, j]];
                for k in 0..j {
                    s -= lower[[i, k]] * lower[[j, k]];
                }
                lower[[i, j]] = s / l_jj;
            }
        }
        Ok(Cholesky { lower })
    }

    /// The factor `L`.
    pub fn lower(&self) -> ArrayView2<'_, f64> {
        self.lower.view()
    }

    /// Solves `a x = b`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `b` has the wrong length.
    pub fn solve(&self, b: ArrayView1<'_, f64>) -> Result<Array1<f64>> {
        let n = self.lower.nrows();
        crate::check_len("right-hand side", n, b.len())?;
        let mut x = b.to_owned();
        // Forward substitution L z = b.
        for i in 0..n {
            let mut s = x[i];
            for k in 0..i {
                s -= self.lower[[i, k]] * x[k];
            }
            x[i] = s / self.lower[[i, i]];
        }
        // Back substitution Lᵀ x = z.
        for i in (0..n).rev() {
            let mut s = x[i];
            for k in (i + 1)..n {
                s -= self.lower[[k, i]] * x[k];
            }
            x[i] = s / self.lower[[i, i]];
        }
        Ok(x)
    }

    /// The inverse `a⁻¹`, symmetric.
    pub fn inverse(&self) -> Array2<f64> {
        let n = self.lower.nrows();
        let mut inv = Array2::<f64>::zeros((n, n));
        let mut unit = Array1::<f64>::zeros(n);
        for j in 0..n {
            unit.fill(0.0);
            unit[j] = 1.0;
            // The length always matches, so this cannot fail.
            if let Ok(column) = self.solve(unit.view()) {
                inv.column_mut(j).assign(&column);
            }
        }
        // Symmetrise against rounding.
        for i in 0..n {
            for j in 0..i {
                let m = 0.5 * (inv[[i, j]] + inv[[j, i]]);
                inv[[i, j]] = m;
                inv[[j, i]] = m;
            }
        }
        inv
    }

    /// `log det a = 2 Σ log L_jj`.
    pub fn log_det(&self) -> f64 {
        2.0 * self.lower.diag().iter().map(|v| v.ln()).sum::<f64>()
    }
}

/// `Xᵀ diag(w) X` for a design `x` and non-negative weights `w`.
pub fn weighted_gram(x: ArrayView2<'_, f64>, w: ArrayView1<'_, f64>) -> Array2<f64> {
    let p = x.ncols();
    let mut gram = Array2::<f64>::zeros((p, p));
    for (row, &wi) in x.rows().into_iter().zip(w.iter()) {
        if wi == 0.0 {
            continue;
        }
        for a in 0..p {
            let xa = row[a] * wi;
            if xa == 0.0 {
                continue;
            }
            for b in 0..=a {
                gram[[a, b]] += xa * row[b];
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            gram[[b, a]] = gram[[a, b]];
        }
    }
    gram
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn solve_and_inverse_match_closed_form() {
        // a = [[4, 2], [2, 3]]: det 8, inverse [[3, -2], [-2, 4]] / 8.
        let a = array![[4.0, 2.0], [2.0, 3.0]];
        let chol = Cholesky::new(a.view()).unwrap();
        let x = chol.solve(array![2.0, 1.0].view()).unwrap();
        // 1e-15: exact arithmetic up to rounding.
        assert!((x[0] - 0.5).abs() < 1e-15 && x[1].abs() < 1e-15, "{x}");
        let inv = chol.inverse();
        let expected = array![[3.0, -2.0], [-2.0, 4.0]] / 8.0;
        assert!((&inv - &expected).iter().all(|d| d.abs() < 1e-15));
        assert!((chol.log_det() - 8f64.ln()).abs() < 1e-14);
    }

    #[test]
    fn dependent_column_is_named() {
        // Column 2 = column 0 + column 1.
        let x = array![[1.0, 0.0, 1.0], [1.0, 1.0, 2.0], [1.0, 2.0, 3.0], [1.0, 5.0, 6.0]];
        let gram = weighted_gram(x.view(), ndarray::Array1::ones(4).view());
        let err = Cholesky::new(gram.view()).unwrap_err();
        assert!(matches!(err, Error::SingularDesign { column: 2, .. }), "{err}");
    }
}
