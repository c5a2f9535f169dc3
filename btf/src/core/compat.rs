//! Compatibility rules between a local and a target type, exactly as libbpf applies them:
//! `bpf_core_fields_are_compat` for a matched field's type, `bpf_core_types_are_compat` for
//! type-based relocations (TYPE_EXISTS, TYPE_SIZE, TYPE_ID_TARGET).

use crate::btf::Btf;
use crate::core::error::CompatError;
use crate::core::names::essential_len;
use crate::types::{Body, Kind, TypeId};

/// Recursion budget of `bpf_core_types_are_compat` (libbpf passes 32).
pub const TYPES_COMPAT_LEVELS: u32 = 32;
/// Hops one comparison may take through pointers/arrays before it is called a cycle.
const MAX_DEPTH: usize = 32;

fn is_any_enum(k: Kind) -> bool {
    matches!(k, Kind::Enum | Kind::Enum64)
}

/// Same kind, or both enums (ENUM and ENUM64 relocate into each other).
pub fn kinds_compatible(a: Kind, b: Kind) -> bool {
    a == b || (is_any_enum(a) && is_any_enum(b))
}

fn int_offset(body: &Body<'_>) -> u8 {
    match body {
        Body::Int(i) => i.offset,
        _ => 0,
    }
}

/// Field types: any two structs/unions match; pointers and floats always; ints unless one
/// is a legacy bitfield int (offset ≠ 0), whatever their size or sign; enums and fwds if their
/// essential names are equal or one is anonymous; arrays by element type, ignoring length.
pub(crate) fn fields_are_compat(local: &Btf, lid: TypeId, target: &Btf, tid: TypeId) -> Result<bool, CompatError> {
    let (mut lid, mut tid) = (lid, tid);
    for _ in 0..MAX_DEPTH {
        lid = local.skip_mods_and_typedefs(lid)?;
        tid = target.skip_mods_and_typedefs(tid)?;
        let lt = local.type_by_id(lid)?;
        let tt = target.type_by_id(tid)?;
        let (lk, tk) = (lt.kind(), tt.kind());
        if matches!(lk, Kind::Struct | Kind::Union) && matches!(tk, Kind::Struct | Kind::Union) {
            return Ok(true);
        }
        if !kinds_compatible(lk, tk) {
            return Ok(false);
        }
        return Ok(match (&lt.body, &tt.body) {
            (Body::Ptr(_), _) | (Body::Float { .. }, _) => true,
            (Body::Fwd { .. } | Body::Enum(_) | Body::Enum64(_), _) => {
                let (ll, tl) = (essential_len(lt.name), essential_len(tt.name));
                ll == 0 || tl == 0 || lt.name[..ll] == tt.name[..tl]
            }
            (Body::Int(_), _) => int_offset(&lt.body) == 0 && int_offset(&tt.body) == 0,
            (Body::Array(la), Body::Array(ta)) => {
                lid = la.elem;
                tid = ta.elem;
                continue;
            }
            _ => false,
        });
    }
    Err(CompatError::FieldsTooDeep { limit: MAX_DEPTH })
}

/// Whole types (called with root types whose essential names already match): kinds must be
/// compatible before and after skipping typedefs/modifiers; structs, unions, enums, fwds and
/// void then match without looking inside; ints unless legacy bitfield ints; pointers and
/// arrays by their targets; function prototypes by arity, parameter and return types.
/// Floats and everything else do not match (as in libbpf).
pub fn types_are_compat(local: &Btf, lid: TypeId, target: &Btf, tid: TypeId) -> Result<bool, CompatError> {
    types_compat_level(local, lid, target, tid, TYPES_COMPAT_LEVELS)
}

pub(crate) fn types_compat_level(
    local: &Btf,
    lid: TypeId,
    target: &Btf,
    tid: TypeId,
    level: u32,
) -> Result<bool, CompatError> {
    if !kinds_compatible(local.kind_of(lid)?, target.kind_of(tid)?) {
        return Ok(false);
    }
    let (mut lid, mut tid) = (lid, tid);
    for _ in 0..MAX_DEPTH {
        lid = local.skip_mods_and_typedefs(lid)?;
        tid = target.skip_mods_and_typedefs(tid)?;
        let lt = local.type_by_id(lid)?;
        let tt = target.type_by_id(tid)?;
        if !kinds_compatible(lt.kind(), tt.kind()) {
            return Ok(false);
        }
        match (&lt.body, &tt.body) {
            (Body::Void | Body::Struct(_) | Body::Union(_) | Body::Enum(_) | Body::Enum64(_) | Body::Fwd { .. }, _) => {
                return Ok(true)
            }
            (Body::Int(_), _) => return Ok(int_offset(&lt.body) == 0 && int_offset(&tt.body) == 0),
            (Body::Ptr(l), Body::Ptr(t)) => (lid, tid) = (*l, *t),
            (Body::Array(l), Body::Array(t)) => (lid, tid) = (l.elem, t.elem),
            (Body::FuncProto(lp), Body::FuncProto(tp)) => {
                if lp.params.len() != tp.params.len() {
                    return Ok(false);
                }
                for (l, t) in lp.params.iter().zip(&tp.params) {
                    if level == 0 {
                        return Err(CompatError::ProtosTooDeep { levels: TYPES_COMPAT_LEVELS });
                    }
                    let (l, t) = (local.skip_mods_and_typedefs(l.type_id)?, target.skip_mods_and_typedefs(t.type_id)?);
                    if !types_compat_level(local, l, target, t, level - 1)? {
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
