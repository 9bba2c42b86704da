//! 3D shape features, PyRadiomics 3.1 `radiomics/shape.py` and `radiomics/src/cshape.c` (`calculate_coefficients`).
//!
//! The mask is padded with one empty voxel on every side; a marching-cubes mesh with vertices at edge midpoints
//! (PyRadiomics' tables, [`crate::mesh_tables`]) gives the surface area (sum of triangle areas) and the mesh volume
//! (signed tetrahedra to the origin). Maximum diameters are the largest pairwise distances between mesh vertices,
//! overall (3D) and between vertices sharing a z (slice), y (column) or x (row) coordinate. Axis lengths are
//! 4·√λ of the eigenvalues of the covariance of the physical voxel-centre coordinates (spacing only, no direction).

use ndarray::ArrayView3;

use crate::mesh_tables::{GRID_ANGLES, TRI_TABLE, VERT_LIST};
use crate::{FeatureError, Result};

/// Features enabled by default, in PyRadiomics' (method-name) order.
pub const FEATURE_NAMES: &[&str] = &[
    "Elongation",
    "Flatness",
    "LeastAxisLength",
    "MajorAxisLength",
    "Maximum2DDiameterColumn",
    "Maximum2DDiameterRow",
    "Maximum2DDiameterSlice",
    "Maximum3DDiameter",
    "MeshVolume",
    "MinorAxisLength",
    "Sphericity",
    "SurfaceArea",
    "SurfaceVolumeRatio",
    "VoxelVolume",
];

/// Features computed only when asked for by name.
pub const DEPRECATED_NAMES: &[&str] = &["Compactness1", "Compactness2", "SphericalDisproportion"];

/// Mesh quantities of a 3D mask.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mesh {
    pub surface_area: f64,
    pub volume: f64,
    /// Largest vertex distances: `[slice (same z), column (same y), row (same x), 3D]`.
    pub diameters: [f64; 4],
}

/// Every 3D shape feature (default and deprecated), in PyRadiomics' order.
///
/// `mask` is the cropped ROI `[z, y, x]`, `spacing` is `(x, y, z)`.
///
/// # Errors
/// An empty ROI.
pub fn features(mask: ArrayView3<'_, bool>, spacing: [f64; 3]) -> Result<Vec<(&'static str, f64)>> {
    let spacing_zyx = [spacing[2], spacing[1], spacing[0]];
    let n_voxels = mask.iter().filter(|&&m| m).count();
    if n_voxels == 0 {
        return Err(FeatureError::EmptyRoi { label: None });
    }
    let mesh = mesh(mask, spacing_zyx);
    let eigen = covariance_eigenvalues(mask, spacing_zyx);
    let axis = |lambda: f64| {
        if lambda < 0.0 {
            f64::NAN
        } else {
            lambda.sqrt() * 4.0
        }
    };
    let (area, volume) = (mesh.surface_area, mesh.volume);
    let pi = std::f64::consts::PI;
    let sphericity = (36.0 * pi * volume * volume).cbrt() / area;
    let ratio = |a: f64, b: f64| {
        if a < 0.0 || b < 0.0 {
            f64::NAN
        } else {
            (a / b).sqrt()
        }
    };
    Ok(vec![
        ("Compactness1", volume / (area.powf(1.5) * pi.sqrt())),
        ("Compactness2", 36.0 * pi * volume * volume / (area * area * area)),
        ("Elongation", ratio(eigen[1], eigen[2])),
        ("Flatness", ratio(eigen[0], eigen[2])),
        ("LeastAxisLength", axis(eigen[0])),
        ("MajorAxisLength", axis(eigen[2])),
        ("Maximum2DDiameterColumn", mesh.diameters[1]),
        ("Maximum2DDiameterRow", mesh.diameters[2]),
        ("Maximum2DDiameterSlice", mesh.diameters[0]),
        ("Maximum3DDiameter", mesh.diameters[3]),
        ("MeshVolume", volume),
        ("MinorAxisLength", axis(eigen[1])),
        ("SphericalDisproportion", 1.0 / sphericity),
        ("Sphericity", sphericity),
        ("SurfaceArea", area),
        ("SurfaceVolumeRatio", area / volume),
        ("VoxelVolume", n_voxels as f64 * spacing.iter().product::<f64>()),
    ])
}

/// Marching-cubes surface area, volume and vertex diameters of the mask (padded internally), `spacing` in (z, y, x).
pub fn mesh(mask: ArrayView3<'_, bool>, spacing_zyx: [f64; 3]) -> Mesh {
    let (nz, ny, nx) = mask.dim();
    let (pz, py, px) = (nz + 2, ny + 2, nx + 2);
    let mut padded = vec![false; pz * py * px];
    for ((z, y, x), &m) in mask.indexed_iter() {
        padded[((z + 1) * py + (y + 1)) * px + (x + 1)] = m;
    }
    let at = |z: usize, y: usize, x: usize| padded[(z * py + y) * px + x];
    const POINTS: [usize; 3] = [6, 4, 3];
    const EDGES: [usize; 3] = [6, 7, 11];
    let mut vertices: Vec<[f64; 3]> = Vec::new();
    let mut area = 0.0;
    let mut volume = 0.0;
    for iz in 0..pz - 1 {
        for iy in 0..py - 1 {
            for ix in 0..px - 1 {
                let mut cube = 0_u8;
                for (a_idx, corner) in GRID_ANGLES.iter().enumerate() {
                    if at(iz + corner[0], iy + corner[1], ix + corner[2]) {
                        cube |= 1 << a_idx;
                    }
                }
                let sign = if cube & 0x80 != 0 {
                    cube ^= 0xff;
                    -1.0
                } else {
                    1.0
                };
                let origin = [iz as f64, iy as f64, ix as f64];
                let place = |edge: usize| {
                    let v = VERT_LIST[edge];
                    [
                        (origin[0] + v[0]) * spacing_zyx[0],
                        (origin[1] + v[1]) * spacing_zyx[1],
                        (origin[2] + v[2]) * spacing_zyx[2],
                    ]
                };
                for t in 0..3 {
                    if cube & (1 << POINTS[t]) != 0 {
                        vertices.push(place(EDGES[t]));
                    }
                }
                if cube == 0 {
                    continue;
                }
                let row = &TRI_TABLE[cube as usize];
                for triangle in row.chunks_exact(3) {
                    if triangle[0] < 0 {
                        break;
                    }
                    let a = place(triangle[0] as usize);
                    let b = place(triangle[1] as usize);
                    let c = place(triangle[2] as usize);
                    let ab = cross(a, b);
                    volume += sign * (ab[0] * c[0] + ab[1] * c[1] + ab[2] * c[2]);
                    let ac = [a[0] - c[0], a[1] - c[1], a[2] - c[2]];
                    let bc = [b[0] - c[0], b[1] - c[1], b[2] - c[2]];
                    let n = cross(ac, bc);
                    area += 0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                }
            }
        }
    }
    Mesh {
        surface_area: area,
        volume: volume / 6.0,
        diameters: diameters(&vertices),
    }
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - b[1] * a[2],
        a[2] * b[0] - b[2] * a[0],
        a[0] * b[1] - b[0] * a[1],
    ]
}

/// `calculate_meshDiameter`: the largest squared distances between vertices sharing a z, y or x coordinate, and
/// overall; square roots at the end.
///
/// PyRadiomics compares all vertex pairs (O(V²): 45% of a lung CT extraction). The farthest pair of a point set
/// is attained at extreme points of its convex hull, so each group of vertices sharing a coordinate is reduced to its
/// 2D hull vertices first; a vertex extreme in 3D is extreme in each of its three groups, so the overall maximum is
/// taken over the vertices on all three group hulls. Distances are computed by the same expression as the pairwise
/// loop, so the maxima are the same pairs' values (ties aside, which change nothing).
fn diameters(vertices: &[[f64; 3]]) -> [f64; 4] {
    let distance =
        |a: &[f64; 3], b: &[f64; 3]| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2);
    // Duplicates add only zero distances, but would split the hull flags of one point between its copies.
    let mut unique = vertices.to_vec();
    unique.sort_by(|a, b| {
        a[0].total_cmp(&b[0])
            .then(a[1].total_cmp(&b[1]))
            .then(a[2].total_cmp(&b[2]))
    });
    unique.dedup();
    let vertices = &unique[..];
    let mut best = [0.0_f64; 4];
    let mut on_hulls = vec![0_u8; vertices.len()];
    let mut order: Vec<usize> = (0..vertices.len()).collect();
    let mut hull = Vec::new();
    for axis in 0..3 {
        let (u, v) = match axis {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        };
        order.sort_by(|&i, &j| {
            let (a, b) = (&vertices[i], &vertices[j]);
            a[axis]
                .total_cmp(&b[axis])
                .then(a[u].total_cmp(&b[u]))
                .then(a[v].total_cmp(&b[v]))
        });
        for group in order.chunk_by(|&i, &j| vertices[i][axis] == vertices[j][axis]) {
            hull_2d(group, vertices, u, v, &mut hull);
            for &i in &hull {
                on_hulls[i] |= 1 << axis;
            }
            for (k, &i) in hull.iter().enumerate() {
                for &j in &hull[..k] {
                    let d = distance(&vertices[i], &vertices[j]);
                    if d > best[axis] {
                        best[axis] = d;
                    }
                }
            }
        }
    }
    let candidates: Vec<&[f64; 3]> = vertices
        .iter()
        .zip(&on_hulls)
        .filter(|&(_, &flags)| flags == 0b111)
        .map(|(vertex, _)| vertex)
        .collect();
    for (k, a) in candidates.iter().enumerate() {
        for b in &candidates[..k] {
            let d = distance(a, b);
            if d > best[3] {
                best[3] = d;
            }
        }
    }
    best.map(f64::sqrt)
}

/// The vertices of the convex hull of `group` projected on coordinates `(u, v)` (Andrew's monotone chain;
/// `group` is sorted by `(u, v)`). Collinear boundary points are dropped: they are never strictly farthest.
fn hull_2d(group: &[usize], vertices: &[[f64; 3]], u: usize, v: usize, hull: &mut Vec<usize>) {
    hull.clear();
    if group.len() <= 2 {
        hull.extend_from_slice(group);
        return;
    }
    let cross = |o: usize, a: usize, b: usize| {
        let (o, a, b) = (&vertices[o], &vertices[a], &vertices[b]);
        (a[u] - o[u]) * (b[v] - o[v]) - (a[v] - o[v]) * (b[u] - o[u])
    };
    for &p in group {
        while hull.len() >= 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
            hull.pop();
        }
        hull.push(p);
    }
    let lower_len = hull.len() + 1;
    for &p in group.iter().rev().skip(1) {
        while hull.len() >= lower_len && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
            hull.pop();
        }
        hull.push(p);
    }
    hull.pop();
}

/// Ascending eigenvalues of the covariance (1/N) of the physical voxel-centre coordinates; values in
/// (−1e-10, 0) are set to 0 as PyRadiomics does.
fn covariance_eigenvalues(mask: ArrayView3<'_, bool>, spacing_zyx: [f64; 3]) -> [f64; 3] {
    let points: Vec<[f64; 3]> = mask
        .indexed_iter()
        .filter(|(_, m)| **m)
        .map(|((z, y, x), _)| {
            [
                z as f64 * spacing_zyx[0],
                y as f64 * spacing_zyx[1],
                x as f64 * spacing_zyx[2],
            ]
        })
        .collect();
    let n = points.len() as f64;
    let mut mean = [0.0; 3];
    for p in &points {
        for k in 0..3 {
            mean[k] += p[k];
        }
    }
    mean = mean.map(|m| m / n);
    let mut covariance = [[0.0; 3]; 3];
    for p in &points {
        let d = [
            (p[0] - mean[0]) / n.sqrt(),
            (p[1] - mean[1]) / n.sqrt(),
            (p[2] - mean[2]) / n.sqrt(),
        ];
        for r in 0..3 {
            for c in 0..3 {
                covariance[r][c] += d[r] * d[c];
            }
        }
    }
    let mut eigen = symmetric_eigenvalues_3(covariance);
    for e in &mut eigen {
        if *e < 0.0 && *e > -1.0e-10 {
            *e = 0.0;
        }
    }
    eigen.sort_by(f64::total_cmp);
    eigen
}

/// Eigenvalues of a symmetric 3×3 matrix by cyclic Jacobi rotations (converges to machine precision).
pub(crate) fn symmetric_eigenvalues_3(mut a: [[f64; 3]; 3]) -> [f64; 3] {
    for _sweep in 0..100 {
        let off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2];
        let scale = a[0][0] * a[0][0] + a[1][1] * a[1][1] + a[2][2] * a[2][2];
        if off <= 1.0e-30 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] {
            if a[p][q] == 0.0 {
                continue;
            }
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            // A' = Jᵀ A J with the rotation in the (p, q) plane.
            for k in 0..3 {
                let akp = a[k][p];
                let akq = a[k][q];
                a[k][p] = c * akp - s * akq;
                a[k][q] = s * akp + c * akq;
            }
            for k in 0..3 {
                let apk = a[p][k];
                let aqk = a[q][k];
                a[p][k] = c * apk - s * aqk;
                a[q][k] = s * apk + c * aqk;
            }
        }
    }
    [a[0][0], a[1][1], a[2][2]]
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;

    #[test]
    fn single_voxel_mesh_is_an_octahedron() {
        // One voxel of spacing 1: the midpoint mesh is a regular octahedron with vertices at distance 0.5 from the
        // centre: volume = (4/3)·0.5³ = 1/6, surface = 8 · (√3/4)·(√2/2)² = √3, diameter 1.
        let mask = Array3::from_elem((1, 1, 1), true);
        let m = mesh(mask.view(), [1.0, 1.0, 1.0]);
        assert!((m.volume - 1.0 / 6.0).abs() < 1e-12, "{}", m.volume);
        assert!(
            (m.surface_area - 3.0_f64.sqrt()).abs() < 1e-12,
            "{}",
            m.surface_area
        );
        assert!((m.diameters[3] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn eigenvalues_of_a_known_matrix() {
        // [[2, 1, 0], [1, 2, 0], [0, 0, 5]] has eigenvalues 1, 3, 5.
        let mut e = symmetric_eigenvalues_3([[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 5.0]]);
        e.sort_by(f64::total_cmp);
        for (got, want) in e.iter().zip([1.0, 3.0, 5.0]) {
            assert!((got - want).abs() < 1e-12);
        }
    }

    /// PyRadiomics' O(V²) pairwise loop, the reference for the hull-pruned [`diameters`].
    fn brute_force(vertices: &[[f64; 3]]) -> [f64; 4] {
        let mut best = [0.0_f64; 4];
        for (i, a) in vertices.iter().enumerate() {
            for b in &vertices[..i] {
                let d = (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2);
                for axis in 0..3 {
                    if a[axis] == b[axis] && d > best[axis] {
                        best[axis] = d;
                    }
                }
                best[3] = best[3].max(d);
            }
        }
        best.map(f64::sqrt)
    }

    #[test]
    fn hull_pruned_diameters_equal_the_pairwise_loop() {
        // Points on a half-voxel lattice with anisotropic spacing, as mesh vertices are: many ties, collinear runs
        // and duplicate coordinates per group.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for trial in 0..200 {
            let count = 1 + next(300) as usize;
            let extent = 2 + next(12);
            let spacing = [0.7 + trial as f64 * 0.01, 1.3, 2.5];
            let vertices: Vec<[f64; 3]> = (0..count)
                .map(|_| std::array::from_fn(|k| next(2 * extent) as f64 * 0.5 * spacing[k]))
                .collect();
            assert_eq!(diameters(&vertices), brute_force(&vertices), "trial {trial}");
        }
    }
}
