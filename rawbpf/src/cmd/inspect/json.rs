//! The JSON layout of `rawbpf inspect --json`: one document with the same parts as the text.

use super::report::{ext_counts, map_origin, map_type_name, Report};
use crate::json::{obj, Json};

fn s(v: impl Into<String>) -> Json {
    Json::String(v.into())
}

fn n(v: impl Into<Json>) -> Json {
    v.into()
}

fn opt(v: Option<String>) -> Json {
    crate::json::opt(v)
}

/// `__array(values, ...)` slots as `[{"index": 0, "map": NAME}, {"index": 1, "program": NAME}]`.
fn slots(m: &loader::object::MapDef) -> Json {
    let Some(v) = &m.values else { return Json::Array(Vec::new()) };
    let slot = |sl: &loader::object::MapSlot| match &sl.target {
        loader::object::SlotTarget::Map(name) => obj([("index", n(sl.index)), ("map", s(name))]),
        loader::object::SlotTarget::Program(name) => obj([("index", n(sl.index)), ("program", s(name))]),
    };
    Json::Array(v.slots.iter().map(slot).collect())
}

/// The whole report as JSON.
pub fn render(r: &Report<'_>) -> Json {
    let object = &r.opened.obj;
    let sections = r
        .opened
        .sections
        .iter()
        .filter(|x| !x.name.is_empty())
        .map(|x| obj([("name", s(&x.name)), ("size", n(x.size)), ("role", s(&x.role))]))
        .collect();
    obj([
        ("object", s(&object.name)),
        ("license", s(&object.license)),
        ("sections", Json::Array(sections)),
        ("programs", programs(r)),
        ("maps", maps(object)),
        ("globals", super::globals::json(object)),
        ("relocations", relocations(object)),
        ("ext_info", ext_info(object)),
        (
            "core",
            obj([
                ("target", s(&r.target.source)),
                ("target_missing", opt(r.target.missing.clone())),
                ("sections", core(r)),
            ]),
        ),
    ])
}

fn programs(r: &Report<'_>) -> Json {
    let one = |p: super::report::ProgramRow| {
        let (calls, link_error) = match p.calls {
            Ok(c) => (Json::Array(c.into_iter().map(Json::String).collect()), Json::Null),
            Err(e) => (Json::Array(Vec::new()), Json::String(e)),
        };
        obj([
            ("name", s(p.name)),
            ("section", s(p.section)),
            ("prog_type", s(p.prog_type)),
            ("expected_attach_type", opt(p.attach_type)),
            ("attach_target", opt(p.target)),
            ("insns", n(p.insns as u64)),
            ("subprograms", calls),
            ("link_error", link_error),
            ("autoload", Json::Bool(p.autoload)),
            ("problem", opt(p.problem)),
        ])
    };
    Json::Array(r.programs().into_iter().map(one).collect())
}

fn maps(object: &loader::object::Object) -> Json {
    let one = |m: &loader::object::MapDef| {
        obj([
            ("name", s(&m.name)),
            ("type", s(map_type_name(m.map_type))),
            ("type_id", n(m.map_type)),
            ("key_size", n(m.key_size)),
            ("value_size", n(m.value_size)),
            ("max_entries", n(m.max_entries)),
            ("flags", n(m.map_flags)),
            ("defined_in", s(map_origin(&m.kind))),
            ("initial_slots", slots(m)),
            (
                "layout",
                match (&object.btf, &m.kind) {
                    (Some(btf), loader::object::MapKind::BtfDefined { .. }) => super::layout::json(btf, m),
                    _ => Json::Null,
                },
            ),
        ])
    };
    Json::Array(object.maps.iter().map(one).collect())
}

fn relocations(object: &loader::object::Object) -> Json {
    let one = |c: &loader::object::CodeSection| {
        let list = c
            .relocs
            .iter()
            .map(|x| {
                obj([
                    ("insn", n(x.insn_idx as u64)),
                    ("symbol", s(&x.symbol)),
                    ("kind", s(super::facts::reloc_words(object, &x.target))),
                ])
            })
            .collect();
        obj([("section", s(&c.name)), ("relocations", Json::Array(list))])
    };
    Json::Array(object.code_sections.iter().map(one).collect())
}

fn ext_info(object: &loader::object::Object) -> Json {
    let one = |(sec, f, l, c): (String, usize, usize, usize)| {
        obj([("section", s(sec)), ("func_info", n(f as u64)), ("line_info", n(l as u64)), ("core_relos", n(c as u64))])
    };
    Json::Array(ext_counts(object).into_iter().map(one).collect())
}

fn core(r: &Report<'_>) -> Json {
    let relo = |x: &btf::core::CoreResolution| {
        obj([
            ("index", n(x.relo_idx as u64)),
            ("insn", n(x.insn_idx as u64)),
            ("kind", s(x.kind.to_string())),
            ("spec", s(&x.local_spec)),
            ("access", s(&x.access)),
            ("local_value", n(x.local_value)),
            ("target_value", x.target_value.map_or(Json::Null, n)),
            ("text", s(x.to_string())),
        ])
    };
    let section = |c: &super::facts::CoreSection| {
        obj([
            ("section", s(&c.section)),
            ("resolved", Json::Array(c.resolved.iter().map(relo).collect())),
            ("unresolved", Json::Array(c.unresolved.iter().map(s).collect())),
            ("error", opt(c.error.clone())),
        ])
    };
    Json::Array(r.core.iter().map(section).collect())
}
