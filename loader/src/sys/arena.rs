//! An ARENA map's initial contents: the `__arena` globals of `.addr_space.1`, copied into the
//! start of the arena through a shared mapping of the map (as libbpf 1.5 places them), which is
//! unmapped again — the pages stay the arena's.

use std::os::fd::AsRawFd;

use super::error::{Call, SysError};
use super::handles::MapFd;
use super::ring_mmap::{last_errno, unmap};

/// Maps the arena's `len` bytes (at `addr`, the map's `map_extra`, when it asks for a fixed
/// user address; never over an existing mapping), copies `data` to its start and unmaps it.
pub fn write_arena(fd: &MapFd, addr: u64, len: usize, data: &[u8]) -> Result<(), SysError> {
    if data.len() > len {
        return Err(SysError::new(Call::Mmap, libc::E2BIG));
    }
    let raw = fd.as_raw_fd();
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    let flags = if addr != 0 { libc::MAP_SHARED | libc::MAP_FIXED_NOREPLACE } else { libc::MAP_SHARED };
    // SAFETY: a new mapping; MAP_FIXED_NOREPLACE fails rather than replace memory already
    // mapped at `addr`, and addr 0 lets the kernel pick. The fd is live; the result is checked.
    let p = unsafe { libc::mmap(addr as *mut libc::c_void, len, prot, flags, raw, 0) };
    if p == libc::MAP_FAILED {
        let e = SysError::new(Call::Mmap, last_errno());
        tracing::debug!(target: "rawbpf::sys", cmd = "mmap", "mmap({addr:#x}, {len}, PROT_READ|PROT_WRITE, MAP_SHARED, arena fd={raw}) = -{}", e.errno_name());
        return Err(e);
    }
    tracing::debug!(target: "rawbpf::sys", cmd = "mmap", "mmap({addr:#x}, {len}, PROT_READ|PROT_WRITE, MAP_SHARED, arena fd={raw}) = mapped; {} bytes of __arena globals copied", data.len());
    let Some(base) = std::ptr::NonNull::new(p.cast::<u8>()) else {
        return Err(SysError::new(Call::Mmap, libc::EINVAL));
    };
    // SAFETY: `base` is a fresh writable mapping of `len >= data.len()` bytes that nothing else
    // references; the copy stays inside it.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), base.as_ptr(), data.len()) };
    unmap(base, len);
    Ok(())
}
