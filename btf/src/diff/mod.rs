//! One named type across two BTFs (two kernels): a struct or union's members added, removed, moved, resized
//! or retyped; an enum's enumerators; a function's prototype. And which CO-RE relocations of an object reach
//! through what changed ([`touched`]).
//!
//! Members are matched by name, anonymous structs and unions flattened (their members are reached by name in
//! C, and CO-RE access strings step through them); offsets are in bits from the start of the named type.
//! Types are compared by their C spelling, since ids mean nothing across two BTFs.

mod composite;
mod enums;
mod error;
mod func;
#[cfg(test)]
mod tests;
mod touch;

pub use composite::{CompositeDiff, MemberChange, MemberInfo};
pub use enums::{EnumDiff, EnumeratorChange};
pub use error::{DiffError, Side};
pub use func::{FuncDiff, ParamChange, ParamInfo};
pub use touch::{touched, Touch, TouchReason};

use crate::{Btf, Kind, TypeId};

/// The comparison of one named type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeDiff {
    /// A struct or union.
    Composite(CompositeDiff),
    /// An enum (32- or 64-bit).
    Enum(EnumDiff),
    /// A function (FUNC and its prototype).
    Func(FuncDiff),
}

impl TypeDiff {
    /// Whether anything differs.
    pub fn is_empty(&self) -> bool {
        match self {
            TypeDiff::Composite(d) => d.changes.is_empty() && d.old_size == d.new_size && d.old_kind == d.new_kind,
            TypeDiff::Enum(d) => d.changes.is_empty() && d.old_size == d.new_size,
            TypeDiff::Func(d) => d.changes.is_empty() && d.old_ret == d.new_ret,
        }
    }

    /// The type's name.
    pub fn name(&self) -> &str {
        match self {
            TypeDiff::Composite(d) => &d.name,
            TypeDiff::Enum(d) => &d.name,
            TypeDiff::Func(d) => &d.name,
        }
    }
}

/// Which kinds `diff` compares, in the order it prefers when a name has several.
const KINDS: [Kind; 5] = [Kind::Struct, Kind::Union, Kind::Enum, Kind::Enum64, Kind::Func];

/// Compares the type named `name` in `a` (old) and `b` (new); `kind` picks one when the name has several.
pub fn diff(a: &Btf, b: &Btf, name: &str, kind: Option<Kind>) -> Result<TypeDiff, DiffError> {
    let ia = find(a, name, kind, Side::A)?;
    let ib = find(b, name, kind, Side::B)?;
    let (ka, kb) = (a.kind_of(ia)?, b.kind_of(ib)?);
    let family = |k: Kind| match k {
        Kind::Struct | Kind::Union => 0,
        Kind::Enum | Kind::Enum64 => 1,
        _ => 2,
    };
    if family(ka) != family(kb) {
        return Err(DiffError::KindChanged { name: name.to_owned(), a: ka, b: kb });
    }
    Ok(match family(ka) {
        0 => TypeDiff::Composite(composite::diff(a, ia, b, ib)?),
        1 => TypeDiff::Enum(enums::diff(a, ia, b, ib)?),
        _ => TypeDiff::Func(func::diff(a, ia, b, ib)?),
    })
}

/// The first type named `name` of a comparable kind (`kind` if given), preferring [`KINDS`]' order; a
/// forward declaration never answers when a definition exists, since there is nothing in it to compare.
fn find(btf: &Btf, name: &str, kind: Option<Kind>, side: Side) -> Result<TypeId, DiffError> {
    let ids: Vec<(TypeId, Kind)> = btf.ids_by_name(name).filter_map(|id| Some((id, btf.kind_of(id).ok()?))).collect();
    let wanted: Vec<Kind> = match kind {
        Some(k) if KINDS.contains(&k) => vec![k],
        Some(k) => return Err(DiffError::KindNotCompared { kind: k }),
        None => KINDS.to_vec(),
    };
    wanted.iter().find_map(|k| ids.iter().find(|(_, got)| got == k).map(|&(id, _)| id)).ok_or_else(|| {
        DiffError::NotFound { side, name: name.to_owned(), kinds: ids.iter().map(|&(_, k)| k).collect() }
    })
}

/// `btf`'s C spelling of `id` (`struct sk_buff *`), or its id when it has none.
fn c_type(btf: &Btf, id: TypeId) -> String {
    crate::c::decl::type_name(btf, id).unwrap_or_else(|_| format!("type [{id}]"))
}
