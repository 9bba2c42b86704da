//! Bootstrap inference on the AUC: the percentile confidence interval and the paired test between two score
//! vectors, with pROC's resampling schemes (`ci.auc(method = "bootstrap")`, `roc.test(method = "bootstrap",
//! paired = TRUE)`), all draws from the [`SeededRng`] the caller passes.
//!
//! A replicate needs at least 2 events and 2 non-events (one of each would give an AUC of 0 or 1 from a single
//! pair). The stratified scheme (pROC's default) keeps the class counts, so this only bites the unstratified
//! scheme: such a sample is drawn again, and the number of redraws is reported, where pROC drops the replicate
//! with a warning.

use mmrad_core::SeededRng;
use mmrad_stats::{normal_sf, quantiles, stratified_bootstrap};

use crate::discrimination::auc;
use crate::{Error, Result};

/// Options of the bootstrap functions.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `replicates` | 2000 | bootstrap samples (pROC's `boot.n`) | ≥ 100 |
/// | `stratified` | `true` | resample events and non-events separately, keeping their counts (pROC's `boot.stratified`) | |
/// | `max_redraws` | 10 000 | redraws of samples with fewer than 2 events or non-events before giving up | |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootstrapOptions {
    pub replicates: usize,
    pub stratified: bool,
    pub max_redraws: usize,
}

impl Default for BootstrapOptions {
    fn default() -> BootstrapOptions {
        BootstrapOptions {
            replicates: 2000,
            stratified: true,
            max_redraws: 10_000,
        }
    }
}

impl BootstrapOptions {
    /// `replicates` stratified samples with the default redraw cap.
    pub fn with_replicates(replicates: usize) -> BootstrapOptions {
        BootstrapOptions {
            replicates,
            ..BootstrapOptions::default()
        }
    }
}

/// A percentile bootstrap confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootstrapCi {
    /// The statistic on the original sample.
    pub estimate: f64,
    /// Type-7 quantiles of the replicates at 0.025 and 0.975.
    pub lo: f64,
    pub hi: f64,
    pub replicates: usize,
    /// Samples drawn again because they had fewer than 2 events or non-events.
    pub redraws: usize,
}

/// The paired bootstrap test of `AUC(a) = AUC(b)` on the same cases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedBootstrap {
    pub auc_a: f64,
    pub auc_b: f64,
    /// `auc_a - auc_b` on the original sample.
    pub diff: f64,
    /// Sample standard deviation (`n - 1`) of the replicate differences.
    pub sd: f64,
    /// `diff / sd`.
    pub z: f64,
    /// Two-sided `2 Φ(-|z|)`.
    pub p: f64,
    /// Type-7 95 % percentile interval of the difference.
    pub diff_lo: f64,
    pub diff_hi: f64,
    pub replicates: usize,
    /// Samples drawn again because they had fewer than 2 events or non-events.
    pub redraws: usize,
}

/// [`bootstrap_auc_ci_with_options`] with stratified resampling and `replicates` samples.
///
/// # Errors
/// As [`bootstrap_auc_ci_with_options`].
pub fn bootstrap_auc_ci(
    scores: &[f64],
    y: &[bool],
    replicates: usize,
    rng: &mut SeededRng,
) -> Result<BootstrapCi> {
    bootstrap_auc_ci_with_options(scores, y, &BootstrapOptions::with_replicates(replicates), rng)
}

/// Percentile bootstrap 95 % CI of the AUC (pROC `ci.auc(method = "bootstrap")`); the random stream is mmrad's,
/// so limits differ from pROC's by Monte-Carlo error (the tests check coverage instead).
///
/// # Errors
/// As [`auc`]; [`Error::InvalidArgument`] when `replicates` is below 100; [`Error::Undefined`] when a class has
/// fewer than 2 cases or the redraw cap is reached.
///
/// # Examples
/// ```
/// use mmrad_core::SeededRng;
/// let y: Vec<bool> = (0..40).map(|i| i % 3 == 0).collect();
/// let s: Vec<f64> = (0..40).map(|i| (i % 7) as f64 + if i % 3 == 0 { 2.5 } else { 0.0 }).collect();
/// let options = mmrad_evaluation::BootstrapOptions::with_replicates(200);
/// let ci = mmrad_evaluation::bootstrap_auc_ci_with_options(&s, &y, &options, &mut SeededRng::new(1))?;
/// assert!(ci.lo < ci.estimate && ci.estimate < ci.hi);
/// # Ok::<(), mmrad_evaluation::Error>(())
/// ```
pub fn bootstrap_auc_ci_with_options(
    scores: &[f64],
    y: &[bool],
    options: &BootstrapOptions,
    rng: &mut SeededRng,
) -> Result<BootstrapCi> {
    let estimate = auc(scores, y)?;
    let mut sampler = Sampler::new(y, options)?;
    let mut values = Vec::with_capacity(options.replicates);
    let mut resampled_scores = vec![0.0; scores.len()];
    for _ in 0..options.replicates {
        let indices = sampler.draw(rng)?;
        for (slot, &index) in indices.iter().enumerate() {
            resampled_scores[slot] = scores.get(index).copied().unwrap_or(f64::NAN);
        }
        values.push(auc(&resampled_scores, &sampler.resampled_y)?);
    }
    let q = quantiles(&values, &[0.025, 0.975])?;
    Ok(BootstrapCi {
        estimate,
        lo: q.first().copied().unwrap_or(f64::NAN),
        hi: q.get(1).copied().unwrap_or(f64::NAN),
        replicates: options.replicates,
        redraws: sampler.redraws,
    })
}

/// Paired bootstrap test of two AUCs on the same cases, as pROC `roc.test(method = "bootstrap", paired = TRUE)`:
/// both scores are resampled with the same indices, and `z = diff / sd(replicate differences)`.
///
/// # Errors
/// As [`bootstrap_auc_ci_with_options`] for each score vector; [`Error::LengthMismatch`] when `b` differs in
/// length from `a`; [`Error::Undefined`] when the replicate differences have zero spread (the two scores rank
/// the cases alike).
pub fn bootstrap_paired(
    a: &[f64],
    b: &[f64],
    y: &[bool],
    options: &BootstrapOptions,
    rng: &mut SeededRng,
) -> Result<PairedBootstrap> {
    let auc_a = auc(a, y)?;
    let auc_b = auc(b, y)?;
    let mut sampler = Sampler::new(y, options)?;
    let mut diffs = Vec::with_capacity(options.replicates);
    let mut resampled_a = vec![0.0; a.len()];
    let mut resampled_b = vec![0.0; b.len()];
    for _ in 0..options.replicates {
        let indices = sampler.draw(rng)?;
        for (slot, &index) in indices.iter().enumerate() {
            resampled_a[slot] = a.get(index).copied().unwrap_or(f64::NAN);
            resampled_b[slot] = b.get(index).copied().unwrap_or(f64::NAN);
        }
        diffs.push(auc(&resampled_a, &sampler.resampled_y)? - auc(&resampled_b, &sampler.resampled_y)?);
    }
    let n = diffs.len() as f64;
    let mean = diffs.iter().sum::<f64>() / n;
    let sd = (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let diff = auc_a - auc_b;
    if sd.is_nan() || sd <= 0.0 {
        return Err(Error::Undefined {
            what: "the paired bootstrap test",
            reason: format!("the replicate AUC differences have standard deviation {sd:e}"),
        });
    }
    let z = diff / sd;
    let q = quantiles(&diffs, &[0.025, 0.975])?;
    Ok(PairedBootstrap {
        auc_a,
        auc_b,
        diff,
        sd,
        z,
        p: (2.0 * normal_sf(z.abs())).min(1.0),
        diff_lo: q.first().copied().unwrap_or(f64::NAN),
        diff_hi: q.get(1).copied().unwrap_or(f64::NAN),
        replicates: options.replicates,
        redraws: sampler.redraws,
    })
}

/// Draws bootstrap index vectors, redrawing samples with fewer than 2 events or non-events.
struct Sampler<'a> {
    y: &'a [bool],
    options: BootstrapOptions,
    resampled_y: Vec<bool>,
    redraws: usize,
}

impl<'a> Sampler<'a> {
    fn new(y: &'a [bool], options: &BootstrapOptions) -> Result<Sampler<'a>> {
        if options.replicates < 100 {
            return Err(Error::InvalidArgument {
                name: "replicates",
                value: options.replicates as f64,
                reason: "must be at least 100 for a percentile interval",
            });
        }
        let events = y.iter().filter(|&&v| v).count();
        if events < 2 || y.len() - events < 2 {
            return Err(Error::Undefined {
                what: "the bootstrap",
                reason: format!(
                    "needs at least 2 events and 2 non-events; found {events} and {}",
                    y.len() - events
                ),
            });
        }
        Ok(Sampler {
            y,
            options: *options,
            resampled_y: vec![false; y.len()],
            redraws: 0,
        })
    }

    fn draw(&mut self, rng: &mut SeededRng) -> Result<Vec<usize>> {
        loop {
            let indices = if self.options.stratified {
                stratified_bootstrap(self.y, rng)?
            } else {
                (0..self.y.len()).map(|_| rng.below(self.y.len())).collect()
            };
            for (slot, &index) in indices.iter().enumerate() {
                self.resampled_y[slot] = self.y.get(index).copied().unwrap_or(false);
            }
            let events = self.resampled_y.iter().filter(|&&v| v).count();
            if events >= 2 && self.y.len() - events >= 2 {
                return Ok(indices);
            }
            self.redraws += 1;
            if self.redraws > self.options.max_redraws {
                return Err(Error::Undefined {
                    what: "the bootstrap",
                    reason: format!(
                        "{} samples had fewer than 2 events or non-events (the cap `max_redraws`)",
                        self.redraws
                    ),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> (Vec<f64>, Vec<bool>) {
        let y: Vec<bool> = (0..40).map(|i| i % 3 == 0).collect();
        let s: Vec<f64> = (0..40)
            .map(|i| (i % 7) as f64 + if i % 3 == 0 { 2.5 } else { 0.0 })
            .collect();
        (s, y)
    }

    #[test]
    fn deterministic_and_brackets_the_estimate() {
        let (s, y) = example();
        let a = bootstrap_auc_ci(&s, &y, 500, &mut SeededRng::new(9)).unwrap();
        let b = bootstrap_auc_ci(&s, &y, 500, &mut SeededRng::new(9)).unwrap();
        assert_eq!(a, b);
        assert!(a.lo < a.estimate && a.estimate < a.hi, "{a:?}");
        assert_eq!(a.redraws, 0);
        assert!(matches!(
            bootstrap_auc_ci(&s, &y, 10, &mut SeededRng::new(9)),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn rare_events_are_redrawn_and_counted() {
        // 3 events among 40: an unstratified sample misses two of them often (P ≈ 0.42), and is drawn again.
        let y: Vec<bool> = (0..40).map(|i| i < 3).collect();
        let s: Vec<f64> = (0..40)
            .map(|i| f64::from(i % 5) + if i < 3 { 2.0 } else { 0.0 })
            .collect();
        let options = BootstrapOptions {
            replicates: 200,
            stratified: false,
            max_redraws: 10_000,
        };
        let ci = bootstrap_auc_ci_with_options(&s, &y, &options, &mut SeededRng::new(3)).unwrap();
        assert!(ci.redraws > 20, "{ci:?}");
        let capped = BootstrapOptions {
            max_redraws: 2,
            ..options
        };
        assert!(matches!(
            bootstrap_auc_ci_with_options(&s, &y, &capped, &mut SeededRng::new(3)),
            Err(Error::Undefined { .. })
        ));
        // One event: no bootstrap.
        let one: Vec<bool> = (0..40).map(|i| i == 0).collect();
        assert!(matches!(
            bootstrap_auc_ci(&s, &one, 200, &mut SeededRng::new(3)),
            Err(Error::Undefined { .. })
        ));
    }

    #[test]
    fn identical_scores_have_no_paired_spread() {
        let (s, y) = example();
        let options = BootstrapOptions::with_replicates(100);
        assert!(matches!(
            bootstrap_paired(&s, &s, &y, &options, &mut SeededRng::new(1)),
            Err(Error::Undefined { .. })
        ));
    }
}
