//! The DATASECs of externs, rewritten as libbpf's `bpf_object__collect_externs` rewrites them.
//! Clang describes `__kconfig` and `__ksym` externs as extern VARs (and kfuncs as extern FUNCs)
//! in the DATASECs `.kconfig` and `.ksyms`, which no ELF section backs; the kernel refuses
//! extern VARs and FUNCs inside a DATASEC. So:
//! - `.kconfig`: each VAR becomes global, at its offset in the `.kconfig` map;
//! - `.ksyms`: each entry becomes a 4-byte slot of a global int VAR (a kfunc's slot points at a
//!   `dummy_ksym` VAR added after every type, and the kfunc's FUNC becomes global, its unnamed
//!   parameters named `dummy_ksym`, since the kernel wants global FUNCs' parameters named).

use btf::types::{Body, Linkage, Type, TypeId, Var};
use btf::{Btf, Kind};

use super::{BtfChange, ElfLayout, KernelBtfError, Report};
use crate::object::externs::{KCONFIG_SECTION, KSYMS_SECTION};

/// The name libbpf gives the dummy VAR and the unnamed kfunc parameters.
const DUMMY_KSYM: &str = "dummy_ksym";
/// The size of a `.ksyms` placeholder slot (`sizeof(int)`).
const SLOT: u32 = 4;

/// True for the DATASECs this module rewrites.
pub(super) fn is_extern_datasec(name: &str) -> bool {
    name == KCONFIG_SECTION || name == KSYMS_SECTION
}

/// Rewrites `.kconfig` and `.ksyms` in `types` (one per id, from 1), appending `dummy_ksym`
/// when `.ksyms` holds a kfunc.
pub(super) fn fix<'a>(
    btf: &'a Btf,
    types: &mut Vec<Type<'a>>,
    elf: &ElfLayout,
    report: &mut Report,
) -> Result<(), KernelBtfError> {
    for i in 0..types.len() {
        match types[i].name {
            KCONFIG_SECTION if types[i].kind() == Kind::Datasec => fix_kconfig(btf, types, i, elf, report)?,
            KSYMS_SECTION if types[i].kind() == Kind::Datasec => fix_ksyms(btf, types, i, elf, report)?,
            _ => {}
        }
    }
    Ok(())
}

fn fix_kconfig<'a>(
    btf: &'a Btf,
    types: &mut [Type<'a>],
    sec_idx: usize,
    elf: &ElfLayout,
    report: &mut Report,
) -> Result<(), KernelBtfError> {
    let Body::Datasec(sec) = &types[sec_idx].body else { return Ok(()) };
    let mut vars = sec.vars.clone();
    let old_size = sec.size;
    let mut size = 0;
    for v in &mut vars {
        let name = btf.name_of(v.type_id)?;
        let Some(&offset) = elf.kconfig.get(name) else {
            return Err(missing(KCONFIG_SECTION, name, v.type_id));
        };
        v.offset = offset;
        size = size.max(offset.saturating_add(v.size));
        if let Some(Type { body: Body::Var(var), .. }) = type_mut(types, v.type_id) {
            var.linkage = Linkage::Global;
        }
        report.changes.push(BtfChange::KconfigVarPlaced { var: name.to_owned(), offset });
    }
    // The kernel wants increasing offsets (libbpf's btf_fixup_datasec sorts them too).
    vars.sort_by_key(|v| v.offset);
    set_datasec(&mut types[sec_idx], KCONFIG_SECTION, old_size, size, vars, report);
    Ok(())
}

fn fix_ksyms<'a>(
    btf: &'a Btf,
    types: &mut Vec<Type<'a>>,
    sec_idx: usize,
    elf: &ElfLayout,
    report: &mut Report,
) -> Result<(), KernelBtfError> {
    let Body::Datasec(sec) = &types[sec_idx].body else { return Ok(()) };
    let (mut vars, old_size) = (sec.vars.clone(), sec.size);
    let int = first_int32(types);
    // libbpf adds the dummy VAR at open time, after every type of the object.
    let dummy = TypeId::new(types.len() as u32 + 1);
    let mut need_dummy = false;
    for (i, v) in vars.iter_mut().enumerate() {
        let name = btf.name_of(v.type_id)?;
        if !elf.ksyms.iter().any(|k| k == name) {
            return Err(missing(KSYMS_SECTION, name, v.type_id));
        }
        let offset = i as u32 * SLOT;
        let slot = type_mut(types, v.type_id).map(|t| &mut t.body);
        let kind = match slot {
            Some(Body::Func(f)) => {
                f.linkage = Linkage::Global;
                let proto = f.proto;
                name_params(types, proto);
                v.type_id = dummy;
                need_dummy = true;
                Kind::Func
            }
            Some(Body::Var(var)) => {
                *var = Var { type_id: int, linkage: Linkage::Global };
                Kind::Var
            }
            _ => continue,
        };
        v.offset = offset;
        v.size = SLOT;
        report.changes.push(BtfChange::KsymPlaceholder { name: name.to_owned(), kind, offset });
    }
    let size = vars.len() as u32 * SLOT;
    set_datasec(&mut types[sec_idx], KSYMS_SECTION, old_size, size, vars, report);
    if need_dummy {
        types.push(Type { name: DUMMY_KSYM, body: Body::Var(Var { type_id: int, linkage: Linkage::Global }) });
        report.changes.push(BtfChange::DummyKsymVar { id: dummy });
    }
    Ok(())
}

/// The type with id `id` in `types` (ids from 1); `None` for void or an id past the end.
fn type_mut<'t, 'a>(types: &'t mut [Type<'a>], id: TypeId) -> Option<&'t mut Type<'a>> {
    types.get_mut((id.get() as usize).checked_sub(1)?)
}

/// Names the unnamed, typed parameters of FUNC_PROTO `proto` `dummy_ksym`.
fn name_params(types: &mut [Type<'_>], proto: TypeId) {
    let Some(Type { body: Body::FuncProto(p), .. }) =
        proto.get().checked_sub(1).and_then(|i| types.get_mut(i as usize))
    else {
        return;
    };
    for param in &mut p.params {
        if param.type_id != TypeId::VOID && param.name.is_empty() {
            param.name = DUMMY_KSYM;
        }
    }
}

/// The first 32-bit INT (libbpf's `find_int_btf_id`), or void if there is none.
fn first_int32(types: &[Type<'_>]) -> TypeId {
    types
        .iter()
        .position(|t| matches!(t.body, Body::Int(i) if i.bits == 32))
        .map_or(TypeId::VOID, |i| TypeId::new(i as u32 + 1))
}

fn set_datasec(
    t: &mut Type<'_>,
    section: &str,
    old_size: u32,
    size: u32,
    vars: Vec<btf::types::VarSecInfo>,
    report: &mut Report,
) {
    if let Body::Datasec(sec) = &mut t.body {
        if old_size != size {
            report.changes.push(BtfChange::DatasecSize { section: section.to_owned(), from: old_size, to: size });
        }
        sec.size = size;
        sec.vars = vars;
    }
}

fn missing(section: &str, var: &str, id: TypeId) -> KernelBtfError {
    KernelBtfError::MissingSymbol { section: section.to_owned(), var: var.to_owned(), id }
}
