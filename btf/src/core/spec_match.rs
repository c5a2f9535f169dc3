//! Matching a local spec against one target candidate, building the target spec.

use crate::btf::Btf;
use crate::core::compat::{fields_are_compat, types_compat_level, TYPES_COMPAT_LEVELS};
use crate::core::error::Unsatisfied;
use crate::core::matches::{match_level, TYPES_MATCH_LEVELS};
use crate::core::names::essentials_equal;
use crate::core::relo::RelocKind;
use crate::core::spec::{is_flex_array, Accessor, Spec};
use crate::core::Why;
use crate::types::{Body, TypeId};

/// Matches `local` against candidate `cand` of `target`. `None` when the candidate does not
/// fit (a field missing or incompatible, an enumerator missing, an index out of bounds).
pub(crate) fn match_spec(local_btf: &Btf, local: &Spec, target: &Btf, cand: TypeId) -> Result<Option<Spec>, Why> {
    let mut spec = Spec::empty(local.kind, cand);
    if local.kind.is_type_based() {
        let ok = if local.kind == RelocKind::TypeMatches {
            match_level(local_btf, local.root_type_id, target, cand, false, TYPES_MATCH_LEVELS)?
        } else {
            types_compat_level(local_btf, local.root_type_id, target, cand, TYPES_COMPAT_LEVELS)?
        };
        return Ok(ok.then_some(spec));
    }
    let Some(first) = local.accessors.first() else {
        return Err(Unsatisfied::NoAccessors.into());
    };
    if local.kind.is_enumval_based() {
        return match_enumval(first, target, cand, spec);
    }
    let mut tid = cand;
    for (i, acc) in local.accessors.iter().enumerate() {
        tid = target.skip_mods_and_typedefs(tid)?;
        if acc.name.is_some() {
            match match_member(local_btf, acc, target, tid, &mut spec)? {
                Some(next) => tid = next,
                None => return Ok(None),
            }
            continue;
        }
        if i > 0 {
            let Body::Array(a) = target.type_by_id(tid)?.body else {
                return Ok(None);
            };
            let flex = is_flex_array(target, spec.accessors.last(), a.nelems)?;
            if !flex && acc.idx >= a.nelems {
                return Ok(None);
            }
            tid = target.skip_mods_and_typedefs(a.elem)?;
        }
        spec.push_raw(acc.idx)?;
        spec.accessors.push(Accessor { type_id: tid, idx: acc.idx, name: None });
        spec.add_elems(target, tid, acc.idx)?;
    }
    Ok(Some(spec))
}

fn match_enumval(local: &Accessor, target: &Btf, cand: TypeId, mut spec: Spec) -> Result<Option<Spec>, Why> {
    let tid = target.skip_mods_and_typedefs(cand)?;
    let t = target.type_by_id(tid)?;
    let (Body::Enum(e) | Body::Enum64(e)) = &t.body else {
        return Ok(None);
    };
    let want = local.name.as_deref().unwrap_or("");
    let Some(i) = e.values.iter().position(|v| essentials_equal(v.name, want)) else {
        return Ok(None);
    };
    spec.raw.push(i as u32);
    spec.accessors.push(Accessor { type_id: tid, idx: i as u32, name: Some(e.values[i].name.to_owned()) });
    Ok(Some(spec))
}

/// Finds the local named field in target composite `tid`, searching anonymous members
/// depth-first in declaration order. On a name match the field types must be compatible;
/// if not, the search at this level stops (as in libbpf). Returns the target field's type.
fn match_member(
    local_btf: &Btf,
    acc: &Accessor,
    target: &Btf,
    tid: TypeId,
    spec: &mut Spec,
) -> Result<Option<TypeId>, Why> {
    let tid = target.skip_mods_and_typedefs(tid)?;
    let tt = target.type_by_id(tid)?;
    let Some(members) = tt.members() else {
        return Ok(None);
    };
    let lt = local_btf.type_by_id(acc.type_id)?;
    let lm = lt
        .members()
        .and_then(|m| m.get(acc.idx as usize))
        .ok_or(Unsatisfied::MissingMember { index: acc.idx, id: acc.type_id })?;
    for (i, m) in members.iter().enumerate() {
        spec.push_raw(i as u32)?;
        let saved_bits = spec.bit_offset;
        spec.add_bits(m.bit_offset as u64)?;
        if m.name.is_empty() {
            if let Some(found) = match_member(local_btf, acc, target, m.type_id, spec)? {
                return Ok(Some(found));
            }
        } else if m.name == lm.name {
            if fields_are_compat(local_btf, lm.type_id, target, m.type_id)? {
                spec.accessors.push(Accessor { type_id: tid, idx: i as u32, name: Some(m.name.to_owned()) });
                return Ok(Some(m.type_id));
            }
            spec.raw.pop();
            spec.bit_offset = saved_bits;
            return Ok(None);
        }
        spec.raw.pop();
        spec.bit_offset = saved_bits;
    }
    Ok(None)
}
