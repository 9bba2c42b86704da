//! A volume file decoded to its stored little-endian words ([`VolumeWords`], from NRRD or NIfTI), so that a caller
//! converts only a region: on a 512² CT, whole-volume `f64`/`i64` arrays cost more than the features.

use std::path::{Path, PathBuf};

use mmrad_core::{Geometry, LabelMap};

use crate::nrrd::ScalarType;
use crate::scratch::Buffer;
use crate::{Error, Result};

/// A volume decoded to its stored words (little-endian), kept undecoded so that a caller can convert only a region.
/// Built by [`read_volume_words`].
#[derive(Debug, Clone)]
pub struct VolumeWords {
    path: PathBuf,
    size_xyz: [usize; 3],
    geometry: Geometry,
    scalar: ScalarType,
    /// The `size · word` bytes of the samples, x fastest, from `start` on (a NIfTI buffer keeps its header in front:
    /// removing it would move the whole volume).
    buffer: Buffer,
    start: usize,
    /// NIfTI `scl_slope`/`scl_inter`, applied in f64 after the word's conversion as the whole-volume reader does.
    scale: Option<(f64, f64)>,
}

/// A stored value as the whole-volume readers give it.
#[inline]
fn scaled(v: f64, scale: Option<(f64, f64)>) -> f64 {
    match scale {
        Some((slope, inter)) => v * slope + inter,
        None => v,
    }
}

/// Reads a NRRD (`.nrrd`, `.nhdr`) or NIfTI (`.nii`, `.nii.gz`) file into [`VolumeWords`]; `None` for other files and
/// for what the region path does not handle (ascii or big-endian data, NIfTI intensity scaling, more than three
/// dimensions), which [`crate::read_image`] reads.
///
/// # Errors
/// As [`crate::read_image`].
pub fn read_volume_words(path: &Path) -> Result<Option<VolumeWords>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nrrd") || name.ends_with(".nhdr") {
        crate::nrrd::read_nrrd_words(path)
    } else if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        crate::nifti::read_nifti_words(path)
    } else {
        Ok(None)
    }
}

/// Sum, minimum and maximum of int16 words: exact, in blocks small enough for i32 partial sums, so that the loop
/// vectorises (i64 minima and maxima do not, on x86-64's baseline instruction set). The sum is exact, so it is the
/// whole-volume path's f64 sum whenever that one is exact too: below 2^53 in magnitude, which 2^15 · 2^32 words
/// would need to reach.
fn sum_min_max_i16(body: &[u8]) -> (f64, f64, f64) {
    // Sixteen lanes of i32 partial sums over blocks of 2^15 words: each lane stays below 2^11 · 2^15.
    const BLOCK: usize = 1 << 15;
    const LANES: usize = 16;
    let mut sum = 0_i64;
    let (mut lo, mut hi) = ([i16::MAX; LANES], [i16::MIN; LANES]);
    for block in body.chunks(2 * BLOCK) {
        let mut part = [0_i32; LANES];
        let groups = block.chunks_exact(2 * LANES);
        let rest = groups.remainder();
        for bytes in groups {
            for k in 0..LANES {
                let v = i16::from_le_bytes([bytes[2 * k], bytes[2 * k + 1]]);
                part[k] += i32::from(v);
                lo[k] = lo[k].min(v);
                hi[k] = hi[k].max(v);
            }
        }
        for bytes in rest.chunks_exact(2) {
            let v = i16::from_le_bytes([bytes[0], bytes[1]]);
            sum += i64::from(v);
            lo[0] = lo[0].min(v);
            hi[0] = hi[0].max(v);
        }
        sum += part.iter().map(|&p| i64::from(p)).sum::<i64>();
    }
    let lo = lo.into_iter().min().unwrap_or(i16::MAX);
    let hi = hi.into_iter().max().unwrap_or(i16::MIN);
    #[allow(clippy::cast_precision_loss)]
    let sum = sum as f64;
    (sum, f64::from(lo), f64::from(hi))
}

/// Sum, minimum and maximum of (scaled) words as the whole-volume path computes them (ndarray's `sum()`, `f64::min`
/// and `f64::max` folds), with the work of ndarray's eight partial sums spread over eight lanes that the compiler
/// vectorises. The sum uses the same
/// eight partial sums in the same order. The extremes are found by comparisons, which skip NaN as `f64::min` does
/// and agree with it on every value but the sign of a zero extreme when both zeros occur: then the extremes are
/// taken again by the one-value-at-a-time fold.
fn sum_min_max_lanes<W: Word>(body: &[u8], scale: Option<(f64, f64)>) -> (f64, f64, f64) {
    let blocks = body.len() / W::SIZE / 8 * 8 * W::SIZE;
    let (head, tail) = body.split_at(blocks);
    let mut p = [0.0_f64; 8];
    let mut lo = [f64::INFINITY; 8];
    let mut hi = [f64::NEG_INFINITY; 8];
    let mut negative_zero = false;
    for block in head.chunks_exact(8 * W::SIZE) {
        for (k, bytes) in block.chunks_exact(W::SIZE).enumerate() {
            let v = scaled(W::read(bytes).to_f64(), scale);
            p[k] += v;
            lo[k] = if v < lo[k] { v } else { lo[k] };
            hi[k] = if v > hi[k] { v } else { hi[k] };
            negative_zero |= v.to_bits() == (-0.0_f64).to_bits();
        }
    }
    let mut sum = 0.0;
    for k in 0..4 {
        sum += p[k] + p[k + 4];
    }
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for k in 0..8 {
        min = if lo[k] < min { lo[k] } else { min };
        max = if hi[k] > max { hi[k] } else { max };
    }
    for bytes in tail.chunks_exact(W::SIZE) {
        let v = scaled(W::read(bytes).to_f64(), scale);
        sum += v;
        min = if v < min { v } else { min };
        max = if v > max { v } else { max };
        negative_zero |= v.to_bits() == (-0.0_f64).to_bits();
    }
    if negative_zero && (min == 0.0 || max == 0.0) {
        (min, max) = body
            .chunks_exact(W::SIZE)
            .map(|bytes| scaled(W::read(bytes).to_f64(), scale))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
    }
    (sum, min, max)
}

/// A box `[[z_lo, z_hi], [y_lo, y_hi], [x_lo, x_hi]]` (inclusive) of a volume.
pub type IndexBox = [[usize; 2]; 3];

/// One pass over a label image: bounding box and voxel count of one label, whether any voxel is non-zero, and
/// whether any is not a whole number (which the label-map readers reject).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelExtent {
    pub bounding_box: Option<IndexBox>,
    pub count: usize,
    pub any_nonzero: bool,
    pub any_non_integer: bool,
}

/// A stored word type, read little-endian.
trait Word: Copy {
    const SIZE: usize;
    /// Whether the type is an integer type.
    const INTEGER: bool;
    fn read(bytes: &[u8]) -> Self;
    fn to_f64(self) -> f64;
    /// The value as i64 (integer types; saturating for u64 beyond i64::MAX, truncating for floats).
    fn to_i64(self) -> i64;
}

macro_rules! word {
    ($t:ty, $n:expr, $integer:expr) => {
        impl Word for $t {
            const SIZE: usize = $n;
            const INTEGER: bool = $integer;
            fn read(bytes: &[u8]) -> Self {
                let mut word = [0_u8; $n];
                word.copy_from_slice(&bytes[..$n]);
                <$t>::from_le_bytes(word)
            }
            #[allow(clippy::cast_precision_loss, clippy::cast_lossless)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_possible_wrap,
                clippy::cast_lossless
            )]
            fn to_i64(self) -> i64 {
                self as i64
            }
        }
    };
}
word!(i8, 1, true);
word!(u8, 1, true);
word!(i16, 2, true);
word!(u16, 2, true);
word!(i32, 4, true);
word!(u32, 4, true);
word!(i64, 8, true);
word!(u64, 8, true);
word!(f32, 4, false);
word!(f64, 8, false);

/// Calls `$f::<word type>($args)` for the stored scalar type.
macro_rules! dispatch {
    ($scalar:expr, $f:ident($($arg:expr),*)) => {
        match $scalar {
            ScalarType::I8 => $f::<i8>($($arg),*),
            ScalarType::U8 => $f::<u8>($($arg),*),
            ScalarType::I16 => $f::<i16>($($arg),*),
            ScalarType::U16 => $f::<u16>($($arg),*),
            ScalarType::I32 => $f::<i32>($($arg),*),
            ScalarType::U32 => $f::<u32>($($arg),*),
            ScalarType::I64 => $f::<i64>($($arg),*),
            ScalarType::U64 => $f::<u64>($($arg),*),
            ScalarType::F32 => $f::<f32>($($arg),*),
            ScalarType::F64 => $f::<f64>($($arg),*),
        }
    };
}

impl VolumeWords {
    /// Words of `path`, `buffer[start..]` holding `size_xyz` samples of `scalar` (checked by the readers).
    pub(crate) fn new(
        path: &Path,
        size_xyz: [usize; 3],
        geometry: Geometry,
        scalar: ScalarType,
        (buffer, start): (Buffer, usize),
        scale: Option<(f64, f64)>,
    ) -> VolumeWords {
        VolumeWords {
            path: path.to_path_buf(),
            size_xyz,
            geometry,
            scalar,
            buffer,
            start,
            scale,
        }
    }

    /// The bytes of the samples.
    fn body(&self) -> &[u8] {
        self.buffer.get(self.start..).unwrap_or_default()
    }

    /// Size `(x, y, z)`.
    pub fn size_xyz(&self) -> [usize; 3] {
        self.size_xyz
    }

    /// LPS geometry of the whole volume.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The pixel type SimpleITK reads the file as: the stored type, or float32 for a scaled NIfTI file
    /// (see [`crate::nifti`]).
    pub fn pixel_type(&self) -> mmrad_core::PixelType {
        match self.scale {
            #[allow(clippy::cast_possible_truncation)]
            Some((slope, inter)) => crate::nifti::itk_pixel_type(self.scalar, slope as f32, inter as f32),
            None => self.scalar.pixel_type(),
        }
    }

    /// Whether the stored type is an integer type (then sums of values are exact in any order).
    pub fn is_integer(&self) -> bool {
        !self.scalar.is_float()
    }

    /// Sum, minimum and maximum of all values as f64.
    pub fn sum_min_max(&self) -> (f64, f64, f64) {
        // Integer samples: exact i64 accumulators (int16, the CT type, has its own vectorised loop); an int32
        // volume of 2^32 voxels could overflow, so the sum is checked.
        // The whole-volume path sums f64 values; that sum is this exact one while every partial sum is an integer
        // below 2^53, which the sum of magnitudes bounds.
        fn run_int<W: Word>(body: &[u8]) -> Option<(f64, f64, f64)> {
            let (mut sum, mut magnitude) = (0_i64, 0_u64);
            let (mut lo, mut hi) = (i64::MAX, i64::MIN);
            for chunk in body.chunks(W::SIZE * 4096) {
                let (mut part, mut part_magnitude) = (0_i64, 0_u64);
                for bytes in chunk.chunks_exact(W::SIZE) {
                    let v = W::read(bytes).to_i64();
                    part += v;
                    part_magnitude += v.unsigned_abs();
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
                sum = sum.checked_add(part)?;
                magnitude = magnitude.checked_add(part_magnitude)?;
            }
            if magnitude >= 1 << 53 {
                return None;
            }
            #[allow(clippy::cast_precision_loss)]
            Some((sum as f64, lo as f64, hi as f64))
        }
        if self.is_integer()
            && self.scale.is_none()
            && !matches!(self.scalar, ScalarType::U64 | ScalarType::I64)
        {
            let exact = match self.scalar {
                ScalarType::I8 => run_int::<i8>(self.body()),
                ScalarType::U8 => run_int::<u8>(self.body()),
                ScalarType::I16 => Some(sum_min_max_i16(self.body())),
                ScalarType::U16 => run_int::<u16>(self.body()),
                ScalarType::I32 => run_int::<i32>(self.body()),
                _ => run_int::<u32>(self.body()),
            };
            if let Some(result) = exact {
                return result;
            }
        }
        dispatch!(self.scalar, sum_min_max_lanes(self.body(), self.scale))
    }

    /// Bounding box and count of the voxels whose value equals `label`.
    pub fn label_extent(&self, label: i64) -> LabelExtent {
        fn run<W: Word>(
            body: &[u8],
            [nx, ny, nz]: [usize; 3],
            label: f64,
            scale: Option<(f64, f64)>,
        ) -> LabelExtent {
            let mut bb = [[usize::MAX, 0]; 3];
            let mut count = 0;
            let mut any_nonzero = false;
            let mut any_non_integer = false;
            let zero_maps_to_zero = scale.is_none_or(|(_, inter)| inter == 0.0);
            // Unscaled integer words of at most 32 bits convert to f64 exactly: they are whole numbers, and equal
            // the label's f64 exactly when they equal the label (a label beyond 2^53, rounded in f64, is beyond
            // every such word). Comparing integers spares the f64 conversion and `fract`'s library call per word.
            let small_integer = W::INTEGER && W::SIZE <= 4 && scale.is_none();
            #[allow(clippy::cast_possible_truncation)]
            let label_integer = label as i64;
            for (row_index, row) in body.chunks_exact(nx * W::SIZE).enumerate() {
                // Most rows of a mask are empty: an all-zero-bytes test vectorises, the per-word loop does not.
                if zero_maps_to_zero && row.iter().fold(0_u8, |acc, &b| acc | b) == 0 {
                    continue;
                }
                let (z, y) = (row_index / ny, row_index % ny);
                let mut first = None;
                let mut last = 0;
                if small_integer {
                    for (x, bytes) in row.chunks_exact(W::SIZE).enumerate() {
                        let v = W::read(bytes).to_i64();
                        if v == label_integer {
                            first.get_or_insert(x);
                            last = x;
                            count += 1;
                        }
                        any_nonzero |= v != 0;
                    }
                } else {
                    for (x, bytes) in row.chunks_exact(W::SIZE).enumerate() {
                        let v = scaled(W::read(bytes).to_f64(), scale);
                        if v == label {
                            first.get_or_insert(x);
                            last = x;
                            count += 1;
                        }
                        any_nonzero |= v != 0.0;
                        any_non_integer |= !v.is_finite() || v.fract() != 0.0;
                    }
                }
                if let Some(first) = first {
                    bb[0] = [bb[0][0].min(z), bb[0][1].max(z)];
                    bb[1] = [bb[1][0].min(y), bb[1][1].max(y)];
                    bb[2] = [bb[2][0].min(first), bb[2][1].max(last)];
                }
            }
            debug_assert!(nz == 0 || count == 0 || bb[0][1] < nz);
            LabelExtent {
                bounding_box: (count > 0).then_some(bb),
                count,
                any_nonzero,
                any_non_integer,
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let label = label as f64;
        dispatch!(self.scalar, run(self.body(), self.size_xyz, label, self.scale))
    }

    /// The values inside `region` (clamped to the volume) as f64 `[z, y, x]`, and the region's geometry (origin at
    /// its first voxel).
    pub fn region_f64(&self, region: &IndexBox) -> (ndarray::Array3<f64>, Geometry) {
        fn run<W: Word>(
            body: &[u8],
            size: [usize; 3],
            b: &IndexBox,
            scale: Option<(f64, f64)>,
        ) -> ndarray::Array3<f64> {
            let [nx, ny, _] = size;
            let shape = (
                b[0][1] - b[0][0] + 1,
                b[1][1] - b[1][0] + 1,
                b[2][1] - b[2][0] + 1,
            );
            let mut out = Vec::with_capacity(shape.0 * shape.1 * shape.2);
            for z in b[0][0]..=b[0][1] {
                for y in b[1][0]..=b[1][1] {
                    let start = ((z * ny + y) * nx + b[2][0]) * W::SIZE;
                    let end = ((z * ny + y) * nx + b[2][1] + 1) * W::SIZE;
                    out.extend(
                        body[start..end]
                            .chunks_exact(W::SIZE)
                            .map(|w| scaled(W::read(w).to_f64(), scale)),
                    );
                }
            }
            ndarray::Array3::from_shape_vec(shape, out).unwrap_or_else(|_| ndarray::Array3::zeros((0, 0, 0)))
        }
        let region = self.clamp(region);
        let data = dispatch!(self.scalar, run(self.body(), self.size_xyz, &region, self.scale));
        let mut geometry = self.geometry.clone();
        #[allow(clippy::cast_precision_loss)]
        let corner = [region[2][0] as f64, region[1][0] as f64, region[0][0] as f64];
        geometry.origin = self.geometry.index_to_physical(corner);
        (data, geometry)
    }

    /// Frees the words now instead of keeping their buffer for a later case ([`Buffer::release`]).
    pub(crate) fn release(self) {
        self.buffer.release();
    }

    /// Every value as f64 (scaled as the whole-volume readers scale it), x fastest.
    pub(crate) fn values_f64(&self) -> Vec<f64> {
        fn run<W: Word>(body: &[u8], n: usize, scale: Option<(f64, f64)>) -> Vec<f64> {
            body.chunks_exact(W::SIZE)
                .take(n)
                .map(|w| scaled(W::read(w).to_f64(), scale))
                .collect()
        }
        let n = self.size_xyz.iter().product();
        dispatch!(self.scalar, run(self.body(), n, self.scale))
    }

    /// As [`VolumeWords::region_f64`], as integer labels.
    ///
    /// # Errors
    /// A non-integral value in the region (a float label image must hold whole numbers).
    pub fn region_labels(&self, region: &IndexBox) -> Result<LabelMap> {
        let (values, geometry) = self.region_f64(region);
        if let Some(&bad) = values
            .iter()
            .find(|v| !v.is_finite() || v.fract() != 0.0 || v.abs() > 9.0e15)
        {
            return Err(Error::NonIntegerLabel {
                path: self.path.clone(),
                value: bad,
            });
        }
        #[allow(clippy::cast_possible_truncation)]
        let labels = values.mapv(|v| v as i64);
        Ok(LabelMap::new(labels, geometry))
    }

    fn clamp(&self, region: &IndexBox) -> IndexBox {
        let [nx, ny, nz] = self.size_xyz;
        let limits = [nz, ny, nx];
        std::array::from_fn(|axis| {
            let hi = region[axis][1].min(limits[axis].saturating_sub(1));
            [region[axis][0].min(hi), hi]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole-volume path's values: ndarray's sum and the `f64::min`/`f64::max` folds.
    fn reference(values: &[f64]) -> (f64, f64, f64) {
        let sum = ndarray::Array1::from(values.to_vec()).sum();
        let (lo, hi) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        (sum, lo, hi)
    }

    fn bits((sum, lo, hi): (f64, f64, f64)) -> [u64; 3] {
        [sum.to_bits(), lo.to_bits(), hi.to_bits()]
    }

    #[test]
    fn float_lanes_give_the_bits_of_the_whole_volume_path() {
        let patterns: Vec<Vec<f32>> = vec![
            (0..1003).map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.37).collect(),
            vec![0.0, -0.0, 1.0, 2.0, -0.0, 3.0, 0.0, 4.0, 5.0, 0.0, -0.0],
            vec![-0.0, -1.0, -2.0, 0.0, -3.0, -0.0, -4.0, -5.0, -6.0],
            vec![
                f32::NAN,
                1.0,
                f32::NAN,
                -7.5,
                2.0,
                0.0,
                9.0,
                f32::NAN,
                1e30,
                -1e30,
            ],
            vec![f32::NAN; 13],
            vec![-0.0; 16],
            vec![2.5],
            vec![],
        ];
        for values in patterns {
            let body32: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            let wide: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
            let body64: Vec<u8> = wide.iter().flat_map(|v| v.to_le_bytes()).collect();
            let expected = bits(reference(&wide));
            assert_eq!(
                bits(sum_min_max_lanes::<f32>(&body32, None)),
                expected,
                "{values:?}"
            );
            assert_eq!(
                bits(sum_min_max_lanes::<f64>(&body64, None)),
                expected,
                "{values:?}"
            );
        }
    }

    #[test]
    fn integer_label_scans_agree_with_the_f64_scan() {
        // The same values stored as u8, i16 and u32 (integer comparisons) and as f32 (the f64 path).
        let size = [7_usize, 5, 4];
        let n = size.iter().product::<usize>();
        let mut rng = mmrad_core::SeededRng::new(11);
        for sparse in [false, true] {
            let values: Vec<u8> = (0..n)
                .map(|i| {
                    let r = rng.next_u64();
                    if sparse && (i / size[0]) % 3 != 1 {
                        0
                    } else {
                        (r % 4) as u8
                    }
                })
                .collect();
            let words = |scalar: ScalarType, bytes: Vec<u8>| {
                VolumeWords::new(
                    Path::new("x"),
                    size,
                    Geometry::identity(),
                    scalar,
                    (Buffer::Heap(bytes), 0),
                    None,
                )
            };
            let as_u8 = words(ScalarType::U8, values.clone());
            let as_i16 = words(
                ScalarType::I16,
                values.iter().flat_map(|&v| i16::from(v).to_le_bytes()).collect(),
            );
            let as_u32 = words(
                ScalarType::U32,
                values.iter().flat_map(|&v| u32::from(v).to_le_bytes()).collect(),
            );
            let as_f32 = words(
                ScalarType::F32,
                values.iter().flat_map(|&v| f32::from(v).to_le_bytes()).collect(),
            );
            for label in [1, 2, 3, 4, 1 << 40] {
                let expected = as_f32.label_extent(label);
                assert_eq!(as_u8.label_extent(label), expected, "u8, label {label}");
                assert_eq!(as_i16.label_extent(label), expected, "i16, label {label}");
                assert_eq!(as_u32.label_extent(label), expected, "u32, label {label}");
            }
        }
    }

    #[test]
    fn int16_sums_are_exact_across_blocks() {
        let values: Vec<i16> = (0..100_000_i32)
            .map(|i| {
                if i % 3 == 0 {
                    i16::MIN
                } else {
                    i16::MAX - (i % 7) as i16
                }
            })
            .collect();
        let body: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let exact: i64 = values.iter().map(|&v| i64::from(v)).sum();
        let wide: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
        let (sum, lo, hi) = sum_min_max_i16(&body);
        assert_eq!(sum, exact as f64);
        assert_eq!(bits((sum, lo, hi)), bits(reference(&wide)));
    }
}
