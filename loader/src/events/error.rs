//! Why events could not be set up or read.

use crate::sys::SysError;

/// What is wrong with a record found in a ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordProblem {
    /// A perf record's size is smaller than its own 8-byte header.
    #[error("record size {size} is smaller than its 8-byte header")]
    ShortHeader {
        /// The size it states.
        size: u16,
    },
    /// A record's stated size runs past the bytes the kernel has written (or the data area).
    #[error("record of {size} bytes runs past the {available} bytes written")]
    PastData {
        /// The size it states.
        size: u64,
        /// Bytes available from its start.
        available: u64,
    },
    /// A perf sample's raw data runs past the record holding it.
    #[error("raw data of {raw} bytes does not fit a {size}-byte record")]
    RawPastRecord {
        /// The raw data size the sample states.
        raw: u32,
        /// The record's size.
        size: u16,
    },
}

/// Setting up or reading a map's rings failed.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The map's info could not be read.
    #[error("map {map}: cannot read its info")]
    MapInfo {
        /// The map.
        map: String,
        /// Why.
        #[source]
        source: SysError,
    },
    /// The list of online CPUs could not be read.
    #[error("cannot read the online CPUs from {path}")]
    Cpus {
        /// The file.
        path: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Setting up one CPU's perf ring failed (opening the event, mapping it, storing it in the
    /// map or enabling it: the source names the call).
    #[error("map {map}: perf ring of CPU {cpu}")]
    PerfRing {
        /// The map.
        map: String,
        /// The CPU.
        cpu: u32,
        /// The failed call.
        #[source]
        source: SysError,
    },
    /// Mapping a ring buffer failed.
    #[error("map {map}: mapping the ring buffer ({size} bytes)")]
    RingbufMap {
        /// The map.
        map: String,
        /// Its data size (`max_entries`).
        size: u32,
        /// The failed call.
        #[source]
        source: SysError,
    },
    /// epoll failed.
    #[error("waiting for events")]
    Epoll(#[source] SysError),
    /// A perf ring holds a record that cannot be right; the ring is not read further.
    #[error("map {map}: CPU {cpu}: broken perf record at position {pos}")]
    PerfRecord {
        /// The map.
        map: String,
        /// The CPU.
        cpu: u32,
        /// Its position (bytes since the ring started).
        pos: u64,
        /// What is wrong.
        #[source]
        problem: RecordProblem,
    },
    /// A ring buffer holds a record that cannot be right; the ring is not read further.
    #[error("map {map}: broken ring buffer record at position {pos}")]
    RingbufRecord {
        /// The map.
        map: String,
        /// Its position.
        pos: u64,
        /// What is wrong.
        #[source]
        problem: RecordProblem,
    },
}
