//! `mmrad_image::filters` vs PyRadiomics 3.1.0's own filter functions, voxel by voxel.
//!
//! The reference (`tests/reference/filters/filters_small.txt`, made by `filters_ref.py` next to it) runs
//! `radiomics.imageoperations.get<Type>Image` (SimpleITK 2.5.7, PyWavelets 1.8.0) on three small deterministic
//! images: int16 3D with anisotropic spacing and odd sizes, float32 3D, and int16 2D. Each test compares one filter
//! on every image; the error is measured relative to the largest absolute reference voxel of the band, because
//! filters such as LoG and wavelet details cancel to values near 0 where a pointwise relative error means nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use mmrad_core::{Geometry, Volume};
use mmrad_image::filters;
use ndarray::Array3;

/// Named filtered images.
type Bands = Vec<(String, Array3<f64>)>;

/// Inputs (`case -> volume`) and references (`(case, filter, name) -> voxels`) of the reference file.
struct Reference {
    inputs: BTreeMap<String, Volume>,
    outputs: Vec<((String, String, String), Array3<f64>)>,
}

fn reference() -> Reference {
    let path = mmrad_testkit::workspace_root().join("tests/reference/filters/filters_small.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut geometries = BTreeMap::new();
    let mut inputs = BTreeMap::new();
    let mut outputs = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["#", "versions", ..] => {}
            ["#", "geometry", case, rest @ ..] => {
                let ndim: usize = rest[rest.len() - 1].parse().unwrap();
                let mut spacing = [1.0; 3];
                for (k, s) in rest[..ndim].iter().enumerate() {
                    spacing[k] = s.parse().unwrap();
                }
                let geometry = Geometry {
                    ndim,
                    ..Geometry::with_spacing(spacing)
                };
                geometries.insert((*case).to_owned(), geometry);
            }
            ["#", case, filter, name, nz, ny, nx] => {
                let values: Vec<f64> = lines
                    .next()
                    .unwrap()
                    .split_whitespace()
                    .map(|v| v.parse().unwrap())
                    .collect();
                let shape = (nz.parse().unwrap(), ny.parse().unwrap(), nx.parse().unwrap());
                let array = Array3::from_shape_vec(shape, values).unwrap();
                if *filter == "input" {
                    inputs.insert((*case).to_owned(), Volume::new(array, geometries[*case].clone()));
                } else {
                    outputs.push((
                        ((*case).to_owned(), (*filter).to_owned(), (*name).to_owned()),
                        array,
                    ));
                }
            }
            _ => panic!("unexpected line `{line}`"),
        }
    }
    Reference { inputs, outputs }
}

/// Compares every reference band whose filter name starts with `filter_prefix` with `ours(input, filter, name)`;
/// returns the number of bands compared.
fn check(
    filter_prefix: &str,
    tolerance: f64,
    float32_tolerance: f64,
    ours: impl Fn(&Volume, &str) -> Vec<(String, Array3<f64>)>,
) -> usize {
    let reference = reference();
    let mut compared = 0;
    let mut worst = (0.0_f64, String::new());
    let mut computed: BTreeMap<(String, String), Bands> = BTreeMap::new();
    for ((case, filter, name), want) in &reference.outputs {
        if !(filter == filter_prefix || filter.starts_with(&format!("{filter_prefix}-"))) {
            continue;
        }
        let bands = computed
            .entry((case.clone(), filter.clone()))
            .or_insert_with(|| ours(&reference.inputs[case], filter));
        let got = &bands
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| {
                panic!(
                    "{case} {filter}: no band `{name}` (have {:?})",
                    bands.iter().map(|b| &b.0).collect::<Vec<_>>()
                )
            })
            .1;
        assert_eq!(got.dim(), want.dim(), "{case} {filter} {name}");
        let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs())).max(1e-300);
        let error = got
            .iter()
            .zip(want)
            .fold(0.0_f64, |m, (g, w)| m.max((g - w).abs() / scale));
        if error > worst.0 {
            worst = (error, format!("{case} {filter} {name}"));
        }
        let tolerance = if case.contains("float32") {
            float32_tolerance
        } else {
            tolerance
        };
        assert!(
            error <= tolerance,
            "{case} {filter} {name}: error {error:.3e} > {tolerance:e}"
        );
        compared += 1;
    }
    // Every band we produce must exist in the reference too (same names, same count).
    for ((case, filter), bands) in &computed {
        for (name, _) in bands {
            assert!(
                reference
                    .outputs
                    .iter()
                    .any(|((c, f, n), _)| c == case && f == filter && n == name),
                "{case} {filter}: band `{name}` is not in PyRadiomics' output"
            );
        }
    }
    eprintln!(
        "{filter_prefix}: {compared} bands, worst error {:.3e} ({})",
        worst.0, worst.1
    );
    assert!(compared > 0, "no reference band for `{filter_prefix}`");
    compared
}

fn one(name: &str, data: Array3<f64>) -> Bands {
    vec![(name.to_owned(), data)]
}

#[test]
fn pointwise_filters_match_pyradiomics() {
    // numpy float64 formulas; the only differences are libm's log/exp/sqrt last bits.
    let tol = 1e-14;
    check("square", tol, tol, |v, _| {
        one("square", filters::square(&v.data).unwrap())
    });
    check("squareroot", tol, tol, |v, _| {
        one("squareroot", filters::square_root(&v.data).unwrap())
    });
    check("logarithm", tol, tol, |v, _| {
        one("logarithm", filters::logarithm(&v.data).unwrap())
    });
    check("exponential", tol, tol, |v, _| {
        one("exponential", filters::exponential(&v.data).unwrap())
    });
}

#[test]
fn gradient_matches_simpleitk() {
    // float32 output: at most one float32 rounding apart.
    check("gradient", 1.2e-7, 1.2e-7, |v, filter| {
        one(
            "gradient",
            filters::gradient_magnitude(v, filter == "gradient").data,
        )
    });
}

#[test]
fn log_matches_simpleitk() {
    check("log", 1e-6, 1e-6, |v, _| {
        [1.0, 2.5, 0.5]
            .into_iter()
            .map(|sigma: f64| {
                let name = format!("log-sigma-{}-mm-3D", format!("{sigma:?}").replace('.', "-"));
                (name, filters::laplacian_of_gaussian(v, sigma).unwrap().data)
            })
            .collect()
    });
}

#[test]
fn wavelets_match_pywavelets() {
    // f64 on integer images, float32 emulation on the float32 image (PyWavelets' float kernel).
    let n = check("wavelet", 1e-12, 1e-12, |v, filter| {
        let wavelet = filter.split('-').nth(1).unwrap();
        let (start_level, level) = if filter.contains("start1-level2") {
            (1, 2)
        } else {
            (0, 1)
        };
        let force = filter.ends_with("force2d").then_some(0);
        let axes = filters::wavelet_axes(v.geometry.ndim, force);
        // The reference's float32 image (spacing y 0.9) is transformed by PyWavelets in float32.
        let precision = if v.geometry.spacing[1] == 0.9 {
            filters::Precision::F32
        } else {
            filters::Precision::F64
        };
        filters::wavelet_decompositions(&v.data, wavelet, start_level, level, &axes, precision)
            .unwrap()
            .into_iter()
            .map(|b| (b.name, b.data))
            .collect()
    });
    // Two 3D images: 6 wavelets × 8 bands, 7 + 7 + 1 two-level bands, 4 force2D bands; 2D: 6 × 4 bands, 3 + 3 + 1.
    assert_eq!(n, 2 * (6 * 8 + 15 + 4) + (6 * 4 + 7));
}

#[test]
fn log_sigma_rules_follow_pyradiomics() {
    let check = |size: &[usize], spacing: &[f64], sigma: f64, ok: bool| {
        assert_eq!(
            filters::log_sigma_applies(size, spacing, sigma).is_ok(),
            ok,
            "{size:?} {spacing:?} {sigma}"
        );
    };
    check(&[10, 10, 3], &[1.0, 1.0, 1.0], 1.0, false); // a dimension under 4 voxels
    check(&[10, 10, 10], &[1.0, 1.0, 1.0], 0.0, false);
    check(&[10, 10, 4], &[1.0, 1.0, 1.0], 3.0, true); // 4 >= ceil(3) + 1
    check(&[10, 10, 4], &[1.0, 1.0, 1.0], 3.5, false); // 4 < ceil(3.5) + 1
    check(&[10, 10, 4], &[1.0, 1.0, 2.0], 5.9, true); // ceil(2.95) + 1 = 4
}

#[test]
fn unknown_wavelet_is_an_error_naming_it() {
    let data = Array3::<f64>::zeros((2, 2, 2));
    let err = filters::wavelet_decompositions(&data, "coif0", 0, 1, &[2, 1, 0], filters::Precision::F64)
        .unwrap_err();
    assert!(err.to_string().contains("`coif0`"), "{err}");
}
