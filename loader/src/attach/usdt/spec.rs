//! A USDT note's argument string (`-4@%edi -8@-8(%rsp) -4@$-7`) made libbpf's
//! `struct __bpf_usdt_spec`, the value of the `__bpf_usdt_specs` map that `bpf_usdt_arg()` in
//! `usdt.bpf.h` reads. x86-64 only, and the three forms libbpf 1.5 reads: a constant (`$N`), a
//! register (`%reg`) and memory at a register plus an offset (`N(%reg)`, `(%reg)`).
//!
//! The forms are read as libbpf's `sscanf` patterns read them (` %d @ %ld ( %%%15[^)] ) %n`
//! and so on): whitespace where the patterns have it, decimal numbers, a register name of at
//! most 15 characters. Unlike `sscanf`, a number that does not fit is an error, not a clamp.

/// Arguments a spec holds: `BPF_USDT_MAX_ARG_CNT` in `usdt.bpf.h`.
pub const MAX_ARGS: usize = 12;

/// Bytes of `struct __bpf_usdt_spec`: 12 args of 16 bytes, the cookie, the count, padding.
pub const SPEC_SIZE: usize = 208;

/// Where an argument's value is (`enum __bpf_usdt_arg_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// `$N`: the value is `val_off`.
    Const,
    /// `%reg`: the register at `reg_off` in `struct pt_regs`.
    Reg,
    /// `N(%reg)`: user memory at the register's value plus `val_off`.
    RegDeref,
}

impl ArgKind {
    /// The enum's value in the BPF-side header.
    fn code(self) -> u32 {
        match self {
            ArgKind::Const => 0,
            ArgKind::Reg => 1,
            ArgKind::RegDeref => 2,
        }
    }
}

/// One argument (`struct __bpf_usdt_arg_spec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgSpec {
    /// The constant, or the offset added to the register for a dereference (two's complement).
    pub val_off: u64,
    /// Which form.
    pub kind: ArgKind,
    /// `offsetof(struct pt_regs, reg)`; 0 for a constant.
    pub reg_off: i16,
    /// A negative size in the note: sign-extended.
    pub signed: bool,
    /// `64 - 8 * size`: the bits cleared (or sign-filled) to widen a 1, 2 or 4-byte value.
    pub bitshift: u8,
}

/// Every argument of one call site, and the user's cookie (`struct __bpf_usdt_spec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsdtSpec {
    /// The arguments, at most [`MAX_ARGS`].
    pub args: Vec<ArgSpec>,
    /// What `bpf_usdt_cookie()` returns.
    pub cookie: u64,
}

impl UsdtSpec {
    /// The map value, in this machine's byte order, laid out as `usdt.bpf.h` declares it.
    pub fn to_bytes(&self) -> [u8; SPEC_SIZE] {
        let mut out = [0u8; SPEC_SIZE];
        for (i, a) in self.args.iter().take(MAX_ARGS).enumerate() {
            let at = &mut out[i * 16..i * 16 + 16];
            at[0..8].copy_from_slice(&a.val_off.to_ne_bytes());
            at[8..12].copy_from_slice(&a.kind.code().to_ne_bytes());
            at[12..14].copy_from_slice(&a.reg_off.to_ne_bytes());
            at[14] = u8::from(a.signed);
            at[15] = a.bitshift;
        }
        out[192..200].copy_from_slice(&self.cookie.to_ne_bytes());
        let count = self.args.len().min(MAX_ARGS) as i16;
        out[200..202].copy_from_slice(&count.to_ne_bytes());
        out
    }
}

/// Why an argument string cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// More than [`MAX_ARGS`] arguments.
    #[error("more than {MAX_ARGS} arguments")]
    TooManyArgs,
    /// None of the three forms.
    #[error("argument #{index} {text:?} is none of N@$CONST, N@%REG, N@OFF(%REG)")]
    Unrecognized {
        /// Zero-based.
        index: usize,
        /// The rest of the string from that argument on.
        text: String,
    },
    /// A register libbpf does not know (x86-64 general-purpose registers and `rip`).
    #[error("argument #{index}: unknown register %{register}")]
    UnknownRegister {
        /// Zero-based.
        index: usize,
        /// The name after `%`.
        register: String,
    },
    /// A size other than 1, 2, 4 or 8 bytes.
    #[error("argument #{index}: size {size} is not 1, 2, 4 or 8 bytes")]
    BadSize {
        /// Zero-based.
        index: usize,
        /// As written (negative: signed).
        size: i64,
    },
}

/// Reads a note's argument string into a spec carrying `cookie`, as libbpf's `parse_usdt_spec`.
pub fn parse(args: &str, cookie: u64) -> Result<UsdtSpec, SpecError> {
    let bytes = args.as_bytes();
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < bytes.len() {
        if out.len() >= MAX_ARGS {
            return Err(SpecError::TooManyArgs);
        }
        let index = out.len();
        let (raw, used) = parse_one(&bytes[pos..])
            .ok_or_else(|| SpecError::Unrecognized { index, text: String::from_utf8_lossy(&bytes[pos..]).into() })?;
        out.push(finish(raw, index)?);
        pos += used;
    }
    Ok(UsdtSpec { args: out, cookie })
}

/// One argument as written: its size, its form, the number and the register name.
#[derive(Debug, PartialEq, Eq)]
struct RawArg<'a> {
    size: i64,
    kind: ArgKind,
    val: i64,
    reg: &'a [u8],
}

/// Sizes, signedness and registers checked; the register made its `pt_regs` offset.
fn finish(raw: RawArg<'_>, index: usize) -> Result<ArgSpec, SpecError> {
    let reg_off = match raw.kind {
        ArgKind::Const => 0,
        _ => pt_regs_offset(raw.reg)
            .ok_or_else(|| SpecError::UnknownRegister { index, register: String::from_utf8_lossy(raw.reg).into() })?,
    };
    let bitshift = match raw.size.unsigned_abs() {
        1 => 56,
        2 => 48,
        4 => 32,
        8 => 0,
        _ => return Err(SpecError::BadSize { index, size: raw.size }),
    };
    Ok(ArgSpec { val_off: raw.val as u64, kind: raw.kind, reg_off, signed: raw.size < 0, bitshift })
}

/// The first argument of `s` and the bytes it took with the whitespace after it: the four
/// patterns in libbpf's order.
fn parse_one(s: &[u8]) -> Option<(RawArg<'_>, usize)> {
    deref_with_offset(s).or_else(|| deref(s)).or_else(|| register(s)).or_else(|| constant(s))
}

/// ` %d @ %ld ( %%%15[^)] ) %n`: `-4@-20(%rbp)`.
fn deref_with_offset(s: &[u8]) -> Option<(RawArg<'_>, usize)> {
    let mut c = Cursor { s, pos: 0 };
    let size = c.size_at()?;
    let val = c.number()?;
    let reg = c.paren_register()?;
    Some((RawArg { size, kind: ArgKind::RegDeref, val, reg }, c.end()))
}

/// ` %d @ ( %%%15[^)] ) %n`: `8@(%rsp)`.
fn deref(s: &[u8]) -> Option<(RawArg<'_>, usize)> {
    let mut c = Cursor { s, pos: 0 };
    let size = c.size_at()?;
    let reg = c.paren_register()?;
    Some((RawArg { size, kind: ArgKind::RegDeref, val: 0, reg }, c.end()))
}

/// ` %d @ %%%15s %n`: `-4@%eax`.
fn register(s: &[u8]) -> Option<(RawArg<'_>, usize)> {
    let mut c = Cursor { s, pos: 0 };
    let size = c.size_at()?;
    c.skip_ws();
    c.literal(b'%')?;
    let reg = c.take_while(15, |b| !b.is_ascii_whitespace())?;
    Some((RawArg { size, kind: ArgKind::Reg, val: 0, reg }, c.end()))
}

/// ` %d @ $%ld %n`: `4@$71`.
fn constant(s: &[u8]) -> Option<(RawArg<'_>, usize)> {
    let mut c = Cursor { s, pos: 0 };
    let size = c.size_at()?;
    c.literal(b'$')?;
    let val = c.number()?;
    Some((RawArg { size, kind: ArgKind::Const, val, reg: &[] }, c.end()))
}

/// A reading position in an argument string; every read checks the bounds.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, want: u8) -> Option<()> {
        (self.peek() == Some(want)).then(|| self.pos += 1)
    }

    /// `%d` / `%ld`: whitespace, an optional sign, decimal digits; `None` if it overflows.
    fn number(&mut self) -> Option<i64> {
        self.skip_ws();
        let start = self.pos;
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits {
            return None;
        }
        std::str::from_utf8(&self.s[start..self.pos]).ok()?.parse().ok()
    }

    /// ` %d @`: the size and the `@` after it.
    fn size_at(&mut self) -> Option<i64> {
        let size = self.number().filter(|n| i32::try_from(*n).is_ok())?;
        self.skip_ws();
        self.literal(b'@')?;
        self.skip_ws();
        Some(size)
    }

    /// ` ( %%%15[^)] )`: a register in parentheses.
    fn paren_register(&mut self) -> Option<&'a [u8]> {
        self.skip_ws();
        self.literal(b'(')?;
        self.skip_ws();
        self.literal(b'%')?;
        let reg = self.take_while(15, |b| b != b')')?;
        self.skip_ws();
        self.literal(b')')?;
        Some(reg)
    }

    /// One to `max` bytes satisfying `ok`.
    fn take_while(&mut self, max: usize, ok: impl Fn(u8) -> bool) -> Option<&'a [u8]> {
        let start = self.pos;
        while self.pos - start < max && self.peek().is_some_and(&ok) {
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.s[start..self.pos])
    }

    /// ` %n`: the whitespace after the argument belongs to it.
    fn end(mut self) -> usize {
        self.skip_ws();
        self.pos
    }
}

/// `offsetof(struct pt_regs, reg)` on x86-64 for a register name and its 32/16/8-bit aliases
/// (libbpf's `calc_pt_regs_off`).
fn pt_regs_offset(name: &[u8]) -> Option<i16> {
    const REGS: [([&str; 4], i16); 17] = [
        (["rip", "eip", "rip", "rip"], 128),
        (["rax", "eax", "ax", "al"], 80),
        (["rbx", "ebx", "bx", "bl"], 40),
        (["rcx", "ecx", "cx", "cl"], 88),
        (["rdx", "edx", "dx", "dl"], 96),
        (["rsi", "esi", "si", "sil"], 104),
        (["rdi", "edi", "di", "dil"], 112),
        (["rbp", "ebp", "bp", "bpl"], 32),
        (["rsp", "esp", "sp", "spl"], 152),
        (["r8", "r8d", "r8w", "r8b"], 72),
        (["r9", "r9d", "r9w", "r9b"], 64),
        (["r10", "r10d", "r10w", "r10b"], 56),
        (["r11", "r11d", "r11w", "r11b"], 48),
        (["r12", "r12d", "r12w", "r12b"], 24),
        (["r13", "r13d", "r13w", "r13b"], 16),
        (["r14", "r14d", "r14w", "r14b"], 8),
        (["r15", "r15d", "r15w", "r15b"], 0),
    ];
    REGS.iter().find(|(names, _)| names.iter().any(|n| n.as_bytes() == name)).map(|&(_, off)| off)
}

#[cfg(test)]
mod tests;
