//! The ROC figure's sensitivity band (`figures::roc_curve`) against R pROC 1.18
//! (`tests/reference/evaluation/make_reference_roc_band.R`, dataset `liang` of `data.csv`, scores `a` and `b`,
//! 3 decimals so cases and controls tie).
//!
//! Two checks: the per-replicate statistic exactly (the sensitivity at specificities 0, 0.02, …, 1 on 25 resamples
//! drawn in R, as `coords(input = "specificity")` reads it, interpolating along tied segments), and the band itself
//! against `ci.se` (2000 stratified replicates) within the Monte-Carlo spread of two pROC seeds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use mmrad_core::SeededRng;
use mmrad_study::figures::{roc_curve, sensitivity_at_specificities};
use mmrad_testkit::workspace_root;

fn read(name: &str) -> Vec<Vec<String>> {
    let path = workspace_root().join("tests/reference/evaluation").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// (y, score a, score b) of dataset `liang`.
fn liang() -> (Vec<bool>, Vec<f64>, Vec<f64>) {
    let rows: Vec<Vec<String>> = read("data.csv").into_iter().filter(|r| r[0] == "liang").collect();
    (
        rows.iter().map(|r| r[2] == "1").collect(),
        rows.iter().map(|r| r[3].parse().unwrap()).collect(),
        rows.iter().map(|r| r[4].parse().unwrap()).collect(),
    )
}

fn grid() -> Vec<f64> {
    (0..=50).map(|k| f64::from(k) / 50.0).collect()
}

#[test]
fn sensitivity_on_each_resample_equals_proc_coords() {
    let (y, a, b) = liang();
    let mut rows: BTreeMap<(String, u32), Vec<usize>> = BTreeMap::new();
    for r in read("roc_band_resamples.csv") {
        rows.entry((r[0].clone(), r[1].parse().unwrap()))
            .or_default()
            .push(r[3].parse().unwrap());
    }
    let mut expected: BTreeMap<(String, u32), Vec<f64>> = BTreeMap::new();
    for r in read("roc_band_resample_se.csv") {
        expected
            .entry((r[0].clone(), r[1].parse().unwrap()))
            .or_default()
            .push(r[3].parse().unwrap());
    }
    assert_eq!(rows.len(), 50);
    let mut worst = 0.0_f64;
    let mut interpolated = 0;
    for ((score, replicate), picked) in &rows {
        let scores = if score == "a" { &a } else { &b };
        let s: Vec<f64> = picked.iter().map(|&i| scores[i]).collect();
        let t: Vec<bool> = picked.iter().map(|&i| y[i]).collect();
        let ours = sensitivity_at_specificities(&s, &t, &grid()).unwrap();
        let reference = &expected[&(score.clone(), *replicate)];
        assert_eq!(ours.len(), reference.len());
        for (k, (o, r)) in ours.iter().zip(reference).enumerate() {
            let diff = (o - r).abs();
            worst = worst.max(diff);
            assert!(
                diff <= 1e-12,
                "score {score}, replicate {replicate}, specificity {}: {o} vs pROC {r}",
                grid()[k]
            );
            // Sensitivities on the step curve are multiples of 1/events; others come from interpolation.
            let events = t.iter().filter(|&&e| e).count() as f64;
            if ((r * events).round() - r * events).abs() > 1e-9 {
                interpolated += 1;
            }
        }
    }
    eprintln!(
        "pROC coords on 50 resamples × 51 specificities: worst difference {worst:.1e}, {interpolated} values interpolated"
    );
    // The data must exercise the interpolation along tied segments, or the comparison would not test it.
    assert!(interpolated > 0);
}

#[test]
fn band_matches_proc_ci_se_within_its_monte_carlo_spread() {
    let (y, a, b) = liang();
    let reference = read("roc_band_ci_se.csv");
    for (score, scores) in [("a", &a), ("b", &b)] {
        let seeds: Vec<Vec<&Vec<String>>> = ["1", "2"]
            .iter()
            .map(|seed| {
                reference
                    .iter()
                    .filter(|r| r[0] == score && r[1] == *seed)
                    .collect()
            })
            .collect();
        let curve = roc_curve(score, scores, &y, 2000, &mut SeededRng::new(20_261_127)).unwrap();
        assert_eq!(curve.band.len(), seeds[0].len());
        let events = y.iter().filter(|&&e| e).count() as f64;
        let mut spread = 0.0_f64;
        let mut worst = 0.0_f64;
        for (k, (fpr, lower, upper)) in curve.band.iter().enumerate() {
            let (r1, r2) = (seeds[0][k], seeds[1][k]);
            let spec: f64 = r1[2].parse().unwrap();
            assert!((1.0 - fpr - spec).abs() < 1e-12);
            for (ours, column) in [(lower, 3), (upper, 5)] {
                let v1: f64 = r1[column].parse().unwrap();
                let v2: f64 = r2[column].parse().unwrap();
                spread = spread.max((v1 - v2).abs());
                let diff = (ours - 0.5 * (v1 + v2)).abs();
                worst = worst.max(diff);
                // pROC's two seeds differ by up to one step of 1/events (measured: 1/28 for both scores); a third
                // draw, ours, may sit one step from their mean, and no more.
                assert!(
                    diff <= 1.0 / events + 1e-9,
                    "score {score}, specificity {spec}: ours {ours}, pROC {v1} / {v2}"
                );
            }
        }
        eprintln!(
            "score {score}: band vs pROC ci.se: worst {worst:.4} (pROC seed-to-seed spread {spread:.4}, one step {:.4})",
            1.0 / events
        );
    }
}
