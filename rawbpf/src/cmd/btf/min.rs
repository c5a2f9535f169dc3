//! `rawbpf btf min OBJ --btf FULL -o MIN`: the smallest BTF an object's CO-RE relocations need.

use std::path::PathBuf;

use btf::core::{relocate_section, CoreCache, CoreResolution};
use btf::Btf;
use clap::Args;
use loader::object::Object;

use crate::json::obj;
use crate::render::error::chain;

pub(super) const MIN_LONG_ABOUT: &str = "\
Write the smallest BTF that an object's CO-RE relocations need, out of a full kernel BTF —
what `bpftool gen min_core_btf` does for BTFHub: ship a few KiB per kernel with your program
instead of the kernel's megabytes, for kernels that expose no /sys/kernel/btf/vmlinux.

Each relocation is resolved against FULL; the result keeps its target type with only the
members its access path goes through (sizes and offsets unchanged), the types those members
need (a struct behind a pointer as an empty struct of the same size), and every other
candidate as a shell, so CO-RE against MIN finds the same candidates and computes the same
values. rawbpf checks that before writing: each relocation is resolved again against MIN and
must give FULL's value.

FULL may be raw BTF, a vmlinux ELF, a vmlinuz or a linux-image .deb (as every --btf).

Examples:
  rawbpf btf min progs/core_move.o --btf /sys/kernel/btf/vmlinux -o core_move.min.btf
  rawbpf btf min tool.bpf.o --btf linux-image-6.1.0-57-cloud-amd64-unsigned_6.1.158-1_amd64.deb -o 6.1.btf
  sudo rawbpf load tool.bpf.o --btf 6.1.btf

Exit status: 0 when MIN was written, 1 on an unreadable input or a relocation MIN would change, 2 on bad usage.";

#[derive(Args, Debug)]
pub(super) struct MinArgs {
    /// The BPF object whose CO-RE relocations decide what is kept.
    object: PathBuf,
    /// The full target BTF (raw BTF, vmlinux ELF, vmlinuz or linux-image .deb).
    #[arg(long, value_name = "FULL")]
    btf: PathBuf,
    /// Where to write the minimal raw BTF.
    #[arg(short, long, value_name = "MIN")]
    output: PathBuf,
    /// Print the report as one JSON document.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(a: &MinArgs) -> Result<(), String> {
    let object = Object::open(&a.object).map_err(|e| chain(&e))?;
    let full = btf::source::file(&a.btf).map_err(|e| format!("--btf {}: {}", a.btf.display(), chain(&e)))?;
    let on_full = resolve_all(&object, &full).map_err(|e| format!("CO-RE against {}: {e}", a.btf.display()))?;
    let bytes = btf::min::minimize(&full, &btf::min::needs(&on_full)).map_err(|e| chain(&e))?;
    let min = Btf::parse(bytes.clone()).map_err(|e| format!("the minimal BTF does not parse: {}", chain(&e)))?;
    let on_min = resolve_all(&object, &min).map_err(|e| format!("CO-RE against the minimal BTF: {e}"))?;
    let changed: Vec<String> = on_full
        .iter()
        .zip(&on_min)
        .filter(|(f, m)| f.target_value != m.target_value && f.kind != btf::core::RelocKind::TypeIdTarget)
        .map(|(f, m)| format!("{}: {:?} against FULL, {:?} against MIN", f.local_spec, f.target_value, m.target_value))
        .collect();
    if !changed.is_empty() {
        return Err(format!(
            "the minimal BTF would change {} relocation(s):\n  {}",
            changed.len(),
            changed.join("\n  ")
        ));
    }
    std::fs::write(&a.output, &bytes).map_err(|e| format!("cannot write {}: {e}", a.output.display()))?;
    let full_len = full.raw().len();
    let (relos, types) = (on_full.len(), min.count() - 1);
    let out = a.output.display();
    if a.json {
        let doc = obj([
            ("object", a.object.display().to_string().into()),
            ("full", a.btf.display().to_string().into()),
            ("full_bytes", (full_len as u64).into()),
            ("full_types", u64::from(full.count() - 1).into()),
            ("min", out.to_string().into()),
            ("min_bytes", (bytes.len() as u64).into()),
            ("min_types", u64::from(types).into()),
            ("relocations", (relos as u64).into()),
        ]);
        println!("{doc}");
    } else {
        println!(
            "{out}: {} bytes, {types} types (from {} bytes, {} types) for {relos} CO-RE relocation(s) of {}; \
             each resolves to the same value against both",
            bytes.len(),
            full_len,
            full.count() - 1,
            a.object.display()
        );
    }
    Ok(())
}

/// Every CO-RE relocation of `obj`, resolved against `target`, in section and record order.
fn resolve_all(obj: &Object, target: &Btf) -> Result<Vec<CoreResolution>, String> {
    let (Some(ext), Some(local)) = (&obj.btf_ext, &obj.btf) else { return Ok(Vec::new()) };
    let mut cache = CoreCache::new();
    let mut out = Vec::new();
    for sec in ext.core_relos.iter().filter(|s| !s.records.is_empty()) {
        let Some(code) = obj.code_sections.iter().find(|c| c.name == sec.name) else { continue };
        let mut insns = code.insns.clone();
        let report = relocate_section(local, target, &sec.records, &mut insns, &mut cache)
            .map_err(|e| format!("section {}: {}", sec.name, chain(&e)))?;
        out.extend(report.resolutions);
    }
    Ok(out)
}
