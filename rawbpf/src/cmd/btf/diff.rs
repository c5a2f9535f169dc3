//! `rawbpf btf diff NAME --btf A --btf B [--object OBJ]`: one type across two kernels.

use std::path::PathBuf;

use btf::Kind;
use clap::Args;

use crate::render::btf_diff as render;

pub(super) const DIFF_LONG_ABOUT: &str = "\
Show how a struct, union, enum or function differs between two BTFs (two kernels): members
added, removed, moved or resized, with their offsets as `btf dump` prints them (bytes, or
bytes:bit for bitfields) and their types; enumerators added, removed or renumbered; a
function's return type and parameters.

Members are matched by name; those of anonymous structs and unions count as the named type's
own (C and CO-RE reach them by name). Each --btf takes what `btf dump --btf` takes: raw BTF, an
ELF with .BTF, a vmlinuz or a linux-image .deb, or /sys/kernel/btf/vmlinux.

With --object, the BPF object's CO-RE relocations whose access goes through a changed or
removed member (or ask the type's size, or read a changed enumerator) are listed: those are the
ones that relocate differently on the two kernels.

Examples:
  rawbpf btf diff task_struct --btf 6.1.btf --btf vmlinuz-6.12
  rawbpf btf diff tcp_connect --btf A.btf --btf B.btf
  rawbpf btf diff sock --btf A.btf --btf B.btf --object prog.bpf.o --json

Exit status: 0 when compared (differences or not), 1 when a type or file is missing, 2 on bad usage.";

#[derive(Args, Debug)]
pub(super) struct DiffArgs {
    /// The struct, union, enum or function to compare.
    name: String,
    /// The two BTFs, old then new: `--btf A --btf B`.
    #[arg(long, value_name = "FILE", required = true, num_args = 1)]
    btf: Vec<PathBuf>,
    /// Only a type of this kind: struct, union, enum, enum64 or func.
    #[arg(long, value_parser = super::parse_kind)]
    kind: Option<Kind>,
    /// A BPF object whose CO-RE relocations to check against the differences.
    #[arg(long, value_name = "OBJ")]
    object: Option<PathBuf>,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(a: &DiffArgs) -> Result<(), String> {
    let [pa, pb] = a.btf.as_slice() else {
        return Err(format!("btf diff takes two --btf files (old, new); {} given", a.btf.len()));
    };
    let (ba, oa) = super::load(Some(pa)).map_err(|e| crate::render::error::btf_source(&e))?;
    let (bb, ob) = super::load(Some(pb)).map_err(|e| crate::render::error::btf_source(&e))?;
    let d = btf::diff::diff(&ba, &bb, &a.name, a.kind).map_err(|e| match &e {
        btf::diff::DiffError::NotFound { side, kinds, .. } if !kinds.is_empty() => format!(
            "{}\n  {} has '{}' only as: {}",
            crate::render::error::chain(&e),
            if *side == btf::diff::Side::A { &oa } else { &ob },
            a.name,
            kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
        ),
        _ => crate::render::error::chain(&e),
    })?;
    let object = a.object.as_ref().map(|p| relocations(p, &d)).transpose()?;
    let touches = object.as_ref().map(|(name, total, list)| (name.as_str(), *total, list.as_slice()));
    let text = if a.json {
        format!("{}\n", render::report_json(&d, (&oa, &ob), touches))
    } else {
        render::report(&d, (&oa, &ob), touches)
    };
    super::write_out(|w| w.write_all(text.as_bytes()))
}

/// The object's name, its CO-RE relocation count, and those the diff touches.
fn relocations(
    path: &std::path::Path,
    d: &btf::diff::TypeDiff,
) -> Result<(String, usize, Vec<btf::diff::Touch>), String> {
    let name = path.display().to_string();
    let obj = loader::object::Object::open(path).map_err(|e| format!("{name}: {}", crate::render::error::chain(&e)))?;
    let (Some(local), Some(ext)) = (obj.btf.as_ref(), obj.btf_ext.as_ref()) else {
        return Err(format!("{name}: no .BTF and .BTF.ext, so no CO-RE relocations (built without clang -g?)"));
    };
    let total = ext.core_relos.iter().map(|s| s.records.len()).sum();
    Ok((name, total, btf::diff::touched(d, local, &ext.core_relos)))
}
