//! Medians, units, and the table every benchmark prints: one row per measure and reference,
//! with rawbpf's figure, the reference's and their ratio (rawbpf / reference: below 1 means
//! rawbpf is faster or smaller). Time ratios are medians of the ratios of paired rounds.

use std::time::Duration;

/// The median of `d` (sorted in place); zero for no samples.
pub fn median<T: Ord + Copy + Default>(d: &mut [T]) -> T {
    d.sort_unstable();
    d.get(d.len() / 2).copied().unwrap_or_default()
}

/// Times `f` `n` times in this process; the median.
pub fn time_n<T>(n: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut v: Vec<Duration> = (0..n.max(1))
        .map(|_| {
            let t = std::time::Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    median(&mut v)
}

/// A figure: a time or a size.
#[derive(Clone, Copy, Debug)]
pub enum Figure {
    /// A duration.
    Time(Duration),
    /// Peak RSS in KiB.
    Kib(u64),
}

impl Figure {
    fn value(self) -> f64 {
        match self {
            Figure::Time(d) => d.as_secs_f64(),
            Figure::Kib(k) => k as f64,
        }
    }

    fn text(self) -> String {
        match self {
            Figure::Time(d) => format!("{:.3} ms", d.as_secs_f64() * 1e3),
            Figure::Kib(k) => format!("{:.2} MiB", k as f64 / 1024.0),
        }
    }
}

/// Prints the table's header.
pub fn header() {
    println!("  {:<22} {:>11} {:>11} {:>7}  reference", "measure", "rawbpf", "reference", "ratio");
}

/// Prints one row: `measure` of rawbpf (`ours`) against `reference` (`theirs`), with a target
/// ratio if the issue sets one; the ratio is of the two figures.
pub fn row(measure: &str, ours: Figure, theirs: Figure, reference: &str, target: Option<f64>) {
    row_ratio(measure, ours, theirs, ours.value() / theirs.value(), reference, target);
}

/// [`row`] with the ratio given: the median of paired runs' ratios, for times.
pub fn row_ratio(measure: &str, ours: Figure, theirs: Figure, ratio: f64, reference: &str, target: Option<f64>) {
    let goal = match target {
        Some(t) if ratio <= t => format!("  (target <= {t}: met)"),
        Some(t) => format!("  (target <= {t}: NOT met)"),
        None => String::new(),
    };
    println!("  {measure:<22} {:>11} {:>11} {ratio:>6.2}x  {reference}{goal}", ours.text(), theirs.text());
}

/// Prints a row whose reference could not run, and why.
pub fn skipped(measure: &str, reference: &str, why: &str) {
    println!("  {measure:<22} SKIP {reference}: {why}");
}
