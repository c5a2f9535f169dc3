//! `rawbpf load --pin DIR`: every map of a load pinned as `DIR/<map name>` (dots made `_`:
//! bpffs refuses them, and libbpf's `sanitize_pin_path` does the same) so another process
//! can open it (`rawbpf map dump pinned DIR/NAME`, `bpftool map dump pinned ...`), and the pins
//! removed again when the [`Pins`] is dropped (on every exit path), unless [`Pins::keep`] was
//! called.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use crate::load::LoadedMap;
use crate::sys::{self, SysError};

/// Why the maps could not be pinned. Pins made before the failure are already removed.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// The directory (or its nearest existing parent) could not be examined.
    #[error("{}: cannot read its filesystem", dir.display())]
    Statfs {
        /// The directory.
        dir: PathBuf,
        /// What `statfs` said.
        #[source]
        source: std::io::Error,
    },
    /// The directory is not on a bpf filesystem: the kernel pins only there.
    #[error("{} is not on a bpf filesystem (statfs magic {magic:#x}, a bpffs is {:#x})", dir.display(), sys::BPF_FS_MAGIC)]
    NotBpffs {
        /// The directory (or its nearest existing parent).
        dir: PathBuf,
        /// The filesystem's magic.
        magic: i64,
    },
    /// The directory could not be created.
    #[error("creating {}", dir.display())]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// BPF_OBJ_PIN failed (EEXIST: something is pinned at that path already).
    #[error("pinning map {map} at {}", path.display())]
    Pin {
        /// The map.
        map: String,
        /// Where.
        path: PathBuf,
        /// The kernel's answer.
        #[source]
        source: SysError,
    },
}

/// Maps pinned by [`pin_all`]; dropping it unpins them and removes the directories it created.
#[derive(Debug)]
pub struct Pins {
    paths: Vec<PathBuf>,
    /// Directories created for the pins, outermost first.
    created: Vec<PathBuf>,
    keep: bool,
}

impl Pins {
    /// The pin paths, in map order.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Leaves the pins (and directories) in place when dropped (`--keep-pins`).
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for Pins {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        for p in &self.paths {
            if let Err(e) = std::fs::remove_file(p) {
                tracing::warn!(target: "rawbpf::pins", path = %p.display(), "cannot unpin: {e}");
            }
        }
        // Innermost first; a directory someone else put files in stays.
        for d in self.created.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// Whether `dir`, or where it would be created, is a bpffs (`statfs` of the nearest existing
/// ancestor: a new directory is on its parent's filesystem).
pub fn check_bpffs(dir: &Path) -> Result<(), PinError> {
    let existing = dir.ancestors().find(|a| a.exists()).unwrap_or(Path::new("/"));
    let st = nix::sys::statfs::statfs(existing)
        .map_err(|e| PinError::Statfs { dir: existing.to_owned(), source: e.into() })?;
    let magic = st.filesystem_type().0 as i64;
    if magic != sys::BPF_FS_MAGIC {
        return Err(PinError::NotBpffs { dir: existing.to_owned(), magic });
    }
    Ok(())
}

/// Creates `dir` and its missing parents, returning the ones created, outermost first.
fn create_dirs(dir: &Path) -> Result<Vec<PathBuf>, PinError> {
    let mut missing: Vec<PathBuf> = dir.ancestors().take_while(|a| !a.exists()).map(Path::to_owned).collect();
    missing.reverse();
    let mut created = Vec::new();
    for d in missing {
        if let Err(source) = std::fs::create_dir(&d) {
            for c in created.iter().rev() {
                let _ = std::fs::remove_dir(c);
            }
            return Err(PinError::CreateDir { dir: d, source });
        }
        created.push(d);
    }
    Ok(created)
}

/// The file name a map is pinned under: its name with `.` made `_` (`maps_glo.rodata` →
/// `maps_glo_rodata`), since bpffs refuses names with a dot.
pub fn pin_name(map: &str) -> String {
    map.replace('.', "_")
}

/// Pins each of `maps` as `dir/<name>`, creating `dir` if needed (it must be on a bpffs).
pub fn pin_all(maps: &[LoadedMap], dir: &Path) -> Result<Pins, PinError> {
    check_bpffs(dir)?;
    let created = create_dirs(dir)?;
    // From here on, dropping `pins` (the `?` below) undoes what was done.
    let mut pins = Pins { paths: Vec::new(), created, keep: false };
    for m in maps {
        let path = dir.join(pin_name(&m.name));
        sys::obj_pin(m.fd.as_fd(), &path).map_err(|source| PinError::Pin {
            map: m.name.clone(),
            path: path.clone(),
            source,
        })?;
        pins.paths.push(path);
    }
    Ok(pins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_names_lose_their_dots() {
        assert_eq!(pin_name("maps_glo.rodata"), "maps_glo_rodata");
        assert_eq!(pin_name("rawbpf_counts"), "rawbpf_counts");
    }

    #[test]
    fn a_directory_off_bpffs_is_refused_before_anything_is_created() {
        let dir = std::env::temp_dir().join(format!("rawbpf-pins-{}/a/b", std::process::id()));
        let e = pin_all(&[], &dir).unwrap_err();
        assert!(
            matches!(e, PinError::NotBpffs { ref dir, magic } if dir == &std::env::temp_dir() && magic != sys::BPF_FS_MAGIC),
            "{e:?}"
        );
        assert!(!dir.parent().unwrap().parent().unwrap().exists());
    }
}
