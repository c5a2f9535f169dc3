//! Maps: `BPF_MAP_CREATE` for each, global data written into its single element, `.rodata`
//! frozen so the verifier can treat it as constant.

use btf::TypeId;

use super::{LoadError, LoadedMap};
use crate::object::{MapDef, MapKind, Object};
use crate::progress::{Observer, Step};
use crate::sys::{self, BtfFd, MapCreate, MapType};

/// Creates every map of the object, in order; `kconfig` is the `.kconfig` map's value, which
/// `crate::externs` resolved for this kernel.
pub fn create_all(
    obj: &Object,
    btf_fd: Option<&BtfFd>,
    kconfig: Option<&[u8]>,
    obs: &mut dyn Observer,
) -> Result<Vec<LoadedMap>, LoadError> {
    obj.maps
        .iter()
        .map(|m| {
            let data = if m.kind == MapKind::Kconfig { kconfig } else { m.initial_data.as_deref() };
            create(m, data, btf_fd, obs)
        })
        .collect()
}

fn create(
    def: &MapDef,
    data: Option<&[u8]>,
    btf_fd: Option<&BtfFd>,
    obs: &mut dyn Observer,
) -> Result<LoadedMap, LoadError> {
    let err = |source| LoadError::Map { map: def.name.clone(), source };
    // BTF ids only mean something in the object's BTF, and only when the kernel took it.
    let (btf, key_id, value_id) = match btf_fd {
        Some(fd) if def.btf_value_type_id != TypeId::VOID => {
            (Some(fd), def.btf_key_type_id.get(), def.btf_value_type_id.get())
        }
        _ => (None, 0, 0),
    };
    let map_type = MapType(def.map_type);
    let fd = sys::map_create(&MapCreate {
        map_type,
        key_size: def.key_size,
        value_size: def.value_size,
        max_entries: def.max_entries,
        map_flags: def.map_flags,
        name: &def.name,
        btf_fd: btf,
        btf_key_type_id: key_id,
        btf_value_type_id: value_id,
        map_extra: def.map_extra,
        ..Default::default()
    })
    .map_err(err)?;
    if let Some(data) = data {
        sys::map_update_elem(&fd, &0u32.to_ne_bytes(), data, sys::BPF_ANY).map_err(err)?;
    }
    if def.freeze {
        sys::map_freeze(&fd).map_err(err)?;
    }
    let id = sys::map_info(&fd).map_err(err)?.id;
    obs.step(Step::MapCreated { name: &def.name, map_type, id });
    Ok(LoadedMap { name: def.name.clone(), map_type, id, fd })
}
