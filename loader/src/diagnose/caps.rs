//! What this process may do: effective capabilities, root, the kernel's lockdown mode and
//! release — the [`Environment`] a refusal is judged in.

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

/// What [`explain`](super::refusal::explain) needs to know about the machine.
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn releases_give_major_and_minor() {
        assert_eq!(parse_release("5.4.0-150-generic"), Some((5, 4)));
        assert_eq!(parse_release("6.18.44-fc-v509"), Some((6, 18)));
        assert_eq!(parse_release("garbage"), None);
    }

    #[test]
    fn lockdown_takes_the_bracketed_mode() {
        assert_eq!(LockdownMode::parse("[none] integrity confidentiality\n"), Some(LockdownMode::None));
        assert_eq!(LockdownMode::parse("none integrity [confidentiality]"), Some(LockdownMode::Confidentiality));
        assert_eq!(LockdownMode::parse("none integrity"), None);
    }
}
