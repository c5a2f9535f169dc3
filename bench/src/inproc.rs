//! The in-process comparison: rawbpf's library timed in this process against each libbpf
//! driver's own loop, in interleaved rounds (ours, each driver, ours, ...), wall and CPU time.

use std::time::{Duration, Instant};

use nix::sys::resource::{getrusage, UsageWho};

use crate::child::{medians, paired_ratio, stdout_of, Argv, Sample};
use crate::refs::Reference;
use crate::report::{median, row_ratio, Figure};

/// User + system time of this process so far.
fn own_cpu() -> Duration {
    let to = |t: nix::sys::time::TimeVal| Duration::new(t.tv_sec() as u64, t.tv_usec() as u32 * 1000);
    getrusage(UsageWho::RUSAGE_SELF).map_or(Duration::ZERO, |u| to(u.user_time()) + to(u.system_time()))
}

/// Median wall and CPU time of `n` calls of `f`.
pub fn sample_n<T>(n: usize, mut f: impl FnMut() -> T) -> Sample {
    let (mut walls, mut cpus) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n.max(1) {
        let (c, t) = (own_cpu(), Instant::now());
        std::hint::black_box(f());
        walls.push(t.elapsed());
        cpus.push(own_cpu().saturating_sub(c));
    }
    Sample { wall: median(&mut walls), cpu: median(&mut cpus) }
}

/// A driver's medians, from its `median_ns` and `median_cpu_ns` lines.
fn driver_sample(argv: &[String]) -> Result<Sample, String> {
    let text = stdout_of(argv)?;
    let field = |key: &str| {
        let ns = text.lines().find_map(|l| l.strip_prefix(key)?.trim().parse::<f64>().ok());
        ns.map(|ns| Duration::from_nanos(ns as u64)).ok_or_else(|| format!("{} printed {text:?}", argv[0]))
    };
    Ok(Sample { wall: field("median_ns ")?, cpu: field("median_cpu_ns ")? })
}

/// Runs `rounds` rounds of `iters` iterations of `ours` and of each reference's driver (its
/// command line for `iters` iterations given by `argv`), then prints a wall-time row and a
/// CPU-time row per reference. Returns rawbpf's median sample.
pub fn compare(
    rounds: usize,
    iters: usize,
    mut ours: impl FnMut(),
    refs: &[Reference],
    argv: impl Fn(&Reference, usize) -> Argv,
) -> Result<Sample, String> {
    let mut mine = Vec::new();
    let mut theirs: Vec<Vec<Sample>> = vec![Vec::new(); refs.len()];
    for _ in 0..rounds.max(1) {
        mine.push(sample_n(iters, &mut ours));
        for (r, t) in refs.iter().zip(&mut theirs) {
            t.push(driver_sample(&argv(r, iters))?);
        }
    }
    let o = medians(&mine);
    let what = format!("in-process {rounds}x{iters}");
    for (r, t) in refs.iter().zip(&theirs) {
        let (m, wall, cpu) = (medians(t), paired_ratio(&mine, t, |s| s.wall), paired_ratio(&mine, t, |s| s.cpu));
        row_ratio(&format!("{what} wall"), Figure::Time(o.wall), Figure::Time(m.wall), wall, &r.label, None);
        row_ratio(&format!("{what} CPU"), Figure::Time(o.cpu), Figure::Time(m.cpu), cpu, &r.label, None);
    }
    Ok(o)
}
