//! Names as CO-RE compares and prints them.

use crate::btf::Btf;
use crate::error::Result;
use crate::types::{Body, TypeId};

/// Length of the essential part of `name`: everything before the LAST `X___Y` flavor
/// separator where X and Y are not underscores (libbpf's `bpf_core_essential_name_len`).
/// `task_struct___old` → 11; `___x` and `a____b` keep their full length.
pub fn essential_len(name: &str) -> usize {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(4))
        .rev()
        .find(|&i| b[i] != b'_' && &b[i + 1..i + 4] == b"___" && b[i + 4] != b'_')
        .map_or(b.len(), |i| i + 1)
}

/// The essential name: `name` without its flavor suffix.
pub fn essential(name: &str) -> &str {
    &name[..essential_len(name)]
}

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
    fn essential_names_follow_libbpf() {
        assert_eq!(essential("task_struct___old"), "task_struct");
        assert_eq!(essential("a___b___c"), "a___b");
        assert_eq!(essential("sock"), "sock");
        assert_eq!(essential("___x"), "___x");
        assert_eq!(essential("a____b"), "a____b");
        assert_eq!(essential("x___"), "x___");
        assert_eq!(essential(""), "");
        assert!(essentials_equal("foo___v2", "foo"));
    }
}
