//! `rawbpf inspect` and `rawbpf disasm` on the objects progs-build compiles: what they list,
//! what CO-RE resolves to, the marks in listings, and their errors. No root needed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// Builds progs/*.o once per test binary; `false` without clang-19.
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

/// Whether progs/*.o are built; otherwise prints the one `SKIP: <test>: <reason>` line of `test`.
fn progs_or_skip(test: &str) -> bool {
    if progs_built() {
        return true;
    }
    println!("SKIP: {test}: clang-19 is not installed (progs/*.o cannot be built)");
    false
}

/// The path of a built object (after [`progs_or_skip`]).
fn obj(name: &str) -> String {
    root().join("progs").join(name).display().to_string()
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
    if !progs_or_skip("inspect_connect_lists_programs_kinds_targets_and_core") {
        return;
    }
    let o = obj("connect.o");
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

    // CO-RE against the object's own BTF is deterministic: skc_dport stays where the object's
    // BTF (from the vmlinux.h it was built with) has it.
    let local = skc_dport_offset(&btf::source::parse_raw_or_elf(std::fs::read(&o).unwrap()).unwrap());
    let own = ok(&["inspect", &o, "--btf", &o]);
    let line = own.lines().find(|l| l.contains("skc_dport")).unwrap_or_else(|| panic!("no skc_dport:\n{own}"));
    let unchanged = format!("local {local} → target {local} (unchanged)");
    assert!(line.contains("#1 field byte offset") && line.contains(&unchanged), "{line}");

    // Against the running kernel: the offset its BTF gives, whatever this build's layout is.
    match btf::source::vmlinux() {
        Ok(k) => {
            let want = skc_dport_offset(&k);
            let line = out.lines().find(|l| l.contains("skc_dport")).unwrap_or_else(|| panic!("no skc_dport:\n{out}"));
            assert!(line.contains("struct sock::__sk_common.skc_dport"), "{line}");
            let moved = format!("local {local} → target {want} (");
            assert!(line.contains(&moved), "kernel BTF puts skc_dport at {want}: {line}");
        }
        Err(e) => println!(
            "not checked here: inspect_connect_lists_programs_kinds_targets_and_core: CO-RE against the kernel: {e}"
        ),
    }
}

/// Byte offset of `sock.__sk_common.skc_dport` in `btf`.
fn skc_dport_offset(btf: &btf::Btf) -> u32 {
    let sock = btf.find_by_name_kind("sock", btf::Kind::Struct).expect("struct sock");
    let (_, common_bits) = btf.find_member(sock, "__sk_common").unwrap().expect("sock::__sk_common");
    let common = btf.find_by_name_kind("sock_common", btf::Kind::Struct).expect("struct sock_common");
    let (_, dport_bits) = btf.find_member(common, "skc_dport").unwrap().expect("sock_common::skc_dport");
    (common_bits + dport_bits) / 8
}

#[test]
fn inspect_core_demo_against_another_layout_shows_moves_and_poison() {
    if !progs_or_skip("inspect_core_demo_against_another_layout_shows_moves_and_poison") {
        return;
    }
    let (o, t) = (obj("core_demo.o"), obj("core_demo_target.o"));
    let out = ok(&["inspect", &o, "--btf", &t]);
    assert!(out.contains(&format!("CO-RE relocations (target {t})")), "{out}");
    let pid = out.lines().find(|l| l.contains("struct demo::pid ")).expect("pid relocation");
    assert!(pid.contains("local 0 → target 16 (moved)"), "{pid}");
    assert!(out.contains("field byte offset  struct demo::removed  (0:5)  local 48 → poisoned"), "{out}");
}

#[test]
fn inspect_json_is_one_document() {
    if !progs_or_skip("inspect_json_is_one_document") {
        return;
    }
    let o = obj("maps_globals.o");
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
    if !progs_or_skip("disasm_marks_helpers_sources_maps_and_calls") {
        return;
    }
    let o = obj("maps_globals.o");
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
    if !progs_or_skip("disasm_relocated_appends_labelled_subprograms_and_names_maps") {
        return;
    }
    let o = obj("maps_globals.o");
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
    if !progs_or_skip("disasm_relocated_core_shows_patched_offsets_and_poison") {
        return;
    }
    let (o, t) = (obj("core_demo.o"), obj("core_demo_target.o"));
    let out = ok(&["disasm", &o, "--relocated", "--btf", &t, "--program", "demo_prog"]);
    assert!(out.contains("r2 = *(u32 *)(r1 +16)  ; CO-RE #0: field byte offset struct demo::pid"), "{out}");
    assert!(out.contains("CO-RE #7: field byte offset struct demo::removed (poisoned"), "{out}");
    // As in the ELF, the local offset is still there.
    let elf = ok(&["disasm", &o, "--btf", &t]);
    assert!(elf.contains("r2 = *(u32 *)(r1 +0)  ; CO-RE #0: field byte offset struct demo::pid"), "{elf}");
}

#[test]
fn unknown_program_lists_the_programs() {
    if !progs_or_skip("unknown_program_lists_the_programs") {
        return;
    }
    let o = obj("connect.o");
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
    // The rest ran: without clang-19 only the real-object case is left out (not a skip).
    if progs_built() {
        let r = rawbpf(&["inspect", &obj("connect.o"), "--btf", "/nonexistent/btf"]);
        assert_eq!(r.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&r.stderr).contains("--btf /nonexistent/btf"));
    } else {
        println!("not checked here: unreadable_inputs_fail_with_a_message: a bad --btf on a real object (no clang-19)");
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

#[test]
fn inspect_shows_map_layouts_with_holes_padding_bitfields_and_packing() {
    if !progs_or_skip("inspect_shows_map_layouts_with_holes_padding_bitfields_and_packing") {
        return;
    }
    let o = obj("map_layout.o");
    let out = ok(&["inspect", &o, "--btf", &o]);
    let maps = &out[out.find("\nMaps (3)\n").expect("Maps heading")..];
    let maps = &maps[..maps.find("\n\n").map_or(maps.len(), |e| e + 1)];
    let want = "
Maps (3)
  [0] rawbpf_last_hdr  type array (2)  key 4 B  value 7 B  max_entries 1  flags 0x0  defined in .maps
      key __u32: 4 B
      value struct rawbpf_wire_hdr: 7 B, align 1 (packed)
             0      1 B  __u8 version
             1      4 B  __u32 length
             5      2 B  __u16 kind
        note: length sits at 1, off its 4-byte alignment: the struct is packed; declare it __attribute__((packed)) in user space too, or its members land at other offsets
        note: kind sits at 5, off its 2-byte alignment: the struct is packed; declare it __attribute__((packed)) in user space too, or its members land at other offsets
        note: sizeof is 7, a natural layout of these members is 12
  [1] rawbpf_flows  type hash (1)  key 12 B  value 24 B  max_entries 64  flags 0x0  defined in .maps
      key struct rawbpf_flow_key: 12 B, align 4
             0      1 B  __u8 proto
             1      3 B  (hole)
             4      4 B  __u32 addr
             8      2 B  __u16 port
            10      2 B  (tail padding)
        note: 5 padding byte(s) in a hash key: the map hashes every byte, so zero the whole key (memset) before filling it in, here and in the BPF program
      value struct rawbpf_flow_stats: 24 B, align 8
             0      8 B  __u64 packets
             8    1 bit  __u32 syn : 1
           8.1    1 bit  __u32 fin : 1
           8.2   6 bits  __u32 flags : 6
             9      7 B  (hole)
            16      8 B  __u64 last_ns
  [2] map_layo.rodata  type array (2)  key 4 B  value 24 B  max_entries 1  flags 0x80  defined in .rodata
";
    assert_eq!(maps, want);
    // The same facts in JSON, in bits.
    let doc: serde_json::Value = serde_json::from_str(&ok(&["inspect", &o, "--json", "--btf", &o])).unwrap();
    let key = &doc["maps"][1]["layout"]["key"];
    assert_eq!(key["type"], "struct rawbpf_flow_key");
    assert_eq!(key["holes"], serde_json::json!([{ "bit_offset": 8, "bits": 24 }]));
    assert_eq!(key["tail_padding_bits"], 16);
    assert_eq!(key["natural"], true);
    let hdr = &doc["maps"][0]["layout"]["value"];
    assert_eq!(hdr["natural"], false);
    assert_eq!(hdr["notes"][2], serde_json::json!({ "size": 7, "natural": 12 }));
    assert_eq!(doc["maps"][1]["layout"]["value"]["members"][2]["bit_offset"], 65);
    assert_eq!(doc["maps"][2]["layout"], serde_json::Value::Null);
}

#[test]
fn inspect_lists_globals_with_their_initial_values() {
    if !progs_or_skip("inspect_lists_globals_with_their_initial_values") {
        return;
    }
    let text = ok(&["inspect", &obj("globals.o")]);
    let section = text.split("\nGlobals (").nth(1).expect("a Globals part");
    assert!(section.starts_with("10; "), "{section}");
    let row = |name: &str| {
        section
            .lines()
            .find(|l| l.contains(&format!(" {name} ")) || l.contains(&format!(" {name}[")))
            .unwrap_or_else(|| panic!("no {name} in\n{section}"))
            .to_owned()
    };
    for (name, at, value) in [
        ("target_pid", ".rodata+0 (4 B)", "= 0"),
        ("greeting", ".rodata+4 (8 B)", "= \"hello\""),
        ("level", ".rodata+12 (4 B)", "= RAWBPF_NORMAL"),
        ("shift", ".rodata+24 (8 B)", "= -1"),
        ("ports", ".rodata+32 (8 B)", "= [22, 80, 0, 0]"),
        ("hits", ".bss+0 (8 B)", "= 0"),
    ] {
        let r = row(name);
        assert!(r.contains(at) && r.trim_end().ends_with(value), "{name}: {r}");
    }
    let json: serde_json::Value = serde_json::from_str(&ok(&["inspect", &obj("globals.o"), "--json"])).unwrap();
    let g = json["globals"].as_array().expect("globals array");
    let ports = g.iter().find(|v| v["name"] == "ports").expect("ports");
    assert_eq!((ports["offset"].as_u64(), ports["initial"].clone()), (Some(32), serde_json::json!([22, 80, 0, 0])));
    assert_eq!(ports["decl"], "volatile const __u16 ports[4]");
}

#[test]
fn inspect_shows_map_in_map_templates_and_initial_slots() {
    if !progs_or_skip("inspect_shows_map_in_map_templates_and_initial_slots") {
        return;
    }
    let text = ok(&["inspect", &obj("map_in_map.o")]);
    assert!(text.contains("      inner maps like: type array  key 4 B  value 8 B  max_entries 1\n"), "{text}");
    assert!(text.contains("      initial slots: [0] map rawbpf_inner_a, [2] map rawbpf_inner_b\n"), "{text}");
    assert!(text.contains("      initial slots: [1] program rawbpf_mim_tail\n"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&ok(&["inspect", &obj("map_in_map.o"), "--json"])).unwrap();
    let jump = json["maps"].as_array().unwrap().iter().find(|m| m["name"] == "rawbpf_jump").expect("rawbpf_jump");
    assert_eq!(jump["initial_slots"], serde_json::json!([{ "index": 1, "program": "rawbpf_mim_tail" }]));
}
