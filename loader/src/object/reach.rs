//! Which functions a program's linked instruction stream will contain: its own, then every
//! function it reaches through BPF-to-BPF calls and function addresses (callbacks), by the same
//! rules `link` follows. libbpf processes relocations per program, while linking it, so a
//! relocation it cannot handle only stops the programs that reach it; this is how rawbpf knows
//! which programs those are before linking anything.

use super::{CodeSection, CodeSectionIndex, RelocTarget};

/// A function: its code section, and its index in that section's `funcs`.
pub type FuncRef = (CodeSectionIndex, usize);

/// Every function reachable from `start`, `start` first, each once. Calls that land where no
/// function starts are not followed: linking reports them.
pub fn reachable(code: &[CodeSection], start: FuncRef) -> Vec<FuncRef> {
    let mut seen = vec![start];
    let mut next = 0;
    while let Some(&(s, fi)) = seen.get(next) {
        next += 1;
        for callee in callees(code, s, fi) {
            if !seen.contains(&callee) {
                seen.push(callee);
            }
        }
    }
    seen
}

/// The functions one function calls or takes the address of, in instruction order.
fn callees(code: &[CodeSection], s: CodeSectionIndex, fi: usize) -> Vec<FuncRef> {
    let Some(sec) = code.get(s.get()) else { return Vec::new() };
    let Some(f) = sec.funcs.get(fi) else { return Vec::new() };
    let range = f.start_insn..f.start_insn + f.len_insns;
    let mut out = Vec::new();
    for (j, ins) in sec.insns.iter().enumerate().take(range.end).skip(range.start) {
        let target = match sec.relocs.iter().find(|r| r.insn_idx == j).map(|r| r.target) {
            Some(RelocTarget::Call { section, insn } | RelocTarget::FuncAddr { section, insn }) => {
                Some((section, insn as i64))
            }
            Some(_) => None,
            // Without a relocation, calls and function addresses are relative within the section.
            None if ins.is_pseudo_call() || ins.is_pseudo_func() => Some((s, j as i64 + i64::from(ins.imm) + 1)),
            None => None,
        };
        let Some((ts, t)) = target else { continue };
        let start = usize::try_from(t).ok();
        let callee = code.get(ts.get()).and_then(|c| c.funcs.iter().position(|f| Some(f.start_insn) == start));
        if let Some(cf) = callee {
            out.push((ts, cf));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use btf::insn::{pseudo, Insn, CALL, EXIT};

    use super::*;
    use crate::object::{Function, SectionIndex};

    fn func(name: &str, start_insn: usize, len_insns: usize) -> Function {
        Function { name: name.into(), start_insn, len_insns, global: false }
    }

    fn call(imm: i32) -> Insn {
        Insn { code: CALL, src: pseudo::CALL, imm, ..Default::default() }
    }

    fn exit() -> Insn {
        Insn { code: EXIT, ..Default::default() }
    }

    #[test]
    fn calls_are_followed_transitively_and_siblings_are_not_reached() {
        // prog a calls .text f (which calls g); prog b calls nothing; h is never called.
        let progs = CodeSection {
            index: SectionIndex::new(2),
            name: "kprobe".into(),
            insns: vec![call(-1), exit(), exit()],
            funcs: vec![func("a", 0, 2), func("b", 2, 1)],
            relocs: vec![crate::object::Reloc {
                number: 0,
                insn_idx: 0,
                symbol: ".text".into(),
                r_type: 10,
                target: RelocTarget::Call { section: CodeSectionIndex::new(1), insn: 0 },
            }],
        };
        let text = CodeSection {
            index: SectionIndex::new(3),
            name: ".text".into(),
            insns: vec![call(1), exit(), exit(), exit()],
            funcs: vec![func("f", 0, 2), func("g", 2, 1), func("h", 3, 1)],
            relocs: Vec::new(),
        };
        let code = [progs, text];
        let (p, t) = (CodeSectionIndex::new(0), CodeSectionIndex::new(1));
        assert_eq!(reachable(&code, (p, 0)), [(p, 0), (t, 0), (t, 1)]);
        assert_eq!(reachable(&code, (p, 1)), [(p, 1)]);
        // Out-of-range handles reach only themselves.
        assert_eq!(reachable(&code, (t, 9)), [(t, 9)]);
    }
}
