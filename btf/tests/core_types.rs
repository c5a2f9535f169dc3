//! CO-RE type-based and enum-value relocations against hand-built BTF.

mod core_util;

use btf::core::{CoreError, RelocKind::*, SpecError};
use btf::types::{Body, FuncProto, Param, Type};
use core_util::*;

/// local: struct task { int pid; }, typedef struct task task_t
/// target: int, long, struct task { long pad; int pid; }, typedef task_t
fn tasks() -> (btf::Btf, btf::Btf) {
    let mut l = B::new();
    let int = l.int("int", 4, true); // 1
    let task = l.st("task", 4, &[("pid", int, 0)]); // 2
    l.typedef("task_t", task); // 3
    let mut t = B::new();
    let int = t.int("int", 4, true); // 1
    let long = t.int("long", 8, true); // 2
    let task = t.st("task", 16, &[("pad", long, 0), ("pid", int, 64)]); // 3
    t.typedef("task_t", task); // 4
    (l.btf(), t.btf())
}

#[test]
fn type_size_follows_the_target() {
    let (l, t) = tasks();
    let r = resolve(&l, &t, TypeSize, 2, "0");
    assert_eq!(values(&r), (4, Some(16)));
    assert_eq!(r.local_spec, "struct task");
    assert_eq!(r.to_string(), "#0 type size  struct task  (0)  local 4 → target 16 (changed)");
    // Through a typedef: candidates are typedefs, and the size is the struct's.
    assert_eq!(values(&resolve(&l, &t, TypeSize, 3, "0")), (4, Some(16)));
    // Missing type: type relocations resolve to 0 rather than poisoning (libbpf).
    let mut none = B::new();
    none.int("int", 4, true);
    let r = resolve(&l, &none.btf(), TypeSize, 2, "0");
    assert_eq!(values(&r), (4, Some(0)));
}

#[test]
fn type_ids_local_and_target() {
    let (l, t) = tasks();
    let r = resolve(&l, &t, TypeIdTarget, 2, "0");
    assert_eq!(values(&r), (2, Some(3)));
    assert!(!r.validate, "type ids change when linking, so they are not checked");
    let r = resolve(&l, &t, TypeIdLocal, 2, "0");
    assert_eq!((values(&r), r.validate, r.candidates.len()), ((2, Some(2)), false, 0));
    let r = resolve(&l, &t, TypeIdTarget, 3, "0");
    assert_eq!(values(&r), (3, Some(4)));
}

#[test]
fn type_exists_by_name_and_compatible_kind() {
    let (l, t) = tasks();
    assert_eq!(values(&resolve(&l, &t, TypeExists, 2, "0")), (1, Some(1)));
    // A union named `task` is not a candidate for a struct.
    let mut u = B::new();
    let int = u.int("int", 4, true);
    u.comp("task", true, 4, &[("pid", int, 0, 0)]);
    let r = resolve(&l, &u.btf(), TypeExists, 2, "0");
    assert_eq!((values(&r), r.candidates.len()), ((1, Some(0)), 0));
    assert!(r.to_string().ends_with("local 1 → target 0 (no such type in target)"), "{r}");
    // A typedef of the right name but naming something incompatible does not exist.
    let mut td = B::new();
    let int = td.int("int", 4, true);
    td.typedef("task_t", int);
    let r = resolve(&l, &td.btf(), TypeExists, 3, "0");
    assert_eq!((values(&r), r.candidates.len()), ((1, Some(0)), 1));
    assert!(r.to_string().ends_with("(type missing in target)"), "{r}");
}

#[test]
fn types_compat_rules_for_pointers_arrays_protos_and_floats() {
    let build = |ret_ptr_to_float: bool| {
        let mut b = B::new();
        let int = b.int("int", 4, true); // 1
        let f = b.float("float", 4); // 2
        let pointee = if ret_ptr_to_float { f } else { int };
        let p = b.ptr(pointee); // 3
        let proto = b.0.add(&Type {
            name: "",
            body: Body::FuncProto(FuncProto { ret: p, params: vec![Param { name: "x", type_id: int }] }),
        }); // 4
        let pf = b.ptr(proto); // 5
        b.typedef("handler_t", pf); // 6
        b.typedef("real_t", f); // 7
        b.btf()
    };
    let (l, same, other) = (build(false), build(false), build(true));
    assert_eq!(values(&resolve(&l, &same, TypeExists, 6, "0")), (1, Some(1)));
    // int* vs float* return type: not compatible.
    assert_eq!(values(&resolve(&l, &other, TypeExists, 6, "0")), (1, Some(0)));
    // libbpf treats floats as never compatible in type relocations.
    assert_eq!(values(&resolve(&l, &same, TypeExists, 7, "0")), (1, Some(0)));
}

#[test]
fn type_matches_checks_members_recursively() {
    // local: struct pair { int a; struct node *next; }  (struct node only forward-declared)
    let mut l = B::new();
    let int = l.int("int", 4, true); // 1
    let node = l.fwd("node", false); // 2
    let p = l.ptr(node); // 3
    l.st("pair", 16, &[("a", int, 0), ("next", p, 64)]); // 4
    let l = l.btf();
    // target: a superset with the members elsewhere, and struct node defined.
    let mut t = B::new();
    let int = t.int("int", 4, true);
    let long = t.int("long", 8, true);
    let node = t.st("node", 8, &[("v", long, 0)]);
    let p = t.ptr(node);
    t.st("pair", 24, &[("extra", long, 0), ("next", p, 64), ("a", int, 128)]);
    let r = resolve(&l, &t.btf(), TypeMatches, 4, "0");
    assert_eq!(values(&r), (1, Some(1)));
    assert!(r.to_string().contains("type matches  struct pair  (0)  local 1 → target 1 (unchanged)"), "{r}");
    // Same names, but `a` is a long in the target: TYPE_MATCHES says no, TYPE_EXISTS still yes.
    let mut t = B::new();
    let long = t.int("long", 8, true);
    let node = t.fwd("node", false);
    let p = t.ptr(node);
    t.st("pair", 16, &[("a", long, 0), ("next", p, 64)]);
    let t = t.btf();
    assert_eq!(values(&resolve(&l, &t, TypeMatches, 4, "0")), (1, Some(0)));
    assert_eq!(values(&resolve(&l, &t, TypeExists, 4, "0")), (1, Some(1)));
    // A member missing from the target fails the match.
    let mut t = B::new();
    let int = t.int("int", 4, true);
    t.st("pair", 16, &[("a", int, 0), ("b", int, 32)]);
    assert_eq!(values(&resolve(&l, &t.btf(), TypeMatches, 4, "0")), (1, Some(0)));
}

#[test]
fn type_matches_on_enums_needs_same_size_and_names() {
    let mut l = B::new();
    l.enm("state", 4, false, &[("ON", 1), ("OFF", 0)]);
    let l = l.btf();
    let mut t = B::new();
    t.enm64("state", 4, false, &[("OFF", 7), ("ON", 9), ("BROKEN", 2)]);
    assert_eq!(values(&resolve(&l, &t.btf(), TypeMatches, 1, "0")), (1, Some(1)));
    let mut t = B::new();
    t.enm("state", 8, false, &[("ON", 1), ("OFF", 0)]);
    assert_eq!(values(&resolve(&l, &t.btf(), TypeMatches, 1, "0")), (1, Some(0)));
    let mut t = B::new();
    t.enm("state", 4, false, &[("ON", 1)]);
    assert_eq!(values(&resolve(&l, &t.btf(), TypeMatches, 1, "0")), (1, Some(0)));
}

/// local: enum e { A = 1, B = 2, C = -1 }
fn local_enum() -> btf::Btf {
    let mut l = B::new();
    l.enm("e", 4, true, &[("A", 1), ("B", 2), ("C", -1i64 as u64)]);
    l.btf()
}

#[test]
fn enum_values_follow_the_target() {
    let l = local_enum();
    let mut t = B::new();
    t.enm("e", 4, true, &[("B", 5), ("C___x", 6), ("D", 7)]);
    let t = t.btf();
    let r = resolve(&l, &t, EnumvalValue, 1, "1");
    assert_eq!(r.local_spec, "enum e::B");
    assert_eq!(values(&r), (2, Some(5)));
    assert_eq!(r.target.as_ref().unwrap().raw, "0");
    assert_eq!(
        r.to_string(),
        "#0 enum value  enum e::B  (1)  local 2 → target 5 (changed)  [target [1] enum e = enum e::B (0)]"
    );
    // Enumerator names match modulo flavor; negative values widen with their sign.
    assert_eq!(values(&resolve(&l, &t, EnumvalValue, 1, "2")), (u64::MAX, Some(6)));
    assert_eq!(values(&resolve(&l, &t, EnumvalExists, 1, "1")), (1, Some(1)));
    // A is gone: EXISTS says 0, VALUE poisons.
    assert_eq!(values(&resolve(&l, &t, EnumvalExists, 1, "0")), (1, Some(0)));
    let r = resolve(&l, &t, EnumvalValue, 1, "0");
    assert!(r.is_poison());
    assert!(r.to_string().ends_with("poisoned: enum value missing in target"), "{r}");
    // Out-of-range index is a spec error.
    let e = try_resolve(&l, &t, EnumvalValue, 1, "3").unwrap_err();
    assert!(matches!(e, CoreError::BadSpec { reason: SpecError::EnumeratorOutOfRange { index: 3, count: 3 }, .. }));
    assert!(e.to_string().ends_with("enumerator index 3 is out of range (the enum has 3)"), "{e}");
}

#[test]
fn enum64_targets_carry_64_bit_values() {
    let l = local_enum();
    let mut t = B::new();
    t.enm64("e", 8, false, &[("B", 1 << 40)]);
    assert_eq!(values(&resolve(&l, &t.btf(), EnumvalValue, 1, "1")), (2, Some(1 << 40)));
}
