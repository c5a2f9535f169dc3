//! Access specs: an access string like `0:1:2` turned into the path it takes through a type.
//!
//! The raw spec is the string's numbers. The accessors keep only the meaningful steps: the
//! first index (`&p[0]`), named fields and array indices; steps through anonymous
//! struct/union members appear in the raw spec only. For
//! `struct s { int x; struct { int y; int a[7]; }; }` and `&p->a[3]`, raw `0:1:1:3` has
//! accessors `[0]`, `.a`, `[3]`.

use crate::btf::Btf;
use crate::core::error::{AccessError, SpecError};
use crate::core::names::type_display;
use crate::core::relo::{CoreRelo, RelocKind};
use crate::error::BtfError;
use crate::types::{Body, TypeId};

/// Longest access path libbpf accepts (`BPF_CORE_SPEC_MAX_LEN`).
pub const MAX_SPEC_LEN: usize = 64;

/// One meaningful step of an access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accessor {
    /// For a field: the struct/union holding it. For an index: the element type. For an
    /// enumerator: the enum. (Modifiers and typedefs skipped.)
    pub type_id: TypeId,
    /// Member, element or enumerator index.
    pub idx: u32,
    /// Field or enumerator name; `None` for an array index.
    pub name: Option<String>,
}

/// A parsed access into a type of one BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// The relocation kind the spec was built for.
    pub kind: RelocKind,
    /// The root type (as named by the relocation or candidate; not skipped).
    pub root_type_id: TypeId,
    /// Every index of the path, including steps into anonymous members.
    pub raw: Vec<u32>,
    /// The meaningful steps.
    pub accessors: Vec<Accessor>,
    /// Bit offset of the accessed field from the start of the root.
    pub bit_offset: u32,
}

impl Spec {
    /// An empty spec rooted at `root` (type-based relocations stay empty).
    pub(crate) fn empty(kind: RelocKind, root: TypeId) -> Spec {
        Spec { kind, root_type_id: root, raw: Vec::new(), accessors: Vec::new(), bit_offset: 0 }
    }

    /// The raw path as an access string (`0:0:12`).
    pub fn raw_text(&self) -> String {
        self.raw.iter().map(u32::to_string).collect::<Vec<_>>().join(":")
    }

    /// Human text: `struct sock::__sk_common.skc_dport`, `struct foo[1]::arr[3]`,
    /// `enum e::VAL`, or just the root type for type relocations.
    pub fn describe(&self, btf: &Btf) -> String {
        let mut s = type_display(btf, self.root_type_id).unwrap_or_else(|_| format!("type [{}]", self.root_type_id));
        if self.kind.is_type_based() {
            return s;
        }
        let mut first_path = true;
        for (i, acc) in self.accessors.iter().enumerate() {
            match &acc.name {
                Some(name) => {
                    s.push_str(if first_path { "::" } else { "." });
                    s.push_str(name);
                    first_path = false;
                }
                None if i > 0 || acc.idx > 0 => s.push_str(&format!("[{}]", acc.idx)),
                None => {}
            }
        }
        s
    }

    pub(crate) fn push_raw(&mut self, idx: u32) -> Result<(), SpecError> {
        if self.raw.len() >= MAX_SPEC_LEN {
            return Err(SpecError::TooDeep { max: MAX_SPEC_LEN });
        }
        self.raw.push(idx);
        Ok(())
    }

    pub(crate) fn add_bits(&mut self, bits: u64) -> Result<(), SpecError> {
        let total = self.bit_offset as u64 + bits;
        self.bit_offset = u32::try_from(total).map_err(|_| SpecError::BitOffsetOverflow { bits: total })?;
        Ok(())
    }

    /// Adds `idx` elements of `elem` (already skipped) to the bit offset.
    pub(crate) fn add_elems(&mut self, btf: &Btf, elem: TypeId, idx: u32) -> Result<(), SpecError> {
        let size = btf.size_of(elem)? as u64;
        self.add_bits(idx as u64 * size * 8)
    }
}

/// Splits `0:1:2` into numbers. Empty parts, signs and anything but digits are refused.
pub fn parse_access(access: &str) -> Result<Vec<u32>, AccessError> {
    if access.is_empty() {
        return Err(AccessError::Empty);
    }
    let mut out = Vec::new();
    for (step, part) in access.split(':').enumerate() {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AccessError::NotAnIndex { step, part: part.to_owned() });
        }
        if out.len() == MAX_SPEC_LEN {
            return Err(AccessError::TooManySteps { max: MAX_SPEC_LEN });
        }
        out.push(part.parse::<u32>().map_err(|_| AccessError::TooLarge { step, part: part.to_owned() })?);
    }
    Ok(out)
}

/// True when the array reached through `parent` (the accessor before it) is a flexible array
/// member: zero elements and the last member of its struct.
pub(crate) fn is_flex_array(btf: &Btf, parent: Option<&Accessor>, nelems: u32) -> Result<bool, BtfError> {
    let Some(parent) = parent.filter(|p| p.name.is_some() && nelems == 0) else {
        return Ok(false);
    };
    let t = btf.type_by_id(parent.type_id)?;
    Ok(t.members().is_some_and(|m| parent.idx as usize + 1 == m.len()))
}

/// Parses the relocation's access string against the local type.
pub fn parse_spec(btf: &Btf, relo: &CoreRelo) -> Result<Spec, SpecError> {
    let mut spec = Spec::empty(relo.kind, relo.type_id);
    if relo.kind.is_type_based() {
        if relo.access != "0" {
            return Err(SpecError::TypeAccessNotZero { access: relo.access.clone() });
        }
        return Ok(spec);
    }
    spec.raw = parse_access(&relo.access)?;
    let mut id = btf.skip_mods_and_typedefs(relo.type_id)?;
    let first = spec.raw[0];
    if relo.kind.is_enumval_based() {
        let t = btf.type_by_id(id)?;
        let values = match &t.body {
            Body::Enum(e) | Body::Enum64(e) => &e.values,
            _ => return Err(SpecError::NotAnEnum { kind: t.kind() }),
        };
        if spec.raw.len() > 1 {
            return Err(SpecError::EnumvalSteps { steps: spec.raw.len() });
        }
        let v =
            values.get(first as usize).ok_or(SpecError::EnumeratorOutOfRange { index: first, count: values.len() })?;
        spec.accessors.push(Accessor { type_id: id, idx: first, name: Some(v.name.to_owned()) });
        return Ok(spec);
    }
    spec.accessors.push(Accessor { type_id: id, idx: first, name: None });
    spec.add_elems(btf, id, first)?;
    for (step, &idx) in spec.raw.clone().iter().enumerate().skip(1) {
        id = btf.skip_mods_and_typedefs(id)?;
        let t = btf.type_by_id(id)?;
        match &t.body {
            Body::Struct(c) | Body::Union(c) => {
                let m = c.members.get(idx as usize).ok_or(SpecError::MemberOutOfRange {
                    index: idx,
                    id,
                    name: t.name.to_owned(),
                    count: c.members.len(),
                })?;
                spec.add_bits(m.bit_offset as u64)?;
                if !m.name.is_empty() {
                    spec.accessors.push(Accessor { type_id: id, idx, name: Some(m.name.to_owned()) });
                }
                id = m.type_id;
            }
            Body::Array(a) => {
                let elem = btf.skip_mods_and_typedefs(a.elem)?;
                let flex = is_flex_array(btf, spec.accessors.last(), a.nelems)?;
                if !flex && idx >= a.nelems {
                    return Err(SpecError::ArrayIndexOutOfRange { index: idx, nelems: a.nelems });
                }
                spec.accessors.push(Accessor { type_id: elem, idx, name: None });
                spec.add_elems(btf, elem, idx)?;
                id = elem;
            }
            other => return Err(SpecError::NoMembers { step, index: idx, id, kind: other.kind() }),
        }
    }
    Ok(spec)
}
