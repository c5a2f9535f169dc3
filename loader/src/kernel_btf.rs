//! The object's BTF made acceptable to the running kernel, before `BPF_BTF_LOAD`:
//!
//! 1. **Fixups** clang leaves to the loader: a DATASEC's size and its variables' offsets are
//!    only known from the ELF section and symbol table, and hidden globals must become static
//!    (the kernel rejects global VARs it cannot link).
//! 2. **Sanitizing**: kinds and flags an older kernel does not know are rewritten into ones it
//!    does, one type for one type, so every type id stays the same and func_info, CO-RE and map
//!    BTF ids need no remapping.

mod externs;

use std::collections::HashMap;

use btf::types::{Body, Composite, Int, IntEncoding, Linkage, Type, TypeId};
use btf::{Btf, BtfBuilder, BtfError, Kind};

/// Which BTF features the kernel accepts (from `features::detect`, or all for tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Support {
    /// `BTF_FUNC_GLOBAL` linkage (5.6).
    pub func_global: bool,
    /// FLOAT (5.13).
    pub float: bool,
    /// DECL_TAG (5.16).
    pub decl_tag: bool,
    /// TYPE_TAG (5.17).
    pub type_tag: bool,
    /// ENUM64 and signed enums via kind_flag (6.0).
    pub enum64: bool,
}

impl Support {
    /// A kernel that accepts everything rawbpf knows.
    pub const ALL: Support = Support { func_global: true, float: true, decl_tag: true, type_tag: true, enum64: true };
    /// A 5.10-era kernel.
    pub const LINUX_5_10: Support =
        Support { func_global: true, float: false, decl_tag: false, type_tag: false, enum64: false };
}

/// Where a global variable lives in the ELF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarPlacement {
    /// Offset of the symbol within its section.
    pub offset: u32,
    /// `STV_HIDDEN` (or local): must not stay a global VAR.
    pub hidden: bool,
}

/// ELF facts the fixups need: section sizes and variable symbols, by name.
#[derive(Clone, Debug, Default)]
pub struct ElfLayout {
    /// Size of each section that may have a DATASEC (`.data`, `.bss`, `.maps`...).
    pub section_sizes: HashMap<String, u32>,
    /// `(section, symbol)` → placement.
    pub vars: HashMap<(String, String), VarPlacement>,
    /// `__kconfig` extern → its offset in the `.kconfig` map (`object::externs`).
    pub kconfig: HashMap<String, u32>,
    /// The `__ksym` externs' names.
    pub ksyms: Vec<String>,
    /// Global functions of `.text` (subprograms) with hidden or internal visibility: their
    /// FUNCs become static, as libbpf's `mark_btf_static` makes them, so the verifier checks
    /// them with their caller's context (`__hidden` helpers such as usdt.bpf.h's
    /// `bpf_usdt_arg`).
    pub hidden_funcs: std::collections::HashSet<String>,
}

/// One change made to the object's BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BtfChange {
    /// A DATASEC's size, which clang leaves at 0, set from its ELF section.
    DatasecSize {
        /// The section.
        section: String,
        /// The size in the object's BTF.
        from: u32,
        /// The ELF section's size.
        to: u32,
    },
    /// A variable's offset in its DATASEC set from its ELF symbol.
    VarOffset {
        /// The section.
        section: String,
        /// The variable.
        var: String,
        /// The offset in the object's BTF.
        from: u32,
        /// The symbol's offset.
        to: u32,
    },
    /// A hidden (or local) global variable made static: the kernel refuses it as global.
    HiddenVarMadeStatic {
        /// The variable.
        var: String,
    },
    /// A hidden global subprogram's FUNC made static (libbpf's `mark_btf_static`).
    HiddenFuncMadeStatic {
        /// The FUNC.
        id: TypeId,
        /// Its name.
        name: String,
    },
    /// A global FUNC made static: the kernel lacks global function linkage.
    FuncMadeStatic {
        /// The FUNC.
        id: TypeId,
        /// Its name.
        name: String,
    },
    /// A `__kconfig` extern VAR made a global variable at its offset in the `.kconfig` map: the
    /// kernel accepts no extern VARs.
    KconfigVarPlaced {
        /// The variable.
        var: String,
        /// Its offset in `.kconfig`.
        offset: u32,
    },
    /// A `__ksym` extern in `.ksyms` (a VAR, or a kfunc's FUNC) given a 4-byte int placeholder
    /// slot: the kernel accepts no extern VARs, and no FUNC in a DATASEC.
    KsymPlaceholder {
        /// The extern.
        name: String,
        /// VAR or FUNC.
        kind: Kind,
        /// Its slot's offset in `.ksyms`.
        offset: u32,
    },
    /// The `dummy_ksym` VAR added for the placeholders of kfuncs (libbpf adds the same).
    DummyKsymVar {
        /// Its id, after every type of the object.
        id: TypeId,
    },
    /// A signed ENUM made unsigned: the kernel lacks the signed flag.
    EnumSignCleared {
        /// The ENUM.
        id: TypeId,
        /// Its name.
        name: String,
    },
    /// A type of a kind the kernel lacks rewritten into one of the same size that it knows.
    KindRewritten {
        /// The type (its id stays the same).
        id: TypeId,
        /// Its name (tags lose theirs).
        name: String,
        /// The kind it had.
        from: Kind,
        /// The kind it has now.
        to: Kind,
    },
}

/// What was changed, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Each change.
    pub changes: Vec<BtfChange>,
}

/// Why the object's BTF could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum KernelBtfError {
    /// The BTF itself is broken.
    #[error(transparent)]
    Btf(#[from] BtfError),
    /// A DATASEC names a section the ELF does not have.
    #[error("DATASEC {section} (type id {id}): the ELF has no section of that name")]
    MissingSection {
        /// Section name.
        section: String,
        /// DATASEC type id.
        id: TypeId,
    },
    /// A VAR in a DATASEC has no symbol.
    #[error("DATASEC {section}: variable {var} (type id {id}) has no ELF symbol")]
    MissingSymbol {
        /// Section name.
        section: String,
        /// Variable name.
        var: String,
        /// VAR type id.
        id: TypeId,
    },
}

/// Rewrites `btf` for the kernel: fixups, then sanitizing. Returns the new blob and what changed.
pub fn prepare(btf: &Btf, elf: &ElfLayout, support: Support) -> Result<(Vec<u8>, Report), KernelBtfError> {
    let mut report = Report::default();
    let mut types: Vec<Type<'_>> = Vec::with_capacity(btf.count() as usize);
    for id in btf.ids() {
        types.push(btf.type_by_id(id)?);
    }
    fix_datasecs(btf, &mut types, elf, &mut report)?;
    fix_hidden_funcs(&mut types, elf, &mut report);
    externs::fix(btf, &mut types, elf, &mut report)?;
    for (i, t) in types.iter_mut().enumerate() {
        sanitize(t, TypeId::new(i as u32 + 1), support, &mut report);
    }
    // Keep the original string table: line_info and CO-RE records point into it.
    let mut out = BtfBuilder::with_strings(btf.endian(), btf.strings_raw());
    for t in &types {
        out.add(t);
    }
    Ok((out.build(), report))
}

/// Fills DATASEC sizes and VAR offsets from the ELF; hidden globals become static.
fn fix_datasecs<'a>(
    btf: &'a Btf,
    types: &mut [Type<'a>],
    elf: &ElfLayout,
    report: &mut Report,
) -> Result<(), KernelBtfError> {
    for i in 0..types.len() {
        let id = TypeId::new(i as u32 + 1);
        let Body::Datasec(sec) = &types[i].body else {
            continue;
        };
        if externs::is_extern_datasec(types[i].name) {
            continue;
        }
        let section = types[i].name.to_owned();
        let size = *elf
            .section_sizes
            .get(&section)
            .ok_or_else(|| KernelBtfError::MissingSection { section: section.clone(), id })?;
        let mut vars = sec.vars.clone();
        let old_size = sec.size;
        for v in &mut vars {
            let var_name = btf.name_of(v.type_id)?;
            let place = elf.vars.get(&(section.clone(), var_name.to_owned())).ok_or_else(|| {
                KernelBtfError::MissingSymbol { section: section.clone(), var: var_name.to_owned(), id: v.type_id }
            })?;
            if v.offset != place.offset {
                report.changes.push(BtfChange::VarOffset {
                    section: section.clone(),
                    var: var_name.to_owned(),
                    from: v.offset,
                    to: place.offset,
                });
                v.offset = place.offset;
            }
            let var_idx = (v.type_id.get() - 1) as usize;
            if let Some(Type { body: Body::Var(var), .. }) = types.get_mut(var_idx) {
                if place.hidden && var.linkage == Linkage::Global {
                    var.linkage = Linkage::Static;
                    report.changes.push(BtfChange::HiddenVarMadeStatic { var: var_name.to_owned() });
                }
            }
        }
        // The kernel requires variables in increasing offset order.
        vars.sort_by_key(|v| v.offset);
        if let Body::Datasec(sec) = &mut types[i].body {
            if old_size != size {
                report.changes.push(BtfChange::DatasecSize { section: section.clone(), from: old_size, to: size });
            }
            sec.size = size;
            sec.vars = vars;
        }
    }
    Ok(())
}

/// Hidden global subprograms' FUNCs made static.
fn fix_hidden_funcs(types: &mut [Type<'_>], elf: &ElfLayout, report: &mut Report) {
    if elf.hidden_funcs.is_empty() {
        return;
    }
    for (i, t) in types.iter_mut().enumerate() {
        if let Body::Func(f) = &mut t.body {
            if f.linkage == Linkage::Global && elf.hidden_funcs.contains(t.name) {
                f.linkage = Linkage::Static;
                let id = TypeId::new(i as u32 + 1);
                report.changes.push(BtfChange::HiddenFuncMadeStatic { id, name: t.name.to_owned() });
            }
        }
    }
}

/// Rewrites one type the kernel would reject into one it accepts, keeping its id.
fn sanitize(t: &mut Type<'_>, id: TypeId, s: Support, report: &mut Report) {
    let (before, name) = (t.kind(), t.name.to_owned());
    let replaced = match &mut t.body {
        Body::Func(f) if !s.func_global && f.linkage == Linkage::Global => {
            f.linkage = Linkage::Static;
            report.changes.push(BtfChange::FuncMadeStatic { id, name: t.name.to_owned() });
            return;
        }
        Body::Float { size } if !s.float => Some(empty_struct(*size)),
        Body::DeclTag(_) if !s.decl_tag => {
            t.name = "";
            Some(Body::Int(Int { size: 1, encoding: IntEncoding::default(), offset: 0, bits: 8 }))
        }
        Body::TypeTag(target) if !s.type_tag => {
            t.name = "";
            Some(Body::Const(*target))
        }
        Body::Enum64(e) if !s.enum64 => Some(Body::Union(Composite { size: e.size, members: Vec::new() })),
        Body::Enum(e) if !s.enum64 && e.signed => {
            e.signed = false;
            report.changes.push(BtfChange::EnumSignCleared { id, name: t.name.to_owned() });
            return;
        }
        _ => None,
    };
    if let Some(body) = replaced {
        t.body = body;
        report.changes.push(BtfChange::KindRewritten { id, name, from: before, to: t.kind() });
    }
}

fn empty_struct(size: u32) -> Body<'static> {
    Body::Struct(Composite { size, members: Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use btf::types::{Datasec, DeclTag, Enum, EnumValue, Var, VarSecInfo};
    use btf::Kind;

    /// `int counter` (hidden global) and `int limit` in `.bss`, plus kinds 5.10 lacks.
    fn object_btf() -> Btf {
        let mut b = BtfBuilder::new();
        let int = b.int("int", 4, true); // 1
        let v1 = b.add(&Type { name: "counter", body: Body::Var(Var { type_id: int, linkage: Linkage::Global }) }); // 2
        let v2 = b.add(&Type { name: "limit", body: Body::Var(Var { type_id: int, linkage: Linkage::Global }) }); // 3
        let vars = vec![VarSecInfo { type_id: v1, offset: 0, size: 4 }, VarSecInfo { type_id: v2, offset: 0, size: 4 }];
        b.add(&Type { name: ".bss", body: Body::Datasec(Datasec { size: 0, vars }) }); // 4
        b.add(&Type { name: "double", body: Body::Float { size: 8 } }); // 5
        b.add(&Type { name: "user", body: Body::TypeTag(int) }); // 6
        b.add(&Type { name: "tag", body: Body::DeclTag(DeclTag { type_id: v1, component_idx: -1 }) }); // 7
        let values = vec![EnumValue { name: "BIG", value: 1 << 40 }];
        b.add(&Type { name: "e64", body: Body::Enum64(Enum { size: 8, signed: false, values }) }); // 8
        let values = vec![EnumValue { name: "NEG", value: -1i64 as u64 }];
        b.add(&Type { name: "se", body: Body::Enum(Enum { size: 4, signed: true, values }) }); // 9
        Btf::parse(b.build()).unwrap()
    }

    fn layout() -> ElfLayout {
        let mut l = ElfLayout::default();
        l.section_sizes.insert(".bss".into(), 8);
        l.vars.insert((".bss".into(), "limit".into()), VarPlacement { offset: 0, hidden: false });
        l.vars.insert((".bss".into(), "counter".into()), VarPlacement { offset: 4, hidden: true });
        l
    }

    #[test]
    fn datasec_gets_sizes_offsets_and_sorted_vars() {
        let (bytes, report) = prepare(&object_btf(), &layout(), Support::ALL).unwrap();
        let out = Btf::parse(bytes).unwrap();
        let Body::Datasec(d) = out.type_by_id(TypeId::new(4)).unwrap().body else { panic!() };
        assert_eq!(d.size, 8);
        assert_eq!(
            d.vars.iter().map(|v| (v.type_id, v.offset)).collect::<Vec<_>>(),
            vec![(TypeId::new(3), 0), (TypeId::new(2), 4)]
        );
        let Body::Var(v) = out.type_by_id(TypeId::new(2)).unwrap().body else { panic!() };
        assert_eq!(v.linkage, Linkage::Static);
        let size = BtfChange::DatasecSize { section: ".bss".into(), from: 0, to: 8 };
        assert!(report.changes.contains(&size), "{report:?}");
        assert!(report.changes.contains(&BtfChange::HiddenVarMadeStatic { var: "counter".into() }), "{report:?}");
        // Nothing else changes on a kernel that supports everything.
        assert_eq!(out.kind_of(TypeId::new(5)).unwrap(), Kind::Float);
        assert_eq!(out.kind_of(TypeId::new(8)).unwrap(), Kind::Enum64);
    }

    #[test]
    fn hidden_global_subprograms_become_static_and_others_stay() {
        use btf::types::{Func, FuncProto};
        let mut b = BtfBuilder::new();
        let int = b.int("int", 4, true); // 1
        let proto = b.add(&Type { name: "", body: Body::FuncProto(FuncProto { ret: int, params: Vec::new() }) }); // 2
        for name in ["bpf_usdt_arg", "visible", "prog"] {
            b.add(&Type { name, body: Body::Func(Func { proto, linkage: Linkage::Global }) });
            // 3, 4, 5
        }
        let src = Btf::parse(b.build()).unwrap();
        let mut l = ElfLayout::default();
        l.hidden_funcs.insert("bpf_usdt_arg".into());
        let (bytes, report) = prepare(&src, &l, Support::ALL).unwrap();
        let out = Btf::parse(bytes).unwrap();
        let linkage = |id| match out.type_by_id(TypeId::new(id)).unwrap().body {
            Body::Func(f) => f.linkage,
            other => panic!("{other:?}"),
        };
        assert_eq!([linkage(3), linkage(4), linkage(5)], [Linkage::Static, Linkage::Global, Linkage::Global]);
        let made = BtfChange::HiddenFuncMadeStatic { id: TypeId::new(3), name: "bpf_usdt_arg".into() };
        assert_eq!(report.changes, [made]);
    }

    #[test]
    fn sanitizing_for_5_10_keeps_ids_and_sizes() {
        let src = object_btf();
        let (bytes, report) = prepare(&src, &layout(), Support::LINUX_5_10).unwrap();
        let out = Btf::parse(bytes).unwrap();
        assert_eq!(out.count(), src.count());
        let kinds: Vec<Kind> = (5..=8).map(|id| out.kind_of(TypeId::new(id)).unwrap()).collect();
        assert_eq!(kinds, vec![Kind::Struct, Kind::Const, Kind::Int, Kind::Union]);
        assert_eq!(out.size_of(TypeId::new(5)).unwrap(), 8);
        assert_eq!(out.size_of(TypeId::new(8)).unwrap(), 8);
        assert_eq!(out.type_by_id(TypeId::new(6)).unwrap().body, Body::Const(TypeId::new(1)));
        let Body::Enum(e) = out.type_by_id(TypeId::new(9)).unwrap().body else { panic!() };
        assert!(!e.signed);
        let rewritten: Vec<(Kind, Kind)> = report
            .changes
            .iter()
            .filter_map(|c| match c {
                BtfChange::KindRewritten { from, to, .. } => Some((*from, *to)),
                _ => None,
            })
            .collect();
        let want = [
            (Kind::Float, Kind::Struct),
            (Kind::TypeTag, Kind::Const),
            (Kind::DeclTag, Kind::Int),
            (Kind::Enum64, Kind::Union),
        ];
        assert_eq!(rewritten, want, "{report:?}");
        assert!(
            report.changes.iter().any(|c| matches!(c, BtfChange::EnumSignCleared { id, .. } if id.get() == 9)),
            "{report:?}"
        );
    }

    #[test]
    fn string_offsets_survive_the_rewrite() {
        let src = object_btf();
        let (bytes, _) = prepare(&src, &layout(), Support::LINUX_5_10).unwrap();
        let out = Btf::parse(bytes).unwrap();
        // Every offset of the original string table names the same string afterwards.
        let raw = src.strings_raw();
        let mut off = 0usize;
        while off < raw.len() {
            let o = off as u32;
            assert_eq!(out.str_at(o).unwrap(), src.str_at(o).unwrap(), "offset {o}");
            off += src.str_at(o).unwrap().len() + 1;
        }
    }

    #[test]
    fn missing_section_or_symbol_is_named() {
        let err = prepare(&object_btf(), &ElfLayout::default(), Support::ALL).unwrap_err();
        assert_eq!(err.to_string(), "DATASEC .bss (type id 4): the ELF has no section of that name");
        let mut l = layout();
        l.vars.remove(&(".bss".to_string(), "limit".to_string()));
        let err = prepare(&object_btf(), &l, Support::ALL).unwrap_err();
        assert_eq!(err.to_string(), "DATASEC .bss: variable limit (type id 3) has no ELF symbol");
    }
}
