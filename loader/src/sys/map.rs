//! Maps: BPF_MAP_CREATE and the element commands. Element calls check buffer sizes against the
//! map's own key/value sizes first, so the kernel never reads or writes past a Rust slice.

use std::mem::offset_of;
use std::os::fd::AsRawFd;

use super::bpf::{addr, addr_mut, call, call_fd, obj_name, Attr, Cmd};
use super::error::SysError;
use super::handles::{BtfFd, MapFd};
use super::info::{map_info, MapInfo};
use super::types::MapType;

/// Everything BPF_MAP_CREATE takes.
#[derive(Clone, Copy, Debug, Default)]
pub struct MapCreate<'a> {
    /// Map type.
    pub map_type: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Capacity.
    pub max_entries: u32,
    /// `BPF_F_*` map flags (`BPF_F_NO_PREALLOC`, `BPF_F_RDONLY_PROG`, `BPF_F_MMAPABLE`...).
    pub map_flags: u32,
    /// Name (truncated to 15 bytes, sanitized).
    pub name: &'a str,
    /// Inner map template for map-in-map types.
    pub inner_map_fd: Option<&'a MapFd>,
    /// The object's BTF, describing key and value.
    pub btf_fd: Option<&'a BtfFd>,
    /// Key type id in `btf_fd`.
    pub btf_key_type_id: u32,
    /// Value type id in `btf_fd`.
    pub btf_value_type_id: u32,
    /// struct_ops: the kernel struct stored as the value.
    pub btf_vmlinux_value_type_id: u32,
    /// Per-type extra (bloom filter hash count, arena address).
    pub map_extra: u64,
}

/// The BPF_MAP_CREATE prefix of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct MapCreateAttr {
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    inner_map_fd: u32,
    numa_node: u32,
    map_name: [u8; 16],
    map_ifindex: u32,
    btf_fd: u32,
    btf_key_type_id: u32,
    btf_value_type_id: u32,
    btf_vmlinux_value_type_id: u32,
    map_extra: u64,
}
// SAFETY: repr(C), only integers and a byte array, no padding (asserted below).
unsafe impl Attr for MapCreateAttr {}
const _: () = assert!(
    offset_of!(MapCreateAttr, map_name) == 28
        && offset_of!(MapCreateAttr, btf_fd) == 48
        && offset_of!(MapCreateAttr, map_extra) == 64
        && size_of::<MapCreateAttr>() == 72
);

/// The BPF_MAP_*_ELEM prefix of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct ElemAttr {
    map_fd: u32,
    _pad: u32,
    key: u64,
    /// `value` or `next_key`.
    value: u64,
    flags: u64,
}
// SAFETY: repr(C), only integers, padding is an explicit field.
unsafe impl Attr for ElemAttr {}
const _: () = assert!(offset_of!(ElemAttr, key) == 8 && size_of::<ElemAttr>() == 32);

/// The BPF_MAP_*_BATCH member of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct BatchAttr {
    in_batch: u64,
    out_batch: u64,
    keys: u64,
    values: u64,
    count: u32,
    map_fd: u32,
    elem_flags: u64,
    flags: u64,
}
// SAFETY: repr(C), only integers, no padding (asserted below).
unsafe impl Attr for BatchAttr {}
const _: () = assert!(offset_of!(BatchAttr, count) == 32 && size_of::<BatchAttr>() == 56);

/// `BPF_ANY`: create or update.
pub const BPF_ANY: u64 = 0;
/// `BPF_NOEXIST`: create only.
pub const BPF_NOEXIST: u64 = 1;
/// `BPF_EXIST`: update only.
pub const BPF_EXIST: u64 = 2;

/// What each field is in C, and the constants, for the ABI check (sys/abi.rs).
#[cfg(test)]
pub(super) fn abi_layouts() -> Vec<super::abi::Layout> {
    use super::abi::layout;
    vec![
        layout!(MapCreateAttr in "union bpf_attr" {
            map_type;
            key_size;
            value_size;
            max_entries;
            map_flags;
            inner_map_fd;
            numa_node;
            map_name;
            map_ifindex;
            btf_fd;
            btf_key_type_id;
            btf_value_type_id;
            btf_vmlinux_value_type_id;
            map_extra;
        }),
        layout!(ElemAttr in "union bpf_attr" {
            map_fd;
            _pad => Pad;
            key;
            value => M("value"), M("next_key");
            flags;
        }),
        layout!(BatchAttr in "union bpf_attr" {
            in_batch => M("batch.in_batch");
            out_batch => M("batch.out_batch");
            keys => M("batch.keys");
            values => M("batch.values");
            count => M("batch.count");
            map_fd => M("batch.map_fd");
            elem_flags => M("batch.elem_flags");
            flags => M("batch.flags");
        }),
    ]
}

/// See [`abi_layouts`].
#[cfg(test)]
pub(super) const ABI_CONSTANTS: &[(&str, i64)] = super::abi::consts![BPF_ANY, BPF_NOEXIST, BPF_EXIST];

/// Creates a map.
pub fn map_create(m: &MapCreate<'_>) -> Result<MapFd, SysError> {
    let btf_fd = m.btf_fd.map_or(0, |fd| fd.as_raw_fd() as u32);
    let mut a = MapCreateAttr {
        map_type: m.map_type.0,
        key_size: m.key_size,
        value_size: m.value_size,
        max_entries: m.max_entries,
        map_flags: m.map_flags,
        inner_map_fd: m.inner_map_fd.map_or(0, |fd| fd.as_raw_fd() as u32),
        map_name: obj_name(m.name),
        btf_fd,
        btf_key_type_id: m.btf_key_type_id,
        btf_value_type_id: m.btf_value_type_id,
        btf_vmlinux_value_type_id: m.btf_vmlinux_value_type_id,
        map_extra: m.map_extra,
        ..Default::default()
    };
    call_fd(
        Cmd::MapCreate,
        &mut a,
        format_args!(
            "map_type={} name={:?} key_size={} value_size={} max_entries={} flags={:#x} btf_fd={btf_fd} key_type_id={} \
             value_type_id={}",
            m.map_type, m.name, m.key_size, m.value_size, m.max_entries, m.map_flags, m.btf_key_type_id,
            m.btf_value_type_id,
        ),
    )
    .map(MapFd::from_owned)
}

/// Bytes a value buffer must hold for this map (per-CPU maps: one 8-aligned slot per possible
/// CPU); `None` when the number of possible CPUs cannot be read.
pub fn value_buf_len(info: &MapInfo) -> Option<usize> {
    if info.map_type.is_per_cpu() {
        Some((info.value_size as usize).next_multiple_of(8) * possible_cpus().ok()?)
    } else {
        Some(info.value_size as usize)
    }
}

/// Number of possible CPUs, from `/sys/devices/system/cpu/possible` (e.g. `0-3` → 4).
pub fn possible_cpus() -> std::io::Result<usize> {
    let s = std::fs::read_to_string("/sys/devices/system/cpu/possible")?;
    parse_cpu_list(&s).ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, s))
}

/// Counts CPUs in a list like `0-3,8,10-11`.
pub fn parse_cpu_list(s: &str) -> Option<usize> {
    let mut n = 0;
    for part in s.trim().split(',').filter(|p| !p.is_empty()) {
        n += match part.split_once('-') {
            Some((a, b)) => b.parse::<usize>().ok()?.checked_sub(a.parse::<usize>().ok()?)? + 1,
            None => part.parse::<usize>().map(|_| 1).ok()?,
        };
    }
    Some(n)
}

/// Fails with EINVAL (naming `cmd`) unless the buffers cover the map's key and value sizes.
fn check_sizes(cmd: Cmd, fd: &MapFd, key: usize, value: Option<usize>) -> Result<(), SysError> {
    let info = map_info(fd)?;
    let value_ok = match value {
        Some(len) => value_buf_len(&info).is_some_and(|need| len >= need),
        None => true,
    };
    if key < info.key_size as usize || !value_ok {
        tracing::debug!(target: "rawbpf::sys", cmd = cmd.name(), key, ?value, info.key_size, info.value_size,
            "buffer smaller than the map's key/value size");
        return Err(SysError::new(cmd, libc::EINVAL));
    }
    Ok(())
}

fn elem(cmd: Cmd, fd: &MapFd, key: u64, value: u64, flags: u64) -> Result<(), SysError> {
    let map_fd = fd.as_raw_fd() as u32;
    let mut a = ElemAttr { map_fd, key, value, flags, ..Default::default() };
    call(cmd, &mut a, format_args!("map_fd={map_fd} flags={flags:#x}")).map(|_| ())
}

/// Writes `value` at `key` (`flags`: [`BPF_ANY`], [`BPF_NOEXIST`], [`BPF_EXIST`]).
pub fn map_update_elem(fd: &MapFd, key: &[u8], value: &[u8], flags: u64) -> Result<(), SysError> {
    check_sizes(Cmd::MapUpdateElem, fd, key.len(), Some(value.len()))?;
    elem(Cmd::MapUpdateElem, fd, addr(key), addr(value), flags)
}

/// Reads the value at `key` into `value`; `ENOENT` when absent.
pub fn map_lookup_elem(fd: &MapFd, key: &[u8], value: &mut [u8]) -> Result<(), SysError> {
    check_sizes(Cmd::MapLookupElem, fd, key.len(), Some(value.len()))?;
    elem(Cmd::MapLookupElem, fd, addr(key), addr_mut(value), 0)
}

/// Deletes `key`; `ENOENT` when absent.
pub fn map_delete_elem(fd: &MapFd, key: &[u8]) -> Result<(), SysError> {
    check_sizes(Cmd::MapDeleteElem, fd, key.len(), None)?;
    elem(Cmd::MapDeleteElem, fd, addr(key), 0, 0)
}

/// Writes the key after `key` (or the first key, for `None`) into `next`; `ENOENT` at the end.
pub fn map_get_next_key(fd: &MapFd, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), SysError> {
    check_sizes(Cmd::MapGetNextKey, fd, key.map_or(usize::MAX, <[u8]>::len).min(next.len()), None)?;
    elem(Cmd::MapGetNextKey, fd, key.map_or(0, addr), addr_mut(next), 0)
}

/// Buffers of one `BPF_MAP_LOOKUP_BATCH` call.
#[derive(Debug)]
pub struct Batch<'a> {
    /// Where to start: `None` for the beginning, else the `out_batch` of the previous call.
    pub in_batch: Option<&'a [u8]>,
    /// The kernel writes where the next call starts here (hash maps: a bucket index, 4 bytes;
    /// other maps: a key): at least `max(key_size, 4)` bytes.
    pub out_batch: &'a mut [u8],
    /// `count` keys' room.
    pub keys: &'a mut [u8],
    /// `count` values' room (per-CPU maps: [`value_buf_len`] each).
    pub values: &'a mut [u8],
}

/// Reads up to `count` elements from where `b.in_batch` says into `b.keys`/`b.values` and
/// returns how many it filled. `ENOENT` ends the walk, but the kernel may still have filled
/// some elements: they come with it, as `Err((error, filled))`; `ENOSPC` (a hash bucket holds
/// more than `count` elements) fills none; `EINVAL` (before 5.6) and `ENOTSUPP` (map types
/// without batch operations) say to walk keys one by one instead.
pub fn map_lookup_batch(fd: &MapFd, b: Batch<'_>, count: u32) -> Result<u32, (SysError, u32)> {
    let cmd = Cmd::MapLookupBatch;
    let info = map_info(fd).map_err(|e| (e, 0))?;
    let (key, value) = (info.key_size as usize, value_buf_len(&info).unwrap_or(usize::MAX));
    let n = count as usize;
    let batch_len = key.max(4);
    let fits = |have: usize, each: usize| each.checked_mul(n).is_some_and(|need| have >= need);
    if b.in_batch.is_some_and(|i| i.len() < batch_len)
        || b.out_batch.len() < batch_len
        || !fits(b.keys.len(), key)
        || !fits(b.values.len(), value)
    {
        tracing::debug!(target: "rawbpf::sys", cmd = cmd.name(), count, key, value, "batch buffers too small");
        return Err((SysError::new(cmd, libc::EINVAL), 0));
    }
    let map_fd = fd.as_raw_fd() as u32;
    let mut a = BatchAttr {
        in_batch: b.in_batch.map_or(0, addr),
        out_batch: addr_mut(b.out_batch),
        keys: addr_mut(b.keys),
        values: addr_mut(b.values),
        count,
        map_fd,
        ..Default::default()
    };
    let r = call(cmd, &mut a, format_args!("map_fd={map_fd} count={count} in_batch={}", b.in_batch.is_some()));
    // The kernel writes back how many it filled, on success and on ENOENT alike.
    let filled = a.count.min(count);
    r.map(|_| filled).map_err(|e| (e, filled))
}

/// Makes the map read-only for user space (`.rodata` after initialization).
pub fn map_freeze(fd: &MapFd) -> Result<(), SysError> {
    elem(Cmd::MapFreeze, fd, 0, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-1\n"), Some(2));
        assert_eq!(parse_cpu_list("0"), Some(1));
        assert_eq!(parse_cpu_list("0-3,8,10-11"), Some(7));
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("x"), None);
    }
}
