//! Open + CO-RE + maps + program load (no attach) of a BPF object, then close: rawbpf against
//! libbpf 1.7 and the system's libbpf (1.1 on Debian 12), in the same run, on the same objects.
//! Both sides load vmlinux BTF for CO-RE on every iteration (libbpf's `bpf_object__load` does,
//! and frees it at the end of the load).
//! - in-process: rawbpf's library (`Object::open` + `load`) in this process, each libbpf in its
//!   driver's own loop (`bpf_object__open_file` + `bpf_object__load` + `bpf_object__close`);
//!   rounds interleave the sides;
//! - whole process: `rawbpf load OBJ --no-attach` against the driver run once; peak RSS.
//!
//! Rows: progs/tp_btf.o, progs/core_move.o, and tcptracer.bpf.o, the object embedded in Debian's
//! libbpf-tools `tcptracer` (7 kprobe programs, CO-RE against vmlinux), when installed.
//!
//!   cargo bench -p rawbpf-bench --bench load     (root; LOAD_BENCH_ROUNDS, LOAD_BENCH_ITERS)

use std::path::{Path, PathBuf};
use std::process::Command;

use loader::load::{load, LoadOptions};
use loader::object::Object;
use rawbpf_bench::child::rawbpf_binary;
use rawbpf_bench::compare::{processes, Peer};
use rawbpf_bench::inproc::compare;
use rawbpf_bench::refs::{libbpfs, Reference};
use rawbpf_bench::report::{header, skipped};
use rawbpf_bench::{benching, env_usize, root, VMLINUX};

#[path = "../../rawbpf/tests/libbpf_tools/carve.rs"]
#[allow(dead_code)]
mod carve;

/// The real-world row's object, carved from the libbpf-tools executable of the same name.
const REAL: &str = "tcptracer";

/// The objects: two of progs/, then the real one if libbpf-tools is installed (else a note).
fn objects() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = ["tp_btf", "core_move"]
        .iter()
        .map(|n| (format!("{n}.o"), root().join("progs").join(format!("{n}.o"))))
        .collect();
    let exe = PathBuf::from("/usr/sbin").join(REAL);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("load_bench_corpus");
    match carve::carve_into(&dir, &[exe]) {
        Ok((objects, _)) if !objects.is_empty() => out.push((format!("{REAL}.bpf.o"), objects[0].path.clone())),
        _ => println!("note: no {REAL} row: libbpf-tools is not installed (/usr/sbin/{REAL})"),
    }
    out
}

/// Why this host cannot run the benchmark, if it cannot.
fn skip_reason() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("needs root to load BPF programs".into());
    }
    if Command::new("clang-19").arg("--version").output().is_err() {
        return Some("clang-19 is not installed (needed to build progs/)".into());
    }
    if !Path::new(VMLINUX).exists() {
        return Some(format!("{VMLINUX} is missing (kernel without BTF)"));
    }
    None
}

/// One rawbpf iteration: everything from the file to closing the fds.
fn rawbpf_once(path: &Path) {
    let obj = Object::open(path).expect("open");
    let loaded = load(&obj, &LoadOptions::default()).expect("load");
    drop(loaded);
    drop(obj);
}

fn in_process(path: &Path, rounds: usize, iters: usize, refs: &[Reference]) {
    let obj = path.to_string_lossy().into_owned();
    let argv = |r: &Reference, n: usize| vec![r.driver("load"), obj.clone(), n.to_string(), "1".into()];
    compare(rounds, iters, || rawbpf_once(path), refs, argv).expect("in-process rounds");
}

fn main() {
    if let Some(reason) = skip_reason() {
        return println!("SKIP: load benchmark: {reason}");
    }
    let out = Command::new(root().join("progs-build/build")).output().expect("progs-build/build");
    assert!(out.status.success(), "progs-build/build failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let (rounds, iters, procs) =
        if benching() { (env_usize("LOAD_BENCH_ROUNDS", 5), env_usize("LOAD_BENCH_ITERS", 10), 21) } else { (1, 1, 1) };
    let refs = libbpfs();
    let rawbpf = rawbpf_binary();
    for (name, path) in objects() {
        rawbpf_once(&path); // warm: the kernel's BTF and the object in the page cache
        println!(
            "load {name} ({} KiB): open + CO-RE + maps + load, no attach",
            path.metadata().map_or(0, |m| m.len()) / 1024
        );
        header();
        in_process(&path, rounds, iters, &refs);
        let rawbpf = match &rawbpf {
            Ok(b) => b.to_string_lossy().into_owned(),
            Err(e) => {
                skipped("whole process", "rawbpf", e);
                continue;
            }
        };
        let obj = path.to_string_lossy().into_owned();
        let peers: Vec<Peer> = refs
            .iter()
            .map(|r| Peer {
                label: r.label.clone(),
                argv: vec![r.driver("load"), obj.clone(), "0".into()],
                time_target: r.is_1_7().then_some(0.5),
                rss_target: r.is_1_7().then_some(1.0),
            })
            .collect();
        let ours = vec![rawbpf, "load".into(), obj.clone(), "--no-attach".into()];
        processes(procs, ours, &peers).expect("whole-process runs");
    }
}
