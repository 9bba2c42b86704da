//! Neighbouring grey tone difference matrix (NGTDM) and its 5 PyRadiomics 3.1 features.
//!
//! For every ROI voxel, the absolute difference between its grey level and the mean of its ROI neighbours
//! (bidirectional angles of `distances`; 0 when it has none, the voxel still counted, as PyRadiomics' C code does).

use ndarray::Array2;

use super::{Prepared, Result, TextureSettings, generate_angles};
use crate::discretise::Discretised;

/// Features enabled by default, in PyRadiomics' `getFeatureNames` order.
pub const FEATURE_NAMES: &[&str] = &["Busyness", "Coarseness", "Complexity", "Contrast", "Strength"];

/// NGTDM has no deprecated features.
pub const DEPRECATED_NAMES: &[&str] = &[];

/// Computes the 5 NGTDM features, named and ordered as [`FEATURE_NAMES`].
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
    let m = matrix_with(d, s, shared)?;
    let values = tone_features(&m);
    Ok(FEATURE_NAMES.iter().copied().zip(values).collect())
}

/// The processed NGTDM as PyRadiomics holds it: one row per grey level present, columns (n_i, s_i, grey level).
///
/// # Errors
/// As [`features`].
pub fn matrix(d: &Discretised, s: &TextureSettings) -> Result<Array2<f64>> {
    matrix_with(d, s, None)
}

fn matrix_with(d: &Discretised, s: &TextureSettings, shared: Option<&Prepared>) -> Result<Array2<f64>> {
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
    let values = prep.value_volume();
    let mut out = Array2::zeros((n, 3));
    for (k, &g) in prep.levels.iter().enumerate() {
        out[[k, 2]] = f64::from(g);
    }
    for &v in &prep.voxels {
        // Integer sums are exact, as PyRadiomics' double accumulation of integer grey values is.
        let mut count = 0u64;
        let mut sum = 0u64;
        for &o in &offsets {
            let gj = values[v.wrapping_add_signed(o)];
            if gj != 0 {
                count += 1;
                sum += u64::from(gj);
            }
        }
        let diff = if count == 0 {
            0.0
        } else {
            (f64::from(values[v]) - sum as f64 / count as f64).abs()
        };
        let row = prep.grey[v] as usize - 1;
        out[[row, 0]] += 1.0;
        out[[row, 1]] += diff;
    }
    Ok(out)
}

fn tone_features(m: &Array2<f64>) -> [f64; 5] {
    let n = m.nrows();
    let nvp: f64 = m.column(0).sum();
    let p: Vec<f64> = m.column(0).iter().map(|&c| c / nvp).collect();
    let s: Vec<f64> = m.column(1).to_vec();
    let g: Vec<f64> = m.column(2).to_vec();
    let sum_ps: f64 = p.iter().zip(&s).map(|(a, b)| a * b).sum();
    let sum_s: f64 = s.iter().sum();

    let coarseness = if sum_ps == 0.0 { 1_000_000.0 } else { 1.0 / sum_ps };
    let mut contrast_sum = 0.0;
    let mut absdiff = 0.0;
    let mut complexity = 0.0;
    let mut strength_sum = 0.0;
    for i in 0..n {
        for j in 0..n {
            let d = g[i] - g[j];
            contrast_sum += p[i] * p[j] * d * d;
            absdiff += (g[i] * p[i] - g[j] * p[j]).abs();
            complexity += d.abs() * (p[i] * s[i] + p[j] * s[j]) / (p[i] + p[j]);
            strength_sum += (p[i] + p[j]) * d * d;
        }
    }
    let ngp = n as f64;
    let contrast = if n <= 1 {
        0.0
    } else {
        contrast_sum / (ngp * (ngp - 1.0)) * (sum_s / nvp)
    };
    let busyness = if absdiff == 0.0 { 0.0 } else { sum_ps / absdiff };
    let complexity = complexity / nvp;
    let strength = if sum_s == 0.0 { 0.0 } else { strength_sum / sum_s };
    [busyness, coarseness, complexity, contrast, strength]
}

#[cfg(test)]
mod tests {
    use ndarray::{Array3, Axis, array};

    use super::*;

    #[test]
    fn doc_example_matrix() {
        // PyRadiomics docs 4x4 example (no voxel of grey 4): n_i and s_i per present grey level.
        let grey = array![[1u32, 2, 5, 2], [3, 5, 1, 3], [1, 3, 5, 5], [3, 1, 1, 1]].insert_axis(Axis(0));
        let mask = Array3::from_elem(grey.dim(), true);
        let d = Discretised {
            grey,
            mask,
            n_levels: 5,
            spacing: [1.0, 1.0, 1.0],
        };
        let m = matrix(&d, &TextureSettings::default()).unwrap();
        assert_eq!(m.column(0).to_vec(), vec![6.0, 2.0, 4.0, 4.0]);
        assert_eq!(m.column(2).to_vec(), vec![1.0, 2.0, 3.0, 5.0]);
        // s_i in closed form from the documented neighbourhood means (the docs print 2.63 for s_3, whose own
        // terms sum to 3.0333...).
        let s1 = (1.0f64 - 10.0 / 3.0).abs()
            + (1.0f64 - 30.0 / 8.0).abs()
            + (1.0f64 - 15.0 / 5.0).abs()
            + (1.0f64 - 13.0 / 5.0).abs()
            + (1.0f64 - 15.0 / 5.0).abs()
            + (1.0f64 - 11.0 / 3.0).abs();
        let s2 = 2.0;
        let s3 = (3.0f64 - 12.0 / 5.0).abs()
            + (3.0f64 - 18.0 / 5.0).abs()
            + (3.0f64 - 20.0 / 8.0).abs()
            + (3.0f64 - 5.0 / 3.0).abs();
        // The docs list 14/5 and 18/5 for the first two grey-5 neighbourhoods (and s_5 = 10.075); counting the
        // 8-neighbourhoods of the printed image gives 13/5 and 21/8, used here.
        let s5 = (5.0f64 - 13.0 / 5.0).abs()
            + (5.0f64 - 21.0 / 8.0).abs()
            + (5.0f64 - 20.0 / 8.0).abs()
            + (5.0f64 - 11.0 / 5.0).abs();
        for (got, want) in m.column(1).iter().zip([s1, s2, s3, s5]) {
            // Tolerance 1e-12: same sums in another order.
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn flat_region_fallbacks() {
        let grey = Array3::from_elem((2, 2, 2), 4u32);
        let mask = Array3::from_elem((2, 2, 2), true);
        let d = Discretised {
            grey,
            mask,
            n_levels: 4,
            spacing: [1.0, 1.0, 1.0],
        };
        let f = features(&d, &TextureSettings::default()).unwrap();
        assert_eq!(
            f,
            vec![
                ("Busyness", 0.0),
                ("Coarseness", 1e6),
                ("Complexity", 0.0),
                ("Contrast", 0.0),
                ("Strength", 0.0)
            ]
        );
    }
}
