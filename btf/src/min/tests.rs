use super::*;
use crate::core::{relocate, CoreCache, CoreRelo, RelocKind};
use crate::write::BtfBuilder;

/// full: struct sock { long a; struct inner *p; int b; }  struct inner { int x; }  struct other {}
fn full() -> Btf {
    let mut b = BtfBuilder::new();
    let long = b.int("long", 8, true);
    let int = b.int("int", 4, true);
    let inner = b.struct_("inner", 4, &[("x", int, 0)]);
    let p = b.ptr(inner);
    b.struct_("sock", 24, &[("a", long, 0), ("p", p, 64), ("b", int, 128)]);
    b.struct_("other", 8, &[("y", long, 0)]);
    Btf::parse(b.build()).unwrap()
}

#[test]
fn a_field_path_keeps_its_members_and_the_pointee_as_a_shell() {
    let full = full();
    let sock = full.find_by_name_kind("sock", crate::Kind::Struct).unwrap();
    let min = Btf::parse(minimize(&full, &[Need::Path { root: sock, access: vec![0, 2] }]).unwrap()).unwrap();
    let s = min.find_by_name_kind("sock", crate::Kind::Struct).expect("sock kept");
    let Body::Struct(c) = min.type_by_id(s).unwrap().body else { panic!() };
    assert_eq!(c.size, 24, "size kept");
    assert_eq!(c.members.iter().map(|m| (m.name, m.bit_offset)).collect::<Vec<_>>(), [("b", 128)]);
    assert!(min.find_by_name_kind("other", crate::Kind::Struct).is_none(), "unused types dropped");
    assert!(min.find_by_name_kind("inner", crate::Kind::Struct).is_none(), "p was not accessed");
    // Through the pointer member: inner kept as an empty struct of the same size.
    let min = Btf::parse(minimize(&full, &[Need::Path { root: sock, access: vec![0, 1] }]).unwrap()).unwrap();
    let inner = min.find_by_name_kind("inner", crate::Kind::Struct).expect("pointee kept");
    assert_eq!(min.size_of(inner).unwrap(), 4);
    let Body::Struct(c) = min.type_by_id(inner).unwrap().body else { panic!() };
    assert!(c.members.is_empty());
}

#[test]
fn core_against_the_minimal_btf_gives_the_full_btfs_values() {
    // local: struct sock { int b; }: b moved to byte 16 in full.
    let mut l = BtfBuilder::new();
    let int = l.int("int", 4, true);
    l.struct_("sock", 4, &[("b", int, 0)]);
    let local = Btf::parse(l.build()).unwrap();
    let full = full();
    let relo = CoreRelo {
        insn_off: 0,
        type_id: TypeId::new(2),
        access_str_off: 0,
        access: "0:0".into(),
        kind: RelocKind::FieldByteOffset,
    };
    let on_full = relocate(&local, &full, &relo, 0, &mut CoreCache::new()).unwrap();
    let t = on_full.target.as_ref().unwrap();
    let access = t.raw.split(':').map(|n| n.parse().unwrap()).collect();
    let min = Btf::parse(minimize(&full, &[Need::Path { root: t.ty.id, access }]).unwrap()).unwrap();
    let on_min = relocate(&local, &min, &relo, 0, &mut CoreCache::new()).unwrap();
    assert_eq!((on_full.target_value, on_min.target_value), (Some(16), Some(16)));
}
