//! Cross-validation of a LASSO path: fold fits on the full-data λ sequence, per-λ mean and standard error of the
//! loss, and cv.glmnet's λ.min / λ.1se picks.

use ndarray::{Array1, ArrayView1, ArrayView2, Axis};

use crate::numeric::sigmoid;
use crate::standardise::StandardiserParams;
use crate::{Error, Result};

use super::{Family, LassoPath, ValidLassoParams};

/// The CV curve: per λ the mean loss (`cvm`) and its standard error (`cvsd`), with the picks.
///
/// Binomial (cv.glmnet, `type.measure = "deviance"`, `grouped = TRUE`, `alignment = "lambda"`): every training
/// fold fits its own default λ sequence (as cv.glmnet documents: "done for the full model (master sequence), and
/// separately for each fold") and is evaluated at the master λ values by linear interpolation in λ; the loss of a held-out case is
/// −2[y log p + (1−y) log(1−p)] with p clipped to [1e-5, 1 − 1e-5]; each fold's mean loss is averaged with the
/// fold sizes as weights (`cvm`), and `cvsd` = sqrt(Σ_k n_k (m_k − cvm)² / N / (K − 1)).
/// Gaussian (scikit-learn `LassoCV`): the loss is the squared error; `cvm` is the unweighted mean of the fold means
/// (`mse_path_.mean(axis=1)`), and `cvsd` the sample sd of the fold means over sqrt(K) (scikit-learn reports none).
/// λ.min is the largest λ with the smallest `cvm`; λ.1se the largest λ with `cvm` ≤ `cvm + cvsd` at λ.min.
#[derive(Debug, Clone, PartialEq)]
pub struct CvTable {
    pub lambdas: Vec<f64>,
    pub cvm: Vec<f64>,
    pub cvsd: Vec<f64>,
    /// Non-zero coefficients of the full-data fit at each λ.
    pub nzero: Vec<usize>,
    pub lambda_min: f64,
    pub lambda_1se: f64,
    pub index_min: usize,
    pub index_1se: usize,
    /// The fold id of each row as used (labels as given).
    pub foldid: Vec<usize>,
}

const PROB_MIN: f64 = 1e-5;

pub(super) fn cross_validate(
    params: &ValidLassoParams,
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    foldid: &[usize],
) -> Result<(LassoPath, CvTable)> {
    let n = x.nrows();
    if foldid.len() != n {
        return Err(Error::Shape {
            what: "fold ids",
            expected: n,
            found: foldid.len(),
        });
    }
    let mut labels: Vec<usize> = foldid.to_vec();
    labels.sort_unstable();
    labels.dedup();
    if labels.len() < 3 {
        return Err(Error::BadFolds {
            fold: labels.len(),
            reason: "need at least 3 folds",
        });
    }
    let family = params.0.family;
    // Gaussian with standardisation: scale once on all rows, then cross-validate unscaled (scikit-learn pipeline).
    let (work_x, scaler) = if family == Family::Gaussian && params.0.standardize {
        let s = StandardiserParams::new().fit(x)?;
        (s.transform(x)?, Some(s))
    } else {
        (x.to_owned(), None)
    };
    let fit_params = if scaler.is_some() {
        ValidLassoParams(super::LassoParams {
            standardize: false,
            ..params.0.clone()
        })
    } else {
        params.clone()
    };
    let mut path = fit_params.path(work_x.view(), y, None)?;
    let lambdas = path.lambdas.clone();
    let m = lambdas.len();
    let mut fold_means: Vec<Vec<f64>> = Vec::with_capacity(labels.len());
    let mut fold_sizes: Vec<f64> = Vec::with_capacity(labels.len());
    for &label in &labels {
        let train: Vec<usize> = (0..n).filter(|&i| foldid[i] != label).collect();
        let test: Vec<usize> = (0..n).filter(|&i| foldid[i] == label).collect();
        let xt = work_x.select(Axis(0), &train);
        let yt: Array1<f64> = y.select(Axis(0), &train);
        if family == Family::Binomial {
            let events = yt.iter().filter(|&&v| v == 1.0).count();
            if events == 0 || events == train.len() {
                return Err(Error::BadFolds {
                    fold: label,
                    reason: "training rows outside this fold have a single class",
                });
            }
        }
        // Binomial (cv.glmnet, alignment = "lambda"): each fold fits its own default λ sequence and is predicted
        // at the master λ values by linear interpolation of its coefficients in λ (predict.glmnet with
        // exact = FALSE). Gaussian (scikit-learn LassoCV): each fold fits the master sequence.
        let fold_path = match family {
            Family::Binomial => interpolate_path(&fit_params.path(xt.view(), yt.view(), None)?, &lambdas),
            Family::Gaussian => fit_params.path(xt.view(), yt.view(), Some(&lambdas))?,
        };
        let xv = work_x.select(Axis(0), &test);
        let eta = xv.dot(&fold_path.coefs);
        let mut means = vec![0.0; m];
        for k in 0..m {
            let mut total = 0.0;
            for (r, &i) in test.iter().enumerate() {
                let e = eta[[r, k]] + fold_path.intercepts[k];
                let yi = y[i];
                total += match family {
                    Family::Binomial => {
                        let pr = sigmoid(e).clamp(PROB_MIN, 1.0 - PROB_MIN);
                        -2.0 * (yi * pr.ln() + (1.0 - yi) * (1.0 - pr).ln())
                    }
                    Family::Gaussian => (yi - e) * (yi - e),
                };
            }
            means[k] = total / test.len() as f64;
        }
        fold_means.push(means);
        fold_sizes.push(test.len() as f64);
    }
    let n_folds = labels.len() as f64;
    let mut cvm = vec![0.0; m];
    let mut cvsd = vec![0.0; m];
    for k in 0..m {
        match family {
            Family::Binomial => {
                let total: f64 = fold_sizes.iter().sum();
                let mean = fold_means
                    .iter()
                    .zip(&fold_sizes)
                    .map(|(f, w)| f[k] * w)
                    .sum::<f64>()
                    / total;
                let var = fold_means
                    .iter()
                    .zip(&fold_sizes)
                    .map(|(f, w)| w * (f[k] - mean).powi(2))
                    .sum::<f64>()
                    / total
                    / (n_folds - 1.0);
                cvm[k] = mean;
                cvsd[k] = var.sqrt();
            }
            Family::Gaussian => {
                let mean = fold_means.iter().map(|f| f[k]).sum::<f64>() / n_folds;
                let var = fold_means.iter().map(|f| (f[k] - mean).powi(2)).sum::<f64>() / (n_folds - 1.0);
                cvm[k] = mean;
                cvsd[k] = (var / n_folds).sqrt();
            }
        }
    }
    let min = cvm.iter().copied().fold(f64::INFINITY, f64::min);
    let index_min = cvm.iter().position(|&v| v <= min).unwrap_or(0);
    let bound = cvm[index_min] + cvsd[index_min];
    let index_1se = cvm.iter().position(|&v| v <= bound).unwrap_or(index_min);
    if let Some(s) = &scaler {
        rescale_path(
            &mut path,
            s.means().as_slice().unwrap_or(&[]),
            s.sds().as_slice().unwrap_or(&[]),
        );
    }
    let table = CvTable {
        nzero: path.df.clone(),
        lambda_min: lambdas[index_min],
        lambda_1se: lambdas[index_1se],
        index_min,
        index_1se,
        lambdas,
        cvm,
        cvsd,
        foldid: foldid.to_vec(),
    };
    Ok((path, table))
}

/// Coefficients of `path` at the values `at`, linearly interpolated in λ between neighbouring path values and
/// held at the ends outside the path's range.
fn interpolate_path(path: &LassoPath, at: &[f64]) -> LassoPath {
    let p = path.coefs.nrows();
    let m = path.lambdas.len();
    let mut coefs = ndarray::Array2::zeros((p, at.len()));
    let mut intercepts = Vec::with_capacity(at.len());
    for (k, &s) in at.iter().enumerate() {
        // (left, right, weight of left)
        let (left, right, frac) = if m == 1 || s >= path.lambdas[0] {
            (0, 0, 1.0)
        } else if s <= path.lambdas[m - 1] {
            (m - 1, m - 1, 1.0)
        } else {
            let right = path.lambdas.iter().position(|&l| l < s).unwrap_or(m - 1);
            let left = right.saturating_sub(1);
            let (ll, lr) = (path.lambdas[left], path.lambdas[right]);
            (left, right, (s - lr) / (ll - lr))
        };
        for j in 0..p {
            coefs[[j, k]] = frac * path.coefs[[j, left]] + (1.0 - frac) * path.coefs[[j, right]];
        }
        intercepts.push(frac * path.intercepts[left] + (1.0 - frac) * path.intercepts[right]);
    }
    LassoPath {
        lambdas: at.to_vec(),
        intercepts,
        df: (0..at.len())
            .map(|k| coefs.column(k).iter().filter(|c| **c != 0.0).count())
            .collect(),
        coefs,
        dev_ratio: vec![f64::NAN; at.len()],
        converged: vec![path.converged.iter().all(|c| *c); at.len()],
        null_deviance: path.null_deviance,
        constant_columns: path.constant_columns.clone(),
    }
}

/// Maps a path fitted on (x − mean)/sd back to the scale of x.
fn rescale_path(path: &mut LassoPath, means: &[f64], sds: &[f64]) {
    for k in 0..path.lambdas.len() {
        let mut b0 = path.intercepts[k];
        for (j, (m, s)) in means.iter().zip(sds).enumerate() {
            let b = path.coefs[[j, k]] / s;
            path.coefs[[j, k]] = b;
            b0 -= b * m;
        }
        path.intercepts[k] = b0;
    }
}
