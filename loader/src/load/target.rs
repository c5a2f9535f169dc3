//! Where a tracing program attaches: a BTF id in vmlinux or in a module's split BTF, found by
//! name with the naming conventions of each program kind.

use std::path::Path;
use std::sync::Arc;

use btf::{Btf, Kind, TypeId};

use super::LoadError;
use std::collections::BTreeSet;

use crate::object::{CodeSectionIndex, ExternKind, Object, ProgKind};
use crate::progress::{Observer, Step};
use crate::sys::{self, AttachType, BtfFd};

/// The running kernel's BTF, parsed once for CO-RE and attach targets.
#[derive(Debug)]
pub struct KernelBtf {
    /// `/sys/kernel/btf/vmlinux`, or the `--btf` file standing in for it on a kernel that
    /// exposes none.
    pub vmlinux: Arc<Btf>,
    /// False when `vmlinux` is the stand-in: its types serve CO-RE and typed externs, but its ids
    /// are not the kernel's, so nothing may be attached by BTF id.
    pub exposed: bool,
}

impl KernelBtf {
    /// Maps (or reads) `/sys/kernel/btf/vmlinux`. On a kernel without it (built without
    /// `CONFIG_DEBUG_INFO_BTF`, or hidden), `stand_in` — the `--btf` file — takes its place, as
    /// libbpf's `btf_custom_path` does for CO-RE: programs that need no kernel BTF ids still load.
    /// `needed`: whether the programs being loaded use kernel BTF at all (CO-RE relocations,
    /// attach targets by BTF id, typed ksyms, kfuncs); like libbpf, a load that uses none goes
    /// ahead on a kernel without BTF.
    /// `names`: what the load will look up (`kernel_names`), found in the parsing pass.
    pub fn open(
        stand_in: Option<&Path>,
        needed: bool,
        names: &[&str],
        obs: &mut dyn Observer,
    ) -> Result<KernelBtf, LoadError> {
        let path = Path::new(btf::source::VMLINUX_BTF);
        match (crate::vmlinux::open_with_names(path, names), stand_in) {
            (Ok(vmlinux), _) => {
                obs.step(Step::KernelBtf { types: vmlinux.count(), path });
                Ok(KernelBtf { vmlinux: Arc::new(vmlinux), exposed: true })
            }
            (Err(btf::source::LoadError::NoKernelBtf { .. }), Some(file)) => {
                let btf = btf::source::file(file).map_err(LoadError::TargetBtf)?;
                obs.step(Step::KernelBtfStandIn { types: btf.count(), path: file });
                Ok(KernelBtf { vmlinux: Arc::new(btf), exposed: false })
            }
            (Err(btf::source::LoadError::NoKernelBtf { .. }), None) if !needed => {
                let empty = Btf::parse(btf::BtfBuilder::new().build()).map_err(|source| {
                    LoadError::KernelBtf(btf::source::LoadError::Parse { path: path.to_owned(), source })
                })?;
                Ok(KernelBtf { vmlinux: Arc::new(empty), exposed: false })
            }
            (Err(e), _) => Err(LoadError::KernelBtf(e)),
        }
    }

    /// Finds `name` of `kind` in vmlinux, then in each module's BTF; with `module`, only there
    /// (`vmlinux` naming the kernel's own BTF).
    fn find(&self, module: Option<&str>, name: &str, kind: Kind) -> Option<(TypeId, Option<String>)> {
        self.find_in(module, name, kind).map(|hit| (hit.id, hit.module))
    }

    /// Finds `name` of `kind` in vmlinux, then in each module's own types (libbpf's
    /// `find_ksym_btf_id`), with the BTF it was found in.
    pub fn find_with_btf(&self, name: &str, kind: Kind) -> Option<KernelBtfHit> {
        self.find_in(None, name, kind)
    }

    /// [`Self::find_with_btf`], only in `module` when one is named.
    fn find_in(&self, module: Option<&str>, name: &str, kind: Kind) -> Option<KernelBtfHit> {
        if module.is_none_or(|m| m == "vmlinux") {
            if let Some(id) = self.vmlinux.find_by_name_kind(name, kind) {
                return Some(KernelBtfHit { id, module: None, btf: self.vmlinux.clone() });
            }
        }
        let dir = std::fs::read_dir("/sys/kernel/btf").ok()?;
        for entry in dir.flatten() {
            let module_name = entry.file_name().to_string_lossy().into_owned();
            if module_name == "vmlinux" || module.is_some_and(|m| m != module_name) {
                continue;
            }
            let module = module_name;
            let Ok(btf) = btf::source::module(&module, self.vmlinux.clone()) else {
                continue;
            };
            let own =
                btf.ids_by_name(name).find(|&id| id >= btf.first_id() && btf.kind_of(id).is_ok_and(|k| k == kind));
            if let Some(id) = own {
                return Some(KernelBtfHit { id, module: Some(module), btf: Arc::new(btf) });
            }
        }
        None
    }
}

/// A type found in the kernel's BTF.
#[derive(Clone, Debug)]
pub struct KernelBtfHit {
    /// Its id (in the module's split BTF, ids continue vmlinux's).
    pub id: TypeId,
    /// The module, or `None` for vmlinux.
    pub module: Option<String>,
    /// The BTF it is in (a module's is split on vmlinux).
    pub btf: Arc<Btf>,
}

/// A resolved attach target.
#[derive(Debug)]
pub struct AttachTarget {
    /// The name looked up in BTF (`tcp_connect`, `btf_trace_sched_switch`).
    pub btf_name: String,
    /// Its type id.
    pub btf_id: TypeId,
    /// The module holding it, or `None` for vmlinux.
    pub module: Option<String>,
    /// That module's BTF object, passed as `attach_btf_obj_fd`.
    pub module_fd: Option<BtfFd>,
}

/// The BTF name and kind a target is looked up as, by expected attach type (libbpf's
/// `btf_get_kernel_prefix_kind`), and what it is called in messages.
pub(crate) fn btf_name(kind: &ProgKind, target: &str) -> (String, Kind, &'static str) {
    match kind.def.expected_attach_type {
        Some(AttachType::TRACE_RAW_TP) => (format!("btf_trace_{target}"), Kind::Typedef, "raw tracepoint"),
        Some(AttachType::LSM_MAC | AttachType::LSM_CGROUP) => (format!("bpf_lsm_{target}"), Kind::Func, "LSM hook"),
        Some(AttachType::TRACE_ITER) => (format!("bpf_iter_{target}"), Kind::Func, "iterator"),
        _ => (target.to_owned(), Kind::Func, "function"),
    }
}

/// A target as libbpf's `find_kernel_btf_id` reads it: `module:name` or `name`.
pub(crate) fn split_module(target: &str) -> (Option<&str>, &str) {
    match target.split_once(':') {
        Some((module, name)) => (Some(module), name),
        None => (None, target),
    }
}

/// Resolves the attach target of a program that attaches by BTF id (its section's, or the one
/// given at load time); `None` for other kinds.
pub fn resolve(
    kernel: &KernelBtf,
    program: &str,
    kind: &ProgKind,
    obs: &mut dyn Observer,
) -> Result<Option<AttachTarget>, LoadError> {
    if !kind.attaches_by_btf_id() {
        return Ok(None);
    }
    if !kernel.exposed {
        return Err(LoadError::AttachNeedsKernelBtf { program: program.to_owned(), section: kind.def.name });
    }
    let (module, target) = split_module(kind.attach_target.as_deref().unwrap_or_default());
    let (name, btf_kind, what) = btf_name(kind, target);
    let Some((btf_id, module)) = kernel.find(module, &name, btf_kind) else {
        let close = btf::suggest::closest_names(&kernel.vmlinux, &name, Some(btf_kind), 5);
        return Err(LoadError::NoAttachTarget {
            program: program.to_owned(),
            what,
            name,
            close: close.into_iter().map(|(n, _)| n).collect(),
        });
    };
    let module_fd = match &module {
        Some(m) => sys::find_kernel_btf(m).ok().flatten().map(|(fd, _)| fd),
        None => None,
    };
    let target = AttachTarget { btf_name: name, btf_id, module, module_fd };
    obs.step(Step::AttachTarget { program, target: &target });
    Ok(Some(target))
}

/// The names a load of `selected` looks up in kernel BTF, known before it is parsed so that the
/// parsing pass finds them (`Btf::parse_with_names`) and no lookup scans the ~126k types again:
/// the root types of the CO-RE relocations in the code they reach (by essential name, as CO-RE
/// compares them), their attach targets, and the typed ksym and kfunc externs. A name missed
/// here is still found, by a scan.
pub fn kernel_names(obj: &Object, selected: &[super::Selected], reached: &BTreeSet<CodeSectionIndex>) -> Vec<String> {
    let mut names = BTreeSet::new();
    if let (Some(ext), Some(local)) = (&obj.btf_ext, &obj.btf) {
        let reached_name = |name: &str| {
            obj.code_sections
                .iter()
                .position(|c| c.name == name)
                .is_some_and(|i| reached.contains(&CodeSectionIndex::new(i)))
        };
        for sec in ext.core_relos.iter().filter(|s| reached_name(&s.name)) {
            let roots = sec.records.iter().filter_map(|r| local.name_of(r.type_id).ok());
            names.extend(roots.filter(|n| !n.is_empty()).map(|n| btf::flavors::essential(n).to_owned()));
        }
    }
    for s in selected.iter().filter(|s| s.kind.attaches_by_btf_id()) {
        let (_, target) = split_module(s.kind.attach_target.as_deref().unwrap_or_default());
        names.insert(btf_name(&s.kind, target).0);
    }
    for e in &obj.externs {
        match e.kind {
            ExternKind::Ksym { type_id: Some(_) } => names.insert(e.name.clone()),
            ExternKind::Kfunc { .. } => names.insert(e.essential_name().to_owned()),
            _ => false,
        };
    }
    names.into_iter().collect()
}

/// Whether loading `selected` of `obj` uses kernel BTF: a CO-RE relocation in code they reach,
/// a program attaching by BTF id, or a typed ksym or kfunc extern.
pub fn needs_kernel_btf(obj: &Object, selected: &[super::Selected], reached: &BTreeSet<CodeSectionIndex>) -> bool {
    let core = obj.btf_ext.as_ref().is_some_and(|ext| {
        ext.core_relos.iter().filter(|s| !s.records.is_empty()).any(|s| {
            obj.code_sections
                .iter()
                .position(|c| c.name == s.name)
                .is_some_and(|i| reached.contains(&CodeSectionIndex::new(i)))
        })
    });
    let by_id = selected.iter().any(|s| s.kind.attaches_by_btf_id());
    let externs =
        obj.externs.iter().any(|e| matches!(e.kind, ExternKind::Ksym { type_id: Some(_) } | ExternKind::Kfunc { .. }));
    core || by_id || externs
}
