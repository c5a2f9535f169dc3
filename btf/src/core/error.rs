//! Errors of CO-RE relocation and patching. Each carries the relocation number, and where it
//! applies the instruction index and the type involved.

use crate::error::BtfError;
use crate::types::TypeId;

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
        reason: String,
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
        reason: String,
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
        reason: String,
    },
    /// Malformed BTF was met while relocating.
    #[error("relocation #{relo}: {source}")]
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
        reason: String,
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
    /// Its answer ("bit offset 96", "value 4", "poison").
    pub first_value: String,
    /// The disagreeing candidate.
    pub second: TypeRef,
    /// Its answer.
    pub second_value: String,
}

/// Shorthand for CO-RE results.
pub type CoreResult<T> = std::result::Result<T, CoreError>;

/// Wraps a BTF error with the relocation number.
pub(crate) fn btf_err(relo: usize) -> impl Fn(BtfError) -> CoreError {
    move |source| CoreError::Btf { relo, source }
}
