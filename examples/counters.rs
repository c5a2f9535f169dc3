//! A generated skeleton in use: `skel/maps_globals.rs` is what `rawbpf gen skeleton
//! progs/maps_globals.o -o examples/skel/maps_globals.rs` writes. The program loads the object,
//! attaches its tracepoint on `sys_enter_getpid`, calls getpid a number of times, and reads back
//! through typed handles: the hash map counting per pid, the array of `struct rawbpf_stat`, and
//! the `.data`, `.bss` and `.rodata` variables.
//!
//! `sudo target/release/counters [N]` (N getpid calls, default 10).

#[path = "skel/maps_globals.rs"]
mod skel;

use std::process::ExitCode;

use loader::load::LoadOptions;

fn main() -> ExitCode {
    let calls: u32 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10);
    match run(calls) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("counters: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(calls: u32) -> Result<(), Box<dyn std::error::Error>> {
    let obj = skel::MapsGlobals::open()?;
    let bpf = skel::MapsGlobals::load(&obj, &LoadOptions::default())?;
    let links = bpf.attach()?;
    let pid = std::process::id();
    for _ in 0..calls {
        // std::process::id() is a getpid(2) each time (glibc no longer caches it).
        std::hint::black_box(std::process::id());
    }
    drop(links);
    let maps = bpf.maps();
    let mine = maps.rawbpf_counts.lookup(&(pid & 0xff))?.unwrap_or(0);
    let stat = maps.rawbpf_stats.lookup(&0)?.map_or(0, |s| s.count);
    println!("getpid calls: {calls}");
    println!("rawbpf_counts[pid & 0xff] = {mine}");
    println!("rawbpf_stats[0].count = {stat}");
    println!(".data rawbpf_calls = {}", bpf.data()?.rawbpf_calls);
    println!(".bss rawbpf_last_pid = {}", bpf.bss()?.rawbpf_last_pid);
    println!(".rodata rawbpf_magic = {:#x}", bpf.rodata()?.rawbpf_magic);
    Ok(())
}
