//! The value a relocation puts into the instruction, computed from a spec (local or target).

use crate::btf::Btf;
use crate::core::error::Unsatisfied;
use crate::core::relo::RelocKind;
use crate::core::spec::Spec;
use crate::core::Why;
use crate::types::{Body, TypeId};
use crate::wire::Endian;

/// One side's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Calc {
    /// The value, plus for byte offsets of non-bitfields the field's size and type (for
    /// adjusting the load size), and whether the instruction's value can be checked.
    Value { val: u64, field_size: u32, field_type: TypeId, validate: bool },
    /// The thing is missing: poison the instruction.
    Poison,
}

impl Calc {
    fn plain(val: u64, validate: bool) -> Calc {
        Calc::Value { val, field_size: 0, field_type: TypeId::VOID, validate }
    }
}

/// Computes `kind` for `spec` (`None`: no target matched). `endian` decides bitfield shifts.
pub(crate) fn calc(kind: RelocKind, spec: Option<&Spec>, btf: &Btf, endian: Endian) -> Result<Calc, Why> {
    if kind.is_field_based() {
        field(kind, spec, btf, endian)
    } else if kind.is_type_based() {
        type_value(kind, spec, btf)
    } else {
        enumval(kind, spec, btf)
    }
}

fn field(kind: RelocKind, spec: Option<&Spec>, btf: &Btf, endian: Endian) -> Result<Calc, Why> {
    if kind == RelocKind::FieldExists {
        return Ok(Calc::plain(spec.is_some() as u64, true));
    }
    let Some(spec) = spec else {
        return Ok(Calc::Poison);
    };
    let acc = spec.accessors.last().ok_or(Unsatisfied::NoAccessors)?;
    if acc.name.is_none() {
        // The access ends in an array element (or is the root itself).
        let size = btf.size_of(acc.type_id)?;
        return match kind {
            RelocKind::FieldByteOffset => Ok(Calc::Value {
                val: (spec.bit_offset / 8) as u64,
                field_size: size,
                field_type: acc.type_id,
                validate: true,
            }),
            RelocKind::FieldByteSize => Ok(Calc::plain(size as u64, true)),
            _ => Err(Unsatisfied::ArrayElement { kind }.into()),
        };
    }
    let holder = btf.type_by_id(acc.type_id)?;
    let m = *holder
        .members()
        .and_then(|m| m.get(acc.idx as usize))
        .ok_or(Unsatisfied::MissingMember { index: acc.idx, id: acc.type_id })?;
    let field_type = btf.skip_mods_and_typedefs(m.type_id)?;
    let mt = btf.type_by_id(field_type)?;
    let bit_off = spec.bit_offset;
    let bitfield = m.bitfield_size > 0;
    let (byte_off, byte_sz, bit_sz) = if bitfield {
        let base = match &mt.body {
            Body::Int(i) => i.size,
            Body::Enum(e) | Body::Enum64(e) => e.size,
            other => return Err(Unsatisfied::BitfieldType { name: m.name.to_owned(), kind: other.kind() }.into()),
        };
        let (off, sz) = bitfield_load(bit_off, m.bitfield_size as u32, base).ok_or_else(|| {
            Unsatisfied::BitfieldLoad { name: m.name.to_owned(), bit_offset: bit_off, bits: m.bitfield_size as u32 }
        })?;
        (off, sz, m.bitfield_size as u32)
    } else {
        let sz = btf.size_of(field_type)?;
        (bit_off / 8, sz, sz.saturating_mul(8))
    };
    // For bitfields the compiler's choices may differ from ours; only signedness and the
    // right shift are unambiguous enough to check against the instruction.
    let validate = !bitfield;
    let value = match kind {
        RelocKind::FieldByteOffset => {
            let (field_size, field_type) = if bitfield { (0, TypeId::VOID) } else { (byte_sz, field_type) };
            return Ok(Calc::Value { val: byte_off as u64, field_size, field_type, validate });
        }
        RelocKind::FieldByteSize => byte_sz as u64,
        RelocKind::FieldSigned => {
            let signed = match &mt.body {
                Body::Enum(e) | Body::Enum64(e) => e.signed,
                Body::Int(i) => i.encoding.signed,
                _ => false,
            };
            return Ok(Calc::plain(signed as u64, true));
        }
        // u32 arithmetic that wraps, like libbpf's, for the (useless) non-bitfield cases.
        RelocKind::FieldLshiftU64 => match endian {
            Endian::Little => 64u32.wrapping_sub(bit_off.wrapping_add(bit_sz).wrapping_sub(byte_off * 8)) as u64,
            Endian::Big => (8u32.wrapping_sub(byte_sz).wrapping_mul(8)).wrapping_add(bit_off - byte_off * 8) as u64,
        },
        RelocKind::FieldRshiftU64 => return Ok(Calc::plain(64u32.wrapping_sub(bit_sz) as u64, true)),
        _ => return Err(Unsatisfied::NotField { kind }.into()),
    };
    Ok(Calc::plain(value, validate))
}

/// The smallest aligned load (starting from the field's declared size, doubling up to 8
/// bytes) that covers `bit_sz` bits at `bit_off`: `(byte offset, byte size)`.
pub(crate) fn bitfield_load(bit_off: u32, bit_sz: u32, declared: u32) -> Option<(u32, u32)> {
    if declared == 0 {
        return None;
    }
    let mut sz = declared;
    let mut off = bit_off / 8 / sz * sz;
    while bit_off as u64 + bit_sz as u64 - off as u64 * 8 > sz as u64 * 8 {
        if sz >= 8 {
            return None;
        }
        sz *= 2;
        off = bit_off / 8 / sz * sz;
    }
    Some((off, sz))
}

fn type_value(kind: RelocKind, spec: Option<&Spec>, btf: &Btf) -> Result<Calc, Why> {
    // Type relocations resolve to 0 when no target type exists, whatever the kind.
    let Some(spec) = spec else {
        return Ok(Calc::plain(0, true));
    };
    Ok(match kind {
        // Type ids change when objects are linked, so checking them is pointless.
        RelocKind::TypeIdTarget | RelocKind::TypeIdLocal => Calc::plain(spec.root_type_id.get() as u64, false),
        RelocKind::TypeExists | RelocKind::TypeMatches => Calc::plain(1, true),
        RelocKind::TypeSize => Calc::plain(btf.size_of(spec.root_type_id)? as u64, true),
        _ => return Err(Unsatisfied::NotType { kind }.into()),
    })
}

fn enumval(kind: RelocKind, spec: Option<&Spec>, btf: &Btf) -> Result<Calc, Why> {
    if kind == RelocKind::EnumvalExists {
        return Ok(Calc::plain(spec.is_some() as u64, true));
    }
    let Some(spec) = spec else {
        return Ok(Calc::Poison);
    };
    let acc = spec.accessors.first().ok_or(Unsatisfied::NoAccessors)?;
    let t = btf.type_by_id(acc.type_id)?;
    let value = match &t.body {
        // 32-bit enumerators are stored as s32 and widen with their sign, as in libbpf.
        Body::Enum(e) => e.values.get(acc.idx as usize).map(|v| v.value as u32 as i32 as i64 as u64),
        Body::Enum64(e) => e.values.get(acc.idx as usize).map(|v| v.value),
        _ => None,
    };
    let value = value.ok_or(Unsatisfied::MissingEnumerator { index: acc.idx, id: acc.type_id })?;
    Ok(Calc::plain(value, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitfield_loads_grow_until_they_cover_the_bits() {
        // u8 bitfield of 3 bits at bit 5: crosses the byte, so a u16 load from byte 0.
        assert_eq!(bitfield_load(5, 3, 1), Some((0, 1)));
        assert_eq!(bitfield_load(6, 3, 1), Some((0, 2)));
        // int bitfield at bits 30..34 needs a u64 load from byte 0.
        assert_eq!(bitfield_load(30, 4, 4), Some((0, 8)));
        // 60..68 cannot be covered by any aligned 8-byte load.
        assert_eq!(bitfield_load(60, 8, 4), None);
        assert_eq!(bitfield_load(0, 1, 0), None);
    }
}
