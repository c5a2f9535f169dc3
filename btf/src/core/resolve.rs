//! Resolving one relocation: local spec, candidates, per-candidate values, agreement.

use crate::btf::Btf;
use crate::core::candidates::CoreCache;
use crate::core::error::{
    btf_err, Ambiguity, Answer, CoreError, CoreResult, ReloProblem, SizeChange, TypeRef, Unsatisfied,
};
use crate::core::names::type_display;
use crate::core::relo::{CoreRelo, RelocKind};
use crate::core::spec::{parse_spec, Spec};
use crate::core::spec_match::match_spec;
use crate::core::values::{calc, Calc};
use crate::core::Why;
use crate::types::{Body, TypeId};

/// The target type a relocation resolved against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetMatch {
    /// The (first) matching candidate.
    pub ty: TypeRef,
    /// Its spec as text (`struct sock::__sk_common.skc_dport`).
    pub spec: String,
    /// Its raw access path (`0:0:12`), which differs from the local one when fields moved.
    pub raw: String,
    /// Bit offset of the field in the target.
    pub bit_offset: u32,
}

/// Everything known about one resolved relocation: enough to patch the instruction and to
/// explain what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreResolution {
    /// Relocation number (its index in the section's list).
    pub relo_idx: usize,
    /// Instruction index within the ELF section (`insn_off / 8`).
    pub insn_idx: usize,
    /// What was computed.
    pub kind: RelocKind,
    /// The local root type.
    pub local_type: TypeRef,
    /// The access string as recorded (`0:0:12`).
    pub access: String,
    /// The local spec as text.
    pub local_spec: String,
    /// The matching target, if any.
    pub target: Option<TargetMatch>,
    /// Candidates examined (same essential name, compatible kind), in id order.
    pub candidates: Vec<TypeRef>,
    /// Ids of the candidates that matched (and agreed), in id order.
    pub matched: Vec<TypeId>,
    /// The value the compiler put in the instruction for the local type.
    pub local_value: u64,
    /// The value for the target; `None` means the instruction gets poisoned.
    pub target_value: Option<u64>,
    /// Whether the instruction must currently hold `local_value` (false for type ids and
    /// most bitfield values, whose encoding the compiler may choose differently).
    pub validate: bool,
    /// Size in bytes of the local field, for byte-offset relocations of non-bitfields (else 0).
    pub local_size: u32,
    /// Size in bytes of the target field (else 0).
    pub target_size: u32,
    /// Set when the field's size changed in a way a load/store cannot follow (signed ints,
    /// structs...): a memory instruction is then poisoned instead of patched.
    pub size_problem: Option<SizeChange>,
}

impl CoreResolution {
    /// The memory access size the instruction should get, when it changes.
    pub fn new_size(&self) -> Option<u32> {
        (self.target_value.is_some() && self.local_size != self.target_size).then_some(self.target_size)
    }

    /// True when the instruction will be poisoned.
    pub fn is_poison(&self) -> bool {
        self.target_value.is_none()
    }
}

/// What one relocation is computed with; turns step failures into errors with context.
struct Ctx<'a> {
    local: &'a Btf,
    target: &'a Btf,
    relo: &'a CoreRelo,
    relo_idx: usize,
}

impl Ctx<'_> {
    /// The error for a failed step; `spec` is the spec text an unsatisfiable value is about and
    /// `ty` the local type a malformed record names.
    fn err(&self, w: Why, spec: &str, ty: &TypeRef) -> CoreError {
        match w {
            Why::Btf(source) => CoreError::Btf { relo: self.relo_idx, source },
            Why::Unsatisfied(reason) => CoreError::Unsatisfiable {
                relo: self.relo_idx,
                kind: self.relo.kind.libbpf_name(),
                spec: spec.to_owned(),
                reason,
            },
            Why::Relo(reason) => self.bad_relo(ty, reason),
        }
    }

    fn bad_relo(&self, ty: &TypeRef, reason: ReloProblem) -> CoreError {
        CoreError::BadRelo { relo: self.relo_idx, kind: self.relo.kind.libbpf_name(), ty: ty.clone(), reason }
    }
}

/// The first matching candidate: its name, target spec and value.
type Winner = (TypeRef, Spec, Calc);

/// Computes relocation `relo` (number `relo_idx`) of an object whose BTF is `local`, against
/// `target` (usually the kernel's BTF). `cache` holds candidate lists across the object's
/// relocations; use one per (object, target).
pub fn relocate(
    local: &Btf,
    target: &Btf,
    relo: &CoreRelo,
    relo_idx: usize,
    cache: &mut CoreCache,
) -> CoreResult<CoreResolution> {
    let cx = Ctx { local, target, relo, relo_idx };
    let local_type = TypeRef { id: relo.type_id, name: type_display(local, relo.type_id).map_err(btf_err(relo_idx))? };
    let insn_idx = relo
        .insn_idx()
        .ok_or_else(|| cx.bad_relo(&local_type, ReloProblem::InsnOffUnaligned { insn_off: relo.insn_off }))?;
    let spec = parse_spec(local, relo).map_err(|reason| CoreError::BadSpec {
        relo: relo_idx,
        access: relo.access.clone(),
        ty: local_type.clone(),
        reason,
    })?;
    let local_spec = spec.describe(local);
    let mut res = CoreResolution {
        relo_idx,
        insn_idx,
        kind: relo.kind,
        local_type: local_type.clone(),
        access: relo.access.clone(),
        local_spec: local_spec.clone(),
        target: None,
        candidates: Vec::new(),
        matched: Vec::new(),
        local_value: relo.type_id.get() as u64,
        target_value: Some(relo.type_id.get() as u64),
        validate: false,
        local_size: 0,
        target_size: 0,
        size_problem: None,
    };
    if relo.kind == RelocKind::TypeIdLocal {
        // Nothing to look up: the id is the object's own, and may change when linking.
        return Ok(res);
    }
    let endian = target.endian();
    let local_calc = calc(relo.kind, Some(&spec), local, endian).map_err(|w| cx.err(w, &local_spec, &local_type))?;
    let Calc::Value { val, field_size: local_size, field_type: local_field, validate } = local_calc else {
        return Err(cx.err(Unsatisfied::LocalMissing.into(), &local_spec, &local_type));
    };
    (res.local_value, res.validate, res.local_size) = (val, validate, local_size);

    let cands = cache.candidates(local, relo.type_id, target).map_err(|w| cx.err(w, &local_spec, &local_type))?;
    res.candidates = cands
        .iter()
        .map(|&id| Ok(TypeRef { id, name: type_display(target, id)? }))
        .collect::<Result<_, crate::error::BtfError>>()
        .map_err(btf_err(relo_idx))?;
    let (winner, matched) = match_candidates(&cx, &spec, &local_spec, &local_type, &res.candidates)?;
    if !matched.is_empty() {
        cache.prune(relo.type_id, matched.clone());
    }
    res.matched = matched;

    let target_calc = match winner {
        Some((ty, tspec, tcalc)) => {
            res.target = Some(TargetMatch {
                ty,
                spec: tspec.describe(target),
                // Type relocations have no path; keep the recorded "0" so texts compare equal.
                raw: if relo.kind.is_type_based() { relo.access.clone() } else { tspec.raw_text() },
                bit_offset: tspec.bit_offset,
            });
            tcalc
        }
        None => calc(relo.kind, None, target, endian).map_err(|w| cx.err(w, &local_spec, &local_type))?,
    };
    res.target_value = None;
    if let Calc::Value { val, field_size, field_type, .. } = target_calc {
        res.target_value = Some(val);
        res.target_size = field_size;
        if relo.kind.is_field_based() && local_size != field_size {
            res.size_problem =
                size_change_problem(local, local_field, target, field_type).map_err(btf_err(relo_idx))?;
        }
    }
    Ok(res)
}

/// Matches the local spec against every candidate; all that match must agree on the bit
/// offset and the value. Returns the first match and the ids of all matches.
fn match_candidates(
    cx: &Ctx<'_>,
    spec: &Spec,
    local_spec: &str,
    local_type: &TypeRef,
    candidates: &[TypeRef],
) -> CoreResult<(Option<Winner>, Vec<TypeId>)> {
    let mut first: Option<Winner> = None;
    let mut matched = Vec::new();
    for cref in candidates {
        let Some(tspec) =
            match_spec(cx.local, spec, cx.target, cref.id).map_err(|w| cx.err(w, local_spec, local_type))?
        else {
            continue;
        };
        let tcalc = calc(cx.relo.kind, Some(&tspec), cx.target, cx.target.endian())
            .map_err(|w| cx.err(w, &tspec.describe(cx.target), local_type))?;
        match &first {
            Some((fref, fspec, fcalc)) => {
                if let Some((first_value, second_value)) = disagreement(fspec, fcalc, &tspec, &tcalc) {
                    return Err(CoreError::Ambiguous(Box::new(Ambiguity {
                        relo: cx.relo_idx,
                        kind: cx.relo.kind.libbpf_name(),
                        spec: local_spec.to_owned(),
                        first: fref.clone(),
                        first_value,
                        second: cref.clone(),
                        second_value,
                    })));
                }
            }
            None => first = Some((cref.clone(), tspec, tcalc)),
        }
        matched.push(cref.id);
    }
    Ok((first, matched))
}

/// How two matching candidates differ, if they do: first the field position, then the value.
fn disagreement(a: &Spec, a_calc: &Calc, b: &Spec, b_calc: &Calc) -> Option<(Answer, Answer)> {
    if a.bit_offset != b.bit_offset {
        Some((Answer::BitOffset(a.bit_offset), Answer::BitOffset(b.bit_offset)))
    } else if answer(a_calc) != answer(b_calc) {
        Some((answer(a_calc), answer(b_calc)))
    } else {
        None
    }
}

fn answer(c: &Calc) -> Answer {
    match c {
        Calc::Value { val, .. } => Answer::Value(*val),
        Calc::Poison => Answer::Poison,
    }
}

/// A load/store may change size only for pointers (a 32-bit kernel pointer read into a
/// 64-bit register) and non-signed ints (zero extension keeps the value).
fn size_change_problem(
    local: &Btf,
    lid: TypeId,
    target: &Btf,
    tid: TypeId,
) -> Result<Option<SizeChange>, crate::error::BtfError> {
    let (lt, tt) = (local.type_by_id(lid)?, target.type_by_id(tid)?);
    let ok = match (&lt.body, &tt.body) {
        (Body::Ptr(_), Body::Ptr(_)) => true,
        // libbpf compares the whole encoding with "signed": a signed char counts as non-signed.
        (Body::Int(l), Body::Int(t)) => l.encoding.bits() != 1 && t.encoding.bits() != 1,
        _ => false,
    };
    Ok((!ok).then(|| SizeChange {
        from: TypeRef { id: lid, name: type_display(local, lid).unwrap_or_default() },
        to: TypeRef { id: tid, name: type_display(target, tid).unwrap_or_default() },
    }))
}
