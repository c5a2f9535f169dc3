//! `rawbpf map count --explain`: how the elements were counted, in words.

use loader::map_count::{CountMethod, MapCount, NoBatch};

/// The method as JSON names it: `batch` or `get_next_key`.
pub fn method_name(m: CountMethod) -> &'static str {
    match m {
        CountMethod::Batch => "batch",
        CountMethod::GetNextKey => "get_next_key",
    }
}

/// One line: the method, its calls, and why batches were not used when they were not.
pub fn explain(c: &MapCount) -> String {
    let n = c.elements;
    match (c.method, c.no_batch) {
        (CountMethod::Batch, _) => format!(
            "counted {n} element(s) with BPF_MAP_LOOKUP_BATCH: {} call(s) of up to {} element(s)",
            c.calls, c.batch
        ),
        (CountMethod::GetNextKey, None) => {
            format!("counted {n} element(s) with BPF_MAP_GET_NEXT_KEY ({} call(s)), as asked", c.calls)
        }
        (CountMethod::GetNextKey, Some(why)) => {
            format!("counted {n} element(s) with BPF_MAP_GET_NEXT_KEY ({} call(s)): {}", c.calls, no_batch(why))
        }
    }
}

fn no_batch(why: NoBatch) -> String {
    match why {
        NoBatch::Refused(e) if e.is_enotsupp() => {
            "BPF_MAP_LOOKUP_BATCH answered ENOTSUPP: this map type has no batch operations".into()
        }
        NoBatch::Refused(e) => format!(
            "BPF_MAP_LOOKUP_BATCH answered {}: a kernel before 5.6 has no batch operations, nor does this map type on some",
            e.errno_name()
        ),
        NoBatch::UnknownCpus => {
            "the number of possible CPUs (/sys/devices/system/cpu/possible) could not be read for per-CPU values".into()
        }
    }
}
