//! Serde data-transfer objects mirroring the protocol YAML one to one; [`crate::validate`] turns them into a `Plan`.
//!
//! Every struct denies unknown keys, so a typo is an error naming the key and the YAML path.
//! Keys with a default may be omitted; the default is written next to each field.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// The whole protocol file.
///
/// ```yaml
/// version: 1                     # required; the only version is 1
/// name: liang2025                # required; names the run folder
/// reference: "Liang et al. ..."  # optional free text
/// seed: 2025                     # default 2025; every random draw derives from it
/// cohort: { synthetic: { level: features, generator: liang2025, n: 89, events: 28 } }
/// outcome: pcr                   # required; the 0/1 outcome column of the clinical table
/// modalities: { CT: {}, MR: {}, MG: {}, US: {} }   # order kept; it is the order of outputs
/// selection:                     # default: the three steps below, fitted in every training fold per modality
///   - univariate: { test: mann_whitney, p_max: 0.05 }
///   - correlation: { max_abs_r: 0.9 }
///   - lasso: { lambda: 1se, inner_folds: 10 }
/// models:
///   signature: { per_modality: lasso_linear_predictor }
///   fusion: { of: [CT, MR, MG, US], model: logistic }
///   clinical: { candidates: [age, er, pr, her2, ki67, ct_stage], univariate_p_max: 0.05 }
///   combined: { of: [clinical, fusion], nomogram: true }
/// validation: { scheme: stratified_kfold, folds: 5, repeats: 10 }   # or { scheme: bootstrap_optimism, n: 200 }
/// evaluation: { auc_ci: delong, calibration: { groups: 10 }, pool: mean_over_repeats, thresholds: [youden, { sensitivity: 0.9 }] }
/// expected: [ { model: combined, metric: auc, min: 0.85 } ]
/// leakage: none                  # default; `deliberate` selects features on all cases (teaching only)
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolDto {
    pub version: u32,
    pub name: String,
    #[serde(default)]
    pub reference: Option<String>,
    /// Default 2025.
    #[serde(default = "default_seed")]
    pub seed: u64,
    pub cohort: CohortDto,
    pub outcome: String,
    pub modalities: OrderedMap<ModalityDto>,
    /// Default: univariate Mann–Whitney p < 0.05, correlation pruning |r| > 0.9, LASSO λ.1se with 10 inner folds.
    #[serde(default)]
    pub selection: Option<Vec<SelectionStepDto>>,
    #[serde(default)]
    pub models: ModelsDto,
    #[serde(default)]
    pub validation: ValidationDto,
    #[serde(default)]
    pub evaluation: EvaluationDto,
    #[serde(default)]
    pub expected: Vec<ExpectationDto>,
    /// Values the publication the protocol reproduces reports, printed beside this run's (never checked).
    #[serde(default)]
    pub published: Vec<PublishedDto>,
    /// `none` (default) or `deliberate`: for teaching only, features are screened on all cases before the
    /// cross-validation, so the test folds leak into the selection and the metrics are optimistic.
    #[serde(default = "default_leakage")]
    pub leakage: String,
}

fn default_leakage() -> String {
    "none".to_owned()
}

fn default_seed() -> u64 {
    2025
}

/// Where the cases come from: exactly one of `synthetic`, `manifest` (feature tables) or `images`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortDto {
    #[serde(default)]
    pub synthetic: Option<SyntheticDto>,
    #[serde(default)]
    pub manifest: Option<ManifestDto>,
    #[serde(default)]
    pub images: Option<ImagesDto>,
}

/// An image-level cohort on disk: one CSV row per case with image and mask paths per modality.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagesDto {
    /// The manifest CSV (relative to the protocol): `case_id`, the outcome, clinical columns, `<MOD>_image`,
    /// `<MOD>_mask` (paths relative to the manifest), optional `<MOD>_label`, `<MOD>_roi` (RTSTRUCT ROI name),
    /// `<MOD>_segment` (DICOM SEG segment number or label).
    pub manifest: String,
    /// The case id column; default `case_id`.
    #[serde(default = "default_case_id")]
    pub case_id: String,
}

/// An embedded synthetic cohort (see `mmrad-synth`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticDto {
    /// `features` (feature tables generated directly, the default) or `images` (DICOM/NRRD images and masks
    /// written to `dir`, then extracted with each modality's `extraction` parameters).
    #[serde(default = "default_level")]
    pub level: String,
    /// Default `liang2025` (the only generator).
    #[serde(default = "default_generator")]
    pub generator: String,
    /// Number of patients; default 89.
    #[serde(default = "default_n")]
    pub n: usize,
    /// Number of events (pCR); default 28.
    #[serde(default = "default_events")]
    pub events: usize,
    /// Seed of the generator; default: the protocol `seed`.
    #[serde(default)]
    pub seed: Option<u64>,
    /// `level: images` only: where the images are written (relative to the working directory); default
    /// `runs/.cache/<generator>-n<n>-e<events>-s<seed>`. An existing complete cohort there is reused.
    #[serde(default)]
    pub dir: Option<String>,
}

fn default_level() -> String {
    "features".into()
}
fn default_generator() -> String {
    "liang2025".into()
}
fn default_n() -> usize {
    89
}
fn default_events() -> usize {
    28
}

/// A cohort on disk: a clinical table (with the outcome) and one feature table per modality, all keyed by case id.
/// Paths are relative to the protocol file; `.csv` or `.parquet`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestDto {
    /// The clinical table; it holds the outcome column and the clinical candidates.
    pub clinical: String,
    /// One feature table per modality named in `modalities`.
    pub features: OrderedMap<String>,
    /// The case id column of every table; default `case_id`.
    #[serde(default = "default_case_id")]
    pub case_id: String,
}

fn default_case_id() -> String {
    "case_id".into()
}

/// Per-modality settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModalityDto {
    /// A PyRadiomics parameter file for image-level cohorts (relative to the protocol); unused at feature level.
    #[serde(default)]
    pub extraction: Option<String>,
}

/// One selection step; the YAML form is a one-key map (`- univariate: { ... }`): exactly one field is set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionStepDto {
    #[serde(default)]
    pub variance: Option<VarianceDto>,
    #[serde(default)]
    pub univariate: Option<UnivariateDto>,
    #[serde(default)]
    pub correlation: Option<CorrelationDto>,
    #[serde(default)]
    pub lasso: Option<LassoDto>,
}

/// Drops columns whose training-fold variance is at most `min_variance` (default 0: constant columns).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarianceDto {
    #[serde(default)]
    pub min_variance: f64,
}

/// Keeps columns whose two-sample test p value (events vs non-events) is below `p_max`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnivariateDto {
    /// `mann_whitney` (default) or `welch_t`.
    #[serde(default = "default_test")]
    pub test: String,
    /// Default 0.05.
    #[serde(default = "default_p")]
    pub p_max: f64,
    /// When fewer than `min_keep` columns pass, the `min_keep` smallest p values are kept; default 1.
    #[serde(default = "default_min_keep")]
    pub min_keep: usize,
}

fn default_test() -> String {
    "mann_whitney".into()
}
fn default_p() -> f64 {
    0.05
}
fn default_min_keep() -> usize {
    1
}

/// Among pairs with |r| > `max_abs_r`, keeps the column more associated with the outcome.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationDto {
    /// Default 0.9.
    #[serde(default = "default_max_r")]
    pub max_abs_r: f64,
    /// `pearson` (default) or `spearman`.
    #[serde(default = "default_method")]
    pub method: String,
}

fn default_max_r() -> f64 {
    0.9
}
fn default_method() -> String {
    "pearson".into()
}

/// Penalised regression with inner cross-validation; its non-zero coefficients are the selected features and its
/// linear predictor is the modality's rad-score.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LassoDto {
    /// `1se` (default), `min`, or a number (a fixed λ, no inner CV).
    #[serde(default)]
    pub lambda: Option<LambdaDto>,
    /// Default 10; stratified, seeded from the protocol seed, fold and modality.
    #[serde(default = "default_inner_folds")]
    pub inner_folds: usize,
    /// Elastic-net mixing, 1 = LASSO (default).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Standardise columns inside the fit (glmnet `standardize`); default true.
    #[serde(default = "default_true")]
    pub standardize: bool,
    /// `binomial` (default, glmnet) or `gaussian` (scikit-learn `LassoCV` on the 0/1 outcome).
    #[serde(default = "default_family")]
    pub family: String,
    /// Number of λ values; default 100.
    #[serde(default = "default_nlambda")]
    pub nlambda: usize,
    /// Smallest λ as a fraction of λ_max; default glmnet's (0.01 if n < p else 1e-4).
    #[serde(default)]
    pub lambda_min_ratio: Option<f64>,
    /// Convergence tolerance of the solver (largest coefficient move × sqrt(curvature)); default 1e-7, the
    /// precision of glmnet's default `thresh` (the reference tests converge to 1e-11 and beyond).
    #[serde(default = "default_lasso_tol")]
    pub tol: f64,
}

fn default_lasso_tol() -> f64 {
    1e-7
}

fn default_inner_folds() -> usize {
    10
}
fn default_alpha() -> f64 {
    1.0
}
fn default_true() -> bool {
    true
}
fn default_family() -> String {
    "binomial".into()
}
fn default_nlambda() -> usize {
    100
}

/// `lambda:` is a rule name or a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum LambdaDto {
    Value(f64),
    Rule(String),
}

/// The models built on the selected features.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsDto {
    #[serde(default)]
    pub signature: Option<SignatureDto>,
    #[serde(default)]
    pub fusion: Option<FusionDto>,
    #[serde(default)]
    pub clinical: Option<ClinicalDto>,
    #[serde(default)]
    pub combined: Option<CombinedDto>,
}

/// How each modality's rad-score is formed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureDto {
    /// `lasso_linear_predictor` (default; needs a final `lasso` selection step) or `logistic` (unpenalised logistic
    /// on the selected columns).
    #[serde(default = "default_signature")]
    pub per_modality: String,
}

fn default_signature() -> String {
    "lasso_linear_predictor".into()
}

/// Logistic regression on the rad-scores of several modalities.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FusionDto {
    /// Default: every modality.
    #[serde(default)]
    pub of: Option<Vec<String>>,
    /// `logistic` (default, the only one).
    #[serde(default = "default_logistic")]
    pub model: String,
}

fn default_logistic() -> String {
    "logistic".into()
}

/// Clinical model: univariate logistic screen, then a multivariable logistic model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicalDto {
    /// Numeric (0/1 or ordinal-coded) columns of the clinical table.
    pub candidates: Vec<String>,
    /// Default 0.05 (univariate Wald p of each candidate in the training fold).
    #[serde(default = "default_p")]
    pub univariate_p_max: f64,
    /// `enter` (default: every screened candidate) or `backward_aic`.
    #[serde(default = "default_method_enter")]
    pub method: String,
    /// `logistic` (default, the only one).
    #[serde(default = "default_logistic")]
    pub model: String,
}

fn default_method_enter() -> String {
    "enter".into()
}

/// Combined model: the clinical terms kept by the clinical screen plus radiomics terms.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombinedDto {
    /// Two of `clinical`, and `fusion` (the fusion linear predictor) or `rad_scores` (each modality's rad-score).
    /// Default `[clinical, fusion]`.
    #[serde(default)]
    pub of: Option<Vec<String>>,
    /// Write the nomogram points table of the apparent fit; default true.
    #[serde(default = "default_true")]
    pub nomogram: bool,
}

/// Resampling scheme.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationDto {
    /// `stratified_kfold` (default), `bootstrap_optimism` (Harrell's optimism correction of the apparent
    /// performance, the whole pipeline refitted in every bootstrap sample) or `none` (apparent performance only).
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// Default 5.
    #[serde(default = "default_folds")]
    pub folds: usize,
    /// Default 10.
    #[serde(default = "default_repeats")]
    pub repeats: usize,
    /// Bootstrap samples of `bootstrap_optimism`; default 200 (the only scheme that reads it).
    #[serde(default)]
    pub n: Option<usize>,
}

impl Default for ValidationDto {
    fn default() -> Self {
        ValidationDto {
            scheme: default_scheme(),
            folds: default_folds(),
            repeats: default_repeats(),
            n: None,
        }
    }
}

fn default_scheme() -> String {
    "stratified_kfold".into()
}
fn default_folds() -> usize {
    5
}
fn default_repeats() -> usize {
    10
}

/// Metrics settings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationDto {
    /// `delong` (default, the only one).
    #[serde(default = "default_auc_ci")]
    pub auc_ci: String,
    #[serde(default)]
    pub calibration: CalibrationDto,
    /// How repeats are pooled into `metrics.csv`: `mean_over_repeats` (default: the mean of each metric over the
    /// per-repeat out-of-fold evaluations) or `case_mean` (one evaluation of each case's out-of-fold probability
    /// averaged over repeats).
    #[serde(default = "default_pool")]
    pub pool: String,
    /// Decision-curve analysis (`dca.csv`): net benefit of each model at threshold probabilities 0.01, 0.02, …,
    /// 0.99, with treat-all and treat-none (default `false`).
    #[serde(default)]
    pub dca: bool,
    /// Stratified percentile bootstrap CI of the AUC (`auc_boot_lo`, `auc_boot_hi` in `metrics.csv`), e.g.
    /// `{ n: 1000 }`; absent (default) = off.
    #[serde(default)]
    pub bootstrap: Option<BootstrapDto>,
    /// Threshold rules of `thresholds.csv`: `youden`, `{ sensitivity: 0.9 }` (the most specific threshold reaching
    /// that sensitivity) or `{ probability: 0.3 }`; one rule or a list (default `youden`).
    #[serde(default = "default_thresholds")]
    pub thresholds: ThresholdsDto,
}

impl Default for EvaluationDto {
    fn default() -> Self {
        EvaluationDto {
            auc_ci: default_auc_ci(),
            calibration: CalibrationDto::default(),
            pool: default_pool(),
            dca: false,
            bootstrap: None,
            thresholds: default_thresholds(),
        }
    }
}

fn default_thresholds() -> ThresholdsDto {
    ThresholdsDto::One(ThresholdRuleDto::Name("youden".into()))
}

/// `evaluation.bootstrap`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapDto {
    /// Bootstrap samples (at least 100).
    pub n: usize,
    /// Resample events and non-events separately (pROC's default; default `true`).
    #[serde(default = "default_true")]
    pub stratified: bool,
}

/// `evaluation.thresholds`: one rule or a list of rules.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ThresholdsDto {
    One(ThresholdRuleDto),
    Many(Vec<ThresholdRuleDto>),
}

/// One threshold rule: a name (`youden`) or a one-key map (`sensitivity: 0.9`, `probability: 0.3`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ThresholdRuleDto {
    Name(String),
    Map(std::collections::BTreeMap<String, f64>),
}

fn default_auc_ci() -> String {
    "delong".into()
}
fn default_pool() -> String {
    "mean_over_repeats".into()
}

/// Grouped calibration table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationDto {
    /// Number of risk groups (quantiles of the predicted probability); default 10.
    #[serde(default = "default_groups")]
    pub groups: usize,
}

impl Default for CalibrationDto {
    fn default() -> Self {
        CalibrationDto {
            groups: default_groups(),
        }
    }
}

fn default_groups() -> usize {
    10
}

/// A check on a metric of one model, made after the run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectationDto {
    pub model: String,
    pub metric: String,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
}

/// One published value: a model's metric as the paper reports it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedDto {
    pub model: String,
    pub metric: String,
    pub value: f64,
}

/// A YAML mapping whose key order is kept and whose duplicate keys are an error.
#[derive(Debug, Default)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, V)> = Vec::new();
                while let Some(key) = access.next_key::<String>()? {
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    let value = access.next_value::<V>()?;
                    entries.push((key, value));
                }
                Ok(OrderedMap(entries))
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}
