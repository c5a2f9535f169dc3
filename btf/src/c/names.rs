//! Unique C names. BTF may hold two different `struct foo`s (or a typedef and an enumerator
//! with one name); C cannot, so later ones become `foo___2`, `foo___3`, like bpftool. CO-RE
//! ignores `___suffix`es, so programs using the renamed types still relocate correctly.
//!
//! Struct, union and enum tags share one namespace; typedefs and enumerators share another.
//! A name is fixed the first time it is printed, so output order decides who keeps `foo`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};

use crate::btf::Btf;
use crate::types::TypeId;

const UNRESOLVED: u8 = 0;
const ORIGINAL: u8 = 1;
const RENAMED: u8 = 2;

/// Which C namespace a name lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespace {
    /// struct, union and enum tags.
    Tag,
    /// typedefs and enumerators (and functions, variables).
    Ident,
}

/// A multiplicative hash, eight bytes at a time (FxHash's): vmlinux.h counts ~100k names,
/// and SipHash, whose resistance to chosen keys buys nothing for BTF's own names, was 5% of it.
#[derive(Clone, Copy, Debug, Default)]
struct NameHasher(u64);

impl NameHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for NameHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<NameHasher>>;

/// Resolves and remembers the C name of each type.
#[derive(Debug)]
pub struct Names<'b> {
    unique: bool,
    state: Vec<u8>,
    renamed: FastMap<TypeId, String>,
    tags: FastMap<&'b str, u32>,
    idents: FastMap<&'b str, u32>,
}

impl<'b> Names<'b> {
    /// A resolver for `btf`; with `unique` false every type keeps its BTF name.
    pub fn new(btf: &Btf, unique: bool) -> Self {
        let n = if unique { btf.count() as usize } else { 0 };
        Names {
            unique,
            state: vec![UNRESOLVED; n],
            renamed: FastMap::default(),
            tags: FastMap::default(),
            idents: FastMap::default(),
        }
    }

    /// Counts one more user of `name` in `ns` and returns how many there are now.
    fn bump(&mut self, ns: Namespace, name: &'b str) -> u32 {
        let map = match ns {
            Namespace::Tag => &mut self.tags,
            Namespace::Ident => &mut self.idents,
        };
        let n = map.entry(name).or_insert(0);
        *n += 1;
        *n
    }

    /// Appends the C name of type `id` (BTF name `name`) to `out`, fixing it on first use.
    /// `keep` marks names that never clash (forward declarations).
    pub fn write(&mut self, out: &mut String, id: TypeId, name: &'b str, ns: Namespace, keep: bool) {
        if !self.unique || name.is_empty() {
            out.push_str(name);
            return;
        }
        let Some(&st) = self.state.get(id.get() as usize) else {
            out.push_str(name);
            return;
        };
        match st {
            ORIGINAL => out.push_str(name),
            RENAMED => out.push_str(self.renamed.get(&id).map(String::as_str).unwrap_or(name)),
            _ => {
                let dups = if keep { 1 } else { self.bump(ns, name) };
                if dups > 1 {
                    let new = format!("{name}___{dups}");
                    out.push_str(&new);
                    self.renamed.insert(id, new);
                    self.state[id.get() as usize] = RENAMED;
                } else {
                    out.push_str(name);
                    self.state[id.get() as usize] = ORIGINAL;
                }
            }
        }
    }

    /// Appends an enumerator's C name: unique among all enumerators and typedefs.
    pub fn write_enumerator(&mut self, out: &mut String, name: &'b str) {
        if !self.unique {
            out.push_str(name);
            return;
        }
        let dups = self.bump(Namespace::Ident, name);
        out.push_str(name);
        if dups > 1 {
            let _ = write!(out, "___{dups}");
        }
    }

    /// The C name given to `id`, if it was printed and renamed; `None` if it kept its BTF name
    /// or was never printed.
    pub fn renamed(&self, id: TypeId) -> Option<&str> {
        self.renamed.get(&id).map(String::as_str)
    }

    /// True once `id`'s name has been fixed by printing it.
    pub fn is_resolved(&self, id: TypeId) -> bool {
        self.state.get(id.get() as usize).is_some_and(|&s| s != UNRESOLVED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::BtfBuilder;

    #[test]
    fn second_user_of_a_name_gets_a_suffix() {
        let mut b = BtfBuilder::new();
        let int = b.int("int", 4, true);
        let a = b.struct_("foo", 4, &[("x", int, 0)]);
        let c = b.struct_("foo", 8, &[("y", int, 32)]);
        let btf = Btf::parse(b.build()).unwrap();
        let mut n = Names::new(&btf, true);
        let mut out = String::new();
        n.write(&mut out, c, "foo", Namespace::Tag, false);
        out.push(' ');
        n.write(&mut out, a, "foo", Namespace::Tag, false);
        out.push(' ');
        n.write(&mut out, c, "foo", Namespace::Tag, false);
        assert_eq!(out, "foo foo___2 foo");
        assert_eq!(n.renamed(a), Some("foo___2"));
        n.write_enumerator(&mut out, "foo");
        assert!(out.ends_with(" foofoo"), "{out}: idents are a separate namespace");
    }
}
