//! `KernelMap::count` on the running kernel: batches (BPF_MAP_LOOKUP_BATCH) and the key walk
//! (BPF_MAP_GET_NEXT_KEY) count the same elements in maps of known contents — hashes, per-CPU
//! hashes, LRU hashes, arrays — including hashes that take many batches and buckets bigger than
//! a batch; a map type without batch operations falls back. Needs root; prints "SKIP:" otherwise.

use loader::kernel_map::KernelMap;
use loader::map_count::{CountMethod, CountOptions, MapCount, NoBatch};
use loader::sys::{map_create, map_info, map_update_elem, possible_cpus, MapCreate, MapType, BPF_ANY};

fn root(test: &str) -> bool {
    if !loader::diagnose::caps::is_root() {
        println!("SKIP: {test}: needs root");
        return false;
    }
    true
}

/// A map of `map_type` with u32 keys and `value_size`-byte values, keys `0..n` written (with
/// the key as the first value bytes, on every CPU for per-CPU maps).
fn filled(map_type: MapType, value_size: u32, max_entries: u32, n: u32) -> KernelMap {
    let fd = map_create(&MapCreate {
        map_type,
        key_size: 4,
        value_size,
        max_entries,
        name: "count_test",
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("create {map_type}: {e}"));
    let slot = (value_size as usize).next_multiple_of(8);
    let len = if map_type.is_per_cpu() { slot * possible_cpus().unwrap() } else { value_size as usize };
    for k in 0..n {
        let mut v = vec![0u8; len];
        for s in v.chunks_mut(if map_type.is_per_cpu() { slot } else { len }) {
            s[..4].copy_from_slice(&k.to_ne_bytes());
        }
        map_update_elem(&fd, &k.to_ne_bytes(), &v, BPF_ANY).unwrap_or_else(|e| panic!("{map_type}[{k}]: {e}"));
    }
    let info = map_info(&fd).unwrap();
    KernelMap { fd, info }
}

fn by(m: &KernelMap, method: CountMethod, batch: u32) -> MapCount {
    m.count_with(CountOptions { method: Some(method), batch }).unwrap_or_else(|e| panic!("{method:?}: {e}"))
}

/// The default count is by batches and agrees with the key walk and with small batches.
fn agree(m: &KernelMap, expected: usize) {
    let what = m.info.map_type;
    let auto = m.count().unwrap();
    assert_eq!((auto.elements, auto.method, auto.no_batch), (expected, CountMethod::Batch, None), "{what}: {auto:?}");
    let walk = by(m, CountMethod::GetNextKey, 0);
    assert_eq!(walk.elements, expected, "{what}: {walk:?}");
    assert_eq!(walk.calls, expected as u64 + u64::from(expected < m.info.max_entries as usize), "{what}");
    let small = by(m, CountMethod::Batch, 7);
    assert_eq!(small.elements, expected, "{what}: {small:?}");
    assert!(small.calls as usize >= expected / small.batch as usize, "{what}: {small:?}");
}

#[test]
fn batches_and_the_key_walk_count_the_same() {
    if !root("batches_and_the_key_walk_count_the_same") {
        return;
    }
    agree(&filled(MapType::HASH, 8, 4096, 1000), 1000);
    agree(&filled(MapType::PERCPU_HASH, 12, 1024, 300), 300);
    agree(&filled(MapType::LRU_HASH, 8, 512, 200), 200);
    agree(&filled(MapType::LRU_PERCPU_HASH, 8, 512, 100), 100);
    // Arrays hold every index, written or not.
    agree(&filled(MapType::ARRAY, 8, 100, 10), 100);
    agree(&filled(MapType::PERCPU_ARRAY, 4, 50, 0), 50);
    agree(&filled(MapType::HASH, 8, 64, 0), 0);
}

#[test]
fn a_hash_bigger_than_a_batch_takes_many_calls() {
    if !root("a_hash_bigger_than_a_batch_takes_many_calls") {
        return;
    }
    let m = filled(MapType::HASH, 8, 4096, 1000);
    let c = by(&m, CountMethod::Batch, 16);
    assert_eq!(c.elements, 1000, "{c:?}");
    assert!(c.calls >= 1000 / u64::from(c.batch), "{c:?}");
    // 64 elements in 64 buckets: some bucket holds two or more, more than a batch of one, so the
    // kernel answers ENOSPC and the batch grows.
    let full = filled(MapType::HASH, 8, 64, 64);
    let c = by(&full, CountMethod::Batch, 1);
    assert_eq!(c.elements, 64, "{c:?}");
    assert!(c.batch > 1, "a bucket of two or more grew the batch: {c:?}");
}

#[test]
fn a_map_type_without_batches_is_walked_key_by_key() {
    if !root("a_map_type_without_batches_is_walked_key_by_key") {
        return;
    }
    let fd = map_create(&MapCreate {
        map_type: MapType::PROG_ARRAY,
        key_size: 4,
        value_size: 4,
        max_entries: 8,
        name: "count_test",
        ..Default::default()
    })
    .unwrap();
    let info = map_info(&fd).unwrap();
    let m = KernelMap { fd, info };
    let c = m.count().unwrap();
    assert_eq!((c.elements, c.method), (8, CountMethod::GetNextKey), "{c:?}");
    assert!(matches!(c.no_batch, Some(NoBatch::Refused(e)) if e.is_enotsupp()), "{c:?}");
    let forced = m.count_with(CountOptions { method: Some(CountMethod::Batch), batch: 0 });
    assert!(forced.is_err_and(|e| e.is_enotsupp()), "batches only: refused");
}
