//! Grey level run length matrix (GLRLM) and its 16 PyRadiomics 3.1 features.
//!
//! One matrix per unidirectional distance-1 angle (13 in 3D, 4 with `force2D`). As in PyRadiomics' C code, an angle
//! along which no line crosses more than one ROI voxel is emptied, empty angles are dropped, and features are
//! computed per angle and averaged with `nanmean`; with `weightingNorm` the angles are first summed with weights
//! equal to the angle's length in mm.

use ndarray::Array3;

use super::{Prepared, Result, TextureSettings, WeightingNorm, generate_angles, nanmean, spacing_zyx, sums};
use crate::discretise::Discretised;

/// Features enabled by default, in PyRadiomics' `getFeatureNames` order.
pub const FEATURE_NAMES: &[&str] = &[
    "GrayLevelNonUniformity",
    "GrayLevelNonUniformityNormalized",
    "GrayLevelVariance",
    "HighGrayLevelRunEmphasis",
    "LongRunEmphasis",
    "LongRunHighGrayLevelEmphasis",
    "LongRunLowGrayLevelEmphasis",
    "LowGrayLevelRunEmphasis",
    "RunEntropy",
    "RunLengthNonUniformity",
    "RunLengthNonUniformityNormalized",
    "RunPercentage",
    "RunVariance",
    "ShortRunEmphasis",
    "ShortRunHighGrayLevelEmphasis",
    "ShortRunLowGrayLevelEmphasis",
];

/// GLRLM has no deprecated features.
pub const DEPRECATED_NAMES: &[&str] = &[];

/// Computes the 16 GLRLM features, named and ordered as [`FEATURE_NAMES`].
///
/// # Errors
/// Invalid settings, an empty ROI, or a grey and mask shape mismatch.
pub fn features(d: &Discretised, s: &TextureSettings) -> Result<Vec<(&'static str, f64)>> {
    features_with(d, s, None)
}

/// [`features`] reusing the padded ROI the texture classes of one image share.
pub(crate) fn features_with(
    d: &Discretised,
    s: &TextureSettings,
    shared: Option<&Prepared>,
) -> Result<Vec<(&'static str, f64)>> {
    let glrlm = Glrlm::compute(d, s, shared)?;
    let per_angle: Vec<[f64; 16]> = glrlm
        .matrices
        .iter()
        .map(|p| angle_features(p, &glrlm.levels, glrlm.max_run))
        .collect();
    Ok(FEATURE_NAMES
        .iter()
        .enumerate()
        .map(|(k, &name)| (name, nanmean(per_angle.iter().map(|f| f[k]))))
        .collect())
}

/// The processed GLRLM as PyRadiomics holds it in `P_glrlm[0]`: shape (levels present, run lengths present in
/// any angle, angles kept), counts not normalised.
///
/// # Errors
/// As [`features`].
pub fn matrix(d: &Discretised, s: &TextureSettings) -> Result<Array3<f64>> {
    let glrlm = Glrlm::compute(d, s, None)?;
    let n = glrlm.levels.len();
    let runs = glrlm.max_run;
    let present: Vec<usize> = (0..runs)
        .filter(|&r| {
            glrlm
                .matrices
                .iter()
                .any(|p| (0..n).any(|i| p[i * runs + r] != 0.0))
        })
        .collect();
    let mut out = Array3::zeros((n, present.len(), glrlm.matrices.len()));
    for (a, p) in glrlm.matrices.iter().enumerate() {
        for i in 0..n {
            for (c, &r) in present.iter().enumerate() {
                out[[i, c, a]] = p[i * runs + r];
            }
        }
    }
    Ok(out)
}

struct Glrlm {
    levels: Vec<f64>,
    max_run: usize,
    /// One row-major (levels × max_run) count matrix per kept angle; column r is run length r + 1.
    matrices: Vec<Vec<f64>>,
}

impl Glrlm {
    fn compute(d: &Discretised, s: &TextureSettings, shared: Option<&Prepared>) -> Result<Self> {
        s.check()?;
        let mut owned = None;
        let prep = Prepared::shared_or_new(shared, d, 1, &mut owned)?;
        let angles = generate_angles(prep.size, &[1], s.force2d_dim(), false);
        let n = prep.n_levels();
        let max_run = prep.size.iter().copied().max().unwrap_or(1);
        let mut matrices: Vec<Vec<f64>> = Vec::with_capacity(angles.len());
        // Run length so far at each voxel, along the current angle.
        let mut run_length = vec![0u32; prep.grey.len()];
        for &angle in &angles {
            // A run along -angle is the same run: step forwards through the voxels (ascending flat index).
            let step = prep.offset(angle).unsigned_abs();
            // One slot past the matrix takes the increments of voxels that do not end a run (no branch).
            let mut counts = vec![0u32; n * max_run + 1];
            let mut longest = 0u32;
            for &v in &prep.voxels {
                let g = prep.grey[v];
                // A ROI voxel continues the run of the previous voxel along the angle when it has the same grey
                // level (that voxel came earlier in the scan); the padding and non-ROI voxels are 0.
                let length = if prep.grey[v - step] == g {
                    run_length[v - step] + 1
                } else {
                    1
                };
                run_length[v] = length;
                longest = longest.max(length);
                let ends = prep.grey[v + step] != g;
                let slot = (g as usize - 1) * max_run + length as usize - 1;
                counts[if ends { slot } else { n * max_run }] += 1;
            }
            counts.truncate(n * max_run);
            let longest = longest as usize;
            if longest < 2 && !any_line_with_two_voxels(prep, angle) {
                counts.iter_mut().for_each(|c| *c = 0);
            }
            matrices.push(counts.into_iter().map(f64::from).collect());
        }
        if let Some(norm) = s.weighting_norm {
            let spacing = spacing_zyx(d);
            let mut merged = vec![0.0; n * max_run];
            for (angle, p) in angles.iter().zip(&matrices) {
                let weight = glrlm_weight(*angle, spacing, norm);
                for (m, &v) in merged.iter_mut().zip(p) {
                    *m += v * weight;
                }
            }
            matrices = vec![merged];
        }
        if matrices.len() > 1 {
            matrices.retain(|p| p.iter().sum::<f64>() != 0.0);
        }
        Ok(Self {
            levels: prep.level_values(),
            max_run,
            matrices,
        })
    }
}

/// True when some line along `angle` crosses at least two ROI voxels (PyRadiomics' `multiElement`).
fn any_line_with_two_voxels(prep: &Prepared, angle: [i64; 3]) -> bool {
    let offset = prep.offset(angle);
    let pad = prep.pad as i64;
    let inside = |c: [i64; 3]| (0..3).all(|k| c[k] >= 0 && c[k] < prep.size[k] as i64);
    for &v in &prep.voxels {
        let x = (v % prep.dims[2]) as i64 - pad;
        let y = ((v / prep.dims[2]) % prep.dims[1]) as i64 - pad;
        let z = (v / (prep.dims[2] * prep.dims[1])) as i64 - pad;
        let mut c = [z + angle[0], y + angle[1], x + angle[2]];
        let mut idx = v.wrapping_add_signed(offset);
        while inside(c) {
            if prep.grey[idx] != 0 {
                return true;
            }
            c = [c[0] + angle[0], c[1] + angle[1], c[2] + angle[2]];
            idx = idx.wrapping_add_signed(offset);
        }
    }
    false
}

/// PyRadiomics' GLRLM weight: the angle's length in mm under the chosen norm.
fn glrlm_weight(angle: [i64; 3], spacing: [f64; 3], norm: WeightingNorm) -> f64 {
    let scaled: Vec<f64> = (0..3)
        .map(|k| angle[k].unsigned_abs() as f64 * spacing[k])
        .collect();
    match norm {
        WeightingNorm::Infinity => scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        WeightingNorm::Euclidean => scaled.iter().map(|v| v * v).sum::<f64>().sqrt(),
        WeightingNorm::Manhattan => scaled.iter().sum(),
        WeightingNorm::NoWeighting => 1.0,
    }
}

/// The 16 features of one count matrix, in [`FEATURE_NAMES`] order.
fn angle_features(p: &[f64], levels: &[f64], max_run: usize) -> [f64; 16] {
    let n = levels.len();
    let total: f64 = p.iter().sum();
    // PyRadiomics sets an empty angle's Nr to NaN, which propagates.
    let nr = if total == 0.0 { f64::NAN } else { total };
    let entries = (0..n).flat_map(|i| {
        (0..max_run).filter_map(move |r| {
            let v = p[i * max_run + r];
            (v != 0.0).then_some((i, (r + 1) as f64, v))
        })
    });
    let joint = sums::joint(levels, nr, entries);
    let run_marginal: Vec<(f64, f64)> = (0..max_run)
        .map(|r| {
            let v = (0..n)
                .map(|i| p[i * max_run + r])
                .filter(|&v| v != 0.0)
                .fold(0.0, |a, v| a + v);
            ((r + 1) as f64, v)
        })
        .collect();
    let runs = sums::sizes(&run_marginal, nr);
    let grey = sums::grey(&joint.grey, levels, nr);
    let re = if total == 0.0 { f64::NAN } else { joint.entropy };
    [
        grey.nonuniformity / nr,
        grey.nonuniformity / (nr * nr),
        grey.variance,
        grey.high / nr,
        runs.large / nr,
        joint.large_high / nr,
        joint.large_low / nr,
        grey.low / nr,
        re,
        runs.nonuniformity / nr,
        runs.nonuniformity / (nr * nr),
        nr / runs.weighted,
        runs.variance,
        runs.small / nr,
        joint.small_high / nr,
        joint.small_low / nr,
    ]
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;

    /// The 5x5 example of the PyRadiomics GLRLM documentation as a one-slice volume.
    fn doc_image() -> Discretised {
        crate::texture::doc_example(crate::texture::DOC_IMAGE)
    }

    #[test]
    fn doc_example_horizontal_matrix() {
        // PyRadiomics docs: GLRLM for θ = 0 (the x axis); rows grey 1..5, columns run length 1..5.
        let expected = [
            [1.0, 0.0, 1.0, 0.0, 0.0],
            [3.0, 0.0, 1.0, 0.0, 0.0],
            [4.0, 1.0, 1.0, 0.0, 0.0],
            [1.0, 1.0, 0.0, 0.0, 0.0],
            [3.0, 0.0, 0.0, 0.0, 0.0],
        ];
        let glrlm = Glrlm::compute(&doc_image(), &TextureSettings::default(), None).unwrap();
        assert_eq!(glrlm.matrices.len(), 4);
        let p = &glrlm.matrices[3];
        for i in 0..5 {
            for r in 0..5 {
                assert_eq!(p[i * 5 + r], expected[i][r], "({i}, {r})");
            }
        }
    }

    #[test]
    fn single_voxel_lines_are_emptied() {
        // A 3-voxel diagonal in one slice: every axis-aligned line crosses one voxel, so only
        // the diagonal angle (0, 1, 1) survives, with one run of length 3.
        let mut mask = Array3::from_elem((1, 3, 3), false);
        for k in 0..3 {
            mask[[0, k, k]] = true;
        }
        let grey = Array3::from_elem((1, 3, 3), 1u32);
        let d = Discretised {
            grey,
            mask,
            n_levels: 1,
            spacing: [1.0, 1.0, 1.0],
        };
        let m = matrix(&d, &TextureSettings::default()).unwrap();
        assert_eq!(m.dim(), (1, 1, 1));
        assert_eq!(m[[0, 0, 0]], 1.0);
        let f = features(&d, &TextureSettings::default()).unwrap();
        // One run of length 3 over 3 voxels: RunPercentage 1/3, LongRunEmphasis 9.
        assert_eq!(f[11], ("RunPercentage", 1.0 / 3.0));
        assert_eq!(f[4], ("LongRunEmphasis", 9.0));
    }

    #[test]
    fn weights_in_closed_form() {
        // Offset (1, 1, 0) with spacing (z, y, x) = (3, 2, 1): |a|·spacing = (3, 2, 0).
        let (angle, spacing) = ([1, 1, 0], [3.0, 2.0, 1.0]);
        assert_eq!(glrlm_weight(angle, spacing, WeightingNorm::Infinity), 3.0);
        assert_eq!(
            glrlm_weight(angle, spacing, WeightingNorm::Euclidean),
            13.0f64.sqrt()
        );
        assert_eq!(glrlm_weight(angle, spacing, WeightingNorm::Manhattan), 5.0);
        assert_eq!(glrlm_weight(angle, spacing, WeightingNorm::NoWeighting), 1.0);
    }

    #[test]
    fn names_sorted_as_pyradiomics_method_names() {
        let methods: Vec<String> = FEATURE_NAMES
            .iter()
            .map(|n| format!("get{n}FeatureValue"))
            .collect();
        let mut sorted = methods.clone();
        sorted.sort();
        assert_eq!(methods, sorted);
    }
}
