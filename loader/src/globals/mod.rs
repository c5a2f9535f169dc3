//! Global variables as a skeleton sees them: each non-static variable of a global-data section
//! (`.rodata`, `.data`, `.bss`, `.data.*`, `.rodata.*`) with its place in that section's map
//! and its BTF type, and values set from text before loading — what a libbpf skeleton's
//! `skel->rodata->name = value` does between `__open` and `__load`.
//!
//! Setting a value never touches the [`Object`]: [`apply`] returns a copy whose maps carry the
//! new initial data, so an error leaves nothing half-set and nothing is loaded.

mod encode;
mod error;

use btf::types::Linkage;
use btf::{Body, Btf, TypeId};

use crate::object::{MapIndex, MapKind, Object};

pub use error::{SetError, ValueProblem};

/// One global variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalVar {
    /// Its C name.
    pub name: String,
    /// The ELF section that holds it (`.rodata`, `.bss`...).
    pub section: String,
    /// The global-data map of that section.
    pub map: MapIndex,
    /// Offset in the section (and in the map's value).
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
    /// Its type in the object's BTF (the VAR's type, not the VAR).
    pub type_id: TypeId,
}

impl GlobalVar {
    /// Its initial bytes: from the section, zeros for `.bss` (or when the section is short).
    pub fn initial(&self, obj: &Object) -> Vec<u8> {
        let data = obj.maps[self.map.get()].initial_data.as_deref().unwrap_or(&[]);
        let (start, len) = (self.offset as usize, self.size as usize);
        let mut out = vec![0; len];
        if let Some(src) = data.get(start..).map(|rest| &rest[..len.min(rest.len())]) {
            out[..src.len()].copy_from_slice(src);
        }
        out
    }
}

/// A value to write into a global variable before loading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The variable's name.
    pub name: String,
    /// The map it lives in.
    pub map: MapIndex,
    /// Offset in the map's value.
    pub offset: u32,
    /// The encoded value, exactly the variable's size.
    pub bytes: Vec<u8>,
}

/// The object's global variables with global linkage, in map then offset order. Static
/// variables (bpf_printk's format strings among them) belong to the program, as in libbpf's
/// skeletons, and are not listed. An object without BTF has no typed globals: empty.
pub fn list(obj: &Object) -> Result<Vec<GlobalVar>, SetError> {
    let Some(btf) = &obj.btf else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (i, m) in obj.maps.iter().enumerate() {
        let MapKind::Global { section } = &m.kind else { continue };
        if m.btf_value_type_id == TypeId::VOID {
            continue;
        }
        let Body::Datasec(ds) = btf.type_by_id(m.btf_value_type_id)?.body else { continue };
        for v in &ds.vars {
            let t = btf.type_by_id(v.type_id)?;
            let Body::Var(var) = t.body else { continue };
            // clang leaves DATASEC offsets at 0 in objects: the symbol table has the placement
            // (what kernel_btf's fixups write into the BTF the kernel sees).
            let place = obj.elf_layout.vars.get(&(section.clone(), t.name.to_string()));
            if var.linkage == Linkage::Static || place.is_some_and(|p| p.hidden) {
                continue;
            }
            out.push(GlobalVar {
                name: t.name.to_string(),
                section: section.clone(),
                map: MapIndex::new(i),
                offset: place.map_or(v.offset, |p| p.offset),
                size: btf.size_of(var.type_id).unwrap_or(v.size),
                type_id: var.type_id,
            });
        }
    }
    out.sort_by_key(|v| (v.map, v.offset));
    Ok(out)
}

/// Encodes `text` as the value of global `name` (see [`ValueProblem`] for what is accepted:
/// integers in decimal or 0x hex, enumerators by name, `true`/`false`, a string for a char
/// array, comma-separated elements for other arrays).
pub fn assignment(obj: &Object, vars: &[GlobalVar], name: &str, text: &str) -> Result<Assignment, SetError> {
    let btf = obj.btf.as_ref().ok_or(SetError::NoBtf)?;
    let Some(var) = vars.iter().find(|v| v.name == name) else {
        return Err(unknown(btf, vars, name));
    };
    let ty = btf::c::decl::type_name(btf, var.type_id).unwrap_or_else(|_| format!("type {}", var.type_id));
    let fail =
        |problem| SetError::Value { name: name.to_string(), ty: ty.clone(), section: var.section.clone(), problem };
    let bytes = encode::value(btf, var.type_id, text, obj.endian).map_err(fail)?;
    if bytes.len() != var.size as usize {
        return Err(fail(ValueProblem::SizeMismatch { encoded: bytes.len(), size: var.size }));
    }
    Ok(Assignment { name: name.to_string(), map: var.map, offset: var.offset, bytes })
}

/// Why `name` is not settable: a static variable, or no variable at all (with close names).
fn unknown(btf: &Btf, vars: &[GlobalVar], name: &str) -> SetError {
    let is_static = btf
        .ids_by_name(name)
        .any(|id| matches!(btf.type_by_id(id).map(|t| t.body), Ok(Body::Var(v)) if v.linkage == Linkage::Static));
    if is_static {
        return SetError::Static { name: name.to_string() };
    }
    let mut close: Vec<(usize, &str)> = vars
        .iter()
        .map(|v| (strsim::levenshtein(name, &v.name), v.name.as_str()))
        .filter(|(d, n)| *d <= 3.max(name.len() / 3) || n.contains(name))
        .collect();
    close.sort();
    SetError::UnknownVariable {
        name: name.to_string(),
        close: close.into_iter().take(3).map(|(_, n)| n.to_string()).collect(),
        known: vars.iter().map(|v| v.name.clone()).collect(),
    }
}

/// A copy of `obj` whose global-data maps start with the assigned values.
pub fn apply(obj: &Object, sets: &[Assignment]) -> Object {
    let mut out = obj.clone();
    for a in sets {
        let m = &mut out.maps[a.map.get()];
        let size = m.value_size as usize;
        let data = m.initial_data.get_or_insert_with(|| vec![0; size]);
        let start = a.offset as usize;
        if data.len() < start + a.bytes.len() {
            data.resize(start + a.bytes.len(), 0);
        }
        data[start..start + a.bytes.len()].copy_from_slice(&a.bytes);
    }
    out
}

#[cfg(test)]
mod tests;
