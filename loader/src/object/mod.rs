//! ELF object → rawbpf's model: programs, maps, globals, relocations.
//!
//! A clang-built BPF object (`clang -target bpf -g -O2 -c`) is an ELF64 relocatable file for
//! EM_BPF. What rawbpf takes from it:
//! - `license` (and the legacy `version`),
//! - `.BTF` (types) and `.BTF.ext` (func/line info and CO-RE relocations, per code section),
//! - code sections: instructions, with the function symbols that cut them into programs
//!   (every non-`.text` section) and subprograms (`.text`),
//! - maps: BTF-defined ones in `.maps`, and one array map per global-data section,
//! - relocations of code sections, classified (maps, globals, calls).
//!
//! Nothing here touches the kernel; `link` turns a program into a loadable instruction stream.

mod elf;
pub mod error;
pub mod externs;
mod file;
pub mod globals;
pub mod map_values;
pub mod maps;
pub mod progtype;
pub mod reach;
pub mod relocs;
pub mod sections;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use btf::insn::Insn;
use btf::wire::Endian;
use btf::Btf;

use btf::ext::BtfExt;

use crate::kernel_btf::{ElfLayout, VarPlacement};
use crate::link::{FuncInfoRec, LineInfoRec, SectionExtInfo};

pub use error::{ObjectError, ProgramError, Result};
pub use externs::{Extern, ExternKind, KconfigType, KconfigVar};

use error::{SectionProblem, SymbolProblem};
pub use map_values::{MapSlot, MapValues, SlotTarget};
pub use maps::{MapDef, MapKind};
pub use progtype::{ProgKind, SecDef, SEC_DEFS};
pub use relocs::{Reloc, RelocTarget};

use elf::{RawElf, RawSection};
use relocs::RelocCtx;
use sections::SectionRole;

/// Declares an index newtype: `new`, `get`, and a `Display` as the bare number.
macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(usize);

        impl $name {
            #[doc = concat!("The index of ", $what, ".")]
            pub const fn new(index: usize) -> Self {
                $name(index)
            }

            /// The number.
            pub const fn get(self) -> usize {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

index_type!(
    /// An ELF section's index in the section header table (what `llvm-readelf -S` numbers).
    SectionIndex,
    "the ELF section at this position of the section header table"
);

index_type!(
    /// A code section's position in `Object::code_sections` (not its ELF index, which is
    /// `CodeSection::index`). Relocations and programs use it: the linker works on a copy of
    /// `code_sections` (CO-RE relocated) in the same order, and indexes it directly.
    CodeSectionIndex,
    "the code section at this position of `Object::code_sections`"
);

index_type!(
    /// A handle on one program of an `Object`: its position in `Object::programs`.
    ProgramIndex,
    "the program at this position of `Object::programs`"
);

index_type!(
    /// A map's position in `Object::maps`; the loader creates maps in this order, so it is also
    /// the position of the map's fd in what `link` is given.
    MapIndex,
    "the map at this position of `Object::maps`"
);

index_type!(
    /// An extern's position in `Object::externs` (libbpf's order: see `externs::collect`).
    ExternIndex,
    "the extern at this position of `Object::externs`"
);

/// One ELF section as the object model sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionInfo {
    /// Its index.
    pub index: SectionIndex,
    /// Its name.
    pub name: String,
    /// `sh_size` (for `.bss`, the size in memory).
    pub size: u64,
    /// What rawbpf does with it.
    pub role: SectionRole,
    /// For `.rel` sections: the section the relocations apply to.
    pub applies_to: Option<SectionIndex>,
}

/// A function symbol inside a code section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// Symbol name.
    pub name: String,
    /// First instruction index within the section.
    pub start_insn: usize,
    /// Number of instructions.
    pub len_insns: usize,
    /// Global binding (a program entry or a global subprogram); false for `static`.
    pub global: bool,
}

/// An executable section: its instructions, functions and relocations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeSection {
    /// ELF section index.
    pub index: SectionIndex,
    /// Section name (`.text`, `fentry/tcp_connect`).
    pub name: String,
    /// Instructions as in the file. CO-RE patches them in place before `link` copies them.
    pub insns: Vec<Insn>,
    /// Function symbols, sorted by start.
    pub funcs: Vec<Function>,
    /// Relocations, in `.rel` order.
    pub relocs: Vec<Reloc>,
}

impl CodeSection {
    /// The function starting exactly at instruction `insn`.
    pub fn func_at(&self, insn: usize) -> Option<&Function> {
        self.funcs.iter().find(|f| f.start_insn == insn)
    }

    /// The function containing instruction `insn` (for messages about an instruction).
    pub fn func_containing(&self, insn: usize) -> Option<&Function> {
        self.funcs.iter().find(|f| insn >= f.start_insn && insn < f.start_insn + f.len_insns)
    }
}

/// A program: an entry function in a non-`.text` code section.
#[derive(Clone, Debug)]
pub struct Program {
    /// Function name (the kernel keeps the first 15 characters).
    pub name: String,
    /// Section name, as in the ELF file (with its leading `?`, if any).
    pub section: String,
    /// Its code section.
    pub code_section: CodeSectionIndex,
    /// Index into that section's `funcs`.
    pub func: usize,
    /// Loaded by default: false when the section name starts with `?` (libbpf's convention
    /// for programs a loader turns on by name).
    pub autoload: bool,
    /// Type, expected attach type, flags and attach target, from the section name without its
    /// `?`; `None` when libbpf's table has no such kind (then `problem` says so).
    pub kind: Option<ProgKind>,
    /// Why this program cannot be loaded, if something in its section name or in the code it
    /// reaches is not supported; raised only when it is selected for loading.
    pub problem: Option<ProgramError>,
}

impl Program {
    /// Its kind, or why it cannot be loaded.
    pub fn loadable(&self) -> std::result::Result<&ProgKind, ProgramError> {
        if let Some(problem) = &self.problem {
            return Err(problem.clone());
        }
        let unknown = || ProgramError::UnknownSection { section: self.section.clone(), close: Vec::new() };
        self.kind.as_ref().ok_or_else(unknown)
    }
}

/// A parsed BPF object.
#[derive(Clone, Debug)]
pub struct Object {
    /// Name (the file name), used for global-data map names.
    pub name: String,
    /// Byte order of the ELF (and its instructions).
    pub endian: Endian,
    /// Every ELF section, in header order.
    pub sections: Vec<SectionInfo>,
    /// The `license` string (empty when the section is absent: GPL-only helpers will fail).
    pub license: String,
    /// The legacy `version` section (u32), if present.
    pub kern_version: Option<u32>,
    /// `.BTF`, if present.
    pub btf: Option<Btf>,
    /// `.BTF.ext` bytes, if present.
    pub btf_ext_raw: Option<Vec<u8>>,
    /// `.BTF.ext` parsed (func_info, line_info, CO-RE relocations per section).
    pub btf_ext: Option<BtfExt>,
    /// func_info/line_info per code section name, for `link`.
    pub ext_info: BTreeMap<String, SectionExtInfo>,
    /// Section sizes and variable symbols, for the DATASEC fixups of `kernel_btf`.
    pub elf_layout: ElfLayout,
    /// All executable sections, in ELF order.
    pub code_sections: Vec<CodeSection>,
    /// Programs, in ELF section order then by position.
    pub programs: Vec<Program>,
    /// Maps: BTF-defined (by offset in `.maps`), global data (in section order), then
    /// `.kconfig` when there are `__kconfig` externs.
    pub maps: Vec<MapDef>,
    /// `__kconfig` and `__ksym` externs, in libbpf's order.
    pub externs: Vec<Extern>,
}

impl Object {
    /// Reads and parses the object at `path`, reading only the sections parsing uses (not its
    /// DWARF: see `file`).
    pub fn open(path: impl AsRef<Path>) -> Result<Object> {
        let path = path.as_ref();
        let bytes = file::read(path).map_err(|source| ObjectError::Io { path: path.to_owned(), source })?;
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        Object::parse(bytes.as_slice(), &name)
    }

    /// Parses an object from memory; `name` is its file name (for map names and messages).
    pub fn parse(bytes: &[u8], name: &str) -> Result<Object> {
        // The ELF reader reads headers in place and needs them 8-byte aligned; bytes from
        // include_bytes! or a slice of a bigger file need not be. A heap copy is (malloc aligns
        // to 16).
        if bytes.as_ptr().align_offset(8) != 0 {
            return Object::parse_aligned(&bytes.to_vec(), name);
        }
        Object::parse_aligned(bytes, name)
    }

    fn parse_aligned(bytes: &[u8], name: &str) -> Result<Object> {
        let elf = RawElf::parse(bytes, name)?;
        let license = elf.section_by_role(SectionRole::License).map(|s| c_string(s.data)).unwrap_or_default();
        let kern_version = elf.section_by_role(SectionRole::Version).and_then(|s| {
            let b: [u8; 4] = s.data.get(..4)?.try_into().ok()?;
            Some(elf.endian.u32(b))
        });
        let btf = elf.section_by_role(SectionRole::Btf).map(|s| Btf::parse(s.data.to_vec())).transpose()?;
        let btf_ext_raw = elf.section_by_role(SectionRole::BtfExt).map(|s| s.data.to_vec());

        let mut code_sections = elf
            .sections
            .iter()
            .filter(|s| s.role == SectionRole::Code)
            .map(|s| code_section(&elf, s))
            .collect::<Result<Vec<_>>>()?;
        let externs = externs::collect(&elf, btf.as_ref())?;
        let mut maps = collect_maps(&elf, name, btf.as_ref())?;
        let symtab = elf.section_by_role(SectionRole::Symtab).map_or(SectionIndex(0), |s| s.index);
        maps.extend(externs::kconfig_map(name, &externs, btf.as_ref(), symtab));
        let deferred = attach_relocs(&elf, &maps, &externs, &mut code_sections)?;
        let programs = collect_programs(&code_sections, &deferred);
        let btf_ext = match (&btf_ext_raw, &btf) {
            (Some(raw), Some(btf)) => Some(BtfExt::parse(raw, btf)?),
            _ => None,
        };
        let ext_info = btf_ext.as_ref().map(ext_info_by_section).unwrap_or_default();
        let elf_layout = elf_layout(&elf, &externs);
        let sections = elf.sections.iter().map(section_info).collect();
        Ok(Object {
            name: name.to_owned(),
            endian: elf.endian,
            sections,
            license,
            kern_version,
            btf,
            btf_ext_raw,
            btf_ext,
            ext_info,
            elf_layout,
            code_sections,
            programs,
            maps,
            externs,
        })
    }

    /// The program with this function name.
    pub fn program_by_name(&self, name: &str) -> Option<ProgramIndex> {
        self.programs.iter().position(|p| p.name == name).map(ProgramIndex)
    }

    /// The handles of all programs, in order.
    pub fn program_indices(&self) -> impl Iterator<Item = ProgramIndex> {
        (0..self.programs.len()).map(ProgramIndex)
    }

    /// The program behind a handle.
    pub fn program(&self, r: ProgramIndex) -> Option<&Program> {
        self.programs.get(r.0)
    }

    /// The map with this name.
    pub fn map_by_name(&self, name: &str) -> Option<MapIndex> {
        self.maps.iter().position(|m| m.name == name).map(MapIndex)
    }

    /// The map at this index.
    pub fn map(&self, m: MapIndex) -> Option<&MapDef> {
        self.maps.get(m.0)
    }

    /// The extern at this index.
    pub fn extern_at(&self, e: ExternIndex) -> Option<&Extern> {
        self.externs.get(e.0)
    }

    /// The `.kconfig` map, when the object has `__kconfig` externs.
    pub fn kconfig_map(&self) -> Option<MapIndex> {
        self.maps.iter().position(|m| m.kind == MapKind::Kconfig).map(MapIndex)
    }

    /// The code section at this index.
    pub fn code_section(&self, c: CodeSectionIndex) -> Option<&CodeSection> {
        self.code_sections.get(c.0)
    }

    /// The code section with this name.
    pub fn code_section_by_name(&self, name: &str) -> Option<&CodeSection> {
        self.code_sections.iter().find(|c| c.name == name)
    }

    /// The function a program starts with (its section and symbol).
    pub fn program_func(&self, r: ProgramIndex) -> Option<(&CodeSection, &Function)> {
        let p = self.program(r)?;
        let sec = self.code_section(p.code_section)?;
        Some((sec, sec.funcs.get(p.func)?))
    }

    /// The code sections the linked streams of these programs take instructions from: their
    /// own sections and those of every subprogram they reach. Only these need CO-RE.
    pub fn sections_reached(&self, programs: &[ProgramIndex]) -> BTreeSet<CodeSectionIndex> {
        let starts = programs.iter().filter_map(|&r| self.program(r)).map(|p| (p.code_section, p.func));
        starts.flat_map(|start| reach::reachable(&self.code_sections, start)).map(|(s, _)| s).collect()
    }
}

/// func_info/line_info of `.BTF.ext` in the shape `link` consumes, per section name.
fn ext_info_by_section(ext: &BtfExt) -> BTreeMap<String, SectionExtInfo> {
    let mut out: BTreeMap<String, SectionExtInfo> = BTreeMap::new();
    for sec in &ext.func_info {
        let e = out.entry(sec.name.clone()).or_default();
        e.func_info =
            sec.records.iter().map(|r| FuncInfoRec { insn_off: r.insn_off, type_id: r.type_id.get() }).collect();
    }
    for sec in &ext.line_info {
        let e = out.entry(sec.name.clone()).or_default();
        e.line_info = sec
            .records
            .iter()
            .map(|r| LineInfoRec {
                insn_off: r.insn_off,
                file_name_off: r.file_name_off,
                line_off: r.line_off,
                line_col: r.line_col,
            })
            .collect();
    }
    out
}

/// Section sizes, data-symbol placements and `.kconfig` offsets for the kernel BTF fixups.
fn elf_layout(elf: &RawElf<'_>, externs: &[Extern]) -> ElfLayout {
    const STB_LOCAL: u8 = 0;
    const STV_HIDDEN: u8 = 2;
    const STT_OBJECT: u8 = 1;
    const STT_FUNC: u8 = 2;
    const STV_INTERNAL: u8 = 1;
    let mut layout = ElfLayout::default();
    for s in &elf.sections {
        layout.section_sizes.insert(s.name.clone(), s.size.min(u32::MAX as u64) as u32);
    }
    for sym in elf.symbols.iter().filter(|s| s.st_type == STT_OBJECT) {
        let Some(sec) = sym.section.map(|i| elf.section(i)) else {
            continue;
        };
        let place = VarPlacement {
            offset: sym.value.min(u32::MAX as u64) as u32,
            hidden: sym.visibility == STV_HIDDEN || sym.bind == STB_LOCAL,
        };
        layout.vars.insert((sec.name.clone(), sym.name.clone()), place);
    }
    // libbpf: a non-local function of .text whose visibility is hidden or internal.
    let hidden_sub = |s: &&elf::RawSymbol| {
        s.st_type == STT_FUNC
            && s.bind != STB_LOCAL
            && matches!(s.visibility, STV_HIDDEN | STV_INTERNAL)
            && s.section.is_some_and(|i| elf.section(i).name == ".text")
    };
    layout.hidden_funcs = elf.symbols.iter().filter(hidden_sub).map(|s| s.name.clone()).collect();
    for e in externs {
        if let ExternKind::Kconfig(v) = e.kind {
            layout.kconfig.insert(e.name.clone(), v.offset);
        }
    }
    layout.ksyms =
        externs.iter().filter(|e| !matches!(e.kind, ExternKind::Kconfig(_))).map(|e| e.name.clone()).collect();
    layout
}

fn section_info(s: &RawSection<'_>) -> SectionInfo {
    let applies_to = (s.role == SectionRole::Rel).then_some(SectionIndex(s.info as usize));
    SectionInfo { index: s.index, name: s.name.clone(), size: s.size, role: s.role, applies_to }
}

/// Bytes up to the first NUL, as text.
fn c_string(data: &[u8]) -> String {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    String::from_utf8_lossy(&data[..end]).into_owned()
}

/// Decodes a code section's instructions and cuts it into functions by symbol.
fn code_section(elf: &RawElf<'_>, s: &RawSection<'_>) -> Result<CodeSection> {
    let insns = Insn::decode_all(s.data, elf.endian).ok_or_else(|| ObjectError::BadSection {
        index: s.index,
        name: s.name.clone(),
        problem: SectionProblem::CodeSize { size: s.data.len() },
    })?;
    let mut syms: Vec<_> =
        elf.symbols.iter().filter(|y| y.section == Some(s.index) && y.st_type == object::elf::STT_FUNC).collect();
    syms.sort_by_key(|y| y.value);
    let mut funcs = Vec::with_capacity(syms.len());
    for (i, y) in syms.iter().enumerate() {
        let sym_err = |problem| ObjectError::BadSymbol { index: y.index, name: y.name.clone(), problem };
        let end = y.value.checked_add(y.size).filter(|&e| e <= s.data.len() as u64);
        let Some(mut end) = end.filter(|_| y.value % 8 == 0 && y.size % 8 == 0) else {
            return Err(sym_err(SymbolProblem::FunctionOutOfBounds {
                offset: y.value,
                size: y.size,
                section_size: s.data.len(),
                section: s.name.clone(),
            }));
        };
        if y.size == 0 {
            // No size recorded (hand-written assembly): the function runs to the next one.
            end = syms.get(i + 1).map_or(s.data.len() as u64, |n| n.value);
        }
        let (start, len) = ((y.value / 8) as usize, ((end - y.value) / 8) as usize);
        if let Some(prev) = funcs.last().filter(|p: &&Function| p.start_insn + p.len_insns > start) {
            return Err(sym_err(SymbolProblem::Overlaps { function: prev.name.clone() }));
        }
        let global = y.bind != object::elf::STB_LOCAL;
        funcs.push(Function { name: y.name.clone(), start_insn: start, len_insns: len, global });
    }
    Ok(CodeSection { index: s.index, name: s.name.clone(), insns, funcs, relocs: Vec::new() })
}

/// BTF-defined maps, then one map per non-empty global-data section.
fn collect_maps(elf: &RawElf<'_>, name: &str, btf: Option<&Btf>) -> Result<Vec<MapDef>> {
    let mut maps = match elf.section_by_role(SectionRole::Maps) {
        Some(sec) => maps::btf_defined(elf, sec, btf)?,
        None => Vec::new(),
    };
    for sec in elf.sections.iter().filter(|s| matches!(s.role, SectionRole::Data(_))) {
        maps.extend(globals::global_map(name, sec, btf)?);
    }
    // `__arena` globals are the ARENA map's initial contents (written through an mmap at load).
    if let Some(arena) = elf.section_by_role(SectionRole::Arena) {
        if let Some(m) = maps.iter_mut().find(|m| m.map_type == crate::sys::MapType::ARENA.0) {
            m.initial_data = Some(arena.data.to_vec());
        }
    }
    Ok(maps)
}

/// A relocation that could not be classified, kept for the programs that reach it.
struct Deferred {
    section: CodeSectionIndex,
    insn: usize,
    error: Arc<ObjectError>,
}

/// Classifies each code section's `.rel` entries. A relocation rawbpf cannot handle inside a
/// function is deferred to the programs whose code reaches that function; one outside every
/// function belongs to no program and fails the object.
fn attach_relocs(
    elf: &RawElf<'_>,
    maps: &[MapDef],
    externs: &[Extern],
    code: &mut [CodeSection],
) -> Result<Vec<Deferred>> {
    let index: Vec<(SectionIndex, usize)> = code.iter().map(|c| (c.index, c.insns.len())).collect();
    let lookup = |elf_idx: SectionIndex| {
        let pos = index.iter().position(|&(i, _)| i == elf_idx)?;
        Some((CodeSectionIndex(pos), index[pos].1))
    };
    let ctx = RelocCtx { elf, maps, externs, code_index: &lookup };
    let mut deferred = Vec::new();
    for rel in elf.sections.iter().filter(|s| s.role == SectionRole::Rel) {
        let Some(pos) = index.iter().position(|&(i, _)| i.get() as u64 == u64::from(rel.info)) else {
            continue; // relocations of .BTF, .debug_*: not ours
        };
        let raw = elf.rels(rel.index)?;
        let sec = &mut code[pos];
        for (r, classified) in raw.iter().zip(ctx.classify_all(&sec.name, &sec.insns, &raw)) {
            match classified {
                Ok(reloc) => sec.relocs.push(reloc),
                Err(error) => {
                    let insn = usize::try_from(r.offset / Insn::SIZE as u64).unwrap_or(usize::MAX);
                    if sec.func_containing(insn).is_none() {
                        return Err(error);
                    }
                    deferred.push(Deferred { section: CodeSectionIndex(pos), insn, error: Arc::new(error) });
                }
            }
        }
    }
    Ok(deferred)
}

/// Every function of every non-`.text` code section is a program; each gets its kind from the
/// section name and any problem that would stop it from loading.
fn collect_programs(code: &[CodeSection], deferred: &[Deferred]) -> Vec<Program> {
    let mut out = Vec::new();
    for (ci, sec) in code.iter().enumerate().filter(|(_, s)| s.name != ".text") {
        let (autoload, kind_name) = progtype::split_autoload(&sec.name);
        let kind = progtype::classify(kind_name);
        for (fi, f) in sec.funcs.iter().enumerate() {
            let code_section = CodeSectionIndex(ci);
            let problem = match &kind {
                None => Some(ProgramError::UnknownSection {
                    section: sec.name.clone(),
                    close: progtype::close_kinds(kind_name, 3),
                }),
                Some(_) => reloc_problem(code, deferred, (code_section, fi)),
            };
            out.push(Program {
                name: f.name.clone(),
                section: sec.name.clone(),
                code_section,
                func: fi,
                autoload,
                kind: kind.clone(),
                problem,
            });
        }
    }
    out
}

/// The first deferred relocation in the code a program reaches, its own function first.
fn reloc_problem(code: &[CodeSection], deferred: &[Deferred], start: reach::FuncRef) -> Option<ProgramError> {
    reach::reachable(code, start).into_iter().find_map(|(s, fi)| {
        let f = &code[s.0].funcs[fi];
        let d =
            deferred.iter().find(|d| d.section == s && (f.start_insn..f.start_insn + f.len_insns).contains(&d.insn))?;
        let subprogram = (s, fi) != start;
        Some(ProgramError::Relocation { function: f.name.clone(), subprogram, source: d.error.clone() })
    })
}
