//! Reading what BPF programs send to user space: `BPF_MAP_TYPE_PERF_EVENT_ARRAY` maps
//! (`bpf_perf_event_output`: one perf ring per CPU) and `BPF_MAP_TYPE_RINGBUF` maps
//! (`bpf_ringbuf_output` / `reserve` + `submit`: one ring shared by every CPU).
//!
//! [`Events::open`] sets up a reader for every such map of a loaded object, and
//! [`Events::poll`] waits on all of them at once (one epoll) and hands each record, loss and
//! discard to a callback, borrowed straight from the ring when it is contiguous.
//! [`EventType`] decodes a record by a BTF type of the object: into a tree of values, or, with
//! the type compiled once into its fields, straight from the bytes into a [`Visit`]or.

use std::time::Duration;

mod decode;
mod error;
mod layout;
mod pace;
mod perf;
mod poll;
mod ringbuf;

pub use decode::{EventType, EventTypeError};
pub use error::{EventError, RecordProblem};
pub use layout::Visit;
pub use perf::{online_cpus, parse_cpu_indices};
pub use poll::{Events, Wake};

/// How the readers are set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventOptions {
    /// Data pages of each CPU's perf ring (a power of two).
    pub perf_pages: usize,
    /// Samples per wakeup of a perf ring (1: wake the reader for every sample, as libbpf).
    pub perf_wakeup_events: u32,
    /// While records keep coming, how long [`Events::poll`] may let a record wait so that it
    /// reads them in batches instead of one or two per wakeup; never so long that a ring would
    /// fill past an eighth at the rate just seen, or past half were the reader to wake as late
    /// as it lately did. Zero reads on every wakeup, as libbpf's
    /// `ring_buffer__poll` and `perf_buffer__poll` do.
    pub busy_delay: Duration,
}

/// The default [`EventOptions::busy_delay`]: far below what a person watching notices, and
/// long enough that a busy ring is read a few hundred records at a time.
pub const BUSY_DELAY: Duration = Duration::from_millis(1);

impl Default for EventOptions {
    fn default() -> Self {
        // 64 pages (256 KiB with 4 KiB pages) per CPU, as libbpf-tools' PERF_BUFFER_PAGES.
        EventOptions { perf_pages: 64, perf_wakeup_events: 1, busy_delay: BUSY_DELAY }
    }
}

/// Which kind of map an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingKind {
    /// `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: one perf ring per CPU.
    Perf,
    /// `BPF_MAP_TYPE_RINGBUF`.
    Ringbuf,
}

/// One record a program sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// The map's name.
    pub map: &'a str,
    /// The CPU whose perf ring held it (`None` for a ring buffer, shared by all CPUs).
    pub cpu: Option<u32>,
    /// Its bytes (a perf sample's raw data is padded by the kernel so that, with its 4-byte
    /// size, it fills a multiple of 8).
    pub data: &'a [u8],
}

/// What a reader hands its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A record.
    Record(Record<'a>),
    /// The kernel dropped `count` samples of this CPU's perf ring because it was full
    /// (`PERF_RECORD_LOST`): the reader was too slow, or the ring too small.
    Lost {
        /// The map's name.
        map: &'a str,
        /// The CPU.
        cpu: u32,
        /// Samples dropped.
        count: u64,
    },
    /// A ring buffer record its producer gave up (`bpf_ringbuf_discard`), skipped.
    Discarded {
        /// The map's name.
        map: &'a str,
        /// Its length.
        len: u32,
    },
}

/// What one map delivered so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapTotals {
    /// The map's name.
    pub map: String,
    /// Its kind.
    pub kind: RingKind,
    /// CPUs read (perf: one ring each; 0 for a ring buffer).
    pub cpus: usize,
    /// Records delivered.
    pub records: u64,
    /// Samples the kernel reported lost (perf).
    pub lost: u64,
    /// Records discarded by their producer (ring buffer).
    pub discarded: u64,
}
