//! NIfTI-1 reader (`.nii`, `.nii.gz`) through the `nifti` crate, with geometry converted to LPS as ITK does.
//!
//! The NIfTI affine maps voxel indices to RAS; ITK (and so PyRadiomics/SimpleITK) negates its first two rows to
//! obtain LPS. Transform choice, following ITK ≥ 5.2 (`itkNiftiImageIO.cxx`, ITK PR #1868): the sform when
//! `sform_code` is `NIFTI_XFORM_SCANNER_ANAT` (1) and its rotation is orthonormal (within 1e-4); otherwise the
//! qform when `qform_code > 0`; otherwise the sform when `sform_code > 0`; otherwise `pixdim` spacing with an
//! identity RAS direction (diag(−1, −1, 1) in LPS) and zero origin. Intensities are rescaled by
//! `scl_slope`/`scl_inter`.

use std::path::Path;

use ::nifti::{IntoNdArray, NiftiHeader, NiftiObject, ReaderOptions};
use mmrad_core::Geometry;

use crate::{Error, RawImage, Result, Samples};

/// Reads a NIfTI-1 file into a [`RawImage`] (samples in x-fastest order).
///
/// # Errors
/// Unreadable or malformed files, more than one volume along t, and degenerate transforms; each names the path.
pub fn read_nifti(path: &Path) -> Result<RawImage> {
    let nifti_error = |message: String| Error::Nifti {
        path: path.to_path_buf(),
        message,
    };
    if !path.is_file() {
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let object = ReaderOptions::new()
        .read_file(path)
        .map_err(|e| nifti_error(e.to_string()))?;
    let header = object.header().clone();
    let dims = header.dim().map_err(|e| nifti_error(e.to_string()))?.to_vec();
    if dims.len() > 3 && dims[3..].iter().any(|&d| d != 1) {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            what: "NIfTI dimensions",
            value: format!("{dims:?}"),
        });
    }
    let mut size_xyz = [1_usize; 3];
    for (axis, &d) in dims.iter().enumerate().take(3) {
        size_xyz[axis] = usize::from(d);
    }
    let array = object
        .into_volume()
        .into_ndarray::<f64>()
        .map_err(|e| nifti_error(e.to_string()))?;
    let n_voxels: usize = size_xyz.iter().product();
    if array.len() != n_voxels {
        return Err(Error::Truncated {
            path: path.to_path_buf(),
            expected: n_voxels,
            found: array.len(),
        });
    }
    // The array is indexed [x, y, z, ...] in Fortran order; iterate it with x fastest.
    let mut values = Vec::with_capacity(n_voxels);
    let reversed = array.reversed_axes();
    values.extend(reversed.iter().copied());
    let geometry = geometry_of(path, &header)?;
    Ok(RawImage {
        path: path.to_path_buf(),
        size_xyz,
        samples: Samples::Float(values),
        geometry,
    })
}

/// The LPS geometry of a NIfTI header (see the module doc for the qform/sform rule).
///
/// # Errors
/// A transform with a zero-length axis.
pub fn geometry_of(path: &Path, header: &NiftiHeader) -> Result<Geometry> {
    let pixdim = |k: usize| f64::from(header.pixdim.get(k).copied().unwrap_or(1.0)).abs();
    let mut spacing = [pixdim(1), pixdim(2), pixdim(3)];
    for s in &mut spacing {
        if *s == 0.0 || !s.is_finite() {
            *s = 1.0;
        }
    }
    let sform = sform_of(header);
    let scanner_sform = header.sform_code == 1 && sform.as_ref().is_some_and(|(_, d, _)| is_orthonormal(d));
    let (direction_ras, origin_ras) = if scanner_sform && let Some((sform_spacing, direction, origin)) = sform
    {
        spacing = sform_spacing;
        (direction, origin)
    } else if header.qform_code > 0 {
        let b = f64::from(header.quatern_b);
        let c = f64::from(header.quatern_c);
        let d = f64::from(header.quatern_d);
        let a2 = 1.0 - (b * b + c * c + d * d);
        let (a, b, c, d) = if a2 < 1.0e-7 {
            let norm = (b * b + c * c + d * d).sqrt();
            (0.0, b / norm, c / norm, d / norm)
        } else {
            (a2.sqrt(), b, c, d)
        };
        let qfac = if header.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let r = [
            [
                a * a + b * b - c * c - d * d,
                2.0 * (b * c - a * d),
                2.0 * (b * d + a * c),
            ],
            [
                2.0 * (b * c + a * d),
                a * a + c * c - b * b - d * d,
                2.0 * (c * d - a * b),
            ],
            [
                2.0 * (b * d - a * c),
                2.0 * (c * d + a * b),
                a * a + d * d - c * c - b * b,
            ],
        ];
        let mut direction = [0.0; 9];
        for row in 0..3 {
            direction[row * 3] = r[row][0];
            direction[row * 3 + 1] = r[row][1];
            direction[row * 3 + 2] = r[row][2] * qfac;
        }
        let origin = [
            f64::from(header.quatern_x),
            f64::from(header.quatern_y),
            f64::from(header.quatern_z),
        ];
        (direction, origin)
    } else if header.sform_code > 0 {
        let rows = [header.srow_x, header.srow_y, header.srow_z];
        let mut direction = [0.0; 9];
        for axis in 0..3 {
            let column: Vec<f64> = rows.iter().map(|row| f64::from(row[axis])).collect();
            let norm = column.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm == 0.0 || !norm.is_finite() {
                return Err(Error::Nifti {
                    path: path.to_path_buf(),
                    message: format!("sform axis {axis} has length 0"),
                });
            }
            spacing[axis] = norm;
            for row in 0..3 {
                direction[row * 3 + axis] = column[row] / norm;
            }
        }
        let origin = [
            f64::from(rows[0][3]),
            f64::from(rows[1][3]),
            f64::from(rows[2][3]),
        ];
        (direction, origin)
    } else {
        (Geometry::identity().direction, [0.0; 3])
    };
    let mut direction = direction_ras;
    for k in 0..6 {
        direction[k] = -direction[k];
    }
    let origin = [-origin_ras[0], -origin_ras[1], origin_ras[2]];
    Ok(Geometry {
        spacing,
        origin,
        direction,
        // ITK keeps a NIfTI with `dim[0] == 2` two-dimensional.
        ndim: if header.dim[0] == 2 { 2 } else { 3 },
    })
}

/// Spacing (column norms), normalised direction and origin of the sform; `None` for a zero-length axis.
fn sform_of(header: &NiftiHeader) -> Option<([f64; 3], [f64; 9], [f64; 3])> {
    let rows = [header.srow_x, header.srow_y, header.srow_z];
    let mut direction = [0.0; 9];
    let mut spacing = [0.0; 3];
    for axis in 0..3 {
        let column: Vec<f64> = rows.iter().map(|row| f64::from(row[axis])).collect();
        let norm = column.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return None;
        }
        spacing[axis] = norm;
        for row in 0..3 {
            direction[row * 3 + axis] = column[row] / norm;
        }
    }
    let origin = [
        f64::from(rows[0][3]),
        f64::from(rows[1][3]),
        f64::from(rows[2][3]),
    ];
    Some((spacing, direction, origin))
}

/// True when the row-major 3×3 matrix has orthonormal columns within 1e-4.
fn is_orthonormal(d: &[f64; 9]) -> bool {
    (0..3).all(|a| {
        (0..3).all(|b| {
            let dot: f64 = (0..3).map(|r| d[r * 3 + a] * d[r * 3 + b]).sum();
            let target = if a == b { 1.0 } else { 0.0 };
            (dot - target).abs() <= 1.0e-4
        })
    })
}
