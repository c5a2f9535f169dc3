//! Why two BTFs' versions of a type could not be compared.

use crate::{BtfError, Kind};

/// Which BTF of the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The first (`--btf A`, the old one).
    A,
    /// The second (`--btf B`, the new one).
    B,
}

/// Why no comparison was made.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// One BTF has no struct, union, enum or function by that name.
    #[error("no struct, union, enum or function named '{name}' in {side:?}")]
    NotFound {
        /// The BTF without it.
        side: Side,
        /// The name asked for.
        name: String,
        /// The kinds of the types it does have by that name (typedefs, forward declarations…).
        kinds: Vec<Kind>,
    },
    /// The name is a different kind of type in each BTF.
    #[error("'{name}' is a {a} in A and a {b} in B")]
    KindChanged {
        /// The name.
        name: String,
        /// Its kind in A.
        a: Kind,
        /// Its kind in B.
        b: Kind,
    },
    /// A kind that has no members, values or parameters to compare.
    #[error("{kind} types are not compared (struct, union, enum, enum64 and func are)")]
    KindNotCompared {
        /// The kind asked for.
        kind: Kind,
    },
    /// A type record could not be decoded.
    #[error("reading the type")]
    Btf(#[from] BtfError),
}
