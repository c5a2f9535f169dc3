//! TYPE_MATCHES: a stricter, structural comparison than TYPE_EXISTS (libbpf's
//! `bpf_core_types_match`).
//!
//! Modifiers and typedefs are skipped; names must match (flavors ignored) at every level;
//! kinds must be equal, except that behind a pointer a struct/union matches a forward
//! declaration of the same flavor, and ENUM matches ENUM64. Ints match on size and
//! signedness; arrays on length and element; structs/unions need every local member to exist
//! by name in the target with a matching type; enums need the same size and every local
//! enumerator name present; function prototypes need the same arity and matching types.

use crate::btf::Btf;
use crate::core::error::CompatError;
use crate::core::names::essential_len;
use crate::types::{Body, Kind, TypeId};

/// Recursion budget (libbpf passes 32).
pub const TYPES_MATCH_LEVELS: u32 = 32;
const MAX_DEPTH: usize = 32;

/// libbpf's `bpf_core_names_match`: an anonymous target matches only an anonymous local;
/// otherwise the essential names must be equal.
fn names_match(local: &str, target: &str) -> bool {
    if target.is_empty() {
        return local.is_empty();
    }
    local[..essential_len(local)] == target[..essential_len(target)]
}

/// True when the target type matches the local one (see the module docs).
pub fn types_match(local: &Btf, lid: TypeId, target: &Btf, tid: TypeId) -> Result<bool, CompatError> {
    match_level(local, lid, target, tid, false, TYPES_MATCH_LEVELS)
}

pub(crate) fn match_level(
    local: &Btf,
    lid: TypeId,
    target: &Btf,
    tid: TypeId,
    mut behind_ptr: bool,
    level: u32,
) -> Result<bool, CompatError> {
    if level == 0 {
        return Err(CompatError::MatchTooDeep { levels: TYPES_MATCH_LEVELS });
    }
    let (mut lid, mut tid) = (lid, tid);
    for _ in 0..MAX_DEPTH {
        lid = local.skip_mods_and_typedefs(lid)?;
        tid = target.skip_mods_and_typedefs(tid)?;
        let lt = local.type_by_id(lid)?;
        let tt = target.type_by_id(tid)?;
        if !names_match(lt.name, tt.name) {
            return Ok(false);
        }
        let (lk, tk) = (lt.kind(), tt.kind());
        match (&lt.body, &tt.body) {
            (Body::Void, _) => return Ok(tk == Kind::Void),
            (Body::Fwd { is_union }, _) => {
                return Ok(match &tt.body {
                    Body::Fwd { is_union: t } => is_union == t,
                    Body::Struct(_) => behind_ptr && !is_union,
                    Body::Union(_) => behind_ptr && *is_union,
                    _ => false,
                })
            }
            (Body::Enum(le) | Body::Enum64(le), Body::Enum(te) | Body::Enum64(te)) => {
                return Ok(le.size == te.size
                    && le.values.len() <= te.values.len()
                    && le.values.iter().all(|l| te.values.iter().any(|t| names_match(l.name, t.name))));
            }
            (Body::Struct(lc) | Body::Union(lc), _) => {
                if behind_ptr {
                    return Ok(match &tt.body {
                        _ if lk == tk => true,
                        Body::Fwd { is_union } => (lk == Kind::Union) == *is_union,
                        _ => false,
                    });
                }
                let (Body::Struct(tc) | Body::Union(tc)) = &tt.body else {
                    return Ok(false);
                };
                if lk != tk || lc.members.len() > tc.members.len() {
                    return Ok(false);
                }
                for lm in &lc.members {
                    let mut found = false;
                    for tm in tc.members.iter().filter(|tm| names_match(lm.name, tm.name)) {
                        if match_level(local, lm.type_id, target, tm.type_id, behind_ptr, level - 1)? {
                            found = true;
                            break;
                        }
                    }
                    if !found {
                        return Ok(false);
                    }
                }
                return Ok(true);
            }
            (Body::Int(l), Body::Int(t)) => return Ok(l.size == t.size && l.encoding.signed == t.encoding.signed),
            (Body::Ptr(l), Body::Ptr(t)) => {
                behind_ptr = true;
                (lid, tid) = (*l, *t);
            }
            (Body::Array(l), Body::Array(t)) => {
                if l.nelems != t.nelems {
                    return Ok(false);
                }
                (lid, tid) = (l.elem, t.elem);
            }
            (Body::FuncProto(lp), Body::FuncProto(tp)) => {
                if lp.params.len() != tp.params.len() {
                    return Ok(false);
                }
                for (l, t) in lp.params.iter().zip(&tp.params) {
                    if !match_level(local, l.type_id, target, t.type_id, behind_ptr, level - 1)? {
                        return Ok(false);
                    }
                }
                (lid, tid) = (lp.ret, tp.ret);
            }
            _ => return Ok(false),
        }
    }
    Err(CompatError::TypesTooDeep { limit: MAX_DEPTH })
}
