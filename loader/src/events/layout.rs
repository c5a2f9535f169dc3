//! A record type compiled once into a tree of fields (offset, size, signedness, char arrays,
//! enumerator names), so each record is read straight from its bytes into a [`Visit`]or: no
//! BTF lookup and no allocation per record. The tree reads exactly what `btf::value::decode`
//! reads; a type it cannot mirror exactly (a variable or section type, a field past the end, a
//! bitfield wider than 64 bits, types nested too deep or too many) is not compiled, and records
//! of it are decoded by `btf::value` and replayed instead.

use btf::types::{Body, Composite, Enum, Int};
use btf::value::Value;
use btf::{Btf, TypeId};

/// How deep types may nest: `btf::value`'s limit.
const MAX_DEPTH: usize = 32;
/// Fields a compiled type may have (hostile BTF could nest structs exponentially).
const MAX_NODES: usize = 1 << 16;

/// What a record's fields are handed to, in order, as `btf::value` would decode them.
pub trait Visit {
    /// A struct or union starts.
    fn begin_struct(&mut self);
    /// Its member number `index` follows (`name` is empty for an anonymous member).
    fn member(&mut self, index: usize, name: &str);
    /// The struct or union ends.
    fn end_struct(&mut self);
    /// An array (not of `char`) starts.
    fn begin_array(&mut self);
    /// Its element number `index` follows.
    fn element(&mut self, index: usize);
    /// The array ends.
    fn end_array(&mut self);
    /// A signed integer or signed bitfield.
    fn int(&mut self, v: i128);
    /// An unsigned integer or unsigned bitfield.
    fn uint(&mut self, v: u128);
    /// A `bool`.
    fn bool(&mut self, v: bool);
    /// A `float` or `double`.
    fn float(&mut self, v: f64);
    /// An enum value and its enumerator's name, if one has that value.
    fn enumerator(&mut self, value: i128, name: Option<&str>);
    /// A pointer.
    fn ptr(&mut self, v: u64);
    /// A `char` array's bytes up to the first NUL (not necessarily UTF-8).
    fn text(&mut self, bytes: &[u8]);
    /// Bytes no type describes.
    fn bytes(&mut self, b: &[u8]);
}

/// One field, at a byte offset from its parent's start.
#[derive(Clone, Debug)]
enum Node {
    Int { at: usize, size: usize, signed: bool },
    Bool { at: usize, size: usize },
    Float { at: usize, size: usize },
    Enum { at: usize, size: usize, signed: bool, names: Box<[(u128, Box<str>)]> },
    Ptr { at: usize },
    Text { at: usize, len: usize },
    Bytes { at: usize, len: usize },
    Bitfield { at: usize, span: usize, shift: u32, bits: u32, signed: bool },
    Array { at: usize, n: usize, stride: usize, elem: Box<Node> },
    Struct { at: usize, members: Box<[(Box<str>, Node)]> },
}

/// A compiled record type.
#[derive(Clone, Debug)]
pub(super) struct Layout {
    root: Node,
}

impl Layout {
    /// Compiles `ty`, whose records are `size` bytes; `None` when it cannot mirror
    /// `btf::value::decode` exactly.
    pub(super) fn compile(btf: &Btf, ty: TypeId, size: usize) -> Option<Layout> {
        let mut c = Compiler { btf, size, nodes: 0 };
        c.node(ty, 0, 0).map(|root| Layout { root })
    }

    /// Walks `data` (at least the type's size: the caller checks) into `v`.
    pub(super) fn walk(&self, data: &[u8], v: &mut impl Visit) {
        walk(&self.root, data, 0, v);
    }

    /// The member names of every struct and union in the layout, outermost first.
    pub(super) fn member_names(&self) -> Vec<Vec<&str>> {
        let mut out = Vec::new();
        names(&self.root, &mut out);
        out
    }
}

fn names<'a>(n: &'a Node, out: &mut Vec<Vec<&'a str>>) {
    match n {
        Node::Struct { members, .. } => {
            out.push(members.iter().map(|(name, _)| &**name).collect());
            members.iter().for_each(|(_, m)| names(m, out));
        }
        Node::Array { elem, .. } => names(elem, out),
        _ => {}
    }
}

struct Compiler<'a> {
    btf: &'a Btf,
    /// The record size: every field must end inside it.
    size: usize,
    nodes: usize,
}

impl Compiler<'_> {
    /// `ty` at absolute offset `abs` (its node's `at` is filled by the caller).
    fn node(&mut self, ty: TypeId, abs: usize, depth: usize) -> Option<Node> {
        self.nodes += 1;
        if depth > MAX_DEPTH || self.nodes > MAX_NODES {
            return None;
        }
        let id = self.btf.skip_mods_and_typedefs(ty).ok()?;
        let t = self.btf.type_by_id(id).ok()?;
        let limit = self.size;
        let leaf = |len: usize, n: Node| fits(limit, abs, len).then_some(n);
        match &t.body {
            Body::Int(i) => leaf(i.size.min(16) as usize, int(i)),
            Body::Enum(e) | Body::Enum64(e) => leaf(e.size.min(8) as usize, enumerator(e)),
            Body::Float { size: s @ (4 | 8) } => leaf(*s as usize, Node::Float { at: 0, size: *s as usize }),
            Body::Float { size } => leaf(*size as usize, Node::Bytes { at: 0, len: *size as usize }),
            Body::Ptr(_) => leaf(8, Node::Ptr { at: 0 }),
            Body::Array(a) => self.array(a.elem, a.nelems as usize, abs, depth),
            Body::Struct(c) | Body::Union(c) => self.composite(c, abs, depth),
            // Variables and sections are no record types: `btf::value` decodes them.
            Body::Var(_) | Body::Datasec(_) => None,
            _ => {
                let len = self.btf.size_of(id).unwrap_or(0) as usize;
                leaf(len, Node::Bytes { at: 0, len })
            }
        }
    }

    fn array(&mut self, elem: TypeId, n: usize, abs: usize, depth: usize) -> Option<Node> {
        let stride = self.btf.size_of(elem).ok()? as usize;
        if !fits(self.size, abs, stride.saturating_mul(n)) {
            return None;
        }
        let elem_id = self.btf.skip_mods_and_typedefs(elem).ok()?;
        if let Body::Int(i) = self.btf.type_by_id(elem_id).ok()?.body {
            if i.size == 1 && (i.encoding.char || i.encoding.signed || self.btf.name_of(elem_id).ok()? == "char") {
                return Some(Node::Text { at: 0, len: n });
            }
        }
        // The first element is compiled with its fields kept inside its own stride, so every
        // other element's fields are inside the array too. (Compiled even for an empty array:
        // a refusal only costs the fallback.)
        let whole = std::mem::replace(&mut self.size, abs.saturating_add(stride));
        let elem = self.node(elem, abs, depth + 1);
        self.size = whole;
        Some(Node::Array { at: 0, n, stride, elem: Box::new(elem?) })
    }

    fn composite(&mut self, c: &Composite<'_>, abs: usize, depth: usize) -> Option<Node> {
        let mut members = Vec::with_capacity(c.members.len());
        for m in &c.members {
            let at = (m.bit_offset / 8) as usize;
            let node = if m.bitfield_size > 0 {
                self.bitfield(m.type_id, abs, at, m.bit_offset % 8, u32::from(m.bitfield_size))?
            } else {
                let mut n = self.node(m.type_id, abs.checked_add(at)?, depth + 1)?;
                set_at(&mut n, at);
                n
            };
            members.push((Box::<str>::from(m.name), node));
        }
        Some(Node::Struct { at: 0, members: members.into() })
    }

    fn bitfield(&mut self, ty: TypeId, abs: usize, at: usize, shift: u32, bits: u32) -> Option<Node> {
        // Wider than 64 bits: `btf::value`'s mask arithmetic is left to itself.
        if bits > 64 {
            return None;
        }
        let span = ((shift + bits).div_ceil(8) as usize).min(16);
        if !fits(self.size, abs.checked_add(at)?, span) {
            return None;
        }
        let id = self.btf.skip_mods_and_typedefs(ty).ok()?;
        let signed = match self.btf.type_by_id(id).ok()?.body {
            Body::Int(i) => i.encoding.signed,
            Body::Enum(e) | Body::Enum64(e) => e.signed,
            _ => false,
        };
        Some(Node::Bitfield { at, span, shift, bits, signed })
    }
}

/// Whether `len` bytes at absolute offset `abs` end by `limit`.
fn fits(limit: usize, abs: usize, len: usize) -> bool {
    abs.checked_add(len).is_some_and(|end| end <= limit)
}

fn int(i: &Int) -> Node {
    let size = (i.size as usize).min(16);
    if i.encoding.bool {
        Node::Bool { at: 0, size }
    } else {
        Node::Int { at: 0, size, signed: i.encoding.signed }
    }
}

fn enumerator(e: &Enum<'_>) -> Node {
    // In declaration order: the first enumerator with a value names it, as in `btf::value`.
    let names = e.values.iter().map(|v| (u128::from(e.stored(v.value)), Box::<str>::from(v.name))).collect();
    Node::Enum { at: 0, size: (e.size as usize).min(8), signed: e.signed, names }
}

fn set_at(n: &mut Node, to: usize) {
    match n {
        Node::Int { at, .. }
        | Node::Bool { at, .. }
        | Node::Float { at, .. }
        | Node::Enum { at, .. }
        | Node::Ptr { at }
        | Node::Text { at, .. }
        | Node::Bytes { at, .. }
        | Node::Bitfield { at, .. }
        | Node::Array { at, .. }
        | Node::Struct { at, .. } => *at = to,
    }
}

/// `len` (≤ 16) bytes at `at` as a native-endian unsigned number; bytes past `data` read as 0
/// (the compiler keeps every field inside the record, so none are).
#[inline]
fn load(data: &[u8], at: usize, len: usize) -> u128 {
    match (len, data.get(at..at.saturating_add(len))) {
        (1, Some(b)) => u128::from(b[0]),
        (2, Some(b)) => u128::from(u16::from_ne_bytes([b[0], b[1]])),
        (4, Some(b)) => u128::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
        (8, Some(b)) => u128::from(u64::from_ne_bytes(b.try_into().unwrap_or_default())),
        (_, Some(b)) => {
            let mut buf = [0u8; 16];
            if cfg!(target_endian = "little") {
                buf[..b.len().min(16)].copy_from_slice(&b[..b.len().min(16)]);
                u128::from_le_bytes(buf)
            } else {
                buf[16 - b.len().min(16)..].copy_from_slice(&b[..b.len().min(16)]);
                u128::from_be_bytes(buf)
            }
        }
        (_, None) => 0,
    }
}

fn sign_extend(raw: u128, bits: usize) -> i128 {
    if bits == 0 || bits >= 128 {
        return raw as i128;
    }
    let shift = 128 - bits;
    ((raw << shift) as i128) >> shift
}

fn walk(n: &Node, data: &[u8], base: usize, v: &mut impl Visit) {
    match n {
        Node::Int { at, size, signed: true } => v.int(sign_extend(load(data, base + at, *size), size * 8)),
        Node::Int { at, size, signed: false } => v.uint(load(data, base + at, *size)),
        Node::Bool { at, size } => v.bool(load(data, base + at, *size) != 0),
        Node::Float { at, size: 4 } => v.float(f32::from_bits(load(data, base + at, 4) as u32) as f64),
        Node::Float { at, .. } => v.float(f64::from_bits(load(data, base + at, 8) as u64)),
        Node::Enum { at, size, signed, names } => {
            let raw = load(data, base + at, *size);
            let value = if *signed { sign_extend(raw, size * 8) } else { raw as i128 };
            v.enumerator(value, names.iter().find(|(val, _)| *val == raw).map(|(_, n)| &**n));
        }
        Node::Ptr { at } => v.ptr(load(data, base + at, 8) as u64),
        Node::Text { at, len } => {
            let b = data.get(base + at..base + at + len).unwrap_or_default();
            v.text(&b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]);
        }
        Node::Bytes { at, len } => v.bytes(data.get(base + at..base + at + len).unwrap_or_default()),
        Node::Bitfield { at, span, shift, bits, signed } => {
            let raw = (load(data, base + at, *span) >> shift) & ((1u128 << bits) - 1);
            if *signed {
                v.int(sign_extend(raw, *bits as usize))
            } else {
                v.uint(raw)
            }
        }
        Node::Array { at, n, stride, elem } => {
            v.begin_array();
            for k in 0..*n {
                v.element(k);
                walk(elem, data, base + at + k * stride, v);
            }
            v.end_array();
        }
        Node::Struct { at, members } => {
            v.begin_struct();
            for (k, (name, m)) in members.iter().enumerate() {
                v.member(k, name);
                walk(m, data, base + at, v);
            }
            v.end_struct();
        }
    }
}

/// Hands a decoded value to `v`, as a compiled layout would have.
pub(super) fn replay(value: &Value, v: &mut impl Visit) {
    match value {
        Value::Int(i) => v.int(*i),
        Value::Uint(u) => v.uint(*u),
        Value::Bool(b) => v.bool(*b),
        Value::Float(f) => v.float(*f),
        Value::Enum { value, name } => v.enumerator(*value, name.as_deref()),
        Value::Ptr(p) => v.ptr(*p),
        Value::Str(s) => v.text(s.as_bytes()),
        Value::Bytes(b) => v.bytes(b),
        Value::Array(items) => {
            v.begin_array();
            for (k, item) in items.iter().enumerate() {
                v.element(k);
                replay(item, v);
            }
            v.end_array();
        }
        Value::Struct(members) => {
            v.begin_struct();
            for (k, (name, m)) in members.iter().enumerate() {
                v.member(k, name);
                replay(m, v);
            }
            v.end_struct();
        }
    }
}

#[cfg(test)]
mod tests;
