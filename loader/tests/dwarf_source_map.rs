//! DWARF source mapping against real clang-19 output, checked against llvm-objdump-19 as an oracle.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use loader::dwarf::{DebugRelocProblem, DwarfContext, DwarfError, DwarfLines};
use loader::object::SectionIndex;
use object::{Object, ObjectSection};

const HELPER_H: &str = r#"typedef unsigned int u32;

static inline __attribute__((always_inline)) u32 mix(u32 a, u32 b)
{
	u32 x = a * 2654435761u; /* MIX_MUL */
	x ^= b >> 3; /* MIX_XOR */
	return x + 7; /* MIX_RET */
}
"#;

const PROG_C: &str = r#"#include "inc/helper.h"

typedef unsigned long long u64;

static __attribute__((noinline)) int sub(int x)
{
	return x * 3 + 1; /* SUB_BODY */
}

__attribute__((section("xdp"), used))
int prog_one(void *ctx)
{
	u32 v = (u32)(unsigned long)ctx;
	return mix(v, 5) + sub(v); /* ONE_RET */
}

__attribute__((section("tp/syscalls/sys_enter_getpid"), used))
int prog_two(void *ctx)
{
	u64 p = (unsigned long)ctx;
	u32 r = mix((u32)p, (u32)(p >> 32));
	return r & 0xff; /* TWO_RET */
}

char _license[] __attribute__((section("license"), used)) = "GPL";
"#;

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("rawbpf-dwarf-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("inc")).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Compiles the test program in `dir` (relative names, so the DWARF paths depend on comp_dir).
fn compile(dir: &Path, debug_flags: &[&str]) -> Vec<u8> {
    std::fs::write(dir.join("inc/helper.h"), HELPER_H).unwrap();
    std::fs::write(dir.join("prog.c"), PROG_C).unwrap();
    let mut cmd = Command::new("clang-19");
    cmd.current_dir(dir).args(["-target", "bpf", "-O2", "-c", "prog.c", "-o", "prog.o"]);
    cmd.args(debug_flags);
    let out = cmd.output().expect("run clang-19");
    assert!(out.status.success(), "clang-19 failed: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(dir.join("prog.o")).unwrap()
}

/// 1-based line of the source line carrying `marker`.
fn line_of(src: &str, marker: &str) -> u32 {
    src.lines().position(|l| l.contains(marker)).expect(marker) as u32 + 1
}

fn section_index(elf: &[u8], name: &str) -> SectionIndex {
    let file = object::File::parse(elf).unwrap();
    SectionIndex::new(file.section_by_name(name).unwrap_or_else(|| panic!("no section {name}")).index().0)
}

fn section_len(elf: &[u8], name: &str) -> u64 {
    let file = object::File::parse(elf).unwrap();
    file.section_by_name(name).unwrap().size()
}

/// llvm-objdump -d -l: section name → (byte offset → (path, line)) for every instruction it annotates.
fn objdump_lines(obj: &Path) -> BTreeMap<String, BTreeMap<u64, (String, u32)>> {
    let out = Command::new("llvm-objdump-19").args(["-d", "-l", "--no-show-raw-insn"]).arg(obj).output().unwrap();
    assert!(out.status.success());
    let mut map: BTreeMap<String, BTreeMap<u64, (String, u32)>> = BTreeMap::new();
    let (mut section, mut current) = (String::new(), None::<(String, u32)>);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(name) = line.strip_prefix("Disassembly of section ").and_then(|s| s.strip_suffix(':')) {
            section = name.to_string();
            current = None;
        } else if let Some(loc) = line.strip_prefix("; /") {
            if let Some((path, num)) = loc.rsplit_once(':') {
                if let Ok(n) = num.parse() {
                    current = Some((format!("/{}", path.replace("/./", "/")), n));
                }
            }
        } else if let Some((slot, _)) = line.trim_start().split_once(":\t") {
            if let (Ok(slot), Some(loc)) = (slot.parse::<u64>(), &current) {
                map.entry(section.clone()).or_default().insert(slot * 8, loc.clone());
            }
        }
    }
    map
}

#[test]
fn dwarf_lines_match_llvm_objdump_and_report_inlining() {
    check_against_llvm("dwarf_lines_match_llvm_objdump_and_report_inlining", "dwarf5", &["-g"]);
}

/// DWARF 4 takes other paths: .debug_ranges, DW_FORM_strp, 1-based file indices.
#[test]
fn dwarf4_lines_match_llvm_objdump_and_report_inlining() {
    check_against_llvm("dwarf4_lines_match_llvm_objdump_and_report_inlining", "dwarf4", &["-gdwarf-4"]);
}

/// Big-endian BPF: the relocating reader must honour the object's byte order.
#[test]
fn dwarf_big_endian_lines_match_llvm_objdump_and_report_inlining() {
    check_against_llvm(
        "dwarf_big_endian_lines_match_llvm_objdump_and_report_inlining",
        "bpfeb",
        &["-g", "--target=bpfeb"],
    );
}

fn check_against_llvm(test: &str, tag: &str, debug_flags: &[&str]) {
    if !have("clang-19") || !have("llvm-objdump-19") {
        println!("SKIP: {test}: clang-19 or llvm-objdump-19 not installed");
        return;
    }
    let tmp = TempDir::new(tag);
    let elf = compile(&tmp.0, debug_flags);
    let dwarf = DwarfLines::parse(&elf).expect("parse DWARF").expect("object has DWARF");
    let dir = tmp.0.to_str().unwrap();
    let prog_c = format!("{dir}/prog.c");
    let helper_h = format!("{dir}/inc/helper.h");

    // Every instruction llvm-objdump annotates maps to the same file and line.
    let oracle = objdump_lines(&tmp.0.join("prog.o"));
    let mut compared = 0;
    for (section, insns) in &oracle {
        let index = section_index(&elf, section);
        for (&offset, (path, line)) in insns {
            let loc = dwarf.location(index, offset).unwrap_or_else(|| panic!("{section}+{offset:#x}: no location"));
            assert_eq!((&loc.path, loc.line), (path, *line), "{section}+{offset:#x}");
            compared += 1;
        }
    }
    assert!(oracle.contains_key("tp/syscalls/sys_enter_getpid") && oracle.contains_key(".text"), "{oracle:?}");
    assert!(compared >= 10, "only {compared} instructions compared");

    // The second program section: the inlined helper's lines name the helper, then the program.
    let two = section_index(&elf, "tp/syscalls/sys_enter_getpid");
    let mix_lines = [line_of(HELPER_H, "MIX_MUL"), line_of(HELPER_H, "MIX_XOR"), line_of(HELPER_H, "MIX_RET")];
    let two_len = section_len(&elf, "tp/syscalls/sys_enter_getpid");
    let locs: Vec<_> = (0..two_len).step_by(8).map(|off| dwarf.location(two, off).expect("location")).collect();
    let inlined = locs.iter().filter(|l| mix_lines.contains(&l.line)).collect::<Vec<_>>();
    assert!(!inlined.is_empty(), "no instruction of mix() in prog_two: {locs:#?}");
    for loc in &inlined {
        assert_eq!(loc.path, helper_h);
        assert_eq!(loc.inlined, ["mix", "prog_two"]);
        assert_eq!(loc.inline_chain().as_deref(), Some("mix <- inlined into prog_two"));
        assert!(loc.column > 0);
    }
    let ret = locs.iter().find(|l| l.line == line_of(PROG_C, "TWO_RET")).expect("TWO_RET line");
    assert_eq!(ret.path, prog_c);
    assert_eq!(ret.inlined, ["prog_two"]);
    assert_eq!(ret.inline_chain(), None);

    // The first program inlines the same helper; its chain names the other outer function.
    let one = section_index(&elf, "xdp");
    let one_len = section_len(&elf, "xdp");
    let one_mix = (0..one_len)
        .step_by(8)
        .filter_map(|off| dwarf.location(one, off))
        .find(|l| mix_lines.contains(&l.line))
        .expect("mix() inlined into prog_one");
    assert_eq!(one_mix.inlined, ["mix", "prog_one"]);

    // .text holds the out-of-line subprogram, addressed relative to that section.
    let text = section_index(&elf, ".text");
    let sub = dwarf.location(text, 0).expect(".text+0");
    assert_eq!(sub.path, prog_c);
    assert_eq!(sub.inlined, ["sub"]);
    let sub_len = section_len(&elf, ".text");
    assert!((0..sub_len).step_by(8).any(|off| dwarf.location(text, off).unwrap().line == line_of(PROG_C, "SUB_BODY")));

    // Outside any code: nothing.
    assert_eq!(dwarf.location(two, two_len), None);
    assert_eq!(dwarf.location(SectionIndex::new(0), 0), None);
    assert_eq!(dwarf.location(section_index(&elf, "license"), 0), None);
}

#[test]
fn dwarf_object_without_debug_info_is_none() {
    if !have("clang-19") {
        println!("SKIP: dwarf_object_without_debug_info_is_none: clang-19 not installed");
        return;
    }
    let tmp = TempDir::new("nodebug");
    let elf = compile(&tmp.0, &[]);
    assert!(DwarfLines::parse(&elf).expect("parse").is_none());
}

/// Byte range of a section's data in the file, and the file offset of its section header.
fn section_file_layout(elf: &[u8], name: &str) -> (usize, usize, usize) {
    let file = object::File::parse(elf).unwrap();
    let section = file.section_by_name(name).unwrap();
    let (offset, size) = section.file_range().unwrap();
    let shoff = u64::from_le_bytes(elf[0x28..0x30].try_into().unwrap()) as usize;
    let shentsize = u16::from_le_bytes(elf[0x3a..0x3c].try_into().unwrap()) as usize;
    (offset as usize, size as usize, shoff + section.index().0 * shentsize)
}

#[test]
fn dwarf_truncated_debug_line_is_an_error() {
    if !have("clang-19") {
        println!("SKIP: dwarf_truncated_debug_line_is_an_error: clang-19 not installed");
        return;
    }
    let tmp = TempDir::new("trunc");
    let elf = compile(&tmp.0, &["-g"]);
    let (data_off, size, shdr) = section_file_layout(&elf, ".debug_line");

    // The unit claims more bytes than the section holds: gimli's error, attributed to .debug_line.
    let mut long_unit = elf.clone();
    long_unit[data_off..data_off + 4].copy_from_slice(&(size as u32 * 2).to_le_bytes());
    let err = DwarfLines::parse(&long_unit).expect_err("over-long line program unit");
    let context = DwarfContext::LineProgram { offset: 0, unit: 0 };
    assert!(matches!(err, DwarfError::Dwarf { section: ".debug_line", context: c, .. } if c == context), "{err}");
    assert_eq!(err.to_string(), ".debug_line: line program at offset 0x0 (unit at .debug_info+0x0)");

    // The section itself is cut short: its relocations now point past its end.
    let mut short = elf.clone();
    short[shdr + 32..shdr + 40].copy_from_slice(&(size as u64 / 2).to_le_bytes());
    let err = DwarfLines::parse(&short).expect_err("truncated .debug_line");
    assert!(
        matches!(
            err,
            DwarfError::Relocation { section: ".debug_line", problem: DebugRelocProblem::PastEnd { .. }, .. }
        ),
        "{err}"
    );
}

/// Deterministic xorshift so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn dwarf_corrupted_sections_never_panic() {
    if !have("clang-19") {
        println!("SKIP: dwarf_corrupted_sections_never_panic: clang-19 not installed");
        return;
    }
    let tmp = TempDir::new("fuzz");
    let elf = compile(&tmp.0, &["-g"]);
    let targets =
        [".debug_info", ".debug_line", ".debug_abbrev", ".debug_addr", ".debug_rnglists", ".debug_str_offsets"];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut errs) = (0, 0);
    for round in 0..3000 {
        let (off, size, _) = section_file_layout(&elf, targets[round % targets.len()]);
        let mut bad = elf.clone();
        for _ in 0..1 + rng.next() % 4 {
            let at = off + (rng.next() as usize) % size;
            bad[at] = match rng.next() % 3 {
                0 => 0xff,
                1 => 0x00,
                _ => rng.next() as u8,
            };
        }
        match DwarfLines::parse(&bad) {
            Ok(Some(d)) => {
                ok += 1;
                // Lookups on what was accepted answer (a location or none) without panicking,
                // and an offset no section can have is never given a location.
                for off in (0..64).step_by(8) {
                    d.location(SectionIndex::new(3), off);
                }
                assert_eq!(d.location(SectionIndex::new(3), u64::from(u32::MAX) + 1), None, "round {round}");
            }
            // Only debug sections were touched: .debug_info and .debug_line are still there.
            Ok(None) => panic!("round {round}: corrupted DWARF reported as absent"),
            Err(e) => {
                // Only DWARF contents changed: the ELF and its relocations are intact, so the
                // error is gimli's (or an unsupported unit), and it names a debug section.
                assert!(matches!(e, DwarfError::Dwarf { .. } | DwarfError::Unsupported { .. }), "round {round}: {e}");
                assert!(e.to_string().starts_with(".debug_"), "round {round}: {e}");
                errs += 1;
            }
        }
    }
    // Both outcomes must occur, or the mutations are not reaching the parser.
    assert!(ok > 0 && errs > 0, "ok={ok} errs={errs}");
}
