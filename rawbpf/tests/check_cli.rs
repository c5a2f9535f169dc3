//! `rawbpf check` on progs/select.o against the host kernel's BTF and against a minimal BTF that
//! lacks what most programs need: each program's verdict and reason, text and JSON. No root.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn rawbpf(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_rawbpf")).args(args).current_dir(root()).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

#[test]
fn check_predicts_each_program_with_its_reason() {
    const TEST: &str = "check_predicts_each_program_with_its_reason";
    if Command::new("clang-19").arg("--version").output().is_err() || !Path::new("/sys/kernel/btf/vmlinux").exists() {
        println!("SKIP: {TEST}: needs clang-19 (progs/) and /sys/kernel/btf/vmlinux");
        return;
    }
    assert!(Command::new(root().join("progs-build/build")).status().unwrap().success());
    let (code, json) = rawbpf(&["check", "progs/select.o", "--btf", "/sys/kernel/btf/vmlinux", "--json"]);
    assert_eq!(code, 1, "some programs of select.o cannot load: {json}");
    let verdicts: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let get = |name: &str| verdicts.iter().find(|v| v["program"] == name).unwrap_or_else(|| panic!("{name}: {json}"));
    assert_eq!(get("on_sys_enter")["loads"], true);
    assert_eq!(get("on_sys_enter")["kernel"], "/sys/kernel/btf/vmlinux");
    assert_eq!(get("late_fentry")["loads"], false);
    assert!(get("late_fentry")["reasons"][0].as_str().unwrap().contains("names no attach target"), "{json}");
    assert!(get("typo")["reasons"][0].as_str().unwrap().contains("names no program type libbpf knows"), "{json}");
    assert!(get("uses_legacy_map")["reasons"][0].as_str().unwrap().contains("legacy 'maps' section"), "{json}");
    // Against a BTF without do_nanosleep (core_move's minimal BTF), the fentry on it fails by name.
    let min = std::env::temp_dir().join(format!("rawbpf-check-cli-{}.btf", std::process::id()));
    let min = min.display().to_string();
    let (c, out) = rawbpf(&["btf", "min", "progs/core_move.o", "--btf", "/sys/kernel/btf/vmlinux", "-o", &min]);
    assert_eq!(c, 0, "{out}");
    let (_, text) = rawbpf(&["check", "progs/core_move.o", "--btf", "/sys/kernel/btf/vmlinux", "--btf", &min]);
    assert!(text.lines().any(|l| l.starts_with("rawbpf_core_move") && l.contains("loads   FAILS")), "{text}");
    assert!(text.contains("raw tracepoint btf_trace_sched_process_exec is not in this kernel's BTF"), "{text}");
    // Each relocation's result, and the BTF kinds a kernel's BTF lacks (the minimal BTF has none of the newer ones).
    let (_, json) = rawbpf(&["check", "progs/core_move.o", "--btf", "/sys/kernel/btf/vmlinux", "--json"]);
    let v: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    let core = v["core"].as_array().unwrap();
    assert_eq!(core.len(), 3, "{json}");
    assert!(core.iter().all(|c| c.as_str().unwrap().contains("field byte offset  struct task_struct::")), "{json}");
    let (_, json) = rawbpf(&["check", "progs/sanitize.o", "--btf", &min, "--json"]);
    let v: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(v["sanitized"], serde_json::json!(["FLOAT", "DECL_TAG", "TYPE_TAG", "ENUM64"]), "{json}");
    std::fs::remove_file(&min).ok();
}

#[test]
fn check_follows_the_kernel_version_into_context_accesses() {
    const TEST: &str = "check_follows_the_kernel_version_into_context_accesses";
    if Command::new("clang-19").arg("--version").output().is_err() || !Path::new("/sys/kernel/btf/vmlinux").exists() {
        println!("SKIP: {TEST}: needs clang-19 (progs/) and /sys/kernel/btf/vmlinux");
        return;
    }
    assert!(Command::new(root().join("progs-build/build")).status().unwrap().success());
    // The same BTF under three names: the file name is all that tells the version.
    let dir = std::env::temp_dir().join(format!("rawbpf-check-version-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let names = ["5.10.0-1-amd64.btf", "6.1.0-1-amd64.btf", "kernel.btf"];
    for n in names {
        std::fs::copy("/sys/kernel/btf/vmlinux", dir.join(n)).unwrap();
    }
    let mut args = vec!["check", "progs/kernel_version.o", "--json", "--btf", "/sys/kernel/btf/vmlinux"];
    let paths: Vec<String> = names.iter().map(|n| dir.join(n).display().to_string()).collect();
    paths.iter().for_each(|p| args.extend(["--btf", p.as_str()]));
    let (_, json) = rawbpf(&args);
    std::fs::remove_dir_all(&dir).ok();
    let rows: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let get = |kernel: &str, program: &str| {
        let k = |r: &&serde_json::Value| r["kernel"].as_str().unwrap().ends_with(kernel) && r["program"] == program;
        rows.iter().find(k).unwrap_or_else(|| panic!("{kernel} {program}: {json}")).clone()
    };
    let (select, branch) = ("rawbpf_by_version", "rawbpf_by_version_branch");
    // The running kernel (6.x) and a 6.1 take the ctx[0] / ctx[1] side.
    for k in ["/sys/kernel/btf/vmlinux", "6.1.0-1-amd64.btf"] {
        assert_eq!(get(k, select)["loads"], true, "{json}");
        assert_eq!(get(k, branch)["loads"], true, "{json}");
    }
    assert!(get("/sys/kernel/btf/vmlinux", select)["kernel_version_from"].as_str().unwrap().starts_with("the running"));
    assert_eq!(get("6.1.0-1-amd64.btf", select)["kernel_version"], "6.1.0");
    // A 5.10 takes the other: the selected pointer is moved, the branch reads past the 3 arguments.
    let reason = |k: &str, p: &str| get(k, p)["reasons"][0].as_str().unwrap().to_owned();
    assert_eq!(get("5.10.0-1-amd64.btf", select)["loads"], false);
    assert!(reason("5.10.0-1-amd64.btf", select).contains("context pointer moved by 24 bytes"), "{json}");
    assert!(
        reason("5.10.0-1-amd64.btf", branch).contains("reads ctx+24 (argument 4), but sched_process_exec takes 3"),
        "{json}"
    );
    // Unknown: both sides followed, and the reason says why.
    assert_eq!(get("kernel.btf", branch)["kernel_version"], serde_json::Value::Null);
    assert!(reason("kernel.btf", branch).contains("LINUX_KERNEL_VERSION, not known for this kernel"), "{json}");
}
