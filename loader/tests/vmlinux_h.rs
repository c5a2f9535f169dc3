//! Proof that the generated header is right: clang must agree with BTF on `sizeof` of every
//! struct, union and enum, and `offsetof` of every named member, checked by `_Static_assert`s
//! compiled for the BPF target. Runs on the running kernel's BTF and on hand-built edge cases.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use btf::c::HeaderWriter;
use btf::types::{Array, Body, Enum, EnumValue, Func, FuncProto, Linkage, Param, Type};
use btf::{Btf, BtfBuilder, TypeId};

const CLANG: &str = "clang-19";

fn have_clang() -> bool {
    Command::new(CLANG).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Named non-bitfield members with their bit offsets, looking into anonymous members as C does.
fn named_members(btf: &Btf, id: TypeId, base: u32, out: &mut Vec<(String, u32)>) {
    let Ok(t) = btf.type_by_id(btf.skip_mods_and_typedefs(id).unwrap()) else {
        return;
    };
    let Some(members) = t.members() else { return };
    for m in members {
        if m.name.is_empty() {
            named_members(btf, m.type_id, base + m.bit_offset, out);
        } else if m.bitfield_size == 0 {
            out.push((m.name.to_owned(), base + m.bit_offset));
        }
    }
}

/// The header, a C file that includes it and asserts BTF's layout for every type it defined,
/// the number of assertions, and the ids of the types given a `sizeof` assertion.
fn header_and_asserts(btf: &Btf) -> (String, String, usize, std::collections::HashSet<TypeId>) {
    let mut w = HeaderWriter::new(btf);
    let mut header = Vec::new();
    w.write(&mut header).unwrap();
    let mut c = String::from("#include \"vmlinux.h\"\n");
    let mut n = 0;
    let mut sized = std::collections::HashSet::new();
    for id in btf.ids() {
        if !w.is_defined(id) {
            continue;
        }
        let t = btf.type_by_id(id).unwrap();
        let Some(name) = w.c_name(id) else { continue };
        let (tag, size) = match &t.body {
            Body::Struct(s) => ("struct", s.size),
            Body::Union(u) => ("union", u.size),
            Body::Enum(e) | Body::Enum64(e) if !e.values.is_empty() => ("enum", e.size),
            _ => continue,
        };
        writeln!(c, "_Static_assert(sizeof({tag} {name}) == {size}, \"sizeof {tag} {name} [{id}]\");").unwrap();
        n += 1;
        sized.insert(id);
        if tag == "enum" {
            continue;
        }
        let mut members = Vec::new();
        named_members(btf, id, 0, &mut members);
        for (m, bits) in members {
            let off = bits / 8;
            writeln!(c, "_Static_assert(__builtin_offsetof({tag} {name}, {m}) == {off}, \"{name}.{m} [{id}]\");")
                .unwrap();
            n += 1;
        }
    }
    (String::from_utf8(header).unwrap(), c, n, sized)
}

fn compile(dir: &Path, header: &str, asserts: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("vmlinux.h"), header).unwrap();
    std::fs::write(dir.join("layout.c"), asserts).unwrap();
    let out = Command::new(CLANG)
        .args(["-target", "bpf", "-g", "-O2", "-fsyntax-only", "-ferror-limit=50"])
        .arg(dir.join("layout.c"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "clang rejected the header or a layout assertion ({}):\n{stderr}", dir.display());
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rawbpf-{name}-{}", std::process::id()))
}

#[test]
fn kernel_header_matches_btf_layout_for_every_type() {
    let path = Path::new(btf::source::VMLINUX_BTF);
    if !path.exists() {
        println!(
            "SKIP: kernel_header_matches_btf_layout_for_every_type: {} absent (kernel without CONFIG_DEBUG_INFO_BTF)",
            path.display()
        );
        return;
    }
    if !have_clang() {
        println!("SKIP: kernel_header_matches_btf_layout_for_every_type: {CLANG} not installed");
        return;
    }
    let btf = btf::source::vmlinux().unwrap();
    let (header, asserts, n, sized) = header_and_asserts(&btf);
    // The header must define (and so assert) every named struct, union and enum this kernel's
    // BTF has, however many that is.
    let named: Vec<TypeId> = btf
        .ids()
        .filter(|&id| {
            let t = btf.type_by_id(id).unwrap();
            !t.name.is_empty()
                && match &t.body {
                    Body::Struct(_) | Body::Union(_) => true,
                    Body::Enum(e) | Body::Enum64(e) => !e.values.is_empty(),
                    _ => false,
                }
        })
        .collect();
    let missing: Vec<&TypeId> = named.iter().filter(|id| !sized.contains(id)).collect();
    assert!(
        !named.is_empty() && missing.is_empty(),
        "{} of {} named types not defined: {missing:?}",
        missing.len(),
        named.len()
    );
    assert!(n > named.len(), "only {n} assertions for {} named types: no member offsets checked", named.len());
    let dir = scratch("vmlinux-h");
    compile(&dir, &header, &asserts);
    std::fs::remove_dir_all(&dir).ok();
}

fn wrap(b: &mut BtfBuilder, name: &'static str, body: Body<'static>) -> TypeId {
    b.add(&Type { name, body })
}

/// Hand-built BTF with the layouts that need care.
fn edge_cases() -> Btf {
    let mut b = BtfBuilder::new();
    let ch = b.int("char", 1, true);
    let int = b.int("int", 4, true);
    let uint = b.int("unsigned int", 4, false);
    let long = b.int("long", 8, true);
    let short = b.int("short", 2, true);
    // Packed: a long right after a char.
    b.composite("packed_s", false, 9, &[("c", ch, 0, 0), ("l", long, 8, 0)]);
    // Bitfields with gaps, then a plain member after a partial byte.
    b.composite(
        "bits",
        false,
        16,
        &[("a", uint, 0, 3), ("b", uint, 5, 7), ("c", uint, 40, 1), ("s", short, 64, 0), ("d", uint, 96, 20)],
    );
    // Anonymous union inside a struct, and an anonymous struct inside that union.
    let in_s = b.composite("", false, 8, &[("x", int, 0, 0), ("y", int, 32, 0)]);
    let u = b.composite("", true, 8, &[("l", long, 0, 0), ("", in_s, 0, 0)]);
    b.composite("with_anon", false, 24, &[("tag", ch, 0, 0), ("", u, 64, 0), ("tail", short, 128, 0)]);
    // Function pointers and an array of them.
    let pch = b.ptr(ch);
    let params = vec![Param { name: "", type_id: pch }, Param { name: "", type_id: long }];
    let proto = wrap(&mut b, "", Body::FuncProto(FuncProto { ret: int, params }));
    let pfn = b.ptr(proto);
    let fn_arr = wrap(&mut b, "", Body::Array(Array { elem: pfn, index: int, nelems: 5 }));
    let cpch = wrap(&mut b, "", Body::Const(pch));
    let str_arr = wrap(&mut b, "", Body::Array(Array { elem: cpch, index: int, nelems: 3 }));
    b.composite("ops", false, 72, &[("cb", pfn, 0, 0), ("table", fn_arr, 64, 0), ("names", str_arr, 384, 0)]);
    wrap(&mut b, "handler_t", Body::Typedef(pfn));
    // Enum64 with a value needing 64 bits, a 1-byte enum, a signed 8-byte enum of small values.
    let big = EnumValue { name: "BIG", value: 1 << 40 };
    wrap(&mut b, "e64", Body::Enum64(Enum { size: 8, signed: false, values: vec![big] }));
    let one = EnumValue { name: "ONE", value: 1 };
    wrap(&mut b, "tiny", Body::Enum(Enum { size: 1, signed: false, values: vec![one] }));
    let neg = EnumValue { name: "NEG", value: -5i64 as u64 };
    wrap(&mut b, "wide", Body::Enum64(Enum { size: 8, signed: true, values: vec![neg] }));
    // A struct only ever forward-declared, used through a pointer.
    let fwd = wrap(&mut b, "opaque", Body::Fwd { is_union: false });
    let pfwd = b.ptr(fwd);
    b.composite("holder", false, 16, &[("o", pfwd, 0, 0), ("n", int, 64, 0)]);
    // Trailing padding beyond the natural size, and a member at a cacheline boundary.
    let tp = b.composite("tail_pad", false, 64, &[("a", int, 0, 0)]);
    b.composite("aligned_member", false, 128, &[("c", ch, 0, 0), ("t", tp, 512, 0)]);
    // A function, which the header leaves out.
    let fproto = wrap(&mut b, "", Body::FuncProto(FuncProto { ret: TypeId::VOID, params: vec![] }));
    wrap(&mut b, "some_func", Body::Func(Func { proto: fproto, linkage: Linkage::Global }));
    Btf::parse(b.build()).unwrap()
}

#[test]
fn edge_case_layouts_compile_to_btf_offsets() {
    if !have_clang() {
        println!("SKIP: edge_case_layouts_compile_to_btf_offsets: {CLANG} not installed");
        return;
    }
    let btf = edge_cases();
    let (header, asserts, n, _) = header_and_asserts(&btf);
    assert!(header.contains("} __attribute__((packed));"), "{header}");
    assert!(header.contains("int (*table[5])(char *, long);"), "{header}");
    assert!(header.contains("char * const names[3];"), "{header}");
    assert!(header.contains("struct opaque;"), "{header}");
    assert!(header.contains("} __attribute__((mode(byte)));"), "{header}");
    assert!(!header.contains("some_func"), "functions are not part of the header");
    assert!(n >= 25, "{n} assertions\n{asserts}");
    let dir = scratch("edge-h");
    compile(&dir, &header, &asserts);
    std::fs::remove_dir_all(&dir).ok();
}
