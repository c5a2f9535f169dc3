//! Parse `/sys/kernel/btf/vmlinux` and find FUNC `tcp_connect`: rawbpf vs libbpf, in the same
//! run. libbpf runs as a small C program built here (no FFI in Rust); both sides also run once
//! as child processes to compare peak RSS.

mod common;

use std::process::Command;

use btf::Kind;
use common::*;

const NAME: &str = "tcp_connect";
const ITERS: usize = 60;

fn parse_and_find() -> Option<u32> {
    let btf = btf::source::vmlinux().expect("load vmlinux BTF");
    btf.find_by_name_kind(NAME, Kind::Func)
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
    let btf = btf::source::vmlinux().unwrap();
    println!("parse {VMLINUX} ({} types, {} KiB) + find FUNC {NAME} (id {id:?})", btf.count(), btf.raw().len() / 1024);
    println!("  rawbpf in-process  median {:>12}  (heap held by Btf: {} KiB)", ms(ours), btf.heap_bytes() / 1024);
    let read = time_n(ITERS, || std::fs::read(VMLINUX).unwrap());
    let data = btf.raw().to_vec();
    let parse = time_n(ITERS, || btf::Btf::parse(data.clone()).unwrap());
    let copy = time_n(ITERS, || data.clone());
    println!("    of which: read {} , parse {} (includes a {} copy of the bytes)", ms(read), ms(parse), ms(copy));
    drop(btf);

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
    println!("  libbpf  (C loop)   median {:>9.3} ms  (id {their_id:?})", theirs_ns / 1e6);
    println!("  ratio rawbpf/libbpf: {}  (target <= 0.5)", ratio(ours.as_secs_f64() * 1e9, theirs_ns));
    if their_id != id {
        println!("  WARNING: ids differ: rawbpf {id:?}, libbpf {their_id:?}");
    }

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
