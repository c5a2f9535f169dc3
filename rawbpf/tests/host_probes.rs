//! kprobes and uprobes on this host's kernel. uprobes (when the kernel has them): progs/uprobe.o's
//! entry and return programs on a freshly built copy of tests/vm/guest/uprobe_target.c, through
//! the uprobe PMU and through tracefs `uprobe_events`, must see the target's pid, arguments and
//! sums; nothing may stay in the kernel or in `uprobe_events`. kprobes: on a kernel without them
//! (this machine's has `CONFIG_KPROBES` off) the error says so; where they exist, the tutorial's
//! `kprobe/sys_clone` must be refused with the wrapper's name. Bad targets get clear errors.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use loader::sys::kernel_ids;

use common::{
    assert_nothing_left, build_progs, cannot_load_programs, root, uprobe_events_clean, watch_until_streaming,
};

static LOCK: Mutex<()> = Mutex::new(());

fn rawbpf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rawbpf")).args(args).output().expect("run rawbpf")
}

/// Builds the uprobe target into a fresh directory; `None` without a C compiler.
fn build_target() -> Option<PathBuf> {
    let dir = std::env::temp_dir().join(format!("rawbpf-host-probes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("rawbpf_uprobe_target");
    let src = root().join("tests/vm/guest/uprobe_target.c");
    let ok = Command::new("cc").args(["-O2", "-o"]).arg(&bin).arg(&src).status().is_ok_and(|s| s.success());
    ok.then_some(bin)
}

/// Why uprobes cannot be tested here, if they cannot.
fn no_uprobes() -> Option<&'static str> {
    let pmu = Path::new("/sys/bus/event_source/devices/uprobe/type").exists();
    let tracefs = Path::new("/sys/kernel/tracing/uprobe_events").exists();
    (!pmu && !tracefs).then_some("this kernel has no uprobes (no uprobe PMU, no tracefs uprobe_events)")
}

/// `rawbpf load progs/uprobe.o` with both add programs on `bin`, running `bin 3` once attached;
/// returns (rawbpf's stdout, its stderr, the target's pid).
fn trace_target(bin: &Path, extra: &[&str]) -> (String, String, u32) {
    let at = |prog: &str| format!("{prog}={}:rawbpf_target_add", bin.display());
    let (entry, ret) = (at("rawbpf_uprobe_add"), at("rawbpf_uretprobe_add"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_rawbpf"))
        .arg("load")
        .arg(root().join("progs/uprobe.o"))
        .args(["--program", "rawbpf_uprobe_add", "--program", "rawbpf_uretprobe_add"])
        .args(["--attach-target", &entry, "--attach-target", &ret, "--duration", "4"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rawbpf");
    let (streaming, reader) = watch_until_streaming(&mut child);
    let target = streaming.then(|| Command::new(bin).arg("3").stdout(Stdio::null()).spawn().expect("run the target"));
    let pid = target.as_ref().map_or(0, |t| t.id());
    if let Some(mut t) = target {
        t.wait().unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let err = reader.join().unwrap();
    assert!(streaming && out.status.success(), "rawbpf load uprobe.o failed:\n{err}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), err, pid)
}

fn check_target_lines(stdout: &str, pid: u32) {
    for i in 1..=3 {
        let entry = format!("rawbpf-uprobe: add entry pid={pid} a={i} b={}", 100 + i);
        let ret = format!("rawbpf-uprobe: add return pid={pid} ret={}", 2 * i + 100);
        assert!(stdout.lines().any(|l| l.ends_with(&entry)), "no {entry:?} in:\n{stdout}");
        assert!(stdout.lines().any(|l| l.ends_with(&ret)), "no {ret:?} in:\n{stdout}");
    }
}

fn uprobe_test(test: &str, extra: &[&str], narrated: &str) {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(why) = cannot_load_programs(true).or_else(no_uprobes) {
        println!("SKIP: {test}: {why}");
        return;
    }
    let Some(bin) = build_target() else {
        println!("SKIP: {test}: no C compiler (cc) to build the uprobe target");
        return;
    };
    build_progs();
    let before = kernel_ids().unwrap();
    let (stdout, stderr, pid) = trace_target(&bin, extra);
    check_target_lines(&stdout, pid);
    let offset = loader::attach::elf_offset::function_offset_in(&bin, "rawbpf_target_add").unwrap();
    let want = format!("uretprobe {}:rawbpf_target_add (file offset {offset:#x}) through {narrated}", bin.display());
    assert!(stderr.contains(&want), "no {want:?} in:\n{stderr}");
    assert_nothing_left(&before);
    uprobe_events_clean();
    let _ = std::fs::remove_dir_all(bin.parent().unwrap());
}

#[test]
fn uprobes_through_the_pmu_see_arguments_and_sums() {
    if !Path::new("/sys/bus/event_source/devices/uprobe/type").exists() {
        println!("SKIP: uprobes_through_the_pmu_see_arguments_and_sums: no uprobe PMU");
        return;
    }
    uprobe_test("uprobes_through_the_pmu_see_arguments_and_sums", &[], "the uprobe PMU");
}

#[test]
fn uprobes_through_tracefs_see_arguments_and_sums_and_are_removed() {
    if !Path::new("/sys/kernel/tracing/uprobe_events").exists() {
        println!("SKIP: uprobes_through_tracefs_see_arguments_and_sums_and_are_removed: no tracefs uprobe_events");
        return;
    }
    let test = "uprobes_through_tracefs_see_arguments_and_sums_and_are_removed";
    uprobe_test(test, &["--probe-attach-mode", "legacy"], "tracefs uprobe_events (event uprobes/rawbpf_");
}

#[test]
fn kprobes_are_refused_with_the_reason() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(why) = cannot_load_programs(true) {
        println!("SKIP: kprobes_are_refused_with_the_reason: {why}");
        return;
    }
    build_progs();
    let before = kernel_ids().unwrap();
    let obj = root().join("progs/kprobe.o");
    let obj = obj.to_str().unwrap();
    let out = rawbpf(&["load", obj, "--program", "rawbpf_kprobe_sys_clone", "--duration", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "kprobe/sys_clone attached:\n{stderr}");
    let has_kprobes = Path::new("/sys/bus/event_source/devices/kprobe/type").exists()
        || Path::new("/sys/kernel/tracing/kprobe_events").exists();
    if has_kprobes {
        // Every x86-64 kernel since 4.17 wraps syscalls; others may really have sys_clone.
        if std::env::consts::ARCH == "x86_64" {
            assert!(stderr.contains("sys_clone is not a kernel symbol"), "{stderr}");
            assert!(stderr.contains("__x64_sys_clone") && stderr.contains("SEC(\"ksyscall/clone\")"), "{stderr}");
        }
    } else {
        let want =
            "program rawbpf_kprobe_sys_clone: this kernel has no kprobes (no kprobe PMU, no tracefs file for them)";
        assert!(stderr.contains(want), "{stderr}");
        assert!(stderr.contains("fix: kprobes need a kernel built with CONFIG_KPROBES"), "{stderr}");
    }
    assert_nothing_left(&before);
}

#[test]
fn bad_probe_targets_are_named() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(why) = cannot_load_programs(true).or_else(no_uprobes) {
        println!("SKIP: bad_probe_targets_are_named: {why}");
        return;
    }
    build_progs();
    let before = kernel_ids().unwrap();
    let obj = root().join("progs/uprobe.o");
    let obj = obj.to_str().unwrap();
    let cases = [
        ("rawbpf_uprobe_any=/bin/sh", "probe target \"/bin/sh\": expected BINARY:FUNCTION"),
        ("rawbpf_uprobe_any=/bin/sh:f+x", "the offset after '+' is not a number"),
        (
            "rawbpf_uprobe_any=/bin/sh:rawbpf_no_such_function",
            "/bin/sh: no function rawbpf_no_such_function in its symbol tables\n  fix: list its functions with nm -D /bin/sh",
        ),
        ("rawbpf_uprobe_any=rawbpf-no-such-binary:f", "the binary is not in the library directories or PATH"),
    ];
    for (target, want) in cases {
        let out =
            rawbpf(&["load", obj, "--program", "rawbpf_uprobe_any", "--attach-target", target, "--duration", "1"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{target} attached:\n{stderr}");
        assert!(stderr.contains(want), "{target}: no {want:?} in:\n{stderr}");
    }
    assert_nothing_left(&before);
    uprobe_events_clean();
}
