//! BPF_BTF_LOAD: hand a BTF blob to the kernel's checker.

use std::mem::offset_of;

use super::bpf::{addr, addr_mut, call_fd, Attr, Cmd};
use super::handles::BtfFd;
use super::log::{with_log, Loaded, LogLevel, LoggedError};

/// The BPF_BTF_LOAD prefix of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct BtfLoadAttr {
    btf: u64,
    btf_log_buf: u64,
    btf_size: u32,
    btf_log_size: u32,
    btf_log_level: u32,
    /// Output (6.4+): the log size the kernel needed.
    btf_log_true_size: u32,
}
// SAFETY: repr(C), only integers, no padding (asserted below).
unsafe impl Attr for BtfLoadAttr {}
const _: () = assert!(offset_of!(BtfLoadAttr, btf_log_level) == 24 && size_of::<BtfLoadAttr>() == 32);

/// What each field is in C, for the ABI check (sys/abi.rs).
#[cfg(test)]
pub(super) fn abi_layouts() -> Vec<super::abi::Layout> {
    vec![super::abi::layout!(BtfLoadAttr in "union bpf_attr" {
        btf;
        btf_log_buf;
        btf_size;
        btf_log_size;
        btf_log_level;
        btf_log_true_size;
    })]
}

/// Loads a BTF blob; on failure the error carries the kernel's BTF log.
pub fn btf_load(data: &[u8], log: LogLevel) -> Result<Loaded<BtfFd>, LoggedError> {
    with_log(log, &mut |level, buf: &mut [u8]| {
        let mut a = BtfLoadAttr {
            btf: addr(data),
            btf_size: data.len() as u32,
            btf_log_buf: addr_mut(buf),
            btf_log_size: buf.len() as u32,
            btf_log_level: level,
            ..Default::default()
        };
        let r = call_fd(Cmd::BtfLoad, &mut a, format_args!("size={} log_level={level}", data.len()));
        (r, a.btf_log_true_size)
    })
    .map(|l| l.map_fd(BtfFd::from_owned))
}
