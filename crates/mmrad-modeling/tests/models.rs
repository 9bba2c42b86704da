//! Clinical model (univariate screen and backward AIC against R `glm` / `step`), fusion, nomogram closed form,
//! standardiser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Csv, columns};
use mmrad_core::Dataset;
use mmrad_modeling::{
    CiMethod, ClinicalParams, ClinicalSelection, FusionParams, LogisticParams, Nomogram, SdDenominator,
    StandardiserParams,
};
use mmrad_testkit::assert_close;
use ndarray::{Array1, array};

const TERMS: [&str; 7] = ["age", "er", "pr", "her2", "ki67", "ct", "noise"];

fn clinical() -> (ndarray::Array2<f64>, Array1<f64>) {
    let csv = Csv::read("clinical.csv");
    (columns(&csv, &TERMS), Array1::from(csv.f64s("y")))
}

#[test]
fn univariate_screen_matches_glm() {
    let (x, y) = clinical();
    let data = Dataset::new(x.view(), y.view()).unwrap();
    let fitted = ClinicalParams::new()
        .p_max(0.05)
        .check()
        .unwrap()
        .fit(&data, &TERMS)
        .unwrap();
    let r = Csv::read("glm_univariate.csv");
    for (k, s) in fitted.screen().iter().enumerate() {
        assert_eq!(s.term, r.strs("term")[k]);
        // Converged Newton fits: 1e-8 relative.
        assert_close(
            &format!("{} univariate coef", s.term),
            s.coef,
            r.f64s("coef")[k],
            1e-8,
            0.0,
        );
        assert_close(
            &format!("{} univariate p", s.term),
            s.p,
            r.f64s("p")[k],
            1e-7,
            0.0,
        );
        assert_eq!(s.passed, r.f64s("p")[k] < 0.05, "{}", s.term);
    }
    let expected: Vec<String> = r
        .strs("term")
        .into_iter()
        .zip(r.f64s("p"))
        .filter(|(_, p)| *p < 0.05)
        .map(|(t, _)| t)
        .collect();
    assert_eq!(fitted.terms(), expected.as_slice());
}

#[test]
fn backward_aic_matches_r_step() {
    let (x, y) = clinical();
    let data = Dataset::new(x.view(), y.view()).unwrap();
    let fitted = ClinicalParams::new()
        .p_max(1.0)
        .selection(ClinicalSelection::BackwardAic)
        .logistic(LogisticParams::new().ci(CiMethod::Wald))
        .check()
        .unwrap()
        .fit(&data, &TERMS)
        .unwrap();
    let r = Csv::read("glm_step_backward.csv");
    let r_terms: Vec<String> = r.strs("term").into_iter().skip(1).collect();
    assert_eq!(fitted.terms(), r_terms.as_slice());
    for (k, t) in fitted.model().terms().iter().enumerate() {
        assert_close(
            &format!("step {} coef", t.term),
            t.coef,
            r.f64s("coef")[k],
            1e-8,
            0.0,
        );
        assert_close(&format!("step {} se", t.term), t.se, r.f64s("se")[k], 1e-8, 0.0);
    }
    assert_close("step aic", fitted.model().aic(), r.f64s("aic")[0], 1e-12, 0.0);
    assert_close(
        "last aic on path",
        fitted.aic_path().last().unwrap().1,
        r.f64s("aic")[0],
        1e-12,
        0.0,
    );
}

#[test]
fn nothing_passing_the_screen_gives_an_intercept_only_model() {
    let (x, y) = clinical();
    let data = Dataset::new(x.view(), y.view()).unwrap();
    let fitted = ClinicalParams::new()
        .p_max(1e-12)
        .check()
        .unwrap()
        .fit(&data, &TERMS)
        .unwrap();
    assert!(fitted.terms().is_empty());
    let events = y.sum() / y.len() as f64;
    let p = fitted.predict_proba(x.view()).unwrap();
    // Intercept-only ML fit: P = event rate (closed form), to Newton convergence.
    assert!(p.iter().all(|v| (v - events).abs() < 1e-12));
}

#[test]
fn nomogram_total_points_map_to_the_model_probability() {
    let (x, y) = clinical();
    let cols = columns(&Csv::read("clinical.csv"), &["pr", "her2", "ct"]);
    let data = Dataset::new(cols.view(), y.view()).unwrap();
    let fit = LogisticParams::new()
        .ci(CiMethod::Wald)
        .check()
        .unwrap()
        .fit_named(&data, &["pr", "her2", "ct"])
        .unwrap();
    let ranges = [(0.0, 1.0), (0.0, 1.0), (1.0, 4.0)];
    let nomogram = Nomogram::new(&fit, &ranges).unwrap();
    let b = fit.slopes();
    // Closed form: scale = 100 / max_j |b_j| range_j.
    let widest = (b[0].abs()).max(b[1].abs()).max(b[2].abs() * 3.0);
    assert_close(
        "points per lp",
        nomogram.points_per_lp(),
        100.0 / widest,
        1e-14,
        0.0,
    );
    let max_points: Vec<f64> = nomogram.axes().iter().map(|a| a.max_points).collect();
    assert_close(
        "widest axis = 100 points",
        max_points.iter().copied().fold(0.0, f64::max),
        100.0,
        1e-14,
        0.0,
    );
    // ct has a negative coefficient: its zero-point end is the maximum.
    assert!(b[2] < 0.0 && nomogram.axes()[2].zero_at == 4.0);
    let p = fit.predict_proba(cols.view()).unwrap();
    for i in 0..cols.nrows() {
        let total = nomogram.total_points(cols.row(i)).unwrap();
        assert_close(
            "nomogram probability",
            nomogram.probability(total),
            p[i],
            1e-12,
            1e-15,
        );
        assert_close(
            "inverse",
            nomogram.points_for_probability(p[i]).unwrap(),
            total,
            1e-9,
            1e-9,
        );
    }
    let _ = x;
}

#[test]
fn fusion_is_logistic_on_the_scores() {
    let (x, y) = clinical();
    let scores = columns(&Csv::read("clinical.csv"), &["pr", "ct"]);
    let data = Dataset::new(scores.view(), y.view()).unwrap();
    let fusion = FusionParams::new().fit(&data, &["CT", "MR"]).unwrap();
    let direct = LogisticParams::new()
        .ci(CiMethod::Wald)
        .check()
        .unwrap()
        .fit(&data)
        .unwrap();
    assert_eq!(
        fusion.predict_proba(scores.view()).unwrap(),
        direct.predict_proba(scores.view()).unwrap()
    );
    assert_eq!(fusion.modalities(), &["CT".to_string(), "MR".to_string()]);
    let _ = x;
}

#[test]
fn standardiser_uses_training_rows_and_records_constant_columns() {
    let train = array![[1.0, 7.0, 2.0], [2.0, 7.0, 4.0], [3.0, 7.0, 9.0]];
    let fitted = StandardiserParams::new().fit(train.view()).unwrap();
    // Closed form: mean 2, population sd sqrt(2/3).
    assert_close("mean", fitted.means()[0], 2.0, 1e-15, 0.0);
    assert_close("sd (n)", fitted.sds()[0], (2.0f64 / 3.0).sqrt(), 1e-15, 0.0);
    assert_eq!(fitted.constant_columns(), &[1]);
    let sample = StandardiserParams::new()
        .denominator(SdDenominator::NMinusOne)
        .fit(train.view())
        .unwrap();
    assert_close("sd (n-1)", sample.sds()[0], 1.0, 1e-15, 0.0);
    let z = fitted.transform(array![[4.0, 8.0, 5.0]].view()).unwrap();
    assert_close("z", z[[0, 0]], 2.0 / (2.0f64 / 3.0).sqrt(), 1e-15, 0.0);
    assert_eq!(z[[0, 1]], 1.0);
    assert!(fitted.transform(array![[1.0, 2.0]].view()).is_err());
    assert!(
        StandardiserParams::new()
            .fit(array![[1.0, f64::NAN], [2.0, 3.0]].view())
            .is_err()
    );
}
