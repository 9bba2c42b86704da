//! PyRadiomics 3.1 image filters (`imageoperations.get<Type>Image`) as pure functions on volumes, and the IBSI-2
//! convolutional filters in [`ibsi2`] (a separate implementation: the PyRadiomics ones emulate ITK and PyWavelets).
//!
//! Every function takes the image PyRadiomics filters (the whole image, or the resampled or pre-cropped grid with its
//! `padDistance` margin) and returns the filtered voxels on the same grid; cropping to the ROI is the caller's job.
//!
//! | PyRadiomics | here | reference implementation ported |
//! |---|---|---|
//! | `Square`, `SquareRoot`, `Logarithm`, `Exponential` | [`square`], [`square_root`], [`logarithm`], [`exponential`] | PyRadiomics' numpy formulas (float64) |
//! | `Gradient` (`gradientUseSpacing`) | [`gradient_magnitude`] | ITK `GradientMagnitudeImageFilter` (float32 output) |
//! | `LoG` (`sigma`) | [`laplacian_of_gaussian`], [`log_sigma_applies`] | ITK `LaplacianRecursiveGaussianImageFilter`, `NormalizeAcrossScale` on (float32 internals) |
//! | `Wavelet` (`wavelet`, `level`, `start_level`) | [`wavelet_decompositions`] | PyRadiomics `_swt3` over PyWavelets `swtn` (periodization) |
//! | `LBP2D` (`lbp2DRadius`, `lbp2DSamples`, `lbp2DMethod`, `force2Ddimension`) | [`lbp_2d`] | scikit-image `local_binary_pattern` |
//! | `LBP3D` (`lbp3DLevels`, `lbp3DIcosphereRadius`, `lbp3DIcosphereSubdivision`) | [`lbp_3d`] | PyRadiomics `getLBP3DImage` over trimesh `icosphere`, scipy `map_coordinates`, `sph_harm`, `kurtosis` |
//!
//! Precision follows the reference: SimpleITK's LoG and gradient images are float32, so their values are rounded to
//! f32 where ITK stores them; the pointwise filters are computed in f64 as numpy does, and the wavelet in f64 or, for
//! a float32 image, in emulated float32 arithmetic with PyWavelets' float filter tables ([`Precision`]).

mod gradient;
pub mod ibsi2;
mod lbp;
mod log;
mod pointwise;
mod wavelet;
mod wavelet_coefficients;

pub use gradient::gradient_magnitude;
pub use lbp::{
    Lbp2dSettings, Lbp3dSettings, LbpMethod, PixelType, icosphere, lbp_2d, lbp_3d, local_binary_pattern,
};
pub use log::{laplacian_of_gaussian, log_sigma_applies};
pub use pointwise::{exponential, logarithm, square, square_root};
pub use wavelet::{
    Precision, WAVELET_NAMES, WaveletBand, wavelet_axes, wavelet_decompositions, wavelet_names,
};
