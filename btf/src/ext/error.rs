//! Errors of `.BTF.ext` parsing. Each names the block, section, record and byte offset.

use std::fmt;

use super::MIN_HDR_LEN;
use crate::core::relo::RelocKind;
use crate::error::BtfError;
use crate::types::TypeId;
use crate::wire::BTF_MAGIC;

/// The three record blocks of `.BTF.ext`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// `func_info`: which BTF FUNC starts at which instruction.
    FuncInfo,
    /// `line_info`: source file/line/column per instruction.
    LineInfo,
    /// `core_relo`: CO-RE relocations.
    CoreRelo,
}

impl Block {
    /// The smallest record this parser can read (`struct bpf_func_info` etc.).
    pub fn min_rec_size(self) -> u32 {
        match self {
            Block::FuncInfo => 8,
            Block::LineInfo => 16,
            Block::CoreRelo => 16,
        }
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Block::FuncInfo => "func_info",
            Block::LineInfo => "line_info",
            Block::CoreRelo => "core_relo",
        })
    }
}

/// What went wrong in `.BTF.ext`. Offsets are bytes from the start of the `.BTF.ext` data.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ExtError {
    /// The header is missing, truncated or inconsistent.
    #[error(".BTF.ext header: {reason}")]
    Header {
        /// What is wrong.
        reason: HeaderProblem,
    },
    /// A block's offset/length, or its `rec_size`, is wrong.
    #[error(".BTF.ext {block} block at offset {offset}: {reason}")]
    Block {
        /// Which block.
        block: Block,
        /// Where the block starts.
        offset: usize,
        /// What is wrong.
        reason: BlockProblem,
    },
    /// A per-section header (`sec_name_off`, `num_info`) is wrong.
    #[error(".BTF.ext {block} block, section #{index} ('{section}') at offset {offset}: {reason}")]
    Section {
        /// Which block.
        block: Block,
        /// Index of the section within the block.
        index: usize,
        /// Section name, if it could be read.
        section: String,
        /// Where the section header starts.
        offset: usize,
        /// What is wrong.
        reason: SectionProblem,
    },
    /// One record is wrong (usually a string offset outside `.BTF`'s strings).
    #[error(".BTF.ext {block} record #{record} of section '{section}' at offset {offset}: {reason}")]
    Record {
        /// Which block.
        block: Block,
        /// Section name.
        section: String,
        /// Record index within the section.
        record: usize,
        /// Where the record starts.
        offset: usize,
        /// What is wrong.
        reason: RecordProblem,
    },
}

/// Why the `.BTF.ext` header is refused ([`ExtError::Header`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Too few bytes for even the fixed start of the header.
    #[error("only {len} bytes; the header needs at least {MIN_HDR_LEN}")]
    TooShort {
        /// Size of the `.BTF.ext` data.
        len: usize,
    },
    /// The magic number is not 0xeB9F in either byte order.
    #[error("bad magic {magic:#06x} (expected {BTF_MAGIC:#06x})")]
    BadMagic {
        /// The first two bytes, read little-endian.
        magic: u16,
    },
    /// A version this parser does not know.
    #[error("unsupported version {version} (only 1 is defined)")]
    BadVersion {
        /// The version byte.
        version: u8,
    },
    /// `hdr_len` is shorter than the func_info and line_info offsets need.
    #[error("hdr_len {hdr_len} is smaller than the {MIN_HDR_LEN}-byte minimum")]
    HdrLenTooSmall {
        /// The recorded header length.
        hdr_len: u32,
    },
    /// `hdr_len` is longer than the data.
    #[error("hdr_len {hdr_len} is larger than the {len}-byte section")]
    HdrLenTooLarge {
        /// The recorded header length.
        hdr_len: u32,
        /// Size of the `.BTF.ext` data.
        len: usize,
    },
    /// A header field could not be read.
    #[error("{0}")]
    Read(#[source] BtfError),
}

/// Why a block's placement or record size is refused ([`ExtError::Block`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum BlockProblem {
    /// The block's offset is not 4-byte aligned.
    #[error("offset {off} (from the header's end) is not 4-byte aligned")]
    Unaligned {
        /// The recorded offset, relative to the end of the header.
        off: u32,
    },
    /// The block ends past the data.
    #[error("{len} bytes run past the end of the {data_len}-byte section")]
    PastEnd {
        /// The recorded block length.
        len: u32,
        /// Size of the `.BTF.ext` data.
        data_len: usize,
    },
    /// The block is too short to hold its `rec_size` word.
    #[error("{len} bytes cannot hold the 4-byte rec_size")]
    NoRecSize {
        /// The recorded block length.
        len: u32,
    },
    /// `rec_size` is smaller than the record this parser reads.
    #[error("rec_size {rec_size} is smaller than the {min}-byte record")]
    RecSizeTooSmall {
        /// The recorded record size.
        rec_size: u32,
        /// The smallest record of this block ([`Block::min_rec_size`]).
        min: u32,
    },
    /// `rec_size` is not a whole number of 4-byte words.
    #[error("rec_size {rec_size} is not a multiple of 4")]
    RecSizeUnaligned {
        /// The recorded record size.
        rec_size: u32,
    },
    /// The `rec_size` word could not be read.
    #[error("{0}")]
    Read(#[source] BtfError),
}

/// Why a per-section header of a block is refused ([`ExtError::Section`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SectionProblem {
    /// The block ends inside the 8-byte section header.
    #[error("{left} bytes left cannot hold the 8-byte section header")]
    NoHeader {
        /// Bytes left in the block.
        left: usize,
    },
    /// The section header could not be read.
    #[error("{0}")]
    Read(#[source] BtfError),
    /// `sec_name_off` does not name a string of `.BTF`.
    #[error("section name: {0}")]
    Name(#[source] BtfError),
    /// A section without records.
    #[error("num_info is 0")]
    NoRecords,
    /// More records than the block has bytes for.
    #[error("{num_info} records of {rec_size} bytes need {need} bytes, only {left} remain")]
    TooManyRecords {
        /// The recorded record count.
        num_info: u32,
        /// The block's record size.
        rec_size: u32,
        /// Bytes those records need.
        need: u64,
        /// Bytes left in the block after the section header.
        left: usize,
    },
}

/// Why one record is refused ([`ExtError::Record`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum RecordProblem {
    /// The record could not be read.
    #[error("{0}")]
    Read(#[source] BtfError),
    /// A string offset of the record does not name a string of `.BTF`.
    #[error("{field}: {error}")]
    String {
        /// Which of the record's strings.
        field: StringField,
        /// What `.BTF` said about the offset.
        error: BtfError,
    },
    /// A type id of the record does not exist in `.BTF`.
    #[error("type id {id} does not exist in .BTF (ids 0..{count})")]
    NoSuchType {
        /// The id.
        id: TypeId,
        /// Number of ids in `.BTF`, void included.
        count: u32,
    },
    /// A CO-RE relocation kind this parser does not know.
    #[error("unknown CO-RE relocation kind {kind} (known kinds are 0..={})", RelocKind::ALL.len() - 1)]
    UnknownRelocKind {
        /// The kind number.
        kind: u32,
    },
}

/// The strings a record names ([`RecordProblem::String`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringField {
    /// line_info's file name.
    FileName,
    /// line_info's source line.
    SourceLine,
    /// core_relo's access string.
    AccessString,
}

impl fmt::Display for StringField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StringField::FileName => "file name",
            StringField::SourceLine => "source line",
            StringField::AccessString => "access string",
        })
    }
}
