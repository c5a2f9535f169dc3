//! Shared helpers of the CO-RE tests: a terse BTF builder and relocation records.
#![allow(dead_code)]

use btf::core::{relocate, CoreCache, CoreError, CoreRelo, CoreResolution, RelocKind};
use btf::types::{Array, Body, Enum, EnumValue, Int, IntEncoding, Type, TypeId};
use btf::{Btf, BtfBuilder};

/// A BtfBuilder with shorthands for the types the tests need.
pub struct B(pub BtfBuilder);

impl B {
    pub fn new() -> Self {
        B(BtfBuilder::new())
    }
    pub fn big_endian() -> Self {
        B(BtfBuilder::with_endian(btf::wire::Endian::Big))
    }
    pub fn int(&mut self, name: &str, size: u32, signed: bool) -> TypeId {
        self.0.int(name, size, signed)
    }
    /// An INT with a raw encoding (char/bool bits).
    pub fn int_enc(&mut self, name: &str, size: u32, encoding: IntEncoding) -> TypeId {
        self.0.add(&Type { name, body: Body::Int(Int { size, encoding, offset: 0, bits: (size * 8) as u8 }) })
    }
    pub fn ptr(&mut self, t: TypeId) -> TypeId {
        self.0.ptr(t)
    }
    /// A struct from `(name, type, bit offset)`.
    pub fn st(&mut self, name: &str, size: u32, m: &[(&str, TypeId, u32)]) -> TypeId {
        self.0.struct_(name, size, m)
    }
    /// A struct or union from `(name, type, bit offset, bitfield bits)`.
    pub fn comp(&mut self, name: &str, union: bool, size: u32, m: &[(&str, TypeId, u32, u8)]) -> TypeId {
        self.0.composite(name, union, size, m)
    }
    pub fn arr(&mut self, elem: TypeId, index: TypeId, nelems: u32) -> TypeId {
        self.0.add(&Type { name: "", body: Body::Array(Array { elem, index, nelems }) })
    }
    pub fn typedef(&mut self, name: &str, t: TypeId) -> TypeId {
        self.0.add(&Type { name, body: Body::Typedef(t) })
    }
    pub fn konst(&mut self, t: TypeId) -> TypeId {
        self.0.add(&Type { name: "", body: Body::Const(t) })
    }
    pub fn fwd(&mut self, name: &str, is_union: bool) -> TypeId {
        self.0.add(&Type { name, body: Body::Fwd { is_union } })
    }
    pub fn float(&mut self, name: &str, size: u32) -> TypeId {
        self.0.add(&Type { name, body: Body::Float { size } })
    }
    pub fn enm(&mut self, name: &str, size: u32, signed: bool, vals: &[(&str, u64)]) -> TypeId {
        let values = vals.iter().map(|&(name, value)| EnumValue { name, value }).collect();
        self.0.add(&Type { name, body: Body::Enum(Enum { size, signed, values }) })
    }
    pub fn enm64(&mut self, name: &str, size: u32, signed: bool, vals: &[(&str, u64)]) -> TypeId {
        let values = vals.iter().map(|&(name, value)| EnumValue { name, value }).collect();
        self.0.add(&Type { name, body: Body::Enum64(Enum { size, signed, values }) })
    }
    pub fn btf(&self) -> Btf {
        Btf::parse(self.0.build()).unwrap()
    }
}

/// Type id number `n` (tests name hand-built types by their numbers).
pub fn id(n: u32) -> TypeId {
    TypeId::new(n)
}

/// A relocation record for instruction `insn`, on local type number `type_id`.
pub fn relo(kind: RelocKind, type_id: u32, access: &str, insn: u32) -> CoreRelo {
    CoreRelo { insn_off: insn * 8, type_id: id(type_id), access_str_off: 0, access: access.to_owned(), kind }
}

/// Resolves one relocation on local type number `type_id` with a fresh cache.
pub fn resolve(local: &Btf, target: &Btf, kind: RelocKind, type_id: u32, access: &str) -> CoreResolution {
    try_resolve(local, target, kind, type_id, access).unwrap_or_else(|e| panic!("{e}"))
}

pub fn try_resolve(
    local: &Btf,
    target: &Btf,
    kind: RelocKind,
    type_id: u32,
    access: &str,
) -> Result<CoreResolution, CoreError> {
    relocate(local, target, &relo(kind, type_id, access, 0), 0, &mut CoreCache::new())
}

/// `(local, target)` values.
pub fn values(r: &CoreResolution) -> (u64, Option<u64>) {
    (r.local_value, r.target_value)
}
