//! IBSI texture matrices (GLCM, GLRLM, GLSZM, GLDZM, NGTDM, NGLDM) with IBSI's aggregation methods.
//!
//! Everything is computed on the IBSI-discretised grid (grey 1..=Ng inside the intensity mask, 0 outside), with
//! the full `Ng` (empty levels kept), Chebyshev distance 1, symmetric GLCMs and logarithms in base 2.
//! 2D = axial slices (in-plane neighbours: 4 directions, 8-connected zones, 4-connected border distance);
//! 3D = the volume (13 directions, 26-connected zones, 6-connected border distance). "Merged" sums the matrices
//! (and, for GLRLM, their voxel counts `Nv`) before computing features; "averaged" averages the features of
//! non-empty matrices.

use ndarray::Array3;

use super::select::{IbsiFamily, IbsiSelection};
use super::{IbsiGrey, push};

/// Unidirectional 3D offsets (z, y, x), Chebyshev distance 1.
const DIRS_3D: [[i64; 3]; 13] = [
    [0, 0, 1],
    [0, 1, -1],
    [0, 1, 0],
    [0, 1, 1],
    [1, -1, -1],
    [1, -1, 0],
    [1, -1, 1],
    [1, 0, -1],
    [1, 0, 0],
    [1, 0, 1],
    [1, 1, -1],
    [1, 1, 0],
    [1, 1, 1],
];
/// The in-plane subset of [`DIRS_3D`].
const DIRS_2D: [[i64; 3]; 4] = [[0, 0, 1], [0, 1, -1], [0, 1, 0], [0, 1, 1]];

/// The grid the matrices read.
#[derive(Clone, Copy)]
struct Grid<'a> {
    grey: &'a Array3<u32>,
    morph: &'a Array3<bool>,
    ng: usize,
    dims: [usize; 3],
}

impl Grid<'_> {
    fn at(&self, c: [i64; 3]) -> u32 {
        if c.iter().zip(self.dims).any(|(&v, d)| v < 0 || v as usize >= d) {
            0
        } else {
            self.grey[[c[0] as usize, c[1] as usize, c[2] as usize]]
        }
    }

    fn inside_morph(&self, c: [i64; 3]) -> bool {
        !c.iter().zip(self.dims).any(|(&v, d)| v < 0 || v as usize >= d)
            && self.morph[[c[0] as usize, c[1] as usize, c[2] as usize]]
    }

    /// ROI voxels (grey > 0) of slice `z` (or of the volume).
    fn voxels(&self, z: Option<usize>) -> Vec<[i64; 3]> {
        self.grey
            .indexed_iter()
            .filter(|((zz, _, _), g)| **g > 0 && z.is_none_or(|z| z == *zz))
            .map(|((zz, y, x), _)| [zz as i64, y as i64, x as i64])
            .collect()
    }
}

fn add(a: [i64; 3], b: [i64; 3]) -> [i64; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

fn sub(a: [i64; 3], b: [i64; 3]) -> [i64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// Every IBSI texture family, all aggregations.
pub fn all(out: &mut Vec<(String, f64)>, g: &IbsiGrey, morph: &Array3<bool>, spacing: [f64; 3]) {
    selected(out, g, morph, spacing, &IbsiSelection::all(), false);
}

/// The texture families `selection` includes (in [`IbsiFamily::ALL`] order), with only the 2D aggregations
/// (`2D_avg`, `2D_smrg`, `2D`) when `two_d` (`force2D`, or a 2D image).
pub fn selected(
    out: &mut Vec<(String, f64)>,
    g: &IbsiGrey,
    morph: &Array3<bool>,
    _spacing: [f64; 3],
    selection: &IbsiSelection,
    two_d: bool,
) {
    let (nz, ny, nx) = g.grey.dim();
    let grid = Grid {
        grey: &g.grey,
        morph,
        ng: g.n_levels as usize,
        dims: [nz, ny, nx],
    };
    let slices: Vec<usize> = (0..nz).filter(|&z| !grid.voxels(Some(z)).is_empty()).collect();
    if selection.includes(IbsiFamily::Cm) {
        glcm_all(out, &grid, &slices, two_d);
    }
    if selection.includes(IbsiFamily::Rlm) {
        glrlm_all(out, &grid, &slices, two_d);
    }
    let zone_families: Vec<(&str, usize)> = [("szm", 1usize), ("dzm", 2usize)]
        .into_iter()
        .filter(|(family, _)| {
            selection.includes(if *family == "szm" {
                IbsiFamily::Szm
            } else {
                IbsiFamily::Dzm
            })
        })
        .collect();
    if !zone_families.is_empty() {
        zone_families_all(out, &grid, &slices, &zone_families, two_d);
    }
    if selection.includes(IbsiFamily::Ngt) {
        ngtdm_all(out, &grid, &slices, two_d);
    }
    if selection.includes(IbsiFamily::Ngl) {
        ngldm_all(out, &grid, &slices, two_d);
    }
}

/// GLSZM (`("szm", 1)`) and GLDZM (`("dzm", 2)`): both read the same zones.
fn zone_families_all(
    out: &mut Vec<(String, f64)>,
    grid: &Grid<'_>,
    slices: &[usize],
    families: &[(&str, usize)],
    two_d: bool,
) {
    let grid = *grid;
    let zones_2d: Vec<Vec<(usize, usize, usize)>> = slices.iter().map(|&z| zones(&grid, Some(z))).collect();
    let zones_3d = if two_d { Vec::new() } else { zones(&grid, None) };
    let voxels_2d: Vec<f64> = slices
        .iter()
        .map(|&z| grid.voxels(Some(z)).len() as f64)
        .collect();
    let voxels_3d = grid.voxels(None).len() as f64;
    for &(family, column) in families {
        let tags = if family == "szm" { SZM_TAGS } else { DZM_TAGS };
        let matrix = |zs: &[(usize, usize, usize)]| {
            let width = zs
                .iter()
                .map(|z| if column == 1 { z.1 } else { z.2 })
                .max()
                .unwrap_or(1);
            let mut m = vec![0.0; grid.ng * width];
            for z in zs {
                let j = if column == 1 { z.1 } else { z.2 };
                m[(z.0 - 1) * width + j - 1] += 1.0;
            }
            (m, width)
        };
        let per_slice: Vec<Vec<f64>> = zones_2d
            .iter()
            .zip(&voxels_2d)
            .map(|(zs, &nv)| {
                let (m, w) = matrix(zs);
                size_features(&m, grid.ng, w, nv)
            })
            .collect();
        emit(out, family, tags, Some("2D"), &average(&per_slice));
        if two_d {
            continue;
        }
        let merged: Vec<(usize, usize, usize)> = zones_2d.iter().flatten().copied().collect();
        let (m, w) = matrix(&merged);
        emit(
            out,
            family,
            tags,
            Some("2_5D"),
            &size_features(&m, grid.ng, w, voxels_2d.iter().sum()),
        );
        let (m, w) = matrix(&zones_3d);
        emit(
            out,
            family,
            tags,
            Some("3D"),
            &size_features(&m, grid.ng, w, voxels_3d),
        );
    }
}

fn emit(
    out: &mut Vec<(String, f64)>,
    family: &str,
    tags: &[&str],
    aggregation: Option<&str>,
    values: &[f64],
) {
    for (tag, &value) in tags.iter().zip(values) {
        push(out, &format!("{family}.{tag}"), aggregation, value);
    }
}

/// Feature-wise mean over matrices.
fn average(rows: &[Vec<f64>]) -> Vec<f64> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    (0..first.len())
        .map(|k| rows.iter().map(|r| r[k]).sum::<f64>() / rows.len() as f64)
        .collect()
}

// ---------------------------------------------------------------------------------------------------------- GLCM

pub(crate) const CM_TAGS: [&str; 25] = [
    "joint.max",
    "joint.avg",
    "joint.var",
    "joint.entr",
    "diff.avg",
    "diff.var",
    "diff.entr",
    "sum.avg",
    "sum.var",
    "sum.entr",
    "energy",
    "contrast",
    "dissimilarity",
    "inv.diff",
    "inv.diff.norm",
    "inv.diff.mom",
    "inv.diff.mom.norm",
    "inv.var",
    "corr",
    "auto.corr",
    "clust.tend",
    "clust.shade",
    "clust.prom",
    "info.corr.1",
    "info.corr.2",
];

/// Symmetric co-occurrence counts (Ng × Ng) of `dir` from voxels of slice `z` (or the volume).
fn glcm(grid: &Grid<'_>, z: Option<usize>, dir: [i64; 3]) -> Vec<f64> {
    let ng = grid.ng;
    let mut m = vec![0.0; ng * ng];
    for v in grid.voxels(z) {
        let a = grid.at(v) as usize;
        let b = grid.at(add(v, dir)) as usize;
        if b > 0 {
            m[(a - 1) * ng + b - 1] += 1.0;
            m[(b - 1) * ng + a - 1] += 1.0;
        }
    }
    m
}

fn sum_into(acc: &mut [f64], m: &[f64]) {
    acc.iter_mut().zip(m).for_each(|(a, b)| *a += b);
}

fn glcm_all(out: &mut Vec<(String, f64)>, grid: &Grid<'_>, slices: &[usize], two_d: bool) {
    let ng = grid.ng;
    let nonempty = |m: &Vec<f64>| m.iter().sum::<f64>() > 0.0;
    let mut avg_2d = Vec::new();
    let mut smrg_2d = Vec::new();
    for &z in slices {
        let mut merged = vec![0.0; ng * ng];
        for dir in DIRS_2D {
            let m = glcm(grid, Some(z), dir);
            sum_into(&mut merged, &m);
            if nonempty(&m) {
                avg_2d.push(glcm_features(&m, ng));
            }
        }
        if nonempty(&merged) {
            smrg_2d.push(glcm_features(&merged, ng));
        }
    }
    emit(out, "cm", &CM_TAGS, Some("2D_avg"), &average(&avg_2d));
    emit(out, "cm", &CM_TAGS, Some("2D_smrg"), &average(&smrg_2d));
    if two_d {
        return;
    }
    for (dirs, avg_name, mrg_name) in [
        (&DIRS_2D[..], "2_5D_dmrg", "2_5D_mrg"),
        (&DIRS_3D[..], "3D_avg", "3D_mrg"),
    ] {
        let mut per_dir = Vec::new();
        let mut merged = vec![0.0; ng * ng];
        for &dir in dirs {
            let m = glcm(grid, None, dir);
            sum_into(&mut merged, &m);
            if nonempty(&m) {
                per_dir.push(glcm_features(&m, ng));
            }
        }
        emit(out, "cm", &CM_TAGS, Some(avg_name), &average(&per_dir));
        emit(out, "cm", &CM_TAGS, Some(mrg_name), &glcm_features(&merged, ng));
    }
}

fn entropy(p: impl Iterator<Item = f64>) -> f64 {
    -p.filter(|&q| q > 0.0).map(|q| q * q.log2()).sum::<f64>()
}

/// The 25 IBSI GLCM features of a count matrix, in [`CM_TAGS`] order.
fn glcm_features(counts: &[f64], ng: usize) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    let p: Vec<f64> = counts.iter().map(|c| c / total).collect();
    let at = |i: usize, j: usize| p[i * ng + j];
    let level = |i: usize| (i + 1) as f64;
    let mut pi = vec![0.0; ng];
    let mut pj = vec![0.0; ng];
    let mut p_diff = vec![0.0; ng];
    let mut p_sum = vec![0.0; 2 * ng + 1];
    for i in 0..ng {
        for j in 0..ng {
            let q = at(i, j);
            pi[i] += q;
            pj[j] += q;
            p_diff[i.abs_diff(j)] += q;
            p_sum[i + j + 2] += q;
        }
    }
    let mu_i: f64 = (0..ng).map(|i| level(i) * pi[i]).sum();
    let mu_j: f64 = (0..ng).map(|j| level(j) * pj[j]).sum();
    let sd_i = (0..ng)
        .map(|i| (level(i) - mu_i).powi(2) * pi[i])
        .sum::<f64>()
        .sqrt();
    let sd_j = (0..ng)
        .map(|j| (level(j) - mu_j).powi(2) * pj[j])
        .sum::<f64>()
        .sqrt();
    let joint_max = p.iter().copied().fold(0.0, f64::max);
    let joint_avg = mu_i;
    let ngf = ng as f64;
    let (mut joint_var, mut energy, mut contrast, mut dissim) = (0.0, 0.0, 0.0, 0.0);
    let (mut inv_diff, mut inv_diff_norm, mut idm, mut idm_norm) = (0.0, 0.0, 0.0, 0.0);
    let (mut ij_sum, mut tend, mut shade, mut prom, mut hxy1, mut hxy2) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..ng {
        for j in 0..ng {
            let q = at(i, j);
            let (a, b) = (level(i), level(j));
            let d = (a - b).abs();
            joint_var += (a - joint_avg).powi(2) * q;
            energy += q * q;
            contrast += d * d * q;
            dissim += d * q;
            inv_diff += q / (1.0 + d);
            inv_diff_norm += q / (1.0 + d / ngf);
            idm += q / (1.0 + d * d);
            idm_norm += q / (1.0 + d * d / (ngf * ngf));
            ij_sum += a * b * q;
            let c = a + b - mu_i - mu_j;
            tend += c * c * q;
            shade += c.powi(3) * q;
            prom += c.powi(4) * q;
            let pp = pi[i] * pj[j];
            if pp > 0.0 {
                if q > 0.0 {
                    hxy1 -= q * pp.log2();
                }
                hxy2 -= pp * pp.log2();
            }
        }
    }
    let joint_entr = entropy(p.iter().copied());
    let diff_avg: f64 = (0..ng).map(|k| k as f64 * p_diff[k]).sum();
    let diff_var: f64 = (0..ng).map(|k| (k as f64 - diff_avg).powi(2) * p_diff[k]).sum();
    let sum_avg: f64 = (0..p_sum.len()).map(|k| k as f64 * p_sum[k]).sum();
    let sum_var: f64 = (0..p_sum.len())
        .map(|k| (k as f64 - sum_avg).powi(2) * p_sum[k])
        .sum();
    let inv_var: f64 = (1..ng).map(|k| p_diff[k] / (k * k) as f64).sum();
    let corr = (ij_sum - mu_i * mu_j) / (sd_i * sd_j);
    let hx = entropy(pi.iter().copied());
    let hy = entropy(pj.iter().copied());
    let info1 = (joint_entr - hxy1) / hx.max(hy);
    let info2 = (1.0 - (-2.0 * (hxy2 - joint_entr)).exp()).max(0.0).sqrt();
    vec![
        joint_max,
        joint_avg,
        joint_var,
        joint_entr,
        diff_avg,
        diff_var,
        entropy(p_diff.iter().copied()),
        sum_avg,
        sum_var,
        entropy(p_sum.iter().copied()),
        energy,
        contrast,
        dissim,
        inv_diff,
        inv_diff_norm,
        idm,
        idm_norm,
        inv_var,
        corr,
        ij_sum,
        tend,
        shade,
        prom,
        info1,
        info2,
    ]
}

// --------------------------------------------------------------------------------- GLRLM, GLSZM, GLDZM, NGLDM

pub(crate) const RLM_TAGS: [&str; 16] = [
    "sre",
    "lre",
    "lgre",
    "hgre",
    "srlge",
    "srhge",
    "lrlge",
    "lrhge",
    "glnu",
    "glnu.norm",
    "rlnu",
    "rlnu.norm",
    "r.perc",
    "gl.var",
    "rl.var",
    "rl.entr",
];
pub(crate) const SZM_TAGS: &[&str] = &[
    "sze",
    "lze",
    "lgze",
    "hgze",
    "szlge",
    "szhge",
    "lzlge",
    "lzhge",
    "glnu",
    "glnu.norm",
    "zsnu",
    "zsnu.norm",
    "z.perc",
    "gl.var",
    "zs.var",
    "zs.entr",
];
pub(crate) const DZM_TAGS: &[&str] = &[
    "sde",
    "lde",
    "lgze",
    "hgze",
    "sdlge",
    "sdhge",
    "ldlge",
    "ldhge",
    "glnu",
    "glnu.norm",
    "zdnu",
    "zdnu.norm",
    "z.perc",
    "gl.var",
    "zd.var",
    "zd.entr",
];
pub(crate) const NGL_TAGS: &[&str] = &[
    "lde",
    "hde",
    "lgce",
    "hgce",
    "ldlge",
    "ldhge",
    "hdlge",
    "hdhge",
    "glnu",
    "glnu.norm",
    "dcnu",
    "dcnu.norm",
    "dc.perc",
    "gl.var",
    "dc.var",
    "dc.entr",
    "dc.energy",
];

/// The 16 features shared by GLRLM, GLSZM, GLDZM and NGLDM (plus NGLDM's energy as a 17th) of an `ng × width`
/// count matrix whose column `j` stands for run length / zone size / distance / dependence `j + 1`.
fn size_features(m: &[f64], ng: usize, width: usize, nv: f64) -> Vec<f64> {
    let ns: f64 = m.iter().sum();
    let mut f = vec![0.0; 17];
    let mut rows = vec![0.0; ng];
    let mut cols = vec![0.0; width];
    for i in 0..ng {
        for j in 0..width {
            let r = m[i * width + j];
            if r == 0.0 {
                continue;
            }
            let (a, b) = (((i + 1) * (i + 1)) as f64, ((j + 1) * (j + 1)) as f64);
            f[0] += r / b;
            f[1] += r * b;
            f[2] += r / a;
            f[3] += r * a;
            f[4] += r / (a * b);
            f[5] += r * a / b;
            f[6] += r * b / a;
            f[7] += r * a * b;
            rows[i] += r;
            cols[j] += r;
        }
    }
    (0..8).for_each(|k| f[k] /= ns);
    f[8] = rows.iter().map(|r| r * r).sum::<f64>() / ns;
    f[9] = f[8] / ns;
    f[10] = cols.iter().map(|c| c * c).sum::<f64>() / ns;
    f[11] = f[10] / ns;
    f[12] = ns / nv;
    let mu_i: f64 = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (i + 1) as f64 * r / ns)
        .sum();
    let mu_j: f64 = cols
        .iter()
        .enumerate()
        .map(|(j, c)| (j + 1) as f64 * c / ns)
        .sum();
    f[13] = rows
        .iter()
        .enumerate()
        .map(|(i, r)| ((i + 1) as f64 - mu_i).powi(2) * r / ns)
        .sum();
    f[14] = cols
        .iter()
        .enumerate()
        .map(|(j, c)| ((j + 1) as f64 - mu_j).powi(2) * c / ns)
        .sum();
    f[15] = entropy(m.iter().map(|r| r / ns));
    f[16] = m.iter().map(|r| (r / ns).powi(2)).sum();
    f
}

/// Run-length counts (Ng × `width`) of `dir` whose first voxel lies in slice `z` (or the volume), and `Nv`.
fn glrlm(grid: &Grid<'_>, z: Option<usize>, dir: [i64; 3], width: usize) -> (Vec<f64>, f64) {
    let mut m = vec![0.0; grid.ng * width];
    let voxels = grid.voxels(z);
    for &v in &voxels {
        let g = grid.at(v);
        if grid.at(sub(v, dir)) == g {
            continue;
        }
        let mut length = 1;
        let mut next = add(v, dir);
        while grid.at(next) == g {
            length += 1;
            next = add(next, dir);
        }
        m[(g as usize - 1) * width + length - 1] += 1.0;
    }
    (m, voxels.len() as f64)
}

fn glrlm_all(out: &mut Vec<(String, f64)>, grid: &Grid<'_>, slices: &[usize], two_d: bool) {
    let (ng, width) = (grid.ng, grid.dims.iter().copied().max().unwrap_or(1));
    let features = |m: &[f64], nv: f64| size_features(m, ng, width, nv)[..16].to_vec();
    let mut avg_2d = Vec::new();
    let mut smrg_2d = Vec::new();
    for &z in slices {
        let mut merged = vec![0.0; ng * width];
        let mut nv_merged = 0.0;
        for dir in DIRS_2D {
            let (m, nv) = glrlm(grid, Some(z), dir, width);
            sum_into(&mut merged, &m);
            nv_merged += nv;
            avg_2d.push(features(&m, nv));
        }
        smrg_2d.push(features(&merged, nv_merged));
    }
    emit(out, "rlm", &RLM_TAGS, Some("2D_avg"), &average(&avg_2d));
    emit(out, "rlm", &RLM_TAGS, Some("2D_smrg"), &average(&smrg_2d));
    if two_d {
        return;
    }
    for (dirs, avg_name, mrg_name) in [
        (&DIRS_2D[..], "2_5D_dmrg", "2_5D_mrg"),
        (&DIRS_3D[..], "3D_avg", "3D_mrg"),
    ] {
        let mut per_dir = Vec::new();
        let mut merged = vec![0.0; ng * width];
        let mut nv_merged = 0.0;
        for &dir in dirs {
            let (m, nv) = glrlm(grid, None, dir, width);
            sum_into(&mut merged, &m);
            nv_merged += nv;
            per_dir.push(features(&m, nv));
        }
        emit(out, "rlm", &RLM_TAGS, Some(avg_name), &average(&per_dir));
        emit(
            out,
            "rlm",
            &RLM_TAGS,
            Some(mrg_name),
            &features(&merged, nv_merged),
        );
    }
}

/// Neighbour offsets: 8 in-plane (2D) or 26 (3D).
fn neighbours(two_d: bool) -> Vec<[i64; 3]> {
    let mut out = Vec::new();
    for dz in if two_d { 0..=0 } else { -1..=1 } {
        for dy in -1..=1 {
            for dx in -1..=1 {
                if [dz, dy, dx] != [0, 0, 0] {
                    out.push([dz, dy, dx]);
                }
            }
        }
    }
    out
}

/// Face neighbours: 4 in-plane (2D) or 6 (3D).
fn faces(two_d: bool) -> Vec<[i64; 3]> {
    let mut out = vec![[0, 0, 1], [0, 0, -1], [0, 1, 0], [0, -1, 0]];
    if !two_d {
        out.extend([[1, 0, 0], [-1, 0, 0]]);
    }
    out
}

/// Zones (grey, size, distance to the border) of slice `z` (or the volume). The border distance of a voxel is
/// the number of face steps to leave the morphological mask (1 on the edge); a zone's distance is its minimum.
fn zones(grid: &Grid<'_>, z: Option<usize>) -> Vec<(usize, usize, usize)> {
    let two_d = z.is_some();
    let in_region = |c: [i64; 3]| z.is_none_or(|z| c[0] == z as i64);
    // Border distance by breadth-first search from the edge voxels of the morphological mask.
    let [nz, ny, nx] = grid.dims;
    let index = |c: [i64; 3]| (c[0] as usize * ny + c[1] as usize) * nx + c[2] as usize;
    let mut distance = vec![0usize; nz * ny * nx];
    let mut queue = std::collections::VecDeque::new();
    for ((zz, y, x), &m) in grid.morph.indexed_iter() {
        let c = [zz as i64, y as i64, x as i64];
        if m && in_region(c) && faces(two_d).iter().any(|&f| !grid.inside_morph(add(c, f))) {
            distance[index(c)] = 1;
            queue.push_back(c);
        }
    }
    while let Some(c) = queue.pop_front() {
        for f in faces(two_d) {
            let n = add(c, f);
            if grid.inside_morph(n) && distance[index(n)] == 0 {
                distance[index(n)] = distance[index(c)] + 1;
                queue.push_back(n);
            }
        }
    }
    let mut seen = vec![false; nz * ny * nx];
    let mut out = Vec::new();
    let steps = neighbours(two_d);
    for v in grid.voxels(z) {
        if seen[index(v)] {
            continue;
        }
        let g = grid.at(v);
        seen[index(v)] = true;
        let mut stack = vec![v];
        let (mut size, mut dist) = (0usize, usize::MAX);
        while let Some(c) = stack.pop() {
            size += 1;
            dist = dist.min(distance[index(c)].max(1));
            for &s in &steps {
                let n = add(c, s);
                if grid.at(n) == g && !seen[index(n)] {
                    seen[index(n)] = true;
                    stack.push(n);
                }
            }
        }
        out.push((g as usize, size, dist));
    }
    out
}

// -------------------------------------------------------------------------------------------------- NGTDM, NGLDM

/// Per grey level: (sum of |i − neighbourhood mean|, number of voxels with at least one ROI neighbour).
fn ngtdm(grid: &Grid<'_>, z: Option<usize>) -> (Vec<f64>, Vec<f64>) {
    let (mut s, mut n) = (vec![0.0; grid.ng], vec![0.0; grid.ng]);
    let steps = neighbours(z.is_some());
    for v in grid.voxels(z) {
        let g = grid.at(v) as usize;
        let (mut sum, mut count) = (0.0, 0.0);
        for &st in &steps {
            let h = grid.at(add(v, st));
            if h > 0 {
                sum += f64::from(h);
                count += 1.0;
            }
        }
        if count > 0.0 {
            s[g - 1] += (g as f64 - sum / count).abs();
            n[g - 1] += 1.0;
        }
    }
    (s, n)
}

fn ngtdm_features(s: &[f64], n: &[f64]) -> Vec<f64> {
    let nvc: f64 = n.iter().sum();
    let p: Vec<f64> = n.iter().map(|c| c / nvc).collect();
    let present: Vec<usize> = (0..p.len()).filter(|&i| p[i] > 0.0).collect();
    let ngp = present.len() as f64;
    let level = |i: usize| (i + 1) as f64;
    let ps: f64 = present.iter().map(|&i| p[i] * s[i]).sum();
    let s_sum: f64 = s.iter().sum();
    let (mut c, mut b, mut x, mut st) = (0.0, 0.0, 0.0, 0.0);
    for &i in &present {
        for &j in &present {
            let d = level(i) - level(j);
            c += p[i] * p[j] * d * d;
            b += (level(i) * p[i] - level(j) * p[j]).abs();
            x += d.abs() * (p[i] * s[i] + p[j] * s[j]) / (p[i] + p[j]);
            st += (p[i] + p[j]) * d * d;
        }
    }
    vec![
        1.0 / ps,
        c / (ngp * (ngp - 1.0)) * s_sum / nvc,
        ps / b,
        x / nvc,
        st / s_sum,
    ]
}

/// NGTDM feature tags.
pub(crate) const NGT_TAGS: [&str; 5] = ["coarseness", "contrast", "busyness", "complexity", "strength"];

fn ngtdm_all(out: &mut Vec<(String, f64)>, grid: &Grid<'_>, slices: &[usize], two_d: bool) {
    const TAGS: [&str; 5] = NGT_TAGS;
    let per_slice: Vec<(Vec<f64>, Vec<f64>)> = slices.iter().map(|&z| ngtdm(grid, Some(z))).collect();
    let rows: Vec<Vec<f64>> = per_slice
        .iter()
        .filter(|(_, n)| n.iter().sum::<f64>() > 0.0)
        .map(|(s, n)| ngtdm_features(s, n))
        .collect();
    emit(out, "ngt", &TAGS, Some("2D"), &average(&rows));
    if two_d {
        return;
    }
    let (mut s, mut n) = (vec![0.0; grid.ng], vec![0.0; grid.ng]);
    for (si, ni) in &per_slice {
        sum_into(&mut s, si);
        sum_into(&mut n, ni);
    }
    emit(out, "ngt", &TAGS, Some("2_5D"), &ngtdm_features(&s, &n));
    let (s, n) = ngtdm(grid, None);
    emit(out, "ngt", &TAGS, Some("3D"), &ngtdm_features(&s, &n));
}

/// Dependence counts (Ng × 27): column k − 1 counts voxels with k − 1 same-grey ROI neighbours.
fn ngldm(grid: &Grid<'_>, z: Option<usize>) -> (Vec<f64>, f64) {
    let width = 27;
    let mut m = vec![0.0; grid.ng * width];
    let steps = neighbours(z.is_some());
    let voxels = grid.voxels(z);
    for &v in &voxels {
        let g = grid.at(v);
        let k = steps.iter().filter(|&&s| grid.at(add(v, s)) == g).count();
        m[(g as usize - 1) * width + k] += 1.0;
    }
    (m, voxels.len() as f64)
}

fn ngldm_all(out: &mut Vec<(String, f64)>, grid: &Grid<'_>, slices: &[usize], two_d: bool) {
    let ng = grid.ng;
    let per_slice: Vec<(Vec<f64>, f64)> = slices.iter().map(|&z| ngldm(grid, Some(z))).collect();
    let rows: Vec<Vec<f64>> = per_slice
        .iter()
        .map(|(m, nv)| size_features(m, ng, 27, *nv))
        .collect();
    emit(out, "ngl", NGL_TAGS, Some("2D"), &average(&rows));
    if two_d {
        return;
    }
    let mut merged = vec![0.0; ng * 27];
    let mut nv = 0.0;
    for (m, n) in &per_slice {
        sum_into(&mut merged, m);
        nv += n;
    }
    emit(
        out,
        "ngl",
        NGL_TAGS,
        Some("2_5D"),
        &size_features(&merged, ng, 27, nv),
    );
    let (m, nv) = ngldm(grid, None);
    emit(out, "ngl", NGL_TAGS, Some("3D"), &size_features(&m, ng, 27, nv));
}
