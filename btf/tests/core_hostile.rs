//! CO-RE over hostile BTF: reference cycles and self-referencing types end in errors or
//! answers, never hangs or panics.

mod core_util;

use btf::core::{AccessError, CompatError, CoreError, RelocKind::*, SpecError, Unsatisfied};
use btf::types::{Array, Body, Type};
use btf::BtfError;
use core_util::*;

#[test]
fn typedef_cycles_are_btf_errors() {
    // 1: int, 2: struct s { T x; }, 3: typedef T -> 4, 4: typedef U -> 3
    let mut b = B::new();
    b.int("int", 4, true);
    b.st("s", 4, &[("x", id(3), 0)]);
    b.0.add(&Type { name: "T", body: Body::Typedef(id(4)) });
    b.0.add(&Type { name: "U", body: Body::Typedef(id(3)) });
    let btf = b.btf();
    let e = try_resolve(&btf, &btf, FieldByteSize, 2, "0:0").unwrap_err();
    assert!(matches!(e, CoreError::Btf { relo: 0, .. }), "{e:?}");
    assert!(cause(&e).contains("reference chain"), "{e:?}");
    let e = try_resolve(&btf, &btf, TypeExists, 3, "0").unwrap_err();
    assert!(matches!(e, CoreError::Btf { relo: 0, source: BtfError::RefChainTooLong { .. } }), "{e:?}");
    assert!(cause(&e).contains("reference chain"), "{e:?}");
}

#[test]
fn self_containing_arrays_do_not_hang_field_matching() {
    // 1: int, 2: array of itself, 3: struct s { arr a; }
    let mut b = B::new();
    b.int("int", 4, true);
    b.0.add(&Type { name: "", body: Body::Array(Array { elem: id(2), index: id(1), nelems: 1 }) });
    b.st("s", 4, &[("a", id(2), 0)]);
    let btf = b.btf();
    // Sizing the array already fails; either way an error, not a hang.
    let e = try_resolve(&btf, &btf, FieldByteOffset, 3, "0:0").unwrap_err();
    assert!(
        matches!(&e, CoreError::Btf { relo: 0, source: BtfError::RefChainTooLong { id: chain, .. } } if *chain == id(2)),
        "{e:?}"
    );
    let e = try_resolve(&btf, &btf, TypeMatches, 3, "0").unwrap_err();
    let deep = Unsatisfied::Compat(CompatError::TypesTooDeep { limit: 32 });
    assert!(matches!(&e, CoreError::Unsatisfiable { relo: 0, reason, .. } if *reason == deep), "{e:?}");
    assert!(e.to_string().contains("nest deeper than 32 levels"), "{e}");
}

#[test]
fn recursive_structs_behind_pointers_match() {
    // struct node { int v; struct node *next; } matches itself: recursion stops behind the pointer.
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let p = b.ptr(id(3));
    b.st("node", 16, &[("v", int, 0), ("next", p, 64)]);
    let btf = b.btf();
    assert_eq!(values(&resolve(&btf, &btf, TypeMatches, 3, "0")), (1, Some(1)));
    assert_eq!(values(&resolve(&btf, &btf, TypeExists, 3, "0")), (1, Some(1)));
    assert_eq!(values(&resolve(&btf, &btf, FieldByteOffset, 3, "0:1")), (8, Some(8)));
}

#[test]
fn deep_access_paths_are_refused() {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    b.st("s", 4, &[("x", int, 0)]);
    let btf = b.btf();
    let spec_error = |e: CoreError| match e {
        CoreError::BadSpec { reason, .. } => reason,
        other => panic!("{other:?}"),
    };
    let long_path = vec!["0"; 65].join(":");
    let e = try_resolve(&btf, &btf, FieldByteOffset, 2, &long_path).unwrap_err();
    assert!(e.to_string().contains("more than 64 steps"), "{e}");
    assert_eq!(spec_error(e), SpecError::Access(AccessError::TooManySteps { max: 64 }));
    let e = try_resolve(&btf, &btf, FieldByteOffset, 2, "0:99999999999").unwrap_err();
    assert!(e.to_string().contains("index 99999999999 is too large"), "{e}");
    assert_eq!(spec_error(e), SpecError::Access(AccessError::TooLarge { step: 1, part: "99999999999".into() }));
    // A huge first index overflows the 32-bit bit offset: an error, not a wrap.
    let e = try_resolve(&btf, &btf, FieldByteOffset, 2, "4000000000:0").unwrap_err();
    assert!(e.to_string().contains("bit offset 128000000000 overflows 32 bits"), "{e}");
    assert_eq!(spec_error(e), SpecError::BitOffsetOverflow { bits: 4_000_000_000 * 32 });
    // A relocation on a type id that does not exist.
    let e = try_resolve(&btf, &btf, FieldByteOffset, 77, "0:0").unwrap_err();
    assert!(matches!(e, CoreError::Btf { .. }), "{e:?}");
}

/// What caused `e`, as its `source()` says.
fn cause(e: &dyn std::error::Error) -> String {
    e.source().map(|c| c.to_string()).unwrap_or_default()
}
