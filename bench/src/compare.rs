//! The whole-process comparison every benchmark prints: rawbpf's command against each
//! reference's, interleaved, then wall time, CPU time and peak RSS rows per reference.

use crate::child::{medians, paired, paired_ratio, peak_rss_kib, Argv};
use crate::report::{row, row_ratio, skipped, Figure};

/// One reference command and the targets its rows are held to (rawbpf / reference).
pub struct Peer {
    /// The reference, with its version.
    pub label: String,
    /// Its command line.
    pub argv: Argv,
    /// Target ratio for wall time, if the issue sets one for this reference.
    pub time_target: Option<f64>,
    /// Target ratio for peak RSS, if set.
    pub rss_target: Option<f64>,
}

/// Runs `ours` and every peer `procs` times, interleaved, and prints their rows.
pub fn processes(procs: usize, ours: Argv, peers: &[Peer]) -> Result<(), String> {
    let mut argvs = vec![ours];
    argvs.extend(peers.iter().map(|p| p.argv.clone()));
    let t = paired(procs, &argvs)?;
    let rss: Vec<Option<u64>> = argvs.iter().map(|a| peak_rss_kib(a, 3)).collect::<Result<_, _>>()?;
    let ours = medians(&t[0]);
    for (i, p) in peers.iter().enumerate() {
        let theirs = medians(&t[i + 1]);
        let wall = paired_ratio(&t[0], &t[i + 1], |s| s.wall);
        let cpu = paired_ratio(&t[0], &t[i + 1], |s| s.cpu);
        let what = format!("process wall, {procs} runs");
        row_ratio(&what, Figure::Time(ours.wall), Figure::Time(theirs.wall), wall, &p.label, p.time_target);
        row_ratio("process CPU (user+sys)", Figure::Time(ours.cpu), Figure::Time(theirs.cpu), cpu, &p.label, None);
        match (rss[0], rss[i + 1]) {
            (Some(a), Some(b)) => row("peak RSS", Figure::Kib(a), Figure::Kib(b), &p.label, p.rss_target),
            _ => skipped("peak RSS", &p.label, "/usr/bin/time is not installed"),
        }
    }
    Ok(())
}
