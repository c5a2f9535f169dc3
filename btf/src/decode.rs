//! Decoding one type record into a `Type`, one function per record shape. Every read is
//! bounds-checked by `Reader`; every referenced type id and string offset is validated here, so
//! a decoded `Type` only names ids and strings that exist.

use crate::btf::Btf;
use crate::error::{BtfError, Component, InvalidType, Result, StrContext};
use crate::types::*;
use crate::wire::{Reader, BTF_TYPE_LEN};

/// One type record being decoded: its header fields and where its kind-specific data starts.
#[derive(Clone, Copy)]
pub(crate) struct Record<'a> {
    btf: &'a Btf,
    r: Reader<'a>,
    id: TypeId,
    kind: Kind,
    /// Start of the kind-specific data (after the 12-byte header).
    x: usize,
    vlen: usize,
    kflag: bool,
    size_or_type: u32,
    name_off: u32,
}

impl<'a> Record<'a> {
    /// Reads the header of type `id` at byte `off` of `r`'s data.
    #[inline]
    pub(crate) fn read(btf: &'a Btf, r: Reader<'a>, id: TypeId, off: usize) -> Result<(Record<'a>, u32)> {
        let name_off = r.u32(off)?;
        let info = r.u32(off + 4)?;
        let kind_no = (info >> 24) & 0x1f;
        // Not `ok_or`: an error built on every read is dropped on every read (see `Reader::slice`).
        let Some(kind) = Kind::from_u32(kind_no) else {
            return Err(BtfError::UnknownKind { id, offset: off, kind: kind_no });
        };
        let rec = Record {
            btf,
            r,
            id,
            kind,
            x: off + BTF_TYPE_LEN,
            vlen: (info & 0xffff) as usize,
            kflag: info >> 31 == 1,
            size_or_type: r.u32(off + 8)?,
            name_off,
        };
        Ok((rec, name_off))
    }

    /// The record's kind.
    #[inline]
    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    /// The type id in the record's third word (what a pointer, typedef, modifier, function,
    /// variable or tag refers to), checked to exist.
    #[inline]
    pub(crate) fn target(&self) -> Result<TypeId> {
        self.ty(self.size_or_type)
    }

    /// The record's name (empty if anonymous).
    #[inline]
    pub(crate) fn name(&self) -> Result<&'a str> {
        if self.name_off == 0 {
            return Ok("");
        }
        let (id, kind) = (self.id, Some(self.kind));
        self.btf.str_in(self.r.bytes(), self.name_off, || StrContext::TypeName { id, kind })
    }

    /// True if the record has a name: its string is not empty. Reads one byte; the name itself
    /// (and whether it is valid UTF-8) is checked where it is used.
    #[inline]
    pub(crate) fn is_named(&self) -> Result<bool> {
        if self.name_off == 0 {
            return Ok(false);
        }
        match self.btf.str_first_byte(self.r.bytes(), self.name_off) {
            Some(b) => Ok(b != 0),
            None => self.name().map(|n| !n.is_empty()), // the base's string, or a bad offset: the full check
        }
    }

    /// The `i`th of the record's `vlen` entries of `stride` bytes, its word at `at` read as a
    /// type id and checked to exist.
    #[inline]
    pub(crate) fn entry_type(&self, stride: usize, at: usize, i: usize) -> Result<TypeId> {
        self.ty(self.r.u32(self.x + stride * i + at)?)
    }

    /// `vlen`: members, parameters, enumerators, variables.
    #[inline]
    pub(crate) fn vlen(&self) -> usize {
        self.vlen
    }

    /// The size in the record's third word (ints, structs, unions, enums, floats, sections).
    #[inline]
    pub(crate) fn size(&self) -> u32 {
        self.size_or_type
    }

    /// Member `i` of a struct or union record without its name: type, bit offset, bitfield
    /// size (0 if not a bitfield).
    #[inline]
    pub(crate) fn member_layout(&self, i: usize) -> Result<(TypeId, u32, u8)> {
        let m = self.x + 12 * i;
        let raw_off = self.r.u32(m + 8)?;
        let (bit_offset, bitfield_size) =
            if self.kflag { (raw_off & 0xff_ffff, (raw_off >> 24) as u8) } else { (raw_off, 0) };
        Ok((self.ty(self.r.u32(m + 4)?)?, bit_offset, bitfield_size))
    }

    /// The kind flag (a FWD's "union", bitfield members, signed enums).
    #[inline]
    pub(crate) fn kflag(&self) -> bool {
        self.kflag
    }

    /// An array record's element type, index type and length.
    #[inline]
    pub(crate) fn array(&self) -> Result<Array> {
        let (r, x) = (self.r, self.x);
        Ok(Array { elem: self.ty(r.u32(x)?)?, index: self.ty(r.u32(x + 4)?)?, nelems: r.u32(x + 8)? })
    }

    /// Calls `f` with each type id the record refers to, checked to exist, without decoding
    /// names or allocating: members, return and parameter types, section variables, an
    /// array's element, or the one target of a reference kind.
    #[inline]
    pub(crate) fn for_each_ref(&self, mut f: impl FnMut(TypeId)) -> Result<()> {
        let (r, x) = (self.r, self.x);
        let each = |f: &mut dyn FnMut(TypeId), stride: usize, at: usize| -> Result<()> {
            for i in 0..self.vlen {
                f(self.entry_type(stride, at, i)?);
            }
            Ok(())
        };
        match self.kind {
            Kind::Struct | Kind::Union => each(&mut f, 12, 4),
            Kind::Datasec => each(&mut f, 12, 0),
            Kind::FuncProto => {
                f(self.target()?);
                each(&mut f, 8, 4)
            }
            Kind::Array => {
                f(self.ty(r.u32(x)?)?);
                Ok(())
            }
            Kind::Ptr
            | Kind::Typedef
            | Kind::Volatile
            | Kind::Const
            | Kind::Restrict
            | Kind::TypeTag
            | Kind::Func
            | Kind::Var
            | Kind::DeclTag => {
                f(self.target()?);
                Ok(())
            }
            Kind::Void | Kind::Int | Kind::Enum | Kind::Enum64 | Kind::Fwd | Kind::Float => Ok(()),
        }
    }

    /// A raw id word of the record as a type id, checked to exist.
    #[inline]
    fn ty(&self, target: u32) -> Result<TypeId> {
        let count = self.btf.count();
        if target >= count {
            return Err(BtfError::BadTypeRef { id: self.id, target: TypeId::new(target), count });
        }
        Ok(TypeId::new(target))
    }

    #[inline]
    fn component_name(&self, what: Component, index: usize, off: u32) -> Result<&'a str> {
        let (id, kind) = (self.id, self.kind);
        self.btf.str_in(self.r.bytes(), off, || StrContext::Component { id, kind, what, index })
    }

    /// Decodes the kind-specific part.
    #[inline]
    pub(crate) fn body(&self) -> Result<Body<'a>> {
        let (r, x, id, st) = (self.r, self.x, self.id, self.size_or_type);
        Ok(match self.kind {
            Kind::Void => return Err(BtfError::Invalid { id, kind: Kind::Void, reason: InvalidType::VoidRecord }),
            Kind::Int => Body::Int(self.int()?),
            Kind::Ptr => Body::Ptr(self.ty(st)?),
            Kind::Array => {
                Body::Array(Array { elem: self.ty(r.u32(x)?)?, index: self.ty(r.u32(x + 4)?)?, nelems: r.u32(x + 8)? })
            }
            Kind::Struct => Body::Struct(self.composite()?),
            Kind::Union => Body::Union(self.composite()?),
            Kind::Enum => Body::Enum(self.enum32()?),
            Kind::Enum64 => Body::Enum64(self.enum64()?),
            Kind::Fwd => Body::Fwd { is_union: self.kflag },
            Kind::Typedef => Body::Typedef(self.ty(st)?),
            Kind::Volatile => Body::Volatile(self.ty(st)?),
            Kind::Const => Body::Const(self.ty(st)?),
            Kind::Restrict => Body::Restrict(self.ty(st)?),
            Kind::TypeTag => Body::TypeTag(self.ty(st)?),
            Kind::Func => Body::Func(Func { proto: self.ty(st)?, linkage: Linkage::from_u32(self.vlen as u32) }),
            Kind::FuncProto => Body::FuncProto(self.func_proto()?),
            Kind::Var => Body::Var(Var { type_id: self.ty(st)?, linkage: Linkage::from_u32(r.u32(x)?) }),
            Kind::Datasec => Body::Datasec(self.datasec()?),
            Kind::Float => Body::Float { size: st },
            Kind::DeclTag => Body::DeclTag(DeclTag { type_id: self.ty(st)?, component_idx: r.i32(self.x)? }),
        })
    }

    /// An int record's encoding, checked.
    #[inline]
    pub(crate) fn int(&self) -> Result<Int> {
        let v = self.r.u32(self.x)?;
        let int = Int {
            size: self.size_or_type,
            encoding: IntEncoding::from_bits(((v >> 24) & 0xf) as u8),
            offset: ((v >> 16) & 0xff) as u8,
            bits: (v & 0xff) as u8,
        };
        if int.bits as u32 > 128 || int.size > 16 || int.offset as u32 + int.bits as u32 > int.size * 8 {
            let reason = InvalidType::IntBitsDoNotFit { bits: int.bits, offset: int.offset, size: int.size };
            return Err(BtfError::Invalid { id: self.id, kind: Kind::Int, reason });
        }
        Ok(int)
    }

    /// `vlen` entries of `size` bytes each, decoded by `f(entry offset, index)`. A plain loop
    /// into an exact-capacity Vec: collecting into `Result<Vec<_>>` loses the size hint and
    /// regrows the Vec, which made writing vmlinux.h 50% slower.
    #[inline]
    fn entries<T>(&self, size: usize, f: impl Fn(usize, usize) -> Result<T>) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(self.vlen);
        for i in 0..self.vlen {
            out.push(f(self.x + size * i, i)?);
        }
        Ok(out)
    }

    #[inline]
    fn composite(&self) -> Result<Composite<'a>> {
        let r = self.r;
        let members = self.entries(12, |m, i| {
            // With kind_flag, the offset word holds the bitfield size in its top 8 bits.
            let (type_id, bit_offset, bitfield_size) = self.member_layout(i)?;
            Ok(Member {
                name: self.component_name(Component::Member, i, r.u32(m)?)?,
                type_id,
                bit_offset,
                bitfield_size,
            })
        })?;
        Ok(Composite { size: self.size_or_type, members })
    }

    #[inline]
    fn enum32(&self) -> Result<Enum<'a>> {
        let r = self.r;
        let values = self.entries(8, |e, i| {
            let raw = r.i32(e + 4)?;
            let value = if self.kflag { raw as i64 as u64 } else { raw as u32 as u64 };
            Ok(EnumValue { name: self.component_name(Component::Enumerator, i, r.u32(e)?)?, value })
        })?;
        Ok(Enum { size: self.size_or_type, signed: self.kflag, values })
    }

    #[inline]
    fn enum64(&self) -> Result<Enum<'a>> {
        let r = self.r;
        let values = self.entries(12, |e, i| {
            let value = (r.u32(e + 8)? as u64) << 32 | r.u32(e + 4)? as u64;
            Ok(EnumValue { name: self.component_name(Component::Enumerator, i, r.u32(e)?)?, value })
        })?;
        Ok(Enum { size: self.size_or_type, signed: self.kflag, values })
    }

    #[inline]
    fn func_proto(&self) -> Result<FuncProto<'a>> {
        let r = self.r;
        let params = self.entries(8, |p, i| {
            Ok(Param {
                name: self.component_name(Component::Parameter, i, r.u32(p)?)?,
                type_id: self.ty(r.u32(p + 4)?)?,
            })
        })?;
        Ok(FuncProto { ret: self.ty(self.size_or_type)?, params })
    }

    #[inline]
    fn datasec(&self) -> Result<Datasec> {
        let r = self.r;
        let vars = self.entries(12, |v, _| {
            Ok(VarSecInfo { type_id: self.ty(r.u32(v)?)?, offset: r.u32(v + 4)?, size: r.u32(v + 8)? })
        })?;
        Ok(Datasec { size: self.size_or_type, vars })
    }
}
