//! Tracepoints (`tracepoint/<category>/<name>`): a perf event on the tracefs event id, with the
//! program hung on it by a perf link (5.15+) or, before that, `PERF_EVENT_IOC_SET_BPF`.

use nix::errno::Errno;

use super::{refused, target_of, AttachError, Link};
use crate::diagnose::refusal::Cause;
use crate::load::LoadedProgram;
use crate::progress::Observer;
use crate::sys::{self, SysError};

/// Attaches a tracepoint program.
pub fn attach(p: &LoadedProgram, obs: &mut dyn Observer) -> Result<Link, AttachError> {
    let target = target_of(p);
    let (category, name) = target.split_once('/').unwrap_or((&target, ""));
    let id = sys::tracepoint_id(category, name).map_err(|source| AttachError::NoTracepoint {
        program: p.name.clone(),
        target: target.clone(),
        source,
    })?;
    let perf = sys::perf_event_open_tracepoint(id).map_err(|e| refused(p, &target, e))?;
    let refused = |e: SysError| {
        let mut err = refused(p, &target, e);
        // The kernel compares how far the program reads into its context with the event's
        // record size; reading past it is EACCES, which is not a permission problem.
        if let AttachError::Refused { refusal, .. } = &mut err {
            if e.is(Errno::EACCES) {
                refusal.cause = Cause::ContextTooLarge { tracepoint: target.clone() };
            }
        }
        err
    };
    let (fd, mechanism) =
        super::probe_event::hang(p, &perf, super::ProbeAttachMode::Default, 0, obs).map_err(refused)?;
    Ok(Link {
        program: p.name.clone(),
        method: p.kind.def.attach,
        mechanism,
        target,
        tracepoint_id: Some(id),
        fd,
        perf_event: Some(perf),
        probe: None,
        usdt: None,
    })
}
