//! Parsing trace_pipe lines.
//!
//! The kernel prints each event as (kernel/trace/trace_output.c, default options)
//! `%16s-%-7d [%03d] FLAGS %5lu.%06lu: EVENT: MESSAGE`: the task name right-aligned, `-pid`,
//! an optional `(tgid)` column (option record-tgid), the CPU in brackets, the irq/preempt flags
//! (4 characters before 5.x, 5 since; absent with noirq-info), the timestamp, then the event.
//! The task name may itself contain spaces and dashes, so the pid is the number after the last
//! dash before the CPU bracket.

use std::fmt;

/// One line read from trace_pipe.
#[derive(Clone, Debug, PartialEq)]
pub enum TraceLine {
    /// A parsed event line.
    Event(TraceEvent),
    /// `CPU:N [LOST M EVENTS]`: the per-CPU buffer overflowed before it was read.
    Lost {
        /// The CPU whose buffer overflowed.
        cpu: u32,
        /// How many events were dropped.
        events: u64,
    },
    /// A line in no format rawbpf knows, kept verbatim.
    Raw(String),
}

/// An event line's fields.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceEvent {
    /// The task's comm (`<...>` when the kernel did not record it, `<idle>` for pid 0).
    pub task: String,
    /// The thread id.
    pub pid: u32,
    /// The process id, when the record-tgid option is on and the kernel knew it.
    pub tgid: Option<u32>,
    /// The CPU the event fired on.
    pub cpu: u32,
    /// The irq/preempt flags column (`d..31`), absent with the noirq-info option.
    pub flags: Option<String>,
    /// The trace clock's time.
    pub timestamp: Timestamp,
    /// The event name (`bpf_trace_printk`, `tracing_mark_write`); empty if the line has none.
    pub event: String,
    /// The text after the event name.
    pub message: String,
}

/// A trace clock reading: seconds and nanoseconds as printed (microseconds by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    /// Whole seconds.
    pub secs: u64,
    /// The fraction, in nanoseconds.
    pub nanos: u32,
}

impl Timestamp {
    /// Seconds as a float (loses precision beyond microseconds on long uptimes).
    pub fn as_f64(&self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    fn parse(s: &str) -> Option<Timestamp> {
        let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if secs.is_empty() || !all_digits(secs) || !all_digits(frac) || frac.len() > 9 {
            return None;
        }
        let scale = 10u32.pow(9 - frac.len() as u32);
        let nanos = if frac.is_empty() { 0 } else { frac.parse::<u32>().ok()? * scale };
        Some(Timestamp { secs: secs.parse().ok()?, nanos })
    }
}

impl fmt::Display for Timestamp {
    /// `secs.micros` like the kernel, or nine digits when the clock had nanoseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos.is_multiple_of(1000) {
            write!(f, "{}.{:06}", self.secs, self.nanos / 1000)
        } else {
            write!(f, "{}.{:09}", self.secs, self.nanos)
        }
    }
}

impl TraceLine {
    /// Parses one line (with or without its newline). Never fails: unknown shapes are `Raw`.
    ///
    /// ```
    /// use loader::trace_pipe::TraceLine;
    ///
    /// let line = "  nc-157 [001] ...21  2.979994: bpf_trace_printk: fentry tcp_connect: pid=157";
    /// let TraceLine::Event(e) = TraceLine::parse(line) else { panic!("not an event") };
    /// assert_eq!((e.task.as_str(), e.pid, e.cpu), ("nc", 157, 1));
    /// assert_eq!(e.timestamp.to_string(), "2.979994");
    /// assert_eq!(e.message, "fentry tcp_connect: pid=157");
    /// assert!(matches!(TraceLine::parse("CPU:3 [LOST 12 EVENTS]"), TraceLine::Lost { cpu: 3, events: 12 }));
    /// ```
    pub fn parse(line: &str) -> TraceLine {
        let line = line.trim_end_matches(['\n', '\r']);
        if let Some(lost) = parse_lost(line) {
            return lost;
        }
        // Try each `[digits]` in turn: a task name may contain brackets too.
        let mut from = 0;
        while let Some(rel) = line[from..].find(" [") {
            let open = from + rel + 1;
            from = open + 1;
            if let Some(event) = parse_at(line, open) {
                return TraceLine::Event(event);
            }
        }
        TraceLine::Raw(line.to_owned())
    }

    /// The message of an event, or the whole text of a raw line.
    pub fn message(&self) -> String {
        match self {
            TraceLine::Event(e) => e.message.clone(),
            TraceLine::Lost { cpu, events } => format!("CPU:{cpu} [LOST {events} EVENTS]"),
            TraceLine::Raw(s) => s.clone(),
        }
    }
}

/// `CPU:%d [LOST %lu EVENTS]`.
fn parse_lost(line: &str) -> Option<TraceLine> {
    let rest = line.strip_prefix("CPU:")?;
    let (cpu, rest) = rest.split_once(" [LOST ")?;
    let events = rest.strip_suffix(" EVENTS]")?;
    Some(TraceLine::Lost { cpu: cpu.parse().ok()?, events: events.parse().ok()? })
}

/// Parses the line assuming the CPU column's `[` is at byte `open`.
fn parse_at(line: &str, open: usize) -> Option<TraceEvent> {
    let after = &line[open + 1..];
    let close = after.find(']')?;
    let cpu_text = &after[..close];
    if cpu_text.is_empty() || !cpu_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cpu = cpu_text.parse::<u32>().ok()?;
    let (task, pid, tgid) = parse_task(&line[..open])?;
    let rest = after[close + 1..].strip_prefix(' ')?.trim_start();

    let (first, tail) = split_token(rest);
    let (flags, ts_token, tail) = match first.strip_suffix(':').and_then(Timestamp::parse) {
        Some(_) => (None, first, tail),
        None => {
            let (ts, tail) = split_token(tail.trim_start());
            (Some(first.to_owned()), ts, tail)
        }
    };
    let timestamp = Timestamp::parse(ts_token.strip_suffix(':')?)?;
    // One space separates the timestamp from the event; keep the message's own spacing.
    let body = tail.strip_prefix(' ').unwrap_or(tail);
    let (event, message) = match body.split_once(": ") {
        Some((ev, msg)) if !ev.is_empty() && !ev.contains(char::is_whitespace) => (ev.to_owned(), msg.to_owned()),
        _ => match body.strip_suffix(':') {
            Some(ev) if !ev.is_empty() && !ev.contains(char::is_whitespace) => (ev.to_owned(), String::new()),
            _ => (String::new(), body.to_owned()),
        },
    };
    Some(TraceEvent { task, pid, tgid, cpu, flags, timestamp, event, message })
}

/// `   task name-1234` or `   task-1234 (   1234)` / `(-------)`.
fn parse_task(head: &str) -> Option<(String, u32, Option<u32>)> {
    let mut head = head.trim_end();
    let mut tgid = None;
    if let Some(inner) = head.strip_suffix(')') {
        let paren = inner.rfind('(')?;
        let value = inner[paren + 1..].trim();
        if !value.bytes().all(|b| b == b'-') {
            tgid = Some(value.parse().ok()?);
        }
        head = inner[..paren].trim_end();
    }
    let dash = head.rfind('-')?;
    let pid_text = &head[dash + 1..];
    if pid_text.is_empty() || !pid_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let task = head[..dash].trim_start();
    if task.is_empty() {
        return None;
    }
    Some((task.to_owned(), pid_text.parse().ok()?, tgid))
}

/// The text up to the next space, and the rest starting at that space.
fn split_token(s: &str) -> (&str, &str) {
    match s.find(' ') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}
