//! Reading and writing a loaded map's elements as bytes: what a program embedding the loader
//! (or a generated skeleton) builds its typed access on.

use nix::errno::Errno;

use crate::load::LoadedMap;
use crate::sys::{self, MapFd, SysError};

/// How an update treats an existing element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Update {
    /// Create or replace (`BPF_ANY`).
    #[default]
    Any,
    /// Create only (`BPF_NOEXIST`).
    NoExist,
    /// Replace only (`BPF_EXIST`).
    Exist,
}

impl Update {
    pub(crate) fn flags(self) -> u64 {
        match self {
            Update::Any => sys::BPF_ANY,
            Update::NoExist => sys::BPF_NOEXIST,
            Update::Exist => sys::BPF_EXIST,
        }
    }
}

/// Reads the value at `key` into `value`; `false` when there is no such element.
pub fn lookup(fd: &MapFd, key: &[u8], value: &mut [u8]) -> Result<bool, SysError> {
    absent_is_false(sys::map_lookup_elem(fd, key, value))
}

/// Deletes the element at `key`; `false` when there was none.
pub fn delete(fd: &MapFd, key: &[u8]) -> Result<bool, SysError> {
    absent_is_false(sys::map_delete_elem(fd, key))
}

/// The key after `key` (`None`: the first) into `next`; `false` after the last.
pub fn next_key(fd: &MapFd, key: Option<&[u8]>, next: &mut [u8]) -> Result<bool, SysError> {
    absent_is_false(sys::map_get_next_key(fd, key, next))
}

/// ENOENT is an answer here ("no such element"), not a failure.
fn absent_is_false(r: Result<(), SysError>) -> Result<bool, SysError> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if e.is(Errno::ENOENT) => Ok(false),
        Err(e) => Err(e),
    }
}

impl LoadedMap {
    /// Reads the value at `key` into `value` (per-CPU maps: one 8-byte-aligned slot per possible
    /// CPU); `false` when there is no such element.
    pub fn lookup(&self, key: &[u8], value: &mut [u8]) -> Result<bool, SysError> {
        lookup(&self.fd, key, value)
    }

    /// Writes `value` at `key`.
    pub fn update(&self, key: &[u8], value: &[u8], how: Update) -> Result<(), SysError> {
        sys::map_update_elem(&self.fd, key, value, how.flags())
    }

    /// Deletes the element at `key`; `false` when there was none.
    pub fn delete(&self, key: &[u8]) -> Result<bool, SysError> {
        delete(&self.fd, key)
    }

    /// The key after `key` (`None`: the first) into `next`; `false` after the last.
    pub fn next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<bool, SysError> {
        next_key(&self.fd, key, next)
    }
}
