//! `rawbpf inspect` and `rawbpf disasm` on the objects progs-build compiles: what they list,
//! what CO-RE resolves to, the marks in listings, and their errors. No root needed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// Builds progs/*.o once per test binary; `false` (after printing SKIP) without clang-19.
fn progs_built() -> bool {
    static BUILT: OnceLock<bool> = OnceLock::new();
    *BUILT.get_or_init(|| {
        if Command::new("clang-19").arg("--version").output().is_err() {
            return false;
        }
        let out = Command::new("bash")
            .arg(root().join("progs-build/build"))
            .current_dir(root())
            .output()
            .expect("run progs-build/build");
        assert!(out.status.success(), "progs-build/build failed:\n{}", String::from_utf8_lossy(&out.stderr));
        true
    })
}

/// The path of a built object, or `None` after printing SKIP.
fn obj(name: &str) -> Option<String> {
    if !progs_built() {
        println!("SKIP: clang-19 is not installed");
        return None;
    }
    Some(root().join("progs").join(name).display().to_string())
}

fn rawbpf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rawbpf")).args(args).output().expect("run rawbpf")
}

/// Runs and expects success; returns stdout.
fn ok(args: &[&str]) -> String {
    let o = rawbpf(args);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "rawbpf {args:?} failed ({:?}):\n{err}", o.status);
    out.into_owned()
}

#[test]
fn inspect_connect_lists_programs_kinds_targets_and_core() {
    let Some(o) = obj("connect.o") else { return };
    let out = ok(&["inspect", &o]);
    for want in [
        "Programs (2)",
        "rawbpf_fentry_connect  (section fentry/tcp_connect)",
        "rawbpf_fexit_connect  (section fexit/tcp_connect)",
        "type tracing  expected attach type trace_fentry",
        "type tracing  expected attach type trace_fexit",
        "attach target tcp_connect",
        "13 instructions",
        "[0] connect.rodata  type array (2)  key 4 B  value 78 B  max_entries 1  flags 0x80  defined in .rodata",
        "fentry/tcp_connect           func_info 1  line_info 8  CO-RE 2",
        ".BTF.ext",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let reloc = out.lines().find(|l| l.contains("insn    6") && l.contains("map connect.rodata+0"));
    assert!(reloc.is_some(), "no .rodata relocation at insn 6:\n{out}");

    // CO-RE against the object's own BTF is deterministic: skc_dport stays at 12.
    let own = ok(&["inspect", &o, "--btf", &o]);
    let line = own.lines().find(|l| l.contains("skc_dport")).unwrap_or_else(|| panic!("no skc_dport:\n{own}"));
    assert!(line.contains("#1 field byte offset") && line.contains("local 12 → target 12 (unchanged)"), "{line}");

    if Path::new("/sys/kernel/btf/vmlinux").exists() {
        let line = out.lines().find(|l| l.contains("skc_dport")).unwrap_or_else(|| panic!("no skc_dport:\n{out}"));
        assert!(line.contains("struct sock::__sk_common.skc_dport") && line.contains("→ target"), "{line}");
    }
}

#[test]
fn inspect_core_demo_against_another_layout_shows_moves_and_poison() {
    let (Some(o), Some(t)) = (obj("core_demo.o"), obj("core_demo_target.o")) else {
        return;
    };
    let out = ok(&["inspect", &o, "--btf", &t]);
    assert!(out.contains(&format!("CO-RE relocations (target {t})")), "{out}");
    let pid = out.lines().find(|l| l.contains("struct demo::pid ")).expect("pid relocation");
    assert!(pid.contains("local 0 → target 16 (moved)"), "{pid}");
    assert!(out.contains("field byte offset  struct demo::removed  (0:5)  local 48 → poisoned"), "{out}");
}

#[test]
fn inspect_json_is_one_document() {
    let Some(o) = obj("maps_globals.o") else {
        return;
    };
    let out = ok(&["inspect", &o, "--json", "--btf", &o]);
    assert!(out.starts_with('{') && out.trim_end().ends_with('}'), "{out}");
    assert_eq!(out.trim_end().lines().count(), 1, "one line");
    for want in [
        "\"programs\":[",
        "\"name\":\"rawbpf_maps_globals\"",
        "\"subprograms\":[\"record_pid\",\"add_to\",\"bump_calls\"]",
        concat!(
            "\"name\":\"rawbpf_counts\",\"type\":\"hash\",\"type_id\":1,",
            "\"key_size\":4,\"value_size\":8,\"max_entries\":128"
        ),
        "\"defined_in\":\".bss\"",
    ] {
        assert!(out.contains(want), "missing {want} in:\n{out}");
    }
}

#[test]
fn disasm_marks_helpers_sources_maps_and_calls() {
    let Some(o) = obj("maps_globals.o") else {
        return;
    };
    let out = ok(&["disasm", &o]);
    assert!(out.contains("call bpf_get_current_pid_tgid#14"), "{out}");
    // The full source path comes from DWARF (line_info keeps only what clang recorded).
    let header = out.lines().next().unwrap();
    assert!(header.contains("as in the ELF)  from /") && header.ends_with("/maps_globals.bpf.c"), "{out}");
    assert!(out.contains("\n; record_pid(pid); @ maps_globals.bpf.c:"), "no source line:\n{out}");
    assert!(out.contains("(18) r1 = 0x0  ; map maps_glo.rodata+0 (global variable)"), "{out}");
    assert!(out.contains("  ; call record_pid"), "{out}");
    assert!(out.contains("  ; call bump_calls"), "{out}");
    // As in the ELF: only the program's own function.
    assert!(!out.contains("(subprogram)"), "{out}");
    assert!(out.contains("  16: (95) exit"), "{out}");
}

#[test]
fn disasm_relocated_appends_labelled_subprograms_and_names_maps() {
    let Some(o) = obj("maps_globals.o") else {
        return;
    };
    let out = ok(&["disasm", &o, "--relocated", "--btf", &o]);
    let pos = |s: &str| out.find(s).unwrap_or_else(|| panic!("missing {s:?} in:\n{out}"));
    // Depth-first order, as libbpf links them.
    assert!(pos("record_pid (subprogram):") < pos("add_to (subprogram):"));
    assert!(pos("add_to (subprogram):") < pos("bump_calls (subprogram):"));
    assert!(out.contains("r1 = map[idx:0]  ; map rawbpf_counts"), "{out}");
    assert!(out.contains("r1 = map[idx:2]+4  ; map maps_glo.rodata+4 (global variable)"), "{out}");
    assert!(out.contains("   4: (85) call pc+12  ; call record_pid"), "{out}");
}

#[test]
fn disasm_relocated_core_shows_patched_offsets_and_poison() {
    let (Some(o), Some(t)) = (obj("core_demo.o"), obj("core_demo_target.o")) else {
        return;
    };
    let out = ok(&["disasm", &o, "--relocated", "--btf", &t, "--program", "demo_prog"]);
    assert!(out.contains("r2 = *(u32 *)(r1 +16)  ; CO-RE #0: field byte offset struct demo::pid"), "{out}");
    assert!(out.contains("CO-RE #7: field byte offset struct demo::removed (poisoned"), "{out}");
    // As in the ELF, the local offset is still there.
    let elf = ok(&["disasm", &o, "--btf", &t]);
    assert!(elf.contains("r2 = *(u32 *)(r1 +0)  ; CO-RE #0: field byte offset struct demo::pid"), "{elf}");
}

#[test]
fn unknown_program_lists_the_programs() {
    let Some(o) = obj("connect.o") else { return };
    let r = rawbpf(&["disasm", &o, "--program", "nope"]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("no program 'nope'"), "{err}");
    assert!(err.contains("rawbpf_fentry_connect, rawbpf_fexit_connect"), "{err}");
}

#[test]
fn unreadable_inputs_fail_with_a_message() {
    let dir = std::env::temp_dir().join(format!("rawbpf-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.o");
    std::fs::write(&junk, b"\x7fELF not really").unwrap();
    let junk = junk.display().to_string();
    for args in [
        vec!["inspect", "/nonexistent/x.o"],
        vec!["disasm", "/nonexistent/x.o"],
        vec!["inspect", &junk],
        vec!["disasm", &junk, "--relocated"],
    ] {
        let r = rawbpf(&args);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.starts_with("rawbpf ") && !err.contains("panicked"), "{args:?}: {err}");
    }
    if let Some(o) = obj("connect.o") {
        let r = rawbpf(&["inspect", &o, "--btf", "/nonexistent/btf"]);
        assert_eq!(r.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&r.stderr).contains("--btf /nonexistent/btf"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_explains_output_and_gives_examples() {
    for cmd in ["inspect", "disasm"] {
        let out = ok(&[cmd, "--help"]);
        assert!(out.contains("Examples:") && out.contains(&format!("rawbpf {cmd} progs/")), "{out}");
    }
}
