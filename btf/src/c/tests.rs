//! C output over hand-built BTF: declarators, padding, packing, order, names.

use super::decl::{decl, type_name};
use super::{describe, func_prototype, write_header};
use crate::types::*;
use crate::write::BtfBuilder;
use crate::Btf;

fn proto(b: &mut BtfBuilder, ret: TypeId, params: &[(&str, TypeId)]) -> TypeId {
    let params = params.iter().map(|&(name, type_id)| Param { name, type_id }).collect();
    b.add(&Type { name: "", body: Body::FuncProto(FuncProto { ret, params }) })
}

fn wrap(b: &mut BtfBuilder, body: Body<'static>) -> TypeId {
    b.add(&Type { name: "", body })
}

fn array(b: &mut BtfBuilder, elem: TypeId, index: TypeId, n: u32) -> TypeId {
    wrap(b, Body::Array(Array { elem, index, nelems: n }))
}

fn header(btf: &Btf) -> String {
    let mut out = Vec::new();
    write_header(btf, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn declarators_put_parentheses_and_const_where_c_needs_them() {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true); // 1
    let ch = b.int("char", 1, true); // 2
    let cint = wrap(&mut b, Body::Const(int)); // 3
    let p_cint = b.ptr(cint); // 4
    let cp_cint = wrap(&mut b, Body::Const(p_cint)); // 5
    let pch = b.ptr(ch); // 6
    let arr_pch = array(&mut b, pch, int, 4); // 7
    let fp = proto(&mut b, int, &[("", pch), ("", TypeId::VOID)]); // 8: int (char *, ...)
    let pfp = b.ptr(fp); // 9
    let arr_pfp = array(&mut b, pfp, int, 2); // 10
    let arr3 = array(&mut b, int, int, 3); // 11
    let p_arr3 = b.ptr(arr3); // 12
    let arr23 = array(&mut b, arr3, int, 2); // 13
    let void_fn = proto(&mut b, TypeId::VOID, &[]); // 14
    let p_void_fn = b.ptr(void_fn); // 15
    let ret_fp = proto(&mut b, pfp, &[("x", int)]); // 16: returns a function pointer
    let p_ret_fp = b.ptr(ret_fp); // 17
    let btf = Btf::parse(b.build()).unwrap();
    let d = |id, n| decl(&btf, id, n).unwrap();
    assert_eq!(d(p_cint, "p"), "const int *p");
    assert_eq!(d(cp_cint, "p"), "const int * const p");
    assert_eq!(d(arr_pch, "argv"), "char *argv[4]");
    assert_eq!(d(pfp, "cb"), "int (*cb)(char *, ...)");
    assert_eq!(d(arr_pfp, "table"), "int (*table[2])(char *, ...)");
    assert_eq!(d(p_arr3, "rows"), "int (*rows)[3]");
    assert_eq!(d(arr23, "m"), "int m[2][3]");
    assert_eq!(d(p_void_fn, "f"), "void (*f)(void)");
    assert_eq!(d(p_ret_fp, "g"), "int (* (*g)(int x))(char *, ...)");
    assert_eq!(type_name(&btf, pch).unwrap(), "char *");
    assert_eq!(type_name(&btf, pfp).unwrap(), "int (*)(char *, ...)");
}

#[test]
fn func_prototype_has_parameter_names() {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true);
    let sock = b.struct_("sock", 4, &[("a", int, 0)]);
    let psock = b.ptr(sock);
    let p = proto(&mut b, int, &[("sk", psock)]);
    let f = b.add(&Type { name: "tcp_connect", body: Body::Func(Func { proto: p, linkage: Linkage::Global }) });
    let btf = Btf::parse(b.build()).unwrap();
    assert_eq!(func_prototype(&btf, f).unwrap(), "int tcp_connect(struct sock *sk)");
    let text = describe(&btf, f).unwrap();
    assert_eq!(text, format!("/* FUNC [{f}] tcp_connect, linkage global */\nint tcp_connect(struct sock *sk);\n"));
}

#[test]
fn annotated_struct_shows_offsets_bitfields_holes_and_padding() {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true);
    let long = b.int("long", 8, true);
    let uint = b.int("unsigned int", 4, false);
    let inner = b.composite("", true, 8, &[("l", long, 0, 0), ("i", int, 0, 0)]);
    let s = b.composite(
        "s",
        false,
        32,
        &[("a", int, 0, 0), ("", inner, 64, 0), ("f", uint, 128, 3), ("g", uint, 131, 5), ("z", int, 160, 0)],
    );
    let btf = Btf::parse(b.build()).unwrap();
    let text = describe(&btf, s).unwrap();
    assert!(text.starts_with(&format!("/* STRUCT [{s}] s, size 32, 5 members */\nstruct s {{\n")), "{text}");
    assert!(text.contains("/* XXX 4 bytes hole, try to pack */"), "{text}");
    assert!(text.contains("\tunion {\n\t\tlong l;"), "{text}");
    assert!(text.contains("/*     8     8 */"), "nested member at absolute offset 8: {text}");
    assert!(text.contains("unsigned int g: 5;"), "{text}");
    assert!(text.contains("/*    16: 3    4 */"), "bitfield g at byte 16 bit 3: {text}");
    assert!(text.contains("/* size: 32, members: 5, holes: 2, sum holes: 7 */"), "{text}");
    assert!(text.contains("/* XXX 3 bytes hole, try to pack */"), "{text}");
    assert!(text.contains("/* padding: 8 */"), "{text}");
}

#[test]
fn header_pads_packs_and_orders() {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true); // 1
    let ch = b.int("char", 1, true); // 2
    let long = b.int("long", 8, true); // 3
                                       // struct node { struct node *next; struct pair p; } needs pair defined first, node declared.
    let node_fwd_ptr = TypeId::new(b.next_id().get() + 2); // 6 = ptr to node (added below)
    let pair = b.struct_("pair", 16, &[("a", int, 0), ("b", long, 64)]); // 4
    let node = b.struct_("node", 24, &[("next", node_fwd_ptr, 0), ("p", pair, 64)]); // 5
    let pnode = b.ptr(node); // 6
    assert_eq!(pnode, node_fwd_ptr);
    let packed = b.struct_("pk", 5, &[("c", ch, 0), ("i", int, 8)]); // 7
    let gap = b.struct_("gap", 16, &[("a", int, 0), ("b", int, 96)]); // 8: b at 12, not 4
    let btf = Btf::parse(b.build()).unwrap();
    let h = header(&btf);
    let pair_at = h.find("struct pair {").unwrap();
    let node_at = h.find("struct node {").unwrap();
    assert!(pair_at < node_at, "{h}");
    assert!(h.contains("struct pk {\n\tchar c;\n\tint i;\n} __attribute__((packed));"), "{h}");
    assert!(h.contains("struct gap {\n\tint a;\n\tlong: 0;\n\tint: 32;\n\tint b;\n};"), "{h}");
    assert!(h.starts_with("#ifndef __VMLINUX_H__"));
    assert!(h.contains("#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)"));
    let _ = (packed, gap);
}

#[test]
fn mutually_referencing_structs_get_a_forward_declaration() {
    let mut b = BtfBuilder::new();
    let a_id = b.next_id();
    let pa = TypeId::new(a_id.get() + 2);
    let pb = TypeId::new(a_id.get() + 3);
    b.struct_("a", 8, &[("b", pb, 0)]);
    b.struct_("b", 8, &[("a", pa, 0)]);
    b.ptr(a_id);
    b.ptr(TypeId::new(a_id.get() + 1));
    let btf = Btf::parse(b.build()).unwrap();
    let h = header(&btf);
    let fwd = h.find("struct b;\n").expect(&h);
    assert!(fwd < h.find("struct a {").unwrap(), "{h}");
    assert!(h.contains("struct a {\n\tstruct b *b;\n};"), "{h}");
}

#[test]
fn clashing_names_get_suffixes_and_enums_get_sizes() {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true);
    b.struct_("dup", 4, &[("x", int, 0)]);
    b.struct_("dup", 8, &[("y", int, 32)]);
    let small = Enum { size: 1, signed: false, values: vec![EnumValue { name: "A", value: 1 }] };
    b.add(&Type { name: "e1", body: Body::Enum(small) });
    let neg = Enum { size: 8, signed: true, values: vec![EnumValue { name: "M", value: i64::MIN as u64 }] };
    b.add(&Type { name: "e64", body: Body::Enum64(neg) });
    let dup_val = Enum { size: 4, signed: false, values: vec![EnumValue { name: "A", value: 2 }] };
    b.add(&Type { name: "e2", body: Body::Enum(dup_val) });
    let btf = Btf::parse(b.build()).unwrap();
    let h = header(&btf);
    assert!(h.contains("struct dup {\n\tint x;\n};"), "{h}");
    assert!(h.contains("struct dup___2 {\n\tint: 32;\n\tint y;\n};"), "{h}");
    assert!(h.contains("enum e1 {\n\tA = 1,\n} __attribute__((mode(byte)));"), "{h}");
    assert!(h.contains("M = (-9223372036854775807LL - 1),\n};"), "{h}");
    assert!(h.contains("A___2 = 2,"), "{h}");
}

#[test]
fn cycles_are_errors_not_hangs() {
    let mut b = BtfBuilder::new();
    // A pointer to itself, and a struct containing itself by value.
    let p = b.next_id();
    b.ptr(p);
    let s = b.next_id();
    b.struct_("loop", 4, &[("x", s, 0)]);
    let btf = Btf::parse(b.build()).unwrap();
    assert!(matches!(decl(&btf, p, "x"), Err(super::CError::TooDeep { .. })));
    let mut out = Vec::new();
    let e = write_header(&btf, &mut out).unwrap_err();
    assert!(matches!(e, super::CError::TooDeep { .. }), "{e:?}");
}
