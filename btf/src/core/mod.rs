//! CO-RE: compile-once run-everywhere relocations, computed against a target BTF.
//!
//! The flow for one relocation, as libbpf does it: parse the access string against the local
//! type into a [`spec::Spec`]; find target candidates by essential name and compatible kind
//! ([`candidates`]); match the spec against each (using the rules in [`compat`] and
//! [`matches`](mod@matches)); compute the local and target values; insist all
//! matching candidates agree ([`resolve`]); then patch the instruction ([`patch`](mod@patch)). A relocation
//! with no matching candidate is not an error: the instruction is poisoned so the verifier
//! rejects it only if it is reachable.

pub mod candidates;
pub mod compat;
pub mod error;
pub mod explain;
pub mod matches;
pub mod names;
pub mod patch;
pub mod relo;
pub mod resolve;
pub mod section;
pub mod spec;
mod spec_match;
mod values;

pub use candidates::CoreCache;
pub use error::{
    AccessError, Ambiguity, Answer, CompatError, CoreError, CoreResult, PatchProblem, PoisonReason, ReloProblem,
    SizeChange, SpecError, TypeRef, Unsatisfied,
};
pub use patch::{patch, poison_reloc_index, PatchOutcome, PoisonLog, POISON_CALL_IMM};
pub use relo::{CoreRelo, RelocKind};
pub use resolve::{relocate, CoreResolution, TargetMatch};
pub use section::{relocate_section, SectionReport};

use crate::error::BtfError;

/// Why a step failed, before the caller adds relocation context: each variant becomes the
/// [`CoreError`] of the same name.
#[derive(Debug)]
pub(crate) enum Why {
    /// Malformed BTF: [`CoreError::Btf`].
    Btf(BtfError),
    /// The value cannot be computed: [`CoreError::Unsatisfiable`].
    Unsatisfied(Unsatisfied),
    /// The relocation record is malformed: [`CoreError::BadRelo`].
    Relo(ReloProblem),
}

impl From<BtfError> for Why {
    fn from(e: BtfError) -> Self {
        Why::Btf(e)
    }
}

impl From<Unsatisfied> for Why {
    fn from(e: Unsatisfied) -> Self {
        Why::Unsatisfied(e)
    }
}

// Malformed BTF stays a BTF error wherever it was met; the rest are rules the target broke.
impl From<SpecError> for Why {
    fn from(e: SpecError) -> Self {
        match e {
            SpecError::Btf(e) => Why::Btf(e),
            other => Why::Unsatisfied(Unsatisfied::Spec(other)),
        }
    }
}

impl From<CompatError> for Why {
    fn from(e: CompatError) -> Self {
        match e {
            CompatError::Btf(e) => Why::Btf(e),
            other => Why::Unsatisfied(Unsatisfied::Compat(other)),
        }
    }
}
