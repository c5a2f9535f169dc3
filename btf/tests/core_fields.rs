//! CO-RE field relocations against hand-built local and target BTF.

mod core_util;

use btf::core::{
    relocate, AccessError, Answer, CoreCache, CoreError, ReloProblem, RelocKind::*, SizeChange, SpecError, Unsatisfied,
};
use btf::Kind;
use core_util::*;

/// local: struct sock { int a; int b; }   target: struct sock { long x; int a; int b; }
fn moved() -> (btf::Btf, btf::Btf) {
    let mut l = B::new();
    let int = l.int("int", 4, true);
    l.st("sock", 8, &[("a", int, 0), ("b", int, 32)]);
    let mut t = B::new();
    let long = t.int("long", 8, true);
    let int = t.int("int", 4, true);
    t.st("sock", 16, &[("x", long, 0), ("a", int, 64), ("b", int, 96)]);
    (l.btf(), t.btf())
}

#[test]
fn moved_field_gets_the_target_offset() {
    let (l, t) = moved();
    let r = resolve(&l, &t, FieldByteOffset, 2, "0:1");
    assert_eq!(values(&r), (4, Some(12)));
    assert_eq!(r.local_spec, "struct sock::b");
    let target = r.target.as_ref().unwrap();
    assert_eq!((target.ty.id, target.raw.as_str(), target.bit_offset), (id(3), "0:2", 96));
    assert!(r.validate);
    assert_eq!((r.local_size, r.target_size, r.new_size()), (4, 4, None));
    assert_eq!(
        r.to_string(),
        "#0 field byte offset  struct sock::b  (0:1)  local 4 → target 12 (moved)  [target [3] struct sock = struct sock::b (0:2)]"
    );
    let same = resolve(&l, &l, FieldByteOffset, 2, "0:1");
    assert_eq!(same.to_string(), "#0 field byte offset  struct sock::b  (0:1)  local 4 → target 4 (unchanged)");
    assert_eq!(values(&resolve(&l, &t, FieldByteSize, 2, "0:1")), (4, Some(4)));
    assert_eq!(values(&resolve(&l, &t, FieldExists, 2, "0:1")), (1, Some(1)));
    assert_eq!(values(&resolve(&l, &t, FieldSigned, 2, "0:1")), (1, Some(1)));
    // Non-bitfield shifts: 64 - size*8 on both sides.
    assert_eq!(values(&resolve(&l, &t, FieldLshiftU64, 2, "0:1")), (32, Some(32)));
    assert_eq!(values(&resolve(&l, &t, FieldRshiftU64, 2, "0:1")), (32, Some(32)));
}

#[test]
fn missing_field_poisons_but_exists_resolves_to_zero() {
    let mut l = B::new();
    let int = l.int("int", 4, true);
    l.st("sock", 8, &[("a", int, 0), ("gone", int, 32)]);
    let (_, t) = moved();
    let l = l.btf();
    let r = resolve(&l, &t, FieldByteOffset, 2, "0:1");
    assert_eq!(values(&r), (4, None));
    assert!(r.is_poison() && r.target.is_none());
    assert_eq!(r.candidates.len(), 1);
    assert_eq!(
        r.to_string(),
        "#0 field byte offset  struct sock::gone  (0:1)  local 4 → poisoned: field missing in target"
    );
    let e = resolve(&l, &t, FieldExists, 2, "0:1");
    assert_eq!(values(&e), (1, Some(0)));
    assert!(e.to_string().ends_with("local 1 → target 0 (field missing in target)"), "{e}");
    // No type of that name at all.
    let mut other = B::new();
    other.int("int", 4, true);
    let r = resolve(&l, &other.btf(), FieldByteSize, 2, "0:0");
    assert!(r.is_poison() && r.candidates.is_empty());
    assert!(r.to_string().ends_with("poisoned: no type named like struct sock in target"), "{r}");
}

#[test]
fn flavored_local_type_matches_the_plain_target() {
    let mut l = B::new();
    let int = l.int("int", 4, true);
    l.st("sock___v2", 8, &[("pad", int, 0), ("b", int, 32)]);
    let (_, t) = moved();
    let r = resolve(&l.btf(), &t, FieldByteOffset, 2, "0:1");
    assert_eq!(values(&r), (4, Some(12)));
    assert_eq!(r.local_spec, "struct sock___v2::b");
    assert_eq!(r.candidates[0].name, "struct sock");
}

#[test]
fn flavored_target_types_are_candidates_like_libbpf() {
    // Names compare without flavors on both sides: local sock___v2 finds target sock___2,
    // while sockets (another essential name) and sock___ (no flavor: Y missing) do not match.
    let mut l = B::new();
    let int = l.int("int", 4, true);
    l.st("sock___v2", 8, &[("a", int, 0), ("b", int, 32)]);
    let mut t = B::new();
    let long = t.int("long", 8, true);
    let int = t.int("int", 4, true);
    t.st("sockets", 8, &[("a", int, 0), ("b", int, 32)]);
    t.st("sock___2", 16, &[("x", long, 0), ("a", int, 64), ("b", int, 96)]);
    t.st("sock___", 8, &[("a", int, 0), ("b", int, 32)]);
    let r = resolve(&l.btf(), &t.btf(), FieldByteOffset, 2, "0:1");
    assert_eq!(values(&r), (4, Some(12)));
    assert_eq!(r.candidates.len(), 1);
    assert_eq!((r.candidates[0].id, r.candidates[0].name.as_str()), (id(4), "struct sock___2"));
    // A plain and a flavored target that disagree: refused, both named.
    let mut t = B::new();
    let int = t.int("int", 4, true);
    t.st("sock", 8, &[("a", int, 0), ("b", int, 32)]);
    t.st("sock___old", 12, &[("a", int, 0), ("pad", int, 32), ("b", int, 64)]);
    let e = try_resolve(&l.btf(), &t.btf(), FieldByteOffset, 2, "0:1").unwrap_err();
    assert!(
        e.to_string().contains("candidate [2] struct sock gives bit offset 32 but candidate [3] struct sock___old"),
        "{e}"
    );
}

#[test]
fn nested_named_fields_print_like_c() {
    // struct sock { struct sock_common __sk_common; }  with skc_dport moved in the target.
    let build = |dport_bits: u32| {
        let mut b = B::new();
        let u16_ = b.int("unsigned short", 2, false);
        let common = b.st("sock_common", 16, &[("skc_daddr", u16_, 0), ("skc_dport", u16_, dport_bits)]);
        b.st("sock", 16, &[("__sk_common", common, 0)]);
        b.btf()
    };
    let (l, t) = (build(96), build(112));
    let r = resolve(&l, &t, FieldByteOffset, 3, "0:0:1");
    assert_eq!(r.local_spec, "struct sock::__sk_common.skc_dport");
    assert_eq!(values(&r), (12, Some(14)));
    assert_eq!((r.local_size, r.target_size), (2, 2));
}

#[test]
fn anonymous_members_are_searched_in_the_target() {
    // local: struct s { int x; union { int y; int z; }; }
    let mut l = B::new();
    let int = l.int("int", 4, true);
    let u = l.comp("", true, 4, &[("y", int, 0, 0), ("z", int, 0, 0)]);
    l.st("s", 8, &[("x", int, 0), ("", u, 32)]);
    // target: struct s { long pad; int x; struct { int w; struct { int z; }; }; }
    let mut t = B::new();
    let int = t.int("int", 4, true);
    let long = t.int("long", 8, true);
    let inner = t.st("", 4, &[("z", int, 0)]);
    let outer = t.st("", 8, &[("w", int, 0), ("", inner, 32)]);
    t.st("s", 24, &[("pad", long, 0), ("x", int, 64), ("", outer, 96)]);
    let r = resolve(&l.btf(), &t.btf(), FieldByteOffset, 3, "0:1:1");
    assert_eq!(r.local_spec, "struct s::z");
    assert_eq!(values(&r), (4, Some(16)));
    assert_eq!(r.target.unwrap().raw, "0:2:1:0");
}

#[test]
fn array_elements_follow_the_array() {
    // local: struct s { int pad; int arr[4]; }  target: struct s { long pad; int arr[4]; int tail[0]; }
    let mut l = B::new();
    let int = l.int("int", 4, true);
    let a4 = l.arr(int, int, 4);
    l.st("s", 20, &[("pad", int, 0), ("arr", a4, 32)]);
    let l = l.btf();
    let mut t = B::new();
    let int = t.int("int", 4, true);
    let long = t.int("long", 8, true);
    let a4 = t.arr(int, int, 4);
    let a2 = t.arr(int, int, 2);
    t.st("s", 24, &[("pad", long, 0), ("arr", a4, 64), ("short_arr", a2, 192)]);
    let t = t.btf();
    let r = resolve(&l, &t, FieldByteOffset, 3, "0:1:2");
    assert_eq!(r.local_spec, "struct s::arr[2]");
    assert_eq!(values(&r), (12, Some(16)));
    assert_eq!((r.local_size, r.target_size), (4, 4));
    assert_eq!(values(&resolve(&l, &t, FieldByteSize, 3, "0:1:2")), (4, Some(4)));
    // The element index past the target's bounds does not match: poison.
    let mut l2 = B::new();
    let int = l2.int("int", 4, true);
    let a4 = l2.arr(int, int, 4);
    l2.st("s", 16, &[("short_arr", a4, 0)]);
    let r = resolve(&l2.btf(), &t, FieldByteOffset, 3, "0:0:3");
    assert!(r.is_poison(), "{r}");
    // Indexing the root pointer itself: &p[1].pad.
    let r = resolve(&l, &t, FieldByteOffset, 3, "1:0");
    assert_eq!(r.local_spec, "struct s[1]::pad");
    assert_eq!(values(&r), (20, Some(24)));
    // SIGNED of an array element is refused like libbpf.
    let e = try_resolve(&l, &t, FieldSigned, 3, "0:1:2").unwrap_err();
    assert!(
        matches!(e, CoreError::Unsatisfiable { reason: Unsatisfied::ArrayElement { kind: FieldSigned }, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("field signed cannot be applied to an array element"), "{e}");
}

#[test]
fn flexible_array_members_accept_any_index() {
    let build = |pad_bits: u32| {
        let mut b = B::new();
        let int = b.int("int", 4, true);
        let flex = b.arr(int, int, 0);
        b.st("msg", 8, &[("len", int, 0), ("data", flex, pad_bits)]);
        b.btf()
    };
    let r = resolve(&build(32), &build(64), FieldByteOffset, 3, "0:1:5");
    assert_eq!(r.local_spec, "struct msg::data[5]");
    assert_eq!(values(&r), (24, Some(28)));
}

/// local: struct flags { unsigned int a:3; unsigned int b:5; signed char c:4 (bit 8); u8 x:6; u8 y:4 }
fn bitfields(big_endian: bool, shift: u32) -> btf::Btf {
    let mut b = if big_endian { B::big_endian() } else { B::new() };
    let uint = b.int("unsigned int", 4, false);
    let schar = b.int("signed char", 1, true);
    let u8_ = b.int("u8", 1, false);
    b.comp(
        "flags",
        false,
        8,
        &[
            ("a", uint, shift, 3),
            ("b", uint, shift + 3, 5),
            ("c", schar, shift + 8, 4),
            ("x", u8_, 32, 6),
            ("y", u8_, 38, 4),
        ],
    );
    b.btf()
}

#[test]
fn bitfield_shifts_match_libbpf_on_little_endian() {
    let (l, t) = (bitfields(false, 0), bitfields(false, 16));
    // b: 5 bits at bit 3 locally, at bit 19 in the target; loads are u32 at byte 0.
    assert_eq!(values(&resolve(&l, &t, FieldByteOffset, 4, "0:1")), (0, Some(0)));
    assert_eq!(values(&resolve(&l, &t, FieldByteSize, 4, "0:1")), (4, Some(4)));
    assert_eq!(values(&resolve(&l, &t, FieldLshiftU64, 4, "0:1")), (64 - 8, Some(64 - 24)));
    assert_eq!(values(&resolve(&l, &t, FieldRshiftU64, 4, "0:1")), (59, Some(59)));
    assert_eq!(values(&resolve(&l, &t, FieldSigned, 4, "0:1")), (0, Some(0)));
    // c: a signed char bitfield: 1-byte load at byte 1 (local) / byte 3 (target).
    assert_eq!(values(&resolve(&l, &t, FieldByteOffset, 4, "0:2")), (1, Some(3)));
    assert_eq!(values(&resolve(&l, &t, FieldSigned, 4, "0:2")), (1, Some(1)));
    assert_eq!(values(&resolve(&l, &t, FieldLshiftU64, 4, "0:2")), (64 - 4, Some(64 - 4)));
    // y: 4 bits at bit 38 of a u8 straddles bytes 4 and 5: the load grows to a u16 at byte 4.
    assert_eq!(values(&resolve(&l, &t, FieldByteSize, 4, "0:4")), (2, Some(2)));
    assert_eq!(values(&resolve(&l, &t, FieldByteOffset, 4, "0:4")), (4, Some(4)));
    assert_eq!(values(&resolve(&l, &t, FieldLshiftU64, 4, "0:4")), (64 - 10, Some(64 - 10)));
    // Bitfield offsets are not checked against the instruction (the compiler may differ).
    let r = resolve(&l, &t, FieldByteOffset, 4, "0:1");
    assert!(!r.validate && r.local_size == 0 && r.target_size == 0);
    assert!(resolve(&l, &t, FieldRshiftU64, 4, "0:1").validate);
}

#[test]
fn bitfield_left_shift_on_big_endian() {
    // Big-endian target: lshift = (8 - load size) * 8 + bit offset within the load.
    let (l, t) = (bitfields(false, 0), bitfields(true, 16));
    assert_eq!(values(&resolve(&l, &t, FieldLshiftU64, 4, "0:1")), ((8 - 4) * 8 + 3, Some((8 - 4) * 8 + 19)));
    assert_eq!(values(&resolve(&l, &t, FieldLshiftU64, 4, "0:4")), ((8 - 2) * 8 + 6, Some((8 - 2) * 8 + 6)));
    assert_eq!(values(&resolve(&l, &t, FieldRshiftU64, 4, "0:1")), (59, Some(59)));
}

#[test]
fn a_bitfield_no_load_covers_is_an_error() {
    let mut b = B::new();
    let ulong = b.int("unsigned long", 8, false);
    b.comp("wide", false, 16, &[("w", ulong, 60, 8)]);
    let l = b.btf();
    let e = try_resolve(&l, &l, FieldLshiftU64, 2, "0:0").unwrap_err();
    match &e {
        CoreError::Unsatisfiable { reason: Unsatisfied::BitfieldLoad { name, bit_offset: 60, bits: 8 }, .. } => {
            assert_eq!(name, "w")
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("'w' (8 bits at bit 60) cannot be read with a single load"), "{e}");
}

#[test]
fn ints_of_any_size_are_compatible_and_unsigned_ones_may_change_size() {
    let build = |size: u32, signed: bool| {
        let mut b = B::new();
        let i = b.int("num", size, signed);
        b.st("s", 16, &[("v", i, 0)]);
        b.btf()
    };
    let r = resolve(&build(4, false), &build(8, false), FieldByteOffset, 2, "0:0");
    assert_eq!((r.local_size, r.target_size, r.new_size(), r.size_problem.as_ref()), (4, 8, Some(8), None));
    assert!(r.to_string().contains("size 4 → 8 bytes"), "{r}");
    let r = resolve(&build(4, true), &build(8, true), FieldByteOffset, 2, "0:0");
    let Some(SizeChange { from, to }) = &r.size_problem else { panic!("{r:?}") };
    assert_eq!((from.id, from.name.as_str(), to.id, to.name.as_str()), (id(1), "num", id(1), "num"));
    assert!(
        r.to_string()
            .ends_with("; field type changed from num to num: only pointers and unsigned integers can change size"),
        "{r}"
    );
}

#[test]
fn incompatible_field_types_do_not_match() {
    let mut l = B::new();
    let int = l.int("int", 4, true);
    l.st("s", 4, &[("v", int, 0)]);
    let mut t = B::new();
    let f = t.float("float", 4);
    t.st("s", 4, &[("v", f, 0)]);
    assert!(resolve(&l.btf(), &t.btf(), FieldByteOffset, 2, "0:0").is_poison());
    // Pointers are compatible whatever they point to; enums need the same essential name.
    let mut l = B::new();
    let int = l.int("int", 4, true);
    let p = l.ptr(int);
    let e = l.enm("color", 4, false, &[("RED", 0)]);
    l.st("s", 16, &[("p", p, 0), ("e", e, 64)]);
    let mut t = B::new();
    let c = t.int("char", 1, true);
    let p = t.ptr(c);
    let e = t.enm("colour", 4, false, &[("RED", 0)]);
    t.st("s", 16, &[("p", p, 0), ("e", e, 64)]);
    let (l, t) = (l.btf(), t.btf());
    assert_eq!(values(&resolve(&l, &t, FieldByteOffset, 4, "0:0")), (0, Some(0)));
    assert!(resolve(&l, &t, FieldByteOffset, 4, "0:1").is_poison());
}

#[test]
fn disagreeing_candidates_are_ambiguous_and_agreeing_ones_are_not() {
    let (l, _) = moved();
    let mut t = B::new();
    let int = t.int("int", 4, true);
    t.st("sock", 8, &[("a", int, 0), ("b", int, 32)]);
    t.st("sock", 12, &[("a", int, 0), ("pad", int, 32), ("b", int, 64)]);
    let e = try_resolve(&l, &t.btf(), FieldByteOffset, 2, "0:1").unwrap_err();
    match &e {
        CoreError::Ambiguous(a) => {
            assert_eq!((a.relo, a.first.id, a.second.id), (0, id(2), id(3)));
            assert_eq!((a.first_value, a.second_value), (Answer::BitOffset(32), Answer::BitOffset(64)));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string().contains("candidate [2] struct sock gives bit offset 32 but candidate [3] struct sock"),
        "{e}"
    );
    // Two structurally identical candidates (dedup leftovers) agree.
    let mut t = B::new();
    let int = t.int("int", 4, true);
    t.st("sock", 8, &[("a", int, 0), ("b", int, 32)]);
    t.st("sock", 8, &[("a", int, 0), ("b", int, 32)]);
    let r = resolve(&l, &t.btf(), FieldByteOffset, 2, "0:1");
    assert_eq!((r.candidates.len(), r.matched.as_slice(), r.target_value), (2, &[id(2), id(3)][..], Some(4)));
}

#[test]
fn the_cache_looks_each_type_up_once_and_keeps_only_matching_candidates() {
    let (l, _) = moved();
    let mut t = B::new();
    let int = t.int("int", 4, true);
    let f = t.float("float", 4);
    t.st("sock", 8, &[("a", f, 0), ("b", f, 32)]); // 3: b incompatible
    t.st("sock", 8, &[("a", int, 0), ("b", int, 32)]); // 4
    let t = t.btf();
    let mut cache = CoreCache::new();
    let r0 = relocate(&l, &t, &relo(FieldByteOffset, 2, "0:1", 0), 0, &mut cache).unwrap();
    assert_eq!((r0.candidates.len(), r0.matched.as_slice()), (2, &[id(4)][..]));
    assert_eq!(cache.cached(id(2)), Some(&[id(4)][..]));
    let r1 = relocate(&l, &t, &relo(FieldByteOffset, 2, "0:0", 3), 1, &mut cache).unwrap();
    assert_eq!((r1.candidates.len(), r1.insn_idx, cache.lookups()), (1, 3, 1));
}

#[test]
fn bad_access_strings_are_typed_errors() {
    let (l, t) = moved();
    let not_an_index = |part: &str| SpecError::Access(AccessError::NotAnIndex { step: 1, part: part.into() });
    let member = SpecError::MemberOutOfRange { index: 5, id: id(2), name: "sock".into(), count: 2 };
    let no_members = SpecError::NoMembers { step: 2, index: 0, id: id(1), kind: Kind::Int };
    for (access, want, text) in [
        ("0:5", member, "member index 5 is out of range (sock has 2)"),
        ("0::1", not_an_index(""), "'' is not an index"),
        ("", SpecError::Access(AccessError::Empty), "access string is empty"),
        ("0:-1", not_an_index("-1"), "'-1' is not an index"),
        ("0:1:0", no_members, "step 2 (index 0) reaches type [1] of kind INT, which has no members or elements"),
    ] {
        let e = try_resolve(&l, &t, FieldByteOffset, 2, access).unwrap_err();
        match &e {
            CoreError::BadSpec { relo: 0, access: a, ty, reason } => {
                assert_eq!((a.as_str(), ty.id, ty.name.as_str()), (access, id(2), "struct sock"));
                assert_eq!(reason, &want, "{access}");
            }
            other => panic!("{access}: {other:?}"),
        }
        assert!(e.to_string().ends_with(text), "{access}: {e}");
    }
    let e = try_resolve(&l, &t, TypeSize, 2, "1").unwrap_err();
    assert!(matches!(&e, CoreError::BadSpec { reason: SpecError::TypeAccessNotZero { access }, .. } if access == "1"));
    assert!(e.to_string().contains("type relocations use access string \"0\""), "{e}");
    let mut bad = relo(FieldByteOffset, 2, "0:1", 0);
    bad.insn_off = 12;
    let e = relocate(&l, &t, &bad, 7, &mut CoreCache::new()).unwrap_err();
    assert!(matches!(e, CoreError::BadRelo { relo: 7, reason: ReloProblem::InsnOffUnaligned { insn_off: 12 }, .. }));
    assert!(e.to_string().starts_with("relocation #7 (byte_off) on local type [2] struct sock: insn_off 12"), "{e}");
}

#[test]
fn anonymous_local_types_cannot_be_relocated() {
    let mut l = B::new();
    let int = l.int("int", 4, true);
    l.st("", 4, &[("a", int, 0)]);
    let l = l.btf();
    let e = try_resolve(&l, &l, FieldByteOffset, 2, "0:0").unwrap_err();
    assert!(matches!(e, CoreError::BadRelo { reason: ReloProblem::Anonymous, .. }), "{e:?}");
    assert!(e.to_string().contains("CO-RE cannot relocate anonymous types"), "{e}");
}
