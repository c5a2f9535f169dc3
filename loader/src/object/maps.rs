//! Map definitions. BTF-defined maps live in `.maps`: each is a global variable whose struct
//! type encodes the parameters in BTF alone (see progs/include/rawbpf_helpers.h):
//! `__uint(max_entries, 64)` is `int (*max_entries)[64]` (the number is the array length),
//! `__type(key, u32)` is `u32 *key` (the pointee is the key type). The bytes of `.maps` are
//! all zeros and carry nothing.

use btf::types::{Body, Member};
use btf::{Btf, BtfError, Kind, TypeId};

use super::elf::{RawElf, RawSection};
use super::error::{KeyOrValue, MapProblem, MemberProblem, ObjectError, Result};
use super::map_values::{self, MapValues};
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
    /// The values of the `__kconfig` externs (`object::externs`), filled in at load time.
    Kconfig,
    /// A map-in-map's inner map template (`__array(values, struct {...})`): created only to
    /// create the outer map, then closed. Never referenced by instructions.
    Inner,
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
    /// `pinning` (LIBBPF_PIN_*): 0 none, 1 by name (pinned and reused at the load's pin root).
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
    /// `__array(values, ...)` of a map-in-map or prog array: inner template and initial slots.
    pub values: Option<MapValues>,
}

impl MapDef {
    /// A definition with only its name and origin; every attribute zero.
    pub(crate) fn empty(name: String, kind: MapKind, section_index: SectionIndex) -> MapDef {
        MapDef {
            name,
            kind,
            section_index,
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
            values: None,
        }
    }
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
        return Err(ObjectError::BadMap { map: syms[0].name.clone(), problem: MapProblem::NoBtf });
    };
    let mut out = Vec::with_capacity(syms.len());
    for sym in syms {
        let bad = |problem| ObjectError::BadMap { map: sym.name.clone(), problem };
        let bad_btf = |member: Option<&str>| {
            let member = member.map(str::to_owned);
            move |source| ObjectError::MapBtf { map: sym.name.clone(), member, source }
        };
        if sym.value >= maps.size.max(1) {
            return Err(bad(MapProblem::PastEnd { offset: sym.value, size: maps.size }));
        }
        let var = find_var(btf, &sym.name).ok_or_else(|| bad(MapProblem::NoVar))?;
        let def = MapDef::empty(sym.name.clone(), MapKind::BtfDefined { offset: sym.value }, maps.index);
        let def = read_def(btf, def, var, false).map_err(|e| match e {
            DefError::Map(problem) => bad(problem),
            DefError::Btf(member, source) => bad_btf(member.as_deref())(source),
        })?;
        out.push(def);
    }
    map_values::collect_slots(elf, maps, &mut out)?;
    Ok(out)
}

/// Why a definition struct could not be read.
enum DefError {
    Map(MapProblem),
    /// Unreadable BTF, under this member if any.
    Btf(Option<String>, BtfError),
}

/// Reads the definition struct `var_type` into `def`; `inner`: it is an inner map's.
fn read_def(btf: &Btf, mut def: MapDef, var_type: TypeId, inner: bool) -> std::result::Result<MapDef, DefError> {
    let st = btf.skip_mods_and_typedefs(var_type).map_err(|e| DefError::Btf(None, e))?;
    let ty = btf.type_by_id(st).map_err(|e| DefError::Btf(None, e))?;
    let Body::Struct(c) = &ty.body else {
        return Err(DefError::Map(MapProblem::NotAStruct { type_id: st, kind: ty.kind() }));
    };
    for (i, m) in c.members.iter().enumerate() {
        let last = i + 1 == c.members.len();
        member(btf, &mut def, m, last, inner).map_err(|e| match e {
            MemberError::Problem(problem) => DefError::Map(MapProblem::Member { member: m.name.to_owned(), problem }),
            MemberError::Btf(source) => DefError::Btf(Some(m.name.to_owned()), source),
        })?;
    }
    if def.map_type == 0 {
        return Err(DefError::Map(MapProblem::NoType));
    }
    Ok(def)
}

/// Decodes one member into `def`: `values` (which must be `last`, and not in an `inner` map's
/// definition) or one of the plain attributes.
fn member(
    btf: &Btf,
    def: &mut MapDef,
    m: &Member<'_>,
    last: bool,
    inner: bool,
) -> std::result::Result<(), MemberError> {
    if m.name == "values" {
        values_member(btf, def, m, last, inner)
    } else {
        apply_member(btf, def, m)
    }
}

/// `__array(values, ...)`: the inner map's template (read like a map, named `<outer>.inner`)
/// or a prog array's prototype; values are 4-byte fds.
fn values_member(
    btf: &Btf,
    def: &mut MapDef,
    m: &Member<'_>,
    last: bool,
    inner: bool,
) -> std::result::Result<(), MemberError> {
    if inner {
        return Err(MemberProblem::NestedValues.into());
    }
    let template = |struct_id: TypeId| {
        let empty = MapDef::empty(format!("{}.inner", def.name), MapKind::Inner, def.section_index);
        read_def(btf, empty, struct_id, true).map_err(|e| match e {
            DefError::Map(problem) => MemberError::Problem(MemberProblem::Inner(Box::new(problem))),
            DefError::Btf(_, source) => MemberError::Btf(source),
        })
    };
    let values = map_values::parse(btf, def, m, last, template)?;
    def.value_size = 4;
    def.values = Some(values);
    Ok(())
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

/// Why one member could not be read: a known problem, or the BTF under it.
#[derive(Debug)]
pub(crate) enum MemberError {
    Problem(MemberProblem),
    Btf(BtfError),
}

impl From<MemberProblem> for MemberError {
    fn from(p: MemberProblem) -> Self {
        MemberError::Problem(p)
    }
}

impl From<BtfError> for MemberError {
    fn from(e: BtfError) -> Self {
        MemberError::Btf(e)
    }
}

/// Decodes one member into `def`.
fn apply_member(btf: &Btf, def: &mut MapDef, m: &Member<'_>) -> Result<(), MemberError> {
    match m.name {
        "type" => def.map_type = uint(btf, m)?,
        "max_entries" => def.max_entries = uint(btf, m)?,
        "map_flags" => def.map_flags = uint(btf, m)?,
        "numa_node" => def.numa_node = uint(btf, m)?,
        "pinning" => def.pinning = uint(btf, m)?,
        "map_extra" => def.map_extra = u64::from(uint(btf, m)?),
        "key_size" => set_size(&mut def.key_size, uint(btf, m)?, KeyOrValue::Key)?,
        "value_size" => set_size(&mut def.value_size, uint(btf, m)?, KeyOrValue::Value)?,
        "key" => {
            let (id, size) = pointee(btf, m)?;
            set_size(&mut def.key_size, size, KeyOrValue::Key)?;
            def.btf_key_type_id = id;
        }
        "value" => {
            let (id, size) = pointee(btf, m)?;
            set_size(&mut def.value_size, size, KeyOrValue::Value)?;
            def.btf_value_type_id = id;
        }
        _ => return Err(MemberProblem::UnknownAttribute.into()),
    }
    Ok(())
}

/// `__uint(name, N)`: `int (*name)[N]` → N.
fn uint(btf: &Btf, m: &Member<'_>) -> Result<u32, MemberError> {
    let ptr = btf.skip_mods_and_typedefs(m.type_id)?;
    let Body::Ptr(target) = btf.type_by_id(ptr)?.body else {
        return Err(MemberProblem::UintNotPointer { type_id: ptr }.into());
    };
    let arr = btf.skip_mods_and_typedefs(target)?;
    match btf.type_by_id(arr)?.body {
        Body::Array(a) => Ok(a.nelems),
        _ => Err(MemberProblem::UintNotArray { type_id: arr }.into()),
    }
}

/// `__type(name, T)`: `T *name` → (T's id, sizeof(T)).
fn pointee(btf: &Btf, m: &Member<'_>) -> Result<(TypeId, u32), MemberError> {
    let ptr = btf.skip_mods_and_typedefs(m.type_id)?;
    let Body::Ptr(target) = btf.type_by_id(ptr)?.body else {
        return Err(MemberProblem::TypeNotPointer { type_id: ptr }.into());
    };
    let size = btf.size_of(target)?;
    Ok((target, size))
}

/// Sets a size, refusing a second, different one (`key_size` and `key` both given).
fn set_size(slot: &mut u32, size: u32, of: KeyOrValue) -> Result<(), MemberProblem> {
    if *slot != 0 && *slot != size {
        return Err(MemberProblem::SizeGivenTwice { of, first: *slot, second: size });
    }
    *slot = size;
    Ok(())
}

#[cfg(test)]
mod tests {
    use btf::types::{Array, Type};
    use btf::write::BtfBuilder;

    use super::*;

    /// A BTF with `int`, `__u32`, `int (*)[2]`, `int (*)[8]`, `int *`, `__u32 *` and an array
    /// without a pointer; returns it with the ids of the member shapes, by name.
    fn btf() -> (Btf, [(&'static str, TypeId); 5]) {
        let mut b = BtfBuilder::new();
        let int = b.int("int", 4, true);
        let u32_ = b.int("__u32", 4, false);
        let arr = |b: &mut BtfBuilder, n| {
            b.add(&Type { name: "", body: Body::Array(Array { elem: int, index: int, nelems: n }) })
        };
        let (a2, a8) = (arr(&mut b, 2), arr(&mut b, 8));
        let (p2, p8) = (b.ptr(a2), b.ptr(a8));
        let (pint, pu32) = (b.ptr(int), b.ptr(u32_));
        let btf = Btf::parse(b.build()).unwrap();
        (btf, [("uint2", p2), ("uint8", p8), ("int_ptr", pint), ("u32_ptr", pu32), ("int", int)])
    }

    fn def() -> MapDef {
        MapDef::empty("m".into(), MapKind::BtfDefined { offset: 0 }, SectionIndex::new(0))
    }

    fn apply(btf: &Btf, def: &mut MapDef, name: &str, type_id: TypeId) -> Result<(), MemberError> {
        member(btf, def, &Member { name, type_id, bit_offset: 0, bitfield_size: 0 }, true, false)
    }

    fn problem(r: Result<(), MemberError>) -> MemberProblem {
        match r {
            Err(MemberError::Problem(p)) => p,
            Err(MemberError::Btf(e)) => panic!("BTF error {e}"),
            Ok(()) => panic!("accepted"),
        }
    }

    #[test]
    fn members_decode_and_their_problems_are_typed() {
        let (btf, [(_, uint2), (_, uint8), (_, int_ptr), (_, u32_ptr), (_, int)]) = btf();
        let mut d = def();
        apply(&btf, &mut d, "type", uint2).unwrap();
        apply(&btf, &mut d, "key", u32_ptr).unwrap();
        assert_eq!((d.map_type, d.key_size), (2, 4));
        assert_eq!(btf.name_of(d.btf_key_type_id).unwrap(), "__u32");
        let twice = problem(apply(&btf, &mut d, "key_size", uint8));
        assert_eq!(twice, MemberProblem::SizeGivenTwice { of: KeyOrValue::Key, first: 4, second: 8 });
        assert_eq!(twice.to_string(), "key size given twice: 4 and 8");
        assert_eq!(problem(apply(&btf, &mut d, "max_entries", int_ptr)), MemberProblem::UintNotArray { type_id: int });
        assert_eq!(problem(apply(&btf, &mut d, "max_entries", int)), MemberProblem::UintNotPointer { type_id: int });
        assert_eq!(problem(apply(&btf, &mut d, "value", int)), MemberProblem::TypeNotPointer { type_id: int });
        // __array(values, ...) belongs to map-in-map and prog arrays, as a zero-length array.
        assert_eq!(problem(apply(&btf, &mut d, "values", uint2)), MemberProblem::ValuesOnWrongType { map_type: 2 });
        let mut mim = def();
        mim.map_type = 12;
        assert_eq!(
            problem(apply(&btf, &mut mim, "values", uint2)),
            MemberProblem::ValuesNotPointerArray { type_id: uint2 }
        );
        let unknown = problem(apply(&btf, &mut d, "flags", uint2));
        assert_eq!(unknown, MemberProblem::UnknownAttribute);
        assert!(unknown.to_string().contains("max_entries, map_flags"), "{unknown}");
        // The list the message gives is the list the decoder knows.
        for name in crate::object::error::MAP_ATTRIBUTES {
            let r = apply(&btf, &mut def(), name, uint2);
            assert!(!matches!(r, Err(MemberError::Problem(MemberProblem::UnknownAttribute))), "{name}");
        }
        // A type id past the BTF: the BTF reader's error, kept whole.
        let past = TypeId::new(99);
        assert!(matches!(apply(&btf, &mut d, "type", past), Err(MemberError::Btf(_))));
    }
}
