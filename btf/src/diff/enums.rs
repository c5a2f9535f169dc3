//! Enumerators across two BTFs, matched by name.

use std::collections::HashMap;

use crate::types::Body;
use crate::{Btf, TypeId};

/// How one enumerator differs (values as the enum's signedness reads them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnumeratorChange {
    /// Only in B, with its value.
    Added(String, i128),
    /// Only in A, with its value.
    Removed(String, i128),
    /// In both, with another value.
    Changed {
        /// The enumerator.
        name: String,
        /// Its value in A.
        old: i128,
        /// Its value in B.
        new: i128,
    },
}

/// An enum across two BTFs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumDiff {
    /// The enum's name.
    pub name: String,
    /// Its size in A, bytes.
    pub old_size: u32,
    /// Its size in B, bytes.
    pub new_size: u32,
    /// Enumerators in A.
    pub old_count: usize,
    /// Enumerators in B.
    pub new_count: usize,
    /// Changed and added enumerators in B's order, then removed ones in A's.
    pub changes: Vec<EnumeratorChange>,
}

fn values(btf: &Btf, id: TypeId) -> crate::Result<(u32, Vec<(String, i128)>)> {
    let t = btf.type_by_id(id)?;
    let (Body::Enum(e) | Body::Enum64(e)) = &t.body else {
        return Ok((0, Vec::new()));
    };
    let read = |v: u64| -> i128 {
        match (e.signed, e.size) {
            (true, 8) => i128::from(v as i64),
            (true, _) => i128::from(v as u32 as i32),
            (false, _) => i128::from(v),
        }
    };
    Ok((e.size, e.values.iter().map(|v| (v.name.to_owned(), read(v.value))).collect()))
}

/// Compares enum `ia` of `a` with enum `ib` of `b`.
pub(super) fn diff(a: &Btf, ia: TypeId, b: &Btf, ib: TypeId) -> crate::Result<EnumDiff> {
    let (old_size, old) = values(a, ia)?;
    let (new_size, new) = values(b, ib)?;
    let by_name: HashMap<&str, i128> = old.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let in_new: std::collections::HashSet<&str> = new.iter().map(|(n, _)| n.as_str()).collect();
    let mut changes = Vec::new();
    for (n, v) in &new {
        match by_name.get(n.as_str()) {
            None => changes.push(EnumeratorChange::Added(n.clone(), *v)),
            Some(&o) if o != *v => changes.push(EnumeratorChange::Changed { name: n.clone(), old: o, new: *v }),
            Some(_) => {}
        }
    }
    for (n, v) in &old {
        if !in_new.contains(n.as_str()) {
            changes.push(EnumeratorChange::Removed(n.clone(), *v));
        }
    }
    let (old_count, new_count) = (old.len(), new.len());
    Ok(EnumDiff { name: a.name_of(ia)?.to_owned(), old_size, new_size, old_count, new_count, changes })
}
