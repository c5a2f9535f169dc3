//! The tutorial's Go program (cilium/ebpf with bpf2go, the fentry step), in Rust on rawbpf's
//! library: `progs/connect.o` is embedded at build time, loaded, and its fentry and fexit
//! programs attached to `tcp_connect`; their `bpf_printk` lines are printed until Enter or
//! Ctrl-C; then everything is detached and freed (dropping the handles closes their fds).
//!
//! `sudo target/x86_64-unknown-linux-gnu/release/connect`, then `nc 127.0.0.1 4242` in another
//! shell. Kernels that refuse fentry (lockdown, an LSM) say so: `tests/vm/run demo` runs rawbpf
//! itself where they do not.

use std::io::BufRead;
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use loader::attach::attach;
use loader::load::{load, LoadOptions};
use loader::object::Object;
use loader::progress::Quiet;
use loader::sys::{install_stop_handler, STOP};
use loader::trace_pipe::{TraceLine, TracePipe, Tracefs};

/// The object, built by progs-build/build from progs/connect.bpf.c.
static OBJECT: &[u8] = include_bytes!("../progs/connect.o");

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("connect: {}", chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let obj = Object::parse(OBJECT, "connect.o")?;
    let loaded = load(&obj, &LoadOptions::default())?;
    // Open trace_pipe before attaching, so the first events are not missed.
    let mut pipe = TracePipe::open(&Tracefs::find_or_mount()?)?;
    let mut links = Vec::new();
    for p in &loaded.programs {
        links.extend(attach(p, &mut Quiet)?);
    }
    install_stop_handler()?;
    std::thread::spawn(|| {
        let _ = std::io::stdin().lock().read_line(&mut String::new());
        STOP.store(true, Ordering::SeqCst);
    });
    eprintln!("attached {} programs to tcp_connect; press Enter or Ctrl-C to stop", links.len());
    pipe.stream(&STOP, None, |line| {
        if let TraceLine::Event(e) = &line {
            println!("{}-{} {}", e.task, e.pid, e.message);
        }
        ControlFlow::Continue(())
    })?;
    drop(links);
    drop(loaded);
    eprintln!("detached");
    Ok(())
}

/// The error and its causes, `what: why: ...`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s = format!("{s}: {c}");
        cur = c.source();
    }
    s
}
