//! The disassembler against an oracle: a clang-built program is loaded by bpftool, which prints
//! the kernel-translated instructions with the kernel's own disasm.c next to their bytes;
//! decoding those bytes here must give the same text. Needs root, clang and bpftool.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{format_insn_with, Xlated};
use crate::insn::Insn;

const SOURCE: &str = r#"
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __attribute__((noinline)) int mix(int a, int b)
{
	volatile __u64 big = 0x1122334455667788ULL ^ (__u64)a;
	int x = a * 3 - b;
	if (x < -5) x = -x;
	if (a & 0x40) x += 9;
	x ^= a >> 2;
	x |= (unsigned)b << 3;
	if ((long)b > (long)x) x = (int)((long)x >> 3);
	return (unsigned)x % 7 + (unsigned)x / 5 + (int)big;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	__u32 key = skb->len & 3;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);
	if (!v)
		return 0;
	__sync_fetch_and_add(v, 1);
	__u64 old = __sync_fetch_and_or(v, 2);
	__sync_fetch_and_and(v, old);
	__sync_lock_test_and_set(v, old);
	__sync_val_compare_and_swap(v, old, 5);
	__s64 s = (__s64)skb->mark;
	if (s > 10 || (__s32)skb->priority < -3)
		return mix(skb->protocol, bpf_ntohs(skb->vlan_tci));
	return (int)(bpf_htonl(skb->hash) & 0xff) + (int)((__u64)s / 3);
}
char LICENSE[] SEC("license") = "GPL";
"#;

/// One instruction as bpftool printed it.
struct Printed {
    idx: usize,
    text: String,
    bytes: Vec<u8>,
}

/// The scratch directory with a private bpffs mount in `fs/`; unmounted and removed on drop,
/// also when an assertion fails.
struct Scratch(PathBuf);
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = nix::mount::umount(&self.0.join("fs"));
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tool(candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
        .map(|c| c.to_string())
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Parses `bpftool prog dump xlated ... opcodes`: `  12: (0f) r0 += r1` then a line of hex bytes.
fn parse_dump(text: &str) -> Vec<Printed> {
    let mut out: Vec<Printed> = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if let Some((idx, rest)) = t.split_once(": (").filter(|(i, _)| i.bytes().all(|b| b.is_ascii_digit())) {
            let text = rest.split_once(") ").map_or("", |(_, t)| t).to_owned();
            out.push(Printed { idx: idx.parse().unwrap(), text, bytes: Vec::new() });
        } else if !t.is_empty() && t.split(' ').all(|h| h.len() == 2 && u8::from_str_radix(h, 16).is_ok()) {
            let last = out.last_mut().expect("bytes before any instruction");
            last.bytes.extend(t.split(' ').map(|h| u8::from_str_radix(h, 16).unwrap()));
        }
    }
    out
}

#[test]
fn matches_bpftool_on_a_loaded_program() {
    if !nix::unistd::geteuid().is_root() {
        println!("SKIP: matches_bpftool_on_a_loaded_program: needs root");
        return;
    }
    let (Some(clang), Some(bpftool)) = (tool(&["clang-19", "clang"]), tool(&["bpftool"])) else {
        println!("SKIP: matches_bpftool_on_a_loaded_program: needs clang and bpftool");
        return;
    };
    let scratch = Scratch(std::env::temp_dir().join(format!("rawbpf-disasm-oracle-{}", std::process::id())));
    let dir = &scratch.0;
    std::fs::create_dir_all(dir.join("fs")).unwrap();
    std::fs::write(dir.join("p.bpf.c"), SOURCE).unwrap();
    let arch_include = format!("-I/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    run(Command::new(&clang)
        .args(["-O2", "-g", "-target", "bpf", "-mcpu=v3", &arch_include, "-c"])
        .arg(dir.join("p.bpf.c"))
        .arg("-o")
        .arg(dir.join("p.o")));
    let fs = dir.join("fs");
    if let Err(e) = nix::mount::mount(Some("bpf"), &fs, Some("bpf"), nix::mount::MsFlags::empty(), None::<&str>) {
        println!("SKIP: matches_bpftool_on_a_loaded_program: cannot mount bpffs at {}: {e}", fs.display());
        return;
    }
    let pin: &Path = &fs.join("p");
    run(Command::new(&bpftool).args(["prog", "load"]).arg(dir.join("p.o")).arg(pin).args(["type", "socket"]));
    let dump = run(Command::new(&bpftool).args(["prog", "dump", "xlated", "pinned"]).arg(pin).arg("opcodes"));
    let printed = parse_dump(&dump);

    // Rebuild the instruction array from the printed bytes (ld_imm64 prints 16).
    let mut insns = Vec::new();
    for p in &printed {
        assert_eq!(p.idx, insns.len(), "gap in the dump at {}", p.idx);
        insns.extend(Insn::decode_all(&p.bytes, btf::wire::Endian::Little).expect("whole slots"));
    }
    let mut compared = 0;
    for p in &printed {
        let (ours, _) = format_insn_with(&insns, p.idx, &Xlated);
        let insn = insns[p.idx];
        if insn.is_helper_call() {
            // xlated helper calls carry kernel addresses that bpftool names from kallsyms.
            assert!(ours.starts_with("call "), "{}: {ours}", p.idx);
        } else if insn.is_pseudo_call() {
            // bpftool appends `#<subprog symbol>` from its own callback.
            assert_eq!(p.text.split('#').next().unwrap(), ours, "insn {}", p.idx);
        } else {
            assert_eq!(p.text, ours, "insn {} ({:02x})", p.idx, insn.code);
            compared += 1;
        }
    }
    assert!(compared >= 40, "only {compared} instructions compared:\n{dump}");
}
