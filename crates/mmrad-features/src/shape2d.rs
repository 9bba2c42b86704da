//! 2D shape features, PyRadiomics 3.1 `radiomics/shape2D.py` and `cshape.c` (`calculate_coefficients2D`).
//!
//! Needs a ROI one slice thick along `force2Ddimension` (PyRadiomics requires `force2D`). The 2D mask is padded by
//! one pixel; marching squares gives the perimeter (sum of segment lengths), the mesh surface (signed triangle areas
//! to the origin) and the maximum diameter between mesh vertices. Axis lengths are 4·√λ of the covariance
//! eigenvalues of the physical pixel-centre coordinates.

use ndarray::{ArrayView2, ArrayView3, Axis};

use crate::mesh_tables::{GRID_ANGLES_2D, LINE_TABLE_2D, VERT_LIST_2D};
use crate::{FeatureError, Result};

/// Features enabled by default, in PyRadiomics' (method-name) order.
pub const FEATURE_NAMES: &[&str] = &[
    "Elongation",
    "MajorAxisLength",
    "MaximumDiameter",
    "MeshSurface",
    "MinorAxisLength",
    "Perimeter",
    "PerimeterSurfaceRatio",
    "PixelSurface",
    "Sphericity",
];

/// Features computed only when asked for by name.
pub const DEPRECATED_NAMES: &[&str] = &["SphericalDisproportion"];

/// Every 2D shape feature (default and deprecated), in PyRadiomics' order.
///
/// `mask` is the cropped ROI `[z, y, x]`, `spacing` is `(x, y, z)`, `dimension` the out-of-plane axis in (z, y, x)
/// order (PyRadiomics `force2Ddimension`).
///
/// # Errors
/// A ROI thicker than one slice along `dimension`, an invalid `dimension`, or an empty ROI.
pub fn features(
    mask: ArrayView3<'_, bool>,
    spacing: [f64; 3],
    dimension: usize,
) -> Result<Vec<(&'static str, f64)>> {
    if dimension > 2 {
        return Err(FeatureError::InvalidSetting {
            name: "force2Ddimension",
            value: dimension.to_string(),
            expected: "0, 1 or 2",
        });
    }
    let extent = mask.len_of(Axis(dimension));
    if extent != 1 {
        return Err(FeatureError::NotTwoDimensional { dimension, extent });
    }
    let plane = mask.index_axis(Axis(dimension), 0);
    let spacing_zyx = [spacing[2], spacing[1], spacing[0]];
    let in_plane: Vec<f64> = (0..3)
        .filter(|&k| k != dimension)
        .map(|k| spacing_zyx[k])
        .collect();
    let pixel_spacing = [in_plane[0], in_plane[1]];
    let n_pixels = plane.iter().filter(|&&m| m).count();
    if n_pixels == 0 {
        return Err(FeatureError::EmptyRoi { label: None });
    }
    let (perimeter, surface, diameter) = contour(plane, pixel_spacing);
    let eigen = covariance_eigenvalues_2(plane, pixel_spacing);
    let axis = |lambda: f64| {
        if lambda < 0.0 {
            f64::NAN
        } else {
            lambda.sqrt() * 4.0
        }
    };
    let sphericity = 2.0 * (std::f64::consts::PI * surface).sqrt() / perimeter;
    let elongation = if eigen[0] < 0.0 || eigen[1] < 0.0 {
        f64::NAN
    } else {
        (eigen[0] / eigen[1]).sqrt()
    };
    Ok(vec![
        ("Elongation", elongation),
        ("MajorAxisLength", axis(eigen[1])),
        ("MaximumDiameter", diameter),
        ("MeshSurface", surface),
        ("MinorAxisLength", axis(eigen[0])),
        ("Perimeter", perimeter),
        ("PerimeterSurfaceRatio", perimeter / surface),
        (
            "PixelSurface",
            n_pixels as f64 * pixel_spacing[0] * pixel_spacing[1],
        ),
        ("SphericalDisproportion", 1.0 / sphericity),
        ("Sphericity", sphericity),
    ])
}

/// Perimeter, mesh surface and maximum diameter of a 2D mask (padded internally); spacing `(y, x)`.
pub fn contour(mask: ArrayView2<'_, bool>, spacing: [f64; 2]) -> (f64, f64, f64) {
    let (ny, nx) = mask.dim();
    let (py, px) = (ny + 2, nx + 2);
    let mut padded = vec![false; py * px];
    for ((y, x), &m) in mask.indexed_iter() {
        padded[(y + 1) * px + (x + 1)] = m;
    }
    const POINTS: [usize; 2] = [0, 2];
    const EDGES: [usize; 2] = [3, 2];
    let mut perimeter = 0.0;
    let mut surface = 0.0;
    let mut vertices: Vec<[f64; 2]> = Vec::new();
    for iy in 0..py - 1 {
        for ix in 0..px - 1 {
            let mut square = 0_u8;
            for (a_idx, corner) in GRID_ANGLES_2D.iter().enumerate() {
                if padded[(iy + corner[0]) * px + ix + corner[1]] {
                    square |= 1 << a_idx;
                }
            }
            if square == 0 || square == 0xF {
                continue;
            }
            let place = |edge: usize| {
                let v = VERT_LIST_2D[edge];
                [(iy as f64 + v[0]) * spacing[0], (ix as f64 + v[1]) * spacing[1]]
            };
            for line in LINE_TABLE_2D[square as usize].chunks_exact(2) {
                if line[0] < 0 {
                    break;
                }
                let a = place(line[0] as usize);
                let b = place(line[1] as usize);
                surface += a[0] * b[1] - b[0] * a[1];
                perimeter += ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
            }
            if square > 7 {
                square ^= 0xF;
            }
            for t in 0..2 {
                if square & (1 << POINTS[t]) != 0 {
                    vertices.push(place(EDGES[t]));
                }
            }
        }
    }
    let mut diameter = 0.0_f64;
    for (i, a) in vertices.iter().enumerate() {
        for b in &vertices[..i] {
            diameter = diameter.max((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2));
        }
    }
    (perimeter, surface / 2.0, diameter.sqrt())
}

/// Ascending eigenvalues of the 1/N covariance of physical pixel-centre coordinates (tiny negatives set to 0).
fn covariance_eigenvalues_2(mask: ArrayView2<'_, bool>, spacing: [f64; 2]) -> [f64; 2] {
    let points: Vec<[f64; 2]> = mask
        .indexed_iter()
        .filter(|(_, m)| **m)
        .map(|((y, x), _)| [y as f64 * spacing[0], x as f64 * spacing[1]])
        .collect();
    let n = points.len() as f64;
    let my = points.iter().map(|p| p[0]).sum::<f64>() / n;
    let mx = points.iter().map(|p| p[1]).sum::<f64>() / n;
    let (mut a, mut b, mut c) = (0.0, 0.0, 0.0);
    for p in &points {
        let (dy, dx) = ((p[0] - my) / n.sqrt(), (p[1] - mx) / n.sqrt());
        a += dy * dy;
        b += dy * dx;
        c += dx * dx;
    }
    let mid = (a + c) / 2.0;
    let radius = (((a - c) / 2.0).powi(2) + b * b).sqrt();
    let mut eigen = [mid - radius, mid + radius];
    for e in &mut eigen {
        if *e < 0.0 && *e > -1.0e-10 {
            *e = 0.0;
        }
    }
    eigen
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;

    #[test]
    fn square_of_pixels_has_known_contour() {
        // A 2×2 block of unit pixels: midpoint contour is an octagon-like diamond with 4 straight sides of length 1
        // and 4 corner cuts of length √0.5: perimeter 4 + 4·√0.5, area 4 − 4·(1/8) = 3.5.
        let mask = Array3::from_elem((1, 2, 2), true);
        let f = features(mask.view(), [1.0, 1.0, 1.0], 0).unwrap();
        let get = |n: &str| f.iter().find(|(k, _)| *k == n).unwrap().1;
        assert!((get("Perimeter") - (4.0 + 4.0 * 0.5_f64.sqrt())).abs() < 1e-12);
        assert!((get("MeshSurface") - 3.5).abs() < 1e-12);
        assert!((get("PixelSurface") - 4.0).abs() < 1e-12);
        assert!(matches!(
            features(Array3::from_elem((2, 2, 2), true).view(), [1.0; 3], 0),
            Err(FeatureError::NotTwoDimensional {
                dimension: 0,
                extent: 2
            })
        ));
    }
}
