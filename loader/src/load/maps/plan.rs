//! What `BPF_MAP_CREATE` is asked for one map, after the adjustments libbpf makes to what the
//! object declares: a `PERF_EVENT_ARRAY` without `max_entries` gets one slot per possible CPU,
//! a ring buffer's size is rounded up to a power-of-two number of pages, and the map types whose
//! kernel code refuses BTF key/value types get none.

use btf::TypeId;

use crate::object::MapDef;
use crate::sys::MapType;

/// One change made to a map's declaration before creating it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapAdjustment {
    /// A `PERF_EVENT_ARRAY` declared without `max_entries`: one slot per possible CPU.
    SizedToCpus {
        /// The possible CPUs (`/sys/devices/system/cpu/possible`).
        cpus: u32,
    },
    /// A ring buffer whose size is not a power-of-two multiple of the page size, rounded up.
    RingbufRounded {
        /// The declared size.
        from: u32,
        /// The size asked for.
        to: u32,
    },
    /// A map type that takes no BTF key/value types (the kernel refuses them): created without.
    BtfLeftOff,
}

/// The attributes one map is created with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapPlan {
    /// Capacity asked for.
    pub max_entries: u32,
    /// BTF key and value type ids in the object's BTF, when the map is created with BTF.
    pub btf_ids: Option<(u32, u32)>,
    /// What differs from the declaration, in order.
    pub adjustments: Vec<MapAdjustment>,
}

/// Map types created without BTF key/value types, as libbpf creates them: their kernel code
/// either rejects BTF or has nothing to check it against (fd and id arrays, queues).
fn refuses_btf(t: MapType) -> bool {
    matches!(
        t,
        MapType::PERF_EVENT_ARRAY
            | MapType::CGROUP_ARRAY
            | MapType::STACK_TRACE
            | MapType::ARRAY_OF_MAPS
            | MapType::HASH_OF_MAPS
            | MapType::DEVMAP
            | MapType::DEVMAP_HASH
            | MapType::CPUMAP
            | MapType::XSKMAP
            | MapType::SOCKMAP
            | MapType::SOCKHASH
            | MapType::QUEUE
            | MapType::STACK
            | MapType::ARENA
    )
}

/// The smallest power-of-two multiple of `page` that is `>= size` (libbpf: strictly greater
/// unless `size` already qualifies); `size` 0 stays 0 so the kernel's error shows.
fn ringbuf_size(size: u32, page: u32) -> u32 {
    if size == 0 || page == 0 {
        return size;
    }
    if size % page == 0 && (size / page).is_power_of_two() {
        return size;
    }
    let mut bytes = page as u64;
    while bytes <= size as u64 {
        bytes *= 2;
    }
    u32::try_from(bytes).unwrap_or(size)
}

/// Plans the creation of `def`. `with_btf` says whether the object's BTF was loaded (its ids
/// mean nothing otherwise); `cpus` and `page` are this machine's possible CPUs and page size.
pub fn plan(def: &MapDef, with_btf: bool, cpus: u32, page: u32) -> MapPlan {
    let map_type = MapType(def.map_type);
    let mut adjustments = Vec::new();
    let mut max_entries = def.max_entries;
    if map_type == MapType::PERF_EVENT_ARRAY && max_entries == 0 {
        max_entries = cpus;
        adjustments.push(MapAdjustment::SizedToCpus { cpus });
    }
    if matches!(map_type, MapType::RINGBUF | MapType::USER_RINGBUF) {
        let to = ringbuf_size(max_entries, page);
        if to != max_entries {
            adjustments.push(MapAdjustment::RingbufRounded { from: max_entries, to });
            max_entries = to;
        }
    }
    let declared = with_btf && def.btf_value_type_id != TypeId::VOID;
    let btf_ids = if declared && refuses_btf(map_type) {
        adjustments.push(MapAdjustment::BtfLeftOff);
        None
    } else if declared {
        let value = if map_type == MapType::STRUCT_OPS { 0 } else { def.btf_value_type_id.get() };
        Some((def.btf_key_type_id.get(), value))
    } else {
        None
    };
    MapPlan { max_entries, btf_ids, adjustments }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::object::{MapKind, SectionIndex};

    fn def(map_type: MapType, max_entries: u32, btf: bool) -> MapDef {
        MapDef {
            map_type: map_type.0,
            key_size: 4,
            value_size: 4,
            max_entries,
            btf_key_type_id: TypeId::new(if btf { 3 } else { 0 }),
            btf_value_type_id: TypeId::new(if btf { 4 } else { 0 }),
            ..MapDef::empty("m".into(), MapKind::BtfDefined { offset: 0 }, SectionIndex::new(0))
        }
    }

    #[test]
    fn perf_event_array_without_size_gets_one_slot_per_cpu_and_no_btf() {
        let p = plan(&def(MapType::PERF_EVENT_ARRAY, 0, true), true, 6, 4096);
        assert_eq!(p.max_entries, 6);
        assert_eq!(p.btf_ids, None);
        assert_eq!(p.adjustments, [MapAdjustment::SizedToCpus { cpus: 6 }, MapAdjustment::BtfLeftOff]);
        // A declared size is kept.
        assert_eq!(plan(&def(MapType::PERF_EVENT_ARRAY, 2, false), true, 6, 4096).max_entries, 2);
    }

    #[test]
    fn btf_kept_for_hash_dropped_for_cgroup_array_absent_without_object_btf() {
        assert_eq!(plan(&def(MapType::HASH, 8, true), true, 2, 4096).btf_ids, Some((3, 4)));
        assert_eq!(plan(&def(MapType::CGROUP_ARRAY, 1, true), true, 2, 4096).btf_ids, None);
        let p = plan(&def(MapType::HASH, 8, true), false, 2, 4096);
        assert_eq!((p.btf_ids, p.adjustments), (None, vec![]));
        assert_eq!(plan(&def(MapType::STRUCT_OPS, 1, true), true, 2, 4096).btf_ids, Some((3, 0)));
    }

    #[test]
    fn ringbuf_rounds_up_to_a_power_of_two_pages() {
        assert_eq!(ringbuf_size(4096, 4096), 4096);
        assert_eq!(ringbuf_size(256 * 1024, 4096), 256 * 1024);
        assert_eq!(ringbuf_size(1, 4096), 4096);
        assert_eq!(ringbuf_size(4097, 4096), 8192);
        assert_eq!(ringbuf_size(3 * 4096, 4096), 4 * 4096);
        assert_eq!(ringbuf_size(0, 4096), 0);
        assert_eq!(ringbuf_size(u32::MAX, 4096), u32::MAX);
        let p = plan(&def(MapType::RINGBUF, 5000, false), true, 2, 4096);
        assert_eq!(p.adjustments, [MapAdjustment::RingbufRounded { from: 5000, to: 8192 }]);
    }
}
