//! The smallest BTF that a set of CO-RE relocations needs (what `bpftool gen min_core_btf` writes
//! for BTFHub users): each relocation's target type, only the members its access path goes
//! through (a struct keeps its size and the kept members their offsets), and what those members'
//! types need in turn. A struct reached only through a pointer is kept as an empty struct of the
//! same name and size, so CO-RE finds the same candidates and computes the same values against
//! the result as against the full BTF.

mod emit;
mod needs;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

pub use needs::needs;

use crate::btf::Btf;
use crate::error::Result;
use crate::types::{Body, TypeId};

/// What one relocation needs of the target BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Need {
    /// A field access: the root type and the access string's indices (`0:2:1`: the first is
    /// the array index into the root, the rest member or element indices).
    Path {
        /// The target's root type.
        root: TypeId,
        /// The target spec's access indices.
        access: Vec<u32>,
    },
    /// The type with every member, recursively (TYPE_MATCHES compares members).
    Whole(TypeId),
    /// The type's name, kind and size only (TYPE_EXISTS, TYPE_SIZE, a candidate that did not
    /// match: it must still be found and still not match).
    Shell(TypeId),
}

/// Which members of a kept type stay.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Keep {
    /// None (a shell), or the type has no members.
    Shell,
    /// These member indices.
    Members(BTreeSet<usize>),
    /// All of them.
    All,
}

impl Keep {
    fn merge(&mut self, other: Keep) {
        *self = match (std::mem::replace(self, Keep::Shell), other) {
            (Keep::All, _) | (_, Keep::All) => Keep::All,
            (Keep::Members(mut a), Keep::Members(b)) => {
                a.extend(b);
                Keep::Members(a)
            }
            (Keep::Members(a), Keep::Shell) | (Keep::Shell, Keep::Members(a)) => Keep::Members(a),
            (Keep::Shell, Keep::Shell) => Keep::Shell,
        }
    }
}

/// The types to keep and how much of each.
#[derive(Default)]
struct Kept(BTreeMap<TypeId, Keep>);

impl Kept {
    /// Records `id` with at least `keep`.
    fn add(&mut self, id: TypeId, keep: Keep) {
        if id != TypeId::VOID {
            self.0.entry(id).or_insert(Keep::Shell).merge(keep);
        }
    }
}

/// Writes the minimal BTF for `needs` out of `full`, as a raw BTF blob.
pub fn minimize(full: &Btf, needs: &[Need]) -> Result<Vec<u8>> {
    let mut kept = Kept::default();
    for need in needs {
        match need {
            Need::Path { root, access } => walk(full, *root, access, &mut kept)?,
            Need::Whole(id) => whole(full, *id, &mut kept, &mut BTreeSet::new())?,
            Need::Shell(id) => kept.add(*id, Keep::Shell),
        }
    }
    close(full, &mut kept)?;
    emit::emit(full, &kept.0)
}

/// Marks the members an access path goes through.
fn walk(btf: &Btf, root: TypeId, access: &[u32], kept: &mut Kept) -> Result<()> {
    let mut cur = root;
    kept.add(cur, Keep::Shell);
    for &idx in access.iter().skip(1) {
        cur = through_mods(btf, cur, kept)?;
        match btf.type_by_id(cur)?.body {
            Body::Struct(c) | Body::Union(c) => {
                kept.add(cur, Keep::Members(BTreeSet::from([idx as usize])));
                match c.members.get(idx as usize) {
                    Some(m) => cur = m.type_id,
                    None => return Ok(()),
                }
            }
            Body::Array(a) => cur = a.elem,
            _ => {
                // An enumerator index (ENUMVAL relocations): the enum whole.
                kept.add(cur, Keep::All);
                return Ok(());
            }
        }
        kept.add(cur, Keep::Shell);
    }
    Ok(())
}

/// Follows typedefs and modifiers from `id`, keeping each, to the type they name.
fn through_mods(btf: &Btf, mut id: TypeId, kept: &mut Kept) -> Result<TypeId> {
    for _ in 0..64 {
        match btf.type_by_id(id)?.body {
            Body::Typedef(t) | Body::Volatile(t) | Body::Const(t) | Body::Restrict(t) | Body::TypeTag(t) => {
                kept.add(id, Keep::All);
                id = t;
            }
            _ => return Ok(id),
        }
    }
    Ok(id)
}

/// Keeps `id` with all its members and, recursively, theirs (pointees as shells).
fn whole(btf: &Btf, id: TypeId, kept: &mut Kept, seen: &mut BTreeSet<TypeId>) -> Result<()> {
    if id == TypeId::VOID || !seen.insert(id) {
        return Ok(());
    }
    kept.add(id, Keep::All);
    let body = btf.type_by_id(id)?.body;
    for r in emit::references(&body, &Keep::All) {
        match body {
            Body::Ptr(_) => kept.add(r, Keep::Shell),
            _ => whole(btf, r, kept, seen)?,
        }
    }
    Ok(())
}

/// Adds what every kept type refers to (as shells) until nothing more is needed.
fn close(btf: &Btf, kept: &mut Kept) -> Result<()> {
    let mut todo: Vec<TypeId> = kept.0.keys().copied().collect();
    let mut done: BTreeMap<TypeId, Keep> = BTreeMap::new();
    while let Some(id) = todo.pop() {
        let Some(keep) = kept.0.get(&id).cloned() else { continue };
        if done.get(&id) == Some(&keep) {
            continue;
        }
        done.insert(id, keep.clone());
        for r in emit::references(&btf.type_by_id(id)?.body, &keep).into_iter().filter(|&r| r != TypeId::VOID) {
            kept.add(r, Keep::Shell);
            if !done.contains_key(&r) {
                todo.push(r);
            }
        }
    }
    Ok(())
}
