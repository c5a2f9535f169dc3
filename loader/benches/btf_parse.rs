//! Parse `/sys/kernel/btf/vmlinux` and find FUNC `tcp_connect`: rawbpf vs libbpf, in the same
//! run. rawbpf is measured on the path the product takes (`loader::vmlinux`: the file mapped
//! where the kernel allows it, else read, then `btf::Btf::parse`). libbpf runs as a small C
//! program built here (no FFI in Rust); both sides also run once as child processes to compare
//! peak RSS.
//!
//!   cargo bench -p loader --bench btf_parse

mod common;

use std::process::Command;

use btf::Kind;
use common::*;

const NAME: &str = "tcp_connect";
const ITERS: usize = 60;

/// What `rawbpf btf dump tcp_connect` and the loader do; the `Btf` is dropped inside, so
/// unmapping and freeing are timed too (libbpf's reference does not time `btf__free`).
fn parse_and_find() -> Option<u32> {
    let btf = loader::vmlinux::vmlinux().expect("load vmlinux BTF");
    btf.find_by_name_kind(NAME, Kind::Func).map(btf::TypeId::get)
}

/// The same on the read path (`std::fs::read`, 4 KiB per syscall on sysfs).
fn read_parse_and_find() -> Option<u32> {
    let btf = btf::source::vmlinux().expect("read vmlinux BTF");
    btf.find_by_name_kind(NAME, Kind::Func).map(btf::TypeId::get)
}

/// Where rawbpf's time goes: getting the bytes (map or read), then parse + find.
fn breakdown() {
    let map = time_n(ITERS, || loader::sys::SysfsMapping::open(std::path::Path::new(VMLINUX)).ok());
    let read = time_n(ITERS, || std::fs::read(VMLINUX).unwrap());
    let read_path = time_n(ITERS, read_parse_and_find);
    println!("    bytes: mmap + munmap {} ; read() {}", ms(map), ms(read));
    println!("    read path instead (read + parse + find): {}", ms(read_path));
}

fn build_ref() -> Result<String, String> {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/ref/btf_ref.c");
    let exe = scratch().join("btf_ref");
    let out = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&exe)
        .arg(src)
        .arg("-lbpf")
        .output()
        .map_err(|e| format!("cc: {e}"))?;
    if !out.status.success() {
        return Err(format!("cc failed (is libbpf-dev installed?): {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(exe.to_string_lossy().into_owned())
}

fn field(out: &str, key: &str) -> Option<f64> {
    out.lines().find_map(|l| l.strip_prefix(key)?.trim().parse().ok())
}

fn main() {
    if let Some(what) = oneshot_arg() {
        // `parseloop` is for profilers: many parses in one process.
        let n = if what == "parseloop" { 500 } else { 1 };
        for _ in 0..n {
            std::hint::black_box(parse_and_find());
        }
        return;
    }
    if !std::path::Path::new(VMLINUX).exists() {
        println!("SKIP: {VMLINUX} absent");
        return;
    }
    let id = parse_and_find();
    let ours = time_n(ITERS, parse_and_find);
    let btf = loader::vmlinux::vmlinux().unwrap();
    let mapped = btf.heap_bytes() < btf.raw().len();
    println!("parse {VMLINUX} ({} types, {} KiB) + find FUNC {NAME} (id {id:?})", btf.count(), btf.raw().len() / 1024);
    println!(
        "  rawbpf in-process  median {:>12}  ({}; heap held by Btf: {} KiB)",
        ms(ours),
        if mapped { "file mapped" } else { "file read: this kernel cannot map it" },
        btf.heap_bytes() / 1024
    );
    drop(btf);
    breakdown();

    let reference = match build_ref() {
        Ok(exe) => exe,
        Err(e) => {
            println!("  SKIP libbpf reference: {e}");
            return;
        }
    };
    let iters = ITERS.to_string();
    let r = run_child(&[&reference, VMLINUX, &iters, NAME], false).expect("run libbpf reference");
    let theirs_ns = field(&r.stdout, "median_ns").unwrap_or(0.0);
    let their_id = field(&r.stdout, "id").map(|v| v as u32);
    println!("  libbpf  btf__parse + find (C loop)   median {:>9.3} ms  (id {their_id:?})", theirs_ns / 1e6);
    println!("  ratio rawbpf/libbpf: {}  (target <= 0.5)", ratio(ours.as_secs_f64() * 1e9, theirs_ns));
    if their_id != id {
        println!("  WARNING: ids differ: rawbpf {id:?}, libbpf {their_id:?}");
    }
    // Without any file I/O on either side: parsing bytes already in memory.
    let r = run_child(&[&reference, VMLINUX, &iters, NAME, "mem"], false).expect("run libbpf reference (mem)");
    let theirs_mem_ns = field(&r.stdout, "median_ns").unwrap_or(0.0);
    // Shared bytes: each parse takes a reference to the same buffer, so no copy is timed.
    let shared: btf::bytes::SharedBytes = std::sync::Arc::new(std::fs::read(VMLINUX).unwrap());
    let ours_mem = time_n(ITERS, || {
        let btf = btf::Btf::parse(shared.clone()).unwrap();
        btf.find_by_name_kind(NAME, Kind::Func)
    });
    println!(
        "  bytes already in memory: rawbpf parse + find {}, libbpf btf__new + find {:.3} ms, ratio {}",
        ms(ours_mem),
        theirs_mem_ns / 1e6,
        ratio(ours_mem.as_secs_f64() * 1e9, theirs_mem_ns)
    );

    let me = self_exe();
    let (our_wall, our_rss) = run_child_n(5, &[&me, "--oneshot", "parse"]).expect("oneshot rawbpf");
    let (their_wall, their_rss) = run_child_n(5, &[&reference, VMLINUX, "1", NAME]).expect("oneshot libbpf");
    println!("  one-shot process (exec + parse + find), median of 5:");
    println!("    rawbpf  {:>12}  peak RSS {}", ms(our_wall), mib(our_rss));
    println!("    libbpf  {:>12}  peak RSS {}", ms(their_wall), mib(their_rss));
    if let (Some(a), Some(b)) = (our_rss, their_rss) {
        println!("    RSS ratio rawbpf/libbpf: {}  (target <= 1.0)", ratio(a as f64, b as f64));
    }
}
