//! ELF relocations of code sections, classified. Clang leaves every reference it cannot
//! resolve alone — a map, a global variable, a call into another section — as an instruction
//! with a relocation naming a symbol. This module says what each one refers to; `link` then
//! rewrites the instructions.

use btf::insn::Insn;

use super::elf::{RawElf, RawRel, RawSection, RawSymbol};
use super::error::{ObjectError, Reference, RelocProblem, Result, UnsupportedFeature};
use super::externs::{self, Extern};
use super::maps::{MapDef, MapKind};
use super::sections::SectionRole;
use super::{CodeSectionIndex, ExternIndex, MapIndex, SectionIndex};
use crate::sys::MapType;

/// What a relocated instruction refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelocTarget {
    /// An ld_imm64 of a map (`&my_map`): becomes `src=BPF_PSEUDO_MAP_FD, imm=fd`.
    Map {
        /// The map.
        map_idx: MapIndex,
    },
    /// An ld_imm64 of a global variable's address: becomes `src=BPF_PSEUDO_MAP_VALUE,
    /// imm=fd` with `offset` in the second slot's imm.
    Global {
        /// The section's array map.
        map_idx: MapIndex,
        /// Byte offset of the variable (plus any addend) in the map value.
        offset: u32,
    },
    /// A BPF-to-BPF call into another (or the same) code section.
    Call {
        /// The callee's code section.
        section: CodeSectionIndex,
        /// Instruction index of the callee within that section.
        insn: usize,
    },
    /// An ld_imm64 of a function's address (callbacks): becomes `src=BPF_PSEUDO_FUNC`.
    FuncAddr {
        /// The function's code section.
        section: CodeSectionIndex,
        /// Instruction index of the function within that section.
        insn: usize,
    },
    /// An extern (`__kconfig`, `__ksym`): a `.kconfig` value's address, a kernel symbol's, or a
    /// kfunc call, rewritten once the extern is resolved (see `crate::externs`).
    Extern {
        /// The extern.
        index: ExternIndex,
    },
}

/// One classified relocation of a code section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reloc {
    /// Position in its `.rel` section (for messages).
    pub number: usize,
    /// Instruction index (r_offset / 8) in the code section.
    pub insn_idx: usize,
    /// The symbol's name (a section name for section symbols).
    pub symbol: String,
    /// ELF relocation type (R_BPF_64_64 = 1, R_BPF_64_32 = 10).
    pub r_type: u32,
    /// What it refers to.
    pub target: RelocTarget,
}

/// Context for classifying the relocations of one code section.
pub(crate) struct RelocCtx<'o, 'a> {
    pub elf: &'o RawElf<'a>,
    pub maps: &'o [MapDef],
    pub externs: &'o [Extern],
    /// ELF section index → position in `Object::code_sections`, with instruction counts.
    pub code_index: &'o dyn Fn(SectionIndex) -> Option<(CodeSectionIndex, usize)>,
}

impl RelocCtx<'_, '_> {
    /// Classifies the relocations `rels` that apply to code section `section` (`insns`), one
    /// result per relocation: the caller decides which programs a failure concerns.
    pub fn classify_all(&self, section: &str, insns: &[Insn], rels: &[RawRel]) -> Vec<Result<Reloc>> {
        rels.iter().enumerate().map(|(number, r)| self.classify(section, insns, number, r)).collect()
    }

    fn classify(&self, section: &str, insns: &[Insn], number: usize, r: &RawRel) -> Result<Reloc> {
        let insn = r.offset / Insn::SIZE as u64;
        let sym = self.elf.symbols.get(r.sym as usize);
        let sym_name = sym.map_or_else(|| format!("#{}", r.sym), |s| display_name(self.elf, s));
        let err = |problem| ObjectError::BadReloc {
            section: section.to_owned(),
            number,
            insn,
            symbol: sym_name.clone(),
            problem,
        };
        let unsupported = |feature| ObjectError::Unsupported { section: section.to_owned(), number, insn, feature };
        if !r.offset.is_multiple_of(Insn::SIZE as u64) {
            return Err(err(RelocProblem::Misaligned { offset: r.offset }));
        }
        let idx = usize::try_from(insn).ok().filter(|&i| i < insns.len());
        let Some(idx) = idx else {
            return Err(err(RelocProblem::PastEnd { insns: insns.len() }));
        };
        let Some(sym) = sym else {
            return Err(err(RelocProblem::NoSuchSymbol { symbol: r.sym, count: self.elf.symbols.len() }));
        };
        let Some(sec_idx) = sym.section else {
            let target = externs::reloc_target(self.externs, r.sym, insns, idx).map_err(err)?;
            return Ok(Reloc { number, insn_idx: idx, symbol: sym_name, r_type: r.r_type, target });
        };
        let ins = insns[idx];
        let target_sec = self.elf.section(sec_idx);
        let need_ld_imm64 = |reference| -> Result<()> {
            if !ins.is_ld_imm64() {
                return Err(err(RelocProblem::NotLdImm64 { reference, opcode: ins.code }));
            }
            if idx + 1 >= insns.len() {
                return Err(err(RelocProblem::LdImm64Truncated));
            }
            Ok(())
        };
        let target = match target_sec.role {
            SectionRole::Code => {
                let (code_sec, count) = (self.code_index)(sec_idx)
                    .ok_or_else(|| err(RelocProblem::UnknownCodeSection { section: sec_idx }))?;
                let (byte, is_call) = if ins.is_pseudo_call() {
                    // Calls: imm counts instructions from the symbol, minus one (pc-relative
                    // to the next instruction); section symbols carry the function in imm.
                    (i128::from(sym.value) + (i128::from(ins.imm) + 1) * 8, true)
                } else if ins.is_ld_imm64() {
                    need_ld_imm64(Reference::FunctionAddress)?;
                    (i128::from(sym.value) + i128::from(ins.imm), false)
                } else {
                    let section = target_sec.name.clone();
                    return Err(err(RelocProblem::NotCallOrLdImm64 { section, opcode: ins.code }));
                };
                if byte < 0 || byte % 8 != 0 || byte / 8 >= count as i128 {
                    let section = target_sec.name.clone();
                    return Err(err(RelocProblem::NotAnInstruction { byte, section, insns: count }));
                }
                let tinsn = (byte / 8) as usize;
                if is_call {
                    RelocTarget::Call { section: code_sec, insn: tinsn }
                } else {
                    RelocTarget::FuncAddr { section: code_sec, insn: tinsn }
                }
            }
            SectionRole::Maps => {
                need_ld_imm64(Reference::Map)?;
                let map_idx = self
                    .maps
                    .iter()
                    .position(|m| m.kind == MapKind::BtfDefined { offset: sym.value })
                    .ok_or_else(|| err(RelocProblem::NoMapAt { offset: sym.value }))?;
                RelocTarget::Map { map_idx: MapIndex::new(map_idx) }
            }
            SectionRole::Data(_) | SectionRole::Arena => {
                need_ld_imm64(Reference::GlobalVariable)?;
                self.global_target(sym.value, ins.imm, target_sec).map_err(err)?
            }
            SectionRole::LegacyMaps => {
                return Err(unsupported(UnsupportedFeature::LegacyMap { name: sym.name.clone() }))
            }
            _ => return Err(err(RelocProblem::WrongSection { section: target_sec.name.clone() })),
        };
        Ok(Reloc { number, insn_idx: idx, symbol: sym_name, r_type: r.r_type, target })
    }
}

impl RelocCtx<'_, '_> {
    /// A global variable at `value + imm` of `sec`: in its data section's array map, or, for
    /// `.addr_space.1`, in the ARENA map (libbpf 1.5 places the section at the arena's start,
    /// so offsets stay as they are).
    fn global_target(
        &self,
        value: u64,
        imm: i32,
        sec: &RawSection<'_>,
    ) -> std::result::Result<RelocTarget, RelocProblem> {
        let arena = sec.role == SectionRole::Arena;
        let map_idx = if arena {
            let is_arena = |m: &MapDef| m.map_type == MapType::ARENA.0 && matches!(m.kind, MapKind::BtfDefined { .. });
            self.maps.iter().position(is_arena).ok_or(RelocProblem::NoArenaMap)?
        } else {
            let is_data = |m: &MapDef| matches!(m.kind, MapKind::Global { .. }) && m.section_index == sec.index;
            self.maps.iter().position(is_data).ok_or_else(|| RelocProblem::NoDataMap { section: sec.name.clone() })?
        };
        let size = if arena { u32::try_from(sec.size).unwrap_or(u32::MAX) } else { self.maps[map_idx].value_size };
        let offset = i128::from(value) + i128::from(imm);
        if offset < 0 || offset >= i128::from(size) {
            return Err(RelocProblem::OutsideData { offset, size, section: sec.name.clone() });
        }
        Ok(RelocTarget::Global { map_idx: MapIndex::new(map_idx), offset: offset as u32 })
    }
}

/// A symbol's name, or its section's name for an unnamed section symbol.
fn display_name(elf: &RawElf<'_>, s: &RawSymbol) -> String {
    if s.name.is_empty() {
        if let Some(sec) = s.section {
            return elf.section(sec).name.clone();
        }
    }
    s.name.clone()
}
