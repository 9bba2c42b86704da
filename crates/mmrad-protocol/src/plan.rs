//! The typed, validated `Plan`: what `mmrad-study` executes. Built only by [`crate::parse`] / [`crate::load`].

use std::path::PathBuf;

use mmrad_core::Modality;

/// A validated study protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub name: String,
    pub reference: Option<String>,
    /// The protocol seed; every random stream of the run is derived from it.
    pub seed: u64,
    pub cohort: CohortSource,
    /// The 0/1 outcome column.
    pub outcome: String,
    /// Modalities in protocol order.
    pub modalities: Vec<ModalityPlan>,
    /// Selection steps fitted in every training fold, per modality, in order.
    pub selection: Vec<SelectionStep>,
    pub signature: Signature,
    pub fusion: Option<FusionPlan>,
    pub clinical: Option<ClinicalPlan>,
    pub combined: Option<CombinedPlan>,
    pub validation: Validation,
    pub evaluation: EvaluationPlan,
    pub expected: Vec<Expectation>,
    /// Protocol `published`: the paper's values, shown beside the run's.
    pub published: Vec<Published>,
    /// Protocol `leakage`; [`Leakage::None`] unless a teaching protocol asks for the deliberate mistake.
    pub leakage: Leakage,
}

/// Whether feature selection may see the test folds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leakage {
    /// Every selection step and model is fitted inside the training fold only.
    None,
    /// For teaching only: each modality's features are screened once on all cases by the selection filters,
    /// then the LASSO and the models are cross-validated on them; the metrics show the optimism this produces.
    Deliberate,
}

/// Where the cases come from.
#[derive(Debug, Clone, PartialEq)]
pub enum CohortSource {
    /// Feature-level synthetic cohort from `mmrad-synth`.
    Synthetic {
        generator: SyntheticGenerator,
        n: usize,
        events: usize,
        seed: u64,
    },
    /// Image-level synthetic cohort from `mmrad-synth`, written to `dir` (generated once, then reused) and read as
    /// [`CohortSource::Images`].
    SyntheticImages {
        generator: SyntheticGenerator,
        n: usize,
        events: usize,
        seed: u64,
        dir: PathBuf,
    },
    /// Images and masks on disk: a manifest CSV (`case_id`, the outcome, clinical columns, `<MOD>_image`,
    /// `<MOD>_mask`, optional `<MOD>_label`, `<MOD>_roi`, `<MOD>_segment`), extracted per modality with the
    /// modality's `extraction` parameters.
    Images { manifest: PathBuf, case_id: String },
    /// Tables on disk (paths already resolved against the protocol folder).
    Manifest {
        clinical: PathBuf,
        features: Vec<(Modality, PathBuf)>,
        case_id: String,
    },
}

/// Synthetic cohort generators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyntheticGenerator {
    /// Shaped like Liang et al. 2025 (CT, MR, MG, US feature tables and a clinical table with `pcr`).
    Liang2025,
}

/// The modalities and clinical columns of the `liang2025` synthetic generator.
pub const LIANG2025_MODALITIES: [&str; 4] = ["CT", "MR", "MG", "US"];
/// Clinical columns of the `liang2025` synthetic generator (the outcome is `pcr`).
pub const LIANG2025_CLINICAL: [&str; 7] = ["age", "er", "pr", "her2", "ki67", "ct_stage", "cn_stage"];

/// One modality of the study.
#[derive(Debug, Clone, PartialEq)]
pub struct ModalityPlan {
    pub modality: Modality,
    /// PyRadiomics parameter file (image-level cohorts only).
    pub extraction: Option<PathBuf>,
}

/// A selection step fitted on the training fold.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectionStep {
    Variance {
        min_variance: f64,
    },
    Univariate {
        test: UnivariateTest,
        p_max: f64,
        min_keep: usize,
    },
    Correlation {
        max_abs_r: f64,
        method: CorrelationMethod,
    },
    Lasso(LassoPlan),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnivariateTest {
    MannWhitney,
    WelchT,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationMethod {
    Pearson,
    Spearman,
}

/// Penalised regression settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LassoPlan {
    pub lambda: LambdaRule,
    pub inner_folds: usize,
    pub alpha: f64,
    pub standardize: bool,
    pub family: Family,
    pub nlambda: usize,
    /// `None`: glmnet's default (0.01 if n < p else 1e-4).
    pub lambda_min_ratio: Option<f64>,
    /// Solver convergence tolerance (default 1e-7).
    pub tol: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LambdaRule {
    Min,
    OneSe,
    Fixed(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Binomial,
    Gaussian,
}

/// How a modality's rad-score is formed from its selected columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    /// The linear predictor of the final LASSO step.
    LassoLinearPredictor,
    /// Unpenalised logistic regression on the selected columns; its linear predictor.
    Logistic,
}

/// Logistic regression on several modalities' rad-scores.
#[derive(Debug, Clone, PartialEq)]
pub struct FusionPlan {
    pub of: Vec<Modality>,
}

/// Clinical model settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ClinicalPlan {
    pub candidates: Vec<String>,
    pub univariate_p_max: f64,
    pub method: ClinicalMethod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClinicalMethod {
    Enter,
    BackwardAic,
}

/// Combined model settings.
#[derive(Debug, Clone, PartialEq)]
pub struct CombinedPlan {
    pub radiomics: CombinedRadiomics,
    pub nomogram: bool,
}

/// The radiomics terms of the combined model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CombinedRadiomics {
    /// One term: the fusion model's linear predictor.
    FusionScore,
    /// One term per fusion modality: its rad-score.
    RadScores,
}

/// Resampling scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Apparent performance: every model fitted and evaluated on all cases.
    None,
    StratifiedKFold {
        folds: usize,
        repeats: usize,
    },
    /// Harrell's bootstrap optimism correction: the metrics are those of the apparent fit, and `optimism.csv`
    /// holds, per model, the apparent, optimism and corrected AUC, Brier score and calibration intercept/slope with
    /// the whole pipeline (selection included) refitted in each of `replicates` bootstrap samples.
    BootstrapOptimism {
        replicates: usize,
    },
}

impl Validation {
    /// Whether the models are fitted and evaluated on all cases (no held-out folds): `none` and
    /// `bootstrap_optimism`.
    pub fn is_apparent(&self) -> bool {
        matches!(self, Validation::None | Validation::BootstrapOptimism { .. })
    }
}

/// Evaluation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationPlan {
    /// Risk groups of `calibration.csv` and the Hosmer–Lemeshow test.
    pub calibration_groups: usize,
    pub pool: Pooling,
    /// Write `dca.csv` (net benefit at thresholds 0.01..=0.99 by 0.01).
    pub dca: bool,
    /// Bootstrap CI of the AUC (`None` = off).
    pub bootstrap: Option<BootstrapPlan>,
    /// Rules of `thresholds.csv`, in protocol order.
    pub thresholds: Vec<ThresholdRule>,
}

/// `evaluation.bootstrap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootstrapPlan {
    pub replicates: usize,
    pub stratified: bool,
}

/// How a threshold of `thresholds.csv` is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThresholdRule {
    /// Maximises sensitivity + specificity.
    Youden,
    /// The most specific threshold whose sensitivity reaches this target, in (0, 1].
    Sensitivity(f64),
    /// A fixed probability in (0, 1).
    Probability(f64),
}

impl ThresholdRule {
    /// The rule as written in `thresholds.csv` (`youden`, `sensitivity=0.9`, `probability=0.3`).
    pub fn label(self) -> String {
        match self {
            ThresholdRule::Youden => "youden".to_owned(),
            ThresholdRule::Sensitivity(target) => format!("sensitivity={target}"),
            ThresholdRule::Probability(t) => format!("probability={t}"),
        }
    }
}

/// How repeats are pooled into `metrics.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Each metric is the mean of the per-repeat out-of-fold evaluations.
    MeanOverRepeats,
    /// Each case's out-of-fold probability is averaged over repeats, then evaluated once.
    CaseMean,
}

/// A metric checked after the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// A model id: a modality name (its signature), `fusion`, `clinical` or `combined`.
    pub model: String,
    pub metric: Metric,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A value the reproduced publication reports for a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// A model id, as in [`Expectation::model`].
    pub model: String,
    pub metric: Metric,
    pub value: f64,
}

/// Metrics an expectation may check (columns of `metrics.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Auc,
    AucLo,
    AucHi,
    Brier,
    BrierScaled,
    CalIntercept,
    CalSlope,
    HlP,
    EoRatio,
    Emax,
    Eavg,
    SpiegelhalterP,
}

impl Metric {
    /// Every metric with its `metrics.csv` column name.
    pub const ALL: [(Metric, &'static str); 12] = [
        (Metric::Auc, "auc"),
        (Metric::AucLo, "auc_lo"),
        (Metric::AucHi, "auc_hi"),
        (Metric::Brier, "brier"),
        (Metric::BrierScaled, "brier_scaled"),
        (Metric::CalIntercept, "cal_intercept"),
        (Metric::CalSlope, "cal_slope"),
        (Metric::HlP, "hl_p"),
        (Metric::EoRatio, "eo_ratio"),
        (Metric::Emax, "emax"),
        (Metric::Eavg, "eavg"),
        (Metric::SpiegelhalterP, "spiegelhalter_p"),
    ];

    /// The `metrics.csv` column name.
    pub fn name(self) -> &'static str {
        Metric::ALL
            .iter()
            .find(|(m, _)| *m == self)
            .map_or("auc", |(_, n)| n)
    }
}

/// Model ids reserved for the non-signature models (a modality may not use these names).
pub const RESERVED_MODEL_IDS: [&str; 3] = ["fusion", "clinical", "combined"];

impl Plan {
    /// The model ids this plan produces, in output order: each modality, then `fusion`, `clinical`, `combined`.
    pub fn model_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .modalities
            .iter()
            .map(|m| m.modality.as_str().to_owned())
            .collect();
        if self.fusion.is_some() {
            ids.push("fusion".into());
        }
        if self.clinical.is_some() {
            ids.push("clinical".into());
        }
        if self.combined.is_some() {
            ids.push("combined".into());
        }
        ids
    }

    /// The final LASSO step, if the selection ends with one.
    pub fn final_lasso(&self) -> Option<&LassoPlan> {
        match self.selection.last() {
            Some(SelectionStep::Lasso(lasso)) => Some(lasso),
            _ => None,
        }
    }
}
