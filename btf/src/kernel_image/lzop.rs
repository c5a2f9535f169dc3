//! The lzop file format, as the kernel's build writes LZO payloads (`lzop -9`) and lib/decompress_unlzo.c reads
//! them: a signature, a header whose fields depend on its version and flags, then blocks of a big-endian
//! decompressed and compressed length (0 ends the file), optional checksums, and LZO1X data (or the bytes
//! themselves when they did not compress).

use super::cursor::Cursor;
use super::detect::LZOP_MAGIC;
use super::error::{ImageError, Layer};
use super::lzo1x;

const F_ADLER32_D: u32 = 0x0001;
const F_ADLER32_C: u32 = 0x0002;
const F_H_FILTER: u32 = 0x0800;
const F_CRC32_D: u32 = 0x0100;
const F_CRC32_C: u32 = 0x0200;
/// lzop writes blocks of 256 KiB; the kernel refuses larger ones, and so does this reader.
const MAX_BLOCK: u32 = 256 * 1024;

/// Decodes a whole lzop file into at most `limit` bytes.
pub(super) fn decompress(input: &[u8], limit: u64) -> Result<Vec<u8>, ImageError> {
    let mut c = Cursor::new(input, Layer::Lzo);
    if c.take(LZOP_MAGIC.len())? != LZOP_MAGIC {
        return Err(ImageError::Malformed { layer: Layer::Lzo, offset: 0, what: "not an lzop file" });
    }
    let flags = header(&mut c)?;
    let mut out = Vec::new();
    loop {
        let at = c.pos() as u64;
        let dst_len = c.be32()?;
        if dst_len == 0 {
            return Ok(out);
        }
        if dst_len > MAX_BLOCK {
            return Err(ImageError::Malformed { layer: Layer::Lzo, offset: at, what: "block larger than 256 KiB" });
        }
        let src_len = c.be32()?;
        if src_len > dst_len {
            return Err(ImageError::Malformed {
                layer: Layer::Lzo,
                offset: at + 4,
                what: "block grows when compressed",
            });
        }
        // Checksums are skipped, as the kernel does: a bad stream still fails to decode or to match its length.
        c.take(checksum_bytes(flags, F_ADLER32_D, F_CRC32_D))?;
        if src_len < dst_len {
            c.take(checksum_bytes(flags, F_ADLER32_C, F_CRC32_C))?;
        }
        let block = c.take(src_len as usize)?;
        if (out.len() as u64) + u64::from(dst_len) > limit {
            return Err(ImageError::TooLarge { layer: Layer::Lzo, limit });
        }
        if src_len == dst_len {
            out.extend_from_slice(block);
            continue;
        }
        let block_at = c.pos() as u64 - u64::from(src_len);
        let got = lzo1x::decompress(block, dst_len as usize).map_err(|(pos, what)| ImageError::Malformed {
            layer: Layer::Lzo,
            offset: block_at + pos as u64,
            what,
        })?;
        if got.len() != dst_len as usize {
            return Err(ImageError::SizeMismatch {
                layer: Layer::Lzo,
                declared: dst_len.into(),
                got: got.len() as u64,
            });
        }
        out.extend_from_slice(&got);
    }
}

/// Reads the header after the signature; returns its flags.
fn header(c: &mut Cursor<'_>) -> Result<u32, ImageError> {
    let version = c.be16()?;
    c.take(2)?; // library version
    if version >= 0x0940 {
        c.take(2)?; // version needed to extract
    }
    c.u8()?; // method
    if version >= 0x0940 {
        c.u8()?; // level
    }
    let at = c.pos() as u64;
    let flags = c.be32()?;
    if flags & F_H_FILTER != 0 {
        return Err(ImageError::Malformed {
            layer: Layer::Lzo,
            offset: at,
            what: "filtered lzop files are not kernel payloads",
        });
    }
    c.take(8)?; // mode, mtime low
    if version >= 0x0940 {
        c.take(4)?; // mtime high
    }
    let name_len = c.u8()?;
    c.take(usize::from(name_len))?;
    c.take(4)?; // header checksum
    Ok(flags)
}

fn checksum_bytes(flags: u32, adler: u32, crc: u32) -> usize {
    4 * (usize::from(flags & adler != 0) + usize::from(flags & crc != 0))
}
