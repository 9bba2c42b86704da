//! Rendering of one case's four images (CT, MR, MG, US) and lesion masks in memory, from the case's standardised
//! latent views; see the `images` module docs for the model and the constants of each modality.

use ndarray::{Array3, Axis};

use mmrad_core::{Geometry, SeededRng};

use crate::images::lesion::{Shape, margin_weight, rasterise, smooth_field};

/// Index of each modality in [`crate::MODALITIES`] order.
pub(crate) const CT: usize = 0;
pub(crate) const MR: usize = 1;
pub(crate) const MG: usize = 2;
pub(crate) const US: usize = 3;

/// Stored-value range of the MG images (14 bits, MONOCHROME1).
pub const MG_BITS: u16 = 14;
/// RescaleIntercept of the CT series (stored = HU + 1024).
pub const CT_INTERCEPT: f64 = -1024.0;

/// One rendered image with its mask, in the form the writers take and the readers return.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedImage {
    /// `CT`, `MR`, `MG` or `US`.
    pub modality: &'static str,
    /// Stored values `[z, y, x]` (MG: MONOCHROME1 stored values; US RGB: the grey level of every sample).
    pub stored: Array3<i32>,
    /// Whether the image is written as RGB (US only, a few cases).
    pub rgb: bool,
    /// What `mmrad_io::dicom::read_dicom` returns: HU for CT, stored values for MR, the inverted (MONOCHROME2)
    /// values for MG, grey (or ITK luminance of R = G = B) for US.
    pub values: Array3<f64>,
    /// Lesion mask `[z, y, x]`.
    pub mask: Array3<bool>,
    /// The polygon of each slice (millimetres from the grid origin along x and y), `None` when the slice misses the
    /// lesion; the mask is the set of pixel centres inside.
    pub polygons: Vec<Option<Vec<[f64; 2]>>>,
    pub geometry: Geometry,
}

/// Lesion appearance parameters of one case and modality (all but the nuisance driven by the latent view `z`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LesionDrivers {
    /// Standardised latent view of the modality.
    pub z: f64,
    /// Mean lesion-to-background contrast (lesion units).
    pub contrast: f64,
    /// Standard deviation of the lesion texture (lesion units).
    pub heterogeneity: f64,
    /// Amplitude of the radial harmonics.
    pub irregularity: f64,
    /// Margin width in units of the normalised radius.
    pub margin_width: f64,
}

/// How strongly the latent view drives each appearance parameter (same for every modality; the modalities differ
/// by how noisy their view of the latent factor is and by their nuisance).
pub(crate) fn drivers(z: f64, rng: &mut SeededRng) -> LesionDrivers {
    LesionDrivers {
        z,
        contrast: 1.0 + 0.35 * z + 0.25 * rng.normal(),
        heterogeneity: 0.35 * (0.35 * z + 0.15 * rng.normal()).exp(),
        irregularity: (0.15 + 0.07 * z + 0.03 * rng.normal()).clamp(0.02, 0.4),
        margin_width: 0.08 * (-0.4 * z + 0.15 * rng.normal()).exp(),
    }
}

struct Grid {
    dims: (usize, usize, usize),
    spacing: [f64; 3],
    origin: [f64; 3],
    ndim: usize,
    /// Blur half-widths (z, y, x) of the lesion texture and of the background.
    texture_radius: [usize; 3],
    background_radius: [usize; 3],
    /// Lesion size relative to the case's base size.
    size_factor: f64,
}

fn grid(modality: usize) -> Grid {
    match modality {
        CT => Grid {
            dims: (16, 64, 64),
            spacing: [0.7, 0.7, 2.5],
            origin: [-22.4, -22.4, 0.0],
            ndim: 3,
            texture_radius: [0, 1, 1],
            background_radius: [1, 3, 3],
            size_factor: 1.0,
        },
        MR => Grid {
            dims: (16, 64, 64),
            spacing: [0.8, 0.8, 2.0],
            origin: [-25.6, -25.6, 0.0],
            ndim: 3,
            texture_radius: [0, 1, 1],
            background_radius: [1, 3, 3],
            size_factor: 1.0,
        },
        MG => Grid {
            dims: (1, 160, 160),
            spacing: [0.1, 0.1, 1.0],
            origin: [0.0, 0.0, 0.0],
            ndim: 2,
            texture_radius: [0, 3, 3],
            background_radius: [0, 8, 8],
            size_factor: 0.45,
        },
        _ => Grid {
            dims: (1, 128, 128),
            spacing: [0.25, 0.25, 1.0],
            origin: [0.0, 0.0, 0.0],
            ndim: 2,
            texture_radius: [0, 1, 1],
            background_radius: [0, 4, 4],
            size_factor: 0.8,
        },
    }
}

/// Renders modality `modality` of one case: `base_size` is the case's lesion radius (mm, shared by the modalities),
/// `z` the modality's standardised latent view, `rgb` whether a US image is written in colour.
pub(crate) fn render(
    modality: usize,
    base_size: f64,
    z: f64,
    rgb: bool,
    rng: &mut SeededRng,
) -> RenderedImage {
    let g = grid(modality);
    let d = drivers(z, rng);
    let (nz, ny, nx) = g.dims;
    // Shape: centre near the middle of the grid, in-plane aspect and depth random.
    let a = base_size * g.size_factor;
    let semi_axes = [
        a * (0.85 + 0.3 * rng.uniform()),
        a * (0.85 + 0.3 * rng.uniform()),
        if g.ndim == 2 {
            0.0
        } else {
            6.0 + 2.0 * rng.uniform()
        },
    ];
    let jitter = |rng: &mut SeededRng, extent: f64| extent * (rng.uniform() - 0.5);
    let centre = [
        (nx as f64 - 1.0) / 2.0 * g.spacing[0] + jitter(rng, 4.0 * g.spacing[0]),
        (ny as f64 - 1.0) / 2.0 * g.spacing[1] + jitter(rng, 4.0 * g.spacing[1]),
        if g.ndim == 2 {
            0.0
        } else {
            (nz as f64 - 1.0) / 2.0 * g.spacing[2] + jitter(rng, g.spacing[2])
        },
    ];
    let shape = Shape::new(centre, semi_axes, d.irregularity, rng);
    let (mask, polygons) = rasterise(&shape, g.dims, g.spacing);
    let texture = smooth_field(g.dims, g.texture_radius, rng);
    let background = smooth_field(g.dims, g.background_radius, rng);
    let noise = smooth_field(g.dims, [0, 0, 0], rng);
    // Lesion field L in lesion units.
    let mut field = Array3::<f64>::zeros(g.dims);
    for ((k, j, i), value) in field.indexed_iter_mut() {
        let dx = i as f64 * g.spacing[0] - centre[0];
        let dy = j as f64 * g.spacing[1] - centre[1];
        let dz = k as f64 * g.spacing[2] - centre[2];
        let w = margin_weight(shape.rho(dx, dy, dz), d.margin_width);
        let lesion = d.contrast + d.heterogeneity * texture[[k, j, i]];
        let tissue = 0.3 * background[[k, j, i]];
        *value = w * lesion + (1.0 - w) * tissue;
    }
    let geometry = Geometry {
        spacing: g.spacing,
        origin: g.origin,
        direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        ndim: g.ndim,
    };
    let (stored, values) = match modality {
        CT => ct_values(&field, &noise, rng),
        MR => mr_values(&field, &noise, g.dims, rng),
        MG => mg_values(&field, &noise, rng),
        _ => us_values(&field, g.dims, rgb, rng),
    };
    RenderedImage {
        modality: crate::MODALITIES[modality.min(3)],
        stored,
        rgb: rgb && modality == US,
        values,
        mask,
        polygons,
        geometry,
    }
}

/// CT: HU = −80 + 60·L + scanner offset N(0, 8) + noise (σ = 12·U(0.8, 1.25)); stored = HU + 1024 (int16).
fn ct_values(field: &Array3<f64>, noise: &Array3<f64>, rng: &mut SeededRng) -> (Array3<i32>, Array3<f64>) {
    let offset = 8.0 * rng.normal();
    let sigma = 12.0 * (0.8 + 0.45 * rng.uniform());
    let hu = ndarray::Zip::from(field).and(noise).map_collect(|&l, &n| {
        (-80.0 + 60.0 * l + offset + sigma * n)
            .round()
            .clamp(-1024.0, 3071.0)
    });
    let stored = hu.mapv(|v| v as i32 - CT_INTERCEPT as i32);
    let values = stored.mapv(|s| f64::from(s) + CT_INTERCEPT);
    (stored, values)
}

/// MR: gain·(400 + 220·L)·bias + noise (σ = 15), with a smooth multiplicative bias field
/// `exp(β·(x, y, z, xy))`, β ~ N(0, 0.15); uint16 with 12 bits stored, no rescale.
fn mr_values(
    field: &Array3<f64>,
    noise: &Array3<f64>,
    dims: (usize, usize, usize),
    rng: &mut SeededRng,
) -> (Array3<i32>, Array3<f64>) {
    let gain = (0.15 * rng.normal()).exp();
    let beta = [
        0.15 * rng.normal(),
        0.15 * rng.normal(),
        0.15 * rng.normal(),
        0.15 * rng.normal(),
    ];
    let (nz, ny, nx) = dims;
    let centred = |i: usize, n: usize| {
        if n > 1 {
            2.0 * i as f64 / (n - 1) as f64 - 1.0
        } else {
            0.0
        }
    };
    let mut stored = Array3::<i32>::zeros(dims);
    for ((k, j, i), out) in stored.indexed_iter_mut() {
        let (x, y, z) = (centred(i, nx), centred(j, ny), centred(k, nz));
        let bias = (beta[0] * x + beta[1] * y + beta[2] * z + beta[3] * x * y).exp();
        let v = gain * (400.0 + 220.0 * field[[k, j, i]]) * bias + 15.0 * noise[[k, j, i]];
        *out = v.round().clamp(0.0, 4095.0) as i32;
    }
    let values = stored.mapv(f64::from);
    (stored, values)
}

/// MG: grey = 5000 + 1500·L + offset N(0, 150) + noise (σ = 80); stored MONOCHROME1 = 2^14 − 1 − grey.
fn mg_values(field: &Array3<f64>, noise: &Array3<f64>, rng: &mut SeededRng) -> (Array3<i32>, Array3<f64>) {
    let max = f64::from((1u32 << MG_BITS) - 1);
    let offset = 150.0 * rng.normal();
    let grey = ndarray::Zip::from(field)
        .and(noise)
        .map_collect(|&l, &n| (5000.0 + 1500.0 * l + offset + 80.0 * n).round().clamp(0.0, max));
    let stored = grey.mapv(|g| (max - g) as i32);
    (stored, grey)
}

/// US: a hypoechoic lesion, echo = 0.6 − 0.25·L (clamped ≥ 0.05), times fully developed speckle (the modulus of a
/// complex Gaussian blurred over one pixel, unit mean), grey = clamp(round(gain·120·echo·speckle), 0, 255).
fn us_values(
    field: &Array3<f64>,
    dims: (usize, usize, usize),
    rgb: bool,
    rng: &mut SeededRng,
) -> (Array3<i32>, Array3<f64>) {
    let gain = (0.1 * rng.normal()).exp();
    let real = smooth_field(dims, [0, 1, 1], rng);
    let imaginary = smooth_field(dims, [0, 1, 1], rng);
    // E|X + iY| for independent standard normals is sqrt(π/2).
    let mean_modulus = (std::f64::consts::PI / 2.0).sqrt();
    let mut stored = Array3::<i32>::zeros(dims);
    for ((k, j, i), out) in stored.indexed_iter_mut() {
        let speckle = real[[k, j, i]].hypot(imaginary[[k, j, i]]) / mean_modulus;
        let echo = (0.6 - 0.25 * field[[k, j, i]]).max(0.05);
        *out = (gain * 120.0 * echo * speckle).round().clamp(0.0, 255.0) as i32;
    }
    let weights = [0.30, 0.59, 0.11];
    let values = if rgb {
        stored.mapv(|s| {
            let g = f64::from(s);
            weights[0] * g + weights[1] * g + weights[2] * g
        })
    } else {
        stored.mapv(f64::from)
    };
    (stored, values)
}

/// The R, G, B array `[y, x, 3]` of a US image written in colour (grey in every sample).
pub(crate) fn rgb_of(stored: &Array3<i32>) -> ndarray::Array3<u8> {
    let slice = stored.index_axis(Axis(0), 0);
    let (ny, nx) = slice.dim();
    ndarray::Array3::from_shape_fn((ny, nx, 3), |(j, i, _)| slice[[j, i]].clamp(0, 255) as u8)
}
