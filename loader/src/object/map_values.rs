//! `__array(values, ...)`: the last member of a map-in-map or prog-array definition. For
//! ARRAY_OF_MAPS / HASH_OF_MAPS it points to the inner map's definition (the template the
//! kernel checks every inner map against); for PROG_ARRAY to a function prototype. Its
//! initializer — `.values = { [2] = &inner_b }` — becomes relocations in `.rel.maps`, one per
//! 8-byte slot, which the loader turns into map updates (libbpf's `init_slots`).

use btf::types::{Body, Member};
use btf::{Btf, Kind, TypeId};

use super::elf::{RawElf, RawSection};
use super::error::{MemberProblem, ObjectError, Result, SlotProblem};
use super::maps::{MapDef, MapKind, MemberError};
use super::sections::SectionRole;
use crate::sys::MapType;

/// What `__array(values, ...)` declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapValues {
    /// Byte offset of the `values` member in the map's definition (slot 0 starts here).
    pub member_offset: u32,
    /// Map-in-map: the inner map's definition, named `<outer>.inner` as libbpf names it.
    pub inner: Option<Box<MapDef>>,
    /// The slots the initializer fills, by index.
    pub slots: Vec<MapSlot>,
}

/// One initialized slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSlot {
    /// Index in the map (the key).
    pub index: u32,
    /// What goes there.
    pub target: SlotTarget,
}

/// What a slot holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotTarget {
    /// Another map of the object (map-in-map), by name.
    Map(String),
    /// A program of the object (prog array), by function name.
    Program(String),
}

/// The `values` member `m` (at `index` of `count` members) of `def`; `inner` parses the inner
/// map's struct into a definition (the same reader as outer maps, without `values`).
pub(crate) fn parse(
    btf: &Btf,
    def: &MapDef,
    m: &Member<'_>,
    last: bool,
    inner: impl FnOnce(TypeId) -> std::result::Result<MapDef, MemberError>,
) -> std::result::Result<MapValues, MemberError> {
    let map_type = MapType(def.map_type);
    let map_in_map = matches!(map_type, MapType::ARRAY_OF_MAPS | MapType::HASH_OF_MAPS);
    if !map_in_map && map_type != MapType::PROG_ARRAY {
        return Err(MemberProblem::ValuesOnWrongType { map_type: def.map_type }.into());
    }
    if !last {
        return Err(MemberProblem::ValuesNotLast.into());
    }
    if def.value_size != 0 && def.value_size != 4 {
        return Err(MemberProblem::ValueSizeNotFd { value_size: def.value_size }.into());
    }
    let not_array = || MemberProblem::ValuesNotPointerArray { type_id: m.type_id };
    let elem = match btf.type_by_id(m.type_id).map(|t| t.body) {
        Ok(Body::Array(a)) if a.nelems == 0 => a.elem,
        _ => return Err(not_array().into()),
    };
    let ptr = btf.skip_mods_and_typedefs(elem).map_err(|_| not_array())?;
    let Ok(Body::Ptr(pointee)) = btf.type_by_id(ptr).map(|t| t.body) else { return Err(not_array().into()) };
    let pointee = btf.skip_mods_and_typedefs(pointee).map_err(|_| not_array())?;
    let kind = btf.kind_of(pointee).map_err(|_| not_array())?;
    let (expected_kind, expected) =
        if map_in_map { (Kind::Struct, "the inner map's struct") } else { (Kind::FuncProto, "a function prototype") };
    if kind != expected_kind {
        return Err(MemberProblem::ValuesPointee { kind, expected }.into());
    }
    let inner = if map_in_map { Some(Box::new(inner(pointee)?)) } else { None };
    Ok(MapValues { member_offset: m.bit_offset / 8, inner, slots: Vec::new() })
}

/// Reads `.rel.maps` into the slots of the maps whose `values` its relocations fall in.
pub(crate) fn collect_slots(elf: &RawElf<'_>, maps_sec: &RawSection<'_>, maps: &mut [MapDef]) -> Result<()> {
    let is_rel_of_maps =
        |s: &&RawSection<'_>| s.role == SectionRole::Rel && u64::from(s.info) == maps_sec.index.get() as u64;
    let Some(rel) = elf.sections.iter().find(is_rel_of_maps) else { return Ok(()) };
    for r in elf.rels(rel.index)? {
        let sym = elf.symbols.get(r.sym as usize);
        let symbol = sym.map_or_else(|| format!("#{}", r.sym), |s| s.name.clone());
        let bad = |problem| ObjectError::BadSlot { offset: r.offset, symbol: symbol.clone(), problem };
        let (map, index) = slot_at(maps, r.offset).map_err(bad)?;
        let outer = &maps[map];
        let target = match MapType(outer.map_type) {
            MapType::PROG_ARRAY => match sym.filter(|s| is_entry_point(elf, s)) {
                Some(s) => SlotTarget::Program(s.name.clone()),
                None => return Err(bad(SlotProblem::NotAProgram { map: outer.name.clone() })),
            },
            t => {
                if t == MapType::HASH_OF_MAPS && outer.key_size != 4 {
                    let key_size = outer.key_size;
                    return Err(bad(SlotProblem::HashKeySize { map: outer.name.clone(), key_size }));
                }
                match sym.filter(|s| s.section == Some(maps_sec.index) && maps.iter().any(|m| m.name == s.name)) {
                    Some(s) => SlotTarget::Map(s.name.clone()),
                    None => return Err(bad(SlotProblem::NotAMap { map: outer.name.clone() })),
                }
            }
        };
        if let Some(v) = maps[map].values.as_mut() {
            v.slots.retain(|s| s.index != index);
            v.slots.push(MapSlot { index, target });
        }
    }
    Ok(())
}

/// The map (by position) and slot index a `.maps` offset falls in: the map whose variable
/// starts last at or before it, which must have `values` that start at or before it.
fn slot_at(maps: &[MapDef], offset: u64) -> std::result::Result<(usize, u32), SlotProblem> {
    let (pos, at) = maps
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match m.kind {
            MapKind::BtfDefined { offset: at } if at <= offset => Some((i, at)),
            _ => None,
        })
        .max_by_key(|&(_, at)| at)
        .ok_or(SlotProblem::NoValues)?;
    let values = maps[pos].values.as_ref().ok_or(SlotProblem::NoValues)?;
    let rel = (offset - at).checked_sub(u64::from(values.member_offset)).ok_or(SlotProblem::NoValues)?;
    if rel % 8 != 0 {
        return Err(SlotProblem::Misaligned);
    }
    let index = u32::try_from(rel / 8).map_err(|_| SlotProblem::NoValues)?;
    Ok((pos, index))
}

/// A symbol that starts a function in a code section other than `.text` (a program).
fn is_entry_point(elf: &RawElf<'_>, s: &super::elf::RawSymbol) -> bool {
    s.st_type == object::elf::STT_FUNC
        && s.section.is_some_and(|i| {
            let sec = elf.section(i);
            sec.role == SectionRole::Code && sec.name != ".text"
        })
}
