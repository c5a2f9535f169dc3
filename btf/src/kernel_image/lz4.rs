//! The LZ4 legacy frame (`lz4 -l`, what the kernel's build writes): the magic 0x184C2102, then blocks, each a
//! little-endian u32 compressed size and an LZ4 block of at most 8 MiB decompressed. A size equal to the magic
//! starts another frame (concatenated files), as the kernel's unlz4 accepts.

use super::cursor::Cursor;
use super::detect::LZ4_LEGACY_MAGIC;
use super::error::{ImageError, Layer};

/// The legacy frame's fixed block size (decompressed).
const BLOCK: usize = 8 << 20;
/// LZ4_compressBound(BLOCK): no valid block is larger compressed.
const MAX_COMPRESSED: usize = BLOCK + BLOCK / 255 + 16;

/// Decodes a whole legacy frame into at most `limit` bytes.
pub(super) fn decompress(input: &[u8], limit: u64) -> Result<Vec<u8>, ImageError> {
    let mut c = Cursor::new(input, Layer::Lz4);
    if c.le32()? != LZ4_LEGACY_MAGIC {
        return Err(ImageError::Malformed { layer: Layer::Lz4, offset: 0, what: "not an LZ4 legacy frame" });
    }
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    while c.remaining() >= 4 {
        let at = c.pos() as u64;
        let size = c.le32()?;
        if size == LZ4_LEGACY_MAGIC {
            continue;
        }
        if size as usize > MAX_COMPRESSED {
            return Err(ImageError::Malformed {
                layer: Layer::Lz4,
                offset: at,
                what: "block larger than 8 MiB can compress to",
            });
        }
        let block = c.take(size as usize)?;
        // Allocated on the first block only, so a frame of nothing but a magic costs nothing.
        scratch.resize(BLOCK, 0);
        let n = lz4_flex::block::decompress_into(block, &mut scratch).map_err(|e| ImageError::Decode {
            layer: Layer::Lz4,
            offset: at,
            source: std::io::Error::other(e),
        })?;
        if (out.len() + n) as u64 > limit {
            return Err(ImageError::TooLarge { layer: Layer::Lz4, limit });
        }
        out.extend_from_slice(&scratch[..n]);
    }
    if c.remaining() != 0 {
        let what = "bytes after the last block that are no block size";
        return Err(ImageError::Malformed { layer: Layer::Lz4, offset: c.pos() as u64, what });
    }
    Ok(out)
}
