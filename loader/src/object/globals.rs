//! Global variables as maps. The kernel has no "data segment" for BPF programs: each of
//! `.data`, `.rodata`, `.bss` (and `.data.*`, `.rodata.*`) becomes an ARRAY map with a single
//! entry the size of the section. Instructions that address a global get the map's fd and the
//! variable's offset in the value (BPF_PSEUDO_MAP_VALUE).
//!
//! Map names follow libbpf, so `bpftool map` shows the same names for both loaders (the
//! libbpf oracle test checks this): the object name up to its first `.` (`maps_globals.o` →
//! `maps_globals`), cut to leave room for the section name counted as at least 7 characters
//! (15 in all), then the section name: `maps_glo.rodata`, `maps_glo.bss`. Sections with a
//! second dot (`.data.counters`, `.rodata.str1.1`) get no prefix. Characters other than
//! `[A-Za-z0-9_.]` become `_`.

use btf::{Btf, Kind, TypeId};

use super::elf::RawSection;
use super::error::{ObjectError, Result, SectionProblem};
use super::maps::{MapDef, MapKind, BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY};
use super::sections::{DataKind, SectionRole};

/// The kernel's map name limit without the NUL (`BPF_OBJ_NAME_LEN` - 1).
const NAME_MAX: usize = 15;

/// The map name for global-data section `section` of object `object` (see the module doc).
pub fn global_map_name(object: &str, section: &str) -> String {
    let base = object.split('.').next().unwrap_or("");
    let sfx_len = section.len().clamp(7, NAME_MAX);
    let custom = section.get(1..).is_some_and(|rest| rest.contains('.'));
    let pfx_len = if custom { 0 } else { (NAME_MAX - sfx_len).min(base.len()) };
    let raw: String = base.chars().take(pfx_len).chain(section.chars().take(sfx_len)).collect();
    raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '.' { c } else { '_' }).collect()
}

/// The map for one global-data section, or `None` for an empty section (nothing to map).
pub(crate) fn global_map(object: &str, sec: &RawSection<'_>, btf: Option<&Btf>) -> Result<Option<MapDef>> {
    let SectionRole::Data(kind) = sec.role else {
        return Ok(None);
    };
    if sec.size == 0 {
        return Ok(None);
    }
    let value_size = u32::try_from(sec.size).map_err(|_| ObjectError::BadSection {
        index: sec.index,
        name: sec.name.clone(),
        problem: SectionProblem::TooBigForMapValue { size: sec.size },
    })?;
    let rodata = kind == DataKind::Rodata;
    Ok(Some(MapDef {
        name: global_map_name(object, &sec.name),
        kind: MapKind::Global { section: sec.name.clone() },
        section_index: sec.index,
        map_type: BPF_MAP_TYPE_ARRAY,
        key_size: 4,
        value_size,
        max_entries: 1,
        map_flags: if rodata { BPF_F_RDONLY_PROG } else { 0 },
        btf_key_type_id: TypeId::VOID,
        btf_value_type_id: btf.and_then(|b| b.find_by_name_kind(&sec.name, Kind::Datasec)).unwrap_or(TypeId::VOID),
        pinning: 0,
        map_extra: 0,
        numa_node: 0,
        initial_data: (kind != DataKind::Bss).then(|| sec.data.to_vec()),
        freeze: rodata,
        values: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_libbpf() {
        assert_eq!(global_map_name("maps_globals.o", ".rodata"), "maps_glo.rodata");
        // Short section names still reserve 7 characters.
        assert_eq!(global_map_name("maps_globals.o", ".bss"), "maps_glo.bss");
        assert_eq!(global_map_name("maps_globals.o", ".data"), "maps_glo.data");
        assert_eq!(global_map_name("x.bpf.o", ".data"), "x.data");
        assert_eq!(global_map_name("a-b.o", ".data"), "a_b.data");
        // Two dots: a custom section, named by itself.
        assert_eq!(global_map_name("prog.o", ".data.counters"), ".data.counters");
        assert_eq!(global_map_name("prog.o", ".rodata.very_long_name"), ".rodata.very_lo");
    }
}
