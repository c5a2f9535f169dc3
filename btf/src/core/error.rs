//! Errors of CO-RE relocation and patching. Each carries the relocation number, and where it
//! applies the instruction index and the type involved.

use crate::core::relo::RelocKind;
use crate::error::BtfError;
use crate::insn::Insn;
use crate::types::{Kind, TypeId};

/// A type as errors name it: id and C-ish name (`[12] struct sock`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeRef {
    /// Type id.
    pub id: TypeId,
    /// Display name, e.g. `struct sock`.
    pub name: String,
}

impl std::fmt::Display for TypeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.id, self.name)
    }
}

/// Why a CO-RE relocation could not be computed or applied. (A missing target is not an
/// error: the instruction is poisoned instead.)
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// The access string does not describe a valid access into the local type.
    #[error("relocation #{relo}: access string \"{access}\" on local type {ty}: {reason}")]
    BadSpec {
        /// Relocation index.
        relo: usize,
        /// The access string.
        access: String,
        /// Local root type.
        ty: TypeRef,
        /// What is wrong.
        reason: SpecError,
    },
    /// The relocation record itself is malformed (insn offset, kind on an anonymous type...).
    #[error("relocation #{relo} ({kind}) on local type {ty}: {reason}")]
    BadRelo {
        /// Relocation index.
        relo: usize,
        /// Relocation kind.
        kind: &'static str,
        /// Local root type.
        ty: TypeRef,
        /// What is wrong.
        reason: ReloProblem,
    },
    /// Two matching target candidates give different answers.
    #[error("{0}")]
    Ambiguous(Box<Ambiguity>),
    /// The value cannot be computed for this access (e.g. a bitfield no 8-byte load covers).
    #[error("relocation #{relo} ({kind}) for {spec}: {reason}")]
    Unsatisfiable {
        /// Relocation index.
        relo: usize,
        /// Relocation kind.
        kind: &'static str,
        /// Spec text (local or target).
        spec: String,
        /// What is wrong.
        reason: Unsatisfied,
    },
    /// Malformed BTF was met while relocating.
    #[error("relocation #{relo}")]
    Btf {
        /// Relocation index.
        relo: usize,
        /// The BTF problem.
        source: BtfError,
    },
    /// The instruction cannot be patched as the relocation requires.
    #[error("relocation #{relo}: instruction #{insn}: {reason}")]
    Patch {
        /// Relocation index.
        relo: usize,
        /// Instruction index.
        insn: usize,
        /// What is wrong.
        reason: PatchProblem,
    },
    /// The instruction does not hold the value the compiler recorded for the local type.
    #[error(
        "relocation #{relo}: instruction #{insn} ({what}) holds {got}, but the local type says {expected} \
         (would become {new})"
    )]
    UnexpectedValue {
        /// Relocation index.
        relo: usize,
        /// Instruction index.
        insn: usize,
        /// Which operand ("imm", "off", "imm64").
        what: &'static str,
        /// What the instruction holds.
        got: i64,
        /// The local value.
        expected: u64,
        /// The target value.
        new: u64,
    },
}

/// Two target candidates that both match but disagree (libbpf refuses to guess, and so do we).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error(
    "relocation #{relo} ({kind}) for {spec}: ambiguous: candidate {first} gives {first_value} but candidate {second} \
     gives {second_value}"
)]
pub struct Ambiguity {
    /// Relocation index.
    pub relo: usize,
    /// Relocation kind.
    pub kind: &'static str,
    /// Local spec text.
    pub spec: String,
    /// The first matching candidate.
    pub first: TypeRef,
    /// Its answer (bit offset 96, value 4, poison).
    pub first_value: Answer,
    /// The disagreeing candidate.
    pub second: TypeRef,
    /// Its answer.
    pub second_value: Answer,
}

/// What one matching candidate makes of a relocation, as [`Ambiguity`] compares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Where the field is: candidates that disagree on this are compared no further.
    BitOffset(u32),
    /// The value the instruction would get.
    Value(u64),
    /// The instruction would be poisoned.
    Poison,
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::BitOffset(bits) => write!(f, "bit offset {bits}"),
            Answer::Value(v) => write!(f, "value {v}"),
            Answer::Poison => f.write_str("poison"),
        }
    }
}

/// Why an access string is not a list of indices ([`crate::core::spec::parse_access`]).
/// `step` counts the string's `:`-separated parts from 0.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AccessError {
    /// The string is empty.
    #[error("access string is empty")]
    Empty,
    /// A part is empty or not all digits.
    #[error("'{part}' is not an index")]
    NotAnIndex {
        /// Which part.
        step: usize,
        /// Its text.
        part: String,
    },
    /// More parts than libbpf accepts.
    #[error("more than {max} steps")]
    TooManySteps {
        /// The limit ([`crate::core::spec::MAX_SPEC_LEN`]).
        max: usize,
    },
    /// A part that does not fit 32 bits.
    #[error("index {part} is too large")]
    TooLarge {
        /// Which part.
        step: usize,
        /// Its text.
        part: String,
    },
}

/// Why an access string does not describe an access into its type
/// ([`crate::core::spec::parse_spec`], [`CoreError::BadSpec`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SpecError {
    /// The access string itself is malformed.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Malformed BTF was met on the way.
    #[error(transparent)]
    Btf(#[from] BtfError),
    /// A type-based relocation with an access string other than "0".
    #[error("type relocations use access string \"0\", not \"{access}\"")]
    TypeAccessNotZero {
        /// The access string.
        access: String,
    },
    /// An enum value relocation on a type that is no enum.
    #[error("enum value relocation on a {kind}, not an enum")]
    NotAnEnum {
        /// The kind found (modifiers and typedefs skipped).
        kind: Kind,
    },
    /// An enum value relocation with more than one index.
    #[error("enum value relocations take a single index, not {steps}")]
    EnumvalSteps {
        /// How many the access string has.
        steps: usize,
    },
    /// An enumerator index past the enum's values.
    #[error("enumerator index {index} is out of range (the enum has {count})")]
    EnumeratorOutOfRange {
        /// The index.
        index: u32,
        /// Number of enumerators.
        count: usize,
    },
    /// A member index past the struct's or union's members.
    #[error("member index {index} is out of range ({name} has {count})")]
    MemberOutOfRange {
        /// The index.
        index: u32,
        /// The struct or union.
        id: TypeId,
        /// Its name (empty if anonymous).
        name: String,
        /// Number of members.
        count: usize,
    },
    /// An array index past the array's length (and the array is not a flexible array member).
    #[error("array index {index} is out of range ({nelems} elements)")]
    ArrayIndexOutOfRange {
        /// The index.
        index: u32,
        /// Number of elements.
        nelems: u32,
    },
    /// An index applied to a type that has neither members nor elements.
    #[error("step {step} (index {index}) reaches type [{id}] of kind {kind}, which has no members or elements")]
    NoMembers {
        /// Which step of the access string.
        step: usize,
        /// Its index.
        index: u32,
        /// The type reached (modifiers and typedefs skipped).
        id: TypeId,
        /// Its kind.
        kind: Kind,
    },
    /// A path longer than libbpf accepts.
    #[error("access path is deeper than {max} steps")]
    TooDeep {
        /// The limit ([`crate::core::spec::MAX_SPEC_LEN`]).
        max: usize,
    },
    /// The accessed field's bit offset does not fit 32 bits.
    #[error("bit offset {bits} overflows 32 bits")]
    BitOffsetOverflow {
        /// The bit offset.
        bits: u64,
    },
}

/// Why two types could not be compared ([`crate::core::compat::types_are_compat`],
/// [`crate::core::matches::types_match`]): malformed BTF, or nesting past the limits that
/// stop cycles.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CompatError {
    /// Malformed BTF was met on the way.
    #[error(transparent)]
    Btf(#[from] BtfError),
    /// A field's type leads through more arrays than the limit.
    #[error("field types nest deeper than {limit} levels (a cycle?)")]
    FieldsTooDeep {
        /// The limit.
        limit: usize,
    },
    /// A type leads through more pointers, arrays or prototypes than the limit.
    #[error("types nest deeper than {limit} levels (a cycle?)")]
    TypesTooDeep {
        /// The limit.
        limit: usize,
    },
    /// Function prototypes inside prototypes, past the recursion budget.
    #[error("function prototypes nest too deeply (more than {levels} levels)")]
    ProtosTooDeep {
        /// The budget ([`crate::core::compat::TYPES_COMPAT_LEVELS`]).
        levels: u32,
    },
    /// Members and parameters inside each other, past TYPE_MATCHES' recursion budget.
    #[error("types nest too deeply to match (more than {levels} levels)")]
    MatchTooDeep {
        /// The budget ([`crate::core::matches::TYPES_MATCH_LEVELS`]).
        levels: u32,
    },
}

/// Why a relocation's value cannot be computed ([`CoreError::Unsatisfiable`]). Malformed BTF
/// is never one of these: it is [`CoreError::Btf`].
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Unsatisfied {
    /// Building the target's spec broke a spec rule (its path or bit offset).
    #[error("{0}")]
    Spec(#[source] SpecError),
    /// Comparing local and target types hit a nesting limit.
    #[error("{0}")]
    Compat(#[source] CompatError),
    /// The spec has no accessors, though this kind of relocation needs one.
    #[error("the spec has no accessors")]
    NoAccessors,
    /// An accessor names a member its type does not have.
    #[error("accessor points at missing member {index} of [{id}]")]
    MissingMember {
        /// The member index.
        index: u32,
        /// The struct or union.
        id: TypeId,
    },
    /// An accessor names an enumerator its enum does not have.
    #[error("enumerator {index} of [{id}] is missing")]
    MissingEnumerator {
        /// The enumerator index.
        index: u32,
        /// The enum.
        id: TypeId,
    },
    /// A relocation kind that only applies to fields, on an array element.
    #[error("{kind} cannot be applied to an array element")]
    ArrayElement {
        /// The relocation kind.
        kind: RelocKind,
    },
    /// A bitfield whose type is neither an int nor an enum.
    #[error("bitfield '{name}' has type of kind {kind}")]
    BitfieldType {
        /// The member.
        name: String,
        /// The kind of its type.
        kind: Kind,
    },
    /// A bitfield that no aligned load of at most 8 bytes covers.
    #[error(
        "bitfield '{name}' ({bits} bits at bit {bit_offset}) cannot be read with a single load of at most 8 bytes"
    )]
    BitfieldLoad {
        /// The member.
        name: String,
        /// Its bit offset from the start of the root type.
        bit_offset: u32,
        /// Its width in bits.
        bits: u32,
    },
    /// A kind given to the field computation that is not a field relocation.
    #[error("{kind} is not a field relocation")]
    NotField {
        /// The relocation kind.
        kind: RelocKind,
    },
    /// A kind given to the type computation that is not a type relocation.
    #[error("{kind} is not a type relocation")]
    NotType {
        /// The relocation kind.
        kind: RelocKind,
    },
    /// The local side found nothing, which a relocation of the object's own type cannot.
    #[error("the local side cannot be missing")]
    LocalMissing,
}

/// Why a relocation record is malformed ([`CoreError::BadRelo`]).
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum ReloProblem {
    /// `insn_off` is not at an instruction boundary.
    #[error("insn_off {insn_off} is not a multiple of 8")]
    InsnOffUnaligned {
        /// The recorded byte offset.
        insn_off: u32,
    },
    /// The local type has no name, so no target type can be looked up.
    #[error("CO-RE cannot relocate anonymous types (there is no name to look up in the target)")]
    Anonymous,
}

/// Why an instruction cannot be patched ([`CoreError::Patch`]).
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum PatchProblem {
    /// The relocation's instruction index is past the program.
    #[error("out of range: the program has {count} instructions")]
    OutOfRange {
        /// Instructions in the program.
        count: usize,
    },
    /// An ALU instruction whose operand is a register, which holds no relocated value.
    #[error("ALU instruction {code:#04x} takes a register, not an immediate")]
    RegisterOperand {
        /// The opcode.
        code: u8,
    },
    /// A field offset too large for a load's or store's 16-bit offset.
    #[error("offset {offset} does not fit the 16-bit offset field")]
    OffsetTooLarge {
        /// The target offset.
        offset: u64,
    },
    /// A load or store whose width is not the local field's size.
    #[error("accesses {access} bytes, but the local field is {local} bytes")]
    AccessSize {
        /// The instruction's access size.
        access: u32,
        /// The local field's size.
        local: u32,
    },
    /// A target field size no load or store has.
    #[error("the target field's {size} bytes is not a load/store size")]
    NotAccessSize {
        /// The target field's size.
        size: u32,
    },
    /// An LD-class instruction that is not a plain two-slot ld_imm64.
    #[error("is not a plain two-slot ld_imm64")]
    NotLdImm64,
    /// An ld_imm64 in the last slot, without its second half.
    #[error("ld_imm64 is missing its second slot")]
    MissingSecondSlot,
    /// An instruction class CO-RE never patches (jumps, calls...).
    #[error(
        "code {:#04x} (dst r{}, src r{}, off {}, imm {}) is not an instruction CO-RE can patch",
        .insn.code, .insn.dst, .insn.src, .insn.off, .insn.imm
    )]
    Unpatchable {
        /// The instruction.
        insn: Insn,
    },
}

/// Why a relocation poisons its instruction ([`crate::core::PatchOutcome::Poisoned`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PoisonReason {
    /// No target type has the local type's essential name.
    #[error("no type named like {} in target", .local.name)]
    NoCandidate {
        /// The local root type.
        local: TypeRef,
    },
    /// Candidates exist, but none has the field, enumerator or type the relocation needs.
    #[error("{} missing in target", missing_what(.kind))]
    Missing {
        /// The relocation kind, which says what is missing.
        kind: RelocKind,
    },
    /// A load or store of a field whose size changed in a way it cannot follow.
    #[error("{0}")]
    SizeChange(SizeChange),
}

/// What a relocation of `kind` looks for: "field", "type" or "enum value".
fn missing_what(kind: &RelocKind) -> &'static str {
    if kind.is_enumval_based() {
        "enum value"
    } else if kind.is_type_based() {
        "type"
    } else {
        "field"
    }
}

/// A field whose size changed between local and target in a way a load or store cannot follow
/// (only pointers and non-signed ints may change size: see [`crate::core::CoreResolution`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("field type changed from {} to {}: only pointers and unsigned integers can change size", .from.name, .to.name)]
pub struct SizeChange {
    /// The local field's type.
    pub from: TypeRef,
    /// The target field's type.
    pub to: TypeRef,
}

/// Shorthand for CO-RE results.
pub type CoreResult<T> = std::result::Result<T, CoreError>;

/// Wraps a BTF error with the relocation number.
pub(crate) fn btf_err(relo: usize) -> impl Fn(BtfError) -> CoreError {
    move |source| CoreError::Btf { relo, source }
}
