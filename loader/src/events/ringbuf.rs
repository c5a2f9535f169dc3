//! A ring buffer map read from its mapping: records from `consumer_pos` up to `producer_pos`,
//! stopping at the first one still busy (records commit out of order), skipping discarded ones.

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;

use super::error::{EventError, RecordProblem};
use super::{Event, MapTotals, Record};
use crate::sys::{MapFd, RingbufMmap, Slot, BPF_RINGBUF_HDR_SZ};

/// One ring buffer.
#[derive(Debug)]
pub(super) struct Ringbuf {
    mmap: RingbufMmap,
    map: Arc<MapFd>,
    broken: bool,
}

impl Ringbuf {
    /// Maps the ring of `map`, whose data area is `size` bytes.
    pub(super) fn open(map: &Arc<MapFd>, name: &str, size: u32) -> Result<Ringbuf, EventError> {
        let mmap = RingbufMmap::map(map, size).map_err(|source| EventError::RingbufMap {
            map: name.to_owned(),
            size,
            source,
        })?;
        Ok(Ringbuf { mmap, map: map.clone(), broken: false })
    }

    /// The map fd: epoll reports it readable when the kernel wakes the reader.
    pub(super) fn fd(&self) -> BorrowedFd<'_> {
        self.map.as_fd()
    }

    /// Bytes this ring ever gave back to the kernel, and its capacity: how full a read found it.
    pub(super) fn consumed(&self) -> (u64, u64) {
        (self.mmap.consumer_pos(), self.mmap.data_size())
    }

    /// Hands every committed record to `on`, as libbpf's `ring_buffer__poll`, but gives their
    /// bytes back to the kernel once per pass over what is there rather than once per record:
    /// rereads the producer position after each pass until nothing new comes (a record
    /// committed while the position lagged woke nobody), reading at most one ring's worth per
    /// call.
    pub(super) fn drain(&mut self, totals: &mut MapTotals, on: &mut impl FnMut(Event<'_>)) -> Result<(), EventError> {
        if self.broken {
            return Ok(());
        }
        let budget = self.mmap.data_size();
        let start = self.mmap.consumer_pos();
        loop {
            self.mmap.refresh();
            let before = self.mmap.consumer_pos();
            let pass = self.pass(totals, on, start + budget);
            self.mmap.publish();
            if !pass? || self.mmap.consumer_pos() == before {
                return Ok(());
            }
        }
    }

    /// Reads what the last refresh made visible, up to position `end`; `false` when `end` was
    /// reached (the caller stops).
    fn pass(&mut self, totals: &mut MapTotals, on: &mut impl FnMut(Event<'_>), end: u64) -> Result<bool, EventError> {
        while let Slot::Record { len, discarded, data } = self.mmap.slot() {
            let Some(data) = data else {
                self.broken = true;
                let pos = self.mmap.consumer_pos();
                let available = self.mmap.refresh().saturating_sub(pos + u64::from(BPF_RINGBUF_HDR_SZ));
                let problem = RecordProblem::PastData { size: len.into(), available };
                return Err(EventError::RingbufRecord { map: totals.map.clone(), pos, problem });
            };
            if discarded {
                totals.discarded += 1;
                on(Event::Discarded { map: &totals.map, len });
            } else {
                totals.records += 1;
                on(Event::Record(Record { map: &totals.map, cpu: None, data }));
            }
            self.mmap.advance(len);
            if self.mmap.consumer_pos() >= end {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
