//! Linking: one program's instructions, made self-contained for BPF_PROG_LOAD.
//!
//! The kernel loads one flat instruction stream per program. Clang leaves a program's
//! subprograms wherever they were compiled (usually `.text`) and its map and global
//! references as relocations. `link`:
//! 1. copies the program's function from its code section (at link time, so CO-RE patches
//!    already applied to `CodeSection::insns` are included),
//! 2. appends every subprogram it calls — transitively, each once — and sets each call's imm
//!    to `callee - (call + 1)`,
//! 3. puts map fds into map references (`src=BPF_PSEUDO_MAP_FD`) and global-variable
//!    references (`src=BPF_PSEUDO_MAP_VALUE`, offset in the second slot),
//! 4. rewrites extern references as libbpf's `bpf_object__relocate_data` does: a `__kconfig`
//!    value is a `.kconfig` map value address, a `__ksym` what `crate::externs` resolved it to,
//! 5. carries func_info and line_info along, re-indexed to the final stream.

use std::os::fd::RawFd;

use btf::insn::{pseudo, Insn};

use crate::object::{
    CodeSection, CodeSectionIndex, ExternIndex, ExternKind, MapIndex, Object, ProgramIndex, RelocTarget,
};

/// libbpf's `POISON_CALL_KFUNC_BASE`: a call of a missing weak kfunc becomes a call of helper
/// `2002000000 + extern index`, which the verifier names if the call is reachable.
pub const POISON_CALL_KFUNC_BASE: i32 = 2_002_000_000;

/// What a `__ksym` extern resolved to, as the linker writes it (see `crate::externs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KsymValue {
    /// An address (a typeless ksym, from /proc/kallsyms): ld_imm64 of the 64-bit value.
    Address(u64),
    /// A kernel BTF VAR or FUNC: ld_imm64 `src=BPF_PSEUDO_BTF_ID, imm=id` with the BTF's fd
    /// in the second slot (0: vmlinux); a kfunc call `src=BPF_PSEUDO_KFUNC_CALL, imm=id` with
    /// `off` the BTF's index in the program's `fd_array` (0: vmlinux).
    Btf {
        /// The kernel type id.
        id: u32,
        /// The module BTF's fd, 0 for vmlinux.
        btf_fd: RawFd,
        /// The module BTF's index in `fd_array`, 0 for vmlinux.
        fd_index: i16,
    },
    /// A `__weak` ksym this kernel lacks: ld_imm64 of 0; a call of it is poisoned.
    Missing,
}

/// The kernel objects a link refers to: map fds by `MapIndex`, ksym values by `ExternIndex`
/// (`None` for `__kconfig` externs, which are `.kconfig` map values).
#[derive(Clone, Copy, Debug, Default)]
pub struct Symbols<'a> {
    /// `map_fds[i]` is the fd of `obj.maps[i]`.
    pub map_fds: &'a [RawFd],
    /// `ksyms[i]` is what `obj.externs[i]` resolved to, for `__ksym` externs.
    pub ksyms: &'a [Option<KsymValue>],
}

/// A func_info record of one code section, as `.BTF.ext` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncInfoRec {
    /// Byte offset of the function's first instruction in the section.
    pub insn_off: u32,
    /// BTF id of the FUNC.
    pub type_id: u32,
}

/// A line_info record of one code section, as `.BTF.ext` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineInfoRec {
    /// Byte offset of the instruction in the section.
    pub insn_off: u32,
    /// String offset (in `.BTF`) of the file name.
    pub file_name_off: u32,
    /// String offset (in `.BTF`) of the source line.
    pub line_off: u32,
    /// Line number << 10 | column.
    pub line_col: u32,
}

/// func_info and line_info of one code section: the input `link` re-indexes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SectionExtInfo {
    /// func_info records, by byte offset.
    pub func_info: Vec<FuncInfoRec>,
    /// line_info records, by byte offset.
    pub line_info: Vec<LineInfoRec>,
}

/// A line_info record in the linked stream (`struct bpf_line_info`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineInfoRecord {
    /// Instruction index in `LinkedProgram::insns`.
    pub insn_idx: u32,
    /// String offset of the file name.
    pub file_name_off: u32,
    /// String offset of the source line.
    pub line_off: u32,
    /// Line number << 10 | column.
    pub line_col: u32,
}

/// A program ready for BPF_PROG_LOAD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedProgram {
    /// The program's name.
    pub name: String,
    /// The full instruction stream: the program, then its subprograms.
    pub insns: Vec<Insn>,
    /// `(instruction index, FUNC type id)` (`struct bpf_func_info`), sorted.
    pub func_info: Vec<(u32, u32)>,
    /// line_info, sorted by instruction index.
    pub line_info: Vec<LineInfoRecord>,
    /// Appended subprograms: `(name, first instruction index)`.
    pub subprogs: Vec<(String, usize)>,
}

/// Why a program could not be linked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    /// The program handle does not exist.
    #[error("no program #{program} in this object")]
    NoSuchProgram {
        /// The handle given.
        program: ProgramIndex,
    },
    /// The code given is not a copy of this object's code sections.
    #[error("the code given ({have} sections) is not a copy of the object's {want} code sections")]
    CodeMismatch {
        /// Sections given.
        have: usize,
        /// Sections the object has.
        want: usize,
    },
    /// A map is referenced but no fd was given for it.
    #[error("program '{program}': map #{map_idx} ('{map}') is referenced but only {have} map fds were given")]
    MissingMapFd {
        /// The program.
        program: String,
        /// The map.
        map_idx: MapIndex,
        /// The map name.
        map: String,
        /// How many fds were given.
        have: usize,
    },
    /// An extern is referenced but was not resolved (none was given for it).
    #[error("program '{program}': extern '{name}' is referenced but was not resolved")]
    UnresolvedExtern {
        /// The program.
        program: String,
        /// The extern.
        name: String,
    },
    /// A call or function address points somewhere that is not the start of a function.
    #[error("section '{section}' insn {insn}: call target {target_section}+{target_insn} {problem}")]
    BadCallTarget {
        /// Section of the call.
        section: String,
        /// Instruction index of the call in its section.
        insn: usize,
        /// Section of the target.
        target_section: String,
        /// Target instruction index (may be out of range).
        target_insn: i64,
        /// What is wrong.
        problem: CallTargetProblem,
    },
    /// An ld_imm64 is cut by the end of its function.
    #[error("section '{section}' insn {insn}: ld_imm64 has no second slot inside function '{func}'")]
    SplitLdImm64 {
        /// Section.
        section: String,
        /// Instruction index.
        insn: usize,
        /// The function.
        func: String,
    },
}

/// Why a call (or function address) target is not one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallTargetProblem {
    /// The target instruction index is negative or past the section's end.
    #[error("is outside the section")]
    OutsideSection,
    /// The target is an instruction of the section but no function starts there.
    #[error("is not the start of a function")]
    NotAFunctionStart,
}

/// One function copied into the output stream.
#[derive(Clone, Debug)]
struct Placed {
    section: CodeSectionIndex,
    start: usize,
    len: usize,
    out_start: usize,
    name: String,
}

/// The state of one link: the stream so far and where each function went.
struct Linker<'o> {
    obj: &'o Object,
    code: &'o [CodeSection],
    map_fds: &'o [RawFd],
    ksyms: &'o [Option<KsymValue>],
    program: String,
    out: Vec<Insn>,
    placed: Vec<Placed>,
}

/// Links program `prog` of `obj` out of `code` — the object's code sections, as in the file or
/// as CO-RE relocated them (same sections, same order); `map_fds[i]` is the fd of `obj.maps[i]`.
/// A program using a `__ksym` extern needs [`link_with`].
pub fn link(
    obj: &Object,
    code: &[CodeSection],
    prog: ProgramIndex,
    map_fds: &[RawFd],
) -> Result<LinkedProgram, LinkError> {
    link_with(obj, code, prog, Symbols { map_fds, ksyms: &[] })
}

/// [`link`], with the values of the object's `__ksym` externs.
pub fn link_with(
    obj: &Object,
    code: &[CodeSection],
    prog: ProgramIndex,
    symbols: Symbols<'_>,
) -> Result<LinkedProgram, LinkError> {
    let Symbols { map_fds, ksyms } = symbols;
    let same_shape = |(a, b): (&CodeSection, &CodeSection)| a.insns.len() == b.insns.len();
    if code.len() != obj.code_sections.len() || !code.iter().zip(&obj.code_sections).all(same_shape) {
        return Err(LinkError::CodeMismatch { have: code.len(), want: obj.code_sections.len() });
    }
    let p = obj.program(prog).ok_or(LinkError::NoSuchProgram { program: prog })?;
    let (_, f) = obj.program_func(prog).ok_or(LinkError::NoSuchProgram { program: prog })?;
    let mut l = Linker { obj, code, map_fds, ksyms, program: p.name.clone(), out: Vec::new(), placed: Vec::new() };
    l.place(p.code_section, f.start_insn, f.len_insns, &f.name);
    // Depth-first, like libbpf: a subprogram is appended when first called and fixed before the
    // caller's next instruction, so both loaders produce the same stream (and program tag).
    let mut stack = vec![(0usize, 0usize)];
    while let Some(top) = stack.last_mut() {
        let (pi, j) = *top;
        let item = l.placed[pi].clone();
        if j >= item.len {
            stack.pop();
            continue;
        }
        top.1 += 1;
        if let Some(appended) = l.fix_insn(&item, j)? {
            stack.push((appended, 0));
        }
    }
    let (func_info, line_info) = l.ext_info();
    let subprogs = l.placed[1..].iter().map(|p| (p.name.clone(), p.out_start)).collect();
    Ok(LinkedProgram { name: p.name.clone(), insns: l.out, func_info, line_info, subprogs })
}

impl Linker<'_> {
    fn place(&mut self, section: CodeSectionIndex, start: usize, len: usize, name: &str) -> usize {
        let out_start = self.out.len();
        self.out.extend_from_slice(&self.code[section.get()].insns[start..start + len]);
        self.placed.push(Placed { section, start, len, out_start, name: name.to_owned() });
        out_start
    }

    /// Output index of the function at `(section, insn)`, appending it on first use.
    fn ensure_placed(
        &mut self,
        from: &Placed,
        call_insn: usize,
        section: CodeSectionIndex,
        target: i64,
    ) -> Result<usize, LinkError> {
        let sec = &self.code[section.get()];
        let bad = |problem| LinkError::BadCallTarget {
            section: self.code[from.section.get()].name.clone(),
            insn: call_insn,
            target_section: sec.name.clone(),
            target_insn: target,
            problem,
        };
        let Some(t) = usize::try_from(target).ok().filter(|&t| t < sec.insns.len()) else {
            return Err(bad(CallTargetProblem::OutsideSection));
        };
        if let Some(p) = self.placed.iter().find(|p| p.section == section && p.start == t) {
            return Ok(p.out_start);
        }
        let f = sec.func_at(t).ok_or_else(|| bad(CallTargetProblem::NotAFunctionStart))?;
        let (len, name) = (f.len_insns, f.name.clone());
        Ok(self.place(section, t, len, &name))
    }

    /// Applies the relocation or call fixup of instruction `j` of placed function `p`. Returns
    /// the index (in `placed`) of a function this appended, which must be fixed next.
    fn fix_insn(&mut self, p: &Placed, j: usize) -> Result<Option<usize>, LinkError> {
        let sec = &self.code[p.section.get()];
        let placed_before = self.placed.len();
        let (src_idx, out_idx) = (p.start + j, p.out_start + j);
        let ins = self.out[out_idx];
        let reloc = sec.relocs.iter().find(|r| r.insn_idx == src_idx).map(|r| r.target);
        // Pseudo calls and function addresses without a relocation are relative within the section.
        let local = |ins: &Insn| (p.section, src_idx as i64 + i64::from(ins.imm) + 1);
        match reloc {
            Some(RelocTarget::Map { map_idx }) => {
                let fd = self.fd(map_idx)?;
                self.out[out_idx].src = pseudo::MAP_FD;
                self.out[out_idx].imm = fd;
            }
            Some(RelocTarget::Global { map_idx, offset }) => {
                if j + 1 >= p.len {
                    let (section, func) = (sec.name.clone(), p.name.clone());
                    return Err(LinkError::SplitLdImm64 { section, insn: src_idx, func });
                }
                let fd = self.fd(map_idx)?;
                self.out[out_idx].src = pseudo::MAP_VALUE;
                self.out[out_idx].imm = fd;
                self.out[out_idx + 1].imm = offset as i32;
            }
            Some(RelocTarget::Call { section, insn }) => self.fix_call(p, src_idx, out_idx, section, insn as i64)?,
            Some(RelocTarget::FuncAddr { section, insn }) => {
                self.fix_call(p, src_idx, out_idx, section, insn as i64)?;
                self.out[out_idx].src = pseudo::FUNC;
            }
            Some(RelocTarget::Extern { index }) => self.fix_extern(p, j, index)?,
            None if ins.is_pseudo_call() || ins.is_pseudo_func() => {
                let (section, target) = local(&ins);
                self.fix_call(p, src_idx, out_idx, section, target)?;
            }
            None => {}
        }
        Ok((self.placed.len() > placed_before).then_some(placed_before))
    }

    /// Points the call (or function address) at `out_idx` to the function at `(section, target)`.
    fn fix_call(
        &mut self,
        p: &Placed,
        src_idx: usize,
        out_idx: usize,
        section: CodeSectionIndex,
        target: i64,
    ) -> Result<(), LinkError> {
        let t = self.ensure_placed(p, src_idx, section, target)?;
        self.out[out_idx].imm = (t as i64 - (out_idx as i64 + 1)) as i32;
        Ok(())
    }

    /// Rewrites the extern reference at instruction `j` of `p` (libbpf's RELO_EXTERN_LD64 and
    /// RELO_EXTERN_CALL).
    fn fix_extern(&mut self, p: &Placed, j: usize, index: ExternIndex) -> Result<(), LinkError> {
        let out_idx = p.out_start + j;
        let Some(ext) = self.obj.extern_at(index) else {
            return Err(self.unresolved(&index.to_string()));
        };
        if self.out[out_idx].is_ld_imm64() && j + 1 >= p.len {
            let (section, func) = (self.code[p.section.get()].name.clone(), p.name.clone());
            return Err(LinkError::SplitLdImm64 { section, insn: p.start + j, func });
        }
        if let ExternKind::Kconfig(v) = ext.kind {
            let map = self.obj.kconfig_map().ok_or_else(|| self.unresolved(&ext.name))?;
            let fd = self.fd(map)?;
            let ins = &mut self.out[out_idx];
            (ins.src, ins.imm) = (pseudo::MAP_VALUE, fd);
            self.out[out_idx + 1].imm = v.offset as i32;
            return Ok(());
        }
        let value = self.ksyms.get(index.get()).copied().flatten().ok_or_else(|| self.unresolved(&ext.name))?;
        let ins = &mut self.out[out_idx];
        if ins.is_ld_imm64() {
            let (lo, hi) = match value {
                KsymValue::Address(a) => (a as u32 as i32, (a >> 32) as u32 as i32),
                KsymValue::Btf { id, btf_fd, .. } => {
                    ins.src = pseudo::BTF_ID;
                    (id as i32, btf_fd)
                }
                KsymValue::Missing => (0, 0),
            };
            ins.imm = lo;
            self.out[out_idx + 1].imm = hi;
            return Ok(());
        }
        match value {
            KsymValue::Btf { id, fd_index, .. } => {
                (ins.src, ins.imm, ins.off) = (pseudo::KFUNC_CALL, id as i32, fd_index)
            }
            // Turned into a call of an unknown helper the verifier reports if it is reachable.
            _ => {
                let imm = POISON_CALL_KFUNC_BASE + index.get() as i32;
                *ins = Insn { code: btf::insn::CALL, imm, ..Insn::default() }
            }
        }
        Ok(())
    }

    fn unresolved(&self, name: &str) -> LinkError {
        LinkError::UnresolvedExtern { program: self.program.clone(), name: name.to_owned() }
    }

    fn fd(&self, map_idx: MapIndex) -> Result<i32, LinkError> {
        self.map_fds.get(map_idx.get()).copied().ok_or_else(|| LinkError::MissingMapFd {
            program: self.program.clone(),
            map_idx,
            map: self.obj.map(map_idx).map_or_else(|| "?".into(), |m| m.name.clone()),
            have: self.map_fds.len(),
        })
    }

    /// func_info and line_info of every placed function, re-indexed to the output.
    fn ext_info(&self) -> (Vec<(u32, u32)>, Vec<LineInfoRecord>) {
        let mut funcs = Vec::new();
        let mut lines = Vec::new();
        for p in &self.placed {
            let Some(ext) = self.obj.ext_info.get(&self.code[p.section.get()].name) else {
                continue;
            };
            // Byte offset in the section → index in the output, if inside this function.
            let map = |off: u32| {
                let i = off as usize / Insn::SIZE;
                ((off as usize).is_multiple_of(Insn::SIZE) && i >= p.start && i < p.start + p.len)
                    .then(|| (p.out_start + i - p.start) as u32)
            };
            funcs.extend(ext.func_info.iter().filter_map(|r| Some((map(r.insn_off)?, r.type_id))));
            lines.extend(ext.line_info.iter().filter_map(|r| {
                Some(LineInfoRecord {
                    insn_idx: map(r.insn_off)?,
                    file_name_off: r.file_name_off,
                    line_off: r.line_off,
                    line_col: r.line_col,
                })
            }));
        }
        funcs.sort_by_key(|r| r.0);
        lines.sort_by_key(|r| r.insn_idx);
        (funcs, lines)
    }
}
