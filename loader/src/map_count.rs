//! Counting a map's elements: by `BPF_MAP_LOOKUP_BATCH` (Linux 5.6+: many elements per call)
//! where the kernel has it for the map's type, else by walking `BPF_MAP_GET_NEXT_KEY` (one call
//! per element), as libbpf-based tools fall back too.

use nix::errno::Errno;

use crate::map_ops;
use crate::sys::{self, Batch, MapFd, MapInfo, SysError};

/// Bytes of keys and values one batch call aims to fill at first.
const BATCH_BYTES: usize = 256 * 1024;

/// How elements are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountMethod {
    /// `BPF_MAP_LOOKUP_BATCH`, many elements per call.
    Batch,
    /// `BPF_MAP_GET_NEXT_KEY`, one element per call.
    GetNextKey,
}

/// What [`count`] is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CountOptions {
    /// `None`: batches where the kernel has them for this map, else keys one by one. `Some`:
    /// only that method (a test comparing the two; a refused batch is then an error).
    pub method: Option<CountMethod>,
    /// Elements per batch call to start with (0: as many as fit 256 KiB of keys and values).
    /// A hash bucket holding more makes the kernel answer `ENOSPC`, and the batch grows.
    pub batch: u32,
}

/// Why batches were not used when the method was left to [`count`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoBatch {
    /// The kernel refused the command: `EINVAL` before Linux 5.6, `ENOTSUPP` for a map type
    /// without batch operations.
    Refused(SysError),
    /// A per-CPU map's value size needs the number of possible CPUs, which could not be read.
    UnknownCpus,
}

/// A count, and how it was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapCount {
    /// Elements the map holds (arrays: every index).
    pub elements: usize,
    /// The method that counted.
    pub method: CountMethod,
    /// bpf() calls it took.
    pub calls: u64,
    /// Elements per batch call at the end (after any growth); 0 for [`CountMethod::GetNextKey`].
    pub batch: u32,
    /// Why batches were tried and not used (`method` is then [`CountMethod::GetNextKey`]).
    pub no_batch: Option<NoBatch>,
}

/// Counts the elements of the map `fd`, whose info is `info`.
pub fn count(fd: &MapFd, info: &MapInfo, opts: CountOptions) -> Result<MapCount, SysError> {
    let tried = match opts.method {
        Some(CountMethod::GetNextKey) => None,
        Some(CountMethod::Batch) => {
            return by_batch(fd, info, opts.batch)?.ok_or(SysError::new(sys::Cmd::MapLookupBatch, libc::EINVAL))
        }
        None => match by_batch(fd, info, opts.batch) {
            Ok(Some(c)) => return Ok(c),
            Ok(None) => Some(NoBatch::UnknownCpus),
            Err(e) if refused(&e) => Some(NoBatch::Refused(e)),
            Err(e) => return Err(e),
        },
    };
    let (elements, calls) = by_next_key(fd, info)?;
    Ok(MapCount { elements, method: CountMethod::GetNextKey, calls, batch: 0, no_batch: tried })
}

/// Answers that mean "no batch operations here" rather than a failure of this map.
fn refused(e: &SysError) -> bool {
    e.is_enotsupp() || e.is(Errno::EINVAL) || e.is(Errno::EOPNOTSUPP)
}

/// Walks the keys, keeping only the last: one call per element and one to find the end.
/// Bounded by `max_entries`, so a map that keeps changing cannot keep the walk going.
fn by_next_key(fd: &MapFd, info: &MapInfo) -> Result<(usize, u64), SysError> {
    let size = info.key_size as usize;
    let (mut key, mut next) = (vec![0u8; size], vec![0u8; size]);
    let (mut n, mut calls) = (0usize, 0u64);
    while n < info.max_entries as usize {
        calls += 1;
        if !map_ops::next_key(fd, (n > 0).then_some(key.as_slice()), &mut next)? {
            break;
        }
        std::mem::swap(&mut key, &mut next);
        n += 1;
    }
    Ok((n, calls))
}

/// The buffers of a batch walk, grown when a bucket does not fit.
struct Buffers {
    per_call: u32,
    key: usize,
    value: usize,
    keys: Vec<u8>,
    values: Vec<u8>,
}

impl Buffers {
    fn new(per_call: u32, key: usize, value: usize) -> Buffers {
        let mut b = Buffers { per_call: 0, key, value, keys: Vec::new(), values: Vec::new() };
        b.resize(per_call);
        b
    }

    fn resize(&mut self, per_call: u32) {
        self.per_call = per_call;
        self.keys.resize(self.key * per_call as usize, 0);
        self.values.resize(self.value * per_call as usize, 0);
    }
}

/// Counts by batches; `None` when a per-CPU value size cannot be known.
fn by_batch(fd: &MapFd, info: &MapInfo, per_call: u32) -> Result<Option<MapCount>, SysError> {
    let Some(value) = sys::value_buf_len(info) else { return Ok(None) };
    let key = info.key_size as usize;
    let most = info.max_entries.max(1);
    let fit = (BATCH_BYTES / (key + value).max(1)).clamp(1, most as usize) as u32;
    let mut bufs = Buffers::new(if per_call == 0 { fit } else { per_call.min(most) }, key, value);
    // The kernel reads and writes the position as a bucket index (u32) for hash maps, a key for
    // the others: room for either, and two of them so one call's output is the next one's input.
    let (mut at, mut next) = (vec![0u8; key.max(4)], vec![0u8; key.max(4)]);
    let (mut elements, mut calls, mut started) = (0usize, 0u64, false);
    // Each call fills at least one element or ends the walk (empty buckets are skipped in the
    // kernel); growth doubles up to max_entries. A walk longer than that is no walk of this map.
    let limit = u64::from(most) + 64;
    while calls < limit {
        calls += 1;
        let b = Batch {
            in_batch: started.then_some(at.as_slice()),
            out_batch: &mut next,
            keys: &mut bufs.keys,
            values: &mut bufs.values,
        };
        match sys::map_lookup_batch(fd, b, bufs.per_call) {
            Ok(0) => break,
            Ok(filled) => {
                elements += filled as usize;
                std::mem::swap(&mut at, &mut next);
                started = true;
            }
            Err((e, filled)) if e.is(Errno::ENOENT) => {
                elements += filled as usize;
                break;
            }
            // One bucket holds more elements than a call may return: retry the same position.
            Err((e, _)) if e.is(Errno::ENOSPC) && bufs.per_call < most => {
                bufs.resize(bufs.per_call.saturating_mul(2).min(most))
            }
            Err((e, _)) => return Err(e),
        }
    }
    Ok(Some(MapCount { elements, method: CountMethod::Batch, calls, batch: bufs.per_call, no_batch: None }))
}
