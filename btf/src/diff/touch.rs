//! Which CO-RE relocations of an object reach through what changed: a field access whose path steps through a
//! changed or removed member, a size or existence check on the type, an enumerator that moved or went away.
//! Names are compared without their flavor suffix (`task_struct___old` is `task_struct`), as CO-RE does.

use super::{EnumeratorChange, MemberChange, TypeDiff};
use crate::core::names::essential;
use crate::core::spec::parse_spec;
use crate::core::{CoreRelo, RelocKind};
use crate::ext::ExtSection;
use crate::types::Body;
use crate::{Btf, TypeId};

/// What about the type a relocation depends on changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TouchReason {
    /// The access goes through this member.
    Member(MemberChange),
    /// The relocation asks about the type itself (size, existence, layout), and its size or kind changed.
    Type {
        /// Size in A, bytes.
        old_size: u32,
        /// Size in B, bytes.
        new_size: u32,
    },
    /// The relocation reads this enumerator.
    Enumerator(EnumeratorChange),
}

/// One relocation the differences touch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Touch {
    /// The code section it patches.
    pub section: String,
    /// Its index among the section's relocations.
    pub index: usize,
    /// The instruction it patches (index in the section).
    pub insn: Option<usize>,
    /// What it computes.
    pub kind: RelocKind,
    /// Its access, spelled out (`struct sock::__sk_common.skc_dport`).
    pub access: String,
    /// What changed under it.
    pub reason: TouchReason,
}

/// The relocations among `sections` (an object's `.BTF.ext`, over its `.BTF` `local`) that `diff` touches.
pub fn touched(diff: &TypeDiff, local: &Btf, sections: &[ExtSection<CoreRelo>]) -> Vec<Touch> {
    let mut out = Vec::new();
    for sec in sections {
        for (index, relo) in sec.records.iter().enumerate() {
            // A relocation that does not parse against its own BTF is `rawbpf inspect`'s to report, not a diff's.
            let Ok(spec) = parse_spec(local, relo) else { continue };
            let reason = if relo.kind.is_field_based() {
                field_reason(diff, local, relo.type_id, &spec.raw)
            } else if relo.kind.is_enumval_based() {
                enum_reason(diff, local, relo.type_id, spec.accessors.first().and_then(|a| a.name.as_deref()))
            } else {
                type_reason(diff, local, relo.type_id, relo.kind)
            };
            if let Some(reason) = reason {
                let access = spec.describe(local);
                out.push(Touch {
                    section: sec.name.clone(),
                    index,
                    insn: relo.insn_idx(),
                    kind: relo.kind,
                    access,
                    reason,
                });
            }
        }
    }
    out
}

/// The essential name of `id` after modifiers and typedefs, when it has one.
fn named(btf: &Btf, id: TypeId) -> Option<&str> {
    let id = btf.skip_mods_and_typedefs(id).ok()?;
    btf.name_of(id).ok().filter(|n| !n.is_empty()).map(essential)
}

/// The first changed member of the diffed composite that the access path `raw` steps through.
fn field_reason(diff: &TypeDiff, btf: &Btf, root: TypeId, raw: &[u32]) -> Option<TouchReason> {
    let TypeDiff::Composite(d) = diff else { return None };
    let mut id = root;
    // The nearest named struct or union the path is in: members of anonymous ones belong to it.
    let mut holder: Option<&str> = None;
    for &idx in raw.iter().skip(1) {
        id = btf.skip_mods_and_typedefs(id).ok()?;
        let t = btf.type_by_id(id).ok()?;
        match &t.body {
            Body::Struct(c) | Body::Union(c) => {
                if !t.name.is_empty() {
                    holder = Some(essential(t.name));
                }
                let m = c.members.get(idx as usize)?;
                if holder == Some(d.name.as_str()) && !m.name.is_empty() {
                    if let Some(change) =
                        d.changes.iter().find(|c| c.name() == m.name && !matches!(c, MemberChange::Added(_)))
                    {
                        return Some(TouchReason::Member(change.clone()));
                    }
                }
                id = m.type_id;
            }
            Body::Array(a) => {
                holder = None;
                id = a.elem;
            }
            _ => return None,
        }
    }
    None
}

fn enum_reason(diff: &TypeDiff, btf: &Btf, root: TypeId, enumerator: Option<&str>) -> Option<TouchReason> {
    let TypeDiff::Enum(d) = diff else { return None };
    if named(btf, root) != Some(d.name.as_str()) {
        return None;
    }
    let name = enumerator?;
    d.changes
        .iter()
        .find(|c| matches!(c, EnumeratorChange::Removed(n, _) | EnumeratorChange::Changed { name: n, .. } if n == name))
        .cloned()
        .map(TouchReason::Enumerator)
}

fn type_reason(diff: &TypeDiff, btf: &Btf, root: TypeId, kind: RelocKind) -> Option<TouchReason> {
    let (name, old_size, new_size) = match diff {
        TypeDiff::Composite(d) => (d.name.as_str(), d.old_size, d.new_size),
        TypeDiff::Enum(d) => (d.name.as_str(), d.old_size, d.new_size),
        TypeDiff::Func(_) => return None,
    };
    if named(btf, root) != Some(name) || diff.is_empty() {
        return None;
    }
    // type_matches compares the whole layout; the size and existence checks only see the size.
    let layout = kind == RelocKind::TypeMatches;
    (layout || old_size != new_size).then_some(TouchReason::Type { old_size, new_size })
}
