//! NRRD (teem format 1-5) reader and writer: raw, gzip and ascii encodings, every scalar type, geometry to LPS.
//!
//! Geometry follows ITK's `NrrdImageIO`: `space directions` give spacing (vector norms) and direction columns,
//! `space origin` the origin; a `right-anterior-superior` space flips the sign of the first two physical
//! coordinates and `left-anterior-superior` the second, so that the result is always LPS.
//! Without `space directions`, `spacings` (default 1) and an identity direction are used.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use mmrad_core::{Geometry, LabelMap, PixelType, Volume};

use crate::scratch::Buffer;
use crate::words::VolumeWords;
use crate::{Error, RawImage, Result, Samples};

/// Scalar types a NRRD file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarType {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
}

impl ScalarType {
    fn parse(name: &str) -> Option<ScalarType> {
        let t = match name.trim() {
            "signed char" | "int8" | "int8_t" => ScalarType::I8,
            "uchar" | "unsigned char" | "uint8" | "uint8_t" => ScalarType::U8,
            "short" | "short int" | "signed short" | "signed short int" | "int16" | "int16_t" => {
                ScalarType::I16
            }
            "ushort" | "unsigned short" | "unsigned short int" | "uint16" | "uint16_t" => ScalarType::U16,
            "int" | "signed int" | "int32" | "int32_t" => ScalarType::I32,
            "uint" | "unsigned int" | "uint32" | "uint32_t" => ScalarType::U32,
            "longlong"
            | "long long"
            | "long long int"
            | "signed long long"
            | "signed long long int"
            | "int64"
            | "int64_t" => ScalarType::I64,
            "ulonglong" | "unsigned long long" | "unsigned long long int" | "uint64" | "uint64_t" => {
                ScalarType::U64
            }
            "float" => ScalarType::F32,
            "double" => ScalarType::F64,
            _ => return None,
        };
        Some(t)
    }

    pub(crate) fn size(self) -> usize {
        match self {
            ScalarType::I8 | ScalarType::U8 => 1,
            ScalarType::I16 | ScalarType::U16 => 2,
            ScalarType::I32 | ScalarType::U32 | ScalarType::F32 => 4,
            ScalarType::I64 | ScalarType::U64 | ScalarType::F64 => 8,
        }
    }

    pub(crate) fn is_float(self) -> bool {
        matches!(self, ScalarType::F32 | ScalarType::F64)
    }

    /// The pixel type the samples have in memory (as SimpleITK reads them).
    pub(crate) fn pixel_type(self) -> PixelType {
        match self {
            ScalarType::I8 => PixelType::Int8,
            ScalarType::U8 => PixelType::UInt8,
            ScalarType::I16 => PixelType::Int16,
            ScalarType::U16 => PixelType::UInt16,
            ScalarType::I32 => PixelType::Int32,
            ScalarType::U32 => PixelType::UInt32,
            ScalarType::I64 => PixelType::Int64,
            ScalarType::U64 => PixelType::UInt64,
            ScalarType::F32 => PixelType::Float32,
            ScalarType::F64 => PixelType::Float64,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Raw,
    Gzip,
    Ascii,
}

/// The header fields this reader uses.
#[derive(Debug, Clone)]
struct Header {
    scalar: ScalarType,
    sizes: Vec<usize>,
    /// The product of `sizes`, checked for overflow and zero when parsed.
    n_voxels: usize,
    big_endian: bool,
    encoding: Encoding,
    space_sign: [f64; 3],
    directions: Option<Vec<Option<Vec<f64>>>>,
    spacings: Option<Vec<f64>>,
    origin: Option<Vec<f64>>,
    data_file: Option<String>,
    byte_skip: i64,
    line_skip: usize,
}

/// Reads a NRRD file (attached or detached `data file`) into a [`RawImage`].
///
/// # Errors
/// I/O failures, malformed headers, unsupported types/encodings, and truncated data; each names the path.
pub fn read_nrrd(path: &Path) -> Result<RawImage> {
    let (header, samples) = with_payload(path, |header, payload| {
        decode(path, header, payload, header.n_voxels)
    })?;
    let (size_xyz, geometry) = geometry_of(path, &header)?;
    Ok(RawImage {
        path: path.to_path_buf(),
        size_xyz,
        samples,
        geometry,
        pixel_type: Some(header.scalar.pixel_type()),
    })
}

/// Reads the header and hands the (attached or detached) payload to `decode`.
/// The file's bytes are freed, not pooled ([`Buffer::release`]): pooled, a compressed file's buffer would be taken
/// by a later inflated volume that it fits, and the next volume's buffer made anew: more memory, no fewer faults.
fn with_payload<T>(path: &Path, decode: impl FnOnce(&Header, &[u8]) -> Result<T>) -> Result<(Header, T)> {
    let bytes = crate::scratch::read_file(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (header, data_start) = parse_header(path, &bytes)?;
    let detached = match &header.data_file {
        None => None,
        Some(name) => {
            let data_path = path.parent().unwrap_or(Path::new(".")).join(name);
            Some(crate::scratch::read_file(&data_path).map_err(|source| Error::Io {
                path: data_path.clone(),
                source,
            })?)
        }
    };
    let payload: &[u8] = match &detached {
        None => bytes.get(data_start..).unwrap_or_default(),
        Some(detached) => &detached[..],
    };
    let value = decode(&header, payload);
    bytes.release();
    if let Some(detached) = detached {
        detached.release();
    }
    Ok((header, value?))
}

/// Reads a NRRD file into [`VolumeWords`]; `None` for what the region path does not handle (ascii, big-endian),
/// which [`read_nrrd`] reads.
///
/// # Errors
/// As [`read_nrrd`].
pub fn read_nrrd_words(path: &Path) -> Result<Option<VolumeWords>> {
    let (header, body) = with_payload(path, |header, payload| {
        if header.encoding == Encoding::Ascii || (header.big_endian && header.scalar.size() > 1) {
            return Ok(None);
        }
        decode_body(path, header, payload, header.n_voxels).map(|body| Some(body.into_buffer()))
    })?;
    let Some(body) = body else {
        return Ok(None);
    };
    let (size_xyz, geometry) = geometry_of(path, &header)?;
    Ok(Some(VolumeWords::new(
        path,
        size_xyz,
        geometry,
        header.scalar,
        (body, 0),
        None,
    )))
}

fn header_error(path: &Path, message: impl Into<String>) -> Error {
    Error::NrrdHeader {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn parse_header(path: &Path, bytes: &[u8]) -> Result<(Header, usize)> {
    if !bytes.starts_with(b"NRRD000") {
        return Err(header_error(path, "missing `NRRD000x` magic"));
    }
    let mut scalar = None;
    let mut sizes = None;
    let mut dimension = None;
    let mut big_endian = false;
    let mut encoding = None;
    let mut space_sign = [1.0, 1.0, 1.0];
    let mut directions = None;
    let mut spacings = None;
    let mut origin = None;
    let mut data_file = None;
    let mut byte_skip = 0_i64;
    let mut line_skip = 0_usize;

    let mut position = 0_usize;
    let mut first = true;
    let mut data_start = None;
    while position < bytes.len() {
        let end = bytes[position..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| position + i);
        let raw_line = String::from_utf8_lossy(&bytes[position..end]).to_string();
        position = end + 1;
        let line = raw_line.trim_end_matches('\r');
        if first {
            first = false;
            continue;
        }
        if line.is_empty() {
            data_start = Some(position.min(bytes.len()));
            break;
        }
        if line.starts_with('#') || line.contains(":=") {
            continue;
        }
        let Some((key, value)) = line.split_once(": ") else {
            return Err(header_error(path, format!("line `{line}` is not `field: value`")));
        };
        let value = value.trim();
        match key.trim().to_lowercase().as_str() {
            "type" => {
                scalar = Some(ScalarType::parse(value).ok_or_else(|| Error::Unsupported {
                    path: path.to_path_buf(),
                    what: "NRRD type",
                    value: value.to_string(),
                })?);
            }
            "dimension" => {
                dimension = Some(value.parse::<usize>().map_err(|_| {
                    header_error(path, format!("dimension `{value}`: expected a positive integer"))
                })?);
            }
            "sizes" => {
                let parsed: std::result::Result<Vec<usize>, _> =
                    value.split_whitespace().map(str::parse::<usize>).collect();
                let parsed = parsed.ok().filter(|s| s.iter().all(|&n| n > 0)).ok_or_else(|| {
                    header_error(path, format!("sizes `{value}`: expected positive integers"))
                })?;
                sizes = Some(parsed);
            }
            "endian" => big_endian = value == "big",
            "encoding" => {
                encoding = Some(match value {
                    "raw" => Encoding::Raw,
                    "gzip" | "gz" => Encoding::Gzip,
                    "ascii" | "text" | "txt" => Encoding::Ascii,
                    other => {
                        return Err(Error::Unsupported {
                            path: path.to_path_buf(),
                            what: "NRRD encoding",
                            value: other.to_string(),
                        });
                    }
                });
            }
            "space" => {
                space_sign = match value.to_lowercase().as_str() {
                    "left-posterior-superior"
                    | "lps"
                    | "left-posterior-superior-time"
                    | "3d-right-handed" => [1.0, 1.0, 1.0],
                    "right-anterior-superior" | "ras" | "right-anterior-superior-time" => [-1.0, -1.0, 1.0],
                    "left-anterior-superior" | "las" | "left-anterior-superior-time" => [1.0, -1.0, 1.0],
                    other => {
                        return Err(Error::Unsupported {
                            path: path.to_path_buf(),
                            what: "NRRD space",
                            value: other.to_string(),
                        });
                    }
                };
            }
            "space dimension" => {}
            "space directions" => {
                let mut vectors = Vec::new();
                for token in split_vectors(value) {
                    if token == "none" {
                        vectors.push(None);
                    } else {
                        vectors.push(Some(parse_vector(path, &token)?));
                    }
                }
                directions = Some(vectors);
            }
            "space origin" => origin = Some(parse_vector(path, value)?),
            "spacings" => {
                let parsed: Vec<f64> = value
                    .split_whitespace()
                    .map(|s| s.parse::<f64>().unwrap_or(f64::NAN))
                    .collect();
                spacings = Some(parsed);
            }
            "data file" | "datafile" => data_file = Some(value.to_string()),
            "byte skip" | "byteskip" => {
                byte_skip = value.parse().ok().filter(|&n: &i64| n >= -1).ok_or_else(|| {
                    header_error(path, format!("byte skip `{value}`: expected -1 or a byte count"))
                })?;
            }
            "line skip" | "lineskip" => {
                line_skip = value
                    .parse()
                    .map_err(|_| header_error(path, format!("line skip `{value}`: expected a line count")))?;
            }
            _ => {}
        }
    }
    let data_start = match (data_start, &data_file) {
        (Some(start), _) => start,
        (None, Some(_)) => bytes.len(),
        (None, None) => {
            return Err(header_error(
                path,
                "header is not followed by a blank line and data",
            ));
        }
    };
    let scalar = scalar.ok_or_else(|| header_error(path, "missing `type`"))?;
    let sizes = sizes.ok_or_else(|| header_error(path, "missing `sizes`"))?;
    if let Some(d) = dimension
        && d != sizes.len()
    {
        return Err(header_error(
            path,
            format!("dimension {d} but {} sizes", sizes.len()),
        ));
    }
    if sizes.is_empty() || sizes.len() > 4 {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            what: "NRRD dimension",
            value: sizes.len().to_string(),
        });
    }
    let encoding = encoding.ok_or_else(|| header_error(path, "missing `encoding`"))?;
    let factors: Vec<u64> = sizes.iter().map(|&n| n as u64).collect();
    let n_voxels = crate::limits::declared_product(path, "NRRD `sizes`", &factors)?;
    let n_voxels = usize::try_from(n_voxels)
        .map_err(|_| header_error(path, format!("sizes {sizes:?} exceed the address space")))?;
    let header = Header {
        scalar,
        sizes,
        n_voxels,
        big_endian,
        encoding,
        space_sign,
        directions,
        spacings,
        origin,
        data_file,
        byte_skip,
        line_skip,
    };
    Ok((header, data_start))
}

/// Splits `(a,b,c) none (d,e,f)` into tokens.
fn split_vectors(value: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut depth = 0;
    for ch in value.chars() {
        match ch {
            '(' => {
                depth += 1;
                current.push(ch);
            }
            ')' => {
                depth -= 1;
                current.push(ch);
            }
            c if c.is_whitespace() && depth == 0 => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

fn parse_vector(path: &Path, token: &str) -> Result<Vec<f64>> {
    let inner = token.trim().trim_start_matches('(').trim_end_matches(')');
    inner
        .split(',')
        .map(|s| {
            s.trim()
                .parse::<f64>()
                .map_err(|_| header_error(path, format!("vector `{token}`")))
        })
        .collect()
}

fn decode(path: &Path, header: &Header, payload: &[u8], n_voxels: usize) -> Result<Samples> {
    if header.encoding == Encoding::Ascii {
        let data = skip_lines(header, payload);
        // Every ascii value takes at least two bytes (digit and separator) except the last.
        crate::limits::check_payload(
            path,
            "NRRD `sizes` (ascii)",
            n_voxels as u64,
            1,
            data.len() as u64 / 2 + 1,
            false,
        )?;
        return decode_ascii(path, header.scalar, data, n_voxels);
    }
    let body = decode_body(path, header, payload, n_voxels)?;
    let samples = decode_binary(header.scalar, &body, header.big_endian);
    body.release();
    Ok(samples)
}

fn skip_lines<'a>(header: &Header, payload: &'a [u8]) -> &'a [u8] {
    let mut data = payload;
    for _ in 0..header.line_skip {
        match data.iter().position(|&b| b == b'\n') {
            Some(i) => data = &data[i + 1..],
            // A huge `line skip` must not spin over an empty payload.
            None => return &[],
        }
    }
    data
}

/// The `n_voxels` words of a binary (raw or gzip) payload, after `line skip` and `byte skip`.
fn decode_body<'a>(path: &Path, header: &Header, payload: &'a [u8], n_voxels: usize) -> Result<Body<'a>> {
    let data = skip_lines(header, payload);
    let compressed = header.encoding == Encoding::Gzip;
    let skip = u64::try_from(header.byte_skip).unwrap_or(0);
    // Raw data must be present in full; gzip data within deflate's ratio (the skipped bytes are inflated too).
    let available = if compressed {
        data.len() as u64
    } else {
        (data.len() as u64).saturating_sub(skip)
    };
    crate::limits::check_payload(
        path,
        "NRRD `sizes` × `type`",
        n_voxels as u64,
        header.scalar.size() as u64,
        available,
        compressed,
    )?;
    if compressed {
        let inflated = skip.saturating_add((n_voxels * header.scalar.size()) as u64);
        crate::limits::check_payload(
            path,
            "NRRD `byte skip` + data",
            inflated,
            1,
            data.len() as u64,
            true,
        )?;
    }
    let expected = n_voxels * header.scalar.size();
    let decoded: Body<'_> = match header.encoding {
        Encoding::Gzip if header.byte_skip >= 0 => {
            let wanted = usize::try_from(header.byte_skip).unwrap_or(0) + expected;
            if let Some(out) = crate::gzip::inflate_at_most(data, wanted) {
                return finish_body(path, header, Body::Owned(out), expected);
            }
            // A zeroed allocation comes from fresh (copy-on-write zero) pages: no memset of the whole volume, as
            // `read_to_end` would do before every read.
            let mut out = vec![0_u8; wanted];
            let mut decoder = GzDecoder::new(data);
            let mut filled = 0;
            while filled < wanted {
                match decoder.read(&mut out[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(source) => {
                        return Err(Error::Corrupt {
                            path: path.to_path_buf(),
                            message: format!("gzip data: {source}"),
                        });
                    }
                }
            }
            out.truncate(filled);
            Body::Owned(Buffer::Heap(out))
        }
        Encoding::Gzip => {
            // `byte skip: -1`: the data are the last bytes of the inflated stream, whose length is bounded only by
            // deflate's ratio and the limit.
            let limit = crate::limits::ReadLimits::current()?.max_bytes;
            let most = (data.len() as u64)
                .saturating_mul(crate::limits::MAX_DEFLATE_RATIO)
                .saturating_add(1024)
                .min(limit);
            let mut out = Vec::with_capacity(expected);
            let mut decoder = GzDecoder::new(data).take(most);
            if let Err(source) = decoder.read_to_end(&mut out)
                && out.len() < expected
            {
                return Err(Error::Corrupt {
                    path: path.to_path_buf(),
                    message: format!("gzip data: {source}"),
                });
            }
            Body::Owned(Buffer::Heap(out))
        }
        _ => Body::Borrowed(data),
    };
    finish_body(path, header, decoded, expected)
}

/// The `expected` bytes of the decoded payload after `byte skip`.
fn finish_body<'a>(path: &Path, header: &Header, decoded: Body<'a>, expected: usize) -> Result<Body<'a>> {
    let start = if header.byte_skip == -1 {
        decoded.len().saturating_sub(expected)
    } else {
        usize::try_from(header.byte_skip)
            .map_err(|_| header_error(path, format!("byte skip {}", header.byte_skip)))?
    };
    if decoded.len() < start + expected {
        return Err(Error::Truncated {
            path: path.to_path_buf(),
            expected,
            found: decoded.len().saturating_sub(start),
        });
    }
    Ok(match decoded {
        Body::Borrowed(bytes) => Body::Borrowed(&bytes[start..start + expected]),
        Body::Owned(mut bytes) => {
            bytes.truncate(start + expected);
            bytes.remove_front(start);
            Body::Owned(bytes)
        }
    })
}

/// A decoded payload: the file's own bytes (raw encoding) or an inflated buffer.
enum Body<'a> {
    Borrowed(&'a [u8]),
    Owned(Buffer),
}

impl Body<'_> {
    /// Frees an inflated buffer now ([`Buffer::release`]).
    fn release(self) {
        if let Body::Owned(buffer) = self {
            buffer.release();
        }
    }

    fn into_buffer(self) -> Buffer {
        match self {
            Body::Borrowed(bytes) => Buffer::Heap(bytes.to_vec()),
            Body::Owned(buffer) => buffer,
        }
    }
}

impl std::ops::Deref for Body<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Body::Borrowed(bytes) => bytes,
            Body::Owned(buffer) => buffer,
        }
    }
}

/// Decodes fixed-size words with a monomorphic loop per type (the per-word `match` of a generic loop costs more
/// than the conversion itself on a 16 M-voxel CT).
fn decode_binary(scalar: ScalarType, body: &[u8], big_endian: bool) -> Samples {
    fn words<const N: usize, T>(body: &[u8], big_endian: bool, convert: impl Fn([u8; N]) -> T) -> Vec<T> {
        body.chunks_exact(N)
            .map(|chunk| {
                let mut word = [0_u8; N];
                word.copy_from_slice(chunk);
                if big_endian {
                    word.reverse();
                }
                convert(word)
            })
            .collect()
    }
    let b = big_endian;
    match scalar {
        ScalarType::I8 => Samples::Int(words(body, b, |w: [u8; 1]| i64::from(w[0] as i8))),
        ScalarType::U8 => Samples::Int(words(body, b, |w: [u8; 1]| i64::from(w[0]))),
        ScalarType::I16 => Samples::Int(words(body, b, |w| i64::from(i16::from_le_bytes(w)))),
        ScalarType::U16 => Samples::Int(words(body, b, |w| i64::from(u16::from_le_bytes(w)))),
        ScalarType::I32 => Samples::Int(words(body, b, |w| i64::from(i32::from_le_bytes(w)))),
        ScalarType::U32 => Samples::Int(words(body, b, |w| i64::from(u32::from_le_bytes(w)))),
        ScalarType::I64 => Samples::Int(words(body, b, i64::from_le_bytes)),
        // Values above i64::MAX saturate; such labels do not occur in practice.
        ScalarType::U64 => Samples::Int(words(body, b, |w| {
            i64::try_from(u64::from_le_bytes(w)).unwrap_or(i64::MAX)
        })),
        ScalarType::F32 => Samples::Float(words(body, b, |w| f64::from(f32::from_le_bytes(w)))),
        ScalarType::F64 => Samples::Float(words(body, b, f64::from_le_bytes)),
    }
}

fn decode_ascii(path: &Path, scalar: ScalarType, data: &[u8], n_voxels: usize) -> Result<Samples> {
    let text = String::from_utf8_lossy(data);
    let tokens: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        // Only the declared values are read; trailing text is ignored (and not collected).
        .take(n_voxels)
        .collect();
    if tokens.len() < n_voxels {
        return Err(Error::Truncated {
            path: path.to_path_buf(),
            expected: n_voxels,
            found: tokens.len(),
        });
    }
    let bad = |t: &str| header_error(path, format!("ascii value `{t}`"));
    if scalar.is_float() {
        let v: Result<Vec<f64>> = tokens[..n_voxels]
            .iter()
            .map(|t| t.parse::<f64>().map_err(|_| bad(t)))
            .collect();
        Ok(Samples::Float(v?))
    } else {
        let v: Result<Vec<i64>> = tokens[..n_voxels]
            .iter()
            .map(|t| t.parse::<i64>().map_err(|_| bad(t)))
            .collect();
        Ok(Samples::Int(v?))
    }
}

fn geometry_of(path: &Path, header: &Header) -> Result<([usize; 3], Geometry)> {
    let sizes = &header.sizes;
    if sizes.len() == 4 && sizes[3] != 1 {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            what: "4D NRRD size",
            value: format!("{sizes:?}"),
        });
    }
    let n_spatial = sizes.len().min(3);
    let mut size_xyz = [1_usize; 3];
    size_xyz[..n_spatial].copy_from_slice(&sizes[..n_spatial]);
    let mut geometry = Geometry::identity();
    if sizes.len() == 2 {
        // ITK (and so PyRadiomics) keeps a 2D NRRD two-dimensional.
        geometry.ndim = 2;
    }
    if let Some(directions) = &header.directions {
        let mut columns: Vec<[f64; 3]> = Vec::new();
        for (axis, vector) in directions.iter().enumerate().take(n_spatial) {
            let Some(v) = vector else {
                return Err(header_error(
                    path,
                    format!("space direction of axis {axis} is `none`"),
                ));
            };
            let mut column = [0.0; 3];
            for (k, value) in v.iter().enumerate().take(3) {
                column[k] = value * header.space_sign[k];
            }
            let norm = (column[0] * column[0] + column[1] * column[1] + column[2] * column[2]).sqrt();
            if norm <= 0.0 || !norm.is_finite() {
                return Err(header_error(
                    path,
                    format!("space direction of axis {axis} has length {norm}"),
                ));
            }
            geometry.spacing[axis] = norm;
            columns.push([column[0] / norm, column[1] / norm, column[2] / norm]);
        }
        if columns.len() == 2 {
            let (a, b) = (columns[0], columns[1]);
            columns.push([
                a[1] * b[2] - a[2] * b[1],
                a[2] * b[0] - a[0] * b[2],
                a[0] * b[1] - a[1] * b[0],
            ]);
        }
        for (axis, column) in columns.iter().enumerate() {
            for row in 0..3 {
                geometry.direction[row * 3 + axis] = column[row];
            }
        }
    } else if let Some(spacings) = &header.spacings {
        for (axis, s) in spacings.iter().enumerate().take(n_spatial) {
            if !s.is_finite() || *s <= 0.0 {
                return Err(header_error(
                    path,
                    format!(
                        "`spacings` of axis {axis} is `{s}`; expected a finite positive spacing (fix the header, or \
                         give `space directions`)"
                    ),
                ));
            }
            geometry.spacing[axis] = *s;
        }
    }
    if let Some(origin) = &header.origin {
        for (k, value) in origin.iter().enumerate().take(3) {
            geometry.origin[k] = value * header.space_sign[k];
        }
    }
    crate::limits::check_geometry(
        path,
        "NRRD `space directions`/`spacings`/`space origin`",
        &geometry,
    )?;
    Ok((size_xyz, geometry))
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_header(out: &mut Vec<u8>, type_name: &str, size_xyz: [usize; 3], geometry: &Geometry) {
    let g = geometry;
    let column = |k: usize| {
        format!(
            "({:?},{:?},{:?})",
            g.direction[k] * g.spacing[k],
            g.direction[3 + k] * g.spacing[k],
            g.direction[6 + k] * g.spacing[k]
        )
    };
    let origin = format!("({:?},{:?},{:?})", g.origin[0], g.origin[1], g.origin[2]);
    // A true 2D image (one slice) is written as a 2D NRRD so that it reads back as 2D.
    let text = if g.is_2d() && size_xyz[2] == 1 {
        format!(
            "NRRD0004\n# written by mmrad-io\ntype: {type_name}\ndimension: 2\nspace: left-posterior-superior\n\
             sizes: {} {}\nspace directions: {} {}\nkinds: domain domain\nendian: little\n\
             encoding: gzip\nspace origin: {origin}\n\n",
            size_xyz[0],
            size_xyz[1],
            column(0),
            column(1),
        )
    } else {
        format!(
            "NRRD0004\n# written by mmrad-io\ntype: {type_name}\ndimension: 3\nspace: left-posterior-superior\n\
             sizes: {} {} {}\nspace directions: {} {} {}\nkinds: domain domain domain\nendian: little\n\
             encoding: gzip\nspace origin: {origin}\n\n",
            size_xyz[0],
            size_xyz[1],
            size_xyz[2],
            column(0),
            column(1),
            column(2),
        )
    };
    out.extend_from_slice(text.as_bytes());
}

fn write_gzip(path: &PathBuf, mut out: Vec<u8>, body: &[u8]) -> Result<()> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(body).map_err(|e| write_error(path, e))?;
    let compressed = encoder.finish().map_err(|e| write_error(path, e))?;
    out.extend_from_slice(&compressed);
    std::fs::write(path, out).map_err(|e| write_error(path, e))
}

/// Writes a `Volume` as a gzip NRRD in LPS, in its pixel type when it has one and every value fits it; an image of
/// unknown type (DICOM) whose values are all integers as the smallest of int16, uint16, int32 holding them (the type
/// SimpleITK gives a CT or MR series, and what mmrad infers for it), else as doubles. Reading the file back gives
/// the same values and, where known, the same pixel type.
///
/// # Errors
/// I/O failures, naming the path.
pub fn write_volume_nrrd(volume: &Volume, path: &Path) -> Result<()> {
    let fits = |t: PixelType| {
        volume.data.iter().all(|&v| match t.integer_range() {
            #[allow(clippy::cast_precision_loss)]
            Some((lo, hi)) => v.fract() == 0.0 && v >= lo as f64 && v <= hi as f64,
            #[allow(clippy::cast_possible_truncation)]
            None => t == PixelType::Float64 || v.is_nan() || f64::from(v as f32) == v,
        })
    };
    let pixel_type = match volume.pixel_type {
        Some(t) if fits(t) => t,
        Some(_) => PixelType::Float64,
        None => [PixelType::Int16, PixelType::UInt16, PixelType::Int32]
            .into_iter()
            .find(|&t| fits(t))
            .unwrap_or(PixelType::Float64),
    };
    let (name, size) = match pixel_type {
        PixelType::UInt8 => ("uchar", 1),
        PixelType::Int8 => ("signed char", 1),
        PixelType::UInt16 => ("ushort", 2),
        PixelType::Int16 => ("short", 2),
        PixelType::UInt32 => ("uint", 4),
        PixelType::Int32 => ("int", 4),
        PixelType::UInt64 => ("uint64", 8),
        PixelType::Int64 => ("int64", 8),
        PixelType::Float32 => ("float", 4),
        PixelType::Float64 => ("double", 8),
    };
    let mut out = Vec::new();
    write_header(&mut out, name, volume.size_xyz(), &volume.geometry);
    let mut body = Vec::with_capacity(volume.data.len() * size);
    // Every value fits the type (checked above): the casts are exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    for &v in volume.data.iter() {
        match pixel_type {
            PixelType::UInt8 => body.push(v as u8),
            PixelType::Int8 => body.extend_from_slice(&(v as i8).to_le_bytes()),
            PixelType::UInt16 => body.extend_from_slice(&(v as u16).to_le_bytes()),
            PixelType::Int16 => body.extend_from_slice(&(v as i16).to_le_bytes()),
            PixelType::UInt32 => body.extend_from_slice(&(v as u32).to_le_bytes()),
            PixelType::Int32 => body.extend_from_slice(&(v as i32).to_le_bytes()),
            PixelType::UInt64 => body.extend_from_slice(&(v as u64).to_le_bytes()),
            PixelType::Int64 => body.extend_from_slice(&(v as i64).to_le_bytes()),
            PixelType::Float32 => body.extend_from_slice(&(v as f32).to_le_bytes()),
            PixelType::Float64 => body.extend_from_slice(&v.to_le_bytes()),
        }
    }
    write_gzip(&path.to_path_buf(), out, &body)
}

/// Writes a `LabelMap` as a gzip NRRD (`short` when every label fits in i16, else `int`, else `int64`).
///
/// # Errors
/// I/O failures, naming the path.
pub fn write_label_map_nrrd(labels: &LabelMap, path: &Path) -> Result<()> {
    let (min, max) = labels
        .data
        .iter()
        .fold((0_i64, 0_i64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let mut out = Vec::new();
    let mut body = Vec::new();
    if min >= i64::from(i16::MIN) && max <= i64::from(i16::MAX) {
        write_header(&mut out, "short", labels.size_xyz(), &labels.geometry);
        for &v in labels.data.iter() {
            body.extend_from_slice(&(v as i16).to_le_bytes());
        }
    } else if min >= i64::from(i32::MIN) && max <= i64::from(i32::MAX) {
        write_header(&mut out, "int", labels.size_xyz(), &labels.geometry);
        for &v in labels.data.iter() {
            body.extend_from_slice(&(v as i32).to_le_bytes());
        }
    } else {
        write_header(&mut out, "int64", labels.size_xyz(), &labels.geometry);
        for &v in labels.data.iter() {
            body.extend_from_slice(&v.to_le_bytes());
        }
    }
    write_gzip(&path.to_path_buf(), out, &body)
}
