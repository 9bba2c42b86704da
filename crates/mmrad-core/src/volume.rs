//! `Volume` and `LabelMap`: voxel arrays with ITK-style physical geometry in LPS.
//!
//! Arrays are indexed `[z, y, x]` (as SimpleITK's `GetArrayFromImage`, and so PyRadiomics, index them), while
//! `Geometry` lists spacing and origin in `(x, y, z)` order and `direction` as the row-major 3×3 matrix whose
//! columns are the physical directions of the x, y and z index axes: `p = origin + direction · (spacing ⊙ index)`.
//! A 2D image is a volume with one slice (`z` extent 1) whose `Geometry::ndim` is 2, so that feature extraction can
//! follow PyRadiomics, which keeps a 2D file 2D (its numpy array is `(y, x)`).

use ndarray::Array3;

/// Physical placement of a voxel grid (LPS, millimetres).
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    /// Voxel size along the x, y, z index axes.
    pub spacing: [f64; 3],
    /// Physical position of voxel (0, 0, 0).
    pub origin: [f64; 3],
    /// Row-major direction cosine matrix; column k is the direction of index axis k.
    pub direction: [f64; 9],
    /// Dimensionality of the source image: 2 for a true 2D image (one slice, `z` extent 1), else 3. Readers set it
    /// from the file; derived grids (crops, resampling) inherit it.
    pub ndim: usize,
}

impl Geometry {
    /// Unit spacing, zero origin, identity direction.
    pub fn identity() -> Geometry {
        Geometry {
            spacing: [1.0; 3],
            origin: [0.0; 3],
            direction: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            ndim: 3,
        }
    }

    /// Geometry with the given spacing, zero origin and identity direction.
    pub fn with_spacing(spacing: [f64; 3]) -> Geometry {
        Geometry {
            spacing,
            ..Geometry::identity()
        }
    }

    /// Whether the source image was a true 2D image (`ndim == 2`).
    pub fn is_2d(&self) -> bool {
        self.ndim == 2
    }

    /// Physical point of a continuous index `(x, y, z)`.
    pub fn index_to_physical(&self, index: [f64; 3]) -> [f64; 3] {
        let scaled = [
            index[0] * self.spacing[0],
            index[1] * self.spacing[1],
            index[2] * self.spacing[2],
        ];
        let d = &self.direction;
        [
            self.origin[0] + d[0] * scaled[0] + d[1] * scaled[1] + d[2] * scaled[2],
            self.origin[1] + d[3] * scaled[0] + d[4] * scaled[1] + d[5] * scaled[2],
            self.origin[2] + d[6] * scaled[0] + d[7] * scaled[1] + d[8] * scaled[2],
        ]
    }
}

/// The pixel type an image file stores, as SimpleITK would read it (so as PyRadiomics sees it): resampling casts
/// back to it, and the filters that store results in the image's numpy type use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelType {
    UInt8,
    Int8,
    UInt16,
    Int16,
    UInt32,
    Int32,
    UInt64,
    Int64,
    Float32,
    Float64,
}

impl PixelType {
    /// The value range of an integer type (64-bit types clipped to what an f64 → i64 conversion holds); `None`
    /// for floating-point types.
    pub fn integer_range(self) -> Option<(i64, i64)> {
        match self {
            PixelType::UInt8 => Some((0, 255)),
            PixelType::Int8 => Some((-128, 127)),
            PixelType::UInt16 => Some((0, 65_535)),
            PixelType::Int16 => Some((-32_768, 32_767)),
            PixelType::UInt32 => Some((0, i64::from(u32::MAX))),
            PixelType::Int32 => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
            PixelType::UInt64 => Some((0, i64::MAX)),
            PixelType::Int64 => Some((i64::MIN, i64::MAX)),
            PixelType::Float32 | PixelType::Float64 => None,
        }
    }

    /// Whether the type stores integers.
    pub fn is_integer(self) -> bool {
        self.integer_range().is_some()
    }
}

/// An image: voxel intensities (f64, after any rescale) on a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// Intensities indexed `[z, y, x]`.
    pub data: Array3<f64>,
    pub geometry: Geometry,
    /// The pixel type of the file the image was read from; `None` when unknown (derived images, DICOM), where the
    /// operations that need it infer it from the values.
    pub pixel_type: Option<PixelType>,
}

impl Volume {
    /// A volume of unknown pixel type.
    pub fn new(data: Array3<f64>, geometry: Geometry) -> Volume {
        Volume {
            data,
            geometry,
            pixel_type: None,
        }
    }

    /// The same volume, recorded as stored in `pixel_type`.
    #[must_use]
    pub fn with_pixel_type(self, pixel_type: Option<PixelType>) -> Volume {
        Volume { pixel_type, ..self }
    }

    /// Size as `(x, y, z)`, ITK order.
    pub fn size_xyz(&self) -> [usize; 3] {
        let (nz, ny, nx) = self.data.dim();
        [nx, ny, nz]
    }
}

/// A segmentation: integer labels on a grid (0 = background).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelMap {
    /// Labels indexed `[z, y, x]`.
    pub data: Array3<i64>,
    pub geometry: Geometry,
}

impl LabelMap {
    pub fn new(data: Array3<i64>, geometry: Geometry) -> LabelMap {
        LabelMap { data, geometry }
    }

    /// Size as `(x, y, z)`, ITK order.
    pub fn size_xyz(&self) -> [usize; 3] {
        let (nz, ny, nx) = self.data.dim();
        [nx, ny, nz]
    }

    /// Distinct non-zero labels present, ascending.
    pub fn labels(&self) -> Vec<i64> {
        let mut labels: Vec<i64> = self.data.iter().copied().filter(|&l| l != 0).collect();
        labels.sort_unstable();
        labels.dedup();
        labels
    }
}
