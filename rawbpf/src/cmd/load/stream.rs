//! The wait of `rawbpf load` once attached: one epoll over the object's perf rings, ring
//! buffers and trace_pipe, printing each record and trace line as it comes, until Ctrl-C or
//! `--duration`; then a summary of what the rings delivered and lost.

use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use loader::events::{Event, EventType, Events, Wake};
use loader::sys;
use loader::trace_pipe::{StreamEnd, TracePipe};

use super::show_maps::ShowMaps;
use super::trace;
use crate::render::event_line::LineWriter;
use crate::render::{error as words, events as render};

/// Longest wait between checks of the stop flag and the deadline.
const SLICE: Duration = Duration::from_millis(100);

/// How records are printed.
pub struct Printer<'b> {
    /// Decode records as this type (`--event-type`); hex without it.
    pub event_type: Option<EventType<'b>>,
    /// One JSON object per line.
    pub json: bool,
}

/// Streams until the stop flag, the deadline or the end of trace_pipe.
pub fn run(
    pipe: &mut TracePipe,
    events: &mut Events,
    printer: &Printer<'_>,
    duration: Option<f64>,
    mut show: Option<&mut ShowMaps>,
) -> Result<(), String> {
    let deadline = duration.map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    let what = if events.is_empty() {
        "trace_pipe".to_owned()
    } else {
        let names: Vec<&str> = events.totals().iter().map(|t| t.map.as_str()).collect();
        format!("trace_pipe and events from {}", names.join(", "))
    };
    match duration {
        Some(s) => eprintln!("rawbpf: streaming {what} for {s} s (Ctrl-C stops)"),
        None => eprintln!("rawbpf: streaming {what} (Ctrl-C stops)"),
    }
    events.watch(pipe.as_fd()).map_err(|e| words::chain(&e))?;
    // Buffered: flushed when the rings go quiet, and at least once a slice while they are busy,
    // so a line waits at most a slice and a busy stream costs a write per slice or per 64 KiB,
    // not one per wakeup.
    let mut out = BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let mut lines = LineWriter::new(printer.event_type.as_ref(), printer.json);
    let (mut flushed, mut piped) = (Instant::now(), Instant::now().checked_sub(SLICE).unwrap_or_else(Instant::now));
    loop {
        if sys::STOP.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        if let Some(show) = show.as_deref_mut() {
            show.tick(&mut out, now);
        }
        let mut wait = deadline.map_or(SLICE, |d| (d - now).min(SLICE));
        if let Some(show) = &show {
            wait = wait.min(show.until_due(now));
        }
        let wake =
            events.poll(Some(wait), |e| print_event(&mut out, &mut lines, printer.json, e)).unwrap_or_else(|e| {
                eprintln!("rawbpf: {}", words::chain(&e));
                Wake::default()
            });
        let now = Instant::now();
        // Read trace_pipe when epoll says so, and every slice regardless: its wakeups can lag.
        if wake.watched || now - piped >= SLICE {
            piped = now;
            let end = pipe
                .read_available(|line| {
                    let text = if printer.json { trace::json(&line).to_string() } else { trace::text(&line) };
                    let _ = writeln!(out, "{text}");
                    ControlFlow::Continue(())
                })
                .map_err(|e| format!("reading trace_pipe: {e}"))?;
            if end == StreamEnd::Eof {
                break;
            }
        }
        if wake.records == 0 || now - flushed >= SLICE {
            flushed = now;
            let _ = out.flush();
        }
    }
    // What arrived before the programs were detached is still worth printing.
    if let Err(e) = events.drain(|e| print_event(&mut out, &mut lines, printer.json, e)) {
        eprintln!("rawbpf: {}", words::chain(&e));
    }
    if let Some(show) = show {
        show.print(&mut out, Instant::now());
    }
    let _ = out.flush();
    if !events.is_empty() {
        eprintln!("{}", render::summary(events.totals()));
    }
    Ok(())
}

fn print_event(out: &mut impl Write, lines: &mut LineWriter<'_, '_>, json: bool, e: Event<'_>) {
    match e {
        Event::Record(r) if !lines.json_by_visit() => match lines.event_type().map(|t| t.decode(r.data)) {
            Some(Ok(v)) => {
                let _ = writeln!(out, "{}", render::json(&r, Some(&v)));
            }
            Some(Err(err)) => eprintln!("rawbpf: {}: {}", r.map, words::chain(&err)),
            None => {}
        },
        Event::Record(r) => match lines.line(&r) {
            Ok(line) => {
                let _ = out.write_all(line);
            }
            Err(err) => eprintln!("rawbpf: {}: {}", r.map, words::chain(&err)),
        },
        Event::Lost { map, cpu, count } if json => {
            let _ = writeln!(out, "{}", render::lost_json(map, cpu, count));
        }
        Event::Lost { map, cpu, count } => eprintln!("{}", render::lost_text(map, cpu, count)),
        Event::Discarded { map, len } if json => {
            let _ = writeln!(out, "{}", render::discarded_json(map, len));
        }
        Event::Discarded { map, len } => eprintln!("{}", render::discarded_text(map, len)),
    }
}
