//! One compressed stream to its bytes, each codec with the pure-Rust decoder for it and every output capped.

use std::io::Read;

use super::cursor::{from_io, read_capped, Counting};
use super::error::{ImageError, Layer};
use super::{lz4, lzop};

/// Memory an LZMA/xz decoder may take for its dictionary (KiB): the kernel's own use 64 MiB at most; a
/// hostile header asking for gigabytes is refused before anything is allocated.
const LZMA_MEM_LIMIT_KB: u32 = 256 * 1024;

/// Decodes `input`, a stream of `codec`, into at most `limit` bytes.
pub(super) fn decompress(codec: Layer, input: &[u8], limit: u64) -> Result<Vec<u8>, ImageError> {
    match codec {
        Layer::Lz4 => lz4::decompress(input, limit),
        Layer::Lzo => lzop::decompress(input, limit),
        _ => {
            let mut counting = Counting::new(input);
            let result = reader(codec, &mut counting).and_then(|r| read_capped(r, limit, codec));
            result.map_err(|e| from_io(e, codec, counting.pos()))
        }
    }
}

/// A streaming decoder of `codec` over `input` (gzip, bzip2, xz, lzma, zstd; the .deb's data.tar uses it too).
pub(super) fn reader<'r, R: Read + 'r>(codec: Layer, input: R) -> std::io::Result<Box<dyn Read + 'r>> {
    Ok(match codec {
        // One member: the bytes after it (a bzImage's, a package's) are not gzip.
        Layer::Gzip => Box::new(flate2::read::GzDecoder::new(input)),
        Layer::Bzip2 => Box::new(bzip2::read::BzDecoder::new(input)),
        Layer::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(input, false, LZMA_MEM_LIMIT_KB)),
        Layer::Lzma => Box::new(lzma_rust2::LzmaReader::new_mem_limit(input, LZMA_MEM_LIMIT_KB, None)?),
        Layer::Zstd => Box::new(ruzstd::decoding::StreamingDecoder::new(input).map_err(std::io::Error::other)?),
        _ => return Err(std::io::Error::other(NotStreamable(codec))),
    })
}

/// A layer [`reader`] has no streaming decoder for (LZ4 legacy and lzop are block formats decoded whole).
#[derive(Debug, thiserror::Error)]
#[error("{0} is not decoded as a stream")]
struct NotStreamable(Layer);
