//! Struct and union members across two BTFs, matched by name.

use std::collections::HashMap;

use super::c_type;
use crate::types::Body;
use crate::{Btf, Kind, TypeId};

/// One member as it stands in one BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberInfo {
    /// The member's name (members of anonymous structs and unions by their own name).
    pub name: String,
    /// Bits from the start of the named type.
    pub bit_offset: u64,
    /// Bitfield width in bits; 0 for a plain member.
    pub bitfield_size: u8,
    /// Size of the member's type in bytes.
    pub size: u32,
    /// The member's type, spelled in C.
    pub type_name: String,
}

impl MemberInfo {
    /// The offset as `btf dump` prints it: bytes, or `bytes:bit` for a bitfield.
    pub fn offset_text(&self) -> String {
        if self.bitfield_size != 0 {
            format!("{}:{}", self.bit_offset / 8, self.bit_offset % 8)
        } else {
            (self.bit_offset / 8).to_string()
        }
    }
}

/// How one member differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberChange {
    /// Only in B.
    Added(MemberInfo),
    /// Only in A.
    Removed(MemberInfo),
    /// In both, with a different offset, size, bitfield width or type.
    Changed {
        /// As in A.
        old: MemberInfo,
        /// As in B.
        new: MemberInfo,
    },
}

impl MemberChange {
    /// The member's name.
    pub fn name(&self) -> &str {
        match self {
            MemberChange::Added(m) | MemberChange::Removed(m) => &m.name,
            MemberChange::Changed { new, .. } => &new.name,
        }
    }
}

/// A struct or union across two BTFs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompositeDiff {
    /// The type's name.
    pub name: String,
    /// STRUCT or UNION in A.
    pub old_kind: Kind,
    /// STRUCT or UNION in B.
    pub new_kind: Kind,
    /// Its size in A, bytes.
    pub old_size: u32,
    /// Its size in B, bytes.
    pub new_size: u32,
    /// Members in A.
    pub old_members: usize,
    /// Members in B.
    pub new_members: usize,
    /// The differences: changed and added members in B's order, then removed ones in A's.
    pub changes: Vec<MemberChange>,
}

/// The members of composite `id`, anonymous members flattened, offsets from its start.
pub(super) fn members(btf: &Btf, id: TypeId) -> crate::Result<(Kind, u32, Vec<MemberInfo>)> {
    let t = btf.type_by_id(id)?;
    let (Body::Struct(c) | Body::Union(c)) = &t.body else {
        return Ok((t.kind(), 0, Vec::new()));
    };
    let mut out = Vec::new();
    flatten(btf, c, 0, 0, &mut out)?;
    Ok((t.kind(), c.size, out))
}

/// Anonymous structs and unions nest at most this deep before the rest is shown as one member.
const MAX_ANON_DEPTH: usize = 32;

fn flatten(
    btf: &Btf,
    c: &crate::types::Composite<'_>,
    base: u64,
    depth: usize,
    out: &mut Vec<MemberInfo>,
) -> crate::Result<()> {
    for m in &c.members {
        let bit_offset = base + u64::from(m.bit_offset);
        if m.name.is_empty() {
            let inner = btf.skip_mods_and_typedefs(m.type_id)?;
            if let (Body::Struct(ic) | Body::Union(ic), true) = (&btf.type_by_id(inner)?.body, depth < MAX_ANON_DEPTH) {
                flatten(btf, ic, bit_offset, depth + 1, out)?;
            }
            // An unnamed bitfield is padding: nothing can name it.
            continue;
        }
        out.push(MemberInfo {
            name: m.name.to_owned(),
            bit_offset,
            bitfield_size: m.bitfield_size,
            size: btf.size_of(m.type_id).unwrap_or(0),
            type_name: c_type(btf, m.type_id),
        });
    }
    Ok(())
}

/// Compares composite `ia` of `a` with composite `ib` of `b`.
pub(super) fn diff(a: &Btf, ia: TypeId, b: &Btf, ib: TypeId) -> crate::Result<CompositeDiff> {
    let (old_kind, old_size, old) = members(a, ia)?;
    let (new_kind, new_size, new) = members(b, ib)?;
    let by_name: HashMap<&str, &MemberInfo> = old.iter().map(|m| (m.name.as_str(), m)).collect();
    let in_new: std::collections::HashSet<&str> = new.iter().map(|m| m.name.as_str()).collect();
    let mut changes = Vec::new();
    for m in &new {
        match by_name.get(m.name.as_str()) {
            None => changes.push(MemberChange::Added(m.clone())),
            Some(&o) if o != m => changes.push(MemberChange::Changed { old: o.clone(), new: m.clone() }),
            Some(_) => {}
        }
    }
    changes.extend(old.iter().filter(|m| !in_new.contains(m.name.as_str())).cloned().map(MemberChange::Removed));
    Ok(CompositeDiff {
        name: a.name_of(ia)?.to_owned(),
        old_kind,
        new_kind,
        old_size,
        new_size,
        old_members: old.len(),
        new_members: new.len(),
        changes,
    })
}
