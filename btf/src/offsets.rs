//! Where each type record starts. The parsing pass keeps the offset of every `STRIDE`-th record
//! only (16 KiB for vmlinux's 126k types instead of 500 KiB, which a fresh process also paid for
//! in page faults); a lookup steps from the nearest kept record, reading record lengths the pass
//! already checked. Users that look types up by the hundred thousand (writing a header, diffing)
//! get the full table, built once after `DENSE_AFTER` lookups.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use crate::scan::record_len;
use crate::wire::Endian;

/// Records between two kept offsets.
pub(crate) const STRIDE: u32 = 8;
/// Lookups answered by stepping before the full table is built.
const DENSE_AFTER: u32 = 16 * 1024;

/// The kept offsets, in at most two runs (the parsing pass's two chains meet partway, out of
/// step with each other): `a[i]` is record `i * STRIDE` for records below `b_start`, `b[j]` is
/// record `b_start + j * STRIDE`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Checkpoints {
    /// Records in all.
    pub count: u32,
    pub a: Vec<u32>,
    pub b_start: u32,
    pub b: Vec<u32>,
}

impl Checkpoints {
    /// Keeps `offset` as record `index` if it is a kept one of the current run (the second
    /// once it has started).
    #[inline(always)]
    pub fn record(&mut self, index: u32, offset: u32) {
        if self.b.is_empty() {
            if index.is_multiple_of(STRIDE) {
                self.a.push(offset);
            }
        } else if (index - self.b_start).is_multiple_of(STRIDE) {
            self.b.push(offset);
        }
    }

    /// The kept record at or before `index`: its index and offset.
    fn before(&self, index: u32) -> Option<(u32, u32)> {
        if !self.b.is_empty() && index >= self.b_start {
            let j = (((index - self.b_start) / STRIDE) as usize).min(self.b.len() - 1);
            return Some((self.b_start + j as u32 * STRIDE, self.b[j]));
        }
        let i = ((index / STRIDE) as usize).min(self.a.len().checked_sub(1)?);
        Some((i as u32 * STRIDE, self.a[i]))
    }
}

/// Record offsets of one blob: the kept ones, and the full table once lookups are many.
#[derive(Debug, Default)]
pub(crate) struct Offsets {
    kept: Checkpoints,
    dense: OnceLock<Box<[u32]>>,
    lookups: AtomicU32,
}

impl Clone for Offsets {
    fn clone(&self) -> Self {
        let lookups = AtomicU32::new(self.lookups.load(Ordering::Relaxed));
        Offsets { kept: self.kept.clone(), dense: self.dense.clone(), lookups }
    }
}

impl Offsets {
    pub fn new(kept: Checkpoints) -> Self {
        Offsets { kept, dense: OnceLock::new(), lookups: AtomicU32::new(0) }
    }

    /// Records in all.
    pub fn len(&self) -> u32 {
        self.kept.count
    }

    /// The offset of record `index` from the full table, if it has been built.
    #[inline(always)]
    pub fn in_table(&self, index: u32) -> Option<u32> {
        self.dense.get()?.get(index as usize).copied()
    }

    /// The offset of record `index` (< `len()`) in `data` (the blob), `None` if the records do
    /// not add up (they did when parsed, so only a wrong `data` could do that).
    #[inline]
    pub fn get(&self, data: &[u8], endian: Endian, index: u32) -> Option<u32> {
        if let Some(dense) = self.dense.get() {
            return dense.get(index as usize).copied();
        }
        if self.lookups.fetch_add(1, Ordering::Relaxed) >= DENSE_AFTER {
            let dense = self.dense.get_or_init(|| self.build(data, endian));
            return dense.get(index as usize).copied();
        }
        let (mut at, mut off) = self.kept.before(index)?;
        while at < index {
            off += record_len(data, endian, off as usize)? as u32;
            at += 1;
        }
        Some(off)
    }

    /// Every record's offset, in order, by stepping from the first.
    pub fn iter<'d>(&'d self, data: &'d [u8], endian: Endian) -> impl Iterator<Item = u32> + 'd {
        let mut off = self.kept.a.first().copied();
        (0..self.kept.count).map_while(move |_| {
            let here = off?;
            off = record_len(data, endian, here as usize).map(|l| here + l as u32);
            Some(here)
        })
    }

    fn build(&self, data: &[u8], endian: Endian) -> Box<[u32]> {
        let mut v = Vec::with_capacity(self.kept.count as usize);
        v.extend(self.iter(data, endian));
        v.into_boxed_slice()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        (self.kept.a.capacity() + self.kept.b.capacity()) * 4 + self.dense.get().map_or(0, |d| d.len() * 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{scan_types, Watch};
    use crate::types::{Body, Composite, Member, Type, TypeId};
    use crate::wire::Header;
    use crate::{Btf, BtfBuilder};

    /// Records of many lengths; enough of them to be looked up past DENSE_AFTER.
    fn blob() -> Vec<u8> {
        let mut b = BtfBuilder::new();
        let int = b.int("int", 4, true);
        for i in 0..3000u32 {
            let members: Vec<Member> = (0..(i % 7))
                .map(|m| Member { name: "m", type_id: int, bit_offset: 32 * m, bitfield_size: 0 })
                .collect();
            b.add(&Type { name: "s", body: Body::Struct(Composite { size: 4 * (i % 7).max(1), members }) });
        }
        b.build()
    }

    #[test]
    fn stepped_and_full_table_lookups_agree() {
        let data = blob();
        let hdr = Header::parse(&data).unwrap();
        let offsets = Offsets::new(scan_types(&data, &hdr, 1, 0, &Watch::default()).unwrap().kept);
        let all: Vec<u32> = offsets.iter(&data, hdr.endian).collect();
        assert_eq!(all.len() as u32, offsets.len());
        assert!(offsets.kept.a.len() < all.len() / 4, "only every STRIDE-th offset is kept");
        for round in 0..8 {
            for (i, &o) in all.iter().enumerate() {
                assert_eq!(offsets.get(&data, hdr.endian, i as u32), Some(o), "round {round}, record {i}");
            }
            assert_eq!(offsets.dense.get().is_some(), (round + 1) * all.len() > DENSE_AFTER as usize);
        }
        assert_eq!(offsets.get(&data, hdr.endian, all.len() as u32), None);
    }

    #[test]
    fn types_decode_the_same_before_and_after_the_full_table() {
        let btf = Btf::parse(blob()).unwrap();
        let sizes =
            |btf: &Btf| -> Vec<u32> { (1..btf.count()).map(|i| btf.size_of(TypeId::new(i)).unwrap()).collect() };
        let heap = btf.heap_bytes();
        let before = sizes(&btf);
        for _ in 0..8 {
            sizes(&btf);
        }
        assert!(btf.heap_bytes() >= heap + 4 * 3000, "many lookups build the full table");
        assert_eq!(sizes(&btf), before);
    }
}
