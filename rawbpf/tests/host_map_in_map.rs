//! `__array(values, ...)` initial slots on this host's kernel (progs/map_in_map.bpf.c): the
//! map-in-map's slots 0 and 2 hold the inner maps named in its initializer (a lookup from user
//! space gives the inner map's id) and slot 1 stays empty; the prog array's slot 1 holds the
//! tail-called program, which prints the count the entry program kept in the inner map.

mod common;

use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use loader::sys::kernel_ids;

use common::{assert_nothing_left, build_progs, cannot_load_programs, root};

fn rawbpf(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rawbpf")).args(args).output().expect("run rawbpf");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The id an inner map's fd slot holds, as the kernel reports it to user space (4 bytes, LE).
fn slot_value(key: &str) -> Option<u32> {
    let (ok, out) = rawbpf(&["map", "lookup", "name", "rawbpf_outer", "key", key, "0", "0", "0", "--json"]);
    if !ok {
        return None;
    }
    let bytes: Vec<u8> = json(&out)["value"].as_str()?.split(' ').map(|b| u8::from_str_radix(b, 16).unwrap()).collect();
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

#[test]
fn map_in_map_and_prog_array_slots_are_filled_from_the_initializer() {
    const TEST: &str = "map_in_map_and_prog_array_slots_are_filled_from_the_initializer";
    if let Some(why) = cannot_load_programs(true) {
        println!("SKIP: {TEST}: {why}");
        return;
    }
    build_progs();
    let before = kernel_ids().unwrap();
    let obj = root().join("progs/map_in_map.o");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rawbpf"))
        .arg("load")
        .arg(&obj)
        .args(["--duration", "4"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rawbpf");
    // Wait until the slots are there (the load is done), then read them while it runs.
    let start = Instant::now();
    while slot_value("0").is_none() && start.elapsed() < Duration::from_secs(3) {
        thread::sleep(Duration::from_millis(50));
    }
    let inner_id =
        |name: &str| json(&rawbpf(&["map", "show", "name", name, "--json"]).1)["id"].as_u64().unwrap() as u32;
    let (a, b) = (inner_id("rawbpf_inner_a"), inner_id("rawbpf_inner_b"));
    assert_eq!((slot_value("0"), slot_value("1"), slot_value("2")), (Some(a), None, Some(b)));
    while child.try_wait().unwrap().is_none() {
        let _ = nix::unistd::getpid();
        thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "rawbpf load failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let me = format!("rawbpf-mim: tail pid={} count=", std::process::id());
    let counts: Vec<u64> =
        stdout.lines().filter_map(|l| l.split(&me).nth(1)).map(|c| c.trim().parse().unwrap()).collect();
    assert!(!counts.is_empty(), "no tail-call line from this process:\n{stdout}");
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "counts must grow: {counts:?}");
    assert!(!stdout.contains("tail call failed"), "{stdout}");
    assert_nothing_left(&before);
}
