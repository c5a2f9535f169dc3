//! Every ring of an object behind one epoll: the perf rings of each CPU and the ring buffers,
//! plus any fd the caller wants watched (trace_pipe), each woken by the kernel when data comes.

use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::EventError;
use super::pace::Pacer;
use super::perf::{online_cpus, PerfRing};
use super::ringbuf::Ringbuf;
use super::{Event, EventOptions, MapTotals, RingKind};
use crate::load::LoadedMap;
use crate::sys::{self, Epoll, MapType};

/// The epoll token of the fd given to [`Events::watch`].
const WATCHED: u64 = u64::MAX;

#[derive(Debug)]
enum Ring {
    Perf(PerfRing),
    Ringbuf(Ringbuf),
}

/// The readers of every perf event array and ring buffer map of an object.
#[derive(Debug)]
pub struct Events {
    epoll: Epoll,
    /// Per map; `rings` point into it.
    totals: Vec<MapTotals>,
    /// (index in `totals`, ring).
    rings: Vec<(usize, Ring)>,
    ready: Vec<u64>,
    pacer: Pacer,
}

/// What one [`Events::poll`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wake {
    /// Records handed to the callback.
    pub records: u64,
    /// The watched fd is readable.
    pub watched: bool,
}

impl Events {
    /// Sets up a reader for each `BPF_MAP_TYPE_PERF_EVENT_ARRAY` map (a ring per online CPU
    /// below its `max_entries`) and each `BPF_MAP_TYPE_RINGBUF` map of `maps`; other maps are
    /// ignored. With none, [`Events::is_empty`] is true and polling only watches.
    pub fn open(maps: &[LoadedMap], opts: &EventOptions) -> Result<Events, EventError> {
        let epoll = Epoll::new().map_err(EventError::Epoll)?;
        let pacer = Pacer::new(opts.busy_delay);
        let mut ev = Events { epoll, totals: Vec::new(), rings: Vec::new(), ready: Vec::new(), pacer };
        let mut cpus = None;
        for m in maps {
            let kind = match m.map_type {
                MapType::PERF_EVENT_ARRAY => RingKind::Perf,
                MapType::RINGBUF => RingKind::Ringbuf,
                _ => continue,
            };
            let info = sys::map_info(&m.fd).map_err(|source| EventError::MapInfo { map: m.name.clone(), source })?;
            let fd = Arc::new(m.fd.try_clone().map_err(|e| EventError::MapInfo {
                map: m.name.clone(),
                source: sys::SysError::new(sys::Call::Dup, e.raw_os_error().unwrap_or(libc::EBADF)),
            })?);
            let index = ev.totals.len();
            let mut totals = MapTotals { map: m.name.clone(), kind, cpus: 0, records: 0, lost: 0, discarded: 0 };
            match kind {
                RingKind::Perf => {
                    let online = match &cpus {
                        Some(c) => c,
                        None => cpus.insert(online_cpus()?),
                    };
                    for &cpu in online.iter().filter(|&&c| c < info.max_entries) {
                        ev.rings.push((index, Ring::Perf(PerfRing::open(&fd, &m.name, cpu, opts)?)));
                        totals.cpus += 1;
                    }
                }
                RingKind::Ringbuf => {
                    ev.rings.push((index, Ring::Ringbuf(Ringbuf::open(&fd, &m.name, info.max_entries)?)))
                }
            }
            ev.totals.push(totals);
        }
        for (token, (_, ring)) in ev.rings.iter().enumerate() {
            let fd = match ring {
                Ring::Perf(r) => r.fd(),
                Ring::Ringbuf(r) => r.fd(),
            };
            ev.epoll.add(fd, token as u64).map_err(EventError::Epoll)?;
        }
        Ok(ev)
    }

    /// Whether the object has no perf event array or ring buffer map.
    pub fn is_empty(&self) -> bool {
        self.totals.is_empty()
    }

    /// What each map delivered so far, in object order.
    pub fn totals(&self) -> &[MapTotals] {
        &self.totals
    }

    /// Also wakes [`Events::poll`] when `fd` is readable (reported in [`Wake::watched`]), so
    /// one wait serves the rings and, say, trace_pipe. The registration ends when `fd` closes.
    pub fn watch(&self, fd: BorrowedFd<'_>) -> Result<(), EventError> {
        self.epoll.add(fd, WATCHED).map_err(EventError::Epoll)
    }

    /// Waits up to `timeout` (`None`: until something comes, or a signal) for any ring, then
    /// hands what the ready rings hold to `on`. While records keep coming, it first pauses up
    /// to [`EventOptions::busy_delay`] so that each read takes a batch (see `pace`). A broken
    /// record stops its ring and is returned after the other ready rings are read.
    pub fn poll(&mut self, timeout: Option<Duration>, mut on: impl FnMut(Event<'_>)) -> Result<Wake, EventError> {
        let pause = timeout.map_or(self.pacer.pause(), |t| t.min(self.pacer.pause()));
        let ms = if pause.is_zero() {
            timeout.map_or(-1, |t| i32::try_from(t.as_millis()).unwrap_or(i32::MAX))
        } else {
            std::thread::sleep(pause);
            0
        };
        let mut ready = std::mem::take(&mut self.ready);
        let r = self.epoll.wait(&mut ready, ms).map_err(EventError::Epoll).and_then(|()| {
            let started = Instant::now();
            let mut wake = Wake::default();
            let mut filled = 0.0f64;
            let mut first_error = None;
            for &token in &ready {
                if token == WATCHED {
                    wake.watched = true;
                    continue;
                }
                match self.drain_one(token as usize, &mut wake, &mut on) {
                    Ok(f) => filled = filled.max(f),
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            self.pacer.read(started, Instant::now(), filled);
            first_error.map_or(Ok(wake), Err)
        });
        self.ready = ready;
        r
    }

    /// Reads every ring without waiting (what is left at exit, or for a caller with its own
    /// wait).
    pub fn drain(&mut self, mut on: impl FnMut(Event<'_>)) -> Result<u64, EventError> {
        let mut wake = Wake::default();
        for i in 0..self.rings.len() {
            self.drain_one(i, &mut wake, &mut on)?;
        }
        Ok(wake.records)
    }

    /// Reads one ring; returns the part of its capacity the read freed.
    fn drain_one(&mut self, ring: usize, wake: &mut Wake, on: &mut impl FnMut(Event<'_>)) -> Result<f64, EventError> {
        let Some((map, ring)) = self.rings.get_mut(ring) else { return Ok(0.0) };
        let totals = &mut self.totals[*map];
        let before = totals.records;
        // Left to right: the position, the read, the position after it.
        let (from, r, (to, capacity)) = match ring {
            Ring::Perf(p) => (p.consumed().0, p.drain(totals, on), p.consumed()),
            Ring::Ringbuf(b) => (b.consumed().0, b.drain(totals, on), b.consumed()),
        };
        wake.records += totals.records - before;
        r.map(|()| to.saturating_sub(from) as f64 / capacity.max(1) as f64)
    }
}
