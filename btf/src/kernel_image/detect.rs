//! What a layer's bytes are, from their first bytes (and the bzImage setup header's signature).

use super::error::Layer;

/// The setup header's "HdrS" signature sits at this offset of every bzImage (boot protocol ≥ 2.00).
pub(super) const BZIMAGE_SIGNATURE_AT: usize = 0x202;

/// The LZ4 legacy frame's magic number (little-endian on disk).
pub(super) const LZ4_LEGACY_MAGIC: u32 = 0x184C_2102;

/// The lzop file signature the kernel's LZO payloads start with.
pub(super) const LZOP_MAGIC: [u8; 9] = [0x89, b'L', b'Z', b'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a];

/// Leading bytes of each format, tried in order. The bzImage is recognized by its setup header instead.
const MAGICS: &[(&[u8], Layer)] = &[
    (&[0x9f, 0xeb, 0x01], Layer::Btf),
    (&[0xeb, 0x9f, 0x01], Layer::Btf),
    (b"\x7fELF", Layer::Elf),
    (b"!<arch>\ndebian-binary", Layer::Deb),
    (&[0x1f, 0x8b], Layer::Gzip),
    (b"BZh", Layer::Bzip2),
    (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], Layer::Xz),
    // props 0x5d (lc=3 lp=0 pb=2), then a dictionary size whose low 16 bits are 0: what `lzma -9` writes.
    (&[0x5d, 0x00, 0x00], Layer::Lzma),
    (&LZOP_MAGIC, Layer::Lzo),
    (&LZ4_LEGACY_MAGIC.to_le_bytes(), Layer::Lz4),
    (&[0x28, 0xb5, 0x2f, 0xfd], Layer::Zstd),
];

/// The layer `data` starts, or `None` when it is none of them.
pub(super) fn detect(data: &[u8]) -> Option<Layer> {
    if data.get(BZIMAGE_SIGNATURE_AT..BZIMAGE_SIGNATURE_AT + 4) == Some(b"HdrS") {
        return Some(Layer::BzImage);
    }
    MAGICS.iter().find(|(magic, _)| data.starts_with(magic)).map(|&(_, layer)| layer)
}

/// Whether `layer` is a compressed stream (one that [`super::decompress`] decodes).
pub(super) fn is_codec(layer: Layer) -> bool {
    matches!(layer, Layer::Gzip | Layer::Bzip2 | Layer::Xz | Layer::Lzma | Layer::Lz4 | Layer::Lzo | Layer::Zstd)
}
