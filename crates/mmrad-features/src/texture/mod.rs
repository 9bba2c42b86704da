//! Texture feature classes (GLCM, GLRLM, GLSZM, GLDM, NGTDM) computed from a `Discretised` ROI.
//!
//! Modules, in reading order:
//! - [`glcm`]: grey level co-occurrence matrix, 24 features (per-angle values averaged, or one weighted matrix).
//! - [`glrlm`]: grey level run length matrix, 16 features.
//! - [`glszm`]: grey level size zone matrix (26-connected in 3D, 8-connected with `force2D`), 16 features.
//! - [`gldm`]: grey level dependence matrix (`gldm_a`), 14 features.
//! - [`ngtdm`]: neighbouring grey tone difference matrix, 5 features.
//!
//! Every class follows PyRadiomics 3.1 (`radiomics/<class>.py` and `radiomics/src/cmatrices.c`) exactly:
//! the same angles in the same order (`generate_angles`), empty grey levels and empty angles removed, the same
//! `eps = np.spacing(1)` in logarithms and denominators, and the same arbitrary values or NaN for undefined features.
//! Each class module exposes `features(&Discretised, &TextureSettings)` returning `(name, value)` pairs in the order
//! of PyRadiomics' `getFeatureNames` (alphabetical by method name), `matrix(...)` returning the processed matrix as
//! PyRadiomics holds it (`P_glcm`, ...), and the constants `FEATURE_NAMES` (enabled by default) and
//! `DEPRECATED_NAMES` (accepted in a `featureClass` selection, but yielding no value, as PyRadiomics does).
//!
//! This module never reads files and never discretises: it reads the bin indices of a [`Discretised`] ROI.

pub mod glcm;
pub mod gldm;
pub mod glrlm;
pub mod glszm;
pub mod ngtdm;

mod eigen;
mod sums;

use crate::discretise::Discretised;

/// Errors of the texture feature classes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TextureError {
    #[error("grey and mask arrays differ in shape: grey {grey:?}, mask {mask:?}")]
    ShapeMismatch { grey: Vec<usize>, mask: Vec<usize> },
    #[error("the ROI is empty: no voxel is set in the mask")]
    EmptyRoi,
    #[error("voxel [{z}, {y}, {x}] is inside the ROI but has grey level 0; bin indices start at 1")]
    ZeroGreyInRoi { z: usize, y: usize, x: usize },
    #[error("invalid distance `{0}`; distances must be integers >= 1")]
    InvalidDistance(usize),
    #[error("`distances` is empty; give at least one distance >= 1")]
    NoDistances,
    #[error("invalid `force2Ddimension` `{0}`; expected 0, 1 or 2")]
    InvalidForce2dDimension(usize),
    #[error("invalid `gldm_a` `{0}`; expected a finite value >= 0")]
    InvalidGldmAlpha(f64),
    #[error("unknown weighting norm `{0}`; valid: `manhattan`, `euclidean`, `infinity`, `no_weighting`")]
    UnknownWeightingNorm(String),
    #[error("unknown {class} feature `{name}`; valid: {valid}")]
    UnknownFeature {
        class: &'static str,
        name: String,
        valid: String,
    },
    #[error("eigenvalue iteration did not converge for a {0}x{0} matrix")]
    EigenNoConvergence(usize),
}

/// Result type of the texture classes.
pub type Result<T, E = TextureError> = std::result::Result<T, E>;

/// Distance weighting of per-angle matrices (PyRadiomics `weightingNorm`).
///
/// When set, the per-angle GLCMs (GLRLMs) are weighted and summed into one matrix before features are computed;
/// when `None` (the default), features are computed per angle and averaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightingNorm {
    /// First-order norm of the angle offset in mm.
    Manhattan,
    /// Second-order norm of the angle offset in mm.
    Euclidean,
    /// Infinity norm of the angle offset in mm.
    Infinity,
    /// Weight 1 for every angle: matrices are summed (`no_weighting`).
    NoWeighting,
}

impl WeightingNorm {
    /// Parses PyRadiomics' setting value (`manhattan`, `euclidean`, `infinity`, `no_weighting`).
    ///
    /// # Errors
    /// [`TextureError::UnknownWeightingNorm`] for any other value (PyRadiomics logs a warning and uses
    /// `no_weighting`; mmrad asks the user to say so).
    pub fn parse(value: &str) -> Result<Self> {
        match value {
            "manhattan" => Ok(Self::Manhattan),
            "euclidean" => Ok(Self::Euclidean),
            "infinity" => Ok(Self::Infinity),
            "no_weighting" => Ok(Self::NoWeighting),
            other => Err(TextureError::UnknownWeightingNorm(other.to_owned())),
        }
    }
}

/// Settings shared by the texture classes, with PyRadiomics 3.1 names and defaults.
///
/// | Name | PyRadiomics | Default | Purpose |
/// |---|---|---|---|
/// | `distances` | `distances` | `[1]` | infinity-norm neighbour distances (GLCM, GLDM, NGTDM) |
/// | `symmetrical_glcm` | `symmetricalGLCM` | `true` | count each pair in both directions |
/// | `weighting_norm` | `weightingNorm` | `None` | merge angles with distance weights (GLCM, GLRLM) |
/// | `gldm_a` | `gldm_a` | `0` | dependence cut-off α: neighbours with `|i - j| <= α` are dependent |
/// | `force2d` | `force2D` | `false` | only in-plane neighbours |
/// | `force2d_dimension` | `force2Ddimension` | `0` | out-of-plane axis in (z, y, x) order: 0 = z |
///
/// # Errors
/// [`TextureSettings::check`] (called by every class) rejects distances < 1, no distance, a `force2d_dimension`
/// above 2 and a negative or non-finite `gldm_a`.
///
/// # Examples
/// ```
/// use mmrad_features::discretise::Discretised;
/// use mmrad_features::texture::{TextureSettings, glcm, ngtdm};
/// use ndarray::Array3;
///
/// // A 3x3 checkerboard of bins 1 and 2 in one slice.
/// let grey = Array3::from_shape_fn((1, 3, 3), |(_, y, x)| 1 + ((x + y) % 2) as u32);
/// let d = Discretised { mask: grey.mapv(|g| g > 0), grey, n_levels: 2, spacing: [1.0; 3] };
/// let settings = TextureSettings { force2d: true, ..TextureSettings::default() };
/// let features = glcm::features(&d, &settings)?;
/// assert_eq!(features.len(), 24);
/// assert_eq!(features[0].0, "Autocorrelation");
/// assert_eq!(ngtdm::features(&d, &settings)?.len(), 5);
/// # Ok::<(), mmrad_features::texture::TextureError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TextureSettings {
    pub distances: Vec<usize>,
    pub symmetrical_glcm: bool,
    pub weighting_norm: Option<WeightingNorm>,
    pub gldm_a: f64,
    pub force2d: bool,
    pub force2d_dimension: usize,
}

impl Default for TextureSettings {
    fn default() -> Self {
        Self {
            distances: vec![1],
            symmetrical_glcm: true,
            weighting_norm: None,
            gldm_a: 0.0,
            force2d: false,
            force2d_dimension: 0,
        }
    }
}

impl TextureSettings {
    /// Validates the settings: distances >= 1 (duplicates are ignored), `force2d_dimension` in 0..=2, `gldm_a` >= 0.
    ///
    /// # Errors
    /// The first invalid value, named.
    pub fn check(&self) -> Result<()> {
        if self.distances.is_empty() {
            return Err(TextureError::NoDistances);
        }
        if let Some(&bad) = self.distances.iter().find(|&&d| d < 1) {
            return Err(TextureError::InvalidDistance(bad));
        }
        if self.force2d_dimension > 2 {
            return Err(TextureError::InvalidForce2dDimension(self.force2d_dimension));
        }
        if !self.gldm_a.is_finite() || self.gldm_a < 0.0 {
            return Err(TextureError::InvalidGldmAlpha(self.gldm_a));
        }
        Ok(())
    }

    /// The out-of-plane dimension (z, y, x order) when `force2d` is set.
    fn force2d_dim(&self) -> Option<usize> {
        self.force2d.then_some(self.force2d_dimension)
    }

    /// Sorted, de-duplicated distances.
    fn unique_distances(&self) -> Vec<usize> {
        let mut distances = self.distances.clone();
        distances.sort_unstable();
        distances.dedup();
        distances
    }
}

/// Picks the requested features of one class from its full output, as a PyRadiomics `featureClass` list does.
///
/// Names are matched exactly; a deprecated name is accepted and yields no value (PyRadiomics logs a deprecation
/// warning and skips it). The output keeps the order of `all`.
///
/// # Errors
/// [`TextureError::UnknownFeature`] naming the first unknown name and listing the valid ones.
pub fn select(
    class: &'static str,
    all: Vec<(&'static str, f64)>,
    deprecated: &[&str],
    wanted: &[&str],
) -> Result<Vec<(&'static str, f64)>> {
    for name in wanted {
        let known = all.iter().any(|(n, _)| n == name) || deprecated.contains(name);
        if !known {
            let valid: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
            return Err(TextureError::UnknownFeature {
                class,
                name: (*name).to_owned(),
                valid: valid.join(", "),
            });
        }
    }
    Ok(all.into_iter().filter(|(n, _)| wanted.contains(n)).collect())
}

/// `np.spacing(1)`: the epsilon PyRadiomics adds inside logarithms and denominators.
pub(crate) const EPS: f64 = f64::EPSILON;

/// The angles PyRadiomics' `generate_angles` builds, in the same order.
///
/// `size` is the (z, y, x) extent of the array; an offset is valid when its magnitude is below the extent.
/// Offsets run from `+max_distance` down to `-max_distance` in z, then y, then x; an angle is kept when its
/// infinity norm is one of `distances` and it does not move along `force2d_dim`. Unidirectional angles are the
/// first half of that list (the ones whose first non-zero offset is positive).
pub(crate) fn generate_angles(
    size: [usize; 3],
    distances: &[usize],
    force2d_dim: Option<usize>,
    bidirectional: bool,
) -> Vec<[i64; 3]> {
    let Some(&max_distance) = distances.iter().max() else {
        return Vec::new();
    };
    let max_distance = max_distance as i64;
    // Offsets of magnitude >= the extent are invalid: enumerate only the valid ones, in PyRadiomics' order
    // (from +max down to -max in each dimension), so large distances cost nothing on small ROIs.
    let reach = |dim: usize| -> i64 {
        let limit = if force2d_dim == Some(dim) {
            0
        } else {
            size[dim].saturating_sub(1) as i64
        };
        max_distance.min(limit)
    };
    let (rz, ry, rx) = (reach(0), reach(1), reach(2));
    let mut angles = Vec::new();
    for z in (-rz..=rz).rev() {
        for y in (-ry..=ry).rev() {
            for x in (-rx..=rx).rev() {
                let offset = [z, y, x];
                let norm = offset.iter().map(|o| o.unsigned_abs()).max().unwrap_or(0) as usize;
                if norm > 0 && distances.contains(&norm) {
                    angles.push(offset);
                }
            }
        }
    }
    if !bidirectional {
        angles.truncate(angles.len() / 2);
    }
    angles
}

/// The ROI in a zero-padded flat array with compact grey indices, shared by every matrix builder.
pub(crate) struct Prepared {
    /// Compact grey index (1..=`levels.len()`) inside the ROI, 0 outside and in the padding.
    pub grey: Vec<u32>,
    /// Padded extent (z, y, x).
    pub dims: [usize; 3],
    /// Unpadded extent (z, y, x).
    pub size: [usize; 3],
    /// Padding on every side.
    pub pad: usize,
    /// The grey values present in the ROI, ascending: compact index `k` has value `levels[k - 1]`.
    pub levels: Vec<u32>,
    /// Flat padded indices of the ROI voxels in (z, y, x) order.
    pub voxels: Vec<usize>,
}

impl Prepared {
    /// The padding [`Prepared::new`] uses for a requested `pad`.
    fn clamped_pad(d: &Discretised, pad: usize) -> usize {
        let (nz, ny, nx) = d.grey.dim();
        pad.min(nz.max(ny).max(nx).saturating_sub(1)).max(1)
    }

    /// `shared` when it was built from `d` with the padding `pad` asks for (the texture classes of one image share
    /// it), else a new one in `owned`.
    ///
    /// # Errors
    /// As [`Prepared::new`].
    pub fn shared_or_new<'a>(
        shared: Option<&'a Prepared>,
        d: &Discretised,
        pad: usize,
        owned: &'a mut Option<Prepared>,
    ) -> Result<&'a Prepared> {
        match shared {
            Some(prep) if prep.pad == Self::clamped_pad(d, pad) => Ok(prep),
            _ => Ok(owned.insert(Self::new(d, pad)?)),
        }
    }

    /// The padding every texture class of `s` needs: its largest distance (GLSZM and GLRLM use 1, which the default
    /// distances give too).
    pub fn pad_for(s: &TextureSettings) -> usize {
        s.unique_distances().last().copied().unwrap_or(1)
    }

    /// Validates `d` and builds the padded, compacted copy.
    ///
    /// `pad` is clamped to `1..=max extent - 1`: no valid angle offset reaches further.
    pub fn new(d: &Discretised, pad: usize) -> Result<Self> {
        if d.grey.shape() != d.mask.shape() {
            return Err(TextureError::ShapeMismatch {
                grey: d.grey.shape().to_vec(),
                mask: d.mask.shape().to_vec(),
            });
        }
        let (nz, ny, nx) = d.grey.dim();
        let pad = Self::clamped_pad(d, pad);
        // Flat (z, y, x) views; copies only for non-standard layouts.
        let grey_copy: Vec<u32>;
        let grey_flat: &[u32] = match d.grey.as_slice() {
            Some(slice) => slice,
            None => {
                grey_copy = d.grey.iter().copied().collect();
                &grey_copy
            }
        };
        let mask_copy: Vec<bool>;
        let mask_flat: &[bool] = match d.mask.as_slice() {
            Some(slice) => slice,
            None => {
                mask_copy = d.mask.iter().copied().collect();
                &mask_copy
            }
        };
        // First pass: grey range inside the ROI; a zero bin index inside the ROI is an error.
        let mut max_grey = 0u32;
        let mut n_voxels = 0usize;
        for (flat, (&g, &inside)) in grey_flat.iter().zip(mask_flat).enumerate() {
            if inside {
                if g == 0 {
                    let (z, y, x) = (flat / (ny * nx), (flat / nx) % ny, flat % nx);
                    return Err(TextureError::ZeroGreyInRoi { z, y, x });
                }
                max_grey = max_grey.max(g);
                n_voxels += 1;
            }
        }
        if n_voxels == 0 {
            return Err(TextureError::EmptyRoi);
        }
        // Grey levels present: a presence table for moderate ranges, sort + dedup otherwise.
        let lookup_limit = (n_voxels as u64 * 64).max(1 << 16);
        let (levels, lookup) = if u64::from(max_grey) <= lookup_limit {
            let mut table = vec![0u32; max_grey as usize + 1];
            for (&g, &inside) in grey_flat.iter().zip(mask_flat) {
                if inside {
                    table[g as usize] = 1;
                }
            }
            let mut levels = Vec::new();
            for (g, slot) in table.iter_mut().enumerate() {
                if *slot != 0 {
                    levels.push(g as u32);
                    *slot = levels.len() as u32;
                }
            }
            (levels, Some(table))
        } else {
            let mut levels: Vec<u32> = grey_flat
                .iter()
                .zip(mask_flat)
                .filter(|(_, inside)| **inside)
                .map(|(&g, _)| g)
                .collect();
            levels.sort_unstable();
            levels.dedup();
            (levels, None)
        };
        let dims = [nz + 2 * pad, ny + 2 * pad, nx + 2 * pad];
        let mut grey = vec![0u32; dims[0] * dims[1] * dims[2]];
        let mut voxels = Vec::with_capacity(n_voxels);
        for z in 0..nz {
            for y in 0..ny {
                let source = (z * ny + y) * nx;
                let target = ((z + pad) * dims[1] + (y + pad)) * dims[2] + pad;
                let grey_row = &grey_flat[source..source + nx];
                let mask_row = &mask_flat[source..source + nx];
                for (x, (&g, &inside)) in grey_row.iter().zip(mask_row).enumerate() {
                    if !inside {
                        continue;
                    }
                    let k = match &lookup {
                        Some(table) => table[g as usize],
                        None => levels.binary_search(&g).map(|i| i as u32 + 1).unwrap_or(0),
                    };
                    grey[target + x] = k;
                    voxels.push(target + x);
                }
            }
        }
        Ok(Self {
            grey,
            dims,
            size: [nz, ny, nx],
            pad,
            levels,
            voxels,
        })
    }

    /// Number of grey levels present in the ROI.
    pub fn n_levels(&self) -> usize {
        self.levels.len()
    }

    /// Flat index offset of a (z, y, x) angle.
    pub fn offset(&self, angle: [i64; 3]) -> isize {
        (angle[0] as isize * self.dims[1] as isize + angle[1] as isize) * self.dims[2] as isize
            + angle[2] as isize
    }

    /// The padded volume with grey values (bin indices) instead of compact indices; 0 outside the ROI.
    pub fn value_volume(&self) -> Vec<u32> {
        self.grey
            .iter()
            .map(|&k| if k == 0 { 0 } else { self.levels[k as usize - 1] })
            .collect()
    }

    /// Grey values as f64, ascending.
    pub fn level_values(&self) -> Vec<f64> {
        self.levels.iter().map(|&g| f64::from(g)).collect()
    }
}

/// `np.nanmean` over angles: the mean of the non-NaN values, NaN when there are none.
pub(crate) fn nanmean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, count) = values
        .into_iter()
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    if count == 0 { f64::NAN } else { sum / count as f64 }
}

/// Spacing in (z, y, x) order, as PyRadiomics' `GetSpacing()[::-1]`.
pub(crate) fn spacing_zyx(d: &Discretised) -> [f64; 3] {
    [d.spacing[2], d.spacing[1], d.spacing[0]]
}

/// A 5 × 5 example image of the PyRadiomics documentation (grey levels 1..=5) as a one-slice, fully masked volume.
#[cfg(test)]
pub(crate) fn doc_example(rows: [[u32; 5]; 5]) -> Discretised {
    let grey = ndarray::Array3::from_shape_fn((1, 5, 5), |(_, y, x)| rows[y][x]);
    let mask = ndarray::Array3::from_elem(grey.dim(), true);
    Discretised {
        grey,
        mask,
        n_levels: 5,
        spacing: [1.0, 1.0, 1.0],
    }
}

/// The image of PyRadiomics' GLRLM, GLSZM and GLDM documentation examples.
#[cfg(test)]
pub(crate) const DOC_IMAGE: [[u32; 5]; 5] = [
    [5, 2, 5, 4, 4],
    [3, 3, 3, 1, 3],
    [2, 1, 1, 1, 3],
    [4, 2, 2, 2, 3],
    [3, 5, 3, 3, 2],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_3d_match_pyradiomics_order() {
        let angles = generate_angles([5, 5, 5], &[1], None, false);
        let expected: Vec<[i64; 3]> = vec![
            [1, 1, 1],
            [1, 1, 0],
            [1, 1, -1],
            [1, 0, 1],
            [1, 0, 0],
            [1, 0, -1],
            [1, -1, 1],
            [1, -1, 0],
            [1, -1, -1],
            [0, 1, 1],
            [0, 1, 0],
            [0, 1, -1],
            [0, 0, 1],
        ];
        assert_eq!(angles, expected);
        assert_eq!(generate_angles([5, 5, 5], &[1], None, true).len(), 26);
    }

    #[test]
    fn angles_2d_and_limits() {
        let angles = generate_angles([5, 5, 5], &[1], Some(0), false);
        assert_eq!(angles, vec![[0, 1, 1], [0, 1, 0], [0, 1, -1], [0, 0, 1]]);
        // A single slice yields only in-plane angles without force2D.
        assert_eq!(generate_angles([1, 5, 5], &[1], None, false).len(), 4);
        // Distance 2: (2d+1)^3 - (2d-1)^3 = 98 bidirectional, 49 unidirectional.
        assert_eq!(generate_angles([9, 9, 9], &[2], None, false).len(), 49);
        assert_eq!(generate_angles([9, 9, 9], &[1, 2], None, false).len(), 62);
        assert!(generate_angles([1, 1, 1], &[1], None, false).is_empty());
        // A distance beyond the extent yields no angle and costs nothing.
        assert!(generate_angles([3, 3, 3], &[1_000_000], None, false).is_empty());
        // Size limits keep the order: in a 2-voxel-thick slab only z offsets of 0 and ±1 exist.
        let limited = generate_angles([2, 9, 9], &[2], None, false);
        let full: Vec<[i64; 3]> = generate_angles([9, 9, 9], &[2], None, false)
            .into_iter()
            .filter(|a| a[0].abs() < 2)
            .collect();
        assert_eq!(limited, full);
    }

    #[test]
    fn settings_check_names_bad_values() {
        let mut s = TextureSettings {
            distances: vec![0],
            ..TextureSettings::default()
        };
        assert_eq!(s.check(), Err(TextureError::InvalidDistance(0)));
        s.distances = vec![];
        assert_eq!(s.check(), Err(TextureError::NoDistances));
        s.distances = vec![1];
        s.force2d_dimension = 3;
        assert_eq!(s.check(), Err(TextureError::InvalidForce2dDimension(3)));
        assert!(WeightingNorm::parse("chebyshev").is_err());
        assert_eq!(WeightingNorm::parse("infinity"), Ok(WeightingNorm::Infinity));
    }

    #[test]
    fn bad_inputs_are_errors() {
        use ndarray::Array3;
        let s = TextureSettings::default();
        let grey = Array3::from_elem((1, 2, 2), 1u32);
        let empty = Discretised {
            grey: grey.clone(),
            mask: Array3::from_elem((1, 2, 2), false),
            n_levels: 1,
            spacing: [1.0; 3],
        };
        assert_eq!(glcm::features(&empty, &s), Err(TextureError::EmptyRoi));
        assert_eq!(ngtdm::features(&empty, &s), Err(TextureError::EmptyRoi));
        let mismatch = Discretised {
            grey: grey.clone(),
            mask: Array3::from_elem((1, 2, 3), true),
            n_levels: 1,
            spacing: [1.0; 3],
        };
        assert!(matches!(
            glrlm::features(&mismatch, &s),
            Err(TextureError::ShapeMismatch { .. })
        ));
        let mut zero = Discretised {
            grey,
            mask: Array3::from_elem((1, 2, 2), true),
            n_levels: 1,
            spacing: [1.0; 3],
        };
        zero.grey[[0, 1, 0]] = 0;
        assert_eq!(
            glszm::features(&zero, &s),
            Err(TextureError::ZeroGreyInRoi { z: 0, y: 1, x: 0 })
        );
        let bad = TextureSettings {
            distances: vec![0],
            ..TextureSettings::default()
        };
        zero.grey[[0, 1, 0]] = 1;
        assert_eq!(gldm::features(&zero, &bad), Err(TextureError::InvalidDistance(0)));
    }

    #[test]
    fn single_voxel_roi_is_nan_not_panic() {
        use ndarray::Array3;
        let mut mask = Array3::from_elem((3, 3, 3), false);
        mask[[1, 1, 1]] = true;
        let d = Discretised {
            grey: Array3::from_elem((3, 3, 3), 2u32),
            mask,
            n_levels: 2,
            spacing: [1.0; 3],
        };
        let s = TextureSettings::default();
        // No co-occurring pair and no multi-voxel line: every angle is empty, so PyRadiomics' nanmean gives NaN
        // (MCC is 1 for a single grey level).
        let f = glcm::features(&d, &s).unwrap();
        assert!(
            f.iter()
                .all(|(n, v)| if *n == "MCC" { *v == 1.0 } else { v.is_nan() }),
            "{f:?}"
        );
        assert!(glrlm::features(&d, &s).unwrap().iter().all(|(_, v)| v.is_nan()));
        // One zone of size 1: ZonePercentage 1.
        assert_eq!(glszm::features(&d, &s).unwrap()[14], ("ZonePercentage", 1.0));
        // The voxel has no neighbour: s_i = 0, Coarseness takes PyRadiomics' arbitrary 1e6.
        assert_eq!(ngtdm::features(&d, &s).unwrap()[1], ("Coarseness", 1e6));
    }

    #[test]
    fn select_picks_and_rejects() {
        let all = vec![("A", 1.0), ("B", 2.0)];
        assert_eq!(
            select("glcm", all.clone(), &["Old"], &["B", "Old"]),
            Ok(vec![("B", 2.0)])
        );
        assert!(matches!(
            select("glcm", all, &[], &["C"]),
            Err(TextureError::UnknownFeature { .. })
        ));
    }
}
