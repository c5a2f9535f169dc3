//! `rawbpf load` on this host's kernel: the program kinds it allows load, attach and print
//! through trace_pipe; fentry's refusal is explained; nothing stays in the kernel afterwards.
//! Runs the real binary. Serialized: trace_pipe is one global stream.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use loader::sys::kernel_ids;

static LOCK: Mutex<()> = Mutex::new(());

use common::{assert_nothing_left, build_progs, cannot_load_programs, root};

/// The object, built by progs-build; `None` when it cannot be, or the test cannot run here,
/// after printing the one `SKIP: <test>: <reason>` line of `test` (call it once per test).
/// `kernel_btf`: the test gets as far as loading, which needs the kernel's BTF.
fn object(test: &str, name: &str, kernel_btf: bool) -> Option<PathBuf> {
    if let Some(why) = cannot_load_programs(kernel_btf) {
        println!("SKIP: {test}: {why}");
        return None;
    }
    build_progs();
    Some(root().join("progs").join(format!("{name}.o")))
}

/// Runs `rawbpf load OBJ ARGS` while `trigger` runs in this process, returning its output.
fn load_while(obj: &Path, args: &[&str], trigger: impl Fn()) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_rawbpf"))
        .arg("load")
        .arg(obj)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rawbpf");
    // Attaching takes well under a second; trigger through the whole run.
    for _ in 0..20 {
        thread::sleep(Duration::from_millis(100));
        trigger();
    }
    child.wait_with_output().expect("wait for rawbpf")
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn getpid_syscall() {
    // SAFETY-free: nix's getpid is a real getpid(2) call (glibc no longer caches it).
    let _ = nix::unistd::getpid();
}

fn spawn_true() {
    let _ = Command::new("/bin/true").status();
}

fn check_prints(test: &str, name: &str, marker: &str, trigger: impl Fn()) {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object(test, name, true) else { return };
    let before = kernel_ids().unwrap();
    let out = load_while(&obj, &["--duration", "2"], trigger);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "rawbpf failed for {name}:\n{stderr}");
    assert!(stderr.contains("rawbpf: attached"), "{stderr}");
    let line = stdout.lines().find(|l| l.contains(marker)).unwrap_or_else(|| panic!("no {marker} line:\n{stdout}"));
    // `TIMESTAMP TASK-PID [CPU] MESSAGE`: the parsed fields are there.
    assert!(line.split_whitespace().nth(2).is_some_and(|c| c.starts_with('[')), "{line}");
    assert_nothing_left(&before);
}

#[test]
fn tp_btf_program_prints_exec_events() {
    check_prints("tp_btf_program_prints_exec_events", "tp_btf", "rawbpf-tp_btf: exec pid=", spawn_true);
}

#[test]
fn raw_tp_program_prints_sys_enter() {
    check_prints("raw_tp_program_prints_sys_enter", "raw_tp", "rawbpf-raw_tp: sys_enter id=39", getpid_syscall);
}

#[test]
fn tracepoint_program_prints_getpid() {
    let pid = std::process::id();
    let marker = format!("rawbpf-tracepoint: getpid pid={pid} nr=39");
    check_prints("tracepoint_program_prints_getpid", "tracepoint", &marker, getpid_syscall);
}

#[test]
fn maps_globals_program_reads_rodata_and_counts_in_maps() {
    // The printed magic comes from .rodata and the count from a map both subprograms update.
    check_prints(
        "maps_globals_program_reads_rodata_and_counts_in_maps",
        "maps_globals",
        "rawbpf-maps_globals: magic=c0ffee calls=",
        getpid_syscall,
    );
}

#[test]
fn json_lines_are_parsed_trace_events() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object("json_lines_are_parsed_trace_events", "raw_tp", true) else { return };
    let out = load_while(&obj, &["--duration", "1.5", "--json"], getpid_syscall);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let line = stdout.lines().find(|l| l.contains("rawbpf-raw_tp")).unwrap_or_else(|| panic!("{stdout}"));
    for key in ["\"ts\":", "\"task\":", "\"pid\":", "\"cpu\":", "\"message\":\"rawbpf-raw_tp: sys_enter"] {
        assert!(line.starts_with('{') && line.contains(key), "{key} missing in {line}");
    }
}

#[test]
fn no_attach_reports_ids_and_tags_like_bpftool() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object("no_attach_reports_ids_and_tags_like_bpftool", "maps_globals", true) else {
        return;
    };
    let before = kernel_ids().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rawbpf"))
        .arg("load")
        .arg(&obj)
        .args(["--no-attach", "--json"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("\"name\":\"rawbpf_maps_globals\""), "{stdout}");
    let tag = stdout.split("\"tag\":\"").nth(1).map(|s| &s[..16]).expect("a tag");
    assert!(tag.chars().all(|c| c.is_ascii_hexdigit()), "{tag}");
    assert_nothing_left(&before);
    // libbpf (through bpftool) loading the same object must produce the same program: same tag.
    // The rawbpf half ran, so an unusable oracle is reported, not counted as a skip.
    match bpftool_tag(&obj, "rawbpf_maps_globals") {
        Ok(reference) => assert_eq!(tag, reference, "rawbpf and libbpf loaded different instructions"),
        Err(why) => println!("not checked here: no_attach_reports_ids_and_tags_like_bpftool: bpftool oracle: {why}"),
    }
    assert_nothing_left(&before);
}

/// The tag libbpf's loader gives the program, via `bpftool prog loadall` into a private bpffs;
/// `Err` says why the oracle could not answer.
fn bpftool_tag(obj: &Path, prog: &str) -> Result<String, String> {
    if Command::new("bpftool").arg("version").output().is_err() {
        return Err("bpftool not installed".into());
    }
    let dir = tempdir();
    let mount = Command::new("mount").args(["-t", "bpf", "bpf"]).arg(&dir).output();
    match mount {
        Ok(o) if o.status.success() => {}
        Ok(o) => return Err(format!("cannot mount bpffs: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => return Err(format!("cannot run mount: {e}")),
    }
    let pin = dir.join("p");
    let tag = (|| {
        let load = Command::new("bpftool").args(["prog", "loadall"]).arg(obj).arg(&pin).output();
        let load = load.map_err(|e| format!("bpftool prog loadall: {e}"))?;
        if !load.status.success() {
            return Err(format!("bpftool prog loadall failed: {}", String::from_utf8_lossy(&load.stderr).trim()));
        }
        let show = Command::new("bpftool").args(["prog", "show", "pinned"]).arg(pin.join(prog)).output();
        let show = show.map_err(|e| format!("bpftool prog show: {e}"))?;
        let text = String::from_utf8_lossy(&show.stdout);
        // A missing or short tag is the oracle misbehaving: fail rather than compare nothing.
        let tag = text.split("tag ").nth(1).and_then(|s| s.get(..16)).map(str::to_owned);
        Ok(tag.unwrap_or_else(|| panic!("no tag in `bpftool prog show` output: {text}")))
    })();
    let _ = Command::new("umount").arg(&dir).status();
    let _ = std::fs::remove_dir_all(&dir);
    tag
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("rawbpf-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn fentry_refusal_is_explained_and_leaves_nothing() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object("fentry_refusal_is_explained_and_leaves_nothing", "connect", true) else { return };
    let before = kernel_ids().unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_rawbpf")).arg("load").arg(&obj).args(["--duration", "1"]).output().unwrap();
    let (_, stderr) = text(&out);
    if out.status.success() {
        println!(
            "SKIP: fentry_refusal_is_explained_and_leaves_nothing: this kernel allows fentry (the refusal path cannot be shown here)"
        );
        return;
    }
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("BPF_PROG_LOAD failed: EPERM"), "{stderr}");
    assert!(stderr.contains("security policy"), "{stderr}");
    assert!(stderr.contains("tests/vm/run demo"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_nothing_left(&before);
}

#[test]
fn unknown_program_name_lists_the_real_ones() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object("unknown_program_name_lists_the_real_ones", "connect", false) else { return };
    let out =
        Command::new(env!("CARGO_BIN_EXE_rawbpf")).arg("load").arg(&obj).args(["--program", "nope"]).output().unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("no program named nope") && stderr.contains("rawbpf_fentry_connect"), "{stderr}");
}

#[test]
fn core_reads_task_pid_at_the_kernels_offset() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object("core_reads_task_pid_at_the_kernels_offset", "core_move", true) else {
        return;
    };
    let vmlinux = match btf::source::vmlinux() {
        Ok(b) => b,
        Err(e) => return println!("SKIP: core_reads_task_pid_at_the_kernels_offset: {e}"),
    };
    let task = vmlinux.find_by_name_kind("task_struct", btf::Kind::Struct).unwrap();
    let (_, bits) = vmlinux.find_member(task, "pid").unwrap().unwrap();
    let out = load_while(&obj, &["--duration", "2"], spawn_true);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains("rawbpf-core-move: ")).collect();
    assert!(!lines.is_empty(), "{stdout}");
    for line in lines {
        // `TS TASK-PID [CPU] rawbpf-core-move: pid=P tgid=T pid_off=O`
        let header_pid = line.split_whitespace().nth(1).and_then(|t| t.rsplit('-').next()).unwrap();
        let field = |k: &str| line.split_whitespace().find_map(|w| w.strip_prefix(k)).unwrap().to_owned();
        assert_eq!(field("pid="), header_pid, "{line}");
        assert_eq!(field("pid_off="), (bits / 8).to_string(), "{line}");
    }
}

#[test]
fn btf_with_new_kinds_loads_and_globals_read_back() {
    check_prints(
        "btf_with_new_kinds_loads_and_globals_read_back",
        "sanitize",
        "rawbpf-sanitize: big_hi=1 neg=-1 tag=7",
        spawn_true,
    );
}

#[test]
fn without_capabilities_the_message_says_how_to_fix_it() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let test = "without_capabilities_the_message_says_how_to_fix_it";
    let Some(obj) = object(test, "connect", false) else { return };
    // Drop to nobody with no capabilities: what an ordinary user sees.
    let out = match Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"])
        .arg(env!("CARGO_BIN_EXE_rawbpf"))
        .arg("load")
        .arg(&obj)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            println!("SKIP: {test}: setpriv unavailable: {e}");
            return;
        }
    };
    let (_, stderr) = text(&out);
    if stderr.contains("setpriv:") {
        println!("SKIP: {test}: setpriv could not drop privileges: {}", stderr.trim());
        return;
    }
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("needs root, or CAP_BPF with CAP_PERFMON"), "{stderr}");
    assert!(stderr.contains("fix: run it with sudo"), "{stderr}");
}
