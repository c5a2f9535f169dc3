//! The on-disk layout: byte order and a bounds-checked reader over borrowed bytes.
//!
//! Every read returns a `Result`; nothing here indexes a slice without checking first.

use crate::error::{BtfError, HeaderProblem, Result};

/// BTF magic as a little-endian reader sees it.
pub const BTF_MAGIC: u16 = 0xeb9f;
/// Size of `struct btf_header` (version 1).
pub const BTF_HEADER_LEN: usize = 24;
/// Size of `struct btf_type`, the common part of every type record.
pub const BTF_TYPE_LEN: usize = 12;

/// Byte order of a BTF blob, taken from how its magic reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    /// Little endian (x86, arm64, and BPF objects built for them).
    Little,
    /// Big endian (s390x and `-target bpfeb`).
    Big,
}

impl Endian {
    /// The byte order of this machine.
    pub const fn native() -> Self {
        if cfg!(target_endian = "big") {
            Endian::Big
        } else {
            Endian::Little
        }
    }

    /// Detects the byte order from the first two bytes of a blob.
    pub fn from_magic(bytes: [u8; 2]) -> Option<Self> {
        if u16::from_le_bytes(bytes) == BTF_MAGIC {
            Some(Endian::Little)
        } else if u16::from_be_bytes(bytes) == BTF_MAGIC {
            Some(Endian::Big)
        } else {
            None
        }
    }

    /// Decodes a u16.
    pub fn u16(self, b: [u8; 2]) -> u16 {
        match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        }
    }

    /// Decodes a u32.
    pub fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }

    /// Encodes a u32.
    pub fn put_u32(self, v: u32) -> [u8; 4] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }

    /// Encodes a u16.
    pub fn put_u16(self, v: u16) -> [u8; 2] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }
}

/// A bounds-checked view of bytes in a known byte order.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    endian: Endian,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Wraps `bytes`; `what` names the data in errors ("BTF", ".BTF.ext").
    pub fn new(bytes: &'a [u8], endian: Endian, what: &'static str) -> Self {
        Reader { bytes, endian, what }
    }

    /// The underlying bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The byte order.
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// `len` bytes at `offset`, or a `Truncated` error naming both.
    pub fn slice(&self, offset: usize, len: usize) -> Result<&'a [u8]> {
        // The error is built only on failure: an eager one is dropped on every read, and its
        // drop glue (BtfError can hold a boxed ExtError) does not inline.
        match offset.checked_add(len).and_then(|end| self.bytes.get(offset..end)) {
            Some(bytes) => Ok(bytes),
            None => Err(BtfError::Truncated { what: self.what, offset, need: len, have: self.bytes.len() }),
        }
    }

    /// A sub-reader over `len` bytes at `offset`.
    pub fn sub(&self, offset: usize, len: usize) -> Result<Reader<'a>> {
        Ok(Reader { bytes: self.slice(offset, len)?, ..*self })
    }

    /// Reads a fixed-size array at `offset`.
    pub fn array<const N: usize>(&self, offset: usize) -> Result<[u8; N]> {
        let s = self.slice(offset, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// Reads a u8.
    pub fn u8(&self, offset: usize) -> Result<u8> {
        Ok(self.array::<1>(offset)?[0])
    }

    /// Reads a u16 in the reader's byte order.
    pub fn u16(&self, offset: usize) -> Result<u16> {
        Ok(self.endian.u16(self.array(offset)?))
    }

    /// Reads a u32 in the reader's byte order.
    pub fn u32(&self, offset: usize) -> Result<u32> {
        Ok(self.endian.u32(self.array(offset)?))
    }

    /// Reads an i32 in the reader's byte order.
    pub fn i32(&self, offset: usize) -> Result<i32> {
        Ok(self.u32(offset)? as i32)
    }
}

/// The BTF header (`struct btf_header`), with offsets already validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Byte order of the blob.
    pub endian: Endian,
    /// Header length as recorded (24 for version 1; larger headers must be zero-padded).
    pub hdr_len: u32,
    /// Type section offset, relative to the end of the header.
    pub type_off: u32,
    /// Type section length.
    pub type_len: u32,
    /// String section offset, relative to the end of the header.
    pub str_off: u32,
    /// String section length.
    pub str_len: u32,
}

impl Header {
    /// Parses and validates the header of a BTF blob.
    pub fn parse(bytes: &[u8]) -> Result<Header> {
        let magic = bytes.get(..2).ok_or(BtfError::Truncated {
            what: "BTF header",
            offset: 0,
            need: BTF_HEADER_LEN,
            have: bytes.len(),
        })?;
        let magic = [magic[0], magic[1]];
        let endian = Endian::from_magic(magic)
            .ok_or_else(|| BtfError::BadMagic { what: "BTF", magic: u16::from_le_bytes(magic) })?;
        let r = Reader::new(bytes, endian, "BTF header");
        r.slice(0, BTF_HEADER_LEN)?;
        let version = r.u8(2)?;
        if version != 1 {
            return Err(BtfError::BadVersion { what: "BTF", version });
        }
        let hdr_len = r.u32(4)?;
        if (hdr_len as usize) < BTF_HEADER_LEN {
            return Err(BtfError::BadHeader { what: "BTF", reason: HeaderProblem::HdrLenTooSmall { hdr_len } });
        }
        // A longer header from a newer producer is fine only if its extra bytes are zero
        // (the kernel applies the same rule).
        let extra = r.slice(BTF_HEADER_LEN, hdr_len as usize - BTF_HEADER_LEN)?;
        if extra.iter().any(|&b| b != 0) {
            return Err(BtfError::BadHeader { what: "BTF", reason: HeaderProblem::UnknownHeaderBytes { hdr_len } });
        }
        let h = Header {
            endian,
            hdr_len,
            type_off: r.u32(8)?,
            type_len: r.u32(12)?,
            str_off: r.u32(16)?,
            str_len: r.u32(20)?,
        };
        let total = bytes.len();
        for (section, off, len) in [("type", h.type_off, h.type_len), ("string", h.str_off, h.str_len)] {
            let start = hdr_len as usize + off as usize;
            if start.checked_add(len as usize).is_none_or(|end| end > total) {
                return Err(BtfError::SectionOutOfBounds { section, offset: start, len: len as usize, total });
            }
        }
        if !h.type_off.is_multiple_of(4) {
            return Err(BtfError::BadHeader {
                what: "BTF",
                reason: HeaderProblem::TypeOffUnaligned { type_off: h.type_off },
            });
        }
        Ok(h)
    }

    /// Absolute byte range of the type section.
    pub fn types_range(&self) -> std::ops::Range<usize> {
        let s = self.hdr_len as usize + self.type_off as usize;
        s..s + self.type_len as usize
    }

    /// Absolute byte range of the string section.
    pub fn strings_range(&self) -> std::ops::Range<usize> {
        let s = self.hdr_len as usize + self.str_off as usize;
        s..s + self.str_len as usize
    }
}
