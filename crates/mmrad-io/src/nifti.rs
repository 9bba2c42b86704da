//! NIfTI-1 reader (`.nii`, `.nii.gz`) through the `nifti` crate, with geometry converted to LPS as ITK does, and a
//! minimal writer ([`write_volume_nifti`], [`write_label_map_nifti`]: single file, qform and sform, gzip by extension).
//!
//! The NIfTI affine maps voxel indices to RAS; ITK (and so PyRadiomics/SimpleITK) negates its first two rows to
//! obtain LPS. Transform choice, following ITK ≥ 5.2 (`itkNiftiImageIO.cxx`, ITK PR #1868): the sform when
//! `sform_code` is `NIFTI_XFORM_SCANNER_ANAT` (1) and its rotation is orthonormal (within 1e-4); otherwise the
//! qform when `qform_code > 0`; otherwise the sform when `sform_code > 0`; otherwise `pixdim` spacing with an
//! identity RAS direction (diag(−1, −1, 1) in LPS) and zero origin. Intensities are rescaled by
//! `scl_slope`/`scl_inter`.

use std::io::{Read, Write};
use std::path::Path;

use ::nifti::{IntoNdArray, NiftiHeader, NiftiObject, ReaderOptions};
use mmrad_core::{Geometry, LabelMap, PixelType, Volume};

use crate::nrrd::ScalarType;
use crate::words::VolumeWords;
use crate::{Error, RawImage, Result, Samples};

/// Reads a NIfTI-1 file into a [`RawImage`] (samples in x-fastest order).
///
/// # Errors
/// Unreadable or malformed files, more than one volume along t, and degenerate transforms; each names the path.
pub fn read_nifti(path: &Path) -> Result<RawImage> {
    if !path.is_file() {
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    precheck(path)?;
    // The words reader (libdeflate, one conversion pass) gives the values, size and geometry the `nifti` crate gives
    // (tested bit for bit below) at a fraction of its cost; what it declines or fails on is read, and its errors
    // reported, by the crate.
    if let Ok(Some(words)) = read_nifti_words(path) {
        let image = RawImage {
            path: path.to_path_buf(),
            size_xyz: words.size_xyz(),
            samples: Samples::Float(words.values_f64()),
            geometry: words.geometry().clone(),
            pixel_type: Some(words.pixel_type()),
        };
        words.release();
        return Ok(image);
    }
    read_nifti_with_crate(path)
}

/// [`read_nifti`] through the `nifti` crate.
fn read_nifti_with_crate(path: &Path) -> Result<RawImage> {
    let nifti_error = |message: String| Error::Nifti {
        path: path.to_path_buf(),
        message,
    };
    // The `nifti` crate panics on some inconsistent headers the precheck does not model; such a panic is an error
    // naming the file, as for the DICOM decoders.
    let crate_panic = |_| nifti_error("the NIfTI reader failed on a corrupt header or data".into());
    let object = mmrad_core::contain::contain(|| ReaderOptions::new().read_file(path))
        .map_err(crate_panic)?
        .map_err(|e| nifti_error(describe(e)))?;
    let header = object.header().clone();
    let dims = header.dim().map_err(|e| nifti_error(describe(e)))?.to_vec();
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
    let array = mmrad_core::contain::contain(|| object.into_volume().into_ndarray::<f64>())
        .map_err(crate_panic)?
        .map_err(|e| nifti_error(describe(e)))?;
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
    let pixel_type =
        scalar_of(header.datatype).map(|s| itk_pixel_type(s, header.scl_slope, header.scl_inter));
    Ok(RawImage {
        path: path.to_path_buf(),
        size_xyz,
        samples: Samples::Float(values),
        geometry,
        pixel_type,
    })
}

/// The scalar type of a NIfTI-1 `datatype` code; `None` for complex, RGB and other non-scalar types.
fn scalar_of(datatype: i16) -> Option<ScalarType> {
    Some(match datatype {
        2 => ScalarType::U8,
        4 => ScalarType::I16,
        8 => ScalarType::I32,
        16 => ScalarType::F32,
        64 => ScalarType::F64,
        256 => ScalarType::I8,
        512 => ScalarType::U16,
        768 => ScalarType::U32,
        1024 => ScalarType::I64,
        1280 => ScalarType::U64,
        _ => return None,
    })
}

/// The pixel type SimpleITK gives a NIfTI file: the stored type, except that intensity scaling (`scl_slope` not 0
/// and not the identity) makes anything but float64 float32 (ITK's `NiftiImageIO`; checked with SimpleITK 2.5 on
/// uint8, int16 and float32 files scaled by 2 and 0.5, and by 1 with intercept −1024).
pub(crate) fn itk_pixel_type(scalar: ScalarType, slope: f32, inter: f32) -> PixelType {
    let scaled = slope != 0.0 && (slope != 1.0 || inter != 0.0);
    if scaled && scalar != ScalarType::F64 {
        PixelType::Float32
    } else {
        scalar.pixel_type()
    }
}

/// Reads a single-file NIfTI-1 (`.nii`, `.nii.gz`) into [`VolumeWords`] without converting the samples; `None` for
/// what [`read_nifti`] must read (big-endian data, types other than the integer and float scalars, more than three
/// dimensions, a header that does not parse or data shorter than declared: [`read_nifti`] reports those).
///
/// # Errors
/// The file cannot be read or decompressed; a degenerate transform.
pub fn read_nifti_words(path: &Path) -> Result<Option<VolumeWords>> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let Some(declared) = precheck(path)? else {
        return Ok(None);
    };
    let raw = crate::scratch::read_file(path).map_err(io_error)?;
    let mut data = if raw.starts_with(&[0x1f, 0x8b]) {
        // The gzip trailer's ISIZE is the decompressed size modulo 2^32: a capacity hint, not trusted further. The
        // header's declared size (checked against the limit) bounds what is inflated.
        let hint = crate::gzip::declared_size(&raw).unwrap_or(0).min(declared);
        let inflated = match crate::gzip::inflate_at_most(&raw, hint) {
            Some(out) => out,
            None => {
                let mut out = Vec::with_capacity(hint.min(1 << 31));
                flate2::read::MultiGzDecoder::new(&raw[..])
                    .take(declared as u64)
                    .read_to_end(&mut out)
                    .map_err(io_error)?;
                crate::scratch::Buffer::Heap(out)
            }
        };
        // Freed, not pooled, as NRRD files' bytes are (`nrrd::with_payload`).
        raw.release();
        inflated
    } else {
        raw
    };
    let Ok(header) = NiftiHeader::from_reader(&data[..]) else {
        return Ok(None);
    };
    if header.endianness != ::nifti::Endianness::Little || &header.magic != b"n+1\0" {
        return Ok(None);
    }
    let Ok(dims) = header.dim() else {
        return Ok(None);
    };
    if dims.len() > 3 && dims[3..].iter().any(|&d| d != 1) {
        return Ok(None);
    }
    let mut size_xyz = [1_usize; 3];
    for (axis, &d) in dims.iter().enumerate().take(3) {
        size_xyz[axis] = usize::from(d);
    }
    let Some(scalar) = scalar_of(header.datatype) else {
        return Ok(None);
    };
    let n_bytes = size_xyz.iter().product::<usize>() * scalar.size();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let offset = header.vox_offset.max(0.0) as usize;
    if offset < 348 || data.len() < offset + n_bytes {
        return Ok(None);
    }
    data.truncate(offset + n_bytes);
    // As the `nifti` crate converts: to f64, then `v · slope + inter` in f64 unless the slope is 0. For integer
    // words an identity scale changes nothing; for floats it turns -0 into +0, so it is kept.
    let (slope, inter) = (f64::from(header.scl_slope), f64::from(header.scl_inter));
    let scale = if slope == 0.0 || (!scalar.is_float() && slope == 1.0 && inter == 0.0) {
        None
    } else {
        Some((slope, inter))
    };
    let geometry = geometry_of(path, &header)?;
    Ok(Some(VolumeWords::new(
        path,
        size_xyz,
        geometry,
        scalar,
        (data, offset),
        scale,
    )))
}

/// The `nifti` crate's error as a sentence (its I/O errors print as `Io(Custom { .. })`).
fn describe(error: ::nifti::NiftiError) -> String {
    match error {
        ::nifti::NiftiError::Io(io) => {
            format!("{io}; the file is truncated or damaged: copy or export it again")
        }
        other => other.to_string(),
    }
}

/// Byte offsets and sizes of the NIfTI-1 header fields [`precheck`] reads.
const NIFTI1_HEADER: usize = 348;

/// Bytes per voxel of a NIfTI datatype code, `None` for an unknown code (the `nifti` crate reports it).
fn datatype_bytes(code: i16) -> Option<u64> {
    Some(match code {
        2 | 256 => 1,
        4 | 512 => 2,
        8 | 16 | 768 | 2304 => 4,
        32 | 64 | 1024 | 1280 => 8,
        128 => 3,
        1536 | 1792 => 16,
        2048 => 32,
        _ => return None,
    })
}

/// Checks a NIfTI-1 header before the `nifti` crate allocates for it: `dim[0]` in 1..=7, every used `dim` ≥ 1,
/// a finite, non-negative `vox_offset`, and the declared data (`dim` × datatype size) present in a `.nii` file, within
/// deflate's ratio in a `.nii.gz`, and within [`crate::ReadLimits`]. Returns the header and data size in bytes
/// (`vox_offset` + data), or `None` for a header this check does not understand (not NIfTI-1: the crate reports it).
///
/// # Errors
/// The file cannot be read, or a field above is invalid; the error names the file and the field.
fn precheck(path: &Path) -> Result<Option<usize>> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let file_len = file.metadata().map_err(io_error)?.len();
    let mut magic = [0_u8; 2];
    let compressed = {
        let mut f = &file;
        let n = f.read(&mut magic).map_err(io_error)?;
        n == 2 && magic == [0x1f, 0x8b]
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut head = Vec::with_capacity(NIFTI1_HEADER);
    let read = if compressed {
        flate2::read::MultiGzDecoder::new(file)
            .take(NIFTI1_HEADER as u64)
            .read_to_end(&mut head)
    } else {
        file.take(NIFTI1_HEADER as u64).read_to_end(&mut head)
    };
    if let Err(source) = read {
        return Err(Error::Nifti {
            path: path.to_path_buf(),
            message: format!("cannot read the 348-byte header: {source}; the file is corrupt or not NIfTI"),
        });
    }
    if head.len() < NIFTI1_HEADER {
        return Err(Error::Truncated {
            path: path.to_path_buf(),
            expected: NIFTI1_HEADER,
            found: head.len(),
        });
    }
    let little = i32::from_le_bytes([head[0], head[1], head[2], head[3]]) == 348;
    let big = i32::from_be_bytes([head[0], head[1], head[2], head[3]]) == 348;
    if !little && !big {
        return Ok(None);
    }
    let i16_at = |at: usize| {
        let b = [head[at], head[at + 1]];
        if little {
            i16::from_le_bytes(b)
        } else {
            i16::from_be_bytes(b)
        }
    };
    let f32_at = |at: usize| {
        let b = [head[at], head[at + 1], head[at + 2], head[at + 3]];
        if little {
            f32::from_le_bytes(b)
        } else {
            f32::from_be_bytes(b)
        }
    };
    let bad = |field: String, message: String| Error::BadHeader {
        path: path.to_path_buf(),
        field,
        message,
    };
    let n_dims = i16_at(40);
    if !(1..=7).contains(&n_dims) {
        return Err(bad(
            "NIfTI `dim[0]`".into(),
            format!("is {n_dims}; expected 1 to 7 dimensions (the header is corrupt)"),
        ));
    }
    let mut factors = Vec::new();
    for k in 1..=n_dims as usize {
        let d = i16_at(40 + 2 * k);
        if d < 1 {
            return Err(bad(
                format!("NIfTI `dim[{k}]`"),
                format!("is {d}; expected a size of at least 1 (the header is corrupt)"),
            ));
        }
        factors.push(d as u64);
    }
    let datatype = i16_at(70);
    let Some(word) = datatype_bytes(datatype) else {
        return Ok(None);
    };
    // The `nifti` crate sizes its buffer by `bitpix` and its array by `datatype` (and panics when they disagree).
    let bitpix = i16_at(72);
    if i64::from(bitpix) != word as i64 * 8 {
        return Err(bad(
            "NIfTI `bitpix`".into(),
            format!(
                "is {bitpix} but `datatype` {datatype} has {} bits per voxel; the header is corrupt",
                word * 8
            ),
        ));
    }
    // Spacing along the used spatial axes: the sform may override it, but a zero or non-finite `pixdim` there is a
    // corrupt header either way.
    for k in 1..=(n_dims as usize).min(3) {
        let p = f32_at(76 + 4 * k);
        if !p.is_finite() || p == 0.0 {
            return Err(bad(
                format!("NIfTI `pixdim[{k}]`"),
                format!("is {p}; expected a finite non-zero voxel spacing (fix the header)"),
            ));
        }
    }
    let vox_offset = f32_at(108);
    if !vox_offset.is_finite() || !(0.0..=1.0e12).contains(&vox_offset) {
        return Err(bad(
            "NIfTI `vox_offset`".into(),
            format!("is {vox_offset}; expected the byte offset of the data (352 or more in a .nii file)"),
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let offset = vox_offset as u64;
    let single_file = &head[344..347] == b"n+1";
    let n_voxels = crate::limits::declared_product(path, "NIfTI `dim`", &factors)?;
    if single_file {
        let available = if compressed {
            file_len
        } else {
            file_len.saturating_sub(offset.max(NIFTI1_HEADER as u64))
        };
        crate::limits::check_payload(
            path,
            "NIfTI `dim` × `datatype`",
            n_voxels,
            word,
            available,
            compressed,
        )?;
    } else {
        crate::limits::ReadLimits::current()?.check(
            path,
            "NIfTI `dim` × `datatype`",
            crate::limits::declared_product(path, "NIfTI `dim`", &[n_voxels, word.max(8)])?,
        )?;
    }
    let total =
        crate::limits::declared_product(path, "NIfTI `dim`", &[n_voxels, word])?.saturating_add(offset);
    Ok(Some(usize::try_from(total).unwrap_or(usize::MAX)))
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
    let geometry = Geometry {
        spacing,
        origin,
        direction,
        // ITK keeps a NIfTI with `dim[0] == 2` two-dimensional.
        ndim: if header.dim[0] == 2 { 2 } else { 3 },
    };
    crate::limits::check_geometry(path, "NIfTI `pixdim`/qform/sform", &geometry)?;
    Ok(geometry)
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

/// Writes a `Volume` as a NIfTI-1 file of doubles (`.nii`, or gzip for `.nii.gz`); see [`write_label_map_nifti`].
///
/// # Errors
/// I/O failures, naming the path.
pub fn write_volume_nifti(volume: &Volume, path: &Path) -> Result<()> {
    let mut body = Vec::with_capacity(volume.data.len() * 8);
    for value in volume.data.iter() {
        body.extend_from_slice(&value.to_le_bytes());
    }
    write_nifti(path, volume.size_xyz(), &volume.geometry, (64, 64), &body)
}

/// Writes a `LabelMap` as a NIfTI-1 file (`int16` when every label fits, else `int32`, else `int64`).
///
/// The LPS geometry is converted to RAS (first two rows negated) and stored both as the sform and as the qform
/// (`*_code` 1, scanner), with `xyzt_units` millimetres; a 2D image (one slice, `ndim` 2) is written with `dim[0]` 2.
///
/// # Errors
/// I/O failures, naming the path.
pub fn write_label_map_nifti(labels: &LabelMap, path: &Path) -> Result<()> {
    let (min, max) = labels
        .data
        .iter()
        .fold((0_i64, 0_i64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let mut body = Vec::new();
    let datatype = if min >= i64::from(i16::MIN) && max <= i64::from(i16::MAX) {
        for &v in labels.data.iter() {
            body.extend_from_slice(&(v as i16).to_le_bytes());
        }
        (4, 16)
    } else if min >= i64::from(i32::MIN) && max <= i64::from(i32::MAX) {
        for &v in labels.data.iter() {
            body.extend_from_slice(&(v as i32).to_le_bytes());
        }
        (8, 32)
    } else {
        for &v in labels.data.iter() {
            body.extend_from_slice(&v.to_le_bytes());
        }
        (1024, 64)
    };
    write_nifti(path, labels.size_xyz(), &labels.geometry, datatype, &body)
}

/// Quaternion (b, c, d) and qfac of an orthonormal rotation (row-major), as `nifti_mat44_to_quatern` computes them.
fn quaternion(r: [f64; 9]) -> ([f64; 3], f64) {
    let mut r = r;
    let det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6])
        + r[2] * (r[3] * r[7] - r[4] * r[6]);
    let qfac = if det < 0.0 { -1.0 } else { 1.0 };
    if qfac < 0.0 {
        r[2] = -r[2];
        r[5] = -r[5];
        r[8] = -r[8];
    }
    let (r11, r12, r13, r21, r22, r23, r31, r32, r33) =
        (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]);
    let trace = 1.0 + r11 + r22 + r33;
    let a;
    let (mut b, mut c, mut d);
    if trace > 0.5 {
        a = 0.5 * trace.sqrt();
        b = 0.25 * (r32 - r23) / a;
        c = 0.25 * (r13 - r31) / a;
        d = 0.25 * (r21 - r12) / a;
    } else {
        let xd = 1.0 + r11 - (r22 + r33);
        let yd = 1.0 + r22 - (r11 + r33);
        let zd = 1.0 + r33 - (r11 + r22);
        if xd > 1.0 {
            b = 0.5 * xd.sqrt();
            c = 0.25 * (r12 + r21) / b;
            d = 0.25 * (r13 + r31) / b;
            a = 0.25 * (r32 - r23) / b;
        } else if yd > 1.0 {
            c = 0.5 * yd.sqrt();
            b = 0.25 * (r12 + r21) / c;
            d = 0.25 * (r23 + r32) / c;
            a = 0.25 * (r13 - r31) / c;
        } else {
            d = 0.5 * zd.sqrt();
            b = 0.25 * (r13 + r31) / d;
            c = 0.25 * (r23 + r32) / d;
            a = 0.25 * (r21 - r12) / d;
        }
        if a < 0.0 {
            b = -b;
            c = -c;
            d = -d;
        }
    }
    ([b, c, d], qfac)
}

fn write_nifti(
    path: &Path,
    size_xyz: [usize; 3],
    geometry: &Geometry,
    datatype: (i16, i16),
    body: &[u8],
) -> Result<()> {
    let io_error = |source: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let too_large = |n: usize| {
        i16::try_from(n).map_err(|_| Error::Unsupported {
            path: path.to_path_buf(),
            what: "NIfTI-1 dimension (at most 32767)",
            value: n.to_string(),
        })
    };
    let dims = [
        too_large(size_xyz[0])?,
        too_large(size_xyz[1])?,
        too_large(size_xyz[2])?,
    ];
    let two_d = geometry.is_2d() && size_xyz[2] == 1;
    // RAS = diag(-1, -1, 1) · LPS.
    let flip = [-1.0, -1.0, 1.0];
    let mut rotation = [0.0; 9];
    let mut affine = [[0.0_f64; 4]; 3];
    for row in 0..3 {
        for axis in 0..3 {
            let cosine = flip[row] * geometry.direction[row * 3 + axis];
            rotation[row * 3 + axis] = cosine;
            affine[row][axis] = cosine * geometry.spacing[axis];
        }
        affine[row][3] = flip[row] * geometry.origin[row];
    }
    let ([qb, qc, qd], qfac) = quaternion(rotation);
    let mut header = vec![0_u8; 352];
    let put_i16 = |h: &mut Vec<u8>, at: usize, v: i16| h[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put_f32 =
        |h: &mut Vec<u8>, at: usize, v: f64| h[at..at + 4].copy_from_slice(&(v as f32).to_le_bytes());
    header[0..4].copy_from_slice(&348_i32.to_le_bytes());
    header[38] = b'r';
    put_i16(&mut header, 40, if two_d { 2 } else { 3 });
    for (k, &n) in dims.iter().enumerate() {
        put_i16(&mut header, 42 + 2 * k, n);
    }
    for k in 3..7 {
        put_i16(&mut header, 42 + 2 * k, 1);
    }
    put_i16(&mut header, 70, datatype.0);
    put_i16(&mut header, 72, datatype.1);
    put_f32(&mut header, 76, qfac);
    for k in 0..3 {
        put_f32(&mut header, 80 + 4 * k, geometry.spacing[k]);
    }
    put_f32(&mut header, 108, 352.0);
    put_f32(&mut header, 112, 1.0);
    header[123] = 2; // NIFTI_UNITS_MM
    let description = b"written by mmrad-io";
    header[148..148 + description.len()].copy_from_slice(description);
    put_i16(&mut header, 252, 1);
    put_i16(&mut header, 254, 1);
    for (k, v) in [qb, qc, qd, affine[0][3], affine[1][3], affine[2][3]]
        .into_iter()
        .enumerate()
    {
        put_f32(&mut header, 256 + 4 * k, v);
    }
    for (row, values) in affine.iter().enumerate() {
        for (k, &v) in values.iter().enumerate() {
            put_f32(&mut header, 280 + 16 * row + 4 * k, v);
        }
    }
    header[344..348].copy_from_slice(b"n+1\0");
    header.extend_from_slice(body);
    let gzip = path.to_string_lossy().to_lowercase().ends_with(".gz");
    let bytes = if gzip {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&header).map_err(io_error)?;
        encoder.finish().map_err(io_error)?
    } else {
        header
    };
    std::fs::write(path, bytes).map_err(io_error)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn same(words: &RawImage, reference: &RawImage) -> bool {
        let bits = |samples: &Samples| match samples {
            Samples::Float(values) => values.iter().map(|v| v.to_bits()).collect::<Vec<u64>>(),
            Samples::Int(values) => values.iter().map(|&v| v as u64).collect(),
        };
        words.size_xyz == reference.size_xyz
            && words.geometry == reference.geometry
            && words.pixel_type == reference.pixel_type
            && matches!(reference.samples, Samples::Float(_))
            && bits(&words.samples) == bits(&reference.samples)
    }

    #[test]
    fn the_words_path_reads_what_the_nifti_crate_reads() {
        let mut files: Vec<PathBuf> = Vec::new();
        for case in ["STS_001", "STS_002", "STS_003"] {
            for modality in ["CT", "MR_T1", "PET"] {
                for kind in ["image", "mask"] {
                    files.push(mmrad_testkit::shared(&format!(
                        "ibsi_validation_sts/nifti/{case}/{modality}_{kind}.nii.gz"
                    )));
                }
            }
        }
        for phantom in ["ibsi_1_ct_radiomics_phantom", "ibsi_1_digital_phantom"] {
            for kind in ["image/phantom", "mask/mask"] {
                files.push(mmrad_testkit::shared(&format!(
                    "ibsi/{phantom}/nifti/{kind}.nii.gz"
                )));
            }
        }
        for path in &files {
            assert!(read_nifti_words(path).unwrap().is_some(), "{}", path.display());
            let words = read_nifti(path).unwrap();
            let reference = read_nifti_with_crate(path).unwrap();
            assert!(same(&words, &reference), "{}", path.display());
        }
        // Damaged files: the words path never turns the crate's error into a value.
        let bad = mmrad_testkit::repo_data("bad/images");
        let mut n_bad = 0;
        for entry in std::fs::read_dir(&bad).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !name.starts_with("nii_") {
                continue;
            }
            n_bad += 1;
            match (
                read_nifti(&path),
                precheck(&path).and_then(|_| read_nifti_with_crate(&path)),
            ) {
                (Ok(words), Ok(reference)) => assert!(same(&words, &reference), "{name}"),
                (Err(words), Err(reference)) => {
                    assert_eq!(words.to_string(), reference.to_string(), "{name}")
                }
                (words, reference) => panic!("{name}: words path {words:?}, crate {reference:?}"),
            }
        }
        assert!(n_bad >= 10);
    }

    #[test]
    fn scaled_files_read_as_float32_except_float64() {
        assert_eq!(itk_pixel_type(ScalarType::I16, 1.0, 0.0), PixelType::Int16);
        assert_eq!(itk_pixel_type(ScalarType::I16, 0.0, 5.0), PixelType::Int16);
        assert_eq!(itk_pixel_type(ScalarType::I16, 1.0, -1024.0), PixelType::Float32);
        assert_eq!(itk_pixel_type(ScalarType::U8, 2.0, 0.0), PixelType::Float32);
        assert_eq!(itk_pixel_type(ScalarType::F32, 0.5, 0.0), PixelType::Float32);
        assert_eq!(itk_pixel_type(ScalarType::F64, 2.0, 1.0), PixelType::Float64);
        assert_eq!(scalar_of(512), Some(ScalarType::U16));
        assert_eq!(scalar_of(128), None);
    }
}
