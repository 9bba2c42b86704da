//! Memory bounds on hostile headers: every size an image header declares (NRRD `sizes`, NIfTI `dim`, DICOM
//! Rows × Columns × Frames) is checked against the bytes the file holds and against [`ReadLimits`] before anything
//! is allocated for it; plus the geometry sanity checks (finite, positive spacing; finite origin and direction).
//!
//! The limit is `MMRAD_MAX_IMAGE_BYTES` (bytes; suffixes `K`, `M`, `G`, `T` for powers of 1024) or
//! [`DEFAULT_MAX_IMAGE_BYTES`] (8 GiB). It bounds the decoded size of one image as stored (voxels × bytes per
//! sample) and the inflated size of a compressed payload.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use mmrad_core::Geometry;

use crate::{Error, Result};

/// The default limit on the decoded size of one image: 8 GiB (a 2048 × 2048 × 1000 float image fits in 16 GiB of
/// f64, so anything larger is rarer than a corrupt header).
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 8 << 30;

/// The environment variable overriding [`DEFAULT_MAX_IMAGE_BYTES`].
pub const MAX_IMAGE_BYTES_ENV: &str = "MMRAD_MAX_IMAGE_BYTES";

/// The largest ratio of inflated to compressed bytes deflate can reach (~1032:1); a larger declared size means a
/// corrupt header, whatever the limit.
pub const MAX_DEFLATE_RATIO: u64 = 1032;

/// Process-wide override set by [`ReadLimits::set_override`] (0 = none), for tests and embedding programs.
static OVERRIDE: AtomicU64 = AtomicU64::new(0);

/// Bounds applied while reading an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest decoded (or inflated) payload of one image, in bytes.
    pub max_bytes: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_bytes: DEFAULT_MAX_IMAGE_BYTES,
        }
    }
}

impl ReadLimits {
    /// The limits in force: [`ReadLimits::set_override`], else `MMRAD_MAX_IMAGE_BYTES`, else the default.
    ///
    /// # Errors
    /// `MMRAD_MAX_IMAGE_BYTES` is set but is not a positive byte count.
    pub fn current() -> Result<ReadLimits> {
        let forced = OVERRIDE.load(Ordering::Relaxed);
        if forced > 0 {
            return Ok(ReadLimits { max_bytes: forced });
        }
        match std::env::var(MAX_IMAGE_BYTES_ENV) {
            Ok(value) => parse_bytes(&value)
                .map(|max_bytes| ReadLimits { max_bytes })
                .ok_or(Error::InvalidLimit { value }),
            Err(_) => Ok(ReadLimits::default()),
        }
    }

    /// Sets (`Some`) or clears (`None`) a process-wide limit that takes precedence over the environment.
    pub fn set_override(max_bytes: Option<u64>) {
        OVERRIDE.store(max_bytes.unwrap_or(0), Ordering::Relaxed);
    }

    /// Checks a declared decoded size (already computed with checked arithmetic) against the limit.
    ///
    /// # Errors
    /// [`Error::TooLarge`] naming the file, what declared the size, the size and the limit.
    pub fn check(&self, path: &Path, what: &str, declared: u64) -> Result<()> {
        if declared > self.max_bytes {
            return Err(Error::TooLarge {
                path: path.to_path_buf(),
                what: what.to_string(),
                declared,
                limit: self.max_bytes,
            });
        }
        Ok(())
    }
}

/// `12345`, `512M`, `8G`, `8GiB` → bytes; `None` for anything else or zero.
fn parse_bytes(value: &str) -> Option<u64> {
    let v = value.trim();
    let v = v.strip_suffix("iB").or_else(|| v.strip_suffix('B')).unwrap_or(v);
    let (digits, shift) = match v.char_indices().last()? {
        (i, 'k' | 'K') => (&v[..i], 10),
        (i, 'm' | 'M') => (&v[..i], 20),
        (i, 'g' | 'G') => (&v[..i], 30),
        (i, 't' | 'T') => (&v[..i], 40),
        _ => (v, 0),
    };
    let n: u64 = digits.trim().parse().ok()?;
    let bytes = n.checked_mul(1_u64 << shift)?;
    (bytes > 0).then_some(bytes)
}

/// The product of declared sizes (voxels, bytes per sample, …), or an error naming the field when it overflows.
///
/// # Errors
/// [`Error::BadHeader`] when the product does not fit in 64 bits.
pub(crate) fn declared_product(path: &Path, field: &str, factors: &[u64]) -> Result<u64> {
    factors
        .iter()
        .try_fold(1_u64, |acc, &f| acc.checked_mul(f))
        .ok_or_else(|| Error::BadHeader {
            path: path.to_path_buf(),
            field: field.to_string(),
            message: format!(
                "declares {} (product overflows 64 bits)",
                factors.iter().map(u64::to_string).collect::<Vec<_>>().join(" × ")
            ),
        })
}

/// Checks a payload of `voxels` samples of `word` bytes: the stored bytes must come from the `available` bytes of
/// the file (raw: all present; compressed: within deflate's maximum ratio), and the decoded image (8-byte samples,
/// as the readers hold it) must fit the limit.
///
/// # Errors
/// [`Error::Truncated`] for raw data shorter than declared, [`Error::BadHeader`] for a size beyond deflate's ratio,
/// [`Error::TooLarge`] beyond the limit.
pub(crate) fn check_payload(
    path: &Path,
    what: &str,
    voxels: u64,
    word: u64,
    available: u64,
    compressed: bool,
) -> Result<()> {
    let limits = ReadLimits::current()?;
    let stored = declared_product(path, what, &[voxels, word])?;
    let decoded = declared_product(path, what, &[voxels, word.max(8)])?;
    limits.check(path, what, decoded)?;
    if compressed {
        let most = available.saturating_mul(MAX_DEFLATE_RATIO).saturating_add(1024);
        if stored > most {
            return Err(Error::BadHeader {
                path: path.to_path_buf(),
                field: what.to_string(),
                message: format!(
                    "declares {stored} decoded bytes but the {available} compressed bytes can inflate to at most \
                     {most}; the header is corrupt or the file truncated: export the image again"
                ),
            });
        }
    } else if stored > available {
        return Err(Error::Truncated {
            path: path.to_path_buf(),
            expected: usize::try_from(stored).unwrap_or(usize::MAX),
            found: usize::try_from(available).unwrap_or(usize::MAX),
        });
    }
    if usize::try_from(decoded).is_err() {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            what: what.to_string(),
            declared: decoded,
            limit: usize::MAX as u64,
        });
    }
    Ok(())
}

/// Rejects a geometry with a zero, negative or non-finite spacing, or a non-finite origin or direction.
///
/// # Errors
/// [`Error::BadHeader`] naming the file and `field` (the header field the geometry came from).
pub(crate) fn check_geometry(path: &Path, field: &str, geometry: &Geometry) -> Result<()> {
    let bad = |message: String| {
        Err(Error::BadHeader {
            path: path.to_path_buf(),
            field: field.to_string(),
            message,
        })
    };
    if let Some(s) = geometry.spacing.iter().find(|s| !s.is_finite() || **s <= 0.0) {
        return bad(format!(
            "gives spacing {s} in {:?}; spacing must be finite and positive (fix the header, e.g. re-export the image)",
            geometry.spacing
        ));
    }
    if geometry.origin.iter().any(|v| !v.is_finite()) {
        return bad(format!("gives a non-finite origin {:?}", geometry.origin));
    }
    if geometry.direction.iter().any(|v| !v.is_finite()) {
        return bad(format!("gives a non-finite direction {:?}", geometry.direction));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_parse_with_binary_suffixes() {
        assert_eq!(parse_bytes("1024"), Some(1024));
        assert_eq!(parse_bytes("512M"), Some(512 << 20));
        assert_eq!(parse_bytes("8GiB"), Some(8 << 30));
        assert_eq!(parse_bytes(" 2k "), Some(2048));
        assert_eq!(parse_bytes("0"), None);
        assert_eq!(parse_bytes("-1"), None);
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("99999999999T"), None);
    }

    #[test]
    fn products_overflow_into_errors() {
        let path = Path::new("x.nrrd");
        assert_eq!(declared_product(path, "sizes", &[2, 3, 4]).unwrap(), 24);
        let err = declared_product(path, "sizes", &[u64::MAX, 2]).unwrap_err();
        assert!(err.to_string().contains("overflows"), "{err}");
        let err = ReadLimits { max_bytes: 10 }.check(path, "sizes", 11).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("x.nrrd") && text.contains("11") && text.contains(MAX_IMAGE_BYTES_ENV),
            "{text}"
        );
    }
}
