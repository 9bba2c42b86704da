//! A pre-parse walk of a DICOM file's element lengths: every defined length must fit in the bytes that remain, and
//! nesting stays shallow, before `dicom-parser` (which reserves and zero-fills a buffer of the declared length, up to
//! 4 GiB per element) sees the file. A corrupt length thus costs nothing and gets an error naming the element.
//!
//! Deflated data sets are not walked (their lengths refer to the inflated stream); their size is bounded by the
//! parser's own checks.
//!
//! The walk also reports where the top-level Pixel Data value lies in a little-endian file, so that native pixels
//! are converted straight from the file's bytes instead of being parsed into the data set and copied twice more.

use std::path::Path;

use dicom_core::dictionary::DataDictionary;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

use crate::{Error, Result};

/// Nesting deeper than this is not found in image objects (SEG functional groups nest 3 to 4 levels).
const MAX_DEPTH: usize = 32;

const UNDEFINED: u32 = 0xFFFF_FFFF;
const ITEM: (u16, u16) = (0xFFFE, 0xE000);
const ITEM_END: (u16, u16) = (0xFFFE, 0xE00D);
const SEQUENCE_END: (u16, u16) = (0xFFFE, 0xE0DD);
const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);

#[derive(Clone, Copy)]
struct Syntax {
    explicit: bool,
    big: bool,
}

struct Walker<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    pos: usize,
    /// Byte range of the value of a top-level Pixel Data element of defined length.
    pixel_data: Option<std::ops::Range<usize>>,
}

/// What the walk found besides valid lengths.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// Byte range of the top-level Pixel Data value when the file is Implicit or Explicit VR Little Endian and the
    /// element has a defined length (native pixels); `None` for any other encoding.
    pub native_pixel_data: Option<std::ops::Range<usize>>,
}

/// Checks the element lengths of the DICOM file `bytes` (read from `path`).
///
/// # Errors
/// [`Error::Dicom`] naming the element whose length runs past the end of the file, or too deep a nesting.
pub(crate) fn check_lengths(path: &Path, bytes: &[u8]) -> Result<Layout> {
    let start = if bytes.get(128..132) == Some(b"DICM") {
        132
    } else {
        0
    };
    let mut walker = Walker {
        path,
        bytes,
        pos: start,
        pixel_data: None,
    };
    let meta = Syntax {
        explicit: true,
        big: false,
    };
    let mut transfer_syntax = None;
    // File meta group (0002,xxxx): explicit VR little endian.
    while let Some((group, _)) = walker.peek_tag(meta) {
        if group != 0x0002 {
            break;
        }
        let (tag, _, len) = walker.header(meta)?;
        walker.need(tag, len)?;
        if tag == (0x0002, 0x0010) && len != UNDEFINED {
            let raw = &bytes[walker.pos..walker.pos + len as usize];
            transfer_syntax = Some(
                String::from_utf8_lossy(raw)
                    .trim_end_matches(['\0', ' '])
                    .to_string(),
            );
        }
        walker.skip(tag, len)?;
    }
    let syntax = match transfer_syntax.as_deref() {
        // Deflated: lengths refer to the inflated stream.
        Some("1.2.840.10008.1.2.1.99") => return Ok(Layout::default()),
        Some("1.2.840.10008.1.2") => Syntax {
            explicit: false,
            big: false,
        },
        Some("1.2.840.10008.1.2.2") => Syntax {
            explicit: true,
            big: true,
        },
        // Without a meta group the parser must guess the encoding; leave such files to it.
        None if start == 0 => return Ok(Layout::default()),
        _ => Syntax {
            explicit: true,
            big: false,
        },
    };
    walker.data_set(syntax, bytes.len(), 0)?;
    let native = matches!(
        transfer_syntax.as_deref(),
        Some("1.2.840.10008.1.2" | "1.2.840.10008.1.2.1")
    );
    Ok(Layout {
        native_pixel_data: walker.pixel_data.filter(|_| native),
    })
}

impl Walker<'_> {
    fn error(&self, message: String) -> Error {
        Error::Dicom {
            path: self.path.to_path_buf(),
            message,
        }
    }

    fn u16_at(&self, at: usize, big: bool) -> Option<u16> {
        let b = self.bytes.get(at..at + 2)?;
        Some(if big {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    }

    fn u32_at(&self, at: usize, big: bool) -> Option<u32> {
        let b = self.bytes.get(at..at + 4)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn peek_tag(&self, syntax: Syntax) -> Option<(u16, u16)> {
        Some((
            self.u16_at(self.pos, syntax.big)?,
            self.u16_at(self.pos + 2, syntax.big)?,
        ))
    }

    /// Reads an element header: tag, VR (explicit syntax, or the dictionary's), value length.
    fn header(&mut self, syntax: Syntax) -> Result<((u16, u16), Option<VR>, u32)> {
        let truncated = |w: &Self| {
            w.error(format!(
                "the file ends inside an element header at byte {}",
                w.pos
            ))
        };
        let tag = self.peek_tag(syntax).ok_or_else(|| truncated(self))?;
        // Items and delimiters carry no VR in any syntax.
        if tag.0 == 0xFFFE {
            let len = self
                .u32_at(self.pos + 4, syntax.big)
                .ok_or_else(|| truncated(self))?;
            self.pos += 8;
            return Ok((tag, None, len));
        }
        if !syntax.explicit {
            let len = self
                .u32_at(self.pos + 4, syntax.big)
                .ok_or_else(|| truncated(self))?;
            self.pos += 8;
            let vr = StandardDataDictionary
                .by_tag(Tag(tag.0, tag.1))
                .and_then(|entry| entry.vr.exact());
            return Ok((tag, vr, len));
        }
        let code = self
            .bytes
            .get(self.pos + 4..self.pos + 6)
            .ok_or_else(|| truncated(self))?;
        // An unknown VR code is read as UN (long form), as `dicom-encoding` does.
        let vr = VR::from_binary([code[0], code[1]]).unwrap_or(VR::UN);
        let long = matches!(
            vr,
            VR::OB
                | VR::OD
                | VR::OF
                | VR::OL
                | VR::OV
                | VR::OW
                | VR::SQ
                | VR::SV
                | VR::UC
                | VR::UN
                | VR::UR
                | VR::UT
                | VR::UV
        );
        let len = if long {
            let len = self
                .u32_at(self.pos + 8, syntax.big)
                .ok_or_else(|| truncated(self))?;
            self.pos += 12;
            len
        } else {
            let len = self
                .u16_at(self.pos + 6, syntax.big)
                .ok_or_else(|| truncated(self))?;
            self.pos += 8;
            u32::from(len)
        };
        Ok((tag, Some(vr), len))
    }

    /// Errors when a defined `len` runs past the end of the file.
    fn need(&self, tag: (u16, u16), len: u32) -> Result<()> {
        if len == UNDEFINED {
            return Ok(());
        }
        let remaining = self.bytes.len().saturating_sub(self.pos);
        if len as usize > remaining {
            return Err(self.error(format!(
                "element ({:04X},{:04X}) declares a length of {len} bytes but only {remaining} bytes remain in the \
                 file; the file is truncated or corrupt: copy or export it again",
                tag.0, tag.1
            )));
        }
        Ok(())
    }

    fn skip(&mut self, tag: (u16, u16), len: u32) -> Result<()> {
        self.need(tag, len)?;
        self.pos += len as usize;
        Ok(())
    }

    /// Walks elements up to byte `end` (or an item delimiter when `end` is the file end inside an undefined item).
    fn data_set(&mut self, syntax: Syntax, end: usize, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!(
                "sequences nest deeper than {MAX_DEPTH} levels; the file is corrupt"
            )));
        }
        while self.pos < end {
            if self.bytes.len() - self.pos < 8 {
                // Trailing padding shorter than a header: the parser reports it if it matters.
                return Ok(());
            }
            let (tag, vr, len) = self.header(syntax)?;
            match tag {
                ITEM_END | SEQUENCE_END => return Ok(()),
                ITEM => {
                    return Err(self.error(format!(
                        "an item (FFFE,E000) appears outside a sequence at byte {}; the file is corrupt",
                        self.pos - 8
                    )));
                }
                _ => {}
            }
            self.need(tag, len)?;
            let sequence = vr == Some(VR::SQ) || (len == UNDEFINED && matches!(vr, None | Some(VR::UN)));
            if tag == PIXEL_DATA && len == UNDEFINED {
                self.fragments(syntax, tag)?;
            } else if sequence {
                self.sequence(syntax, tag, len, depth)?;
            } else if len == UNDEFINED {
                return Err(self.error(format!(
                    "element ({:04X},{:04X}) has an undefined length but is not a sequence; the file is corrupt",
                    tag.0, tag.1
                )));
            } else {
                if tag == PIXEL_DATA && depth == 0 && self.pixel_data.is_none() {
                    self.pixel_data = Some(self.pos..self.pos + len as usize);
                }
                self.skip(tag, len)?;
            }
        }
        Ok(())
    }

    fn sequence(&mut self, syntax: Syntax, tag: (u16, u16), len: u32, depth: usize) -> Result<()> {
        let inner = syntax;
        let end = if len == UNDEFINED {
            self.bytes.len()
        } else {
            self.pos + len as usize
        };
        while self.pos < end {
            let (item_tag, _, item_len) = self.header(inner)?;
            match item_tag {
                SEQUENCE_END => return Ok(()),
                ITEM => {
                    self.need(item_tag, item_len)?;
                    let item_end = if item_len == UNDEFINED {
                        self.bytes.len()
                    } else {
                        self.pos + item_len as usize
                    };
                    self.data_set(inner, item_end, depth + 1)?;
                }
                other => {
                    return Err(self.error(format!(
                        "sequence ({:04X},{:04X}) holds element ({:04X},{:04X}) where an item was expected; the file \
                         is corrupt",
                        tag.0, tag.1, other.0, other.1
                    )));
                }
            }
        }
        Ok(())
    }

    /// Encapsulated Pixel Data: items of defined length up to the sequence delimiter.
    fn fragments(&mut self, syntax: Syntax, tag: (u16, u16)) -> Result<()> {
        while self.pos < self.bytes.len() {
            let (item_tag, _, len) = self.header(syntax)?;
            match item_tag {
                SEQUENCE_END => return Ok(()),
                ITEM if len != UNDEFINED => self.skip(item_tag, len)?,
                _ => {
                    return Err(self.error(format!(
                        "encapsulated Pixel Data ({:04X},{:04X}) holds a malformed fragment; the file is corrupt",
                        tag.0, tag.1
                    )));
                }
            }
        }
        Ok(())
    }
}
