//! `rawbpf btf dump` end to end: the real binary over a hand-built BTF file (and the running
//! kernel's BTF when present), checking output text and exit codes.

mod scratch;

use std::path::Path;
use std::process::{Command, Output};

use btf::types::{Body, Func, FuncProto, Linkage, Param, Type};
use btf::BtfBuilder;
use scratch::{scratch, Scratch};

fn rawbpf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rawbpf")).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A BTF file: `struct sock`, `int tcp_connect(struct sock *sk)`, and two things named `dup`.
fn sample_file() -> Scratch {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true); // 1
    let uint = b.int("unsigned int", 4, false); // 2
    let long = b.int("long", 8, true); // 3
    let sock = b.composite("sock", false, 24, &[("a", int, 0, 0), ("b", long, 64, 0), ("f", uint, 128, 3)]); // 4
    let psock = b.ptr(sock); // 5
    let params = vec![Param { name: "sk", type_id: psock }];
    let proto = b.add(&Type { name: "", body: Body::FuncProto(FuncProto { ret: int, params }) }); // 6
    b.add(&Type { name: "tcp_connect", body: Body::Func(Func { proto, linkage: Linkage::Global }) }); // 7
    b.struct_("dup", 4, &[("x", int, 0)]); // 8
    b.add(&Type { name: "dup", body: Body::Typedef(int) }); // 9
    let path = scratch("cli-btf");
    std::fs::write(&path, b.build()).unwrap();
    path
}

fn file_arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn function_shows_id_linkage_and_prototype() {
    let f = sample_file();
    let o = rawbpf(&["btf", "dump", "tcp_connect", "--btf", file_arg(&f)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "/* FUNC [7] tcp_connect, linkage global */\nint tcp_connect(struct sock *sk);\n");
}

#[test]
fn struct_shows_offsets_sizes_holes_and_padding() {
    let f = sample_file();
    let o = rawbpf(&["btf", "dump", "sock", "--btf", file_arg(&f)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("/* STRUCT [4] sock, size 24, 3 members */\nstruct sock {\n\tint a;"), "{out}");
    assert!(out.contains("\tlong b;\t\t\t\t\t/*     8     8 */"), "{out}");
    assert!(out.contains("unsigned int f: 3;\t\t\t/*    16: 0    4 */"), "{out}");
    assert!(out.contains("/* XXX 4 bytes hole, try to pack */"), "{out}");
    assert!(out.contains("/* size: 24, members: 3, holes: 1, sum holes: 4 */"), "{out}");
    assert!(out.contains("/* padding: 61 bits */\n};\n"), "{out}");
}

#[test]
fn every_match_is_shown_and_kind_filters() {
    let f = sample_file();
    let o = rawbpf(&["btf", "dump", "dup", "--btf", file_arg(&f)]);
    let out = stdout(&o);
    assert!(out.contains("/* STRUCT [8] dup") && out.contains("/* TYPEDEF [9] dup"), "{out}");
    assert!(out.contains("typedef int dup;"), "{out}");
    let o = rawbpf(&["btf", "dump", "dup", "--kind", "typedef", "--btf", file_arg(&f)]);
    let out = stdout(&o);
    assert!(!out.contains("STRUCT") && out.contains("TYPEDEF [9]"), "{out}");
    let o = rawbpf(&["btf", "dump", "dup", "--kind", "union", "--btf", file_arg(&f)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("'dup' exists as: STRUCT [8], TYPEDEF [9]"), "{}", stderr(&o));
}

#[test]
fn unknown_name_fails_with_suggestions() {
    let f = sample_file();
    let o = rawbpf(&["btf", "dump", "tcp_conect", "--btf", file_arg(&f)]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("no type named 'tcp_conect'"), "{err}");
    assert!(err.contains("did you mean:\n    tcp_connect (FUNC)"), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn raw_and_json_formats() {
    let f = sample_file();
    let o = rawbpf(&["btf", "dump", "tcp_connect", "--format", "raw", "--btf", file_arg(&f)]);
    assert_eq!(
        stdout(&o),
        "[7] FUNC 'tcp_connect' type_id=6 linkage=global\n[6] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'sk' type_id=5\n"
    );
    let o = rawbpf(&["btf", "dump", "sock", "--format", "raw", "--btf", file_arg(&f)]);
    assert!(stdout(&o).contains("\t'f' type_id=2 bits_offset=128 bitfield_size=3\n"), "{}", stdout(&o));
    let o = rawbpf(&["btf", "dump", "tcp_connect", "--format", "json", "--btf", file_arg(&f)]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "one JSON document: {out}");
    assert!(out.starts_with("{\"btf\":"), "{out}");
    assert!(out.contains("\"query\":\"tcp_connect\""), "{out}");
    assert!(out.contains("\"id\":7,\"kind\":\"FUNC\",\"name\":\"tcp_connect\",\"linkage\":\"global\""), "{out}");
    assert!(out.contains("\"prototype\":\"int tcp_connect(struct sock *sk)\""), "{out}");
    assert!(out.contains("{\"name\":\"sk\",\"type_id\":5,\"type\":\"struct sock *\"}"), "{out}");
}

#[test]
fn all_as_c_is_a_header() {
    let f = sample_file();
    let o = rawbpf(&["btf", "dump", "--all", "--format", "c", "--btf", file_arg(&f)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n"), "{out}");
    assert!(out.contains("struct sock {\n\tint a;\n\tlong b;\n\tunsigned int f: 3;\n};"), "{out}");
    assert!(out.contains("typedef int dup;") && out.contains("struct dup {"), "{out}");
    assert!(out.ends_with("#endif /* __VMLINUX_H__ */\n"), "{out}");
}

#[test]
fn usage_and_io_errors_have_distinct_exit_codes() {
    assert_eq!(rawbpf(&["btf", "dump"]).status.code(), Some(2));
    assert_eq!(rawbpf(&["btf", "dump", "x", "--format", "yaml"]).status.code(), Some(2));
    assert_eq!(rawbpf(&["btf", "dump", "x", "--kind", "structure"]).status.code(), Some(2));
    let o = rawbpf(&["btf", "dump", "x", "--btf", "/nonexistent/file.btf"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot read /nonexistent/file.btf"), "{}", stderr(&o));
    let o = rawbpf(&["btf", "dump", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("CONFIG_DEBUG_INFO_BTF") && stdout(&o).contains("Examples:"), "{}", stdout(&o));
}

#[test]
fn missing_kernel_btf_is_explained() {
    let e = btf::source::vmlinux_at(Path::new("/nonexistent/btf/vmlinux")).unwrap_err();
    // The library says what it means; the way out (`--btf`) is the binary's (render::error).
    let msg = e.to_string();
    assert!(msg.contains("does not exist") && msg.contains("CONFIG_DEBUG_INFO_BTF"), "{msg}");
}

#[test]
fn elf_objects_are_read_through_their_btf_section() {
    if Command::new("clang-19").arg("--version").output().is_err() {
        println!("SKIP: elf_objects_are_read_through_their_btf_section: clang-19 not installed");
        return;
    }
    let dir = scratch("cli-elf");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("p.c");
    std::fs::write(&src, "struct pkt { char tag; long len; } __attribute__((packed));\nstruct pkt g;\n").unwrap();
    let obj = dir.join("p.o");
    let st = Command::new("clang-19").args(["-target", "bpf", "-g", "-O2", "-c", "-o"]).arg(&obj).arg(&src).status();
    assert!(st.unwrap().success());
    let o = rawbpf(&["btf", "dump", "pkt", "--btf", obj.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("long len;") && out.contains("/*     1     8 */"), "{out}");
    assert!(out.contains("} __attribute__((packed));"), "{out}");
}

#[test]
fn kernel_tcp_connect() {
    if !Path::new(btf::source::VMLINUX_BTF).exists() {
        println!("SKIP: kernel_tcp_connect: no {}", btf::source::VMLINUX_BTF);
        return;
    }
    let o = rawbpf(&["btf", "dump", "tcp_connect", "--kind", "func"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("/* FUNC ["), "{out}");
    assert!(
        out.ends_with("tcp_connect, linkage static */\nint tcp_connect(struct sock *sk);\n")
            || out.ends_with("tcp_connect, linkage global */\nint tcp_connect(struct sock *sk);\n"),
        "{out}"
    );
}
