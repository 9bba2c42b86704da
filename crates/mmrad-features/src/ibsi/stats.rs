//! IBSI intensity statistics, intensity histogram, intensity-volume histogram and local intensity peaks.
//!
//! Percentiles interpolate linearly between order statistics (numpy's default; IBSI leaves the estimator open).
//! Moments are population moments; kurtosis is excess kurtosis; energy has no voxel-volume factor.

use ndarray::Array3;

use super::push;

/// Linear-interpolation percentile of sorted values (`q` in 0..=100).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q / 100.0 * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The statistics shared by intensity statistics and the intensity histogram, in IBSI order, with their tags'
/// suffixes.
fn common(values: &[f64]) -> Vec<(&'static str, f64)> {
    let n = values.len() as f64;
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mean = values.iter().sum::<f64>() / n;
    let moment = |k: i32| values.iter().map(|v| (v - mean).powi(k)).sum::<f64>() / n;
    let (m2, m3, m4) = (moment(2), moment(3), moment(4));
    let (skew, kurt) = if m2 == 0.0 {
        (0.0, 0.0)
    } else {
        (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
    };
    let median = percentile(&sorted, 50.0);
    let (p10, p25, p75, p90) = (
        percentile(&sorted, 10.0),
        percentile(&sorted, 25.0),
        percentile(&sorted, 75.0),
        percentile(&sorted, 90.0),
    );
    let min = sorted[0];
    let max = sorted[sorted.len() - 1];
    let mad = values.iter().map(|v| (v - mean).abs()).sum::<f64>() / n;
    let robust: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| *v >= p10 && *v <= p90)
        .collect();
    let robust_mean = robust.iter().sum::<f64>() / robust.len() as f64;
    let rmad = robust.iter().map(|v| (v - robust_mean).abs()).sum::<f64>() / robust.len() as f64;
    let medad = values.iter().map(|v| (v - median).abs()).sum::<f64>() / n;
    vec![
        ("mean", mean),
        ("var", m2),
        ("skew", skew),
        ("kurt", kurt),
        ("median", median),
        ("min", min),
        ("p10", p10),
        ("p90", p90),
        ("max", max),
        ("iqr", p75 - p25),
        ("range", max - min),
        ("mad", mad),
        ("rmad", rmad),
        ("medad", medad),
        ("cov", m2.sqrt() / mean),
        ("qcod", (p75 - p25) / (p75 + p25)),
    ]
}

/// IBSI intensity statistics (`stat.*`) of the intensity-mask values.
pub fn intensity_statistics(out: &mut Vec<(String, f64)>, values: &[f64]) {
    for (tag, value) in common(values) {
        push(out, &format!("stat.{tag}"), None, value);
    }
    let energy = values.iter().map(|v| v * v).sum::<f64>();
    push(out, "stat.energy", None, energy);
    push(out, "stat.rms", None, (energy / values.len() as f64).sqrt());
}

/// IBSI intensity histogram (`ih.*`) of the discretised levels (1..=`n_levels`).
pub fn intensity_histogram(out: &mut Vec<(String, f64)>, levels: &[u32], n_levels: u32) {
    let values: Vec<f64> = levels.iter().map(|&g| f64::from(g)).collect();
    let stats = common(&values);
    let mean = stats[0].1;
    for &(tag, value) in &stats[..9] {
        push(out, &format!("ih.{tag}"), None, value);
    }
    let ng = n_levels as usize;
    let mut counts = vec![0.0f64; ng];
    for &g in levels {
        counts[g as usize - 1] += 1.0;
    }
    // Mode: the most frequent level; among ties, the one closest to the mean.
    let top = counts.iter().copied().fold(0.0, f64::max);
    let mode = (1..=ng)
        .filter(|&i| counts[i - 1] == top)
        .min_by(|&a, &b| (a as f64 - mean).abs().total_cmp(&(b as f64 - mean).abs()))
        .map_or(f64::NAN, |i| i as f64);
    push(out, "ih.mode", None, mode);
    for &(tag, value) in &stats[9..] {
        push(out, &format!("ih.{tag}"), None, value);
    }
    let n = values.len() as f64;
    let p: Vec<f64> = counts.iter().map(|c| c / n).collect();
    let entropy = -p.iter().filter(|&&q| q > 0.0).map(|q| q * q.log2()).sum::<f64>();
    push(out, "ih.entropy", None, entropy);
    push(out, "ih.uniformity", None, p.iter().map(|q| q * q).sum());
    // Histogram gradient on counts: one-sided at the ends, central inside.
    let gradient: Vec<f64> = (0..ng)
        .map(|i| match (i, ng) {
            (_, 1) => 0.0,
            (0, _) => counts[1] - counts[0],
            (i, ng) if i == ng - 1 => counts[i] - counts[i - 1],
            (i, _) => (counts[i + 1] - counts[i - 1]) / 2.0,
        })
        .collect();
    let (mut imax, mut imin) = (0, 0);
    for i in 0..ng {
        if gradient[i] > gradient[imax] {
            imax = i;
        }
        if gradient[i] < gradient[imin] {
            imin = i;
        }
    }
    push(out, "ih.max.grad", None, gradient[imax]);
    push(out, "ih.max.grad.gl", None, (imax + 1) as f64);
    push(out, "ih.min.grad", None, gradient[imin]);
    push(out, "ih.min.grad.gl", None, (imin + 1) as f64);
}

/// IBSI intensity-volume histogram (`ivh.*`) of `values` on the intensity grid `lo, lo + step, ..., hi`:
/// intensity fraction `(i − lo)/(hi − lo)`, `ν(i)` the volume fraction with intensity `>= i`.
pub fn intensity_volume_histogram(out: &mut Vec<(String, f64)>, values: &[f64], lo: f64, hi: f64, step: f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let nu = |i: f64| (sorted.len() - sorted.partition_point(|&v| v < i)) as f64 / n;
    let span = if hi > lo { hi - lo } else { 1.0 };
    // A relative nudge keeps exact grid values on the inclusive side of the fraction threshold.
    let volume_at = |fraction: f64| nu(lo + fraction * span - 1e-9 * span);
    let steps = ((hi - lo) / step).round().max(0.0) as usize;
    let intensity_at = |fraction: f64| {
        (0..=steps)
            .map(|k| lo + k as f64 * step)
            .find(|&i| nu(i) <= fraction)
            .unwrap_or(hi + step)
    };
    let (v10, v90) = (volume_at(0.1), volume_at(0.9));
    let (i10, i90) = (intensity_at(0.1), intensity_at(0.9));
    push(out, "ivh.v10", None, v10);
    push(out, "ivh.v90", None, v90);
    push(out, "ivh.i10", None, i10);
    push(out, "ivh.i90", None, i90);
    push(out, "ivh.v10minusv90", None, v10 - v90);
    push(out, "ivh.i10minusi90", None, i10 - i90);
}

/// Local and global intensity peaks: means over a 1 cm³ sphere (radius 6.2 mm) of image voxels centred on ROI
/// voxels; `offset` places the cropped mask in `image` (z, y, x).
pub fn local_intensity(
    out: &mut Vec<(String, f64)>,
    image: &Array3<f64>,
    mask: &Array3<bool>,
    offset: [usize; 3],
    spacing: [f64; 3],
) {
    let radius = (3.0 / (4.0 * std::f64::consts::PI) * 1000.0).cbrt();
    let reach = |s: f64| (radius / s).floor() as i64;
    let (rz, ry, rx) = (reach(spacing[2]), reach(spacing[1]), reach(spacing[0]));
    let mut sphere = Vec::new();
    for dz in -rz..=rz {
        for dy in -ry..=ry {
            for dx in -rx..=rx {
                let d2 = (dx as f64 * spacing[0]).powi(2)
                    + (dy as f64 * spacing[1]).powi(2)
                    + (dz as f64 * spacing[2]).powi(2);
                if d2 <= radius * radius {
                    sphere.push([dz, dy, dx]);
                }
            }
        }
    }
    let dims = image.dim();
    let local_mean = |c: [usize; 3]| {
        let (mut sum, mut count) = (0.0, 0.0);
        for o in &sphere {
            let z = c[0] as i64 + o[0];
            let y = c[1] as i64 + o[1];
            let x = c[2] as i64 + o[2];
            if z >= 0
                && y >= 0
                && x >= 0
                && (z as usize) < dims.0
                && (y as usize) < dims.1
                && (x as usize) < dims.2
            {
                sum += image[[z as usize, y as usize, x as usize]];
                count += 1.0;
            }
        }
        sum / count
    };
    let mut global = f64::NEG_INFINITY;
    let mut top = f64::NEG_INFINITY;
    let mut local = f64::NEG_INFINITY;
    for ((z, y, x), &m) in mask.indexed_iter() {
        if !m {
            continue;
        }
        let c = [z + offset[0], y + offset[1], x + offset[2]];
        let value = image[c];
        let mean = local_mean(c);
        global = global.max(mean);
        if value > top {
            top = value;
            local = mean;
        } else if value == top {
            local = local.max(mean);
        }
    }
    push(out, "loc.peak.local", None, local);
    push(out, "loc.peak.global", None, global);
}
