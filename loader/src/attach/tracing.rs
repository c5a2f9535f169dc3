//! fentry, fexit, fmod_ret, tp_btf, lsm (target fixed at load time) and raw tracepoints.

use std::ffi::CString;

use nix::errno::Errno;

use super::{refused, target_of, AttachError, Link, Mechanism};
use crate::load::LoadedProgram;
use crate::progress::{Observer, Step};
use crate::sys::{self, AttachType, LinkCreate};

/// `BPF_LINK_CREATE` (5.8+), falling back to `BPF_RAW_TRACEPOINT_OPEN` with no name, which older
/// kernels use for tracing programs.
pub fn attach_tracing(p: &LoadedProgram, obs: &mut dyn Observer) -> Result<Link, AttachError> {
    let target = target_of(p);
    let req = LinkCreate::new(&p.fd, AttachType(p.kind.expected_attach_type()));
    let (fd, mechanism) = match sys::link_create(&req) {
        Ok(fd) => (fd, Mechanism::LinkCreate),
        Err(e) if e.is(Errno::EINVAL) || e.is(Errno::EOPNOTSUPP) => {
            let to = Mechanism::RawTracepointOpen;
            obs.step(Step::AttachFallback { program: &p.name, from: Mechanism::LinkCreate, to, error: &e });
            (sys::raw_tracepoint_open(None, &p.fd).map_err(|e| refused(p, &target, e))?, to)
        }
        Err(e) => return Err(refused(p, &target, e)),
    };
    Ok(Link {
        program: p.name.clone(),
        method: p.kind.def.attach,
        mechanism,
        target,
        tracepoint_id: None,
        fd,
        perf_event: None,
        probe: None,
        usdt: None,
    })
}

/// `BPF_RAW_TRACEPOINT_OPEN` by tracepoint name.
pub fn attach_raw_tp(p: &LoadedProgram) -> Result<Link, AttachError> {
    let target = target_of(p);
    let name = CString::new(target.clone()).unwrap_or_default();
    let fd = sys::raw_tracepoint_open(Some(&name), &p.fd).map_err(|e| refused(p, &target, e))?;
    Ok(Link {
        program: p.name.clone(),
        method: p.kind.def.attach,
        mechanism: Mechanism::RawTracepointOpen,
        target,
        tracepoint_id: None,
        fd,
        perf_event: None,
        probe: None,
        usdt: None,
    })
}
