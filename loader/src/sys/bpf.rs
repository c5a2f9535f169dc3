//! The raw `bpf()` syscall: the command numbers, the one call site, and the trace event every
//! command emits.

use std::fmt;
use std::os::fd::{FromRawFd, OwnedFd};

use super::error::SysError;

/// Declares [`Cmd`] from one list, so a command's number and its UAPI name cannot drift apart and
/// the ABI check sees every command.
macro_rules! commands {
    ($($(#[$m:meta])* $v:ident = $n:literal => $c:ident,)*) => {
        /// `enum bpf_cmd` values rawbpf uses.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u32)]
        pub enum Cmd {
            $($(#[$m])* $v = $n,)*
        }

        impl Cmd {
            /// The UAPI name, used in errors and traces.
            pub fn name(self) -> &'static str {
                match self {
                    $(Cmd::$v => stringify!($c),)*
                }
            }

            /// Every command, for the ABI check against `enum bpf_cmd`.
            #[cfg(test)]
            pub(super) const ALL: &'static [Cmd] = &[$(Cmd::$v),*];
        }
    };
}

commands! {
    /// Create a map.
    MapCreate = 0 => BPF_MAP_CREATE,
    /// Read a map element.
    MapLookupElem = 1 => BPF_MAP_LOOKUP_ELEM,
    /// Write a map element.
    MapUpdateElem = 2 => BPF_MAP_UPDATE_ELEM,
    /// Delete a map element.
    MapDeleteElem = 3 => BPF_MAP_DELETE_ELEM,
    /// Iterate map keys.
    MapGetNextKey = 4 => BPF_MAP_GET_NEXT_KEY,
    /// Verify and load a program.
    ProgLoad = 5 => BPF_PROG_LOAD,
    /// Pin an object at a path of a bpffs.
    ObjPin = 6 => BPF_OBJ_PIN,
    /// Open a pinned object.
    ObjGet = 7 => BPF_OBJ_GET,
    /// Next loaded program id.
    ProgGetNextId = 11 => BPF_PROG_GET_NEXT_ID,
    /// Next map id.
    MapGetNextId = 12 => BPF_MAP_GET_NEXT_ID,
    /// Program fd from an id.
    ProgGetFdById = 13 => BPF_PROG_GET_FD_BY_ID,
    /// Map fd from an id.
    MapGetFdById = 14 => BPF_MAP_GET_FD_BY_ID,
    /// `bpf_prog_info` / `bpf_map_info` / `bpf_btf_info` / `bpf_link_info` of an fd.
    ObjGetInfoByFd = 15 => BPF_OBJ_GET_INFO_BY_FD,
    /// Attach a raw_tp / tp_btf / tracing program (the pre-link API).
    RawTracepointOpen = 17 => BPF_RAW_TRACEPOINT_OPEN,
    /// Load BTF.
    BtfLoad = 18 => BPF_BTF_LOAD,
    /// BTF fd from an id.
    BtfGetFdById = 19 => BPF_BTF_GET_FD_BY_ID,
    /// Make a map read-only for user space.
    MapFreeze = 22 => BPF_MAP_FREEZE,
    /// Next BTF object id.
    BtfGetNextId = 23 => BPF_BTF_GET_NEXT_ID,
    /// Read many map elements per call (Linux 5.6+).
    MapLookupBatch = 24 => BPF_MAP_LOOKUP_BATCH,
    /// Create a link (attach through a bpf_link).
    LinkCreate = 28 => BPF_LINK_CREATE,
    /// Link fd from an id.
    LinkGetFdById = 30 => BPF_LINK_GET_FD_BY_ID,
    /// Next link id.
    LinkGetNextId = 31 => BPF_LINK_GET_NEXT_ID,
}

/// Marks a `#[repr(C)]` attribute struct the kernel may read and write as plain bytes.
///
/// # Safety
/// Implementors are `#[repr(C)]`, have no implicit padding (every byte is a named field, so a
/// zero-initialized value has an all-zero tail), and hold only integers and byte arrays; any
/// address stored in them is a `u64` whose target the caller keeps alive for the call.
pub(super) unsafe trait Attr: Sized {}

/// How many times an interrupted or `EAGAIN` bpf() call is retried (libbpf retries PROG_LOAD too).
const RETRIES: usize = 5;

/// Calls bpf(cmd, attr, sizeof attr) and returns the non-negative result or the errno.
fn raw<T: Attr>(cmd: Cmd, attr: &mut T) -> Result<i64, i32> {
    let mut tries = 0;
    loop {
        // SAFETY: `attr` is a live, exclusively borrowed `Attr` of exactly `size_of::<T>()` bytes
        // (the `Attr` contract: repr(C), no padding, only integers); pointers inside it are kept
        // alive by the caller until this call returns.
        let r = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                cmd as libc::c_long,
                attr as *mut T as *mut libc::c_void,
                std::mem::size_of::<T>() as libc::c_uint,
            )
        };
        if r >= 0 {
            return Ok(r as i64);
        }
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO);
        tries += 1;
        if tries < RETRIES && (errno == libc::EINTR || (errno == libc::EAGAIN && cmd == Cmd::ProgLoad)) {
            continue;
        }
        return Err(errno);
    }
}

/// Runs one command and emits its DEBUG event on target `rawbpf::sys`: the command, `what` (its
/// key attribute fields) and the result (value or errno name).
pub(super) fn call<T: Attr>(cmd: Cmd, attr: &mut T, what: fmt::Arguments<'_>) -> Result<i64, SysError> {
    let r = raw(cmd, attr);
    trace_result(cmd.name(), what, r);
    r.map_err(|errno| SysError::new(cmd, errno))
}

/// The single trace point for every syscall in `sys` (bpf, perf_event_open, ioctl).
pub(super) fn trace_result(cmd: &'static str, what: fmt::Arguments<'_>, r: Result<i64, i32>) {
    match r {
        Ok(v) => tracing::debug!(target: "rawbpf::sys", cmd, result = v, "{cmd} {what} = {v}"),
        Err(e) => {
            let errno = SysError::new(super::error::Call::Dup, e).errno_name();
            tracing::debug!(target: "rawbpf::sys", cmd, errno, "{cmd} {what} = -{errno}")
        }
    }
}

/// Runs a command that returns a new file descriptor and takes ownership of it.
pub(super) fn call_fd<T: Attr>(cmd: Cmd, attr: &mut T, what: fmt::Arguments<'_>) -> Result<OwnedFd, SysError> {
    let fd = call(cmd, attr, what)?;
    Ok(owned(fd))
}

/// Wraps a file descriptor a syscall just returned.
pub(super) fn owned(fd: i64) -> OwnedFd {
    // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

/// The address of a buffer the kernel only reads, as an `__aligned_u64` field (0 when empty).
pub(super) fn addr<T>(s: &[T]) -> u64 {
    if s.is_empty() {
        0
    } else {
        s.as_ptr() as u64
    }
}

/// The address of a buffer the kernel writes into (0 when empty). Derived from `&mut` so the
/// kernel's write does not go through a shared borrow.
pub(super) fn addr_mut<T>(s: &mut [T]) -> u64 {
    if s.is_empty() {
        0
    } else {
        s.as_mut_ptr() as u64
    }
}

/// Copies `name` into a kernel object name: at most 15 bytes plus NUL, with characters the
/// kernel refuses (anything but `[A-Za-z0-9_.]`) replaced by `_`.
pub(super) fn obj_name(name: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (o, b) in out.iter_mut().zip(name.bytes().take(15)) {
        *o = if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' { b } else { b'_' };
    }
    out
}

/// The text of a NUL-terminated kernel string buffer.
pub(super) fn c_text(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_truncated_and_sanitized() {
        assert_eq!(&obj_name("handle_tcp_connect_v4")[..16], b"handle_tcp_conn\0");
        assert_eq!(&obj_name("a-b.c")[..6], b"a_b.c\0");
        assert_eq!(c_text(&obj_name("")), "");
        assert_eq!(c_text(&obj_name("héllo")), "h__llo");
    }
}
