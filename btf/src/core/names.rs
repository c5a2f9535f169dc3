//! Names as CO-RE compares and prints them.

use crate::btf::Btf;
use crate::error::Result;
use crate::types::{Body, TypeId};

pub use crate::flavors::{essential, essential_len};

/// True when two names are equal once flavors are dropped.
pub fn essentials_equal(a: &str, b: &str) -> bool {
    essential(a) == essential(b)
}

/// A type as C would name it: `struct sock`, `enum pid_type`, `typedef u32`, `int`,
/// `struct <anon>`.
pub fn type_display(btf: &Btf, id: TypeId) -> Result<String> {
    let t = btf.type_by_id(id)?;
    let name = if t.name.is_empty() { "<anon>" } else { t.name };
    Ok(match &t.body {
        Body::Void => "void".to_owned(),
        Body::Struct(_) => format!("struct {name}"),
        Body::Union(_) => format!("union {name}"),
        Body::Enum(_) | Body::Enum64(_) => format!("enum {name}"),
        Body::Fwd { is_union } => format!("{} {name} (fwd)", if *is_union { "union" } else { "struct" }),
        Body::Typedef(_) => format!("typedef {name}"),
        Body::Int(_) | Body::Float { .. } => name.to_owned(),
        other => format!("{} {name}", other.kind().name().to_ascii_lowercase()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essentials_compare_without_flavors() {
        assert!(essentials_equal("foo___v2", "foo"));
    }
}
