//! tracefs discovery and the trace_pipe reader and line parser.
//!
//! `bpf_printk` output goes to the kernel's trace ring buffer and is read from `trace_pipe`,
//! one global stream: reading consumes events, so two readers steal each other's lines.

mod line;
mod reader;
#[cfg(test)]
mod tests;
mod tracefs;

pub use line::{Timestamp, TraceEvent, TraceLine};
pub use reader::{StreamEnd, TracePipe};
pub use tracefs::{Origin, Tracefs, TracefsError, DEBUGFS_TRACING_DIR, TRACEFS_DIR};

use std::sync::{Mutex, MutexGuard};

/// Serializes trace_pipe readers inside one process (kernel-touching tests take it), since
/// concurrent readers would consume each other's lines.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
