//! BTF types as Rust types for a generated skeleton: integers, floats and pointers as Rust's
//! scalars, arrays as arrays, structs as `#[repr(C)]`-shaped structs with explicit padding,
//! and what Rust cannot mirror safely (unions, bitfields, incomplete types) as byte arrays.
//! Every generated struct implements the skeleton's `Pod` trait: read from and written to the
//! exact bytes the kernel holds, with no `unsafe`.

use std::collections::HashMap;
use std::fmt::Write;

use btf::types::{Body, Composite};
use btf::{Btf, BtfError, TypeId};

/// Rust types generated for the BTF types a skeleton names.
pub struct RustTypes<'b> {
    btf: &'b Btf,
    /// Struct definitions, in the order they were first needed.
    pub defs: Vec<String>,
    names: HashMap<TypeId, String>,
    taken: HashMap<String, u32>,
}

impl<'b> RustTypes<'b> {
    /// No types generated yet.
    pub fn new(btf: &'b Btf) -> Self {
        RustTypes { btf, defs: Vec::new(), names: HashMap::new(), taken: HashMap::new() }
    }

    /// The Rust spelling of BTF type `id` (generating struct definitions as needed).
    pub fn of(&mut self, id: TypeId) -> Result<String, BtfError> {
        let id = self.btf.skip_mods_and_typedefs(id)?;
        let t = self.btf.type_by_id(id)?;
        let bytes = |n: u32| format!("[u8; {n}]");
        Ok(match &t.body {
            Body::Int(i) => int(i.size, i.encoding.signed).map_or_else(|| bytes(i.size), String::from),
            Body::Enum(e) | Body::Enum64(e) => int(e.size, e.signed).map_or_else(|| bytes(e.size), String::from),
            Body::Float { size: 4 } => "f32".into(),
            Body::Float { size: 8 } => "f64".into(),
            Body::Float { size } => bytes(*size),
            // BPF pointers are 64-bit whatever the host's are.
            Body::Ptr(_) => "u64".into(),
            Body::Array(a) => format!("[{}; {}]", self.of(a.elem)?, a.nelems),
            Body::Struct(c) if !has_bitfields(c) => self.struct_(id, t.name, c)?,
            _ => bytes(self.btf.size_of(id).unwrap_or(0)),
        })
    }

    fn struct_(&mut self, id: TypeId, c_name: &str, c: &Composite<'_>) -> Result<String, BtfError> {
        if let Some(n) = self.names.get(&id) {
            return Ok(n.clone());
        }
        let name = self.fresh(&camel(if c_name.is_empty() { "anon" } else { c_name }));
        self.names.insert(id, name.clone());
        let mut fields = Vec::new();
        let mut at = 0u32;
        for (i, m) in c.members.iter().enumerate() {
            let off = m.bit_offset / 8;
            if off > at {
                fields.push((format!("_pad{i}"), format!("[u8; {}]", off - at), at));
            }
            let ty = self.of(m.type_id)?;
            let field = if m.name.is_empty() { format!("anon{i}") } else { ident(m.name) };
            fields.push((field, ty, off));
            at = off + self.btf.size_of(m.type_id)?;
        }
        if c.size > at {
            fields.push(("_tail".into(), format!("[u8; {}]", c.size - at), at));
        }
        let def = struct_def(&name, &format!("`struct {c_name}` ({} bytes)", c.size), c.size, &fields);
        self.defs.push(def);
        Ok(name)
    }

    /// A struct standing for a global-data section: one field per variable at its offset.
    pub fn datasec(
        &mut self,
        rust_name: &str,
        section: &str,
        size: u32,
        vars: &[(String, TypeId, u32)],
    ) -> Result<(), BtfError> {
        let mut fields = Vec::new();
        let mut at = 0u32;
        for (i, (var, ty, off)) in vars.iter().enumerate() {
            if *off > at {
                fields.push((format!("_pad{i}"), format!("[u8; {}]", off - at), at));
            }
            fields.push((ident(var), self.of(*ty)?, *off));
            at = off + self.btf.size_of(*ty)?;
        }
        if size > at {
            fields.push(("_tail".into(), format!("[u8; {}]", size - at), at));
        }
        let name = self.fresh(rust_name);
        self.defs.push(struct_def(&name, &format!("The `{section}` section ({size} bytes)"), size, &fields));
        Ok(())
    }

    fn fresh(&mut self, base: &str) -> String {
        let n = self.taken.entry(base.to_owned()).or_insert(0);
        *n += 1;
        if *n == 1 {
            base.to_owned()
        } else {
            format!("{base}{n}")
        }
    }
}

fn int(size: u32, signed: bool) -> Option<&'static str> {
    Some(match (size, signed) {
        (1, false) => "u8",
        (2, false) => "u16",
        (4, false) => "u32",
        (8, false) => "u64",
        (16, false) => "u128",
        (1, true) => "i8",
        (2, true) => "i16",
        (4, true) => "i32",
        (8, true) => "i64",
        (16, true) => "i128",
        _ => return None,
    })
}

fn has_bitfields(c: &Composite<'_>) -> bool {
    c.members.iter().any(|m| m.bitfield_size != 0 || m.bit_offset % 8 != 0)
}

/// `task_struct` → `TaskStruct`.
pub fn camel(c: &str) -> String {
    c.split('_').filter(|p| !p.is_empty()).map(|p| p[..1].to_uppercase() + &p[1..]).collect()
}

/// A C identifier as a Rust one (`type` → `r#type`).
pub fn ident(c: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
        "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "yield", "box", "try",
        "gen",
    ];
    if KEYWORDS.contains(&c) {
        format!("r#{c}")
    } else {
        c.to_owned()
    }
}

/// A struct and its `Pod` implementation: each field read and written at its offset.
fn struct_def(name: &str, doc: &str, size: u32, fields: &[(String, String, u32)]) -> String {
    let mut s = format!("/// {doc}.\n#[derive(Clone, Copy, Debug, PartialEq)]\npub struct {name} {{\n");
    for (f, ty, off) in fields {
        let vis = if f.starts_with('_') { "" } else { "pub " };
        let _ = writeln!(s, "    /// At byte {off}.\n    {vis}{f}: {ty},");
    }
    let _ = writeln!(s, "}}\n\nimpl Pod for {name} {{\n    const SIZE: usize = {size};\n");
    s.push_str("    fn read(b: &[u8]) -> Self {\n        Self {\n");
    for (f, _, off) in fields {
        let _ = writeln!(s, "            {f}: Pod::read(&b[{off}..]),");
    }
    s.push_str("        }\n    }\n\n    fn write(&self, b: &mut [u8]) {\n");
    for (f, _, off) in fields {
        let _ = writeln!(s, "        self.{f}.write(&mut b[{off}..]);");
    }
    s.push_str("    }\n}\n");
    s
}
