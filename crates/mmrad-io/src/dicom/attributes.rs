//! DICOM attribute reading: the non-identifying image attributes of one file (pixel module, geometry, rescale,
//! functional groups) and the transfer syntax table. Never reads patient, study-date or institution attributes.

use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject, Tag};

use crate::{Error, Result};

/// Geometry and rescale of one frame, from the per-frame (or shared) functional groups or the top-level attributes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct FrameAttributes {
    pub position: Option<[f64; 3]>,
    pub orientation: Option<[f64; 6]>,
    pub pixel_spacing: Option<[f64; 2]>,
    pub rescale: Option<(f64, f64)>,
}

/// The attributes of one DICOM file that mmrad uses; no patient-identifying attribute is read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImageAttributes {
    pub transfer_syntax_uid: String,
    pub sop_class_uid: Option<String>,
    pub series_uid: Option<String>,
    /// FrameOfReferenceUID (0020,0052): the patient coordinate system of the image positions.
    pub frame_of_reference_uid: Option<String>,
    pub modality: Option<String>,
    pub has_pixel_data: bool,
    pub rows: u32,
    pub columns: u32,
    pub frames: u32,
    pub samples_per_pixel: u16,
    pub photometric: String,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub high_bit: u16,
    pub pixel_representation: u16,
    pub planar_configuration: Option<u16>,
    pub pixel_spacing: Option<[f64; 2]>,
    pub imager_pixel_spacing: Option<[f64; 2]>,
    /// Physical deltas (mm) of the first ultrasound region, converted from cm.
    pub ultrasound_spacing: Option<[f64; 2]>,
    pub slice_thickness: Option<f64>,
    pub spacing_between_slices: Option<f64>,
    pub position: Option<[f64; 3]>,
    pub orientation: Option<[f64; 6]>,
    pub rescale_slope: Option<f64>,
    pub rescale_intercept: Option<f64>,
    /// One entry per frame when the file has functional groups, else empty.
    pub per_frame: Vec<FrameAttributes>,
    /// From the shared functional groups sequence, when present.
    pub shared: Option<FrameAttributes>,
    /// Palette colour lookup tables (plain, or 16-bit segmented expanded) when the file has them, or why they
    /// cannot be used.
    pub palette: Option<std::result::Result<Palette, String>>,
}

/// Palette Color Lookup Tables (PS3.3 C.7.6.3.1.5): red, green and blue entries, indexed by stored value − first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Palette {
    pub first_mapped: i64,
    pub red: Vec<f64>,
    pub green: Vec<f64>,
    pub blue: Vec<f64>,
}

/// One channel of the palette: its first mapped value and its entries, or why it cannot be used.
fn palette_channel(
    obj: &InMemDicomObject,
    colour: &str,
    descriptor: Tag,
    data: Tag,
    segmented: Tag,
) -> std::result::Result<(i64, Vec<f64>), String> {
    let desc: Vec<i64> = obj
        .get(descriptor)
        .and_then(|e| e.to_multi_int::<i64>().ok())
        .filter(|d| d.len() >= 3)
        .ok_or_else(|| format!("{colour} Palette Color Lookup Table Descriptor missing or not 3 numbers"))?;
    let n_entries = match desc[0] {
        0 => 65_536,
        n if n < 0 => n + 65_536,
        n => n,
    } as usize;
    let (first, bits) = (desc[1], desc[2]);
    let short = |n: usize| format!("{colour} table holds {n} entries; its descriptor declares {n_entries}");
    let entries: Vec<f64> = if let Some(element) = obj.get(data) {
        let words: Vec<u16> = element
            .to_multi_int::<u16>()
            .map_err(|_| format!("{colour} Palette Color Lookup Table Data unreadable"))?;
        if words.len() >= n_entries {
            words.iter().take(n_entries).map(|&w| f64::from(w)).collect()
        } else if bits == 8 && words.len() * 2 >= n_entries {
            words
                .iter()
                .flat_map(|w| w.to_le_bytes())
                .take(n_entries)
                .map(f64::from)
                .collect()
        } else {
            return Err(short(words.len()));
        }
    } else if let Some(element) = obj.get(segmented) {
        if bits != 16 {
            return Err(format!(
                "{colour} segmented table with {bits}-bit entries; only 16-bit segmented tables are read"
            ));
        }
        let words: Vec<u16> = element
            .to_multi_int::<u16>()
            .map_err(|_| format!("Segmented {colour} Palette Color Lookup Table Data unreadable"))?;
        let mut lut = expand_segmented_lut(&words, n_entries).ok_or_else(|| {
            format!(
                "Segmented {colour} Palette Color Lookup Table Data is malformed (a segment runs past the table, an \
                 indirect segment points outside it or at another indirect segment, a linear segment comes first, \
                 or an unknown segment type)"
            )
        })?;
        if lut.len() < n_entries {
            return Err(short(lut.len()));
        }
        lut.truncate(n_entries);
        lut
    } else {
        return Err(format!("no {colour} Palette Color Lookup Table Data"));
    };
    Ok((first, entries))
}

/// Expands a 16-bit Segmented Palette Color Lookup Table (PS3.3 C.7.9.2) up to `n_entries` entries (later segments
/// would be cut off anyway, and stopping there bounds the work on a hostile table).
///
/// Discrete segments (opcode 0) copy their values; linear segments (opcode 1) run from the previous entry to the
/// segment's end value in `length` steps, rounded half to even, exactly as pydicom's `_expand_segmented_lut` (numpy
/// `linspace` then `around`); indirect segments (opcode 2) expand again `length` segments starting at a byte offset
/// from the start of the table (a 32-bit value stored as low word, high word), a linear one among them continuing
/// from the entry written last. The offset is in bytes as PS3.3 C.7.9.2.3 and GDCM read it; pydicom uses it as a
/// word index, which agrees at offset 0, the only offset real tables are known to use. A malformed table (an
/// indirect segment pointing at or copying another indirect segment, or outside the table; a linear segment first;
/// an unknown opcode; a segment running past the end) gives `None`.
fn expand_segmented_lut(words: &[u16], n_entries: usize) -> Option<Vec<f64>> {
    let mut lut: Vec<f64> = Vec::new();
    expand_segments(words, 0, None, n_entries, &mut lut)?;
    Some(lut)
}

/// Expands the segments of `words` from word `start` onto `lut`: every segment, or `copies` of them (inside an
/// indirect segment, where another indirect segment is an error).
fn expand_segments(
    words: &[u16],
    start: usize,
    copies: Option<usize>,
    n_entries: usize,
    lut: &mut Vec<f64>,
) -> Option<()> {
    let mut offset = start;
    let mut n_segments = 0;
    // `offset + 1 < len` allows a trailing padding word, as pydicom does.
    while offset + 1 < words.len() && copies.is_none_or(|n| n_segments < n) && lut.len() < n_entries {
        let opcode = words[offset];
        let length = usize::from(words[offset + 1]);
        offset += 2;
        match opcode {
            0 => {
                let values = words.get(offset..offset + length)?;
                lut.extend(values.iter().map(|&w| f64::from(w)));
                offset += length;
            }
            1 => {
                let y0 = *lut.last()?;
                let y1 = f64::from(*words.get(offset)?);
                offset += 1;
                if y0 == y1 || length == 0 {
                    lut.extend(std::iter::repeat_n(y1, length));
                } else {
                    // numpy.linspace(y0 + step, y1, length): start + k · (stop − start) / (length − 1), last = stop.
                    let step = (y1 - y0) / length as f64;
                    let start = y0 + step;
                    let div = length.saturating_sub(1);
                    for k in 0..length {
                        let value = if k + 1 == length && div > 0 {
                            y1
                        } else if div > 0 {
                            k as f64 * ((y1 - start) / div as f64) + start
                        } else {
                            start
                        };
                        lut.push(value.round_ties_even());
                    }
                }
            }
            2 if copies.is_none() && !lut.is_empty() => {
                let low = u32::from(*words.get(offset)?);
                let high = u32::from(*words.get(offset + 1)?);
                offset += 2;
                let byte_offset = usize::try_from(high << 16 | low).ok()?;
                if byte_offset % 2 != 0 || byte_offset / 2 >= words.len() {
                    return None;
                }
                expand_segments(words, byte_offset / 2, Some(length), n_entries, lut)?;
            }
            _ => return None,
        }
        n_segments += 1;
    }
    // An indirect segment copying more segments than the table holds is malformed, unless the table is full already.
    match copies {
        Some(n) if n_segments < n && lut.len() < n_entries => None,
        _ => Some(()),
    }
}

/// The palette of the image: `None` without a Red Palette Color Lookup Table Descriptor, else the tables or why they
/// cannot be used.
fn palette(obj: &InMemDicomObject) -> Option<std::result::Result<Palette, String>> {
    obj.get(tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR)?;
    let read = || {
        let (first_mapped, red) = palette_channel(
            obj,
            "Red",
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        )?;
        let (_, green) = palette_channel(
            obj,
            "Green",
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            tags::SEGMENTED_GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        )?;
        let (_, blue) = palette_channel(
            obj,
            "Blue",
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            tags::SEGMENTED_BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        )?;
        if red.is_empty() || red.len() != green.len() || red.len() != blue.len() {
            return Err(format!(
                "the red, green and blue tables hold {}, {} and {} entries; expected the same non-zero number",
                red.len(),
                green.len(),
                blue.len()
            ));
        }
        Ok(Palette {
            first_mapped,
            red,
            green,
            blue,
        })
    };
    Some(read())
}

fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let value = obj.get(tag)?.to_str().ok()?;
    let trimmed = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if trimmed.is_empty() {
        None
    } else {
        Some(trimmed.to_string())
    }
}

fn floats(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    obj.get(tag)?
        .to_multi_float64()
        .ok()
        .filter(|v| v.iter().all(|x| x.is_finite()))
}

/// Geometry and rescale attributes that, when present and not empty, must hold enough finite numbers: reading an
/// unparseable or NaN PixelSpacing as absent would silently put the image on a 1 mm grid.
const CHECKED_NUMBERS: [(Tag, &str, usize); 6] = [
    (tags::PIXEL_SPACING, "PixelSpacing (0028,0030)", 2),
    (tags::IMAGER_PIXEL_SPACING, "ImagerPixelSpacing (0018,1164)", 2),
    (
        tags::IMAGE_POSITION_PATIENT,
        "ImagePositionPatient (0020,0032)",
        3,
    ),
    (
        tags::IMAGE_ORIENTATION_PATIENT,
        "ImageOrientationPatient (0020,0037)",
        6,
    ),
    (tags::RESCALE_SLOPE, "RescaleSlope (0028,1053)", 1),
    (tags::RESCALE_INTERCEPT, "RescaleIntercept (0028,1052)", 1),
];

fn check_numbers(path: &Path, obj: &InMemDicomObject) -> Result<()> {
    for (tag, name, n) in CHECKED_NUMBERS {
        let Some(element) = obj.get(tag) else {
            continue;
        };
        let raw = element.to_str().map(|s| s.to_string()).unwrap_or_default();
        let shown = raw.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        if shown.is_empty() && element.to_multi_float64().is_ok_and(|v| v.is_empty()) {
            continue;
        }
        // dicom-core's DS parser refuses some forms Rust parses (`+1`, padded parts): retry part by part.
        let values = element.to_multi_float64().ok().or_else(|| {
            shown
                .split('\\')
                .filter(|p| !p.trim().is_empty())
                .map(|p| p.trim().parse::<f64>().ok())
                .collect::<Option<Vec<f64>>>()
        });
        if !values.is_some_and(|v| v.len() >= n && v.iter().take(n).all(|x| x.is_finite())) {
            let shown: String = shown.chars().take(80).collect();
            return Err(Error::Dicom {
                path: path.to_path_buf(),
                message: format!(
                    "{name} is `{shown}`; expected {n} finite number(s): fix or remove the attribute"
                ),
            });
        }
    }
    Ok(())
}

fn float(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    floats(obj, tag)?.first().copied()
}

fn array<const N: usize>(obj: &InMemDicomObject, tag: Tag) -> Option<[f64; N]> {
    let values = floats(obj, tag)?;
    values.get(..N)?.try_into().ok()
}

fn uint(obj: &InMemDicomObject, tag: Tag) -> Option<u32> {
    obj.get(tag)?.to_int::<u32>().ok()
}

fn first_item(obj: &InMemDicomObject, tag: Tag) -> Option<&InMemDicomObject> {
    obj.get(tag)?.items()?.first()
}

/// Reads the frame attributes held in one functional-groups item (shared or per-frame).
fn frame_attributes(group: &InMemDicomObject) -> FrameAttributes {
    let position =
        first_item(group, tags::PLANE_POSITION_SEQUENCE).and_then(|i| array(i, tags::IMAGE_POSITION_PATIENT));
    let orientation = first_item(group, tags::PLANE_ORIENTATION_SEQUENCE)
        .and_then(|i| array(i, tags::IMAGE_ORIENTATION_PATIENT));
    let pixel_spacing =
        first_item(group, tags::PIXEL_MEASURES_SEQUENCE).and_then(|i| array(i, tags::PIXEL_SPACING));
    let rescale = first_item(group, tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE)
        .and_then(|i| Some((float(i, tags::RESCALE_SLOPE)?, float(i, tags::RESCALE_INTERCEPT)?)));
    FrameAttributes {
        position,
        orientation,
        pixel_spacing,
        rescale,
    }
}

/// Physical units code of PS3.3 C.8.5.5.1.15 for centimetres.
const ULTRASOUND_UNITS_CM: u32 = 3;

/// Pixel spacing `[row spacing, column spacing]` in mm from the Sequence of Ultrasound Regions (0018,6011): the
/// first region whose PhysicalUnitsX/YDirection are both centimetres (code 3) and whose PhysicalDeltaX/Y are
/// positive; its deltas (cm per pixel) times 10. Regions in other units (seconds, cm/s, none) are not spatial and
/// are passed over, as pydicom users do when they pick the B-mode region.
fn ultrasound_spacing(obj: &InMemDicomObject) -> Option<[f64; 2]> {
    let regions = obj.get(tags::SEQUENCE_OF_ULTRASOUND_REGIONS)?.items()?;
    regions.iter().find_map(|region| {
        let units_x = uint(region, tags::PHYSICAL_UNITS_X_DIRECTION)?;
        let units_y = uint(region, tags::PHYSICAL_UNITS_Y_DIRECTION)?;
        if units_x != ULTRASOUND_UNITS_CM || units_y != ULTRASOUND_UNITS_CM {
            return None;
        }
        let dx = float(region, tags::PHYSICAL_DELTA_X)?.abs() * 10.0;
        let dy = float(region, tags::PHYSICAL_DELTA_Y)?.abs() * 10.0;
        (dx > 0.0 && dy > 0.0).then_some([dy, dx])
    })
}

impl ImageAttributes {
    /// Reads the attributes of an opened file; `pixel_data_elsewhere`: the object was parsed up to a Pixel Data
    /// element it does not hold.
    pub fn read(
        path: &Path,
        obj: &DefaultDicomObject,
        pixel_data_elsewhere: bool,
    ) -> Result<ImageAttributes> {
        let transfer_syntax_uid = obj.meta().transfer_syntax().to_string();
        let has_pixel_data = pixel_data_elsewhere || obj.get(tags::PIXEL_DATA).is_some();
        let mut per_frame = Vec::new();
        if let Some(items) = obj
            .get(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
            .and_then(|e| e.items())
        {
            per_frame = items.iter().map(frame_attributes).collect();
        }
        let shared = first_item(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).map(frame_attributes);
        let attributes = ImageAttributes {
            transfer_syntax_uid,
            sop_class_uid: text(obj, tags::SOP_CLASS_UID),
            series_uid: text(obj, tags::SERIES_INSTANCE_UID),
            frame_of_reference_uid: text(obj, tags::FRAME_OF_REFERENCE_UID),
            modality: text(obj, tags::MODALITY),
            has_pixel_data,
            rows: uint(obj, tags::ROWS).unwrap_or(0),
            columns: uint(obj, tags::COLUMNS).unwrap_or(0),
            frames: uint(obj, tags::NUMBER_OF_FRAMES).unwrap_or(1).max(1),
            samples_per_pixel: uint(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1) as u16,
            photometric: text(obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_default(),
            bits_allocated: uint(obj, tags::BITS_ALLOCATED).unwrap_or(0) as u16,
            bits_stored: uint(obj, tags::BITS_STORED).unwrap_or(0) as u16,
            high_bit: uint(obj, tags::HIGH_BIT).unwrap_or(0) as u16,
            pixel_representation: uint(obj, tags::PIXEL_REPRESENTATION).unwrap_or(0) as u16,
            planar_configuration: uint(obj, tags::PLANAR_CONFIGURATION).map(|v| v as u16),
            pixel_spacing: array(obj, tags::PIXEL_SPACING),
            imager_pixel_spacing: array(obj, tags::IMAGER_PIXEL_SPACING),
            ultrasound_spacing: ultrasound_spacing(obj),
            slice_thickness: float(obj, tags::SLICE_THICKNESS),
            spacing_between_slices: float(obj, tags::SPACING_BETWEEN_SLICES),
            position: array(obj, tags::IMAGE_POSITION_PATIENT),
            orientation: array(obj, tags::IMAGE_ORIENTATION_PATIENT),
            rescale_slope: float(obj, tags::RESCALE_SLOPE),
            rescale_intercept: float(obj, tags::RESCALE_INTERCEPT),
            per_frame,
            shared,
            palette: palette(obj),
        };
        check_numbers(path, obj)?;
        if attributes.has_pixel_data && (attributes.rows == 0 || attributes.columns == 0) {
            return Err(Error::Dicom {
                path: path.to_path_buf(),
                message: "missing or zero Rows/Columns (0028,0010)/(0028,0011)".into(),
            });
        }
        Ok(attributes)
    }

    /// Geometry and rescale of frame `frame`: per-frame groups first, then shared groups, then top-level attributes.
    pub fn frame(&self, frame: usize) -> FrameAttributes {
        let per = self.per_frame.get(frame).copied().unwrap_or_default();
        let shared = self.shared.unwrap_or_default();
        let top_rescale = match (self.rescale_slope, self.rescale_intercept) {
            (None, None) => None,
            (slope, intercept) => Some((slope.unwrap_or(1.0), intercept.unwrap_or(0.0))),
        };
        FrameAttributes {
            position: per.position.or(shared.position).or(if self.frames == 1 {
                self.position
            } else {
                None
            }),
            orientation: per.orientation.or(shared.orientation).or(self.orientation),
            pixel_spacing: per.pixel_spacing.or(shared.pixel_spacing).or(self.pixel_spacing),
            rescale: per.rescale.or(shared.rescale).or(top_rescale),
        }
    }

    /// Human-readable name of the transfer syntax.
    pub fn transfer_syntax_name(&self) -> &'static str {
        transfer_syntax_name(&self.transfer_syntax_uid)
    }
}

/// Whether this build decodes the transfer syntax (native and deflate, RLE, JPEG baseline/extended/lossless via
/// `jpeg-decoder`, JPEG-LS lossless and near-lossless via CharLS, JPEG 2000 via OpenJPEG (`jpeg2k` on `openjpeg-sys`)).
pub(crate) fn transfer_syntax_supported(uid: &str) -> bool {
    matches!(
        uid,
        "1.2.840.10008.1.2"
            | "1.2.840.10008.1.2.1"
            | "1.2.840.10008.1.2.1.99"
            | "1.2.840.10008.1.2.2"
            | "1.2.840.10008.1.2.5"
            | "1.2.840.10008.1.2.4.50"
            | "1.2.840.10008.1.2.4.51"
            | "1.2.840.10008.1.2.4.57"
            | "1.2.840.10008.1.2.4.70"
            | "1.2.840.10008.1.2.4.80"
            | "1.2.840.10008.1.2.4.81"
            | "1.2.840.10008.1.2.4.90"
            | "1.2.840.10008.1.2.4.91"
    )
}

/// The DICOM name of a transfer syntax UID (PS3.6 Table A-1), or `unknown transfer syntax`.
pub fn transfer_syntax_name(uid: &str) -> &'static str {
    match uid {
        "1.2.840.10008.1.2" => "Implicit VR Little Endian",
        "1.2.840.10008.1.2.1" => "Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.98" => "Encapsulated Uncompressed Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.99" => "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.2" => "Explicit VR Big Endian",
        "1.2.840.10008.1.2.5" => "RLE Lossless",
        "1.2.840.10008.1.2.4.50" => "JPEG Baseline (Process 1)",
        "1.2.840.10008.1.2.4.51" => "JPEG Extended (Process 2 and 4)",
        "1.2.840.10008.1.2.4.57" => "JPEG Lossless, Non-Hierarchical (Process 14)",
        "1.2.840.10008.1.2.4.70" => {
            "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])"
        }
        "1.2.840.10008.1.2.4.80" => "JPEG-LS Lossless Image Compression",
        "1.2.840.10008.1.2.4.81" => "JPEG-LS Lossy (Near-Lossless) Image Compression",
        "1.2.840.10008.1.2.4.90" => "JPEG 2000 Image Compression (Lossless Only)",
        "1.2.840.10008.1.2.4.91" => "JPEG 2000 Image Compression",
        "1.2.840.10008.1.2.4.92" => "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
        "1.2.840.10008.1.2.4.93" => "JPEG 2000 Part 2 Multi-component Image Compression",
        "1.2.840.10008.1.2.4.100" => "MPEG2 Main Profile / Main Level",
        "1.2.840.10008.1.2.4.102" => "MPEG-4 AVC/H.264 High Profile / Level 4.1",
        "1.2.840.10008.1.2.4.110" => "JPEG XL Lossless",
        "1.2.840.10008.1.2.4.112" => "JPEG XL",
        "1.2.840.10008.1.2.4.201" => "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
        "1.2.840.10008.1.2.4.203" => "High-Throughput JPEG 2000 Image Compression",
        _ => "unknown transfer syntax",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expands `words` into a table of at most `n` entries.
    fn check(words: &[u16], n: usize, expected: Option<&[f64]>) {
        assert_eq!(expand_segmented_lut(words, n).as_deref(), expected, "{words:?}");
    }

    // Closed forms: linear segments chosen so that numpy's linspace lands on integers (no rounding involved); the
    // indirect segments' offsets in bytes (PS3.3 C.7.9.2.3), at word offset / 2. pydicom's reference for offset 0
    // is `tests/reference/io/palette_indirect.json`, compared in `tests/dicom_series.rs`.
    #[test]
    fn indirect_segments_copy_segments_at_a_byte_offset() {
        // Discrete [10]; linear to 50 in 4 steps (words 3..6); discrete [90]; an indirect segment copying the one
        // segment at byte 6 (the linear one), which now runs from 90 down to 50. Read as a word index (pydicom), the
        // offset would copy the discrete [90] instead.
        check(
            &[0, 1, 10, 1, 4, 50, 0, 1, 90, 2, 1, 6, 0],
            12,
            Some(&[10.0, 20.0, 30.0, 40.0, 50.0, 90.0, 80.0, 70.0, 60.0, 50.0]),
        );
    }

    #[test]
    fn indirect_segments_follow_the_standard() {
        // Offset 0 copies from the first segment: discrete [5, 6], then linear 6 → 8 in 2 steps.
        let words = [0, 2, 5, 6, 1, 2, 8, 2, 2, 0, 0];
        check(&words, 16, Some(&[5.0, 6.0, 7.0, 8.0, 5.0, 6.0, 7.0, 8.0]));
        // The high word of the offset counts 65536 bytes: far outside this table.
        check(&[0, 1, 5, 2, 1, 0, 1], 16, None);
        // Odd byte offsets, and offsets past the end, are malformed.
        check(&[0, 1, 5, 2, 1, 1, 0], 16, None);
        check(&[0, 1, 5, 2, 1, 40, 0], 16, None);
        // An indirect segment first, or pointing at an indirect segment.
        check(&[2, 1, 0, 0], 16, None);
        check(&[0, 1, 5, 2, 1, 6, 0, 2, 1, 6, 0], 16, None);
        // Copying more segments than follow the offset.
        check(&[0, 1, 5, 2, 2, 14, 0, 0, 1, 6], 16, None);
        // Zero segments copied: nothing.
        check(&[0, 1, 5, 2, 0, 0, 0], 16, Some(&[5.0]));
        // A table full before a malformed tail is used as it is.
        check(&[0, 2, 5, 6, 7, 7], 2, Some(&[5.0, 6.0]));
    }
}
