//! PyRadiomics `LBP2D` and `LBP3D` (imageoperations `getLBP2DImage` / `getLBP3DImage`): local binary patterns.
//!
//! - [`lbp_2d`] runs scikit-image's `local_binary_pattern` (ported in [`local_binary_pattern`]: `P` circle samples
//!   at radius `R` (a C `float`), offsets rounded to 5 decimals, bilinear interpolation with 0 outside the image,
//!   `sample − centre ≥ 0` as the bit) on every slice of a 3D image along `force2Ddimension`, or on a 2D image.
//! - [`lbp_3d`] samples the image at the vertices of trimesh's icosphere ([`icosphere`]) around every ROI voxel
//!   with scipy's `map_coordinates` (cubic B-spline, `mode='constant'`: coefficients prefiltered with mirror
//!   boundaries, 0 outside `[0, len − 1]`), thresholds the samples at the centre voxel, projects the binary pattern
//!   on the spherical harmonics of each level and keeps the L2 norm over the vertices (`lbp-3D-m<level>`), plus the
//!   kurtosis of the samples (`lbp-3D-k`, scipy `kurtosis`, Fisher, biased).
//!
//! PyRadiomics works on the numpy array of the image's own pixel type ([`PixelType`]): `map_coordinates` returns
//! that type (rounded and clipped for integers), the kurtosis of a float32 image is computed in float32, and the 3D
//! `LBP2D` result is stored back into the image array. Sums follow numpy's order (pairwise along contiguous rows,
//! sequential across them), so the results agree to the last few ulps.
//!
//! PyRadiomics' own quirks are kept: the icosphere's x coordinate is added to numpy axis 0 (z), and `sph_harm` gets
//! the polar angle as its azimuth and the azimuth as its polar angle.

use ndarray::{Array2, Array3, ArrayView2, Axis};

use crate::{ImageError, Result};

/// scikit-image's `local_binary_pattern` methods (`lbp2DMethod`, case-insensitive as scikit-image reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbpMethod {
    /// `default`: the pattern's bits as an integer (`Σ bitᵢ 2ⁱ`).
    Default,
    /// `ror`: the smallest of the pattern's circular rotations.
    Ror,
    /// `uniform` (PyRadiomics' default): the number of ones when the pattern has at most two 0/1 changes (counted
    /// without the wrap-around pair, as scikit-image does), else `P + 1`.
    Uniform,
    /// `nri_uniform`: one code per uniform pattern and rotation.
    NriUniform,
    /// `var`: the population variance of the samples (NaN when 0).
    Var,
}

impl LbpMethod {
    /// The names PyRadiomics passes to scikit-image.
    pub const NAMES: [&'static str; 5] = ["default", "ror", "uniform", "nri_uniform", "var"];

    /// Parses a method name as scikit-image does (`method.lower()`).
    pub fn parse(name: &str) -> Option<LbpMethod> {
        match name.to_lowercase().as_str() {
            "default" => Some(LbpMethod::Default),
            "ror" => Some(LbpMethod::Ror),
            "uniform" => Some(LbpMethod::Uniform),
            "nri_uniform" => Some(LbpMethod::NriUniform),
            "var" => Some(LbpMethod::Var),
            _ => None,
        }
    }
}

/// The numpy pixel type of the image PyRadiomics filters, which decides how filter outputs are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelType {
    /// float64 (a normalised image, or a float64 file).
    Float64,
    /// float32: values are rounded to f32 where numpy stores them.
    Float32,
    /// A signed integer type with its range (int16: `-32768..=32767`).
    Signed { min: i64, max: i64 },
    /// An unsigned integer type with its maximum (uint8: 255).
    Unsigned { max: i64 },
}

impl PixelType {
    /// The integer type with range `[min, max]` (unsigned when `min` is 0).
    pub fn integer(min: i64, max: i64) -> PixelType {
        if min == 0 {
            PixelType::Unsigned { max }
        } else {
            PixelType::Signed { min, max }
        }
    }

    /// numpy's `array[...] = float64_values`: a C cast, which on x86-64 truncates toward zero into a 32-bit
    /// integer (NaN and values outside the 32-bit range become `i32::MIN`) and keeps the type's low bits.
    fn assign(self, v: f64) -> f64 {
        let as_i32 = || {
            if v.is_nan() || !(-2_147_483_648.0..2_147_483_648.0).contains(&v) {
                i32::MIN
            } else {
                v.trunc() as i32
            }
        };
        match self {
            PixelType::Float64 => v,
            PixelType::Float32 => f64::from(v as f32),
            PixelType::Signed { max, .. } => match max {
                127 => f64::from(as_i32() as i8),
                32_767 => f64::from(as_i32() as i16),
                _ => f64::from(as_i32()),
            },
            PixelType::Unsigned { max } => match max {
                255 => f64::from(as_i32() as u8),
                65_535 => f64::from(as_i32() as u16),
                _ => f64::from(as_i32() as u32),
            },
        }
    }

    /// scipy `map_coordinates`' store of an interpolated value (`CASE_INTERP_OUT_INT` / `_UINT`): integers are
    /// rounded half away from zero (unsigned: negatives to 0) and clipped to the type's range.
    fn interpolated(self, t: f64) -> f64 {
        match self {
            PixelType::Float64 => t,
            PixelType::Float32 => f64::from(t as f32),
            PixelType::Signed { min, max } => {
                let rounded = if t > 0.0 { t + 0.5 } else { t - 0.5 };
                rounded.clamp(min as f64, max as f64).trunc()
            }
            PixelType::Unsigned { max } => {
                let rounded = if t > 0.0 { t + 0.5 } else { 0.0 };
                rounded.min(max as f64).trunc()
            }
        }
    }
}

/// `LBP2D` settings, PyRadiomics 3.1 defaults.
///
/// | Name | PyRadiomics | Default | Range |
/// |---|---|---|---|
/// | `radius` | `lbp2DRadius` | 1 | finite, > 0 (used as a C `float`) |
/// | `samples` | `lbp2DSamples` | 8 (the code's default; its docstring says 9) | 1..=31 |
/// | `method` | `lbp2DMethod` | `uniform` | [`LbpMethod::NAMES`] |
/// | `axis` | `force2Ddimension` | 0 | 0..=2, numpy axis the slices are taken along (3D images) |
#[derive(Debug, Clone, PartialEq)]
pub struct Lbp2dSettings {
    pub radius: f64,
    pub samples: usize,
    pub method: LbpMethod,
    pub axis: usize,
}

impl Default for Lbp2dSettings {
    fn default() -> Self {
        Lbp2dSettings {
            radius: 1.0,
            samples: 8,
            method: LbpMethod::Uniform,
            axis: 0,
        }
    }
}

/// `LBP3D` settings, PyRadiomics 3.1 defaults.
///
/// | Name | PyRadiomics | Default | Range |
/// |---|---|---|---|
/// | `levels` | `lbp3DLevels` | 2 | 2..=10 (PyRadiomics fails with 1) |
/// | `icosphere_radius` | `lbp3DIcosphereRadius` | 1 | finite, > 0 |
/// | `icosphere_subdivision` | `lbp3DIcosphereSubdivision` | 1 | 0..=5 |
#[derive(Debug, Clone, PartialEq)]
pub struct Lbp3dSettings {
    pub levels: usize,
    pub icosphere_radius: f64,
    pub icosphere_subdivision: usize,
}

impl Default for Lbp3dSettings {
    fn default() -> Self {
        Lbp3dSettings {
            levels: 2,
            icosphere_radius: 1.0,
            icosphere_subdivision: 1,
        }
    }
}

/// PyRadiomics `getLBP2DImage`: the LBP of every slice along `settings.axis` (3D, `ndim` 3), stored in the
/// image's pixel type, or of the single plane of a 2D image (`ndim` 2, float64 result).
///
/// # Errors
/// [`ImageError::Filter`] for settings outside the ranges of [`Lbp2dSettings`].
pub fn lbp_2d(
    data: &Array3<f64>,
    ndim: usize,
    settings: &Lbp2dSettings,
    pixel: PixelType,
) -> Result<Array3<f64>> {
    check_2d(settings)?;
    let mut out = Array3::zeros(data.dim());
    if ndim == 2 {
        for z in 0..data.dim().0 {
            let plane = local_binary_pattern(
                data.index_axis(Axis(0), z),
                settings.samples,
                settings.radius,
                settings.method,
            )?;
            out.index_axis_mut(Axis(0), z).assign(&plane);
        }
        return Ok(out);
    }
    // numpy's `swapaxes(0, axis)` then `[idx, ...]`: the plane's rows and columns are the remaining axes in the
    // swapped order: (y, x) for axis 0, (z, x) for axis 1, (y, z) for axis 2.
    for idx in 0..data.len_of(Axis(settings.axis)) {
        let slice = data.index_axis(Axis(settings.axis), idx);
        let plane = if settings.axis == 2 {
            slice.reversed_axes()
        } else {
            slice
        };
        let lbp = local_binary_pattern(plane, settings.samples, settings.radius, settings.method)?;
        let lbp = lbp.mapv(|v| pixel.assign(v));
        let mut target = out.index_axis_mut(Axis(settings.axis), idx);
        if settings.axis == 2 {
            target.assign(&lbp.t());
        } else {
            target.assign(&lbp);
        }
    }
    Ok(out)
}

fn check_2d(settings: &Lbp2dSettings) -> Result<()> {
    let bad = |reason: String| {
        Err(ImageError::Filter {
            filter: "LBP2D",
            reason,
        })
    };
    if !(settings.radius.is_finite() && settings.radius > 0.0 && (settings.radius as f32).is_finite()) {
        return bad(format!(
            "lbp2DRadius {} must be a finite number > 0",
            settings.radius
        ));
    }
    if !(1..=31).contains(&settings.samples) {
        return bad(format!(
            "lbp2DSamples {} must be an integer from 1 to 31",
            settings.samples
        ));
    }
    if settings.axis > 2 {
        return bad(format!("force2Ddimension {} must be 0, 1 or 2", settings.axis));
    }
    Ok(())
}

/// scikit-image 0.25 `local_binary_pattern(image, P, R, method)` on one plane (rows, columns).
///
/// # Examples
///
/// ```
/// use mmrad_image::filters::{LbpMethod, local_binary_pattern};
/// use ndarray::array;
///
/// // A dark centre: all 8 circle samples are brighter, so every bit is set (uniform code P = 8, default 2⁸ − 1).
/// let image = array![[9.0, 9.0, 9.0], [9.0, 1.0, 9.0], [9.0, 9.0, 9.0]];
/// let uniform = local_binary_pattern(image.view(), 8, 1.0, LbpMethod::Uniform)?;
/// assert_eq!(uniform[[1, 1]], 8.0);
/// let default = local_binary_pattern(image.view(), 8, 1.0, LbpMethod::Default)?;
/// assert_eq!(default[[1, 1]], 255.0);
/// # Ok::<(), mmrad_image::ImageError>(())
/// ```
///
/// # Errors
/// [`ImageError::Filter`] when `samples` is not in 1..=31 or `radius` is not finite and > 0.
pub fn local_binary_pattern(
    image: ArrayView2<'_, f64>,
    samples: usize,
    radius: f64,
    method: LbpMethod,
) -> Result<Array2<f64>> {
    check_2d(&Lbp2dSettings {
        radius,
        samples,
        method,
        axis: 0,
    })?;
    let p = samples;
    // Cython's `float R`, then numpy: `rr = -R * sin(2π i / P)`, `cc = R * cos(2π i / P)`, `np.round(·, 5)`.
    let r = f64::from(radius as f32);
    let round5 = |v: f64| (v * 100_000.0).round_ties_even() / 100_000.0;
    let angles: Vec<f64> = (0..p)
        .map(|i| 2.0 * std::f64::consts::PI * i as f64 / p as f64)
        .collect();
    let row_offsets: Vec<f64> = angles.iter().map(|a| round5(-r * a.sin())).collect();
    let col_offsets: Vec<f64> = angles.iter().map(|a| round5(r * a.cos())).collect();
    let (rows, cols) = image.dim();
    let pixel = |rr: i64, cc: i64| -> f64 {
        if rr < 0 || cc < 0 || rr >= rows as i64 || cc >= cols as i64 {
            0.0
        } else {
            image[[rr as usize, cc as usize]]
        }
    };
    let mut texture = vec![0.0; p];
    let mut bits = vec![0_u8; p];
    let mut out = Array2::zeros((rows, cols));
    for row in 0..rows {
        for col in 0..cols {
            for i in 0..p {
                let (y, x) = (row as f64 + row_offsets[i], col as f64 + col_offsets[i]);
                let (min_r, min_c, max_r, max_c) = (y.floor(), x.floor(), y.ceil(), x.ceil());
                let (dr, dc) = (y - min_r, x - min_c);
                let (min_r, min_c, max_r, max_c) = (min_r as i64, min_c as i64, max_r as i64, max_c as i64);
                let top = (1.0 - dc) * pixel(min_r, min_c) + dc * pixel(min_r, max_c);
                let bottom = (1.0 - dc) * pixel(max_r, min_c) + dc * pixel(max_r, max_c);
                texture[i] = (1.0 - dr) * top + dr * bottom;
            }
            let centre = image[[row, col]];
            for i in 0..p {
                bits[i] = u8::from(texture[i] - centre >= 0.0);
            }
            out[[row, col]] = lbp_code(&texture, &bits, method);
        }
    }
    Ok(out)
}

/// One pixel's code from its samples and bits (scikit-image `_local_binary_pattern`).
fn lbp_code(texture: &[f64], bits: &[u8], method: LbpMethod) -> f64 {
    let p = bits.len();
    let changes = || bits.windows(2).filter(|w| w[0] != w[1]).count();
    let ones = || bits.iter().map(|&b| usize::from(b)).sum::<usize>();
    match method {
        LbpMethod::Var => {
            let (mut sum, mut sum_sq) = (0.0, 0.0);
            for &t in texture {
                sum += t;
                sum_sq += t * t;
            }
            let var = (sum_sq - (sum * sum) / p as f64) / p as f64;
            if var != 0.0 { var } else { f64::NAN }
        }
        LbpMethod::Uniform => {
            if changes() <= 2 {
                ones() as f64
            } else {
                (p + 1) as f64
            }
        }
        LbpMethod::NriUniform => {
            if changes() > 2 {
                return (p * (p - 1) + 2) as f64;
            }
            let n_ones = ones();
            let first_one = bits.iter().position(|&b| b == 1);
            let first_zero = bits.iter().position(|&b| b == 0);
            match (first_one, first_zero) {
                (None, _) => 0.0,
                (_, None) => (p * (p - 1) + 1) as f64,
                (Some(first_one), Some(first_zero)) => {
                    let rot_index = if first_one == 0 {
                        n_ones - first_zero
                    } else {
                        p - first_one
                    };
                    (1 + (n_ones - 1) * p + rot_index) as f64
                }
            }
        }
        LbpMethod::Default | LbpMethod::Ror => {
            let value: u32 = bits.iter().enumerate().map(|(i, &b)| u32::from(b) << i).sum();
            if method == LbpMethod::Default {
                return f64::from(value);
            }
            let mut best = value;
            let mut current = value;
            for _ in 1..p {
                current = (current >> 1) | ((current & 1) << (p - 1));
                best = best.min(current);
            }
            f64::from(best)
        }
    }
}

/// PyRadiomics `getLBP3DImage` on the voxels where `roi` is true: the images `lbp-3D-m1` .. `lbp-3D-m<levels>` and
/// `lbp-3D-k`, in that order, each 0 outside the ROI (PyRadiomics leaves those voxels uninitialised).
///
/// # Errors
/// [`ImageError::Filter`] for settings outside the ranges of [`Lbp3dSettings`]; [`ImageError::Shape`] when `roi`
/// and `data` differ in shape.
pub fn lbp_3d(
    data: &Array3<f64>,
    roi: &Array3<bool>,
    settings: &Lbp3dSettings,
    pixel: PixelType,
) -> Result<Vec<(String, Array3<f64>)>> {
    check_3d(settings)?;
    if roi.dim() != data.dim() {
        return Err(ImageError::Shape {
            image: data.dim(),
            mask: roi.dim(),
        });
    }
    let vertices = icosphere(settings.icosphere_subdivision, settings.icosphere_radius);
    let harmonics = Harmonics::new(&vertices, settings.icosphere_radius, settings.levels);
    let coefficients = spline_coefficients(data);
    let dims = [data.dim().0, data.dim().1, data.dim().2];
    let n_vertices = vertices.len();
    let mut images = vec![Array3::<f64>::zeros(data.dim()); settings.levels + 1];
    let mut samples = vec![0.0; n_vertices];
    let mut bits = vec![false; n_vertices];
    for ((z, y, x), _) in roi.indexed_iter().filter(|(_, inside)| **inside) {
        for (sample, vertex) in samples.iter_mut().zip(&vertices) {
            let point = [z as f64 + vertex[0], y as f64 + vertex[1], x as f64 + vertex[2]];
            *sample = pixel.interpolated(interpolate(&coefficients, dims, point));
        }
        let centre = data[[z, y, x]];
        for (bit, &sample) in bits.iter_mut().zip(&samples) {
            *bit = sample >= centre;
        }
        for (level, norm) in harmonics.norms(&bits).into_iter().enumerate() {
            images[level][[z, y, x]] = norm;
        }
        images[settings.levels][[z, y, x]] = kurtosis(&samples, pixel == PixelType::Float32);
    }
    let mut out: Vec<(String, Array3<f64>)> = Vec::with_capacity(settings.levels + 1);
    for (level, image) in images.into_iter().enumerate() {
        let name = if level == settings.levels {
            "lbp-3D-k".to_owned()
        } else {
            format!("lbp-3D-m{}", level + 1)
        };
        out.push((name, image));
    }
    Ok(out)
}

fn check_3d(settings: &Lbp3dSettings) -> Result<()> {
    let bad = |reason: String| {
        Err(ImageError::Filter {
            filter: "LBP3D",
            reason,
        })
    };
    if !(2..=10).contains(&settings.levels) {
        return bad(format!(
            "lbp3DLevels {} must be an integer from 2 to 10 (PyRadiomics fails with 1)",
            settings.levels
        ));
    }
    if !(settings.icosphere_radius.is_finite() && settings.icosphere_radius > 0.0) {
        return bad(format!(
            "lbp3DIcosphereRadius {} must be a finite number > 0",
            settings.icosphere_radius
        ));
    }
    if settings.icosphere_subdivision > 5 {
        return bad(format!(
            "lbp3DIcosphereSubdivision {} must be an integer from 0 to 5",
            settings.icosphere_subdivision
        ));
    }
    Ok(())
}

/// trimesh 4.5 `creation.icosphere(subdivisions, radius).vertices`, in trimesh's order.
///
/// The icosahedron's pre-baked unit vertices are subdivided (one midpoint per unique edge, ordered as
/// `grouping.unique_rows` orders the sorted edges: by their larger, then smaller vertex index), and after each
/// subdivision (or once, without any) every vertex is moved onto the sphere of `radius`.
pub fn icosphere(subdivisions: usize, radius: f64) -> Vec<[f64; 3]> {
    const A: f64 = 0.525_731_112_119_133_6;
    const B: f64 = 0.850_650_808_352_04;
    let mut vertices: Vec<[f64; 3]> = vec![
        [-A, B, 0.0],
        [A, B, 0.0],
        [-A, -B, 0.0],
        [A, -B, 0.0],
        [0.0, -A, B],
        [0.0, A, B],
        [0.0, -A, -B],
        [0.0, A, -B],
        [B, 0.0, -A],
        [B, 0.0, A],
        [-B, 0.0, -A],
        [-B, 0.0, A],
    ];
    let mut faces: Vec<[usize; 3]> = vec![
        [0, 11, 5],
        [0, 5, 1],
        [0, 1, 7],
        [0, 7, 10],
        [0, 10, 11],
        [1, 5, 9],
        [5, 11, 4],
        [11, 10, 2],
        [10, 7, 6],
        [7, 1, 8],
        [3, 9, 4],
        [3, 4, 2],
        [3, 2, 6],
        [3, 6, 8],
        [3, 8, 9],
        [4, 9, 5],
        [2, 4, 11],
        [6, 2, 10],
        [8, 6, 7],
        [9, 8, 1],
    ];
    let project = |vertices: &mut Vec<[f64; 3]>| {
        for v in vertices.iter_mut() {
            let scalar = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            let step = radius - scalar;
            for c in v.iter_mut() {
                *c += (*c / scalar) * step;
            }
        }
    };
    for _ in 0..subdivisions {
        // Unique sorted edges, keyed as trimesh's hashable_rows packs them (larger index in the high bits).
        let edge = |a: usize, b: usize| (a.max(b), a.min(b));
        let mut unique: Vec<(usize, usize)> = faces
            .iter()
            .flat_map(|f| [edge(f[0], f[1]), edge(f[1], f[2]), edge(f[2], f[0])])
            .collect();
        unique.sort_unstable();
        unique.dedup();
        let n_old = vertices.len();
        let mid_index =
            |a: usize, b: usize| -> usize { n_old + unique.binary_search(&edge(a, b)).unwrap_or_default() };
        let mids: Vec<[f64; 3]> = unique
            .iter()
            .map(|&(hi, lo)| {
                let (p, q) = (vertices[lo], vertices[hi]);
                [(p[0] + q[0]) / 2.0, (p[1] + q[1]) / 2.0, (p[2] + q[2]) / 2.0]
            })
            .collect();
        let mut new_faces = Vec::with_capacity(faces.len() * 4);
        for f in &faces {
            let m0 = mid_index(f[0], f[1]);
            let m1 = mid_index(f[1], f[2]);
            let m2 = mid_index(f[2], f[0]);
            new_faces.extend([[f[0], m0, m2], [m0, f[1], m1], [m2, m1, f[2]], [m0, m1, m2]]);
        }
        vertices.extend(mids);
        faces = new_faces;
        project(&mut vertices);
    }
    if subdivisions == 0 {
        project(&mut vertices);
    }
    vertices
}

/// The spherical harmonics PyRadiomics evaluates at the icosphere's vertices: column 0 is `Y₀⁰`, then `Yₙᵐ` for
/// `n` in 1..levels, `m` in −n..=n, each as `sph_harm(m, n, θ, φ)` with `θ = arccos(z / radius)` passed as the
/// azimuth and `φ = arctan2(y, x)` as the polar angle.
struct Harmonics {
    levels: usize,
    /// `[vertex][column]`, complex as (re, im).
    values: Vec<Vec<(f64, f64)>>,
    /// Level `n` of every column.
    level_of: Vec<usize>,
}

impl Harmonics {
    fn new(vertices: &[[f64; 3]], radius: f64, levels: usize) -> Harmonics {
        let mut level_of = vec![0];
        for n in 1..levels {
            level_of.extend(std::iter::repeat_n(n, 2 * n + 1));
        }
        let values = vertices
            .iter()
            .map(|v| {
                let azimuth = (v[2] / radius).acos();
                let polar = v[1].atan2(v[0]);
                let mut row = vec![sph_harm(0, 0, azimuth, polar)];
                for n in 1..levels {
                    for m in -(n as i64)..=(n as i64) {
                        row.push(sph_harm(m, n, azimuth, polar));
                    }
                }
                row
            })
            .collect();
        Harmonics {
            levels,
            values,
            level_of,
        }
    }

    /// `Re √(Σ_v f_n(v)²)` per level for one voxel's thresholded samples, with numpy's complex arithmetic.
    fn norms(&self, bits: &[bool]) -> Vec<f64> {
        let n_columns = self.level_of.len();
        // c = Σ_v bit_v · Y[v, column], summed over the vertices in order.
        let mut c = vec![(0.0, 0.0); n_columns];
        for (bit, row) in bits.iter().zip(&self.values) {
            if *bit {
                for (acc, y) in c.iter_mut().zip(row) {
                    acc.0 += y.0;
                    acc.1 += y.1;
                }
            }
        }
        let mut squares = vec![(0.0, 0.0); self.levels];
        let mut terms = Vec::new();
        for row in &self.values {
            for (level, square) in squares.iter_mut().enumerate() {
                terms.clear();
                for column in (0..n_columns).filter(|&k| self.level_of[k] == level) {
                    terms.push(complex_mul(c[column], row[column]));
                }
                let f = if level == 0 {
                    terms[0]
                } else {
                    complex_pairwise_sum(&terms)
                };
                let f2 = (f.0 * f.0 - f.1 * f.1, f.0 * f.1 + f.1 * f.0);
                square.0 += f2.0;
                square.1 += f2.1;
            }
        }
        squares
            .into_iter()
            .map(|(re, im)| complex_sqrt_re(re, im))
            .collect()
    }
}

fn complex_mul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

/// The real part of the principal square root (C `csqrt`).
fn complex_sqrt_re(re: f64, im: f64) -> f64 {
    if im == 0.0 {
        return if re >= 0.0 { re.sqrt() } else { 0.0 };
    }
    if re >= 0.0 {
        (0.5 * (re.hypot(im) + re)).sqrt()
    } else {
        let t = (0.5 * (re.hypot(im) - re)).sqrt();
        im.abs() / (2.0 * t)
    }
}

/// scipy `sph_harm(m, n, theta, phi)`: `√((2n+1)/4π · (n−m)!/(n+m)!) Pₙᵐ(cos φ) e^{imθ}` (Condon–Shortley phase),
/// with `|sin φ|` as scipy uses for any `φ`.
fn sph_harm(m: i64, n: usize, theta: f64, phi: f64) -> (f64, f64) {
    let order = m.unsigned_abs() as usize;
    let x = phi.cos();
    let s = phi.sin().abs();
    // Fully normalised associated Legendre functions by the standard stable recurrences.
    let mut p_mm = (1.0 / (4.0 * std::f64::consts::PI)).sqrt();
    for k in 1..=order {
        let k = k as f64;
        p_mm *= -((2.0 * k + 1.0) / (2.0 * k)).sqrt() * s;
    }
    let value = if n == order {
        p_mm
    } else {
        let mf = order as f64;
        let mut p_prev = p_mm;
        let mut p_curr = x * (2.0 * mf + 3.0).sqrt() * p_mm;
        for l in (order + 2)..=n {
            let l = l as f64;
            let a = ((4.0 * l * l - 1.0) / (l * l - mf * mf)).sqrt();
            let b = (((l - 1.0) * (l - 1.0) - mf * mf) / (4.0 * (l - 1.0) * (l - 1.0) - 1.0)).sqrt();
            let next = a * (x * p_curr - b * p_prev);
            p_prev = p_curr;
            p_curr = next;
        }
        p_curr
    };
    let angle = order as f64 * theta;
    let (re, im) = (value * angle.cos(), value * angle.sin());
    if m >= 0 {
        (re, im)
    } else {
        // Yₙ⁻ᵐ = (−1)ᵐ conj(Yₙᵐ)
        let sign = if order.is_multiple_of(2) { 1.0 } else { -1.0 };
        (sign * re, -sign * im)
    }
}

/// numpy's pairwise summation of a contiguous complex row (`CDOUBLE_pairwise_sum` over the interleaved doubles).
fn complex_pairwise_sum(values: &[(f64, f64)]) -> (f64, f64) {
    let n = values.len() * 2;
    if n < 8 {
        let mut sum = (0.0, 0.0);
        for v in values {
            sum.0 += v.0;
            sum.1 += v.1;
        }
        return sum;
    }
    if n <= 128 {
        let mut r = [0.0; 8];
        for k in 0..4 {
            r[2 * k] = values[k].0;
            r[2 * k + 1] = values[k].1;
        }
        let blocks_end = (n - n % 8) / 2;
        let mut i = 4;
        while i < blocks_end {
            for k in 0..4 {
                r[2 * k] += values[i + k].0;
                r[2 * k + 1] += values[i + k].1;
            }
            i += 4;
        }
        let mut re = (r[0] + r[2]) + (r[4] + r[6]);
        let mut im = (r[1] + r[3]) + (r[5] + r[7]);
        for v in &values[i..] {
            re += v.0;
            im += v.1;
        }
        return (re, im);
    }
    let mut half = n / 2;
    half -= half % 8;
    let (a, b) = (
        complex_pairwise_sum(&values[..half / 2]),
        complex_pairwise_sum(&values[half / 2..]),
    );
    (a.0 + b.0, a.1 + b.1)
}

/// numpy's pairwise summation of a contiguous row (`pairwise_sum` in `loops_utils.h`), in f64 or f32.
fn pairwise_sum(values: &[f64], float32: bool) -> f64 {
    let add = |a: f64, b: f64| {
        if float32 {
            f64::from((a as f32) + (b as f32))
        } else {
            a + b
        }
    };
    let n = values.len();
    if n < 8 {
        return values.iter().fold(0.0, |acc, &v| add(acc, v));
    }
    if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&values[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for (k, acc) in r.iter_mut().enumerate() {
                *acc = add(*acc, values[i + k]);
            }
            i += 8;
        }
        let mut res = add(
            add(add(r[0], r[1]), add(r[2], r[3])),
            add(add(r[4], r[5]), add(r[6], r[7])),
        );
        for &v in &values[i..] {
            res = add(res, v);
        }
        return res;
    }
    let mut half = n / 2;
    half -= half % 8;
    add(
        pairwise_sum(&values[..half], float32),
        pairwise_sum(&values[half..], float32),
    )
}

/// scipy 1.16 `stats.kurtosis(samples)` (Fisher, biased): NaN when the second moment is 0 up to rounding; in f32
/// for a float32 image, as numpy keeps float32 arrays float32.
fn kurtosis(samples: &[f64], float32: bool) -> f64 {
    let round = |v: f64| if float32 { f64::from(v as f32) } else { v };
    let n = samples.len() as f64;
    let mean = round(pairwise_sum(samples, float32) / n);
    let deviations: Vec<f64> = samples.iter().map(|&v| round(v - mean)).collect();
    let squares: Vec<f64> = deviations.iter().map(|&d| round(d * d)).collect();
    let fourth: Vec<f64> = squares.iter().map(|&s| round(s * s)).collect();
    let m2 = round(pairwise_sum(&squares, float32) / n);
    let m4 = round(pairwise_sum(&fourth, float32) / n);
    let eps = if float32 {
        f64::from(f32::EPSILON)
    } else {
        f64::EPSILON
    };
    let threshold = round(round(eps * mean) * round(eps * mean));
    if m2 <= threshold {
        return f64::NAN;
    }
    round(round(m4 / round(m2 * m2)) - 3.0)
}

/// scipy `spline_filter(input, order=3, mode='constant')`: cubic B-spline coefficients along every axis of length
/// > 1 in axis order, with the mirror-symmetric initial conditions scipy uses for `constant`.
fn spline_coefficients(data: &Array3<f64>) -> Array3<f64> {
    // sqrt(3) - 2, as scipy's `get_filter_poles` writes it (-0.267949192431122706472553658494127633).
    const POLE: f64 = -0.267_949_192_431_122_7;
    let gain = (1.0 - POLE) * (1.0 - 1.0 / POLE);
    let mut coefficients = data.clone();
    let mut line = Vec::new();
    for axis in 0..3 {
        let n = coefficients.len_of(Axis(axis));
        if n <= 1 {
            continue;
        }
        for mut lane in coefficients.lanes_mut(Axis(axis)) {
            line.clear();
            line.extend(lane.iter().map(|&v| v * gain));
            // _init_causal_mirror
            let z = POLE;
            let z_n_1 = z.powf((n - 1) as f64);
            let mut z_i = z;
            line[0] += z_n_1 * line[n - 1];
            for i in 1..n - 1 {
                line[0] += z_i * (line[i] + z_n_1 * line[n - 1 - i]);
                z_i *= z;
            }
            line[0] /= 1.0 - z_n_1 * z_n_1;
            for i in 1..n {
                line[i] += z * line[i - 1];
            }
            // _init_anticausal_mirror
            line[n - 1] = (z * line[n - 2] + line[n - 1]) * z / (z * z - 1.0);
            for i in (0..n - 1).rev() {
                line[i] = z * (line[i + 1] - line[i]);
            }
            for (target, &v) in lane.iter_mut().zip(&line) {
                *target = v;
            }
        }
    }
    coefficients
}

/// scipy `map_coordinates(order=3, mode='constant', cval=0)` at one point of prefiltered `coefficients`: 0 outside
/// `[0, len − 1]` along any axis, else the 4×4×4 cubic B-spline sum with mirrored indices at the borders, summed in
/// scipy's order.
fn interpolate(coefficients: &Array3<f64>, dims: [usize; 3], point: [f64; 3]) -> f64 {
    let mut weights = [[0.0; 4]; 3];
    let mut indices = [[0_usize; 4]; 3];
    for axis in 0..3 {
        let cc = point[axis];
        let len = dims[axis];
        if cc < 0.0 || cc > (len - 1) as f64 {
            return 0.0;
        }
        let start = cc.floor() as i64 - 1;
        for (k, index) in indices[axis].iter_mut().enumerate() {
            *index = mirror_index(start + k as i64, len as i64);
        }
        let x = cc - cc.floor();
        let (y, z) = (x, 1.0 - x);
        let w = &mut weights[axis];
        w[1] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
        w[2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
        w[0] = z * z * z / 6.0;
        w[3] = 1.0 - w[0] - w[1] - w[2];
    }
    let mut t = 0.0;
    for (i0, w0) in indices[0].iter().zip(&weights[0]) {
        for (i1, w1) in indices[1].iter().zip(&weights[1]) {
            for (i2, w2) in indices[2].iter().zip(&weights[2]) {
                t += coefficients[[*i0, *i1, *i2]] * w0 * w1 * w2;
            }
        }
    }
    t
}

/// scipy's mirror extension of a coefficient index (`NI_EXTEND_MIRROR`).
fn mirror_index(idx: i64, len: i64) -> usize {
    if len <= 1 {
        return 0;
    }
    let s2 = 2 * len - 2;
    let mut idx = idx;
    if idx < 0 {
        idx += s2 * (-idx / s2);
        idx = if idx <= 1 - len { idx + s2 } else { -idx };
    } else if idx >= len {
        idx -= s2 * (idx / s2);
        if idx >= len {
            idx = s2 - idx;
        }
    }
    idx as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_code_of_a_bright_centre_is_zero_and_of_a_dark_centre_is_p() {
        // A 3×3 image with a bright centre: every sample is below it, so no bit is set (code 0); a dark centre
        // sets every bit (code P = 8). Samples off the grid points interpolate between 0-valued outside pixels.
        let bright = Array2::from_shape_fn((3, 3), |(r, c)| if (r, c) == (1, 1) { 10.0 } else { 1.0 });
        let out = local_binary_pattern(bright.view(), 8, 1.0, LbpMethod::Uniform).unwrap();
        assert_eq!(out[[1, 1]], 0.0);
        let dark = bright.mapv(|v| 11.0 - v);
        let out = local_binary_pattern(dark.view(), 8, 1.0, LbpMethod::Uniform).unwrap();
        assert_eq!(out[[1, 1]], 8.0);
        // Default method: the same dark centre gives all 8 bits, 2⁸ − 1.
        let out = local_binary_pattern(dark.view(), 8, 1.0, LbpMethod::Default).unwrap();
        assert_eq!(out[[1, 1]], 255.0);
    }

    #[test]
    fn a_half_plane_edge_gives_closed_form_codes() {
        // Columns 0..2 are 0, column 2.. is 5; centre (1, 2) on the bright side. Samples at angles 0, 90°, 180°,
        // 270° (P = 4, R = 1): right (1, 3) = 5 ≥ 5 → 1; up (0, 2) = 5 → 1; left (1, 1) = 0 → 0; down (2, 2) = 5
        // → 1. Bits 1101 (i = 0..3) → default code 1 + 2 + 8 = 11; uniform: changes between neighbours in
        // order (1,1), (1,0), (0,1) = 2 → uniform with 3 ones; ror: rotations of 0b1011 → smallest is 0b0111 = 7.
        let image = Array2::from_shape_fn((3, 4), |(_, c)| if c >= 2 { 5.0 } else { 0.0 });
        let code = |m| local_binary_pattern(image.view(), 4, 1.0, m).unwrap()[[1, 2]];
        assert_eq!(code(LbpMethod::Default), 11.0);
        assert_eq!(code(LbpMethod::Uniform), 3.0);
        assert_eq!(code(LbpMethod::Ror), 7.0);
    }

    #[test]
    fn bad_settings_name_the_setting() {
        let image = Array3::zeros((2, 3, 3));
        let err = |s: Lbp2dSettings| lbp_2d(&image, 3, &s, PixelType::Float64).unwrap_err().to_string();
        assert!(
            err(Lbp2dSettings {
                samples: 0,
                ..Lbp2dSettings::default()
            })
            .contains("lbp2DSamples")
        );
        assert!(
            err(Lbp2dSettings {
                radius: -1.0,
                ..Lbp2dSettings::default()
            })
            .contains("lbp2DRadius")
        );
        assert!(
            err(Lbp2dSettings {
                axis: 3,
                ..Lbp2dSettings::default()
            })
            .contains("force2Ddimension")
        );
        let roi = Array3::from_elem((2, 3, 3), true);
        let err3 = |s: Lbp3dSettings| {
            lbp_3d(&image, &roi, &s, PixelType::Float64)
                .unwrap_err()
                .to_string()
        };
        assert!(
            err3(Lbp3dSettings {
                levels: 1,
                ..Lbp3dSettings::default()
            })
            .contains("lbp3DLevels")
        );
        assert!(
            err3(Lbp3dSettings {
                icosphere_radius: 0.0,
                ..Lbp3dSettings::default()
            })
            .contains("lbp3DIcosphereRadius")
        );
        assert!(
            err3(Lbp3dSettings {
                icosphere_subdivision: 9,
                ..Lbp3dSettings::default()
            })
            .contains("lbp3DIcosphereSubdivision")
        );
    }

    #[test]
    fn spherical_harmonics_match_closed_forms() {
        // Y₁⁰ = √(3/4π) cos φ, Y₁¹ = −√(3/8π) sin φ e^{iθ}, Y₂⁻² = √(15/32π) sin² φ e^{−2iθ}.
        let (theta, phi) = (0.3_f64, 0.7_f64);
        let pi = std::f64::consts::PI;
        let close = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 1e-15 && (a.1 - b.1).abs() < 1e-15;
        assert!(close(
            sph_harm(0, 1, theta, phi),
            ((3.0 / (4.0 * pi)).sqrt() * phi.cos(), 0.0)
        ));
        let y11 = -(3.0 / (8.0 * pi)).sqrt() * phi.sin();
        assert!(close(
            sph_harm(1, 1, theta, phi),
            (y11 * theta.cos(), y11 * theta.sin())
        ));
        let y22 = (15.0 / (32.0 * pi)).sqrt() * phi.sin().powi(2);
        assert!(close(
            sph_harm(-2, 2, theta, phi),
            (y22 * (2.0 * theta).cos(), -y22 * (2.0 * theta).sin())
        ));
    }

    #[test]
    fn spline_interpolation_reproduces_grid_values_and_is_zero_outside() {
        let data = Array3::from_shape_fn((3, 4, 5), |(z, y, x)| (z * 20 + y * 5 + x) as f64);
        let c = spline_coefficients(&data);
        for (idx, &v) in data.indexed_iter() {
            let got = interpolate(&c, [3, 4, 5], [idx.0 as f64, idx.1 as f64, idx.2 as f64]);
            assert!((got - v).abs() < 1e-12, "{idx:?}: {got} vs {v}");
        }
        assert_eq!(interpolate(&c, [3, 4, 5], [-0.1, 1.0, 1.0]), 0.0);
        assert_eq!(interpolate(&c, [3, 4, 5], [1.0, 3.01, 1.0]), 0.0);
        // A constant is reproduced everywhere inside, mirrored borders included.
        let flat = spline_coefficients(&Array3::from_elem((3, 4, 5), 7.0));
        let got = interpolate(&flat, [3, 4, 5], [0.2, 2.9, 3.7]);
        assert!((got - 7.0).abs() < 1e-12);
    }
}
