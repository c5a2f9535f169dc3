//! Walking the kernel's object ids (GET_NEXT_ID) and opening objects by id (GET_FD_BY_ID).

use std::os::fd::OwnedFd;

use super::bpf::{call, call_fd, Attr, Cmd};
use nix::errno::Errno;

use super::error::SysError;
use super::handles::{BtfFd, BtfId, LinkFd, LinkId, MapFd, MapId, ProgFd, ProgId};
use super::info::{btf_info, BtfInfo};

/// The `*_GET_NEXT_ID` / `*_GET_FD_BY_ID` member of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct IdAttr {
    /// `start_id`, `prog_id`, `map_id`, `btf_id` or `link_id`.
    id: u32,
    next_id: u32,
    open_flags: u32,
}
// SAFETY: repr(C), only integers, no padding.
unsafe impl Attr for IdAttr {}

/// What each field is in C, for the ABI check (sys/abi.rs).
#[cfg(test)]
pub(super) fn abi_layouts() -> Vec<super::abi::Layout> {
    vec![super::abi::layout!(IdAttr in "union bpf_attr" {
        id => M("start_id"), M("prog_id"), M("map_id"), M("btf_id"), M("link_id");
        next_id;
        open_flags;
    })]
}

/// Kinds of kernel objects with ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjKind {
    /// Programs.
    Prog,
    /// Maps.
    Map,
    /// BTF objects.
    Btf,
    /// Links.
    Link,
}

impl ObjKind {
    fn next_cmd(self) -> Cmd {
        match self {
            ObjKind::Prog => Cmd::ProgGetNextId,
            ObjKind::Map => Cmd::MapGetNextId,
            ObjKind::Btf => Cmd::BtfGetNextId,
            ObjKind::Link => Cmd::LinkGetNextId,
        }
    }

    fn fd_cmd(self) -> Cmd {
        match self {
            ObjKind::Prog => Cmd::ProgGetFdById,
            ObjKind::Map => Cmd::MapGetFdById,
            ObjKind::Btf => Cmd::BtfGetFdById,
            ObjKind::Link => Cmd::LinkGetFdById,
        }
    }
}

/// The first id greater than `start` (0: the first), or `None` after the last.
pub fn next_id(kind: ObjKind, start: u32) -> Result<Option<u32>, SysError> {
    let mut a = IdAttr { id: start, ..Default::default() };
    match call(kind.next_cmd(), &mut a, format_args!("start_id={start}")) {
        Ok(_) => Ok(Some(a.next_id)),
        Err(e) if e.is(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// All ids of one kind, ascending.
pub fn all_ids(kind: ObjKind) -> Result<Vec<u32>, SysError> {
    let mut ids = Vec::new();
    let mut cur = 0;
    while let Some(id) = next_id(kind, cur)? {
        // Ids only grow; a non-increasing answer would loop forever, so stop on it.
        if id <= cur {
            break;
        }
        ids.push(id);
        cur = id;
    }
    Ok(ids)
}

/// Opens an object by id (`ENOENT` if it is gone).
pub fn fd_by_id(kind: ObjKind, id: u32) -> Result<OwnedFd, SysError> {
    let mut a = IdAttr { id, ..Default::default() };
    call_fd(kind.fd_cmd(), &mut a, format_args!("id={id}"))
}

/// The next program id after `start` (`None`: the first).
pub fn prog_get_next_id(start: Option<ProgId>) -> Result<Option<ProgId>, SysError> {
    Ok(next_id(ObjKind::Prog, start.map_or(0, ProgId::get))?.map(ProgId::new))
}

/// The next map id after `start`.
pub fn map_get_next_id(start: Option<MapId>) -> Result<Option<MapId>, SysError> {
    Ok(next_id(ObjKind::Map, start.map_or(0, MapId::get))?.map(MapId::new))
}

/// The next link id after `start`.
pub fn link_get_next_id(start: Option<LinkId>) -> Result<Option<LinkId>, SysError> {
    Ok(next_id(ObjKind::Link, start.map_or(0, LinkId::get))?.map(LinkId::new))
}

/// The next BTF object id after `start`.
pub fn btf_get_next_id(start: Option<BtfId>) -> Result<Option<BtfId>, SysError> {
    Ok(next_id(ObjKind::Btf, start.map_or(0, BtfId::get))?.map(BtfId::new))
}

/// Opens a program by id.
pub fn prog_get_fd_by_id(id: ProgId) -> Result<ProgFd, SysError> {
    fd_by_id(ObjKind::Prog, id.get()).map(ProgFd::from_owned)
}

/// Opens a map by id.
pub fn map_get_fd_by_id(id: MapId) -> Result<MapFd, SysError> {
    fd_by_id(ObjKind::Map, id.get()).map(MapFd::from_owned)
}

/// Opens a BTF object by id (e.g. a kernel module's, for `attach_btf_obj_fd`).
pub fn btf_get_fd_by_id(id: BtfId) -> Result<BtfFd, SysError> {
    fd_by_id(ObjKind::Btf, id.get()).map(BtfFd::from_owned)
}

/// Opens a link by id.
pub fn link_get_fd_by_id(id: LinkId) -> Result<LinkFd, SysError> {
    fd_by_id(ObjKind::Link, id.get()).map(LinkFd::from_owned)
}

/// Finds the kernel's BTF object called `name` (`vmlinux` or a module name) and opens it.
pub fn find_kernel_btf(name: &str) -> Result<Option<(BtfFd, BtfInfo)>, SysError> {
    for id in all_ids(ObjKind::Btf)? {
        let fd = match btf_get_fd_by_id(BtfId::new(id)) {
            Ok(fd) => fd,
            Err(e) if e.is(Errno::ENOENT) => continue, // freed while we walked
            Err(e) => return Err(e),
        };
        let info = btf_info(&fd)?;
        if info.kernel_btf && info.name == name {
            return Ok(Some((fd, info)));
        }
    }
    Ok(None)
}

/// A snapshot of the kernel's object ids, to check that nothing was left behind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelIds {
    /// Program ids.
    pub progs: Vec<ProgId>,
    /// Map ids.
    pub maps: Vec<MapId>,
    /// Link ids.
    pub links: Vec<LinkId>,
    /// BTF object ids.
    pub btfs: Vec<BtfId>,
}

impl KernelIds {
    /// Ids present in `self` but not in `before`: what was created since `before`.
    pub fn added_since(&self, before: &KernelIds) -> KernelIds {
        fn diff<T: Copy + PartialEq>(a: &[T], b: &[T]) -> Vec<T> {
            a.iter().copied().filter(|x| !b.contains(x)).collect()
        }
        KernelIds {
            progs: diff(&self.progs, &before.progs),
            maps: diff(&self.maps, &before.maps),
            links: diff(&self.links, &before.links),
            btfs: diff(&self.btfs, &before.btfs),
        }
    }

    /// True when no ids are listed.
    pub fn is_empty(&self) -> bool {
        self.progs.is_empty() && self.maps.is_empty() && self.links.is_empty() && self.btfs.is_empty()
    }
}

/// Snapshots all program, map, link and BTF ids.
pub fn kernel_ids() -> Result<KernelIds, SysError> {
    Ok(KernelIds {
        progs: all_ids(ObjKind::Prog)?.into_iter().map(ProgId::new).collect(),
        maps: all_ids(ObjKind::Map)?.into_iter().map(MapId::new).collect(),
        links: all_ids(ObjKind::Link)?.into_iter().map(LinkId::new).collect(),
        btfs: all_ids(ObjKind::Btf)?.into_iter().map(BtfId::new).collect(),
    })
}
