//! `rawbpf load` reading a perf event array and a ring buffer on this host's kernel: the test
//! calls getpid() itself and finds its own records, decoded by BTF (pid and comm), in the JSON
//! lines; getppid() makes discards the summary counts; nothing stays in the kernel afterwards.

mod common;

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use loader::sys::kernel_ids;

use common::{assert_nothing_left, build_progs, cannot_load_programs, root};

static LOCK: Mutex<()> = Mutex::new(());

/// Runs `rawbpf load OBJ --event-type event --json --duration 2` while this process calls
/// getpid() (and getppid()) every 100 ms; returns (stdout, stderr).
fn load_and_trigger(obj: &str) -> (String, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_rawbpf"))
        .arg("load")
        .arg(root().join("progs").join(obj))
        .args(["--event-type", "event", "--json", "--duration", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rawbpf");
    for _ in 0..18 {
        thread::sleep(Duration::from_millis(100));
        let _ = nix::unistd::getpid();
        let _ = nix::unistd::getppid();
    }
    let out = child.wait_with_output().expect("wait for rawbpf");
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    assert!(out.status.success(), "rawbpf load {obj} failed:\n{stderr}");
    (stdout, stderr)
}

/// This process's records among the JSON lines of map `events`.
fn own_records(stdout: &str) -> Vec<serde_json::Value> {
    let pid = std::process::id();
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["map"] == "events" && v["value"]["pid"] == pid)
        .collect()
}

/// The calling thread's name, which is what bpf_get_current_comm reads (the test harness names
/// each test's thread after the test).
fn comm() -> String {
    std::fs::read_to_string("/proc/thread-self/comm").unwrap().trim().to_owned()
}

fn check(test: &str, obj: &str) -> Option<(Vec<serde_json::Value>, String)> {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(why) = cannot_load_programs(true) {
        println!("SKIP: {test}: {why}");
        return None;
    }
    build_progs();
    let before = kernel_ids().unwrap();
    let (stdout, stderr) = load_and_trigger(obj);
    let mine = own_records(&stdout);
    assert!(mine.len() >= 10, "expected this process's getpid() records, got {}:\n{stdout}\n{stderr}", mine.len());
    for r in &mine {
        assert_eq!(r["value"]["comm"], comm(), "{r}");
        assert_eq!(r["value"]["tid"], nix::unistd::gettid().as_raw(), "{r}");
        assert!(r["size"].as_u64().is_some_and(|s| s >= 32), "{r}");
    }
    assert!(stderr.contains("rawbpf: events: events: "), "no summary:\n{stderr}");
    assert_nothing_left(&before);
    Some((mine, stderr))
}

#[test]
fn perf_event_array_records_are_decoded_per_cpu() {
    let Some((mine, stderr)) = check("perf_event_array_records_are_decoded_per_cpu", "perf_output.o") else { return };
    for r in &mine {
        assert!(r["cpu"].as_u64().is_some(), "a perf record names its CPU: {r}");
        // 32 bytes of struct event, padded by the kernel to fill 8-byte units with its size.
        assert_eq!(r["size"], 36, "{r}");
    }
    assert!(stderr.contains("CPU ring(s), "), "{stderr}");
}

#[test]
fn ringbuf_records_are_decoded_and_discards_counted() {
    let Some((mine, stderr)) = check("ringbuf_records_are_decoded_and_discards_counted", "ringbuf_output.o") else {
        return;
    };
    for r in &mine {
        assert!(r.get("cpu").is_none(), "a ring buffer is shared by all CPUs: {r}");
        assert_eq!(r["size"], 32, "{r}");
    }
    let discarded: u64 = stderr
        .split(" record(s), ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no discard count:\n{stderr}"));
    assert!(discarded >= 10, "this process's getppid() calls were discarded: {discarded}\n{stderr}");
}

#[test]
fn a_missing_event_type_is_named() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(why) = cannot_load_programs(true) {
        println!("SKIP: a_missing_event_type_is_named: {why}");
        return;
    }
    build_progs();
    let before = kernel_ids().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rawbpf"))
        .arg("load")
        .arg(root().join("progs/ringbuf_output.o"))
        .args(["--event-type", "no_such_event", "--duration", "1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("no struct, union or typedef no_such_event in the object's BTF"), "{stderr}");
    assert_nothing_left(&before);
}
