//! epoll: one wait for every ring of an object (and any other fd a caller adds).

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use super::bpf::trace_result;
use super::error::{Call, SysError};
use super::ring_mmap::last_errno;

/// An epoll instance; each registered fd carries a caller's token.
#[derive(Debug)]
pub struct Epoll(OwnedFd);

impl Epoll {
    /// `epoll_create1(EPOLL_CLOEXEC)`.
    pub fn new() -> Result<Epoll, SysError> {
        // SAFETY: no pointers; the flag is a plain integer.
        let r = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if r < 0 {
            return Err(SysError::new(Call::EpollCreate, last_errno()));
        }
        // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
        Ok(Epoll(unsafe { OwnedFd::from_raw_fd(r) }))
    }

    /// Wakes [`Epoll::wait`] with `token` when `fd` is readable. The registration ends when
    /// `fd` closes.
    pub fn add(&self, fd: BorrowedFd<'_>, token: u64) -> Result<(), SysError> {
        let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: token };
        let raw = fd.as_raw_fd();
        // SAFETY: `ev` is a live epoll_event the kernel only reads; both fds are open.
        let r = unsafe { libc::epoll_ctl(self.0.as_raw_fd(), libc::EPOLL_CTL_ADD, raw, &mut ev) };
        let r = if r == 0 { Ok(0) } else { Err(last_errno()) };
        trace_result("epoll_ctl", format_args!("EPOLL_CTL_ADD fd={raw} token={token}"), r);
        r.map(|_| ()).map_err(|e| SysError::new(Call::EpollCtl, e))
    }

    /// Waits up to `timeout_ms` (-1: forever) and appends the tokens of the ready fds to
    /// `ready` (cleared first). A signal ends the wait early with no tokens.
    pub fn wait(&self, ready: &mut Vec<u64>, timeout_ms: i32) -> Result<(), SysError> {
        const MAX: usize = 64;
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; MAX];
        ready.clear();
        // SAFETY: `events` is a live, writable array of MAX epoll_events; the kernel writes at
        // most MAX of them.
        let n = unsafe { libc::epoll_wait(self.0.as_raw_fd(), events.as_mut_ptr(), MAX as i32, timeout_ms) };
        if n < 0 {
            let e = last_errno();
            return if e == libc::EINTR { Ok(()) } else { Err(SysError::new(Call::EpollWait, e)) };
        }
        ready.extend(events[..n as usize].iter().map(|e| e.u64));
        Ok(())
    }
}
