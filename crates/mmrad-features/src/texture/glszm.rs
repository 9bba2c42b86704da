//! Grey level size zone matrix (GLSZM) and its 16 PyRadiomics 3.1 features.
//!
//! Zones are connected sets of ROI voxels with one grey level: 26-connected in 3D, 8-connected in the plane with
//! `force2D` (PyRadiomics' bidirectional distance-1 angles). One matrix for the whole ROI.

use ndarray::Array2;

use super::{Prepared, Result, TextureSettings, generate_angles, sums};
use crate::discretise::Discretised;

/// Features enabled by default, in PyRadiomics' `getFeatureNames` order.
pub const FEATURE_NAMES: &[&str] = &[
    "GrayLevelNonUniformity",
    "GrayLevelNonUniformityNormalized",
    "GrayLevelVariance",
    "HighGrayLevelZoneEmphasis",
    "LargeAreaEmphasis",
    "LargeAreaHighGrayLevelEmphasis",
    "LargeAreaLowGrayLevelEmphasis",
    "LowGrayLevelZoneEmphasis",
    "SizeZoneNonUniformity",
    "SizeZoneNonUniformityNormalized",
    "SmallAreaEmphasis",
    "SmallAreaHighGrayLevelEmphasis",
    "SmallAreaLowGrayLevelEmphasis",
    "ZoneEntropy",
    "ZonePercentage",
    "ZoneVariance",
];

/// GLSZM has no deprecated features.
pub const DEPRECATED_NAMES: &[&str] = &[];

/// Computes the 16 GLSZM features, named and ordered as [`FEATURE_NAMES`].
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
    let z = Glszm::compute(d, s, shared)?;
    let values = zone_features(&z.entries, &z.levels, z.n_voxels as f64);
    Ok(FEATURE_NAMES.iter().copied().zip(values).collect())
}

/// The processed GLSZM as PyRadiomics holds it: shape (levels present, zone sizes present), counts.
///
/// # Errors
/// As [`features`].
pub fn matrix(d: &Discretised, s: &TextureSettings) -> Result<Array2<f64>> {
    let z = Glszm::compute(d, s, None)?;
    let n = z.levels.len();
    let mut sizes: Vec<usize> = z.entries.iter().map(|e| e.1).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut out = Array2::zeros((n, sizes.len()));
    for &(i, size, count) in &z.entries {
        if let Ok(column) = sizes.binary_search(&size) {
            out[[i, column]] = count;
        }
    }
    Ok(out)
}

struct Glszm {
    levels: Vec<f64>,
    /// Sparse matrix: (compact level index from 0, zone size, number of zones), sorted by level then size.
    entries: Vec<(usize, usize, f64)>,
    n_voxels: usize,
}

impl Glszm {
    fn compute(d: &Discretised, s: &TextureSettings, shared: Option<&Prepared>) -> Result<Self> {
        s.check()?;
        let mut owned = None;
        let prep = Prepared::shared_or_new(shared, d, 1, &mut owned)?;
        let offsets: Vec<isize> = generate_angles(prep.size, &[1], s.force2d_dim(), true)
            .into_iter()
            .map(|a| prep.offset(a))
            .collect();
        let mut grey = prep.grey.clone();
        let mut zones: Vec<(u32, usize)> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        for &start in &prep.voxels {
            let g = grey[start];
            if g == 0 {
                continue;
            }
            grey[start] = 0;
            stack.push(start);
            let mut size = 0usize;
            while let Some(v) = stack.pop() {
                size += 1;
                for &o in &offsets {
                    let w = v.wrapping_add_signed(o);
                    if grey[w] == g {
                        grey[w] = 0;
                        stack.push(w);
                    }
                }
            }
            zones.push((g, size));
        }
        zones.sort_unstable();
        let mut entries: Vec<(usize, usize, f64)> = Vec::new();
        for (g, size) in zones {
            match entries.last_mut() {
                Some(last) if last.0 == g as usize - 1 && last.1 == size => last.2 += 1.0,
                _ => entries.push((g as usize - 1, size, 1.0)),
            }
        }
        Ok(Self {
            levels: prep.level_values(),
            entries,
            n_voxels: prep.voxels.len(),
        })
    }
}

/// The 16 size-zone features of a sparse (level, size, count) matrix, as PyRadiomics' GLSZM formulas.
fn zone_features(entries: &[(usize, usize, f64)], levels: &[f64], n_voxels: f64) -> [f64; 16] {
    let total: f64 = entries.iter().map(|e| e.2).sum();
    let nz = if total == 0.0 { 1.0 } else { total };
    let joint = sums::joint(
        levels,
        nz,
        entries.iter().map(|&(i, size, v)| (i, size as f64, v)),
    );
    // Zone counts per size (ps), sizes ascending.
    let mut by_size: Vec<(usize, f64)> = entries.iter().map(|e| (e.1, e.2)).collect();
    by_size.sort_unstable_by_key(|e| e.0);
    let mut ps: Vec<(f64, f64)> = Vec::new();
    for (size, v) in by_size {
        match ps.last_mut() {
            Some(last) if last.0 == size as f64 => last.1 += v,
            _ => ps.push((size as f64, v)),
        }
    }
    let zones = sums::sizes(&ps, nz);
    let grey = sums::grey(&joint.grey, levels, nz);
    [
        grey.nonuniformity / nz,
        grey.nonuniformity / (nz * nz),
        grey.variance,
        grey.high / nz,
        zones.large / nz,
        joint.large_high / nz,
        joint.large_low / nz,
        grey.low / nz,
        zones.nonuniformity / nz,
        zones.nonuniformity / (nz * nz),
        zones.small / nz,
        joint.small_high / nz,
        joint.small_low / nz,
        joint.entropy,
        nz / n_voxels,
        zones.variance,
    ]
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    fn doc_image() -> Discretised {
        crate::texture::doc_example(crate::texture::DOC_IMAGE)
    }

    #[test]
    fn doc_example_matrix() {
        // PyRadiomics docs: rows grey 1..5, columns zone size 1..5.
        let expected = array![
            [0.0, 0.0, 0.0, 1.0, 0.0],
            [1.0, 0.0, 0.0, 0.0, 1.0],
            [1.0, 0.0, 1.0, 0.0, 1.0],
            [1.0, 1.0, 0.0, 0.0, 0.0],
            [3.0, 0.0, 0.0, 0.0, 0.0]
        ];
        let m = matrix(&doc_image(), &TextureSettings::default()).unwrap();
        assert_eq!(m, expected);
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
