//! Helpers shared by the benchmarks: medians, child processes with peak RSS, formatting.
//! Benchmarks print figures and ratios; they never assert times.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where the kernel's BTF lives.
pub const VMLINUX: &str = btf::source::VMLINUX_BTF;

/// The median of `d` (sorted in place).
pub fn median(d: &mut [Duration]) -> Duration {
    d.sort();
    d[d.len() / 2]
}

/// Milliseconds with three decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// Times `f` `n` times and returns the median.
pub fn time_n<T>(n: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut v: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    median(&mut v)
}

/// A finished child: wall time, peak RSS in KiB (if `/usr/bin/time` is there), stdout.
pub struct ChildRun {
    pub wall: Duration,
    pub max_rss_kib: Option<u64>,
    pub stdout: String,
}

/// Runs `argv` with stdout captured (or sent to /dev/null), measuring peak RSS through
/// `/usr/bin/time -f %M`, which reports the child's `ru_maxrss`.
pub fn run_child(argv: &[&str], discard_stdout: bool) -> Result<ChildRun, String> {
    let time_bin = Path::new("/usr/bin/time");
    let rss_file = std::env::temp_dir().join(format!("rawbpf-bench-rss-{}", std::process::id()));
    let mut cmd = if time_bin.exists() {
        let mut c = Command::new(time_bin);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).args(argv);
        c
    } else {
        let mut c = Command::new(argv[0]);
        c.args(&argv[1..]);
        c
    };
    cmd.stdout(if discard_stdout { Stdio::null() } else { Stdio::piped() }).stderr(Stdio::piped());
    let t = Instant::now();
    let out = cmd.output().map_err(|e| format!("{}: {e}", argv[0]))?;
    let wall = t.elapsed();
    if !out.status.success() {
        return Err(format!("{} failed: {}", argv.join(" "), String::from_utf8_lossy(&out.stderr)));
    }
    let max_rss_kib = std::fs::read_to_string(&rss_file).ok().and_then(|s| s.trim().lines().last()?.parse().ok());
    std::fs::remove_file(&rss_file).ok();
    Ok(ChildRun { wall, max_rss_kib, stdout: String::from_utf8_lossy(&out.stdout).into_owned() })
}

/// Runs a child `n` times; returns the median wall time and the largest peak RSS seen.
pub fn run_child_n(n: usize, argv: &[&str]) -> Result<(Duration, Option<u64>), String> {
    let mut walls = Vec::with_capacity(n);
    let mut rss = None;
    for _ in 0..n {
        let r = run_child(argv, true)?;
        walls.push(r.wall);
        rss = rss.max(r.max_rss_kib);
    }
    Ok((median(&mut walls), rss))
}

/// This benchmark's own executable, re-run with `--oneshot ...` for child-process figures.
pub fn self_exe() -> String {
    std::env::current_exe().unwrap().to_string_lossy().into_owned()
}

/// `--oneshot WHAT` from the command line, if this process is a child run.
pub fn oneshot_arg() -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == "--oneshot")?;
    args.get(i + 1).cloned()
}

/// Scratch directory for built reference programs.
pub fn scratch() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("btf-bench");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// "x.xx" for a/b, or "n/a".
pub fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "n/a".into()
    }
}

/// Peak RSS as MiB text.
pub fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.1} MiB", k as f64 / 1024.0)).unwrap_or_else(|| "n/a".into())
}
