//! DICOM pixel decoding: opens a file, decodes its Pixel Data through `dicom-pixeldata` (native, deflate, RLE, JPEG,
//! JPEG-LS, JPEG 2000) into stored values (before rescale, bits outside BitsStored masked, signed values sign-extended), and
//! converts a frame to grey (MONOCHROME1 inversion, RGB/YBR to luminance).

use std::path::{Path, PathBuf};

use dicom_object::{DefaultDicomObject, OpenFileOptions};
use dicom_pixeldata::PixelDecoder;
use sha2::{Digest, Sha256};

use crate::dicom::ColourRule;
use crate::dicom::attributes::{ImageAttributes, transfer_syntax_supported};
use crate::{Error, Result};

/// A file opened and its attributes read (pixel data not yet decoded).
pub(crate) struct OpenedFile {
    pub path: PathBuf,
    pub object: DefaultDicomObject,
    pub attributes: ImageAttributes,
}

/// Decoded stored values of a whole file, in frame, row, column, sample order (samples interleaved).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredPixels {
    pub values: Vec<i64>,
    pub frames: usize,
    pub rows: usize,
    pub columns: usize,
    pub samples: usize,
    /// Photometric interpretation of the decoded values (a compressed colour image is decoded to `RGB`).
    pub photometric: String,
}

pub(crate) fn open(path: &Path) -> Result<OpenedFile> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    crate::dicom::scan::check_lengths(path, &bytes)?;
    drop(bytes);
    let opened = mmrad_core::contain::contain(|| OpenFileOptions::new().open_file(path)).map_err(|_| {
        Error::Dicom {
            path: path.to_path_buf(),
            message: "the DICOM parser failed on a corrupt data set".into(),
        }
    })?;
    let object = opened.map_err(|e| Error::Dicom {
        path: path.to_path_buf(),
        message: format!("not a readable DICOM file ({e})"),
    })?;
    let attributes = ImageAttributes::read(path, &object)?;
    Ok(OpenedFile {
        path: path.to_path_buf(),
        object,
        attributes,
    })
}

impl OpenedFile {
    /// Checks NumberOfFrames × Rows × Columns × SamplesPerPixel × BitsAllocated before the decoder allocates for it:
    /// native Pixel Data must hold that many bytes, and the decoded image must fit [`crate::ReadLimits`].
    fn check_declared_size(&self) -> Result<()> {
        let attrs = &self.attributes;
        let what = "NumberOfFrames (0028,0008) × Rows (0028,0010) × Columns (0028,0011) × SamplesPerPixel (0028,0002)";
        let voxels = crate::limits::declared_product(
            &self.path,
            what,
            &[
                u64::from(attrs.frames),
                u64::from(attrs.rows),
                u64::from(attrs.columns),
                u64::from(attrs.samples_per_pixel.max(1)),
            ],
        )?;
        let native_bytes = self
            .object
            .get(dicom_dictionary_std::tags::PIXEL_DATA)
            .and_then(|e| e.value().primitive())
            .map(|p| p.calculate_byte_len() as u64);
        match native_bytes {
            Some(available) => {
                let bits = u64::from(attrs.bits_allocated);
                // 1-bit data is packed: eight samples per byte.
                let (n, word) = if bits == 1 {
                    (voxels.div_ceil(8), 1)
                } else {
                    (voxels, bits / 8)
                };
                crate::limits::check_payload(&self.path, what, n, word, available, false)?;
                // Packed 1-bit data still decodes to one byte per sample.
                crate::limits::ReadLimits::current()?.check(
                    &self.path,
                    what,
                    crate::limits::declared_product(&self.path, what, &[voxels, 8])?,
                )
            }
            // Encapsulated (compressed) data: codecs reach any ratio on a constant image, so only the limit applies.
            None => crate::limits::ReadLimits::current()?.check(
                &self.path,
                what,
                crate::limits::declared_product(&self.path, what, &[voxels, 8])?,
            ),
        }
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::Dicom {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// Decodes the Pixel Data into stored values.
    pub fn decode(&self) -> Result<StoredPixels> {
        let attrs = &self.attributes;
        if !attrs.has_pixel_data {
            return Err(self.error("no Pixel Data (7FE0,0010)"));
        }
        if !transfer_syntax_supported(&attrs.transfer_syntax_uid) {
            return Err(Error::DicomTransferSyntax {
                path: self.path.clone(),
                uid: attrs.transfer_syntax_uid.clone(),
                name: attrs.transfer_syntax_name().to_string(),
            });
        }
        let bits_allocated = attrs.bits_allocated;
        if !matches!(bits_allocated, 1 | 8 | 16 | 32) {
            return Err(self.error(format!(
                "unsupported BitsAllocated `{bits_allocated}`; expected 1, 8, 16 or 32"
            )));
        }
        self.check_declared_size()?;
        let bits_stored = if attrs.bits_stored == 0 || attrs.bits_stored > bits_allocated {
            bits_allocated
        } else {
            attrs.bits_stored
        };
        // Third-party decoders can panic on corrupt data (dicom-transfer-syntax-registry 0.10.1's RLE decoder indexes
        // out of bounds on a damaged segment): the panic is turned into an error naming the file.
        let decoded = mmrad_core::contain::contain(|| self.object.decode_pixel_data())
            .map_err(|_| {
                self.error(format!(
                    "the {} decoder failed on corrupt Pixel Data (transfer syntax `{}`)",
                    attrs.transfer_syntax_name(),
                    attrs.transfer_syntax_uid
                ))
            })?
            .map_err(|e| {
                self.error(format!(
                    "cannot decode Pixel Data with transfer syntax `{}` ({}): {e}",
                    attrs.transfer_syntax_uid,
                    attrs.transfer_syntax_name()
                ))
            })?;
        let rows = attrs.rows as usize;
        let columns = attrs.columns as usize;
        let frames = attrs.frames as usize;
        let samples = usize::from(attrs.samples_per_pixel.max(1));
        let n_values = frames
            .checked_mul(rows)
            .and_then(|n| n.checked_mul(columns))
            .and_then(|n| n.checked_mul(samples))
            .ok_or_else(|| {
                self.error("image size overflows (NumberOfFrames × Rows × Columns × SamplesPerPixel)")
            })?;
        let bytes = decoded.data();
        let signed = attrs.pixel_representation == 1;
        let mut values: Vec<i64> = match bits_allocated {
            // dicom-pixeldata expands native 1-bit data to one byte per sample holding 0 or 255.
            1 => bytes.iter().map(|&b| i64::from(b != 0)).collect(),
            8 => bytes.iter().map(|&b| i64::from(b)).collect(),
            16 => bytes
                .chunks_exact(2)
                .map(|c| i64::from(u16::from_ne_bytes([c[0], c[1]])))
                .collect(),
            _ => bytes
                .chunks_exact(4)
                .map(|c| i64::from(u32::from_ne_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
        };
        if values.len() < n_values {
            return Err(self.error(format!(
                "Pixel Data holds {} samples, expected {n_values} ({frames} frames × {rows} rows × {columns} columns × \
                 {samples} samples)",
                values.len()
            )));
        }
        values.truncate(n_values);
        if bits_allocated > 1 {
            let mask: i64 = (1i64 << bits_stored) - 1;
            let sign_bit: i64 = 1i64 << (bits_stored - 1);
            for v in &mut values {
                let raw = *v & mask;
                *v = if signed && raw & sign_bit != 0 {
                    raw - (1i64 << bits_stored)
                } else {
                    raw
                };
            }
        }
        let encapsulated = !matches!(
            attrs.transfer_syntax_uid.as_str(),
            "1.2.840.10008.1.2" | "1.2.840.10008.1.2.1" | "1.2.840.10008.1.2.1.99" | "1.2.840.10008.1.2.2"
        );
        if samples > 1 && !encapsulated && attrs.planar_configuration == Some(1) {
            values = interleave(&values, frames, rows * columns, samples);
        }
        let photometric = if samples == 3 && encapsulated {
            "RGB".to_string()
        } else {
            attrs.photometric.clone()
        };
        Ok(StoredPixels {
            values,
            frames,
            rows,
            columns,
            samples,
            photometric,
        })
    }
}

/// Converts colour-by-plane data (R plane, G plane, B plane per frame) to interleaved samples.
fn interleave(values: &[i64], frames: usize, pixels: usize, samples: usize) -> Vec<i64> {
    let mut out = vec![0i64; values.len()];
    let frame_len = pixels * samples;
    for f in 0..frames {
        for s in 0..samples {
            for p in 0..pixels {
                out[f * frame_len + p * samples + s] = values[f * frame_len + s * pixels + p];
            }
        }
    }
    out
}

/// numpy dtype name and byte width of stored values, as pydicom reports them.
pub(crate) fn dtype(attrs: &ImageAttributes) -> (&'static str, usize) {
    let signed = attrs.pixel_representation == 1;
    match (attrs.bits_allocated, signed) {
        (1, _) => ("uint8", 1),
        (8, false) => ("uint8", 1),
        (8, true) => ("int8", 1),
        (16, false) => ("uint16", 2),
        (16, true) => ("int16", 2),
        (_, false) => ("uint32", 4),
        (_, true) => ("int32", 4),
    }
}

/// SHA-256 of the stored values written as little-endian integers of `width` bytes (two's complement).
pub(crate) fn sha256_le(values: &[i64], width: usize) -> String {
    let mut hasher = Sha256::new();
    let mut buffer = Vec::with_capacity(values.len() * width);
    for &v in values {
        let bytes = v.to_le_bytes();
        buffer.extend_from_slice(&bytes[..width.min(8)]);
    }
    hasher.update(&buffer);
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl StoredPixels {
    /// Grey values of one frame (row-major, `rows × columns`), before rescale.
    ///
    /// MONOCHROME2 is returned as stored. MONOCHROME1 is inverted to MONOCHROME2 as `min + max − v`, with `min` and
    /// `max` the limits of the stored range (`0 … 2^BitsStored − 1` unsigned, `−2^(BitsStored−1) …
    /// 2^(BitsStored−1) − 1` signed), so inversion does not depend on the image content. RGB (and YBR_FULL, first
    /// converted to RGB by PS3.3 C.7.6.3.1.2) becomes luminance by the weights of `rule`.
    pub fn grey_frame(
        &self,
        frame: usize,
        attrs: &ImageAttributes,
        rule: ColourRule,
        path: &Path,
    ) -> Result<Vec<f64>> {
        let pixels = self.rows * self.columns;
        let start = frame * pixels * self.samples;
        let Some(data) = self.values.get(start..start + pixels * self.samples) else {
            return Err(Error::Dicom {
                path: path.to_path_buf(),
                message: format!("frame {frame} is out of range"),
            });
        };
        let photometric = self.photometric.as_str();
        match (self.samples, photometric) {
            (1, "MONOCHROME2") | (1, "") => Ok(data.iter().map(|&v| v as f64).collect()),
            (1, "MONOCHROME1") => {
                let bits = if attrs.bits_stored == 0 {
                    attrs.bits_allocated
                } else {
                    attrs.bits_stored
                };
                let bits = i32::from(bits.clamp(1, 32));
                let (lo, hi) = if attrs.pixel_representation == 1 {
                    (-(2f64.powi(bits - 1)), 2f64.powi(bits - 1) - 1.0)
                } else {
                    (0.0, 2f64.powi(bits) - 1.0)
                };
                Ok(data.iter().map(|&v| lo + hi - v as f64).collect())
            }
            (1, "PALETTE COLOR") => {
                let Some(palette) = &attrs.palette else {
                    return Err(Error::Dicom {
                        path: path.to_path_buf(),
                        message: "PALETTE COLOR without a readable palette lookup table (indirect segments are not supported)"
                            .into(),
                    });
                };
                let [wr, wg, wb] = rule.weights();
                let last = palette.red.len() as i64 - 1;
                Ok(data
                    .iter()
                    .map(|&v| {
                        let index = (v - palette.first_mapped).clamp(0, last) as usize;
                        wr * palette.red[index] + wg * palette.green[index] + wb * palette.blue[index]
                    })
                    .collect())
            }
            (3, "RGB") => {
                let [wr, wg, wb] = rule.weights();
                Ok(data
                    .chunks_exact(3)
                    .map(|c| wr * c[0] as f64 + wg * c[1] as f64 + wb * c[2] as f64)
                    .collect())
            }
            (3, "YBR_FULL") | (3, "YBR_FULL_422") => {
                let [wr, wg, wb] = rule.weights();
                let max = 2f64.powi(i32::from(attrs.bits_stored.clamp(1, 16))) - 1.0;
                let half = (max + 1.0) / 2.0;
                Ok(data
                    .chunks_exact(3)
                    .map(|c| {
                        let (y, cb, cr) = (c[0] as f64, c[1] as f64 - half, c[2] as f64 - half);
                        let r = (y + 1.402 * cr).clamp(0.0, max);
                        let g = (y - 0.344_136 * cb - 0.714_136 * cr).clamp(0.0, max);
                        let b = (y + 1.772 * cb).clamp(0.0, max);
                        wr * r + wg * g + wb * b
                    })
                    .collect())
            }
            (samples, other) => Err(Error::Dicom {
                path: path.to_path_buf(),
                message: format!(
                    "unsupported PhotometricInterpretation `{other}` with {samples} samples per pixel; \
                     expected MONOCHROME1, MONOCHROME2, RGB or YBR_FULL"
                ),
            }),
        }
    }
}
