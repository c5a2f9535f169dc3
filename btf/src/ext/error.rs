//! Errors of `.BTF.ext` parsing. Each names the block, section, record and byte offset.

use std::fmt;

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
        reason: String,
    },
    /// A block's offset/length, or its `rec_size`, is wrong.
    #[error(".BTF.ext {block} block at offset {offset}: {reason}")]
    Block {
        /// Which block.
        block: Block,
        /// Where the block starts.
        offset: usize,
        /// What is wrong.
        reason: String,
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
        reason: String,
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
        reason: String,
    },
}
