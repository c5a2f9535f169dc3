//! CO-RE against the running kernel's BTF, checked against libbpf itself: progs/core_vmlinux.bpf.c
//! is relocated by us and by libbpf (`bpftool -d prog load` prints libbpf's CO-RE log, whether or
//! not the verifier then accepts the program), and every relocation must agree on the patched
//! instruction and value, or on poisoning. Skips without root, clang-19, bpftool or kernel BTF.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use btf::core::{patch, relocate, CoreCache, PatchOutcome};
use btf::ext::BtfExt;
use btf::insn::Insn;
use btf::source::{elf_section, vmlinux, VMLINUX_BTF};
use btf::wire::Endian;
use btf::Btf;

const SECTION: &str = "raw_tp/sys_enter";

/// What happened to one relocation: `(instruction index, Some(new value) | None = poisoned)`.
type Verdicts = BTreeMap<usize, (usize, Option<u64>)>;

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
}

fn skip_reason() -> Option<String> {
    if !is_root() {
        return Some("not root (bpftool prog load needs it)".into());
    }
    if !Path::new(VMLINUX_BTF).exists() {
        return Some(format!("{VMLINUX_BTF} missing"));
    }
    for tool in ["clang-19", "bpftool"] {
        if Command::new(tool).arg("--version").output().is_err() {
            return Some(format!("{tool} not installed"));
        }
    }
    if !Path::new("/sys/fs/bpf").is_dir() {
        return Some("no bpffs at /sys/fs/bpf".into());
    }
    None
}

/// Parses libbpf's debug lines `relo #N: patched insn #I (...) off A -> B` and
/// `relo #N: substituting insn #I w/ invalid insn`.
fn libbpf_verdicts(log: &str) -> Verdicts {
    let mut out = Verdicts::new();
    for line in log.lines() {
        let Some(rest) = line.split("relo #").nth(1) else {
            continue;
        };
        let Some((num, rest)) = rest.split_once(": ") else {
            continue;
        };
        let Ok(relo) = num.parse::<usize>() else {
            continue;
        };
        let insn_of = |s: &str| s.split('#').nth(1).and_then(|x| x.split_whitespace().next()?.parse::<usize>().ok());
        if rest.starts_with("patched insn #") && !rest.contains(" mem_sz ") {
            let insn = insn_of(rest).unwrap();
            let new = rest.rsplit("-> ").next().unwrap().trim().parse::<u64>().unwrap();
            out.insert(relo, (insn, Some(new)));
        } else if rest.starts_with("substituting insn #") {
            // ld_imm64 poisoning logs the second slot first; keep the lower index.
            let insn = insn_of(rest).unwrap();
            let e = out.entry(relo).or_insert((insn, None));
            e.0 = e.0.min(insn);
        }
    }
    out
}

#[test]
fn our_relocations_agree_with_libbpf_on_the_running_kernel() {
    if let Some(why) = skip_reason() {
        println!("SKIP: our_relocations_agree_with_libbpf_on_the_running_kernel: {why}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("rawbpf-core-vmlinux-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let obj_path = dir.join("core_vmlinux.bpf.o");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../progs/core_vmlinux.bpf.c");
    let clang = Command::new("clang-19")
        .args(["-target", "bpfel", "-g", "-O2", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj_path)
        .status();
    assert!(clang.unwrap().success());
    let obj = std::fs::read(&obj_path).unwrap();

    // libbpf's answers.
    let pin = format!("/sys/fs/bpf/rawbpf_core_oracle_{}", std::process::id());
    let out = Command::new("bpftool").arg("-d").args(["prog", "load"]).arg(&obj_path).arg(&pin).output().unwrap();
    let _ = std::fs::remove_file(&pin);
    let _ = std::fs::remove_dir_all(&dir);
    let log = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let expected = libbpf_verdicts(&log);

    // Ours.
    let start = Instant::now();
    let kernel = vmlinux().unwrap();
    let local = Btf::parse(elf_section(&obj, ".BTF").unwrap()).unwrap();
    let ext = BtfExt::parse(&elf_section(&obj, ".BTF.ext").unwrap(), &local).unwrap();
    let mut insns = Insn::decode_all(&elf_section(&obj, SECTION).unwrap(), Endian::Little).unwrap();
    let relos = ext.core_relos_for(SECTION);
    let mut cache = CoreCache::new();
    let mut ours = Verdicts::new();
    for (i, relo) in relos.iter().enumerate() {
        let res = relocate(&local, &kernel, relo, i, &mut cache).unwrap_or_else(|e| panic!("{e}"));
        let outcome = patch(&mut insns, res.insn_idx, &res).unwrap_or_else(|e| panic!("{e}"));
        println!("{res}\n    {outcome}");
        let verdict = match outcome {
            PatchOutcome::Patched { insn_idx, .. } => (insn_idx, res.target_value),
            PatchOutcome::Poisoned { insns, .. } => (insns[0], None),
        };
        ours.insert(i, verdict);
    }
    println!(
        "parsed vmlinux and resolved {} relocations in {:?} ({} candidate lookups)",
        relos.len(),
        start.elapsed(),
        cache.lookups()
    );

    assert_eq!(relos.len(), 22);
    assert_eq!(expected.len(), relos.len(), "libbpf log did not cover every relocation:\n{log}");
    for (relo, want) in &expected {
        assert_eq!(ours.get(relo), Some(want), "relocation #{relo} differs from libbpf\n{log}");
    }
}

#[test]
fn libbpf_log_lines_parse() {
    let log = "libbpf: prog 'p': relo #3: patched insn #8 (LDX/ST/STX) off 32 -> 1280\n\
               libbpf: prog 'p': relo #3: patched insn #8 (LDX/ST/STX) mem_sz 4 -> 8\n\
               libbpf: prog 'p': relo #9: substituting insn #22 w/ invalid insn\n\
               libbpf: prog 'p': relo #9: substituting insn #21 w/ invalid insn\n\
               libbpf: prog 'p': relo #10: patched insn #30 (LDIMM64) imm64 2 -> 114\n";
    let v = libbpf_verdicts(log);
    assert_eq!(v.get(&3), Some(&(8, Some(1280))));
    assert_eq!(v.get(&9), Some(&(21, None)));
    assert_eq!(v.get(&10), Some(&(30, Some(114))));
}
