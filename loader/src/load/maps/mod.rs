//! Maps: `BPF_MAP_CREATE` for each, global data written into its single element, `.rodata`
//! frozen so the verifier can treat it as constant. Sizes and BTF ids follow libbpf's
//! adjustments (`plan`). `LIBBPF_PIN_BY_NAME` maps are reused from, or pinned at, the pin root
//! (`pin`).

mod pin;
mod plan;
pub(super) mod slots;

use std::path::Path;

pub use pin::{LoadPins, MapAttribute, MapPinError, PinMismatch};
pub use plan::MapAdjustment;

use super::{LoadError, LoadedMap};
use crate::object::{MapDef, MapKind, Object};
use crate::progress::{Observer, Step};
use crate::sys::{self, BtfFd, MapCreate, MapFd, MapType};

/// What every map of one load shares.
pub struct Context<'a> {
    /// The object's BTF in the kernel.
    pub btf_fd: Option<&'a BtfFd>,
    /// The `.kconfig` map's value, which `crate::externs` resolved for this kernel.
    pub kconfig: Option<&'a [u8]>,
    /// Where `LIBBPF_PIN_BY_NAME` maps are pinned.
    pub pin_root: &'a Path,
}

/// Creates (or reuses, for pinned maps) every map of the object, in order; what it pins and
/// reuses is recorded in `pins`.
pub fn create_all(
    obj: &Object,
    cx: &Context<'_>,
    pins: &mut LoadPins,
    obs: &mut dyn Observer,
) -> Result<Vec<LoadedMap>, LoadError> {
    let machine = Machine::read();
    obj.maps
        .iter()
        .map(|m| {
            let data = if m.kind == MapKind::Kconfig { cx.kconfig } else { m.initial_data.as_deref() };
            create(m, data, cx, machine, pins, obs)
        })
        .collect()
}

fn create(
    def: &MapDef,
    data: Option<&[u8]>,
    cx: &Context<'_>,
    machine: Machine,
    pins: &mut LoadPins,
    obs: &mut dyn Observer,
) -> Result<LoadedMap, LoadError> {
    let btf_fd = cx.btf_fd;
    let err = |source| LoadError::Map { map: def.name.clone(), source };
    let pin_path = pin::path(def, cx.pin_root).map_err(|source| pin_error(def, cx.pin_root, source))?;
    let plan = plan::plan(def, btf_fd.is_some(), machine.cpus, machine.page);
    for adjustment in &plan.adjustments {
        obs.step(Step::MapAdjusted { name: &def.name, adjustment });
    }
    let map_type = MapType(def.map_type);
    // A map-in-map is created against a template of its inner maps, closed once it exists.
    let inner = match def.values.as_ref().and_then(|v| v.inner.as_deref()) {
        Some(template) => Some(create(template, None, cx, machine, pins, obs)?),
        None => None,
    };
    let attrs = |btf_ids: Option<(u32, u32)>| {
        let (key, value) = btf_ids.unwrap_or((0, 0));
        MapCreate {
            map_type,
            key_size: def.key_size,
            value_size: def.value_size,
            max_entries: plan.max_entries,
            map_flags: def.map_flags,
            name: &def.name,
            btf_fd: btf_ids.and(btf_fd),
            btf_key_type_id: key,
            btf_value_type_id: value,
            map_extra: def.map_extra,
            inner_map_fd: inner.as_ref().map(|m| &m.fd),
            ..Default::default()
        }
    };
    if let Some(path) = &pin_path {
        if let Some(m) = pin::reuse(path, &attrs(None)).map_err(|source| pin_error(def, path, source))? {
            pins.reused(&def.name);
            obs.step(Step::MapReused { name: &def.name, path, id: m.info.id });
            return Ok(LoadedMap { name: def.name.clone(), map_type, id: m.info.id, fd: m.fd });
        }
    }
    let fd = match sys::map_create(&attrs(plan.btf_ids)) {
        // libbpf's rule: a kernel that refuses a map's BTF gets one more try without it.
        Err(error) if plan.btf_ids.is_some() => {
            obs.step(Step::MapBtfRetry { name: &def.name, error: &error });
            sys::map_create(&attrs(None))
        }
        created => created,
    }
    .map_err(err)?;
    match data {
        // An arena's pages are its value: the `__arena` globals go in through a mapping.
        Some(data) if map_type == MapType::ARENA => {
            let len = plan.max_entries as usize * machine.page as usize;
            sys::write_arena(&fd, def.map_extra, len, data).map_err(err)?;
        }
        Some(data) => sys::map_update_elem(&fd, &0u32.to_ne_bytes(), data, sys::BPF_ANY).map_err(err)?,
        None => {}
    }
    if def.freeze {
        sys::map_freeze(&fd).map_err(err)?;
    }
    let id = sys::map_info(&fd).map_err(err)?.id;
    obs.step(Step::MapCreated { name: &def.name, map_type, id });
    let Some(path) = pin_path else {
        return Ok(LoadedMap { name: def.name.clone(), map_type, id, fd });
    };
    pin_created(def, fd, id, &path, &attrs(None), pins, obs)
}

/// Pins a map just created at `path`. Someone else pinning there first (EEXIST) is libbpf's one
/// retry: their map is reused when compatible, and ours is dropped.
fn pin_created(
    def: &MapDef,
    fd: MapFd,
    id: sys::MapId,
    path: &Path,
    want: &MapCreate<'_>,
    pins: &mut LoadPins,
    obs: &mut dyn Observer,
) -> Result<LoadedMap, LoadError> {
    let map_type = MapType(def.map_type);
    match pin::pin(&fd, path) {
        Ok(()) => {
            pins.made(path.to_owned());
            obs.step(Step::MapPinned { name: &def.name, path, id });
            Ok(LoadedMap { name: def.name.clone(), map_type, id, fd })
        }
        Err(MapPinError::Pin(e)) if e.is(nix::errno::Errno::EEXIST) => {
            match pin::reuse(path, want).map_err(|source| pin_error(def, path, source))? {
                Some(m) => {
                    pins.reused(&def.name);
                    obs.step(Step::MapReused { name: &def.name, path, id: m.info.id });
                    Ok(LoadedMap { name: def.name.clone(), map_type, id: m.info.id, fd: m.fd })
                }
                None => Err(pin_error(def, path, MapPinError::Pin(e))),
            }
        }
        Err(source) => Err(pin_error(def, path, source)),
    }
}

fn pin_error(def: &MapDef, path: &Path, source: MapPinError) -> LoadError {
    LoadError::MapPin { map: def.name.clone(), path: path.to_owned(), source }
}

/// What map sizes depend on: possible CPUs and the page size, read once per load.
#[derive(Clone, Copy)]
struct Machine {
    cpus: u32,
    page: u32,
}

impl Machine {
    fn read() -> Machine {
        // Unreadable CPU list: 0 slots, and the kernel's EINVAL names the map, as libbpf's
        // error would.
        let cpus = sys::possible_cpus().ok().and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        Machine { cpus, page: u32::try_from(sys::page_size()).unwrap_or(4096) }
    }
}
