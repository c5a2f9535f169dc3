//! Natural alignment as the compiler sees it, and when a struct must be `packed`.
//!
//! BTF records sizes and offsets but no alignment, so it is inferred: scalars align to their
//! size (at most 8, the pointer size), arrays to their element, structs to their largest
//! member, unless a member sits off its alignment or the size is not a multiple of it; then
//! the struct was packed and aligns to 1.

use super::{CError, Result, MAX_DEPTH};
use crate::btf::Btf;
use crate::types::{Body, Composite, TypeId};

/// Pointer size of every target BTF describes here (64-bit kernels, BPF).
const PTR_SIZE: u32 = 8;

/// Memoized alignments, one byte per type id (0 = not computed yet).
#[derive(Debug)]
pub struct AlignCache {
    memo: Vec<u8>,
}

impl AlignCache {
    /// An empty cache sized for `btf`.
    pub fn new(btf: &Btf) -> Self {
        AlignCache { memo: vec![0; btf.count() as usize] }
    }

    /// Alignment of `id` in bytes; 1 for packed structs and for kinds without one.
    pub fn align_of(&mut self, btf: &Btf, id: TypeId) -> Result<u32> {
        self.at(btf, id, 0)
    }

    fn at(&mut self, btf: &Btf, id: TypeId, depth: usize) -> Result<u32> {
        if depth > MAX_DEPTH {
            return Err(CError::TooDeep { id, limit: MAX_DEPTH });
        }
        if let Some(&a) = self.memo.get(id.get() as usize) {
            if a != 0 {
                return Ok(a as u32);
            }
        }
        let t = btf.type_by_id(id)?;
        let a = match &t.body {
            Body::Int(i) => i.size.clamp(1, PTR_SIZE),
            Body::Enum(e) | Body::Enum64(e) => e.size.clamp(1, PTR_SIZE),
            Body::Float { size } => (*size).clamp(1, PTR_SIZE),
            Body::Ptr(_) => PTR_SIZE,
            Body::Typedef(x) | Body::Volatile(x) | Body::Const(x) | Body::Restrict(x) | Body::TypeTag(x) => {
                self.at(btf, *x, depth + 1)?
            }
            Body::Array(a) => self.at(btf, a.elem, depth + 1)?,
            Body::Struct(c) | Body::Union(c) => self.natural(btf, c, depth)?.unwrap_or(1),
            // void, forward declarations, functions: no storage, so no constraint.
            _ => 1,
        };
        if let Some(slot) = self.memo.get_mut(id.get() as usize) {
            *slot = a as u8;
        }
        Ok(a)
    }

    /// The largest member alignment, or `None` if the layout shows the struct was packed.
    fn natural(&mut self, btf: &Btf, c: &Composite<'_>, depth: usize) -> Result<Option<u32>> {
        let mut max = 1;
        for m in &c.members {
            let a = self.at(btf, m.type_id, depth + 1)?;
            if m.bitfield_size == 0 && m.bit_offset % (8 * a) != 0 {
                return Ok(None);
            }
            max = max.max(a);
        }
        Ok(c.size.is_multiple_of(max).then_some(max))
    }

    /// True if struct `c` needs `__attribute__((packed))` to get BTF's offsets and size.
    pub fn is_packed(&mut self, btf: &Btf, c: &Composite<'_>) -> Result<bool> {
        Ok(self.natural(btf, c, 0)?.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let mut a = AlignCache::new(&btf);
        assert_eq!(a.align_of(&btf, natural).unwrap(), 8);
        assert_eq!(a.align_of(&btf, misaligned).unwrap(), 1);
        assert_eq!(a.align_of(&btf, odd).unwrap(), 1);
        let c = |id| match btf.type_by_id(id).unwrap().body {
            Body::Struct(c) => c,
            _ => unreachable!(),
        };
        assert!(!a.is_packed(&btf, &c(natural)).unwrap());
        assert!(a.is_packed(&btf, &c(misaligned)).unwrap());
        assert!(a.is_packed(&btf, &c(odd)).unwrap());
    }
}
