//! Tests of the `liang2025` generator against its documented model (closed-form rates and correlations).

use mmrad_core::SeededRng;

use crate::*;

fn cohort(n: usize, events: usize, seed: u64) -> SyntheticCohort {
    liang2025_features(&Liang2025Params { n, events, seed }).unwrap()
}

/// Mann–Whitney AUC of `x` for `y` (direct O(n²) count, ties 1/2): the slow reference.
fn auc(x: &[f64], y: &[bool]) -> f64 {
    let (mut num, mut pairs) = (0.0, 0.0);
    for (i, &yi) in y.iter().enumerate() {
        for (j, &yj) in y.iter().enumerate() {
            if yi && !yj {
                pairs += 1.0;
                num += if x[i] > x[j] {
                    1.0
                } else if x[i] == x[j] {
                    0.5
                } else {
                    0.0
                };
            }
        }
    }
    num / pairs
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn exact_events_shapes_and_determinism() {
    for (n, events, seed) in [(89, 28, 2025), (30, 10, 1), (200, 50, 9), (12, 3, 4)] {
        let c = cohort(n, events, seed);
        assert_eq!(c.outcome.n_events(), events);
        assert_eq!(c.clinical.n_cases(), n);
        assert_eq!(c.features.len(), 4);
        for (modality, table) in &c.features {
            assert_eq!(table.n_features(), FEATURES_PER_MODALITY, "{modality}");
            assert_eq!(table.cases(), c.outcome.cases.as_slice());
            assert!(table.values().iter().all(|v| v.is_finite()));
        }
        assert!(c.informative.iter().all(|i| i.len() == INFORMATIVE_PER_MODALITY));
        assert_eq!(c, cohort(n, events, seed), "same seed, same cohort");
    }
    assert_ne!(cohort(89, 28, 1).features, cohort(89, 28, 2).features);
}

#[test]
fn invalid_parameters_are_errors() {
    for (n, events, expected) in [
        (3, 1, "`n` = 3"),
        (10, 0, "`events` = 0"),
        (10, 10, "between 1 and 9"),
    ] {
        let err = liang2025_features(&Liang2025Params { n, events, seed: 1 })
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn large_cohort_matches_the_documented_model() {
    let n = 20_000;
    let c = cohort(n, 6_000, 11);
    let col = |name: &str| c.clinical.column(name).unwrap().to_vec();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    // Bernoulli rates within 5 standard errors (sqrt(p(1-p)/n) ≤ 0.0036): er 0.55, her2 0.35,
    // pr = 0.55·0.70 + 0.45·0.15 = 0.4525.
    let tol = 5.0 * 0.0036;
    assert!((mean(&col("er")) - 0.55).abs() < tol);
    assert!((mean(&col("her2")) - 0.35).abs() < tol);
    assert!((mean(&col("pr")) - 0.4525).abs() < tol);
    // E[ct_stage] = 0.08 + 2·0.52 + 3·0.28 + 4·0.12 = 2.44.
    assert!((mean(&col("ct_stage")) - 2.44).abs() < 5.0 * 0.8 / (n as f64).sqrt());
    // Correlated blocks: cor = 0.81 / (0.81 + 0.436²) = 0.80994 for columns of one block; check that every
    // modality has 8 × 15 pairs near it (±0.03) — a scale change does not alter a correlation.
    for (modality, table) in &c.features {
        let rows: Vec<usize> = (0..2000).collect();
        let x = table.values().select(ndarray::Axis(0), &rows);
        let mut near = 0;
        for a in 0..x.ncols() {
            for b in (a + 1)..x.ncols() {
                let r = pearson(&x.column(a).to_vec(), &x.column(b).to_vec());
                if (r - 0.80994).abs() < 0.03 {
                    near += 1;
                }
            }
        }
        assert_eq!(near, BLOCKS * BLOCK_SIZE * (BLOCK_SIZE - 1) / 2, "{modality}");
    }
    // Informative columns are associated with the outcome (the strongest loading by more than noise does), and
    // the AUC of the best informative column falls with the modality noise: CT and MR > MG > US (CT and MR are
    // too close, 0.45 vs 0.55, for one column of 2000 cases to order them reliably).
    let y = &c.outcome.events;
    let sub: Vec<usize> = (0..2000).collect();
    let y_sub: Vec<bool> = sub.iter().map(|&i| y[i]).collect();
    let mut best = Vec::new();
    for ((_, table), info) in c.features.iter().zip(&c.informative) {
        let mut best_auc: f64 = 0.0;
        for name in info {
            let column = table.column(&name.0).unwrap();
            let x: Vec<f64> = sub.iter().map(|&i| column[i]).collect();
            let a = auc(&x, &y_sub);
            best_auc = best_auc.max(a.max(1.0 - a));
        }
        best.push(best_auc);
    }
    assert!(
        best[0] > best[2] && best[1] > best[2] && best[2] > best[3],
        "{best:?}"
    );
    assert!(best[3] > 0.6, "{best:?}");
    // A noise column has AUC near 0.5: within 5 standard errors (≈ 0.0135 for 2000 cases with 30 % events).
    let mut rng = SeededRng::new(0);
    let (_, table) = &c.features[0];
    let noise = (0..table.n_features())
        .find(|&j| !c.informative[0].contains(&table.names()[j]) && rng.uniform() < 2.0)
        .unwrap();
    let x: Vec<f64> = sub.iter().map(|&i| table.values()[[i, noise]]).collect();
    assert!((auc(&x, &y_sub) - 0.5).abs() < 5.0 * 0.0135);
}
