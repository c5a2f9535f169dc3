//! Attaching: BPF_LINK_CREATE and the older BPF_RAW_TRACEPOINT_OPEN.

use std::ffi::{CStr, CString};
use std::mem::offset_of;
use std::os::fd::AsRawFd;

use super::bpf::{call_fd, Attr, Cmd};
use super::error::SysError;
use super::handles::{LinkFd, PerfEventFd, ProgFd};
use super::types::AttachType;

/// Everything BPF_LINK_CREATE takes for the link kinds rawbpf makes.
#[derive(Clone, Copy, Debug)]
pub struct LinkCreate<'a> {
    /// The program.
    pub prog_fd: &'a ProgFd,
    /// What to attach to: a perf event fd (PERF_EVENT), a cgroup... None (0) for tracing programs,
    /// whose target was fixed at load time.
    pub target_fd: Option<&'a PerfEventFd>,
    /// Attach type (for tracing: the program's expected attach type).
    pub attach_type: AttachType,
    /// Link flags.
    pub flags: u32,
    /// Tracing: a BTF id overriding the load-time target (0: the load-time one).
    pub target_btf_id: u32,
    /// `bpf_get_attach_cookie()` value (perf_event 5.15+, tracing 6.6+); 0 for none.
    pub cookie: u64,
}

impl<'a> LinkCreate<'a> {
    /// A link for `prog_fd` with `attach_type` and no target, flags or cookie.
    pub fn new(prog_fd: &'a ProgFd, attach_type: AttachType) -> Self {
        LinkCreate { prog_fd, target_fd: None, attach_type, flags: 0, target_btf_id: 0, cookie: 0 }
    }
}

/// The common BPF_LINK_CREATE head plus the tracing `target_btf_id`.
#[repr(C)]
#[derive(Default)]
struct LinkCreateAttr {
    prog_fd: u32,
    target_fd: u32,
    attach_type: u32,
    flags: u32,
    target_btf_id: u32,
}
// SAFETY: repr(C), only integers, no padding.
unsafe impl Attr for LinkCreateAttr {}

/// BPF_LINK_CREATE with the `perf_event.bpf_cookie` member.
#[repr(C)]
#[derive(Default)]
struct PerfLinkAttr {
    prog_fd: u32,
    target_fd: u32,
    attach_type: u32,
    flags: u32,
    bpf_cookie: u64,
}
// SAFETY: repr(C), only integers, no padding.
unsafe impl Attr for PerfLinkAttr {}

/// BPF_LINK_CREATE with the `tracing` member (target_btf_id, cookie).
#[repr(C)]
#[derive(Default)]
struct TracingLinkAttr {
    prog_fd: u32,
    target_fd: u32,
    attach_type: u32,
    flags: u32,
    target_btf_id: u32,
    _pad: u32,
    cookie: u64,
}
// SAFETY: repr(C), only integers, padding is an explicit field.
unsafe impl Attr for TracingLinkAttr {}
const _: () = assert!(
    offset_of!(LinkCreateAttr, target_btf_id) == 16
        && offset_of!(PerfLinkAttr, bpf_cookie) == 16
        && offset_of!(TracingLinkAttr, cookie) == 24
        && size_of::<TracingLinkAttr>() == 32
);

/// Creates a link. Only the attribute members in use are passed, so kernels that predate cookies
/// accept links without one.
pub fn link_create(l: &LinkCreate<'_>) -> Result<LinkFd, SysError> {
    let prog_fd = l.prog_fd.as_raw_fd() as u32;
    let target_fd = l.target_fd.map_or(0, |fd| fd.as_raw_fd() as u32);
    let (attach_type, flags, target_btf_id, cookie) = (l.attach_type.0, l.flags, l.target_btf_id, l.cookie);
    if cookie == 0 {
        create(&mut LinkCreateAttr { prog_fd, target_fd, attach_type, flags, target_btf_id }, l)
    } else if l.attach_type == AttachType::PERF_EVENT {
        create(&mut PerfLinkAttr { prog_fd, target_fd, attach_type, flags, bpf_cookie: cookie }, l)
    } else {
        create(&mut TracingLinkAttr { prog_fd, target_fd, attach_type, flags, target_btf_id, _pad: 0, cookie }, l)
    }
}

fn create<T: Attr>(a: &mut T, l: &LinkCreate<'_>) -> Result<LinkFd, SysError> {
    call_fd(
        Cmd::LinkCreate,
        a,
        format_args!(
            "prog_fd={} target_fd={} attach_type={} flags={:#x} target_btf_id={} cookie={}",
            l.prog_fd.as_raw_fd(),
            l.target_fd.map_or(0, |fd| fd.as_raw_fd()),
            l.attach_type,
            l.flags,
            l.target_btf_id,
            l.cookie
        ),
    )
    .map(LinkFd::from_owned)
}

/// BPF_LINK_CREATE with the `uprobe_multi` member (6.6+).
#[repr(C)]
#[derive(Default)]
struct UprobeMultiAttr {
    prog_fd: u32,
    target_fd: u32,
    attach_type: u32,
    flags: u32,
    path: u64,
    offsets: u64,
    ref_ctr_offsets: u64,
    cookies: u64,
    cnt: u32,
    uprobe_flags: u32,
    pid: u32,
    _pad: u32,
}
// SAFETY: repr(C), only integers, padding is an explicit field.
unsafe impl Attr for UprobeMultiAttr {}
const _: () = assert!(offset_of!(UprobeMultiAttr, path) == 16 && size_of::<UprobeMultiAttr>() == 64);

/// Where a uprobe-multi link attaches: instructions in one binary.
#[derive(Clone, Copy, Debug)]
pub struct UprobeMulti<'a> {
    /// The binary.
    pub path: &'a CStr,
    /// File offsets of the probed instructions.
    pub offsets: &'a [u64],
    /// One reference counter (USDT semaphore) file offset per offset, 0 for none; empty: none.
    pub ref_ctr_offsets: &'a [u64],
    /// One `bpf_get_attach_cookie()` value per offset; empty: none.
    pub cookies: &'a [u64],
    /// Only this process (0: every process running the binary).
    pub pid: u32,
}

/// Creates a `BPF_TRACE_UPROBE_MULTI` link (6.6+) for a kprobe-type program loaded with that
/// expected attach type. Reference counter offsets and cookies, when given, must be one per
/// offset (EINVAL without a call otherwise).
pub fn link_create_uprobe_multi(prog_fd: &ProgFd, u: &UprobeMulti<'_>) -> Result<LinkFd, SysError> {
    let cnt = u.offsets.len();
    let per_offset = |v: &[u64]| v.is_empty() || v.len() == cnt;
    if !per_offset(u.ref_ctr_offsets) || !per_offset(u.cookies) || u32::try_from(cnt).is_err() {
        return Err(SysError::new(Cmd::LinkCreate, libc::EINVAL));
    }
    // Each array is read by the kernel during the call only: borrowed for all of it.
    let array = |v: &[u64]| if v.is_empty() { 0 } else { v.as_ptr() as u64 };
    let mut a = UprobeMultiAttr {
        prog_fd: prog_fd.as_raw_fd() as u32,
        attach_type: AttachType::TRACE_UPROBE_MULTI.0,
        path: u.path.as_ptr() as u64,
        offsets: u.offsets.as_ptr() as u64,
        ref_ctr_offsets: array(u.ref_ctr_offsets),
        cookies: array(u.cookies),
        cnt: cnt as u32,
        pid: u.pid,
        ..Default::default()
    };
    let fd = a.prog_fd;
    let (refs, cookies) = (!u.ref_ctr_offsets.is_empty(), !u.cookies.is_empty());
    call_fd(
        Cmd::LinkCreate,
        &mut a,
        format_args!(
            "prog_fd={fd} uprobe_multi path={:?} cnt={cnt} pid={} ref_ctr_offsets={refs} cookies={cookies}",
            u.path, u.pid
        ),
    )
    .map(LinkFd::from_owned)
}

/// BPF_LINK_CREATE with the `kprobe_multi` member (5.18+).
#[repr(C)]
#[derive(Default)]
struct KprobeMultiAttr {
    prog_fd: u32,
    target_fd: u32,
    attach_type: u32,
    flags: u32,
    kprobe_flags: u32,
    cnt: u32,
    syms: u64,
    addrs: u64,
    cookies: u64,
}
// SAFETY: repr(C), only integers, no padding.
unsafe impl Attr for KprobeMultiAttr {}
const _: () = assert!(offset_of!(KprobeMultiAttr, syms) == 24 && size_of::<KprobeMultiAttr>() == 48);

/// `BPF_F_KPROBE_MULTI_RETURN`: the link probes the functions' returns.
const BPF_F_KPROBE_MULTI_RETURN: u32 = 1;

/// Creates a `BPF_TRACE_KPROBE_MULTI` link (5.18+) on kernel functions `syms` for a kprobe
/// program loaded with that expected attach type; on their returns when `retprobe`.
pub fn link_create_kprobe_multi(prog_fd: &ProgFd, syms: &[CString], retprobe: bool) -> Result<LinkFd, SysError> {
    // The kernel reads `cnt` pointers from `syms`, each to a NUL-terminated name: both the
    // array and the strings it points at are borrowed for the whole call.
    let ptrs: Vec<u64> = syms.iter().map(|s| s.as_ptr() as u64).collect();
    let mut a = KprobeMultiAttr {
        prog_fd: prog_fd.as_raw_fd() as u32,
        attach_type: AttachType::TRACE_KPROBE_MULTI.0,
        kprobe_flags: if retprobe { BPF_F_KPROBE_MULTI_RETURN } else { 0 },
        cnt: ptrs.len() as u32,
        syms: ptrs.as_ptr() as u64,
        ..Default::default()
    };
    let (fd, cnt, flags) = (a.prog_fd, a.cnt, a.kprobe_flags);
    let first = syms.first().map(|s| s.to_string_lossy()).unwrap_or_default();
    call_fd(
        Cmd::LinkCreate,
        &mut a,
        format_args!("prog_fd={fd} kprobe_multi cnt={cnt} flags={flags:#x} first={first:?}"),
    )
    .map(LinkFd::from_owned)
}

/// The `raw_tracepoint` member of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct RawTpAttr {
    name: u64,
    prog_fd: u32,
    _pad: u32,
}
// SAFETY: repr(C), only integers, padding is an explicit field.
unsafe impl Attr for RawTpAttr {}

/// What each field is in C, for the ABI check (sys/abi.rs).
#[cfg(test)]
pub(super) fn abi_layouts() -> Vec<super::abi::Layout> {
    use super::abi::layout;
    vec![
        layout!(LinkCreateAttr in "union bpf_attr" {
            prog_fd => M("link_create.prog_fd");
            target_fd => M("link_create.target_fd");
            attach_type => M("link_create.attach_type");
            flags => M("link_create.flags");
            target_btf_id => M("link_create.target_btf_id");
        }),
        layout!(PerfLinkAttr in "union bpf_attr" {
            prog_fd => M("link_create.prog_fd");
            target_fd => M("link_create.target_fd");
            attach_type => M("link_create.attach_type");
            flags => M("link_create.flags");
            bpf_cookie => M("link_create.perf_event.bpf_cookie");
        }),
        layout!(TracingLinkAttr in "union bpf_attr" {
            prog_fd => M("link_create.prog_fd");
            target_fd => M("link_create.target_fd");
            attach_type => M("link_create.attach_type");
            flags => M("link_create.flags");
            target_btf_id => M("link_create.tracing.target_btf_id");
            _pad => Pad;
            cookie => M("link_create.tracing.cookie");
        }),
        layout!(UprobeMultiAttr in "union bpf_attr" {
            prog_fd => M("link_create.prog_fd");
            target_fd => M("link_create.target_fd");
            attach_type => M("link_create.attach_type");
            flags => M("link_create.flags");
            path => M("link_create.uprobe_multi.path");
            offsets => M("link_create.uprobe_multi.offsets");
            ref_ctr_offsets => M("link_create.uprobe_multi.ref_ctr_offsets");
            cookies => M("link_create.uprobe_multi.cookies");
            cnt => M("link_create.uprobe_multi.cnt");
            uprobe_flags => M("link_create.uprobe_multi.flags");
            pid => M("link_create.uprobe_multi.pid");
            _pad => Pad;
        }),
        layout!(KprobeMultiAttr in "union bpf_attr" {
            prog_fd => M("link_create.prog_fd");
            target_fd => M("link_create.target_fd");
            attach_type => M("link_create.attach_type");
            flags => M("link_create.flags");
            kprobe_flags => M("link_create.kprobe_multi.flags");
            cnt => M("link_create.kprobe_multi.cnt");
            syms => M("link_create.kprobe_multi.syms");
            addrs => M("link_create.kprobe_multi.addrs");
            cookies => M("link_create.kprobe_multi.cookies");
        }),
        layout!(RawTpAttr in "union bpf_attr" {
            name => M("raw_tracepoint.name");
            prog_fd => M("raw_tracepoint.prog_fd");
            _pad => Pad;
        }),
    ]
}

/// Attaches a raw_tp program to tracepoint `name`, or (with `None`) a tp_btf / fentry / fexit / lsm
/// program to the target it was loaded for. The link lives as long as the returned fd.
pub fn raw_tracepoint_open(name: Option<&CStr>, prog_fd: &ProgFd) -> Result<LinkFd, SysError> {
    let raw_fd = prog_fd.as_raw_fd() as u32;
    let mut a = RawTpAttr { name: name.map_or(0, |n| n.as_ptr() as u64), prog_fd: raw_fd, _pad: 0 };
    call_fd(Cmd::RawTracepointOpen, &mut a, format_args!("name={name:?} prog_fd={raw_fd}")).map(LinkFd::from_owned)
}
