//! The x86 bzImage: a boot sector and real-mode setup code, then the compressed kernel ("payload").
//!
//! Layout facts (Documentation/arch/x86/boot.rst): `setup_sects` at 0x1f1 counts the 512-byte setup sectors
//! after the boot sector (0 means 4); the protected-mode code starts at `(setup_sects + 1) * 512`; boot
//! protocol 2.08+ stores `payload_offset` (0x248) and `payload_length` (0x24c) relative to that start. The
//! payload's last 4 bytes hold the decompressed length, little-endian: the kernel's build appends it to every
//! codec's output except gzip's, whose own trailer (ISIZE) already ends in it.

use super::cursor::Cursor;
use super::error::{ImageError, Layer};

const SETUP_SECTS_AT: usize = 0x1f1;
const VERSION_AT: usize = 0x206;
const PAYLOAD_OFFSET_AT: usize = 0x248;
/// Boot protocol 2.08 introduced the payload fields.
const MIN_VERSION: u16 = 0x0208;

/// Where the compressed kernel lies in a bzImage.
pub(super) struct Payload<'a> {
    /// Byte offset of the payload in the bzImage.
    pub offset: usize,
    /// The payload, trailer included.
    pub data: &'a [u8],
    /// The decompressed length the trailer declares.
    pub declared: u32,
}

/// Finds the payload of the bzImage `data` (whose "HdrS" signature the caller has seen).
pub(super) fn payload(data: &[u8]) -> Result<Payload<'_>, ImageError> {
    let mut c = Cursor::new(data, Layer::BzImage);
    c.take(SETUP_SECTS_AT)?;
    let setup_sects = match c.u8()? {
        0 => 4,
        n => usize::from(n),
    };
    c.take(VERSION_AT - c.pos())?;
    let version = u16::from_le_bytes([c.u8()?, c.u8()?]);
    if version < MIN_VERSION {
        let what = "boot protocol older than 2.08 (no payload_offset field)";
        return Err(ImageError::Malformed { layer: Layer::BzImage, offset: VERSION_AT as u64, what });
    }
    c.take(PAYLOAD_OFFSET_AT - c.pos())?;
    let payload_offset = c.le32()? as usize;
    let payload_length = c.le32()? as usize;
    let offset = (setup_sects + 1) * 512 + payload_offset;
    let payload =
        offset.checked_add(payload_length).and_then(|end| data.get(offset..end)).ok_or(ImageError::Truncated {
            layer: Layer::BzImage,
            offset: offset as u64,
            need: payload_length as u64,
            have: data.len() as u64,
        })?;
    if payload_length < 4 {
        let what = "payload_length below the 4-byte length trailer";
        return Err(ImageError::Malformed { layer: Layer::BzImage, offset: PAYLOAD_OFFSET_AT as u64 + 4, what });
    }
    let t = &payload[payload_length - 4..];
    Ok(Payload { offset, data: payload, declared: u32::from_le_bytes([t[0], t[1], t[2], t[3]]) })
}

/// The compressed stream of a payload in `codec`: gzip's trailer is its own; the others lose the appended length.
pub(super) fn stream<'a>(payload: &Payload<'a>, codec: Layer) -> &'a [u8] {
    if codec == Layer::Gzip {
        payload.data
    } else {
        &payload.data[..payload.data.len() - 4]
    }
}
