//! `rawbpf btf diff` end to end over BTF files made here: the text and JSON reports, the errors, and with
//! `--object`, which of core_move.o's CO-RE relocations (task_struct's pid and tgid) a change touches.

#[allow(dead_code)] // only build_progs and root are used here
mod common;
mod scratch;

use std::path::Path;
use std::process::{Command, Output};

use btf::BtfBuilder;
use scratch::{scratch, Scratch};

fn rawbpf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rawbpf")).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A BTF with `struct task_struct { int pid; int tgid; char comm[16]; }` at the offsets (bytes) given,
/// and `enum state { RUNNING = 0, DEAD = dead }`.
fn btf_file(tag: &str, pid: u32, tgid: u32, comm: u32, dead: u64) -> Scratch {
    use btf::types::{Array, Body, Enum, EnumValue, Type};
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true);
    let ch = b.int("char", 1, true);
    let arr = b.add(&Type { name: "", body: Body::Array(Array { elem: ch, index: int, nelems: 16 }) });
    let size = [pid + 4, tgid + 4, comm + 16].into_iter().max().unwrap().next_multiple_of(8);
    b.struct_("task_struct", size, &[("pid", int, pid * 8), ("tgid", int, tgid * 8), ("comm", arr, comm * 8)]);
    let values = vec![EnumValue { name: "RUNNING", value: 0 }, EnumValue { name: "DEAD", value: dead }];
    b.add(&Type { name: "state", body: Body::Enum(Enum { size: 4, signed: false, values }) });
    let path = scratch(&format!("diff-{tag}"));
    std::fs::write(&path, b.build()).unwrap();
    path
}

fn diff(name: &str, a: &Path, b: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["btf", "diff", name, "--btf", a.to_str().unwrap(), "--btf", b.to_str().unwrap()];
    args.extend_from_slice(extra);
    rawbpf(&args)
}

#[test]
fn struct_changes_are_listed_with_offsets() {
    let a = btf_file("a1", 0, 4, 8, 2);
    let b = btf_file("b1", 8, 4, 16, 2);
    let o = diff("task_struct", &a, &b, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let body: Vec<&str> = out.lines().skip(2).collect();
    assert_eq!(
        body,
        [
            "struct task_struct: size 24, 3 members in A; size 32, 3 members in B",
            "  ~ pid                      offset 0 -> 8",
            "  ~ comm                     offset 8 -> 16",
            "  (1 members unchanged)",
        ],
        "{out}"
    );
}

#[test]
fn enum_and_json_and_no_differences() {
    let a = btf_file("a2", 0, 4, 8, 2);
    let b = btf_file("b2", 0, 4, 8, 3);
    let o = diff("state", &a, &b, &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let doc: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    assert_eq!(doc["kind"], "enum");
    assert_eq!(doc["changes"], serde_json::json!(["~ DEAD = 2 -> 3"]));
    assert_eq!(doc["differs"], true);
    let o = diff("task_struct", &a, &b, &[]);
    assert!(text(&o.stdout).ends_with("  no differences\n"), "{}", text(&o.stdout));
}

#[test]
fn missing_type_and_wrong_arity_fail() {
    let a = btf_file("a3", 0, 4, 8, 2);
    let o = diff("nope", &a, &a, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("no struct, union, enum or function named 'nope' in A"), "{}", text(&o.stderr));
    let o = rawbpf(&["btf", "diff", "task_struct", "--btf", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("takes two --btf files"), "{}", text(&o.stderr));
}

#[test]
fn object_relocations_through_moved_members_are_listed() {
    if std::process::Command::new("clang-19").arg("--version").output().is_err() {
        return println!("SKIP: object_relocations_through_moved_members_are_listed: clang-19 is not installed");
    }
    common::build_progs();
    let obj = common::root().join("progs/core_move.o");
    let obj = obj.to_str().unwrap();
    let a = btf_file("a4", 0, 4, 8, 2);
    // pid moves; tgid stays; comm (which core_move.o does not read) moves too.
    let b = btf_file("b4", 8, 4, 16, 2);
    let o = diff("task_struct", &a, &b, &["--object", obj, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let doc: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    let touched = doc["relocations"]["touched"].as_array().unwrap();
    assert!(doc["relocations"]["total"].as_u64().unwrap() >= 3, "{doc}");
    assert!(!touched.is_empty(), "{doc}");
    for t in touched {
        assert_eq!(t["access"], "struct task_struct::pid", "{doc}");
        assert_eq!(t["reason"], "pid: offset 0 -> 8", "{doc}");
    }
    // Only comm moves: nothing the object reads.
    let c = btf_file("c4", 0, 4, 16, 2);
    let o = diff("task_struct", &a, &c, &["--object", obj]);
    assert!(text(&o.stdout).contains("the differences touch: 0 of "), "{}", text(&o.stdout));
}
