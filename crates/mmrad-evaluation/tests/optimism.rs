//! Harrell's bootstrap optimism correction against `rms::validate(lrm, method = "boot", B = 60)`
//! (`tests/reference/evaluation/make_reference_optimism.R`), fed R's own bootstrap samples so that the comparison
//! is exact rather than Monte-Carlo.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mmrad_core::SeededRng;
use mmrad_evaluation::{OPTIMISM_INDEXES, logistic_optimism, logistic_optimism_with_samples};
use mmrad_testkit::workspace_root;
use ndarray::Array2;

fn rows(file: &str) -> Vec<Vec<String>> {
    let text =
        std::fs::read_to_string(workspace_root().join("tests/reference/evaluation").join(file)).unwrap();
    text.lines()
        .skip(1)
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect()
}

fn data() -> (Array2<f64>, Vec<bool>) {
    let rows = rows("optimism_data.csv");
    let x = Array2::from_shape_fn((rows.len(), 3), |(i, j)| rows[i][j + 1].parse().unwrap());
    let y = rows.iter().map(|r| r[0] == "1").collect();
    (x, y)
}

#[test]
fn validate_table_matches_rms() {
    let (x, y) = data();
    let mut samples: Vec<Vec<usize>> = Vec::new();
    for r in rows("optimism_samples.csv") {
        let replicate: usize = r[0].parse().unwrap();
        if samples.len() <= replicate {
            samples.push(Vec::new());
        }
        samples[replicate].push(r[2].parse().unwrap());
    }
    assert_eq!(samples.len(), 60);
    let ours = logistic_optimism_with_samples(x.view(), &y, &samples).unwrap();
    assert_eq!((ours.replicates, ours.failed_fits), (60, 0));
    let expected = rows("reference_r_optimism.csv");
    assert_eq!(expected.len(), OPTIMISM_INDEXES.len());
    let mut worst = 0.0f64;
    for (row, e) in ours.rows.iter().zip(&expected) {
        assert_eq!(row.index, e[0]);
        let value = |k: usize| e[k].parse::<f64>().unwrap();
        for (what, ours, theirs) in [
            ("index.orig", row.apparent, value(1)),
            ("training", row.training, value(2)),
            ("test", row.test, value(3)),
            ("optimism", row.optimism, value(4)),
            ("index.corrected", row.corrected, value(5)),
        ] {
            let d = (ours - theirs).abs();
            assert!(
                d <= 1e-6,
                "{} {what}: ours {ours}, rms {theirs}, difference {d:e}",
                row.index
            );
            worst = worst.max(d);
        }
    }
    eprintln!("validate: worst difference {worst:e}");
}

#[test]
fn seeded_version_is_deterministic_and_corrects_downwards() {
    let (x, y) = data();
    let a = logistic_optimism(x.view(), &y, 40, &mut SeededRng::new(3)).unwrap();
    let b = logistic_optimism(x.view(), &y, 40, &mut SeededRng::new(3)).unwrap();
    assert_eq!(a, b);
    // A fitted model is optimistic about its own discrimination and calibration slope.
    let dxy = a.rows.iter().find(|r| r.index == "Dxy").unwrap();
    let slope = a.rows.iter().find(|r| r.index == "Slope").unwrap();
    assert!(dxy.optimism > 0.0 && dxy.corrected < dxy.apparent, "{dxy:?}");
    assert!(slope.corrected < 1.0, "{slope:?}");
}
