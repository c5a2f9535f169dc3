//! Finding tracefs: where `trace_pipe` lives, mounting it when no one has.

use std::fmt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

/// The standard mount point (kernels since 4.1); also where rawbpf mounts it.
pub const TRACEFS_DIR: &str = "/sys/kernel/tracing";
/// The legacy location through debugfs.
pub const DEBUGFS_TRACING_DIR: &str = "/sys/kernel/debug/tracing";

/// How tracefs was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// It was already mounted there.
    Existing,
    /// rawbpf mounted it just now (it stays mounted; that is harmless and what tools expect).
    MountedNow,
}

/// A usable tracefs directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tracefs {
    /// The directory holding `trace_pipe`, `trace_marker`, ...
    pub root: PathBuf,
    /// Whether it was already there.
    pub origin: Origin,
}

impl Tracefs {
    /// Finds tracefs: [`TRACEFS_DIR`], [`DEBUGFS_TRACING_DIR`], any other tracefs mount in
    /// `/proc/self/mounts`; else mounts it at [`TRACEFS_DIR`].
    pub fn find_or_mount() -> Result<Tracefs, TracefsError> {
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        locate(&candidates(&mounts), |p| p.join("trace_pipe").exists(), mount_tracefs)
    }

    /// The `trace_pipe` file.
    pub fn trace_pipe(&self) -> PathBuf {
        self.root.join("trace_pipe")
    }

    /// The `trace_marker` file (user-space writes show up as `tracing_mark_write` events).
    pub fn trace_marker(&self) -> PathBuf {
        self.root.join("trace_marker")
    }

    /// Writes `text` to `trace_marker`; it comes back from trace_pipe as a `tracing_mark_write`
    /// event of the writing task (a self-test of the whole path).
    pub fn write_marker(&self, text: &str) -> std::io::Result<()> {
        use std::io::Write;
        let path = self.trace_marker();
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).map_err(|e| with_path(e, &path))?;
        f.write_all(text.as_bytes()).map_err(|e| with_path(e, &path))
    }

    /// Whether `tracing_on` reads 1 (`None` if it cannot be read).
    pub fn is_tracing_on(&self) -> Option<bool> {
        std::fs::read_to_string(self.tracing_on()).ok().map(|s| s.trim() == "1")
    }

    /// The `tracing_on` switch: events (and bpf_printk output) are only recorded while it is 1.
    pub fn tracing_on(&self) -> PathBuf {
        self.root.join("tracing_on")
    }
}

/// No tracefs found and mounting one failed.
#[derive(Debug, thiserror::Error)]
pub struct TracefsError {
    /// Every directory looked at for a `trace_pipe`.
    pub tried: Vec<PathBuf>,
    /// Where the mount was attempted.
    pub mount_point: PathBuf,
    /// Why the mount failed.
    pub errno: Errno,
}

impl fmt::Display for TracefsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tried: Vec<String> = self.tried.iter().map(|p| p.join("trace_pipe").display().to_string()).collect();
        write!(
            f,
            "tracefs missing or not mountable: no trace_pipe at {}; mount -t tracefs tracefs {} failed: {} ({:?})",
            tried.join(", "),
            self.mount_point.display(),
            self.errno.desc(),
            self.errno,
        )
    }
}

fn with_path(e: std::io::Error, path: &Path) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// The directories to look at, in order: the standard ones, then tracefs mounts listed in
/// `mounts` (the text of /proc/self/mounts).
fn candidates(mounts: &str) -> Vec<PathBuf> {
    let mut out = vec![PathBuf::from(TRACEFS_DIR), PathBuf::from(DEBUGFS_TRACING_DIR)];
    for line in mounts.lines() {
        let mut fields = line.split_whitespace();
        if let (Some(_), Some(dir), Some("tracefs")) = (fields.next(), fields.next(), fields.next()) {
            // /proc/mounts escapes spaces and the like as octal (\040); skip those rare paths.
            let dir = PathBuf::from(dir);
            if !dir.to_string_lossy().contains('\\') && !out.contains(&dir) {
                out.push(dir);
            }
        }
    }
    out
}

/// The first candidate with a trace_pipe, else the result of mounting at [`TRACEFS_DIR`].
fn locate(
    candidates: &[PathBuf],
    has_pipe: impl Fn(&Path) -> bool,
    mount: impl FnOnce(&Path) -> Result<(), Errno>,
) -> Result<Tracefs, TracefsError> {
    if let Some(root) = candidates.iter().find(|p| has_pipe(p)) {
        return Ok(Tracefs { root: root.clone(), origin: Origin::Existing });
    }
    let mount_point = PathBuf::from(TRACEFS_DIR);
    let err = |errno| TracefsError { tried: candidates.to_vec(), mount_point: mount_point.clone(), errno };
    mount(&mount_point).map_err(err)?;
    if !has_pipe(&mount_point) {
        return Err(err(Errno::ENOENT));
    }
    Ok(Tracefs { root: mount_point, origin: Origin::MountedNow })
}

fn mount_tracefs(at: &Path) -> Result<(), Errno> {
    use nix::mount::{mount, MsFlags};
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(Some("tracefs"), at, Some("tracefs"), flags, None::<&str>)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_the_standard_dir_then_debugfs_then_other_mounts() {
        let mounts =
            "sysfs /sys sysfs rw 0 0\ntracefs /mnt/t tracefs rw 0 0\ntracefs /sys/kernel/tracing tracefs rw 0 0\n";
        let c = candidates(mounts);
        assert_eq!(c, [PathBuf::from(TRACEFS_DIR), PathBuf::from(DEBUGFS_TRACING_DIR), PathBuf::from("/mnt/t")]);
        let never = |_: &Path| -> Result<(), Errno> { panic!("must not mount") };
        let found = locate(&c, |p| p == Path::new("/mnt/t"), never).unwrap();
        assert_eq!(found, Tracefs { root: "/mnt/t".into(), origin: Origin::Existing });
        let found = locate(&c, |p| p == Path::new(DEBUGFS_TRACING_DIR), never).unwrap();
        assert_eq!(found.root, Path::new(DEBUGFS_TRACING_DIR));
    }

    #[test]
    fn mounts_when_nothing_is_there() {
        let mounted = std::cell::Cell::new(false);
        let found = locate(
            &candidates(""),
            |p| mounted.get() && p == Path::new(TRACEFS_DIR),
            |p| {
                assert_eq!(p, Path::new(TRACEFS_DIR));
                mounted.set(true);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(found.origin, Origin::MountedNow);
    }

    #[test]
    fn a_failed_mount_names_every_path_and_the_errno() {
        let err = locate(&candidates(""), |_| false, |_| Err(Errno::EPERM)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("tracefs missing or not mountable"), "{msg}");
        assert!(msg.contains("/sys/kernel/tracing/trace_pipe, /sys/kernel/debug/tracing/trace_pipe"), "{msg}");
        assert!(msg.ends_with("failed: Operation not permitted (EPERM)"), "{msg}");
        assert_eq!(err.errno, Errno::EPERM);
        // Mount "succeeds" but no trace_pipe appears: still an error, not a bogus path.
        let err = locate(&candidates(""), |_| false, |_| Ok(())).unwrap_err();
        assert_eq!(err.errno, Errno::ENOENT);
    }
}
