//! Pairs of BTFs made with [`BtfBuilder`]: the same names with members moved, resized, retyped, added and
//! removed; the diff must name exactly those, and a relocation must be touched exactly when its path is.

use super::*;
use crate::core::{CoreRelo, RelocKind};
use crate::ext::ExtSection;
use crate::types::{Body, Enum, EnumValue, Func, FuncProto, Linkage, Param, Type};
use crate::write::BtfBuilder;

/// `struct task { int pid; int tgid; union { long a; int b; }; unsigned flags: 3; }` (A) and its B:
/// pid becomes long, tgid moves, b goes, a moves, `prio` arrives, flags widens.
fn pair() -> (Btf, Btf) {
    let mut a = BtfBuilder::new();
    let int = a.int("int", 4, true);
    let long = a.int("long", 8, true);
    let uint = a.int("unsigned int", 4, false);
    let anon = a.composite("", true, 8, &[("a", long, 0, 0), ("b", int, 0, 0)]);
    a.composite(
        "task",
        false,
        24,
        &[("pid", int, 0, 0), ("tgid", int, 32, 0), ("", anon, 64, 0), ("flags", uint, 128, 3)],
    );
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true);
    let long = b.int("long", 8, true);
    let uint = b.int("unsigned int", 4, false);
    let anon = b.composite("", true, 8, &[("a", long, 0, 0)]);
    b.composite(
        "task",
        false,
        40,
        &[
            ("pid", long, 0, 0),
            ("tgid", int, 64, 0),
            ("", anon, 128, 0),
            ("prio", int, 192, 0),
            ("flags", uint, 224, 5),
        ],
    );
    (Btf::parse(a.build()).unwrap(), Btf::parse(b.build()).unwrap())
}

fn composite(d: TypeDiff) -> CompositeDiff {
    match d {
        TypeDiff::Composite(c) => c,
        other => panic!("{other:?}"),
    }
}

#[test]
fn struct_members_added_removed_moved_resized_retyped() {
    let (a, b) = pair();
    let d = composite(diff(&a, &b, "task", None).unwrap());
    assert_eq!((d.old_size, d.new_size, d.old_members, d.new_members), (24, 40, 5, 5));
    let summary: Vec<String> = d
        .changes
        .iter()
        .map(|c| match c {
            MemberChange::Added(m) => format!("+{} @{} {}", m.name, m.offset_text(), m.type_name),
            MemberChange::Removed(m) => format!("-{} @{} {}", m.name, m.offset_text(), m.type_name),
            MemberChange::Changed { old, new } => format!(
                "~{} @{}->{} {}->{} {} {}",
                new.name,
                old.offset_text(),
                new.offset_text(),
                old.size,
                new.size,
                old.type_name,
                new.type_name
            ),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "~pid @0->0 4->8 int long",
            "~tgid @4->8 4->4 int int",
            "~a @8->16 8->8 long long",
            "+prio @24 int",
            "~flags @16:0->28:0 4->4 unsigned int unsigned int",
            "-b @8 int",
        ]
    );
    let MemberChange::Changed { old, new } = &d.changes[4] else { panic!() };
    assert_eq!((old.bitfield_size, new.bitfield_size), (3, 5));
}

#[test]
fn identical_types_give_an_empty_diff() {
    let (a, _) = pair();
    let d = diff(&a, &a, "task", None).unwrap();
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn missing_and_kind_changed_are_errors() {
    let (a, b) = pair();
    assert!(matches!(diff(&a, &b, "nope", None), Err(DiffError::NotFound { side: Side::A, .. })));
    let mut c = BtfBuilder::new();
    c.int("int", 4, true);
    c.add(&Type { name: "task", body: Body::Enum(Enum { size: 4, signed: false, values: vec![] }) });
    let c = Btf::parse(c.build()).unwrap();
    assert!(matches!(diff(&a, &c, "task", None), Err(DiffError::KindChanged { a: Kind::Struct, b: Kind::Enum, .. })));
    assert!(matches!(diff(&a, &b, "task", Some(Kind::Typedef)), Err(DiffError::KindNotCompared { .. })));
}

fn enum_btf(values: &[(&str, u64)]) -> Btf {
    let mut b = BtfBuilder::new();
    let values = values.iter().map(|&(name, value)| EnumValue { name, value }).collect();
    b.add(&Type { name: "state", body: Body::Enum(Enum { size: 4, signed: true, values }) });
    Btf::parse(b.build()).unwrap()
}

#[test]
fn enumerators_added_removed_changed() {
    let a = enum_btf(&[("RUNNING", 0), ("SLEEPING", 1), ("DEAD", 2)]);
    let b = enum_btf(&[("RUNNING", 0), ("DEAD", 4), ("IDLE", u32::MAX as u64)]);
    let TypeDiff::Enum(d) = diff(&a, &b, "state", None).unwrap() else { panic!() };
    assert_eq!(
        d.changes,
        [
            EnumeratorChange::Changed { name: "DEAD".into(), old: 2, new: 4 },
            EnumeratorChange::Added("IDLE".into(), -1),
            EnumeratorChange::Removed("SLEEPING".into(), 1),
        ]
    );
}

fn func_btf(params: &[(&str, bool)]) -> Btf {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true);
    let long = b.int("long", 8, true);
    let params = params.iter().map(|&(name, wide)| Param { name, type_id: if wide { long } else { int } }).collect();
    let proto = b.add(&Type { name: "", body: Body::FuncProto(FuncProto { ret: int, params }) });
    b.add(&Type { name: "do_it", body: Body::Func(Func { proto, linkage: Linkage::Global }) });
    Btf::parse(b.build()).unwrap()
}

#[test]
fn function_parameters_by_position() {
    let a = func_btf(&[("x", false), ("y", false)]);
    let b = func_btf(&[("x", true), ("y", false), ("z", false)]);
    let TypeDiff::Func(d) = diff(&a, &b, "do_it", None).unwrap() else { panic!() };
    assert_eq!(d.old_prototype, "int do_it(int x, int y)");
    assert_eq!(d.new_prototype, "int do_it(long x, int y, int z)");
    assert_eq!(d.changes.len(), 2, "{:?}", d.changes);
    assert!(
        matches!(&d.changes[0], ParamChange::Changed { old, new } if old.type_name == "int" && new.type_name == "long")
    );
    assert!(matches!(&d.changes[1], ParamChange::Added(p) if p.name == "z" && p.index == 2));
}

/// An object's local BTF with its own `struct task___old` (a flavor) and the relocations a program reading
/// pid, the anonymous union's b, and the struct's size would carry.
fn object_relos() -> (Btf, Vec<ExtSection<CoreRelo>>) {
    let mut o = BtfBuilder::new();
    let int = o.int("int", 4, true);
    let anon = o.composite("", true, 4, &[("b", int, 0, 0)]);
    let task = o.composite("task___old", false, 16, &[("pid", int, 0, 0), ("comm", int, 32, 0), ("", anon, 64, 0)]);
    let relo =
        |access: &str, kind| CoreRelo { insn_off: 8, type_id: task, access_str_off: 0, access: access.into(), kind };
    let records = vec![
        relo("0:0", RelocKind::FieldByteOffset),
        relo("0:1", RelocKind::FieldByteOffset),
        relo("0:2:0", RelocKind::FieldExists),
        relo("0", RelocKind::TypeSize),
    ];
    (Btf::parse(o.build()).unwrap(), vec![ExtSection { name: "tp/x".into(), records }])
}

#[test]
fn relocations_through_changed_members_are_touched() {
    let (a, b) = pair();
    let d = diff(&a, &b, "task", None).unwrap();
    let (local, secs) = object_relos();
    let t = touched(&d, &local, &secs);
    let got: Vec<(usize, &str)> = t.iter().map(|t| (t.index, t.access.as_str())).collect();
    // comm is not in the diff (it is the object's own member); pid, b and the size are.
    assert_eq!(got, [(0, "struct task___old::pid"), (2, "struct task___old::b"), (3, "struct task___old")]);
    assert!(matches!(&t[0].reason, TouchReason::Member(MemberChange::Changed { .. })));
    assert!(matches!(&t[1].reason, TouchReason::Member(MemberChange::Removed(m)) if m.name == "b"));
    assert_eq!(t[2].reason, TouchReason::Type { old_size: 24, new_size: 40 });
    assert!(touched(&diff(&a, &a, "task", None).unwrap(), &local, &secs).is_empty());
}
