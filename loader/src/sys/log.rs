//! Kernel log buffers for PROG_LOAD and BTF_LOAD: when to ask for a log, how to grow the buffer,
//! and the error that carries the text.
//!
//! Policy: with [`LogLevel::OnFailure`] the first attempt has no buffer (fast, and a verifier log can
//! be megabytes); only if it fails is the load repeated at level 1 with a 64 KiB buffer, grown on
//! `ENOSPC` up to 16 MiB. The errno reported is the first attempt's: that is the kernel's verdict.

use std::fmt;
use std::os::fd::OwnedFd;

use nix::errno::Errno;

use super::error::SysError;

/// First log buffer size.
pub const LOG_START: usize = 64 * 1024;
/// Largest log buffer rawbpf will allocate.
pub const LOG_MAX: usize = 16 * 1024 * 1024;

/// When to ask the kernel for a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// No log on the first try; on failure, retry at level 1 to get one.
    #[default]
    OnFailure,
    /// Always log at this level (1 = verifier steps, 2 = every state, 4 = stats; may be or-ed).
    Always(u32),
}

/// A successful load: the new object and, if one was requested, the log.
#[derive(Debug)]
pub struct Loaded<F = OwnedFd> {
    /// The program or BTF object.
    pub fd: F,
    /// The kernel's log text, when [`LogLevel::Always`] asked for it.
    pub log: Option<String>,
}

impl Loaded {
    /// The same load with its fd typed.
    pub fn map_fd<F>(self, typed: impl FnOnce(OwnedFd) -> F) -> Loaded<F> {
        Loaded { fd: typed(self.fd), log: self.log }
    }
}

/// A refused PROG_LOAD or BTF_LOAD with the kernel's log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LoggedError {
    /// The command and the kernel's errno for the load itself.
    pub sys: SysError,
    /// The verifier (or BTF checker) log; empty if the kernel wrote none.
    pub log: String,
    /// True when the log outgrew [`LOG_MAX`] and was cut.
    pub truncated: bool,
}

impl LoggedError {
    /// The errno of the load.
    pub fn errno(&self) -> nix::errno::Errno {
        self.sys.errno()
    }

    /// The last non-empty log line: usually the verifier's reason.
    pub fn last_log_line(&self) -> Option<&str> {
        self.log.lines().rev().find(|l| !l.trim().is_empty())
    }
}

impl fmt::Display for LoggedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sys)?;
        match self.last_log_line() {
            None => write!(f, "; the kernel wrote no log"),
            Some(last) => {
                let n = self.log.lines().count();
                let cut = if self.truncated { ", truncated" } else { "" };
                write!(f, "; log ({n} lines{cut}) ends with: {}", last.trim())
            }
        }
    }
}

/// One load attempt: `(log_level, buffer)` → the result and the kernel's `log_true_size`
/// (0 if the kernel does not report it).
pub(super) type Attempt<'a> = dyn FnMut(u32, &mut [u8]) -> (Result<OwnedFd, SysError>, u32) + 'a;

/// Runs `attempt` under the log policy `level`.
pub(super) fn with_log(level: LogLevel, attempt: &mut Attempt<'_>) -> Result<Loaded, LoggedError> {
    let level = match level {
        LogLevel::OnFailure => match attempt(0, &mut []).0 {
            Ok(fd) => return Ok(Loaded { fd, log: None }),
            Err(first) => return retry_for_log(first, attempt),
        },
        LogLevel::Always(level) => level.max(1),
    };
    let mut size = LOG_START;
    loop {
        let mut buf = vec![0u8; size];
        let (r, true_size) = attempt(level, &mut buf);
        let text = super::bpf::c_text(&buf);
        match r {
            Ok(fd) => return Ok(Loaded { fd, log: Some(text) }),
            Err(e) if e.is(Errno::ENOSPC) && size < LOG_MAX => size = next_size(size, true_size),
            Err(e) => return Err(LoggedError { sys: e, log: text, truncated: e.is(Errno::ENOSPC) }),
        }
    }
}

/// After a log-less failure, loads again with a log to show why. The first errno is the verdict
/// reported; if the retry loads (the failure was transient), its object is returned instead.
fn retry_for_log(first: SysError, attempt: &mut Attempt<'_>) -> Result<Loaded, LoggedError> {
    let mut size = LOG_START;
    loop {
        let mut buf = vec![0u8; size];
        let (r, true_size) = attempt(1, &mut buf);
        let log = super::bpf::c_text(&buf);
        match r {
            Ok(fd) => return Ok(Loaded { fd, log: Some(log) }),
            Err(e) if e.is(Errno::ENOSPC) && size < LOG_MAX => size = next_size(size, true_size),
            Err(e) => return Err(LoggedError { sys: first, log, truncated: e.is(Errno::ENOSPC) }),
        }
    }
}

/// The next buffer size: what the kernel said it needs (6.4+), else double; capped at LOG_MAX.
fn next_size(size: usize, true_size: u32) -> usize {
    let wanted = if true_size as usize > size { true_size as usize } else { size * 2 };
    wanted.min(LOG_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::Cmd;

    fn fd() -> OwnedFd {
        std::fs::File::open("/dev/null").unwrap().into()
    }

    fn fill(buf: &mut [u8], text: &str) {
        buf[..text.len()].copy_from_slice(text.as_bytes());
    }

    #[test]
    fn on_failure_tries_without_log_then_grows_until_it_fits() {
        let mut calls = Vec::new();
        let needed = 200_000u32;
        let err = with_log(LogLevel::OnFailure, &mut |level, buf: &mut [u8]| {
            calls.push((level, buf.len()));
            if level == 0 {
                return (Err(SysError::new(Cmd::ProgLoad, libc::EACCES)), 0);
            }
            if buf.len() < needed as usize {
                fill(buf, "partial");
                return (Err(SysError::new(Cmd::ProgLoad, libc::ENOSPC)), needed);
            }
            fill(buf, "0: R0 !read_ok\nprocessed 1 insns\n");
            (Err(SysError::new(Cmd::ProgLoad, libc::EACCES)), 0)
        })
        .unwrap_err();
        assert_eq!(calls, vec![(0, 0), (1, LOG_START), (1, needed as usize)]);
        assert_eq!(err.errno(), Errno::EACCES);
        assert!(!err.truncated);
        assert_eq!(err.last_log_line(), Some("processed 1 insns"));
        assert!(err.to_string().starts_with("BPF_PROG_LOAD failed: EACCES"), "{err}");
    }

    #[test]
    fn growth_stops_at_the_cap_and_marks_truncation() {
        let mut sizes = Vec::new();
        let err = with_log(LogLevel::Always(2), &mut |level, buf: &mut [u8]| {
            assert_eq!(level, 2);
            sizes.push(buf.len());
            (Err(SysError::new(Cmd::ProgLoad, libc::ENOSPC)), 0)
        })
        .unwrap_err();
        assert_eq!(*sizes.last().unwrap(), LOG_MAX);
        assert_eq!(sizes.len(), 9); // 64 KiB doubled 8 times is 16 MiB
        assert!(err.truncated);
    }

    #[test]
    fn always_returns_the_log_on_success() {
        let ok = with_log(LogLevel::Always(1), &mut |_, buf: &mut [u8]| {
            fill(buf, "verification time 5 usec");
            (Ok(fd()), 0)
        })
        .unwrap();
        assert_eq!(ok.log.as_deref(), Some("verification time 5 usec"));
        let quiet = with_log(LogLevel::OnFailure, &mut |_, _: &mut [u8]| (Ok(fd()), 0)).unwrap();
        assert!(quiet.log.is_none());
        // A transient first failure: the retry's object is kept, with its log.
        let retried = with_log(LogLevel::OnFailure, &mut |level, buf: &mut [u8]| {
            if level == 0 {
                return (Err(SysError::new(Cmd::ProgLoad, libc::EAGAIN)), 0);
            }
            fill(buf, "ok");
            (Ok(fd()), 0)
        })
        .unwrap();
        assert_eq!(retried.log.as_deref(), Some("ok"));
    }
}
