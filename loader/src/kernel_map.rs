//! Maps already in the kernel, found the way bpftool spells them (`id N`, `name NAME`,
//! `pinned PATH`), with
//! their BTF when they have some: what `rawbpf map list|show|dump|lookup|update|delete|count`
//! read and write.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use btf::{Btf, BtfError, TypeId};

use crate::map_count::{self, CountOptions, MapCount};
use crate::map_ops;
use crate::sys::{self, BtfId, MapFd, MapId, MapInfo, SysError};

/// How a map is named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapSpec {
    /// `id N`.
    Id(MapId),
    /// `name NAME`: the (at most 15-character) name the kernel keeps.
    Name(String),
    /// `pinned PATH`: a map pinned on a bpffs.
    Pinned(PathBuf),
}

/// A map opened from the kernel.
#[derive(Debug)]
pub struct KernelMap {
    /// The map.
    pub fd: MapFd,
    /// What the kernel says about it.
    pub info: MapInfo,
}

/// Why a map could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum KernelMapError {
    /// No map has this id, or none this name.
    #[error("no map {0}")]
    NotFound(MapSpec),
    /// Several maps have this name (names are not unique): name one by id.
    #[error("{} maps are named {name}: ids {}", ids.len(), ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "))]
    Ambiguous {
        /// The name.
        name: String,
        /// The maps that have it.
        ids: Vec<MapId>,
    },
    /// What is pinned at the path is not a map (a program, a link...).
    #[error("{} is not a pinned map (it holds a {kind})", path.display())]
    NotAMap {
        /// The path.
        path: PathBuf,
        /// What the kernel calls the object (`bpf-prog`, `bpf-link`...).
        kind: String,
    },
    /// A syscall failed.
    #[error("reading maps")]
    Sys(#[from] SysError),
    /// The map's BTF object did not parse.
    #[error("the map's BTF (object id {btf_id})")]
    Btf {
        /// The BTF object.
        btf_id: BtfId,
        /// What was wrong with it.
        #[source]
        source: BtfError,
    },
}

impl std::fmt::Display for MapSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MapSpec::Id(id) => write!(f, "id {id}"),
            MapSpec::Name(n) => write!(f, "name {n}"),
            MapSpec::Pinned(p) => write!(f, "pinned {}", p.display()),
        }
    }
}

/// Every map in the kernel, in id order (maps freed while walking are skipped).
pub fn list() -> Result<Vec<KernelMap>, SysError> {
    let mut out = Vec::new();
    let mut at = None;
    while let Some(id) = sys::map_get_next_id(at)? {
        at = Some(id);
        match open_id(id) {
            Ok(m) => out.push(m),
            Err(e) if e.is(Errno::ENOENT) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn open_id(id: MapId) -> Result<KernelMap, SysError> {
    let fd = sys::map_get_fd_by_id(id)?;
    let info = sys::map_info(&fd)?;
    Ok(KernelMap { fd, info })
}

/// Opens the map `spec` names.
pub fn open(spec: &MapSpec) -> Result<KernelMap, KernelMapError> {
    match spec {
        MapSpec::Id(id) => open_id(*id).map_err(|e| {
            if e.is(Errno::ENOENT) {
                KernelMapError::NotFound(spec.clone())
            } else {
                KernelMapError::Sys(e)
            }
        }),
        MapSpec::Pinned(path) => open_pinned(path).map_err(|e| match e {
            KernelMapError::Sys(s) if s.is(Errno::ENOENT) => KernelMapError::NotFound(spec.clone()),
            e => e,
        }),
        MapSpec::Name(name) => {
            let mut found: Vec<KernelMap> = list()?.into_iter().filter(|m| &m.info.name == name).collect();
            match found.len() {
                0 => Err(KernelMapError::NotFound(spec.clone())),
                1 => Ok(found.remove(0)),
                _ => Err(KernelMapError::Ambiguous {
                    name: name.clone(),
                    ids: found.iter().map(|m| m.info.id).collect(),
                }),
            }
        }
    }
}

/// Opens the map pinned at `path`, refusing anything else pinned there.
pub fn open_pinned(path: &Path) -> Result<KernelMap, KernelMapError> {
    let fd = sys::obj_get(path)?;
    // Every bpf object fd is an anon inode named by its kind: only a map's info is a map's.
    // Without /proc to ask, the map info call is trusted.
    if let Ok(link) = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())) {
        let kind = link.to_string_lossy().trim_start_matches("anon_inode:").to_owned();
        if kind != "bpf-map" {
            return Err(KernelMapError::NotAMap { path: path.to_owned(), kind });
        }
    }
    let fd = MapFd::from_owned(fd);
    let info = sys::map_info(&fd)?;
    Ok(KernelMap { fd, info })
}

/// A map's key and value types, in the BTF it was created with.
#[derive(Debug)]
pub struct MapTypes {
    /// That BTF.
    pub btf: Btf,
    /// The key's type.
    pub key: TypeId,
    /// The value's type.
    pub value: TypeId,
}

impl KernelMap {
    /// The map's key and value types, when it was created with BTF for them.
    pub fn types(&self) -> Result<Option<MapTypes>, KernelMapError> {
        let i = &self.info;
        if i.btf_id.get() == 0 || i.btf_value_type_id == 0 {
            return Ok(None);
        }
        let fd = sys::btf_get_fd_by_id(i.btf_id)?;
        let data = sys::btf_data(&fd)?;
        let btf = Btf::parse(data).map_err(|source| KernelMapError::Btf { btf_id: i.btf_id, source })?;
        Ok(Some(MapTypes { btf, key: TypeId::new(i.btf_key_type_id), value: TypeId::new(i.btf_value_type_id) }))
    }

    /// Bytes a value buffer needs (per-CPU maps: one 8-aligned slot per possible CPU).
    pub fn value_len(&self) -> usize {
        sys::value_buf_len(&self.info).unwrap_or(self.info.value_size as usize)
    }

    /// The value at `key`; `None` when absent.
    pub fn lookup(&self, key: &[u8]) -> Result<Option<Vec<u8>>, SysError> {
        let mut v = vec![0u8; self.value_len()];
        Ok(map_ops::lookup(&self.fd, key, &mut v)?.then_some(v))
    }

    /// Every key, in the kernel's order (`BPF_MAP_GET_NEXT_KEY`). Bounded by `max_entries`, so a
    /// map that keeps changing while it is walked cannot keep the walk going forever.
    pub fn keys(&self) -> Result<Vec<Vec<u8>>, SysError> {
        let size = self.info.key_size as usize;
        let mut keys: Vec<Vec<u8>> = Vec::new();
        let mut next = vec![0u8; size];
        while keys.len() < self.info.max_entries as usize
            && map_ops::next_key(&self.fd, keys.last().map(Vec::as_slice), &mut next)?
        {
            keys.push(next.clone());
        }
        Ok(keys)
    }

    /// Every element: `(key, value)`; for arrays every index (arrays have no absent keys).
    pub fn entries(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, SysError> {
        let mut out = Vec::new();
        for k in self.keys()? {
            // Deleted since the walk: skip it.
            if let Some(v) = self.lookup(&k)? {
                out.push((k, v));
            }
        }
        Ok(out)
    }

    /// How many elements the map holds: by batches where the kernel has them, else key by key
    /// (the result says which).
    pub fn count(&self) -> Result<MapCount, SysError> {
        self.count_with(CountOptions::default())
    }

    /// [`Self::count`] with a method or batch size chosen.
    pub fn count_with(&self, opts: CountOptions) -> Result<MapCount, SysError> {
        map_count::count(&self.fd, &self.info, opts)
    }

    /// Writes `value` at `key`.
    pub fn update(&self, key: &[u8], value: &[u8], how: map_ops::Update) -> Result<(), SysError> {
        sys::map_update_elem(&self.fd, key, value, how.flags())
    }

    /// Deletes `key`; `false` when it was absent.
    pub fn delete(&self, key: &[u8]) -> Result<bool, SysError> {
        map_ops::delete(&self.fd, key)
    }
}
