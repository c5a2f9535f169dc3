//! A function's prototype across two BTFs: return type and parameters by position.

use super::c_type;
use crate::types::Body;
use crate::{Btf, TypeId};

/// One parameter as it stands in one BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    /// Its position, from 0.
    pub index: usize,
    /// Its name (may be empty).
    pub name: String,
    /// Its type, spelled in C (`...` for the variadic marker).
    pub type_name: String,
}

/// How one parameter differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamChange {
    /// Only in B.
    Added(ParamInfo),
    /// Only in A.
    Removed(ParamInfo),
    /// At the same position with another name or type.
    Changed {
        /// As in A.
        old: ParamInfo,
        /// As in B.
        new: ParamInfo,
    },
}

/// A function across two BTFs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncDiff {
    /// The function's name.
    pub name: String,
    /// The C prototype in A.
    pub old_prototype: String,
    /// The C prototype in B.
    pub new_prototype: String,
    /// The return type in A.
    pub old_ret: String,
    /// The return type in B.
    pub new_ret: String,
    /// Parameter differences, by position.
    pub changes: Vec<ParamChange>,
}

fn params(btf: &Btf, id: TypeId) -> crate::Result<(String, Vec<ParamInfo>)> {
    let Body::Func(f) = btf.type_by_id(id)?.body else {
        return Ok((String::new(), Vec::new()));
    };
    let Body::FuncProto(p) = btf.type_by_id(f.proto)?.body else {
        return Ok((String::new(), Vec::new()));
    };
    let list = p
        .params
        .iter()
        .enumerate()
        .map(|(index, q)| ParamInfo {
            index,
            name: q.name.to_owned(),
            type_name: if q.type_id == TypeId::VOID { "...".into() } else { c_type(btf, q.type_id) },
        })
        .collect();
    Ok((c_type(btf, p.ret), list))
}

/// Compares function `ia` of `a` with function `ib` of `b`.
pub(super) fn diff(a: &Btf, ia: TypeId, b: &Btf, ib: TypeId) -> crate::Result<FuncDiff> {
    let (old_ret, old) = params(a, ia)?;
    let (new_ret, new) = params(b, ib)?;
    let mut changes = Vec::new();
    for i in 0..old.len().max(new.len()) {
        match (old.get(i), new.get(i)) {
            (Some(o), Some(n)) if o != n => changes.push(ParamChange::Changed { old: o.clone(), new: n.clone() }),
            (Some(o), None) => changes.push(ParamChange::Removed(o.clone())),
            (None, Some(n)) => changes.push(ParamChange::Added(n.clone())),
            _ => {}
        }
    }
    let proto = |btf: &Btf, id| crate::c::func_prototype(btf, id).unwrap_or_default();
    Ok(FuncDiff {
        name: a.name_of(ia)?.to_owned(),
        old_prototype: proto(a, ia),
        new_prototype: proto(b, ib),
        old_ret,
        new_ret,
        changes,
    })
}
