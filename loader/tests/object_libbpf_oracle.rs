//! libbpf as the oracle for linking: libbpf opens and loads progs/maps_globals.o (this needs
//! root and a kernel that accepts tracepoint programs), then prints its map fds and the final
//! instructions of the program. `link` given the same fds must produce the same stream, byte
//! for byte — so the kernel computes the same program tag for both loaders.
//! libbpf is used only here, as a test oracle; rawbpf does not link it.

use std::path::{Path, PathBuf};
use std::process::Command;

use btf::insn::Insn;
use btf::wire::Endian;
use loader::link::link;
use loader::object::Object;

const ORACLE_C: &str = r#"
#include <stdio.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	return l == LIBBPF_WARN ? vfprintf(stderr, f, a) : 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	const unsigned char *b;
	size_t i, n;

	libbpf_set_print(quiet);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) return 2;
	if (bpf_object__load(obj)) return 3;
	bpf_object__for_each_map(map, obj)
		printf("map %s %d\n", bpf_map__name(map), bpf_map__fd(map));
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog) return 4;
	b = (const unsigned char *)bpf_program__insns(prog);
	n = bpf_program__insn_cnt(prog);
	for (i = 0; i < n * 8; i++)
		printf("%s%02x", i % 8 ? "" : (i ? "\ninsn " : "insn "), b[i]);
	printf("\n");
	return 0;
}
"#;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// Compiles the oracle against libbpf; `None` (with the reason) when that is impossible.
fn build_oracle() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("rawbpf-libbpf-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let src = dir.join("oracle.c");
    std::fs::write(&src, ORACLE_C).map_err(|e| e.to_string())?;
    let exe = dir.join("oracle");
    let out = Command::new("cc").arg(&src).arg("-o").arg(&exe).arg("-lbpf").output().map_err(|e| format!("cc: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cannot build the libbpf oracle (libbpf-dev missing?): {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(exe)
}

#[test]
fn link_matches_libbpf_instruction_for_instruction() {
    if Command::new("clang-19").arg("--version").output().is_err() {
        println!("SKIP: link_matches_libbpf_instruction_for_instruction: clang-19 not installed");
        return;
    }
    let build = Command::new(root().join("progs-build/build")).output().unwrap();
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
    let exe = match build_oracle() {
        Ok(exe) => exe,
        Err(why) => return println!("SKIP: link_matches_libbpf_instruction_for_instruction: {}", why.trim()),
    };
    let path = root().join("progs/maps_globals.o");
    let prog_name = "rawbpf_maps_globals";
    let out = Command::new(&exe).arg(&path).arg(prog_name).output().unwrap();
    std::fs::remove_dir_all(exe.parent().unwrap()).ok();
    // Exit 3: libbpf could not load. Only a missing privilege excuses that; as root it is a failure.
    if out.status.code() == Some(3) && !nix::unistd::geteuid().is_root() {
        let why = String::from_utf8_lossy(&out.stderr);
        return println!(
            "SKIP: link_matches_libbpf_instruction_for_instruction: libbpf cannot load without root: {}",
            why.trim()
        );
    }
    assert!(out.status.success(), "oracle failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();

    let obj = Object::open(&path).unwrap();
    let mut fds = vec![-1; obj.maps.len()];
    let mut want = Vec::new();
    for line in text.lines() {
        let w: Vec<_> = line.split_whitespace().collect();
        match w[..] {
            ["map", name, fd] => {
                // libbpf names global-data maps like rawbpf does; a mismatch fails here.
                let i = obj.map_by_name(name).unwrap_or_else(|| panic!("libbpf map {name} unknown to rawbpf"));
                fds[i.get()] = fd.parse().unwrap();
            }
            ["insn", hex] => {
                let b: Vec<u8> = (0..8).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect();
                want.push(Insn::from_bytes(b.try_into().unwrap(), Endian::Little));
            }
            _ => panic!("unexpected oracle line {line:?}"),
        }
    }
    assert!(fds.iter().all(|&fd| fd >= 0), "every rawbpf map has a libbpf twin: {fds:?}");
    let linked = link(&obj, &obj.code_sections, obj.program_by_name(prog_name).unwrap(), &fds).unwrap();
    assert_eq!(linked.insns.len(), want.len(), "instruction count");
    for (i, (a, b)) in linked.insns.iter().zip(&want).enumerate() {
        assert_eq!(a, b, "instruction {i} differs (rawbpf left, libbpf right)");
    }
}
