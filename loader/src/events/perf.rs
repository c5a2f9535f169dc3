//! Perf rings: a `PERF_COUNT_SW_BPF_OUTPUT` event per CPU stored in the map at key cpu, its
//! ring mapped, and the records between `data_tail` and `data_head` parsed (copied out only
//! when one wraps around the end of the ring).

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;

use super::error::{EventError, RecordProblem};
use super::{Event, EventOptions, MapTotals, Record};
use crate::sys::{self, MapFd, PerfEventFd, PerfMmap, PERF_RECORD_LOST, PERF_RECORD_SAMPLE};

/// Where the kernel lists the CPUs that are up.
const ONLINE: &str = "/sys/devices/system/cpu/online";
/// More CPUs than any machine has: a list naming more is not believed.
const MAX_CPUS: u32 = 1 << 16;

/// The online CPUs, by index.
pub fn online_cpus() -> Result<Vec<u32>, EventError> {
    let text = std::fs::read_to_string(ONLINE).map_err(|source| EventError::Cpus { path: ONLINE, source })?;
    parse_cpu_indices(&text).ok_or_else(|| EventError::Cpus {
        path: ONLINE,
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, text.trim().to_owned()),
    })
}

/// The CPUs of a list like `0-3,8,10-11`; `None` for anything else.
pub fn parse_cpu_indices(text: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
        if a > b || b >= MAX_CPUS {
            return None;
        }
        cpus.extend(a..=b);
    }
    Some(cpus)
}

/// One CPU's ring.
#[derive(Debug)]
pub(super) struct PerfRing {
    cpu: u32,
    mmap: PerfMmap,
    event: PerfEventFd,
    map: Arc<MapFd>,
    /// A wrapped record, copied out.
    scratch: Vec<u8>,
    /// Set once a broken record is met: the ring is not read again.
    broken: bool,
}

impl PerfRing {
    /// Opens CPU `cpu`'s event, maps its ring, enables it and stores it in `map` at key `cpu`.
    pub(super) fn open(map: &Arc<MapFd>, name: &str, cpu: u32, opts: &EventOptions) -> Result<PerfRing, EventError> {
        let fail = |source| EventError::PerfRing { map: name.to_owned(), cpu, source };
        let event = sys::perf_event_open_bpf_output(cpu, opts.perf_wakeup_events).map_err(fail)?;
        let mmap = PerfMmap::map(&event, opts.perf_pages).map_err(fail)?;
        sys::perf_event_enable(&event).map_err(fail)?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&event) as u32;
        sys::map_update_elem(map, &cpu.to_ne_bytes(), &fd.to_ne_bytes(), sys::BPF_ANY).map_err(fail)?;
        Ok(PerfRing { cpu, mmap, event, map: map.clone(), scratch: Vec::new(), broken: false })
    }

    /// The event fd, readable when the kernel wakes the reader.
    pub(super) fn fd(&self) -> BorrowedFd<'_> {
        self.event.as_fd()
    }

    /// Bytes this ring ever gave back to the kernel, and its capacity: how full a read found it.
    pub(super) fn consumed(&self) -> (u64, u64) {
        (self.mmap.tail(), self.mmap.data_size() as u64)
    }

    /// Hands every waiting record to `on`, then frees their bytes; at most one ring's worth
    /// per call, so one busy CPU does not starve the other rings.
    pub(super) fn drain(&mut self, totals: &mut MapTotals, on: &mut impl FnMut(Event<'_>)) -> Result<(), EventError> {
        if self.broken {
            return Ok(());
        }
        self.mmap.refresh();
        let (a, b) = self.mmap.window();
        let mut off = 0;
        let r = loop {
            match parse(a, b, off, &mut self.scratch) {
                Ok(None) => break Ok(()),
                Ok(Some((rec, size))) => {
                    off += size;
                    match rec {
                        Parsed::Sample(data) => {
                            totals.records += 1;
                            on(Event::Record(Record { map: &totals.map, cpu: Some(self.cpu), data }));
                        }
                        Parsed::Lost(count) => {
                            totals.lost += count;
                            on(Event::Lost { map: &totals.map, cpu: self.cpu, count });
                        }
                        Parsed::Other => {}
                    }
                }
                Err(problem) => break Err(problem),
            }
        };
        let pos = self.mmap.tail() + off as u64;
        self.mmap.consume(off as u64);
        r.map_err(|problem| {
            self.broken = true;
            EventError::PerfRecord { map: totals.map.clone(), cpu: self.cpu, pos, problem }
        })
    }
}

impl Drop for PerfRing {
    fn drop(&mut self) {
        // As libbpf: the map no longer points programs at an event nobody reads.
        let _ = sys::map_delete_elem(&self.map, &self.cpu.to_ne_bytes());
    }
}

/// A record as parsed.
#[derive(Debug, PartialEq, Eq)]
enum Parsed<'a> {
    /// `PERF_RECORD_SAMPLE`: its raw data.
    Sample(&'a [u8]),
    /// `PERF_RECORD_LOST`: how many samples.
    Lost(u64),
    /// Another record type (none is asked for): skipped.
    Other,
}

/// The record at `off` of the waiting bytes (`a` then `b`, split where the ring wraps) and its
/// size; `None` when none is left.
fn parse<'a>(
    a: &'a [u8],
    b: &'a [u8],
    off: usize,
    scratch: &'a mut Vec<u8>,
) -> Result<Option<(Parsed<'a>, usize)>, RecordProblem> {
    let available = (a.len() + b.len()).saturating_sub(off);
    if available == 0 {
        return Ok(None);
    }
    if available < 8 {
        return Err(RecordProblem::PastData { size: 8, available: available as u64 });
    }
    let mut header = [0u8; 8];
    for (i, h) in header.iter_mut().enumerate() {
        *h = byte(a, b, off + i);
    }
    let kind = u32::from_ne_bytes([header[0], header[1], header[2], header[3]]);
    let size = u16::from_ne_bytes([header[6], header[7]]);
    if size < 8 {
        return Err(RecordProblem::ShortHeader { size });
    }
    if usize::from(size) > available {
        return Err(RecordProblem::PastData { size: size.into(), available: available as u64 });
    }
    let body = span(a, b, off + 8, usize::from(size) - 8, scratch);
    let parsed = match kind {
        PERF_RECORD_SAMPLE => {
            let raw = body.get(..4).map_or(u32::MAX, |s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]));
            let data = (raw as usize).checked_add(4).and_then(|end| body.get(4..end));
            Parsed::Sample(data.ok_or(RecordProblem::RawPastRecord { raw, size })?)
        }
        PERF_RECORD_LOST => {
            // `u64 id; u64 lost;` after the header.
            let lost = body.get(8..16).ok_or(RecordProblem::PastData { size: 24, available: size.into() })?;
            Parsed::Lost(u64::from_ne_bytes(lost.try_into().unwrap_or_default()))
        }
        _ => Parsed::Other,
    };
    Ok(Some((parsed, usize::from(size))))
}

fn byte(a: &[u8], b: &[u8], i: usize) -> u8 {
    if i < a.len() {
        a[i]
    } else {
        b[i - a.len()]
    }
}

/// `len` bytes from `off`: borrowed when they lie in one part, else copied into `scratch`.
fn span<'a>(a: &'a [u8], b: &'a [u8], off: usize, len: usize, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    if off + len <= a.len() {
        return &a[off..off + len];
    }
    if off >= a.len() {
        return &b[off - a.len()..off - a.len() + len];
    }
    scratch.clear();
    scratch.extend_from_slice(&a[off..]);
    scratch.extend_from_slice(&b[..len - (a.len() - off)]);
    scratch
}

#[cfg(test)]
mod tests;
