//! `BtfBuilder`: encodes types into a BTF blob. Used to hand-build BTF in tests, and by the
//! loader to re-encode an object's BTF after fixups and sanitizing.

use std::collections::HashMap;

use crate::types::*;
use crate::wire::{Endian, BTF_HEADER_LEN, BTF_MAGIC};

/// Accumulates types and strings; ids are assigned in the order types are added, from 1.
#[derive(Clone, Debug)]
pub struct BtfBuilder {
    endian: Endian,
    strings: Vec<u8>,
    str_map: HashMap<String, u32>,
    types: Vec<u8>,
    next_id: TypeId,
}

impl Default for BtfBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BtfBuilder {
    /// An empty builder in native byte order.
    pub fn new() -> Self {
        Self::with_endian(Endian::native())
    }

    /// An empty builder in the given byte order.
    pub fn with_endian(endian: Endian) -> Self {
        BtfBuilder { endian, strings: vec![0], str_map: HashMap::new(), types: Vec::new(), next_id: TypeId::new(1) }
    }

    /// An empty builder whose string table starts as a copy of `strings` (a BTF string
    /// section), so every offset into it stays valid: line_info and CO-RE access strings refer
    /// to strings no type names.
    pub fn with_strings(endian: Endian, strings: &[u8]) -> Self {
        let mut b = Self::with_endian(endian);
        if strings.first() == Some(&0) && strings.last() == Some(&0) {
            b.strings = strings.to_vec();
            let mut off = 0usize;
            for s in strings.split(|&c| c == 0) {
                if let (false, Ok(text)) = (s.is_empty(), std::str::from_utf8(s)) {
                    b.str_map.entry(text.to_owned()).or_insert(off as u32);
                }
                off += s.len() + 1;
            }
        }
        b
    }

    /// The id the next added type will get.
    pub fn next_id(&self) -> TypeId {
        self.next_id
    }

    /// Interns a string; the empty string is offset 0.
    pub fn add_str(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        if let Some(&off) = self.str_map.get(s) {
            return off;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        self.str_map.insert(s.to_owned(), off);
        off
    }

    fn put(&mut self, v: u32) {
        let b = self.endian.put_u32(v);
        self.types.extend_from_slice(&b);
    }

    fn put_id(&mut self, id: TypeId) {
        self.put(id.get());
    }

    fn head(&mut self, name: &str, kind: Kind, vlen: usize, kflag: bool, size_or_type: u32) {
        let name_off = self.add_str(name);
        self.put(name_off);
        self.put((kflag as u32) << 31 | (kind as u32) << 24 | (vlen as u32 & 0xffff));
        self.put(size_or_type);
    }

    /// Appends a type and returns its id. Type ids inside it are written as given.
    /// `void` is implicit as id 0: adding it writes nothing and returns 0.
    pub fn add(&mut self, t: &Type<'_>) -> TypeId {
        let n = t.name;
        match &t.body {
            Body::Void => return TypeId::VOID,
            Body::Int(i) => {
                self.head(n, Kind::Int, 0, false, i.size);
                self.put((i.encoding.bits() as u32) << 24 | (i.offset as u32) << 16 | i.bits as u32);
            }
            Body::Ptr(x) => self.head(n, Kind::Ptr, 0, false, x.get()),
            Body::Array(a) => {
                self.head(n, Kind::Array, 0, false, 0);
                self.put_id(a.elem);
                self.put_id(a.index);
                self.put(a.nelems);
            }
            Body::Struct(c) | Body::Union(c) => {
                let kflag = c.members.iter().any(|m| m.bitfield_size != 0);
                self.head(n, t.kind(), c.members.len(), kflag, c.size);
                for m in &c.members {
                    let name_off = self.add_str(m.name);
                    self.put(name_off);
                    self.put_id(m.type_id);
                    self.put(if kflag { (m.bitfield_size as u32) << 24 | m.bit_offset } else { m.bit_offset });
                }
            }
            Body::Enum(e) => {
                self.head(n, Kind::Enum, e.values.len(), e.signed, e.size);
                for v in &e.values {
                    let name_off = self.add_str(v.name);
                    self.put(name_off);
                    self.put(v.value as u32);
                }
            }
            Body::Enum64(e) => {
                self.head(n, Kind::Enum64, e.values.len(), e.signed, e.size);
                for v in &e.values {
                    let name_off = self.add_str(v.name);
                    self.put(name_off);
                    self.put(v.value as u32);
                    self.put((v.value >> 32) as u32);
                }
            }
            Body::Fwd { is_union } => self.head(n, Kind::Fwd, 0, *is_union, 0),
            Body::Typedef(x) => self.head(n, Kind::Typedef, 0, false, x.get()),
            Body::Volatile(x) => self.head(n, Kind::Volatile, 0, false, x.get()),
            Body::Const(x) => self.head(n, Kind::Const, 0, false, x.get()),
            Body::Restrict(x) => self.head(n, Kind::Restrict, 0, false, x.get()),
            Body::TypeTag(x) => self.head(n, Kind::TypeTag, 0, false, x.get()),
            Body::Func(f) => self.head(n, Kind::Func, f.linkage.as_u32() as usize, false, f.proto.get()),
            Body::FuncProto(p) => {
                self.head(n, Kind::FuncProto, p.params.len(), false, p.ret.get());
                for q in &p.params {
                    let name_off = self.add_str(q.name);
                    self.put(name_off);
                    self.put_id(q.type_id);
                }
            }
            Body::Var(v) => {
                self.head(n, Kind::Var, 0, false, v.type_id.get());
                self.put(v.linkage.as_u32());
            }
            Body::Datasec(d) => {
                self.head(n, Kind::Datasec, d.vars.len(), false, d.size);
                for v in &d.vars {
                    self.put_id(v.type_id);
                    self.put(v.offset);
                    self.put(v.size);
                }
            }
            Body::Float { size } => self.head(n, Kind::Float, 0, false, *size),
            Body::DeclTag(d) => {
                self.head(n, Kind::DeclTag, 0, false, d.type_id.get());
                self.put(d.component_idx as u32);
            }
        }
        let id = self.next_id;
        self.next_id = TypeId::new(id.get() + 1);
        id
    }

    /// Adds an INT of `size` bytes.
    pub fn int(&mut self, name: &str, size: u32, signed: bool) -> TypeId {
        let encoding = IntEncoding { signed, ..Default::default() };
        self.add(&Type { name, body: Body::Int(Int { size, encoding, offset: 0, bits: (size * 8) as u8 }) })
    }

    /// Adds a PTR to `target`.
    pub fn ptr(&mut self, target: TypeId) -> TypeId {
        self.add(&Type { name: "", body: Body::Ptr(target) })
    }

    /// Adds a STRUCT (or UNION with `union`) from `(name, type, bit offset, bitfield size)`.
    pub fn composite(&mut self, name: &str, union: bool, size: u32, members: &[(&str, TypeId, u32, u8)]) -> TypeId {
        let members = members
            .iter()
            .map(|&(name, type_id, bit_offset, bitfield_size)| Member { name, type_id, bit_offset, bitfield_size })
            .collect();
        let c = Composite { size, members };
        self.add(&Type { name, body: if union { Body::Union(c) } else { Body::Struct(c) } })
    }

    /// Adds a STRUCT from `(name, type, bit offset)`.
    pub fn struct_(&mut self, name: &str, size: u32, members: &[(&str, TypeId, u32)]) -> TypeId {
        let m: Vec<_> = members.iter().map(|&(n, t, o)| (n, t, o, 0u8)).collect();
        self.composite(name, false, size, &m)
    }

    /// The finished blob: header, types, strings.
    pub fn build(&self) -> Vec<u8> {
        let e = self.endian;
        let mut out = Vec::with_capacity(BTF_HEADER_LEN + self.types.len() + self.strings.len());
        out.extend_from_slice(&e.put_u16(BTF_MAGIC));
        out.push(1); // version
        out.push(0); // flags
        for v in [BTF_HEADER_LEN as u32, 0, self.types.len() as u32, self.types.len() as u32, self.strings.len() as u32]
        {
            out.extend_from_slice(&e.put_u32(v));
        }
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.strings);
        out
    }
}
