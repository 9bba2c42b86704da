//! The lesion: a star-shaped ellipsoid with radial harmonics (its boundary per slice is a polygon, the mask is the
//! set of pixel centres inside that polygon), its soft margin, and the smooth random fields used for texture,
//! background and bias.

use ndarray::Array3;

use mmrad_core::SeededRng;

/// The boundary polygon of each slice (`None` when the slice misses the lesion).
pub(crate) type SlicePolygons = Vec<Option<Vec<[f64; 2]>>>;

/// Vertices of each slice polygon.
pub(crate) const POLYGON_VERTICES: usize = 96;

/// Lesion shape in millimetres around a centre; see the module docs of `images` for the model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shape {
    /// Centre in millimetres, in the image's index frame scaled by spacing (x, y, z).
    pub centre: [f64; 3],
    /// Semi-axes in millimetres (x, y, z).
    pub semi_axes: [f64; 3],
    /// Amplitude of the radial harmonics (0 = an ellipsoid).
    pub irregularity: f64,
    /// (order, weight, phase, twist per unit of normalised z); the weights sum to 1 in absolute value.
    pub harmonics: Vec<(f64, f64, f64, f64)>,
}

impl Shape {
    /// Draws the harmonic pattern (orders 2..=7, weights decaying with order, random phases and twists).
    pub fn new(centre: [f64; 3], semi_axes: [f64; 3], irregularity: f64, rng: &mut SeededRng) -> Shape {
        let mut harmonics = Vec::new();
        for order in 2..=7 {
            let weight = rng.uniform() / f64::from(order);
            let phase = 2.0 * std::f64::consts::PI * rng.uniform();
            let twist = 2.0 * (rng.uniform() - 0.5);
            harmonics.push((f64::from(order), weight, phase, twist));
        }
        let total: f64 = harmonics.iter().map(|h| h.1).sum::<f64>().max(1e-12);
        for h in &mut harmonics {
            h.1 /= total;
        }
        Shape {
            centre,
            semi_axes,
            irregularity: irregularity.clamp(0.0, 0.45),
            harmonics,
        }
    }

    /// Radial factor `1 + irregularity · H(θ, ζ)` (always ≥ 0.55).
    fn radial(&self, theta: f64, zeta: f64) -> f64 {
        let h: f64 = self
            .harmonics
            .iter()
            .map(|&(order, weight, phase, twist)| weight * (order * theta + phase + twist * zeta).cos())
            .sum();
        1.0 + self.irregularity * h
    }

    /// Normalised radius `ρ` of a point (millimetre offsets from the centre): the lesion is `ρ < 1`.
    pub fn rho(&self, dx: f64, dy: f64, dz: f64) -> f64 {
        let [ax, ay, az] = self.semi_axes;
        let (u, v) = (dx / ax, dy / ay);
        let zeta = if az > 0.0 { dz / az } else { 0.0 };
        let s2 = u * u + v * v + zeta * zeta;
        s2.sqrt() / self.radial(v.atan2(u), zeta)
    }

    /// The boundary polygon of the slice at millimetre offset `dz` (absolute millimetres, x and y), or `None` when
    /// the slice misses the lesion. Vertices are rounded to 1 µm so that a DS-encoded copy is exact.
    pub fn polygon(&self, dz: f64) -> Option<Vec<[f64; 2]>> {
        let [ax, ay, az] = self.semi_axes;
        let zeta = if az > 0.0 { dz / az } else { 0.0 };
        let mut points = Vec::with_capacity(POLYGON_VERTICES);
        let mut positive = 0;
        for j in 0..POLYGON_VERTICES {
            let theta = 2.0 * std::f64::consts::PI * j as f64 / POLYGON_VERTICES as f64;
            let r = self.radial(theta, zeta);
            let s2 = r * r - zeta * zeta;
            let s = if s2 > 0.0 { s2.sqrt() } else { 0.0 };
            if s > 0.0 {
                positive += 1;
            }
            let x = round_um(self.centre[0] + ax * s * theta.cos());
            let y = round_um(self.centre[1] + ay * s * theta.sin());
            points.push([x, y]);
        }
        (positive >= 3).then_some(points)
    }
}

fn round_um(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Whether `(x, y)` lies inside the polygon (even–odd rule, half-open edges).
pub(crate) fn inside(polygon: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut result = false;
    let n = polygon.len();
    let mut j = n.wrapping_sub(1);
    for i in 0..n {
        let (pi, pj) = (polygon[i], polygon[j % n]);
        if (pi[1] > y) != (pj[1] > y) {
            let cross_x = pj[0] + (y - pj[1]) * (pi[0] - pj[0]) / (pi[1] - pj[1]);
            if x < cross_x {
                result = !result;
            }
        }
        j = i;
    }
    result
}

/// The mask of `shape` on a grid of `(nz, ny, nx)` voxels with `spacing` (x, y, z): voxel centre `(i·sx, j·sy)`
/// inside the polygon of slice `k` (at `k·sz`). Also returns the polygons per slice.
pub(crate) fn rasterise(
    shape: &Shape,
    dims: (usize, usize, usize),
    spacing: [f64; 3],
) -> (Array3<bool>, SlicePolygons) {
    let (nz, ny, nx) = dims;
    let mut mask = Array3::from_elem(dims, false);
    let mut polygons = Vec::with_capacity(nz);
    for k in 0..nz {
        let dz = k as f64 * spacing[2] - shape.centre[2];
        let polygon = if nz == 1 {
            shape.polygon(0.0)
        } else {
            shape.polygon(dz)
        };
        if let Some(poly) = &polygon {
            let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
            for p in poly {
                x_lo = x_lo.min(p[0]);
                x_hi = x_hi.max(p[0]);
                y_lo = y_lo.min(p[1]);
                y_hi = y_hi.max(p[1]);
            }
            let i_lo = (x_lo / spacing[0]).floor().max(0.0) as usize;
            let i_hi = ((x_hi / spacing[0]).ceil().max(0.0) as usize).min(nx.saturating_sub(1));
            let j_lo = (y_lo / spacing[1]).floor().max(0.0) as usize;
            let j_hi = ((y_hi / spacing[1]).ceil().max(0.0) as usize).min(ny.saturating_sub(1));
            for j in j_lo..=j_hi {
                for i in i_lo..=i_hi {
                    if inside(poly, i as f64 * spacing[0], j as f64 * spacing[1]) {
                        mask[[k, j, i]] = true;
                    }
                }
            }
        }
        polygons.push(polygon);
    }
    (mask, polygons)
}

/// A smooth Gaussian-like random field with unit empirical standard deviation and zero mean: white noise blurred by
/// three passes of a box filter of half-width `radius` (voxels, per axis z, y, x; 0 = no blur on that axis).
pub(crate) fn smooth_field(
    dims: (usize, usize, usize),
    radius: [usize; 3],
    rng: &mut SeededRng,
) -> Array3<f64> {
    let mut field = Array3::from_shape_simple_fn(dims, || rng.normal());
    for (axis, &r) in radius.iter().enumerate() {
        if r == 0 {
            continue;
        }
        for _ in 0..3 {
            box_blur(&mut field, axis, r);
        }
    }
    let n = field.len().max(1) as f64;
    let mean = field.sum() / n;
    let sd = (field.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n)
        .sqrt()
        .max(1e-12);
    field.mapv_inplace(|v| (v - mean) / sd);
    field
}

/// Moving average of half-width `r` along `axis`, clamped at the borders.
fn box_blur(field: &mut Array3<f64>, axis: usize, r: usize) {
    let len = field.len_of(ndarray::Axis(axis));
    if len < 2 {
        return;
    }
    // Prefix sums for O(len) per lane, one buffer for every lane.
    let mut prefix = vec![0.0; len + 1];
    for mut lane in field.lanes_mut(ndarray::Axis(axis)) {
        for (i, v) in lane.iter().enumerate() {
            prefix[i + 1] = prefix[i] + *v;
        }
        for (i, out) in lane.iter_mut().enumerate() {
            let lo = i.saturating_sub(r);
            let hi = (i + r + 1).min(len);
            *out = (prefix[hi] - prefix[lo]) / (hi - lo) as f64;
        }
    }
}

/// Logistic margin weight: 1 well inside the lesion, 0 well outside, `width` the margin width in units of `ρ`.
pub(crate) fn margin_weight(rho: f64, width: f64) -> f64 {
    1.0 / (1.0 + ((rho - 1.0) / width.max(1e-3)).exp())
}
