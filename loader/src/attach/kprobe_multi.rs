//! `kprobe.multi/GLOB` and `kretprobe.multi/GLOB`: one `BPF_TRACE_KPROBE_MULTI` link (5.18+) on
//! every traceable kernel function the glob matches, as libbpf's `attach_kprobe_multi`.

use std::ffi::CString;

use nix::errno::Errno;

use super::probe_event::{ProbeFamily, ProbeVia};
use super::{ksyms, refused, target_of, AttachError, Link, Mechanism, Probe};
use crate::load::LoadedProgram;
use crate::sys;

/// Attaches a kprobe.multi program to the functions its glob matches.
pub fn attach(p: &LoadedProgram, retprobe: bool) -> Result<Link, AttachError> {
    let target = target_of(p);
    let names = ksyms::filter_functions_matching(&target)
        .map_err(|source| AttachError::FilterFunctions { program: p.name.clone(), source })?;
    if names.is_empty() {
        return Err(AttachError::NoFunctionMatches { program: p.name.clone(), pattern: target });
    }
    // Names come from a text file's whitespace-split words: they hold no NUL.
    let syms: Vec<CString> = names.iter().filter_map(|n| CString::new(n.as_str()).ok()).collect();
    let fd = sys::link_create_kprobe_multi(&p.fd, &syms, retprobe).map_err(|e| {
        // 5.18+ kernels built without CONFIG_FPROBE have the attach type and refuse it so.
        let since = crate::diagnose::caps::Environment::detect().kernel.is_some_and(|k| k >= (5, 18));
        if since && (e.is(Errno::EOPNOTSUPP) || e.is_enotsupp()) {
            AttachError::NoKprobeMulti { program: p.name.clone(), error: e }
        } else {
            refused(p, &target, e)
        }
    })?;
    let via = ProbeVia::Multi { functions: syms.len() };
    let first = names.into_iter().next().unwrap_or_default();
    let probe = Probe { family: ProbeFamily::Kernel, retprobe, location: first, symbol: None, offset: 0, via };
    Ok(Link {
        program: p.name.clone(),
        method: p.kind.def.attach,
        mechanism: Mechanism::KprobeMulti,
        target,
        tracepoint_id: None,
        fd,
        perf_event: None,
        probe: Some(probe),
        usdt: None,
    })
}
