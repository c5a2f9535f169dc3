//! C output: one declaration, or a whole header usable as vmlinux.h.
//!
//! The rules follow what clang and libbpf's `btf_dump` agree on, so a header written here
//! compiles to the same `sizeof` and `offsetof` the BTF describes:
//! - [`decl`]: C declarators of any type (pointers to functions, arrays of pointers, const).
//! - [`composite`]: struct/union bodies with explicit padding and `packed` where needed.
//! - [`align`]: natural alignment and packed detection.
//! - `order` (internal): dependency order, forward declarations, anonymous types inline.
//! - [`names`]: unique C names when BTF has clashes (`foo___2`).
//! - [`header`]: the whole-header writer; [`describe`](mod@describe): one type for people, pahole style.

pub mod align;
pub mod composite;
pub mod decl;
pub mod describe;
mod emitter;
pub mod enums;
pub mod header;
pub mod names;
pub(crate) mod order;

pub use describe::{describe, func_prototype};
pub use header::{write_header, HeaderStats, HeaderWriter};

use crate::error::BtfError;
use crate::types::TypeId;

/// Deepest chain of declarators or nested definitions followed before giving up:
/// real BTF needs tens; hostile BTF with cycles would recurse forever.
pub const MAX_DEPTH: usize = 512;

/// Why C output failed.
#[derive(Debug, thiserror::Error)]
pub enum CError {
    /// The BTF is malformed where the printer looked.
    #[error(transparent)]
    Btf(#[from] BtfError),
    /// Writing the output failed.
    #[error("writing C output")]
    Io(#[from] std::io::Error),
    /// Types refer to each other by value (not through a pointer): no C order can define them.
    #[error("type id {id}: types contain each other by value, a cycle no C declaration order can satisfy")]
    Cycle {
        /// A type on the cycle.
        id: TypeId,
    },
    /// A chain of references deeper than [`MAX_DEPTH`] (a cycle through pointers or typedefs).
    #[error("type id {id}: type references nest deeper than {limit} (a reference cycle?)")]
    TooDeep {
        /// Where the chain started.
        id: TypeId,
        /// The limit.
        limit: usize,
    },
    /// A kind that has no C spelling where it appeared (a FUNC inside a declarator, ...).
    #[error("type id {id} ({kind}) cannot appear inside a C declaration")]
    NotAType {
        /// The type.
        id: TypeId,
        /// Its kind.
        kind: &'static str,
    },
}

/// Shorthand for C output results.
pub type Result<T, E = CError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests;
