//! The pipeline from an `Object` to loaded maps and programs, in the order the kernel needs:
//! object BTF (fixed up, sanitized, `BPF_BTF_LOAD`) → CO-RE (patch the code sections) → maps
//! (`BPF_MAP_CREATE`, global data written and frozen) → programs (link, `BPF_PROG_LOAD`).
//!
//! Everything loaded is held as an `OwnedFd`: when a `Loaded` (or a half-built one on error) is
//! dropped, the kernel frees it all. Narration goes to `tracing` under `rawbpf::load`.

mod core;
mod error;
mod maps;
mod programs;
mod target;

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::Arc;

use tracing::info;

use crate::features::Features;
use crate::kernel_btf::{self, Support};
use crate::object::{Object, ProgKind};
use crate::sys::{self, LogLevel, ProgInfo};

pub use self::core::CoreReport;
pub use error::{LoadError, ProgLoadFailure};
pub use target::{AttachTarget, KernelBtf};

/// What `load` should do.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Load only these programs (by function name); empty means all.
    pub programs: Vec<String>,
    /// Target BTF for CO-RE instead of the running kernel's.
    pub target_btf: Option<PathBuf>,
    /// Ask the verifier for its log even on success (level 1 or 2).
    pub verifier_log: Option<u32>,
}

/// A created map.
#[derive(Debug)]
pub struct LoadedMap {
    /// Map name as in the object.
    pub name: String,
    /// Kernel map id.
    pub id: u32,
    /// The map.
    pub fd: OwnedFd,
}

/// A loaded program.
#[derive(Debug)]
pub struct LoadedProgram {
    /// Function name.
    pub name: String,
    /// ELF section it came from.
    pub section: String,
    /// Type and attach target, from the section name.
    pub kind: ProgKind,
    /// Where it attaches in kernel BTF, for tracing programs.
    pub target: Option<AttachTarget>,
    /// What the kernel says about it (id, tag...).
    pub info: ProgInfo,
    /// The verifier's log when one was asked for.
    pub verifier_log: Option<String>,
    /// The program.
    pub fd: OwnedFd,
}

/// Everything loaded from one object. Dropping it unloads everything.
#[derive(Debug)]
pub struct Loaded {
    /// The object's BTF in the kernel, if it had BTF.
    pub btf_fd: Option<OwnedFd>,
    /// Maps, in object order.
    pub maps: Vec<LoadedMap>,
    /// Programs, in object order.
    pub programs: Vec<LoadedProgram>,
    /// What CO-RE decided, per relocation.
    pub core: CoreReport,
}

/// Runs the whole pipeline on `obj`. On error nothing stays loaded.
pub fn load(obj: &mut Object, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let selected = programs::select(obj, &opts.programs)?;
    let features = Features::detect();
    info!(target: "rawbpf::load", "kernel BTF features: {features}");
    let kernel = KernelBtf::open()?;
    let btf_fd = load_object_btf(obj, support(&features))?;
    let core_target = match &opts.target_btf {
        Some(path) => Arc::new(btf::source::file(path).map_err(LoadError::TargetBtf)?),
        None => kernel.vmlinux.clone(),
    };
    let core = self::core::apply(obj, &core_target)?;
    let maps = maps::create_all(obj, btf_fd.as_ref())?;
    let mut loaded = Loaded { btf_fd, maps, programs: Vec::new(), core };
    for prog in selected {
        let p = programs::load_one(obj, prog, &loaded, &kernel, opts)?;
        loaded.programs.push(p);
    }
    Ok(loaded)
}

/// Which BTF kinds the running kernel takes, as `kernel_btf` wants it.
fn support(f: &Features) -> Support {
    Support {
        func_global: f.btf_func_global,
        float: f.btf_float,
        decl_tag: f.btf_decl_tag,
        type_tag: f.btf_type_tag,
        enum64: f.btf_enum64,
    }
}

/// Fixes up, sanitizes and loads the object's BTF. A kernel that refuses it still gets the
/// programs, without func/line info (as libbpf does), so the refusal is a warning.
fn load_object_btf(obj: &Object, support: Support) -> Result<Option<OwnedFd>, LoadError> {
    let Some(btf) = &obj.btf else {
        info!(target: "rawbpf::load", "object has no .BTF: maps get no BTF types, programs no line info");
        return Ok(None);
    };
    let (bytes, report) = kernel_btf::prepare(btf, &obj.elf_layout, support)?;
    for change in &report.changes {
        info!(target: "rawbpf::load", "BTF fixup: {change}");
    }
    match sys::btf_load(&bytes, LogLevel::OnFailure) {
        Ok(l) => Ok(Some(l.fd)),
        Err(e) => {
            tracing::warn!(target: "rawbpf::load", "kernel refused the object's BTF ({}); loading without it\n{}", e.sys, e.log);
            Ok(None)
        }
    }
}
