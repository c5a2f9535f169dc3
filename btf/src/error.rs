//! Errors of the BTF crate. Each names the offset, type id or record it was found at.

use crate::types::TypeId;

/// Everything that can go wrong while reading BTF, BTF.ext or applying CO-RE.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum BtfError {
    /// A read of `need` bytes at `offset` ran past the end of the data.
    #[error("{what} truncated: need {need} bytes at offset {offset}, but only {have} bytes exist")]
    Truncated { what: &'static str, offset: usize, need: usize, have: usize },
    /// The magic number is not 0xeB9F in either byte order.
    #[error("{what}: bad magic {magic:#06x} (expected 0xeb9f)")]
    BadMagic { what: &'static str, magic: u16 },
    /// A BTF version this crate does not know.
    #[error("{what}: unsupported version {version} (only 1 is defined)")]
    BadVersion { what: &'static str, version: u8 },
    /// A header field is inconsistent.
    #[error("{what} header: {reason}")]
    BadHeader { what: &'static str, reason: String },
    /// A section (types or strings) does not lie within the data.
    #[error("BTF {section} section at offset {offset} with length {len} ends past the {total}-byte data")]
    SectionOutOfBounds { section: &'static str, offset: usize, len: usize, total: usize },
    /// The string section does not end with a NUL byte, so strings could run off its end.
    #[error("BTF string section ({len} bytes) is not NUL-terminated")]
    StringsNotTerminated { len: usize },
    /// A string offset points outside the string section.
    #[error("{context}: string offset {offset} is outside the {len}-byte string section")]
    BadStringOffset { context: String, offset: u32, len: usize },
    /// A string is not valid UTF-8.
    #[error("{context}: string at offset {offset} is not valid UTF-8")]
    BadUtf8 { context: String, offset: u32 },
    /// An unknown kind number in a type's info word.
    #[error("type id {id} at types offset {offset}: unknown kind {kind}")]
    UnknownKind { id: TypeId, offset: usize, kind: u32 },
    /// A type record is cut off by the end of the types section.
    #[error("type id {id} at types offset {offset}: record of {need} bytes runs past the {len}-byte types section")]
    TypeTruncated { id: TypeId, offset: usize, need: usize, len: usize },
    /// A type id that does not exist.
    #[error("type id {id} does not exist (this BTF has ids 0..{count})")]
    NoSuchType { id: TypeId, count: u32 },
    /// A type refers to a type id that does not exist.
    #[error("type id {id} refers to type id {target}, which does not exist (ids 0..{count})")]
    BadTypeRef { id: TypeId, target: TypeId, count: u32 },
    /// Following references from a type never ended.
    #[error("type id {id}: reference chain longer than {limit} (a cycle?)")]
    RefChainTooLong { id: TypeId, limit: usize },
    /// A type cannot be used where it was (e.g. the size of a function).
    #[error("type id {id} ({kind}): {reason}")]
    Invalid { id: TypeId, kind: &'static str, reason: String },
    /// No ELF section named `.BTF` (or the ELF could not be read).
    #[error("ELF object: {0}")]
    Elf(String),
    /// A .BTF.ext record is malformed.
    #[error(".BTF.ext {section}: {reason}")]
    BadExt { section: String, reason: String },
}

/// Shorthand for results of this crate.
pub type Result<T, E = BtfError> = std::result::Result<T, E>;
