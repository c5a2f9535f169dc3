//! What the verifier knows of each register at each instruction it can reach, when constants
//! decide conditional jumps — as the verifier itself prunes them. CO-RE patches
//! `bpf_core_field_exists()` and friends to constants, and loads from frozen read-only maps
//! (`.rodata`, `.kconfig`'s `LINUX_KERNEL_VERSION`) are constants too, so the branch a kernel
//! does not take is dead there: its poisoned instruction never runs, and its context accesses
//! are never checked. The context pointer is followed with its offset, for [`super::ctx`].
//!
//! Path-insensitive: where two paths meet with different values, the register is unknown.

use btf::insn::{class, mode, op, pseudo, src, Insn};

use super::consts::Consts;

/// One register, as far as it is known on every path to an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val {
    /// Anything.
    Unknown,
    /// This constant.
    Const(i64),
    /// The program's context pointer plus this offset.
    Ctx(i64),
    /// A pointer into map `map`'s value (its index in the object), `off` bytes in.
    MapValue {
        /// The map's index.
        map: u32,
        /// The offset into its value.
        off: i64,
    },
}

/// The registers r0..r10 before an instruction.
pub type Regs = [Val; 11];

/// The registers before each instruction slot of `insns`, `None` where the verifier cannot
/// get (and at the second slot of an ld_imm64). At entry r1 is the context.
pub fn analyze(insns: &[Insn], consts: &Consts) -> Vec<Option<Regs>> {
    let mut state: Vec<Option<Regs>> = vec![None; insns.len()];
    let mut todo = vec![0usize];
    if let Some(first) = state.first_mut() {
        let mut regs = [Val::Unknown; 11];
        regs[1] = Val::Ctx(0);
        *first = Some(regs);
    }
    // Each merge can only lose knowledge (11 registers per slot), so this terminates.
    while let Some(pc) = todo.pop() {
        let Some(regs) = state[pc] else { continue };
        for (next, out) in step(insns, pc, regs, consts) {
            if next >= insns.len() {
                continue;
            }
            let merged = match state[next] {
                None => out,
                Some(old) => std::array::from_fn(|r| if old[r] == out[r] { old[r] } else { Val::Unknown }),
            };
            if state[next] != Some(merged) {
                state[next] = Some(merged);
                todo.push(next);
            }
        }
    }
    state
}

/// `reachable[i]` for every instruction slot of `insns`, knowing no map's contents.
pub fn reachable(insns: &[Insn]) -> Vec<bool> {
    analyze(insns, &Consts::default()).iter().map(Option::is_some).collect()
}

fn reg(r: u8) -> usize {
    usize::from(r).min(10)
}

/// The successors of `pc` with the registers after it.
fn step(insns: &[Insn], pc: usize, mut regs: Regs, consts: &Consts) -> Vec<(usize, Regs)> {
    let i = insns[pc];
    let dst = reg(i.dst);
    match i.class() {
        class::LD if i.is_ld_imm64() => {
            let hi = insns.get(pc + 1).map_or(0, |n| n.imm);
            regs[dst] = match i.src {
                0 => Val::Const((i64::from(hi) << 32) | i64::from(i.imm as u32)),
                pseudo::MAP_VALUE => Val::MapValue { map: i.imm as u32, off: i64::from(hi) },
                _ => Val::Unknown,
            };
            vec![(pc + 2, regs)]
        }
        class::ALU | class::ALU64 => {
            regs[dst] = alu(i, regs[dst], regs[reg(i.src)]);
            vec![(pc + 1, regs)]
        }
        class::LDX => {
            regs[dst] = load(i, regs[reg(i.src)], consts);
            vec![(pc + 1, regs)]
        }
        class::STX if i.code & 0xe0 == mode::ATOMIC => {
            // Fetching atomics write a register: r0 for cmpxchg, src otherwise.
            regs[0] = Val::Unknown;
            regs[reg(i.src)] = Val::Unknown;
            vec![(pc + 1, regs)]
        }
        class::JMP | class::JMP32 => jump(i, pc, regs),
        _ => vec![(pc + 1, regs)],
    }
}

/// A load: a constant when it reads a frozen read-only map at a known offset.
fn load(i: Insn, base: Val, consts: &Consts) -> Val {
    let (Val::MapValue { map, off }, Some(size)) = (base, i.mem_size()) else { return Val::Unknown };
    let signed = i.code & 0xe0 == mode::MEMSX;
    consts.read(map, off + i64::from(i.off), size, signed).map_or(Val::Unknown, Val::Const)
}

/// A register after an ALU instruction: known when its operands were, a pointer moved by a
/// constant when it was a pointer; else unknown.
fn alu(i: Insn, before: Val, src_val: Val) -> Val {
    let operand = if i.code & 0x08 == src::K { Val::Const(i64::from(i.imm)) } else { src_val };
    let alu32 = i.class() == class::ALU;
    let v = match (i.code & 0xf0, before, operand) {
        (op::MOV, _, Val::Const(c)) if i.off == 0 => Val::Const(c),
        (op::MOV, _, p) if !alu32 && i.off == 0 => p,
        (0x00, Val::Ctx(o), Val::Const(c)) if !alu32 => Val::Ctx(o.wrapping_add(c)),
        (0x10, Val::Ctx(o), Val::Const(c)) if !alu32 => Val::Ctx(o.wrapping_sub(c)),
        (0x00, Val::MapValue { map, off }, Val::Const(c)) if !alu32 => Val::MapValue { map, off: off.wrapping_add(c) },
        (0x10, Val::MapValue { map, off }, Val::Const(c)) if !alu32 => Val::MapValue { map, off: off.wrapping_sub(c) },
        (code, Val::Const(a), Val::Const(b)) if i.off == 0 => arith(code, a, b, alu32).map_or(Val::Unknown, Val::Const),
        _ => Val::Unknown,
    };
    // 32-bit ALU zero-extends its result.
    match v {
        Val::Const(x) if alu32 => Val::Const(i64::from(x as u32)),
        other => other,
    }
}

/// `a OP b` for the operations whose result the analysis follows (not division: its cpu-v4
/// signed forms and division by zero are not worth following).
fn arith(code: u8, a: i64, b: i64, alu32: bool) -> Option<i64> {
    let bits = if alu32 { 31 } else { 63 };
    Some(match code {
        0x00 => a.wrapping_add(b),
        0x10 => a.wrapping_sub(b),
        0x20 => a.wrapping_mul(b),
        0x40 => a | b,
        0x50 => a & b,
        0x60 => a.wrapping_shl((b & bits) as u32),
        0x70 if alu32 => i64::from((a as u32).wrapping_shr((b & bits) as u32)),
        0x70 => ((a as u64).wrapping_shr((b & bits) as u32)) as i64,
        0x80 => a.wrapping_neg(),
        0xa0 => a ^ b,
        0xc0 if alu32 => i64::from((a as i32).wrapping_shr((b & bits) as u32)),
        0xc0 => a.wrapping_shr((b & bits) as u32),
        _ => return None,
    })
}

fn jump(i: Insn, pc: usize, mut regs: Regs) -> Vec<(usize, Regs)> {
    let target = (pc as i64 + 1 + i64::from(i.off)).max(0) as usize;
    match i.code & 0xf0 {
        op::EXIT => Vec::new(),
        op::JA if i.class() == class::JMP => vec![(target, regs)],
        op::CALL => {
            // A subprogram call also runs the callee, from its first instruction, with the
            // caller's arguments (r1-r5) and nothing else known.
            let callee = (i.src == pseudo::CALL).then(|| (pc as i64 + 1 + i64::from(i.imm)).max(0) as usize);
            let mut entry = [Val::Unknown; 11];
            entry[1..6].copy_from_slice(&regs[1..6]);
            regs[0..6].iter_mut().for_each(|r| *r = Val::Unknown);
            let mut out = vec![(pc + 1, regs)];
            out.extend(callee.map(|c| (c, entry)));
            out
        }
        _ => match decide(i, &regs) {
            Some(true) => vec![(target, regs)],
            Some(false) => vec![(pc + 1, regs)],
            None => vec![(pc + 1, regs), (target, regs)],
        },
    }
}

/// Whether a conditional jump is taken, when its operands are known constants.
fn decide(i: Insn, regs: &Regs) -> Option<bool> {
    let Val::Const(a) = regs[reg(i.dst)] else { return None };
    let b = if i.code & 0x08 == src::K {
        i64::from(i.imm)
    } else {
        let Val::Const(b) = regs[reg(i.src)] else { return None };
        b
    };
    let (a, b) = if i.class() == class::JMP32 { (i64::from(a as i32), i64::from(b as i32)) } else { (a, b) };
    let (ua, ub) =
        if i.class() == class::JMP32 { (u64::from(a as u32), u64::from(b as u32)) } else { (a as u64, b as u64) };
    Some(match i.code & 0xf0 {
        0x10 => a == b,     // jeq
        0x50 => a != b,     // jne
        0x20 => ua > ub,    // jgt
        0x30 => ua >= ub,   // jge
        0xa0 => ua < ub,    // jlt
        0xb0 => ua <= ub,   // jle
        0x60 => a > b,      // jsgt
        0x70 => a >= b,     // jsge
        0xc0 => a < b,      // jslt
        0xd0 => a <= b,     // jsle
        0x40 => a & b != 0, // jset
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use btf::insn::{CALL, EXIT};

    fn ins(code: u8, dst: u8, off: i16, imm: i32) -> Insn {
        Insn { code, dst, src: 0, off, imm }
    }

    fn insx(code: u8, dst: u8, src: u8, off: i16) -> Insn {
        Insn { code, dst, src, off, imm: 0 }
    }

    #[test]
    fn a_branch_on_a_known_constant_leaves_the_other_side_dead() {
        // r1 = 0 (a patched bpf_core_field_exists); if r1 == 0 goto +1; call 0xbad2310; exit
        let p = [ins(0xb7, 1, 0, 0), ins(0x15, 1, 1, 0), ins(CALL, 0, 0, 0xbad2310), ins(EXIT, 0, 0, 0)];
        assert_eq!(reachable(&p), [true, true, false, true]);
        // r1 = 1: the poison runs.
        let p = [ins(0xb7, 1, 0, 1), ins(0x15, 1, 1, 0), ins(CALL, 0, 0, 0xbad2310), ins(EXIT, 0, 0, 0)];
        assert_eq!(reachable(&p), [true, true, true, true]);
        // r1 unknown (loaded from memory): both sides.
        let p = [ins(0x61, 1, 0, 0), ins(0x15, 1, 1, 0), ins(CALL, 0, 0, 0xbad2310), ins(EXIT, 0, 0, 0)];
        assert_eq!(reachable(&p), [true, true, true, true]);
    }

    #[test]
    fn paths_that_disagree_forget_the_value() {
        // r2 unknown; if r2 == 0 goto +1; r1 = 5; (join) if r1 == 5 goto +1; call poison; exit
        let p = [
            ins(0xb7, 1, 0, 5),
            ins(0x61, 2, 0, 0),
            ins(0x15, 2, 1, 0),
            ins(0xb7, 1, 0, 7),
            ins(0x15, 1, 1, 5),
            ins(CALL, 0, 0, 0xbad2310),
            ins(EXIT, 0, 0, 0),
        ];
        assert!(reachable(&p)[5]);
    }

    /// bitesize's `block_rq_issue`, as clang compiles `ctx[LINUX_KERNEL_VERSION >= 5.11 ? 0 : 1]`.
    fn version_select() -> Vec<Insn> {
        vec![
            Insn { code: 0x18, dst: 2, src: pseudo::MAP_VALUE, off: 0, imm: 0 }, // r2 = .kconfig + 0
            ins(0, 0, 0, 0),
            insx(0x61, 3, 2, 0),      // r3 = *(u32 *)(r2 + 0)
            ins(0xb7, 2, 0, 1),       // r2 = 1
            ins(0xb7, 4, 0, 0x50b00), // r4 = KERNEL_VERSION(5, 11, 0)
            insx(0x2d, 4, 3, 1),      // if r4 > r3 goto +1
            ins(0xb7, 2, 0, 0),       // r2 = 0
            ins(0x67, 2, 0, 3),       // r2 <<= 3
            insx(0x0f, 1, 2, 0),      // r1 += r2
            insx(0x79, 7, 1, 0),      // r7 = *(u64 *)(r1 + 0)
            ins(EXIT, 0, 0, 0),
        ]
    }

    #[test]
    fn a_kconfig_constant_decides_which_context_slot_is_read() {
        let p = version_select();
        let at = |version: u32| {
            let consts = Consts::with_map(0, version.to_le_bytes().map(Some).to_vec());
            analyze(&p, &consts)[9].unwrap()[1]
        };
        assert_eq!(at(0x050a00), Val::Ctx(8), "5.10: the second argument");
        assert_eq!(at(0x060100), Val::Ctx(0), "6.1: the first");
        // Not knowing the version, the two paths meet with different pointers.
        assert_eq!(analyze(&p, &Consts::default())[9].unwrap()[1], Val::Unknown);
    }

    #[test]
    fn arithmetic_shifts_keep_the_sign() {
        // r2 = 0xffffffff; r2 <<= 32; r2 s>>= 32 (clang's sign extension of a u32 into s64)
        let p = [ins(0xb7, 2, 0, -1), ins(0x67, 2, 0, 32), ins(0xc7, 2, 0, 32), ins(EXIT, 0, 0, 0)];
        assert_eq!(analyze(&p, &Consts::default())[3].unwrap()[2], Val::Const(-1));
        // 32-bit: w2 = 0x80000000; w2 s>>= 4 gives 0xf8000000, zero-extended.
        let p = [ins(0xb4, 2, 0, i32::MIN), ins(0xc4, 2, 0, 4), ins(EXIT, 0, 0, 0)];
        assert_eq!(analyze(&p, &Consts::default())[2].unwrap()[2], Val::Const(0xf800_0000));
    }

    #[test]
    fn a_subprogram_receives_the_callers_arguments() {
        // call +1 (r1 is the context); exit; sub: r0 = *(u64 *)(r1 + 8); exit
        let p = [
            Insn { code: CALL, dst: 0, src: pseudo::CALL, off: 0, imm: 1 },
            ins(EXIT, 0, 0, 0),
            insx(0x79, 0, 1, 8),
            ins(EXIT, 0, 0, 0),
        ];
        assert_eq!(analyze(&p, &Consts::default())[2].unwrap()[1], Val::Ctx(0));
    }
}
