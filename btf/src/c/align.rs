//! Natural alignment as the compiler sees it, and when a struct must be `packed`.
//!
//! BTF records sizes and offsets but no alignment, so it is inferred: scalars align to their
//! size (at most 8, the pointer size), arrays to their element, structs to their largest
//! member, unless a member sits off its alignment or the size is not a multiple of it; then
//! the struct was packed and aligns to 1.

use std::collections::HashMap;

use super::{CError, Result, MAX_DEPTH};
use crate::btf::Btf;
use crate::types::{Composite, Kind, TypeId};

/// Pointer size of every target BTF describes here (64-bit kernels, BPF).
const PTR_SIZE: u32 = 8;

/// Memoized alignments.
#[derive(Debug)]
pub struct AlignCache {
    memo: Memo,
}

/// Where computed alignments are kept.
#[derive(Debug)]
enum Memo {
    /// One byte per type id (0 = not computed yet): for printing every type.
    Dense(Vec<u8>),
    /// Only the ids asked about: printing one declaration touches a few dozen types, and a
    /// byte per id of vmlinux (126k) would cost more page faults than the lookups it saves.
    Sparse(HashMap<u32, u8>),
}

impl AlignCache {
    /// An empty cache sized for every type of `btf`.
    pub fn new(btf: &Btf) -> Self {
        AlignCache { memo: Memo::Dense(vec![0; btf.count() as usize]) }
    }

    /// An empty cache that grows with the types asked about.
    pub fn sparse() -> Self {
        AlignCache { memo: Memo::Sparse(HashMap::new()) }
    }

    fn get(&self, id: TypeId) -> Option<u32> {
        let a = match &self.memo {
            Memo::Dense(v) => v.get(id.get() as usize).copied(),
            Memo::Sparse(m) => m.get(&id.get()).copied(),
        };
        a.filter(|&a| a != 0).map(u32::from)
    }

    fn set(&mut self, id: TypeId, a: u32) {
        match &mut self.memo {
            Memo::Dense(v) => {
                if let Some(slot) = v.get_mut(id.get() as usize) {
                    *slot = a as u8;
                }
            }
            Memo::Sparse(m) => {
                m.insert(id.get(), a as u8);
            }
        }
    }

    /// Alignment of `id` in bytes; 1 for packed structs and for kinds without one.
    pub fn align_of(&mut self, btf: &Btf, id: TypeId) -> Result<u32> {
        self.at(btf, id, 0)
    }

    fn at(&mut self, btf: &Btf, id: TypeId, depth: usize) -> Result<u32> {
        if depth > MAX_DEPTH {
            return Err(CError::TooDeep { id, limit: MAX_DEPTH });
        }
        if let Some(a) = self.get(id) {
            return Ok(a);
        }
        // Records, not decoded types: alignment needs sizes, targets and member offsets.
        let Some(rec) = btf.record(id)? else {
            return Ok(1); // void: no storage, so no constraint
        };
        let a = match rec.kind() {
            Kind::Int => rec.int()?.size.clamp(1, PTR_SIZE),
            Kind::Enum | Kind::Enum64 | Kind::Float => rec.size().clamp(1, PTR_SIZE),
            Kind::Ptr => PTR_SIZE,
            Kind::Typedef | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag => {
                self.at(btf, rec.target()?, depth + 1)?
            }
            Kind::Array => self.at(btf, rec.array()?.elem, depth + 1)?,
            Kind::Struct | Kind::Union => {
                let members = (0..rec.vlen()).map(|i| rec.member_layout(i));
                self.natural(btf, members, rec.size(), depth)?.unwrap_or(1)
            }
            // forward declarations, functions: no storage, so no constraint.
            _ => 1,
        };
        self.set(id, a);
        Ok(a)
    }

    /// The largest alignment of `members` (type, bit offset, bitfield size), or `None` if the
    /// layout shows the struct (of `size` bytes) was packed.
    fn natural(
        &mut self,
        btf: &Btf,
        members: impl Iterator<Item = crate::error::Result<(TypeId, u32, u8)>>,
        size: u32,
        depth: usize,
    ) -> Result<Option<u32>> {
        let mut max = 1;
        for m in members {
            let (type_id, bit_offset, bitfield_size) = m?;
            let a = self.at(btf, type_id, depth + 1)?;
            if bitfield_size == 0 && bit_offset % (8 * a) != 0 {
                return Ok(None);
            }
            max = max.max(a);
        }
        Ok(size.is_multiple_of(max).then_some(max))
    }

    /// True if struct `c` needs `__attribute__((packed))` to get BTF's offsets and size.
    pub fn is_packed(&mut self, btf: &Btf, c: &Composite<'_>) -> Result<bool> {
        let members = c.members.iter().map(|m| Ok((m.type_id, m.bit_offset, m.bitfield_size)));
        Ok(self.natural(btf, members, c.size, 0)?.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Body;
    use crate::write::BtfBuilder;

    #[test]
    fn packed_when_a_member_is_misaligned_or_the_size_is_odd() {
        let mut b = BtfBuilder::new();
        let ch = b.int("char", 1, true);
        let int = b.int("int", 4, true);
        let long = b.int("long", 8, true);
        let natural = b.struct_("n", 16, &[("c", ch, 0), ("l", long, 64)]);
        let misaligned = b.struct_("m", 9, &[("c", ch, 0), ("l", long, 8)]);
        let odd = b.struct_("o", 6, &[("i", int, 0), ("c", ch, 32)]);
        let btf = Btf::parse(b.build()).unwrap();
        let c = |id| match btf.type_by_id(id).unwrap().body {
            Body::Struct(c) => c,
            _ => unreachable!(),
        };
        for mut a in [AlignCache::new(&btf), AlignCache::sparse()] {
            assert_eq!(a.align_of(&btf, natural).unwrap(), 8);
            assert_eq!(a.align_of(&btf, misaligned).unwrap(), 1);
            assert_eq!(a.align_of(&btf, odd).unwrap(), 1);
            assert!(!a.is_packed(&btf, &c(natural)).unwrap());
            assert!(a.is_packed(&btf, &c(misaligned)).unwrap());
            assert!(a.is_packed(&btf, &c(odd)).unwrap());
        }
    }
}
