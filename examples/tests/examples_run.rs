//! The examples do what they say: `counters` reads back through the generated skeleton what its
//! program counted, and `connect` attaches fentry/fexit (or, where the kernel refuses fentry,
//! fails naming the refusal). Both need root and progs/*.o.

use std::io::Write;
use std::process::{Command, Stdio};

fn cannot_run(test: &str) -> bool {
    if !loader::diagnose::caps::is_root() {
        println!("SKIP: {test}: needs root to load BPF programs");
        return true;
    }
    false
}

/// The value after `label = ` in the output.
fn value<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(label)?.strip_prefix(" = "))
        .unwrap_or_else(|| panic!("no {label} in:\n{out}"))
}

#[test]
fn counters_reads_back_what_the_program_counted() {
    if cannot_run("counters_reads_back_what_the_program_counted") {
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_counters")).arg("25").output().expect("run counters");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let n = |label| value(&text, label).parse::<u64>().unwrap_or_else(|_| panic!("{label} in:\n{text}"));
    // Our 25 calls, plus the one that read the pid; other processes may add to shared counters.
    assert!(n("rawbpf_counts[pid & 0xff]") >= 26, "{text}");
    assert!(n("rawbpf_stats[0].count") >= 26, "{text}");
    assert!(n(".data rawbpf_calls") >= 27, "{text}");
    assert_eq!(value(&text, ".rodata rawbpf_magic"), "0xc0ffee");
}

#[test]
fn connect_attaches_or_names_the_refusal() {
    if cannot_run("connect_attaches_or_names_the_refusal") {
        return;
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_connect"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run connect");
    // Enter stops it once it is attached; if it failed, the newline goes nowhere.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _ = child.stdin.take().unwrap().write_all(b"\n");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        assert!(err.contains("attached 2 programs to tcp_connect") && err.contains("detached"), "{err}");
    } else {
        assert!(err.contains("program rawbpf_fentry_connect") && err.contains("BPF_PROG_LOAD failed"), "{err}");
    }
}
