//! Shared by the kernel-touching integration tests: the repository root and the built programs.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// Why a kernel test cannot run here (not root, no clang-19; with `kernel_btf`, also no kernel
/// BTF), printed as `SKIP: <test>: <reason>` by the caller, once per test. `kernel_btf` is for
/// tests that get as far as loading: `rawbpf load` opens the kernel's BTF for every object.
pub fn cannot_load_programs(kernel_btf: bool) -> Option<&'static str> {
    if !nix::unistd::geteuid().is_root() {
        return Some("needs root to load BPF programs");
    }
    if Command::new("clang-19").arg("--version").output().is_err() {
        return Some("clang-19 is not installed");
    }
    if kernel_btf && !Path::new(btf::source::VMLINUX_BTF).exists() {
        return Some("no /sys/kernel/btf/vmlinux (kernel without CONFIG_DEBUG_INFO_BTF); rawbpf load needs it");
    }
    None
}

/// Runs progs-build/build (it rebuilds only what changed); panics with its stderr on failure.
pub fn build_progs() {
    let out = Command::new(root().join("progs-build/build")).output().expect("run progs-build/build");
    assert!(out.status.success(), "progs-build/build failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

/// Nothing rawbpf created may still exist: only ids that appeared since `before` and are still
/// present count (other programs may come and go meanwhile). Maps are freed by an RCU callback
/// after the last fd closes, so this waits up to 3 s.
#[allow(dead_code)] // not every test binary checks for leftovers
pub fn assert_nothing_left(before: &loader::sys::KernelIds) {
    for _ in 0..30 {
        let left = loader::sys::kernel_ids().unwrap().added_since(before);
        if left.progs.is_empty() && left.links.is_empty() && left.maps.is_empty() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("left in the kernel: {:?}", loader::sys::kernel_ids().unwrap().added_since(before));
}

/// Collects a spawned `rawbpf load`'s stderr on a thread; returns whether it said it is
/// streaming within 20 s (so a target run now runs attached), and the thread that returns all
/// of stderr once the process ends.
#[allow(dead_code)] // for the tests that run a target under rawbpf
pub fn watch_until_streaming(child: &mut std::process::Child) -> (bool, std::thread::JoinHandle<String>) {
    use std::io::{BufRead, BufReader};
    let stderr = child.stderr.take().expect("rawbpf's stderr is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("rawbpf: streaming") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    (rx.recv_timeout(std::time::Duration::from_secs(20)).is_ok(), reader)
}

/// No uprobe event rawbpf created is left in tracefs.
#[allow(dead_code)] // for the uprobe and USDT tests
pub fn uprobe_events_clean() {
    let events = std::fs::read_to_string("/sys/kernel/tracing/uprobe_events").unwrap_or_default();
    assert!(!events.contains("rawbpf_"), "rawbpf's uprobe events remain:\n{events}");
}
