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
    /// Palette colour lookup tables (plain, or 16-bit segmented expanded), when present and readable.
    pub palette: Option<Palette>,
}

/// Palette Color Lookup Tables (PS3.3 C.7.6.3.1.5): red, green and blue entries, indexed by stored value − first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Palette {
    pub first_mapped: i64,
    pub red: Vec<f64>,
    pub green: Vec<f64>,
    pub blue: Vec<f64>,
}

fn palette_channel(
    obj: &InMemDicomObject,
    descriptor: Tag,
    data: Tag,
    segmented: Tag,
) -> Option<(i64, Vec<f64>)> {
    let desc: Vec<i64> = obj.get(descriptor)?.to_multi_int::<i64>().ok()?;
    let n_entries = match desc.first().copied()? {
        0 => 65_536,
        n if n < 0 => n + 65_536,
        n => n,
    } as usize;
    let first = *desc.get(1)?;
    let bits = *desc.get(2)?;
    let entries: Vec<f64> = if let Some(element) = obj.get(data) {
        let words: Vec<u16> = element.to_multi_int::<u16>().ok()?;
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
            return None;
        }
    } else if bits == 16 {
        let words: Vec<u16> = obj.get(segmented)?.to_multi_int::<u16>().ok()?;
        let mut lut = expand_segmented_lut(&words)?;
        if lut.len() < n_entries {
            return None;
        }
        lut.truncate(n_entries);
        lut
    } else {
        return None;
    };
    Some((first, entries))
}

/// Expands a 16-bit Segmented Palette Color Lookup Table (PS3.3 C.7.9.2): discrete segments (opcode 0) copy their
/// values; linear segments (opcode 1) run from the previous entry to the segment's end value in `length` steps,
/// rounded half to even, exactly as pydicom's `_expand_segmented_lut` (numpy `linspace` then `around`). Indirect
/// segments (opcode 2) and malformed tables give `None` (the image is then reported as without a usable palette).
fn expand_segmented_lut(words: &[u16]) -> Option<Vec<f64>> {
    let mut lut: Vec<f64> = Vec::new();
    let mut offset = 0;
    // `offset + 1 < len` allows a trailing padding word, as pydicom does.
    while offset + 1 < words.len() {
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
            _ => return None,
        }
    }
    Some(lut)
}

fn palette(obj: &InMemDicomObject) -> Option<Palette> {
    let (first_mapped, red) = palette_channel(
        obj,
        tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
        tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    )?;
    let (_, green) = palette_channel(
        obj,
        tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
        tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        tags::SEGMENTED_GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    )?;
    let (_, blue) = palette_channel(
        obj,
        tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
        tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        tags::SEGMENTED_BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    )?;
    (!red.is_empty() && red.len() == green.len() && red.len() == blue.len()).then_some(Palette {
        first_mapped,
        red,
        green,
        blue,
    })
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
    /// Reads the attributes of an opened file.
    pub fn read(path: &Path, obj: &DefaultDicomObject) -> Result<ImageAttributes> {
        let transfer_syntax_uid = obj.meta().transfer_syntax().to_string();
        let has_pixel_data = obj.get(tags::PIXEL_DATA).is_some();
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
/// `jpeg-decoder`, JPEG-LS lossless and near-lossless via CharLS, JPEG 2000 via `openjp2`).
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
