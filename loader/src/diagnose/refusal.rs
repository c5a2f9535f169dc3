//! Why the kernel refused a program (its load, or its attachment), classified from the failed
//! call, the program's kind and the [`Environment`]. A pure function of those, so every branch is
//! testable without a kernel; the binary puts each [`Cause`] into words.

use nix::errno::Errno;

use super::caps::{Environment, LockdownMode};
use crate::sys::{AttachType, Cmd, ProgType, SysError};

/// Program kinds that need a newer kernel than BPF itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewerKind {
    /// `BPF_PROG_TYPE_LSM` (5.7).
    Lsm,
    /// fentry / fexit (5.5).
    FentryFexit,
    /// fmod_ret (5.7).
    FmodRet,
    /// tp_btf (5.5).
    TpBtf,
    /// kprobe.multi / kretprobe.multi links (5.18).
    KprobeMulti,
}

impl NewerKind {
    /// The program kinds of `prog_type` / `attach_type` that need a recent kernel, if any.
    pub fn of(prog_type: ProgType, attach_type: AttachType) -> Option<NewerKind> {
        if prog_type == ProgType::LSM {
            return Some(NewerKind::Lsm);
        }
        match attach_type {
            AttachType::TRACE_FENTRY | AttachType::TRACE_FEXIT => Some(NewerKind::FentryFexit),
            AttachType::MODIFY_RETURN => Some(NewerKind::FmodRet),
            AttachType::TRACE_RAW_TP if prog_type == ProgType::TRACING => Some(NewerKind::TpBtf),
            AttachType::TRACE_KPROBE_MULTI => Some(NewerKind::KprobeMulti),
            _ => None,
        }
    }

    /// The first kernel release that has it.
    pub fn since(self) -> (u32, u32) {
        match self {
            NewerKind::Lsm | NewerKind::FmodRet => (5, 7),
            NewerKind::FentryFexit | NewerKind::TpBtf => (5, 5),
            NewerKind::KprobeMulti => (5, 18),
        }
    }
}

/// What a refusal means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// EPERM (or EACCES outside PROG_LOAD) without the capabilities the program type needs.
    MissingCapabilities {
        /// Effective uid 0 (root without the capabilities: a container or a dropped set).
        root: bool,
    },
    /// EPERM with every capability: lockdown, an LSM or a hypervisor policy.
    Policy {
        /// The lockdown mode, when the kernel reports one.
        lockdown: Option<LockdownMode>,
        /// The program needs a BPF trampoline (fentry, fexit, fmod_ret, lsm, freplace).
        trampoline: bool,
    },
    /// The kernel predates the program kind.
    KernelTooOld {
        /// The running kernel's release.
        have: (u32, u32),
        /// What the program is.
        kind: NewerKind,
    },
    /// EACCES from PROG_LOAD: the verifier could not prove the program safe.
    VerifierRejected,
    /// EINVAL from PROG_LOAD: bad attributes, instructions or BTF.
    Malformed,
    /// E2BIG: attributes this kernel does not know.
    UnknownAttributes,
    /// ENOTSUPP/EOPNOTSUPP for a program that needs a trampoline.
    NoTrampoline,
    /// ENOTSUPP/EOPNOTSUPP otherwise: the command is not supported for this program.
    Unsupported,
    /// ENOENT from PROG_LOAD: the attach target is not in this kernel.
    NoAttachTarget,
    /// ENOENT elsewhere: no such tracepoint, function or object.
    NoTarget,
    /// ENOENT from PROG_LOAD for a typed `__ksym` variable: the kernel has it in BTF but no
    /// address for it in kallsyms (`CONFIG_KALLSYMS_ALL=n`).
    KsymWithoutAddress {
        /// The variable.
        symbol: String,
    },
    /// EBUSY/EEXIST: the target already has a program that excludes this one.
    Busy,
    /// ENOMEM/EAGAIN: out of (locked) memory.
    OutOfMemory,
    /// ENOSYS: no bpf() syscall (CONFIG_BPF_SYSCALL off).
    NoBpfSyscall,
    /// EACCES from a tracepoint attach: the program's context is larger than the event's record.
    ContextTooLarge {
        /// `category/name`.
        tracepoint: String,
    },
    /// Anything else.
    Other,
}

/// A refused call with its meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The failed call.
    pub error: SysError,
    /// The program's type.
    pub prog_type: ProgType,
    /// The program's expected attach type.
    pub attach_type: AttachType,
    /// What it means.
    pub cause: Cause,
}

/// True for the program kinds that need a BPF trampoline (fentry, fexit, fmod_ret, lsm, freplace).
pub fn needs_trampoline(prog_type: ProgType, attach_type: AttachType) -> bool {
    prog_type == ProgType::LSM
        || prog_type == ProgType::EXT
        || (prog_type == ProgType::TRACING
            && matches!(attach_type, AttachType::TRACE_FENTRY | AttachType::TRACE_FEXIT | AttachType::MODIFY_RETURN))
}

/// Classifies a failed PROG_LOAD / LINK_CREATE / RAW_TRACEPOINT_OPEN / perf_event_open for a
/// program of `prog_type` / `attach_type` in `env`.
pub fn explain(error: &SysError, prog_type: ProgType, attach_type: AttachType, env: &Environment) -> Refusal {
    Refusal { error: *error, prog_type, attach_type, cause: cause(error, prog_type, attach_type, env) }
}

fn cause(err: &SysError, prog_type: ProgType, attach_type: AttachType, env: &Environment) -> Cause {
    let prog_load = err.is_cmd(Cmd::ProgLoad);
    // EACCES from PROG_LOAD is the verifier's "unsafe program"; elsewhere it is a permission problem.
    if err.is(Errno::EPERM) || (err.is(Errno::EACCES) && !prog_load) {
        return permission(prog_type, attach_type, env);
    }
    let unsupported = err.is_enotsupp() || err.is(Errno::EOPNOTSUPP);
    if let (Some(have), Some(kind)) = (env.kernel, NewerKind::of(prog_type, attach_type)) {
        if have < kind.since() && (unsupported || err.is(Errno::EINVAL) || err.is(Errno::E2BIG)) {
            return Cause::KernelTooOld { have, kind };
        }
    }
    if unsupported {
        return if needs_trampoline(prog_type, attach_type) { Cause::NoTrampoline } else { Cause::Unsupported };
    }
    match err.errno() {
        Errno::EACCES => Cause::VerifierRejected,
        Errno::EINVAL if prog_load => Cause::Malformed,
        Errno::E2BIG => Cause::UnknownAttributes,
        Errno::ENOENT if prog_load => Cause::NoAttachTarget,
        Errno::ENOENT => Cause::NoTarget,
        Errno::EBUSY | Errno::EEXIST => Cause::Busy,
        Errno::ENOMEM | Errno::EAGAIN => Cause::OutOfMemory,
        Errno::ENOSYS => Cause::NoBpfSyscall,
        _ => Cause::Other,
    }
}

fn permission(prog_type: ProgType, attach_type: AttachType, env: &Environment) -> Cause {
    let tracing =
        !matches!(prog_type, ProgType::SOCKET_FILTER | ProgType::SCHED_CLS | ProgType::SCHED_ACT | ProgType::XDP);
    let has_caps = if tracing { env.caps.can_trace() } else { env.caps.bpf || env.caps.sys_admin };
    if !has_caps {
        return Cause::MissingCapabilities { root: env.root };
    }
    Cause::Policy { lockdown: env.lockdown, trampoline: needs_trampoline(prog_type, attach_type) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::caps::{Caps, CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, CAP_SYS_ADMIN};
    use crate::sys::{Call, ENOTSUPP};

    const ALL: u64 = (1 << CAP_BPF) | (1 << CAP_PERFMON) | (1 << CAP_SYS_ADMIN) | (1 << CAP_NET_ADMIN);

    fn root_with_all() -> Environment {
        Environment { caps: Caps::from_mask(ALL), root: true, lockdown: None, kernel: None }
    }

    fn cause_of(call: impl Into<Call>, errno: i32, p: ProgType, a: AttachType, env: &Environment) -> Cause {
        explain(&SysError::new(call, errno), p, a, env).cause
    }

    #[test]
    fn fentry_on_a_kernel_before_5_5_is_too_old() {
        let env = Environment { kernel: Some((5, 4)), ..root_with_all() };
        let c = cause_of(Cmd::ProgLoad, libc::EINVAL, ProgType::TRACING, AttachType::TRACE_FENTRY, &env);
        assert_eq!(c, Cause::KernelTooOld { have: (5, 4), kind: NewerKind::FentryFexit });
        // The same errno on a new enough kernel is something else.
        let env = Environment { kernel: Some((6, 1)), ..env };
        let c = cause_of(Cmd::ProgLoad, libc::EINVAL, ProgType::TRACING, AttachType::TRACE_FENTRY, &env);
        assert_eq!(c, Cause::Malformed);
    }

    #[test]
    fn eperm_without_caps_is_missing_capabilities() {
        let env = Environment { caps: Caps::from_mask(0), root: false, lockdown: None, kernel: None };
        let c = cause_of(Cmd::ProgLoad, libc::EPERM, ProgType::TRACING, AttachType::TRACE_FENTRY, &env);
        assert_eq!(c, Cause::MissingCapabilities { root: false });
        // A socket filter needs only CAP_BPF.
        let env = Environment { caps: Caps::from_mask(1 << CAP_BPF), ..env };
        let c = cause_of(Cmd::ProgLoad, libc::EPERM, ProgType::SOCKET_FILTER, AttachType(0), &env);
        assert!(matches!(c, Cause::Policy { .. }), "{c:?}");
    }

    #[test]
    fn eperm_with_every_cap_is_a_policy() {
        let env = Environment { lockdown: Some(LockdownMode::None), ..root_with_all() };
        let c = cause_of(Cmd::ProgLoad, libc::EPERM, ProgType::TRACING, AttachType::TRACE_FENTRY, &env);
        assert_eq!(c, Cause::Policy { lockdown: Some(LockdownMode::None), trampoline: true });
        let env = Environment { lockdown: Some(LockdownMode::Confidentiality), ..env };
        let c = cause_of(Cmd::ProgLoad, libc::EPERM, ProgType::KPROBE, AttachType(0), &env);
        assert_eq!(c, Cause::Policy { lockdown: Some(LockdownMode::Confidentiality), trampoline: false });
        // EACCES outside PROG_LOAD is a permission problem too.
        let c = cause_of(Call::PerfEventOpen, libc::EACCES, ProgType::KPROBE, AttachType(0), &env);
        assert!(matches!(c, Cause::Policy { .. }), "{c:?}");
    }

    #[test]
    fn other_errnos_have_their_own_cause() {
        let env = root_with_all();
        let none = AttachType(0);
        assert_eq!(cause_of(Cmd::ProgLoad, libc::EACCES, ProgType::SOCKET_FILTER, none, &env), Cause::VerifierRejected);
        let fexit = AttachType::TRACE_FEXIT;
        assert_eq!(cause_of(Cmd::LinkCreate, ENOTSUPP, ProgType::TRACING, fexit, &env), Cause::NoTrampoline);
        assert_eq!(cause_of(Cmd::LinkCreate, libc::EOPNOTSUPP, ProgType::KPROBE, none, &env), Cause::Unsupported);
        assert_eq!(cause_of(Cmd::MapCreate, libc::E2BIG, ProgType(0), none, &env), Cause::UnknownAttributes);
        assert_eq!(cause_of(Cmd::ProgLoad, libc::ENOENT, ProgType::TRACING, fexit, &env), Cause::NoAttachTarget);
        assert_eq!(cause_of(Cmd::LinkCreate, libc::ENOENT, ProgType::TRACING, fexit, &env), Cause::NoTarget);
        assert_eq!(cause_of(Cmd::LinkCreate, libc::EBUSY, ProgType::TRACING, fexit, &env), Cause::Busy);
        assert_eq!(cause_of(Cmd::MapCreate, libc::ENOMEM, ProgType(0), none, &env), Cause::OutOfMemory);
        assert_eq!(cause_of(Cmd::ProgLoad, libc::ENOSYS, ProgType(0), none, &env), Cause::NoBpfSyscall);
        assert_eq!(cause_of(Cmd::ProgLoad, libc::EFAULT, ProgType(0), none, &env), Cause::Other);
    }
}
