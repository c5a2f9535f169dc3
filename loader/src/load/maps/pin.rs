//! `__uint(pinning, LIBBPF_PIN_BY_NAME)`: a map pinned as `<pin root>/<map name>` is reused by
//! every load that declares it the same way (libbpf's `bpf_object__reuse_map`), and pinned
//! there by the first. Reuse opens the pin (BPF_OBJ_GET) instead of creating a map, and
//! compares what the object declares with what the kernel says about the pinned map
//! (libbpf's `map_is_reuse_compat`): type, key and value size, max_entries, flags, map_extra.

use std::path::{Path, PathBuf};

use nix::errno::Errno;

use crate::kernel_map::{self, KernelMap, KernelMapError};
use crate::object::MapDef;
use crate::pins::PinError;
use crate::sys::{self, MapCreate, MapFd, MapInfo, MapType, SysError};

/// `LIBBPF_PIN_NONE`.
const PIN_NONE: u32 = 0;
/// `LIBBPF_PIN_BY_NAME`.
const PIN_BY_NAME: u32 = 1;
/// `BPF_F_RDONLY_PROG`, which the kernel reports on every DEVMAP whatever it was created with.
const RDONLY_PROG: u32 = crate::object::maps::BPF_F_RDONLY_PROG;

/// A map attribute the reuse check compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapAttribute {
    /// `type` (`BPF_MAP_TYPE_*`).
    Type,
    /// `key_size`.
    KeySize,
    /// `value_size`.
    ValueSize,
    /// `max_entries`.
    MaxEntries,
    /// `map_flags`.
    MapFlags,
    /// `map_extra`.
    MapExtra,
}

impl MapAttribute {
    /// The name libbpf and the UAPI give it.
    pub fn name(self) -> &'static str {
        match self {
            MapAttribute::Type => "type",
            MapAttribute::KeySize => "key_size",
            MapAttribute::ValueSize => "value_size",
            MapAttribute::MaxEntries => "max_entries",
            MapAttribute::MapFlags => "map_flags",
            MapAttribute::MapExtra => "map_extra",
        }
    }
}

/// One attribute in which a pinned map differs from the object's declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinMismatch {
    /// Which.
    pub attribute: MapAttribute,
    /// What the object declares (after libbpf's adjustments: the size asked for).
    pub declared: u64,
    /// What the pinned map has.
    pub pinned: u64,
}

/// Why a `LIBBPF_PIN_BY_NAME` map could not be reused or pinned.
#[derive(Debug, thiserror::Error)]
pub enum MapPinError {
    /// A map is pinned there, but not one this object can use.
    #[error("the pinned map is incompatible: {}", .0.iter().map(|m| format!("{} {} declared, {} pinned", m.attribute.name(), m.declared, m.pinned)).collect::<Vec<_>>().join("; "))]
    Incompatible(Vec<PinMismatch>),
    /// The pin could not be opened as a map (other than: nothing pinned there).
    #[error("opening the pin")]
    Open(#[source] KernelMapError),
    /// The pin's directory is not on a bpffs, or could not be created.
    #[error(transparent)]
    Dir(#[from] PinError),
    /// BPF_OBJ_PIN failed.
    #[error("pinning the new map")]
    Pin(#[source] SysError),
    /// The `pinning` attribute is neither LIBBPF_PIN_NONE nor LIBBPF_PIN_BY_NAME.
    #[error("pinning = {0}: only LIBBPF_PIN_NONE (0) and LIBBPF_PIN_BY_NAME (1) exist")]
    BadPinning(u32),
}

/// Where `def` is pinned: `None` for a map without `LIBBPF_PIN_BY_NAME`.
pub(super) fn path(def: &MapDef, root: &Path) -> Result<Option<PathBuf>, MapPinError> {
    match def.pinning {
        PIN_NONE => Ok(None),
        PIN_BY_NAME => Ok(Some(root.join(&def.name))),
        other => Err(MapPinError::BadPinning(other)),
    }
}

/// What differs between the map `want` asks for and the pinned map `have` (libbpf's
/// `map_is_reuse_compat`; a DEVMAP's reported `BPF_F_RDONLY_PROG` is not a difference).
pub(super) fn differences(want: &MapCreate<'_>, have: &MapInfo) -> Vec<PinMismatch> {
    let mut flags = have.map_flags;
    if matches!(want.map_type, MapType::DEVMAP | MapType::DEVMAP_HASH) {
        flags &= !RDONLY_PROG;
    }
    let pairs = [
        (MapAttribute::Type, want.map_type.0.into(), have.map_type.0.into()),
        (MapAttribute::KeySize, want.key_size.into(), have.key_size.into()),
        (MapAttribute::ValueSize, want.value_size.into(), have.value_size.into()),
        (MapAttribute::MaxEntries, want.max_entries.into(), have.max_entries.into()),
        (MapAttribute::MapFlags, want.map_flags.into(), flags.into()),
        (MapAttribute::MapExtra, want.map_extra, have.map_extra),
    ];
    pairs
        .into_iter()
        .filter(|&(_, d, p)| d != p)
        .map(|(attribute, declared, pinned)| PinMismatch { attribute, declared, pinned })
        .collect()
}

/// The map pinned at `path` when it is compatible with `want`; `None` when nothing is pinned.
pub(super) fn reuse(path: &Path, want: &MapCreate<'_>) -> Result<Option<KernelMap>, MapPinError> {
    let map = match kernel_map::open_pinned(path) {
        Ok(m) => m,
        Err(KernelMapError::Sys(e)) if e.is(Errno::ENOENT) => return Ok(None),
        Err(e) => return Err(MapPinError::Open(e)),
    };
    let diff = differences(want, &map.info);
    if !diff.is_empty() {
        return Err(MapPinError::Incompatible(diff));
    }
    Ok(Some(map))
}

/// Pins a new map at `path`, creating its directory (one level, as libbpf) on a bpffs.
pub(super) fn pin(fd: &MapFd, path: &Path) -> Result<(), MapPinError> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    crate::pins::check_bpffs(dir)?;
    if !dir.exists() {
        std::fs::create_dir(dir).map_err(|source| PinError::CreateDir { dir: dir.to_owned(), source })?;
    }
    sys::obj_pin(std::os::fd::AsFd::as_fd(fd), path).map_err(MapPinError::Pin)
}

/// What pinning did in a load still under way: the pins it made (removed if the load fails,
/// kept once it succeeds) and the maps it reused (their initial slots are not filled again, as
/// libbpf leaves a reused map's contents alone).
#[derive(Debug, Default)]
pub struct LoadPins {
    made: Vec<PathBuf>,
    reused: Vec<String>,
}

impl LoadPins {
    pub(super) fn made(&mut self, path: PathBuf) {
        self.made.push(path);
    }

    pub(super) fn reused(&mut self, map: &str) {
        self.reused.push(map.to_owned());
    }

    /// Whether the map named `map` was reused from a pin.
    pub fn is_reused(&self, map: &str) -> bool {
        self.reused.iter().any(|m| m == map)
    }

    /// The load succeeded: the pins stay (libbpf semantics: they outlive the process).
    pub fn keep(mut self) {
        self.made.clear();
    }
}

impl Drop for LoadPins {
    fn drop(&mut self) {
        for p in &self.made {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::{BtfId, MapId};

    fn info(map_type: MapType, value_size: u32, map_flags: u32) -> MapInfo {
        MapInfo {
            id: MapId::new(7),
            map_type,
            key_size: 4,
            value_size,
            max_entries: 64,
            map_flags,
            name: "counts".into(),
            btf_id: BtfId::new(0),
            btf_key_type_id: 0,
            btf_value_type_id: 0,
            map_extra: 0,
        }
    }

    fn want(map_type: MapType) -> MapCreate<'static> {
        MapCreate { map_type, key_size: 4, value_size: 8, max_entries: 64, name: "counts", ..Default::default() }
    }

    #[test]
    fn every_differing_attribute_is_named_with_both_values() {
        assert_eq!(differences(&want(MapType::HASH), &info(MapType::HASH, 8, 0)), []);
        let d = differences(&want(MapType::HASH), &info(MapType::ARRAY, 16, 1));
        assert_eq!(
            d,
            [
                PinMismatch { attribute: MapAttribute::Type, declared: 1, pinned: 2 },
                PinMismatch { attribute: MapAttribute::ValueSize, declared: 8, pinned: 16 },
                PinMismatch { attribute: MapAttribute::MapFlags, declared: 0, pinned: 1 },
            ]
        );
    }

    #[test]
    fn a_devmap_reported_read_only_for_programs_is_still_compatible() {
        let have = info(MapType::DEVMAP, 8, RDONLY_PROG);
        assert_eq!(differences(&want(MapType::DEVMAP), &have), []);
        assert_eq!(differences(&want(MapType::HASH), &info(MapType::HASH, 8, RDONLY_PROG)).len(), 1);
    }

    #[test]
    fn only_pin_by_name_gets_a_path() {
        let mut def = crate::object::MapDef::empty(
            "counts".into(),
            crate::object::MapKind::BtfDefined { offset: 0 },
            crate::object::SectionIndex::new(0),
        );
        assert_eq!(path(&def, Path::new("/sys/fs/bpf")).unwrap(), None);
        def.pinning = 1;
        assert_eq!(path(&def, Path::new("/x")).unwrap(), Some(PathBuf::from("/x/counts")));
        def.pinning = 2;
        assert!(matches!(path(&def, Path::new("/x")), Err(MapPinError::BadPinning(2))));
    }
}
