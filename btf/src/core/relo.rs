//! CO-RE relocation kinds and the `.BTF.ext` record that asks for one.

use std::fmt;

use crate::types::TypeId;

/// `enum bpf_core_relo_kind`: what value the instruction wants about the type or field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum RelocKind {
    /// Byte offset of a field from the start of the root type.
    FieldByteOffset = 0,
    /// Size of a field in bytes (for bitfields: the size of the load that covers it).
    FieldByteSize = 1,
    /// 1 if the field exists in the target, else 0.
    FieldExists = 2,
    /// 1 if the field is signed (int with the signed bit, or signed enum).
    FieldSigned = 3,
    /// Left shift that puts a bitfield's top bit at bit 63 of a u64.
    FieldLshiftU64 = 4,
    /// Right shift that then brings the bitfield down to bit 0.
    FieldRshiftU64 = 5,
    /// The local type id itself (never relocated).
    TypeIdLocal = 6,
    /// The id of the matching target type.
    TypeIdTarget = 7,
    /// 1 if a compatible type exists in the target.
    TypeExists = 8,
    /// `sizeof` the matching target type.
    TypeSize = 9,
    /// 1 if the enumerator exists in the target.
    EnumvalExists = 10,
    /// The enumerator's value in the target.
    EnumvalValue = 11,
    /// 1 if a target type matches the local one structurally (stricter than TYPE_EXISTS).
    TypeMatches = 12,
}

impl RelocKind {
    /// All kinds, indexed by number.
    pub const ALL: [RelocKind; 13] = [
        RelocKind::FieldByteOffset,
        RelocKind::FieldByteSize,
        RelocKind::FieldExists,
        RelocKind::FieldSigned,
        RelocKind::FieldLshiftU64,
        RelocKind::FieldRshiftU64,
        RelocKind::TypeIdLocal,
        RelocKind::TypeIdTarget,
        RelocKind::TypeExists,
        RelocKind::TypeSize,
        RelocKind::EnumvalExists,
        RelocKind::EnumvalValue,
        RelocKind::TypeMatches,
    ];

    /// The kind with this number, if defined.
    pub fn from_u32(n: u32) -> Option<RelocKind> {
        RelocKind::ALL.get(n as usize).copied()
    }

    /// libbpf's short name (`byte_off`, `field_exists`...), as its debug log prints it.
    pub fn libbpf_name(self) -> &'static str {
        match self {
            RelocKind::FieldByteOffset => "byte_off",
            RelocKind::FieldByteSize => "byte_sz",
            RelocKind::FieldExists => "field_exists",
            RelocKind::FieldSigned => "signed",
            RelocKind::FieldLshiftU64 => "lshift_u64",
            RelocKind::FieldRshiftU64 => "rshift_u64",
            RelocKind::TypeIdLocal => "local_type_id",
            RelocKind::TypeIdTarget => "target_type_id",
            RelocKind::TypeExists => "type_exists",
            RelocKind::TypeMatches => "type_matches",
            RelocKind::TypeSize => "type_size",
            RelocKind::EnumvalExists => "enumval_exists",
            RelocKind::EnumvalValue => "enumval_value",
        }
    }

    /// Human wording for explanations ("field byte offset").
    pub fn describe(self) -> &'static str {
        match self {
            RelocKind::FieldByteOffset => "field byte offset",
            RelocKind::FieldByteSize => "field byte size",
            RelocKind::FieldExists => "field exists",
            RelocKind::FieldSigned => "field signed",
            RelocKind::FieldLshiftU64 => "field lshift u64",
            RelocKind::FieldRshiftU64 => "field rshift u64",
            RelocKind::TypeIdLocal => "local type id",
            RelocKind::TypeIdTarget => "target type id",
            RelocKind::TypeExists => "type exists",
            RelocKind::TypeSize => "type size",
            RelocKind::EnumvalExists => "enum value exists",
            RelocKind::EnumvalValue => "enum value",
            RelocKind::TypeMatches => "type matches",
        }
    }

    /// Relocations about a field reached through an access string.
    pub fn is_field_based(self) -> bool {
        (self as u32) <= 5
    }

    /// Relocations about a whole type (access string must be "0").
    pub fn is_type_based(self) -> bool {
        matches!(
            self,
            RelocKind::TypeIdLocal
                | RelocKind::TypeIdTarget
                | RelocKind::TypeExists
                | RelocKind::TypeSize
                | RelocKind::TypeMatches
        )
    }

    /// Relocations about one enumerator.
    pub fn is_enumval_based(self) -> bool {
        matches!(self, RelocKind::EnumvalExists | RelocKind::EnumvalValue)
    }

    /// Kinds that answer "does it exist" and so resolve to 0 instead of poisoning.
    pub fn is_existence(self) -> bool {
        matches!(
            self,
            RelocKind::FieldExists | RelocKind::TypeExists | RelocKind::EnumvalExists | RelocKind::TypeMatches
        )
    }
}

impl fmt::Display for RelocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// One `struct bpf_core_relo` from `.BTF.ext`, with its access string resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreRelo {
    /// Byte offset of the instruction within its ELF section.
    pub insn_off: u32,
    /// Root type in the object's (local) BTF.
    pub type_id: TypeId,
    /// Offset of the access string in the object's `.BTF` strings.
    pub access_str_off: u32,
    /// The access string, e.g. `0:1:2`.
    pub access: String,
    /// What to compute.
    pub kind: RelocKind,
}

impl CoreRelo {
    /// The instruction index within the section, if `insn_off` is a whole instruction.
    pub fn insn_idx(&self) -> Option<usize> {
        (self.insn_off & 7 == 0).then_some(self.insn_off as usize / 8)
    }
}
