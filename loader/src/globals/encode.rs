//! Text to bytes, by BTF type: what `--set NAME=VALUE` accepts for each kind of variable.

use btf::types::{Enum, Int};
use btf::wire::Endian;
use btf::{Body, Btf, TypeId};

use super::ValueProblem;

/// `text` encoded as a value of type `ty` in byte order `endian`.
pub(super) fn value(btf: &Btf, ty: TypeId, text: &str, endian: Endian) -> Result<Vec<u8>, ValueProblem> {
    let id = btf.skip_mods_and_typedefs(ty).map_err(ValueProblem::Btf)?;
    let t = btf.type_by_id(id).map_err(ValueProblem::Btf)?;
    match t.body {
        Body::Int(int) if int.encoding.bool => boolean(text).map(|b| vec![u8::from(b); int.size as usize]),
        Body::Int(int) if int.size == 1 && (int.encoding.char || t.name == "char") => character(text).map(|c| vec![c]),
        Body::Int(int) => integer(&int, text, endian),
        Body::Enum(e) => enumerator(&e, text, endian),
        Body::Float { size } => float(size, text, endian),
        Body::Array(a) if is_char(btf, a.elem)? => string(text, a.nelems),
        Body::Array(a) => array(btf, a.elem, a.nelems, text, endian),
        _ => Err(ValueProblem::NotSettable { kind: t.kind() }),
    }
}

fn is_char(btf: &Btf, elem: TypeId) -> Result<bool, ValueProblem> {
    let id = btf.skip_mods_and_typedefs(elem).map_err(ValueProblem::Btf)?;
    let t = btf.type_by_id(id).map_err(ValueProblem::Btf)?;
    Ok(matches!(t.body, Body::Int(i) if i.size == 1 && !i.encoding.bool && (i.encoding.char || t.name == "char")))
}

fn boolean(text: &str) -> Result<bool, ValueProblem> {
    match text {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ValueProblem::NotBool { text: text.to_string() }),
    }
}

/// One character, or its code as a number (`A`, `65`, `0x41`).
fn character(text: &str) -> Result<u8, ValueProblem> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii() && !c.is_ascii_digit() => Ok(c as u8),
        _ => {
            let (neg, mag) = number(text).ok_or_else(|| ValueProblem::NotChar { text: text.to_string() })?;
            let v = if neg { -(mag as i128) } else { mag as i128 };
            // A char's signedness is the compiler's choice: take either reading of the byte.
            if (-128..=255).contains(&v) {
                Ok(v as u8)
            } else {
                Err(ValueProblem::OutOfRange { text: text.to_string(), min: -128, max: 255 })
            }
        }
    }
}

/// A sign and a magnitude from decimal or 0x hex text; `None` if it is not a number.
fn number(text: &str) -> Option<(bool, u128)> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let mag = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) => u128::from_str_radix(hex, 16).ok()?,
        None if digits.bytes().all(|b| b.is_ascii_digit()) => digits.parse().ok()?,
        None => return None,
    };
    Some((neg, mag))
}

/// The range of an integer of `bits` value bits.
fn range(bits: u32, signed: bool) -> (i128, u128) {
    let bits = bits.clamp(1, 128);
    if signed {
        let max = (1u128 << (bits - 1)) - 1;
        (-(max as i128) - 1, max)
    } else {
        (0, if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 })
    }
}

/// `text` as a two's-complement bit pattern, if it lies in `min..=max`.
fn in_range(text: &str, min: i128, max: u128) -> Result<u128, ValueProblem> {
    let (neg, mag) = number(text).ok_or_else(|| ValueProblem::NotANumber { text: text.to_string() })?;
    let out = || ValueProblem::OutOfRange { text: text.to_string(), min, max };
    if neg {
        // -mag >= min, i.e. mag <= -min; -i128::MIN overflows, so compare magnitudes.
        if mag > min.unsigned_abs() {
            return Err(out());
        }
        Ok((mag as i128).wrapping_neg() as u128)
    } else if mag > max {
        Err(out())
    } else {
        Ok(mag)
    }
}

fn integer(int: &Int, text: &str, endian: Endian) -> Result<Vec<u8>, ValueProblem> {
    let bits = if int.bits == 0 { int.size * 8 } else { u32::from(int.bits) };
    let (min, max) = range(bits, int.encoding.signed);
    Ok(bytes(in_range(text, min, max)?, int.size, endian))
}

fn enumerator(e: &Enum<'_>, text: &str, endian: Endian) -> Result<Vec<u8>, ValueProblem> {
    if let Some(v) = e.values.iter().find(|v| v.name == text) {
        return Ok(bytes(u128::from(v.value), e.size, endian));
    }
    let (min, max) = range(e.size * 8, e.signed);
    match in_range(text, min, max) {
        Ok(v) => Ok(bytes(v, e.size, endian)),
        Err(ValueProblem::NotANumber { .. }) => Err(ValueProblem::UnknownEnumerator {
            text: text.to_string(),
            known: e.values.iter().map(|v| v.name.to_string()).collect(),
        }),
        Err(other) => Err(other),
    }
}

fn float(size: u32, text: &str, endian: Endian) -> Result<Vec<u8>, ValueProblem> {
    let bad = || ValueProblem::NotFloat { text: text.to_string() };
    let v: f64 = text.parse().map_err(|_| bad())?;
    let bits = match size {
        4 => u128::from((v as f32).to_bits()),
        8 => u128::from(v.to_bits()),
        _ => return Err(ValueProblem::NotSettable { kind: btf::Kind::Float }),
    };
    Ok(bytes(bits, size, endian))
}

/// A string for a char array: its bytes, then NULs to the array's end.
fn string(text: &str, nelems: u32) -> Result<Vec<u8>, ValueProblem> {
    let max = (nelems as usize).saturating_sub(1);
    if text.len() > max {
        return Err(ValueProblem::TooLong { len: text.len(), max });
    }
    let mut out = text.as_bytes().to_vec();
    out.resize(nelems as usize, 0);
    Ok(out)
}

/// Comma-separated elements; elements not given stay zero.
fn array(btf: &Btf, elem: TypeId, nelems: u32, text: &str, endian: Endian) -> Result<Vec<u8>, ValueProblem> {
    let items: Vec<&str> = text.split(',').map(str::trim).collect();
    if items.len() > nelems as usize {
        return Err(ValueProblem::TooManyElements { given: items.len(), max: nelems });
    }
    let elem_size = btf.size_of(elem).map_err(ValueProblem::Btf)? as usize;
    let mut out = Vec::with_capacity(elem_size * nelems as usize);
    for (index, item) in items.iter().enumerate() {
        let v = value(btf, elem, item, endian).map_err(|p| ValueProblem::Element { index, problem: Box::new(p) })?;
        out.extend_from_slice(&v);
    }
    out.resize(elem_size * nelems as usize, 0);
    Ok(out)
}

/// The low `size` bytes of `v` in `endian` order.
fn bytes(v: u128, size: u32, endian: Endian) -> Vec<u8> {
    let size = size.min(16) as usize;
    match endian {
        Endian::Little => v.to_le_bytes()[..size].to_vec(),
        Endian::Big => v.to_be_bytes()[16 - size..].to_vec(),
    }
}
