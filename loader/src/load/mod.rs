//! The pipeline from an `Object` to loaded maps and programs, in the order the kernel needs:
//! externs (resolved for this kernel, as libbpf does before anything is created) → object BTF
//! (fixed up, sanitized, `BPF_BTF_LOAD`) → CO-RE (a relocated copy of the code) → maps
//! (`BPF_MAP_CREATE`, global data and `.kconfig` written and frozen) → programs (link,
//! `BPF_PROG_LOAD`).
//!
//! The object is only read: the same `Object` can be loaded again. Everything loaded is held as
//! a typed fd: when a `Loaded` (or a half-built one on error) is dropped, the kernel frees it all.
//! Each step is reported to the caller's [`Observer`].

mod error;
mod maps;
mod prepare;
mod programs;
pub(crate) mod target;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::co_re::{self, CoreReport};
use crate::features::Features;
use crate::kernel_btf::{self, Support};
use crate::object::{Object, ProgKind};
use crate::progress::{Observer, Quiet, Step};
use crate::sys::{self, AttachType, BtfFd, LogLevel, MapFd, MapId, MapType, ProgFd, ProgInfo};

pub use error::{LoadError, ProgLoadFailure, UnsupportedKind};
pub use maps::{MapAdjustment, MapAttribute, MapPinError, PinMismatch};
pub use prepare::uprobe_multi_links;
pub use programs::{select, Selected};
pub use target::{AttachTarget, KernelBtf, KernelBtfHit};

/// What `load` should do.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Load exactly these programs (by function name), whether their section starts with `?`
    /// or not (libbpf's `bpf_program__set_autoload(prog, true)`); empty means every program
    /// loaded by default, those whose section does not start with `?`.
    pub programs: Vec<String>,
    /// Attach targets chosen at run time, by program name (libbpf's
    /// `bpf_program__set_attach_target`): the kernel function, tracepoint, LSM hook or
    /// iterator (`name`, or `module:name`) a program that attaches by BTF id (fentry, fexit,
    /// fmod_ret, tp_btf, lsm, iter) is loaded for, instead of its section's.
    pub attach_targets: BTreeMap<String, String>,
    /// Target BTF for CO-RE instead of the running kernel's.
    pub target_btf: Option<PathBuf>,
    /// Ask the verifier for its log even on success (level 1 or 2).
    pub verifier_log: Option<u32>,
    /// Where maps declared `__uint(pinning, LIBBPF_PIN_BY_NAME)` are pinned as
    /// `<pin_root>/<map name>` and reused from; `None`: [`DEFAULT_PIN_ROOT`], as libbpf.
    pub pin_root: Option<PathBuf>,
}

/// libbpf's pin root for `LIBBPF_PIN_BY_NAME` maps.
pub const DEFAULT_PIN_ROOT: &str = "/sys/fs/bpf";

/// A created map.
#[derive(Debug)]
pub struct LoadedMap {
    /// Map name as in the object.
    pub name: String,
    /// Its type.
    pub map_type: MapType,
    /// Kernel map id.
    pub id: MapId,
    /// The map.
    pub fd: MapFd,
}

/// A loaded program.
#[derive(Debug)]
pub struct LoadedProgram {
    /// Function name.
    pub name: String,
    /// ELF section it came from.
    pub section: String,
    /// Type and attach target: from the section name, the target possibly replaced by the one
    /// given in [`LoadOptions::attach_targets`].
    pub kind: ProgKind,
    /// The expected attach type it was loaded with (the kind's, or `BPF_TRACE_UPROBE_MULTI` for
    /// USDT programs on kernels with uprobe-multi links, as libbpf does).
    pub expected_attach_type: AttachType,
    /// Where it attaches in kernel BTF, for tracing programs.
    pub target: Option<AttachTarget>,
    /// What the kernel says about it (id, tag...).
    pub info: ProgInfo,
    /// The verifier's log when one was asked for.
    pub verifier_log: Option<String>,
    /// The program.
    pub fd: ProgFd,
}

/// Everything loaded from one object. Dropping it unloads everything.
#[derive(Debug)]
pub struct Loaded {
    /// The object's BTF in the kernel, if it had BTF and the kernel took it.
    pub btf_fd: Option<BtfFd>,
    /// Maps, in object order.
    pub maps: Vec<LoadedMap>,
    /// Programs, in object order.
    pub programs: Vec<LoadedProgram>,
    /// What CO-RE decided, per relocation.
    pub core: CoreReport,
    /// What each of the object's externs resolved to, in `Object::externs` order.
    pub externs: Vec<crate::externs::Value>,
}

/// Runs the whole pipeline on `obj`. On error nothing stays loaded.
pub fn load(obj: &Object, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    load_observed(obj, opts, &mut Quiet)
}

/// [`load`], reporting each step to `obs` as it happens.
pub fn load_observed(obj: &Object, opts: &LoadOptions, obs: &mut dyn Observer) -> Result<Loaded, LoadError> {
    let selected = programs::select(obj, opts)?;
    let chosen: Vec<_> = selected.iter().map(|s| s.prog).collect();
    obs.step(Step::Selected { obj, programs: &chosen });
    obs.step(Step::Memlock(crate::memlock::raise_if_needed()));
    let features = Features::detect();
    obs.step(Step::Features(&features));
    let reached = obj.sections_reached(&chosen);
    let needed = target::needs_kernel_btf(obj, &selected, &reached);
    let names = target::kernel_names(obj, &selected, &reached);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let kernel = KernelBtf::open(opts.target_btf.as_deref(), needed, &names, obs)?;
    let externs = crate::externs::resolve(obj, &kernel, obs)?;
    let btf_fd = load_object_btf(obj, support(&features), obs)?;
    // On a kernel without BTF the --btf file already stands in as `kernel.vmlinux`: parsed once.
    let core_target = match &opts.target_btf {
        Some(path) if kernel.exposed => Arc::new(btf::source::file(path).map_err(LoadError::TargetBtf)?),
        _ => kernel.vmlinux.clone(),
    };
    // Like libbpf, CO-RE only touches the code of the programs being loaded.
    let (code, core) = co_re::apply(obj, &core_target, &reached, obs)?;
    let pin_root = opts.pin_root.as_deref().unwrap_or(std::path::Path::new(DEFAULT_PIN_ROOT));
    let cx = maps::Context { btf_fd: btf_fd.as_ref(), kconfig: externs.kconfig.as_deref(), pin_root };
    // Pins this load makes are removed again if a later step fails.
    let mut pins = maps::LoadPins::default();
    let maps = maps::create_all(obj, &cx, &mut pins, obs)?;
    maps::slots::fill_maps(obj, &maps, &pins, obs)?;
    let values = externs.values.clone();
    let mut loaded = Loaded { btf_fd, maps, programs: Vec::new(), core, externs: values };
    for prog in &selected {
        let input = programs::Input { obj, code: &code, prog, loaded: &loaded, kernel: &kernel, externs: &externs };
        let p = programs::load_one(input, opts, obs)?;
        loaded.programs.push(p);
    }
    maps::slots::fill_programs(obj, &loaded.maps, &loaded.programs, obs)?;
    pins.keep();
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
/// programs, without func/line info (as libbpf does), so the refusal is a step, not an error.
fn load_object_btf(obj: &Object, support: Support, obs: &mut dyn Observer) -> Result<Option<BtfFd>, LoadError> {
    let Some(btf) = &obj.btf else {
        obs.step(Step::NoObjectBtf);
        return Ok(None);
    };
    let (bytes, report) = kernel_btf::prepare(btf, &obj.elf_layout, support)?;
    for change in &report.changes {
        obs.step(Step::BtfChange(change));
    }
    match sys::btf_load(&bytes, LogLevel::OnFailure) {
        Ok(l) => Ok(Some(l.fd)),
        Err(e) => {
            obs.step(Step::ObjectBtfRefused(&e));
            Ok(None)
        }
    }
}
