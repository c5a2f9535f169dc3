//! The object model and the linker on the real programs in progs/, built with clang by
//! progs-build/build. llvm-readelf is the oracle for sizes and relocation counts.

use std::path::{Path, PathBuf};
use std::process::Command;

use btf::insn::{pseudo, Insn};
use loader::link::link;
use loader::object::{MapKind, Object, ProgramIndex};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Builds progs/ (incrementally, under the build script's lock) and opens `<name>.o`.
/// `None` when clang-19 is missing, after printing the one `SKIP: <test>: <reason>` line of
/// `test` (a test stops at the first `None`).
fn object(test: &str, name: &str) -> Option<(Object, PathBuf)> {
    if !have("clang-19") {
        println!("SKIP: {test}: clang-19 not installed, cannot build progs/");
        return None;
    }
    let out = Command::new(root().join("progs-build/build")).output().expect("run progs-build/build");
    assert!(out.status.success(), "progs-build/build failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let path = root().join("progs").join(format!("{name}.o"));
    Some((Object::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())), path))
}

/// llvm-readelf-19's output; `None` only when the tool cannot be run (a failed run fails the test).
fn readelf(args: &[&str], path: &Path) -> Option<String> {
    let out = Command::new("llvm-readelf-19").args(args).arg(path).output().ok()?;
    assert!(
        out.status.success(),
        "llvm-readelf-19 {args:?} {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Counts CO-RE relocation records in raw .BTF.ext bytes (little endian): the header's
/// core_relo section is a record size then, per section, (name offset, count, records).
fn core_relo_count(ext: &[u8]) -> u32 {
    let u32_at = |o: usize| u32::from_le_bytes(ext[o..o + 4].try_into().unwrap());
    let hdr_len = u32_at(4) as usize;
    if hdr_len < 32 {
        return 0;
    }
    let (off, len) = (hdr_len + u32_at(24) as usize, u32_at(28) as usize);
    let rec_size = u32_at(off) as usize;
    let (mut pos, mut total) = (off + 4, 0);
    while pos < off + len {
        let n = u32_at(pos + 4);
        total += n;
        pos += 8 + n as usize * rec_size;
    }
    total
}

#[test]
fn connect_has_fentry_and_fexit_on_tcp_connect() {
    let Some((obj, path)) = object("connect_has_fentry_and_fexit_on_tcp_connect", "connect") else {
        return;
    };
    assert_eq!(obj.license, "GPL");
    let progs: Vec<_> = obj
        .programs
        .iter()
        .map(|p| {
            let k = p.loadable().expect("every program of connect.o loads");
            (p.name.as_str(), p.section.as_str(), k.prog_type(), k.expected_attach_type(), k.attach_target.clone())
        })
        .collect();
    assert_eq!(
        progs,
        [
            ("rawbpf_fentry_connect", "fentry/tcp_connect", 26, 24, Some("tcp_connect".to_owned())),
            ("rawbpf_fexit_connect", "fexit/tcp_connect", 26, 25, Some("tcp_connect".to_owned())),
        ]
    );
    let ext = obj.btf_ext_raw.as_deref().expect(".BTF.ext present");
    assert!(core_relo_count(ext) >= 2, "skc_dport and skc_daddr reads are CO-RE relocations");
    // The printk format lives in .rodata: a frozen, read-only array map.
    let rodata = obj.maps.iter().find(|m| m.kind == MapKind::Global { section: ".rodata".into() }).unwrap();
    assert_eq!((rodata.name.as_str(), rodata.freeze, rodata.map_flags), ("connect.rodata", true, 0x80));
    let init = String::from_utf8_lossy(rodata.initial_data.as_deref().unwrap()).into_owned();
    assert!(init.contains("fentry tcp_connect: pid=%d dport=%u daddr=%x"), "{init:?}");
    assert!(init.contains("fexit tcp_connect: pid=%d ret=%d"), "{init:?}");
    check_against_readelf(&obj, &path);
}

#[test]
fn other_programs_have_the_right_kinds() {
    let cases = [
        ("tp_btf", "rawbpf_tp_btf_exec", 26, 23, "sched_process_exec"),
        ("raw_tp", "rawbpf_raw_tp_sys_enter", 17, 0, "sys_enter"),
        ("tracepoint", "rawbpf_tracepoint_getpid", 5, 0, "syscalls/sys_enter_getpid"),
    ];
    for (file, prog, ty, eat, target) in cases {
        let Some((obj, path)) = object("other_programs_have_the_right_kinds", file) else {
            return;
        };
        assert_eq!(obj.programs.len(), 1, "{file}");
        let p = &obj.programs[0];
        let k = p.loadable().expect(file);
        assert_eq!((p.name.as_str(), k.prog_type(), k.expected_attach_type()), (prog, ty, eat), "{file}");
        assert_eq!(k.attach_target.as_deref(), Some(target), "{file}");
        let linked = link(&obj, &obj.code_sections, ProgramIndex::new(0), &vec![7; obj.maps.len()]).unwrap();
        assert_eq!(
            linked.insns.len(),
            obj.code_sections[p.code_section.get()].funcs[p.func].len_insns,
            "{file}: no subprograms"
        );
        check_against_readelf(&obj, &path);
    }
}

#[test]
fn maps_globals_maps_and_data() {
    let Some((obj, _)) = object("maps_globals_maps_and_data", "maps_globals") else {
        return;
    };
    let summary: Vec<_> = obj
        .maps
        .iter()
        .map(|m| (m.name.as_str(), m.map_type, m.key_size, m.value_size, m.max_entries, m.map_flags, m.freeze))
        .collect();
    assert_eq!(
        summary,
        [
            ("rawbpf_counts", 1, 4, 8, 128, 0, false),
            ("rawbpf_stats", 2, 4, 16, 4, 0, false),
            ("maps_glo.rodata", 2, 4, obj.maps[2].value_size, 1, 0x80, true),
            ("maps_glo.data", 2, 4, 8, 1, 0, false),
            ("maps_glo.bss", 2, 4, 4, 1, 0, false),
        ]
    );
    let btf = obj.btf.as_ref().unwrap();
    assert_eq!(btf.name_of(obj.maps[0].btf_key_type_id).unwrap(), "__u32");
    assert_eq!(btf.name_of(obj.maps[1].btf_value_type_id).unwrap(), "rawbpf_stat");
    assert_eq!(btf.name_of(obj.maps[2].btf_value_type_id).unwrap(), ".rodata");
    // rawbpf_magic = 0xc0ffee is the first .rodata variable; .data holds rawbpf_calls = 1.
    let rodata = obj.maps[2].initial_data.as_deref().unwrap();
    assert_eq!(rodata[..4], 0xc0ffeeu32.to_le_bytes());
    assert_eq!(obj.maps[3].initial_data.as_deref(), Some(&1u64.to_le_bytes()[..]));
    assert_eq!(obj.maps[4].initial_data, None, ".bss starts as the kernel's zeros");
}

#[test]
fn maps_globals_links_subprograms_and_map_references() {
    let Some((obj, _)) = object("maps_globals_links_subprograms_and_map_references", "maps_globals") else {
        return;
    };
    let prog = obj.program_by_name("rawbpf_maps_globals").unwrap();
    let fds = [100, 101, 102, 103, 104];
    let l = link(&obj, &obj.code_sections, prog, &fds).unwrap();
    let text = obj.code_section_by_name(".text").unwrap();
    let len_of = |n: &str| text.funcs.iter().find(|f| f.name == n).unwrap().len_insns;
    let (_, main) = obj.program_func(prog).unwrap();
    // Depth-first like libbpf: record_pid (called first), its callee add_to, then bump_calls.
    // add_to is called twice but appended once.
    let names: Vec<_> = l.subprogs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["record_pid", "add_to", "bump_calls"]);
    assert_eq!(l.insns.len(), main.len_insns + len_of("add_to") + len_of("record_pid") + len_of("bump_calls"));
    let owner = |i: usize| l.subprogs.iter().rev().find(|s| i >= s.1).map_or("main", |s| s.0.as_str());
    // Every call lands on a function start; who calls whom is what the C says.
    let mut calls = Vec::new();
    let mut map_fd = Vec::new();
    let mut map_value = Vec::new();
    let mut i = 0;
    while i < l.insns.len() {
        let ins = l.insns[i];
        if ins.is_pseudo_call() {
            let t = (i as i64 + 1 + i64::from(ins.imm)) as usize;
            let callee = l.subprogs.iter().find(|s| s.1 == t).map(|s| s.0.as_str()).expect("call to a function start");
            calls.push((owner(i), callee));
        }
        if ins.is_ld_imm64() {
            match ins.src {
                pseudo::MAP_FD => map_fd.push((owner(i), ins.imm)),
                pseudo::MAP_VALUE => map_value.push((owner(i), ins.imm, l.insns[i + 1].imm)),
                other => panic!("ld_imm64 at {i} left with src {other}"),
            }
            i += 1;
        }
        i += 1;
    }
    let want_calls =
        [("main", "record_pid"), ("main", "bump_calls"), ("record_pid", "add_to"), ("record_pid", "add_to")];
    assert_eq!(calls, want_calls);
    assert_eq!(map_fd, [("record_pid", 101), ("add_to", 100), ("add_to", 100)]);
    // .rodata (fd 102): rawbpf_magic at 0 and the printk format; .data (103) rawbpf_calls; .bss (104).
    let fmt = obj.maps[2].initial_data.as_deref().unwrap();
    let fmt_off = fmt.windows(20).position(|w| w == b"rawbpf-maps_globals:").unwrap() as i32;
    let mut got = map_value.clone();
    got.sort();
    let mut want = vec![
        ("main", 102, 0),
        ("main", 102, fmt_off),
        ("record_pid", 104, 0),
        ("record_pid", 102, 0),
        ("bump_calls", 103, 0),
    ];
    want.sort();
    assert_eq!(got, want);
}

/// Cross-checks instruction counts and relocation counts with llvm-readelf. The caller's own
/// checks ran, so a missing llvm-readelf-19 is reported as not checked, not as a skip.
fn check_against_readelf(obj: &Object, path: &Path) {
    let (Some(syms), Some(rels)) = (readelf(&["-s", "--wide"], path), readelf(&["-r", "--wide"], path)) else {
        println!("not checked here: {}: llvm-readelf-19 cross-check (llvm-readelf-19 not runnable)", obj.name);
        return;
    };
    for sec in &obj.code_sections {
        for f in &sec.funcs {
            let line = syms.lines().find(|l| l.contains(" FUNC ") && l.ends_with(&format!(" {}", f.name))).unwrap();
            let size: usize = line.split_whitespace().nth(2).unwrap().parse().unwrap();
            assert_eq!(f.len_insns * Insn::SIZE, size, "{}: function {} size", obj.name, f.name);
        }
        let header = format!("Relocation section '.rel{}' at offset", sec.name);
        let count = rels.lines().find(|l| l.starts_with(&header)).map_or(0, |l| {
            let w: Vec<_> = l.split_whitespace().collect();
            w[w.len() - 2].parse::<usize>().unwrap()
        });
        assert_eq!(sec.relocs.len(), count, "{}: relocations of {}", obj.name, sec.name);
    }
}

/// The same source built for big-endian BPF (`-target bpfeb`) gives the same model and the same
/// linked instructions: byte order is handled when decoding, nowhere else.
#[test]
fn big_endian_object_matches_little_endian() {
    let Some((le, _)) = object("big_endian_object_matches_little_endian", "maps_globals") else {
        return;
    };
    let progs = root().join("progs");
    let out = std::env::temp_dir().join(format!("rawbpf-object-bpfeb-{}.o", std::process::id()));
    let status = Command::new("clang-19")
        .args(["-target", "bpfeb", "-g", "-O2", "-D__TARGET_ARCH_x86", "-c"])
        .arg("-I")
        .arg(&progs)
        .arg("-I")
        .arg(progs.join("include"))
        .arg(progs.join("maps_globals.bpf.c"))
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let be = Object::open(&out).unwrap();
    std::fs::remove_file(&out).ok();
    assert_eq!(be.endian, btf::wire::Endian::Big);
    let shape = |o: &Object| {
        o.maps.iter().map(|m| (m.map_type, m.key_size, m.value_size, m.max_entries, m.map_flags)).collect::<Vec<_>>()
    };
    assert_eq!(shape(&be), shape(&le));
    assert_eq!(be.maps[3].initial_data.as_deref(), Some(&1u64.to_be_bytes()[..]));
    let p = ProgramIndex::new(0);
    let fds = [100, 101, 102, 103, 104];
    assert_eq!(
        link(&be, &be.code_sections, p, &fds).unwrap().insns,
        link(&le, &le.code_sections, p, &fds).unwrap().insns
    );
}

#[test]
fn unaligned_bytes_parse_like_the_file() {
    let Some((obj, path)) = object("unaligned_bytes_parse_like_the_file", "maps_globals") else {
        return;
    };
    // include_bytes! and slices of bigger buffers give no alignment; the ELF reader needs 8.
    let bytes = std::fs::read(&path).unwrap();
    let mut shifted = vec![0u8; bytes.len() + 1];
    shifted[1..].copy_from_slice(&bytes);
    let unaligned = &shifted[1..];
    assert_ne!(unaligned.as_ptr().align_offset(8), 0, "the test needs a misaligned slice");
    let again = Object::parse(unaligned, "maps_globals.o").expect("parse from unaligned bytes");
    assert_eq!(again.code_sections, obj.code_sections);
    assert_eq!(again.maps, obj.maps);
}
