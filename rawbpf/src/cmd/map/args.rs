//! The words after `rawbpf map`, read the way bpftool reads them: `dump id 5`,
//! `lookup name counts key 0x07 0 0 0`, `update id 5 key 7 value 1 noexist`.

use btf::types::Body;
use btf::{Btf, TypeId};
use loader::kernel_map::MapSpec;
use loader::map_count::{CountMethod, CountOptions};
use loader::map_ops::Update;
use loader::sys::MapId;

/// What was asked.
#[derive(Debug)]
pub enum Action {
    /// `list`.
    List,
    /// `show MAP`.
    Show(MapSpec),
    /// `dump MAP`.
    Dump(MapSpec),
    /// `count MAP`.
    Count(MapSpec),
    /// `lookup MAP key DATA`.
    Lookup(MapSpec, Vec<String>),
    /// `update MAP key DATA value DATA [any|noexist|exist]`.
    Update(MapSpec, Vec<String>, Vec<String>, Update),
    /// `delete MAP key DATA`.
    Delete(MapSpec, Vec<String>),
}

impl Action {
    /// The map it names (`None` for `list`).
    pub fn spec(&self) -> Option<&MapSpec> {
        match self {
            Action::List => None,
            Action::Show(s) | Action::Dump(s) | Action::Count(s) => Some(s),
            Action::Lookup(s, _) | Action::Update(s, ..) | Action::Delete(s, _) => Some(s),
        }
    }
}

/// Takes the testing words `--count-method=batch|get_next_key` (one method only, no fallback)
/// and `--count-batch=N` (elements per batch call) out of `words`; undocumented in the help,
/// they exist so tests can compare the two methods on one map.
pub fn count_options(words: &[String]) -> Result<(CountOptions, Vec<String>), String> {
    let mut opts = CountOptions::default();
    let mut rest = Vec::with_capacity(words.len());
    for w in words {
        if let Some(m) = w.strip_prefix("--count-method=") {
            opts.method = Some(match m {
                "batch" => CountMethod::Batch,
                "get_next_key" => CountMethod::GetNextKey,
                _ => return Err(format!("--count-method={m}: expected batch or get_next_key")),
            });
        } else if let Some(n) = w.strip_prefix("--count-batch=") {
            opts.batch = n.parse().map_err(|_| format!("--count-batch={n}: expected a number of elements"))?;
        } else {
            rest.push(w.clone());
        }
    }
    Ok((opts, rest))
}

/// Reads the words; the error says what was expected.
pub fn parse(words: &[String]) -> Result<Action, String> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let (verb, rest) =
        w.split_first().ok_or("expected a subcommand: list, show, dump, lookup, update, delete, count")?;
    if *verb == "list" || *verb == "ls" {
        return if rest.is_empty() { Ok(Action::List) } else { Err(format!("list takes no arguments, got {rest:?}")) };
    }
    let (spec, rest) = map_spec(rest)?;
    let owned = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    match (*verb, rest) {
        ("show", []) => Ok(Action::Show(spec)),
        ("dump", []) => Ok(Action::Dump(spec)),
        ("count", []) => Ok(Action::Count(spec)),
        ("lookup", ["key", key @ ..]) if !key.is_empty() => Ok(Action::Lookup(spec, owned(key))),
        ("delete", ["key", key @ ..]) if !key.is_empty() => Ok(Action::Delete(spec, owned(key))),
        ("update", ["key", tail @ ..]) => {
            let at = tail.iter().position(|&t| t == "value").ok_or("update needs `key DATA value DATA`")?;
            let (key, value) = (&tail[..at], &tail[at + 1..]);
            let (value, how) = match value.split_last() {
                Some((&"any", v)) => (v, Update::Any),
                Some((&"noexist", v)) => (v, Update::NoExist),
                Some((&"exist", v)) => (v, Update::Exist),
                _ => (value, Update::Any),
            };
            if key.is_empty() || value.is_empty() {
                return Err("update needs `key DATA value DATA`".into());
            }
            Ok(Action::Update(spec, owned(key), owned(value), how))
        }
        ("show" | "dump" | "count", extra) => Err(format!("{verb} takes only MAP, got {extra:?} after it")),
        ("lookup" | "delete", _) => Err(format!("{verb} needs `MAP key DATA`")),
        ("update", _) => Err("update needs `MAP key DATA value DATA [any|noexist|exist]`".into()),
        (other, _) => Err(format!("unknown subcommand {other:?}: list, show, dump, lookup, update, delete, count")),
    }
}

fn map_spec<'a>(w: &'a [&'a str]) -> Result<(MapSpec, &'a [&'a str]), String> {
    match w {
        ["id", n, rest @ ..] => {
            let id = n.parse().map_err(|_| format!("map id {n:?} is not a number"))?;
            Ok((MapSpec::Id(MapId::new(id)), rest))
        }
        ["name", n, rest @ ..] => Ok((MapSpec::Name(n.to_string()), rest)),
        ["pinned", p, rest @ ..] => Ok((MapSpec::Pinned(p.into()), rest)),
        _ => Err("expected MAP: `id N`, `name NAME` or `pinned PATH`".into()),
    }
}

/// `size` bytes from DATA: one number per byte (`0x0a 0 0 0`), or — for a map with BTF whose
/// type is an integer or enum — one number or enumerator name.
pub fn data(words: &[String], size: usize, ty: Option<(&Btf, TypeId)>) -> Result<Vec<u8>, String> {
    if words.len() == size && size > 1 || (words.len() == 1 && size == 1) {
        return words.iter().map(|w| byte(w)).collect();
    }
    let [one] = words else {
        return Err(format!("{} byte(s) given, {size} expected", words.len()));
    };
    let Some((btf, ty)) = ty else {
        return Err(format!("the map has no BTF: give its {size} bytes one by one (e.g. 0x0a 0 0 0)"));
    };
    scalar(one, size, btf, ty)
}

fn byte(w: &str) -> Result<u8, String> {
    let v = match w.strip_prefix("0x") {
        Some(h) => u8::from_str_radix(h, 16),
        None => w.parse(),
    };
    v.map_err(|_| format!("{w:?} is not a byte (0-255, or 0x00-0xff)"))
}

/// One integer or enumerator of the map's key or value type, in native byte order.
fn scalar(word: &str, size: usize, btf: &Btf, ty: TypeId) -> Result<Vec<u8>, String> {
    let id = btf.skip_mods_and_typedefs(ty).map_err(|e| e.to_string())?;
    let body = btf.type_by_id(id).map_err(|e| e.to_string())?.body;
    let n: i128 = match body {
        Body::Enum(ref e) | Body::Enum64(ref e) if e.values.iter().any(|v| v.name == word) => {
            e.values.iter().find(|v| v.name == word).map_or(0, |v| v.value as i128)
        }
        Body::Int(_) | Body::Enum(_) | Body::Enum64(_) => number(word)?,
        _ => return Err(format!("the type is not an integer or enum: give its {size} bytes one by one")),
    };
    let bytes = n.to_ne_bytes();
    let fits = size <= 16 && (n >> (size * 8).min(127) == 0 || n >> (size * 8 - 1).min(127) == -1);
    if !fits {
        return Err(format!("{word} does not fit in {size} byte(s)"));
    }
    Ok(if cfg!(target_endian = "little") { bytes[..size].to_vec() } else { bytes[16 - size..].to_vec() })
}

fn number(w: &str) -> Result<i128, String> {
    let (neg, digits) = w.strip_prefix('-').map_or((false, w), |d| (true, d));
    let v = match digits.strip_prefix("0x") {
        Some(h) => i128::from_str_radix(h, 16),
        None => digits.parse(),
    }
    .map_err(|_| format!("{w:?} is not a number"))?;
    Ok(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn bpftool_spellings_parse() {
        assert!(matches!(parse(&words("list")), Ok(Action::List)));
        assert!(matches!(parse(&words("dump id 5")), Ok(Action::Dump(MapSpec::Id(id))) if id.get() == 5));
        let Ok(Action::Update(MapSpec::Name(n), k, v, how)) = parse(&words("update name counts key 7 value 1 noexist"))
        else {
            panic!()
        };
        assert_eq!((n.as_str(), k, v, how), ("counts", words("7"), words("1"), Update::NoExist));
        let Ok(Action::Dump(MapSpec::Pinned(p))) = parse(&words("dump pinned /sys/fs/bpf/counts")) else { panic!() };
        assert_eq!(p, std::path::Path::new("/sys/fs/bpf/counts"));
        assert!(parse(&words("lookup id 5")).unwrap_err().contains("key DATA"));
        assert!(parse(&words("dump 5")).unwrap_err().contains("id N"));
        assert!(parse(&words("frob id 5")).unwrap_err().contains("unknown subcommand"));
    }

    #[test]
    fn data_is_bytes_or_one_typed_number() {
        assert_eq!(data(&words("0x0a 0 0 0"), 4, None).unwrap(), [10, 0, 0, 0]);
        assert!(data(&words("7"), 4, None).unwrap_err().contains("no BTF"));
        let mut b = btf::BtfBuilder::new();
        let u32_ = b.int("unsigned int", 4, false);
        let btf = Btf::parse(b.build()).unwrap();
        assert_eq!(data(&words("7"), 4, Some((&btf, u32_))).unwrap(), 7u32.to_ne_bytes());
        assert_eq!(data(&words("0xffffffff"), 4, Some((&btf, u32_))).unwrap(), u32::MAX.to_ne_bytes());
        assert!(data(&words("0x100000000"), 4, Some((&btf, u32_))).unwrap_err().contains("does not fit"));
        assert!(data(&words("0x100"), 1, None).unwrap_err().contains("not a byte"));
    }
}
