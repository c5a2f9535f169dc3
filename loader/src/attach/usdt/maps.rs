//! The two maps `usdt.bpf.h` puts in every object that includes it: `__bpf_usdt_specs` (ARRAY,
//! spec id → `struct __bpf_usdt_spec`) and `__bpf_usdt_ip_to_spec_id` (HASH, the probed
//! instruction's address → spec id, read only on kernels without BPF cookies). libbpf creates
//! them as ordinary maps of the object and only writes them when it attaches.

use super::spec::SPEC_SIZE;
use crate::load::LoadedMap;
use crate::sys::{self, MapFd, SysError, BPF_ANY, BPF_NOEXIST};

/// The spec map's name.
pub const SPECS_MAP: &str = "__bpf_usdt_specs";
/// The address map's name.
pub const IP_MAP: &str = "__bpf_usdt_ip_to_spec_id";

/// Why the object's USDT maps cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UsdtMapError {
    /// The object has no such map: it does not include `<bpf/usdt.bpf.h>`.
    #[error("the object has no {0} map (does the program include <bpf/usdt.bpf.h>?)")]
    Missing(&'static str),
    /// The map's sizes are not those of the header rawbpf follows (libbpf 1.x).
    #[error("map {map} has key size {key_size} and value size {value_size}, not {want_key} and {want_value} as usdt.bpf.h declares it")]
    Layout {
        /// The map.
        map: &'static str,
        /// Its key size.
        key_size: u32,
        /// Its value size.
        value_size: u32,
        /// The header's key size.
        want_key: u32,
        /// The header's value size.
        want_value: u32,
    },
    /// Reading the map's info.
    #[error("reading the info of map {map}")]
    Info {
        /// The map.
        map: &'static str,
        /// The call.
        #[source]
        source: SysError,
    },
}

/// The object's USDT maps, checked.
#[derive(Debug)]
pub struct UsdtMaps<'a> {
    /// `__bpf_usdt_specs`.
    pub specs: &'a MapFd,
    /// Its `max_entries`: how many spec ids there are.
    pub max_specs: u32,
    /// `__bpf_usdt_ip_to_spec_id`.
    pub ips: &'a MapFd,
}

/// Finds and checks the two maps among an object's loaded maps.
pub fn find(maps: &[LoadedMap]) -> Result<UsdtMaps<'_>, UsdtMapError> {
    let specs = checked(maps, SPECS_MAP, 4, SPEC_SIZE as u32)?;
    let ips = checked(maps, IP_MAP, 8, 4)?;
    Ok(UsdtMaps { specs: specs.0, max_specs: specs.1, ips: ips.0 })
}

/// The map named `map` with these sizes, and its `max_entries`.
fn checked<'a>(
    maps: &'a [LoadedMap],
    map: &'static str,
    want_key: u32,
    want_value: u32,
) -> Result<(&'a MapFd, u32), UsdtMapError> {
    let m = maps.iter().find(|m| m.name == map).ok_or(UsdtMapError::Missing(map))?;
    let info = sys::map_info(&m.fd).map_err(|source| UsdtMapError::Info { map, source })?;
    if info.key_size != want_key || info.value_size != want_value {
        let (key_size, value_size) = (info.key_size, info.value_size);
        return Err(UsdtMapError::Layout { map, key_size, value_size, want_key, want_value });
    }
    Ok((&m.fd, info.max_entries))
}

/// Writes spec `id`.
pub fn write_spec(maps: &UsdtMaps<'_>, id: u32, spec: &[u8; SPEC_SIZE]) -> Result<(), SysError> {
    sys::map_update_elem(maps.specs, &id.to_ne_bytes(), spec, BPF_ANY)
}

/// The address → spec id entries one attachment made, deleted again when dropped (as libbpf's
/// USDT link does on detach, so a later attachment at the same address does not collide).
#[derive(Debug)]
pub struct IpEntries {
    map: MapFd,
    ips: Vec<u64>,
}

impl IpEntries {
    /// No entries yet, in a duplicate of the address map's fd (so the entries can be deleted
    /// whatever the order the object and its links are dropped in).
    pub fn new(maps: &UsdtMaps<'_>) -> std::io::Result<Self> {
        Ok(IpEntries { map: maps.ips.try_clone()?, ips: Vec::new() })
    }

    /// Adds `ip → id`; EEXIST when another attachment has that address.
    pub fn insert(&mut self, ip: u64, id: u32) -> Result<(), SysError> {
        sys::map_update_elem(&self.map, &ip.to_ne_bytes(), &id.to_ne_bytes(), BPF_NOEXIST)?;
        self.ips.push(ip);
        Ok(())
    }

    /// The addresses entered.
    pub fn ips(&self) -> &[u64] {
        &self.ips
    }
}

impl Drop for IpEntries {
    fn drop(&mut self) {
        for ip in &self.ips {
            // Nothing to do about a failure: the map goes with the object anyway.
            let _ = sys::map_delete_elem(&self.map, &ip.to_ne_bytes());
        }
    }
}
