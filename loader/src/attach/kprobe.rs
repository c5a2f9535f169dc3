//! kprobes, kretprobes and the syscall flavour (`ksyscall/clone`): a perf event on the kprobe
//! PMU (or a tracefs `kprobe_events` entry without it) with the program hung on it.

use nix::errno::Errno;

use super::probe_event::{self, DynamicEventError, ProbeAttachMode, ProbeFamily, ProbeSpec};
use super::{ksyms, probe_open_error, refused, target_of, AttachError, AttachOptions, Link, Probe, TargetProblem};
use crate::load::LoadedProgram;
use crate::progress::Observer;
use crate::sys::SysError;

/// A kprobe target as a section names it: `func` or `func+0x10`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KprobeTarget {
    /// The kernel function.
    pub func: String,
    /// Bytes into it.
    pub offset: u64,
}

/// Parses `func[+offset]`, the offset in decimal or `0x` hex (libbpf's `%m[a-zA-Z0-9_.]+%li`).
pub fn parse_target(s: &str) -> Result<KprobeTarget, TargetProblem> {
    let (func, offset) = match s.split_once('+') {
        Some((f, o)) => (f, parse_offset(o).ok_or(TargetProblem::BadOffset)?),
        None => (s, 0),
    };
    if func.is_empty() || !func.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
        return Err(TargetProblem::BadFunction);
    }
    Ok(KprobeTarget { func: func.to_owned(), offset })
}

/// A non-negative offset: decimal, `0x` hex or `0` octal, as `%li` reads it.
pub(super) fn parse_offset(s: &str) -> Option<u64> {
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if s.len() > 1 && s.starts_with('0') {
        return u64::from_str_radix(&s[1..], 8).ok();
    }
    s.parse().ok()
}

/// The kernel's prefix of syscall entry points, when it wraps them (libbpf's
/// `arch_specific_syscall_pfx` + `probe_kern_syscall_wrapper`): `__x64_sys_` on x86-64 since
/// 4.17, else plain `sys_`. Without the kprobe PMU the feature probe cannot run, so kallsyms
/// answers instead.
fn syscall_symbol(name: &str) -> String {
    if let Some(wrapped) = wrapper_of(name) {
        let has = if probe_event::pmu(ProbeFamily::Kernel).is_some() {
            crate::externs::probes::syscall_wrapper()
        } else {
            ksyms::kallsyms_has(&wrapped).unwrap_or(false)
        };
        if has {
            return wrapped;
        }
    }
    format!("sys_{name}")
}

/// `__<arch>_sys_NAME` for syscall NAME, on architectures whose wrappers libbpf knows.
fn wrapper_of(name: &str) -> Option<String> {
    crate::externs::probes::syscall_prefix().map(|pfx| format!("__{pfx}_sys_{name}"))
}

/// Attaches a kprobe/kretprobe (`syscall`: a ksyscall/kretsyscall, whose target is a syscall
/// name), `maxactive` kretprobe instances if given.
pub fn attach(
    p: &LoadedProgram,
    retprobe: bool,
    syscall: bool,
    opts: &AttachOptions,
    obs: &mut dyn Observer,
) -> Result<Link, AttachError> {
    let maxactive = opts.kretprobe_maxactive.filter(|_| retprobe);
    let target = target_of(p);
    let bad = |problem| AttachError::BadProbeTarget { program: p.name.clone(), target: target.clone(), problem };
    let t = parse_target(&target).map_err(bad)?;
    if retprobe && t.offset != 0 {
        return Err(bad(TargetProblem::RetprobeOffset));
    }
    if syscall && t.offset != 0 {
        return Err(bad(TargetProblem::SyscallOffset));
    }
    let func = if syscall { syscall_symbol(&t.func) } else { t.func.clone() };
    let mode = if maxactive.is_some() { ProbeAttachMode::Legacy } else { opts.probe_mode };
    let spec = ProbeSpec {
        family: ProbeFamily::Kernel,
        retprobe,
        name: &func,
        offset: t.offset,
        maxactive,
        mode,
        ref_ctr_offset: 0,
    };
    let (perf, via) = probe_event::open(&spec).map_err(|e| open_failed(p, &target, &func, t.offset, e))?;
    let (fd, mechanism) = match probe_event::hang(p, &perf, mode, 0, obs) {
        Ok(hung) => hung,
        Err(e) => {
            // The perf event first: a tracefs event in use cannot be removed.
            drop(perf);
            drop(via);
            return Err(refused(p, &target, e));
        }
    };
    let probe = Probe { family: ProbeFamily::Kernel, retprobe, location: func, symbol: None, offset: t.offset, via };
    Ok(Link {
        program: p.name.clone(),
        method: p.kind.def.attach,
        mechanism,
        target,
        tracepoint_id: None,
        fd,
        perf_event: Some(perf),
        probe: Some(probe),
        usdt: None,
    })
}

/// The error for a probe the kernel would not open: an unknown symbol is said as such (with
/// the syscall wrapper that exists, for `kprobe/sys_clone`), anything else is a refusal.
fn open_failed(p: &LoadedProgram, target: &str, func: &str, offset: u64, e: DynamicEventError) -> AttachError {
    let e = match probe_open_error(p, ProbeFamily::Kernel, e) {
        Ok(e) => e,
        Err(err) => return err,
    };
    // The kernel decodes the function up to the offset: EILSEQ when it lands inside an instruction.
    if offset != 0 && e.is(Errno::EILSEQ) {
        let problem = TargetProblem::NotInstructionBoundary;
        return AttachError::BadProbeTarget { program: p.name.clone(), target: target.to_owned(), problem };
    }
    if unknown_symbol(&e) && !ksyms::kallsyms_has(func).unwrap_or(true) {
        let wrapper =
            func.strip_prefix("sys_").and_then(wrapper_of).filter(|w| ksyms::kallsyms_has(w).unwrap_or(false));
        return AttachError::NoKernelSymbol { program: p.name.clone(), symbol: func.to_owned(), wrapper };
    }
    refused(p, target, e)
}

/// ENOENT (kprobe PMU, new tracefs) or EINVAL (older tracefs) is how a missing symbol comes back.
fn unknown_symbol(e: &SysError) -> bool {
    e.is(Errno::ENOENT) || e.is(Errno::EINVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_and_without_offsets() {
        let t = |f: &str, o| KprobeTarget { func: f.into(), offset: o };
        assert_eq!(parse_target("do_nanosleep"), Ok(t("do_nanosleep", 0)));
        assert_eq!(parse_target("do_nanosleep+0x10"), Ok(t("do_nanosleep", 16)));
        assert_eq!(parse_target("tcp_v4_connect+8"), Ok(t("tcp_v4_connect", 8)));
        assert_eq!(parse_target("func.cold+010"), Ok(t("func.cold", 8)));
        assert_eq!(parse_target("f+0x"), Err(TargetProblem::BadOffset));
        assert_eq!(parse_target("f+-1"), Err(TargetProblem::BadOffset));
        assert_eq!(parse_target("f+0x1g"), Err(TargetProblem::BadOffset));
        assert_eq!(parse_target("f+99999999999999999999"), Err(TargetProblem::BadOffset));
        assert_eq!(parse_target("+4"), Err(TargetProblem::BadFunction));
        assert_eq!(parse_target("a b"), Err(TargetProblem::BadFunction));
        assert_eq!(parse_target("a/b"), Err(TargetProblem::BadFunction));
    }

    #[test]
    fn wrappers_are_named_for_this_arch() {
        if std::env::consts::ARCH == "x86_64" {
            assert_eq!(wrapper_of("clone").as_deref(), Some("__x64_sys_clone"));
        }
    }
}
