//! The whole vmlinux.h: rawbpf's C writer against libbpf's `btf_dump` over every type (what
//! `bpftool btf dump file /sys/kernel/btf/vmlinux format c` does), with libbpf 1.7, the
//! system's libbpf (1.1 on Debian 12) and the system's bpftool (7.1), in the same run.
//! - in-process: rawbpf's library in this process (parse + write to /dev/null), each libbpf in
//!   its driver's own loop; rounds interleave the sides;
//! - whole process: `rawbpf btf dump --all` > /dev/null against each driver and bpftool,
//!   interleaved; peak RSS of each.
//!
//!   cargo bench -p rawbpf-bench --bench vmlinux_h     (HEADER_BENCH_ROUNDS, HEADER_BENCH_ITERS)

use std::path::Path;

use rawbpf_bench::child::rawbpf_binary;
use rawbpf_bench::compare::{processes, Peer};
use rawbpf_bench::inproc::compare;
use rawbpf_bench::refs::{bpftool, libbpfs, Reference};
use rawbpf_bench::report::{header, skipped};
use rawbpf_bench::{benching, env_usize, VMLINUX};

/// What `rawbpf btf dump --all` does, into /dev/null; the bytes of C written.
fn header_once() -> u64 {
    let btf = loader::vmlinux::vmlinux().expect("load vmlinux BTF");
    let mut null = std::fs::File::create("/dev/null").expect("/dev/null");
    btf::c::write_header(&btf, &mut null).expect("write header").bytes
}

fn in_process(rounds: usize, iters: usize, refs: &[Reference]) {
    let argv = |r: &Reference, n: usize| vec![r.driver("btf_header"), n.to_string()];
    compare(
        rounds,
        iters,
        || {
            header_once();
        },
        refs,
        argv,
    )
    .expect("in-process rounds");
}

fn main() {
    if !Path::new(VMLINUX).exists() {
        return println!("SKIP: vmlinux.h benchmark: {VMLINUX} absent (kernel without BTF)");
    }
    let (rounds, iters, procs) = if benching() {
        (env_usize("HEADER_BENCH_ROUNDS", 5), env_usize("HEADER_BENCH_ITERS", 3), 11)
    } else {
        (1, 1, 1)
    };
    println!("vmlinux.h from {VMLINUX}: {} KiB of C", header_once() / 1024);
    let refs = libbpfs();
    header();
    in_process(rounds, iters, &refs);
    let rawbpf = match rawbpf_binary() {
        Ok(b) => b.to_string_lossy().into_owned(),
        Err(e) => return skipped("whole process", "rawbpf", &e),
    };
    let mut peers: Vec<Peer> = refs
        .iter()
        .map(|r| Peer {
            label: r.label.clone(),
            argv: vec![r.driver("btf_header"), "0".into()],
            time_target: r.is_1_7().then_some(0.5),
            rss_target: r.is_1_7().then_some(1.0),
        })
        .collect();
    match bpftool() {
        Some(label) => peers.push(Peer {
            label,
            argv: ["bpftool", "btf", "dump", "file", VMLINUX, "format", "c"].map(String::from).to_vec(),
            time_target: None,
            rss_target: None,
        }),
        None => skipped("whole process", "bpftool", "not installed"),
    }
    let ours = ["btf", "dump", "--all"].map(String::from);
    let ours = std::iter::once(rawbpf).chain(ours).collect();
    processes(procs, ours, &peers).expect("whole-process runs");
}
