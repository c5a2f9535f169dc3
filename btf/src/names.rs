//! The name index: an open-addressing hash table from a type's name to its ids.
//!
//! Built in the same single pass that records type offsets, so finding `tcp_connect` among
//! vmlinux's ~126k types is a few probes, never a scan. Names are hashed eight bytes at a
//! time straight out of the string section, so no string is copied.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use crate::types::TypeId;

const K: u64 = 0x517c_c1b7_2722_0a95;
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

#[inline]
fn mix(h: u64, w: u64) -> u64 {
    (h.rotate_left(5) ^ w).wrapping_mul(K)
}

#[inline]
fn finish(h: u64, len: usize) -> u32 {
    let h = mix(h, len as u64);
    (h ^ (h >> 32)) as u32
}

#[inline]
fn word(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w[..b.len()].copy_from_slice(b);
    u64::from_le_bytes(w)
}

/// Hashes a name given as a slice (no NUL).
pub fn hash_str(s: &[u8]) -> u32 {
    let mut h = 0u64;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        h = mix(h, word(c));
    }
    h = mix(h, word(chunks.remainder()));
    finish(h, s.len())
}

/// Hashes the NUL-terminated string starting at `start` of `strings`, returning the same
/// value as `hash_str` of the string's bytes. `None` if no NUL follows `start`.
#[inline]
pub fn hash_cstr(strings: &[u8], start: usize) -> Option<u32> {
    let mut h = 0u64;
    let mut pos = start;
    while let Some(c) = strings.get(pos..pos + 8) {
        let w = word(c);
        let zero = w.wrapping_sub(ONES) & !w & HIGHS;
        if zero != 0 {
            // The lowest set high bit marks the first NUL in little-endian byte order.
            let n = (zero.trailing_zeros() / 8) as usize;
            let tail = if n == 0 { 0 } else { w & (u64::MAX >> (64 - 8 * n)) };
            return Some(finish(mix(h, tail), pos - start + n));
        }
        h = mix(h, w);
        pos += 8;
    }
    let rest = strings.get(pos..)?;
    let n = rest.iter().position(|&b| b == 0)?;
    Some(finish(mix(h, word(&rest[..n])), pos - start + n))
}

/// Hash table of `(hash, type id)`; id 0 marks an empty slot (void has no name).
#[derive(Clone, Debug, Default)]
pub struct NameIndex {
    slots: Vec<(u32, TypeId)>,
    mask: usize,
}

impl NameIndex {
    /// Builds the table from `(hash, id)` pairs in id order.
    pub fn build(entries: &[(u32, TypeId)]) -> Self {
        let cap = (entries.len() * 2).max(16).next_power_of_two();
        let mut slots = vec![(0u32, TypeId::VOID); cap];
        let mask = cap - 1;
        for &(h, id) in entries {
            let mut i = h as usize & mask;
            while slots[i].1 != TypeId::VOID {
                i = (i + 1) & mask;
            }
            slots[i] = (h, id);
        }
        NameIndex { slots, mask }
    }

    /// Ids whose name hashes to `hash`, in id order. Callers compare the names.
    pub fn candidates(&self, hash: u32) -> impl Iterator<Item = TypeId> + '_ {
        let mut i = hash as usize & self.mask;
        let mut done = self.slots.is_empty();
        std::iter::from_fn(move || {
            while !done {
                let (h, id) = self.slots[i];
                if id == TypeId::VOID {
                    done = true;
                    return None;
                }
                i = (i + 1) & self.mask;
                if h == hash {
                    return Some(id);
                }
            }
            None
        })
    }

    /// Bytes held by the table.
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(u32, TypeId)>()
    }
}

/// Lookups answered by a scan before the table is built. Building costs about three scans of
/// vmlinux (hash every name, allocate and fill the slots), and a load does one or two lookups
/// in vmlinux (CO-RE candidates, the attach target): scanning those halves its time (load
/// benchmark). A command line tool doing many lookups still gets the table from the third on.
const SCANNED_LOOKUPS: u32 = 2;

/// The name index, built on demand: the first `SCANNED_LOOKUPS` lookups scan the names, later
/// ones build the table once and are then a few probes each.
#[derive(Debug, Default)]
pub struct LazyNameIndex {
    index: OnceLock<NameIndex>,
    lookups: AtomicU32,
}

impl Clone for LazyNameIndex {
    fn clone(&self) -> Self {
        LazyNameIndex { index: self.index.clone(), lookups: AtomicU32::new(self.lookups.load(Ordering::Relaxed)) }
    }
}

impl LazyNameIndex {
    /// The index if built.
    pub fn get(&self) -> Option<&NameIndex> {
        self.index.get()
    }

    /// True for the first `SCANNED_LOOKUPS` lookups (which scan instead of building the table).
    pub(crate) fn scan_this_lookup(&self) -> bool {
        self.lookups.fetch_add(1, Ordering::Relaxed) < SCANNED_LOOKUPS
    }

    /// Builds the index with `f` unless already built.
    pub(crate) fn build_with(&self, f: impl FnOnce() -> NameIndex) -> &NameIndex {
        self.index.get_or_init(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cstr_hash_matches_slice_hash_for_every_length() {
        for len in 0..40 {
            let name: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let mut strings = vec![0u8, b'x'];
            let start = strings.len();
            strings.extend_from_slice(&name);
            strings.push(0);
            strings.extend_from_slice(b"trailing\0");
            assert_eq!(hash_cstr(&strings, start), Some(hash_str(&name)), "len {len}");
        }
    }

    #[test]
    fn unterminated_string_has_no_hash() {
        assert_eq!(hash_cstr(b"abcdefghijkl", 0), None);
        assert_eq!(hash_cstr(b"abc", 0), None);
    }

    #[test]
    fn duplicates_come_back_in_insertion_order() {
        let h = hash_str(b"dup");
        let t = TypeId::new;
        let idx = NameIndex::build(&[(h, t(3)), (hash_str(b"other"), t(4)), (h, t(9))]);
        let got: Vec<_> = idx.candidates(h).collect();
        assert_eq!(got, vec![t(3), t(9)]);
    }

    #[test]
    fn first_scan_and_later_index_lookups_agree() {
        use crate::write::BtfBuilder;
        use crate::{Btf, Kind};
        let mut b = BtfBuilder::new();
        let int = b.int("int", 4, true);
        let dup = b.struct_("dup", 4, &[("x", int, 0)]);
        b.struct_("other", 4, &[("dup", int, 0)]);
        let dup2 = b.struct_("dup", 8, &[("y", int, 32)]);
        b.struct_("du", 4, &[("x", int, 0)]);
        let btf = Btf::parse(b.build()).unwrap();
        let before = btf.heap_bytes();
        for round in 0..3 {
            assert_eq!(btf.ids_by_name("dup").collect::<Vec<_>>(), vec![dup, dup2], "round {round}");
            assert_eq!(btf.find_by_name_kind("int", Kind::Int), Some(int), "round {round}");
            assert_eq!(btf.ids_by_name("d").count(), 0, "round {round}");
        }
        assert!(btf.heap_bytes() > before, "the index is built after the first SCANNED_LOOKUPS lookups");
    }
}
