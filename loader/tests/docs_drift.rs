//! The command outputs quoted in docs/*.md must still be what rawbpf prints.
//!
//! A checked block is a line `<!-- output FLAGS: COMMAND -->` directly followed by a ```text
//! fence. The test runs COMMAND (its leading `rawbpf` replaced by the binary under test, in the
//! repository root, stdout and stderr merged as a terminal shows them), normalizes both sides
//! and fails with a diff when they differ.
//!
//! FLAGS (space separated, optional):
//! - `root`: needs root (loads programs); SKIP otherwise.
//! - `kernel=X.Y`: the output depends on this kernel's BTF; SKIP on another kernel release.
//! - `progs`: needs progs/*.o, built by progs-build/build (SKIP without clang-19).
//! - `exit=N`: the command's expected exit status (default 0).
//! - `nobody`: run as uid 65534 with no capabilities (via `setpriv`, when the test is root), to
//!   show what an unprivileged user sees.
//!
//! Inside a quoted block a line `...` stands for any number of lines (zero or more), so a doc can
//! quote an excerpt: the lines between `...` must appear in the output consecutively and in order;
//! the block is anchored to the output's first line unless it starts with `...`, to its last
//! unless it ends with `...`.
//!
//! Normalization (applied to the quoted block and to the real output alike), for what changes
//! from run to run or machine to machine without the docs being wrong:
//! - BTF type ids in brackets: `[58930]` → `[ID]`;
//! - kernel object ids: a number after `id ` / `id=` / `ids ` → `ID`; `btf fd`/`fd N` → `fd FD`;
//! - program tags (16 hex digits) → `TAG`;
//! - trace timestamps (`123.456789`) → `TS`;
//! - pids: `pid=N`, `tgid=N`, `-N` after a command name in trace lines → `PID`;
//! - runs of spaces → one space; trailing spaces dropped.
//!
//! `<!-- output-illustrative -->` before a fence marks it as not checked (trace lines, VM logs,
//! messages that need another machine).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// One checked block found in a doc.
#[derive(Debug)]
struct Quote {
    file: String,
    line: usize,
    flags: Vec<String>,
    command: String,
    expected: Vec<String>,
}

/// Every `<!-- output ...: CMD -->` + ```text block in `text`.
fn quotes(file: &str, text: &str) -> Vec<Quote> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(rest) = l.trim().strip_prefix("<!-- output") else {
            continue;
        };
        if rest.starts_with("-illustrative") {
            continue;
        }
        let rest = rest.strip_suffix("-->").unwrap_or_else(|| panic!("{file}:{}: marker not closed", i + 1));
        let (flags, command) =
            rest.split_once(':').unwrap_or_else(|| panic!("{file}:{}: marker has no ': COMMAND'", i + 1));
        assert_eq!(
            lines.get(i + 1).map(|s| s.trim()),
            Some("```text"),
            "{file}:{}: an output marker must be directly followed by a ```text fence",
            i + 1
        );
        let body: Vec<String> =
            lines[i + 2..].iter().take_while(|s| s.trim() != "```").map(|s| s.to_string()).collect();
        assert!(i + 2 + body.len() < lines.len(), "{file}:{}: fence not closed", i + 1);
        out.push(Quote {
            file: file.into(),
            line: i + 1,
            flags: flags.split_whitespace().map(String::from).collect(),
            command: command.trim().into(),
            expected: body,
        });
    }
    out
}

fn is_num_char(c: char) -> bool {
    c.is_ascii_digit()
}

/// Replaces volatile parts of one line (see the module doc).
fn normalize(line: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let raw: Vec<&str> = line.split_whitespace().collect();
    for (k, w) in raw.iter().enumerate() {
        let prev = if k > 0 { raw[k - 1] } else { "" };
        words.push(normalize_word(w, prev));
    }
    words.join(" ")
}

fn normalize_word(w: &str, prev: &str) -> String {
    let (core, trail) = split_trailing_punct(w);
    let digits = !core.is_empty() && core.chars().all(is_num_char);
    let prev_is_id = matches!(prev.trim_start_matches('('), "id" | "ids" | "fd" | "fds");
    // BPF_BTF_LOAD's size of an object's BTF includes the source paths clang recorded, so it
    // depends on where the repository is checked out.
    let norm = if prev == "BPF_BTF_LOAD" && core.starts_with("size=") {
        "size=N".to_string()
    } else if digits && prev_is_id {
        if prev.ends_with("fd") || prev.ends_with("fds") {
            "FD".to_string()
        } else {
            "ID".to_string()
        }
    } else if core.len() == 16
        && core.chars().all(|c| c.is_ascii_hexdigit())
        && core.chars().any(|c| c.is_ascii_digit())
    {
        "TAG".to_string()
    } else if is_timestamp(core) {
        "TS".to_string()
    } else {
        replace_inner(core)
    };
    format!("{norm}{trail}")
}

fn split_trailing_punct(w: &str) -> (&str, &str) {
    let end = w.trim_end_matches([',', ';', ')', ':']).len();
    (&w[..end], &w[end..])
}

fn is_timestamp(w: &str) -> bool {
    let w = w.trim_end_matches(':');
    match w.split_once('.') {
        Some((a, b)) => !a.is_empty() && a.chars().all(is_num_char) && b.len() == 6 && b.chars().all(is_num_char),
        None => false,
    }
}

/// `[123]` → `[ID]`, `pid=123` → `pid=PID`, `id=5`, `comm-123` → `comm-PID`, anywhere in a word.
fn replace_inner(w: &str) -> String {
    let mut s = w.to_string();
    s = replace_num_after(&s, "[", "]", "ID");
    for key in ["pid=", "tgid="] {
        s = replace_num_after(&s, key, "", "PID");
    }
    for key in ["id=", "id:"] {
        s = replace_num_after(&s, key, "", "ID");
    }
    // trace line task names: `nc-169`, `<...>-173`
    if let Some((name, num)) = s.rsplit_once('-') {
        if !name.is_empty() && !num.is_empty() && num.chars().all(is_num_char) && !name.ends_with('-') {
            s = format!("{name}-PID");
        }
    }
    s
}

/// Replaces each `open DIGITS close` in `s` by `open with close`.
fn replace_num_after(s: &str, open: &str, close: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(p) = rest.find(open) {
        let after = &rest[p + open.len()..];
        let n = after.chars().take_while(|c| c.is_ascii_digit()).count();
        let closed = n > 0 && after[n..].starts_with(close);
        out.push_str(&rest[..p + open.len()]);
        if closed {
            out.push_str(with);
            rest = &after[n..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Whether `expected` (with `...` gaps) matches `actual`; on failure, the first quoted line not found.
fn matches(expected: &[String], actual: &[String]) -> Result<(), String> {
    let chunks: Vec<&[String]> = expected.split(|l| l == "...").collect();
    let open_start = expected.first().is_some_and(|l| l == "...");
    let open_end = expected.last().is_some_and(|l| l == "...");
    let mut pos = 0;
    let n = chunks.len();
    for (k, chunk) in chunks.iter().enumerate() {
        if chunk.is_empty() {
            continue;
        }
        let anchored_start = k == 0 && !open_start;
        let anchored_end = k == n - 1 && !open_end;
        let fits = |at: usize| at + chunk.len() <= actual.len() && actual[at..at + chunk.len()] == **chunk;
        let found = if anchored_start {
            fits(0).then_some(0)
        } else if anchored_end {
            let at = actual.len().checked_sub(chunk.len()).filter(|&at| at >= pos);
            at.filter(|&at| fits(at))
        } else {
            (pos..=actual.len().saturating_sub(chunk.len())).find(|&at| fits(at))
        };
        match found {
            Some(at) => pos = at + chunk.len(),
            None => {
                // Name the first line of the chunk that is nowhere after `pos`.
                let missing = chunk.iter().find(|l| !actual[pos.min(actual.len())..].contains(l)).unwrap_or(&chunk[0]);
                return Err(format!("quoted line not found in order: {missing:?}"));
            }
        }
    }
    if !open_end && pos != actual.len() {
        return Err(format!("output has more lines after the quote, first: {:?}", actual[pos]));
    }
    Ok(())
}

/// Why a quote cannot be checked here, if it cannot.
fn skip_reason(q: &Quote) -> Option<String> {
    for f in &q.flags {
        if f == "root" && !nix::unistd::geteuid().is_root() {
            return Some("needs root".into());
        }
        if let Some(want) = f.strip_prefix("kernel=") {
            let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
            if !release.starts_with(&format!("{want}.")) {
                return Some(format!("quoted on kernel {want}, this is {}", release.trim()));
            }
        }
        if f == "progs" && Command::new("clang-19").arg("--version").output().is_err() {
            return Some("clang-19 not installed, cannot build progs/".into());
        }
    }
    if !Path::new(btf::source::VMLINUX_BTF).exists() {
        return Some(format!("no {}", btf::source::VMLINUX_BTF));
    }
    None
}

fn expected_exit(q: &Quote) -> i32 {
    q.flags.iter().find_map(|f| f.strip_prefix("exit=")).map_or(0, |n| n.parse().expect("exit=N"))
}

/// Runs the quoted command; returns its exit status and merged output lines.
fn run(q: &Quote) -> (i32, Vec<String>) {
    let cmd = q
        .command
        .strip_prefix("rawbpf ")
        .unwrap_or_else(|| panic!("{}:{}: command must start with rawbpf", q.file, q.line));
    let drop = if q.flags.iter().any(|f| f == "nobody") && nix::unistd::geteuid().is_root() {
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
    (out.status.code().unwrap_or(-1), text.lines().map(normalize).collect())
}

fn check(q: &Quote) -> Result<(), String> {
    let (code, actual) = run(q);
    let expected: Vec<String> =
        q.expected.iter().map(|l| if l.trim() == "..." { "...".to_string() } else { normalize(l) }).collect();
    let want = expected_exit(q);
    let verdict = if code != want {
        Err(format!("exit status {code}, the doc says {want}"))
    } else {
        matches(&expected, &actual)
    };
    verdict.map_err(|why| {
        format!(
            "{}:{}: `{}` no longer prints what the doc quotes: {why}\n\
             --- quoted (normalized)\n{}\n--- actual (normalized)\n{}\n",
            q.file,
            q.line,
            q.command,
            expected.join("\n"),
            actual.join("\n")
        )
    })
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
            quotes(&name, &std::fs::read_to_string(p).unwrap())
        })
        .collect()
}

#[test]
fn quoted_outputs_match_the_binary() {
    let quotes = all_quotes();
    assert!(quotes.len() >= 3, "docs should hold at least 3 checked outputs, found {}", quotes.len());
    if quotes.iter().any(|q| q.flags.iter().any(|f| f == "progs")) && skip_reason_progs().is_none() {
        let out = Command::new(root_dir().join("progs-build/build")).output().expect("run progs-build/build");
        assert!(out.status.success(), "progs-build/build failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    for q in &quotes {
        if let Some(why) = skip_reason(q) {
            println!("SKIP: {}:{} `{}`: {why}", q.file, q.line, q.command);
            continue;
        }
        checked += 1;
        if let Err(e) = check(q) {
            failures.push(e);
        }
    }
    println!("{checked} of {} quoted outputs checked", quotes.len());
    assert!(failures.is_empty(), "{} doc quote(s) drifted:\n\n{}", failures.len(), failures.join("\n"));
}

fn skip_reason_progs() -> Option<()> {
    Command::new("clang-19").arg("--version").output().is_err().then_some(())
}

#[test]
fn normalization_hides_only_volatile_parts() {
    assert_eq!(
        normalize("/* FUNC [58930] tcp_connect, linkage static */"),
        "/* FUNC [ID] tcp_connect, linkage static */"
    );
    assert_eq!(normalize("  loaded   prog id 42 tag 0123456789abcdef"), "loaded prog id ID tag TAG");
    assert_eq!(
        normalize("2.635491 nc-164 [001] fentry tcp_connect: pid=164 dport=4242"),
        "TS nc-PID [ID] fentry tcp_connect: pid=PID dport=4242"
    );
    // Offsets and sizes are what the docs teach: they must stay checked.
    assert_eq!(normalize("local 1264 → target 1264 (unchanged)"), "local 1264 → target 1264 (unchanged)");
    assert_eq!(normalize("struct task_struct::pid (0:92)"), "struct task_struct::pid (0:92)");
}

#[test]
fn gaps_match_excerpts_and_a_changed_line_fails() {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let actual = v(&["a", "b", "c", "d"]);
    assert!(matches(&v(&["a", "b", "c", "d"]), &actual).is_ok());
    assert!(matches(&v(&["a", "...", "d"]), &actual).is_ok());
    assert!(matches(&v(&["...", "b", "c", "..."]), &actual).is_ok());
    assert!(matches(&v(&["a", "b"]), &actual).is_err(), "an unanchored end must be exact");
    assert!(matches(&v(&["...", "c", "b", "..."]), &actual).is_err(), "order matters");
    assert!(matches(&v(&["a", "...", "x"]), &actual).is_err());
    assert!(matches(&v(&["b", "..."]), &actual).is_err(), "the start is anchored");
}

#[test]
fn markers_are_parsed() {
    let doc = "x\n<!-- output root kernel=6.18 exit=1: rawbpf load a.o -->\n```text\nl1\n...\n```\n\
               <!-- output-illustrative -->\n```text\nnot checked\n```\n";
    let q = quotes("d.md", doc);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].flags, ["root", "kernel=6.18", "exit=1"]);
    assert_eq!(q[0].command, "rawbpf load a.o");
    assert_eq!(q[0].expected, ["l1", "..."]);
}
