//! The error catalog on a real kernel: each test builds a small broken program with clang-19 and
//! checks that `rawbpf load` names the cause and the fix, and leaves nothing loaded.

mod common;
mod scratch;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

use common::{build_progs, cannot_load_programs, root};
use scratch::{scratch, Scratch};

/// Compiles `source` against progs/' headers; `None` when impossible, or the test cannot run
/// here, after printing the one `SKIP: <test>: <reason>` line of `test` (call it once per test).
/// `kernel_btf`: the load gets past the object checks, so it needs the kernel's BTF. Returns the
/// scratch directory (removed when dropped) and the object in it.
fn build(test: &str, name: &str, source: &str, kernel_btf: bool) -> Option<(Scratch, PathBuf)> {
    if let Some(why) = cannot_load_programs(kernel_btf) {
        println!("SKIP: {test}: {why}");
        return None;
    }
    // The programs include progs/vmlinux.h, which progs-build generates.
    build_progs();
    let dir = scratch("errors");
    std::fs::create_dir_all(&dir).unwrap();
    let c = dir.join(format!("{name}.bpf.c"));
    std::fs::write(&c, source).unwrap();
    let obj = dir.join(format!("{name}.o"));
    // A name ending in `_nog` is built without -g, as people forget to: no .BTF at all.
    let debug: &[&str] = if name.ends_with("_nog") { &[] } else { &["-g"] };
    let out = Command::new("clang-19")
        .args(["-target", "bpf", "-O2", "-D__TARGET_ARCH_x86", "-c"])
        .args(debug)
        .arg("-I")
        .arg(root().join("progs"))
        .arg("-I")
        .arg(root().join("progs/include"))
        .arg(&c)
        .arg("-o")
        .arg(&obj)
        .output()
        .unwrap();
    assert!(out.status.success(), "clang: {}", String::from_utf8_lossy(&out.stderr));
    Some((dir, obj))
}

fn load(obj: &Path) -> (i32, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_rawbpf")).arg("load").arg(obj).args(["--duration", "1"]).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

const HEADER: &str =
    "#include \"vmlinux.h\"\n#include \"rawbpf_helpers.h\"\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n";

#[test]
fn verifier_rejection_points_at_the_source_line_with_a_hint() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // Dereferencing a pointer read as a plain integer: the verifier sees a scalar.
    let src = format!(
        "{HEADER}SEC(\"raw_tp/sys_enter\")\nint bad_deref(unsigned long long *ctx)\n{{\n\tunsigned long long addr = ctx[1];\n\treturn *(int *)(addr + 16);\n}}\n"
    );
    let Some((_dir, obj)) = build("verifier_rejection_points_at_the_source_line_with_a_hint", "bad_deref", &src, true)
    else {
        return;
    };
    let before = loader::sys::kernel_ids().unwrap();
    let (rc, stderr) = load(&obj);
    assert_eq!(rc, 1, "{stderr}");
    assert!(stderr.contains("BPF_PROG_LOAD failed: EACCES"), "{stderr}");
    assert!(stderr.contains("invalid mem access"), "{stderr}");
    assert!(stderr.contains("bad_deref.bpf.c:8"), "no source line in:\n{stderr}");
    assert!(stderr.contains("return *(int *)(addr + 16);"), "{stderr}");
    assert!(stderr.contains("hint: the verifier does not trust this pointer"), "{stderr}");
    let left = loader::sys::kernel_ids().unwrap().added_since(&before);
    assert!(left.progs.is_empty() && left.links.is_empty(), "{left:?}");
}

#[test]
fn missing_attach_target_names_close_functions() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let src = format!("{HEADER}SEC(\"tp_btf/sched_process_exex\")\nint typo(void *ctx)\n{{\n\treturn 0;\n}}\n");
    let Some((_dir, obj)) = build("missing_attach_target_names_close_functions", "typo", &src, true) else {
        return;
    };
    let (rc, stderr) = load(&obj);
    assert_eq!(rc, 1, "{stderr}");
    assert!(stderr.contains("the kernel has no raw tracepoint btf_trace_sched_process_exex in its BTF"), "{stderr}");
    assert!(stderr.contains("btf_trace_sched_process_exec"), "close names missing:\n{stderr}");
}

#[test]
fn unknown_section_names_close_kinds() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let src = format!("{HEADER}SEC(\"fentri/tcp_connect\")\nint typo(void *ctx)\n{{\n\treturn 0;\n}}\n");
    let Some((_dir, obj)) = build("unknown_section_names_close_kinds", "badsec", &src, false) else {
        return;
    };
    let (rc, stderr) = load(&obj);
    assert_eq!(rc, 1, "{stderr}");
    assert!(
        stderr
            .contains("program typo: section 'fentri/tcp_connect' names no program type libbpf knows (close: fentry)"),
        "{stderr}"
    );
}

#[test]
fn btf_defined_maps_without_btf_say_to_build_with_g() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let src = format!(
        "{HEADER}struct {{\n\t__uint(type, 2);\n\t__uint(max_entries, 1);\n\t__type(key, __u32);\n\t__type(value, __u64);\n}} counts SEC(\".maps\");\n\
         SEC(\"raw_tp/sys_enter\")\nint uses_map(void *ctx)\n{{\n\t__u32 k = 0;\n\treturn bpf_map_lookup_elem(&counts, &k) != 0;\n}}\n"
    );
    let Some((_dir, obj)) = build("btf_defined_maps_without_btf_say_to_build_with_g", "maps_nog", &src, false) else {
        return;
    };
    let (rc, stderr) = load(&obj);
    assert_eq!(rc, 1, "{stderr}");
    assert!(stderr.contains("the object has .maps but no .BTF"), "{stderr}");
    assert!(stderr.contains("build with clang -g"), "{stderr}");
}
