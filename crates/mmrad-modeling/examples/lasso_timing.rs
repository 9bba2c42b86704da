//! Times the binomial LASSO path and its 10-fold cross-validation on an 89 × 400 problem shaped like one modality
//! of the Liang 2025 cohort (run by `cargo xtask bench lasso`; prints milliseconds, asserts nothing).

use std::time::Instant;

use mmrad_core::{Dataset, SeededRng};
use mmrad_modeling::LassoParams;
use ndarray::{Array1, Array2};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (n, p) = (89, 400);
    let mut rng = SeededRng::new(2025);
    let signal: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let x = Array2::from_shape_fn((n, p), |(i, j)| {
        let informative = if j < 5 { signal[i] * 0.8 } else { 0.0 };
        informative + rng.normal()
    });
    let y: Array1<f64> = signal.iter().map(|s| f64::from(u8::from(*s > 0.5))).collect();
    let data = Dataset::new(x.view(), y.view())?;
    let runs = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5usize);
    for tol in [1e-11, 1e-7] {
        let params = LassoParams::binomial().tol(tol).check()?;
        let mut path_ms = Vec::new();
        let mut cv_ms = Vec::new();
        for run in 0..runs {
            let start = Instant::now();
            let path = params.fit_path(&data)?;
            path_ms.push(start.elapsed().as_secs_f64() * 1e3);
            let start = Instant::now();
            let fit = params.fit_cv_seeded(&data, &mut SeededRng::new(run as u64))?;
            cv_ms.push(start.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box((path, fit));
        }
        path_ms.sort_by(f64::total_cmp);
        cv_ms.sort_by(f64::total_cmp);
        println!(
            "lasso 89x400 tol={tol:e}: path min {:.1} ms median {:.1} ms; 10-fold cv min {:.1} ms median {:.1} ms",
            path_ms[0],
            path_ms[runs / 2],
            cv_ms[0],
            cv_ms[runs / 2]
        );
    }
    Ok(())
}
