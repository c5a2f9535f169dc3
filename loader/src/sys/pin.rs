//! Pinning: BPF_OBJ_PIN gives a map (or any bpf object) a path on a bpffs so it outlives the
//! process; BPF_OBJ_GET opens what a path holds.

use std::ffi::CString;
use std::mem::offset_of;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::bpf::{call, call_fd, Attr, Cmd};
use super::error::SysError;

/// `BPF_FS_MAGIC`: `statfs`'s `f_type` of a bpf filesystem.
pub const BPF_FS_MAGIC: i64 = 0xcafe_4a11;

/// The BPF_OBJ_* member of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct ObjAttr {
    pathname: u64,
    bpf_fd: u32,
    file_flags: u32,
}
// SAFETY: repr(C), only integers, no padding (asserted below).
unsafe impl Attr for ObjAttr {}
const _: () = assert!(offset_of!(ObjAttr, bpf_fd) == 8 && size_of::<ObjAttr>() == 16);

/// What each field is in C, for the ABI check (sys/abi.rs).
#[cfg(test)]
pub(super) fn abi_layouts() -> Vec<super::abi::Layout> {
    vec![super::abi::layout!(ObjAttr in "union bpf_attr" {
        pathname;
        bpf_fd;
        file_flags;
    })]
}

/// See [`abi_layouts`].
#[cfg(test)]
pub(super) const ABI_CONSTANTS: &[(&str, i64)] = super::abi::consts![BPF_FS_MAGIC];

/// The path as the kernel reads it; a path with a NUL byte cannot name anything (EINVAL).
fn c_path(cmd: Cmd, path: &Path) -> Result<CString, SysError> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| SysError::new(cmd, libc::EINVAL))
}

/// Pins the object `fd` refers to at `path` (a new name on a bpffs; EEXIST if taken).
pub fn obj_pin(fd: BorrowedFd<'_>, path: &Path) -> Result<(), SysError> {
    let p = c_path(Cmd::ObjPin, path)?;
    let bpf_fd = fd.as_raw_fd() as u32;
    // `p` outlives the call: the kernel reads the string through this address.
    let mut a = ObjAttr { pathname: p.as_ptr() as u64, bpf_fd, ..Default::default() };
    call(Cmd::ObjPin, &mut a, format_args!("pathname={path:?} bpf_fd={bpf_fd}")).map(|_| ())
}

/// Opens the object pinned at `path` (ENOENT when nothing is pinned there).
pub fn obj_get(path: &Path) -> Result<OwnedFd, SysError> {
    let p = c_path(Cmd::ObjGet, path)?;
    let mut a = ObjAttr { pathname: p.as_ptr() as u64, ..Default::default() };
    call_fd(Cmd::ObjGet, &mut a, format_args!("pathname={path:?}"))
}
