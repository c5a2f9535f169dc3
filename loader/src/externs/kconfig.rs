//! `__kconfig` values: the kernel configuration's lines (`CONFIG_HZ=250`, `CONFIG_BPF=y`,
//! `CONFIG_LOCALVERSION="-x"`) parsed, and each value written into the `.kconfig` map's bytes
//! where the object's layout puts it, with libbpf's rules for which value fits which C type
//! (`bpf_object__process_kconfig_line`, `set_kcfg_value_*`). Pure: no files, no kernel.

use crate::object::{Extern, ExternKind, KconfigType, KconfigVar};

/// `enum libbpf_tristate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tristate {
    /// `n`: `TRI_NO` (0).
    No,
    /// `y`: `TRI_YES` (1).
    Yes,
    /// `m`: `TRI_MODULE` (2).
    Module,
}

impl Tristate {
    /// The letter the configuration writes.
    pub fn letter(self) -> char {
        match self {
            Tristate::No => 'n',
            Tristate::Yes => 'y',
            Tristate::Module => 'm',
        }
    }

    fn number(self) -> u32 {
        match self {
            Tristate::No => 0,
            Tristate::Yes => 1,
            Tristate::Module => 2,
        }
    }
}

/// A value as a configuration line writes it after `=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigValue<'a> {
    /// `y`, `n` or `m` (libbpf looks at the first letter only).
    Tristate(Tristate),
    /// A quoted string, without its quotes.
    Str(&'a str),
    /// A number (decimal, `0x` hex or `0` octal, as `strtoull` reads it).
    Number(u64),
}

/// A value as it was written into the `.kconfig` map (what `--explain` shows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KconfigValue {
    /// A `bool`.
    Bool(bool),
    /// An `enum libbpf_tristate`.
    Tristate(Tristate),
    /// A `char` (a letter or a small number).
    Char(u8),
    /// An integer, read back with its signedness.
    Int(i128),
    /// A char array's string (cut to fit).
    Str(String),
}

/// What kind of value a configuration line gave, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueShape {
    /// `y`, `n` or `m`.
    Tristate(char),
    /// A quoted string.
    Str,
    /// A number.
    Number,
}

/// Why a configuration line, or a value, could not be stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KconfigProblem {
    /// A `CONFIG_` line with no `=`.
    #[error("no '=' separator")]
    NoSeparator,
    /// `CONFIG_X=` with nothing after it.
    #[error("no value after '='")]
    NoValue,
    /// A string value without its closing quote.
    #[error("string value {value} has no closing quote")]
    BadString {
        /// The value as written.
        value: String,
    },
    /// A value that is neither `y`/`n`/`m`, a string, nor a whole number.
    #[error("value {value} is not a valid integer")]
    NotANumber {
        /// The value as written.
        value: String,
    },
    /// A value of one shape for an extern of a type that cannot hold it.
    #[error("value {value} cannot be stored in a {ty} (it needs {})", needs(*shape))]
    WrongType {
        /// The value as written.
        value: String,
        /// Its shape.
        shape: ValueShape,
        /// The extern's type.
        ty: KconfigType,
    },
    /// A number other than 0 or 1 for a `bool`.
    #[error("value {value} is not 0 or 1, so not a bool")]
    NotBoolean {
        /// The value.
        value: u64,
    },
    /// A number that does not fit the extern's size and signedness.
    #[error("value {value} does not fit in {size} bytes")]
    OutOfRange {
        /// The value (as a 64-bit pattern).
        value: u64,
        /// The extern's size.
        size: u32,
    },
}

/// What a value of `shape` can be stored in, as libbpf words it.
fn needs(shape: ValueShape) -> &'static str {
    match shape {
        ValueShape::Tristate('m') => "enum libbpf_tristate or char",
        ValueShape::Tristate(_) => "bool, enum libbpf_tristate or char",
        ValueShape::Str => "a char array",
        ValueShape::Number => "an integer or char",
    }
}

/// A configuration line that could not be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// Its number (from 1).
    pub line: usize,
    /// The option (the line before `=`).
    pub option: String,
    /// What is wrong.
    pub problem: KconfigProblem,
}

/// Applies a configuration text to the `CONFIG_*` externs of `externs`: the first line naming
/// each one that is still unset (`set[i]` is `None`) is stored into `buf`, and `set[i]` records
/// what was stored and on which line. Other lines are skipped, but a malformed `CONFIG_` line is
/// an error wherever it is, as in libbpf.
pub fn apply(
    externs: &[Extern],
    text: &str,
    buf: &mut [u8],
    set: &mut [Option<(KconfigValue, usize)>],
) -> Result<(), LineError> {
    for (n, line) in text.lines().enumerate() {
        let bad =
            |problem| LineError { line: n + 1, option: line.split('=').next().unwrap_or(line).to_owned(), problem };
        let Some((name, raw)) = split_line(line).map_err(bad)? else { continue };
        let Some(i) = externs.iter().position(|e| e.name == name) else { continue };
        let ExternKind::Kconfig(var) = externs[i].kind else { continue };
        if set.get(i).is_none_or(Option::is_some) {
            continue;
        }
        let value = parse_value(raw).and_then(|v| store(&var, raw, &v, buf)).map_err(bad)?;
        set[i] = Some((value, n + 1));
    }
    Ok(())
}

/// Splits one configuration line into `(CONFIG_NAME, raw value)`. Lines that do not start with
/// `CONFIG_` (comments such as `# CONFIG_X is not set`, blank lines) are `None`.
pub fn split_line(line: &str) -> Result<Option<(&str, &str)>, KconfigProblem> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    if !line.starts_with("CONFIG_") {
        return Ok(None);
    }
    let (name, value) = line.split_once('=').ok_or(KconfigProblem::NoSeparator)?;
    if value.is_empty() {
        return Err(KconfigProblem::NoValue);
    }
    Ok(Some((name, value)))
}

/// Reads a raw value: by its first character a tristate letter, a string, or else a number.
pub fn parse_value(raw: &str) -> Result<ConfigValue<'_>, KconfigProblem> {
    Ok(match raw.as_bytes().first() {
        Some(b'y') => ConfigValue::Tristate(Tristate::Yes),
        Some(b'n') => ConfigValue::Tristate(Tristate::No),
        Some(b'm') => ConfigValue::Tristate(Tristate::Module),
        Some(b'"') => match raw.get(1..).and_then(|r| r.strip_suffix('"')) {
            Some(s) => ConfigValue::Str(s),
            None => return Err(KconfigProblem::BadString { value: raw.to_owned() }),
        },
        _ => ConfigValue::Number(strtoull(raw).ok_or_else(|| KconfigProblem::NotANumber { value: raw.to_owned() })?),
    })
}

/// `strtoull(s, &end, 0)` that must consume all of `s`: leading blanks, a sign (a minus
/// negates, modulo 2^64), then `0x` hex, `0` octal or decimal digits; `None` on overflow.
pub fn strtoull(s: &str) -> Option<u64> {
    let s = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .filter(|r| r.starts_with(|c: char| c.is_ascii_hexdigit()));
    let (radix, digits) = match hex {
        Some(r) => (16, r),
        None if s.starts_with('0') => (8, s),
        None => (10, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)?;
        v = v.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Writes configuration value `value` of extern `var` into `buf` (the `.kconfig` map's value).
pub fn store(
    var: &KconfigVar,
    raw: &str,
    value: &ConfigValue<'_>,
    buf: &mut [u8],
) -> Result<KconfigValue, KconfigProblem> {
    let wrong = |shape| KconfigProblem::WrongType { value: raw.to_owned(), shape, ty: var.ty };
    match *value {
        ConfigValue::Tristate(t) => {
            let letter = t.letter();
            match var.ty {
                KconfigType::Bool if t == Tristate::Module => Err(wrong(ValueShape::Tristate(letter))),
                KconfigType::Bool => {
                    put(var, buf, u64::from(t == Tristate::Yes)).map(|_| KconfigValue::Bool(t == Tristate::Yes))
                }
                KconfigType::Tristate => put(var, buf, u64::from(t.number())).map(|_| KconfigValue::Tristate(t)),
                KconfigType::Char { .. } => put(var, buf, letter as u64).map(|_| KconfigValue::Char(letter as u8)),
                _ => Err(wrong(ValueShape::Tristate(letter))),
            }
        }
        ConfigValue::Str(s) if var.ty == KconfigType::CharArray => Ok(put_str(var, buf, s)),
        ConfigValue::Str(_) => Err(wrong(ValueShape::Str)),
        ConfigValue::Number(n) => match var.ty {
            KconfigType::Int { .. } | KconfigType::Char { .. } => store_number(var, n, buf),
            _ => Err(wrong(ValueShape::Number)),
        },
    }
}

/// Writes number `value` into an integer, char or bool extern (libbpf's `set_kcfg_value_num`,
/// used for the virtual `LINUX_*` values).
pub fn store_number(var: &KconfigVar, value: u64, buf: &mut [u8]) -> Result<KconfigValue, KconfigProblem> {
    let stored = match var.ty {
        KconfigType::Bool if value > 1 => return Err(KconfigProblem::NotBoolean { value }),
        KconfigType::Bool => KconfigValue::Bool(value == 1),
        KconfigType::Char { .. } | KconfigType::Int { .. } => {
            if !in_range(var, value) {
                return Err(KconfigProblem::OutOfRange { value, size: var.size });
            }
            read_int(var, value)
        }
        _ => {
            let raw = value.to_string();
            return Err(KconfigProblem::WrongType { value: raw, shape: ValueShape::Number, ty: var.ty });
        }
    };
    put(var, buf, value)?;
    Ok(stored)
}

/// The value as the program will read it back (its low `size` bytes, signed or not).
fn read_int(var: &KconfigVar, value: u64) -> KconfigValue {
    let bits = var.size * 8;
    let signed = matches!(var.ty, KconfigType::Int { signed: true } | KconfigType::Char { signed: true });
    let low = if bits >= 64 { value } else { value & ((1u64 << bits) - 1) };
    let v = if signed && bits < 64 && low >> (bits - 1) == 1 {
        i128::from(low) - (1i128 << bits)
    } else if signed && bits == 64 {
        i128::from(low as i64)
    } else {
        i128::from(low)
    };
    match var.ty {
        KconfigType::Char { .. } => KconfigValue::Char(low as u8),
        _ => KconfigValue::Int(v),
    }
}

/// libbpf's `is_kcfg_value_in_range`: a u64 fits `size` bytes without losing information
/// (signed: it is the sign extension of its low bits).
fn in_range(var: &KconfigVar, v: u64) -> bool {
    let bits = var.size * 8;
    if bits >= 64 {
        return true;
    }
    let signed = matches!(var.ty, KconfigType::Int { signed: true } | KconfigType::Char { signed: true });
    if signed {
        v.wrapping_add(1u64 << (bits - 1)) < (1u64 << bits)
    } else {
        v >> bits == 0
    }
}

/// Writes the low `var.size` bytes of `value`, in host order (the kernel reads the map natively).
fn put(var: &KconfigVar, buf: &mut [u8], value: u64) -> Result<(), KconfigProblem> {
    let bytes: Vec<u8> = match var.size {
        1 => vec![value as u8],
        2 => (value as u16).to_ne_bytes().to_vec(),
        4 => (value as u32).to_ne_bytes().to_vec(),
        8 => value.to_ne_bytes().to_vec(),
        size => return Err(KconfigProblem::OutOfRange { value, size }),
    };
    let at = var.offset as usize;
    match buf.get_mut(at..at + bytes.len()) {
        Some(dst) => dst.copy_from_slice(&bytes),
        None => return Err(KconfigProblem::OutOfRange { value, size: var.size }),
    }
    Ok(())
}

/// Copies a string into a char array, cut to leave room for its NUL (libbpf warns and cuts).
fn put_str(var: &KconfigVar, buf: &mut [u8], s: &str) -> KconfigValue {
    let at = var.offset as usize;
    let room = (var.size as usize).saturating_sub(1);
    let n = s.len().min(room);
    if let Some(dst) = buf.get_mut(at..at + n + 1) {
        dst[..n].copy_from_slice(&s.as_bytes()[..n]);
        dst[n] = 0;
    }
    KconfigValue::Str(String::from_utf8_lossy(&s.as_bytes()[..n]).into_owned())
}

#[cfg(test)]
mod tests {
    use btf::TypeId;

    use super::*;

    fn var(ty: KconfigType, size: u32, offset: u32) -> KconfigVar {
        KconfigVar { ty, size, align: size.min(8), offset }
    }

    fn ext(name: &str, v: KconfigVar) -> Extern {
        Extern { name: name.into(), symbol: 1, weak: false, btf_id: TypeId::new(1), kind: ExternKind::Kconfig(v) }
    }

    const INT: KconfigType = KconfigType::Int { signed: true };
    const UINT: KconfigType = KconfigType::Int { signed: false };

    #[test]
    fn lines_split_like_libbpf() {
        assert_eq!(split_line("CONFIG_HZ=250\n"), Ok(Some(("CONFIG_HZ", "250"))));
        assert_eq!(split_line("# CONFIG_KPROBES is not set"), Ok(None));
        assert_eq!(split_line(""), Ok(None));
        assert_eq!(split_line("CONFIG_X"), Err(KconfigProblem::NoSeparator));
        assert_eq!(split_line("CONFIG_X="), Err(KconfigProblem::NoValue));
        assert_eq!(split_line("CONFIG_S=\"a=b\""), Ok(Some(("CONFIG_S", "\"a=b\""))));
    }

    #[test]
    fn values_by_their_first_character() {
        assert_eq!(parse_value("y"), Ok(ConfigValue::Tristate(Tristate::Yes)));
        assert_eq!(parse_value("m"), Ok(ConfigValue::Tristate(Tristate::Module)));
        assert_eq!(parse_value("n"), Ok(ConfigValue::Tristate(Tristate::No)));
        assert_eq!(parse_value("\"-fc-v1\""), Ok(ConfigValue::Str("-fc-v1")));
        assert_eq!(parse_value("\"\""), Ok(ConfigValue::Str("")));
        assert_eq!(parse_value("\"open"), Err(KconfigProblem::BadString { value: "\"open".into() }));
        assert_eq!(parse_value("\""), Err(KconfigProblem::BadString { value: "\"".into() }));
        assert_eq!(parse_value("0x1F"), Ok(ConfigValue::Number(31)));
        assert_eq!(parse_value("017"), Ok(ConfigValue::Number(15)));
        assert_eq!(parse_value("250"), Ok(ConfigValue::Number(250)));
        assert_eq!(parse_value("-1"), Ok(ConfigValue::Number(u64::MAX)));
        assert_eq!(parse_value("12ab"), Err(KconfigProblem::NotANumber { value: "12ab".into() }));
        assert_eq!(parse_value("0x"), Err(KconfigProblem::NotANumber { value: "0x".into() }));
        assert_eq!(
            parse_value("99999999999999999999"),
            Err(KconfigProblem::NotANumber { value: "99999999999999999999".into() })
        );
    }

    #[test]
    fn each_type_is_written_at_its_offset_in_host_order() {
        let mut buf = vec![0xaa; 32];
        let b = var(KconfigType::Bool, 1, 0);
        assert_eq!(store(&b, "y", &parse_value("y").unwrap(), &mut buf), Ok(KconfigValue::Bool(true)));
        let t = var(KconfigType::Tristate, 4, 4);
        assert_eq!(store(&t, "m", &parse_value("m").unwrap(), &mut buf), Ok(KconfigValue::Tristate(Tristate::Module)));
        let c = var(KconfigType::Char { signed: true }, 1, 1);
        assert_eq!(store(&c, "y", &parse_value("y").unwrap(), &mut buf), Ok(KconfigValue::Char(b'y')));
        let i = var(INT, 4, 8);
        assert_eq!(store(&i, "-5", &parse_value("-5").unwrap(), &mut buf), Ok(KconfigValue::Int(-5)));
        let q = var(UINT, 8, 16);
        assert_eq!(
            store(&q, "0x123456789", &parse_value("0x123456789").unwrap(), &mut buf),
            Ok(KconfigValue::Int(0x1_2345_6789))
        );
        let s = var(KconfigType::CharArray, 6, 24);
        let raw = "\"-fc-v1045\"";
        assert_eq!(store(&s, raw, &parse_value(raw).unwrap(), &mut buf), Ok(KconfigValue::Str("-fc-v".into())));
        assert_eq!(buf[0], 1);
        assert_eq!(buf[1], b'y');
        assert_eq!(buf[4..8], 2u32.to_ne_bytes());
        assert_eq!(buf[8..12], (-5i32).to_ne_bytes());
        assert_eq!(buf[16..24], 0x1_2345_6789u64.to_ne_bytes());
        assert_eq!(&buf[24..30], b"-fc-v\0");
        // Bytes between the values are left as they were.
        assert_eq!(buf[2..4], [0xaa, 0xaa]);
        assert_eq!(buf[30..32], [0xaa, 0xaa]);
    }

    #[test]
    fn values_that_do_not_fit_their_type_are_refused_like_libbpf() {
        let mut buf = vec![0; 16];
        let b = var(KconfigType::Bool, 1, 0);
        let e = store(&b, "m", &parse_value("m").unwrap(), &mut buf).unwrap_err();
        assert_eq!(e.to_string(), "value m cannot be stored in a bool (it needs enum libbpf_tristate or char)");
        // A number for a bool from the configuration: libbpf wants an integer or char type.
        let e = store(&b, "1", &parse_value("1").unwrap(), &mut buf).unwrap_err();
        assert!(matches!(e, KconfigProblem::WrongType { shape: ValueShape::Number, .. }), "{e}");
        let i = var(INT, 4, 0);
        let e = store(&i, "\"s\"", &parse_value("\"s\"").unwrap(), &mut buf).unwrap_err();
        assert_eq!(e.to_string(), "value \"s\" cannot be stored in a signed integer (it needs a char array)");
        let e = store(&i, "y", &parse_value("y").unwrap(), &mut buf).unwrap_err();
        assert!(matches!(e, KconfigProblem::WrongType { shape: ValueShape::Tristate('y'), .. }), "{e}");
        let small = var(UINT, 2, 0);
        assert_eq!(store_number(&small, 65536, &mut buf), Err(KconfigProblem::OutOfRange { value: 65536, size: 2 }));
        assert_eq!(store_number(&small, 65535, &mut buf), Ok(KconfigValue::Int(65535)));
        let signed = var(KconfigType::Char { signed: true }, 1, 0);
        assert_eq!(store_number(&signed, 128, &mut buf), Err(KconfigProblem::OutOfRange { value: 128, size: 1 }));
        assert_eq!(store_number(&signed, u64::MAX, &mut buf), Ok(KconfigValue::Char(0xff)));
        assert_eq!(store_number(&b, 2, &mut buf), Err(KconfigProblem::NotBoolean { value: 2 }));
        assert_eq!(store_number(&b, 1, &mut buf), Ok(KconfigValue::Bool(true)));
        let t = var(KconfigType::Tristate, 4, 0);
        assert!(matches!(store_number(&t, 1, &mut buf), Err(KconfigProblem::WrongType { .. })));
    }

    #[test]
    fn the_first_line_naming_an_extern_wins_and_bad_lines_are_errors_anywhere() {
        let externs = [ext("CONFIG_HZ", var(INT, 4, 0)), ext("CONFIG_BPF", var(KconfigType::Tristate, 4, 4))];
        let mut buf = vec![0; 8];
        let mut set = vec![None, None];
        let text = "# comment\nCONFIG_HZ=250\nCONFIG_OTHER=\"x\"\nCONFIG_HZ=1000\nCONFIG_BPF=y\n";
        apply(&externs, text, &mut buf, &mut set).unwrap();
        assert_eq!(set, vec![Some((KconfigValue::Int(250), 2)), Some((KconfigValue::Tristate(Tristate::Yes), 5))]);
        assert_eq!(buf[..4], 250i32.to_ne_bytes());
        assert_eq!(buf[4..], 1u32.to_ne_bytes());
        // A malformed CONFIG_ line fails even when no extern names it, as in libbpf.
        let mut set = vec![None, None];
        let e = apply(&externs, "CONFIG_A=1\nCONFIG_B\n", &mut buf, &mut set).unwrap_err();
        assert_eq!(e, LineError { line: 2, option: "CONFIG_B".into(), problem: KconfigProblem::NoSeparator });
        // An already set extern (a virtual value, or an earlier line) is left alone.
        let mut set = vec![Some((KconfigValue::Int(7), 0)), None];
        apply(&externs, "CONFIG_HZ=\"not an int\"\n", &mut buf, &mut set).unwrap();
        assert_eq!(set[0], Some((KconfigValue::Int(7), 0)));
    }
}
