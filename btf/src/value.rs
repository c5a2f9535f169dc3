//! Bytes read through a BTF type: a map's key or value, a ring buffer record, a global
//! variable, decoded into a tree of values a caller can print or serialize.

use crate::types::{Body, Composite, Datasec, Enum, Int};
use crate::{Btf, BtfError, TypeId};

/// How deep types may nest before decoding gives up (a cycle in hostile BTF, or absurd types).
const MAX_DEPTH: usize = 32;

/// One decoded value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A signed integer (INT with the signed bit, or a signed bitfield).
    Int(i128),
    /// An unsigned integer.
    Uint(u128),
    /// A `bool` (BTF_INT_BOOL).
    Bool(bool),
    /// A `float` or `double`.
    Float(f64),
    /// An enum value: its enumerator's name when one matches.
    Enum {
        /// The number.
        value: i128,
        /// The enumerator with that value, if any.
        name: Option<String>,
    },
    /// A pointer (an address: meaningless outside the kernel, shown as is).
    Ptr(u64),
    /// A `char` array: the text up to the first NUL.
    Str(String),
    /// An array.
    Array(Vec<Value>),
    /// A struct or union: its members in order (unions: every member over the same bytes).
    Struct(Vec<(String, Value)>),
    /// Bytes no type describes (void, a forward declaration, a function).
    Bytes(Vec<u8>),
}

/// Why bytes could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The bytes end before the type does.
    #[error("{need} bytes needed at offset {offset}, {have} given")]
    Short {
        /// Where the read starts.
        offset: usize,
        /// How many bytes it needs.
        need: usize,
        /// How many the input has.
        have: usize,
    },
    /// Types nest deeper than the decoder follows.
    #[error("types nest deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// The BTF itself is broken.
    #[error(transparent)]
    Btf(#[from] BtfError),
}

/// Decodes `bytes` as a value of type `ty`.
pub fn decode(btf: &Btf, ty: TypeId, bytes: &[u8]) -> Result<Value, ValueError> {
    let d = Decoder { btf, bytes };
    // All of it, tail padding included: a short record is a short record.
    d.take(0, btf.size_of(ty)? as usize)?;
    d.value(ty, 0, 0)
}

struct Decoder<'a> {
    btf: &'a Btf,
    bytes: &'a [u8],
}

impl Decoder<'_> {
    fn take(&self, offset: usize, need: usize) -> Result<&[u8], ValueError> {
        let have = self.bytes.len();
        offset.checked_add(need).and_then(|end| self.bytes.get(offset..end)).ok_or(ValueError::Short {
            offset,
            need,
            have,
        })
    }

    fn value(&self, ty: TypeId, offset: usize, depth: usize) -> Result<Value, ValueError> {
        if depth > MAX_DEPTH {
            return Err(ValueError::TooDeep);
        }
        let id = self.btf.skip_mods_and_typedefs(ty)?;
        let t = self.btf.type_by_id(id)?;
        Ok(match &t.body {
            Body::Int(i) => self.int(i, offset)?,
            Body::Enum(e) | Body::Enum64(e) => self.enumerator(e, offset)?,
            Body::Float { size } => self.float(*size, offset)?,
            Body::Ptr(_) => Value::Ptr(u64::from_ne_bytes(self.take(offset, 8)?.try_into().unwrap_or_default())),
            Body::Array(a) => self.array(a.elem, a.nelems, offset, depth)?,
            Body::Struct(c) | Body::Union(c) => self.composite(c, offset, depth)?,
            Body::Var(v) => self.value(v.type_id, offset, depth + 1)?,
            Body::Datasec(ds) => self.datasec(ds, offset, depth)?,
            _ => {
                let size = self.btf.size_of(id).unwrap_or(0) as usize;
                Value::Bytes(self.take(offset, size)?.to_vec())
            }
        })
    }

    fn raw(&self, offset: usize, size: usize) -> Result<u128, ValueError> {
        let b = self.take(offset, size)?;
        let mut buf = [0u8; 16];
        if cfg!(target_endian = "little") {
            buf[..b.len().min(16)].copy_from_slice(&b[..b.len().min(16)]);
            Ok(u128::from_le_bytes(buf))
        } else {
            buf[16 - b.len().min(16)..].copy_from_slice(&b[..b.len().min(16)]);
            Ok(u128::from_be_bytes(buf))
        }
    }

    fn int(&self, i: &Int, offset: usize) -> Result<Value, ValueError> {
        let size = (i.size as usize).min(16);
        let raw = self.raw(offset, size)?;
        if i.encoding.bool {
            return Ok(Value::Bool(raw != 0));
        }
        Ok(if i.encoding.signed { Value::Int(sign_extend(raw, size * 8)) } else { Value::Uint(raw) })
    }

    fn enumerator(&self, e: &Enum<'_>, offset: usize) -> Result<Value, ValueError> {
        let size = (e.size as usize).min(8);
        let raw = self.raw(offset, size)?;
        let value = if e.signed { sign_extend(raw, size * 8) } else { raw as i128 };
        let name = u64::try_from(raw).ok().and_then(|r| e.name_of(r)).map(str::to_owned);
        Ok(Value::Enum { value, name })
    }

    fn float(&self, size: u32, offset: usize) -> Result<Value, ValueError> {
        let b = self.take(offset, size as usize)?;
        Ok(match size {
            4 => Value::Float(f32::from_ne_bytes(b.try_into().unwrap_or_default()) as f64),
            8 => Value::Float(f64::from_ne_bytes(b.try_into().unwrap_or_default())),
            _ => Value::Bytes(b.to_vec()),
        })
    }

    fn array(&self, elem: TypeId, n: u32, offset: usize, depth: usize) -> Result<Value, ValueError> {
        let size = self.btf.size_of(elem)? as usize;
        // The whole array must be there: a huge nelems in hostile BTF fails here, before any loop.
        self.take(offset, size.saturating_mul(n as usize))?;
        let elem_id = self.btf.skip_mods_and_typedefs(elem)?;
        if let Body::Int(i) = self.btf.type_by_id(elem_id)?.body {
            if i.size == 1 && (i.encoding.char || i.encoding.signed || self.btf.name_of(elem_id)? == "char") {
                let b = self.take(offset, n as usize)?;
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                return Ok(Value::Str(String::from_utf8_lossy(&b[..end]).into_owned()));
            }
        }
        let items =
            (0..n as usize).map(|k| self.value(elem, offset + k * size, depth + 1)).collect::<Result<_, _>>()?;
        Ok(Value::Array(items))
    }

    fn composite(&self, c: &Composite<'_>, offset: usize, depth: usize) -> Result<Value, ValueError> {
        let mut members = Vec::with_capacity(c.members.len());
        for m in &c.members {
            let at = offset + (m.bit_offset / 8) as usize;
            let v = if m.bitfield_size > 0 {
                self.bitfield(m.type_id, offset, m.bit_offset, m.bitfield_size)?
            } else {
                self.value(m.type_id, at, depth + 1)?
            };
            members.push((m.name.to_owned(), v));
        }
        Ok(Value::Struct(members))
    }

    /// A global data section (`.data`, `.bss`): each variable at its offset, by name.
    fn datasec(&self, ds: &Datasec, offset: usize, depth: usize) -> Result<Value, ValueError> {
        let mut vars = Vec::with_capacity(ds.vars.len());
        for v in &ds.vars {
            let name = self.btf.name_of(v.type_id)?.to_owned();
            vars.push((name, self.value(v.type_id, offset + v.offset as usize, depth + 1)?));
        }
        Ok(Value::Struct(vars))
    }

    /// A bitfield: `bits` bits starting `bit_offset` bits into the struct at `offset`.
    fn bitfield(&self, ty: TypeId, offset: usize, bit_offset: u32, bits: u8) -> Result<Value, ValueError> {
        let first = offset + (bit_offset / 8) as usize;
        let shift = bit_offset % 8;
        let span = ((shift + u32::from(bits)).div_ceil(8) as usize).min(16);
        let raw = self.raw(first, span)?;
        // Little-endian bit numbering, as clang lays bitfields out on BPF's little-endian targets.
        let v = (raw >> shift) & ((1u128 << bits) - 1);
        let id = self.btf.skip_mods_and_typedefs(ty)?;
        let signed = match self.btf.type_by_id(id)?.body {
            Body::Int(i) => i.encoding.signed,
            Body::Enum(e) | Body::Enum64(e) => e.signed,
            _ => false,
        };
        Ok(if signed { Value::Int(sign_extend(v, usize::from(bits))) } else { Value::Uint(v) })
    }
}

fn sign_extend(raw: u128, bits: usize) -> i128 {
    if bits == 0 || bits >= 128 {
        return raw as i128;
    }
    let shift = 128 - bits;
    ((raw << shift) as i128) >> shift
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Array, EnumValue, Type};
    use crate::BtfBuilder;

    fn pair_btf() -> (Btf, TypeId) {
        let mut b = BtfBuilder::new();
        let int = b.int("int", 4, true);
        let u8_ = b.int("unsigned char", 1, false);
        let ch = b.int("char", 1, true);
        let name = b.add(&Type { name: "", body: Body::Array(Array { elem: ch, index: int, nelems: 8 }) });
        let state = b.add(&Type {
            name: "state",
            body: Body::Enum(Enum { size: 4, signed: false, values: vec![EnumValue { name: "ON", value: 1 }] }),
        });
        let bits = b.composite("flags", false, 1, &[("lo", u8_, 0, 3), ("hi", u8_, 3, 5)]);
        let s = b.struct_("ev", 24, &[("pid", int, 0), ("comm", name, 32), ("st", state, 96), ("f", bits, 128)]);
        (Btf::parse(b.build()).unwrap(), s)
    }

    #[test]
    fn negative_enumerators_of_every_size_are_named() {
        for size in [1u32, 2, 4, 8] {
            let mut b = BtfBuilder::new();
            let values = vec![EnumValue { name: "NEG", value: u64::MAX }, EnumValue { name: "TWO", value: 2 }];
            let e = b.add(&Type { name: "e", body: Body::Enum(Enum { size, signed: true, values }) });
            let btf = Btf::parse(b.build()).unwrap();
            let at = |v: i64| decode(&btf, e, &v.to_ne_bytes()[..size as usize]).unwrap();
            assert_eq!(at(-1), Value::Enum { value: -1, name: Some("NEG".into()) }, "{size} bytes");
            assert_eq!(at(2), Value::Enum { value: 2, name: Some("TWO".into()) }, "{size} bytes");
            assert_eq!(at(-2), Value::Enum { value: -2, name: None }, "{size} bytes");
        }
    }

    #[test]
    fn a_struct_decodes_member_by_member() {
        let (btf, ev) = pair_btf();
        let mut bytes = vec![0u8; 24];
        bytes[..4].copy_from_slice(&(-7i32).to_ne_bytes());
        bytes[4..7].copy_from_slice(b"nc\0");
        bytes[12..16].copy_from_slice(&1u32.to_ne_bytes());
        bytes[16] = 0b1010_1101; // lo = 0b101, hi = 0b10101
        let Value::Struct(m) = decode(&btf, ev, &bytes).unwrap() else { panic!("not a struct") };
        assert_eq!(m[0], ("pid".into(), Value::Int(-7)));
        assert_eq!(m[1], ("comm".into(), Value::Str("nc".into())));
        assert_eq!(m[2], ("st".into(), Value::Enum { value: 1, name: Some("ON".into()) }));
        assert_eq!(
            m[3],
            ("f".into(), Value::Struct(vec![("lo".into(), Value::Uint(5)), ("hi".into(), Value::Uint(21))]))
        );
    }

    #[test]
    fn a_data_section_decodes_variable_by_variable() {
        use crate::types::{Linkage, Var, VarSecInfo};
        let mut b = BtfBuilder::new();
        let u32_ = b.int("unsigned int", 4, false);
        let u64_ = b.int("unsigned long long", 8, false);
        let calls = b.add(&Type { name: "calls", body: Body::Var(Var { type_id: u64_, linkage: Linkage::Global }) });
        let pid = b.add(&Type { name: "pid", body: Body::Var(Var { type_id: u32_, linkage: Linkage::Global }) });
        let vars =
            vec![VarSecInfo { type_id: calls, offset: 0, size: 8 }, VarSecInfo { type_id: pid, offset: 8, size: 4 }];
        let ds = b.add(&Type { name: ".data", body: Body::Datasec(Datasec { size: 12, vars }) });
        let btf = Btf::parse(b.build()).unwrap();
        let mut bytes = 6u64.to_ne_bytes().to_vec();
        bytes.extend(77u32.to_ne_bytes());
        let v = decode(&btf, ds, &bytes).unwrap();
        assert_eq!(v, Value::Struct(vec![("calls".into(), Value::Uint(6)), ("pid".into(), Value::Uint(77))]));
    }

    #[test]
    fn short_input_is_an_error_not_a_panic() {
        let (btf, ev) = pair_btf();
        for n in 0..24 {
            let e = decode(&btf, ev, &vec![0u8; n]).unwrap_err();
            assert!(matches!(e, ValueError::Short { have, .. } if have == n), "{n}: {e:?}");
        }
    }
}
