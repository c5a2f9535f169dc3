//! The perf ring a `BPF_MAP_TYPE_PERF_EVENT_ARRAY` program writes into with `bpf_perf_event_output`:
//! one `PERF_COUNT_SW_BPF_OUTPUT` event per CPU and its mapping (a control page, then 2^n data
//! pages the kernel fills from `data_head` while the reader frees from `data_tail`).

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use super::bpf::{owned, trace_result};
use super::error::{Call, SysError};
use super::handles::PerfEventFd;
use super::perf::{PerfEventAttr, PERF_FLAG_FD_CLOEXEC};
use super::ring_mmap::{last_errno, map_shared, page_size, unmap};

/// `PERF_TYPE_SOFTWARE`.
const PERF_TYPE_SOFTWARE: u32 = 1;
/// `PERF_COUNT_SW_BPF_OUTPUT`: the software event `bpf_perf_event_output` writes to.
const PERF_COUNT_SW_BPF_OUTPUT: u64 = 10;
/// `PERF_SAMPLE_RAW`: each sample carries the program's bytes.
const PERF_SAMPLE_RAW: u64 = 1 << 10;
/// `PERF_RECORD_LOST`: the kernel dropped samples because the ring was full.
pub const PERF_RECORD_LOST: u32 = 2;
/// `PERF_RECORD_SAMPLE`: one sample.
pub const PERF_RECORD_SAMPLE: u32 = 9;
/// `offsetof(struct perf_event_mmap_page, data_head)`: after the 1 KiB of counter fields.
const DATA_HEAD: usize = 1024;
/// `offsetof(struct perf_event_mmap_page, data_tail)`.
const DATA_TAIL: usize = 1032;
/// `offsetof(struct perf_event_mmap_page, data_offset)` (Linux 4.1+, like `data_size` after it).
const DATA_OFFSET: usize = 1040;
/// `offsetof(struct perf_event_mmap_page, data_size)`.
const DATA_SIZE: usize = 1048;

/// The constants, for the ABI check (sys/abi.rs); the attr struct is `perf`'s.
#[cfg(test)]
pub(super) const ABI_CONSTANTS: &[(&str, i64)] = super::abi::consts![
    PERF_TYPE_SOFTWARE,
    PERF_COUNT_SW_BPF_OUTPUT,
    PERF_SAMPLE_RAW,
    PERF_RECORD_LOST,
    PERF_RECORD_SAMPLE,
];

/// Opens the BPF output event of `cpu` for every process (pid -1), one sample per output
/// (`sample_period` 1) and a wakeup every `wakeup_events` samples, as libbpf's `perf_buffer__new`.
pub fn perf_event_open_bpf_output(cpu: u32, wakeup_events: u32) -> Result<PerfEventFd, SysError> {
    let attr = PerfEventAttr {
        type_: PERF_TYPE_SOFTWARE,
        size: size_of::<PerfEventAttr>() as u32,
        config: PERF_COUNT_SW_BPF_OUTPUT,
        sample_period: 1,
        sample_type: PERF_SAMPLE_RAW,
        wakeup_events: wakeup_events.max(1),
        ..Default::default()
    };
    let (pid, group): (libc::pid_t, libc::c_int) = (-1, -1);
    // SAFETY: `attr` is a live, fully initialized perf_event_attr prefix whose `size` field says
    // how many bytes the kernel may read; the remaining arguments are plain integers.
    let r = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const PerfEventAttr,
            pid,
            cpu as libc::c_int,
            group,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    let r = if r >= 0 { Ok(r as i64) } else { Err(last_errno()) };
    trace_result("perf_event_open", format_args!("type=software config=bpf_output cpu={cpu}"), r);
    r.map(|fd| PerfEventFd::from_owned(owned(fd))).map_err(|e| SysError::new(Call::PerfEventOpen, e))
}

/// A perf event's ring, mapped read-write (the reader writes `data_tail`), unmapped on drop.
///
/// Between the `data_tail` the reader last stored and the `data_head` it last loaded, the bytes
/// are the reader's: the kernel writes only past `data_head` and never past `data_tail` + size.
/// [`PerfMmap::window`] lends exactly those bytes, and only until the next `&mut self` call.
#[derive(Debug)]
pub struct PerfMmap {
    base: NonNull<u8>,
    len: usize,
    data_offset: usize,
    data_size: usize,
    head: u64,
    tail: u64,
}

// SAFETY: the mapping is owned by this value alone; the kernel side is synchronized through
// the acquire/release accesses of data_head and data_tail, whichever thread makes them.
unsafe impl Send for PerfMmap {}

impl PerfMmap {
    /// Maps the control page and `data_pages` (a power of two) data pages of `fd`.
    pub fn map(fd: &PerfEventFd, data_pages: usize) -> Result<PerfMmap, SysError> {
        let page = page_size();
        if !data_pages.is_power_of_two() {
            return Err(SysError::new(Call::Mmap, libc::EINVAL));
        }
        let len = page * (1 + data_pages);
        let base = map_shared(fd, len, 0, true)?;
        let mut m = PerfMmap { base, len, data_offset: page, data_size: page * data_pages, head: 0, tail: 0 };
        // Kernels since 4.1 say where the data is; they agree with the classic layout, which is
        // kept if they ever disagree with what was mapped.
        let (off, size) = (m.word(DATA_OFFSET).load(Ordering::Relaxed), m.word(DATA_SIZE).load(Ordering::Relaxed));
        if size != 0 && off as usize == page && size as usize == m.data_size {
            m.data_offset = off as usize;
        }
        m.tail = m.word(DATA_TAIL).load(Ordering::Relaxed);
        m.head = m.tail;
        Ok(m)
    }

    fn word(&self, offset: usize) -> &AtomicU64 {
        // SAFETY: `offset` is one of the 8-byte aligned control-page fields above, inside the
        // live mapping; the kernel accesses them only as whole aligned u64s.
        unsafe { &*self.base.as_ptr().add(offset).cast::<AtomicU64>() }
    }

    /// Bytes in the data area (a power of two).
    pub fn data_size(&self) -> usize {
        self.data_size
    }

    /// Loads `data_head` (acquire: the records before it are complete) and returns how many
    /// bytes wait; more than the data area means a broken ring and is capped to it.
    pub fn refresh(&mut self) -> u64 {
        self.head = self.word(DATA_HEAD).load(Ordering::Acquire);
        let pending = self.head.wrapping_sub(self.tail);
        if pending > self.data_size as u64 {
            self.head = self.tail + self.data_size as u64;
        }
        self.head - self.tail
    }

    /// The position of `data_tail` (bytes ever consumed).
    pub fn tail(&self) -> u64 {
        self.tail
    }

    /// The waiting bytes, from `data_tail` to the `data_head` of the last [`Self::refresh`]: two
    /// slices when they wrap around the end of the data area (the second is empty otherwise).
    pub fn window(&self) -> (&[u8], &[u8]) {
        let size = self.data_size;
        let start = (self.tail as usize) & (size - 1);
        let pending = (self.head - self.tail) as usize;
        let first = pending.min(size - start);
        // SAFETY: both ranges lie in the data area of the live mapping (start < size, first ≤
        // size - start, pending ≤ size); the kernel does not write between data_tail and the
        // data_head loaded with acquire until data_tail moves, which needs `&mut self`.
        unsafe {
            let data = self.base.as_ptr().add(self.data_offset);
            (std::slice::from_raw_parts(data.add(start), first), std::slice::from_raw_parts(data, pending - first))
        }
    }

    /// Frees `n` bytes (at most the pending ones) for the kernel: a release store of `data_tail`
    /// after every read of them.
    pub fn consume(&mut self, n: u64) {
        self.tail += n.min(self.head - self.tail);
        self.word(DATA_TAIL).store(self.tail, Ordering::Release);
    }
}

impl Drop for PerfMmap {
    fn drop(&mut self) {
        unmap(self.base, self.len);
    }
}
