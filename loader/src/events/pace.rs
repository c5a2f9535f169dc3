//! How long the reader waits before reading busy rings again.
//!
//! While a reader keeps up, the kernel wakes it for nearly every record: a ring buffer wakes
//! it whenever a record is committed at the reader's position (the ring was empty), a perf
//! ring every `wakeup_events` samples. Going straight back to sleep after each read therefore
//! costs a wakeup per record or two, which is most of a busy reader's CPU time. After a read
//! that brought records, the reader instead pauses before the next one, so that read takes a
//! batch, as a network driver switches to polling while packets flow (Linux's NAPI). The pause
//! is bounded three times: by the caller's latency budget; by how fast the rings filled during
//! the last interval, so that at that rate no ring gets more than an eighth full; and by how late
//! the reader has woken from its pauses, so that a wakeup as late as the latest seen still finds
//! every ring at most half full. (An idle CPU can take milliseconds to come back, as a virtual
//! machine's does once its host has descheduled it: a reader that never idles, woken for every
//! record, does not see that, and one that pauses must leave room for it.) A read that finds
//! nothing ends the pauses: the next wait is the kernel's wakeup again, so a record on a quiet
//! ring is read as soon as it comes.

use std::time::{Duration, Instant};

/// Pauses shorter than this cost more (a timer and a context switch) than they save.
const MIN_PAUSE: Duration = Duration::from_micros(20);
/// The largest part of a ring a pause may let fill, at the rate just seen.
const FILL: f64 = 0.125;
/// The largest part of a ring a pause and the latest lateness seen may let fill.
const MARGIN: f64 = 0.5;
/// How much of the lateness remembered is kept at each pause: a late wakeup is forgotten over
/// some thousand pauses (a second or so while records keep coming).
const LATE_KEPT: f64 = 0.999;

/// The pause between reads while records keep coming.
#[derive(Debug)]
pub(super) struct Pacer {
    /// The longest a record may wait for a read because of a pause (zero: never pause).
    budget: Duration,
    /// When the last read ended.
    last: Option<Instant>,
    /// The pause before the next read.
    pause: Duration,
    /// The worst lateness seen lately: how much longer than its pause the reader took to come
    /// back (forgotten slowly, see `LATE_KEPT`).
    late: Duration,
}

impl Pacer {
    /// A pacer that never pauses longer than `budget`.
    pub(super) fn new(budget: Duration) -> Pacer {
        Pacer { budget, last: None, pause: Duration::ZERO, late: Duration::ZERO }
    }

    /// The pause before the next read (zero: wait for the kernel's wakeup).
    pub(super) fn pause(&self) -> Duration {
        self.pause
    }

    /// Notes a read that began at `started`, ended at `ended` and took at most `filled` of any
    /// one ring's capacity (0.0 when it found no record).
    pub(super) fn read(&mut self, started: Instant, ended: Instant, filled: f64) {
        let pause = match self.last {
            Some(last) if filled > 0.0 && !self.budget.is_zero() => {
                // The bytes read came in since the last read ended.
                let span = started.saturating_duration_since(last);
                if !self.pause.is_zero() {
                    let late = span.saturating_sub(self.pause);
                    self.late = self.late.mul_f64(LATE_KEPT).max(late);
                }
                // Parts of a ring per second.
                let rate = filled / span.as_secs_f64().max(1e-9);
                let by_margin = MARGIN / rate - self.late.as_secs_f64();
                Duration::from_secs_f64((FILL / rate).min(by_margin).clamp(0.0, self.budget.as_secs_f64()))
            }
            // The first read, or nothing came: no rate to go by, or nothing to batch.
            _ => Duration::ZERO,
        };
        self.pause = if pause < MIN_PAUSE { Duration::ZERO } else { pause };
        self.last = Some(ended);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A pacer whose last read ended at `t0`.
    fn after_a_read(budget: Duration, t0: Instant) -> Pacer {
        let mut p = Pacer::new(budget);
        p.read(t0, t0, 0.0);
        p
    }

    #[test]
    fn a_slow_fill_pauses_for_the_whole_budget() {
        let t0 = Instant::now();
        let mut p = after_a_read(MS, t0);
        // 1% of the ring in 1 ms: an eighth would take 12.5 ms, so the budget decides.
        p.read(t0 + MS, t0 + MS, 0.01);
        assert_eq!(p.pause(), MS);
    }

    #[test]
    fn a_fast_fill_pauses_only_until_an_eighth_of_the_ring_would_fill() {
        let t0 = Instant::now();
        let mut p = after_a_read(10 * MS, t0);
        // A quarter of the ring in 1 ms: an eighth fills in 0.5 ms.
        p.read(t0 + MS, t0 + MS, 0.25);
        assert!((p.pause().as_secs_f64() - 0.0005).abs() < 1e-6, "{:?}", p.pause());
    }

    #[test]
    fn a_read_that_finds_nothing_or_a_ring_about_to_overflow_ends_the_pauses() {
        let t0 = Instant::now();
        let mut p = after_a_read(MS, t0);
        p.read(t0 + MS, t0 + MS, 0.01);
        assert!(!p.pause().is_zero());
        p.read(t0 + 2 * MS, t0 + 2 * MS, 0.0);
        assert!(p.pause().is_zero());
        // Half the ring read after 40 µs: an eighth fills in 10 µs, too short to sleep.
        let t = t0 + 2 * MS + Duration::from_micros(40);
        p.read(t, t, 0.5);
        assert!(p.pause().is_zero());
    }

    #[test]
    fn a_late_return_from_a_pause_shortens_the_next_ones() {
        let t0 = Instant::now();
        let mut p = after_a_read(MS, t0);
        p.read(t0 + MS, t0 + MS, 0.01);
        assert_eq!(p.pause(), MS);
        // Back 4 ms after a 1 ms pause, a tenth of the ring waiting: at that rate (a fortieth
        // of the ring a ms) half the ring lasts 20 ms, minus the 3 ms late, and an eighth 5 ms.
        let t = t0 + 5 * MS;
        p.read(t, t, 0.1);
        assert_eq!(p.pause(), MS, "the budget still decides");
        // At a tenth of the ring a ms, half lasts 5 ms: less 3 ms late, 2 ms; an eighth 1.25 ms.
        p.read(t + MS, t + MS, 0.1);
        assert_eq!(p.pause(), MS);
        // A third of the ring in the next ms: half lasts 1.5 ms, less the 3 ms late: no pause.
        p.read(t + 2 * MS, t + 2 * MS, 0.33);
        assert!(p.pause().is_zero(), "{:?}", p.pause());
    }

    #[test]
    fn the_first_read_and_a_zero_budget_never_pause() {
        let t0 = Instant::now();
        let mut first = Pacer::new(MS);
        first.read(t0, t0, 0.01);
        assert!(first.pause().is_zero(), "no interval to measure a rate over");
        let mut off = after_a_read(Duration::ZERO, t0);
        off.read(t0 + MS, t0 + MS, 0.01);
        assert!(off.pause().is_zero());
    }
}
