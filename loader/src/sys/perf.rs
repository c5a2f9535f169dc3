//! perf_event_open() for tracepoints and the ioctls that hang a BPF program on the event.

use std::ffi::CStr;
use std::io;
use std::mem::offset_of;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use super::bpf::{owned, trace_result};
use super::error::{Call, PerfIoctl, SysError};
use super::handles::{PerfEventFd, ProgFd};

/// `PERF_TYPE_TRACEPOINT`.
const PERF_TYPE_TRACEPOINT: u32 = 2;
/// `PERF_FLAG_FD_CLOEXEC`.
pub(super) const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
/// `PERF_EVENT_IOC_ENABLE` = `_IO('$', 0)`.
const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
/// `PERF_EVENT_IOC_DISABLE` = `_IO('$', 1)`.
const PERF_EVENT_IOC_DISABLE: libc::c_ulong = 0x2401;
/// `PERF_EVENT_IOC_SET_BPF` = `_IOW('$', 8, __u32)`.
const PERF_EVENT_IOC_SET_BPF: libc::c_ulong = 0x4004_2408;

/// `struct perf_event_attr` up to `config2`: `PERF_ATTR_SIZE_VER1` (2.6.39), which every kernel
/// BPF runs on accepts; `config2` is the probe offset of the kprobe and uprobe PMUs. Shared with
/// the BPF output events of `perf_ring`.
#[repr(C)]
#[derive(Default)]
pub(super) struct PerfEventAttr {
    pub(super) type_: u32,
    pub(super) size: u32,
    pub(super) config: u64,
    pub(super) sample_period: u64,
    pub(super) sample_type: u64,
    pub(super) read_format: u64,
    /// The `disabled:1, inherit:1, ...` bitfield word.
    pub(super) flags: u64,
    pub(super) wakeup_events: u32,
    pub(super) bp_type: u32,
    pub(super) config1: u64,
    pub(super) config2: u64,
}
const _: () = assert!(offset_of!(PerfEventAttr, flags) == 40 && size_of::<PerfEventAttr>() == 72);

/// What each field is in C, and the constants, for the ABI check (sys/abi.rs).
#[cfg(test)]
pub(super) fn abi_layouts() -> Vec<super::abi::Layout> {
    vec![super::abi::layout!(PerfEventAttr in "struct perf_event_attr" {
        type_ => M("type");
        size;
        config;
        sample_period;
        sample_type;
        read_format;
        flags => Between("read_format", "wakeup_events");
        wakeup_events;
        bp_type;
        config1;
        config2;
    })]
}

/// See [`abi_layouts`]. The size rawbpf passes is the second published one, which every kernel takes.
#[cfg(test)]
pub(super) const ABI_CONSTANTS: &[(&str, i64)] = super::abi::consts![
    PERF_TYPE_TRACEPOINT,
    PERF_FLAG_FD_CLOEXEC,
    PERF_EVENT_IOC_ENABLE,
    PERF_EVENT_IOC_DISABLE,
    PERF_EVENT_IOC_SET_BPF,
    PERF_ATTR_SIZE_VER1 = size_of::<PerfEventAttr>(),
];

/// Opens a perf event on tracepoint `id` (from tracefs `events/<category>/<name>/id`) for all
/// processes: pid -1, cpu 0, as libbpf does; a tracepoint event fires on every CPU regardless.
pub fn perf_event_open_tracepoint(id: u64) -> Result<PerfEventFd, SysError> {
    let attr = PerfEventAttr {
        type_: PERF_TYPE_TRACEPOINT,
        size: size_of::<PerfEventAttr>() as u32,
        config: id,
        sample_period: 1,
        wakeup_events: 1,
        ..Default::default()
    };
    let (pid, cpu, group): (libc::pid_t, libc::c_int, libc::c_int) = (-1, 0, -1);
    // SAFETY: `attr` is a live, fully initialized perf_event_attr prefix whose `size` field says
    // how many bytes the kernel may read; the remaining arguments are plain integers.
    let r = unsafe {
        libc::syscall(libc::SYS_perf_event_open, &attr as *const PerfEventAttr, pid, cpu, group, PERF_FLAG_FD_CLOEXEC)
    };
    let r = if r >= 0 { Ok(r as i64) } else { Err(last_errno()) };
    trace_result("perf_event_open", format_args!("type=tracepoint config={id} pid={pid} cpu={cpu}"), r);
    r.map(|fd| PerfEventFd::from_owned(owned(fd))).map_err(|e| SysError::new(Call::PerfEventOpen, e))
}

/// A kprobe or uprobe perf event to open through the probe's PMU
/// (`/sys/bus/event_source/devices/{kprobe,uprobe}/type`).
#[derive(Clone, Copy, Debug)]
pub struct ProbeOpen<'a> {
    /// The PMU's perf type.
    pub pmu_type: u32,
    /// `config`: the PMU's `format/retprobe` bit set for a return probe, else 0.
    pub config: u64,
    /// `config1`: the kernel function (kprobe) or the binary's path (uprobe).
    pub name: &'a CStr,
    /// `config2`: the offset into the function (kprobe) or into the file (uprobe).
    pub offset: u64,
    /// The process to probe: -1 for all (then on CPU 0, as libbpf does; a probe event fires on
    /// every CPU regardless), else that process on any CPU.
    pub pid: libc::pid_t,
}

/// Opens a kprobe or uprobe perf event through its PMU, as libbpf's `perf_event_open_probe`.
pub fn perf_event_open_probe(p: &ProbeOpen<'_>) -> Result<PerfEventFd, SysError> {
    let attr = PerfEventAttr {
        type_: p.pmu_type,
        size: size_of::<PerfEventAttr>() as u32,
        config: p.config,
        config1: p.name.as_ptr() as u64,
        config2: p.offset,
        ..Default::default()
    };
    let (pid, cpu, group): (libc::pid_t, libc::c_int, libc::c_int) = (p.pid, if p.pid == -1 { 0 } else { -1 }, -1);
    // SAFETY: `attr` is a live, fully initialized perf_event_attr prefix whose `size` says how
    // many bytes the kernel may read; `config1` points at `p.name`, a NUL-terminated string
    // borrowed for the whole call; the remaining arguments are plain integers.
    let r = unsafe {
        libc::syscall(libc::SYS_perf_event_open, &attr as *const PerfEventAttr, pid, cpu, group, PERF_FLAG_FD_CLOEXEC)
    };
    let r = if r >= 0 { Ok(r as i64) } else { Err(last_errno()) };
    trace_result(
        "perf_event_open",
        format_args!(
            "type={} config={:#x} name={:?} offset={:#x} pid={pid} cpu={cpu}",
            p.pmu_type, p.config, p.name, p.offset
        ),
        r,
    );
    r.map(|fd| PerfEventFd::from_owned(owned(fd))).map_err(|e| SysError::new(Call::PerfEventOpen, e))
}

/// Opens a kprobe perf event on kernel function `func` (offset 0, not a return probe) through
/// the kprobe PMU whose perf type is `pmu_type`, for this process on any CPU: the feature probe
/// of `LINUX_HAS_SYSCALL_WRAPPER`.
pub fn perf_event_open_kprobe(pmu_type: u32, func: &CStr) -> Result<PerfEventFd, SysError> {
    let pid = std::process::id() as libc::pid_t;
    perf_event_open_probe(&ProbeOpen { pmu_type, config: 0, name: func, offset: 0, pid })
}

fn last_errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

fn ioctl(cmd: PerfIoctl, fd: &PerfEventFd, req: libc::c_ulong, arg: libc::c_ulong) -> Result<(), SysError> {
    let raw = fd.as_raw_fd();
    // SAFETY: the perf ioctls used here take an integer argument (or none); `fd` is a live descriptor.
    let r = unsafe { libc::ioctl(raw, req as _, arg) };
    let r = if r >= 0 { Ok(r as i64) } else { Err(last_errno()) };
    trace_result(Call::PerfIoctl(cmd).name(), format_args!("perf_fd={raw} arg={arg}"), r);
    r.map(|_| ()).map_err(|e| SysError::new(Call::PerfIoctl(cmd), e))
}

/// Hangs a tracepoint / kprobe / perf_event program on a perf event (the pre-link way).
pub fn perf_event_set_bpf(perf_fd: &PerfEventFd, prog_fd: &ProgFd) -> Result<(), SysError> {
    ioctl(PerfIoctl::SetBpf, perf_fd, PERF_EVENT_IOC_SET_BPF, prog_fd.as_raw_fd() as libc::c_ulong)
}

/// Starts the event.
pub fn perf_event_enable(perf_fd: &PerfEventFd) -> Result<(), SysError> {
    ioctl(PerfIoctl::Enable, perf_fd, PERF_EVENT_IOC_ENABLE, 0)
}

/// Stops the event.
pub fn perf_event_disable(perf_fd: &PerfEventFd) -> Result<(), SysError> {
    ioctl(PerfIoctl::Disable, perf_fd, PERF_EVENT_IOC_DISABLE, 0)
}

/// Where tracefs is mounted: `/sys/kernel/tracing`, else the debugfs path.
pub fn tracefs_root() -> Option<PathBuf> {
    ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        .iter()
        .map(Path::new)
        .find(|p| p.join("events").is_dir())
        .map(Path::to_path_buf)
}

/// The id of tracepoint `category/name` from tracefs.
pub fn tracepoint_id(category: &str, name: &str) -> io::Result<u64> {
    let root = tracefs_root().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "tracefs is not mounted"))?;
    let path = root.join("events").join(category).join(name).join("id");
    let text = std::fs::read_to_string(&path)?;
    text.trim()
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("{}: not a number", path.display())))
}
