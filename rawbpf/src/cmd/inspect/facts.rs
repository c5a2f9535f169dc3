//! What `inspect` and `disasm` learn about an object without touching the kernel: the object
//! model, its ELF sections with their roles, the CO-RE target, and CO-RE resolved on a copy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use btf::core::{relocate_section, CoreCache, CoreResolution};
use btf::Btf;

use loader::link::{link_with, KsymValue, LinkedProgram, Symbols};
use loader::object::sections::{DataKind, SectionRole};
use loader::object::{CodeSectionIndex, ExternKind, MapIndex, Object, ProgramIndex, RelocTarget};
use loader::sys::{attach_type_name, prog_type_name};

/// One ELF section as `inspect` lists it.
#[derive(Clone, Debug)]
pub struct SectionFact {
    /// Section name.
    pub name: String,
    /// Size in bytes (for `.bss`, the size in memory).
    pub size: u64,
    /// What rawbpf does with it, in words.
    pub role: String,
}

/// The BTF that CO-RE relocations are resolved against.
pub struct Target {
    /// Where it came from (`/sys/kernel/btf/vmlinux` or the `--btf` file).
    pub source: String,
    /// The parsed BTF; `None` when the default kernel BTF is missing (then `missing` says why).
    pub btf: Option<Btf>,
    /// Why there is no target.
    pub missing: Option<String>,
}

/// CO-RE relocations of one code section, resolved against the target (or explained).
#[derive(Clone, Debug)]
pub struct CoreSection {
    /// Code section name.
    pub section: String,
    /// Resolutions in record order, when the target resolved all of them.
    pub resolved: Vec<CoreResolution>,
    /// The relocations as text when they could not be resolved (no target, or an error).
    pub unresolved: Vec<String>,
    /// Why they are unresolved.
    pub error: Option<String>,
}

/// An object opened for inspection: the parsed model and the file bytes (for DWARF).
pub struct Opened {
    /// The object model.
    pub obj: Object,
    /// The ELF sections with their roles.
    pub sections: Vec<SectionFact>,
    /// The raw file, for DWARF line lookups.
    pub bytes: Vec<u8>,
}

/// Reads and parses `path`; the error is a message for the user.
pub fn open(path: &Path) -> Result<Opened, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let obj =
        Object::parse(&bytes, &name).map_err(|e| format!("{}: {}", path.display(), crate::render::error::chain(&e)))?;
    let sections = sections(&obj);
    Ok(Opened { obj, sections, bytes })
}

/// Every ELF section with its size and role.
fn sections(obj: &Object) -> Vec<SectionFact> {
    let name_of = |i| obj.sections.iter().find(|s| s.index == i).map(|s| s.name.as_str());
    obj.sections
        .iter()
        .map(|s| SectionFact {
            name: s.name.clone(),
            size: s.size,
            role: role_text(&s.name, s.role, s.applies_to.and_then(name_of)),
        })
        .collect()
}

/// A section's role in words.
fn role_text(name: &str, role: SectionRole, rel_of: Option<&str>) -> String {
    match role {
        SectionRole::Code if name == ".text" => "code: subprograms".into(),
        SectionRole::Code => "code: programs".into(),
        SectionRole::License => "license string".into(),
        SectionRole::Version => "kernel version (legacy)".into(),
        SectionRole::Maps => "BTF-defined maps".into(),
        SectionRole::LegacyMaps => "legacy map definitions (not supported)".into(),
        SectionRole::Data(DataKind::Data) => "global data (writable) → array map".into(),
        SectionRole::Data(DataKind::Rodata) => "global data (read-only, frozen) → array map".into(),
        SectionRole::Data(DataKind::Bss) => "global data (zeroed) → array map".into(),
        SectionRole::Arena => "__arena globals → the ARENA map's first pages".into(),
        SectionRole::Btf => "BTF: types".into(),
        SectionRole::BtfExt => "BTF.ext: func/line info, CO-RE relocations".into(),
        SectionRole::Rel => format!("relocations of {}", rel_of.unwrap_or("?")),
        SectionRole::Symtab => "symbol table".into(),
        SectionRole::Other => "ignored (debug info, strings...)".into(),
    }
}

/// The CO-RE target: `--btf FILE` (an error if unreadable) or the running kernel's BTF
/// (its absence is reported, not an error: relocations are then listed unresolved).
pub fn target(btf: Option<&PathBuf>) -> Result<Target, String> {
    match btf {
        Some(path) => {
            let btf = btf::source::file(path)
                .map_err(|e| format!("--btf {}: {}", path.display(), crate::render::error::chain(&e)))?;
            Ok(Target { source: path.display().to_string(), btf: Some(btf), missing: None })
        }
        None => {
            let source = btf::source::VMLINUX_BTF.to_owned();
            match loader::vmlinux::vmlinux() {
                Ok(btf) => Ok(Target { source, btf: Some(btf), missing: None }),
                Err(e) => Ok(Target { source, btf: None, missing: Some(crate::render::error::chain(&e)) }),
            }
        }
    }
}

/// Resolves every section's CO-RE relocations against the target, on a copy of the
/// instructions. `patch`: also write the patched instructions back into `obj` (for linking).
pub fn core(obj: &mut Object, target: &Target, patch: bool) -> Vec<CoreSection> {
    let mut out = Vec::new();
    let (Some(ext), Some(local)) = (obj.btf_ext.clone(), obj.btf.clone()) else {
        return out;
    };
    let mut cache = CoreCache::new();
    for sec in ext.core_relos.iter().filter(|s| !s.records.is_empty()) {
        let raw = || sec.records.iter().enumerate().map(|(i, r)| raw_relo(&local, i, r)).collect();
        let mut fact =
            CoreSection { section: sec.name.clone(), resolved: Vec::new(), unresolved: Vec::new(), error: None };
        let Some(code) = obj.code_sections.iter_mut().find(|c| c.name == sec.name) else {
            fact.error = Some(format!("no code section '{}'", sec.name));
            fact.unresolved = raw();
            out.push(fact);
            continue;
        };
        let Some(tbtf) = target.btf.as_ref() else {
            fact.error = Some(format!("no target BTF: {}", target.missing.as_deref().unwrap_or("?")));
            fact.unresolved = raw();
            out.push(fact);
            continue;
        };
        let mut insns = code.insns.clone();
        match relocate_section(&local, tbtf, &sec.records, &mut insns, &mut cache) {
            Ok(r) => {
                fact.resolved = r.resolutions;
                if patch {
                    code.insns = insns;
                }
            }
            Err(e) => {
                fact.error = Some(crate::render::error::chain(&e));
                fact.unresolved = raw();
            }
        }
        out.push(fact);
    }
    out
}

/// A relocation as recorded, for when it cannot be resolved.
fn raw_relo(local: &Btf, i: usize, r: &btf::core::CoreRelo) -> String {
    let ty = local.name_of(r.type_id).ok().filter(|n| !n.is_empty()).unwrap_or("(anon)");
    format!("#{i} {}  insn {}  {} [{}] ({})", r.kind, r.insn_off / 8, ty, r.type_id, r.access)
}

/// A program's kind in words: type (`unknown` when libbpf's table has no such section),
/// expected attach type, target.
pub fn kind_words(obj: &Object, r: ProgramIndex) -> (String, Option<String>, Option<String>) {
    let Some(kind) = &obj.programs[r.get()].kind else {
        return ("unknown".into(), None, None);
    };
    let t = prog_type_name(kind.prog_type()).to_owned();
    let at = kind.def.expected_attach_type.map(|a| attach_type_name(a.0).to_owned());
    (t, at, kind.attach_target.clone())
}

/// Why a program cannot be loaded, as one line; `None` when nothing stops it.
pub fn problem_words(obj: &Object, r: ProgramIndex) -> Option<String> {
    obj.programs[r.get()].problem.as_ref().map(|e| crate::render::error::chain(e))
}

/// Links a program with fake map fds (fd = map index) and every `__ksym` extern as if missing
/// (zero; kfunc calls poisoned); nothing is created in the kernel.
pub fn link_offline(obj: &Object, r: ProgramIndex) -> Result<LinkedProgram, String> {
    let fds: Vec<i32> = (0..obj.maps.len() as i32).collect();
    let ksyms: Vec<Option<KsymValue>> = obj.externs.iter().map(|_| Some(KsymValue::Missing)).collect();
    link_with(obj, &obj.code_sections, r, Symbols { map_fds: &fds, ksyms: &ksyms })
        .map_err(|e| crate::render::error::chain(&e))
}

/// What a relocation refers to, in words (`map counts`, `call helper_fn`).
pub fn reloc_words(obj: &Object, t: &RelocTarget) -> String {
    let map = |i: MapIndex| obj.map(i).map_or("?", |m| m.name.as_str());
    let func = |s: CodeSectionIndex, i: usize| {
        obj.code_section(s)
            .and_then(|c| c.func_at(i).map(|f| f.name.clone()))
            .unwrap_or_else(|| format!("{}+{i}", obj.code_section(s).map_or("?", |c| c.name.as_str())))
    };
    match *t {
        RelocTarget::Map { map_idx } => format!("map {}", map(map_idx)),
        RelocTarget::Global { map_idx, offset } => {
            format!("map {}+{offset} (global variable)", map(map_idx))
        }
        RelocTarget::Call { section, insn } => format!("call {}", func(section, insn)),
        RelocTarget::FuncAddr { section, insn } => format!("func address {}", func(section, insn)),
        RelocTarget::Extern { index } => match obj.extern_at(index) {
            Some(e) => match e.kind {
                ExternKind::Kconfig(v) => format!("extern {} (.kconfig+{})", e.name, v.offset),
                ExternKind::Ksym { type_id: None } => format!("extern {} (typeless ksym)", e.name),
                ExternKind::Ksym { .. } => format!("extern {} (ksym)", e.name),
                ExternKind::Kfunc { .. } => format!("extern {} (kfunc)", e.name),
            },
            None => format!("extern #{index}"),
        },
    }
}

/// Resolutions keyed by (section, instruction index in the section), for marks.
pub fn core_by_insn(core: &[CoreSection]) -> BTreeMap<(String, usize), Vec<&CoreResolution>> {
    let mut m: BTreeMap<(String, usize), Vec<&CoreResolution>> = BTreeMap::new();
    for s in core {
        for r in &s.resolved {
            m.entry((s.section.clone(), r.insn_idx)).or_default().push(r);
        }
    }
    m
}
