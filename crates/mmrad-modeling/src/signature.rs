//! Rad-scores (the LASSO linear predictor of one modality), the fusion model (logistic regression on the
//! modality rad-scores) and the clinical model (univariate screen, then multivariable logistic regression with all
//! screened terms or backward elimination by AIC).

use ndarray::{Array1, ArrayView2, Axis};

use mmrad_core::Dataset;

use crate::lasso::FittedLasso;
use crate::logistic::{
    CiMethod, FittedLogistic, LogisticParams, ValidLogisticParams, ml_fit, with_intercept,
};
use crate::numeric::{check_binary, check_matrix};
use crate::{Error, Result};

/// The rad-score of one modality: β₀ + xβ of a fitted LASSO on that modality's (selected) feature columns.
#[derive(Debug, Clone, PartialEq)]
pub struct RadScore {
    name: String,
    features: Vec<String>,
    lasso: FittedLasso,
}

impl RadScore {
    /// Names the score (usually the modality) and the feature columns the LASSO was fitted on.
    ///
    /// # Errors
    /// [`Error::Shape`] when the number of names differs from the number of coefficients.
    pub fn new(name: &str, features: Vec<String>, lasso: FittedLasso) -> Result<RadScore> {
        if features.len() != lasso.coefficients().len() {
            return Err(Error::Shape {
                what: "rad-score feature names",
                expected: lasso.coefficients().len(),
                found: features.len(),
            });
        }
        Ok(RadScore {
            name: name.to_string(),
            features,
            lasso,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn lasso(&self) -> &FittedLasso {
        &self.lasso
    }

    /// (feature, coefficient) for each non-zero coefficient, in column order.
    pub fn signature(&self) -> Vec<(String, f64)> {
        self.lasso
            .nonzero()
            .into_iter()
            .map(|j| (self.features[j].clone(), self.lasso.coefficients()[j]))
            .collect()
    }

    /// The rad-score of each row of `x` (the same columns as in fitting).
    ///
    /// # Errors
    /// As [`FittedLasso::linear_predictor`].
    pub fn score(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        self.lasso.linear_predictor(x)
    }
}

/// Fusion: logistic regression of the outcome on one rad-score column per modality.
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `logistic` | [`LogisticParams::new`] with Wald intervals | the fit of the fusion model |
///
/// # Examples
/// ```
/// use mmrad_core::Dataset;
/// use mmrad_modeling::FusionParams;
/// use ndarray::{Array1, Array2};
/// let scores = Array2::from_shape_fn((30, 2), |(i, j)| ((i * (j + 3)) % 7) as f64 - 3.0 + (i % 2) as f64);
/// let y = Array1::from_shape_fn(30, |i| (i % 2) as f64);
/// let data = Dataset::new(scores.view(), y.view())?;
/// let fusion = FusionParams::new().fit(&data, &["CT", "MR"])?;
/// assert_eq!(fusion.predict_proba(scores.view())?.len(), 30);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusionParams {
    logistic: LogisticParams,
}

/// A fitted fusion model.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedFusion {
    modalities: Vec<String>,
    model: FittedLogistic,
}

impl Default for FusionParams {
    fn default() -> FusionParams {
        FusionParams {
            logistic: LogisticParams::new().ci(CiMethod::Wald),
        }
    }
}

impl FusionParams {
    pub fn new() -> FusionParams {
        FusionParams::default()
    }

    pub fn logistic(mut self, logistic: LogisticParams) -> FusionParams {
        self.logistic = logistic;
        self
    }

    /// Fits on a (rows × modalities) matrix of rad-scores.
    ///
    /// # Errors
    /// As [`ValidLogisticParams::fit_named`].
    pub fn fit(&self, scores: &Dataset<'_>, modalities: &[&str]) -> Result<FittedFusion> {
        let model = self.logistic.check()?.fit_named(scores, modalities)?;
        Ok(FittedFusion {
            modalities: modalities.iter().map(|s| s.to_string()).collect(),
            model,
        })
    }
}

impl FittedFusion {
    pub fn modalities(&self) -> &[String] {
        &self.modalities
    }

    pub fn model(&self) -> &FittedLogistic {
        &self.model
    }

    /// The fusion linear predictor (the fusion score on the logit scale).
    ///
    /// # Errors
    /// As [`FittedLogistic::linear_predictor`].
    pub fn linear_predictor(&self, scores: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        self.model.linear_predictor(scores)
    }

    /// P(event | rad-scores).
    ///
    /// # Errors
    /// As [`FittedLogistic::predict_proba`].
    pub fn predict_proba(&self, scores: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        self.model.predict_proba(scores)
    }
}

/// How the clinical model chooses among the screened candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selection {
    /// All screened terms enter together.
    #[default]
    Enter,
    /// Backward elimination by AIC from the screened terms, as R `step(direction = "backward")`: drop the term
    /// whose removal lowers AIC most, while some removal lowers it.
    BackwardAic,
}

/// Clinical model: univariate screen, then multivariable logistic regression.
///
/// Each candidate enters a univariate logistic regression; it passes the screen when its Wald p value is below
/// `p_max` (use 1 to keep every candidate). The passing terms, in candidate order, are then fitted together
/// ([`Selection::Enter`]) or reduced by backward AIC ([`Selection::BackwardAic`]). When no candidate passes, the
/// model is intercept-only (recorded in [`FittedClinical::screen`]).
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `p_max` | 0.05 | univariate Wald p threshold | (0, 1] |
/// | `selection` | [`Selection::Enter`] | enter or backward AIC | |
/// | `logistic` | [`LogisticParams::new`] (profile CI) | the final fit | |
///
/// # Examples
/// ```
/// use mmrad_core::Dataset;
/// use mmrad_modeling::{ClinicalParams, ClinicalSelection};
/// use ndarray::{Array1, Array2};
/// let x = Array2::from_shape_fn((40, 2), |(i, j)| if j == 0 { (i % 2) as f64 * 2.0 + (i % 5) as f64 } else { (i % 7) as f64 });
/// let y = Array1::from_shape_fn(40, |i| ((i % 2 == 1) ^ (i % 9 == 0)) as u8 as f64);
/// let data = Dataset::new(x.view(), y.view())?;
/// let clinical = ClinicalParams::new().p_max(0.2).selection(ClinicalSelection::BackwardAic).check()?.fit(&data, &["er", "age"])?;
/// assert_eq!(clinical.terms(), &["er".to_string()]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClinicalParams {
    p_max: f64,
    selection: Selection,
    logistic: LogisticParams,
}

/// Checked [`ClinicalParams`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidClinicalParams(ClinicalParams);

/// One candidate's univariate screen result.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenResult {
    pub term: String,
    pub coef: f64,
    pub p: f64,
    pub passed: bool,
}

/// A fitted clinical model.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedClinical {
    screen: Vec<ScreenResult>,
    columns: Vec<usize>,
    terms: Vec<String>,
    /// AIC after each backward step (first = the screened model).
    aic_path: Vec<(Option<String>, f64)>,
    model: FittedLogistic,
}

impl Default for ClinicalParams {
    fn default() -> ClinicalParams {
        ClinicalParams {
            p_max: 0.05,
            selection: Selection::Enter,
            logistic: LogisticParams::new(),
        }
    }
}

impl ClinicalParams {
    pub fn new() -> ClinicalParams {
        ClinicalParams::default()
    }

    pub fn p_max(mut self, p_max: f64) -> ClinicalParams {
        self.p_max = p_max;
        self
    }

    pub fn selection(mut self, selection: Selection) -> ClinicalParams {
        self.selection = selection;
        self
    }

    pub fn logistic(mut self, logistic: LogisticParams) -> ClinicalParams {
        self.logistic = logistic;
        self
    }

    /// # Errors
    /// [`Error::InvalidParam`] for `p_max` outside (0, 1] or an invalid logistic level.
    pub fn check(self) -> Result<ValidClinicalParams> {
        if !(self.p_max > 0.0 && self.p_max <= 1.0) {
            return Err(Error::InvalidParam {
                name: "p_max",
                value: self.p_max.to_string(),
                reason: "must be in (0, 1]",
            });
        }
        self.logistic.check()?;
        Ok(ValidClinicalParams(self))
    }
}

impl ValidClinicalParams {
    /// Screens and fits; `names` label the candidate columns of `data.x`.
    ///
    /// # Errors
    /// Shape, non-finite or non-binary input; [`Error::Separation`] naming a candidate whose univariate (or the
    /// final) fit is separated; errors of the final fit.
    pub fn fit(&self, data: &Dataset<'_>, names: &[&str]) -> Result<FittedClinical> {
        let p = data.n_cols();
        if names.len() != p {
            return Err(Error::Shape {
                what: "clinical term names",
                expected: p,
                found: names.len(),
            });
        }
        check_matrix("clinical candidates", data.x)?;
        check_binary(data.y, data.n_rows())?;
        let mut screen = Vec::with_capacity(p);
        for (j, name) in names.iter().enumerate() {
            let design = with_intercept(data.x.select(Axis(1), &[j]).view());
            let fit = ml_fit(design.view(), data.y, None, &[String::new(), name.to_string()])?;
            let se = fit.cov[[1, 1]].sqrt();
            let pval = 2.0 * mmrad_stats::normal_sf((fit.coef[1] / se).abs());
            screen.push(ScreenResult {
                term: name.to_string(),
                coef: fit.coef[1],
                p: pval,
                passed: pval < self.0.p_max,
            });
        }
        let mut columns: Vec<usize> = (0..p).filter(|&j| screen[j].passed).collect();
        let mut aic_path = Vec::new();
        if self.0.selection == Selection::BackwardAic {
            let aic_of = |cols: &[usize]| -> Result<f64> {
                let design = with_intercept(data.x.select(Axis(1), cols).view());
                let term_names: Vec<String> = std::iter::once(String::new())
                    .chain(cols.iter().map(|&c| names[c].to_string()))
                    .collect();
                let fit = ml_fit(design.view(), data.y, None, &term_names)?;
                Ok(fit.deviance + 2.0 * (cols.len() + 1) as f64)
            };
            let mut current = aic_of(&columns)?;
            aic_path.push((None, current));
            while !columns.is_empty() {
                let mut best: Option<(usize, f64)> = None;
                for k in 0..columns.len() {
                    let reduced: Vec<usize> = columns
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != k)
                        .map(|(_, c)| *c)
                        .collect();
                    let aic = aic_of(&reduced)?;
                    if best.is_none_or(|(_, b)| aic < b) {
                        best = Some((k, aic));
                    }
                }
                match best {
                    Some((k, aic)) if aic < current => {
                        let dropped = columns.remove(k);
                        aic_path.push((Some(names[dropped].to_string()), aic));
                        current = aic;
                    }
                    _ => break,
                }
            }
        }
        let terms: Vec<String> = columns.iter().map(|&c| names[c].to_string()).collect();
        let x = data.x.select(Axis(1), &columns);
        let y = data.y.to_owned();
        let final_data = Dataset::new(x.view(), y.view()).map_err(|_| Error::Shape {
            what: "clinical rows",
            expected: data.n_rows(),
            found: x.nrows(),
        })?;
        let term_refs: Vec<&str> = terms.iter().map(String::as_str).collect();
        let valid: ValidLogisticParams = self.0.logistic.check()?;
        let model = valid.fit_named(&final_data, &term_refs)?;
        Ok(FittedClinical {
            screen,
            columns,
            terms,
            aic_path,
            model,
        })
    }
}

impl FittedClinical {
    /// Univariate screen of every candidate.
    pub fn screen(&self) -> &[ScreenResult] {
        &self.screen
    }

    /// Terms of the final model, in candidate order.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Candidate column indices of the final terms.
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// (dropped term, AIC after the drop), starting with (None, AIC of the screened model); empty for `Enter`.
    pub fn aic_path(&self) -> &[(Option<String>, f64)] {
        &self.aic_path
    }

    pub fn model(&self) -> &FittedLogistic {
        &self.model
    }

    /// P(event) from the full candidate matrix (the same columns as in fitting; unused columns are ignored).
    ///
    /// # Errors
    /// [`Error::Shape`] for a wrong number of candidate columns; errors of [`FittedLogistic::predict_proba`].
    pub fn predict_proba(&self, candidates: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        let p = self.screen.len();
        if candidates.ncols() != p {
            return Err(Error::Shape {
                what: "clinical candidate columns",
                expected: p,
                found: candidates.ncols(),
            });
        }
        self.model
            .predict_proba(candidates.select(Axis(1), &self.columns).view())
    }

    /// The linear predictor from the full candidate matrix.
    ///
    /// # Errors
    /// As [`FittedClinical::predict_proba`].
    pub fn linear_predictor(&self, candidates: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        let p = self.screen.len();
        if candidates.ncols() != p {
            return Err(Error::Shape {
                what: "clinical candidate columns",
                expected: p,
                found: candidates.ncols(),
            });
        }
        self.model
            .linear_predictor(candidates.select(Axis(1), &self.columns).view())
    }
}
