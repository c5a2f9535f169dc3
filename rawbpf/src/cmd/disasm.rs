//! `rawbpf disasm`: a program's instructions in the verifier's syntax, with source lines and
//! marks on every relocated instruction; as in the ELF, or as the kernel would receive them.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::inspect::facts::{self, CoreSection, Target};
use loader::diagnose::verifier::SourceMap;
use loader::disasm::{format_program, Annotations, SourceLine, Symbols};
use loader::dwarf::DwarfLines;
use loader::insn::{pseudo, Insn};
use loader::link::{LineInfoRecord, LinkedProgram};
use loader::object::{CodeSectionIndex, Object, ProgramIndex, SectionIndex};

const ABOUT: &str = "Disassemble a BPF object's programs in the verifier's syntax, with source lines";

const LONG_ABOUT: &str = "\
Print each program's instructions as the kernel verifier writes them (`r1 = *(u64 *)(r1 +0)`),
with the C source line before the instructions it produced (`; text @ file:line`, from the
object's line_info) and a trailing mark on every instruction a loader rewrites:

  ; CO-RE #n: <kind> <spec>      a CO-RE relocation (field offset, size, type id...)
  ; map <name>                   a reference to a map or to a global variable's map
  ; call <subprogram>            a call to a BPF subprogram
  ; inlined: a <- inlined into b code inlined from another function (from DWARF, if present)

Without --relocated you see the program's own function as clang wrote it (calls as pc-relative
placeholders, map loads as zeros, CO-RE offsets as the local layout). With --relocated you see
what rawbpf would pass to BPF_PROG_LOAD: CO-RE applied against the target BTF, subprograms
appended after the program (each labelled), map references as map[idx:N] (N = the map's index
in `rawbpf inspect`). Nothing is loaded; no root needed.

The CO-RE target is /sys/kernel/btf/vmlinux unless --btf names a file (raw BTF, an ELF with .BTF, or a
vmlinuz / linux-image .deb).

Examples:
  rawbpf disasm progs/connect.o
  rawbpf disasm progs/maps_globals.o --relocated
  rawbpf disasm progs/core_demo.o --program demo_prog --relocated --btf progs/core_demo_target.o

Exit status: 0 on success, 1 when the object cannot be read or the program does not exist, 2 on
bad usage.";

/// `rawbpf disasm OBJ`
#[derive(Args, Debug)]
#[command(about = ABOUT, long_about = LONG_ABOUT)]
pub struct DisasmArgs {
    /// The BPF object (clang -target bpf -g -O2 -c).
    pub object: PathBuf,
    /// Only this program (its function name, as `rawbpf inspect` lists it).
    #[arg(long, value_name = "NAME")]
    pub program: Option<String>,
    /// Show the loadable stream: CO-RE applied, subprograms linked in, maps as `map[idx:N]`.
    #[arg(long)]
    pub relocated: bool,
    /// Resolve CO-RE against this BTF instead of /sys/kernel/btf/vmlinux.
    #[arg(long, value_name = "FILE")]
    pub btf: Option<PathBuf>,
}

/// Runs `rawbpf disasm`.
pub fn run(args: DisasmArgs) -> ExitCode {
    match disasm(&args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rawbpf disasm: {e}");
            ExitCode::from(1)
        }
    }
}

fn disasm(args: &DisasmArgs) -> Result<String, String> {
    let opened = facts::open(&args.object)?;
    let mut obj = opened.obj;
    let programs = select(&obj, args)?;
    let mut target = facts::target(args.btf.as_ref())?;
    if target.btf.is_none() {
        if args.relocated {
            let why = target.missing.unwrap_or_default();
            return Err(format!(
                "--relocated needs a CO-RE target and there is no kernel BTF ({why}); pass --btf FILE"
            ));
        }
        // The listing only needs each relocation's local spec: resolve against the object itself.
        target.btf = obj.btf.clone();
    }
    let core = facts::core(&mut obj, &target, args.relocated);
    let dwarf = DwarfLines::parse(&opened.bytes).ok().flatten();
    let ctx = Ctx { obj: &obj, core: &core, dwarf: dwarf.as_ref(), target: &target, relocated: args.relocated };
    let mut out = String::new();
    for r in programs {
        out.push_str(&if args.relocated { ctx.relocated(r)? } else { ctx.as_in_elf(r)? });
        out.push('\n');
    }
    Ok(out)
}

/// The programs to show: all, or the one named by --program.
fn select(obj: &Object, args: &DisasmArgs) -> Result<Vec<ProgramIndex>, String> {
    let Some(name) = &args.program else {
        return Ok(obj.program_indices().collect());
    };
    obj.program_by_name(name).map(|r| vec![r]).ok_or_else(|| {
        let names: Vec<&str> = obj.programs.iter().map(|p| p.name.as_str()).collect();
        format!("no program '{name}' in {}; its programs: {}", obj.name, names.join(", "))
    })
}

/// Names map fds as map indices: the fake fds given to the linker are the indices.
struct MapIdx;
impl Symbols for MapIdx {
    fn imm_name(&self, _idx: usize, insn: &Insn, value: u64) -> Option<String> {
        match insn.src {
            pseudo::MAP_FD => Some(format!("map[idx:{}]", value as u32)),
            pseudo::MAP_VALUE => Some(format!("map[idx:{}]+{}", value as u32, (value >> 32) as u32)),
            _ => None,
        }
    }
}

struct Ctx<'a> {
    obj: &'a Object,
    core: &'a [CoreSection],
    dwarf: Option<&'a DwarfLines>,
    target: &'a Target,
    relocated: bool,
}

impl Ctx<'_> {
    /// The program's function as in the ELF; indices relative to the function's start.
    fn as_in_elf(&self, r: ProgramIndex) -> Result<String, String> {
        let (sec, f) = self.obj.program_func(r).ok_or("program without a function")?;
        let range = f.start_insn..f.start_insn + f.len_insns;
        let insns = sec.insns.get(range.clone()).ok_or("function runs past its section")?;
        let mut notes = Annotations::new();
        notes.label(0, f.name.clone());
        let records: Vec<LineInfoRecord> = self
            .obj
            .ext_info
            .get(&sec.name)
            .map(|e| e.line_info.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|l| range.contains(&(l.insn_off as usize / 8)))
            .map(|l| LineInfoRecord {
                insn_idx: (l.insn_off / 8) - f.start_insn as u32,
                file_name_off: l.file_name_off,
                line_off: l.line_off,
                line_col: l.line_col,
            })
            .collect();
        self.sources(&mut notes, &records, insns.len());
        for (i, marks) in self.section_marks(p_section(self.obj, r), range.clone()) {
            for m in marks {
                notes.mark(i - f.start_insn, m);
            }
        }
        let header = format!(
            "{}  (section {}, instructions {}..{} as in the ELF){}\n",
            f.name,
            sec.name,
            range.start,
            range.end,
            self.source_file(sec.index, f.start_insn)
        );
        Ok(header + &format_program(insns, &notes, &loader::disasm::Plain))
    }

    /// The linked stream rawbpf would load.
    fn relocated(&self, r: ProgramIndex) -> Result<String, String> {
        let p = &self.obj.programs[r.get()];
        let linked = facts::link_offline(self.obj, r)?;
        let mut notes = Annotations::new();
        notes.label(0, p.name.clone());
        for (name, at) in &linked.subprogs {
            notes.label(*at, format!("{name} (subprogram)"));
        }
        self.sources(&mut notes, &linked.line_info, linked.insns.len());
        for (sec, range, out_start) in self.placements(r, &linked) {
            for (i, marks) in self.section_marks(sec, range.clone()) {
                for m in marks {
                    notes.mark(out_start + i - range.start, m);
                }
            }
        }
        let header = format!(
            "{}  (section {}, {} instructions after CO-RE against {} and linking)\n",
            p.name,
            p.section,
            linked.insns.len(),
            self.target.source
        );
        Ok(header + &format_program(&linked.insns, &notes, &MapIdx))
    }

    /// Where each linked function came from: (code section, its range there, its start in the stream).
    fn placements(&self, r: ProgramIndex, linked: &LinkedProgram) -> Vec<(CodeSectionIndex, Range<usize>, usize)> {
        let mut out = Vec::new();
        if let Some((_, f)) = self.obj.program_func(r) {
            out.push((p_section(self.obj, r), f.start_insn..f.start_insn + f.len_insns, 0));
        }
        for (name, at) in &linked.subprogs {
            let found = self.obj.code_sections.iter().enumerate().find_map(|(si, c)| {
                c.funcs.iter().find(|f| &f.name == name).map(|f| (si, f.start_insn..f.start_insn + f.len_insns))
            });
            if let Some((si, range)) = found {
                out.push((CodeSectionIndex::new(si), range, *at));
            }
        }
        out
    }

    /// `  from /full/path.c` from DWARF for the instruction, or nothing without DWARF.
    fn source_file(&self, elf_section: SectionIndex, insn: usize) -> String {
        self.dwarf
            .and_then(|d| d.location(elf_section, insn as u64 * 8))
            .map(|l| format!("  from {}", l.path))
            .unwrap_or_default()
    }

    /// Source lines from line_info records already indexed for the listing.
    fn sources(&self, notes: &mut Annotations, records: &[LineInfoRecord], len: usize) {
        let Some(btf) = self.obj.btf.as_ref() else {
            return;
        };
        let map = SourceMap::from_line_info(btf, records);
        for i in 0..len {
            if let Some(s) = map.starting_at(i) {
                notes.source(i, SourceLine { text: s.text.clone(), file: s.file.clone(), line: s.line });
            }
        }
    }

    /// Marks on the instructions `range` of code section `sec`, keyed by section index.
    fn section_marks(&self, sec: CodeSectionIndex, range: Range<usize>) -> BTreeMap<usize, Vec<String>> {
        let mut m: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        let Some(code) = self.obj.code_section(sec) else {
            return m;
        };
        let core = facts::core_by_insn(self.core);
        for i in range.clone() {
            for res in core.get(&(code.name.clone(), i)).into_iter().flatten() {
                let mut text = format!("CO-RE #{}: {} {}", res.relo_idx, res.kind, res.local_spec);
                if self.relocated && res.is_poison() {
                    text.push_str(" (poisoned: the verifier rejects this call if it is reachable)");
                }
                m.entry(i).or_default().push(text);
            }
        }
        for rel in code.relocs.iter().filter(|x| range.contains(&x.insn_idx)) {
            m.entry(rel.insn_idx).or_default().push(facts::reloc_words(self.obj, &rel.target));
        }
        // Calls within a section need no relocation: clang writes the pc-relative offset.
        for i in range.clone() {
            let insn = code.insns[i];
            let is_call = insn.code == 0x85 && insn.src == pseudo::CALL;
            if !is_call || code.relocs.iter().any(|x| x.insn_idx == i) {
                continue;
            }
            let callee = (i as i64 + 1 + i64::from(insn.imm)).try_into().ok().and_then(|t: usize| code.func_at(t));
            if let Some(f) = callee {
                m.entry(i).or_default().push(format!("call {}", f.name));
            }
        }
        if let Some(d) = self.dwarf {
            let mut last = None;
            for i in range {
                let chain = d.location(code.index, i as u64 * 8).and_then(|l| l.inline_chain());
                if chain.is_some() && chain != last {
                    m.entry(i).or_default().push(format!("inlined: {}", chain.clone().unwrap_or_default()));
                }
                last = chain;
            }
        }
        m
    }
}

/// The code section index of a program.
fn p_section(obj: &Object, r: ProgramIndex) -> CodeSectionIndex {
    obj.programs[r.get()].code_section
}
