//! Instructions in the kernel verifier's syntax, with relocation marks and source lines.
//!
//! The text of each instruction follows `print_bpf_insn()` in the kernel's kernel/bpf/disasm.c
//! (what the verifier log and `bpftool prog dump xlated` print), so a listing from rawbpf can be
//! compared line by line with a verifier log. Differences, all on purpose:
//! - ld_imm64 with a pseudo source names its target instead of printing a kernel pointer:
//!   `map[fd:N]`, `map[fd:N][0]+OFF`, `map[idx:N]`, `map[idx:N]+OFF`, `subprog[+N]`,
//!   `btf_id[N]`. A [`Symbols`] implementation can rename them (see [`Xlated`] for the
//!   `map[id:N]` form of an xlated dump). A plain constant is `0x...` as in the kernel.
//! - An ld_imm64 cut short by the end of the program prints `BUG_ld_18 (missing second slot)`.
//!
//! Formatting is pure: it returns strings and does no I/O.

mod listing;
#[cfg(test)]
mod oracle;
#[cfg(test)]
mod tests;

pub use listing::{format_program, Annotations, SourceLine};

use crate::helpers::helper_name;
use crate::insn::{class, imm64, mode, pseudo, slots_at, Insn};

/// ld_imm64 pseudo sources the btf crate does not name (libbpf-internal, resolved by fd arrays).
const PSEUDO_MAP_IDX: u8 = 5;
const PSEUDO_MAP_IDX_VALUE: u8 = 6;

/// ALU and jump op values (`BPF_OP(code)`).
const DIV: u8 = 0x30;
const NEG: u8 = 0x80;
const MOD: u8 = 0x90;
const MOV: u8 = 0xb0;
const END: u8 = 0xd0;
const CALL: u8 = 0x80;
const EXIT: u8 = 0x90;
const JA: u8 = 0x00;
const JCOND: u8 = 0xe0;

/// Legacy packet-load modes (`BPF_ABS`, `BPF_IND`) and the verifier-internal `BPF_NOSPEC`.
const ABS: u8 = 0x20;
const IND: u8 = 0x40;
const NOSPEC: u8 = 0xc0;

/// Atomic operations (imm of a `BPF_STX | BPF_ATOMIC`).
const FETCH: i32 = 0x01;
const XCHG: i32 = 0xe0 | FETCH;
const CMPXCHG: i32 = 0xf0 | FETCH;
const LOAD_ACQ: i32 = 0x100;
const STORE_REL: i32 = 0x110;

/// Names for what the kernel's disassembler leaves to callbacks (`cb_call`, `cb_imm`): kfuncs,
/// subprogram calls and ld_imm64 pseudo values. Return `None` to keep the default text.
pub trait Symbols {
    /// Replacement for the name in `call NAME#imm` (kfuncs, unknown helpers) or for `+N` in
    /// `call pc+N` (subprogram calls). Known helpers always print their UAPI name.
    fn call_name(&self, _idx: usize, _insn: &Insn) -> Option<String> {
        None
    }

    /// Replacement for the right-hand side of an ld_imm64; `value` is the 64-bit immediate.
    fn imm_name(&self, _idx: usize, _insn: &Insn, _value: u64) -> Option<String> {
        None
    }
}

/// No renaming: the defaults described in the module docs.
pub struct Plain;
impl Symbols for Plain {}

/// Names as in an xlated (kernel-translated) program, as `bpftool prog dump xlated` prints it:
/// the kernel has replaced map fds by map ids (`map[id:N]`), and in a JIT-compiled program a
/// subprogram call keeps its relative target in `off` (imm then holds the subprogram index).
pub struct Xlated;
impl Symbols for Xlated {
    fn call_name(&self, _idx: usize, insn: &Insn) -> Option<String> {
        (insn.src == pseudo::CALL).then(|| format!("{:+}", insn.off))
    }

    fn imm_name(&self, _idx: usize, insn: &Insn, value: u64) -> Option<String> {
        match insn.src {
            pseudo::MAP_FD => Some(format!("map[id:{}]", value as u32)),
            pseudo::MAP_VALUE => Some(format!("map[id:{}][0]+{}", value as u32, (value >> 32) as u32)),
            _ => None,
        }
    }
}

/// Formats the instruction at `idx` without its opcode prefix, e.g. `r1 = *(u64 *)(r2 +8)`,
/// and returns how many slots it takes (2 for ld_imm64, 1 otherwise, 0 past the end).
pub fn format_insn(insns: &[Insn], idx: usize) -> (String, usize) {
    format_insn_with(insns, idx, &Plain)
}

/// [`format_insn`] with caller-provided names for kfuncs, subprograms and pseudo immediates.
pub fn format_insn_with(insns: &[Insn], idx: usize, syms: &dyn Symbols) -> (String, usize) {
    let Some(&insn) = insns.get(idx) else {
        return (String::new(), 0);
    };
    let text = match insn.class() {
        class::ALU | class::ALU64 => alu(&insn),
        class::STX => stx(&insn),
        class::ST => st(&insn),
        class::LDX => ldx(&insn),
        class::LD => return ld(insns, idx, syms),
        _ => jmp(idx, &insn, syms),
    };
    (text, 1)
}

/// `r` for 64-bit operations, `w` for their 32-bit (ALU / JMP32) forms.
fn reg_char(wide: bool) -> char {
    if wide {
        'r'
    } else {
        'w'
    }
}

fn ldst_size(insn: &Insn) -> &'static str {
    match insn.code & 0x18 {
        0x00 => "u32",
        0x08 => "u16",
        0x10 => "u8",
        _ => "u64",
    }
}

fn ldsx_size(insn: &Insn) -> Option<&'static str> {
    match insn.code & 0x18 {
        0x00 => Some("s32"),
        0x08 => Some("s16"),
        0x10 => Some("s8"),
        _ => None,
    }
}

fn alu_op(op: u8) -> Option<&'static str> {
    Some(match op {
        0x00 => "+=",
        0x10 => "-=",
        0x20 => "*=",
        0x30 => "/=",
        0x40 => "|=",
        0x50 => "&=",
        0x60 => "<<=",
        0x70 => ">>=",
        0x90 => "%=",
        0xa0 => "^=",
        0xb0 => "=",
        0xc0 => "s>>=",
        _ => return None,
    })
}

fn jmp_op(op: u8) -> Option<&'static str> {
    Some(match op {
        0x10 => "==",
        0x20 => ">",
        0x30 => ">=",
        0x40 => "&",
        0x50 => "!=",
        0x60 => "s>",
        0x70 => "s>=",
        0xa0 => "<",
        0xb0 => "<=",
        0xc0 => "s<",
        0xd0 => "s<=",
        _ => return None,
    })
}

fn alu(insn: &Insn) -> String {
    let wide = insn.class() == class::ALU64;
    let r = reg_char(wide);
    let (op, dst, src) = (insn.code & 0xf0, insn.dst, insn.src);
    let is_x = insn.code & 0x08 != 0;
    match op {
        END if wide => format!("r{dst} = bswap{} r{dst}", insn.imm),
        END => format!("r{dst} = {}{} r{dst}", if is_x { "be" } else { "le" }, insn.imm),
        NEG => format!("{r}{dst} = -{r}{dst}"),
        // Verifier-internal (xlated only): per-CPU address of a pointer.
        MOV if wide && is_x && insn.off == -1 => format!("r{dst} = &(void __percpu *)(r{src})"),
        MOV if wide && is_x && insn.off == 1 => {
            let imm = insn.imm as u32;
            format!("r{dst} = addr_space_cast(r{src}, {}, {})", imm >> 16, imm & 0xffff)
        }
        _ => {
            // cpu v4: off == 1 turns div/mod signed; off 8/16/32 turns mov sign-extending.
            let signed = (op == DIV || op == MOD) && insn.off == 1;
            let sym = match (signed, op) {
                (true, DIV) => Some("s/="),
                (true, _) => Some("s%="),
                _ => alu_op(op),
            };
            let Some(sym) = sym else {
                return format!("BUG_alu_{:02x}", insn.code);
            };
            if is_x {
                let cast = match (op, insn.off) {
                    (MOV, 8) => "(s8)",
                    (MOV, 16) => "(s16)",
                    (MOV, 32) => "(s32)",
                    _ => "",
                };
                format!("{r}{dst} {sym} {cast}{r}{src}")
            } else {
                format!("{r}{dst} {sym} {}", insn.imm)
            }
        }
    }
}

fn stx(insn: &Insn) -> String {
    let (sz, dst, src, off) = (ldst_size(insn), insn.dst, insn.src, insn.off);
    let bits = if insn.code & 0x18 == 0x18 { "64" } else { "" };
    match insn.code & 0xe0 {
        mode::MEM => format!("*({sz} *)(r{dst} {off:+}) = r{src}"),
        mode::ATOMIC => match insn.imm {
            0x00 | 0x40 | 0x50 | 0xa0 => {
                let sym = alu_op(insn.imm as u8).unwrap_or("?=");
                format!("lock *({sz} *)(r{dst} {off:+}) {sym} r{src}")
            }
            0x01 | 0x41 | 0x51 | 0xa1 => {
                let name = match insn.imm & 0xf0 {
                    0x00 => "add",
                    0x40 => "or",
                    0x50 => "and",
                    _ => "xor",
                };
                format!("r{src} = atomic{bits}_fetch_{name}(({sz} *)(r{dst} {off:+}), r{src})")
            }
            CMPXCHG => format!("r0 = atomic{bits}_cmpxchg(({sz} *)(r{dst} {off:+}), r0, r{src})"),
            XCHG => format!("r{src} = atomic{bits}_xchg(({sz} *)(r{dst} {off:+}), r{src})"),
            LOAD_ACQ => format!("r{dst} = load_acquire(({sz} *)(r{src} {off:+}))"),
            STORE_REL => format!("store_release(({sz} *)(r{dst} {off:+}), r{src})"),
            _ => format!("BUG_{:02x}", insn.code),
        },
        _ => format!("BUG_{:02x}", insn.code),
    }
}

fn st(insn: &Insn) -> String {
    match insn.code & 0xe0 {
        mode::MEM => format!("*({} *)(r{} {:+}) = {}", ldst_size(insn), insn.dst, insn.off, insn.imm),
        NOSPEC => "nospec".to_owned(),
        _ => format!("BUG_st_{:02x}", insn.code),
    }
}

fn ldx(insn: &Insn) -> String {
    let sz = match insn.code & 0xe0 {
        mode::MEM => Some(ldst_size(insn)),
        mode::MEMSX => ldsx_size(insn),
        _ => None,
    };
    match sz {
        Some(sz) => format!("r{} = *({sz} *)(r{} {:+})", insn.dst, insn.src, insn.off),
        None => format!("BUG_ldx_{:02x}", insn.code),
    }
}

fn ld(insns: &[Insn], idx: usize, syms: &dyn Symbols) -> (String, usize) {
    let insn = insns[idx];
    let sz = ldst_size(&insn);
    let text = match insn.code & 0xe0 {
        ABS => format!("r0 = *({sz} *)skb[{}]", insn.imm),
        IND => format!("r0 = *({sz} *)skb[r{} + {}]", insn.src, insn.imm),
        mode::IMM if insn.is_ld_imm64() => {
            if slots_at(insns, idx) < 2 {
                return (format!("BUG_ld_{:02x} (missing second slot)", insn.code), 1);
            }
            let value = imm64(insn, insns[idx + 1]);
            let rhs = syms.imm_name(idx, &insn, value).unwrap_or_else(|| default_imm(&insn, value));
            return (format!("r{} = {rhs}", insn.dst), 2);
        }
        _ => format!("BUG_ld_{:02x}", insn.code),
    };
    (text, 1)
}

/// The ld_imm64 right-hand side without symbols (see the module docs).
fn default_imm(insn: &Insn, value: u64) -> String {
    let (lo, hi) = (value as u32, (value >> 32) as u32);
    match insn.src {
        pseudo::MAP_FD => format!("map[fd:{}]", lo as i32),
        pseudo::MAP_VALUE => format!("map[fd:{}][0]+{hi}", lo as i32),
        pseudo::BTF_ID => format!("btf_id[{lo}]"),
        pseudo::FUNC => format!("subprog[{:+}]", lo as i32),
        PSEUDO_MAP_IDX => format!("map[idx:{lo}]"),
        PSEUDO_MAP_IDX_VALUE => format!("map[idx:{lo}]+{hi}"),
        _ => format!("{value:#x}"),
    }
}

fn jmp(idx: usize, insn: &Insn, syms: &dyn Symbols) -> String {
    let wide = insn.class() == class::JMP;
    let op = insn.code & 0xf0;
    match op {
        CALL => call(idx, insn, syms),
        JA if wide && insn.code & 0x08 != 0 => format!("gotox r{}", insn.dst),
        JA if wide => format!("goto pc{:+}", insn.off),
        JA => format!("gotol pc{:+}", insn.imm),
        EXIT if wide => "exit".to_owned(),
        JCOND if wide && insn.src == 0 => format!("may_goto pc{:+}", insn.off),
        _ => {
            let Some(sym) = jmp_op(op) else {
                return format!("BUG_jmp_{:02x}", insn.code);
            };
            let r = reg_char(wide);
            if insn.code & 0x08 != 0 {
                format!("if {r}{} {sym} {r}{} goto pc{:+}", insn.dst, insn.src, insn.off)
            } else {
                format!("if {r}{} {sym} {:#x} goto pc{:+}", insn.dst, insn.imm as u32, insn.off)
            }
        }
    }
}

fn call(idx: usize, insn: &Insn, syms: &dyn Symbols) -> String {
    if insn.src == 0 {
        if let Some(name) = helper_name(insn.imm) {
            return format!("call {name}#{}", insn.imm);
        }
    }
    let custom = syms.call_name(idx, insn);
    match insn.src {
        pseudo::CALL => format!("call pc{}", custom.unwrap_or_else(|| format!("{:+}", insn.imm))),
        pseudo::KFUNC_CALL => {
            format!("call {}#{}", custom.as_deref().unwrap_or("kernel-function"), insn.imm)
        }
        _ => format!("call {}#{}", custom.as_deref().unwrap_or("unknown"), insn.imm),
    }
}
