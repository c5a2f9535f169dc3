//! Enum bodies: enumerators with their values, and the size attributes that make
//! `sizeof(enum x)` match BTF when it is not the default 4 bytes.

use super::emitter::Emitter;
use super::names::Namespace;
use super::Result;
use crate::types::{Enum, TypeId};

impl<'b> Emitter<'b> {
    /// Writes `enum name { A = 0, ... }` (no trailing `;`), or `enum name` for an empty enum.
    pub fn enum_def(&mut self, id: TypeId, is64: bool, e: &Enum<'b>, lvl: usize) -> Result<()> {
        let name = self.btf.name_of(id)?;
        self.push("enum");
        if !name.is_empty() {
            self.push(" ");
            // An enum without values is a forward declaration: it never clashes.
            self.names.write(&mut self.out, id, name, Namespace::Tag, e.values.is_empty());
        }
        if e.values.is_empty() {
            return Ok(());
        }
        self.push(" {");
        for v in &e.values {
            self.push("\n");
            self.indent(lvl + 1);
            self.names.write_enumerator(&mut self.out, v.name);
            self.push(" = ");
            self.enum_value(is64, e.signed, v.value);
            self.push(",");
        }
        self.push("\n");
        self.indent(lvl);
        self.push("}");
        self.push(size_attribute(is64, e));
        Ok(())
    }

    fn enum_value(&mut self, is64: bool, signed: bool, v: u64) {
        use std::fmt::Write as _;
        let out = &mut self.out;
        let _ = match (is64, signed) {
            (false, true) => write!(out, "{}", v as u32 as i32),
            (false, false) => write!(out, "{}", v as u32),
            // The most negative value has no literal: -9223372036854775808 overflows first.
            (true, true) if v as i64 == i64::MIN => write!(out, "(-9223372036854775807LL - 1)"),
            (true, true) => write!(out, "{}LL", v as i64),
            (true, false) => write!(out, "{v}ULL"),
        };
    }
}

/// The attribute that gives an enum BTF's size, or "" when the values already imply it.
fn size_attribute(is64: bool, e: &Enum<'_>) -> &'static str {
    match e.size {
        1 => " __attribute__((mode(byte)))",
        2 => " __attribute__((mode(HI)))",
        // A 64-bit enum is 8 bytes by itself only if some value needs the upper half.
        8 if !is64 || e.values.iter().all(|v| fits_i32_or_u32(v.value, e.signed)) => " __attribute__((mode(word)))",
        _ => "",
    }
}

fn fits_i32_or_u32(v: u64, signed: bool) -> bool {
    if signed {
        i32::try_from(v as i64).is_ok()
    } else {
        v <= u32::MAX as u64
    }
}
