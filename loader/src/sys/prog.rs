//! BPF_PROG_LOAD: a program's instructions, BTF and attach target, through the verifier.

use std::ffi::CStr;
use std::mem::offset_of;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::bpf::{addr, addr_mut, call_fd, obj_name, Attr, Cmd};
use super::error::SysError;
use super::handles::{BtfFd, ProgFd};
use super::log::{with_log, Loaded, LogLevel, LoggedError};
use super::types::{AttachType, ProgType};
use btf::insn::Insn;
use btf::wire::Endian;

/// `.BTF.ext` records (func_info or line_info) already rewritten for the kernel.
#[derive(Clone, Copy, Debug, Default)]
pub struct Records<'a> {
    /// `count * rec_size` bytes.
    pub data: &'a [u8],
    /// Size of one record (`sizeof(struct bpf_func_info)` is 8, `bpf_line_info` 16).
    pub rec_size: u32,
}

impl Records<'_> {
    fn count(&self) -> u32 {
        if self.rec_size == 0 {
            0
        } else {
            (self.data.len() / self.rec_size as usize) as u32
        }
    }
}

/// Everything PROG_LOAD takes. `Default` gives an empty socket-filter-less request to fill in.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProgLoad<'a> {
    /// Program type.
    pub prog_type: ProgType,
    /// Expected attach type (tracing, lsm, cgroup... need it at load time).
    pub expected_attach_type: AttachType,
    /// Encoded instructions in native byte order (see [`encode_insns`]); a multiple of 8 bytes.
    pub insns: &'a [u8],
    /// License string; helpers marked GPL-only need a GPL-compatible one.
    pub license: &'a CStr,
    /// `LINUX_VERSION_CODE` (only kprobes on pre-5.0 kernels check it).
    pub kern_version: u32,
    /// `BPF_F_*` load flags (`BPF_F_SLEEPABLE`...).
    pub prog_flags: u32,
    /// Program name (truncated to 15 bytes, sanitized).
    pub name: &'a str,
    /// The object's BTF, needed with func_info / line_info.
    pub prog_btf_fd: Option<&'a BtfFd>,
    /// func_info records.
    pub func_info: Records<'a>,
    /// line_info records.
    pub line_info: Records<'a>,
    /// Kernel BTF id of the attach target (fentry function, `btf_trace_*` typedef, LSM hook).
    pub attach_btf_id: u32,
    /// A kernel module's BTF object holding `attach_btf_id` (None: vmlinux).
    pub attach_btf_obj_fd: Option<&'a BtfFd>,
    /// A BPF program to attach to (freplace / fentry on a BPF program); excludes the module fd.
    pub attach_prog_fd: Option<&'a ProgFd>,
    /// File descriptors that ld_imm64 `BPF_PSEUDO_MAP_IDX*` / kfunc module calls index into.
    pub fd_array: &'a [BorrowedFd<'a>],
}

/// Encodes instructions in the host byte order for [`ProgLoad::insns`].
pub fn encode_insns(insns: &[Insn]) -> Vec<u8> {
    Insn::encode_all(insns, Endian::native())
}

/// The BPF_PROG_LOAD prefix of `union bpf_attr`, through `log_true_size` (6.4+, output only).
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
    prog_btf_fd: u32,
    func_info_rec_size: u32,
    func_info: u64,
    func_info_cnt: u32,
    line_info_rec_size: u32,
    line_info: u64,
    line_info_cnt: u32,
    attach_btf_id: u32,
    /// `attach_prog_fd` or `attach_btf_obj_fd` (a union in the UAPI).
    attach_fd: u32,
    core_relo_cnt: u32,
    fd_array: u64,
    core_relos: u64,
    core_relo_rec_size: u32,
    log_true_size: u32,
}
// SAFETY: repr(C), only integers and a byte array, no padding (asserted below).
unsafe impl Attr for ProgLoadAttr {}
const _: () = {
    assert!(offset_of!(ProgLoadAttr, prog_name) == 48);
    assert!(offset_of!(ProgLoadAttr, expected_attach_type) == 68);
    assert!(offset_of!(ProgLoadAttr, attach_btf_id) == 108);
    assert!(offset_of!(ProgLoadAttr, fd_array) == 120);
    assert!(offset_of!(ProgLoadAttr, core_relo_rec_size) == 136);
    assert!(size_of::<ProgLoadAttr>() == 144);
};

/// What each field is in C, for the ABI check (sys/abi.rs).
#[cfg(test)]
pub(super) fn abi_layouts() -> Vec<super::abi::Layout> {
    vec![super::abi::layout!(ProgLoadAttr in "union bpf_attr" {
        prog_type;
        insn_cnt;
        insns;
        license;
        log_level;
        log_size;
        log_buf;
        kern_version;
        prog_flags;
        prog_name;
        prog_ifindex;
        expected_attach_type;
        prog_btf_fd;
        func_info_rec_size;
        func_info;
        func_info_cnt;
        line_info_rec_size;
        line_info;
        line_info_cnt;
        attach_btf_id;
        attach_fd => M("attach_prog_fd"), M("attach_btf_obj_fd");
        core_relo_cnt;
        fd_array;
        core_relos;
        core_relo_rec_size;
        log_true_size;
    })]
}

/// Loads a program under the default log policy: no log unless it fails.
pub fn prog_load(p: &ProgLoad<'_>) -> Result<ProgFd, LoggedError> {
    prog_load_with_log(p, LogLevel::OnFailure).map(|l| l.fd)
}

/// Loads a program, asking for the verifier log as `log` says (use `Always` for `--explain`).
pub fn prog_load_with_log(p: &ProgLoad<'_>, log: LogLevel) -> Result<Loaded<ProgFd>, LoggedError> {
    #[allow(clippy::manual_is_multiple_of)]
    // is_multiple_of needs Rust 1.87; the workspace says 1.80
    if p.insns.is_empty() || p.insns.len() % Insn::SIZE != 0 {
        return Err(LoggedError {
            sys: SysError::new(Cmd::ProgLoad, libc::EINVAL),
            log: format!("rawbpf: {} instruction bytes is not a positive multiple of 8", p.insns.len()),
            truncated: false,
        });
    }
    let attach_fd = match (p.attach_prog_fd, p.attach_btf_obj_fd) {
        (Some(prog), _) => prog.as_raw_fd() as u32,
        (None, Some(btf)) => btf.as_raw_fd() as u32,
        (None, None) => 0,
    };
    let name = obj_name(p.name);
    with_log(log, &mut |level, buf: &mut [u8]| {
        let mut a = ProgLoadAttr {
            prog_type: p.prog_type.0,
            insn_cnt: (p.insns.len() / Insn::SIZE) as u32,
            insns: addr(p.insns),
            license: p.license.as_ptr() as u64,
            log_level: level,
            log_size: buf.len() as u32,
            log_buf: addr_mut(buf),
            kern_version: p.kern_version,
            prog_flags: p.prog_flags,
            prog_name: name,
            expected_attach_type: p.expected_attach_type.0,
            prog_btf_fd: p.prog_btf_fd.map_or(0, |fd| fd.as_raw_fd() as u32),
            func_info_rec_size: p.func_info.rec_size,
            func_info: addr(p.func_info.data),
            func_info_cnt: p.func_info.count(),
            line_info_rec_size: p.line_info.rec_size,
            line_info: addr(p.line_info.data),
            line_info_cnt: p.line_info.count(),
            attach_btf_id: p.attach_btf_id,
            attach_fd,
            fd_array: addr(p.fd_array),
            ..Default::default()
        };
        let (insn_cnt, fi_cnt, li_cnt) = (a.insn_cnt, a.func_info_cnt, a.line_info_cnt);
        let r = call_fd(
            Cmd::ProgLoad,
            &mut a,
            format_args!(
                "prog_type={} attach_type={} insn_cnt={insn_cnt} name={:?} attach_btf_id={} attach_fd={attach_fd} \
                 func_info_cnt={fi_cnt} line_info_cnt={li_cnt} log_level={level}",
                p.prog_type, p.expected_attach_type, p.name, p.attach_btf_id,
            ),
        );
        (r, a.log_true_size)
    })
    .map(|l| l.map_fd(ProgFd::from_owned))
}
