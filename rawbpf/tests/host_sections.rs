//! libbpf's section table on this host's kernel: every program of progs/sections.o (one per kind
//! of libbpf's `section_defs[]`) is loaded alone by libbpf (the test-only oracle
//! tests/vm/oracle/loadone.c, linked with this machine's libbpf) and by `rawbpf load --program
//! NAME --no-attach --json`. Both must reach the same verdict and, when they load, the kernel
//! must give the same tag. A kind this machine's libbpf is too old to know (it says "missing BPF
//! prog type") is checked on rawbpf's side only: rawbpf follows libbpf 1.5, and the kernel must
//! take what rawbpf sends.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{build_progs, cannot_load_programs, root};

const TEST: &str = "every_section_kind_loads_as_libbpf_loads_it";

/// Builds the oracle against the host's libbpf, or says why it cannot be.
fn oracle(dir: &Path) -> Result<PathBuf, String> {
    if !Path::new("/usr/include/bpf/libbpf.h").exists() {
        return Err("libbpf-dev is not installed (the oracle links this machine's libbpf)".into());
    }
    std::fs::create_dir_all(dir).unwrap();
    let bin = dir.join("loadone");
    let src = root().join("tests/vm/oracle/loadone.c");
    let out = Command::new("cc").args(["-O2", "-Wall", "-o"]).arg(&bin).arg(&src).arg("-lbpf").output();
    match out {
        Ok(o) if o.status.success() => Ok(bin),
        Ok(o) => panic!("building the oracle failed:\n{}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => Err(format!("no C compiler (cc) for the libbpf oracle: {e}")),
    }
}

/// libbpf's verdict: `Ok(tag)` or `Err(message)`.
fn libbpf(oracle: &Path, obj: &Path, prog: &str) -> Result<String, String> {
    let out = Command::new(oracle).arg("load").arg(obj).arg(prog).output().expect("run the oracle");
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    match line.split_once("tag=") {
        Some((_, tag)) if out.status.success() => Ok(tag.to_owned()),
        _ => Err(line),
    }
}

/// rawbpf's verdict: `Ok(tag)` or `Err(stderr)`.
fn rawbpf(obj: &Path, prog: &str) -> Result<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_rawbpf"))
        .args(["load", "--no-attach", "--json", "--program", prog])
        .arg(obj)
        .output()
        .expect("run rawbpf");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let programs = doc["programs"].as_array().expect("programs");
    assert_eq!(programs.len(), 1, "--program loads exactly the one named: {doc}");
    assert_eq!(programs[0]["name"], prog);
    Ok(programs[0]["tag"].as_str().expect("tag").to_owned())
}

#[test]
fn every_section_kind_loads_as_libbpf_loads_it() {
    if let Some(why) = cannot_load_programs(true) {
        return println!("SKIP: {TEST}: {why}");
    }
    let oracle = match oracle(&PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("host_sections")) {
        Ok(o) => o,
        Err(why) => return println!("SKIP: {TEST}: {why}"),
    };
    build_progs();
    let obj = root().join("progs/sections.o");
    let list = Command::new(&oracle).arg("list").arg(&obj).output().expect("list");
    let programs: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    assert!(programs.len() >= 40, "{programs:?}");
    let (mut same, mut newer) = (Vec::new(), Vec::new());
    let mut failures = Vec::new();
    for prog in &programs {
        let (l, r) = (libbpf(&oracle, &obj, prog), rawbpf(&obj, prog));
        match (&l, &r) {
            (Ok(a), Ok(b)) if a == b => same.push(prog.as_str()),
            (Err(why), Ok(_)) if why.contains("missing BPF prog type") => newer.push(prog.as_str()),
            (Err(_), Err(_)) => same.push(prog.as_str()),
            _ => failures.push(format!("{prog}: libbpf {l:?}, rawbpf {r:?}")),
        }
    }
    println!("{TEST}: {} kinds load with the same tag as with libbpf", same.len());
    if !newer.is_empty() {
        println!("{TEST}: newer than this machine's libbpf, loaded by rawbpf only: {}", newer.join(", "));
    }
    assert!(failures.is_empty(), "rawbpf and libbpf disagree:\n{}", failures.join("\n"));
    // The sleepable kinds only pass the verifier with BPF_F_SLEEPABLE (bpf_copy_from_user), and
    // connect4 only with its attach type (user_ip4): these loading proves the flags were sent.
    for p in ["k_uprobe_s", "k_uretprobe_multi_s", "k_syscall", "k_connect4"] {
        assert!(rawbpf(&obj, p).is_ok(), "{p}");
    }
}
