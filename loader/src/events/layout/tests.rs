//! A compiled layout must visit exactly what `btf::value::decode` decodes: a visitor that
//! rebuilds the value tree from the calls must give back decode's tree, for every kind of
//! field and for many random records.

use btf::types::{Array, Body, Enum, EnumValue, Int, IntEncoding, Type};
use btf::value::{decode, Value};
use btf::{Btf, BtfBuilder, TypeId};

use super::{Layout, Visit};

/// Rebuilds a `Value` from the visit calls.
#[derive(Default)]
struct Rebuild {
    /// Open structs and arrays, each with the member name waiting for its value.
    stack: Vec<(Value, String)>,
    done: Option<Value>,
}

impl Rebuild {
    fn put(&mut self, v: Value) {
        match self.stack.last_mut() {
            Some((Value::Struct(m), name)) => m.push((std::mem::take(name), v)),
            Some((Value::Array(items), _)) => items.push(v),
            _ => self.done = Some(v),
        }
    }
}

impl Visit for Rebuild {
    fn begin_struct(&mut self) {
        self.stack.push((Value::Struct(Vec::new()), String::new()));
    }
    fn member(&mut self, index: usize, name: &str) {
        let (Value::Struct(m), pending) = self.stack.last_mut().unwrap() else { panic!("member outside a struct") };
        assert_eq!(index, m.len());
        *pending = name.to_owned();
    }
    fn end_struct(&mut self) {
        let (v, _) = self.stack.pop().unwrap();
        self.put(v);
    }
    fn begin_array(&mut self) {
        self.stack.push((Value::Array(Vec::new()), String::new()));
    }
    fn element(&mut self, index: usize) {
        let (Value::Array(items), _) = self.stack.last_mut().unwrap() else { panic!("element outside an array") };
        assert_eq!(index, items.len());
    }
    fn end_array(&mut self) {
        self.end_struct();
    }
    fn int(&mut self, v: i128) {
        self.put(Value::Int(v));
    }
    fn uint(&mut self, v: u128) {
        self.put(Value::Uint(v));
    }
    fn bool(&mut self, v: bool) {
        self.put(Value::Bool(v));
    }
    fn float(&mut self, v: f64) {
        self.put(Value::Float(v));
    }
    fn enumerator(&mut self, value: i128, name: Option<&str>) {
        self.put(Value::Enum { value, name: name.map(str::to_owned) });
    }
    fn ptr(&mut self, v: u64) {
        self.put(Value::Ptr(v));
    }
    fn text(&mut self, bytes: &[u8]) {
        self.put(Value::Str(String::from_utf8_lossy(bytes).into_owned()));
    }
    fn bytes(&mut self, b: &[u8]) {
        self.put(Value::Bytes(b.to_vec()));
    }
}

fn int(b: &mut BtfBuilder, name: &str, size: u32, encoding: IntEncoding) -> TypeId {
    b.add(&Type { name, body: Body::Int(Int { size, encoding, offset: 0, bits: (size * 8) as u8 }) })
}

fn array(b: &mut BtfBuilder, elem: TypeId, index: TypeId, nelems: u32) -> TypeId {
    b.add(&Type { name: "", body: Body::Array(Array { elem, index, nelems }) })
}

/// One struct with a field of every kind `btf::value` knows.
fn every_kind() -> (Btf, TypeId, usize) {
    let mut b = BtfBuilder::new();
    let signed = IntEncoding { signed: true, ..Default::default() };
    let i8_ = int(&mut b, "signed char", 1, signed);
    let u8_ = b.int("unsigned char", 1, false);
    let i16_ = b.int("short", 2, true);
    let u32_ = b.int("unsigned int", 4, false);
    let i64_ = b.int("long", 8, true);
    let u128_ = b.int("unsigned __int128", 16, false);
    let i128_ = b.int("__int128", 16, true);
    let bool_ = int(&mut b, "_Bool", 1, IntEncoding { bool: true, ..Default::default() });
    let ch = int(&mut b, "char", 1, IntEncoding::default());
    let f32_ = b.add(&Type { name: "float", body: Body::Float { size: 4 } });
    let f64_ = b.add(&Type { name: "double", body: Body::Float { size: 8 } });
    let comm = array(&mut b, ch, u32_, 8);
    let bytes = array(&mut b, u8_, u32_, 3);
    let grid = array(&mut b, i16_, u32_, 2);
    let grid2 = array(&mut b, grid, u32_, 2);
    let values = vec![EnumValue { name: "NEG", value: u64::MAX }, EnumValue { name: "ONE", value: 1 }];
    let state = b.add(&Type { name: "state", body: Body::Enum(Enum { size: 4, signed: true, values }) });
    let big = vec![EnumValue { name: "HUGE", value: 1 << 40 }];
    let state64 = b.add(&Type { name: "big", body: Body::Enum64(Enum { size: 8, signed: false, values: big }) });
    let cst = b.add(&Type { name: "", body: Body::Const(u32_) });
    let td = b.add(&Type { name: "pid_t", body: Body::Typedef(cst) });
    let ptr = b.ptr(u32_);
    let bits = b.composite("bits", false, 4, &[("lo", u8_, 0, 3), ("mid", i16_, 3, 9), ("hi", state, 12, 20)]);
    let pair = b.struct_("pair", 4, &[("a", i16_, 0), ("b", i16_, 16)]);
    let pairs = array(&mut b, pair, u32_, 3);
    let un = b.composite("", true, 4, &[("x", u32_, 0, 0), ("y", f32_, 0, 0)]);
    let fwd = b.add(&Type { name: "later", body: Body::Fwd { is_union: false } });
    let fwd_ptr = b.ptr(fwd);
    let members: &[(&str, TypeId, u32)] = &[
        ("c", i8_, 0),
        ("u", u8_, 8),
        ("s", i16_, 16),
        ("pid", td, 32),
        ("l", i64_, 64),
        ("ok", bool_, 128),
        ("comm", comm, 136),
        ("raw", bytes, 200),
        ("f", f32_, 224),
        ("d", f64_, 256),
        ("st", state, 320),
        ("st64", state64, 384),
        ("p", ptr, 448),
        ("bits", bits, 512),
        ("grid", grid2, 544),
        ("pairs", pairs, 608),
        ("", un, 704),
        ("later", fwd_ptr, 768),
        ("big", u128_, 832),
        ("sbig", i128_, 960),
    ];
    let ev = b.struct_("event", 136, members);
    let btf = Btf::parse(b.build()).unwrap();
    (btf, ev, 136)
}

fn random_records(size: usize, n: usize) -> Vec<Vec<u8>> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|k| {
            (0..size)
                .map(|i| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    // Some records mostly zero and small, so enumerators and NULs match often.
                    let b = (x >> 56) as u8;
                    if k % 3 == 0 && i % 4 != 0 {
                        0
                    } else if k % 3 == 1 {
                        b & 3
                    } else {
                        b
                    }
                })
                .collect()
        })
        .collect()
}

fn rebuilt(layout: &Layout, data: &[u8]) -> Value {
    let mut r = Rebuild::default();
    layout.walk(data, &mut r);
    assert!(r.stack.is_empty());
    r.done.expect("a value")
}

/// Compares two trees, NaN equal to NaN (random bytes make NaNs).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Struct(x), Value::Struct(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((n, v), (m, w))| n == m && same(v, w))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w)),
        _ => a == b,
    }
}

#[test]
fn a_compiled_layout_visits_what_decode_decodes() {
    let (btf, ev, size) = every_kind();
    let layout = Layout::compile(&btf, ev, size).expect("every kind compiles");
    for (k, rec) in random_records(size, 300).iter().enumerate() {
        let want = decode(&btf, ev, rec).unwrap();
        let got = rebuilt(&layout, rec);
        assert!(same(&got, &want), "record {k}:\n got {got:?}\nwant {want:?}");
    }
    let names = layout.member_names();
    assert_eq!(names[0][..3], ["c", "u", "s"]);
    assert_eq!(names.len(), 4, "event, bits, pair (once: an array element), the union");
}

#[test]
fn what_cannot_be_mirrored_is_not_compiled() {
    let mut b = BtfBuilder::new();
    let u32_ = b.int("unsigned int", 4, false);
    // A member past the struct's end: decode fails on it, so the layout must not read it.
    let past = b.struct_("past", 4, &[("a", u32_, 0), ("b", u32_, 32)]);
    // An array element whose member lies past the element's own size.
    let wide = b.struct_("wide", 4, &[("a", u32_, 32)]);
    let arr = array(&mut b, wide, u32_, 2);
    let holder = b.struct_("holder", 12, &[("w", arr, 0)]);
    // A bitfield wider than 64 bits.
    let u128_ = b.int("unsigned __int128", 16, false);
    let wide_bits = b.composite("wb", false, 16, &[("x", u128_, 0, 100)]);
    // A cycle through a struct member (hostile BTF): deeper than decode goes.
    let next = b.next_id();
    let cycle = b.struct_("cycle", 4, &[("again", next, 0)]);
    assert_eq!(cycle, next);
    let btf = Btf::parse(b.build()).unwrap();
    for (ty, size) in [(past, 4), (holder, 12), (wide_bits, 16), (cycle, 4)] {
        assert!(Layout::compile(&btf, ty, size).is_none(), "{ty:?}");
    }
}

#[test]
fn a_negative_enumerator_is_named_in_a_record() {
    let (btf, ev, size) = every_kind();
    let layout = Layout::compile(&btf, ev, size).expect("every kind compiles");
    let mut rec = vec![0u8; size];
    rec[40..44].copy_from_slice(&(-1i32).to_ne_bytes()); // `st`, a signed 4-byte enum
    let Value::Struct(members) = rebuilt(&layout, &rec) else { panic!("not a struct") };
    let st = members.iter().find(|(n, _)| n == "st").map(|(_, v)| v);
    assert_eq!(st, Some(&Value::Enum { value: -1, name: Some("NEG".into()) }));
}
