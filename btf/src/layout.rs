//! Layout questions CO-RE and the CLI ask: skip modifiers, sizes, alignments, essential names.

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
            let t = self.type_by_id(cur)?;
            let size = match &t.body {
                Body::Int(i) => i.size,
                Body::Struct(c) | Body::Union(c) => c.size,
                Body::Enum(e) | Body::Enum64(e) => e.size,
                Body::Float { size } => *size,
                Body::Datasec(d) => d.size,
                Body::Ptr(_) => self.pointer_size(),
                Body::Array(a) => {
                    mult = mult.saturating_mul(a.nelems as u64);
                    cur = a.elem;
                    continue;
                }
                Body::Typedef(x) | Body::Volatile(x) | Body::Const(x) | Body::Restrict(x) | Body::TypeTag(x) => {
                    cur = *x;
                    continue;
                }
                Body::Var(v) => {
                    cur = v.type_id;
                    continue;
                }
                other => {
                    return Err(BtfError::Invalid { id, kind: other.kind(), reason: InvalidType::NoSize });
                }
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
    fn essential_names_drop_flavors() {
        assert_eq!(essential_name("outer___v2"), "outer");
        assert_eq!(essential_name("task_struct"), "task_struct");
    }
}
