//! Read-only mappings of sysfs files, for `/sys/kernel/btf/vmlinux`: kernfs serves that file
//! 4 KiB per `read()` (about 1,350 syscalls for 5 MB), while Linux 6.16+ lets it be mapped,
//! which costs one `mmap()` and no copy.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::ptr::NonNull;

use tracing::debug;

/// `SYSFS_MAGIC` from `<linux/magic.h>`: the `f_type` of sysfs in `statfs`.
const SYSFS_MAGIC: i64 = 0x6265_6572;

/// A private, read-only mapping of a whole sysfs file, unmapped on drop.
#[derive(Debug)]
pub struct SysfsMapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is PROT_READ and private, so no thread can write through it; sharing
// it is as safe as sharing a `&[u8]`.
unsafe impl Send for SysfsMapping {}
// SAFETY: as above: only shared reads ever happen.
unsafe impl Sync for SysfsMapping {}

impl SysfsMapping {
    /// Maps `path`, which must be a non-empty file on sysfs. Sysfs binary attributes have a
    /// fixed size, so the mapping cannot lose pages under us the way a truncated regular file
    /// would (SIGBUS); other files are refused with `Unsupported`. Kernels before 6.16 refuse
    /// to map the BTF file (`EINVAL`/`ENODEV`); callers fall back to reading it.
    pub fn open(path: &Path) -> io::Result<SysfsMapping> {
        let file = File::open(path)?;
        if fs_type(&file)? != SYSFS_MAGIC {
            return Err(io::Error::new(io::ErrorKind::Unsupported, "not a sysfs file"));
        }
        let len = usize::try_from(file.metadata()?.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
        if len == 0 {
            return Err(io::Error::new(io::ErrorKind::Unsupported, "empty file"));
        }
        // SAFETY: a new mapping at an address the kernel picks (addr null), so no existing
        // memory is affected; `len` and the open fd are valid; the result is checked below.
        let p =
            unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, file.as_raw_fd(), 0) };
        if p == libc::MAP_FAILED {
            let e = io::Error::last_os_error();
            debug!(target: "rawbpf::sys", "mmap({}, {len} bytes) = {e}", path.display());
            return Err(e);
        }
        // The address varies run to run and teaches nothing; the call and its size do.
        debug!(target: "rawbpf::sys", "mmap({}, {len} bytes, PROT_READ, MAP_PRIVATE) = mapped", path.display());
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::from(io::ErrorKind::InvalidData))?;
        Ok(SysfsMapping { ptr, len })
    }

    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr..ptr+len` is a live PROT_READ mapping until `drop`, and the sysfs
        // file behind it cannot shrink (see `open`), so every byte stays readable.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl AsRef<[u8]> for SysfsMapping {
    fn as_ref(&self) -> &[u8] {
        self.bytes()
    }
}

impl Drop for SysfsMapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the range `open` mapped; no slice of it outlives `self`
        // because `bytes()` borrows `self`.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

/// The filesystem type (`statfs.f_type`) holding `file`.
fn fs_type(file: &File) -> io::Result<i64> {
    let st = nix::sys::statfs::fstatfs(file).map_err(io::Error::from)?;
    Ok(st.filesystem_type().0 as i64)
}
