//! Externs: variables and functions a program uses that the object does not define. Clang
//! leaves them as undefined ELF symbols (`NOTYPE`, `GLOBAL` or `WEAK`, section `UND`) whose BTF
//! is a VAR or FUNC with extern linkage, placed in one of two DATASECs by bpf_helpers.h's macros:
//! - `.kconfig` (`__kconfig`): values the loader supplies: `CONFIG_*` options of the running
//!   kernel's configuration, and libbpf's virtual `LINUX_*` values (`LINUX_KERNEL_VERSION`...).
//!   They live in one more array map, `<obj>.kconfig`, laid out here as libbpf lays it out.
//! - `.ksyms` (`__ksym`): kernel symbols: typed variables (`extern const struct rq runqueues`,
//!   resolved to a kernel BTF id), typeless ones (`extern const void x`, resolved to an address
//!   from /proc/kallsyms) and kfuncs (resolved to the kernel FUNC's BTF id).
//!
//! `__weak` externs may be missing from the kernel: they become zero (`bpf_ksym_exists()` tests
//! that). This module only describes the externs; `crate::externs` resolves them at load time.

use std::cmp::Ordering;

use btf::types::{Body, Linkage};
use btf::{Btf, Kind, TypeId};
use object::elf::{STB_GLOBAL, STB_WEAK, STT_NOTYPE};

use super::elf::RawElf;
use super::error::{ExternProblem, ObjectError, RelocProblem, Result};
use super::globals::global_map_name;
use super::maps::{MapDef, MapKind, BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY};
use super::relocs::RelocTarget;
use super::{ExternIndex, SectionIndex};

/// The DATASEC of `__kconfig` externs.
pub const KCONFIG_SECTION: &str = ".kconfig";
/// The DATASEC of `__ksym` externs.
pub const KSYMS_SECTION: &str = ".ksyms";

/// One extern of the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extern {
    /// Its name (the BTF VAR or FUNC's, which is the symbol's).
    pub name: String,
    /// Its symbol's index in `.symtab` (relocations name it).
    pub symbol: usize,
    /// `__weak` (`STB_WEAK`): may be missing, and is zero then.
    pub weak: bool,
    /// Its VAR or FUNC in the object's `.BTF`.
    pub btf_id: TypeId,
    /// What it is.
    pub kind: ExternKind,
}

impl Extern {
    /// The name without a `___flavor` suffix: what kfuncs are looked up by in kernel BTF.
    pub fn essential_name(&self) -> &str {
        btf::layout::essential_name(&self.name)
    }
}

/// What an extern is, from its DATASEC and BTF kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternKind {
    /// A `__kconfig` value, in the `.kconfig` map.
    Kconfig(KconfigVar),
    /// A `__ksym` variable: `type_id` is its type (modifiers and typedefs skipped), `None` for
    /// a typeless (`void`) one, which is resolved to an address through /proc/kallsyms.
    Ksym {
        /// The variable's type in the object's BTF, `None` for `void`.
        type_id: Option<TypeId>,
    },
    /// A `__ksym` function: a kfunc, called with `BPF_PSEUDO_KFUNC_CALL`.
    Kfunc {
        /// Its FUNC_PROTO in the object's BTF.
        proto: TypeId,
    },
}

/// Where and how a `__kconfig` value is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KconfigVar {
    /// How the value is written.
    pub ty: KconfigType,
    /// Its size in bytes.
    pub size: u32,
    /// Its alignment in bytes.
    pub align: u32,
    /// Its byte offset in the `.kconfig` map's value.
    pub offset: u32,
}

/// The C types a `__kconfig` extern may have (libbpf's `kcfg_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KconfigType {
    /// `bool` (a 1-byte INT with the BOOL encoding): `y` is true, `n` false.
    Bool,
    /// `char` (any other 1-byte INT): takes `y`/`n`/`m` as the letter, or a number.
    Char {
        /// Signed encoding.
        signed: bool,
    },
    /// An integer of 2, 4 or 8 bytes.
    Int {
        /// Signed encoding.
        signed: bool,
    },
    /// `enum libbpf_tristate`: `n` 0, `y` 1, `m` 2.
    Tristate,
    /// `char name[N]`: a quoted string value, NUL-terminated, cut to fit.
    CharArray,
}

/// Collects the object's externs, sorted and laid out as libbpf does: `.kconfig` ones first, by
/// alignment (largest first), then size (smallest first), then name; `.ksyms` ones by name.
/// The order matters beyond layout: a missing weak kfunc's poisoned call names its index.
pub(crate) fn collect(elf: &RawElf<'_>, btf: Option<&Btf>) -> Result<Vec<Extern>> {
    let mut out = Vec::new();
    for sym in elf.symbols.iter() {
        let is_extern = sym.undefined && matches!(sym.bind, STB_GLOBAL | STB_WEAK) && sym.st_type == STT_NOTYPE;
        if !is_extern || sym.name.is_empty() {
            continue;
        }
        let bad = |problem| ObjectError::BadExtern { name: sym.name.clone(), symbol: sym.index, problem };
        let btf = btf.ok_or_else(|| bad(ExternProblem::NoBtf))?;
        let on_btf = |source| ObjectError::ExternBtf { name: sym.name.clone(), source };
        let btf_id = find_btf_decl(btf, &sym.name).map_err(on_btf)?.ok_or_else(|| bad(ExternProblem::NoBtfDecl))?;
        let decl = btf.type_by_id(btf_id).map_err(on_btf)?;
        let linkage = match decl.body {
            Body::Var(v) => v.linkage,
            Body::Func(f) => f.linkage,
            _ => Linkage::Static,
        };
        if linkage != Linkage::Extern {
            return Err(bad(ExternProblem::NotExtern { type_id: btf_id, kind: decl.kind(), linkage }));
        }
        let section = datasec_of(btf, btf_id)
            .map_err(on_btf)?
            .ok_or_else(|| bad(ExternProblem::NoDatasec { type_id: btf_id }))?;
        let kind = match (section.as_str(), decl.body) {
            (KCONFIG_SECTION, Body::Var(v)) => {
                let var = kconfig_var(btf, v.type_id).map_err(on_btf)?;
                ExternKind::Kconfig(var.ok_or_else(|| bad(kconfig_type_problem(btf, v.type_id)))?)
            }
            (KCONFIG_SECTION, _) => return Err(bad(ExternProblem::KconfigFunction)),
            (KSYMS_SECTION, Body::Var(v)) => {
                let t = btf.skip_mods_and_typedefs(v.type_id).map_err(on_btf)?;
                ExternKind::Ksym { type_id: (t != TypeId::VOID).then_some(t) }
            }
            (KSYMS_SECTION, Body::Func(f)) => {
                ExternKind::Kfunc { proto: btf.skip_mods_and_typedefs(f.proto).map_err(on_btf)? }
            }
            (other, _) => return Err(bad(ExternProblem::UnknownSection { section: other.to_owned() })),
        };
        let name = btf.name_of(btf_id).map_err(on_btf)?.to_owned();
        out.push(Extern { name, symbol: sym.index, weak: sym.bind == STB_WEAK, btf_id, kind });
    }
    out.sort_by(order);
    lay_out_kconfig(&mut out);
    // Checked before anything allocates the map's value: hostile BTF can ask for gigabytes.
    if let Some(e) =
        out.iter().find(|e| matches!(e.kind, ExternKind::Kconfig(v) if v.offset.saturating_add(v.size) > MAX_KCONFIG))
    {
        let (name, symbol, size) = (e.name.clone(), e.symbol, kconfig_size(&out));
        return Err(ObjectError::BadExtern {
            name,
            symbol,
            problem: ExternProblem::KconfigTooBig { size, max: MAX_KCONFIG },
        });
    }
    Ok(out)
}

/// The largest map value the kernel creates (`KMALLOC_MAX_SIZE` on x86-64: 4 MiB); a bigger
/// `.kconfig` map would be refused with E2BIG anyway.
const MAX_KCONFIG: u32 = 4 << 20;

/// libbpf's `cmp_externs`.
fn order(a: &Extern, b: &Extern) -> Ordering {
    let rank = |e: &Extern| match e.kind {
        ExternKind::Kconfig(v) => (0, std::cmp::Reverse(v.align), v.size),
        _ => (1, std::cmp::Reverse(0), 0),
    };
    rank(a).cmp(&rank(b)).then_with(|| a.name.as_bytes().cmp(b.name.as_bytes()))
}

/// Gives each `.kconfig` value its offset: in order, each aligned after the previous one.
fn lay_out_kconfig(externs: &mut [Extern]) {
    let mut off = 0u32;
    for e in externs {
        if let ExternKind::Kconfig(v) = &mut e.kind {
            // Saturating: hostile BTF may give sizes near u32::MAX; the map creation refuses those.
            v.offset = off.checked_next_multiple_of(v.align).unwrap_or(u32::MAX);
            off = v.offset.saturating_add(v.size);
        }
    }
}

/// The size of the `.kconfig` map's value: the end of its last value, 0 when there is none.
pub fn kconfig_size(externs: &[Extern]) -> u32 {
    externs
        .iter()
        .filter_map(|e| match e.kind {
            ExternKind::Kconfig(v) => Some(v.offset.saturating_add(v.size)),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// The first VAR or FUNC named `name` (libbpf's `find_extern_btf_id`).
fn find_btf_decl(btf: &Btf, name: &str) -> btf::Result<Option<TypeId>> {
    for id in btf.ids_by_name(name) {
        if matches!(btf.kind_of(id)?, Kind::Var | Kind::Func) {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// The name of the first DATASEC listing `id`.
fn datasec_of(btf: &Btf, id: TypeId) -> btf::Result<Option<String>> {
    for sec in btf.ids() {
        if btf.kind_of(sec)? != Kind::Datasec {
            continue;
        }
        let t = btf.type_by_id(sec)?;
        if let Body::Datasec(d) = &t.body {
            if d.vars.iter().any(|v| v.type_id == id) {
                return Ok(Some(t.name.to_owned()));
            }
        }
    }
    Ok(None)
}

/// A `.kconfig` value of type `type_id` (offset 0 for now), or `None` if the type is not one
/// libbpf can fill (libbpf's `find_kcfg_type`).
fn kconfig_var(btf: &Btf, type_id: TypeId) -> btf::Result<Option<KconfigVar>> {
    let Some(ty) = kconfig_type(btf, type_id)? else {
        return Ok(None);
    };
    let (size, align) = (btf.size_of(type_id)?, btf.align_of(type_id)?);
    Ok((size > 0 && align > 0).then_some(KconfigVar { ty, size, align, offset: 0 }))
}

fn kconfig_type(btf: &Btf, type_id: TypeId) -> btf::Result<Option<KconfigType>> {
    let t = btf.type_by_id(btf.skip_mods_and_typedefs(type_id)?)?;
    Ok(match &t.body {
        Body::Int(i) if i.encoding.bool => (i.size == 1).then_some(KconfigType::Bool),
        Body::Int(i) if i.size == 1 => Some(KconfigType::Char { signed: i.encoding.signed }),
        Body::Int(i) => matches!(i.size, 2 | 4 | 8).then_some(KconfigType::Int { signed: i.encoding.signed }),
        Body::Enum(e) if e.size == 4 && t.name == "libbpf_tristate" => Some(KconfigType::Tristate),
        Body::Enum64(_) if t.name == "libbpf_tristate" => Some(KconfigType::Tristate),
        Body::Array(a) if a.nelems > 0 => {
            let elem = kconfig_type(btf, a.elem)?;
            matches!(elem, Some(KconfigType::Char { .. })).then_some(KconfigType::CharArray)
        }
        _ => None,
    })
}

/// Why `type_id` cannot be a `__kconfig` value, naming the type.
fn kconfig_type_problem(btf: &Btf, type_id: TypeId) -> ExternProblem {
    let resolved = btf.skip_mods_and_typedefs(type_id).unwrap_or(type_id);
    let kind = btf.kind_of(resolved).unwrap_or(Kind::Void);
    let name = btf.name_of(resolved).unwrap_or_default().to_owned();
    ExternProblem::KconfigType { type_id: resolved, kind, name }
}

/// The `.kconfig` array map, when the object has `__kconfig` externs: one entry of
/// [`kconfig_size`] bytes that the loader fills from the running kernel, read-only for programs
/// and frozen, named like libbpf names it (`<obj>.kconfig`).
pub(crate) fn kconfig_map(object: &str, externs: &[Extern], btf: Option<&Btf>, symtab: SectionIndex) -> Option<MapDef> {
    let size = kconfig_size(externs);
    if size == 0 {
        return None;
    }
    let datasec = btf.and_then(|b| b.find_by_name_kind(KCONFIG_SECTION, Kind::Datasec));
    Some(MapDef {
        name: global_map_name(object, KCONFIG_SECTION),
        kind: MapKind::Kconfig,
        section_index: symtab,
        map_type: BPF_MAP_TYPE_ARRAY,
        key_size: 4,
        value_size: size,
        max_entries: 1,
        // As `.rodata` (globals.rs): libbpf adds BPF_F_MMAPABLE to both, for skeletons only.
        map_flags: BPF_F_RDONLY_PROG,
        btf_key_type_id: TypeId::VOID,
        btf_value_type_id: datasec.unwrap_or(TypeId::VOID),
        pinning: 0,
        map_extra: 0,
        numa_node: 0,
        // The values depend on the running kernel: `crate::externs` supplies them at load time.
        initial_data: Some(vec![0; size as usize]),
        freeze: true,
        values: None,
    })
}

/// The target of a relocation against undefined symbol `symbol`: the extern, if the instruction
/// can use it (an ld_imm64 of any extern's address or value, or a call of a kfunc).
pub(crate) fn reloc_target(
    externs: &[Extern],
    symbol: u32,
    insns: &[btf::insn::Insn],
    idx: usize,
) -> std::result::Result<RelocTarget, RelocProblem> {
    let Some(pos) = externs.iter().position(|e| e.symbol == symbol as usize) else {
        return Err(RelocProblem::NotAnExtern);
    };
    let ins = insns[idx];
    let fits = match externs[pos].kind {
        ExternKind::Kfunc { .. } => ins.is_ld_imm64() || ins.code == btf::insn::CALL,
        _ => ins.is_ld_imm64(),
    };
    if !fits {
        return Err(RelocProblem::ExternUse {
            kfunc: matches!(externs[pos].kind, ExternKind::Kfunc { .. }),
            opcode: ins.code,
        });
    }
    if ins.is_ld_imm64() && idx + 1 >= insns.len() {
        return Err(RelocProblem::LdImm64Truncated);
    }
    Ok(RelocTarget::Extern { index: ExternIndex::new(pos) })
}

impl std::fmt::Display for KconfigType {
    /// The C type, as error messages name it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KconfigType::Bool => "bool",
            KconfigType::Char { signed: true } => "signed char",
            KconfigType::Char { signed: false } => "char",
            KconfigType::Int { signed: true } => "signed integer",
            KconfigType::Int { signed: false } => "unsigned integer",
            KconfigType::Tristate => "enum libbpf_tristate",
            KconfigType::CharArray => "char array",
        })
    }
}
