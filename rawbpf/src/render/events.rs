//! Records from perf event arrays and ring buffers as `rawbpf load` prints them — one line each,
//! decoded C-like (render::value) or as hex — and what was lost.

use btf::value::Value;
use loader::events::{MapTotals, Record, RingKind};

use crate::json::{obj, Json};
use crate::render::value;

/// Where a record came from: `events cpu=1 size=28` (perf) or `rb size=24` (ring buffer).
#[cfg(test)]
fn origin(r: &Record<'_>) -> String {
    match r.cpu {
        Some(cpu) => format!("{} cpu={cpu} size={}", r.map, r.data.len()),
        None => format!("{} size={}", r.map, r.data.len()),
    }
}

/// One line: the origin, then the decoded value, or the bytes in hex. `rawbpf load` writes
/// lines with `render::event_line`, tested against this.
#[cfg(test)]
pub fn text(r: &Record<'_>, decoded: Option<&Value>) -> String {
    match decoded {
        Some(v) => format!("{} {}", origin(r), value::text(v)),
        None => format!("{} {}", origin(r), value::hex(r.data)),
    }
}

/// `{"map":..,"cpu":..,"size":..,"value":{..}}` (`cpu` for perf records only; `data`, in hex,
/// instead of `value` without a type to decode by). `render::event_line` writes the same
/// bytes without building the document, except for types whose JSON keys would repeat.
pub fn json(r: &Record<'_>, decoded: Option<&Value>) -> Json {
    let mut pairs = vec![("map", Json::from(r.map))];
    if let Some(cpu) = r.cpu {
        pairs.push(("cpu", cpu.into()));
    }
    pairs.push(("size", r.data.len().into()));
    match decoded {
        Some(v) => pairs.push(("value", value::json(v))),
        None => pairs.push(("data", value::hex(r.data).into())),
    }
    obj(pairs)
}

/// A perf ring's loss, for stderr.
pub fn lost_text(map: &str, cpu: u32, count: u64) -> String {
    format!("rawbpf: {map}: CPU {cpu} lost {count} sample(s): its perf ring was full (the reader fell behind)")
}

/// A perf ring's loss as a JSON line: `{"map":..,"cpu":..,"lost":N}`.
pub fn lost_json(map: &str, cpu: u32, count: u64) -> Json {
    obj([("map", Json::from(map)), ("cpu", cpu.into()), ("lost", count.into())])
}

/// A discarded ring buffer record, for stderr.
pub fn discarded_text(map: &str, len: u32) -> String {
    format!("rawbpf: {map}: a {len}-byte record was discarded by its producer")
}

/// A discarded record as a JSON line: `{"map":..,"discarded":1,"size":N}`.
pub fn discarded_json(map: &str, len: u32) -> Json {
    obj([("map", Json::from(map)), ("discarded", 1.into()), ("size", len.into())])
}

/// The exit summary: per map, what it delivered and lost.
pub fn summary(totals: &[MapTotals]) -> String {
    let per_map: Vec<String> = totals
        .iter()
        .map(|t| match t.kind {
            RingKind::Perf => {
                format!("{}: {} record(s) from {} CPU ring(s), {} lost", t.map, t.records, t.cpus, t.lost)
            }
            RingKind::Ringbuf => format!("{}: {} record(s), {} discarded", t.map, t.records, t.discarded),
        })
        .collect();
    format!("rawbpf: events: {}", per_map.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_print_with_their_map_cpu_and_size() {
        let perf = Record { map: "events", cpu: Some(1), data: &[7, 0, 0, 0] };
        let v = Value::Struct(vec![("pid".into(), Value::Uint(7))]);
        assert_eq!(text(&perf, Some(&v)), "events cpu=1 size=4 { .pid = 7 }");
        assert_eq!(json(&perf, Some(&v)).to_string(), r#"{"map":"events","cpu":1,"size":4,"value":{"pid":7}}"#);
        let rb = Record { map: "rb", cpu: None, data: &[10, 0] };
        assert_eq!(text(&rb, None), "rb size=2 0a 00");
        assert_eq!(json(&rb, None).to_string(), r#"{"map":"rb","size":2,"data":"0a 00"}"#);
        assert_eq!(lost_json("events", 0, 3).to_string(), r#"{"map":"events","cpu":0,"lost":3}"#);
    }
}
