//! mmrad-synth: deterministic synthetic cohorts shaped like a published study.
//!
//! Modules, in reading order:
//! - this file: [`liang2025_features`], the feature-level cohort of Liang et al., BMC Cancer 25:985 (2025).
//! - [`images`]: the image-level cohort of the same model (DICOM CT/MR series, MG/US images, RTSTRUCT, SEG and NRRD
//!   masks, `cohort.csv`), with the documentation of its generative model.
//!
//! The feature-level generator does no file IO (the study runner and the CLI write it to disk); the image-level
//! generator writes its files through `mmrad-io`. Every random number comes from a [`SeededRng`] derived from the
//! seed given. A synthetic cohort demonstrates the pipeline; it proves nothing about breast cancer.
//!
//! # The `liang2025` feature-level generative model
//!
//! Patients `i = 1..n` are generated independently, then the outcome is drawn conditionally on having exactly
//! `events` events.
//!
//! 1. Clinical covariates (each from its own seeded stream):
//!    `age` ~ round(N(48, 10)) clamped to [25, 80];
//!    `er` ~ Bernoulli(0.55);
//!    `pr` ~ Bernoulli(0.70) if `er` = 1 else Bernoulli(0.15) (PR is mostly expressed with ER);
//!    `her2` ~ Bernoulli(0.35);
//!    `ki67` (%) = round(clamp(exp(N(ln 30, 0.6)), 1, 95));
//!    `ct_stage` ∈ {1, 2, 3, 4} with probabilities (0.08, 0.52, 0.28, 0.12);
//!    `cn_stage` ∈ {0, 1, 2, 3} with probabilities (0.30, 0.45, 0.15, 0.10).
//! 2. A latent tumour-response factor `u` ~ N(0, 1), independent of the clinical covariates.
//! 3. The outcome (pCR) follows the logistic model
//!    `logit P(pcr = 1) = β0 + ln(4.45)·pr + ln(9.95)·her2 + ln(0.253)·(ct_stage − 2) + γ·u`
//!    with the published odds ratios (PR 4.45, HER2 9.95, cT 0.253 per stage) and `γ` = [`LATENT_EFFECT`].
//!    `β0` is found by bisection so that the expected number of events is `events`; outcomes are then drawn
//!    (Bernoulli, seeded) and redrawn until exactly `events` occur. Conditioning on the total keeps the
//!    conditional odds ratios of the model (it is the conditional-logistic likelihood).
//! 4. Each modality `m` sees the latent factor through its own noise: `s_m = u + σ_m·v_m`, `v_m` ~ N(0, 1), with
//!    `σ` from [`MODALITY_NOISE`] (CT 0.45 < MR 0.55 < MG 0.75 < US 1.05), so that the per-modality signatures
//!    recover the published ordering of AUCs (CT 0.81 > MR 0.79 > MG 0.76 > US 0.70) and the modalities are
//!    complementary (fusing them averages their noise).
//! 5. Each modality has [`FEATURES_PER_MODALITY`] columns, in a seeded random order:
//!    - [`INFORMATIVE_PER_MODALITY`] informative columns `z = ℓ·s_m/‖s_m‖ + √(1 − ℓ²)·ε` with loadings
//!      ±0.9, ±0.8, ±0.7, ±0.6, ±0.5 (so two of them are highly correlated with each other);
//!    - 8 correlated blocks of 6 noise columns (`z = 0.9·b + 0.436·ε`, one latent `b` per block);
//!    - the rest independent noise;
//!    - every column is finally mapped to a feature-like scale `value = offset + scale·z` (scale 10^U(−2, 3),
//!      offset ~ N(0, 3)·scale), and a quarter of the noise columns are log-normal (`exp(z/2)`), so
//!      standardisation matters and nothing is on the unit scale by accident.
//!
//!    Column names are PyRadiomics-like (`original_glcm_F017`) and do not reveal which columns are informative;
//!    [`SyntheticCohort::informative`] does.

pub mod images;

use mmrad_core::{CaseId, FeatureName, FeatureTable, Modality, Outcome, SeededRng};
use ndarray::Array2;

/// Errors from the generators.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("invalid synthetic cohort parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error("could not draw exactly {events} events in {attempts} attempts")]
    EventCount { events: usize, attempts: usize },
    #[error(transparent)]
    Core(#[from] mmrad_core::Error),
    #[error(transparent)]
    Io(#[from] mmrad_io::Error),
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The four modalities of the reference study, in the paper's order.
pub const MODALITIES: [&str; 4] = ["CT", "MR", "MG", "US"];
/// Clinical columns of the clinical table, in order (numeric codes; see the crate docs).
pub const CLINICAL_COLUMNS: [&str; 7] = ["age", "er", "pr", "her2", "ki67", "ct_stage", "cn_stage"];
/// Name of the outcome column.
pub const OUTCOME_COLUMN: &str = "pcr";
/// Effect `γ` of the latent response factor on the log-odds of pCR.
pub const LATENT_EFFECT: f64 = 3.0;
/// Noise `σ_m` of each modality's view of the latent factor, in [`MODALITIES`] order.
pub const MODALITY_NOISE: [f64; 4] = [0.45, 0.55, 0.75, 1.05];
/// Published odds ratios: PR, HER2, cT (per stage).
pub const ODDS_RATIOS: [(&str, f64); 3] = [("pr", 4.45), ("her2", 9.95), ("ct_stage", 0.253)];
/// Feature columns per modality.
pub const FEATURES_PER_MODALITY: usize = 100;
/// Informative columns per modality.
pub const INFORMATIVE_PER_MODALITY: usize = 5;

/// Parameters of the `liang2025` feature-level cohort.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `n` | 89 | patients | ≥ 4 |
/// | `events` | 28 | patients with pCR, exactly | 1 ..= n − 1 |
/// | `seed` | 2025 | every random draw | any |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Liang2025Params {
    pub n: usize,
    pub events: usize,
    pub seed: u64,
}

impl Default for Liang2025Params {
    fn default() -> Self {
        Liang2025Params {
            n: 89,
            events: 28,
            seed: 2025,
        }
    }
}

/// A generated cohort: a clinical table, the outcome and one feature table per modality, all in case order.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticCohort {
    /// Clinical covariates ([`CLINICAL_COLUMNS`]).
    pub clinical: FeatureTable,
    pub outcome: Outcome,
    /// Feature tables in [`MODALITIES`] order.
    pub features: Vec<(Modality, FeatureTable)>,
    /// The informative column names of each modality (same order as `features`).
    pub informative: Vec<Vec<FeatureName>>,
}

/// Generates the `liang2025` feature-level cohort (see the crate docs for the model).
///
/// # Errors
/// [`Error::InvalidParameter`] for `n < 4` or `events` outside `1..n`; [`Error::EventCount`] if the outcome could
/// not be drawn with exactly `events` events (only for extreme `events / n`).
///
/// # Examples
/// ```
/// let cohort = mmrad_synth::liang2025_features(&mmrad_synth::Liang2025Params::default())?;
/// assert_eq!(cohort.outcome.n_events(), 28);
/// # Ok::<(), mmrad_synth::Error>(())
/// ```
pub fn liang2025_features(params: &Liang2025Params) -> Result<SyntheticCohort> {
    let BaseCohort {
        cases,
        clinical,
        latent,
        events: outcome_events,
    } = base_cohort(params)?;
    let seed = params.seed;

    // 4–5. Feature tables.
    let mut features = Vec::new();
    let mut informative = Vec::new();
    for (m_idx, (name, noise)) in MODALITIES.iter().zip(MODALITY_NOISE).enumerate() {
        let mut rng = SeededRng::derive(seed, &[4, m_idx as u64]);
        let view: Vec<f64> = latent.iter().map(|u| u + noise * rng.normal()).collect();
        let view_sd = (1.0 + noise * noise).sqrt();
        let (table, info) = modality_table(&cases, &view, view_sd, &mut rng)?;
        features.push((Modality::parse(name), table));
        informative.push(info);
    }

    let clinical = FeatureTable::new(
        cases.clone(),
        CLINICAL_COLUMNS
            .iter()
            .map(|c| FeatureName((*c).to_owned()))
            .collect(),
        clinical,
    )?;
    Ok(SyntheticCohort {
        clinical,
        outcome: Outcome {
            cases,
            events: outcome_events,
        },
        features,
        informative,
    })
}

/// The largest cohort a generator writes.
pub const MAX_PATIENTS: usize = 100_000;

/// Steps 1–3 of the model (clinical covariates, latent factor, outcome), shared by the feature-level and the image-level
/// cohorts.
pub(crate) fn base_cohort(params: &Liang2025Params) -> Result<BaseCohort> {
    let Liang2025Params { n, events, seed } = *params;
    if n < 4 {
        return Err(Error::InvalidParameter {
            name: "n",
            value: n.to_string(),
            reason: "at least 4 patients".into(),
        });
    }
    // The feature tables hold about 400 values per patient; a bound keeps a typo from exhausting memory.
    if n > MAX_PATIENTS {
        return Err(Error::InvalidParameter {
            name: "n",
            value: n.to_string(),
            reason: format!("at most {MAX_PATIENTS} patients"),
        });
    }
    if events == 0 || events >= n {
        return Err(Error::InvalidParameter {
            name: "events",
            value: events.to_string(),
            reason: format!("must be between 1 and {}", n - 1),
        });
    }
    let cases: Vec<CaseId> = (1..=n).map(|i| CaseId(format!("P{i:03}"))).collect();

    // 1. Clinical covariates.
    let mut rng = SeededRng::derive(seed, &[1]);
    let mut clinical = Array2::<f64>::zeros((n, CLINICAL_COLUMNS.len()));
    for i in 0..n {
        let age = (48.0 + 10.0 * rng.normal()).round().clamp(25.0, 80.0);
        let er = bernoulli(&mut rng, 0.55);
        let pr = bernoulli(&mut rng, if er { 0.70 } else { 0.15 });
        let her2 = bernoulli(&mut rng, 0.35);
        let ki67 = (30f64.ln() + 0.6 * rng.normal()).exp().clamp(1.0, 95.0).round();
        let ct_stage = 1.0 + categorical(&mut rng, &[0.08, 0.52, 0.28, 0.12]) as f64;
        let cn_stage = categorical(&mut rng, &[0.30, 0.45, 0.15, 0.10]) as f64;
        let row = [
            age,
            f64::from(u8::from(er)),
            f64::from(u8::from(pr)),
            f64::from(u8::from(her2)),
            ki67,
            ct_stage,
            cn_stage,
        ];
        for (j, value) in row.into_iter().enumerate() {
            clinical[[i, j]] = value;
        }
    }

    // 2. Latent response factor.
    let mut rng = SeededRng::derive(seed, &[2]);
    let latent: Vec<f64> = (0..n).map(|_| rng.normal()).collect();

    // 3. Outcome with exactly `events` events.
    let eta: Vec<f64> = (0..n)
        .map(|i| {
            ODDS_RATIOS[0].1.ln() * clinical[[i, 2]]
                + ODDS_RATIOS[1].1.ln() * clinical[[i, 3]]
                + ODDS_RATIOS[2].1.ln() * (clinical[[i, 5]] - 2.0)
                + LATENT_EFFECT * latent[i]
        })
        .collect();
    let beta0 = calibrate_intercept(&eta, events as f64);
    let mut rng = SeededRng::derive(seed, &[3]);
    let max_attempts = 100_000;
    let mut outcome_events = None;
    for _ in 0..max_attempts {
        let draw: Vec<bool> = eta.iter().map(|e| rng.uniform() < sigmoid(beta0 + e)).collect();
        if draw.iter().filter(|&&d| d).count() == events {
            outcome_events = Some(draw);
            break;
        }
    }
    let Some(outcome_events) = outcome_events else {
        return Err(Error::EventCount {
            events,
            attempts: max_attempts,
        });
    };
    Ok(BaseCohort {
        cases,
        clinical,
        latent,
        events: outcome_events,
    })
}

/// Clinical covariates ([`CLINICAL_COLUMNS`] order), latent factor and outcome of every case.
pub(crate) struct BaseCohort {
    pub cases: Vec<CaseId>,
    pub clinical: Array2<f64>,
    pub latent: Vec<f64>,
    pub events: Vec<bool>,
}

const CLASSES: [&str; 7] = ["firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm", "shape"];
const BLOCKS: usize = 8;
const BLOCK_SIZE: usize = 6;
const LOADINGS: [f64; INFORMATIVE_PER_MODALITY] = [0.9, 0.8, 0.7, 0.6, 0.5];

fn modality_table(
    cases: &[CaseId],
    view: &[f64],
    view_sd: f64,
    rng: &mut SeededRng,
) -> Result<(FeatureTable, Vec<FeatureName>)> {
    let n = cases.len();
    let p = FEATURES_PER_MODALITY;
    // Column kinds in generation order: informative, blocks, independent noise.
    let mut columns: Vec<Vec<f64>> = Vec::with_capacity(p);
    for loading in LOADINGS {
        let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
        let rest = (1.0 - loading * loading).sqrt();
        columns.push(
            view.iter()
                .map(|s| sign * loading * s / view_sd + rest * rng.normal())
                .collect(),
        );
    }
    for _ in 0..BLOCKS {
        let block: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        for _ in 0..BLOCK_SIZE {
            columns.push(block.iter().map(|b| 0.9 * b + 0.436 * rng.normal()).collect());
        }
    }
    while columns.len() < p {
        let lognormal = rng.uniform() < 0.25;
        columns.push(
            (0..n)
                .map(|_| {
                    let z = rng.normal();
                    if lognormal { (z / 2.0).exp() } else { z }
                })
                .collect(),
        );
    }
    // Feature-like scales, then a seeded column order.
    for column in &mut columns {
        let scale = 10f64.powf(-2.0 + 5.0 * rng.uniform());
        let offset = 3.0 * rng.normal() * scale;
        for value in column.iter_mut() {
            *value = offset + scale * *value;
        }
    }
    let mut order: Vec<usize> = (0..p).collect();
    rng.shuffle(&mut order);
    let mut values = Array2::<f64>::zeros((n, p));
    let mut names = Vec::with_capacity(p);
    let mut informative = Vec::new();
    for (position, &source) in order.iter().enumerate() {
        let class = CLASSES[position % CLASSES.len()];
        let name = FeatureName(format!("original_{class}_F{:03}", position + 1));
        if source < INFORMATIVE_PER_MODALITY {
            informative.push(name.clone());
        }
        names.push(name);
        for i in 0..n {
            values[[i, position]] = columns[source][i];
        }
    }
    Ok((FeatureTable::new(cases.to_vec(), names, values)?, informative))
}

fn bernoulli(rng: &mut SeededRng, p: f64) -> bool {
    rng.uniform() < p
}

fn categorical(rng: &mut SeededRng, probabilities: &[f64]) -> usize {
    let u = rng.uniform();
    let mut cumulative = 0.0;
    for (idx, p) in probabilities.iter().enumerate() {
        cumulative += p;
        if u < cumulative {
            return idx;
        }
    }
    probabilities.len().saturating_sub(1)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// β0 such that Σ sigmoid(β0 + η_i) = target (bisection; the sum is increasing in β0).
fn calibrate_intercept(eta: &[f64], target: f64) -> f64 {
    let (mut lo, mut hi) = (-50.0, 50.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let expected: f64 = eta.iter().map(|e| sigmoid(mid + e)).sum();
        if expected < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests;
