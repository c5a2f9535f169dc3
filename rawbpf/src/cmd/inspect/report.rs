//! The human layout of `rawbpf inspect`: one heading per part, aligned columns.

use std::fmt::Write;

use super::facts::{self, CoreSection, Opened, Target};
use loader::object::MapKind;

/// Everything `inspect` shows.
pub struct Report<'a> {
    /// The object.
    pub opened: &'a Opened,
    /// The CO-RE target.
    pub target: &'a Target,
    /// CO-RE per section.
    pub core: &'a [CoreSection],
}

/// A program's row, shared by the human and JSON layouts.
pub struct ProgramRow {
    /// Function name.
    pub name: String,
    /// Section name.
    pub section: String,
    /// Program type name.
    pub prog_type: String,
    /// Expected attach type name, if the kind has one.
    pub attach_type: Option<String>,
    /// Attach target from the section name.
    pub target: Option<String>,
    /// Instructions of the program's own function.
    pub insns: usize,
    /// Subprograms linked in, or why linking failed.
    pub calls: Result<Vec<String>, String>,
    /// Loaded by default (its section does not start with `?`).
    pub autoload: bool,
    /// Why it cannot be loaded (then it is not linked either).
    pub problem: Option<String>,
}

impl Report<'_> {
    /// Program rows, in object order.
    pub fn programs(&self) -> Vec<ProgramRow> {
        let obj = &self.opened.obj;
        obj.program_indices()
            .map(|r| {
                let p = &obj.programs[r.get()];
                let (prog_type, attach_type, target) = facts::kind_words(obj, r);
                let insns = obj.program_func(r).map_or(0, |(_, f)| f.len_insns);
                let problem = facts::problem_words(obj, r);
                let calls = match problem {
                    Some(_) => Ok(Vec::new()),
                    None => facts::link_offline(obj, r).map(|l| l.subprogs.into_iter().map(|s| s.0).collect()),
                };
                ProgramRow {
                    name: p.name.clone(),
                    section: p.section.clone(),
                    prog_type,
                    attach_type,
                    target,
                    insns,
                    calls,
                    autoload: p.autoload,
                    problem,
                }
            })
            .collect()
    }

    /// The whole report as text.
    pub fn human(&self) -> String {
        let mut o = String::new();
        let obj = &self.opened.obj;
        let _ = writeln!(o, "Object {}  license \"{}\"", obj.name, obj.license);
        self.sections(&mut o);
        self.programs_text(&mut o);
        self.maps(&mut o);
        super::globals::text(obj, &mut o);
        self.relocations(&mut o);
        self.ext_counts(&mut o);
        self.core_text(&mut o);
        o
    }

    fn sections(&self, o: &mut String) {
        let _ = writeln!(o, "\nSections");
        for s in self.opened.sections.iter().filter(|s| !s.name.is_empty()) {
            let _ = writeln!(o, "  {:<28} {:>8} B  {}", s.name, s.size, s.role);
        }
    }

    fn programs_text(&self, o: &mut String) {
        let rows = self.programs();
        let _ = writeln!(o, "\nPrograms ({})", rows.len());
        for p in rows {
            let off = if p.autoload { "" } else { ", not loaded unless named" };
            let _ = writeln!(o, "  {}  (section {}{off})", p.name, p.section);
            let at = p.attach_type.as_deref().unwrap_or("-");
            let _ = writeln!(o, "      type {}  expected attach type {at}", p.prog_type);
            if let Some(t) = &p.target {
                let _ = writeln!(o, "      attach target {t}");
            }
            let _ = writeln!(o, "      {} instructions", p.insns);
            if let Some(why) = &p.problem {
                let _ = writeln!(o, "      cannot be loaded: {why}");
            }
            match &p.calls {
                Ok(c) if c.is_empty() => {}
                Ok(c) => {
                    let _ = writeln!(o, "      calls subprograms: {}", c.join(", "));
                }
                Err(e) => {
                    let _ = writeln!(o, "      cannot link: {e}");
                }
            }
        }
    }

    fn maps(&self, o: &mut String) {
        let obj = &self.opened.obj;
        let _ = writeln!(o, "\nMaps ({})", obj.maps.len());
        for (i, m) in obj.maps.iter().enumerate() {
            let _ = writeln!(
                o,
                "  [{i}] {}  type {} ({})  key {} B  value {} B  max_entries {}  flags {:#x}  defined in {}",
                m.name,
                map_type_name(m.map_type),
                m.map_type,
                m.key_size,
                m.value_size,
                m.max_entries,
                m.map_flags,
                map_origin(&m.kind)
            );
            for line in values_lines(m) {
                let _ = writeln!(o, "      {line}");
            }
            if let (Some(btf), MapKind::BtfDefined { .. }) = (&obj.btf, &m.kind) {
                for line in super::layout::text(btf, m) {
                    let _ = writeln!(o, "      {line}");
                }
            }
        }
    }

    fn relocations(&self, o: &mut String) {
        let obj = &self.opened.obj;
        let _ = writeln!(o, "\nRelocations");
        for c in &obj.code_sections {
            let _ = writeln!(o, "  {} ({})", c.name, c.relocs.len());
            for r in &c.relocs {
                let kind = facts::reloc_words(obj, &r.target);
                let _ = writeln!(o, "      insn {:>4}  {:<24} {kind}", r.insn_idx, r.symbol);
            }
        }
    }

    fn ext_counts(&self, o: &mut String) {
        let _ = writeln!(o, "\nfunc_info / line_info / CO-RE records (.BTF.ext)");
        let counts = ext_counts(&self.opened.obj);
        if counts.is_empty() {
            let _ = writeln!(o, "  none (no .BTF.ext: compile with -g)");
        }
        for (sec, f, l, c) in counts {
            let _ = writeln!(o, "  {sec:<28} func_info {f}  line_info {l}  CO-RE {c}");
        }
    }

    fn core_text(&self, o: &mut String) {
        let t = self.target;
        let _ = writeln!(o, "\nCO-RE relocations (target {})", t.source);
        if let Some(why) = &t.missing {
            let _ = writeln!(o, "  no target BTF ({why}); relocations listed unresolved");
        }
        if self.core.is_empty() {
            let _ = writeln!(o, "  none");
        }
        for s in self.core {
            let _ = writeln!(o, "  {}", s.section);
            for r in &s.resolved {
                let _ = writeln!(o, "    {r}");
            }
            if let Some(e) = &s.error {
                let _ = writeln!(o, "    unresolved: {e}");
            }
            for r in &s.unresolved {
                let _ = writeln!(o, "    {r}");
            }
        }
    }
}

/// (section, func_info, line_info, CO-RE) counts for every section with any.
pub fn ext_counts(obj: &loader::object::Object) -> Vec<(String, usize, usize, usize)> {
    let mut names: Vec<String> = obj.ext_info.keys().cloned().collect();
    if let Some(ext) = &obj.btf_ext {
        names.extend(ext.core_relos.iter().map(|s| s.name.clone()));
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| {
            let e = obj.ext_info.get(&n);
            let core = obj
                .btf_ext
                .as_ref()
                .and_then(|x| x.core_relos.iter().find(|s| s.name == n))
                .map_or(0, |s| s.records.len());
            (n.clone(), e.map_or(0, |e| e.func_info.len()), e.map_or(0, |e| e.line_info.len()), core)
        })
        .collect()
}

/// A map-in-map's inner template and the initial slots of `__array(values, ...)`, in words.
pub fn values_lines(m: &loader::object::MapDef) -> Vec<String> {
    let Some(v) = &m.values else { return Vec::new() };
    let mut out = Vec::new();
    if let Some(t) = &v.inner {
        out.push(format!(
            "inner maps like: type {}  key {} B  value {} B  max_entries {}",
            map_type_name(t.map_type),
            t.key_size,
            t.value_size,
            t.max_entries
        ));
    }
    let slots: Vec<String> =
        v.slots.iter().map(|s| format!("[{}] {}", s.index, crate::render::slots::slot_words(&s.target))).collect();
    out.push(format!("initial slots: {}", if slots.is_empty() { "none".into() } else { slots.join(", ") }));
    out
}

/// Where a map is defined.
pub fn map_origin(k: &MapKind) -> String {
    match k {
        MapKind::BtfDefined { .. } => ".maps".to_owned(),
        MapKind::Global { section } => section.clone(),
        MapKind::Kconfig => "__kconfig externs".to_owned(),
        MapKind::Inner => "a map-in-map's __array(values, ...)".to_owned(),
    }
}

/// Kernel name of a map type (shared with the syscall layer's table; no syscall involved).
pub fn map_type_name(t: u32) -> String {
    loader::sys::map_type_name(t)
}
