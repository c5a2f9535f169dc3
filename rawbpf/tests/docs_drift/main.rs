//! The command outputs quoted in docs/*.md must still be what rawbpf prints.
//!
//! A checked block is a line `<!-- output FLAGS: COMMAND -->` directly followed by a ```text
//! fence. The test runs COMMAND (its leading `rawbpf` replaced by the binary under test, in the
//! repository root, stdout and stderr merged as a terminal shows them), normalizes both sides
//! and fails with a diff when they differ.
//!
//! FLAGS (space separated, optional):
//! - `root`: needs root (loads programs); not checked otherwise.
//! - `kernel=X.Y`: the output shows this kernel release's BTF; not checked on another release,
//!   and every number in it is normalized (kernel builds of one release differ in offsets).
//! - `progs`: needs progs/*.o, built by progs-build/build (not checked without clang-19).
//! - `exit=N`: the command's expected exit status (default 0).
//! - `nobody`: run as uid 65534 with no capabilities (via `setpriv`, when the test is root), to
//!   show what an unprivileged user sees.
//!
//! Inside a quoted block a line `...` stands for any number of lines (`excerpt.rs`). What is
//! normalized — ids, tags, fds, timestamps, pids, the kernel's BTF type count and size, trace
//! records of other processes — is listed in `normalize.rs`; words, lines and their order are
//! compared as written.
//!
//! `<!-- output-illustrative -->` before a fence marks it as not checked (trace lines, VM logs,
//! messages that need another machine).

mod excerpt;
mod normalize;
mod quote;

use std::path::{Path, PathBuf};
use std::process::Command;

use normalize::Scope;
use quote::Quote;

fn root_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn have_clang() -> bool {
    Command::new("clang-19").arg("--version").output().is_ok()
}

/// Why a quote cannot be checked here, if it cannot.
fn cannot_check(q: &Quote) -> Option<String> {
    if q.has("root") && !nix::unistd::geteuid().is_root() {
        return Some("needs root".into());
    }
    if let Some(want) = q.kernel() {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        if !release.starts_with(&format!("{want}.")) {
            return Some(format!("quoted on kernel {want}, this is {}", release.trim()));
        }
    }
    if q.has("progs") && !have_clang() {
        return Some("clang-19 not installed, cannot build progs/".into());
    }
    if !Path::new(btf::source::VMLINUX_BTF).exists() {
        return Some(format!("no {}", btf::source::VMLINUX_BTF));
    }
    None
}

/// Runs the quoted command; returns its exit status and its merged output lines.
fn run(q: &Quote) -> (i32, Vec<String>) {
    let cmd = q
        .command
        .strip_prefix("rawbpf ")
        .unwrap_or_else(|| panic!("{}:{}: command must start with rawbpf", q.file, q.line));
    let drop = if q.has("nobody") && nix::unistd::geteuid().is_root() {
        "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "
    } else {
        ""
    };
    // sh for the quoting; stdout and stderr into one pipe, as a terminal would show them.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec {drop}\"$RAWBPF\" {cmd} 2>&1"))
        .env("RAWBPF", env!("CARGO_BIN_EXE_rawbpf"))
        .env_remove("RUST_LOG")
        .current_dir(root_dir())
        .output()
        .expect("run sh");
    let text = String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), text.lines().map(String::from).collect())
}

/// Compares a quote with an output (exit status and lines), both normalized for `scope`.
fn compare(quoted: &[String], want_exit: i32, got_exit: i32, actual: &[String], scope: Scope) -> Result<(), String> {
    if got_exit != want_exit {
        return Err(format!("exit status {got_exit}, the doc says {want_exit}"));
    }
    let expected: Vec<String> =
        quoted.iter().map(|l| if l.trim() == "..." { "...".into() } else { normalize::line(l, scope) }).collect();
    let actual: Vec<String> =
        normalize::drop_foreign_trace_lines(quoted, actual).iter().map(|l| normalize::line(l, scope)).collect();
    let actual: Vec<&str> = actual.iter().map(String::as_str).collect();
    excerpt::matches(&expected, &actual).map_err(|why| {
        format!(
            "{why}\n--- quoted (normalized)\n{}\n--- actual (normalized)\n{}\n",
            expected.join("\n"),
            actual.join("\n")
        )
    })
}

fn check(q: &Quote) -> Result<(), String> {
    let (code, actual) = run(q);
    compare(&q.expected, q.exit(), code, &actual, q.scope())
        .map_err(|why| format!("{}:{}: `{}` no longer prints what the doc quotes: {why}", q.file, q.line, q.command))
}

fn all_quotes() -> Vec<Quote> {
    let dir = root_dir().join("docs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read docs/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| {
            let name = p.strip_prefix(root_dir()).unwrap().display().to_string();
            quote::parse(&name, &std::fs::read_to_string(p).unwrap())
        })
        .collect()
}

#[test]
fn quoted_outputs_match_the_binary() {
    let quotes = all_quotes();
    assert!(quotes.len() >= 3, "docs should hold at least 3 checked outputs, found {}", quotes.len());
    let runnable: Vec<&Quote> = quotes
        .iter()
        .filter(|q| match cannot_check(q) {
            Some(why) => {
                println!("not checked here: {}:{} `{}`: {why}", q.file, q.line, q.command);
                false
            }
            None => true,
        })
        .collect();
    if runnable.is_empty() {
        return println!("SKIP: quoted_outputs_match_the_binary: none of the {} quotes can run here", quotes.len());
    }
    if runnable.iter().any(|q| q.has("progs")) {
        let out = Command::new(root_dir().join("progs-build/build")).output().expect("run progs-build/build");
        assert!(out.status.success(), "progs-build/build failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let failures: Vec<String> = runnable.iter().filter_map(|q| check(q).err()).collect();
    println!("{} of {} quoted outputs checked", runnable.len(), quotes.len());
    assert!(failures.is_empty(), "{} doc quote(s) drifted:\n\n{}", failures.len(), failures.join("\n"));
}

/// A quote taken on one machine, and what another machine prints.
#[cfg(test)]
mod across_machines {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(String::from).collect()
    }

    const QUOTED: &str = "\
rawbpf::sys: mmap(/sys/kernel/btf/vmlinux, 5514925 bytes, PROT_READ, MAP_PRIVATE) = mapped
rawbpf::load: kernel BTF: 126566 types from /sys/kernel/btf/vmlinux
rawbpf::core: #1 field byte offset struct task_struct::pid (0:92) local 1264 → target 1264 (unchanged)
rawbpf::load: program p (tracing) loaded: id 575 tag cf93c8baa3dfcc20 (10 insns)
rawbpf: streaming trace_pipe for 1 s (Ctrl-C stops)
2.979994 nc-157 [001] fentry tcp_connect: pid=157
rawbpf: detached 1 link(s)";

    /// The same run on another build of the kernel, with another program firing meanwhile.
    const ELSEWHERE: &str = "\
rawbpf::sys: mmap(/sys/kernel/btf/vmlinux, 5518499 bytes, PROT_READ, MAP_PRIVATE) = mapped
rawbpf::load: kernel BTF: 126669 types from /sys/kernel/btf/vmlinux
rawbpf::core: #1 field byte offset struct task_struct::pid (0:93) local 1272 → target 1272 (unchanged)
rawbpf::load: program p (tracing) loaded: id 12 tag 00112233445566aa (10 insns)
rawbpf: streaming trace_pipe for 1 s (Ctrl-C stops)
8.000001 cron-99 [000] fentry tcp_connect: pid=99
8.100000 nc-4242 [001] fentry tcp_connect: pid=4242
rawbpf: detached 1 link(s)";

    fn verdict(actual: &str) -> Result<(), String> {
        compare(&lines(QUOTED), 0, 0, &lines(actual), Scope::KernelBuild)
    }

    #[test]
    fn another_kernel_build_matches() {
        verdict(ELSEWHERE).unwrap();
    }

    #[test]
    fn changed_wording_order_or_structure_fails() {
        let reworded = ELSEWHERE.replace("(unchanged)", "(moved)");
        assert!(verdict(&reworded).is_err(), "a changed word");
        let mut swapped = lines(ELSEWHERE);
        swapped.swap(0, 1);
        assert!(verdict(&swapped.join("\n")).is_err(), "lines in another order");
        let missing: Vec<String> = lines(ELSEWHERE).into_iter().filter(|l| !l.contains("streaming")).collect();
        assert!(verdict(&missing.join("\n")).is_err(), "a line gone");
        assert!(verdict(&format!("{ELSEWHERE}\nrawbpf: one more line")).is_err(), "a line added");
        assert!(verdict(&ELSEWHERE.replace("nc-4242", "curl-4242")).is_err(), "the quoted process did not show");
        assert!(compare(&lines(QUOTED), 1, 0, &lines(ELSEWHERE), Scope::KernelBuild).is_err(), "exit status");
    }
}
