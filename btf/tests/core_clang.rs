//! CO-RE over real clang output: progs/core_demo.bpf.c (local view) relocated against the BTF
//! of progs/core_demo_target.bpf.c (a different layout of the same types). Skips when
//! clang-19 is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use btf::core::{
    patch, poison_reloc_index, relocate, relocate_section, CoreCache, CoreResolution, PatchOutcome, PoisonLog,
    RelocKind,
};
use btf::ext::BtfExt;
use btf::insn::Insn;
use btf::source::{elf_section, parse_raw_or_elf};
use btf::types::Kind;
use btf::wire::Endian;
use btf::Btf;

const SECTION: &str = "raw_tp/demo";

/// Compiles `src` from progs/; `None` (after printing `SKIP: <test>: ...`) when clang-19 cannot run.
fn compile(test: &str, src: &str, out_dir: &Path) -> Option<Vec<u8>> {
    let progs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../progs");
    let out = out_dir.join(src.replace(".c", ".o"));
    let status = Command::new("clang-19")
        .args(["-target", "bpfel", "-g", "-O2", "-c"])
        .arg(progs.join(src))
        .arg("-o")
        .arg(&out)
        .status();
    match status {
        Ok(s) if s.success() => Some(std::fs::read(&out).unwrap()),
        Ok(s) => panic!("clang-19 failed on {src}: {s}"),
        Err(e) => {
            println!("SKIP: {test}: clang-19 not runnable ({e})");
            None
        }
    }
}

struct Relocated {
    insns: Vec<Insn>,
    results: Vec<CoreResolution>,
    outcomes: Vec<PatchOutcome>,
    poison: PoisonLog,
    target: Btf,
}

fn relocate_demo(test: &str) -> Option<(Relocated, BtfExt)> {
    let dir: PathBuf = std::env::temp_dir().join(format!("rawbpf-core-clang-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The first compile prints the SKIP line; a second cannot fail to spawn after it ran.
    let obj = compile(test, "core_demo.bpf.c", &dir)?;
    let target_obj = compile(test, "core_demo_target.bpf.c", &dir)?;
    let _ = std::fs::remove_dir_all(&dir);

    let local = Btf::parse(elf_section(&obj, ".BTF").unwrap()).unwrap();
    let ext = BtfExt::parse(&elf_section(&obj, ".BTF.ext").unwrap(), &local).unwrap();
    let target = parse_raw_or_elf(target_obj).unwrap();
    let mut insns = Insn::decode_all(&elf_section(&obj, SECTION).unwrap(), Endian::Little).unwrap();
    let mut cache = CoreCache::new();
    let (mut results, mut outcomes, mut poison) = (Vec::new(), Vec::new(), PoisonLog::new());
    for (i, relo) in ext.core_relos_for(SECTION).iter().enumerate() {
        let res = relocate(&local, &target, relo, i, &mut cache).unwrap_or_else(|e| panic!("{e}"));
        let out = patch(&mut insns, res.insn_idx, &res).unwrap_or_else(|e| panic!("{e}"));
        println!("{res}\n    {out}");
        poison.record(&out);
        results.push(res);
        outcomes.push(out);
    }
    // The one-call form gives the same instructions and verdicts.
    let mut again = Insn::decode_all(&elf_section(&obj, SECTION).unwrap(), Endian::Little).unwrap();
    let report =
        relocate_section(&local, &target, ext.core_relos_for(SECTION), &mut again, &mut CoreCache::new()).unwrap();
    assert_eq!(
        (again.as_slice(), report.outcomes.as_slice(), &report.poison),
        (insns.as_slice(), outcomes.as_slice(), &poison)
    );
    assert_eq!(report.poisoned().map(|r| r.relo_idx).collect::<Vec<_>>(), [7]);
    Some((Relocated { insns, results, outcomes, poison, target }, ext))
}

fn at(r: &Relocated, insn: usize) -> &CoreResolution {
    r.results.iter().find(|x| x.insn_idx == insn).unwrap_or_else(|| panic!("no relocation at insn {insn}"))
}

#[test]
fn clang_relocations_follow_the_target_layout() {
    let Some((r, ext)) = relocate_demo("clang_relocations_follow_the_target_layout") else {
        return;
    };
    assert_eq!(r.results.len(), 11, "one relocation per CO-RE access in core_demo.bpf.c");
    let by_spec = |spec: &str, kind: RelocKind| {
        r.results
            .iter()
            .find(|x| x.local_spec == spec && x.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} relocation for {spec}"))
    };
    // Plain fields: struct demo gained an 8-byte field in front, demo_common a 4-byte pad.
    let pid = by_spec("struct demo::pid", RelocKind::FieldByteOffset);
    assert_eq!((pid.local_value, pid.target_value), (0, Some(16)));
    let dport = by_spec("struct demo::c.dport", RelocKind::FieldByteOffset);
    assert_eq!((dport.access.as_str(), dport.local_value, dport.target_value), ("0:1:0", 4, Some(14)));
    assert_eq!(dport.target.as_ref().unwrap().raw, "0:1:2");
    let arr = by_spec("struct demo::arr[2]", RelocKind::FieldByteOffset);
    assert_eq!((arr.local_value, arr.target_value), (32, Some(40)));
    // The loads themselves now read the target's offsets.
    assert_eq!(r.insns[pid.insn_idx].to_bytes(Endian::Little), [0x61, 0x12, 16, 0, 0, 0, 0, 0]);
    assert_eq!(r.insns[dport.insn_idx].to_bytes(Endian::Little), [0x69, 0x10, 14, 0, 0, 0, 0, 0]);
    assert_eq!(r.insns[arr.insn_idx].to_bytes(Endian::Little), [0x79, 0x12, 40, 0, 0, 0, 0, 0]);
    // Bitfield `mode`: bit 67 locally, bit 170 in the target; both in a u32 load.
    let lshift = by_spec("struct demo::mode", RelocKind::FieldLshiftU64);
    assert_eq!((lshift.local_value, lshift.target_value), (56, Some(49)));
    assert_eq!(r.insns[lshift.insn_idx].imm, 49);
    assert_eq!(by_spec("struct demo::mode", RelocKind::FieldRshiftU64).target_value, Some(59));
    // clang chose an 8-byte size for the bitfield; libbpf's rule gives 4 and bitfield sizes
    // are not validated, so the instruction is simply rewritten.
    let size = by_spec("struct demo::mode", RelocKind::FieldByteSize);
    assert!(!size.validate);
    assert_eq!(r.insns[size.insn_idx].imm, 4);
    // `removed` is gone: the existence check becomes 0 and the guarded load is poisoned.
    let exists = by_spec("struct demo::removed", RelocKind::FieldExists);
    assert_eq!(r.insns[exists.insn_idx].imm, 0);
    let removed = by_spec("struct demo::removed", RelocKind::FieldByteOffset);
    assert!(removed.is_poison());
    assert_eq!(r.insns[removed.insn_idx].imm, 195896080);
    assert_eq!(poison_reloc_index(&r.poison, removed.insn_idx), Some(removed.relo_idx));
    assert!(matches!(&r.outcomes[removed.relo_idx], PatchOutcome::Poisoned { .. }));
    // Whole-type and enum relocations.
    assert_eq!(by_spec("struct demo", RelocKind::TypeSize).target_value, Some(72));
    let off = by_spec("enum demo_state::DEMO_OFF", RelocKind::EnumvalValue);
    assert_eq!((off.local_value, off.target_value), (2, Some(7)));
    assert_eq!((r.insns[off.insn_idx].imm, r.insns[off.insn_idx + 1].imm), (7, 0));
    let target_demo = r.target.find_by_name_kind("demo", Kind::Struct).unwrap();
    let tid = by_spec("struct demo", RelocKind::TypeIdTarget);
    assert_eq!(tid.target_value, Some(target_demo.get() as u64));
    assert_eq!(at(&r, tid.insn_idx).kind, RelocKind::TypeIdTarget);

    // The rest of .BTF.ext describes the same section.
    let fi = ext.func_info_for(SECTION);
    assert_eq!(fi.len(), 1);
    assert_eq!(fi[0].insn_off, 0);
    let li = ext.line_info_for(SECTION);
    assert!(!li.is_empty() && li.iter().all(|l| l.file_name.ends_with("core_demo.bpf.c")));
    assert!(li.iter().any(|l| l.line.contains("r += d->pid;")), "{li:?}");
}
