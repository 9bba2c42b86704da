//! The power-user commands behind `mmrad eval` and `mmrad lasso`: metrics of prediction columns and a
//! glmnet-compatible penalised logistic fit of a table, with their CSV outputs.

use std::path::Path;

use ndarray::Array2;

use mmrad_core::Dataset;
use mmrad_modeling::{Family, LambdaRule, LassoParams};

use crate::cohort::{Cell, RawTable};
use crate::output::{Csv, Field};
use crate::{Error, Result, fit_error};

/// A table of numeric columns read from CSV / Parquet (no missing values allowed).
#[derive(Debug, Clone, PartialEq)]
pub struct NumericTable {
    pub names: Vec<String>,
    /// One vector per column.
    pub columns: Vec<Vec<f64>>,
}

impl NumericTable {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.names
            .iter()
            .position(|n| n == name)
            .and_then(|idx| self.columns.get(idx))
            .map(Vec::as_slice)
    }
}

/// Reads every column of a table except `skip`; each must be numeric and complete.
///
/// # Errors
/// [`Error::ReadTable`], [`Error::MissingValue`] or [`Error::NotNumeric`] naming the column and row.
pub fn read_numeric(path: &Path, skip: &[&str]) -> Result<NumericTable> {
    let raw = RawTable::read(path)?;
    let mut names = Vec::new();
    let mut columns = Vec::new();
    for name in raw.names.clone() {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let mut column = Vec::new();
        for (row, cell) in raw.cells(&name)?.into_iter().enumerate() {
            match cell {
                Cell::Value(v) => column.push(v),
                Cell::Missing => {
                    return Err(Error::MissingValue {
                        table: raw.label.clone(),
                        column: name.clone(),
                        case: format!("row {}", row + 1),
                    });
                }
                Cell::Text(value) => {
                    return Err(Error::NotNumeric {
                        table: raw.label.clone(),
                        column: name.clone(),
                        case: format!("row {}", row + 1),
                        value,
                    });
                }
            }
        }
        names.push(name);
        columns.push(column);
    }
    Ok(NumericTable { names, columns })
}

/// Column names of a table.
///
/// # Errors
/// [`Error::ReadTable`].
pub fn column_names(path: &Path) -> Result<Vec<String>> {
    Ok(RawTable::read(path)?.names)
}

/// A repeated `case_id` means a row was pasted twice or two tables were joined wrongly: both would weigh that patient
/// twice in the fit, so it is an error naming the id.
fn unique_case_ids(path: &Path) -> Result<()> {
    let raw = RawTable::read(path)?;
    let mut seen = std::collections::BTreeSet::new();
    for cell in raw.cells("case_id")? {
        let id = match cell {
            Cell::Value(v) => v.to_string(),
            Cell::Text(text) => text,
            Cell::Missing => continue,
        };
        if !seen.insert(id.clone()) {
            return Err(Error::DuplicateCase {
                table: raw.label,
                case: id,
            });
        }
    }
    Ok(())
}

fn outcome_of(table: &NumericTable, label: &str, column: &str) -> Result<Vec<bool>> {
    let values = table.column(column).ok_or_else(|| Error::MissingColumn {
        table: label.to_owned(),
        column: column.to_owned(),
    })?;
    values
        .iter()
        .enumerate()
        .map(|(row, &v)| {
            if v == 0.0 || v == 1.0 {
                Ok(v == 1.0)
            } else {
                Err(Error::NonBinaryOutcome {
                    table: label.to_owned(),
                    column: column.to_owned(),
                    case: format!("row {}", row + 1),
                    value: v.to_string(),
                })
            }
        })
        .collect()
}

/// `mmrad eval`: one metrics row per score column, and paired DeLong tests between every two score columns.
pub struct EvalOutput {
    /// `score,n,events,auc,auc_lo,auc_hi,brier,brier_scaled,cal_intercept,cal_intercept_free,cal_slope,hl_p`.
    pub metrics_csv: String,
    /// `a,b,auc_a,auc_b,auc_diff,z,p` (header only for a single score).
    pub pairs_csv: String,
}

/// Evaluates score columns of a predictions table against an outcome column.
///
/// # Errors
/// Table errors; [`Error::Fit`] when a metric cannot be computed (e.g. one outcome class, a score outside [0, 1]).
pub fn eval_file(path: &Path, outcome: &str, scores: &[String], groups: usize) -> Result<EvalOutput> {
    let label = path.display().to_string();
    let mut wanted: Vec<&str> = vec![outcome];
    wanted.extend(scores.iter().map(String::as_str));
    let all = column_names(path)?;
    for name in &wanted {
        if !all.iter().any(|n| n == name) {
            return Err(Error::MissingColumn {
                table: label,
                column: (*name).to_owned(),
            });
        }
    }
    let skip: Vec<&str> = all
        .iter()
        .map(String::as_str)
        .filter(|n| !wanted.contains(n))
        .collect();
    let table = read_numeric(path, &skip)?;
    let y = outcome_of(&table, &label, outcome)?;
    let mut metrics = Csv::new(&[
        "score",
        "n",
        "events",
        "auc",
        "auc_lo",
        "auc_hi",
        "brier",
        "brier_scaled",
        "cal_intercept",
        "cal_intercept_free",
        "cal_slope",
        "hl_p",
    ]);
    let options = mmrad_evaluation::SummaryOptions { groups };
    for name in scores {
        let s = table.column(name).unwrap_or(&[]);
        let m = mmrad_evaluation::summarize_with_options(s, &y, &options)
            .map_err(|e| fit_error(format!("score `{name}`"), e))?;
        metrics.row(vec![
            name.as_str().into(),
            m.n.into(),
            m.events.into(),
            m.auc.into(),
            m.auc_lo.into(),
            m.auc_hi.into(),
            m.brier.into(),
            m.brier_scaled.into(),
            m.cal_intercept.into(),
            m.cal_intercept_free.into(),
            m.cal_slope.into(),
            m.hl_p.into(),
        ]);
    }
    let mut pairs = Csv::new(&["a", "b", "auc_a", "auc_b", "auc_diff", "z", "p"]);
    for (i, a) in scores.iter().enumerate() {
        for b in scores.iter().skip(i + 1) {
            let (sa, sb) = (table.column(a).unwrap_or(&[]), table.column(b).unwrap_or(&[]));
            let d = mmrad_evaluation::delong_paired(sa, sb, &y)
                .map_err(|e| fit_error(format!("paired DeLong `{a}` vs `{b}`"), e))?;
            pairs.row(vec![
                a.as_str().into(),
                b.as_str().into(),
                d.auc_a.into(),
                d.auc_b.into(),
                d.diff.into(),
                d.z.into(),
                d.p.into(),
            ]);
        }
    }
    Ok(EvalOutput {
        metrics_csv: metrics.as_str().to_owned(),
        pairs_csv: pairs.as_str().to_owned(),
    })
}

/// Options of `mmrad lasso`.
#[derive(Debug, Clone)]
pub struct LassoOptions {
    pub outcome: String,
    pub foldid: Option<String>,
    /// Columns that are not predictors (ids).
    pub skip: Vec<String>,
    pub alpha: f64,
    /// `min`, `1se` or a number.
    pub lambda_rule: String,
    pub gaussian: bool,
    pub nfolds: usize,
    pub seed: u64,
}

/// `mmrad lasso` results.
pub struct LassoOutput {
    /// `term,coef,lambda`, intercept first as `(Intercept)`, original scale.
    pub coef_csv: String,
    /// `lambda,df,dev_ratio,cvm,cvsd` (cv columns empty without CV).
    pub path_csv: String,
    pub lambda: f64,
    pub lambda_min: Option<f64>,
    pub lambda_1se: Option<f64>,
}

/// Fits a LASSO / elastic net on every numeric column of a table except the outcome, fold id and skipped columns.
///
/// # Errors
/// Table errors; [`Error::Fit`] with the estimator's message (bad λ rule, one-class outcome, ...).
pub fn lasso_file(path: &Path, options: &LassoOptions) -> Result<LassoOutput> {
    let label = path.display().to_string();
    let all = column_names(path)?;
    let mut skip: Vec<&str> = options.skip.iter().map(String::as_str).collect();
    if all.iter().any(|n| n == "case_id") && !skip.contains(&"case_id") {
        skip.push("case_id");
    }
    // A misspelt `--skip` would silently turn the column into a predictor.
    for required in std::iter::once(&options.outcome)
        .chain(options.foldid.as_ref())
        .chain(options.skip.iter())
    {
        if !all.iter().any(|n| n == required) {
            return Err(Error::MissingColumn {
                table: label,
                column: required.clone(),
            });
        }
    }
    if all.iter().any(|n| n == "case_id") {
        unique_case_ids(path)?;
    }
    let table = read_numeric(path, &skip)?;
    let y = outcome_of(&table, &label, &options.outcome)?;
    let n_events = y.iter().filter(|&&event| event).count();
    if n_events == 0 || n_events == y.len() {
        return Err(Error::OneClass {
            column: options.outcome.clone(),
            events: n_events,
            n: y.len(),
        });
    }
    let predictors: Vec<usize> = (0..table.names.len())
        .filter(|&j| table.names[j] != options.outcome && Some(&table.names[j]) != options.foldid.as_ref())
        .collect();
    let n = y.len();
    let varies = |column: &[f64]| column.iter().any(|&v| Some(&v) != column.first());
    if !predictors.iter().any(|&j| varies(&table.columns[j])) {
        return Err(Error::NoFeatures { table: label });
    }
    let x = Array2::from_shape_fn((n, predictors.len()), |(i, j)| table.columns[predictors[j]][i]);
    let y_f: ndarray::Array1<f64> = y.iter().map(|&e| f64::from(u8::from(e))).collect();
    let data = Dataset::new(x.view(), y_f.view()).map_err(|e| fit_error("lasso", e))?;
    let rule = match options.lambda_rule.as_str() {
        "min" => LambdaRule::Min,
        "1se" => LambdaRule::OneSe,
        other => match other.parse::<f64>() {
            Ok(v) if v > 0.0 && v.is_finite() => LambdaRule::Value(v),
            _ => {
                return Err(fit_error(
                    "--lambda-rule",
                    format!("`{other}` is not `min`, `1se` or a positive number"),
                ));
            }
        },
    };
    let params = if options.gaussian {
        LassoParams::gaussian()
    } else {
        LassoParams::binomial()
    }
    .family(if options.gaussian {
        Family::Gaussian
    } else {
        Family::Binomial
    })
    .alpha(options.alpha)
    .lambda_rule(rule)
    .inner_folds(options.nfolds)
    .check()
    .map_err(|e| fit_error("lasso", e))?;
    let foldid: Option<Vec<usize>> = match &options.foldid {
        Some(col) => {
            let values = table.column(col).unwrap_or(&[]);
            Some(
                values
                    .iter()
                    .enumerate()
                    .map(|(row, &v)| {
                        if v >= 0.0 && v.fract() == 0.0 && v < 1e9 {
                            Ok(v as usize)
                        } else {
                            Err(Error::NotNumeric {
                                table: label.clone(),
                                column: col.clone(),
                                case: format!("row {}", row + 1),
                                value: v.to_string(),
                            })
                        }
                    })
                    .collect::<Result<_>>()?,
            )
        }
        None => None,
    };
    let fitted = match (&foldid, rule) {
        (Some(f), _) => params.fit_cv(&data, f),
        (None, LambdaRule::Value(v)) => params.fit_at(&data, v),
        (None, _) => params.fit_cv_seeded(&data, &mut mmrad_core::SeededRng::new(options.seed)),
    }
    .map_err(|e| fit_error("lasso", e))?;

    let mut coef = Csv::new(&["term", "coef", "lambda"]);
    coef.row(vec![
        "(Intercept)".into(),
        fitted.intercept().into(),
        fitted.lambda().into(),
    ]);
    for (k, &j) in predictors.iter().enumerate() {
        let b = fitted.coefficients().get(k).copied().unwrap_or(f64::NAN);
        coef.row(vec![
            table.names[j].as_str().into(),
            b.into(),
            fitted.lambda().into(),
        ]);
    }
    let mut path_csv = Csv::new(&["lambda", "df", "dev_ratio", "cvm", "cvsd"]);
    let path_fit = fitted.path();
    let cv = fitted.cv_table();
    for (k, &lambda) in path_fit.lambdas.iter().enumerate() {
        let (cvm, cvsd) = match cv {
            Some(t) => match t.lambdas.iter().position(|l| *l == lambda) {
                Some(idx) => (Field::Float(t.cvm[idx]), Field::Float(t.cvsd[idx])),
                None => (Field::Empty, Field::Empty),
            },
            None => (Field::Empty, Field::Empty),
        };
        path_csv.row(vec![
            lambda.into(),
            path_fit.df.get(k).copied().unwrap_or(0).into(),
            path_fit.dev_ratio.get(k).copied().unwrap_or(f64::NAN).into(),
            cvm,
            cvsd,
        ]);
    }
    Ok(LassoOutput {
        coef_csv: coef.as_str().to_owned(),
        path_csv: path_csv.as_str().to_owned(),
        lambda: fitted.lambda(),
        lambda_min: fitted.lambda_min(),
        lambda_1se: fitted.lambda_1se(),
    })
}
