//! Typed `__ksym` variables and kfuncs, found in the kernel's BTF (vmlinux, then modules) and
//! checked against the object's declaration with CO-RE's type compatibility, as libbpf's
//! `bpf_object__resolve_ksym_var_btf_id` / `_func_btf_id` do.

use std::os::fd::AsRawFd;

use btf::core::compat::types_are_compat;
use btf::{Btf, Kind, TypeId};

use super::{ExternError, Modules, TypeDesc};
use crate::link::KsymValue;
use crate::load::{KernelBtf, KernelBtfHit};
use crate::object::Extern;

/// What a typed ksym or kfunc resolved to: the linker's value and the module it is in.
pub(super) struct Found {
    pub value: KsymValue,
    pub id: TypeId,
    pub module: Option<String>,
}

/// Resolves typed ksym `ext` (type `local`, in the object's `btf`). `Ok(None)`: missing, and weak.
pub(super) fn resolve_var(
    ext: &Extern,
    local: TypeId,
    btf: &Btf,
    kernel: &KernelBtf,
    modules: &mut Modules,
) -> Result<Option<Found>, ExternError> {
    let Some(hit) = kernel.find_with_btf(&ext.name, Kind::Var) else {
        return missing(ext, Kind::Var);
    };
    let target = var_type(&hit).map_err(|source| ExternError::KernelBtf { name: ext.name.clone(), source })?;
    if !types_are_compat(btf, local, &hit.btf, target).unwrap_or(false) {
        return Err(incompatible(ext, btf, local, &hit, target));
    }
    let btf_fd = match &hit.module {
        Some(m) => modules.fd(&ext.name, m)?.as_raw_fd(),
        None => 0,
    };
    let value = KsymValue::Btf { id: hit.id.get(), btf_fd, fd_index: 0 };
    Ok(Some(Found { value, id: hit.id, module: hit.module }))
}

/// Resolves kfunc `ext` (FUNC_PROTO `proto`). `Ok(None)`: missing or incompatible, and weak.
pub(super) fn resolve_func(
    ext: &Extern,
    proto: TypeId,
    btf: &Btf,
    kernel: &KernelBtf,
    modules: &mut Modules,
) -> Result<Option<Found>, ExternError> {
    let Some(hit) = kernel.find_with_btf(ext.essential_name(), Kind::Func) else {
        return missing(ext, Kind::Func);
    };
    let target = hit.btf.type_by_id(hit.id).ok().and_then(|t| t.ref_type()).unwrap_or(TypeId::VOID);
    if !types_are_compat(btf, proto, &hit.btf, target).unwrap_or(false) {
        // libbpf lets a weak kfunc with another prototype count as missing.
        return if ext.weak { Ok(None) } else { Err(incompatible(ext, btf, proto, &hit, target)) };
    }
    let (btf_fd, fd_index) = match &hit.module {
        Some(m) => (modules.fd(&ext.name, m)?.as_raw_fd(), modules.index(&ext.name, m)?),
        None => (0, 0),
    };
    let value = KsymValue::Btf { id: hit.id.get(), btf_fd, fd_index };
    Ok(Some(Found { value, id: hit.id, module: hit.module }))
}

fn missing(ext: &Extern, kind: Kind) -> Result<Option<Found>, ExternError> {
    if ext.weak {
        return Ok(None);
    }
    Err(ExternError::NotInKernelBtf { name: ext.name.clone(), kind })
}

/// The kernel VAR's type, modifiers and typedefs skipped.
fn var_type(hit: &KernelBtfHit) -> btf::Result<TypeId> {
    let var = hit.btf.type_by_id(hit.id)?;
    hit.btf.skip_mods_and_typedefs(var.ref_type().unwrap_or(TypeId::VOID))
}

fn incompatible(ext: &Extern, btf: &Btf, local: TypeId, hit: &KernelBtfHit, target: TypeId) -> ExternError {
    ExternError::Incompatible {
        name: ext.name.clone(),
        local: TypeDesc::of(btf, local),
        kernel: TypeDesc::of(&hit.btf, target),
        module: hit.module.clone(),
    }
}
