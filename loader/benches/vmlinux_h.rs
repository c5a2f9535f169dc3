//! The whole vmlinux.h: rawbpf's C writer vs `bpftool btf dump file ... format c`, in the
//! same run. rawbpf runs in-process (into a sink) and as a child process (this benchmark
//! re-executed, writing to /dev/null) so the comparison with bpftool's process is fair.
//!
//!   cargo bench -p loader --bench vmlinux_h

mod common;

use std::io::Write;

use common::*;

const ITERS: usize = 15;

fn header_once(w: &mut dyn Write) -> u64 {
    let btf = loader::vmlinux::vmlinux().expect("load vmlinux BTF");
    btf::c::write_header(&btf, w).expect("write header").bytes
}

fn main() {
    if let Some(what) = oneshot_arg() {
        assert_eq!(what, "header");
        let mut devnull = std::fs::File::create("/dev/null").unwrap();
        header_once(&mut devnull);
        return;
    }
    if !std::path::Path::new(VMLINUX).exists() {
        println!("SKIP: {VMLINUX} absent");
        return;
    }
    let bytes = header_once(&mut std::io::sink());
    let parsed = loader::vmlinux::vmlinux().unwrap();
    let write_only = time_n(ITERS, || btf::c::write_header(&parsed, &mut std::io::sink()).unwrap());
    let in_process = time_n(ITERS, || header_once(&mut std::io::sink()));
    println!("vmlinux.h from {VMLINUX}: {} KiB of C", bytes / 1024);
    println!("  rawbpf in-process, write only      median {:>12}", ms(write_only));
    println!("  rawbpf in-process, parse + write   median {:>12}", ms(in_process));

    let me = self_exe();
    let (ours, our_rss) = run_child_n(ITERS, &[&me, "--oneshot", "header"]).expect("oneshot rawbpf");
    println!("  rawbpf child process > /dev/null   median {:>12}  peak RSS {}", ms(ours), mib(our_rss));
    match run_child_n(ITERS, &["bpftool", "btf", "dump", "file", VMLINUX, "format", "c"]) {
        Ok((theirs, their_rss)) => {
            println!("  bpftool child process > /dev/null  median {:>12}  peak RSS {}", ms(theirs), mib(their_rss));
            println!(
                "  ratio rawbpf/bpftool: {} child-to-child, {} in-process  (target <= 1.0, goal 0.5)",
                ratio(ours.as_secs_f64(), theirs.as_secs_f64()),
                ratio(in_process.as_secs_f64(), theirs.as_secs_f64())
            );
        }
        Err(e) => println!("  SKIP bpftool: {e}"),
    }
}
