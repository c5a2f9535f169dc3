//! Attaching loaded programs: the mechanism follows the program kind, with fallbacks for older
//! kernels. Every attachment is an fd rawbpf owns: dropping a `Link` detaches.

mod tracepoint;
mod tracing;

use crate::diagnose::caps::Environment;
use crate::diagnose::refusal::{self, Refusal};
use crate::load::LoadedProgram;
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
    /// For tracepoints: the perf event the program hangs on; closed after the link.
    pub perf_event: Option<PerfEventFd>,
}

/// Why a program could not be attached.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// The kernel refused.
    #[error("program {program}: attaching to {target} failed: {}", refusal.error)]
    Refused {
        /// The program.
        program: String,
        /// The target.
        target: String,
        /// The refused call and what it means.
        refusal: Refusal,
    },
    /// The tracepoint has no event id in tracefs.
    #[error("program {program}: tracepoint {target} not found in tracefs")]
    NoTracepoint {
        /// The program.
        program: String,
        /// `category/name`.
        target: String,
        /// Reading `events/<category>/<name>/id`.
        #[source]
        source: std::io::Error,
    },
    /// rawbpf does not attach this kind yet.
    #[error("program {program}: rawbpf cannot attach {section_prefix} programs yet")]
    Unsupported {
        /// The program.
        program: String,
        /// The kind, as libbpf's section table names it (`kprobe`, `usdt`).
        section_prefix: &'static str,
    },
}

/// Attaches a program the way its kind requires; `None` for kinds libbpf does not attach on its
/// own (sockets, XDP, tc, cgroups...), and, as libbpf, for tracepoint and probe programs whose
/// section names no target (`SEC("kprobe")`): the caller chooses where they go.
pub fn attach(p: &LoadedProgram, obs: &mut dyn Observer) -> Result<Option<Link>, AttachError> {
    let method = p.kind.def.attach;
    if method == AttachMethod::Manual || (method != AttachMethod::Tracing && p.kind.attach_target.is_none()) {
        return Ok(None);
    }
    let link = match method {
        AttachMethod::Tracing => tracing::attach_tracing(p, obs)?,
        AttachMethod::RawTracepoint => tracing::attach_raw_tp(p)?,
        AttachMethod::Tracepoint => tracepoint::attach(p, obs)?,
        _ => return Err(AttachError::Unsupported { program: p.name.clone(), section_prefix: p.kind.def.kind_name() }),
    };
    obs.step(crate::progress::Step::Attached(&link));
    Ok(Some(link))
}

/// The attach target: as written in the section name, or as given at load time.
fn target_of(p: &LoadedProgram) -> String {
    p.kind.attach_target.clone().unwrap_or_default()
}

fn refused(p: &LoadedProgram, target: &str, e: SysError) -> AttachError {
    let (prog_type, attach_type) = (ProgType(p.kind.prog_type()), AttachType(p.kind.expected_attach_type()));
    let refusal = refusal::explain(&e, prog_type, attach_type, &Environment::detect());
    AttachError::Refused { program: p.name.clone(), target: target.to_owned(), refusal }
}
