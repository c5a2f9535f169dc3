//! Whole processes: the rawbpf binary as shipped, and the reference drivers, each run as a
//! command with stdout to /dev/null; wall time from spawn to exit, peak RSS through
//! `/usr/bin/time -f %M` (the child's `ru_maxrss`, which counts every page it touched: code,
//! data, and the file pages it read or mapped), and CPU time (user + system, from
//! `getrusage(RUSAGE_CHILDREN)` around the wait), which other load on the machine disturbs
//! less than wall time.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::resource::{getrusage, UsageWho};

use crate::report::median;

/// One command line, first the program.
pub type Argv = Vec<String>;

/// One run of a command.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    /// From spawn to exit.
    pub wall: Duration,
    /// User + system time of the child.
    pub cpu: Duration,
}

fn children_cpu() -> Duration {
    let to = |t: nix::sys::time::TimeVal| Duration::new(t.tv_sec() as u64, t.tv_usec() as u32 * 1000);
    match getrusage(UsageWho::RUSAGE_CHILDREN) {
        Ok(u) => to(u.user_time()) + to(u.system_time()),
        Err(_) => Duration::ZERO,
    }
}

/// Runs `argv` once, stdout to /dev/null; its wall and CPU time.
pub fn run(argv: &[String]) -> Result<Sample, String> {
    let cpu0 = children_cpu();
    let t = Instant::now();
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("{}: {e}", argv[0]))?;
    let wall = t.elapsed();
    if !out.status.success() {
        return Err(format!("{} failed: {}", argv.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(Sample { wall, cpu: children_cpu().saturating_sub(cpu0) })
}

/// Runs `argv` and returns its stdout.
pub fn stdout_of(argv: &[String]) -> Result<String, String> {
    let out = Command::new(&argv[0]).args(&argv[1..]).output().map_err(|e| format!("{}: {e}", argv[0]))?;
    if !out.status.success() {
        return Err(format!("{} failed: {}", argv.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Every run of each command over `rounds` interleaved rounds (A B C, A B C, ...): a machine
/// that gets busier or quieter during the run affects every side alike. `runs[k][r]` is
/// command `k` in round `r`.
pub fn paired(rounds: usize, argvs: &[Argv]) -> Result<Vec<Vec<Sample>>, String> {
    let mut t: Vec<Vec<Sample>> = vec![Vec::with_capacity(rounds); argvs.len()];
    for argv in argvs {
        run(argv)?; // warm the page cache and the binary
    }
    for _ in 0..rounds {
        for (i, argv) in argvs.iter().enumerate() {
            t[i].push(run(argv)?);
        }
    }
    Ok(t)
}

/// The median wall and CPU time of `runs`.
pub fn medians(runs: &[Sample]) -> Sample {
    let (mut w, mut c): (Vec<Duration>, Vec<Duration>) = runs.iter().map(|s| (s.wall, s.cpu)).unzip();
    Sample { wall: median(&mut w), cpu: median(&mut c) }
}

/// The median over rounds of `ours[r] / theirs[r]` for one measure (`f`): the ratio of runs made
/// side by side, which drift in the machine's speed between rounds does not move.
pub fn paired_ratio(ours: &[Sample], theirs: &[Sample], f: impl Fn(&Sample) -> Duration) -> f64 {
    let mut r: Vec<f64> = ours.iter().zip(theirs).map(|(a, b)| f(a).as_secs_f64() / f(b).as_secs_f64()).collect();
    r.sort_by(f64::total_cmp);
    r.get(r.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Peak RSS in KiB of one run of `argv` (median of `runs`), or `None` without `/usr/bin/time`.
pub fn peak_rss_kib(argv: &[String], runs: usize) -> Result<Option<u64>, String> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return Ok(None);
    }
    let file = std::env::temp_dir().join(format!("rawbpf-bench-rss-{}", std::process::id()));
    let mut all = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let mut cmd = vec![time.to_string_lossy().into_owned(), "-f".into(), "%M".into(), "-o".into()];
        cmd.push(file.to_string_lossy().into_owned());
        cmd.extend(argv.iter().cloned());
        run(&cmd)?;
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let kib = text.trim().lines().last().and_then(|l| l.parse().ok());
        all.push(kib.ok_or_else(|| format!("/usr/bin/time wrote {text:?}"))?);
    }
    std::fs::remove_file(&file).ok();
    all.sort_unstable();
    Ok(Some(all[all.len() / 2]))
}

/// The rawbpf binary as shipped (`cargo build --release -p rawbpf`), built first so that it is
/// current: the whole-process rows measure the product, with its release profile.
pub fn rawbpf_binary() -> Result<PathBuf, String> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--release", "-p", "rawbpf"])
        .current_dir(crate::root())
        .status()
        .map_err(|e| format!("cargo build -p rawbpf: {e}"))?;
    if !status.success() {
        return Err("cargo build --release -p rawbpf failed".into());
    }
    // This bench runs from <target>/release/deps/; the binary is in <target>/release/.
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let release = exe.parent().and_then(Path::parent).ok_or("bench executable outside a target dir")?;
    let bin = release.join("rawbpf");
    bin.exists().then_some(bin).ok_or_else(|| format!("no rawbpf binary in {}", release.display()))
}
