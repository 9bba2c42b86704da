//! DICOM pixel decoding: opens a file (read once; native little-endian Pixel Data stays in the file's bytes, the data
//! set is parsed up to it), decodes its Pixel Data into stored values (before rescale, bits outside BitsStored masked,
//! signed values sign-extended) — native words as they lie in the file, JPEG 2000 through OpenJPEG (`jpeg2k`), every
//! other syntax (deflate, big endian, RLE, JPEG, JPEG-LS, 1-bit) through `dicom-pixeldata` — and converts a frame to
//! grey (MONOCHROME1 inversion, palette, RGB/YBR to luminance) with the rescale fused into the same pass.

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};

use dicom_encoding::adapters::PixelDataObject;
use dicom_object::file::ReadPreamble;
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
    /// Native little-endian Pixel Data left in the file's bytes: `object` was parsed up to it and does not hold it.
    native: Option<NativePixelData>,
}

/// The bytes of a file and the range of its Pixel Data value.
struct NativePixelData {
    file: Vec<u8>,
    range: Range<usize>,
}

/// Decoded stored values of a whole file, in frame, row, column, sample order (samples interleaved): little-endian
/// words as stored (borrowed from the file for native data), masked to BitsStored and sign-extended when read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredPixels<'a> {
    bytes: Cow<'a, [u8]>,
    /// Bytes per stored word: 1, 2 or 4.
    word: usize,
    /// dicom-pixeldata's expansion of 1-bit data: one byte of 0 or 255 per sample, read as 0 or 1.
    one_bit: bool,
    bits_stored: u32,
    signed: bool,
    /// Colour by plane (PlanarConfiguration 1, native data): each frame holds all R, then all G, then all B.
    planar: bool,
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
    let layout = crate::dicom::scan::check_lengths(path, &bytes)?;
    let (object, mut native) = match layout.native_pixel_data {
        Some(range) => (
            parse(path, &bytes, true)?,
            Some(NativePixelData { file: bytes, range }),
        ),
        None => (parse(path, &bytes, false)?, None),
    };
    let attributes = ImageAttributes::read(path, &object, native.is_some())?;
    let object = match native.as_ref() {
        // 1-bit data (and other widths, which `decode` refuses) go through dicom-pixeldata, which needs the element.
        Some(data) if !matches!(attributes.bits_allocated, 8 | 16 | 32) => {
            let object = parse(path, &data.file, false)?;
            native = None;
            object
        }
        _ => object,
    };
    Ok(OpenedFile {
        path: path.to_path_buf(),
        object,
        attributes,
        native,
    })
}

/// Parses a DICOM file from its bytes, up to (not including) the Pixel Data when `until_pixel_data`, with the
/// preamble handling of `OpenFileOptions::open_file`.
fn parse(path: &Path, bytes: &[u8], until_pixel_data: bool) -> Result<DefaultDicomObject> {
    // As `open_file`: the 128-byte preamble is skipped unless the file starts with `DICM` (and has no `DICM` at
    // byte 128); `from_reader` alone would not guess.
    let source = if bytes.get(..4) == Some(b"DICM") && bytes.get(128..132) != Some(b"DICM") {
        bytes
    } else {
        bytes.get(128..).unwrap_or_default()
    };
    let mut options = OpenFileOptions::new().read_preamble(ReadPreamble::Never);
    if until_pixel_data {
        options = options.read_until(dicom_dictionary_std::tags::PIXEL_DATA);
    }
    let opened = mmrad_core::contain::contain(|| options.from_reader(source)).map_err(|_| Error::Dicom {
        path: path.to_path_buf(),
        message: "the DICOM parser failed on a corrupt data set".into(),
    })?;
    opened.map_err(|e| Error::Dicom {
        path: path.to_path_buf(),
        message: format!("not a readable DICOM file ({e})"),
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
        let native_bytes = match &self.native {
            Some(native) => Some(native.range.len() as u64),
            None => self
                .object
                .get(dicom_dictionary_std::tags::PIXEL_DATA)
                .and_then(|e| e.value().primitive())
                .map(|p| p.calculate_byte_len() as u64),
        };
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

    /// The raw bytes of native (not encapsulated) Pixel Data, as stored.
    ///
    /// # Errors
    /// When the file has no Pixel Data or its value is not a byte string.
    pub fn native_pixel_bytes(&self) -> Result<Cow<'_, [u8]>> {
        if let Some(native) = &self.native {
            return Ok(Cow::Borrowed(
                native.file.get(native.range.clone()).unwrap_or_default(),
            ));
        }
        let element = self
            .object
            .get(dicom_dictionary_std::tags::PIXEL_DATA)
            .ok_or_else(|| self.error("no Pixel Data (7FE0,0010)"))?;
        element
            .to_bytes()
            .map_err(|e| self.error(format!("unreadable Pixel Data (7FE0,0010): {e}")))
    }

    /// Decodes the Pixel Data into stored values.
    pub fn decode(&self) -> Result<StoredPixels<'_>> {
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
        let jpeg2000 = matches!(
            attrs.transfer_syntax_uid.as_str(),
            "1.2.840.10008.1.2.4.90" | "1.2.840.10008.1.2.4.91"
        );
        let bytes: Cow<'_, [u8]> = match &self.native {
            Some(native) => Cow::Borrowed(native.file.get(native.range.clone()).unwrap_or_default()),
            None if jpeg2000 => Cow::Owned(self.decode_jpeg2000()?),
            None => Cow::Owned(self.decode_with_dicom_pixeldata()?),
        };
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
        // dicom-pixeldata expands native 1-bit data to one byte per sample holding 0 or 255.
        let word = usize::from(bits_allocated.div_ceil(8));
        let n_held = bytes.len() / word;
        if n_held < n_values {
            return Err(self.error(format!(
                "Pixel Data holds {n_held} samples, expected {n_values} ({frames} frames × {rows} rows × {columns} \
                 columns × {samples} samples)"
            )));
        }
        let encapsulated = !matches!(
            attrs.transfer_syntax_uid.as_str(),
            "1.2.840.10008.1.2" | "1.2.840.10008.1.2.1" | "1.2.840.10008.1.2.1.99" | "1.2.840.10008.1.2.2"
        );
        let photometric = if samples == 3 && encapsulated {
            "RGB".to_string()
        } else {
            attrs.photometric.clone()
        };
        Ok(StoredPixels {
            bytes,
            word,
            one_bit: bits_allocated == 1,
            bits_stored: u32::from(bits_stored),
            signed: attrs.pixel_representation == 1,
            planar: samples > 1 && !encapsulated && attrs.planar_configuration == Some(1),
            frames,
            rows,
            columns,
            samples,
            photometric,
        })
    }

    /// JPEG 2000 frames decoded by OpenJPEG (`jpeg2k`), written as little-endian words of BitsAllocated, samples
    /// interleaved: what dicom-pixeldata's JPEG 2000 adapter does, without its per-sample copy loop (a third of the
    /// time of a small lossy image). Each frame's codestream is found as dicom-pixeldata finds it
    /// (`PixelDataObject::frame_pixel_data`).
    fn decode_jpeg2000(&self) -> Result<Vec<u8>> {
        let attrs = &self.attributes;
        let failed = |what: String| {
            self.error(format!(
                "cannot decode Pixel Data with transfer syntax `{}` ({}): {what}",
                attrs.transfer_syntax_uid,
                attrs.transfer_syntax_name()
            ))
        };
        let word = match attrs.bits_allocated {
            8 => 1,
            16 => 2,
            other => {
                return Err(failed(format!(
                    "BitsAllocated `{other}`; JPEG 2000 images are read with 8 or 16"
                )));
            }
        };
        let pixels = attrs.rows as usize * attrs.columns as usize;
        let samples = usize::from(attrs.samples_per_pixel.max(1));
        let frame_len = pixels * samples * word;
        let mut out = vec![0u8; frame_len * attrs.frames as usize];
        for (frame, frame_out) in out.chunks_exact_mut(frame_len).enumerate() {
            let codestream = u32::try_from(frame)
                .ok()
                .and_then(|f| self.object.frame_pixel_data(f))
                .ok_or_else(|| failed(format!("no fragments for frame {frame}")))?;
            // OpenJPEG is C; jpeg2k's Rust wrapper around it can still panic on an inconsistent image.
            let image = mmrad_core::contain::contain(|| jpeg2k::Image::from_bytes(&codestream))
                .map_err(|_| failed(format!("the decoder failed on frame {frame}")))?
                .map_err(|e| failed(format!("frame {frame}: {e}")))?;
            let components = image.components();
            if components.len() < samples {
                return Err(failed(format!(
                    "frame {frame} has {} components; SamplesPerPixel is {samples}",
                    components.len()
                )));
            }
            for (component_idx, component) in components.iter().take(samples).enumerate() {
                let data = component.data();
                if data.len() != pixels {
                    return Err(failed(format!(
                        "component {component_idx} of frame {frame} holds {} samples; Rows × Columns is {pixels}",
                        data.len()
                    )));
                }
                // Values are cut to the word as the adapter cuts them (`to_le_bytes()[..word]`).
                let pixel_stride = samples * word;
                let at = component_idx * word;
                match word {
                    1 => {
                        for (dst, &v) in frame_out.chunks_exact_mut(pixel_stride).zip(data) {
                            dst[at] = v as u8;
                        }
                    }
                    _ => {
                        for (dst, &v) in frame_out.chunks_exact_mut(pixel_stride).zip(data) {
                            let [b0, b1] = (v as u16).to_le_bytes();
                            dst[at] = b0;
                            dst[at + 1] = b1;
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Pixel Data decoded by dicom-pixeldata (encapsulated, deflated, big endian or 1-bit data), as little-endian
    /// words.
    fn decode_with_dicom_pixeldata(&self) -> Result<Vec<u8>> {
        let attrs = &self.attributes;
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
        let mut bytes = decoded.into_data();
        // dicom-pixeldata returns words in the machine's byte order.
        if cfg!(target_endian = "big") {
            let word = usize::from(attrs.bits_allocated.div_ceil(8));
            for chunk in bytes.chunks_exact_mut(word) {
                chunk.reverse();
            }
        }
        Ok(bytes)
    }
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

impl StoredPixels<'_> {
    /// The stored value of word `index` of the buffer (in stored order), masked to BitsStored and sign-extended.
    fn stored(&self, index: usize) -> i64 {
        let at = index * self.word;
        let raw = match self.bytes.get(at..at + self.word) {
            Some(&[b]) if self.one_bit => return i64::from(b != 0),
            Some(&[b]) => u64::from(b),
            Some(&[b0, b1]) => u64::from(u16::from_le_bytes([b0, b1])),
            Some(&[b0, b1, b2, b3]) => u64::from(u32::from_le_bytes([b0, b1, b2, b3])),
            _ => 0,
        };
        word_value(raw, 64 - self.bits_stored, self.signed)
    }

    /// Every stored value, in frame, row, column, sample order (colour-by-plane data interleaved).
    pub fn values(&self) -> Vec<i64> {
        let n_values = self.frames * self.rows * self.columns * self.samples;
        if !self.planar {
            return (0..n_values).map(|k| self.stored(k)).collect();
        }
        let pixels = self.rows * self.columns;
        let frame_len = pixels * self.samples;
        (0..n_values)
            .map(|k| {
                let (frame, within) = (k / frame_len, k % frame_len);
                let (pixel, sample) = (within / self.samples, within % self.samples);
                self.stored(frame * frame_len + sample * pixels + pixel)
            })
            .collect()
    }

    /// Appends the grey values of one frame (row-major, `rows × columns`) to `out`, each followed by `rescale`
    /// (`v · slope + intercept`) when given.
    ///
    /// MONOCHROME2 is taken as stored. MONOCHROME1 is inverted to MONOCHROME2 as `min + max − v`, with `min` and
    /// `max` the limits of the stored range (`0 … 2^BitsStored − 1` unsigned, `−2^(BitsStored−1) …
    /// 2^(BitsStored−1) − 1` signed), so inversion does not depend on the image content. RGB (and YBR_FULL, first
    /// converted to RGB by PS3.3 C.7.6.3.1.2) becomes luminance by the weights of `rule`.
    pub fn extend_grey_frame(
        &self,
        frame: usize,
        attrs: &ImageAttributes,
        rule: ColourRule,
        rescale: Option<(f64, f64)>,
        out: &mut Vec<f64>,
        path: &Path,
    ) -> Result<()> {
        if frame >= self.frames {
            return Err(Error::Dicom {
                path: path.to_path_buf(),
                message: format!("frame {frame} is out of range"),
            });
        }
        let photometric = self.photometric.as_str();
        match (self.samples, photometric) {
            (1, "MONOCHROME2") | (1, "") => match rescale {
                Some((slope, intercept)) => {
                    self.extend_mapped(frame, out, move |v| v as f64 * slope + intercept)
                }
                None => self.extend_mapped(frame, out, |v| v as f64),
            },
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
                match rescale {
                    Some((slope, intercept)) => {
                        self.extend_mapped(frame, out, move |v| (lo + hi - v as f64) * slope + intercept)
                    }
                    None => self.extend_mapped(frame, out, move |v| lo + hi - v as f64),
                }
            }
            (1, "PALETTE COLOR") => {
                let palette = match &attrs.palette {
                    Some(Ok(palette)) => palette,
                    Some(Err(reason)) => {
                        return Err(Error::Dicom {
                            path: path.to_path_buf(),
                            message: format!("PALETTE COLOR with an unusable palette lookup table: {reason}"),
                        });
                    }
                    None => {
                        return Err(Error::Dicom {
                            path: path.to_path_buf(),
                            message:
                                "PALETTE COLOR without Red/Green/Blue Palette Color Lookup Table Descriptors \
                                      (0028,1101-1103)"
                                    .into(),
                        });
                    }
                };
                let [wr, wg, wb] = rule.weights();
                let last = palette.red.len() as i64 - 1;
                let grey = |v: i64| {
                    let index = (v - palette.first_mapped).clamp(0, last) as usize;
                    wr * palette.red[index] + wg * palette.green[index] + wb * palette.blue[index]
                };
                match rescale {
                    Some((slope, intercept)) => {
                        self.extend_mapped(frame, out, move |v| grey(v) * slope + intercept)
                    }
                    None => self.extend_mapped(frame, out, grey),
                }
            }
            (3, "RGB") => {
                let [wr, wg, wb] = rule.weights();
                let data = self.frame_values(frame);
                out.extend(
                    data.chunks_exact(3)
                        .map(|c| wr * c[0] as f64 + wg * c[1] as f64 + wb * c[2] as f64),
                );
            }
            (3, "YBR_FULL") | (3, "YBR_FULL_422") => {
                let [wr, wg, wb] = rule.weights();
                let max = 2f64.powi(i32::from(attrs.bits_stored.clamp(1, 16))) - 1.0;
                let half = (max + 1.0) / 2.0;
                let data = self.frame_values(frame);
                out.extend(data.chunks_exact(3).map(|c| {
                    let (y, cb, cr) = (c[0] as f64, c[1] as f64 - half, c[2] as f64 - half);
                    let r = (y + 1.402 * cr).clamp(0.0, max);
                    let g = (y - 0.344_136 * cb - 0.714_136 * cr).clamp(0.0, max);
                    let b = (y + 1.772 * cb).clamp(0.0, max);
                    wr * r + wg * g + wb * b
                }));
            }
            (samples, other) => {
                return Err(Error::Dicom {
                    path: path.to_path_buf(),
                    message: format!(
                        "unsupported PhotometricInterpretation `{other}` with {samples} samples per pixel; \
                         expected MONOCHROME1, MONOCHROME2, RGB or YBR_FULL"
                    ),
                });
            }
        }
        Ok(())
    }

    /// The stored values of one frame of colour data, samples interleaved.
    fn frame_values(&self, frame: usize) -> Vec<i64> {
        let pixels = self.rows * self.columns;
        let frame_len = pixels * self.samples;
        let base = frame * frame_len;
        (0..frame_len)
            .map(|k| {
                if self.planar {
                    let (pixel, sample) = (k / self.samples, k % self.samples);
                    self.stored(base + sample * pixels + pixel)
                } else {
                    self.stored(base + k)
                }
            })
            .collect()
    }

    /// Appends `map(v)` for every stored value `v` of one single-sample frame: the hot loop of reading, one pass
    /// from the stored words to the output with the word size, mask and sign fixed outside it (8- and 16-bit words
    /// in 32-bit arithmetic, which the compiler turns into vector instructions).
    fn extend_mapped(&self, frame: usize, out: &mut Vec<f64>, map: impl Fn(i64) -> f64) {
        let pixels = self.rows * self.columns;
        let start = frame * pixels * self.word;
        let Some(bytes) = self.bytes.get(start..start + pixels * self.word) else {
            return;
        };
        let shift = 64 - self.bits_stored;
        let shift32 = 32_u32.saturating_sub(self.bits_stored);
        let first = out.len();
        out.resize(first + bytes.len() / self.word, 0.0);
        let Some(dst) = out.get_mut(first..) else {
            return;
        };
        match (self.word, self.one_bit, self.signed) {
            (1, true, _) => {
                for (d, &b) in dst.iter_mut().zip(bytes) {
                    *d = map(i64::from(b != 0));
                }
            }
            (1, false, signed) => {
                for (d, &b) in dst.iter_mut().zip(bytes) {
                    *d = map(i64::from(short_word_value(u32::from(b), shift32, signed)));
                }
            }
            (2, _, false) => {
                for (d, c) in dst.iter_mut().zip(bytes.chunks_exact(2)) {
                    let raw = u32::from(u16::from_le_bytes([c[0], c[1]]));
                    *d = map(i64::from(short_word_value(raw, shift32, false)));
                }
            }
            (2, _, true) => {
                for (d, c) in dst.iter_mut().zip(bytes.chunks_exact(2)) {
                    let raw = u32::from(u16::from_le_bytes([c[0], c[1]]));
                    *d = map(i64::from(short_word_value(raw, shift32, true)));
                }
            }
            (_, _, signed) => {
                for (d, c) in dst.iter_mut().zip(bytes.chunks_exact(4)) {
                    let raw = u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
                    *d = map(word_value(raw, shift, signed));
                }
            }
        }
    }
}

/// A stored 8- or 16-bit word masked to its low `32 − shift` bits (BitsStored), sign-extended when `signed`.
#[inline(always)]
fn short_word_value(raw: u32, shift: u32, signed: bool) -> i32 {
    let high = raw << shift;
    if signed {
        (high as i32) >> shift
    } else {
        (high >> shift) as i32
    }
}

/// A stored word masked to its low `64 − shift` bits (BitsStored), sign-extended when `signed`.
#[inline(always)]
fn word_value(raw: u64, shift: u32, signed: bool) -> i64 {
    let high = raw << shift;
    if signed {
        (high as i64) >> shift
    } else {
        (high >> shift) as i64
    }
}
