//! The visitors must write exactly what `render::value` and `render::events` write, for every
//! kind of value and the strings that need escaping.

use btf::types::{Array, Body, Type};
use btf::value::Value;
use btf::{Btf, BtfBuilder};
use loader::events::{EventType, Record, Visit};

use super::event_line::{Json, LineWriter, Text};
use crate::render::{events, value};

fn replay(value: &Value, v: &mut impl Visit) {
    match value {
        Value::Int(i) => v.int(*i),
        Value::Uint(u) => v.uint(*u),
        Value::Bool(b) => v.bool(*b),
        Value::Float(f) => v.float(*f),
        Value::Enum { value, name } => v.enumerator(*value, name.as_deref()),
        Value::Ptr(p) => v.ptr(*p),
        Value::Str(s) => v.text(s.as_bytes()),
        Value::Bytes(b) => v.bytes(b),
        Value::Array(items) => {
            v.begin_array();
            items.iter().enumerate().for_each(|(k, item)| {
                v.element(k);
                replay(item, v)
            });
            v.end_array();
        }
        Value::Struct(members) => {
            v.begin_struct();
            members.iter().enumerate().for_each(|(k, (name, m))| {
                v.member(k, name);
                replay(m, v)
            });
            v.end_struct();
        }
    }
}

fn samples() -> Vec<Value> {
    let s = |x: &str| Value::Str(x.into());
    vec![
        Value::Int(-7),
        Value::Int(i128::from(i64::MIN)),
        Value::Int(i128::from(i64::MIN) - 1),
        Value::Int(i128::MIN),
        Value::Uint(0),
        Value::Uint(u128::from(u64::MAX)),
        Value::Uint(u128::from(u64::MAX) + 1),
        Value::Uint(u128::MAX),
        Value::Bool(true),
        Value::Float(1.5),
        Value::Float(1e300),
        Value::Float(-0.0),
        Value::Float(f64::NAN),
        Value::Float(f64::INFINITY),
        Value::Float(f32::MAX as f64),
        Value::Enum { value: 1, name: Some("ON".into()) },
        Value::Enum { value: -3, name: None },
        Value::Enum { value: i128::from(u64::MAX), name: None },
        Value::Enum { value: 2, name: Some("we\"ird\n".into()) },
        Value::Ptr(0),
        Value::Ptr(0xffff_8880_dead_beef),
        s(""),
        s("nc"),
        s("with \"quotes\" and \\ back"),
        s("tab\there\u{1}\u{7f}"),
        s("héllo ✓ \u{301}e"),
        s("\u{fffd}bad"),
        Value::Bytes(vec![]),
        Value::Bytes(vec![0x0a, 0, 0xff]),
        Value::Array(vec![]),
        Value::Array(vec![Value::Uint(1), Value::Array(vec![Value::Int(-1), Value::Int(2)])]),
        Value::Struct(vec![]),
        Value::Struct(vec![
            ("pid".into(), Value::Uint(7)),
            ("".into(), Value::Struct(vec![("x".into(), Value::Uint(1))])),
            ("comm".into(), s("sh")),
            ("".into(), Value::Uint(2)),
            ("ké\"y".into(), Value::Bool(false)),
        ]),
    ]
}

#[test]
fn visitors_write_what_the_value_renderers_write() {
    for v in samples() {
        let mut b = Vec::new();
        replay(&v, &mut Text { b: &mut b });
        assert_eq!(String::from_utf8(b).unwrap(), value::text(&v), "text of {v:?}");
        let mut b = Vec::new();
        replay(&v, &mut Json(&mut b));
        assert_eq!(String::from_utf8(b).unwrap(), value::json(&v).to_string(), "json of {v:?}");
    }
}

/// `struct event` of progs/include/rawbpf_events.h, and one with an anonymous member.
fn event_btf() -> (Btf, Btf) {
    let mut b = BtfBuilder::new();
    let u32_ = b.int("unsigned int", 4, false);
    let u64_ = b.int("unsigned long long", 8, false);
    let ch = b.int("char", 1, true);
    let comm = b.add(&Type { name: "", body: Body::Array(Array { elem: ch, index: u32_, nelems: 16 }) });
    b.struct_("event", 32, &[("pid", u32_, 0), ("tid", u32_, 32), ("comm", comm, 64), ("ktime_ns", u64_, 192)]);
    let plain = Btf::parse(b.build()).unwrap();
    let mut b = BtfBuilder::new();
    let u32_ = b.int("unsigned int", 4, false);
    let inner = b.struct_("", 4, &[("x", u32_, 0)]);
    // The anonymous member's key would be anon1, which the first member already is.
    b.struct_("event", 8, &[("anon1", u32_, 0), ("", inner, 32)]);
    (plain, Btf::parse(b.build()).unwrap())
}

fn record_bytes() -> Vec<u8> {
    let mut data = Vec::new();
    data.extend(4242u32.to_ne_bytes());
    data.extend(4243u32.to_ne_bytes());
    data.extend(b"rawbpf-bench\0\0\0\0");
    data.extend(123_456_789_012u64.to_ne_bytes());
    data.extend([0, 0, 0, 0]); // perf pads samples
    data
}

#[test]
fn lines_are_what_render_events_prints() {
    let (plain, clash) = event_btf();
    let data = record_bytes();
    for btf in [&plain, &clash] {
        let ty = EventType::find(Some(btf), "event").unwrap();
        for r in [Record { map: "events", cpu: Some(1), data: &data }, Record { map: "rb", cpu: None, data: &data }] {
            let v = ty.decode(r.data).unwrap();
            let mut w = LineWriter::new(Some(&ty), false);
            assert_eq!(w.line(&r).unwrap(), format!("{}\n", events::text(&r, Some(&v))).as_bytes());
            let mut w = LineWriter::new(Some(&ty), true);
            if w.json_by_visit() {
                assert_eq!(w.line(&r).unwrap(), format!("{}\n", events::json(&r, Some(&v))).as_bytes());
            }
            let mut w = LineWriter::new(None, true);
            assert_eq!(w.line(&r).unwrap(), format!("{}\n", events::json(&r, None)).as_bytes());
            let mut w = LineWriter::new(None, false);
            assert_eq!(w.line(&r).unwrap(), format!("{}\n", events::text(&r, None)).as_bytes());
        }
    }
    let through_serde = EventType::find(Some(&clash), "event").unwrap();
    assert!(!LineWriter::new(Some(&through_serde), true).json_by_visit());
    assert!(LineWriter::new(Some(&through_serde), false).json_by_visit(), "text has no keys");
    let ty = EventType::find(Some(&plain), "event").unwrap();
    assert!(LineWriter::new(Some(&ty), true).json_by_visit());
    let line =
        LineWriter::new(Some(&ty), false).line(&Record { map: "events", cpu: Some(0), data: &data }).unwrap().to_vec();
    assert_eq!(
        String::from_utf8(line).unwrap(),
        "events cpu=0 size=36 { .pid = 4242, .tid = 4243, .comm = \"rawbpf-bench\", .ktime_ns = 123456789012 }\n"
    );
    let short = LineWriter::new(Some(&ty), true).line(&Record { map: "rb", cpu: None, data: &data[..8] }).map(|_| ());
    assert_eq!(short.unwrap_err().to_string(), "a 8-byte record is shorter than event (32 bytes)");
}
