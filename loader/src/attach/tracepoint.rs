//! Tracepoints (`tracepoint/<category>/<name>`): a perf event on the tracefs event id, with the
//! program hung on it by a perf link (5.15+) or, before that, `PERF_EVENT_IOC_SET_BPF`.

use std::os::fd::AsFd;

use tracing::{debug, info};

use super::{refused, target_of, AttachError, Link};
use crate::caps::Refusal;
use crate::load::LoadedProgram;
use crate::sys::{self, AttachType, LinkCreate};

/// Attaches a tracepoint program.
pub fn attach(p: &LoadedProgram) -> Result<Link, AttachError> {
    let target = target_of(p);
    let (category, name) = target.split_once('/').unwrap_or((&target, ""));
    let id = sys::tracepoint_id(category, name).map_err(|e| AttachError::NoTracepoint {
        program: p.name.clone(),
        target: target.clone(),
        reason: e.to_string(),
    })?;
    let perf = sys::perf_event_open_tracepoint(id).map_err(|e| refused(p, &target, e))?;
    let refused = |e: sys::SysError| {
        match e.errno {
            // The kernel compares how far the program reads into its context with the event's
            // record size; reading past it is EACCES, which is not a permission problem.
            libc::EACCES => AttachError::Refused {
                program: p.name.clone(),
                target: target.clone(),
                source: e,
                refusal: Refusal {
                    cause: format!(
                        "the program reads past the end of the {target} record (its context struct is too large)"
                    ),
                    fix: format!(
                        "declare the context from /sys/kernel/tracing/events/{target}/format and read only its fields"
                    ),
                },
            },
            _ => refused(p, &target, e),
        }
    };
    let mut req = LinkCreate::new(p.fd.as_fd(), AttachType::PERF_EVENT);
    req.target_fd = Some(perf.as_fd());
    let (fd, how) = match sys::link_create(&req) {
        Ok(fd) => (fd, "perf_event_open + BPF_LINK_CREATE"),
        Err(e) => {
            debug!(target: "rawbpf::attach", "{e}: falling back to PERF_EVENT_IOC_SET_BPF");
            sys::perf_event_set_bpf(perf.as_fd(), p.fd.as_fd()).map_err(refused)?;
            sys::perf_event_enable(perf.as_fd()).map_err(refused)?;
            // The perf event itself is the attachment; keep a duplicate as the link fd.
            let dup = perf
                .try_clone()
                .map_err(|e| refused(sys::SysError::new("dup", e.raw_os_error().unwrap_or(libc::EBADF))))?;
            (dup, "perf_event_open + PERF_EVENT_IOC_SET_BPF")
        }
    };
    info!(target: "rawbpf::attach", "{} attached to tracepoint {target} (id {id}) with {how}", p.name);
    Ok(Link { program: p.name.clone(), how: how.into(), target, fd, perf_event: Some(perf) })
}
