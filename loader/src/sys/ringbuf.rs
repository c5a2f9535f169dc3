//! A `BPF_MAP_TYPE_RINGBUF` map's memory: the consumer page (mapped read-write: the reader
//! publishes `consumer_pos` there), then the producer page and the data area (read-only). The
//! kernel maps the data area twice in a row, so a record that starts near the end continues
//! past it in the second copy and every record is contiguous.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::error::{Call, SysError};
use super::handles::MapFd;
use super::ring_mmap::{map_shared, page_size, unmap};

/// `BPF_RINGBUF_BUSY_BIT`: the producer has reserved the record but not committed it yet.
pub const BPF_RINGBUF_BUSY_BIT: u32 = 1 << 31;
/// `BPF_RINGBUF_DISCARD_BIT`: the producer gave the record up (`bpf_ringbuf_discard`).
pub const BPF_RINGBUF_DISCARD_BIT: u32 = 1 << 30;
/// `BPF_RINGBUF_HDR_SZ`: the record header (length and flags, then the page offset).
pub const BPF_RINGBUF_HDR_SZ: u32 = 8;

/// See sys/abi.rs.
#[cfg(test)]
pub(super) const ABI_CONSTANTS: &[(&str, i64)] =
    super::abi::consts![BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ];

/// What sits at a position of the ring.
#[derive(Debug, PartialEq, Eq)]
pub enum Slot<'a> {
    /// Nothing yet: the position is the producer's.
    Empty,
    /// Reserved, not committed: the reader must stop here (records commit out of order).
    Busy,
    /// A committed record of `len` bytes (without the header).
    Record {
        /// Its length as the header states it.
        len: u32,
        /// Given up by its producer: skip it.
        discarded: bool,
        /// Its bytes; `None` when the stated length runs past the data the producer published
        /// or past the data area (a broken ring).
        data: Option<&'a [u8]>,
    },
}

/// A ring buffer map's memory, unmapped on drop.
#[derive(Debug)]
pub struct RingbufMmap {
    consumer: NonNull<u8>,
    producer: NonNull<u8>,
    producer_len: usize,
    data_offset: usize,
    mask: u64,
    consumer_pos: u64,
    producer_pos: u64,
}

// SAFETY: the mappings are owned by this value alone; the kernel side is synchronized through
// the acquire/release accesses of the positions and the record headers.
unsafe impl Send for RingbufMmap {}

impl RingbufMmap {
    /// Maps the ring of `fd`, whose data area is `data_size` bytes (the map's `max_entries`, a
    /// power of two that is a multiple of the page size).
    pub fn map(fd: &MapFd, data_size: u32) -> Result<RingbufMmap, SysError> {
        let page = page_size();
        let size = data_size as usize;
        if !size.is_power_of_two() || size < page {
            return Err(SysError::new(Call::Mmap, libc::EINVAL));
        }
        let consumer = map_shared(fd, page, 0, true)?;
        let producer_len = page + 2 * size;
        let producer = match map_shared(fd, producer_len, page, false) {
            Ok(p) => p,
            Err(e) => {
                unmap(consumer, page);
                return Err(e);
            }
        };
        let mut m = RingbufMmap {
            consumer,
            producer,
            producer_len,
            data_offset: page,
            mask: size as u64 - 1,
            consumer_pos: 0,
            producer_pos: 0,
        };
        m.consumer_pos = m.consumer_word().load(Ordering::Acquire);
        m.producer_pos = m.consumer_pos;
        Ok(m)
    }

    fn consumer_word(&self) -> &AtomicU64 {
        // SAFETY: consumer_pos is the first, 8-byte aligned u64 of the live consumer page.
        unsafe { &*self.consumer.as_ptr().cast::<AtomicU64>() }
    }

    fn producer_word(&self) -> &AtomicU64 {
        // SAFETY: producer_pos is the first, 8-byte aligned u64 of the live producer page.
        unsafe { &*self.producer.as_ptr().cast::<AtomicU64>() }
    }

    /// Bytes in the data area.
    pub fn data_size(&self) -> u64 {
        self.mask + 1
    }

    /// Where the reader is (bytes ever consumed).
    pub fn consumer_pos(&self) -> u64 {
        self.consumer_pos
    }

    /// Loads `producer_pos` (acquire) and returns it.
    pub fn refresh(&mut self) -> u64 {
        let p = self.producer_word().load(Ordering::Acquire);
        // A producer position behind the reader, or more than the ring ahead, is no ring the
        // kernel writes; nothing past the reader is trusted then.
        self.producer_pos =
            if p < self.consumer_pos || p - self.consumer_pos > self.data_size() { self.consumer_pos } else { p };
        self.producer_pos
    }

    /// What is at the reader's position.
    pub fn slot(&self) -> Slot<'_> {
        let pos = self.consumer_pos;
        if self.producer_pos - pos < u64::from(BPF_RINGBUF_HDR_SZ) {
            return Slot::Empty;
        }
        let at = self.data_offset + (pos & self.mask) as usize;
        // SAFETY: `at` is inside the first copy of the data area, 8-byte aligned (positions
        // advance in multiples of 8); the kernel writes the length word only with atomic stores.
        let header = unsafe { &*self.producer.as_ptr().add(at).cast::<AtomicU32>() }.load(Ordering::Acquire);
        if header & BPF_RINGBUF_BUSY_BIT != 0 {
            return Slot::Busy;
        }
        let len = header & !(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
        let end = u64::from(BPF_RINGBUF_HDR_SZ) + u64::from(len);
        let fits = end <= self.producer_pos - pos && end <= self.data_size();
        // SAFETY: the record's bytes follow its header and, being at most the data area long,
        // end inside the second copy of it; the committed (not busy, acquire-loaded) record is
        // not written again until the published consumer_pos passes it, which needs `&mut self`.
        let data = fits.then(|| unsafe {
            std::slice::from_raw_parts(self.producer.as_ptr().add(at + BPF_RINGBUF_HDR_SZ as usize), len as usize)
        });
        Slot::Record { len, discarded: header & BPF_RINGBUF_DISCARD_BIT != 0, data }
    }

    /// Passes the record at the reader's position, whose header says `len` bytes: the position
    /// moves by header and length rounded up to 8. The kernel learns of it at [`Self::publish`]:
    /// until then the bytes passed stay the reader's.
    pub fn advance(&mut self, len: u32) {
        let step = (u64::from(BPF_RINGBUF_HDR_SZ) + u64::from(len) + 7) & !7;
        self.consumer_pos = (self.consumer_pos + step).min(self.producer_pos);
    }

    /// Hands every record passed so far back to the kernel: one release store of
    /// `consumer_pos` after all reads of them. Once per batch rather than per record, so the
    /// producers, which read the position on every reserve and commit, do not miss their cache
    /// line per record.
    pub fn publish(&mut self) {
        self.consumer_word().store(self.consumer_pos, Ordering::Release);
    }
}

impl Drop for RingbufMmap {
    fn drop(&mut self) {
        unmap(self.producer, self.producer_len);
        unmap(self.consumer, self.data_offset);
    }
}
