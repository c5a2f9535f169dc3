//! BPF instructions: the `btf::insn::Insn` slot, re-exported, plus loader-side helpers that see
//! an ld_imm64 as the one 16-byte instruction it is.

pub use btf::insn::*;

/// One logical instruction: a single slot, or the two slots of an ld_imm64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Logical<'a> {
    /// Index of the first slot in the program (what jump offsets and the verifier count).
    pub idx: usize,
    /// The slots: two for a complete ld_imm64, otherwise one (also for an ld_imm64 cut short
    /// by the end of the program, which the verifier rejects and the disassembler reports).
    pub slots: &'a [Insn],
}

impl Logical<'_> {
    /// The first slot.
    pub fn insn(&self) -> Insn {
        self.slots[0]
    }

    /// The 64-bit immediate of a complete ld_imm64.
    pub fn imm64(&self) -> Option<u64> {
        match self.slots {
            [lo, hi] if lo.is_ld_imm64() => Some(imm64(*lo, *hi)),
            _ => None,
        }
    }
}

/// The 64-bit value an ld_imm64 pair loads: low half in the first slot, high half in the second.
pub fn imm64(first: Insn, second: Insn) -> u64 {
    ((second.imm as u32 as u64) << 32) | first.imm as u32 as u64
}

/// Slots the instruction at `idx` takes: 2 for an ld_imm64 with its second slot present, else 1
/// (0 past the end).
pub fn slots_at(insns: &[Insn], idx: usize) -> usize {
    match insns.get(idx) {
        None => 0,
        Some(i) if i.is_ld_imm64() && idx + 1 < insns.len() => 2,
        Some(_) => 1,
    }
}

/// Iterates logical instructions in program order.
pub fn logical(insns: &[Insn]) -> impl Iterator<Item = Logical<'_>> {
    let mut idx = 0;
    std::iter::from_fn(move || {
        let n = slots_at(insns, idx);
        if n == 0 {
            return None;
        }
        let item = Logical { idx, slots: &insns[idx..idx + n] };
        idx += n;
        Some(item)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld64(dst: u8, v: u64) -> [Insn; 2] {
        [
            Insn { code: LD_IMM64, dst, src: 0, off: 0, imm: v as u32 as i32 },
            Insn { code: 0, dst: 0, src: 0, off: 0, imm: (v >> 32) as u32 as i32 },
        ]
    }

    #[test]
    fn ld_imm64_is_one_logical_instruction() {
        let [a, b] = ld64(1, 0x1122_3344_8899_aabb);
        let exit = Insn { code: EXIT, ..Default::default() };
        let prog = [exit, a, b, exit];
        let items: Vec<_> = logical(&prog).collect();
        assert_eq!(items.iter().map(|l| (l.idx, l.slots.len())).collect::<Vec<_>>(), [(0, 1), (1, 2), (3, 1)]);
        assert_eq!(items[1].imm64(), Some(0x1122_3344_8899_aabb));
        assert_eq!(items[0].imm64(), None);
    }

    #[test]
    fn a_truncated_ld_imm64_is_one_slot() {
        let [a, _] = ld64(1, 5);
        let prog = [a];
        let items: Vec<_> = logical(&prog).collect();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].slots.len(), 1);
        assert_eq!(items[0].imm64(), None);
        assert_eq!(slots_at(&prog, 1), 0);
    }
}
