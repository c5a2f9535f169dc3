//! Which instructions of a linked program the verifier can reach, when registers that hold
//! constants decide conditional jumps — as the verifier itself prunes them. CO-RE patches
//! `bpf_core_field_exists()` and friends to constants, so the branch using a field a kernel
//! lacks is dead there, and its poisoned instruction never runs: only a reachable poison
//! makes a load fail.
//!
//! Path-insensitive: where two paths meet with different values, the register is unknown.

use btf::insn::{class, op, Insn};

/// Per-register knowledge: `Some(v)` when the register holds `v` on every path here.
type Regs = [Option<i64>; 11];

/// `reachable[i]` for every instruction slot of `insns` (the second slot of an ld_imm64 is
/// never reachable on its own).
pub fn reachable(insns: &[Insn]) -> Vec<bool> {
    let mut state: Vec<Option<Regs>> = vec![None; insns.len()];
    let mut todo = vec![0usize];
    if !insns.is_empty() {
        state[0] = Some([None; 11]);
    }
    // Each merge can only lose knowledge (11 registers per slot), so this terminates.
    while let Some(pc) = todo.pop() {
        let Some(regs) = state[pc] else { continue };
        for (next, out) in step(insns, pc, regs) {
            if next >= insns.len() {
                continue;
            }
            let merged = match state[next] {
                None => out,
                Some(old) => std::array::from_fn(|r| if old[r] == out[r] { old[r] } else { None }),
            };
            if state[next] != Some(merged) {
                state[next] = Some(merged);
                todo.push(next);
            }
        }
    }
    state.iter().map(Option::is_some).collect()
}

/// The successors of `pc` with the registers after it.
fn step(insns: &[Insn], pc: usize, mut regs: Regs) -> Vec<(usize, Regs)> {
    let i = insns[pc];
    let dst = usize::from(i.dst).min(10);
    match i.class() {
        class::LD if i.is_ld_imm64() => {
            let hi = insns.get(pc + 1).map_or(0, |n| n.imm);
            regs[dst] = (i.src == 0).then(|| (i64::from(hi) << 32) | i64::from(i.imm as u32));
            vec![(pc + 2, regs)]
        }
        class::ALU | class::ALU64 => {
            regs[dst] = alu(i, regs[dst]);
            vec![(pc + 1, regs)]
        }
        class::LDX => {
            regs[dst] = None;
            vec![(pc + 1, regs)]
        }
        class::JMP | class::JMP32 => jump(i, pc, regs),
        _ => vec![(pc + 1, regs)],
    }
}

/// A register after an ALU instruction with an immediate, when it was known; else unknown.
fn alu(i: Insn, before: Option<i64>) -> Option<i64> {
    const K: u8 = 0x00;
    if i.code & 0x08 != K {
        return None;
    }
    let imm = i64::from(i.imm);
    let v = match i.code & 0xf0 {
        0xb0 => Some(imm),                                                      // mov
        0x00 => before.map(|b| b.wrapping_add(imm)),                            // add
        0x10 => before.map(|b| b.wrapping_sub(imm)),                            // sub
        0x50 => before.map(|b| b & imm),                                        // and
        0x40 => before.map(|b| b | imm),                                        // or
        0x60 => before.map(|b| b.wrapping_shl(i.imm as u32)),                   // lsh
        0x70 => before.map(|b| ((b as u64).wrapping_shr(i.imm as u32)) as i64), // rsh
        _ => None,
    };
    // 32-bit ALU zero-extends its result.
    if i.class() == class::ALU {
        v.map(|x| i64::from(x as u32))
    } else {
        v
    }
}

fn jump(i: Insn, pc: usize, mut regs: Regs) -> Vec<(usize, Regs)> {
    let target = (pc as i64 + 1 + i64::from(i.off)).max(0) as usize;
    match i.code & 0xf0 {
        op::EXIT => Vec::new(),
        op::JA if i.class() == class::JMP => vec![(target, regs)],
        op::CALL => {
            // A subprogram call also runs the callee, from its first instruction.
            let callee = (i.src == btf::insn::pseudo::CALL).then(|| (pc as i64 + 1 + i64::from(i.imm)).max(0) as usize);
            regs[0..6].iter_mut().for_each(|r| *r = None);
            let mut out = vec![(pc + 1, regs)];
            out.extend(callee.map(|c| (c, [None; 11])));
            out
        }
        _ => match decide(i, &regs) {
            Some(true) => vec![(target, regs)],
            Some(false) => vec![(pc + 1, regs)],
            None => vec![(pc + 1, regs), (target, regs)],
        },
    }
}

/// Whether a conditional jump is taken, when its operands are known.
fn decide(i: Insn, regs: &Regs) -> Option<bool> {
    let a = regs[usize::from(i.dst).min(10)]?;
    let b = if i.code & 0x08 == 0 { i64::from(i.imm) } else { regs[usize::from(i.src).min(10)]? };
    let (a, b) = if i.class() == class::JMP32 { (i64::from(a as i32), i64::from(b as i32)) } else { (a, b) };
    let (ua, ub) = (a as u64, b as u64);
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
        assert_eq!(reachable(&p)[5], true);
    }
}
