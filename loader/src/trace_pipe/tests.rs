//! Line samples from several kernels, and a kernel round trip through trace_marker.

use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::*;

fn event(line: &str) -> TraceEvent {
    match TraceLine::parse(line) {
        TraceLine::Event(e) => e,
        other => panic!("not parsed: {line:?} -> {other:?}"),
    }
}

fn ts(secs: u64, micros: u32) -> Timestamp {
    Timestamp { secs, nanos: micros * 1000 }
}

#[test]
fn linux_6_line_with_five_flag_chars() {
    // Captured on this machine (6.18) from trace_marker.
    let e = event("           <...>-15655   [001] ...1.   996.254249: tracing_mark_write: rawbpf hello: world\n");
    assert_eq!(e.task, "<...>");
    assert_eq!((e.pid, e.tgid, e.cpu), (15655, None, 1));
    assert_eq!(e.flags.as_deref(), Some("...1."));
    assert_eq!(e.timestamp, ts(996, 254249));
    assert_eq!(e.event, "tracing_mark_write");
    assert_eq!(e.message, "rawbpf hello: world");

    let e = event("           <...>-1234    [001] d..31  5678.123456: bpf_trace_printk: hello");
    assert_eq!((e.task.as_str(), e.pid, e.cpu), ("<...>", 1234, 1));
    assert_eq!(e.flags.as_deref(), Some("d..31"));
    assert_eq!((e.event.as_str(), e.message.as_str()), ("bpf_trace_printk", "hello"));
}

#[test]
fn linux_5_10_line_with_four_flag_chars() {
    let e = event("              nc-75      [000] d..2    12.345678: bpf_trace_printk: connect 127.0.0.1:80");
    assert_eq!((e.task.as_str(), e.pid, e.cpu), ("nc", 75, 0));
    assert_eq!(e.flags.as_deref(), Some("d..2"));
    assert_eq!(e.timestamp, ts(12, 345678));
    assert_eq!(e.message, "connect 127.0.0.1:80");
}

#[test]
fn old_kernels_without_flags_or_with_dots_and_ip_prefix() {
    // noirq-info: no flags column at all.
    let e = event("          <idle>-0     [003]  1234.567890: bpf_trace_printk: tick");
    assert_eq!((e.task.as_str(), e.pid, e.cpu, e.flags.clone()), ("<idle>", 0, 3, None));
    assert_eq!(e.timestamp, ts(1234, 567890));
    // 4.x bpf_trace_printk went through __trace_printk with ip 0.
    let e = event("            bash-1977  [002] .... 5678.123456: 0: hello");
    assert_eq!((e.flags.as_deref(), e.event.as_str(), e.message.as_str()), (Some("...."), "0", "hello"));
}

#[test]
fn task_names_with_dashes_spaces_and_brackets() {
    let e = event("   kworker/0:1-events-1234    [000] d..31  5678.123456: bpf_trace_printk: hi");
    assert_eq!((e.task.as_str(), e.pid), ("kworker/0:1-events", 1234));
    let e = event("     Web Content-4321    [002] ..... 10.000001: bpf_trace_printk: tab");
    assert_eq!((e.task.as_str(), e.pid), ("Web Content", 4321));
    // A bracketed number inside the name is not the CPU column.
    let e = event("  a [7] b-99 [001] d..2 1.5: bpf_trace_printk: x [002] y");
    assert_eq!((e.task.as_str(), e.pid, e.cpu, e.message.as_str()), ("a [7] b", 99, 1, "x [002] y"));
    assert_eq!(e.timestamp, ts(1, 500000));
}

#[test]
fn record_tgid_column() {
    let e = event("            bash-1977    (   1970) [000] .....   123.456789: tracing_mark_write: x");
    assert_eq!((e.pid, e.tgid, e.cpu), (1977, Some(1970), 0));
    let e = event("     kworker/1:2-88      (-------) [001] d..1.   123.456789: bpf_trace_printk: y");
    assert_eq!((e.task.as_str(), e.pid, e.tgid), ("kworker/1:2", 88, None));
}

#[test]
fn events_without_a_name_and_empty_messages() {
    // The function tracer prints no event name.
    let e = event("          <idle>-0       [000] d..1.   50.000001: do_idle <-cpu_startup_entry");
    assert_eq!((e.event.as_str(), e.message.as_str()), ("", "do_idle <-cpu_startup_entry"));
    let e = event("  nc-75 [000] d..2 12.345678: bpf_trace_printk: ");
    assert_eq!((e.event.as_str(), e.message.as_str()), ("bpf_trace_printk", ""));
    // Message spacing after the one separating space is kept.
    let e = event("  nc-75 [000] d..2 12.345678: bpf_trace_printk:   indented");
    assert_eq!(e.message, "  indented");
}

#[test]
fn lost_event_lines() {
    assert_eq!(TraceLine::parse("CPU:1 [LOST 42 EVENTS]"), TraceLine::Lost { cpu: 1, events: 42 });
}

#[test]
fn unparsable_lines_come_back_raw() {
    for raw in [
        "",
        "hello world",
        "  nc-75 [000] d..2 notatime: x: y",
        "  -75 [000] d..2 1.0: x: y",
        "  nc-x [000] d..2 1.0: x: y",
        "  nc-75 [0a0] d..2 1.0: x: y",
        "  nc-75 [000]",
        "  nc-75 [",
        "ünï-çødé-12 [ë] d..2 1.0:",
        "  nc-75 [000] d..2 1.0000000001: x: y", // ten fraction digits
        "CPU:x [LOST 1 EVENTS]",
    ] {
        assert_eq!(TraceLine::parse(raw), TraceLine::Raw(raw.to_owned()), "{raw:?}");
    }
}

/// Whether some run of digits in `text` reads as `n` (the parser accepts leading zeros).
fn has_number(text: &str, n: u64) -> bool {
    text.split(|c: char| !c.is_ascii_digit()).any(|t| t.parse::<u64>() == Ok(n))
}

/// Parses `line` and checks the result is made of the line: raw lines come back verbatim, and
/// every field of an event is text (or a number) that the line holds where the format puts it.
fn parse_checked(line: &str) -> TraceLine {
    let parsed = TraceLine::parse(line);
    let text = line.trim_end_matches(['\n', '\r']);
    let what = format!("{line:?} -> {parsed:?}");
    match &parsed {
        TraceLine::Raw(raw) => assert_eq!(raw, text, "{what}"),
        TraceLine::Lost { cpu, events } => {
            assert!(text.starts_with("CPU:") && text.ends_with(" EVENTS]"), "{what}");
            assert!(has_number(text, u64::from(*cpu)) && has_number(text, *events), "{what}");
        }
        TraceLine::Event(e) => {
            let task_at = text.find(&format!("{}-", e.task)).unwrap_or_else(|| panic!("task not in the line: {what}"));
            assert!(!e.task.is_empty() && text[task_at..].contains(" ["), "CPU column before the task: {what}");
            assert!(has_number(text, u64::from(e.pid)) && has_number(text, u64::from(e.cpu)), "{what}");
            assert!(e.tgid.is_none_or(|t| has_number(text, u64::from(t))), "{what}");
            assert!(has_number(text, e.timestamp.secs) && e.timestamp.nanos < 1_000_000_000, "{what}");
            assert!(e.flags.as_deref().is_none_or(|f| !f.is_empty() && text.contains(f)), "{what}");
            assert!(e.event.is_empty() || text.contains(&format!("{}:", e.event)), "{what}");
            assert!(text.ends_with(&e.message), "{what}");
        }
    }
    parsed
}

#[test]
fn no_input_panics() {
    // Every prefix and suffix of every sample, and byte-level noise, parses to something made
    // of the input; a prefix is an event exactly when it reaches the timestamp's colon.
    let samples = [
        ("     kworker/1:2-88      (-------) [001] d..1.   123.456789: bpf_trace_printk: y", Some("123.456789:")),
        ("CPU:1 [LOST 42 EVENTS]", None),
        ("  é-1 [0] ü 1.5: é: ü", Some("1.5:")),
    ];
    for (s, ts) in samples {
        assert!(!matches!(parse_checked(s), TraceLine::Raw(_)), "{s:?} must parse");
        let events_from = ts.map_or(usize::MAX, |ts| s.find(ts).unwrap() + ts.len());
        for (i, _) in s.char_indices() {
            let prefix = parse_checked(&s[..i]);
            assert_eq!(matches!(prefix, TraceLine::Event(_)), i >= events_from, "prefix {:?} -> {prefix:?}", &s[..i]);
            if ts.is_none() {
                assert!(matches!(prefix, TraceLine::Raw(_)), "{prefix:?}");
            }
            parse_checked(&s[i..]);
        }
    }
    let (mut raw, mut events) = (0, 0);
    let mut x: u32 = 12345;
    for _ in 0..2000 {
        let bytes: Vec<u8> = (0..40)
            .map(|_| {
                x = x.wrapping_mul(1103515245).wrapping_add(12345);
                b" -[]()0123456789.:a"[(x >> 16) as usize % 19]
            })
            .collect();
        match parse_checked(std::str::from_utf8(&bytes).unwrap()) {
            TraceLine::Raw(_) => raw += 1,
            _ => events += 1,
        }
    }
    assert!(raw > 0, "noise never came back raw");
    // Noise that keeps most of a real line reaches the field parsers too.
    let real = [
        "     kworker/1:2-88      (   1970) [001] d..1.   123.456789: bpf_trace_printk: y",
        "  nc-75 [000] d..2 12.5: x: y",
    ];
    for _ in 0..4000 {
        x = x.wrapping_mul(1103515245).wrapping_add(12345);
        let mut bytes = real[(x >> 16) as usize % 2].as_bytes().to_vec();
        for _ in 0..1 + (x >> 8) % 3 {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            let at = (x >> 16) as usize % bytes.len();
            bytes[at] = b" -[]()0123456789.:a"[(x >> 4) as usize % 19];
        }
        match parse_checked(std::str::from_utf8(&bytes).unwrap()) {
            TraceLine::Raw(_) => raw += 1,
            _ => events += 1,
        }
    }
    assert!(raw > 2000 && events > 0, "{raw} raw, {events} parsed: the mutations do not reach both outcomes");
}

#[test]
fn timestamps_print_as_the_kernel_does() {
    let ns = Timestamp { secs: 3, nanos: 5 };
    assert_eq!(ns.to_string(), "3.000000005");
    assert_eq!(ts(12, 345678).to_string(), "12.345678");
    assert!((ts(12, 345678).as_f64() - 12.345678).abs() < 1e-9);
}

/// Kernel round trip: a unique marker written to trace_marker comes back through TracePipe.
#[test]
fn kernel_marker_round_trip() {
    if !nix::unistd::geteuid().is_root() {
        println!("SKIP: kernel_marker_round_trip: needs root");
        return;
    }
    let tracefs = match Tracefs::find_or_mount() {
        Ok(t) => t,
        Err(e) => {
            println!("SKIP: kernel_marker_round_trip: {e}");
            return;
        }
    };
    if tracefs.is_tracing_on() == Some(false) {
        println!(
            "SKIP: kernel_marker_round_trip: tracing_on is 0 in {}; nothing would be recorded",
            tracefs.root.display()
        );
        return;
    }
    let _guard = exclusive();
    let mut pipe = TracePipe::open(&tracefs).expect("open trace_pipe");
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let marker = format!("rawbpf-trace-pipe-test-{}-{nanos}", std::process::id());
    tracefs.write_marker(&format!("{marker} payload: a:b\n")).expect("write trace_marker");

    let mut found = None;
    let stop = AtomicBool::new(false);
    let end = pipe
        .stream(&stop, Some(Instant::now() + Duration::from_secs(5)), |line| match line {
            TraceLine::Event(e) if e.message.contains(&marker) => {
                found = Some(e);
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        })
        .expect("stream");
    assert_eq!(end, StreamEnd::Done, "marker {marker} not seen within 5 s");
    let e = found.unwrap();
    assert_eq!(e.event, "tracing_mark_write");
    assert_eq!(e.message, format!("{marker} payload: a:b"));
    // The writing thread is this test's thread: pid is its tid.
    assert_eq!(e.pid, nix::unistd::gettid().as_raw() as u32);
    assert!(e.timestamp.secs > 0 || e.timestamp.nanos > 0);
}
