//! Decoded views of BTF types. Names borrow from the BTF they came from.

use std::fmt;

/// A BTF type id. 0 is `void`; in split BTF, ids continue after the base's last id.
///
/// A distinct type so that ids cannot be mixed up with the offsets, sizes and counts that
/// BTF also stores as `u32`. It displays as the bare number (`[58930]` in listings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TypeId(u32);

impl TypeId {
    /// Id 0, `void`.
    pub const VOID: TypeId = TypeId(0);

    /// The id with number `id`.
    #[inline]
    pub const fn new(id: u32) -> TypeId {
        TypeId(id)
    }

    /// The id's number, as BTF and the kernel's `bpf_attr` store it.
    #[inline]
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A range of type ids, as [`crate::Btf::ids`] returns it (ids are not a `Step` type, so
/// `Range<TypeId>` could not be iterated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeIds {
    next: u32,
    end: u32,
}

impl TypeIds {
    /// Ids `start..end`.
    pub const fn new(start: TypeId, end: TypeId) -> TypeIds {
        TypeIds { next: start.0, end: end.0 }
    }
}

impl Iterator for TypeIds {
    type Item = TypeId;

    #[inline]
    fn next(&mut self) -> Option<TypeId> {
        (self.next < self.end).then(|| {
            self.next += 1;
            TypeId(self.next - 1)
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.saturating_sub(self.next) as usize;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for TypeIds {
    fn next_back(&mut self) -> Option<TypeId> {
        (self.next < self.end).then(|| {
            self.end -= 1;
            TypeId(self.end)
        })
    }
}

impl ExactSizeIterator for TypeIds {}

impl std::iter::FusedIterator for TypeIds {}

/// The kind of a BTF type: the 5-bit number in the info word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Kind {
    /// Type id 0 only.
    Void = 0,
    /// An integer, char or bool.
    Int = 1,
    /// A pointer.
    Ptr = 2,
    /// A fixed-size array.
    Array = 3,
    /// A struct.
    Struct = 4,
    /// A union.
    Union = 5,
    /// An enum with 32-bit values.
    Enum = 6,
    /// A forward declaration of a struct or union (kind_flag: union).
    Fwd = 7,
    /// A typedef.
    Typedef = 8,
    /// `volatile` modifier.
    Volatile = 9,
    /// `const` modifier.
    Const = 10,
    /// `restrict` modifier.
    Restrict = 11,
    /// A function (name and linkage; its signature is a FUNC_PROTO).
    Func = 12,
    /// A function signature.
    FuncProto = 13,
    /// A global variable.
    Var = 14,
    /// A data section (.data, .bss, .rodata...) listing its variables.
    Datasec = 15,
    /// A floating-point type.
    Float = 16,
    /// `__attribute__((btf_decl_tag("...")))` on a declaration.
    DeclTag = 17,
    /// `__attribute__((btf_type_tag("...")))` on a pointer target.
    TypeTag = 18,
    /// An enum with 64-bit values.
    Enum64 = 19,
}

impl Kind {
    /// All kinds, indexed by their number.
    pub const ALL: [Kind; 20] = [
        Kind::Void,
        Kind::Int,
        Kind::Ptr,
        Kind::Array,
        Kind::Struct,
        Kind::Union,
        Kind::Enum,
        Kind::Fwd,
        Kind::Typedef,
        Kind::Volatile,
        Kind::Const,
        Kind::Restrict,
        Kind::Func,
        Kind::FuncProto,
        Kind::Var,
        Kind::Datasec,
        Kind::Float,
        Kind::DeclTag,
        Kind::TypeTag,
        Kind::Enum64,
    ];

    /// The kind with this number, if defined.
    pub fn from_u32(n: u32) -> Option<Kind> {
        Kind::ALL.get(n as usize).copied()
    }

    /// The kernel's name for the kind (`STRUCT`, `FUNC_PROTO`...), as bpftool prints it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Void => "VOID",
            Kind::Int => "INT",
            Kind::Ptr => "PTR",
            Kind::Array => "ARRAY",
            Kind::Struct => "STRUCT",
            Kind::Union => "UNION",
            Kind::Enum => "ENUM",
            Kind::Fwd => "FWD",
            Kind::Typedef => "TYPEDEF",
            Kind::Volatile => "VOLATILE",
            Kind::Const => "CONST",
            Kind::Restrict => "RESTRICT",
            Kind::Func => "FUNC",
            Kind::FuncProto => "FUNC_PROTO",
            Kind::Var => "VAR",
            Kind::Datasec => "DATASEC",
            Kind::Float => "FLOAT",
            Kind::DeclTag => "DECL_TAG",
            Kind::TypeTag => "TYPE_TAG",
            Kind::Enum64 => "ENUM64",
        }
    }

    /// Parses a kind name, case-insensitively, also accepting C spellings (`struct`, `func`, `enum64`).
    pub fn parse(s: &str) -> Option<Kind> {
        let up = s.to_ascii_uppercase().replace('-', "_");
        Kind::ALL.iter().copied().find(|k| k.name() == up)
    }

    /// Bytes that follow the 12-byte common header for a record of this kind with `vlen` entries.
    pub const fn extra_len(self, vlen: u16) -> usize {
        let vlen = vlen as usize;
        match self {
            Kind::Int => 4,
            Kind::Array => 12,
            Kind::Struct | Kind::Union => 12 * vlen,
            Kind::Enum => 8 * vlen,
            Kind::FuncProto => 8 * vlen,
            Kind::Var => 4,
            Kind::Datasec => 12 * vlen,
            Kind::DeclTag => 4,
            Kind::Enum64 => 12 * vlen,
            _ => 0,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `BTF_INT_*` encoding bits of an INT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IntEncoding {
    /// `BTF_INT_SIGNED`.
    pub signed: bool,
    /// `BTF_INT_CHAR`.
    pub char: bool,
    /// `BTF_INT_BOOL`.
    pub bool: bool,
}

impl IntEncoding {
    /// Decodes the 4 encoding bits.
    pub fn from_bits(bits: u8) -> Self {
        IntEncoding { signed: bits & 1 != 0, char: bits & 2 != 0, bool: bits & 4 != 0 }
    }

    /// Encodes to the 4 encoding bits.
    pub fn bits(self) -> u8 {
        self.signed as u8 | (self.char as u8) << 1 | (self.bool as u8) << 2
    }
}

/// An INT type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Int {
    /// Storage size in bytes.
    pub size: u32,
    /// Signedness, char, bool.
    pub encoding: IntEncoding,
    /// Bit offset of the value within its storage (0 in practice).
    pub offset: u8,
    /// Number of value bits.
    pub bits: u8,
}

/// An ARRAY type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Array {
    /// Element type.
    pub elem: TypeId,
    /// Index type (an INT; unused by C).
    pub index: TypeId,
    /// Number of elements.
    pub nelems: u32,
}

/// A member of a struct or union.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member<'a> {
    /// Member name; empty for an anonymous struct/union member.
    pub name: &'a str,
    /// Member type.
    pub type_id: TypeId,
    /// Offset from the start of the struct, in bits.
    pub bit_offset: u32,
    /// Bitfield width in bits, or 0 for a plain member.
    pub bitfield_size: u8,
}

/// A STRUCT or UNION.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composite<'a> {
    /// `sizeof` in bytes.
    pub size: u32,
    /// Members in declaration order.
    pub members: Vec<Member<'a>>,
}

/// A value of an ENUM or ENUM64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnumValue<'a> {
    /// Enumerator name.
    pub name: &'a str,
    /// Raw 64-bit pattern; for signed 32-bit enums it is sign-extended.
    pub value: u64,
}

/// An ENUM or ENUM64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enum<'a> {
    /// Storage size in bytes (1, 2, 4 or 8).
    pub size: u32,
    /// kind_flag: values are signed.
    pub signed: bool,
    /// Enumerators in declaration order.
    pub values: Vec<EnumValue<'a>>,
}

impl Enum<'_> {
    /// The bits of `value` that fit the enum's storage: what a `size`-byte field holding that
    /// enumerator reads as (a signed 32-bit `-1` is `0xffffffff` in memory, `u64::MAX` in BTF).
    pub fn stored(&self, value: u64) -> u64 {
        match self.size {
            1..=7 => value & ((1u64 << (self.size * 8)) - 1),
            _ => value,
        }
    }

    /// The first enumerator, in declaration order, whose value a field of this enum holding
    /// `raw` (its bytes, zero-extended) names.
    pub fn name_of(&self, raw: u64) -> Option<&str> {
        self.values.iter().find(|v| self.stored(v.value) == raw).map(|v| v.name)
    }
}

impl EnumValue<'_> {
    /// The value as C would write it, given the enum's signedness.
    pub fn display(&self, signed: bool) -> String {
        if signed {
            (self.value as i64).to_string()
        } else {
            self.value.to_string()
        }
    }
}

/// Linkage of a FUNC or VAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linkage {
    /// `static`.
    Static,
    /// Global, visible to other objects.
    Global,
    /// `extern`, resolved elsewhere.
    Extern,
    /// Any other number (kept for round-tripping).
    Other(u32),
}

impl Linkage {
    /// Decodes a linkage number.
    pub fn from_u32(n: u32) -> Self {
        match n {
            0 => Linkage::Static,
            1 => Linkage::Global,
            2 => Linkage::Extern,
            n => Linkage::Other(n),
        }
    }

    /// Encodes to its number.
    pub fn as_u32(self) -> u32 {
        match self {
            Linkage::Static => 0,
            Linkage::Global => 1,
            Linkage::Extern => 2,
            Linkage::Other(n) => n,
        }
    }

    /// Lower-case name as bpftool prints it.
    pub fn name(self) -> &'static str {
        match self {
            Linkage::Static => "static",
            Linkage::Global => "global",
            Linkage::Extern => "extern",
            Linkage::Other(_) => "unknown",
        }
    }
}

/// A FUNC: a named function whose signature is `proto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Func {
    /// The FUNC_PROTO type.
    pub proto: TypeId,
    /// Linkage.
    pub linkage: Linkage,
}

/// A parameter of a FUNC_PROTO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param<'a> {
    /// Parameter name (empty in prototypes that carry none).
    pub name: &'a str,
    /// Parameter type; 0 with an empty name as the last parameter means `...`.
    pub type_id: TypeId,
}

/// A FUNC_PROTO: return type and parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncProto<'a> {
    /// Return type (0 for void).
    pub ret: TypeId,
    /// Parameters in order.
    pub params: Vec<Param<'a>>,
}

impl FuncProto<'_> {
    /// True when the last parameter is the variadic marker.
    pub fn is_variadic(&self) -> bool {
        self.params.last().is_some_and(|p| p.type_id == TypeId::VOID && p.name.is_empty())
    }
}

/// A VAR: a global variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Var {
    /// Variable type.
    pub type_id: TypeId,
    /// Linkage.
    pub linkage: Linkage,
}

/// One variable's placement in a DATASEC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VarSecInfo {
    /// The VAR type.
    pub type_id: TypeId,
    /// Offset within the section.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

/// A DATASEC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datasec {
    /// Section size (clang leaves 0; loaders fill it from the ELF).
    pub size: u32,
    /// Variables in the section.
    pub vars: Vec<VarSecInfo>,
}

/// A DECL_TAG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeclTag {
    /// The tagged declaration.
    pub type_id: TypeId,
    /// -1 for the declaration itself, else the member or parameter index.
    pub component_idx: i32,
}

/// What a type is, beyond its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body<'a> {
    /// `void` (id 0).
    Void,
    /// INT.
    Int(Int),
    /// PTR to a type.
    Ptr(TypeId),
    /// ARRAY.
    Array(Array),
    /// STRUCT.
    Struct(Composite<'a>),
    /// UNION.
    Union(Composite<'a>),
    /// ENUM (32-bit values).
    Enum(Enum<'a>),
    /// FWD of a struct (`false`) or union (`true`).
    Fwd {
        /// kind_flag: a union.
        is_union: bool,
    },
    /// TYPEDEF.
    Typedef(TypeId),
    /// VOLATILE.
    Volatile(TypeId),
    /// CONST.
    Const(TypeId),
    /// RESTRICT.
    Restrict(TypeId),
    /// FUNC.
    Func(Func),
    /// FUNC_PROTO.
    FuncProto(FuncProto<'a>),
    /// VAR.
    Var(Var),
    /// DATASEC.
    Datasec(Datasec),
    /// FLOAT of `size` bytes.
    Float {
        /// Size in bytes.
        size: u32,
    },
    /// DECL_TAG.
    DeclTag(DeclTag),
    /// TYPE_TAG.
    TypeTag(TypeId),
    /// ENUM64.
    Enum64(Enum<'a>),
}

/// A decoded type: its name and body. Cheap to build; decode on demand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Type<'a> {
    /// Name, empty for anonymous types.
    pub name: &'a str,
    /// What the type is.
    pub body: Body<'a>,
}

impl<'a> Type<'a> {
    /// The kind.
    pub fn kind(&self) -> Kind {
        self.body.kind()
    }

    /// The type this one refers to, for kinds that refer to exactly one
    /// (PTR, TYPEDEF, modifiers, TYPE_TAG, FUNC, VAR, DECL_TAG, ARRAY's element).
    pub fn ref_type(&self) -> Option<TypeId> {
        match &self.body {
            Body::Ptr(t)
            | Body::Typedef(t)
            | Body::Volatile(t)
            | Body::Const(t)
            | Body::Restrict(t)
            | Body::TypeTag(t) => Some(*t),
            Body::Func(f) => Some(f.proto),
            Body::Var(v) => Some(v.type_id),
            Body::DeclTag(d) => Some(d.type_id),
            Body::Array(a) => Some(a.elem),
            _ => None,
        }
    }

    /// Every type id this type mentions, in record order.
    pub fn referenced_ids(&self) -> Vec<TypeId> {
        match &self.body {
            Body::Array(a) => vec![a.elem, a.index],
            Body::Struct(c) | Body::Union(c) => c.members.iter().map(|m| m.type_id).collect(),
            Body::FuncProto(p) => std::iter::once(p.ret).chain(p.params.iter().map(|p| p.type_id)).collect(),
            Body::Datasec(d) => d.vars.iter().map(|v| v.type_id).collect(),
            _ => self.ref_type().into_iter().collect(),
        }
    }

    /// Calls `f` on every type id this type mentions, allowing it to rewrite them.
    pub fn map_ids(&mut self, mut f: impl FnMut(TypeId) -> TypeId) {
        match &mut self.body {
            Body::Ptr(t)
            | Body::Typedef(t)
            | Body::Volatile(t)
            | Body::Const(t)
            | Body::Restrict(t)
            | Body::TypeTag(t) => *t = f(*t),
            Body::Func(x) => x.proto = f(x.proto),
            Body::Var(v) => v.type_id = f(v.type_id),
            Body::DeclTag(d) => d.type_id = f(d.type_id),
            Body::Array(a) => {
                a.elem = f(a.elem);
                a.index = f(a.index);
            }
            Body::Struct(c) | Body::Union(c) => c.members.iter_mut().for_each(|m| m.type_id = f(m.type_id)),
            Body::FuncProto(p) => {
                p.ret = f(p.ret);
                p.params.iter_mut().for_each(|q| q.type_id = f(q.type_id));
            }
            Body::Datasec(d) => d.vars.iter_mut().for_each(|v| v.type_id = f(v.type_id)),
            Body::Void | Body::Int(_) | Body::Enum(_) | Body::Enum64(_) | Body::Fwd { .. } | Body::Float { .. } => {}
        }
    }

    /// Struct or union members, if this is one.
    pub fn members(&self) -> Option<&[Member<'a>]> {
        match &self.body {
            Body::Struct(c) | Body::Union(c) => Some(&c.members),
            _ => None,
        }
    }

    /// True for the modifiers and typedef that CO-RE and layout look through.
    pub fn is_modifier_or_typedef(&self) -> bool {
        matches!(
            self.body,
            Body::Typedef(_) | Body::Volatile(_) | Body::Const(_) | Body::Restrict(_) | Body::TypeTag(_)
        )
    }
}

impl Body<'_> {
    /// The kind of this body.
    pub fn kind(&self) -> Kind {
        match self {
            Body::Void => Kind::Void,
            Body::Int(_) => Kind::Int,
            Body::Ptr(_) => Kind::Ptr,
            Body::Array(_) => Kind::Array,
            Body::Struct(_) => Kind::Struct,
            Body::Union(_) => Kind::Union,
            Body::Enum(_) => Kind::Enum,
            Body::Fwd { .. } => Kind::Fwd,
            Body::Typedef(_) => Kind::Typedef,
            Body::Volatile(_) => Kind::Volatile,
            Body::Const(_) => Kind::Const,
            Body::Restrict(_) => Kind::Restrict,
            Body::Func(_) => Kind::Func,
            Body::FuncProto(_) => Kind::FuncProto,
            Body::Var(_) => Kind::Var,
            Body::Datasec(_) => Kind::Datasec,
            Body::Float { .. } => Kind::Float,
            Body::DeclTag(_) => Kind::DeclTag,
            Body::TypeTag(_) => Kind::TypeTag,
            Body::Enum64(_) => Kind::Enum64,
        }
    }
}
