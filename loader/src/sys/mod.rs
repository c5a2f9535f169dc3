//! The only `unsafe` in rawbpf: bpf(), perf_event_open() and ioctl() with their attribute structs,
//! the read-only mapping of sysfs BTF, zero-filled anonymous memory to read objects into, and the
//! shared mappings of perf rings and BPF ring buffers (with epoll to wait on them).
//!
//! Each command has its own `#[repr(C)]` attribute struct covering only the `union bpf_attr`
//! members it fills, zero-initialized with no implicit padding, and passes `size_of` that struct:
//! older kernels refuse (E2BIG) a non-zero tail they do not know. Every call emits one DEBUG event
//! on target `rawbpf::sys` naming the command, its key fields and the result.

#[cfg(test)]
mod abi;
mod arena;
mod bpf;
mod btf_load;
mod epoll;
mod error;
mod handles;
mod ids;
mod info;
mod link;
mod log;
mod map;
mod mmap;
mod perf;
mod perf_ring;
mod pin;
mod prog;
mod ring_mmap;
mod ringbuf;
mod signal;
mod types;
mod zeroed;

pub use arena::write_arena;
pub use bpf::Cmd;
pub use btf_load::btf_load;
pub use epoll::Epoll;
pub use error::{Call, PerfIoctl, SysError, ENOTSUPP};
pub use handles::{BtfFd, BtfId, LinkFd, LinkId, MapFd, MapId, PerfEventFd, ProgFd, ProgId};
pub use ids::*;
pub use info::{
    btf_data, btf_info, link_info, map_info, prog_info, prog_map_ids, prog_xlated_insns, BtfInfo, LinkDetail, LinkInfo,
    MapInfo, ProgInfo,
};
pub use link::{
    link_create, link_create_kprobe_multi, link_create_uprobe_multi, raw_tracepoint_open, LinkCreate, UprobeMulti,
};
pub use log::{Loaded, LogLevel, LoggedError, LOG_MAX, LOG_START};
pub use map::{
    map_create, map_delete_elem, map_freeze, map_get_next_key, map_lookup_batch, map_lookup_elem, map_update_elem,
    parse_cpu_list, possible_cpus, value_buf_len, Batch, MapCreate, BPF_ANY, BPF_EXIST, BPF_NOEXIST,
};
pub use mmap::SysfsMapping;
pub use perf::{
    perf_event_disable, perf_event_enable, perf_event_open_kprobe, perf_event_open_probe, perf_event_open_tracepoint,
    perf_event_set_bpf, tracefs_root, tracepoint_id, ProbeOpen,
};
pub use perf_ring::{perf_event_open_bpf_output, PerfMmap, PERF_RECORD_LOST, PERF_RECORD_SAMPLE};
pub use pin::{obj_get, obj_pin, BPF_FS_MAGIC};
pub use prog::{encode_insns, prog_load, prog_load_with_log, ProgLoad, Records};
pub use ring_mmap::page_size;
pub use ringbuf::{RingbufMmap, Slot, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ};
pub use signal::{install_stop_handler, STOP};
pub use types::{attach_type_name, map_type_name, prog_type_name, AttachType, LinkType, MapType, ProgType};
pub use zeroed::ZeroedBuf;
