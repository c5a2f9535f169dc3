//! Errors of the BTF crate. Each names the offset, type id or record it was found at; where a
//! rule was broken, a reason enum says which one, with the numbers involved.

use std::fmt;

use crate::ext::ExtError;
use crate::types::{Kind, TypeId};
use crate::wire::BTF_HEADER_LEN;

/// Everything that can go wrong while reading BTF, BTF.ext or applying CO-RE.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum BtfError {
    /// A read of `need` bytes at `offset` ran past the end of the data.
    #[error("{what} truncated: need {need} bytes at offset {offset}, but only {have} bytes exist")]
    Truncated {
        /// The data being read ("BTF", "BTF header", ".BTF.ext").
        what: &'static str,
        /// Where the read started.
        offset: usize,
        /// How many bytes it needed.
        need: usize,
        /// How many bytes the data has.
        have: usize,
    },
    /// The magic number is not 0xeB9F in either byte order.
    #[error("{what}: bad magic {magic:#06x} (expected 0xeb9f)")]
    BadMagic {
        /// The data being read.
        what: &'static str,
        /// The first two bytes, read little-endian.
        magic: u16,
    },
    /// A BTF version this crate does not know.
    #[error("{what}: unsupported version {version} (only 1 is defined)")]
    BadVersion {
        /// The data being read.
        what: &'static str,
        /// The version byte.
        version: u8,
    },
    /// A header field is inconsistent.
    #[error("{what} header: {reason}")]
    BadHeader {
        /// The data being read.
        what: &'static str,
        /// Which rule the header breaks.
        reason: HeaderProblem,
    },
    /// A section (types or strings) does not lie within the data.
    #[error("BTF {section} section at offset {offset} with length {len} ends past the {total}-byte data")]
    SectionOutOfBounds {
        /// "type" or "string".
        section: &'static str,
        /// Absolute offset of the section.
        offset: usize,
        /// Its length.
        len: usize,
        /// Size of the whole blob.
        total: usize,
    },
    /// The string section does not end with a NUL byte, so strings could run off its end.
    #[error("BTF string section ({len} bytes) is not NUL-terminated")]
    StringsNotTerminated {
        /// Length of the string section.
        len: usize,
    },
    /// A string offset points outside the string section.
    #[error("{context}: string offset {offset} is outside the {len}-byte string section")]
    BadStringOffset {
        /// Whose string it was.
        context: StrContext,
        /// The offset.
        offset: u32,
        /// Size of the string sections (base and split together).
        len: usize,
    },
    /// A string is not valid UTF-8.
    #[error("{context}: string at offset {offset} is not valid UTF-8")]
    BadUtf8 {
        /// Whose string it was.
        context: StrContext,
        /// The offset.
        offset: u32,
    },
    /// An unknown kind number in a type's info word.
    #[error("type id {id} at types offset {offset}: unknown kind {kind}")]
    UnknownKind {
        /// The type.
        id: TypeId,
        /// Offset of its record in the types section.
        offset: usize,
        /// The kind number.
        kind: u32,
    },
    /// A type record is cut off by the end of the types section.
    #[error("type id {id} at types offset {offset}: record of {need} bytes runs past the {len}-byte types section")]
    TypeTruncated {
        /// The type.
        id: TypeId,
        /// Offset of its record in the types section.
        offset: usize,
        /// Bytes the record needs.
        need: usize,
        /// Size of the types section.
        len: usize,
    },
    /// A type id that does not exist.
    #[error("type id {id} does not exist (this BTF has ids 0..{count})")]
    NoSuchType {
        /// The id asked for.
        id: TypeId,
        /// Number of ids, void included.
        count: u32,
    },
    /// A type refers to a type id that does not exist.
    #[error("type id {id} refers to type id {target}, which does not exist (ids 0..{count})")]
    BadTypeRef {
        /// The referring type.
        id: TypeId,
        /// The id it names.
        target: TypeId,
        /// Number of ids, void included.
        count: u32,
    },
    /// Following references from a type never ended.
    #[error("type id {id}: reference chain longer than {limit} (a cycle?)")]
    RefChainTooLong {
        /// Where the chain started.
        id: TypeId,
        /// Hops followed.
        limit: usize,
    },
    /// A type cannot be used where it was (e.g. the size of a function).
    #[error("type id {id} ({kind}): {reason}")]
    Invalid {
        /// The type.
        id: TypeId,
        /// Its kind.
        kind: Kind,
        /// What it cannot be or do.
        reason: InvalidType,
    },
    /// No ELF section named `.BTF` (or the ELF could not be read).
    #[error("ELF object")]
    Elf(#[from] ElfError),
    /// `.BTF.ext` is malformed. Boxed: `.BTF.ext` errors are large and rare, and every
    /// decode returns a `Result` of this type.
    #[error("{0}")]
    BadExt(#[source] Box<ExtError>),
}

impl From<ExtError> for BtfError {
    fn from(e: ExtError) -> Self {
        BtfError::BadExt(Box::new(e))
    }
}

/// Why a BTF header is refused ([`BtfError::BadHeader`]).
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum HeaderProblem {
    /// `hdr_len` is shorter than the version 1 header.
    #[error("hdr_len {hdr_len} is smaller than the {BTF_HEADER_LEN}-byte version 1 header")]
    HdrLenTooSmall {
        /// The recorded header length.
        hdr_len: u32,
    },
    /// A longer header than this crate knows has non-zero bytes in the part it does not know.
    #[error("hdr_len {hdr_len} has non-zero bytes past the known {BTF_HEADER_LEN}-byte header")]
    UnknownHeaderBytes {
        /// The recorded header length.
        hdr_len: u32,
    },
    /// The type section would start off a 4-byte boundary.
    #[error("type_off {type_off} is not 4-byte aligned")]
    TypeOffUnaligned {
        /// The recorded type section offset.
        type_off: u32,
    },
    /// Base BTF whose string section does not begin with the empty string (offset 0 must be "").
    #[error("string section does not start with an empty string")]
    FirstStringNotEmpty,
    /// The blob is too large for the 32-bit offsets BTF uses.
    #[error("{len} bytes is more than 4 GiB")]
    TooLarge {
        /// Size of the blob.
        len: usize,
    },
}

/// Why a type cannot be used as asked ([`BtfError::Invalid`]).
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum InvalidType {
    /// A record of kind VOID (0): void is only the implicit id 0.
    #[error("kind 0 is only valid as type id 0")]
    VoidRecord,
    /// An INT whose value bits do not fit its storage.
    #[error("{bits} bits at offset {offset} do not fit {size} bytes")]
    IntBitsDoNotFit {
        /// Number of value bits.
        bits: u8,
        /// Bit offset of the value in its storage.
        offset: u8,
        /// Storage size in bytes.
        size: u32,
    },
    /// `sizeof` asked of a kind that has none (a function, a forward declaration...).
    #[error("has no size")]
    NoSize,
    /// The alignment asked of a kind that has none (a function, a forward declaration...).
    #[error("has no alignment")]
    NoAlignment,
    /// An array whose total size does not fit 32 bits.
    #[error("size {size} overflows 32 bits")]
    SizeOverflow {
        /// The size, saturated at `u64::MAX`.
        size: u64,
    },
}

/// Whose string a string error is about ([`BtfError::BadStringOffset`], [`BtfError::BadUtf8`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrContext {
    /// A lookup by offset ([`crate::Btf::str_at`]), for no type in particular.
    Lookup {
        /// The offset looked up.
        offset: u32,
    },
    /// The name of a type.
    TypeName {
        /// The type.
        id: TypeId,
        /// Its kind, when known.
        kind: Option<Kind>,
    },
    /// The name of a member, enumerator or parameter of a type.
    Component {
        /// The type.
        id: TypeId,
        /// Its kind.
        kind: Kind,
        /// What the component is.
        what: Component,
        /// Its index in the type's list.
        index: usize,
    },
}

/// The named parts of a type ([`StrContext::Component`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// A struct or union member.
    Member,
    /// An enumerator of an ENUM or ENUM64.
    Enumerator,
    /// A parameter of a FUNC_PROTO.
    Parameter,
}

impl fmt::Display for StrContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrContext::Lookup { offset } => write!(f, "string offset {offset}"),
            StrContext::TypeName { id, kind: None } => write!(f, "type id {id} name"),
            StrContext::TypeName { id, kind: Some(kind) } => write!(f, "type id {id} ({kind}) name"),
            StrContext::Component { id, kind, what, index } => write!(f, "type id {id} ({kind}) {what} #{index} name"),
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Component::Member => "member",
            Component::Enumerator => "enumerator",
            Component::Parameter => "parameter",
        })
    }
}

/// Why BTF could not be taken out of an ELF object ([`BtfError::Elf`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ElfError {
    /// The bytes are neither raw BTF nor an ELF file `object` can read.
    #[error("not raw BTF and not a readable ELF: {0}")]
    NotElf(#[source] object::Error),
    /// The ELF has no section of that name.
    #[error("no {name} section (was it built with clang -g?)")]
    NoSection {
        /// The section asked for (`.BTF`, `.BTF.ext`).
        name: String,
    },
    /// The section's bytes could not be read.
    #[error("section {name}")]
    SectionData {
        /// The section.
        name: String,
        /// What `object` said.
        source: object::Error,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = BtfError> = std::result::Result<T, E>;
