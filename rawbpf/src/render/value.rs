//! Decoded values (btf::value) as C-like text — `{ .pid = 7, .comm = "nc" }` — and as JSON.

use btf::value::Value;

use crate::json::{obj, Json};

/// C designated-initializer style, one line.
pub fn text(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Uint(u) => u.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Enum { name: Some(n), .. } => n.clone(),
        Value::Enum { value, name: None } => value.to_string(),
        Value::Ptr(p) => format!("{p:#x}"),
        Value::Str(s) => format!("{s:?}"),
        Value::Array(items) => format!("[{}]", items.iter().map(text).collect::<Vec<_>>().join(", ")),
        Value::Struct(members) => {
            let inner: Vec<String> = members
                .iter()
                .map(|(n, v)| if n.is_empty() { text(v) } else { format!(".{n} = {}", text(v)) })
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        Value::Bytes(b) => hex(b),
    }
}

/// The same value as JSON: numbers, strings, arrays and objects keyed by member name.
pub fn json(v: &Value) -> Json {
    match v {
        // JSON numbers lose precision past 2^53 in most readers: big ones go as strings.
        Value::Int(i) => i64::try_from(*i).map_or_else(|_| Json::from(i.to_string()), Json::from),
        Value::Uint(u) => u64::try_from(*u).map_or_else(|_| Json::from(u.to_string()), Json::from),
        Value::Bool(b) => Json::from(*b),
        Value::Float(f) => Json::from(*f),
        Value::Enum { name: Some(n), .. } => Json::from(n.as_str()),
        Value::Enum { value, name: None } => Json::from(i64::try_from(*value).unwrap_or_default()),
        Value::Ptr(p) => Json::from(format!("{p:#x}")),
        Value::Str(s) => Json::from(s.as_str()),
        Value::Array(items) => Json::Array(items.iter().map(json).collect()),
        Value::Struct(members) => obj(members
            .iter()
            .enumerate()
            .map(|(i, (n, v))| (if n.is_empty() { format!("anon{i}") } else { n.clone() }, json(v)))),
        Value::Bytes(b) => Json::from(hex(b)),
    }
}

/// Bytes as bpftool prints them: `0a 00 00 00`.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_read_like_c_initializers() {
        let v = Value::Struct(vec![
            ("pid".into(), Value::Int(7)),
            ("comm".into(), Value::Str("nc".into())),
            ("a".into(), Value::Array(vec![Value::Uint(1), Value::Uint(2)])),
            ("st".into(), Value::Enum { value: 1, name: Some("ON".into()) }),
        ]);
        assert_eq!(text(&v), r#"{ .pid = 7, .comm = "nc", .a = [1, 2], .st = ON }"#);
        assert_eq!(json(&v).to_string(), r#"{"pid":7,"comm":"nc","a":[1,2],"st":"ON"}"#);
        assert_eq!(text(&Value::Bytes(vec![10, 0])), "0a 00");
        assert_eq!(json(&Value::Uint(u128::MAX)).to_string(), format!("\"{}\"", u128::MAX));
    }
}
