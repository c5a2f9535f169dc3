//! Just enough of a C reader for the kernel's UAPI headers: tokens (comments kept apart,
//! preprocessor lines reduced to the names they `#define`), the members of a struct or union by name (the compiler says where
//! they are), and an enum's constants with their values.

use std::collections::HashMap;

/// One token of C.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// An identifier or keyword.
    Ident(String),
    /// A number, or a character or string literal (kept opaque).
    Num(String),
    /// One punctuation character (`<<` is two).
    Punct(char),
    /// A comment's text, trimmed.
    Comment(String),
    /// The name a `#define` line defines (the rest of a preprocessor line is dropped).
    Define(String),
}

impl Tok {
    fn is(&self, c: char) -> bool {
        *self == Tok::Punct(c)
    }

    /// The token as written (a comment without its delimiters).
    fn text(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Num(s) | Tok::Comment(s) | Tok::Define(s) => s.clone(),
            Tok::Punct(c) => c.to_string(),
        }
    }

    fn ident(&self) -> Option<&str> {
        match self {
            Tok::Ident(s) => Some(s),
            _ => None,
        }
    }
}

/// Splits C text into tokens; a preprocessor line (with its `\` continuations) becomes at most the
/// name it defines.
pub(super) fn tokens(text: &str) -> Vec<Tok> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line_start) = (0, true);
    let take_while = |mut j: usize, f: &dyn Fn(u8) -> bool| {
        while j < b.len() && f(b[j]) {
            j += 1;
        }
        j
    };
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line_start = true;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if line_start && c == b'#' {
            let start = i;
            while i < b.len() && b[i] != b'\n' {
                i += if b[i] == b'\\' && b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            }
            let mut words = text[start + 1..i].split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
            let mut words = words.by_ref().filter(|w| !w.is_empty());
            if let (Some("define"), Some(name)) = (words.next(), words.next()) {
                out.push(Tok::Define(name.to_owned()));
            }
        } else if b[i..].starts_with(b"/*") {
            let end = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e);
            out.push(Tok::Comment(text[i + 2..end].trim().to_owned()));
            i = (end + 2).min(b.len());
        } else if b[i..].starts_with(b"//") {
            let end = take_while(i, &|c| c != b'\n');
            out.push(Tok::Comment(text[i + 2..end].trim().to_owned()));
            i = end;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let end = take_while(i, &|c| c.is_ascii_alphanumeric() || c == b'_');
            out.push(Tok::Ident(text[i..end].to_owned()));
            (i, line_start) = (end, false);
        } else if c.is_ascii_digit() {
            let end = take_while(i, &|c| c.is_ascii_alphanumeric() || c == b'_');
            out.push(Tok::Num(text[i..end].to_owned()));
            (i, line_start) = (end, false);
        } else if c == b'\'' || c == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != c {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(b.len());
            out.push(Tok::Num(text[i..end].to_owned()));
            (i, line_start) = (end, false);
        } else {
            out.push(Tok::Punct(c as char));
            (i, line_start) = (i + 1, false);
        }
    }
    out
}

/// True when the header's code (not its comments) names `ident`, or `#define`s it.
pub(super) fn mentions(toks: &[Tok], ident: &str) -> bool {
    toks.iter().any(|t| matches!(t, Tok::Ident(s) | Tok::Define(s) if s == ident))
}

/// Index of the token closing the bracket opened at `open`.
fn matching(toks: &[Tok], open: usize) -> Result<usize, String> {
    let (o, c) = match &toks[open] {
        Tok::Punct('{') => ('{', '}'),
        Tok::Punct('(') => ('(', ')'),
        Tok::Punct('[') => ('[', ']'),
        t => return Err(format!("{t:?} opens nothing")),
    };
    let mut depth = 0;
    for (j, t) in toks.iter().enumerate().skip(open) {
        if t.is(o) {
            depth += 1;
        } else if t.is(c) {
            depth -= 1;
            if depth == 0 {
                return Ok(j);
            }
        }
    }
    Err(format!("unbalanced '{o}'"))
}

/// The index of `{` opening the body of `kind name` (`struct bpf_prog_info`, `enum bpf_cmd`).
fn find_body(toks: &[Tok], kind: &str, name: &str) -> Result<usize, String> {
    toks.windows(3)
        .position(|w| w[0].ident() == Some(kind) && w[1].ident() == Some(name) && w[2].is('{'))
        .map(|i| i + 2)
        .ok_or_else(|| format!("no `{kind} {name} {{` in the header"))
}

/// Drops comments and `__attribute__((...))` from a declaration.
fn code(toks: &[Tok]) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Comment(_) => i += 1,
            Tok::Ident(s) if s == "__attribute__" && toks.get(i + 1).is_some_and(|t| t.is('(')) => {
                i = matching(toks, i + 1)? + 1
            }
            t => {
                out.push(t.clone());
                i += 1
            }
        }
    }
    Ok(out)
}

/// Splits tokens at commas outside brackets.
fn split_commas(toks: &[Tok]) -> Vec<&[Tok]> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => depth -= 1,
            Tok::Punct(',') if depth == 0 => {
                out.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&toks[start..]);
    out
}

/// One member of a struct or union, in declaration order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Member {
    /// The designator from the aggregate down, named members only (`link_create.tracing.cookie`;
    /// an anonymous struct's members are named as if they were the parent's).
    pub(super) path: String,
    /// The width of a bitfield, which `offsetof` cannot name.
    pub(super) bits: Option<String>,
    /// A struct or union member with members of its own (its leaves are listed after it).
    pub(super) nested: bool,
    /// The top-level member (an index into [`Aggregate::groups`]) it belongs to.
    pub(super) group: usize,
}

/// The members of a struct or union.
#[derive(Debug, Default)]
pub(super) struct Aggregate {
    /// Every named member, nested ones included.
    pub(super) members: Vec<Member>,
    /// A label for each top-level member: its name, or for an anonymous struct its first member
    /// and the comment that says which command it is for.
    pub(super) groups: Vec<String>,
}

/// C type words that cannot be a member's name (`unsigned int :3` has none).
const TYPE_WORDS: &[&str] = &["char", "short", "int", "long", "signed", "unsigned", "const", "volatile"];

/// Reads the members of `kind_and_name` (`union bpf_attr`, `struct perf_event_attr`).
pub(super) fn aggregate(toks: &[Tok], kind_and_name: &str) -> Result<Aggregate, String> {
    let (kind, name) = kind_and_name.split_once(' ').ok_or("want `struct NAME` or `union NAME`")?;
    let open = find_body(toks, kind, name)?;
    let close = matching(toks, open)?;
    let mut agg = Aggregate::default();
    body(&toks[open + 1..close], "", None, &mut agg).map_err(|e| format!("{kind_and_name}: {e}"))?;
    Ok(agg)
}

/// Reads the declarations of one body into `agg`, their designators under `prefix`; `group` is
/// None at the top level, where each declaration starts a group.
fn body(toks: &[Tok], prefix: &str, group: Option<usize>, agg: &mut Aggregate) -> Result<(), String> {
    let join = |name: &str| if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") };
    let mut i = 0;
    while i < toks.len() {
        if matches!(toks[i], Tok::Comment(_)) || toks[i].is(';') {
            i += 1;
            continue;
        }
        // One declaration: up to the `;` outside any braces.
        let mut end = i;
        let mut depth = 0;
        while end < toks.len() && !(depth == 0 && toks[end].is(';')) {
            depth += i32::from(toks[end].is('{')) - i32::from(toks[end].is('}'));
            end += 1;
        }
        let decl = &toks[i..end];
        i = end + 1;
        let g = group.unwrap_or_else(|| {
            agg.groups.push(String::new());
            agg.groups.len() - 1
        });
        let first = agg.members.len();
        let label = if let Some(open) = decl.iter().position(|t| t.is('{')) {
            // struct|union [tag] { ... } [name]
            let close = matching(decl, open)?;
            let names: Vec<String> =
                code(&decl[close + 1..])?.iter().filter_map(|t| t.ident().map(str::to_owned)).collect();
            let inner = &decl[open + 1..close];
            match names.as_slice() {
                [] => body(inner, prefix, Some(g), agg)?,
                [name] => {
                    let path = join(name);
                    agg.members.push(Member { path: path.clone(), bits: None, nested: true, group: g });
                    body(inner, &path, Some(g), agg)?;
                }
                _ => return Err(format!("several declarators after one body: {names:?}")),
            }
            match (names.first(), inner.first()) {
                (Some(name), _) => name.clone(),
                (None, comment) => {
                    let lead = agg.members[first..].iter().find(|m| !m.nested).map_or("", |m| m.path.as_str());
                    match comment {
                        Some(Tok::Comment(c)) => format!("{{{lead}…}} ({c})"),
                        _ => format!("{{{lead}…}}"),
                    }
                }
            }
        } else {
            let decl = code(decl)?;
            for (k, seg) in split_commas(&decl).into_iter().enumerate() {
                let cut = seg.iter().position(|t| t.is('[') || t.is(':')).unwrap_or(seg.len());
                let idents: Vec<&str> = seg[..cut].iter().filter_map(Tok::ident).collect();
                let bits = seg.get(cut).filter(|t| t.is(':')).map(|_| seg[cut + 1..].iter().map(Tok::text).collect());
                // The first declarator carries the type: `__u32 :31` names nothing.
                let named = if k == 0 { idents.len() >= 2 } else { !idents.is_empty() };
                match idents.last().filter(|n| named && !TYPE_WORDS.contains(n)) {
                    Some(name) => agg.members.push(Member { path: join(name), bits, nested: false, group: g }),
                    None if bits.is_some() => {} // an unnamed bitfield: padding
                    None => return Err(format!("a declaration without a name: {seg:?}")),
                }
            }
            agg.members[first..].first().map_or_else(|| "(padding)".to_owned(), |m| m.path.clone())
        };
        if group.is_none() {
            agg.groups[g] = label;
        }
    }
    Ok(())
}

/// One constant of an enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Enumerator {
    /// Its name.
    pub(super) name: String,
    /// Its value: the explicit `= expr`, else the previous one's plus one.
    pub(super) value: i64,
}

impl Enumerator {
    /// A count or end marker (`__MAX_BPF_ATTACH_TYPE`, `MAX_BPF_LINK_TYPE`), not a value to use.
    pub(super) fn is_sentinel(&self) -> bool {
        self.name.starts_with("__") || self.name.starts_with("MAX_")
    }
}

/// Reads the constants of `enum NAME` (`kind_and_name` is `enum bpf_cmd`).
pub(super) fn enumeration(toks: &[Tok], kind_and_name: &str) -> Result<Vec<Enumerator>, String> {
    let name = kind_and_name.strip_prefix("enum ").ok_or("want `enum NAME`")?;
    let open = find_body(toks, "enum", name)?;
    let close = matching(toks, open)?;
    let body = code(&toks[open + 1..close])?;
    let mut out: Vec<Enumerator> = Vec::new();
    let mut known = HashMap::new();
    for item in split_commas(&body).into_iter().filter(|s| !s.is_empty()) {
        let name = item[0].ident().ok_or_else(|| format!("{kind_and_name}: {item:?} is not a constant"))?;
        let value = match item.get(1) {
            None => out.last().map_or(0, |e| e.value + 1),
            Some(t) if t.is('=') => {
                eval(&item[2..], &known).map_err(|e| format!("{kind_and_name}: {name} = {:?}: {e}", &item[2..]))?
            }
            Some(t) => return Err(format!("{kind_and_name}: {name} followed by {t:?}")),
        };
        known.insert(name.to_owned(), value);
        out.push(Enumerator { name: name.to_owned(), value });
    }
    Ok(out)
}

/// Evaluates a constant expression of numbers, earlier constants, `( )`, unary `-`, `+ -`, `<< >>`
/// and `|`: what enum initializers in the UAPI headers use.
pub(super) fn eval(toks: &[Tok], known: &HashMap<String, i64>) -> Result<i64, String> {
    struct P<'a> {
        t: &'a [Tok],
        i: usize,
        known: &'a HashMap<String, i64>,
    }
    impl P<'_> {
        fn peek(&self, c: char) -> bool {
            self.t.get(self.i).is_some_and(|t| t.is(c))
        }
        fn peek2(&self, c: char) -> bool {
            self.peek(c) && self.t.get(self.i + 1).is_some_and(|t| t.is(c))
        }
        fn or(&mut self) -> Result<i64, String> {
            let mut v = self.shift()?;
            while self.peek('|') {
                self.i += 1;
                v |= self.shift()?;
            }
            Ok(v)
        }
        fn shift(&mut self) -> Result<i64, String> {
            let mut v = self.add()?;
            loop {
                if self.peek2('<') {
                    self.i += 2;
                    v <<= self.add()?;
                } else if self.peek2('>') {
                    self.i += 2;
                    v >>= self.add()?;
                } else {
                    return Ok(v);
                }
            }
        }
        fn add(&mut self) -> Result<i64, String> {
            let mut v = self.unary()?;
            loop {
                if self.peek('+') {
                    self.i += 1;
                    v += self.unary()?;
                } else if self.peek('-') {
                    self.i += 1;
                    v -= self.unary()?;
                } else {
                    return Ok(v);
                }
            }
        }
        fn unary(&mut self) -> Result<i64, String> {
            if self.peek('-') {
                self.i += 1;
                return Ok(-self.unary()?);
            }
            let t = self.t.get(self.i).ok_or("the expression ends early")?.clone();
            self.i += 1;
            match t {
                Tok::Punct('(') => {
                    let v = self.or()?;
                    if !self.peek(')') {
                        return Err("unclosed '('".into());
                    }
                    self.i += 1;
                    Ok(v)
                }
                Tok::Num(n) => number(&n),
                Tok::Ident(id) => self.known.get(&id).copied().ok_or_else(|| format!("unknown name {id}")),
                t => Err(format!("unexpected {t:?}")),
            }
        }
    }
    let mut p = P { t: toks, i: 0, known };
    let v = p.or()?;
    match toks.get(p.i) {
        None => Ok(v),
        Some(t) => Err(format!("unexpected {t:?}")),
    }
}

/// A C integer literal (decimal, hex or octal, with any `u`/`l` suffix).
fn number(n: &str) -> Result<i64, String> {
    let digits = n.trim_end_matches(['u', 'U', 'l', 'L']);
    let r = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16)
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8)
    } else {
        digits.parse()
    };
    r.map_err(|e| format!("{n}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_count_on_from_the_last_value_and_resolve_aliases() {
        let h = "#define X 1 \\\n  continued\nenum e {\n A, /* zero */ B = 5, // five\n C,\n D = C, E = 1 << 4,\n \
                 F = (0x10U | 1) - 1, G, __MAX_E,\n};";
        let e = enumeration(&tokens(h), "enum e").unwrap();
        let got: Vec<(&str, i64)> = e.iter().map(|e| (e.name.as_str(), e.value)).collect();
        assert_eq!(got, [("A", 0), ("B", 5), ("C", 6), ("D", 6), ("E", 16), ("F", 16), ("G", 17), ("__MAX_E", 18)]);
        assert!(e[7].is_sentinel() && !e[6].is_sentinel());
        assert!(enumeration(&tokens("enum e { A = NOPE };"), "enum e").unwrap_err().contains("unknown name NOPE"));
        assert!(enumeration(&tokens("enum f { A };"), "enum e").is_err());
    }

    #[test]
    fn aggregates_name_nested_anonymous_and_bitfield_members() {
        let h = "struct s {\n\t__u32 a, b;\n\tchar name[BPF_OBJ_NAME_LEN]; /* n */\n\tunion {\n\t\t__u64 c;\n\t\t__u64 d;\n\t};\n\
                 \tstruct { /* used by X */\n\t\t__u32 e;\n\t\tstruct { __u64 f; } inner;\n\t};\n\tstruct {\n\t\t__u32 g;\n\t} named;\n\
                 \t__u64 bit1 : 1, bit2 : 63;\n\t__u32 :32;\n\t__aligned_u64 h __attribute__((aligned(8)));\n} __attribute__((aligned(8)));";
        let agg = aggregate(&tokens(h), "struct s").unwrap();
        let paths: Vec<&str> = agg.members.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(
            paths,
            ["a", "b", "name", "c", "d", "e", "inner", "inner.f", "named", "named.g", "bit1", "bit2", "h"]
        );
        let groups: Vec<usize> = agg.members.iter().map(|m| m.group).collect();
        assert_eq!(groups, [0, 0, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 7]);
        assert_eq!(agg.groups, ["a", "name", "{c…}", "{e…} (used by X)", "named", "bit1", "(padding)", "h"]);
        assert!(agg.members[6].nested && !agg.members[7].nested);
        assert_eq!(agg.members[10].bits.as_deref(), Some("1"));
        assert!(aggregate(&tokens(h), "union s").is_err());
    }

    #[test]
    fn comments_and_preprocessor_lines_hide_names_but_defines() {
        let t = tokens("#define DEFINED(x) USED \\\n NEXT\n#ifdef TESTED\n/* COMMENTED */ int shown; // ALSO\n");
        assert!(mentions(&t, "shown") && mentions(&t, "DEFINED"));
        for hidden in ["USED", "NEXT", "TESTED", "COMMENTED", "ALSO", "x"] {
            assert!(!mentions(&t, hidden), "{hidden}");
        }
    }
}
