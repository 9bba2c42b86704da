//! Grey level co-occurrence matrix (GLCM) and its 24 PyRadiomics 3.1 features.
//!
//! One matrix per unidirectional angle (13 in 3D, 4 with `force2D`, more with larger `distances`), made symmetrical
//! when `symmetricalGLCM` is set, restricted to the grey levels present in the ROI, empty angles dropped, each
//! normalised to sum 1. Features are computed per angle and averaged with `nanmean`; with `weightingNorm` the
//! angles are first merged into one matrix with weights `exp(-‖offset·spacing‖²)`.

use ndarray::Array3;

use super::eigen::{dot, symmetric_eigenvalues};
use super::{EPS, Prepared, Result, TextureSettings, WeightingNorm, generate_angles, nanmean, spacing_zyx};
use crate::discretise::Discretised;

/// Features enabled by default, in PyRadiomics' `getFeatureNames` order.
pub const FEATURE_NAMES: &[&str] = &[
    "Autocorrelation",
    "ClusterProminence",
    "ClusterShade",
    "ClusterTendency",
    "Contrast",
    "Correlation",
    "DifferenceAverage",
    "DifferenceEntropy",
    "DifferenceVariance",
    "Id",
    "Idm",
    "Idmn",
    "Idn",
    "Imc1",
    "Imc2",
    "InverseVariance",
    "JointAverage",
    "JointEnergy",
    "JointEntropy",
    "MCC",
    "MaximumProbability",
    "SumAverage",
    "SumEntropy",
    "SumSquares",
];

/// Deprecated features: accepted by name, never computed (PyRadiomics raises a `DeprecationWarning` and skips them).
pub const DEPRECATED_NAMES: &[&str] = &["Dissimilarity", "Homogeneity1", "Homogeneity2", "SumVariance"];

/// Computes the 24 GLCM features, named and ordered as [`FEATURE_NAMES`].
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
    let glcm = Glcm::compute(d, s, shared)?;
    let n = glcm.n;
    let per_angle: Vec<[f64; 23]> = glcm
        .matrices
        .iter()
        .map(|p| angle_features(p, n, &glcm.levels))
        .collect();
    let mcc = glcm.mcc()?;
    let mut out = Vec::with_capacity(FEATURE_NAMES.len());
    let mut k = 0;
    for &name in FEATURE_NAMES {
        let value = match name {
            "MCC" => mcc,
            "JointAverage" => {
                // PyRadiomics uses a plain mean here (not nanmean).
                let v = per_angle.iter().map(|f| f[k]).collect::<Vec<_>>();
                k += 1;
                if v.is_empty() {
                    f64::NAN
                } else {
                    v.iter().sum::<f64>() / v.len() as f64
                }
            }
            _ => {
                let v = nanmean(per_angle.iter().map(|f| f[k]));
                k += 1;
                v
            }
        };
        out.push((name, value));
    }
    Ok(out)
}

/// The processed GLCM as PyRadiomics holds it in `P_glcm[0]`: shape (levels present, levels present, angles kept),
/// each angle normalised to sum 1.
///
/// # Errors
/// As [`features`].
pub fn matrix(d: &Discretised, s: &TextureSettings) -> Result<Array3<f64>> {
    let glcm = Glcm::compute(d, s, None)?;
    let n = glcm.n;
    let mut out = Array3::zeros((n, n, glcm.matrices.len()));
    for (a, p) in glcm.matrices.iter().enumerate() {
        for i in 0..n {
            for j in 0..n {
                out[[i, j, a]] = p[i * n + j];
            }
        }
    }
    Ok(out)
}

/// Normalised per-angle matrices over the present grey levels.
struct Glcm {
    n: usize,
    levels: Vec<f64>,
    /// One row-major n×n matrix per kept angle (or the single weighted matrix).
    matrices: Vec<Vec<f64>>,
}

impl Glcm {
    fn compute(d: &Discretised, s: &TextureSettings, shared: Option<&Prepared>) -> Result<Self> {
        s.check()?;
        let distances = s.unique_distances();
        let max_distance = distances.iter().copied().max().unwrap_or(1);
        let mut owned = None;
        let prep = Prepared::shared_or_new(shared, d, max_distance, &mut owned)?;
        let angles = generate_angles(prep.size, &distances, s.force2d_dim(), false);
        let n = prep.n_levels();
        let w = n + 1;
        let mut counts = vec![0u32; angles.len() * w * w];
        for (a, &angle) in angles.iter().enumerate() {
            let offset = prep.offset(angle);
            let block = &mut counts[a * w * w..(a + 1) * w * w];
            for &v in &prep.voxels {
                let gi = prep.grey[v] as usize;
                let gj = prep.grey[v.wrapping_add_signed(offset)] as usize;
                block[gi * w + gj] += 1;
            }
        }
        let mut matrices: Vec<Vec<f64>> = (0..angles.len())
            .map(|a| {
                let block = &counts[a * w * w..(a + 1) * w * w];
                let mut p = vec![0.0; n * n];
                for i in 0..n {
                    for j in 0..n {
                        let mut c = f64::from(block[(i + 1) * w + j + 1]);
                        if s.symmetrical_glcm {
                            c += f64::from(block[(j + 1) * w + i + 1]);
                        }
                        p[i * n + j] = c;
                    }
                }
                p
            })
            .collect();

        if let Some(norm) = s.weighting_norm {
            let spacing = spacing_zyx(d);
            let mut merged = vec![0.0; n * n];
            for (angle, p) in angles.iter().zip(&matrices) {
                let weight = glcm_weight(*angle, spacing, norm);
                for (m, &v) in merged.iter_mut().zip(p) {
                    *m += v * weight;
                }
            }
            matrices = vec![merged];
        }
        if matrices.len() > 1 {
            matrices.retain(|p| p.iter().sum::<f64>() != 0.0);
        }
        for p in &mut matrices {
            let sum: f64 = p.iter().sum();
            let sum = if sum == 0.0 { f64::NAN } else { sum };
            for v in p.iter_mut() {
                *v /= sum;
            }
        }
        Ok(Self {
            n,
            levels: prep.level_values(),
            matrices,
        })
    }

    /// Maximal correlation coefficient: sqrt of the second largest eigenvalue of Q, averaged over angles.
    fn mcc(&self) -> Result<f64> {
        let n = self.n;
        if n < 2 {
            return Ok(1.0);
        }
        let mut values = Vec::with_capacity(self.matrices.len());
        for p in &self.matrices {
            if p.iter().any(|v| v.is_nan()) {
                values.push(f64::NAN);
                continue;
            }
            values.push(mcc_angle(p, n)?);
        }
        Ok(nanmean(values))
    }
}

/// PyRadiomics' GLCM distance weight for one angle.
fn glcm_weight(angle: [i64; 3], spacing: [f64; 3], norm: WeightingNorm) -> f64 {
    let scaled: Vec<f64> = (0..3)
        .map(|k| angle[k].unsigned_abs() as f64 * spacing[k])
        .collect();
    match norm {
        WeightingNorm::Infinity => {
            let m = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (-(m * m)).exp()
        }
        WeightingNorm::Euclidean => (-scaled.iter().map(|v| v * v).sum::<f64>()).exp(),
        WeightingNorm::Manhattan => {
            let m: f64 = scaled.iter().sum();
            (-(m * m)).exp()
        }
        WeightingNorm::NoWeighting => 1.0,
    }
}

/// MCC for one normalised matrix, with PyRadiomics' Q(i, j) = Σ_k p(i,k) p(j,k) / (px(i) py(k) + eps).
///
/// Without `eps`, Q is similar (by D = diag(sqrt(px))) to the symmetric S(i, j) = Σ_k p(i,k) p(j,k) /
/// (sqrt(px(i) px(j)) py(k)). With `eps`, D Q D⁻¹ is symmetric up to a relative perturbation of order
/// eps / (px py); its eigenvalues equal those of its symmetric part to first order in that perturbation (for a
/// symmetric matrix, δλ = uᵀ E u only sees the symmetric part of E), so the symmetric part is decomposed.
/// Rows with px = 0 are zero rows of Q and contribute zero eigenvalues.
fn mcc_angle(p: &[f64], n: usize) -> Result<f64> {
    let px: Vec<f64> = (0..n).map(|i| p[i * n..(i + 1) * n].iter().sum()).collect();
    let py: Vec<f64> = (0..n).map(|j| (0..n).map(|i| p[i * n + j]).sum()).collect();
    let rows: Vec<usize> = (0..n).filter(|&i| px[i] > 0.0).collect();
    let cols: Vec<usize> = (0..n).filter(|&k| py[k] > 0.0).collect();
    let m = rows.len();
    let c = cols.len();
    // D Q D⁻¹ = A Bᵀ with A(i,k) = sqrt(px(i)) p(i,k) / (px(i) py(k) + eps) and B(j,k) = p(j,k) / sqrt(px(j)).
    let mut left = vec![0.0; m * c];
    let mut right = vec![0.0; m * c];
    for (a, &i) in rows.iter().enumerate() {
        let sqrt_px = px[i].sqrt();
        for (b, &k) in cols.iter().enumerate() {
            let v = p[i * n + k];
            left[a * c + b] = sqrt_px * v / (px[i] * py[k] + EPS);
            right[a * c + b] = v / sqrt_px;
        }
    }
    let mut s = vec![0.0; m * m];
    for a in 0..m {
        for b in 0..=a {
            let ab = dot(&left[a * c..(a + 1) * c], &right[b * c..(b + 1) * c]);
            let ba = dot(&left[b * c..(b + 1) * c], &right[a * c..(a + 1) * c]);
            let v = 0.5 * (ab + ba);
            s[a * m + b] = v;
            s[b * m + a] = v;
        }
    }
    let mut eigenvalues = symmetric_eigenvalues(&s, m)?;
    eigenvalues.extend(std::iter::repeat_n(0.0, n - m));
    eigenvalues.sort_by(f64::total_cmp);
    let second = eigenvalues[n - 2];
    // numpy's real sqrt of a negative eigenvalue is NaN, which nanmean then skips.
    Ok(if second < 0.0 { f64::NAN } else { second.sqrt() })
}

/// The 23 per-angle features other than MCC, in [`FEATURE_NAMES`] order without MCC.
fn angle_features(p: &[f64], n: usize, levels: &[f64]) -> [f64; 23] {
    if p.iter().any(|v| v.is_nan()) {
        return [f64::NAN; 23];
    }
    let ng = levels.last().copied().unwrap_or(1.0);
    let ng_int = ng as usize;
    let mut px = vec![0.0; n];
    let mut py = vec![0.0; n];
    for i in 0..n {
        for j in 0..n {
            px[i] += p[i * n + j];
            py[j] += p[i * n + j];
        }
    }
    let mut ux = 0.0;
    let mut uy = 0.0;
    let mut autocorrelation = 0.0;
    let mut contrast = 0.0;
    let mut joint_energy = 0.0;
    let mut hxy = 0.0;
    let mut max_probability = 0.0f64;
    let mut p_sum = vec![0.0; 2 * ng_int + 1];
    let mut p_diff = vec![0.0; ng_int.max(1)];
    for i in 0..n {
        let li = levels[i];
        for j in 0..n {
            let v = p[i * n + j];
            if v == 0.0 {
                continue;
            }
            let lj = levels[j];
            ux += v * li;
            uy += v * lj;
            autocorrelation += v * li * lj;
            contrast += v * (li - lj) * (li - lj);
            joint_energy += v * v;
            hxy -= v * (v + EPS).log2();
            max_probability = max_probability.max(v);
            p_sum[(li + lj) as usize] += v;
            p_diff[(li - lj).abs() as usize] += v;
        }
    }
    let mut cluster2 = 0.0;
    let mut cluster3 = 0.0;
    let mut cluster4 = 0.0;
    let mut var_x = 0.0;
    let mut var_y = 0.0;
    let mut covariance = 0.0;
    for i in 0..n {
        let di = levels[i] - ux;
        for j in 0..n {
            let v = p[i * n + j];
            if v == 0.0 {
                continue;
            }
            let dj = levels[j] - uy;
            let t = levels[i] + levels[j] - ux - uy;
            let t2 = t * t;
            cluster2 += v * t2;
            cluster3 += v * t2 * t;
            cluster4 += v * t2 * t2;
            var_x += v * di * di;
            var_y += v * dj * dj;
            covariance += v * di * dj;
        }
    }
    let entropy = |q: &[f64]| -> f64 {
        -q.iter()
            .filter(|&&v| v != 0.0)
            .map(|&v| v * (v + EPS).log2())
            .sum::<f64>()
    };
    let hx = entropy(&px);
    let hy = entropy(&py);
    // HXY1 and HXY2 share log2(px(i) py(j) + eps); p(i, j) > 0 implies px(i) py(j) > 0.
    let mut hxy1 = 0.0;
    let mut hxy2 = 0.0;
    for i in 0..n {
        if px[i] == 0.0 {
            continue;
        }
        for j in 0..n {
            let q = px[i] * py[j];
            if q != 0.0 {
                let log = (q + EPS).log2();
                hxy2 -= q * log;
                hxy1 -= p[i * n + j] * log;
            }
        }
    }
    let sig_xy = var_x.sqrt() * var_y.sqrt();
    let correlation = if sig_xy == 0.0 {
        1.0
    } else {
        covariance / (sig_xy + EPS)
    };

    let mut difference_average = 0.0;
    let mut id = 0.0;
    let mut idm = 0.0;
    let mut idmn = 0.0;
    let mut idn = 0.0;
    let mut inverse_variance = 0.0;
    for (k, &v) in p_diff.iter().enumerate() {
        if v == 0.0 {
            continue;
        }
        let kf = k as f64;
        difference_average += kf * v;
        id += v / (1.0 + kf);
        idm += v / (1.0 + kf * kf);
        idmn += v / (1.0 + (kf * kf) / (ng * ng));
        idn += v / (1.0 + kf / ng);
        if k > 0 {
            inverse_variance += v / (kf * kf);
        }
    }
    let difference_entropy = entropy(&p_diff);
    let difference_variance: f64 = p_diff
        .iter()
        .enumerate()
        .map(|(k, &v)| v * (k as f64 - difference_average).powi(2))
        .sum();
    let sum_average: f64 = p_sum.iter().enumerate().map(|(k, &v)| k as f64 * v).sum();
    let sum_entropy = entropy(&p_sum);

    let div = hx.max(hy);
    let imc1 = if div == 0.0 { 0.0 } else { (hxy - hxy1) / div };
    let imc2 = if hxy2 == hxy {
        0.0
    } else {
        (1.0 - (-2.0 * (hxy2 - hxy)).exp()).sqrt()
    };

    [
        autocorrelation,
        cluster4,
        cluster3,
        cluster2,
        contrast,
        correlation,
        difference_average,
        difference_entropy,
        difference_variance,
        id,
        idm,
        idmn,
        idn,
        imc1,
        imc2,
        inverse_variance,
        ux,
        joint_energy,
        hxy,
        max_probability,
        sum_average,
        sum_entropy,
        var_x,
    ]
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;

    /// The 5x5 example of the PyRadiomics GLCM documentation as a one-slice volume.
    fn doc_image() -> Discretised {
        crate::texture::doc_example([
            [1, 2, 5, 2, 3],
            [3, 2, 1, 3, 1],
            [1, 3, 5, 5, 2],
            [1, 1, 1, 1, 2],
            [1, 2, 4, 3, 5],
        ])
    }

    #[test]
    fn doc_example_horizontal_matrix() {
        // PyRadiomics docs: symmetrical GLCM for distance 1 along the x axis (0° and 180°).
        let expected = [
            [6.0, 4.0, 3.0, 0.0, 0.0],
            [4.0, 0.0, 2.0, 1.0, 3.0],
            [3.0, 2.0, 0.0, 1.0, 2.0],
            [0.0, 1.0, 1.0, 0.0, 0.0],
            [0.0, 3.0, 2.0, 0.0, 2.0],
        ];
        let p = matrix(&doc_image(), &TextureSettings::default()).unwrap();
        // In-plane angles: (0,1,1), (0,1,0), (0,1,-1), (0,0,1); the x axis is the last.
        assert_eq!(p.dim(), (5, 5, 4));
        let total: f64 = expected.iter().flatten().sum();
        for i in 0..5 {
            for j in 0..5 {
                // Exact: counts divided by their integer total.
                assert_eq!(p[[i, j, 3]], expected[i][j] / total, "({i}, {j})");
            }
        }
    }

    #[test]
    fn flat_region_values() {
        // One grey level: PyRadiomics' documented fallbacks (Correlation 1, Imc1 0, Imc2 0, MCC 1).
        let grey = Array3::from_elem((2, 3, 3), 3u32);
        let mask = Array3::from_elem((2, 3, 3), true);
        let d = Discretised {
            grey,
            mask,
            n_levels: 3,
            spacing: [1.0, 1.0, 1.0],
        };
        let f = features(&d, &TextureSettings::default()).unwrap();
        let get = |name: &str| f.iter().find(|(n, _)| *n == name).unwrap().1;
        assert_eq!(get("Correlation"), 1.0);
        assert_eq!(get("Imc1"), 0.0);
        assert_eq!(get("Imc2"), 0.0);
        assert_eq!(get("MCC"), 1.0);
        assert_eq!(get("JointAverage"), 3.0);
        assert_eq!(get("SumAverage"), 6.0);
        assert_eq!(get("Contrast"), 0.0);
        assert_eq!(get("MaximumProbability"), 1.0);
        assert_eq!(f.len(), 24);
    }

    #[test]
    fn weights_in_closed_form() {
        // Offset (0, 1, 1) with spacing (z, y, x) = (3, 2, 1): |a|·spacing = (0, 2, 1).
        let (angle, spacing) = ([0, 1, 1], [3.0, 2.0, 1.0]);
        assert_eq!(
            glcm_weight(angle, spacing, WeightingNorm::Infinity),
            (-4.0f64).exp()
        );
        assert_eq!(
            glcm_weight(angle, spacing, WeightingNorm::Euclidean),
            (-5.0f64).exp()
        );
        assert_eq!(
            glcm_weight(angle, spacing, WeightingNorm::Manhattan),
            (-9.0f64).exp()
        );
        assert_eq!(glcm_weight(angle, spacing, WeightingNorm::NoWeighting), 1.0);
    }

    #[test]
    fn no_weighting_sums_the_angles() {
        // With weight 1 the single merged matrix is the sum of the per-angle count matrices, normalised.
        let d = doc_image();
        let s = TextureSettings {
            weighting_norm: Some(WeightingNorm::NoWeighting),
            ..TextureSettings::default()
        };
        let merged = matrix(&d, &s).unwrap();
        assert_eq!(merged.dim(), (5, 5, 1));
        let per_angle = Glcm::compute(&d, &TextureSettings::default(), None).unwrap();
        assert_eq!(per_angle.matrices.len(), 4);
        // Each 5x5 in-plane angle has 2 x (number of pairs) counts: 40, 32, 32, 40 (diagonals have 16 pairs).
        let totals = [32.0, 40.0, 32.0, 40.0];
        let grand: f64 = totals.iter().sum();
        for i in 0..5 {
            for j in 0..5 {
                let summed: f64 = per_angle
                    .matrices
                    .iter()
                    .zip(totals)
                    .map(|(p, t)| p[i * 5 + j] * t)
                    .sum();
                // Tolerance 1e-15: counts recovered from normalised values and re-normalised.
                assert!((merged[[i, j, 0]] - summed / grand).abs() < 1e-15, "({i}, {j})");
            }
        }
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
