//! Attaching loaded programs: the mechanism follows the program kind, with fallbacks for older
//! kernels. Every attachment is an fd rawbpf owns: dropping a `Link` detaches.

mod tracepoint;
mod tracing;

use std::os::fd::OwnedFd;

use crate::caps::Refusal;
use crate::load::LoadedProgram;
use crate::object::progtype::AttachMethod;
use crate::sys::SysError;

/// An attached program.
#[derive(Debug)]
pub struct Link {
    /// The program's name.
    pub program: String,
    /// How it was attached, for people (`BPF_LINK_CREATE`, `BPF_RAW_TRACEPOINT_OPEN`...).
    pub how: String,
    /// What it is attached to.
    pub target: String,
    /// The link (or raw tracepoint) fd.
    pub fd: OwnedFd,
    /// For tracepoints: the perf event the program hangs on; closed after the link.
    pub perf_event: Option<OwnedFd>,
}

/// Why a program could not be attached.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// The kernel refused.
    #[error("program {program}: attaching to {target} failed: {source}\n  {refusal}")]
    Refused {
        /// The program.
        program: String,
        /// The target.
        target: String,
        /// The syscall error.
        source: SysError,
        /// Why, in words.
        refusal: Refusal,
    },
    /// The tracepoint does not exist in tracefs.
    #[error("program {program}: tracepoint {target} not found ({reason}); list them in /sys/kernel/tracing/events")]
    NoTracepoint {
        /// The program.
        program: String,
        /// `category/name`.
        target: String,
        /// The I/O error.
        reason: String,
    },
    /// rawbpf does not attach this kind yet.
    #[error("program {program}: rawbpf cannot attach {what} programs yet (load it with --no-attach)")]
    Unsupported {
        /// The program.
        program: String,
        /// The kind.
        what: String,
    },
}

/// Attaches a program the way its kind requires; `None` for kinds rawbpf leaves to the user
/// (sockets, XDP, tc).
pub fn attach(p: &LoadedProgram) -> Result<Option<Link>, AttachError> {
    match p.kind.def.attach {
        AttachMethod::Tracing => tracing::attach_tracing(p).map(Some),
        AttachMethod::RawTracepoint => tracing::attach_raw_tp(p).map(Some),
        AttachMethod::Tracepoint => tracepoint::attach(p).map(Some),
        AttachMethod::Kprobe { .. } => {
            Err(AttachError::Unsupported { program: p.name.clone(), what: p.kind.def.prefix.to_owned() })
        }
        AttachMethod::Manual => Ok(None),
    }
}

/// The attach target as written in the section name.
fn target_of(p: &LoadedProgram) -> String {
    p.kind.attach_target.clone().unwrap_or_default()
}

fn refused(p: &LoadedProgram, target: &str, e: SysError) -> AttachError {
    let env = crate::caps::Environment::detect();
    let refusal = crate::caps::explain(
        &e,
        crate::sys::ProgType(p.kind.prog_type()),
        crate::sys::AttachType(p.kind.expected_attach_type()),
        &env,
    );
    AttachError::Refused { program: p.name.clone(), target: target.to_owned(), source: e, refusal }
}
