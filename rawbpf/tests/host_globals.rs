//! `rawbpf load --set NAME=VALUE` on this host's kernel: progs/globals.bpf.c filters on a
//! `const volatile` pid and prints every global it has; the values printed are the ones set,
//! and a refused value names the variable, its type and what is accepted, with nothing loaded.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use loader::sys::kernel_ids;

use common::{assert_nothing_left, build_progs, cannot_load_programs, root};

static LOCK: Mutex<()> = Mutex::new(());

fn object(test: &str) -> Option<PathBuf> {
    if let Some(why) = cannot_load_programs(false) {
        println!("SKIP: {test}: {why}");
        return None;
    }
    build_progs();
    Some(root().join("progs/globals.o"))
}

fn load(obj: &PathBuf, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rawbpf"));
    c.arg("load").arg(obj).args(args);
    c
}

/// Runs `rawbpf load` while this process calls getpid; retries while another reader holds
/// trace_pipe.
fn load_while_getpid(obj: &PathBuf, args: &[&str]) -> Output {
    for _ in 0..5 {
        let mut child = load(obj, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn rawbpf");
        // Until rawbpf exits: however long the load takes, calls happen while it is attached.
        while child.try_wait().expect("poll rawbpf").is_none() {
            thread::sleep(Duration::from_millis(50));
            let _ = nix::unistd::getpid();
        }
        let out = child.wait_with_output().expect("wait for rawbpf");
        if !String::from_utf8_lossy(&out.stderr).contains("trace_pipe: Device or resource busy") {
            return out;
        }
        thread::sleep(Duration::from_secs(1));
    }
    panic!("trace_pipe stayed busy: another reader holds it");
}

/// `key=value` from the program's lines.
fn field<'a>(lines: &[&'a str], key: &str) -> Vec<&'a str> {
    let pat = format!(" {key}=");
    lines.iter().filter_map(|l| Some(l[l.find(&pat)? + pat.len()..].split(' ').next().unwrap_or(""))).collect()
}

#[test]
fn set_values_reach_the_program() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object("set_values_reach_the_program") else { return };
    let me = std::process::id().to_string();
    let pid = format!("target_pid={me}");
    let sets = [
        pid.as_str(),
        "greeting=hi",
        "level=RAWBPF_LOUD",
        "verbose=true",
        "small=0xff",
        "shift=-5",
        "ports=443,8080",
        "letter=z",
        "hits=100",
        "last_pid=7",
    ];
    let mut args: Vec<&str> = sets.iter().flat_map(|s| ["--set", *s]).collect();
    args.extend(["--duration", "4"]);
    let out = load_while_getpid(&obj, &args);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "rawbpf load failed:\n{stderr}");
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains("rawbpf-globals:")).collect();
    // The filter on target_pid lets only this process through.
    let pids = field(&lines, "pid");
    assert!(!pids.is_empty(), "no line from the program:\n{stdout}\n{stderr}");
    assert!(pids.iter().all(|p| *p == me), "a line from another pid: {pids:?}");
    // .bss's hits started at 100: the first call makes it 101.
    assert_eq!(field(&lines, "hits").first(), Some(&"101"), "{stdout}");
    for (key, want) in [
        ("level", "2"),
        ("greeting", "hi"),
        ("verbose", "1"),
        ("small", "255"),
        ("shift", "-5"),
        ("port0", "443"),
        ("letter", "z"),
    ] {
        assert_eq!(field(&lines, key).first(), Some(&want), "{key} in:\n{stdout}");
    }
}

#[test]
fn refused_values_name_the_variable_and_load_nothing() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object("refused_values_name_the_variable_and_load_nothing") else { return };
    let before = kernel_ids().expect("kernel ids");
    let cases = [
        ("target_pid=4294967296", "global variable 'target_pid' (volatile const __s32, in .rodata): 4294967296 is out of range: accepted -2147483648..=2147483647"),
        ("levl=1", "no global variable 'levl'; did you mean 'level'? (settable: target_pid, greeting, level, verbose, small, shift, ports, letter, hits, last_pid)"),
        ("level=LOUD", "'LOUD' is not one of the enum's values: RAWBPF_QUIET, RAWBPF_NORMAL, RAWBPF_LOUD"),
        ("greeting=toolongstr", "(volatile const char[8], in .rodata): the string is 10 bytes: at most 7 fit"),
        ("ports=1,2,3,4,5", "5 elements given: the array has 4"),
        ("ports=1,-1", "element 1: -1 is out of range: accepted 0..=65535"),
        ("verbose=yes", "'yes' is not a bool"),
        ("small=256", "256 is out of range: accepted 0..=255"),
        ("hits=0x1g", "'0x1g' is not a number"),
        ("letter=ab", "'ab' is not one character"),
    ];
    for (set, want) in cases {
        let out = load(&obj, &["--set", set, "--no-attach"]).output().expect("run rawbpf");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "--set {set} was accepted");
        assert!(
            stderr.contains(&format!("--set {set}: ")) && stderr.contains(want),
            "--set {set}:\n{stderr}\nwant: {want}"
        );
    }
    assert_nothing_left(&before);
}
