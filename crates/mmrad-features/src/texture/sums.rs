//! The sums GLRLM, GLSZM and GLDM features share: PyRadiomics writes the same emphasis, non-uniformity, variance and
//! entropy formulas over a (grey level, size) count matrix, where the size is a run length, a zone size or a
//! dependence count.

use super::EPS;

/// Sums over the matrix entries.
pub(crate) struct Joint {
    /// Grey-level marginal `p_i`.
    pub grey: Vec<f64>,
    /// `−Σ q log2(q + ε)`, `q = v / n`.
    pub entropy: f64,
    /// `Σ v / (i² j²)`.
    pub small_low: f64,
    /// `Σ v i² / j²`.
    pub small_high: f64,
    /// `Σ v j² / i²`.
    pub large_low: f64,
    /// `Σ v i² j²`.
    pub large_high: f64,
}

/// [`Joint`] of `entries` — `(grey index, size j, count v)` with `v > 0`, in the order the sums run — for grey
/// `levels`, normalised by `n`.
pub(crate) fn joint(levels: &[f64], n: f64, entries: impl Iterator<Item = (usize, f64, f64)>) -> Joint {
    let mut out = Joint {
        grey: vec![0.0; levels.len()],
        entropy: 0.0,
        small_low: 0.0,
        small_high: 0.0,
        large_low: 0.0,
        large_high: 0.0,
    };
    for (i, j, v) in entries {
        let i2 = levels[i] * levels[i];
        let j2 = j * j;
        out.grey[i] += v;
        let q = v / n;
        out.entropy -= q * (q + EPS).log2();
        out.small_low += v / (i2 * j2);
        out.small_high += v * i2 / j2;
        out.large_low += v * j2 / i2;
        out.large_high += v * i2 * j2;
    }
    out
}

/// Sums over the size marginal.
pub(crate) struct Sizes {
    /// `Σ p_j / j²`.
    pub small: f64,
    /// `Σ p_j j²`.
    pub large: f64,
    /// `Σ p_j²`.
    pub nonuniformity: f64,
    /// `Σ p_j j` (GLRLM's number of voxels).
    pub weighted: f64,
    /// `Σ p_j / n (j − μ_j)²`.
    pub variance: f64,
}

/// [`Sizes`] of the marginal `(j, p_j)`, sizes ascending, normalised by `n`.
pub(crate) fn sizes(marginal: &[(f64, f64)], n: f64) -> Sizes {
    let mut out = Sizes {
        small: 0.0,
        large: 0.0,
        nonuniformity: 0.0,
        weighted: 0.0,
        variance: 0.0,
    };
    let mut mean = 0.0;
    for &(j, v) in marginal {
        out.small += v / (j * j);
        out.large += v * j * j;
        out.nonuniformity += v * v;
        out.weighted += v * j;
        mean += v / n * j;
    }
    out.variance = marginal.iter().map(|&(j, v)| v / n * (j - mean).powi(2)).sum();
    out
}

/// Sums over the grey-level marginal.
pub(crate) struct Grey {
    /// `Σ p_i²`.
    pub nonuniformity: f64,
    /// `Σ p_i / i²`.
    pub low: f64,
    /// `Σ p_i i²`.
    pub high: f64,
    /// `Σ p_i / n (i − μ_i)²`.
    pub variance: f64,
}

/// [`Grey`] of the marginal `p_i` over grey `levels`, normalised by `n`.
pub(crate) fn grey(marginal: &[f64], levels: &[f64], n: f64) -> Grey {
    let mut out = Grey {
        nonuniformity: 0.0,
        low: 0.0,
        high: 0.0,
        variance: 0.0,
    };
    let mut mean = 0.0;
    for (i, &v) in marginal.iter().enumerate() {
        out.nonuniformity += v * v;
        out.low += v / (levels[i] * levels[i]);
        out.high += v * levels[i] * levels[i];
        mean += v / n * levels[i];
    }
    out.variance = marginal
        .iter()
        .enumerate()
        .map(|(i, &v)| v / n * (levels[i] - mean).powi(2))
        .sum();
    out
}
