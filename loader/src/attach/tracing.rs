//! fentry, fexit, fmod_ret, tp_btf, lsm (target fixed at load time) and raw tracepoints.

use std::ffi::CString;
use std::os::fd::AsFd;

use tracing::{debug, info};

use super::{refused, target_of, AttachError, Link};
use crate::load::LoadedProgram;
use crate::sys::{self, AttachType, LinkCreate};

/// `BPF_LINK_CREATE` (5.8+), falling back to `BPF_RAW_TRACEPOINT_OPEN` with no name, which older
/// kernels use for tracing programs.
pub fn attach_tracing(p: &LoadedProgram) -> Result<Link, AttachError> {
    let target = target_of(p);
    let req = LinkCreate::new(p.fd.as_fd(), AttachType(p.kind.expected_attach_type()));
    let (fd, how) = match sys::link_create(&req) {
        Ok(fd) => (fd, "BPF_LINK_CREATE"),
        Err(e) if matches!(e.errno, libc::EINVAL | libc::EOPNOTSUPP) => {
            debug!(target: "rawbpf::attach", "{e}: falling back to BPF_RAW_TRACEPOINT_OPEN");
            let fd = sys::raw_tracepoint_open(None, p.fd.as_fd()).map_err(|e| refused(p, &target, e))?;
            (fd, "BPF_RAW_TRACEPOINT_OPEN")
        }
        Err(e) => return Err(refused(p, &target, e)),
    };
    info!(target: "rawbpf::attach", "{} attached to {target} with {how}", p.name);
    Ok(Link { program: p.name.clone(), how: how.into(), target, fd, perf_event: None })
}

/// `BPF_RAW_TRACEPOINT_OPEN` by tracepoint name.
pub fn attach_raw_tp(p: &LoadedProgram) -> Result<Link, AttachError> {
    let target = target_of(p);
    let name = CString::new(target.clone()).unwrap_or_default();
    let fd = sys::raw_tracepoint_open(Some(&name), p.fd.as_fd()).map_err(|e| refused(p, &target, e))?;
    info!(target: "rawbpf::attach", "{} attached to raw tracepoint {target}", p.name);
    Ok(Link { program: p.name.clone(), how: "BPF_RAW_TRACEPOINT_OPEN".into(), target, fd, perf_event: None })
}
