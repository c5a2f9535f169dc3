//! A refused call, in words: what happened and what to do about it.

use loader::diagnose::caps::LockdownMode;
use loader::diagnose::refusal::{needs_trampoline, Cause, NewerKind, Refusal};
use loader::sys::ProgType;

/// What may forbid a call that every capability allows.
pub const POLICY_SOURCES: &str =
    "kernel lockdown, an LSM such as SELinux/AppArmor/BPF-LSM, or a hypervisor/container policy";

/// `(cause, fix)` for a refusal.
pub fn words(r: &Refusal) -> (String, String) {
    let what = match r.attach_type.name() {
        Some(a) if needs_trampoline(r.prog_type, r.attach_type) || r.prog_type == ProgType::TRACING => {
            format!("{}/{a} program", r.prog_type)
        }
        _ => format!("{} program", r.prog_type),
    };
    let cmd = r.error.call;
    let pair = |c: String, f: &str| (c, f.to_owned());
    match &r.cause {
        Cause::MissingCapabilities { root } => {
            let who = if *root { "you are root but lack" } else { "not root, and missing" };
            pair(
                format!("{cmd} refused the {what}: {who} CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN)"),
                "run with sudo, or grant the binary cap_bpf,cap_perfmon+ep (setcap)",
            )
        }
        Cause::Policy { lockdown, trampoline } => {
            let cause = format!(
                "{cmd} refused the {what} although you have every capability it needs: a security policy forbids it \
                 ({POLICY_SOURCES}){}",
                lockdown_words(*lockdown)
            );
            let fix = if *trampoline {
                "fentry/fexit/lsm cannot run on this machine; use a tp_btf or raw_tp program, or try tests/vm/run demo"
            } else {
                "check the LSM audit log (dmesg, /var/log/audit) and the lockdown setting"
            };
            pair(cause, fix)
        }
        Cause::KernelTooOld { have, kind } => {
            let need = kind.since();
            pair(
                format!(
                    "this kernel ({}.{}) is too old for {}: they need {}.{} or newer",
                    have.0,
                    have.1,
                    kind_words(*kind),
                    need.0,
                    need.1
                ),
                "use a newer kernel, or a kprobe/raw_tp program; tests/vm/run demo boots one for you",
            )
        }
        other => plain(other, &what, &r.error.to_string(), cmd.name()),
    }
}

fn plain(cause: &Cause, what: &str, err: &str, cmd: &str) -> (String, String) {
    let (c, f): (String, &str) = match cause {
        Cause::VerifierRejected => (
            format!("the verifier rejected the {what}: it could not prove the program safe"),
            "read the verifier log above: the instruction marked >> failed, with its source line before it",
        ),
        Cause::Malformed => (
            format!("the kernel found the {what} malformed (bad attributes, instructions or BTF)"),
            "read the verifier log; check that the attach target exists in this kernel's BTF",
        ),
        Cause::UnknownAttributes => (
            format!("{cmd} sent attributes this kernel does not know (it is older than the feature used)"),
            "use a newer kernel, or drop the feature (cookies, token, newer flags)",
        ),
        Cause::NoTrampoline => (
            format!(
                "this kernel cannot build a BPF trampoline for the {what} (no ftrace direct calls on this arch/config)"
            ),
            "use a tp_btf or raw_tp program instead, or another kernel; try tests/vm/run demo",
        ),
        Cause::Unsupported => (
            format!("this kernel does not support {cmd} for the {what}"),
            "use another attach method (rawbpf falls back automatically where one exists)",
        ),
        Cause::NoAttachTarget => (
            format!("the attach target of the {what} is not in this kernel (ENOENT)"),
            "check the function or tracepoint name against /sys/kernel/btf/vmlinux or tracefs",
        ),
        Cause::KsymWithoutAddress { symbol } => (
            format!(
                "{cmd}: this kernel's BTF has the __ksym variable {symbol} but kallsyms has no address for it \
                 (the kernel was built with CONFIG_KALLSYMS_ALL=n)"
            ),
            "typed __ksym variables need a kernel with CONFIG_KALLSYMS_ALL=y; here read the value with a helper or \
             a kfunc instead",
        ),
        Cause::NoTarget => (
            format!("{cmd}: the target does not exist (no such tracepoint, function or object)"),
            "check the name against tracefs events/ or /sys/kernel/btf/vmlinux",
        ),
        Cause::Busy => (
            format!("{cmd}: the target already has a program attached that excludes this one"),
            "detach the other program (bpftool link / prog) or use a link-based attach",
        ),
        Cause::OutOfMemory => (
            format!("{cmd}: the kernel ran out of locked memory or could not allocate"),
            "on kernels before 5.11 raise RLIMIT_MEMLOCK (ulimit -l unlimited); otherwise free memory",
        ),
        Cause::NoBpfSyscall => {
            ("this kernel has no bpf() syscall (CONFIG_BPF_SYSCALL is off)".into(), "use a kernel built with BPF")
        }
        Cause::ContextTooLarge { tracepoint } => {
            return (
                format!("the program reads past the end of the {tracepoint} record (its context struct is too large)"),
                format!(
                    "declare the context from /sys/kernel/tracing/events/{tracepoint}/format and read only its fields"
                ),
            )
        }
        _ => (format!("{err} for the {what}"), "run with --verbose to see the attributes sent and the kernel's log"),
    };
    (c, f.to_owned())
}

/// What the lockdown setting says about a policy refusal, as a `; ...` clause.
pub fn lockdown_words(mode: Option<LockdownMode>) -> &'static str {
    match mode {
        Some(LockdownMode::Confidentiality) => {
            "; lockdown=confidentiality is active here and forbids reading kernel memory"
        }
        Some(LockdownMode::Integrity) => "; lockdown=integrity is active here",
        Some(LockdownMode::None) => "; lockdown=none, so the policy is an LSM or the hypervisor",
        None => "; lockdown is not reported here (no /sys/kernel/security/lockdown)",
    }
}

fn kind_words(kind: NewerKind) -> &'static str {
    match kind {
        NewerKind::Lsm => "BPF LSM programs",
        NewerKind::FentryFexit => "fentry/fexit programs",
        NewerKind::FmodRet => "fmod_ret programs",
        NewerKind::TpBtf => "tp_btf programs",
        NewerKind::KprobeMulti => "kprobe.multi links",
    }
}

/// `cause` then `  fix: ...` on the next line, as rawbpf prints a refusal under its error.
pub fn text(r: &Refusal) -> String {
    let (cause, fix) = words(r);
    format!("{cause}\n  fix: {fix}")
}

#[cfg(test)]
mod tests {
    use loader::diagnose::caps::{Caps, Environment};
    use loader::diagnose::refusal::explain;
    use loader::sys::{AttachType, Cmd, SysError};

    use super::*;

    fn env(caps: u64, root: bool, lockdown: Option<LockdownMode>) -> Environment {
        Environment { caps: Caps::from_mask(caps), root, lockdown, kernel: None }
    }

    #[test]
    fn eperm_without_caps_says_sudo() {
        let r = explain(
            &SysError::new(Cmd::ProgLoad, nix::libc::EPERM),
            ProgType::TRACING,
            AttachType::TRACE_FENTRY,
            &env(0, false, None),
        );
        let (cause, fix) = words(&r);
        assert_eq!(
            cause,
            "BPF_PROG_LOAD refused the tracing/trace_fentry program: not root, and missing CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN)"
        );
        assert!(fix.contains("sudo"), "{fix}");
    }

    #[test]
    fn eperm_with_every_cap_blames_policy_and_names_lockdown() {
        let all = Caps::from_mask(u64::MAX).raw;
        let e = SysError::new(Cmd::ProgLoad, nix::libc::EPERM);
        let r = explain(&e, ProgType::TRACING, AttachType::TRACE_FENTRY, &env(all, true, Some(LockdownMode::None)));
        let (cause, fix) = words(&r);
        assert!(
            cause.contains("security policy")
                && cause.ends_with("; lockdown=none, so the policy is an LSM or the hypervisor"),
            "{cause}"
        );
        assert!(fix.contains("tests/vm/run demo"), "{fix}");
        let r = explain(&e, ProgType::KPROBE, AttachType(0), &env(all, true, Some(LockdownMode::Confidentiality)));
        let (cause, fix) = words(&r);
        assert!(cause.contains("confidentiality") && !fix.contains("fentry"), "{cause} / {fix}");
    }

    #[test]
    fn a_kernel_too_old_is_named_with_both_versions() {
        let e = SysError::new(Cmd::ProgLoad, nix::libc::EINVAL);
        let old = Environment { kernel: Some((5, 4)), ..env(0, true, None) };
        let (cause, _) = words(&explain(&e, ProgType::TRACING, AttachType::TRACE_FENTRY, &old));
        assert_eq!(cause, "this kernel (5.4) is too old for fentry/fexit programs: they need 5.5 or newer");
    }
}
