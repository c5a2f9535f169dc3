//! Load benchmark: open + CO-RE + load + attach + teardown of a BPF object, rawbpf (in process,
//! through the library) against libbpf (a small C reference built here), in the same run, on the
//! same object and iteration count. Both sides parse /sys/kernel/btf/vmlinux every iteration:
//! libbpf's `bpf_object__load` loads vmlinux BTF per object and frees it at the end of the load.
//!
//!   cargo bench -p loader --bench load            (root; LOAD_BENCH_ITERS, LOAD_BENCH_WARMUP)
//!
//! Rows: progs/core_move.o and progs/tp_btf.o (attached), and tcptracer.bpf.o, the BPF object
//! embedded in Debian's libbpf-tools `tcptracer` (7 kprobe programs, ~860 instructions, CO-RE
//! against vmlinux; loaded only, as this host has no kprobes), when libbpf-tools is installed.
//!
//! Prints medians in µs and the ratio rawbpf/libbpf (lower is better; target ≤ 1.0). Never
//! asserts on time. Prints "SKIP: …" and exits 0 when the host cannot run it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use loader::attach::attach;
use loader::load::{load, LoadOptions};
use loader::object::Object;
use loader::progress::Quiet;

#[path = "../../rawbpf/tests/libbpf_tools/carve.rs"]
#[allow(dead_code)]
mod carve;

/// One row: an object, and whether its programs are attached too.
struct Row {
    name: String,
    path: PathBuf,
    attach: bool,
}

/// progs/ objects measured with attach, one row each.
const OBJECTS: &[&str] = &["core_move", "tp_btf"];

/// The real-world row's object, carved from the libbpf-tools executable of the same name.
const REAL: &str = "tcptracer";

/// The rows: progs/ objects, then the real object if libbpf-tools is installed (else a note).
fn rows() -> Vec<Row> {
    let mut rows: Vec<Row> = OBJECTS
        .iter()
        .map(|n| Row { name: n.to_string(), path: root().join("progs").join(format!("{n}.o")), attach: true })
        .collect();
    let exe = PathBuf::from("/usr/sbin").join(REAL);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("load_bench_corpus");
    match carve::carve_into(&dir, &[exe]) {
        Ok((objects, _)) if !objects.is_empty() => {
            rows.push(Row { name: format!("{REAL} (no attach)"), path: objects[0].path.clone(), attach: false })
        }
        _ => println!("note: no {REAL} row: libbpf-tools is not installed (/usr/sbin/{REAL})"),
    }
    rows
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Why this host cannot run the benchmark, if it cannot.
fn skip_reason() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("needs root to load BPF programs".into());
    }
    if Command::new("clang-19").arg("--version").output().is_err() {
        return Some("clang-19 is not installed (needed to build progs/)".into());
    }
    if !Path::new("/usr/include/bpf/libbpf.h").exists() {
        return Some("libbpf-dev is not installed (needed for the reference loader)".into());
    }
    if !Path::new(btf::source::VMLINUX_BTF).exists() {
        return Some(format!("{} is missing (kernel without BTF)", btf::source::VMLINUX_BTF));
    }
    None
}

/// Builds progs/*.o and the libbpf reference; returns the reference's path.
fn build() -> Result<PathBuf, String> {
    let out = Command::new(root().join("progs-build/build")).output().map_err(|e| format!("progs-build: {e}"))?;
    if !out.status.success() {
        return Err(format!("progs-build/build failed:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let exe = dir.join("libbpf_load");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/ref/libbpf_load.c");
    let out = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&exe)
        .arg(&src)
        .arg("-lbpf")
        .output()
        .map_err(|e| format!("cc: {e}"))?;
    if !out.status.success() {
        return Err(format!("building the libbpf reference failed:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(exe)
}

/// One rawbpf iteration: everything from the file to teardown.
fn rawbpf_once(path: &Path, attach_too: bool) -> Result<(), String> {
    let obj = Object::open(path).map_err(|e| format!("open: {e}"))?;
    let loaded = load(&obj, &LoadOptions::default()).map_err(|e| format!("load: {e}"))?;
    let mut links = Vec::new();
    for p in loaded.programs.iter().filter(|_| attach_too) {
        if let Some(l) = attach(p, &mut Quiet).map_err(|e| format!("attach: {e}"))? {
            links.push(l);
        }
    }
    drop(links);
    drop(loaded);
    drop(obj);
    Ok(())
}

/// Median µs per rawbpf iteration.
fn rawbpf_median(row: &Row, iters: usize, warmup: usize) -> Result<f64, String> {
    for _ in 0..warmup {
        rawbpf_once(&row.path, row.attach)?;
    }
    let mut t = Vec::with_capacity(iters);
    for _ in 0..iters {
        let start = Instant::now();
        rawbpf_once(&row.path, row.attach)?;
        t.push(start.elapsed().as_secs_f64() * 1e6);
    }
    Ok(median(t))
}

/// Median µs per libbpf iteration, as the reference prints it.
fn libbpf_median(exe: &Path, row: &Row, iters: usize, warmup: usize) -> Result<f64, String> {
    let out = Command::new(exe)
        .arg(&row.path)
        .arg(iters.to_string())
        .arg(warmup.to_string())
        .args((!row.attach).then_some("noattach"))
        .output()
        .map_err(|e| format!("libbpf reference: {e}"))?;
    if !out.status.success() {
        return Err(format!("libbpf reference failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().parse().map_err(|_| format!("libbpf reference printed {text:?}"))
}

/// The version of the libbpf the reference links, from its package.
fn libbpf_version() -> String {
    let out = Command::new("dpkg-query").args(["-W", "-f", "${Version}", "libbpf-dev"]).output();
    out.ok()
        .filter(|o| o.status.success())
        .map_or("(version unknown)".into(), |o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

fn median(mut t: Vec<f64>) -> f64 {
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us with no such flag: then one
    // quick iteration per side checks the benchmark still works without measuring anything.
    let benching = std::env::args().any(|a| a == "--bench");
    if let Some(reason) = skip_reason() {
        println!("SKIP: load benchmark: {reason}");
        return;
    }
    let exe = match build() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("load benchmark: {e}");
            std::process::exit(1);
        }
    };
    let (iters, warmup) =
        if benching { (env_usize("LOAD_BENCH_ITERS", 50).max(1), env_usize("LOAD_BENCH_WARMUP", 5)) } else { (1, 0) };
    if benching {
        println!("load benchmark: open + CO-RE + load + attach + teardown, median of {iters} (after {warmup} warm-up)");
        println!("reference: libbpf {} (Debian's libbpf-dev, linked into benches/ref/libbpf_load.c)", libbpf_version());
    } else {
        println!("load benchmark, check run (one unoptimized iteration, not a measurement; use cargo bench)");
    }
    println!("{:<22} {:>14} {:>14} {:>16}", "object", "rawbpf µs", "libbpf µs", "rawbpf/libbpf");
    let mut failed = false;
    for row in rows() {
        let name = &row.name;
        let times =
            rawbpf_median(&row, iters, warmup).and_then(|r| libbpf_median(&exe, &row, iters, warmup).map(|l| (r, l)));
        match times {
            Ok((r, l)) => println!("{name:<22} {r:>14.1} {l:>14.1} {:>16.3}", r / l),
            Err(e) => {
                println!("{name:<22} error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}
