//! First-order features, PyRadiomics 3.1 `radiomics/firstorder.py`.
//!
//! Intensities are the ROI voxels of the cropped image; `voxelArrayShift` `c` is added in Energy, TotalEnergy and
//! RootMeanSquared only. Percentiles use numpy's linear interpolation. Variance and StandardDeviation use the
//! population (1/N) form; Kurtosis is PyRadiomics' (not excess) kurtosis `μ4/σ⁴`, and Skewness `μ3/σ³`; both are 0
//! for a flat ROI. Entropy and Uniformity use the discretised ROI histogram (`binWidth`/`binCount`), with
//! `eps = 2.2e-16` inside the logarithm.

use ndarray::{ArrayView3, Zip};

use crate::discretise::Discretised;
use crate::{FeatureError, Result};

/// Features enabled by default, in PyRadiomics' (method-name) order.
pub const FEATURE_NAMES: &[&str] = &[
    "10Percentile",
    "90Percentile",
    "Energy",
    "Entropy",
    "InterquartileRange",
    "Kurtosis",
    "Maximum",
    "MeanAbsoluteDeviation",
    "Mean",
    "Median",
    "Minimum",
    "Range",
    "RobustMeanAbsoluteDeviation",
    "RootMeanSquared",
    "Skewness",
    "TotalEnergy",
    "Uniformity",
    "Variance",
];

/// Features computed only when asked for by name.
pub const DEPRECATED_NAMES: &[&str] = &["StandardDeviation"];

/// Every first-order feature (default ones and `StandardDeviation`), in PyRadiomics' order.
///
/// `image` and `discretised.mask` must have the same shape; `discretised` is the binned ROI used for Entropy and
/// Uniformity, `voxel_array_shift` is PyRadiomics `voxelArrayShift`.
///
/// # Errors
/// Shape mismatch, or an empty ROI.
pub fn features(
    image: ArrayView3<'_, f64>,
    discretised: &Discretised,
    voxel_array_shift: f64,
) -> Result<Vec<(&'static str, f64)>> {
    if image.dim() != discretised.mask.dim() {
        return Err(FeatureError::Shape {
            what: "first-order image and mask".into(),
            expected: format!("{:?}", image.dim()),
            found: format!("{:?}", discretised.mask.dim()),
        });
    }
    let mut values: Vec<f64> = Vec::new();
    let mut counts = vec![0_usize; discretised.n_levels as usize + 1];
    Zip::from(&image)
        .and(&discretised.mask)
        .and(&discretised.grey)
        .for_each(|&v, &m, &g| {
            if m {
                values.push(v);
                if let Some(c) = counts.get_mut(g as usize) {
                    *c += 1;
                }
            }
        });
    if values.is_empty() {
        return Err(FeatureError::EmptyRoi { label: None });
    }
    let n = values.len() as f64;
    let sorted = sorted_total(&values);

    let mean = values.iter().sum::<f64>() / n;
    let central = |k: i32| values.iter().map(|v| (v - mean).powi(k)).sum::<f64>() / n;
    let (m2, m3, m4) = (central(2), central(3), central(4));
    let (skewness, kurtosis) = if m2 == 0.0 {
        (0.0, 0.0)
    } else {
        (m3 / m2.powf(1.5), m4 / (m2 * m2))
    };
    let energy: f64 = values
        .iter()
        .map(|v| (v + voxel_array_shift) * (v + voxel_array_shift))
        .sum();
    let voxel_volume: f64 = discretised.spacing.iter().product();
    let p10 = percentile(&sorted, 10.0);
    let p90 = percentile(&sorted, 90.0);
    let robust: Vec<f64> = values.iter().copied().filter(|&v| v >= p10 && v <= p90).collect();
    let robust_mad = if robust.is_empty() {
        f64::NAN
    } else {
        let robust_mean = robust.iter().sum::<f64>() / robust.len() as f64;
        robust.iter().map(|v| (v - robust_mean).abs()).sum::<f64>() / robust.len() as f64
    };
    let probabilities: Vec<f64> = counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n).collect();
    let eps = f64::EPSILON;
    let entropy = -probabilities.iter().map(|p| p * (p + eps).log2()).sum::<f64>();
    let uniformity = probabilities.iter().map(|p| p * p).sum::<f64>();
    let minimum = sorted.first().copied().unwrap_or(f64::NAN);
    let maximum = sorted.last().copied().unwrap_or(f64::NAN);
    let variance = m2;

    Ok(vec![
        ("10Percentile", p10),
        ("90Percentile", p90),
        ("Energy", energy),
        ("Entropy", entropy),
        (
            "InterquartileRange",
            percentile(&sorted, 75.0) - percentile(&sorted, 25.0),
        ),
        ("Kurtosis", kurtosis),
        ("Maximum", maximum),
        (
            "MeanAbsoluteDeviation",
            values.iter().map(|v| (v - mean).abs()).sum::<f64>() / n,
        ),
        ("Mean", mean),
        ("Median", percentile(&sorted, 50.0)),
        ("Minimum", minimum),
        ("Range", maximum - minimum),
        ("RobustMeanAbsoluteDeviation", robust_mad),
        ("RootMeanSquared", (energy / n).sqrt()),
        ("Skewness", skewness),
        ("StandardDeviation", variance.sqrt()),
        ("TotalEnergy", energy * voxel_volume),
        ("Uniformity", uniformity),
        ("Variance", variance),
    ])
}

/// `values` sorted by `f64::total_cmp`, through integer keys that order as `total_cmp` does (an unstable sort of
/// integers is faster than a stable sort through a comparison closure; values equal under `total_cmp` have the same
/// bits, so stability cannot show).
#[allow(clippy::cast_possible_wrap, clippy::cast_sign_loss)]
fn sorted_total(values: &[f64]) -> Vec<f64> {
    // `total_cmp`'s own key: flip every bit but the sign of negative values, then compare as signed integers. The
    // transform is its own inverse (it keeps the sign bit that selects it).
    let flip = |bits: i64| bits ^ ((((bits >> 63) as u64) >> 1) as i64);
    let mut keys: Vec<i64> = values.iter().map(|&v| flip(v.to_bits() as i64)).collect();
    keys.sort_unstable();
    keys.into_iter().map(|k| f64::from_bits(flip(k) as u64)).collect()
}

/// numpy's default (`linear`) percentile of sorted values, including numpy's two-sided interpolation formula.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let position = q / 100.0 * last as f64;
    let lower = position.floor() as usize;
    let upper = (lower + 1).min(last);
    let t = position - lower as f64;
    let (a, b) = (sorted[lower.min(last)], sorted[upper]);
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_key_sort_is_the_total_cmp_sort() {
        let mut rng = mmrad_core::SeededRng::new(3);
        let mut values: Vec<f64> = (0..5000)
            .map(|_| {
                let r = rng.next_u64();
                match r % 7 {
                    0 => -0.0,
                    1 => 0.0,
                    2 => f64::from_bits(r),
                    3 => ((r >> 8) % 2000) as f64 - 1000.0,
                    _ => ((r >> 8) % 1_000_000) as f64 * 1e-3 - 500.0,
                }
            })
            .collect();
        values.extend([
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
        ]);
        let mut expected = values.clone();
        expected.sort_by(f64::total_cmp);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        assert_eq!(bits(&sorted_total(&values)), bits(&expected));
    }

    #[test]
    fn percentile_matches_numpy() {
        // numpy.percentile([1, 2, 3, 4], [10, 50, 75, 90]) = [1.3, 2.5, 3.25, 3.7]
        let v = [1.0, 2.0, 3.0, 4.0];
        for (q, expected) in [(10.0, 1.3), (50.0, 2.5), (75.0, 3.25), (90.0, 3.7)] {
            assert!((percentile(&v, q) - expected).abs() < 1e-12, "q={q}");
        }
        assert!(percentile(&[], 50.0).is_nan());
    }
}
