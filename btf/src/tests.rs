//! Parser tests over hand-built and hostile blobs.

use crate::error::{BtfError, Component, HeaderProblem, InvalidType, StrContext};
use crate::types::*;
use crate::write::BtfBuilder;
use crate::Btf;

/// A type id of hand-built BTF, by number.
fn t(n: u32) -> TypeId {
    TypeId::new(n)
}

fn sample_bytes() -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true);
    let s = b.composite("sock", false, 16, &[("a", int, 0, 0), ("flags", int, 32, 3), ("b", int, 64, 0)]);
    let p = b.ptr(s);
    let proto = b.add(&Type {
        name: "",
        body: Body::FuncProto(FuncProto { ret: int, params: vec![Param { name: "sk", type_id: p }] }),
    });
    b.add(&Type { name: "tcp_connect", body: Body::Func(Func { proto, linkage: Linkage::Global }) });
    b.add(&Type {
        name: "e",
        body: Body::Enum64(Enum { size: 8, signed: false, values: vec![EnumValue { name: "BIG", value: 1 << 40 }] }),
    });
    b.build()
}

#[test]
fn round_trip_decodes_every_field() {
    let btf = Btf::parse(sample_bytes()).unwrap();
    assert_eq!(btf.count(), 7);
    let sock = btf.type_by_id(t(2)).unwrap();
    assert_eq!(sock.name, "sock");
    let m = sock.members().unwrap();
    assert_eq!(m[1], Member { name: "flags", type_id: t(1), bit_offset: 32, bitfield_size: 3 });
    assert_eq!(btf.find_by_name_kind("tcp_connect", Kind::Func), Some(t(5)));
    assert_eq!(btf.find_by_name_kind("tcp_connect", Kind::Struct), None);
    match btf.type_by_id(t(6)).unwrap().body {
        Body::Enum64(e) => assert_eq!(e.values[0].value, 1 << 40),
        other => panic!("{other:?}"),
    }
}

#[test]
fn big_endian_blobs_parse_the_same() {
    let mut b = BtfBuilder::with_endian(crate::wire::Endian::Big);
    let int = b.int("int", 4, true);
    b.struct_("s", 4, &[("x", int, 0)]);
    let btf = Btf::parse(b.build()).unwrap();
    assert_eq!(btf.endian(), crate::wire::Endian::Big);
    assert_eq!(btf.type_by_id(t(2)).unwrap().members().unwrap()[0].name, "x");
    assert_eq!(btf.find_by_name_kind("s", Kind::Struct), Some(t(2)));
}

#[test]
fn split_btf_continues_ids_and_strings() {
    let base = std::sync::Arc::new(Btf::parse(sample_bytes()).unwrap());
    // Split blob: strings start at the base's end; type 7 is a pointer to base type 2.
    let mut split = BtfBuilder::new();
    split.ptr(t(2));
    split.int("modint", 2, false);
    let mut bytes = split.build();
    // Rebase the split's string offsets: builder offsets are relative to its own section.
    let base_len = base.strings_len();
    let name_pos = 24 + 12; // second type's name_off
    let off = u32::from_ne_bytes(bytes[name_pos..name_pos + 4].try_into().unwrap()) + base_len;
    bytes[name_pos..name_pos + 4].copy_from_slice(&off.to_ne_bytes());
    let split = Btf::parse_split(bytes, base).unwrap();
    assert_eq!(split.first_id(), t(7));
    assert_eq!(split.type_by_id(t(7)).unwrap().body, Body::Ptr(t(2)));
    assert_eq!(split.type_by_id(t(8)).unwrap().name, "modint");
    assert_eq!(split.find_by_name_kind("modint", Kind::Int), Some(t(8)));
    assert_eq!(split.find_by_name_kind("sock", Kind::Struct), Some(t(2)));
    assert_eq!(split.type_by_id(t(2)).unwrap().name, "sock");
}

fn patch(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

#[test]
fn truncated_header_is_an_error() {
    let bytes = sample_bytes();
    for len in [0, 1, 2, 10, 23] {
        let err = Btf::parse(bytes[..len].to_vec()).unwrap_err();
        assert!(matches!(err, BtfError::Truncated { .. } | BtfError::BadMagic { .. }), "{len}: {err}");
    }
}

#[test]
fn bad_magic_and_version_are_named() {
    let mut bytes = sample_bytes();
    bytes[0] = 0x12;
    assert!(matches!(Btf::parse(bytes).unwrap_err(), BtfError::BadMagic { .. }));
    let mut bytes = sample_bytes();
    bytes[2] = 2;
    assert_eq!(Btf::parse(bytes).unwrap_err(), BtfError::BadVersion { what: "BTF", version: 2 });
}

#[test]
fn sections_past_the_end_are_rejected() {
    let mut bytes = sample_bytes();
    patch(&mut bytes, 20, 1 << 30); // str_len
    let err = Btf::parse(bytes).unwrap_err();
    assert!(matches!(err, BtfError::SectionOutOfBounds { section: "string", .. }), "{err}");
    let mut bytes = sample_bytes();
    patch(&mut bytes, 8, u32::MAX - 3); // type_off overflow
    assert!(matches!(Btf::parse(bytes).unwrap_err(), BtfError::SectionOutOfBounds { .. }));
}

#[test]
fn header_rules_name_the_field_and_value() {
    let header_problem = |bytes: Vec<u8>| match Btf::parse(bytes).unwrap_err() {
        BtfError::BadHeader { what: "BTF", reason } => reason,
        other => panic!("{other:?}"),
    };
    let mut bytes = sample_bytes();
    patch(&mut bytes, 4, 16); // hdr_len
    assert_eq!(header_problem(bytes), HeaderProblem::HdrLenTooSmall { hdr_len: 16 });
    let mut bytes = sample_bytes();
    patch(&mut bytes, 8, 2); // type_off
    patch(&mut bytes, 12, 0); // type_len, so the section still fits
    assert_eq!(header_problem(bytes), HeaderProblem::TypeOffUnaligned { type_off: 2 });
    // A 28-byte header with its unknown last word set.
    let mut bytes = sample_bytes();
    bytes.splice(24..24, [0, 0, 0, 1]);
    patch(&mut bytes, 4, 28);
    let err = Btf::parse(bytes).unwrap_err();
    assert_eq!(err, BtfError::BadHeader { what: "BTF", reason: HeaderProblem::UnknownHeaderBytes { hdr_len: 28 } });
    assert_eq!(err.to_string(), "BTF header: hdr_len 28 has non-zero bytes past the known 24-byte header");
    let mut bytes = sample_bytes();
    let strings_at = bytes.len() - u32::from_ne_bytes(bytes[20..24].try_into().unwrap()) as usize;
    bytes[strings_at] = b'x';
    assert_eq!(header_problem(bytes), HeaderProblem::FirstStringNotEmpty);
}

#[test]
fn ints_that_do_not_fit_and_sizeless_types_are_invalid() {
    let mut bytes = sample_bytes();
    patch(&mut bytes, 24 + 12, 40); // type 1 (int): 40 value bits in 4 bytes
    let btf = Btf::parse(bytes).unwrap();
    let err = btf.type_by_id(t(1)).unwrap_err();
    let reason = InvalidType::IntBitsDoNotFit { bits: 40, offset: 0, size: 4 };
    assert_eq!(err, BtfError::Invalid { id: t(1), kind: Kind::Int, reason });
    assert_eq!(err.to_string(), "type id 1 (INT): 40 bits at offset 0 do not fit 4 bytes");
    let btf = Btf::parse(sample_bytes()).unwrap();
    let err = btf.size_of(t(5)).unwrap_err();
    assert_eq!(err, BtfError::Invalid { id: t(5), kind: Kind::Func, reason: InvalidType::NoSize });
    assert_eq!(err.to_string(), "type id 5 (FUNC): has no size");
}

#[test]
fn truncated_type_record_names_its_id() {
    let mut bytes = sample_bytes();
    // Claim a vlen of 1000 members on the struct (type 2 at types offset 16).
    let info_at = 24 + 16 + 4;
    let info = u32::from_ne_bytes(bytes[info_at..info_at + 4].try_into().unwrap());
    patch(&mut bytes, info_at, (info & !0xffff) | 1000);
    match Btf::parse(bytes).unwrap_err() {
        BtfError::TypeTruncated { id, need, .. } => {
            assert_eq!(id, t(2));
            assert_eq!(need, 12 + 12 * 1000);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn unknown_kind_is_rejected_at_parse() {
    let mut bytes = sample_bytes();
    patch(&mut bytes, 24 + 4, 25 << 24);
    assert_eq!(Btf::parse(bytes).unwrap_err(), BtfError::UnknownKind { id: t(1), offset: 0, kind: 25 });
}

#[test]
fn string_offset_out_of_range_names_the_type() {
    let mut bytes = sample_bytes();
    patch(&mut bytes, 24, 99_999);
    let err = Btf::parse(bytes).unwrap_err();
    let context = StrContext::TypeName { id: t(1), kind: Some(Kind::Int) };
    assert!(matches!(err, BtfError::BadStringOffset { offset: 99_999, context: c, .. } if c == context), "{err:?}");
    assert!(err.to_string().starts_with("type id 1 (INT) name: string offset 99999 is outside"), "{err}");
}

#[test]
fn member_name_out_of_range_is_an_error_on_decode() {
    let mut bytes = sample_bytes();
    patch(&mut bytes, 24 + 16 + 12, 77_777); // first member's name_off of type 2
    let btf = Btf::parse(bytes).unwrap();
    let err = btf.type_by_id(t(2)).unwrap_err();
    let context = StrContext::Component { id: t(2), kind: Kind::Struct, what: Component::Member, index: 0 };
    assert!(matches!(err, BtfError::BadStringOffset { offset: 77_777, context: c, .. } if c == context), "{err:?}");
    assert!(err.to_string().starts_with("type id 2 (STRUCT) member #0 name: string offset 77777"), "{err}");
}

#[test]
fn type_id_out_of_range_is_an_error() {
    let mut bytes = sample_bytes();
    patch(&mut bytes, 24 + 16 + 12 + 4, 4242); // first member's type
    let btf = Btf::parse(bytes).unwrap();
    assert_eq!(btf.type_by_id(t(2)).unwrap_err(), BtfError::BadTypeRef { id: t(2), target: t(4242), count: 7 });
    assert_eq!(btf.type_by_id(t(700)).unwrap_err(), BtfError::NoSuchType { id: t(700), count: 7 });
}

#[test]
fn reference_cycles_end_with_an_error() {
    let mut b = BtfBuilder::new();
    b.add(&Type { name: "a", body: Body::Typedef(t(2)) });
    b.add(&Type { name: "b", body: Body::Typedef(t(1)) });
    let btf = Btf::parse(b.build()).unwrap();
    assert!(matches!(btf.skip_mods_and_typedefs(t(1)).unwrap_err(), BtfError::RefChainTooLong { .. }));
    assert!(matches!(btf.size_of(t(1)).unwrap_err(), BtfError::RefChainTooLong { .. }));
    assert!(matches!(btf.align_of(t(1)).unwrap_err(), BtfError::RefChainTooLong { .. }));
}

#[test]
fn absurd_member_count_does_not_allocate_before_checking() {
    // A 64k-member struct claim in a tiny blob fails on the bounds check, not on allocation.
    let mut bytes = sample_bytes();
    let info_at = 24 + 16 + 4;
    let info = u32::from_ne_bytes(bytes[info_at..info_at + 4].try_into().unwrap());
    patch(&mut bytes, info_at, info | 0xffff);
    assert!(matches!(Btf::parse(bytes).unwrap_err(), BtfError::TypeTruncated { .. }));
}

#[test]
fn unterminated_strings_are_rejected() {
    let mut bytes = sample_bytes();
    let last = bytes.len() - 1;
    bytes[last] = b'x';
    assert!(matches!(Btf::parse(bytes).unwrap_err(), BtfError::StringsNotTerminated { .. }));
}

#[test]
fn vmlinux_parses_when_present() {
    let path = std::path::Path::new(crate::source::VMLINUX_BTF);
    if !path.exists() {
        println!("SKIP: vmlinux_parses_when_present: {} not present", path.display());
        return;
    }
    let btf = crate::source::vmlinux().unwrap();
    assert!(btf.count() > 10_000, "only {} types", btf.count());
    let id = btf.find_by_name_kind("tcp_connect", Kind::Func).expect("tcp_connect in vmlinux");
    let Body::Func(f) = btf.type_by_id(id).unwrap().body else { panic!() };
    let Body::FuncProto(p) = btf.type_by_id(f.proto).unwrap().body else { panic!() };
    assert_eq!(p.params.len(), 1);
    assert_eq!(p.params[0].name, "sk");
    // Every type decodes.
    for id in btf.ids() {
        btf.type_by_id(id).unwrap_or_else(|e| panic!("type {id}: {e}"));
    }
}

#[test]
fn shared_bytes_parse_like_owned() {
    let bytes = sample_bytes();
    let owned = Btf::parse(bytes.clone()).unwrap();
    let shared_bytes: crate::bytes::SharedBytes = std::sync::Arc::new(bytes.clone());
    let shared = Btf::parse(shared_bytes).unwrap();
    assert_eq!(shared.raw(), &bytes[..]);
    assert_eq!(shared.count(), owned.count());
    for id in owned.ids() {
        assert_eq!(format!("{:?}", shared.type_by_id(id)), format!("{:?}", owned.type_by_id(id)), "type {id}");
    }
    // The shared buffer is its owner's, not the Btf's heap.
    assert!(shared.heap_bytes() + bytes.len() <= owned.heap_bytes());
}

#[test]
fn names_ending_other_strings_are_found_by_scan_and_index_alike() {
    // Types 3 and 4 are named by offsets inside "xfoo": "foo" (a second user) and "o".
    let mut b = BtfBuilder::with_strings(crate::wire::Endian::native(), b"\0xfoo\0foo\0");
    for name in ["xfoo", "foo", "q", "r"] {
        b.struct_(name, 0, &[]);
    }
    let mut bytes = b.build();
    // Header (24 bytes), then four 12-byte records; the name offset is each record's first word.
    patch(&mut bytes, 24 + 2 * 12, 2);
    patch(&mut bytes, 24 + 3 * 12, 4);
    let scanning = Btf::parse(bytes.clone()).unwrap();
    let indexed = Btf::parse(bytes).unwrap();
    for _ in 0..3 {
        indexed.ids_by_name("warm").count(); // past the scanned lookups: the index is built
    }
    let ids = |btf: &Btf, n: &str| btf.ids_by_name(n).collect::<Vec<_>>();
    for (name, want) in [("foo", vec![t(2), t(3)]), ("o", vec![t(4)]), ("xfoo", vec![t(1)]), ("oo", vec![])] {
        assert_eq!(ids(&indexed, name), want, "index: {name}");
        assert_eq!(ids(&Btf::parse(scanning.raw().to_vec()).unwrap(), name), want, "scan: {name}");
    }
    assert_eq!(ids(&scanning, "fo\0o"), vec![], "a name with a NUL names nothing");
}

#[test]
fn parse_finding_finds_what_a_lookup_finds() {
    let mut blobs = vec![("sample", sample_bytes())];
    match std::fs::read(crate::source::VMLINUX_BTF) {
        // Large enough for the two interleaved chains: names in both halves of the types.
        Ok(v) => blobs.push(("vmlinux", v)),
        Err(e) => println!("SKIP (vmlinux part): parse_finding_finds_what_a_lookup_finds: {e}"),
    }
    for (what, bytes) in blobs {
        let btf = Btf::parse(bytes.clone()).unwrap();
        for name in ["int", "sock", "tcp_connect", "task_struct", "e", "", "no such type", "s\0ck"] {
            let (found, ids) = Btf::parse_finding(bytes.clone(), name).unwrap();
            assert_eq!(found.count(), btf.count(), "{what}");
            assert_eq!(ids, btf.ids_by_name(name).collect::<Vec<_>>(), "{what}: {name:?}");
        }
    }
}

#[test]
fn names_looked_up_while_parsing_answer_later_lookups_without_a_scan_or_index() {
    let bytes = sample_bytes();
    let names = ["sock", "int", "tcp_connect", "nope", "sock", ""];
    let plain = Btf::parse(bytes.clone()).unwrap();
    let btf = Btf::parse_with_names(bytes, &names).unwrap();
    let before = btf.heap_bytes();
    for _ in 0..5 {
        for name in names {
            assert_eq!(
                btf.ids_by_name(name).collect::<Vec<_>>(),
                plain.ids_by_name(name).collect::<Vec<_>>(),
                "{name}"
            );
        }
    }
    assert_eq!(btf.heap_bytes(), before, "known names never build the index");
    // A name not given still works, through the scan and then the index.
    for _ in 0..4 {
        assert_eq!(btf.find_by_name_kind("e", Kind::Enum64), Some(t(6)));
    }
}
