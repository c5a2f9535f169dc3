//! Kernel function names: `/proc/kallsyms` (is a symbol there?) and tracefs
//! `available_filter_functions` (the functions kprobe.multi can attach to), read only when
//! needed: on an error path, for a ksyscall without the kprobe PMU, or to expand a glob.

use std::io::{self, BufRead};

/// Whether `/proc/kallsyms` has a symbol `name` (vmlinux or a module).
pub fn kallsyms_has(name: &str) -> io::Result<bool> {
    let f = io::BufReader::new(std::fs::File::open("/proc/kallsyms")?);
    for line in f.lines() {
        if kallsyms_name(&line?) == Some(name) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The name of a kallsyms line `ffffffff81000000 T _stext` (or `... t name\t[module]`).
fn kallsyms_name(line: &str) -> Option<&str> {
    line.split_whitespace().nth(2)
}

/// The function names of tracefs `available_filter_functions` matching glob `pattern`, each once,
/// sorted, as libbpf's `libbpf_available_kallsyms_parse` collects them for kprobe.multi.
pub fn filter_functions_matching(pattern: &str) -> io::Result<Vec<String>> {
    let root =
        crate::sys::tracefs_root().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "tracefs is not mounted"))?;
    let f = io::BufReader::new(std::fs::File::open(root.join("available_filter_functions"))?);
    let mut out = Vec::new();
    for line in f.lines() {
        let line = line?;
        let Some(name) = line.split_whitespace().next() else { continue };
        // Entries the kernel could not resolve; libbpf skips them too.
        if name.starts_with("__ftrace_invalid_address__") {
            continue;
        }
        if glob_match(pattern, name) {
            out.push(name.to_owned());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// libbpf's `glob_match`: `*` is any run of characters, `?` any one character.
pub fn glob_match(pattern: &str, s: &str) -> bool {
    let (p, s) = (pattern.as_bytes(), s.as_bytes());
    let (mut pi, mut si) = (0, 0);
    // Where the last `*` was, and the text position it currently stands for: backtracking
    // there is enough for `*` and `?` (linear in practice, quadratic at worst, no recursion).
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_libbpf() {
        assert!(glob_match("tcp_*", "tcp_connect"));
        assert!(glob_match("*", ""));
        assert!(glob_match("*_sys_cl?ne", "__x64_sys_clone"));
        assert!(glob_match("do_nanosleep", "do_nanosleep"));
        assert!(!glob_match("do_nanosleep", "do_nanosleep2"));
        assert!(!glob_match("tcp_*", "udp_connect"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(!glob_match("?", ""));
    }

    #[test]
    fn kallsyms_lines_name_their_symbol() {
        assert_eq!(kallsyms_name("ffffffff81000000 T _stext"), Some("_stext"));
        assert_eq!(kallsyms_name("ffffffffc0000000 t foo_init\t[foo]"), Some("foo_init"));
        assert_eq!(kallsyms_name("garbage"), None);
    }
}
