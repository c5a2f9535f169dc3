//! BPF_OBJ_GET_INFO_BY_FD for programs, maps, BTF objects and links.
//!
//! Each raw struct mirrors a prefix of the UAPI one; the kernel copies `min(ours, its)` bytes and
//! reports how many it wrote, so a newer or older kernel both work.

use std::mem::offset_of;
use std::os::fd::{AsFd, AsRawFd};

use super::bpf::{addr_mut, c_text, call, Attr, Cmd};
use super::error::SysError;
use super::handles::{BtfFd, BtfId, LinkFd, LinkId, MapFd, MapId, ProgFd, ProgId};
use super::types::{AttachType, LinkType, MapType, ProgType};

/// The `info` member of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct InfoAttr {
    bpf_fd: u32,
    info_len: u32,
    info: u64,
}
// SAFETY: repr(C), only integers, no padding.
unsafe impl Attr for InfoAttr {}

/// Marks a raw info struct that is plain integers with no implicit padding.
///
/// # Safety
/// Same contract as `Attr`: repr(C), integers and byte arrays only, no implicit padding.
unsafe trait RawInfo: Default {}

/// Fills `info` for `fd`; returns the number of bytes the kernel wrote.
fn get_info<T: RawInfo>(fd: &impl AsFd, info: &mut T, kind: &str) -> Result<u32, SysError> {
    let bpf_fd = fd.as_fd().as_raw_fd() as u32;
    let mut a = InfoAttr { bpf_fd, info_len: size_of::<T>() as u32, info: info as *mut T as u64 };
    call(Cmd::ObjGetInfoByFd, &mut a, format_args!("{kind} fd={bpf_fd} info_len={}", size_of::<T>()))?;
    Ok(a.info_len)
}

/// `struct bpf_prog_info` through `attach_btf_id`.
#[repr(C)]
#[derive(Default)]
struct RawProgInfo {
    prog_type: u32,
    id: u32,
    tag: [u8; 8],
    jited_prog_len: u32,
    xlated_prog_len: u32,
    jited_prog_insns: u64,
    xlated_prog_insns: u64,
    load_time: u64,
    created_by_uid: u32,
    nr_map_ids: u32,
    map_ids: u64,
    name: [u8; 16],
    ifindex: u32,
    /// Bit 0: gpl_compatible.
    flags: u32,
    netns_dev: u64,
    netns_ino: u64,
    nr_jited_ksyms: u32,
    nr_jited_func_lens: u32,
    jited_ksyms: u64,
    jited_func_lens: u64,
    btf_id: u32,
    func_info_rec_size: u32,
    func_info: u64,
    nr_func_info: u32,
    nr_line_info: u32,
    line_info: u64,
    jited_line_info: u64,
    nr_jited_line_info: u32,
    line_info_rec_size: u32,
    jited_line_info_rec_size: u32,
    nr_prog_tags: u32,
    prog_tags: u64,
    run_time_ns: u64,
    run_cnt: u64,
    recursion_misses: u64,
    verified_insns: u32,
    attach_btf_obj_id: u32,
    attach_btf_id: u32,
    _pad: u32,
}
// SAFETY: repr(C), integers and byte arrays, no padding (asserted below).
unsafe impl RawInfo for RawProgInfo {}
const _: () = assert!(
    offset_of!(RawProgInfo, name) == 64
        && offset_of!(RawProgInfo, btf_id) == 128
        && offset_of!(RawProgInfo, run_time_ns) == 192
        && offset_of!(RawProgInfo, verified_insns) == 216
        && size_of::<RawProgInfo>() == 232
);

/// What the kernel says about a loaded program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgInfo {
    /// Kernel-wide program id.
    pub id: ProgId,
    /// Program type.
    pub prog_type: ProgType,
    /// First 8 bytes of the hash of the instructions, map fds zeroed (SHA-1; SHA-256 since 6.18).
    pub tag: [u8; 8],
    /// Name given at load.
    pub name: String,
    /// JIT-ed image size in bytes (0 when not JIT-ed or hidden).
    pub jited_len: u32,
    /// Translated (post-verifier) instruction bytes.
    pub xlated_len: u32,
    /// Number of maps the program uses.
    pub nr_map_ids: u32,
    /// The program's BTF object id (0 without BTF).
    pub btf_id: BtfId,
    /// Load time, ns since boot.
    pub load_time: u64,
    /// uid that loaded it.
    pub created_by_uid: u32,
    /// Instructions the verifier processed (5.16+).
    pub verified_insns: u32,
    /// BTF object of the attach target (5.17+).
    pub attach_btf_obj_id: BtfId,
    /// BTF type id of the attach target (5.17+).
    pub attach_btf_id: u32,
    /// Run count and time (only counted while `kernel.bpf_stats_enabled` is 1).
    pub run_cnt: u64,
    /// Total run time in ns (same condition).
    pub run_time_ns: u64,
    /// The license was GPL-compatible.
    pub gpl_compatible: bool,
    /// func_info records the kernel kept.
    pub nr_func_info: u32,
    /// line_info records the kernel kept.
    pub nr_line_info: u32,
}

impl ProgInfo {
    /// The tag as 16 lower-case hex digits, as bpftool prints it.
    pub fn tag_hex(&self) -> String {
        self.tag.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Reads a program's info.
pub fn prog_info(fd: &ProgFd) -> Result<ProgInfo, SysError> {
    let mut r = RawProgInfo::default();
    get_info(fd, &mut r, "prog")?;
    Ok(ProgInfo {
        id: ProgId::new(r.id),
        prog_type: ProgType(r.prog_type),
        tag: r.tag,
        name: c_text(&r.name),
        jited_len: r.jited_prog_len,
        xlated_len: r.xlated_prog_len,
        nr_map_ids: r.nr_map_ids,
        btf_id: BtfId::new(r.btf_id),
        load_time: r.load_time,
        created_by_uid: r.created_by_uid,
        verified_insns: r.verified_insns,
        attach_btf_obj_id: BtfId::new(r.attach_btf_obj_id),
        attach_btf_id: r.attach_btf_id,
        run_cnt: r.run_cnt,
        run_time_ns: r.run_time_ns,
        gpl_compatible: r.flags & 1 != 0,
        nr_func_info: r.nr_func_info,
        nr_line_info: r.nr_line_info,
    })
}

/// The ids of the maps a program uses.
pub fn prog_map_ids(fd: &ProgFd) -> Result<Vec<MapId>, SysError> {
    let n = prog_info(fd)?.nr_map_ids;
    let mut ids = vec![0u32; n as usize];
    let mut r = RawProgInfo { nr_map_ids: n, map_ids: addr_mut(&mut ids), ..Default::default() };
    get_info(fd, &mut r, "prog map_ids")?;
    // The kernel reports the true count; it only wrote min(ours, true).
    ids.truncate(r.nr_map_ids.min(n) as usize);
    Ok(ids.into_iter().map(MapId::new).collect())
}

/// The translated (post-verifier) instructions of a program, as the kernel rewrote them.
pub fn prog_xlated_insns(fd: &ProgFd) -> Result<Vec<u8>, SysError> {
    let len = prog_info(fd)?.xlated_len;
    let mut buf = vec![0u8; len as usize];
    let mut r = RawProgInfo { xlated_prog_len: len, xlated_prog_insns: addr_mut(&mut buf), ..Default::default() };
    get_info(fd, &mut r, "prog xlated")?;
    buf.truncate(r.xlated_prog_len.min(len) as usize);
    Ok(buf)
}

/// `struct bpf_map_info`.
#[repr(C)]
#[derive(Default)]
struct RawMapInfo {
    map_type: u32,
    id: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    name: [u8; 16],
    ifindex: u32,
    btf_vmlinux_value_type_id: u32,
    netns_dev: u64,
    netns_ino: u64,
    btf_id: u32,
    btf_key_type_id: u32,
    btf_value_type_id: u32,
    _pad: u32,
    map_extra: u64,
}
// SAFETY: repr(C), integers and a byte array, no padding (asserted below).
unsafe impl RawInfo for RawMapInfo {}
const _: () = assert!(offset_of!(RawMapInfo, btf_id) == 64 && size_of::<RawMapInfo>() == 88);

/// What the kernel says about a map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInfo {
    /// Kernel-wide map id.
    pub id: MapId,
    /// Map type.
    pub map_type: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Capacity.
    pub max_entries: u32,
    /// Creation flags.
    pub map_flags: u32,
    /// Name.
    pub name: String,
    /// BTF object id (0 without BTF).
    pub btf_id: BtfId,
    /// Key type id in that BTF.
    pub btf_key_type_id: u32,
    /// Value type id in that BTF.
    pub btf_value_type_id: u32,
    /// Per-type extra (bloom filter hash count, arena address); 0 before 5.16.
    pub map_extra: u64,
}

/// Reads a map's info.
pub fn map_info(fd: &MapFd) -> Result<MapInfo, SysError> {
    let mut r = RawMapInfo::default();
    get_info(fd, &mut r, "map")?;
    Ok(MapInfo {
        id: MapId::new(r.id),
        map_type: MapType(r.map_type),
        key_size: r.key_size,
        value_size: r.value_size,
        max_entries: r.max_entries,
        map_flags: r.map_flags,
        name: c_text(&r.name),
        btf_id: BtfId::new(r.btf_id),
        btf_key_type_id: r.btf_key_type_id,
        btf_value_type_id: r.btf_value_type_id,
        map_extra: r.map_extra,
    })
}

/// `struct bpf_btf_info`.
#[repr(C)]
#[derive(Default)]
struct RawBtfInfo {
    btf: u64,
    btf_size: u32,
    id: u32,
    name: u64,
    name_len: u32,
    kernel_btf: u32,
}
// SAFETY: repr(C), only integers, no padding (asserted below).
unsafe impl RawInfo for RawBtfInfo {}
const _: () = assert!(offset_of!(RawBtfInfo, name) == 16 && size_of::<RawBtfInfo>() == 32);

/// What the kernel says about a BTF object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfInfo {
    /// Kernel-wide BTF id.
    pub id: BtfId,
    /// Name: `vmlinux`, a module name, or empty for BTF loaded by a program loader.
    pub name: String,
    /// True for the kernel's own BTF (vmlinux or a module).
    pub kernel_btf: bool,
    /// Size of the raw BTF in bytes.
    pub btf_size: u32,
}

/// Reads a BTF object's info, including its name.
pub fn btf_info(fd: &BtfFd) -> Result<BtfInfo, SysError> {
    let mut name = [0u8; 64];
    let mut r = RawBtfInfo { name: addr_mut(&mut name[..]), name_len: name.len() as u32, ..Default::default() };
    if let Err(e) = get_info(fd, &mut r, "btf") {
        // Before 5.11 bpf_btf_info ends at `id`: asking for the name is a non-zero tail (E2BIG).
        // Ask again without it; such kernels have no module BTF, so the name would be empty.
        if e.errno() != nix::errno::Errno::E2BIG {
            return Err(e);
        }
        name = [0u8; 64];
        r = RawBtfInfo::default();
        get_info(fd, &mut r, "btf")?;
    }
    let name_len = (r.name_len as usize).min(name.len());
    name[name.len() - 1] = 0;
    Ok(BtfInfo {
        id: BtfId::new(r.id),
        name: c_text(&name[..name_len.max(1)]),
        kernel_btf: r.kernel_btf != 0,
        btf_size: r.btf_size,
    })
}

/// The raw BTF a BTF object holds (what was loaded, or the kernel's own), to decode values of
/// maps created with it.
pub fn btf_data(fd: &BtfFd) -> Result<Vec<u8>, SysError> {
    let size = btf_info(fd)?.btf_size;
    let mut data = vec![0u8; size as usize];
    let mut r = RawBtfInfo { btf: addr_mut(&mut data[..]), btf_size: size, ..Default::default() };
    get_info(fd, &mut r, "btf data")?;
    // The kernel reports the true size; it wrote at most what we offered.
    data.truncate((r.btf_size as usize).min(size as usize));
    Ok(data)
}

/// `struct bpf_link_info` with its 32-byte union as raw words.
#[repr(C)]
#[derive(Default)]
struct RawLinkInfo {
    link_type: u32,
    id: u32,
    prog_id: u32,
    _pad: u32,
    /// raw_tracepoint: tp_name ptr (u64) + tp_name_len; tracing: attach_type, target_obj_id, target_btf_id.
    u: [u32; 8],
}
// SAFETY: repr(C), only integers, no padding (asserted below).
unsafe impl RawInfo for RawLinkInfo {}
const _: () = assert!(offset_of!(RawLinkInfo, u) == 16 && size_of::<RawLinkInfo>() == 48);

/// What each field is in C, for the ABI check (sys/abi.rs).
#[cfg(test)]
pub(super) fn abi_layouts() -> Vec<super::abi::Layout> {
    use super::abi::layout;
    vec![
        layout!(InfoAttr in "union bpf_attr" {
            bpf_fd => M("info.bpf_fd");
            info_len => M("info.info_len");
            info => M("info.info");
        }),
        layout!(RawProgInfo in "struct bpf_prog_info" {
            prog_type => M("type");
            id;
            tag;
            jited_prog_len;
            xlated_prog_len;
            jited_prog_insns;
            xlated_prog_insns;
            load_time;
            created_by_uid;
            nr_map_ids;
            map_ids;
            name;
            ifindex;
            flags => Between("ifindex", "netns_dev");
            netns_dev;
            netns_ino;
            nr_jited_ksyms;
            nr_jited_func_lens;
            jited_ksyms;
            jited_func_lens;
            btf_id;
            func_info_rec_size;
            func_info;
            nr_func_info;
            nr_line_info;
            line_info;
            jited_line_info;
            nr_jited_line_info;
            line_info_rec_size;
            jited_line_info_rec_size;
            nr_prog_tags;
            prog_tags;
            run_time_ns;
            run_cnt;
            recursion_misses;
            verified_insns;
            attach_btf_obj_id;
            attach_btf_id;
            _pad => Pad;
        }),
        layout!(RawMapInfo in "struct bpf_map_info" {
            map_type => M("type");
            id;
            key_size;
            value_size;
            max_entries;
            map_flags;
            name;
            ifindex;
            btf_vmlinux_value_type_id;
            netns_dev;
            netns_ino;
            btf_id;
            btf_key_type_id;
            btf_value_type_id;
            _pad => Pad;
            map_extra;
        }),
        layout!(RawBtfInfo in "struct bpf_btf_info" {
            btf;
            btf_size;
            id;
            name;
            name_len;
            kernel_btf;
        }),
        layout!(RawLinkInfo in "struct bpf_link_info" {
            link_type => M("type");
            id;
            prog_id;
            _pad => Pad;
            u[0, 8] => M("raw_tracepoint.tp_name");
            u[8, 4] => M("raw_tracepoint.tp_name_len");
            u[0, 4] => M("tracing.attach_type");
            u[4, 4] => M("tracing.target_obj_id");
            u[8, 4] => M("tracing.target_btf_id");
        }),
    ]
}

/// Type-specific details of a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkDetail {
    /// raw_tp / tp_btf opened through BPF_RAW_TRACEPOINT_OPEN or a TRACE_RAW_TP link.
    RawTracepoint {
        /// Tracepoint name.
        name: String,
    },
    /// fentry / fexit / fmod_ret / lsm / freplace.
    Tracing {
        /// Attach type.
        attach_type: AttachType,
        /// BTF object id of the target (or program id for freplace).
        target_obj_id: u32,
        /// BTF type id of the target.
        target_btf_id: u32,
    },
    /// Other link types: not decoded.
    Other,
}

/// What the kernel says about a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    /// Kernel-wide link id.
    pub id: LinkId,
    /// Link type.
    pub link_type: LinkType,
    /// The attached program's id.
    pub prog_id: ProgId,
    /// Type-specific details.
    pub detail: LinkDetail,
}

/// Reads a link's info (and, for raw tracepoints, the tracepoint name).
pub fn link_info(fd: &LinkFd) -> Result<LinkInfo, SysError> {
    let mut r = RawLinkInfo::default();
    get_info(fd, &mut r, "link")?;
    let link_type = LinkType(r.link_type);
    let detail = match link_type {
        LinkType::RAW_TRACEPOINT => {
            let mut name = [0u8; 128];
            let ptr = addr_mut(&mut name[..]);
            let mut q = RawLinkInfo::default();
            // `tp_name` is a u64 at the union's start: store it in native byte order.
            let b = ptr.to_ne_bytes();
            q.u[0] = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            q.u[1] = u32::from_ne_bytes([b[4], b[5], b[6], b[7]]);
            q.u[2] = name.len() as u32;
            get_info(fd, &mut q, "link tp_name")?;
            name[name.len() - 1] = 0;
            LinkDetail::RawTracepoint { name: c_text(&name) }
        }
        LinkType::TRACING => {
            LinkDetail::Tracing { attach_type: AttachType(r.u[0]), target_obj_id: r.u[1], target_btf_id: r.u[2] }
        }
        _ => LinkDetail::Other,
    };
    Ok(LinkInfo { id: LinkId::new(r.id), link_type, prog_id: ProgId::new(r.prog_id), detail })
}
