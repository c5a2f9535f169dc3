//! Shared mappings of the kernel's rings (perf events, BPF ring buffers): `mmap(MAP_SHARED)` of
//! an fd and its `munmap`.

use std::os::fd::{AsFd, AsRawFd};
use std::ptr::NonNull;

use super::error::{Call, SysError};

/// The page size (rings are sized and offset in pages).
pub fn page_size() -> usize {
    match nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE) {
        Ok(Some(n)) if n > 0 => n as usize,
        _ => 4096,
    }
}

pub(super) fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

/// Maps `len` bytes of `fd` from `offset`, shared, read-write or read-only.
pub(super) fn map_shared(fd: &impl AsFd, len: usize, offset: usize, write: bool) -> Result<NonNull<u8>, SysError> {
    let prot = if write { libc::PROT_READ | libc::PROT_WRITE } else { libc::PROT_READ };
    let raw = fd.as_fd().as_raw_fd();
    // SAFETY: a new mapping at an address the kernel picks (addr null), so no existing memory
    // is affected; the fd is live for the call; the result is checked below.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, libc::MAP_SHARED, raw, offset as libc::off_t) };
    let rw = if write { "PROT_READ|PROT_WRITE" } else { "PROT_READ" };
    if p == libc::MAP_FAILED {
        let errno = last_errno();
        let e = SysError::new(Call::Mmap, errno);
        tracing::debug!(target: "rawbpf::sys", cmd = "mmap", "mmap(fd={raw}, {len} bytes at {offset}, {rw}, MAP_SHARED) = -{}", e.errno_name());
        return Err(e);
    }
    tracing::debug!(target: "rawbpf::sys", cmd = "mmap", "mmap(fd={raw}, {len} bytes at {offset}, {rw}, MAP_SHARED) = mapped");
    NonNull::new(p.cast::<u8>()).ok_or(SysError::new(Call::Mmap, libc::EINVAL))
}

/// Unmaps what [`map_shared`] mapped.
pub(super) fn unmap(base: NonNull<u8>, len: usize) {
    // SAFETY: callers pass exactly a range `map_shared` returned, once, when no slice of it is
    // borrowed any more (they unmap in `Drop`).
    unsafe {
        libc::munmap(base.as_ptr().cast(), len);
    }
}
