//! Why a kernel image yielded no BTF: which layer, where in that layer's input, and what was wrong.

use std::fmt;

/// One layer of a kernel image: a container, a compressed stream, or the BTF at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    /// The file as given, before anything was recognized in it.
    Input,
    /// A Debian package (an `ar` archive).
    Deb,
    /// The package's `data.tar*` member.
    Tar,
    /// An x86 bzImage (the boot sector and setup code before the compressed kernel).
    BzImage,
    /// A gzip stream.
    Gzip,
    /// A bzip2 stream.
    Bzip2,
    /// An xz stream.
    Xz,
    /// A legacy `.lzma` stream.
    Lzma,
    /// An LZ4 legacy frame (`lz4 -l`, the kernel's).
    Lz4,
    /// An lzop file (the kernel's LZO).
    Lzo,
    /// A zstd frame.
    Zstd,
    /// An ELF file (vmlinux) and its `.BTF` section.
    Elf,
    /// Raw BTF.
    Btf,
}

impl Layer {
    /// The layer's short name, as messages print it.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Input => "input",
            Layer::Deb => "deb",
            Layer::Tar => "tar",
            Layer::BzImage => "bzImage",
            Layer::Gzip => "gzip",
            Layer::Bzip2 => "bzip2",
            Layer::Xz => "xz",
            Layer::Lzma => "lzma",
            Layer::Lz4 => "lz4",
            Layer::Lzo => "lzo",
            Layer::Zstd => "zstd",
            Layer::Elf => "ELF",
            Layer::Btf => "BTF",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why no BTF could be extracted. Offsets count bytes from the start of the named layer's input.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// A header field holds a value the format does not allow.
    #[error("{layer}: {what} (at byte {offset})")]
    Malformed {
        /// The layer being read.
        layer: Layer,
        /// Where the bad field is.
        offset: u64,
        /// What was wrong.
        what: &'static str,
    },
    /// The input ends before a structure it declares.
    #[error("{layer}: truncated: {need} bytes needed at byte {offset}, the input has {have}")]
    Truncated {
        /// The layer being read.
        layer: Layer,
        /// Where the structure starts.
        offset: u64,
        /// Bytes the structure needs from `offset`.
        need: u64,
        /// Bytes the input holds in all.
        have: u64,
    },
    /// A compressed stream or archive did not decode.
    #[error("{layer}: does not decode (failed after {offset} input bytes)")]
    Decode {
        /// The layer being decoded.
        layer: Layer,
        /// Input bytes the decoder had consumed when it failed.
        offset: u64,
        /// The decoder's error.
        source: std::io::Error,
    },
    /// A layer would produce more bytes than [`Limits::max_output`](super::Limits::max_output) allows.
    #[error("{layer}: output exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The layer being decoded.
        layer: Layer,
        /// The limit in force.
        limit: u64,
    },
    /// Layers nest deeper than [`Limits::max_depth`](super::Limits::max_depth).
    #[error("more than {max} nested layers")]
    TooDeep {
        /// The limit in force.
        max: u32,
    },
    /// A layer's output (or the input itself) is none of the formats this module reads.
    #[error("{after}: holds no format this reads (first bytes {head:02x?})")]
    Unrecognized {
        /// The layer whose output this is ([`Layer::Input`] for the file itself).
        after: Layer,
        /// Up to 8 leading bytes.
        head: Vec<u8>,
    },
    /// A decoded stream's length differs from the one its container declares.
    #[error("{layer}: decoded {got} bytes, the container declares {declared}")]
    SizeMismatch {
        /// The layer decoded.
        layer: Layer,
        /// The declared length (modulo 2^32 where the container stores 32 bits).
        declared: u64,
        /// The decoded length.
        got: u64,
    },
    /// A Debian package without a `data.tar*` member.
    #[error("deb: no data.tar member")]
    NoDataTar,
    /// A Debian package whose files hold no `boot/vmlinuz-*` nor `usr/lib/debug/boot/vmlinux-*`.
    #[error("deb: no boot/vmlinuz-* nor usr/lib/debug/boot/vmlinux-* among {files} files")]
    NoKernel {
        /// Entries of the package's data.tar.
        files: u64,
    },
    /// An ELF file that does not parse.
    #[error("ELF: does not parse")]
    Elf {
        /// The parser's error.
        source: object::Error,
    },
    /// An ELF file (a vmlinux) without a `.BTF` section.
    #[error("ELF: no .BTF section")]
    NoBtfSection,
}
