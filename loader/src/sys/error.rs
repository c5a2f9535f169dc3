//! `SysError`: which syscall failed and with which errno, printed the way a person reads it.

use std::io;

/// A failed syscall: the command name (`BPF_PROG_LOAD`, `perf_event_open`...) and the errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{cmd} failed: {} ({})", errno_name(*errno), errno_text(*errno))]
pub struct SysError {
    /// The command or syscall, as the kernel headers name it.
    pub cmd: &'static str,
    /// The positive errno value.
    pub errno: i32,
}

impl SysError {
    /// A failure of `cmd` with `errno`.
    pub fn new(cmd: &'static str, errno: i32) -> Self {
        SysError { cmd, errno }
    }

    /// The command that failed.
    pub fn cmd(&self) -> &'static str {
        self.cmd
    }

    /// The errno value.
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The symbolic errno name (`EPERM`).
    pub fn errno_name(&self) -> &'static str {
        errno_name(self.errno)
    }

    /// True when the errno equals `errno` (e.g. `libc::ENOENT`).
    pub fn is(&self, errno: i32) -> bool {
        self.errno == errno
    }
}

/// The kernel-internal `ENOTSUPP` (524): leaks out of bpf() on some paths, unknown to libc.
pub const ENOTSUPP: i32 = 524;

/// The symbolic name of an errno, or `"E?"` for numbers outside the table.
pub fn errno_name(errno: i32) -> &'static str {
    use libc::*;
    match errno {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        ESRCH => "ESRCH",
        EINTR => "EINTR",
        EIO => "EIO",
        ENXIO => "ENXIO",
        E2BIG => "E2BIG",
        EBADF => "EBADF",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EFAULT => "EFAULT",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        EXDEV => "EXDEV",
        ENODEV => "ENODEV",
        ENOTDIR => "ENOTDIR",
        EINVAL => "EINVAL",
        ENFILE => "ENFILE",
        EMFILE => "EMFILE",
        ENOTTY => "ENOTTY",
        EFBIG => "EFBIG",
        ENOSPC => "ENOSPC",
        ERANGE => "ERANGE",
        EDEADLK => "EDEADLK",
        ENAMETOOLONG => "ENAMETOOLONG",
        ENOSYS => "ENOSYS",
        ELOOP => "ELOOP",
        ENOTSUP => "EOPNOTSUPP",
        EPROTO => "EPROTO",
        EOVERFLOW => "EOVERFLOW",
        ETIMEDOUT => "ETIMEDOUT",
        ENOTSUPP => "ENOTSUPP",
        _ => "E?",
    }
}

/// The human text for an errno (strerror), without Rust's " (os error N)" suffix.
pub fn errno_text(errno: i32) -> String {
    if errno == ENOTSUPP {
        return "Operation not supported by this kernel".to_string();
    }
    let s = io::Error::from_raw_os_error(errno).to_string();
    match s.rfind(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_command_errno_and_text() {
        let e = SysError::new("BPF_PROG_LOAD", libc::EPERM);
        assert_eq!(e.to_string(), "BPF_PROG_LOAD failed: EPERM (Operation not permitted)");
        assert!(e.is(libc::EPERM));
        assert_eq!(e.errno_name(), "EPERM");
    }

    #[test]
    fn kernel_internal_enotsupp_is_named() {
        let e = SysError::new("BPF_LINK_CREATE", ENOTSUPP);
        assert_eq!(e.to_string(), "BPF_LINK_CREATE failed: ENOTSUPP (Operation not supported by this kernel)");
        assert_eq!(errno_name(9999), "E?");
    }
}
