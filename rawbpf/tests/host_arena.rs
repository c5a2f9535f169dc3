//! `__arena` globals on this host's kernel (progs/arena.bpf.c, Linux 6.9+): the loader copies
//! `.addr_space.1` into the ARENA map's first page, so the program's first increment of a
//! global initialized to 41 prints 42, and a zero-initialized one counts from 0.

mod common;

use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use loader::sys::kernel_ids;

use common::{assert_nothing_left, build_progs, cannot_load_programs, root};

/// Whether the running kernel has ARENA maps (6.9).
fn kernel_has_arena() -> bool {
    let release = nix::sys::utsname::uname().map(|u| u.release().to_string_lossy().into_owned()).unwrap_or_default();
    let mut parts = release.split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse::<u32>().ok());
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (6, 9)
}

#[test]
fn arena_globals_start_with_their_initial_values() {
    const TEST: &str = "arena_globals_start_with_their_initial_values";
    if let Some(why) = cannot_load_programs(true) {
        println!("SKIP: {TEST}: {why}");
        return;
    }
    if !kernel_has_arena() {
        println!("SKIP: {TEST}: this kernel predates ARENA maps (Linux 6.9)");
        return;
    }
    build_progs();
    let before = kernel_ids().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rawbpf"))
        .arg("load")
        .arg(root().join("progs/arena.o"))
        .args(["--duration", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rawbpf");
    while child.try_wait().unwrap().is_none() {
        let _ = nix::unistd::getpid();
        thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Some hosts refuse ARENA maps even to root (as some refuse fentry): a policy, not a bug.
    if !out.status.success() && stderr.contains("rawbpf_arena: BPF_MAP_CREATE failed: EPERM") {
        assert!(stderr.contains("a security policy of this host forbids"), "the refusal is not explained:\n{stderr}");
        println!("SKIP: {TEST}: this host refuses ARENA maps with EPERM even to root (a host policy)");
        assert_nothing_left(&before);
        return;
    }
    assert!(out.status.success(), "rawbpf load failed:\n{stderr}");
    let pairs: Vec<(u64, u64)> = stdout
        .lines()
        .filter_map(|l| l.split("rawbpf-arena: ").nth(1))
        .filter_map(|l| {
            let field = |k: &str| l.split(&format!("{k}=")).nth(1)?.split(' ').next()?.parse::<u64>().ok();
            Some((field("hits")?, field("evens")?))
        })
        .collect();
    // After n calls (of any process): hits = 41 + n, evens = 2n — the initial 41 came through.
    assert!(!pairs.is_empty(), "no line from the program:\n{stdout}");
    assert!(pairs.iter().all(|&(h, e)| h >= 42 && e == 2 * (h - 41)), "{pairs:?}");
    assert!(pairs.windows(2).all(|w| w[1] == (w[0].0 + 1, w[0].1 + 2)), "{pairs:?}");
    assert_nothing_left(&before);
}
