//! Helpers for rawbpf's benchmarks against libbpf: the reference drivers (C programs linked
//! against libbpf 1.7 and the system's libbpf), child processes timed in interleaved rounds with
//! their peak RSS, medians and the printed table. Benchmarks print figures and ratios; they
//! never assert times.

use libbpf_sys as _;

pub mod child;
pub mod compare;
pub mod inproc;
pub mod refs;
pub mod report;

use std::path::{Path, PathBuf};

/// Where the kernel's BTF lives.
pub const VMLINUX: &str = btf::source::VMLINUX_BTF;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("bench/ has a parent").to_owned()
}

/// True under `cargo bench` (which passes `--bench`); `cargo test --benches` runs a bench
/// without it, and then each bench only checks that it still works, with one iteration.
pub fn benching() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// `NAME` from the environment as a number, or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
