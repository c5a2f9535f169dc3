//! Differential test against libbpf: every program of every BPF object embedded in Debian's
//! libbpf-tools executables is loaded alone, without attaching, by libbpf (the test-only oracle
//! `tests/vm/oracle/loadone.c`, linked with Debian's libbpf-dev) and by `rawbpf load --program
//! NAME --no-attach --json`, each in a private mount namespace with a fresh bpffs. Where both
//! load, the kernel's tags must be equal (same relocated instructions).
//!
//! It is a ratchet, not a parity check: `tests/differential/expected/<kernel>.txt` lists the
//! programs libbpf loads and rawbpf does not yet, with rawbpf's error class. The test fails when
//! (a) both load but the tags differ, (b) rawbpf refuses a program libbpf loads that is not
//! listed, (c) rawbpf loads a program libbpf refuses, or (d) a listed program is no longer a gap
//! ("now loads, remove from expected"). So the list can only shrink as rawbpf gains features.
//! The printout groups every difference by rawbpf's error class, with counts: the work list.
//!
//! Here the kernel is the host's, `<kernel>` = `host-MAJOR.MINOR`; without a file for it the
//! gaps are printed but not checked (the test says SKIP ... not checked here), (a) and (c) still
//! are. The same modules run on Debian 5.10, 6.1 and 6.12 in the VM scenario `libbpf-tools`
//! (tests/vm/scenarios/70-libbpf-tools.sh, through `rawbpf/examples/differential.rs`).
//!
//! Regenerate the expectations after a change that closes gaps (or for a new kernel):
//!   host: `RAWBPF_DIFF_BLESS=1 cargo test --release -p rawbpf --test libbpf_tools -- --nocapture`
//!   VMs:  `RAWBPF_DIFF_BLESS=1 tests/vm/run libbpf-tools`
//! then review the diff of tests/differential/expected/ (a line that appears is a regression).
//!
//! Needs root, `cc`, libbpf-dev and libbpf-tools (tests/setup installs them); else SKIP.

mod agreement;
mod carve;
mod flavored;
mod loaders;
mod min;
mod ratchet;
mod run;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use loaders::Loaders;

const TEST: &str = "libbpf_tools_load_like_libbpf";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// Why this test cannot run here, if it cannot.
fn cannot_run() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("needs root to load BPF programs".into());
    }
    if Command::new("cc").arg("--version").output().is_err() {
        return Some("no C compiler (cc) for the libbpf oracle".into());
    }
    if !Path::new("/usr/include/bpf/libbpf.h").exists() {
        return Some("libbpf-dev is not installed (the oracle links Debian's libbpf)".into());
    }
    if !Path::new("/sys/kernel/btf/vmlinux").exists() {
        return Some("no /sys/kernel/btf/vmlinux; both loaders need the kernel's BTF".into());
    }
    None
}

/// Builds the oracle against the host's shared libbpf.
fn build_oracle(dir: &Path) -> PathBuf {
    let bin = dir.join("loadone");
    let src = root().join("tests/vm/oracle/loadone.c");
    let out =
        Command::new("cc").args(["-O2", "-Wall", "-o"]).arg(&bin).arg(&src).arg("-lbpf").output().expect("run cc");
    assert!(out.status.success(), "building the oracle failed:\n{}", String::from_utf8_lossy(&out.stderr));
    bin
}

/// What every comparison here starts from: the corpus carved into `work`, the oracle built,
/// both loaders (against the kernel's BTF).
struct Setup {
    release: String,
    work: PathBuf,
    executables: usize,
    objects: Vec<carve::Object>,
    notes: Vec<String>,
    loaders: Loaders,
}

/// The setup in `CARGO_TARGET_TMPDIR/<dir>`, or `None` after printing why `test` is skipped.
fn setup(test: &str, dir: &str) -> Option<Setup> {
    if let Some(why) = cannot_run() {
        println!("SKIP: {test}: {why}");
        return None;
    }
    let exes = match carve::libbpf_tools_executables() {
        Ok(e) => e,
        Err(why) => {
            println!("SKIP: {test}: {why}");
            return None;
        }
    };
    let release = run::kernel_release();
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    let (objects, notes) = carve::carve_into(&work.join("corpus"), &exes).expect("carve the corpus");
    fs::create_dir_all(work.join("scratch")).unwrap();
    let loaders = Loaders {
        oracle: build_oracle(&work),
        rawbpf: PathBuf::from(env!("CARGO_BIN_EXE_rawbpf")),
        scratch: work.join("scratch"),
        timeout: Duration::from_secs(60),
        settle: loaders::Baseline::if_memlock_charged(&release),
        btf: None,
    };
    Some(Setup { release, work, executables: exes.len(), objects, notes, loaders })
}

fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[test]
fn libbpf_tools_load_like_libbpf() {
    let Some(Setup { release, executables, objects, notes, loaders, .. }) = setup(TEST, "libbpf_tools") else {
        return;
    };
    let started = Instant::now();
    let (rows, open_notes, workers) = run::run(&objects, &loaders, workers());

    let key = format!("host-{}", run::major_minor(&release));
    let file = root().join("tests/differential/expected").join(format!("{key}.txt"));
    if std::env::var_os("RAWBPF_DIFF_BLESS").is_some() {
        let how = "RAWBPF_DIFF_BLESS=1 cargo test --release -p rawbpf --test libbpf_tools -- --nocapture";
        fs::write(&file, ratchet::format_expected(&rows, &key, how)).expect("write the expectations");
        println!("wrote {}", file.display());
    }
    let expected = fs::read_to_string(&file).ok().map(|t| ratchet::parse_expected(&t));
    let outcome = ratchet::compare(&rows, expected.as_ref(), &release);
    println!("{executables} executables carved into {} objects", objects.len());
    notes.iter().chain(&open_notes).for_each(|n| println!("note: {n}"));
    print!("{}", outcome.report);
    println!("run time {:.1} s with {workers} workers", started.elapsed().as_secs_f64());
    println!("libbpf_tools on {release}: {}; {} failures", outcome.summary, outcome.failures.len());
    if expected.is_none() {
        println!(
            "SKIP: {TEST}: no {} for this kernel: gaps not checked here (create it with RAWBPF_DIFF_BLESS=1)",
            file.display()
        );
    }
    assert!(outcome.failures.is_empty(), "the libbpf-tools ratchet failed:\n{}", outcome.failures.join("\n"));
    let vmlinux = Path::new("/sys/kernel/btf/vmlinux");
    let known_file = root().join("tests/differential/expected").join(format!("{key}.check.txt"));
    let known = fs::read_to_string(&known_file).map(|t| agreement::parse_known(&t)).unwrap_or_default();
    let agreement = agreement::compare(&rows, &objects, &loaders.rawbpf, vmlinux, &known);
    println!("{}", agreement.summary());
    agreement.disagreements.iter().for_each(|d| println!("  {d}"));
    assert!(agreement.failures.is_empty(), "rawbpf check vs the loads:\n{}", agreement.failures.join("\n"));
}

/// The same comparison with a target BTF whose every type carries a flavor (`task_struct___flavored`,
/// see `flavored`): libbpf matches essential names on both sides, so it must find the same
/// candidates and produce the same programs as against the kernel. Strict: no gap is allowed.
#[test]
fn libbpf_tools_against_flavored_btf_like_libbpf() {
    const NAME: &str = "libbpf_tools_against_flavored_btf_like_libbpf";
    let Some(Setup { release, work, objects, mut loaders, .. }) = setup(NAME, "libbpf_tools_flavored") else {
        return;
    };
    let kernel = btf::source::file(Path::new("/sys/kernel/btf/vmlinux")).expect("read the kernel's BTF");
    let target = work.join("vmlinux-flavored.btf");
    let renamed = flavored::write(&kernel, &target).expect("write the flavored BTF");
    loaders.btf = Some(target);
    let (rows, _, _) = run::run(&objects, &loaders, workers());
    let no_gaps = ratchet::parse_expected("");
    let outcome = ratchet::compare(&rows, Some(&no_gaps), &release);
    println!("target: the kernel's BTF with {renamed} types renamed NAME___flavored");
    print!("{}", outcome.report);
    println!("{NAME} on {release}: {}; {} failures", outcome.summary, outcome.failures.len());
    let both = rows.iter().filter(|r| r.libbpf.loaded() && r.rawbpf.loaded()).count();
    assert!(both > 0, "no program loaded with both loaders: the comparison would prove nothing");
    assert!(
        outcome.failures.is_empty(),
        "rawbpf differs from libbpf on flavored BTF:\n{}",
        outcome.failures.join("\n")
    );
}

/// `rawbpf btf min` of every object against the kernel's BTF, and both loaders relocating
/// against each object's minimal BTF: rawbpf must load every program libbpf loads against the
/// full kernel BTF, with the same tag (the same relocated instructions), and agree with libbpf
/// given the same minimal BTF. Prints the sizes.
#[test]
fn libbpf_tools_against_min_btf_like_full() {
    const NAME: &str = "libbpf_tools_against_min_btf_like_full";
    let Some(Setup { release, work, objects, mut loaders, .. }) = setup(NAME, "libbpf_tools_min") else {
        return;
    };
    let mins = work.join("min");
    let total = min::write_all(&loaders.rawbpf, &objects, &mins).unwrap_or_else(|f| panic!("{}", f.join("\n")));
    let (full_rows, _, _) = run::run(&objects, &loaders, workers());
    loaders.btf = Some(mins);
    let (min_rows, _, _) = run::run(&objects, &loaders, workers());
    let kernel = fs::metadata(min::VMLINUX).map_or(0, |m| m.len());
    println!("{} minimal BTFs: {total} bytes in all, against {kernel} bytes of kernel BTF", objects.len());
    let (same, mut failures) = min::compare(&full_rows, &min_rows);
    let outcome = ratchet::compare(&min_rows, Some(&ratchet::parse_expected("")), &release);
    print!("{}", outcome.report);
    println!(
        "{NAME} on {release}: {same} programs load from their minimal BTF with libbpf's full-BTF tag; {} differ",
        failures.len()
    );
    failures.extend(outcome.failures);
    assert!(same > 0, "nothing loaded: the comparison would prove nothing");
    assert!(failures.is_empty(), "minimal BTF changed programs:\n{}", failures.join("\n"));
}
