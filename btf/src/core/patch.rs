//! Writing a resolved relocation into its instruction, or poisoning it.
//!
//! Instruction forms CO-RE patches (as libbpf): ALU/ALU64 with an immediate operand (imm),
//! LDX/ST/STX (off, and the access size when the field's size changed), and ld_imm64 (the
//! 64-bit immediate across both slots). The instruction must hold the local value first;
//! otherwise the object and its BTF disagree and patching would be a guess.

use std::fmt;

use crate::core::error::{CoreError, CoreResult, PatchProblem, PoisonReason};
use crate::core::resolve::CoreResolution;
use crate::insn::{self, class, Insn};

/// Immediate of the poison call: `call 0xbad2310` ("bad relo"). If reached, the verifier
/// says `invalid func unknown#195896080`.
pub const POISON_CALL_IMM: i32 = 0xbad2310;

/// What `patch` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatchOutcome {
    /// An operand was rewritten (possibly to the same value).
    Patched {
        /// Relocation number.
        relo_idx: usize,
        /// Instruction index.
        insn_idx: usize,
        /// Which operand: `imm`, `off` or `imm64`.
        field: &'static str,
        /// The operand before.
        old: i64,
        /// The operand after.
        new: i64,
        /// `(old, new)` access size in bytes, when a load/store changed size.
        size: Option<(u32, u32)>,
    },
    /// The instruction (both slots of an ld_imm64) became `call 0xbad2310`.
    Poisoned {
        /// Relocation number.
        relo_idx: usize,
        /// Indices of the poisoned slots.
        insns: Vec<usize>,
        /// Why.
        reason: PoisonReason,
    },
}

impl fmt::Display for PatchOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchOutcome::Patched { relo_idx, insn_idx, field, old, new, size } => {
                write!(f, "relo #{relo_idx}: insn #{insn_idx} {field} {old} -> {new}")?;
                if let Some((o, n)) = size {
                    write!(f, ", access size {o} -> {n} bytes")?;
                }
                Ok(())
            }
            PatchOutcome::Poisoned { relo_idx, insns, reason } => {
                let list: Vec<String> = insns.iter().map(|i| format!("#{i}")).collect();
                write!(f, "relo #{relo_idx}: insn {} poisoned (call {POISON_CALL_IMM:#x}): {reason}", list.join(", "))
            }
        }
    }
}

/// The poison call instruction.
pub fn poison_insn() -> Insn {
    Insn { code: insn::CALL, dst: 0, src: 0, off: 0, imm: POISON_CALL_IMM }
}

/// Which relocation poisoned which instruction, to explain a verifier rejection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoisonLog {
    entries: Vec<(usize, usize)>,
}

impl PoisonLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a patch outcome (only poisonings are kept).
    pub fn record(&mut self, outcome: &PatchOutcome) {
        if let PatchOutcome::Poisoned { relo_idx, insns, .. } = outcome {
            self.entries.extend(insns.iter().map(|&i| (i, *relo_idx)));
        }
    }

    /// `(instruction index, relocation number)` pairs in the order recorded.
    pub fn entries(&self) -> &[(usize, usize)] {
        &self.entries
    }
}

/// The relocation that poisoned instruction `insn_idx`, for a verifier message like
/// `invalid func unknown#195896080` at that instruction.
pub fn poison_reloc_index(log: &PoisonLog, insn_idx: usize) -> Option<usize> {
    log.entries.iter().rev().find(|(i, _)| *i == insn_idx).map(|(_, r)| *r)
}

/// Applies `res` to the instruction at `insn_idx` of `insns` (the index is the caller's: for a
/// program cut out of its section, rebase `res.insn_idx` first).
pub fn patch(insns: &mut [Insn], insn_idx: usize, res: &CoreResolution) -> CoreResult<PatchOutcome> {
    let relo = res.relo_idx;
    let err = |reason: PatchProblem| CoreError::Patch { relo, insn: insn_idx, reason };
    let ins = *insns.get(insn_idx).ok_or_else(|| err(PatchProblem::OutOfRange { count: insns.len() }))?;
    let Some(new_val) = res.target_value else {
        return poison(insns, insn_idx, res, poison_reason(res));
    };
    let orig = res.local_value;
    let mismatch = |what: &'static str, got: i64| CoreError::UnexpectedValue {
        relo,
        insn: insn_idx,
        what,
        got,
        expected: orig,
        new: new_val,
    };
    match ins.class() {
        class::ALU | class::ALU64 => {
            if ins.code & insn::src::X != 0 {
                return Err(err(PatchProblem::RegisterOperand { code: ins.code }));
            }
            // The immediate widens with its sign before the comparison, as in libbpf.
            if res.validate && ins.imm as i64 as u64 != orig {
                return Err(mismatch("imm", ins.imm as i64));
            }
            insns[insn_idx].imm = new_val as i32;
            Ok(patched(res, insn_idx, "imm", ins.imm as i64, new_val as i32 as i64, None))
        }
        class::LDX | class::ST | class::STX => {
            if res.validate && ins.off as i64 as u64 != orig {
                return Err(mismatch("off", ins.off as i64));
            }
            if new_val > i16::MAX as u64 {
                return Err(err(PatchProblem::OffsetTooLarge { offset: new_val }));
            }
            if let Some(problem) = &res.size_problem {
                return poison(insns, insn_idx, res, PoisonReason::SizeChange(problem.clone()));
            }
            let size = match res.new_size() {
                Some(new_sz) => {
                    let cur = ins.mem_size().unwrap_or(0);
                    if cur != res.local_size {
                        return Err(err(PatchProblem::AccessSize { access: cur, local: res.local_size }));
                    }
                    let bits = size_bits(new_sz).ok_or_else(|| err(PatchProblem::NotAccessSize { size: new_sz }))?;
                    insns[insn_idx].code = (ins.code & !0x18) | bits;
                    Some((cur, new_sz))
                }
                None => None,
            };
            insns[insn_idx].off = new_val as i16;
            Ok(patched(res, insn_idx, "off", ins.off as i64, new_val as i64, size))
        }
        class::LD => {
            let next = insns.get(insn_idx + 1).copied();
            let Some(next) = next.filter(|n| {
                ins.is_ld_imm64()
                    && ins.src == 0
                    && ins.off == 0
                    && n.code == 0
                    && n.dst == 0
                    && n.src == 0
                    && n.off == 0
            }) else {
                return Err(err(PatchProblem::NotLdImm64));
            };
            let imm = ins.imm as u32 as u64 | (next.imm as u32 as u64) << 32;
            if res.validate && imm != orig {
                return Err(mismatch("imm64", imm as i64));
            }
            insns[insn_idx].imm = new_val as u32 as i32;
            insns[insn_idx + 1].imm = (new_val >> 32) as u32 as i32;
            Ok(patched(res, insn_idx, "imm64", imm as i64, new_val as i64, None))
        }
        _ => Err(err(PatchProblem::Unpatchable { insn: ins })),
    }
}

fn patched(
    res: &CoreResolution,
    insn_idx: usize,
    field: &'static str,
    old: i64,
    new: i64,
    size: Option<(u32, u32)>,
) -> PatchOutcome {
    PatchOutcome::Patched { relo_idx: res.relo_idx, insn_idx, field, old, new, size }
}

fn size_bits(bytes: u32) -> Option<u8> {
    Some(match bytes {
        1 => insn::size::B,
        2 => insn::size::H,
        4 => insn::size::W,
        8 => insn::size::DW,
        _ => return None,
    })
}

/// Why a resolution poisons: the thing it needs is missing from the target.
pub(crate) fn poison_reason(res: &CoreResolution) -> PoisonReason {
    if res.candidates.is_empty() {
        PoisonReason::NoCandidate { local: res.local_type.clone() }
    } else {
        PoisonReason::Missing { kind: res.kind }
    }
}

fn poison(insns: &mut [Insn], insn_idx: usize, res: &CoreResolution, reason: PoisonReason) -> CoreResult<PatchOutcome> {
    let mut slots = vec![insn_idx];
    // Poison the second ld_imm64 slot too, so the verifier does not stumble on "unknown opcode 00".
    if insns[insn_idx].is_ld_imm64() {
        if insn_idx + 1 >= insns.len() {
            return Err(CoreError::Patch {
                relo: res.relo_idx,
                insn: insn_idx,
                reason: PatchProblem::MissingSecondSlot,
            });
        }
        slots.push(insn_idx + 1);
    }
    for &i in &slots {
        insns[i] = poison_insn();
    }
    Ok(PatchOutcome::Poisoned { relo_idx: res.relo_idx, insns: slots, reason })
}
