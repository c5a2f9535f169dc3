//! What a quote and a real output may differ in without the doc being wrong: the parts that
//! depend on the machine, the kernel build or the run. Everything else — words, their order,
//! the lines and their order — is compared as written.

use std::sync::LazyLock;

use regex::Regex;

/// How much of a line depends on where it was produced.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scope {
    /// Ids, tags, fds, timestamps, pids, BTF sizes and type counts vary; every other number is
    /// the object's own (offsets in our programs, instruction counts) and stays checked.
    Run,
    /// The quote shows the running kernel's types (`kernel=X.Y`): offsets, sizes and member
    /// paths of kernel types change between builds of one release, so every number is hidden.
    KernelBuild,
}

/// One rewrite: a pattern and what each match becomes.
struct Rule(&'static str, &'static str);

/// Applied in order to every line, quoted and actual.
const RUN_RULES: &[Rule] = &[
    // BTF type ids: `[58930]`.
    Rule(r"\[\d+\]", "[ID]"),
    // Kernel object ids, and fds the kernel hands out: `id 42`, `ids 3, 4`, `fd 5`, `id=7`, `key_type_id=9`.
    Rule(r"\b(ids?|fds?) \d+(, \d+)*", "$1 N"),
    Rule(r"\b(\w*id|\w*fd)=\d+", "$1=N"),
    // Program tags: 16 hex digits with at least one digit.
    Rule(r"\b[0-9a-f]{16}\b", "TAG"),
    // trace_pipe timestamps: `2.635491`.
    Rule(r"\b\d+\.\d{6}\b", "TS"),
    // pids: `pid=164`, `tgid=164`, and the `comm-PID` of a trace line.
    Rule(r"\b(pid|tgid)=\d+", "$1=PID"),
    Rule(r"(\S)-\d+ \[", "$1-PID ["),
    // The kernel's BTF: its type count and size change with every build.
    Rule(r"\b\d+ types\b", "N types"),
    Rule(r"\b\d+ bytes\b", "N bytes"),
    // The running kernel's release and its local version (`6.18.44-fc-v1045`) differ between builds.
    Rule(r"kernel release [^\s)]+", "kernel release RELEASE"),
    Rule(r"(LINUX_KERNEL_VERSION \(.*\) = )\d+", "${1}N"),
    Rule(r#"(CONFIG_LOCALVERSION \(.*\) = )"[^"]*""#, "$1\"LOCALVERSION\""),
    // An object's BTF holds the source paths clang recorded, so its size depends on the checkout.
    Rule(r"BPF_BTF_LOAD size=\d+", "BPF_BTF_LOAD size=N"),
];

/// Applied after [`RUN_RULES`] in [`Scope::KernelBuild`]: every remaining whole number.
const KERNEL_RULES: &[Rule] = &[Rule(r"\b\d+\b", "N")];

fn compile(rules: &[Rule]) -> Vec<(Regex, &'static str)> {
    rules.iter().map(|Rule(p, with)| (Regex::new(p).expect("normalization rule"), *with)).collect()
}

static RUN: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| compile(RUN_RULES));
static KERNEL: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| compile(KERNEL_RULES));

/// One line with its volatile parts replaced, runs of spaces made one, trailing spaces dropped.
pub fn line(text: &str, scope: Scope) -> String {
    let mut s = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let kernel: &[(Regex, &str)] = if scope == Scope::KernelBuild { &KERNEL } else { &[] };
    for (re, with) in RUN.iter().chain(kernel) {
        s = re.replace_all(&s, *with).into_owned();
    }
    s
}

/// A `trace_pipe` record as rawbpf prints it: `TIMESTAMP COMM-PID [CPU] message`; its COMM.
fn trace_comm(text: &str) -> Option<&str> {
    static TRACE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*\d+\.\d{6} (.+)-\d+ +\[\d+\] ").unwrap());
    TRACE.captures(text).map(|c| c.get(1).unwrap().as_str())
}

/// The actual output without the trace records of processes the quote does not show: other
/// programs on the machine fire the same tracepoints while a quoted command streams.
pub fn drop_foreign_trace_lines<'a>(quoted: &[String], actual: &'a [String]) -> Vec<&'a str> {
    let shown: Vec<&str> = quoted.iter().filter_map(|l| trace_comm(l)).collect();
    actual.iter().map(String::as_str).filter(|l| trace_comm(l).is_none_or(|comm| shown.contains(&comm))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str, scope: Scope) -> bool {
        line(a, scope) == line(b, scope)
    }

    #[test]
    fn what_the_machine_decides_is_hidden() {
        let run = Scope::Run;
        // Type counts, BTF sizes, type ids, object ids, tags, fds, pids, timestamps.
        assert!(same(
            "rawbpf: no type named 'x' in /sys/kernel/btf/vmlinux (126565 types)",
            "rawbpf: no type named 'x' in /sys/kernel/btf/vmlinux (126669 types)",
            run
        ));
        assert!(same(
            "mmap(/sys/kernel/btf/vmlinux, 5514925 bytes, PROT_READ) = mapped",
            "mmap(/sys/kernel/btf/vmlinux, 5518499 bytes, PROT_READ) = mapped",
            run
        ));
        assert!(same("/* FUNC [58930] tcp_connect */", "/* FUNC [114104] tcp_connect */", run));
        assert!(same("loaded: id 575 tag cf93c8baa3dfcc20", "loaded: id 12 tag 0123456789abcdef", run));
        assert!(same("attach_btf_id=10324 btf_fd=3 prog fd=5", "attach_btf_id=99 btf_fd=4 prog fd=6", run));
        assert!(same(
            "2.635491 nc-164 [001] fentry: pid=164 tgid=164",
            "99.000001 nc-7 [000] fentry: pid=7 tgid=7",
            run
        ));
        assert!(same("BPF_BTF_LOAD size=45 log_level=0", "BPF_BTF_LOAD size=1045 log_level=0", run));
        // The kernel build's release and local version.
        assert!(same(
            "VERSION (int) = 397868 (kernel release 6.18.44-fc-v1)",
            "VERSION (int) = 397868 (kernel release 6.18.4)",
            run
        ));
        assert!(same(
            "CONFIG_LOCALVERSION (char array, .kconfig+18, __weak) = \"-fc-v1045\" (/proc/config.gz line 37)",
            "CONFIG_LOCALVERSION (char array, .kconfig+18, __weak) = \"\" (/proc/config.gz line 37)",
            run
        ));
        assert!(same("LINUX_KERNEL_VERSION (int) = 397868 (", "LINUX_KERNEL_VERSION (int) = 397870 (", run));
        // A kernel-type quote hides the kernel's offsets and member paths too.
        let k = Scope::KernelBuild;
        assert!(same(
            "struct task_struct::pid (0:92) local 1264 → target 1264 (unchanged)",
            "struct task_struct::pid (0:95) local 1280 → target 1280 (unchanged)",
            k
        ));
        assert!(same("__be32 skc_daddr; /* 0 4 */", "__be32 skc_daddr; /* 8 4 */", k));
    }

    #[test]
    fn what_the_doc_says_is_still_compared() {
        let run = Scope::Run;
        // Offsets and sizes of the object's own types are what the docs teach.
        assert!(!same("local 0 → target 16 (moved)", "local 0 → target 24 (moved)", run));
        assert!(!same("value_size=46 max_entries=1", "value_size=48 max_entries=1", run));
        assert!(!same("struct demo::pid (0:2)", "struct demo::pid (0:3)", run));
        // Words, in either scope.
        for scope in [Scope::Run, Scope::KernelBuild] {
            assert!(!same("local 1264 → target 1264 (unchanged)", "local 1264 → target 1264 (moved)", scope));
            assert!(!same("no type named 'x' (5 types)", "no type called 'x' (5 types)", scope));
            assert!(!same("struct sock_common {", "struct sock {", scope));
            assert!(!same("__be32 skc_daddr; /* 0 4 */", "__be32 skc_saddr; /* 0 4 */", scope));
        }
        // Digits inside names are names.
        assert_eq!(line("__be32 u64 sk_v6 x86_64", Scope::KernelBuild), "__be32 u64 sk_v6 x86_64");
        // Spacing is not content.
        assert_eq!(line("  a   b  ", Scope::Run), "a b");
    }

    #[test]
    fn trace_lines_of_other_processes_are_dropped() {
        let quoted = vec!["1.000000 nc-157 [001] fentry".to_string(), "rawbpf: detached".to_string()];
        let actual: Vec<String> = [
            "2.000000 systemd-1 [000] exec",
            "2.100000 nc-42 [001] fentry",
            "2.200000 <...>-43 [000] exec",
            "rawbpf: detached",
        ]
        .map(String::from)
        .into();
        assert_eq!(drop_foreign_trace_lines(&quoted, &actual), ["2.100000 nc-42 [001] fentry", "rawbpf: detached"]);
        let none: Vec<String> = vec!["rawbpf: streaming".into()];
        assert_eq!(drop_foreign_trace_lines(&none, &actual), ["rawbpf: detached"]);
    }
}
