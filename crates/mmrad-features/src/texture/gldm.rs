//! Grey level dependence matrix (GLDM) and its 14 PyRadiomics 3.1 features.
//!
//! For every ROI voxel, the number of ROI neighbours (bidirectional angles of `distances`) whose grey level differs
//! by at most `gldm_a`; the matrix counts voxels by (grey level, dependence count + 1). `Nz` equals the voxel count.

use ndarray::Array2;

use super::{Prepared, Result, TextureSettings, generate_angles, sums};
use crate::discretise::Discretised;

/// Features enabled by default, in PyRadiomics' `getFeatureNames` order.
pub const FEATURE_NAMES: &[&str] = &[
    "DependenceEntropy",
    "DependenceNonUniformity",
    "DependenceNonUniformityNormalized",
    "DependenceVariance",
    "GrayLevelNonUniformity",
    "GrayLevelVariance",
    "HighGrayLevelEmphasis",
    "LargeDependenceEmphasis",
    "LargeDependenceHighGrayLevelEmphasis",
    "LargeDependenceLowGrayLevelEmphasis",
    "LowGrayLevelEmphasis",
    "SmallDependenceEmphasis",
    "SmallDependenceHighGrayLevelEmphasis",
    "SmallDependenceLowGrayLevelEmphasis",
];

/// Deprecated features: accepted by name, never computed (PyRadiomics raises a `DeprecationWarning` and skips them).
pub const DEPRECATED_NAMES: &[&str] = &["DependencePercentage", "GrayLevelNonUniformityNormalized"];

/// Computes the 14 GLDM features, named and ordered as [`FEATURE_NAMES`].
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
    let m = Gldm::compute(d, s, shared)?;
    let values = dependence_features(&m);
    Ok(FEATURE_NAMES.iter().copied().zip(values).collect())
}

/// The processed GLDM as PyRadiomics holds it: shape (levels present, dependence counts present), counts.
///
/// # Errors
/// As [`features`].
pub fn matrix(d: &Discretised, s: &TextureSettings) -> Result<Array2<f64>> {
    let m = Gldm::compute(d, s, None)?;
    let n = m.levels.len();
    let present: Vec<usize> = (0..m.n_dep)
        .filter(|&c| (0..n).any(|i| m.counts[i * m.n_dep + c] != 0.0))
        .collect();
    Ok(Array2::from_shape_fn((n, present.len()), |(i, c)| {
        m.counts[i * m.n_dep + present[c]]
    }))
}

struct Gldm {
    levels: Vec<f64>,
    /// Number of columns: dependence counts 0..=number of neighbours.
    n_dep: usize,
    /// Row-major (levels × n_dep) voxel counts.
    counts: Vec<f64>,
    n_voxels: usize,
}

impl Gldm {
    fn compute(d: &Discretised, s: &TextureSettings, shared: Option<&Prepared>) -> Result<Self> {
        s.check()?;
        let distances = s.unique_distances();
        let max_distance = distances.iter().copied().max().unwrap_or(1);
        let mut owned = None;
        let prep = Prepared::shared_or_new(shared, d, max_distance, &mut owned)?;
        let offsets: Vec<isize> = generate_angles(prep.size, &distances, s.force2d_dim(), true)
            .into_iter()
            .map(|a| prep.offset(a))
            .collect();
        let n = prep.n_levels();
        let n_dep = offsets.len() + 1;
        // Dependence compares grey values (bin indices), not compact indices; grey values are integers, so
        // |i - j| <= α is |i - j| <= floor(α).
        let values = prep.value_volume();
        let alpha = if s.gldm_a >= f64::from(u32::MAX) {
            u32::MAX
        } else {
            s.gldm_a.floor() as u32
        };
        let mut counts = vec![0u32; n * n_dep];
        for &v in &prep.voxels {
            let gi = values[v];
            let mut dependent = 0usize;
            for &o in &offsets {
                let gj = values[v.wrapping_add_signed(o)];
                if gj != 0 && gi.abs_diff(gj) <= alpha {
                    dependent += 1;
                }
            }
            counts[(prep.grey[v] as usize - 1) * n_dep + dependent] += 1;
        }
        Ok(Self {
            levels: prep.level_values(),
            n_dep,
            counts: counts.into_iter().map(f64::from).collect(),
            n_voxels: prep.voxels.len(),
        })
    }
}

fn dependence_features(m: &Gldm) -> [f64; 14] {
    let n = m.levels.len();
    let nz = m.n_voxels as f64;
    let entries = (0..n).flat_map(|i| {
        (0..m.n_dep).filter_map(move |c| {
            let v = m.counts[i * m.n_dep + c];
            (v != 0.0).then_some((i, (c + 1) as f64, v))
        })
    });
    let joint = sums::joint(&m.levels, nz, entries);
    let dependence_marginal: Vec<(f64, f64)> = (0..m.n_dep)
        .map(|c| {
            let v = (0..n)
                .map(|i| m.counts[i * m.n_dep + c])
                .filter(|&v| v != 0.0)
                .fold(0.0, |a, v| a + v);
            ((c + 1) as f64, v)
        })
        .collect();
    let dependence = sums::sizes(&dependence_marginal, nz);
    let grey = sums::grey(&joint.grey, &m.levels, nz);
    [
        joint.entropy,
        dependence.nonuniformity / nz,
        dependence.nonuniformity / (nz * nz),
        dependence.variance,
        grey.nonuniformity / nz,
        grey.variance,
        grey.high / nz,
        dependence.large / nz,
        joint.large_high / nz,
        joint.large_low / nz,
        grey.low / nz,
        dependence.small / nz,
        joint.small_high / nz,
        joint.small_low / nz,
    ]
}

#[cfg(test)]
mod tests {
    use ndarray::{Array3, array};

    use super::*;

    fn doc_image() -> Discretised {
        crate::texture::doc_example(crate::texture::DOC_IMAGE)
    }

    #[test]
    fn doc_example_matrix() {
        // PyRadiomics docs (α = 0, δ = 1): rows grey 1..5, columns dependence count 0..3.
        let expected = array![
            [0.0, 1.0, 2.0, 1.0],
            [1.0, 2.0, 3.0, 0.0],
            [1.0, 4.0, 4.0, 0.0],
            [1.0, 2.0, 0.0, 0.0],
            [3.0, 0.0, 0.0, 0.0]
        ];
        let m = matrix(&doc_image(), &TextureSettings::default()).unwrap();
        assert_eq!(m, expected);
    }

    #[test]
    fn alpha_widens_dependence() {
        // Two voxels with grey 1 and 2 side by side: dependent only when α >= 1.
        let grey = array![[[1u32, 2]]];
        let mask = Array3::from_elem((1, 1, 2), true);
        let d = Discretised {
            grey,
            mask,
            n_levels: 2,
            spacing: [1.0, 1.0, 1.0],
        };
        assert_eq!(
            matrix(&d, &TextureSettings::default()).unwrap(),
            array![[1.0], [1.0]]
        );
        let s = TextureSettings {
            gldm_a: 1.0,
            ..TextureSettings::default()
        };
        assert_eq!(matrix(&d, &s).unwrap(), array![[1.0], [1.0]]);
        let f = features(&d, &s).unwrap();
        // Every voxel has one dependent neighbour (j = 2): LargeDependenceEmphasis = 4.
        assert_eq!(f[7], ("LargeDependenceEmphasis", 4.0));
        let f0 = features(&d, &TextureSettings::default()).unwrap();
        assert_eq!(f0[7], ("LargeDependenceEmphasis", 1.0));
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
