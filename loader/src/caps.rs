//! Capabilities and lockdown: why the kernel may refuse, in words a person can act on.
//!
//! [`explain`] is a pure function of the failed syscall, the program type and the [`Environment`]
//! (capabilities, root, lockdown), so every branch is testable without the kernel.

use std::fmt;

use crate::sys::{AttachType, ProgType, SysError, ENOTSUPP};

/// `CAP_NET_ADMIN`.
pub const CAP_NET_ADMIN: u32 = 12;
/// `CAP_SYS_ADMIN`.
pub const CAP_SYS_ADMIN: u32 = 21;
/// `CAP_PERFMON` (5.8+).
pub const CAP_PERFMON: u32 = 38;
/// `CAP_BPF` (5.8+).
pub const CAP_BPF: u32 = 39;

/// The effective capabilities that matter for BPF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Caps {
    /// CAP_BPF.
    pub bpf: bool,
    /// CAP_PERFMON.
    pub perfmon: bool,
    /// CAP_SYS_ADMIN (implies the other two on kernels that predate them).
    pub sys_admin: bool,
    /// CAP_NET_ADMIN (networking program types).
    pub net_admin: bool,
    /// The whole `CapEff` mask.
    pub raw: u64,
}

impl Caps {
    /// Decodes a `CapEff` bit mask.
    pub fn from_mask(raw: u64) -> Caps {
        let has = |c: u32| raw & (1u64 << c) != 0;
        Caps {
            bpf: has(CAP_BPF),
            perfmon: has(CAP_PERFMON),
            sys_admin: has(CAP_SYS_ADMIN),
            net_admin: has(CAP_NET_ADMIN),
            raw,
        }
    }

    /// Reads `CapEff:` from the text of `/proc/<pid>/status`.
    pub fn from_status(status: &str) -> Option<Caps> {
        let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?.trim();
        u64::from_str_radix(hex, 16).ok().map(Caps::from_mask)
    }

    /// This process's effective capabilities.
    pub fn current() -> std::io::Result<Caps> {
        let status = std::fs::read_to_string("/proc/self/status")?;
        Caps::from_status(&status)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no CapEff line in /proc/self/status"))
    }

    /// Enough to load and attach tracing programs: CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN.
    pub fn can_trace(&self) -> bool {
        self.sys_admin || (self.bpf && self.perfmon)
    }
}

/// True when running as effective uid 0.
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Kernel lockdown mode (`/sys/kernel/security/lockdown`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockdownMode {
    /// No restrictions.
    None,
    /// Integrity: no writing kernel memory (`bpf_probe_write_user` is refused).
    Integrity,
    /// Confidentiality: no reading kernel memory either (`bpf_probe_read_kernel` & co. refused).
    Confidentiality,
}

impl LockdownMode {
    /// Parses the file's text: the active mode is the bracketed one (`[none] integrity confidentiality`).
    pub fn parse(text: &str) -> Option<LockdownMode> {
        let start = text.find('[')? + 1;
        let end = start + text[start..].find(']')?;
        match &text[start..end] {
            "none" => Some(LockdownMode::None),
            "integrity" => Some(LockdownMode::Integrity),
            "confidentiality" => Some(LockdownMode::Confidentiality),
            _ => None,
        }
    }

    /// The mode name as the kernel spells it.
    pub fn name(self) -> &'static str {
        match self {
            LockdownMode::None => "none",
            LockdownMode::Integrity => "integrity",
            LockdownMode::Confidentiality => "confidentiality",
        }
    }
}

/// The active lockdown mode, or `None` when the kernel has no lockdown LSM (or securityfs is absent).
pub fn lockdown() -> Option<LockdownMode> {
    std::fs::read_to_string("/sys/kernel/security/lockdown").ok().and_then(|t| LockdownMode::parse(&t))
}

/// What [`explain`] needs to know about the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Environment {
    /// Effective capabilities.
    pub caps: Caps,
    /// Effective uid 0.
    pub root: bool,
    /// Lockdown mode, if the kernel has lockdown.
    pub lockdown: Option<LockdownMode>,
    /// The running kernel's `(major, minor)`, from uname.
    pub kernel: Option<(u32, u32)>,
}

impl Environment {
    /// Reads capabilities, uid and lockdown of this process.
    pub fn detect() -> Environment {
        let kernel = nix::sys::utsname::uname().ok().and_then(|u| parse_release(&u.release().to_string_lossy()));
        Environment { caps: Caps::current().unwrap_or_default(), root: is_root(), lockdown: lockdown(), kernel }
    }
}

/// `(major, minor)` of a kernel release string such as `5.4.0-150-generic`.
pub fn parse_release(release: &str) -> Option<(u32, u32)> {
    let mut it = release.split(|c: char| !c.is_ascii_digit());
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// The first kernel that has this program kind, for the kinds that need a recent one.
fn minimum_kernel(prog_type: ProgType, attach_type: AttachType) -> Option<((u32, u32), &'static str)> {
    if prog_type == ProgType::LSM {
        return Some(((5, 7), "BPF LSM programs"));
    }
    match attach_type {
        AttachType::TRACE_FENTRY | AttachType::TRACE_FEXIT => Some(((5, 5), "fentry/fexit programs")),
        AttachType::MODIFY_RETURN => Some(((5, 7), "fmod_ret programs")),
        AttachType::TRACE_RAW_TP if prog_type == ProgType::TRACING => Some(((5, 5), "tp_btf programs")),
        _ => None,
    }
}

/// Why the kernel refused, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// What happened, in words.
    pub cause: String,
    /// What the user can do.
    pub fix: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  fix: {}", self.cause, self.fix)
    }
}

fn refusal(cause: impl Into<String>, fix: impl Into<String>) -> Refusal {
    Refusal { cause: cause.into(), fix: fix.into() }
}

/// True for the program kinds that need a BPF trampoline (fentry, fexit, fmod_ret, lsm, freplace).
pub fn needs_trampoline(prog_type: ProgType, attach_type: AttachType) -> bool {
    prog_type == ProgType::LSM
        || prog_type == ProgType::EXT
        || (prog_type == ProgType::TRACING
            && matches!(attach_type, AttachType::TRACE_FENTRY | AttachType::TRACE_FEXIT | AttachType::MODIFY_RETURN))
}

/// Explains a failed PROG_LOAD / LINK_CREATE / RAW_TRACEPOINT_OPEN / perf_event_open for a program of
/// `prog_type` / `attach_type`, given the environment.
pub fn explain(err: &SysError, prog_type: ProgType, attach_type: AttachType, env: &Environment) -> Refusal {
    let what = match attach_type.name() {
        Some(a) if needs_trampoline(prog_type, attach_type) || prog_type == ProgType::TRACING => {
            format!("{prog_type}/{a} program")
        }
        _ => format!("{prog_type} program"),
    };
    // EACCES from PROG_LOAD is the verifier's "unsafe program"; elsewhere it is a permission problem.
    if err.errno == libc::EPERM || (err.errno == libc::EACCES && err.cmd != "BPF_PROG_LOAD") {
        return permission(err, &what, prog_type, attach_type, env);
    }
    if let (Some(have), Some((need, kind))) = (env.kernel, minimum_kernel(prog_type, attach_type)) {
        if have < need && matches!(err.errno, libc::EINVAL | libc::E2BIG | ENOTSUPP | libc::EOPNOTSUPP) {
            return refusal(
                format!(
                    "this kernel ({}.{}) is too old for {kind}: they need {}.{} or newer",
                    have.0, have.1, need.0, need.1
                ),
                "use a newer kernel, or a kprobe/raw_tp program; tests/vm/run demo boots one for you",
            );
        }
    }
    match err.errno {
        libc::EACCES => refusal(
            format!("the verifier rejected the {what}: it could not prove the program safe"),
            "read the verifier log above: the instruction marked >> failed, with its source line before it",
        ),
        libc::EINVAL if err.cmd == "BPF_PROG_LOAD" => refusal(
            format!("the kernel found the {what} malformed (bad attributes, instructions or BTF)"),
            "read the verifier log; check that the attach target exists in this kernel's BTF",
        ),
        libc::E2BIG => refusal(
            format!("{} sent attributes this kernel does not know (it is older than the feature used)", err.cmd),
            "use a newer kernel, or drop the feature (cookies, token, newer flags)",
        ),
        ENOTSUPP | libc::EOPNOTSUPP if needs_trampoline(prog_type, attach_type) => refusal(
            format!(
                "this kernel cannot build a BPF trampoline for the {what} (no ftrace direct calls on this arch/config)"
            ),
            "use a tp_btf or raw_tp program instead, or another kernel; try tests/vm/run demo",
        ),
        ENOTSUPP | libc::EOPNOTSUPP => refusal(
            format!("this kernel does not support {} for the {what}", err.cmd),
            "use another attach method (rawbpf falls back automatically where one exists)",
        ),
        libc::ENOENT if err.cmd == "BPF_PROG_LOAD" => refusal(
            format!("the attach target of the {what} is not in this kernel (ENOENT)"),
            "check the function or tracepoint name against /sys/kernel/btf/vmlinux or tracefs",
        ),
        libc::ENOENT => refusal(
            format!("{}: the target does not exist (no such tracepoint, function or object)", err.cmd),
            "check the name against tracefs events/ or /sys/kernel/btf/vmlinux",
        ),
        libc::EBUSY | libc::EEXIST => refusal(
            format!("{}: the target already has a program attached that excludes this one", err.cmd),
            "detach the other program (bpftool link / prog) or use a link-based attach",
        ),
        libc::ENOMEM | libc::EAGAIN => refusal(
            format!("{}: the kernel ran out of locked memory or could not allocate", err.cmd),
            "on kernels before 5.11 raise RLIMIT_MEMLOCK (ulimit -l unlimited); otherwise free memory",
        ),
        libc::ENOSYS => {
            refusal("this kernel has no bpf() syscall (CONFIG_BPF_SYSCALL is off)", "use a kernel built with BPF")
        }
        _ => refusal(
            format!("{err} for the {what}"),
            "run with --verbose to see the attributes sent and the kernel's log",
        ),
    }
}

fn permission(err: &SysError, what: &str, prog_type: ProgType, attach_type: AttachType, env: &Environment) -> Refusal {
    let tracing =
        !matches!(prog_type, ProgType::SOCKET_FILTER | ProgType::SCHED_CLS | ProgType::SCHED_ACT | ProgType::XDP);
    let has_caps = if tracing { env.caps.can_trace() } else { env.caps.bpf || env.caps.sys_admin };
    if !has_caps {
        let who = if env.root { "you are root but lack" } else { "not root, and missing" };
        return refusal(
            format!("{} refused the {what}: {who} CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN)", err.cmd),
            "run with sudo, or grant the binary cap_bpf,cap_perfmon+ep (setcap)",
        );
    }
    let mut cause = format!(
        "{} refused the {what} although you have every capability it needs: a security policy forbids it \
         (kernel lockdown, an LSM such as SELinux/AppArmor/BPF-LSM, or a hypervisor/container policy)",
        err.cmd
    );
    match env.lockdown {
        Some(LockdownMode::Confidentiality) => {
            cause.push_str("; lockdown=confidentiality is active here and forbids reading kernel memory")
        }
        Some(LockdownMode::Integrity) => cause.push_str("; lockdown=integrity is active here"),
        Some(LockdownMode::None) => cause.push_str("; lockdown=none, so the policy is an LSM or the hypervisor"),
        None => cause.push_str("; lockdown is not reported here (no /sys/kernel/security/lockdown)"),
    }
    let fix = if needs_trampoline(prog_type, attach_type) {
        "fentry/fexit/lsm cannot run on this machine; use a tp_btf or raw_tp program, or try tests/vm/run demo"
    } else {
        "check the LSM audit log (dmesg, /var/log/audit) and the lockdown setting"
    };
    refusal(cause, fix)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: u64 = (1 << CAP_BPF) | (1 << CAP_PERFMON) | (1 << CAP_SYS_ADMIN) | (1 << CAP_NET_ADMIN);

    #[test]
    fn fentry_on_a_kernel_before_5_5_is_explained_as_too_old() {
        let env = Environment { kernel: Some((5, 4)), ..Default::default() };
        let err = SysError::new("BPF_PROG_LOAD", libc::EINVAL);
        let r = explain(&err, ProgType::TRACING, AttachType::TRACE_FENTRY, &env);
        assert_eq!(r.cause, "this kernel (5.4) is too old for fentry/fexit programs: they need 5.5 or newer");
        // The same errno on a new enough kernel is something else.
        let env = Environment { kernel: Some((6, 1)), ..env };
        assert!(!explain(&err, ProgType::TRACING, AttachType::TRACE_FENTRY, &env).cause.contains("too old"));
        assert_eq!(parse_release("5.4.0-150-generic"), Some((5, 4)));
        assert_eq!(parse_release("6.18.44-fc-v509"), Some((6, 18)));
    }

    #[test]
    fn cap_eff_is_decoded() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001fffeffffff\n";
        let c = Caps::from_status(status).unwrap();
        assert!(c.bpf && c.perfmon && c.sys_admin && c.net_admin);
        let c = Caps::from_status("CapEff:\t0000008000000000\n").unwrap(); // CAP_BPF only
        assert!(c.bpf && !c.perfmon && !c.sys_admin && !c.can_trace());
        assert!(Caps::from_status("CapEff: zz").is_none());
    }

    #[test]
    fn lockdown_takes_the_bracketed_mode() {
        assert_eq!(LockdownMode::parse("[none] integrity confidentiality\n"), Some(LockdownMode::None));
        assert_eq!(LockdownMode::parse("none integrity [confidentiality]"), Some(LockdownMode::Confidentiality));
        assert_eq!(LockdownMode::parse("none integrity"), None);
    }

    #[test]
    fn eperm_without_caps_says_sudo() {
        let env = Environment { caps: Caps::from_mask(0), root: false, lockdown: None, kernel: None };
        let e = SysError::new("BPF_PROG_LOAD", libc::EPERM);
        let r = explain(&e, ProgType::TRACING, AttachType::TRACE_FENTRY, &env);
        assert!(r.cause.contains("not root") && r.cause.contains("CAP_BPF+CAP_PERFMON"), "{r}");
        assert!(r.fix.contains("sudo"), "{r}");
    }

    #[test]
    fn eperm_with_every_cap_blames_policy() {
        let env =
            Environment { caps: Caps::from_mask(ALL), root: true, lockdown: Some(LockdownMode::None), kernel: None };
        let e = SysError::new("BPF_PROG_LOAD", libc::EPERM);
        let r = explain(&e, ProgType::TRACING, AttachType::TRACE_FENTRY, &env);
        assert!(r.cause.contains("security policy") && r.cause.contains("lockdown=none"), "{r}");
        assert!(!r.cause.contains("missing"), "{r}");
        assert!(r.fix.contains("tests/vm/run demo"), "{r}");
        let env = Environment { lockdown: Some(LockdownMode::Confidentiality), ..env };
        let r = explain(&e, ProgType::KPROBE, AttachType(0), &env);
        assert!(r.cause.contains("confidentiality") && !r.fix.contains("fentry"), "{r}");
    }

    #[test]
    fn other_errnos_have_their_own_story() {
        let env = Environment { caps: Caps::from_mask(ALL), root: true, lockdown: None, kernel: None };
        let r = explain(&SysError::new("BPF_PROG_LOAD", libc::EACCES), ProgType::SOCKET_FILTER, AttachType(0), &env);
        assert!(r.cause.contains("verifier"), "{r}");
        let r = explain(&SysError::new("BPF_LINK_CREATE", ENOTSUPP), ProgType::TRACING, AttachType::TRACE_FEXIT, &env);
        assert!(r.cause.contains("trampoline"), "{r}");
        let r = explain(&SysError::new("BPF_MAP_CREATE", libc::E2BIG), ProgType(0), AttachType(0), &env);
        assert!(r.cause.contains("older"), "{r}");
    }
}
