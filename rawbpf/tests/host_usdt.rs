//! USDT probes on this host's kernel: progs/usdt.o's `BPF_USDT` programs on a freshly built
//! copy of tests/vm/guest/usdt_target.c (probes from systemtap's `<sys/sdt.h>`), pointed at it
//! with `--attach-target`. Every decoded argument (registers, constants, the stack) must come
//! back with the target's pid, the probe with a semaphore must see it raised, the PIE build must
//! decode the same where the kernel has BPF cookies, and nothing may stay in the kernel or in
//! `uprobe_events`. Targets rawbpf cannot attach get their reason. The VM scenario 67-usdt runs
//! the same on 5.10 (no cookies), 6.1 and 6.12.

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

/// Builds the USDT target (`pie`: with -static-pie; else -static, as the VM does) into a fresh
/// directory; `None` without a C compiler or `<sys/sdt.h>`.
fn build_target(pie: bool) -> Option<PathBuf> {
    let dir = std::env::temp_dir().join(format!("rawbpf-host-usdt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join(if pie { "rawbpf_usdt_target_pie" } else { "rawbpf_usdt_target" });
    let guest = root().join("tests/vm/guest");
    let ok = Command::new("cc")
        .args(["-O2", if pie { "-static-pie" } else { "-static" }, "-o"])
        .arg(&bin)
        .arg(guest.join("usdt_target.c"))
        .arg(guest.join("usdt_semaphore.c"))
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(bin)
}

/// Why USDT probes cannot be attached here, if they cannot.
fn cannot_attach() -> Option<&'static str> {
    cannot_load_programs(true).or_else(|| {
        (!Path::new("/sys/bus/event_source/devices/uprobe/type").exists()).then_some("this kernel has no uprobe PMU")
    })
}

/// `rawbpf load progs/usdt.o` with `programs` (`PROG=PATH:PROVIDER:NAME`), running `bin 3`
/// once attached; returns (rawbpf's stdout, its stderr, the target's stdout, its pid).
fn trace_target(bin: &Path, programs: &[(&str, &str)]) -> (String, String, String, u32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rawbpf"));
    cmd.arg("load").arg(root().join("progs/usdt.o")).args(["--duration", "4"]);
    for (prog, probe) in programs {
        cmd.args(["--program", prog, "--attach-target", &format!("{prog}={}:{probe}", bin.display())]);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn rawbpf");
    let (streaming, reader) = watch_until_streaming(&mut child);
    let target = streaming.then(|| Command::new(bin).arg("3").stdout(Stdio::piped()).spawn().expect("run the target"));
    let pid = target.as_ref().map_or(0, |t| t.id());
    let target_out = target.map(|t| t.wait_with_output().unwrap()).map(|o| String::from_utf8_lossy(&o.stdout).into());
    let out = child.wait_with_output().unwrap();
    let err = reader.join().unwrap();
    assert!(streaming && out.status.success(), "rawbpf load usdt.o failed:\n{err}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), err, target_out.unwrap_or_default(), pid)
}

fn has_line(out: &str, want: &str) {
    assert!(out.lines().any(|l| l.ends_with(want)), "no {want:?} in:\n{out}");
}

/// Is the running kernel `major.minor` or newer?
fn kernel_at_least(major: u32, minor: u32) -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release.trim().split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (major, minor)
}

/// How this kernel's sites find their specs, as the narration says it.
fn this_kernels_way() -> &'static str {
    if loader::load::uprobe_multi_links() {
        ") through one uprobe_multi link (BPF_LINK_CREATE (uprobe_multi))"
    } else {
        "through the uprobe PMU"
    }
}

#[test]
fn usdt_arguments_pids_and_semaphores_decode() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let test = "usdt_arguments_pids_and_semaphores_decode";
    if let Some(why) = cannot_attach() {
        println!("SKIP: {test}: {why}");
        return;
    }
    let Some(bin) = build_target(false) else {
        println!("SKIP: {test}: no cc -static with <sys/sdt.h> (tests/setup installs systemtap-sdt-dev)");
        return;
    };
    build_progs();
    let before = kernel_ids().unwrap();
    let programs = [("rawbpf_usdt_add", "rawbpf:add"), ("rawbpf_usdt_tick", "rawbpf:tick")];
    let (stdout, stderr, target, pid) = trace_target(&bin, &programs);
    for i in 1..=3 {
        has_line(&stdout, &format!("rawbpf-usdt: add pid={pid} a=-{i} b={}", 100 + i));
        has_line(&stdout, &format!("rawbpf-usdt: add pid={pid} a=-7 b=1099511627776"));
        has_line(&stdout, &format!("rawbpf-usdt: tick pid={pid} i={i} twice={}", 2 * i));
        has_line(&target, &format!("round {i}: add(-{i}, {}) = 100, semaphore 1", 100 + i));
    }
    let add = format!("attached rawbpf_usdt_add to usdt {}:rawbpf:add: 2 sites at file offsets ", bin.display());
    assert!(stderr.contains(&add) && stderr.contains("(spec ids 0, 1 "), "{stderr}");
    let tick = stderr.lines().find(|l| l.contains("attached rawbpf_usdt_tick")).unwrap_or_default();
    assert!(tick.contains("1 site at file offset 0x") && tick.contains("; semaphore at file offset 0x"), "{tick}");
    assert!(tick.contains(this_kernels_way()), "{tick}");
    assert_nothing_left(&before);
    uprobe_events_clean();
    let _ = std::fs::remove_dir_all(bin.parent().unwrap());
}

#[test]
fn usdt_sites_of_a_pie_decode_where_the_kernel_has_cookies() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let test = "usdt_sites_of_a_pie_decode_where_the_kernel_has_cookies";
    if let Some(why) = cannot_attach() {
        println!("SKIP: {test}: {why}");
        return;
    }
    let Some(bin) = build_target(true) else {
        println!("SKIP: {test}: no cc -static-pie with <sys/sdt.h>");
        return;
    };
    build_progs();
    let before = kernel_ids().unwrap();
    // Cookies are the only way for a PIE without a pid: a kernel without them refuses (VM 5.10).
    let probe = format!("rawbpf_usdt_any={}:rawbpf:add", bin.display());
    let cookies = kernel_at_least(5, 15);
    if !cookies {
        let obj = root().join("progs/usdt.o");
        let out = rawbpf(&["load", obj.to_str().unwrap(), "--program", "rawbpf_usdt_any", "--attach-target", &probe]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("the binary is position-independent (ET_DYN"), "{stderr}");
    } else {
        let (stdout, stderr, _, pid) = trace_target(&bin, &[("rawbpf_usdt_any", "rawbpf:add")]);
        for i in 1..=3 {
            has_line(&stdout, &format!("rawbpf-usdt: any pid={pid} x=-{i} y={}", 100 + i));
        }
        has_line(&stdout, &format!("rawbpf-usdt: any pid={pid} x=-7 y=1099511627776"));
        has_line(&stdout, "rawbpf-usdt: any args=2");
        assert!(stderr.contains(" as BPF cookies) "), "{stderr}");
    }
    assert_nothing_left(&before);
    uprobe_events_clean();
    let _ = std::fs::remove_dir_all(bin.parent().unwrap());
}

#[test]
fn usdt_targets_rawbpf_cannot_attach_say_why() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let test = "usdt_targets_rawbpf_cannot_attach_say_why";
    if let Some(why) = cannot_load_programs(true) {
        println!("SKIP: {test}: {why}");
        return;
    }
    let Some(bin) = build_target(false) else {
        println!("SKIP: {test}: no cc -static with <sys/sdt.h>");
        return;
    };
    build_progs();
    let before = kernel_ids().unwrap();
    let obj = root().join("progs/usdt.o");
    let b = bin.display();
    let cases = [
        (format!("{b}:rawbpf"), format!("probe target \"{b}:rawbpf\": expected PATH:PROVIDER:NAME")),
        (
            format!("{b}:rawbpf:nope"),
            format!(
                "program rawbpf_usdt_any: usdt {b}:rawbpf:nope: the binary has no such probe (it has rawbpf:add, \
                 rawbpf:tick)\n  fix: list its probes with readelf -n {b}"
            ),
        ),
        ("rawbpf-no-such-binary:p:n".into(), "the binary is not in the library directories or PATH".into()),
        (format!("{}:p:n", obj.display()), "ELF type 1 is neither an executable (ET_EXEC) nor a shared object".into()),
    ];
    for (target, want) in &cases {
        let at = format!("rawbpf_usdt_any={target}");
        let args = ["load", obj.to_str().unwrap(), "--program", "rawbpf_usdt_any", "--attach-target", &at];
        let out = rawbpf(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{target} attached:\n{stderr}");
        assert!(stderr.contains(want.as_str()), "{target}: no {want:?} in:\n{stderr}");
    }
    // `SEC("usdt")` without a target is loaded and left alone, as libbpf does.
    let out = rawbpf(&["load", obj.to_str().unwrap(), "--program", "rawbpf_usdt_any", "--duration", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = "rawbpf_usdt_any (usdt) is loaded but not attached (its section names no target): give it one with \
                --attach-target rawbpf_usdt_any=TARGET";
    assert!(!out.status.success() && stderr.contains(want), "{stderr}");
    assert_nothing_left(&before);
    let _ = std::fs::remove_dir_all(bin.parent().unwrap());
}
