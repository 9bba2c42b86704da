//! `mmrad_image::filters::{lbp_2d, lbp_3d, icosphere}` vs PyRadiomics 3.1.0's `getLBP2DImage` / `getLBP3DImage`,
//! voxel by voxel.
//!
//! The reference (`tests/reference/filters/lbp_small.txt`, made by `lbp_ref.py` next to it) runs PyRadiomics on
//! six small deterministic images (int16 3D with a flat block and a second label, float32 3D, int16 2D, uint8 3D,
//! a single int16 slice, float64 3D) with ROI masks touching the borders, for every `lbp2DMethod`, radii and sample
//! counts off the defaults, `force2Ddimension` 1 and 2, and three LBP3D settings; and trimesh's icosphere vertices.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use mmrad_image::filters::{self, Lbp2dSettings, Lbp3dSettings, LbpMethod, PixelType};
use ndarray::Array3;

/// Named images of one run.
type Images = Vec<(String, Array3<f64>)>;
/// Icosphere vertices by (subdivisions, radius).
type Icospheres = Vec<((usize, f64), Vec<[f64; 3]>)>;

struct Input {
    data: Array3<f64>,
    mask: Array3<f64>,
    pixel: PixelType,
    ndim: usize,
}

struct Reference {
    inputs: BTreeMap<String, Input>,
    /// ((case, run, image name), voxels)
    outputs: Vec<((String, String, String), Array3<f64>)>,
    /// ((subdivisions, radius), vertices)
    icospheres: Icospheres,
}

fn parse_values(line: &str) -> Vec<f64> {
    line.split_whitespace().map(|v| v.parse().unwrap()).collect()
}

fn reference() -> Reference {
    let path = mmrad_testkit::workspace_root().join("tests/reference/filters/lbp_small.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut pixels = BTreeMap::new();
    let mut data = BTreeMap::new();
    let mut masks = BTreeMap::new();
    let mut outputs = Vec::new();
    let mut icospheres = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["#", "versions", ..] => {}
            ["#", "icosphere", sub, radius, _n] => {
                let v = parse_values(lines.next().unwrap());
                let vertices = v.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
                icospheres.push(((sub.parse().unwrap(), radius.parse().unwrap()), vertices));
            }
            ["#", "dtype", case, dtype, "ndim", ndim] => {
                let pixel = match *dtype {
                    "int16" => PixelType::integer(-32768, 32767),
                    "uint8" => PixelType::integer(0, 255),
                    "float32" => PixelType::Float32,
                    "float64" => PixelType::Float64,
                    other => panic!("dtype {other}"),
                };
                pixels.insert((*case).to_owned(), (pixel, ndim.parse::<usize>().unwrap()));
            }
            ["#", case, run, name, nz, ny, nx] => {
                let values = parse_values(lines.next().unwrap());
                let shape = (nz.parse().unwrap(), ny.parse().unwrap(), nx.parse().unwrap());
                let array = Array3::from_shape_vec(shape, values).unwrap();
                match *run {
                    "input" => {
                        data.insert((*case).to_owned(), array);
                    }
                    "mask" => {
                        masks.insert((*case).to_owned(), array);
                    }
                    _ => outputs.push((((*case).to_owned(), (*run).to_owned(), (*name).to_owned()), array)),
                }
            }
            _ => panic!("unexpected line `{line}`"),
        }
    }
    let inputs = data
        .into_iter()
        .map(|(case, data)| {
            let (pixel, ndim) = pixels[&case];
            let mask = masks.remove(&case).unwrap();
            (
                case,
                Input {
                    data,
                    mask,
                    pixel,
                    ndim,
                },
            )
        })
        .collect();
    Reference {
        inputs,
        outputs,
        icospheres,
    }
}

/// `lbp2d-<method>-r<radius>-p<samples>[-axis<k>]` or `lbp2d-default-settings`.
fn settings_2d(run: &str) -> Lbp2dSettings {
    if run == "lbp2d-default-settings" {
        return Lbp2dSettings::default();
    }
    let rest = run.strip_prefix("lbp2d-").unwrap();
    let (method, rest) = rest.split_once("-r").unwrap();
    let parts: Vec<&str> = rest.split('-').collect();
    Lbp2dSettings {
        radius: parts[0].parse().unwrap(),
        samples: parts[1].strip_prefix('p').unwrap().parse().unwrap(),
        method: LbpMethod::parse(method).unwrap(),
        axis: parts
            .get(2)
            .map_or(0, |a| a.strip_prefix("axis").unwrap().parse().unwrap()),
    }
}

/// `lbp3d-l<levels>-r<radius>-s<subdivision>` or `lbp3d-default-settings`.
fn settings_3d(run: &str) -> Lbp3dSettings {
    if run == "lbp3d-default-settings" {
        return Lbp3dSettings::default();
    }
    let parts: Vec<&str> = run.strip_prefix("lbp3d-").unwrap().split('-').collect();
    Lbp3dSettings {
        levels: parts[0].strip_prefix('l').unwrap().parse().unwrap(),
        icosphere_radius: parts[1].strip_prefix('r').unwrap().parse().unwrap(),
        icosphere_subdivision: parts[2].strip_prefix('s').unwrap().parse().unwrap(),
    }
}

/// Equal, both NaN, or within `rtol` of the reference (relative to max(|reference|, 1)).
fn check_images(what: &str, ours: &Array3<f64>, reference: &Array3<f64>, rtol: f64) -> f64 {
    assert_eq!(ours.dim(), reference.dim(), "{what}");
    let mut worst = 0.0_f64;
    for ((idx, &a), &b) in ours.indexed_iter().zip(reference.iter()) {
        if a.is_nan() && b.is_nan() {
            continue;
        }
        let err = (a - b).abs() / b.abs().max(1.0);
        assert!(err <= rtol, "{what} at {idx:?}: ours {a}, PyRadiomics {b}");
        worst = worst.max(err);
    }
    worst
}

#[test]
fn lbp_2d_matches_scikit_image_through_pyradiomics() {
    let reference = reference();
    let mut n = 0;
    for ((case, run, _name), expected) in reference.outputs.iter().filter(|(k, _)| k.1.starts_with("lbp2d")) {
        let input = &reference.inputs[case];
        let ours = filters::lbp_2d(&input.data, input.ndim, &settings_2d(run), input.pixel).unwrap();
        // LBP codes are exact small integers; `var` is a sum of products: exact up to rounding.
        check_images(&format!("{case} {run}"), &ours, expected, 1e-12);
        n += 1;
    }
    // 5 3D inputs × 10 runs, the 2D input × 8 (no force2Ddimension).
    assert_eq!(n, 58);
}

#[test]
fn lbp_3d_matches_pyradiomics() {
    let reference = reference();
    let mut runs: BTreeMap<(String, String), Images> = BTreeMap::new();
    for ((case, run, name), expected) in reference.outputs.iter().filter(|(k, _)| k.1.starts_with("lbp3d")) {
        runs.entry((case.clone(), run.clone()))
            .or_default()
            .push((name.clone(), expected.clone()));
    }
    let mut worst = 0.0_f64;
    for ((case, run), expected) in &runs {
        let input = &reference.inputs[case];
        let roi = input.mask.mapv(|v| v == 1.0);
        let ours = filters::lbp_3d(&input.data, &roi, &settings_3d(run), input.pixel).unwrap();
        let names: Vec<&String> = ours.iter().map(|(n, _)| n).collect();
        let expected_names: Vec<&String> = expected.iter().map(|(n, _)| n).collect();
        assert_eq!(names, expected_names, "{case} {run}");
        for ((name, image), (_, reference)) in ours.iter().zip(expected) {
            worst = worst.max(check_images(
                &format!("{case} {run} {name}"),
                image,
                reference,
                1e-12,
            ));
        }
    }
    // 5 3D inputs (the 2D one yields nothing) × 3 settings.
    assert_eq!(runs.len(), 15);
    eprintln!("LBP3D worst relative error {worst:e}");
}

#[test]
fn icosphere_matches_trimesh() {
    let reference = reference();
    assert_eq!(reference.icospheres.len(), 5);
    for ((sub, radius), expected) in &reference.icospheres {
        let ours = filters::icosphere(*sub, *radius);
        assert_eq!(ours.len(), expected.len());
        for (k, (a, b)) in ours.iter().zip(expected).enumerate() {
            for axis in 0..3 {
                assert!(
                    (a[axis] - b[axis]).abs() <= 4.0 * f64::EPSILON * radius,
                    "{sub} {radius} vertex {k}: {a:?} vs {b:?}"
                );
            }
        }
    }
}
