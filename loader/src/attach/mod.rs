//! Attaching loaded programs: the mechanism follows the program kind, with fallbacks for older
//! kernels. Every attachment is an fd rawbpf owns: dropping a `Link` detaches.

pub mod elf_offset;
mod error;
mod kprobe;
mod kprobe_multi;
mod ksyms;
mod probe_event;
mod tracepoint;
mod tracing;
mod uprobe;
pub mod usdt;

pub use error::{AttachError, TargetProblem};
pub use kprobe::{parse_target as parse_kprobe_target, KprobeTarget};
pub use ksyms::glob_match;
pub use probe_event::{pmu, DynamicEvent, Pmu, ProbeAttachMode, ProbeFamily, ProbeVia};
pub use uprobe::{parse_target as parse_uprobe_target, UprobeTarget};
pub use usdt::{parse_target as parse_usdt_target, UsdtAttachment, UsdtTarget};

use crate::diagnose::caps::Environment;
use crate::diagnose::refusal;
use crate::load::{Loaded, LoadedProgram};
use crate::object::progtype::AttachMethod;
use crate::progress::Observer;
use crate::sys::{AttachType, LinkFd, PerfEventFd, ProgType, SysError};

/// How a program was attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// `BPF_LINK_CREATE` on the program's load-time target (fentry, fexit, tp_btf, lsm...).
    LinkCreate,
    /// `BPF_RAW_TRACEPOINT_OPEN`: raw tracepoints by name, and tracing programs on kernels
    /// before links.
    RawTracepointOpen,
    /// `perf_event_open` on a tracefs event, then `BPF_LINK_CREATE` of a perf link (5.15+).
    PerfEventLink,
    /// `perf_event_open`, then `PERF_EVENT_IOC_SET_BPF` (the pre-link way).
    PerfEventIoctl,
    /// `BPF_LINK_CREATE` of a `BPF_TRACE_KPROBE_MULTI` link on many kernel functions (5.18+).
    KprobeMulti,
    /// `BPF_LINK_CREATE` of a `BPF_TRACE_UPROBE_MULTI` link on many instructions of one binary
    /// (6.6+): the sites of a USDT probe.
    UprobeMulti,
}

/// A kprobe's or uprobe's event: where it is and how it was made.
#[derive(Debug)]
pub struct Probe {
    /// Kernel or user space.
    pub family: ProbeFamily,
    /// On the function's return.
    pub retprobe: bool,
    /// The kernel function (the syscall wrapper for ksyscall; the first of a kprobe.multi's) or
    /// the binary's path.
    pub location: String,
    /// For uprobes: the function in the binary (`None` for a raw file offset or a USDT site).
    pub symbol: Option<String>,
    /// Bytes into the kernel function, or the file offset of a uprobe (a USDT probe's first
    /// site).
    pub offset: u64,
    /// PMU, tracefs dynamic event (removed when the link is dropped), or kprobe.multi /
    /// uprobe.multi link.
    pub via: ProbeVia,
}

/// Choices for attaching that the section name cannot express.
#[derive(Clone, Copy, Debug, Default)]
pub struct AttachOptions {
    /// kretprobe instances (tracefs `r<N>:`, which the kprobe PMU cannot express): for
    /// functions that many tasks are inside at once. `None`: the kernel's default.
    pub kretprobe_maxactive: Option<u32>,
    /// How kprobes and uprobes are made (libbpf's `attach_mode`).
    pub probe_mode: ProbeAttachMode,
}

/// An attached program.
#[derive(Debug)]
pub struct Link {
    /// The program's name.
    pub program: String,
    /// How its kind attaches.
    pub method: AttachMethod,
    /// How it was attached.
    pub mechanism: Mechanism,
    /// What it is attached to, as the section names it.
    pub target: String,
    /// For tracepoints: the tracefs event id.
    pub tracepoint_id: Option<u64>,
    /// The attachment.
    pub fd: LinkFd,
    /// For tracepoints and probes: the perf event the program hangs on; closed after the link.
    pub perf_event: Option<PerfEventFd>,
    /// For kprobes and uprobes: the probe; a tracefs event in it is removed after the perf
    /// event is closed (fields drop in order). For a USDT probe: its first site's uprobe, or
    /// the uprobe-multi link on all of them.
    pub probe: Option<Probe>,
    /// For USDT programs: every site, the other sites' uprobes and the spec map bookkeeping,
    /// released after the fields above.
    pub usdt: Option<Box<UsdtAttachment>>,
}

/// Attaches a program the way its kind requires; `None` for kinds libbpf does not attach on its
/// own (sockets, XDP, tc, cgroups...), and, as libbpf, for tracepoint and probe programs whose
/// section names no target (`SEC("kprobe")`): the caller chooses where they go.
pub fn attach(p: &LoadedProgram, obs: &mut dyn Observer) -> Result<Option<Link>, AttachError> {
    attach_with(p, &AttachOptions::default(), obs)
}

/// [`attach`] with options.
pub fn attach_with(
    p: &LoadedProgram,
    opts: &AttachOptions,
    obs: &mut dyn Observer,
) -> Result<Option<Link>, AttachError> {
    let method = p.kind.def.attach;
    if method == AttachMethod::Manual || (method != AttachMethod::Tracing && p.kind.attach_target.is_none()) {
        return Ok(None);
    }
    let link = match method {
        AttachMethod::Tracing => tracing::attach_tracing(p, obs)?,
        AttachMethod::RawTracepoint => tracing::attach_raw_tp(p)?,
        AttachMethod::Tracepoint => tracepoint::attach(p, obs)?,
        AttachMethod::Kprobe { retprobe } => kprobe::attach(p, retprobe, false, opts, obs)?,
        AttachMethod::Ksyscall { retprobe } => kprobe::attach(p, retprobe, true, opts, obs)?,
        AttachMethod::KprobeMulti { retprobe } => kprobe_multi::attach(p, retprobe)?,
        AttachMethod::Uprobe { retprobe } => uprobe::attach(p, retprobe, opts.probe_mode, obs)?,
        AttachMethod::Usdt => return Err(AttachError::UsdtNeedsObject { program: p.name.clone() }),
        _ => return Err(AttachError::Unsupported { program: p.name.clone(), section_prefix: p.kind.def.kind_name() }),
    };
    obs.step(crate::progress::Step::Attached(&link));
    Ok(Some(link))
}

/// Attaches the programs of one loaded object: what [`attach_with`] does, and USDT programs,
/// which need their object's maps and share its spec ids.
#[derive(Debug)]
pub struct Attacher<'a> {
    loaded: &'a Loaded,
    opts: AttachOptions,
    usdt: usdt::Shared,
}

impl<'a> Attacher<'a> {
    /// An attacher for the programs of `loaded`.
    pub fn new(loaded: &'a Loaded, opts: AttachOptions) -> Self {
        Attacher { loaded, opts, usdt: usdt::Shared::default() }
    }

    /// Attaches program `p` (one of the object's) as its kind requires; `None` as for
    /// [`attach_with`]. A USDT program's probe options are libbpf's defaults whatever
    /// [`AttachOptions::probe_mode`] says: libbpf's USDT attach takes no attach mode.
    pub fn attach(&self, p: &LoadedProgram, obs: &mut dyn Observer) -> Result<Option<Link>, AttachError> {
        if p.kind.def.attach != AttachMethod::Usdt || p.kind.attach_target.is_none() {
            return attach_with(p, &self.opts, obs);
        }
        let link = usdt::attach(p, self.loaded, &self.usdt, obs)?;
        obs.step(crate::progress::Step::Attached(&link));
        Ok(Some(link))
    }
}

/// The attach target: as written in the section name, or as given at load time.
fn target_of(p: &LoadedProgram) -> String {
    p.kind.attach_target.clone().unwrap_or_default()
}

/// A probe that would not open: the kernel's refusal, for the caller to word with what it
/// knows, or the error itself.
fn probe_open_error(
    p: &LoadedProgram,
    family: ProbeFamily,
    e: probe_event::DynamicEventError,
) -> Result<SysError, AttachError> {
    use probe_event::DynamicEventError as E;
    let program = p.name.clone();
    Err(match e {
        E::Define(e) => return Ok(e),
        E::NoTracefs => AttachError::NoTracefs { program },
        E::NoEventsFile => AttachError::NoProbeSupport { program, family, pmu_required: false },
        E::NoPmu => AttachError::NoProbeSupport { program, family, pmu_required: true },
        E::NoRefCtr => AttachError::NoRefCtr { program },
        E::Id(source) => AttachError::ProbeEventId { program, source },
    })
}

fn refused(p: &LoadedProgram, target: &str, e: SysError) -> AttachError {
    let (prog_type, attach_type) = (ProgType(p.kind.prog_type()), AttachType(p.kind.expected_attach_type()));
    let refusal = refusal::explain(&e, prog_type, attach_type, &Environment::detect());
    AttachError::Refused { program: p.name.clone(), target: target.to_owned(), refusal }
}
