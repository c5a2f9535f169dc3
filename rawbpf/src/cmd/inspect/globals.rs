//! The object's global variables as `inspect` shows them: each one's C declaration, where it
//! lives (section and offset, the map value `--set` writes) and its initial value decoded by
//! the object's BTF — what a libbpf skeleton's `rodata`/`data`/`bss` structs would hold
//! before `--set` changes them.

use std::fmt::Write;

use btf::value::decode;
use loader::globals::{self, GlobalVar};
use loader::object::Object;

use crate::json::{obj, Json};
use crate::render::value;

/// One variable, ready to print.
struct Row {
    var: GlobalVar,
    decl: String,
    initial: Result<btf::value::Value, Vec<u8>>,
}

fn rows(object: &Object) -> Vec<Row> {
    let (Ok(vars), Some(btf)) = (globals::list(object), object.btf.as_ref()) else {
        return Vec::new();
    };
    vars.into_iter()
        .map(|var| {
            let bytes = var.initial(object);
            let decl = btf::c::decl::decl(btf, var.type_id, &var.name).unwrap_or_else(|_| var.name.clone());
            let initial = decode(btf, var.type_id, &bytes).map_err(|_| bytes);
            Row { var, decl, initial }
        })
        .collect()
}

/// The "Globals" part of the text report.
pub fn text(object: &Object, o: &mut String) {
    let rows = rows(object);
    let _ = writeln!(o, "\nGlobals ({}; set with load --set NAME=VALUE)", rows.len());
    let at = |r: &Row| format!("{}+{} ({} B)", r.var.section, r.var.offset, r.var.size);
    let decl_w = rows.iter().map(|r| r.decl.len()).max().unwrap_or(0);
    let at_w = rows.iter().map(|r| at(r).len()).max().unwrap_or(0);
    for r in &rows {
        let init = match &r.initial {
            Ok(v) => value::text(v),
            Err(bytes) => value::hex(bytes),
        };
        let _ = writeln!(o, "  {:<decl_w$}  {:<at_w$}  = {init}", r.decl, at(r));
    }
}

/// The `globals` array of the JSON report.
pub fn json(object: &Object) -> Json {
    let rows = rows(object)
        .into_iter()
        .map(|r| {
            let initial = match &r.initial {
                Ok(v) => value::json(v),
                Err(bytes) => Json::String(value::hex(bytes)),
            };
            obj([
                ("name", Json::String(r.var.name)),
                ("decl", Json::String(r.decl)),
                ("section", Json::String(r.var.section)),
                ("offset", r.var.offset.into()),
                ("size", r.var.size.into()),
                ("initial", initial),
            ])
        })
        .collect();
    Json::Array(rows)
}
