//! CO-RE: compile-once run-everywhere relocations, computed against a target BTF.
//!
//! The flow for one relocation, as libbpf does it: parse the access string against the local
//! type into a [`spec::Spec`]; find target candidates by essential name and compatible kind
//! ([`candidates`]); match the spec against each (using the rules in [`compat`] and
//! [`matches`]); compute the local and target values; insist all
//! matching candidates agree ([`resolve`]); then patch the instruction ([`patch`]). A relocation
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
pub use error::{Ambiguity, CoreError, CoreResult, TypeRef};
pub use patch::{patch, poison_reloc_index, PatchOutcome, PoisonLog, POISON_CALL_IMM};
pub use relo::{CoreRelo, RelocKind};
pub use resolve::{relocate, CoreResolution, TargetMatch};
pub use section::{relocate_section, SectionReport};

use crate::error::BtfError;

/// Why a step failed, before the caller adds relocation context.
#[derive(Debug)]
pub(crate) enum Why {
    /// Malformed BTF.
    Btf(BtfError),
    /// A rule was broken; the text says which.
    Msg(String),
}

impl From<BtfError> for Why {
    fn from(e: BtfError) -> Self {
        Why::Btf(e)
    }
}

impl Why {
    pub(crate) fn msg(s: impl Into<String>) -> Why {
        Why::Msg(s.into())
    }
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::Btf(e) => e.fmt(f),
            Why::Msg(m) => f.write_str(m),
        }
    }
}
