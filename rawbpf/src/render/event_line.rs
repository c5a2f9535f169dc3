//! One record as `rawbpf load` prints it — the same bytes as `render::events::text` and
//! `render::events::json` — written field by field into one reused buffer as the compiled
//! event type visits the record: no value tree, no `String` per field, no allocation per
//! record once the buffer has grown to a line.
//!
//! Self-contained (only `loader` and `serde_json`): benches/events.rs includes this file to
//! measure exactly what `rawbpf load` does per record. Its tests are `render::event_line_tests`.

use std::io::Write as _;

use loader::events::{EventType, EventTypeError, Record, Visit};

/// Writes record lines.
pub struct LineWriter<'t, 'b> {
    ty: Option<&'t EventType<'b>>,
    json: bool,
    /// JSON keys are the members' names (`anon<i>` for anonymous ones): when two would be the
    /// same, serde_json keeps one, so such types must be written through it (`render::events`).
    json_by_visit: bool,
    buf: Vec<u8>,
}

impl<'t, 'b> LineWriter<'t, 'b> {
    /// A writer for records decoded as `ty` (hex without), as text or JSON lines.
    pub fn new(ty: Option<&'t EventType<'b>>, json: bool) -> Self {
        let json_by_visit =
            ty.and_then(EventType::member_names).is_some_and(|structs| structs.iter().all(|m| unique_keys(m)));
        LineWriter { ty, json, json_by_visit, buf: Vec::with_capacity(256) }
    }

    /// The type records are decoded as.
    pub fn event_type(&self) -> Option<&'t EventType<'b>> {
        self.ty
    }

    /// Whether [`Self::line`] writes JSON lines as `render::events::json` would; `false` for a
    /// type whose JSON keys would repeat, whose lines the caller writes through that instead.
    pub fn json_by_visit(&self) -> bool {
        !self.json || self.ty.is_none() || self.json_by_visit
    }

    /// The line for `r`, newline included, or why its record could not be decoded.
    pub fn line(&mut self, r: &Record<'_>) -> Result<&[u8], EventTypeError> {
        self.buf.clear();
        if self.json {
            self.json_line(r)?;
        } else {
            self.text_line(r)?;
        }
        self.buf.push(b'\n');
        Ok(&self.buf)
    }

    fn text_line(&mut self, r: &Record<'_>) -> Result<(), EventTypeError> {
        let b = &mut self.buf;
        b.extend_from_slice(r.map.as_bytes());
        if let Some(cpu) = r.cpu {
            b.extend_from_slice(b" cpu=");
            decimal(b, cpu.into());
        }
        b.extend_from_slice(b" size=");
        decimal(b, r.data.len() as u64);
        b.push(b' ');
        match self.ty {
            Some(t) => t.visit(r.data, &mut Text { b }),
            None => {
                hex(b, r.data);
                Ok(())
            }
        }
    }

    fn json_line(&mut self, r: &Record<'_>) -> Result<(), EventTypeError> {
        let b = &mut self.buf;
        b.extend_from_slice(b"{\"map\":");
        json_str(b, r.map.as_bytes());
        if let Some(cpu) = r.cpu {
            b.extend_from_slice(b",\"cpu\":");
            decimal(b, cpu.into());
        }
        b.extend_from_slice(b",\"size\":");
        decimal(b, r.data.len() as u64);
        match self.ty {
            Some(t) => {
                b.extend_from_slice(b",\"value\":");
                t.visit(r.data, &mut Json(b))?;
            }
            None => {
                b.extend_from_slice(b",\"data\":\"");
                hex(b, r.data);
                b.push(b'"');
            }
        }
        b.push(b'}');
        Ok(())
    }
}

/// Whether the JSON keys of one struct's members are all different.
fn unique_keys(members: &[&str]) -> bool {
    let keys: Vec<String> = members
        .iter()
        .enumerate()
        .map(|(i, n)| if n.is_empty() { format!("anon{i}") } else { (*n).to_owned() })
        .collect();
    let mut sorted: Vec<&String> = keys.iter().collect();
    sorted.sort();
    sorted.windows(2).all(|w| w[0] != w[1])
}

/// `render::value::text`, as a visitor (separators come from the member and element indexes).
pub(crate) struct Text<'a> {
    pub(crate) b: &'a mut Vec<u8>,
}

impl Visit for Text<'_> {
    fn begin_struct(&mut self) {
        self.b.extend_from_slice(b"{ ");
    }
    fn member(&mut self, index: usize, name: &str) {
        if index > 0 {
            self.b.extend_from_slice(b", ");
        }
        if !name.is_empty() {
            self.b.push(b'.');
            self.b.extend_from_slice(name.as_bytes());
            self.b.extend_from_slice(b" = ");
        }
    }
    fn end_struct(&mut self) {
        self.b.extend_from_slice(b" }");
    }
    fn begin_array(&mut self) {
        self.b.push(b'[');
    }
    fn element(&mut self, index: usize) {
        if index > 0 {
            self.b.extend_from_slice(b", ");
        }
    }
    fn end_array(&mut self) {
        self.b.push(b']');
    }
    fn int(&mut self, v: i128) {
        signed(self.b, v);
    }
    fn uint(&mut self, v: u128) {
        unsigned(self.b, v);
    }
    fn bool(&mut self, v: bool) {
        self.b.extend_from_slice(if v { b"true" } else { b"false" });
    }
    fn float(&mut self, v: f64) {
        let _ = write!(self.b, "{v}");
    }
    fn enumerator(&mut self, value: i128, name: Option<&str>) {
        match name {
            Some(n) => self.b.extend_from_slice(n.as_bytes()),
            None => signed(self.b, value),
        }
    }
    fn ptr(&mut self, v: u64) {
        let _ = write!(self.b, "{v:#x}");
    }
    fn text(&mut self, bytes: &[u8]) {
        if plain(bytes) {
            self.b.push(b'"');
            self.b.extend_from_slice(bytes);
            self.b.push(b'"');
        } else {
            let _ = write!(self.b, "{:?}", String::from_utf8_lossy(bytes));
        }
    }
    fn bytes(&mut self, b: &[u8]) {
        hex(self.b, b);
    }
}

/// `render::value::json` (serde_json's output of it), as a visitor.
pub(crate) struct Json<'a>(pub(crate) &'a mut Vec<u8>);

impl Visit for Json<'_> {
    fn begin_struct(&mut self) {
        self.0.push(b'{');
    }
    fn member(&mut self, index: usize, name: &str) {
        if index > 0 {
            self.0.push(b',');
        }
        if name.is_empty() {
            let _ = write!(self.0, "\"anon{index}\"");
        } else {
            json_str(self.0, name.as_bytes());
        }
        self.0.push(b':');
    }
    fn end_struct(&mut self) {
        self.0.push(b'}');
    }
    fn begin_array(&mut self) {
        self.0.push(b'[');
    }
    fn element(&mut self, index: usize) {
        if index > 0 {
            self.0.push(b',');
        }
    }
    fn end_array(&mut self) {
        self.0.push(b']');
    }
    fn int(&mut self, v: i128) {
        // JSON numbers lose precision past 2^53 in most readers: past i64, a string.
        if i64::try_from(v).is_ok() {
            signed(self.0, v);
        } else {
            self.0.push(b'"');
            signed(self.0, v);
            self.0.push(b'"');
        }
    }
    fn uint(&mut self, v: u128) {
        if u64::try_from(v).is_ok() {
            unsigned(self.0, v);
        } else {
            self.0.push(b'"');
            unsigned(self.0, v);
            self.0.push(b'"');
        }
    }
    fn bool(&mut self, v: bool) {
        self.0.extend_from_slice(if v { b"true" } else { b"false" });
    }
    fn float(&mut self, v: f64) {
        // serde_json's own float output (NaN and infinities are null).
        let _ = serde_json::to_writer(&mut *self.0, &serde_json::Value::from(v));
    }
    fn enumerator(&mut self, value: i128, name: Option<&str>) {
        match name {
            Some(n) => json_str(self.0, n.as_bytes()),
            None => signed(self.0, i64::try_from(value).unwrap_or_default().into()),
        }
    }
    fn ptr(&mut self, v: u64) {
        let _ = write!(self.0, "\"{v:#x}\"");
    }
    fn text(&mut self, bytes: &[u8]) {
        json_str(self.0, bytes);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.0.push(b'"');
        hex(self.0, b);
        self.0.push(b'"');
    }
}

/// Printable ASCII that neither Rust's `{:?}` nor JSON escapes: copied as is.
fn plain(bytes: &[u8]) -> bool {
    bytes.iter().all(|&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
}

/// A JSON string, escaped as serde_json escapes it (bytes that are not UTF-8 replaced, as
/// `String::from_utf8_lossy` replaces them).
fn json_str(b: &mut Vec<u8>, bytes: &[u8]) {
    if plain(bytes) {
        b.push(b'"');
        b.extend_from_slice(bytes);
        b.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *b, &*String::from_utf8_lossy(bytes));
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes as bpftool prints them, `0a 00 00 00`: `render::value::hex`.
fn hex(b: &mut Vec<u8>, bytes: &[u8]) {
    for (i, &x) in bytes.iter().enumerate() {
        if i > 0 {
            b.push(b' ');
        }
        b.extend_from_slice(&[HEX[usize::from(x >> 4)], HEX[usize::from(x & 15)]]);
    }
}

/// `n` in decimal.
fn decimal(b: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    b.extend_from_slice(&digits[at..]);
}

fn unsigned(b: &mut Vec<u8>, v: u128) {
    match u64::try_from(v) {
        Ok(small) => decimal(b, small),
        Err(_) => {
            let _ = write!(b, "{v}");
        }
    }
}

fn signed(b: &mut Vec<u8>, v: i128) {
    if v < 0 {
        b.push(b'-');
    }
    unsigned(b, v.unsigned_abs());
}
