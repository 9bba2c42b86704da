//! The nomogram against `rms::nomogram` (R 4.2.2, rms 6.5.0; `tests/reference/evaluation/make_reference_nomogram.R`
//! on `nomogram_data.csv`): axis tick values, points per tick, the points scale, total points → probability and
//! the probability ticks' positions, for a four-predictor and a one-predictor model; and R's `pretty`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mmrad_core::Dataset;
use mmrad_modeling::{CiMethod, LogisticParams, Nomogram, axis_values, pretty};
use ndarray::{Array1, Array2};

/// A committed CSV of `tests/reference/evaluation/` as rows of fields (header dropped).
fn read(name: &str) -> Vec<Vec<String>> {
    let path = mmrad_testkit::workspace_root()
        .join("tests/reference/evaluation")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|f| f.trim().to_owned()).collect())
        .collect()
}

/// R's `write.csv` keeps 15 significant digits: compare at 1e-6 (the target) relative to max(1, |x|).
fn close(what: &str, ours: f64, r: f64) -> f64 {
    let err = (ours - r).abs() / r.abs().max(1.0);
    assert!(err < 1e-6, "{what}: ours {ours}, rms {r} (error {err:e})");
    err
}

#[test]
fn pretty_is_r_pretty() {
    for row in read("nomogram_pretty.csv") {
        let (lo, hi): (f64, f64) = (row[0].parse().unwrap(), row[1].parse().unwrap());
        let n: usize = row[2].parse().unwrap();
        let r: Vec<f64> = row[3].split(';').map(|v| v.trim().parse().unwrap()).collect();
        let ours = pretty(lo, hi, n);
        assert_eq!(ours.len(), r.len(), "pretty({lo}, {hi}): {ours:?} vs {r:?}");
        for (a, b) in ours.iter().zip(&r) {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1e-300) + 1e-300,
                "pretty({lo}, {hi}): {ours:?} vs {r:?}"
            );
        }
    }
    assert!(pretty(f64::NAN, 1.0, 10).is_empty());
}

#[test]
fn nomogram_matches_rms() {
    let data = read("nomogram_data.csv");
    let reference = read("nomogram_reference.csv");
    let names = ["age", "pr", "ki67", "ct"];
    let column = |name: &str| -> Vec<f64> {
        let j = 1 + names.iter().position(|n| *n == name).unwrap();
        data.iter().map(|r| r[j].parse().unwrap()).collect()
    };
    let y = Array1::from_iter(data.iter().map(|r| r[0].parse::<f64>().unwrap()));
    let mut worst: f64 = 0.0;
    for (model, terms) in [("full", &names[..]), ("single", &["ki67"][..])] {
        let rows: Vec<&Vec<String>> = reference.iter().filter(|r| r[0] == model).collect();
        let get = |kind: &str| -> Vec<(String, f64, f64)> {
            rows.iter()
                .filter(|r| r[1] == kind)
                .map(|r| {
                    (
                        r[2].clone(),
                        r[3].parse().unwrap(),
                        r[4].parse().unwrap_or(f64::NAN),
                    )
                })
                .collect()
        };
        let x = Array2::from_shape_fn((y.len(), terms.len()), |(i, j)| column(terms[j])[i]);
        let fit = LogisticParams::new()
            .ci(CiMethod::Wald)
            .check()
            .unwrap()
            .fit_named(&Dataset::new(x.view(), y.view()).unwrap(), terms)
            .unwrap();
        for ((term, r, _), ours) in get("coef").iter().zip(fit.terms()) {
            worst = worst.max(close(&format!("{model} coef {term}"), ours.coef, *r));
        }
        let ticks: Vec<Vec<f64>> = terms.iter().map(|t| axis_values(&column(t))).collect();
        let ranges: Vec<(f64, f64)> = ticks.iter().map(|t| (t[0], t[t.len() - 1])).collect();
        let nomogram = Nomogram::new(&fit, &ranges).unwrap();
        worst = worst.max(close(
            "points per lp",
            nomogram.points_per_lp(),
            get("scale")[0].1,
        ));
        worst = worst.max(close(
            "lp at 0 points",
            nomogram.lp_at_zero_points(),
            get("lp_at_zero")[0].2,
        ));
        let axis = get("axis");
        for (j, term) in terms.iter().enumerate() {
            let r: Vec<&(String, f64, f64)> = axis.iter().filter(|a| a.0 == *term).collect();
            assert_eq!(
                ticks[j],
                r.iter().map(|a| a.1).collect::<Vec<_>>(),
                "{model} {term} ticks"
            );
            for (value, (_, _, points)) in ticks[j].iter().zip(&r) {
                let a = &nomogram.axes()[j];
                let ours = a.coef * (value - a.zero_at) * nomogram.points_per_lp();
                worst = worst.max(close(&format!("{model} {term} points at {value}"), ours, *points));
            }
        }
        let max_total: f64 = nomogram.axes().iter().map(|a| a.max_points).sum();
        let totals = get("total");
        let our_totals = pretty(0.0, max_total, 10);
        assert_eq!(
            our_totals,
            totals.iter().map(|t| t.1).collect::<Vec<_>>(),
            "{model} total ticks"
        );
        for (_, total, p) in &totals {
            worst = worst.max(close(
                &format!("{model} P at {total}"),
                nomogram.probability(*total),
                *p,
            ));
        }
        for (_, p, points) in get("probability_exact") {
            let ours = nomogram.points_for_probability(p).unwrap();
            worst = worst.max(close(&format!("{model} points at P = {p}"), ours, points));
        }
        // rms places the probability ticks by inverting plogis numerically (approx() on a grid): within 1e-3
        // points of the exact inverse.
        for (_, p, points) in get("probability") {
            let ours = nomogram.points_for_probability(p).unwrap();
            assert!(
                (ours - points).abs() < 1e-3,
                "{model} rms tick at P = {p}: {ours} vs {points}"
            );
        }
    }
    assert!(worst < 1e-6);
    eprintln!("worst relative error against rms::nomogram: {worst:e}");
}
