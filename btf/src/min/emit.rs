//! Writing the kept types as a new BTF: ids renumbered densely in the full BTF's order,
//! references rewritten, composites reduced to their kept members (size and offsets unchanged).

use std::collections::BTreeMap;

use super::Keep;
use crate::btf::Btf;
use crate::error::Result;
use crate::types::*;
use crate::write::BtfBuilder;

/// The type ids `body` refers to, counting only the members `keep` keeps.
pub(super) fn references(body: &Body<'_>, keep: &Keep) -> Vec<TypeId> {
    match body {
        Body::Struct(c) | Body::Union(c) => {
            c.members.iter().enumerate().filter(|(i, _)| kept_member(keep, *i)).map(|(_, m)| m.type_id).collect()
        }
        Body::Ptr(t) | Body::Typedef(t) | Body::Volatile(t) | Body::Const(t) | Body::Restrict(t) | Body::TypeTag(t) => {
            vec![*t]
        }
        Body::Array(a) => vec![a.elem, a.index],
        Body::FuncProto(p) => std::iter::once(p.ret).chain(p.params.iter().map(|q| q.type_id)).collect(),
        Body::Func(f) => vec![f.proto],
        Body::Var(v) => vec![v.type_id],
        _ => Vec::new(),
    }
}

fn kept_member(keep: &Keep, i: usize) -> bool {
    match keep {
        Keep::Shell => false,
        Keep::Members(set) => set.contains(&i),
        Keep::All => true,
    }
}

/// Encodes `kept` (ids of `full`, with how much of each) as raw BTF.
pub(super) fn emit(full: &Btf, kept: &BTreeMap<TypeId, Keep>) -> Result<Vec<u8>> {
    let ids: BTreeMap<TypeId, TypeId> =
        kept.keys().enumerate().map(|(i, &old)| (old, TypeId::new(i as u32 + 1))).collect();
    let map = |t: TypeId| if t == TypeId::VOID { t } else { ids.get(&t).copied().unwrap_or(TypeId::VOID) };
    let mut b = BtfBuilder::with_endian(full.endian());
    for (&old, keep) in kept {
        let t = full.type_by_id(old)?;
        let body = remap(t.body, keep, &map);
        b.add(&Type { name: t.name, body });
    }
    Ok(b.build())
}

/// `body` with every reference mapped and only the kept members.
fn remap<'a>(body: Body<'a>, keep: &Keep, map: &dyn Fn(TypeId) -> TypeId) -> Body<'a> {
    let members = |c: Composite<'a>| Composite {
        size: c.size,
        members: c
            .members
            .into_iter()
            .enumerate()
            .filter(|(i, _)| kept_member(keep, *i))
            .map(|(_, m)| Member { type_id: map(m.type_id), ..m })
            .collect(),
    };
    match body {
        Body::Struct(c) => Body::Struct(members(c)),
        Body::Union(c) => Body::Union(members(c)),
        Body::Ptr(t) => Body::Ptr(map(t)),
        Body::Typedef(t) => Body::Typedef(map(t)),
        Body::Volatile(t) => Body::Volatile(map(t)),
        Body::Const(t) => Body::Const(map(t)),
        Body::Restrict(t) => Body::Restrict(map(t)),
        Body::TypeTag(t) => Body::TypeTag(map(t)),
        Body::Array(a) => Body::Array(Array { elem: map(a.elem), index: map(a.index), nelems: a.nelems }),
        Body::FuncProto(p) => Body::FuncProto(FuncProto {
            ret: map(p.ret),
            params: p.params.into_iter().map(|q| Param { type_id: map(q.type_id), ..q }).collect(),
        }),
        Body::Func(f) => Body::Func(Func { proto: map(f.proto), ..f }),
        Body::Var(v) => Body::Var(Var { type_id: map(v.type_id), ..v }),
        Body::DeclTag(d) => Body::DeclTag(DeclTag { type_id: map(d.type_id), ..d }),
        other => other,
    }
}
