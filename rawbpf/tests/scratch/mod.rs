//! Scratch files for the CLI tests: each path is unique to its process and call, and is removed
//! (file or directory) when the test holding it ends, pass or fail, so runs leave nothing in /tmp.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A path in the temporary directory that is deleted on drop.
pub struct Scratch(PathBuf);

/// A fresh path `rawbpf-<what>-<pid>-<n>` (nothing created yet); tests running in parallel
/// threads get different paths, so one test's cleanup never removes another's file.
pub fn scratch(what: &str) -> Scratch {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    Scratch(std::env::temp_dir().join(format!("rawbpf-{what}-{}-{n}", std::process::id())))
}

impl Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.0.is_dir() {
            std::fs::remove_dir_all(&self.0).ok();
        } else {
            std::fs::remove_file(&self.0).ok();
        }
    }
}
