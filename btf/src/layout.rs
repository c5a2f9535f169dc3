//! Layout questions CO-RE and the CLI ask: skip modifiers, sizes, alignments, essential names,
//! and a struct's layout member by member with its holes and tail padding ([`StructLayout`]),
//! compared with where the C compiler would put each member unpacked.

use crate::btf::{Btf, MAX_REF_CHAIN};
use crate::error::{BtfError, InvalidType, Result};
use crate::types::{Body, Kind, TypeId};

/// The name with any `___flavor` suffix dropped (`task_struct___old` → `task_struct`), by
/// libbpf's rule: the last `X___Y` where X and Y are not underscores. One definition, CO-RE's.
pub fn essential_name(name: &str) -> &str {
    crate::core::names::essential(name)
}

impl Btf {
    /// Follows typedefs, modifiers and type tags to the underlying type.
    pub fn skip_mods_and_typedefs(&self, id: TypeId) -> Result<TypeId> {
        self.skip_while(id, |k| {
            matches!(k, Kind::Typedef | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag)
        })
    }

    /// Follows modifiers and type tags (not typedefs).
    pub fn skip_mods(&self, id: TypeId) -> Result<TypeId> {
        self.skip_while(id, |k| matches!(k, Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag))
    }

    fn skip_while(&self, id: TypeId, skip: impl Fn(Kind) -> bool) -> Result<TypeId> {
        let mut cur = id;
        for _ in 0..MAX_REF_CHAIN {
            if !skip(self.kind_of(cur)?) {
                return Ok(cur);
            }
            cur = self.type_by_id(cur)?.ref_type().unwrap_or(TypeId::VOID);
        }
        Err(BtfError::RefChainTooLong { id, limit: MAX_REF_CHAIN })
    }

    /// `sizeof` the type, as C computes it.
    pub fn size_of(&self, id: TypeId) -> Result<u32> {
        let mut cur = id;
        let mut mult: u64 = 1;
        for _ in 0..MAX_REF_CHAIN {
            // The record, not the decoded type: a struct's size is in its header, and decoding
            // its members (with their names) at every use was a sixth of writing vmlinux.h.
            let Some(rec) = self.record(cur)? else {
                return Err(BtfError::Invalid { id, kind: Kind::Void, reason: InvalidType::NoSize });
            };
            let size = match rec.kind() {
                Kind::Int => rec.int()?.size,
                Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 | Kind::Float | Kind::Datasec => rec.size(),
                Kind::Ptr => self.pointer_size(),
                Kind::Array => {
                    let a = rec.array()?;
                    mult = mult.saturating_mul(a.nelems as u64);
                    cur = a.elem;
                    continue;
                }
                Kind::Typedef | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag | Kind::Var => {
                    cur = rec.target()?;
                    continue;
                }
                kind => return Err(BtfError::Invalid { id, kind, reason: InvalidType::NoSize }),
            };
            let total = mult.saturating_mul(size as u64);
            return u32::try_from(total).map_err(|_| BtfError::Invalid {
                id,
                kind: Kind::Array,
                reason: InvalidType::SizeOverflow { size: total },
            });
        }
        Err(BtfError::RefChainTooLong { id, limit: MAX_REF_CHAIN })
    }

    /// Alignment in bytes, as the C compiler would choose it (for BTF that carries no
    /// `packed` marker, the largest member alignment).
    pub fn align_of(&self, id: TypeId) -> Result<u32> {
        self.align_of_depth(id, 0)
    }

    fn align_of_depth(&self, id: TypeId, depth: usize) -> Result<u32> {
        if depth > MAX_REF_CHAIN {
            return Err(BtfError::RefChainTooLong { id, limit: MAX_REF_CHAIN });
        }
        let t = self.type_by_id(id)?;
        Ok(match &t.body {
            Body::Int(i) => i.size.clamp(1, 8),
            Body::Float { size } => (*size).clamp(1, 16),
            Body::Enum(e) | Body::Enum64(e) => e.size.clamp(1, 8),
            Body::Ptr(_) => self.pointer_size(),
            Body::Array(a) => self.align_of_depth(a.elem, depth + 1)?,
            Body::Typedef(x) | Body::Volatile(x) | Body::Const(x) | Body::Restrict(x) | Body::TypeTag(x) => {
                self.align_of_depth(*x, depth + 1)?
            }
            Body::Struct(c) | Body::Union(c) => {
                let mut a = 1;
                for m in &c.members {
                    a = a.max(self.align_of_depth(m.type_id, depth + 1)?);
                }
                a
            }
            other => return Err(BtfError::Invalid { id, kind: other.kind(), reason: InvalidType::NoAlignment }),
        })
    }

    /// Pointer size of the target: 8 (BPF and every 64-bit kernel BTF describes).
    pub fn pointer_size(&self) -> u32 {
        8
    }

    /// Finds member `name` of struct/union `id` (looking into anonymous members), returning
    /// the path of member indices and the member's total bit offset.
    pub fn find_member(&self, id: TypeId, name: &str) -> Result<Option<(Vec<usize>, u32)>> {
        self.find_member_depth(id, name, 0)
    }

    fn find_member_depth(&self, id: TypeId, name: &str, depth: usize) -> Result<Option<(Vec<usize>, u32)>> {
        if depth > MAX_REF_CHAIN {
            return Err(BtfError::RefChainTooLong { id, limit: MAX_REF_CHAIN });
        }
        let id = self.skip_mods_and_typedefs(id)?;
        let t = self.type_by_id(id)?;
        let Some(members) = t.members() else {
            return Ok(None);
        };
        for (i, m) in members.iter().enumerate() {
            if m.name == name {
                return Ok(Some((vec![i], m.bit_offset)));
            }
            if m.name.is_empty() {
                if let Some((mut path, off)) = self.find_member_depth(m.type_id, name, depth + 1)? {
                    path.insert(0, i);
                    return Ok(Some((path, m.bit_offset + off)));
                }
            }
        }
        Ok(None)
    }
}

/// One member of a struct or union, where it sits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberLayout<'a> {
    /// Its name (empty for an anonymous struct or union member).
    pub name: &'a str,
    /// Its type.
    pub type_id: TypeId,
    /// Offset in bits from the start of the struct.
    pub bit_offset: u32,
    /// Size in bits: the bitfield's width, or 8 × its type's size.
    pub bits: u32,
    /// A bitfield (`bits` is its declared width).
    pub bitfield: bool,
    /// Its type's natural alignment in bytes.
    pub align: u32,
}

/// Where a struct's layout departs from the natural C layout of the same members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutNote {
    /// Member `index` sits at an offset that is not a multiple of its alignment (a packed
    /// struct, `__attribute__((packed))`).
    Misaligned {
        /// The member's index.
        index: usize,
        /// Its byte offset.
        offset: u32,
        /// Its natural alignment.
        align: u32,
    },
    /// Member `index` sits after where natural alignment would put it (`__attribute__((aligned(N)))`
    /// on it, or explicit padding the compiler did not need).
    Placed {
        /// The member's index.
        index: usize,
        /// Its byte offset.
        offset: u32,
        /// Where the compiler would put it.
        natural: u32,
    },
    /// The struct's size differs from the natural one (packed: smaller; aligned: larger).
    Size {
        /// Its size.
        size: u32,
        /// The natural size.
        natural: u32,
    },
}

/// A gap no member covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hole {
    /// Where it starts, in bits.
    pub bit_offset: u32,
    /// How many bits.
    pub bits: u32,
    /// The member it follows (`None`: before the first member).
    pub after: Option<usize>,
}

/// The layout of a struct or union: members, holes, tail padding, and whether it is natural.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructLayout<'a> {
    /// The struct (after typedefs and modifiers).
    pub id: TypeId,
    /// A union (members overlap; no holes).
    pub union: bool,
    /// `sizeof`.
    pub size: u32,
    /// Natural alignment of the struct (its largest member's).
    pub align: u32,
    /// The members in order.
    pub members: Vec<MemberLayout<'a>>,
    /// Gaps between members.
    pub holes: Vec<Hole>,
    /// Bits after the last member, up to `size`.
    pub tail_padding_bits: u32,
    /// Where the layout differs from the natural one (empty: natural).
    pub notes: Vec<LayoutNote>,
}

impl StructLayout<'_> {
    /// Whether the compiler, given the members alone, lays them out the same way.
    pub fn is_natural(&self) -> bool {
        self.notes.is_empty()
    }

    /// Bytes no member covers: holes plus tail padding (rounded up to whole bytes).
    pub fn padding_bytes(&self) -> u32 {
        (self.holes.iter().map(|h| h.bits).sum::<u32>() + self.tail_padding_bits).div_ceil(8)
    }
}

impl Btf {
    /// The layout of struct or union `id` (through typedefs and modifiers); `None` for other
    /// kinds.
    pub fn struct_layout(&self, id: TypeId) -> Result<Option<StructLayout<'_>>> {
        let id = self.skip_mods_and_typedefs(id)?;
        let (c, union) = match &self.type_by_id(id)?.body {
            Body::Struct(c) => (c.clone(), false),
            Body::Union(c) => (c.clone(), true),
            _ => return Ok(None),
        };
        let mut members = Vec::with_capacity(c.members.len());
        for m in &c.members {
            let bitfield = m.bitfield_size > 0;
            let bits = if bitfield { u32::from(m.bitfield_size) } else { self.size_of(m.type_id)?.saturating_mul(8) };
            let align = self.align_of(m.type_id)?;
            members.push(MemberLayout {
                name: m.name,
                type_id: m.type_id,
                bit_offset: m.bit_offset,
                bits,
                bitfield,
                align,
            });
        }
        let align = members.iter().map(|m| m.align).max().unwrap_or(1);
        let (holes, end) = if union { (Vec::new(), union_end(&members)) } else { holes(&members) };
        let tail_padding_bits = c.size.saturating_mul(8).saturating_sub(end);
        let notes = natural_notes(&members, union, c.size, align);
        Ok(Some(StructLayout { id, union, size: c.size, align, members, holes, tail_padding_bits, notes }))
    }
}

fn union_end(members: &[MemberLayout<'_>]) -> u32 {
    members.iter().map(|m| m.bit_offset.saturating_add(m.bits)).max().unwrap_or(0)
}

/// The gaps between consecutive members, and the bit where the last one ends.
fn holes(members: &[MemberLayout<'_>]) -> (Vec<Hole>, u32) {
    let mut holes = Vec::new();
    let mut end = 0u32;
    for (i, m) in members.iter().enumerate() {
        if m.bit_offset > end {
            let after = i.checked_sub(1);
            holes.push(Hole { bit_offset: end, bits: m.bit_offset - end, after });
        }
        end = end.max(m.bit_offset.saturating_add(m.bits));
    }
    (holes, end)
}

/// Where each member would be in a natural (unpacked, unaligned-attribute) layout, compared
/// with where it is. Bitfields are left out: their placement follows the storage unit rules,
/// which BTF does not record.
fn natural_notes(members: &[MemberLayout<'_>], union: bool, size: u32, align: u32) -> Vec<LayoutNote> {
    let mut notes = Vec::new();
    // `cursor`: where the previous member actually ends (a member is judged against that, so
    // one misplaced member does not flag every later one); `natural_end`: where a natural
    // layout of every member ends, for the size.
    let (mut cursor, mut natural_end) = (0u32, 0u32);
    for (index, m) in members.iter().enumerate() {
        let (offset, a) = (m.bit_offset / 8, m.align.max(1));
        if m.bitfield || m.bit_offset % 8 != 0 {
            let end = m.bit_offset.saturating_add(m.bits).div_ceil(8);
            cursor = cursor.max(end);
            natural_end = natural_end.max(end);
            continue;
        }
        let natural = if union { 0 } else { cursor.next_multiple_of(a) };
        if offset % a != 0 {
            notes.push(LayoutNote::Misaligned { index, offset, align: m.align });
        } else if offset > natural {
            notes.push(LayoutNote::Placed { index, offset, natural });
        }
        let bytes = m.bits / 8;
        cursor = cursor.max(offset.saturating_add(bytes));
        let start = if union { 0 } else { natural_end.next_multiple_of(a) };
        natural_end = natural_end.max(start.saturating_add(bytes));
    }
    let natural = natural_end.next_multiple_of(align.max(1));
    if size != natural {
        notes.push(LayoutNote::Size { size, natural });
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::BtfBuilder;

    fn sample() -> Btf {
        let mut b = BtfBuilder::new();
        let int = b.int("int", 4, true); // 1
        let long = b.int("long", 8, true); // 2
        let arr = b.add(&crate::types::Type {
            name: "",
            body: Body::Array(crate::types::Array { elem: int, index: int, nelems: 3 }),
        }); // 3
        let inner = b.struct_("", 8, &[("x", int, 0), ("y", int, 32)]); // 4
        let s = b.struct_("outer___v2", 32, &[("a", long, 0), ("", inner, 64), ("arr", arr, 128)]); // 5
        let td = b.add(&crate::types::Type { name: "outer_t", body: Body::Typedef(s) }); // 6
        b.add(&crate::types::Type { name: "", body: Body::Const(td) }); // 7
        Btf::parse(b.build()).unwrap()
    }

    #[test]
    fn sizes_and_alignment() {
        let btf = sample();
        assert_eq!(btf.size_of(TypeId::new(3)).unwrap(), 12);
        assert_eq!(btf.size_of(TypeId::new(7)).unwrap(), 32);
        assert_eq!(btf.align_of(TypeId::new(5)).unwrap(), 8);
        assert_eq!(btf.align_of(TypeId::new(4)).unwrap(), 4);
        assert_eq!(btf.skip_mods_and_typedefs(TypeId::new(7)).unwrap(), TypeId::new(5));
        assert_eq!(btf.skip_mods(TypeId::new(7)).unwrap(), TypeId::new(6));
    }

    #[test]
    fn members_inside_anonymous_structs_are_found() {
        let btf = sample();
        assert_eq!(btf.find_member(TypeId::new(7), "y").unwrap(), Some((vec![1, 1], 96)));
        assert_eq!(btf.find_member(TypeId::new(5), "nope").unwrap(), None);
    }

    #[test]
    fn a_struct_with_a_hole_and_tail_padding_is_natural() {
        // struct { char c; /* 3-byte hole */ int i; long l; short s; /* 6 bytes */ }
        let mut b = BtfBuilder::new();
        let ch = b.int("char", 1, true);
        let int = b.int("int", 4, true);
        let long = b.int("long", 8, true);
        let short = b.int("short", 2, true);
        let s = b.struct_("padded", 24, &[("c", ch, 0), ("i", int, 32), ("l", long, 64), ("s", short, 128)]);
        let btf = Btf::parse(b.build()).unwrap();
        let l = btf.struct_layout(s).unwrap().unwrap();
        assert_eq!((l.size, l.align, l.union), (24, 8, false));
        assert_eq!(l.holes, [Hole { bit_offset: 8, bits: 24, after: Some(0) }]);
        assert_eq!(l.tail_padding_bits, 48);
        assert_eq!(l.padding_bytes(), 9);
        assert!(l.is_natural(), "{:?}", l.notes);
        assert_eq!(l.members[3].bits, 16);
    }

    #[test]
    fn a_packed_struct_is_flagged() {
        // struct __attribute__((packed)) { char c; int i; short s; }: 7 bytes, i at 1.
        let mut b = BtfBuilder::new();
        let ch = b.int("char", 1, true);
        let int = b.int("int", 4, true);
        let short = b.int("short", 2, true);
        let s = b.struct_("packed", 7, &[("c", ch, 0), ("i", int, 8), ("s", short, 40)]);
        let btf = Btf::parse(b.build()).unwrap();
        let l = btf.struct_layout(s).unwrap().unwrap();
        assert!(l.holes.is_empty() && l.tail_padding_bits == 0);
        assert_eq!(
            l.notes,
            [
                LayoutNote::Misaligned { index: 1, offset: 1, align: 4 },
                LayoutNote::Misaligned { index: 2, offset: 5, align: 2 },
                LayoutNote::Size { size: 7, natural: 12 },
            ]
        );
    }

    #[test]
    fn bitfields_have_bit_holes_and_over_aligned_members_are_noted() {
        // struct { unsigned a:3; /* 5 bits */ unsigned b:4 (at bit 8); /* hole to 16 bytes */ long x aligned(16); }
        let mut b = BtfBuilder::new();
        let uint = b.int("unsigned int", 4, false);
        let long = b.int("long", 8, true);
        let s = b.composite("bits", false, 32, &[("a", uint, 0, 3), ("b", uint, 8, 4), ("x", long, 128, 0)]);
        let btf = Btf::parse(b.build()).unwrap();
        let l = btf.struct_layout(s).unwrap().unwrap();
        assert!(l.members[0].bitfield && l.members[0].bits == 3);
        assert_eq!(
            l.holes,
            [Hole { bit_offset: 3, bits: 5, after: Some(0) }, Hole { bit_offset: 12, bits: 116, after: Some(1) }]
        );
        assert_eq!(l.tail_padding_bits, 64);
        assert_eq!(
            l.notes,
            [LayoutNote::Placed { index: 2, offset: 16, natural: 8 }, LayoutNote::Size { size: 32, natural: 16 }]
        );
        // Not a struct: no layout.
        assert_eq!(btf.struct_layout(uint).unwrap(), None);
    }

    #[test]
    fn essential_names_drop_flavors() {
        assert_eq!(essential_name("outer___v2"), "outer");
        assert_eq!(essential_name("task_struct"), "task_struct");
    }
}
