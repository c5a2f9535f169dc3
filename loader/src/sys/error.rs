//! `SysError`: which call failed and with which errno. Names and texts of errnos come from nix's
//! `Errno`, except the kernel-internal `ENOTSUPP`, which no libc knows.

use nix::errno::Errno;

use super::bpf::Cmd;

/// The kernel-internal `ENOTSUPP` (524): leaks out of bpf() on some paths, unknown to libc.
pub const ENOTSUPP: i32 = 524;

/// A perf event ioctl.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PerfIoctl {
    /// `PERF_EVENT_IOC_SET_BPF`: hang a program on the event.
    SetBpf,
    /// `PERF_EVENT_IOC_ENABLE`.
    Enable,
    /// `PERF_EVENT_IOC_DISABLE`.
    Disable,
}

/// The call that failed: a bpf() command or another syscall rawbpf makes for BPF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// `bpf(cmd, ...)`.
    Bpf(Cmd),
    /// `perf_event_open()`.
    PerfEventOpen,
    /// `ioctl()` on a perf event fd.
    PerfIoctl(PerfIoctl),
    /// `dup()` of an fd rawbpf holds.
    Dup,
    /// `mmap()` of a perf ring or a BPF ring buffer.
    Mmap,
    /// `epoll_create1()`.
    EpollCreate,
    /// `epoll_ctl()`.
    EpollCtl,
    /// `epoll_wait()`.
    EpollWait,
    /// A `write()` defining or removing a kprobe in tracefs `kprobe_events`.
    KprobeEventsWrite,
    /// A `write()` defining or removing a uprobe in tracefs `uprobe_events`.
    UprobeEventsWrite,
}

impl Call {
    /// The name the kernel headers give it (`BPF_PROG_LOAD`, `perf_event_open`...).
    pub fn name(self) -> &'static str {
        match self {
            Call::Bpf(cmd) => cmd.name(),
            Call::PerfEventOpen => "perf_event_open",
            Call::PerfIoctl(PerfIoctl::SetBpf) => "PERF_EVENT_IOC_SET_BPF",
            Call::PerfIoctl(PerfIoctl::Enable) => "PERF_EVENT_IOC_ENABLE",
            Call::PerfIoctl(PerfIoctl::Disable) => "PERF_EVENT_IOC_DISABLE",
            Call::Dup => "dup",
            Call::Mmap => "mmap",
            Call::EpollCreate => "epoll_create1",
            Call::EpollCtl => "epoll_ctl",
            Call::EpollWait => "epoll_wait",
            Call::KprobeEventsWrite => "write(kprobe_events)",
            Call::UprobeEventsWrite => "write(uprobe_events)",
        }
    }
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl From<Cmd> for Call {
    fn from(cmd: Cmd) -> Call {
        Call::Bpf(cmd)
    }
}

/// A failed call and its errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{call} failed: {} ({})", self.errno_name(), self.errno_text())]
pub struct SysError {
    /// What was called.
    pub call: Call,
    errno: i32,
}

impl SysError {
    /// A failure of `call` with the positive errno value `errno`.
    pub fn new(call: impl Into<Call>, errno: i32) -> Self {
        SysError { call: call.into(), errno }
    }

    /// The errno (`Errno::UnknownErrno` for the kernel-internal ENOTSUPP: see [`Self::is_enotsupp`]).
    pub fn errno(&self) -> Errno {
        Errno::from_raw(self.errno)
    }

    /// The errno as the kernel returned it.
    pub fn raw_errno(&self) -> i32 {
        self.errno
    }

    /// Whether the errno is `errno`.
    pub fn is(&self, errno: Errno) -> bool {
        self.errno == errno as i32
    }

    /// Whether the kernel answered with its internal `ENOTSUPP` (524).
    pub fn is_enotsupp(&self) -> bool {
        self.errno == ENOTSUPP
    }

    /// Whether `call` is the bpf() command `cmd`.
    pub fn is_cmd(&self, cmd: Cmd) -> bool {
        self.call == Call::Bpf(cmd)
    }

    /// The symbolic errno name (`EPERM`, `ENOTSUPP`).
    pub fn errno_name(&self) -> String {
        match self.errno() {
            _ if self.is_enotsupp() => "ENOTSUPP".into(),
            Errno::UnknownErrno => format!("errno {}", self.errno),
            e => format!("{e:?}"),
        }
    }

    /// The errno's text (strerror).
    pub fn errno_text(&self) -> &'static str {
        if self.is_enotsupp() {
            return "Operation not supported by this kernel";
        }
        self.errno().desc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_command_errno_and_text() {
        let e = SysError::new(Cmd::ProgLoad, libc::EPERM);
        assert_eq!(e.to_string(), "BPF_PROG_LOAD failed: EPERM (Operation not permitted)");
        assert!(e.is(Errno::EPERM) && e.is_cmd(Cmd::ProgLoad));
        assert_eq!(SysError::new(Call::PerfEventOpen, libc::EOPNOTSUPP).errno_name(), "EOPNOTSUPP");
    }

    #[test]
    fn kernel_internal_enotsupp_is_named() {
        let e = SysError::new(Cmd::LinkCreate, ENOTSUPP);
        assert_eq!(e.to_string(), "BPF_LINK_CREATE failed: ENOTSUPP (Operation not supported by this kernel)");
        assert_eq!(SysError::new(Call::Dup, 9999).errno_name(), "errno 9999");
    }
}
