//! The key and value layouts under each map of `rawbpf inspect`: members with offsets and
//! sizes, holes, tail padding and bit-fields (from `btf::layout`), and what they mean for user
//! space: a packed or over-aligned struct must be declared the same way there, and a hash key
//! with padding must be zeroed whole before it is filled in.

use std::fmt::Write;

use btf::c::decl::{decl, type_name};
use btf::layout::{LayoutNote, StructLayout};
use btf::{Btf, TypeId};
use loader::object::MapDef;
use loader::sys::MapType;

use crate::json::{obj, Json};

/// `byte` or `byte.bit` (bit-fields off a byte boundary).
fn at(bit_offset: u32) -> String {
    if bit_offset.is_multiple_of(8) {
        (bit_offset / 8).to_string()
    } else {
        format!("{}.{}", bit_offset / 8, bit_offset % 8)
    }
}

/// `N` bytes, or `N bits` when not whole bytes.
fn span(bits: u32) -> String {
    if bits.is_multiple_of(8) {
        format!("{} B", bits / 8)
    } else {
        format!("{bits} bit{}", if bits == 1 { "" } else { "s" })
    }
}

/// Whether the map hashes its key bytes (padding in the key then changes which element a key
/// names).
fn hashes_keys(map_type: u32) -> bool {
    matches!(
        MapType(map_type),
        MapType::HASH | MapType::PERCPU_HASH | MapType::LRU_HASH | MapType::LRU_PERCPU_HASH | MapType::HASH_OF_MAPS
    )
}

/// The text lines for one map: `key`/`value` with their layout; none without BTF types.
pub fn text(btf: &Btf, m: &MapDef) -> Vec<String> {
    let mut out = Vec::new();
    for (role, id) in [("key", m.btf_key_type_id), ("value", m.btf_value_type_id)] {
        if id == TypeId::VOID {
            continue;
        }
        let name = type_name(btf, id).unwrap_or_else(|_| format!("type {id}"));
        match btf.struct_layout(id) {
            Ok(Some(l)) => {
                let packed = l.notes.iter().any(|n| matches!(n, LayoutNote::Misaligned { .. }));
                let align = if packed { "1 (packed)".to_owned() } else { l.align.to_string() };
                out.push(format!("{role} {name}: {} B, align {align}", l.size));
                struct_lines(btf, &l, &mut out);
                out.extend(advice(&l, role == "key" && hashes_keys(m.map_type)));
            }
            Ok(None) => out.push(format!("{role} {name}: {} B", btf.size_of(id).unwrap_or(0))),
            Err(e) => out.push(format!("{role} {name}: layout unknown ({e})")),
        }
    }
    out
}

/// One line per member, hole and the tail padding: `offset  size  declaration`.
fn struct_lines(btf: &Btf, l: &StructLayout<'_>, out: &mut Vec<String>) {
    let mut holes = l.holes.iter().peekable();
    for (i, m) in l.members.iter().enumerate() {
        while let Some(h) = holes.next_if(|h| h.after.is_none_or(|a| a < i)) {
            out.push(format!("  {:>6}  {:>7}  (hole)", at(h.bit_offset), span(h.bits)));
        }
        let mut d = decl(btf, m.type_id, m.name).unwrap_or_else(|_| m.name.to_owned());
        if m.bitfield {
            let _ = write!(d, " : {}", m.bits);
        }
        out.push(format!("  {:>6}  {:>7}  {d}", at(m.bit_offset), span(m.bits)));
    }
    for h in holes {
        out.push(format!("  {:>6}  {:>7}  (hole)", at(h.bit_offset), span(h.bits)));
    }
    if l.tail_padding_bits > 0 {
        let start = l.size * 8 - l.tail_padding_bits;
        out.push(format!("  {:>6}  {:>7}  (tail padding)", at(start), span(l.tail_padding_bits)));
    }
}

/// What the layout means for user space, one line each.
fn advice(l: &StructLayout<'_>, hashed_key: bool) -> Vec<String> {
    let name = |i: usize| l.members.get(i).map_or("?", |m| m.name);
    let mut out: Vec<String> = l
        .notes
        .iter()
        .map(|n| match *n {
            LayoutNote::Misaligned { index, offset, align } => format!(
                "  note: {} sits at {offset}, off its {align}-byte alignment: the struct is packed; declare it \
                 __attribute__((packed)) in user space too, or its members land at other offsets",
                name(index)
            ),
            LayoutNote::Placed { index, offset, natural } => format!(
                "  note: {} sits at {offset} where natural alignment puts it at {natural} (an aligned attribute or \
                 explicit padding): user space must declare the same",
                name(index)
            ),
            LayoutNote::Size { size, natural } => {
                format!("  note: sizeof is {size}, a natural layout of these members is {natural}")
            }
        })
        .collect();
    let pad = l.padding_bytes();
    if hashed_key && pad > 0 {
        out.push(format!(
            "  note: {pad} padding byte(s) in a hash key: the map hashes every byte, so zero the whole key \
             (memset) before filling it in, here and in the BPF program"
        ));
    }
    out
}

/// The same as JSON: `{"key": {...}, "value": {...}}` (`null` without a BTF type).
pub fn json(btf: &Btf, m: &MapDef) -> Json {
    let one = |id: TypeId| -> Json {
        if id == TypeId::VOID {
            return Json::Null;
        }
        let name = type_name(btf, id).unwrap_or_default();
        match btf.struct_layout(id) {
            Ok(Some(l)) => struct_json(btf, &name, &l),
            _ => obj([("type", Json::from(name)), ("size", Json::from(btf.size_of(id).unwrap_or(0)))]),
        }
    };
    obj([("key", one(m.btf_key_type_id)), ("value", one(m.btf_value_type_id))])
}

fn struct_json(btf: &Btf, name: &str, l: &StructLayout<'_>) -> Json {
    let members = l
        .members
        .iter()
        .map(|m| {
            obj([
                ("name", Json::from(m.name)),
                ("type", Json::from(type_name(btf, m.type_id).unwrap_or_default())),
                ("bit_offset", Json::from(m.bit_offset)),
                ("bits", Json::from(m.bits)),
                ("bitfield", Json::from(m.bitfield)),
            ])
        })
        .collect();
    let holes = l.holes.iter().map(|h| obj([("bit_offset", Json::from(h.bit_offset)), ("bits", Json::from(h.bits))]));
    let notes = l.notes.iter().map(|n| match *n {
        LayoutNote::Misaligned { index, offset, align } => {
            obj([("misaligned", Json::from(index)), ("offset", offset.into()), ("align", align.into())])
        }
        LayoutNote::Placed { index, offset, natural } => {
            obj([("placed", Json::from(index)), ("offset", offset.into()), ("natural", natural.into())])
        }
        LayoutNote::Size { size, natural } => obj([("size", Json::from(size)), ("natural", natural.into())]),
    });
    obj([
        ("type", Json::from(name)),
        ("size", Json::from(l.size)),
        ("align", Json::from(l.align)),
        ("members", Json::Array(members)),
        ("holes", Json::Array(holes.collect())),
        ("tail_padding_bits", Json::from(l.tail_padding_bits)),
        ("natural", Json::from(l.is_natural())),
        ("notes", Json::Array(notes.collect())),
    ])
}
