//! `rawbpf load` reading a perf event array and a ring buffer on this host's kernel: the test
//! calls getpid() itself and finds its own records, decoded by BTF (pid and comm), in the JSON
//! lines; getppid() makes discards the summary counts; nothing stays in the kernel afterwards.
//! A busy ring is read in batches (`EventOptions::busy_delay`) and keeps up with its producer.

mod common;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use loader::events::{Event, EventOptions, Events};
use loader::object::Object;
use loader::progress::Quiet;
use loader::sys::kernel_ids;
use loader::{attach, load};

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

/// Reads a ring buffer fed by a thread calling getpid() in a tight loop for `ms`, through
/// `opts`; returns (records, polls that returned records, getpid() calls that left no record).
fn read_busy(loaded: &loader::load::Loaded, opts: &EventOptions, ms: u64) -> (u64, u64, u64) {
    let mut events = Events::open(&loaded.maps, opts).expect("open the ring");
    let stop = Arc::new(AtomicBool::new(false));
    let producer = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut calls = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let _ = nix::unistd::getpid();
                calls += 1;
            }
            calls
        })
    };
    let (mut records, mut wakes) = (0u64, 0u64);
    let end = Instant::now() + Duration::from_millis(ms);
    while Instant::now() < end {
        let wake = events
            .poll(Some(Duration::from_millis(100)), |e| records += u64::from(matches!(e, Event::Record(_))))
            .expect("poll");
        wakes += u64::from(wake.records > 0);
    }
    stop.store(true, Ordering::Relaxed);
    let calls = producer.join().unwrap();
    let left = events.drain(|_| {}).expect("drain");
    (records, wakes, calls.saturating_sub(records + left))
}

#[test]
fn a_busy_ring_is_read_in_batches_and_keeps_up() {
    let test = "a_busy_ring_is_read_in_batches_and_keeps_up";
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(why) = cannot_load_programs(true) {
        println!("SKIP: {test}: {why}");
        return;
    }
    build_progs();
    let before = kernel_ids().unwrap();
    {
        let obj = Object::open(root().join("progs/ringbuf_output.o")).expect("open ringbuf_output.o");
        let loaded = load::load(&obj, &load::LoadOptions::default()).expect("load ringbuf_output.o");
        let _links: Vec<_> = loaded.programs.iter().map(|p| attach::attach(p, &mut Quiet).expect("attach")).collect();
        let batched = EventOptions::default();
        let eager = EventOptions { busy_delay: Duration::ZERO, ..batched };
        let (b_records, b_wakes, b_missing) = read_busy(&loaded, &batched, 500);
        let (e_records, e_wakes, e_missing) = read_busy(&loaded, &eager, 500);
        let per_wake = |r: u64, w: u64| r as f64 / w.max(1) as f64;
        let (b, e) = (per_wake(b_records, b_wakes), per_wake(e_records, e_wakes));
        println!(
            "{test}: busy_delay {:?}: {b_records} records, {b:.1} a read, {b_missing} missing; \
             busy_delay 0: {e_records} records, {e:.1} a read, {e_missing} missing",
            batched.busy_delay
        );
        assert!(b_records > 1000 && e_records > 1000, "the producer made too few records to compare");
        // At a getpid() every few µs, a pause of up to 1 ms gathers tens to hundreds of records.
        assert!(b >= 10.0 && b > 3.0 * e, "pausing while busy should batch reads: {b:.1} against {e:.1} a read");
        // The pause lets a ring fill to an eighth, or to half after the latest late wakeup: a
        // full ring (a refused reserve) shows as getpid() calls without a record. A virtual
        // machine's host can hold either reader off for milliseconds, so a few may go missing.
        assert!(b_missing * 100 <= b_records, "{b_missing} of {b_records} records were never written");
    }
    assert_nothing_left(&before);
}
