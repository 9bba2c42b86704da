//! Times the binomial LASSO path and CV on the committed reference data (`cargo run --release --example lasso_timing`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#[path = "../tests/common/mod.rs"]
mod common;
use mmrad_core::Dataset;
use mmrad_modeling::LassoParams;
fn main() {
    for p in [40usize, 400] {
        let (x, y, foldid) = common::lasso_data(p);
        let data = Dataset::new(x.view(), y.view()).unwrap();
        for alpha in [1.0, 0.5] {
            let params = LassoParams::binomial().alpha(alpha).check().unwrap();
            let t = std::time::Instant::now();
            let path = params.fit_path(&data).unwrap();
            let t_path = t.elapsed();
            let t = std::time::Instant::now();
            params.fit_cv(&data, &foldid).unwrap();
            println!("p={p} alpha={alpha}: path {} lambdas in {:?}, cv in {:?}", path.lambdas.len(), t_path, t.elapsed());
        }
    }
}
