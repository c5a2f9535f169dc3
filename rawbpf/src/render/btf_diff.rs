//! `rawbpf btf diff`: one type across two BTFs, and the CO-RE relocations its differences touch.

use btf::diff::{
    CompositeDiff, EnumDiff, EnumeratorChange, FuncDiff, MemberChange, MemberInfo, ParamChange, Touch, TouchReason,
    TypeDiff,
};

use crate::json::{obj, opt, Json};

/// The text report of `d` between A and B (`origins`), with `touches` when an object was given.
pub fn report(d: &TypeDiff, origins: (&str, &str), touches: Option<(&str, usize, &[Touch])>) -> String {
    let mut s = format!("A: {}\nB: {}\n", origins.0, origins.1);
    match d {
        TypeDiff::Composite(c) => composite(c, &mut s),
        TypeDiff::Enum(e) => enumeration(e, &mut s),
        TypeDiff::Func(f) => func(f, &mut s),
    }
    if d.is_empty() {
        s.push_str("  no differences\n");
    }
    if let Some((object, total, list)) = touches {
        s.push_str(&format!("\nCO-RE relocations of {object} the differences touch: {} of {total}\n", list.len()));
        for t in list {
            let insn = t.insn.map_or("?".into(), |i| i.to_string());
            s.push_str(&format!("  {} #{} insn {insn}  {}  {}\n", t.section, t.index, t.kind.libbpf_name(), t.access));
            s.push_str(&format!("      {}\n", reason(&t.reason)));
        }
    }
    s
}

fn kind_word(k: btf::Kind) -> &'static str {
    if k == btf::Kind::Union {
        "union"
    } else {
        "struct"
    }
}

fn composite(c: &CompositeDiff, s: &mut String) {
    let kind = if c.old_kind == c.new_kind {
        kind_word(c.new_kind).to_owned()
    } else {
        format!("{} -> {}", kind_word(c.old_kind), kind_word(c.new_kind))
    };
    s.push_str(&format!(
        "{kind} {}: size {}, {} members in A; size {}, {} members in B\n",
        c.name, c.old_size, c.old_members, c.new_size, c.new_members
    ));
    for ch in &c.changes {
        s.push_str(&format!("  {}\n", member_change(ch)));
    }
    let unchanged = c.new_members - c.changes.iter().filter(|x| !matches!(x, MemberChange::Removed(_))).count();
    if !c.changes.is_empty() {
        s.push_str(&format!("  ({unchanged} members unchanged)\n"));
    }
}

/// A member where it stands: `offset 24, size 8, struct sk_buff *` (a bitfield: `offset 16:3, 5 bits`).
fn placed(m: &MemberInfo) -> String {
    let width = if m.bitfield_size != 0 { format!("{} bits", m.bitfield_size) } else { format!("size {}", m.size) };
    format!("offset {}, {width}, {}", m.offset_text(), m.type_name)
}

/// One member change: `+ name  …`, `- name  …`, `~ name  offset 4 -> 8, type int -> long`.
fn member_change(ch: &MemberChange) -> String {
    match ch {
        MemberChange::Added(m) => format!("+ {:<24} {}", m.name, placed(m)),
        MemberChange::Removed(m) => format!("- {:<24} {}", m.name, placed(m)),
        MemberChange::Changed { old, new } => format!("~ {:<24} {}", new.name, changed(old, new)),
    }
}

fn changed(old: &MemberInfo, new: &MemberInfo) -> String {
    let mut parts = Vec::new();
    if old.bit_offset != new.bit_offset || (old.bitfield_size != 0) != (new.bitfield_size != 0) {
        parts.push(format!("offset {} -> {}", old.offset_text(), new.offset_text()));
    }
    if old.size != new.size {
        parts.push(format!("size {} -> {}", old.size, new.size));
    }
    if old.bitfield_size != new.bitfield_size {
        parts.push(format!("bits {} -> {}", old.bitfield_size, new.bitfield_size));
    }
    if old.type_name != new.type_name {
        parts.push(format!("type {} -> {}", old.type_name, new.type_name));
    }
    parts.join(", ")
}

fn enumeration(e: &EnumDiff, s: &mut String) {
    s.push_str(&format!(
        "enum {}: size {}, {} enumerators in A; size {}, {} enumerators in B\n",
        e.name, e.old_size, e.old_count, e.new_size, e.new_count
    ));
    for ch in &e.changes {
        s.push_str(&format!("  {}\n", enumerator_change(ch)));
    }
}

fn enumerator_change(ch: &EnumeratorChange) -> String {
    match ch {
        EnumeratorChange::Added(n, v) => format!("+ {n} = {v}"),
        EnumeratorChange::Removed(n, v) => format!("- {n} = {v}"),
        EnumeratorChange::Changed { name, old, new } => format!("~ {name} = {old} -> {new}"),
    }
}

fn func(f: &FuncDiff, s: &mut String) {
    s.push_str(&format!("func {}\n  A: {}\n  B: {}\n", f.name, f.old_prototype, f.new_prototype));
    if f.old_ret != f.new_ret {
        s.push_str(&format!("  ~ return type {} -> {}\n", f.old_ret, f.new_ret));
    }
    for ch in &f.changes {
        s.push_str(&format!("  {}\n", param_change(ch)));
    }
}

fn param_change(ch: &ParamChange) -> String {
    match ch {
        ParamChange::Added(p) => format!("+ param {} {}: {}", p.index, p.name, p.type_name),
        ParamChange::Removed(p) => format!("- param {} {}: {}", p.index, p.name, p.type_name),
        ParamChange::Changed { old, new } => {
            format!("~ param {} {}: {} -> {}: {}", new.index, old.name, old.type_name, new.name, new.type_name)
        }
    }
}

fn reason(r: &TouchReason) -> String {
    match r {
        TouchReason::Member(MemberChange::Changed { old, new }) => format!("{}: {}", new.name, changed(old, new)),
        TouchReason::Member(MemberChange::Removed(m)) => format!("{}: removed (was at {})", m.name, placed(m)),
        TouchReason::Member(MemberChange::Added(m)) => format!("{}: added at {}", m.name, placed(m)),
        TouchReason::Type { old_size, new_size } => format!("the type itself: size {old_size} -> {new_size}"),
        TouchReason::Enumerator(ch) => format!("the enumerator: {}", enumerator_change(ch)),
    }
}

fn member_json(m: &MemberInfo) -> Json {
    obj([
        ("offset", m.offset_text().into()),
        ("bit_offset", m.bit_offset.into()),
        ("bitfield_size", m.bitfield_size.into()),
        ("size", m.size.into()),
        ("type", m.type_name.clone().into()),
    ])
}

fn change_json(ch: &MemberChange) -> Json {
    let (what, old, new) = match ch {
        MemberChange::Added(m) => ("added", None, Some(m)),
        MemberChange::Removed(m) => ("removed", Some(m), None),
        MemberChange::Changed { old, new } => ("changed", Some(old), Some(new)),
    };
    obj([
        ("change", what.into()),
        ("name", ch.name().into()),
        ("old", old.map_or(Json::Null, member_json)),
        ("new", new.map_or(Json::Null, member_json)),
    ])
}

fn body_json(d: &TypeDiff) -> Vec<(&'static str, Json)> {
    match d {
        TypeDiff::Composite(c) => vec![
            ("kind", kind_word(c.new_kind).into()),
            ("old_size", c.old_size.into()),
            ("new_size", c.new_size.into()),
            ("changes", Json::Array(c.changes.iter().map(change_json).collect())),
        ],
        TypeDiff::Enum(e) => {
            let ch = e.changes.iter().map(|c| enumerator_change(c).into()).collect();
            vec![
                ("kind", "enum".into()),
                ("old_size", e.old_size.into()),
                ("new_size", e.new_size.into()),
                ("changes", Json::Array(ch)),
            ]
        }
        TypeDiff::Func(f) => {
            let ch = f.changes.iter().map(|c| param_change(c).into()).collect();
            vec![
                ("kind", "func".into()),
                ("old_prototype", f.old_prototype.clone().into()),
                ("new_prototype", f.new_prototype.clone().into()),
                ("changes", Json::Array(ch)),
            ]
        }
    }
}

/// The same report as one JSON document.
pub fn report_json(d: &TypeDiff, origins: (&str, &str), touches: Option<(&str, usize, &[Touch])>) -> Json {
    let mut f: Vec<(&'static str, Json)> =
        vec![("name", d.name().into()), ("a", origins.0.into()), ("b", origins.1.into())];
    f.extend(body_json(d));
    f.push(("differs", (!d.is_empty()).into()));
    let relos = touches.map(|(object, total, list)| {
        let l = list
            .iter()
            .map(|t| {
                obj([
                    ("section", t.section.clone().into()),
                    ("index", t.index.into()),
                    ("insn", opt(t.insn)),
                    ("kind", t.kind.libbpf_name().into()),
                    ("access", t.access.clone().into()),
                    ("reason", reason(&t.reason).into()),
                ])
            })
            .collect();
        obj([("object", object.into()), ("total", total.into()), ("touched", Json::Array(l))])
    });
    f.push(("relocations", relos.unwrap_or(Json::Null)));
    obj(f)
}
