//! Map definitions. BTF-defined maps live in `.maps`: each is a global variable whose struct
//! type encodes the parameters in BTF alone (see progs/include/rawbpf_helpers.h):
//! `__uint(max_entries, 64)` is `int (*max_entries)[64]` (the number is the array length),
//! `__type(key, u32)` is `u32 *key` (the pointee is the key type). The bytes of `.maps` are
//! all zeros and carry nothing.

use btf::types::{Body, Member};
use btf::{Btf, Kind, TypeId};

use super::elf::{RawElf, RawSection};
use super::error::{ObjectError, Result};
use super::SectionIndex;

/// `BPF_F_RDONLY_PROG`: the program may only read the map (set on `.rodata` maps).
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
/// `BPF_MAP_TYPE_ARRAY`.
pub const BPF_MAP_TYPE_ARRAY: u32 = 2;

/// Where a map definition came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapKind {
    /// A variable in `.maps` at this byte offset.
    BtfDefined {
        /// Offset of the variable in `.maps` (its symbol's value).
        offset: u64,
    },
    /// A global data section turned into a one-entry array map.
    Global {
        /// The ELF section name (`.rodata`, `.data.counters`, `.bss`).
        section: String,
    },
}

/// A map to create, with everything BPF_MAP_CREATE needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapDef {
    /// Full name (BTF variable name, or the global-data name; see `globals`). The kernel keeps
    /// at most 15 characters; the loader truncates when creating.
    pub name: String,
    /// Where it came from.
    pub kind: MapKind,
    /// `.maps` or the data section (relocations match on it).
    pub section_index: SectionIndex,
    /// `bpf_map_type`.
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// `map_flags` (BPF_F_*).
    pub map_flags: u32,
    /// BTF id of the key type in the object's BTF (0: none).
    pub btf_key_type_id: TypeId,
    /// BTF id of the value type (0: none). For global data: the section's DATASEC.
    pub btf_value_type_id: TypeId,
    /// `pinning` (LIBBPF_PIN_*): 0 none, 1 by name. Recorded; pinning is not implemented.
    pub pinning: u32,
    /// `map_extra` (bloom filter hashes, arena address).
    pub map_extra: u64,
    /// `numa_node` (meaningful with BPF_F_NUMA_NODE).
    pub numa_node: u32,
    /// Bytes to write into entry 0 after creation (`.data`, `.rodata`). `None`: the kernel's
    /// zero fill is the initial value (`.bss` and all BTF-defined maps).
    pub initial_data: Option<Vec<u8>>,
    /// Freeze (BPF_MAP_FREEZE) after writing `initial_data`, so user space cannot change it
    /// either and the verifier can treat the contents as constants (`.rodata`).
    pub freeze: bool,
}

/// Reads the BTF-defined maps of `.maps`, ordered by their offset in the section.
pub(crate) fn btf_defined(elf: &RawElf<'_>, maps: &RawSection<'_>, btf: Option<&Btf>) -> Result<Vec<MapDef>> {
    let mut syms: Vec<_> = elf
        .symbols
        .iter()
        .filter(|s| s.section == Some(maps.index) && s.st_type != object::elf::STT_SECTION && !s.name.is_empty())
        .collect();
    syms.sort_by_key(|s| s.value);
    if syms.is_empty() {
        return Ok(Vec::new());
    }
    let Some(btf) = btf else {
        let reason = "the object has .maps but no .BTF, and BTF-defined maps are described only in BTF; \
                      build with clang -g"
            .to_owned();
        return Err(ObjectError::BadMap { map: syms[0].name.clone(), reason });
    };
    let mut out = Vec::with_capacity(syms.len());
    for sym in syms {
        let bad = |reason: String| ObjectError::BadMap { map: sym.name.clone(), reason };
        if sym.value >= maps.size.max(1) {
            return Err(bad(format!("symbol offset {} is past the end of the {}-byte .maps", sym.value, maps.size)));
        }
        let var = find_var(btf, &sym.name).ok_or_else(|| bad("no VAR of this name in .BTF".into()))?;
        let mut def = MapDef {
            name: sym.name.clone(),
            kind: MapKind::BtfDefined { offset: sym.value },
            section_index: maps.index,
            map_type: 0,
            key_size: 0,
            value_size: 0,
            max_entries: 0,
            map_flags: 0,
            btf_key_type_id: TypeId::VOID,
            btf_value_type_id: TypeId::VOID,
            pinning: 0,
            map_extra: 0,
            numa_node: 0,
            initial_data: None,
            freeze: false,
        };
        let st = btf.skip_mods_and_typedefs(var).map_err(|e| bad(e.to_string()))?;
        let ty = btf.type_by_id(st).map_err(|e| bad(e.to_string()))?;
        let Body::Struct(c) = &ty.body else {
            return Err(bad(format!("type id {st} is a {}, expected the anonymous map struct", ty.kind())));
        };
        for m in &c.members {
            apply_member(btf, &mut def, m).map_err(|reason| bad(format!("member '{}': {reason}", m.name)))?;
        }
        if def.map_type == 0 {
            return Err(bad("no `type` member (__uint(type, BPF_MAP_TYPE_...))".into()));
        }
        out.push(def);
    }
    Ok(out)
}

/// The type id of the VAR named `name` in the `.maps` DATASEC (or anywhere, as a fallback).
fn find_var(btf: &Btf, name: &str) -> Option<TypeId> {
    let var_type = |id: TypeId| match btf.type_by_id(id).ok()?.body {
        Body::Var(v) => Some(v.type_id),
        _ => None,
    };
    if let Some(ds) = btf.find_by_name_kind(".maps", Kind::Datasec) {
        if let Ok(Body::Datasec(d)) = btf.type_by_id(ds).map(|t| t.body) {
            for v in d.vars {
                if btf.name_of(v.type_id).ok() == Some(name) {
                    return var_type(v.type_id);
                }
            }
        }
    }
    btf.find_by_name_kind(name, Kind::Var).and_then(var_type)
}

const KNOWN_ATTRS: &str =
    "type, key, key_size, value, value_size, max_entries, map_flags, pinning, map_extra, numa_node";

/// Decodes one member into `def`.
fn apply_member(btf: &Btf, def: &mut MapDef, m: &Member<'_>) -> Result<(), String> {
    match m.name {
        "type" => def.map_type = uint(btf, m)?,
        "max_entries" => def.max_entries = uint(btf, m)?,
        "map_flags" => def.map_flags = uint(btf, m)?,
        "numa_node" => def.numa_node = uint(btf, m)?,
        "pinning" => def.pinning = uint(btf, m)?,
        "map_extra" => def.map_extra = u64::from(uint(btf, m)?),
        "key_size" => set_size(&mut def.key_size, uint(btf, m)?, "key")?,
        "value_size" => set_size(&mut def.value_size, uint(btf, m)?, "value")?,
        "key" => {
            let (id, size) = pointee(btf, m)?;
            set_size(&mut def.key_size, size, "key")?;
            def.btf_key_type_id = id;
        }
        "value" => {
            let (id, size) = pointee(btf, m)?;
            set_size(&mut def.value_size, size, "value")?;
            def.btf_value_type_id = id;
        }
        "values" => {
            return Err("map-in-map and prog-array initial values (__array(values, ...)) are not supported yet".into())
        }
        other => return Err(format!("unknown map attribute '{other}' (known: {KNOWN_ATTRS})")),
    }
    Ok(())
}

/// `__uint(name, N)`: `int (*name)[N]` → N.
fn uint(btf: &Btf, m: &Member<'_>) -> Result<u32, String> {
    let ptr = btf.skip_mods_and_typedefs(m.type_id).map_err(|e| e.to_string())?;
    let Body::Ptr(target) = btf.type_by_id(ptr).map_err(|e| e.to_string())?.body else {
        return Err(format!("type id {ptr} is not a pointer; expected __uint(name, value) = int (*name)[value]"));
    };
    let arr = btf.skip_mods_and_typedefs(target).map_err(|e| e.to_string())?;
    match btf.type_by_id(arr).map_err(|e| e.to_string())?.body {
        Body::Array(a) => Ok(a.nelems),
        _ => Err(format!("type id {arr} is not an array; expected __uint(name, value) = int (*name)[value]")),
    }
}

/// `__type(name, T)`: `T *name` → (T's id, sizeof(T)).
fn pointee(btf: &Btf, m: &Member<'_>) -> Result<(TypeId, u32), String> {
    let ptr = btf.skip_mods_and_typedefs(m.type_id).map_err(|e| e.to_string())?;
    let Body::Ptr(target) = btf.type_by_id(ptr).map_err(|e| e.to_string())?.body else {
        return Err(format!("type id {ptr} is not a pointer; expected __type(name, T) = T *name"));
    };
    let size = btf.size_of(target).map_err(|e| e.to_string())?;
    Ok((target, size))
}

/// Sets a size, refusing a second, different one (`key_size` and `key` both given).
fn set_size(slot: &mut u32, size: u32, what: &str) -> Result<(), String> {
    if *slot != 0 && *slot != size {
        return Err(format!("{what} size given twice: {} and {size}", *slot));
    }
    *slot = size;
    Ok(())
}
