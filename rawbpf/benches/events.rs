//! Records per second read from a busy producer, rawbpf against libbpf, in the same run, doing
//! the same work on both sides:
//!
//! - reading only: rawbpf's `loader::events` and libbpf's `ring_buffer__poll` /
//!   `perf_buffer__poll` (libbpf-dev, in a small C reader compiled here with cc) with a
//!   callback that only counts; rawbpf with its default options (while records keep coming it
//!   pauses up to `EventOptions::busy_delay`, 1 ms, between reads so each takes a batch) and
//!   with `busy_delay` zero, reading on every wakeup as libbpf does;
//! - reading and printing: rawbpf writing each record's line as `rawbpf load --event-type event`
//!   does (render/event_line.rs, included below: decoded by the object's BTF, as text or JSON)
//!   to /dev/null through a 64 KiB buffer, against libbpf with a callback that formats the same
//!   text line with snprintf (the fields known at compile time, as a hand-written C reader
//!   would) and fwrites it to /dev/null through a 64 KiB stdio buffer;
//! - the whole `rawbpf load --event-type event` process with stdout on /dev/null (its CPU time
//!   includes opening, loading and attaching the object);
//! - formatting alone, from memory, no ring: the same records as lines, rawbpf's line writer
//!   against snprintf, and the value tree `EventType::decode` builds (what each record cost
//!   before the event type was compiled), in nanoseconds per record.
//!
//! The producer is progs/ringbuf_output.o or progs/perf_output.o, fed by a thread calling
//! getpid() in a tight loop. The figure compared is records per CPU-second of the reader (a
//! reader that keeps up sees the producer's rate either way; one that falls behind reads more
//! records per wakeup, which makes each cheaper: on a busy machine the figures move a lot, so
//! every reader runs `RAWBPF_BENCH_ROUNDS` times (default 3), interleaved, and medians are
//! compared). Each reader but the whole process also reports records per wakeup and the
//! producer's calls that left no record: when the time is up the producer stops, the reader
//! reads what the ring still holds, and calls − records is what a full ring refused.
//! `RAWBPF_BENCH_SECS` sets the seconds per reader (default 3);
//! `RAWBPF_BENCH_ONLY=memory` runs only the formatting from memory, `=ringbuf` or `=perf` only
//! that ring's readers. Prints; never asserts.

#[allow(dead_code)]
#[path = "../src/render/event_line.rs"]
mod event_line;
// The value tree's renderer, for the line as rawbpf load wrote it before event_line.
#[allow(dead_code)]
#[path = "../src/json.rs"]
mod json;
#[allow(dead_code, unused_imports)]
#[path = "../src/render/value.rs"]
mod value;

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use event_line::LineWriter;
use loader::events::{Event, EventOptions, EventType, Events};
use loader::{attach, load, object::Object, progress::Quiet};
use nix::sys::resource::{getrusage, Usage, UsageWho};

/// How long each reader reads while the producer runs, by default.
const SECS: f64 = 3.0;
/// Records formatted from memory per measurement.
const IN_MEMORY: usize = 2_000_000;

fn secs() -> f64 {
    std::env::var("RAWBPF_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(SECS)
}

fn rounds() -> usize {
    std::env::var("RAWBPF_BENCH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3).max(1)
}

struct Run {
    records: u64,
    lost: u64,
    cpu: Duration,
    /// Polls that returned records (0: not known, for the whole process).
    wakes: u64,
    /// The producer's calls that left no record (a full ring); not known for the whole process.
    missing: Option<u64>,
}

/// What the in-process rawbpf reader does with each record.
#[derive(Clone, Copy)]
enum Work {
    Count,
    Text,
    Json,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn cpu_of(u: Usage) -> Duration {
    let t = |tv: nix::sys::time::TimeVal| Duration::new(tv.tv_sec() as u64, tv.tv_usec() as u32 * 1000);
    t(u.user_time()) + t(u.system_time())
}

fn cpu(who: UsageWho) -> Duration {
    getrusage(who).map_or(Duration::ZERO, cpu_of)
}

/// Calls getpid() until `stop`.
fn producer(stop: Arc<AtomicBool>) -> thread::JoinHandle<u64> {
    thread::spawn(move || {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            let _ = nix::unistd::getpid();
            n += 1;
        }
        n
    })
}

fn rawbpf_reader(loaded: &load::Loaded, ty: &EventType<'_>, work: Work, opts: &EventOptions) -> Run {
    let mut events = Events::open(&loaded.maps, opts).expect("open the rings");
    let mut out = BufWriter::with_capacity(64 * 1024, File::create("/dev/null").expect("/dev/null"));
    let mut lines = LineWriter::new(Some(ty), matches!(work, Work::Json));
    let stop = Arc::new(AtomicBool::new(false));
    let prod = producer(stop.clone());
    let (mut records, mut lost, mut bytes, mut wakes) = (0u64, 0u64, 0u64, 0u64);
    let c0 = cpu(UsageWho::RUSAGE_THREAD);
    let end = Instant::now() + Duration::from_secs_f64(secs());
    let mut flushed = Instant::now();
    while Instant::now() < end {
        let r = events.poll(Some(Duration::from_millis(100)), |e| match e {
            Event::Record(r) => {
                records += 1;
                match work {
                    // Kept observable so the read is not elided.
                    Work::Count => bytes += r.data.len() as u64,
                    Work::Text | Work::Json => {
                        let line = lines.line(&r).expect("a struct event");
                        bytes += line.len() as u64;
                        let _ = out.write_all(line);
                    }
                }
            }
            Event::Lost { count, .. } => lost += count,
            Event::Discarded { .. } => {}
        });
        // As rawbpf load: flushed when the ring went quiet, and at least every 100 ms.
        let wake = r.expect("poll");
        wakes += u64::from(wake.records > 0);
        if wake.records == 0 || flushed.elapsed() >= Duration::from_millis(100) {
            flushed = Instant::now();
            let _ = out.flush();
        }
    }
    let cpu = cpu(UsageWho::RUSAGE_THREAD) - c0;
    stop.store(true, Ordering::Relaxed);
    let sent = prod.join().unwrap();
    // Every getpid() the producer made is a record unless a full ring refused it: what is
    // still in the ring, read now, and what was read must add up to the calls.
    let left = events.drain(|_| {}).expect("drain");
    let missing = sent.saturating_sub(records + left);
    assert!(bytes > 0 || records == 0);
    Run { records, lost, cpu, wakes, missing: Some(missing) }
}

fn libbpf_reader(helper: &Path, kind: &str, work: &str, map_id: u32) -> Result<Run, String> {
    let mut child = Command::new(helper)
        .args([kind, work, &map_id.to_string(), &secs().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).map_err(|e| e.to_string())?;
    if line.trim() != "ready" {
        let _ = child.wait();
        return Err(format!("reference reader did not start: {line:?}"));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let prod = producer(stop.clone());
    line.clear();
    out.read_line(&mut line).map_err(|e| e.to_string())?;
    stop.store(true, Ordering::Relaxed);
    let sent = prod.join().unwrap();
    // "done": the producer has stopped, so what the reader reads now is all that is left.
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(b"go\n");
    drop(stdin);
    line.clear();
    out.read_line(&mut line).map_err(|e| e.to_string())?;
    let _ = child.wait();
    let f: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    match f[..] {
        [records, lost, cpu_ns, wakes, left] => {
            let missing = Some(sent.saturating_sub(records + left));
            Ok(Run { records, lost, cpu: Duration::from_nanos(cpu_ns), wakes, missing })
        }
        _ => Err(format!("unexpected reference output {line:?}")),
    }
}

/// The whole `rawbpf load OBJ --event-type event [--json]`, stdout on /dev/null; its records
/// from the summary it prints, its CPU time from the kernel's accounting of children.
fn rawbpf_load(obj: &str, json: bool) -> Result<Run, String> {
    let before = cpu(UsageWho::RUSAGE_CHILDREN);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rawbpf"));
    cmd.arg("load").arg(root().join(format!("progs/{obj}.o"))).args(["--event-type", "event"]);
    cmd.args(["--duration", &secs().to_string()]);
    if json {
        cmd.arg("--json");
    }
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().map_err(|e| e.to_string())?;
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("rawbpf: streaming") {
        line.clear();
        if err.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            let _ = child.wait();
            return Err("rawbpf load exited before streaming".into());
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let prod = producer(stop.clone());
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut err, &mut rest);
    stop.store(true, Ordering::Relaxed);
    prod.join().unwrap();
    let status = child.wait().map_err(|e| e.to_string())?;
    let cpu = cpu(UsageWho::RUSAGE_CHILDREN) - before;
    // `rawbpf: events: events: N record(s)...`
    let summary = rest.lines().find_map(|l| l.strip_prefix("rawbpf: events: events: ")).unwrap_or_default();
    let records = summary.split(' ').next().and_then(|n| n.parse().ok());
    let lost = summary.split(", ").last().and_then(|l| l.strip_suffix(" lost")).and_then(|n| n.parse().ok());
    match (status.success(), records) {
        (true, Some(records)) => Ok(Run { records, lost: lost.unwrap_or(0), cpu, wakes: 0, missing: None }),
        _ => Err(format!("rawbpf load: {status}: {rest}")),
    }
}

fn build_helper() -> Result<PathBuf, String> {
    let out = std::env::temp_dir().join(format!("rawbpf-bench-libbpf-{}", std::process::id()));
    let src = root().join("rawbpf/benches/events_libbpf.c");
    let st = Command::new("cc").args(["-O2", "-o"]).arg(&out).arg(&src).arg("-lbpf").status();
    match st {
        Ok(s) if s.success() => Ok(out),
        _ => Err("cc with libbpf-dev could not build the reference reader".into()),
    }
}

fn libbpf_version() -> String {
    let h = std::fs::read_to_string("/usr/include/bpf/libbpf_version.h").unwrap_or_default();
    let num = |k: &str| h.lines().find_map(|l| l.strip_prefix(k).map(|v| v.trim().to_owned())).unwrap_or_default();
    format!("{}.{}", num("#define LIBBPF_MAJOR_VERSION"), num("#define LIBBPF_MINOR_VERSION"))
}

/// One reader's runs: records per reader CPU-second of each, and the records/s of the median.
#[derive(Default)]
struct Series {
    name: String,
    runs: Vec<Run>,
}

impl Series {
    fn per_cpu(r: &Run) -> f64 {
        r.records as f64 / r.cpu.as_secs_f64().max(1e-9)
    }

    /// The median run's records per reader CPU-second.
    fn median(&self) -> Option<f64> {
        let mut v: Vec<f64> = self.runs.iter().map(Series::per_cpu).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    }

    fn print(&self) {
        let Some(m) = self.median() else { return println!("  {:<54} not run", self.name) };
        let per_s: Vec<String> = self.runs.iter().map(|r| format!("{:.0}", r.records as f64 / secs())).collect();
        let lost: u64 = self.runs.iter().map(|r| r.lost).sum();
        let all: Vec<String> = self.runs.iter().map(|r| format!("{:.0}", Series::per_cpu(r))).collect();
        // A reader that keeps up is woken for almost every record; one behind reads batches.
        let per_wake: Vec<String> = self
            .runs
            .iter()
            .map(|r| if r.wakes == 0 { "?".into() } else { format!("{:.1}", r.records as f64 / r.wakes as f64) })
            .collect();
        let missing = match self.runs.iter().map(|r| r.missing).sum::<Option<u64>>() {
            Some(n) => format!("; not recorded {n}"),
            None => String::new(),
        };
        println!(
            "  {:<54} {m:>9.0} rec/CPU-s (runs: {}; rec/s: {}; rec/wake: {}; lost {lost}{missing})",
            self.name,
            all.join(" "),
            per_s.join(" "),
            per_wake.join(" ")
        );
    }
}

/// The readers measured on one object, in the order they run in each round.
const READERS: [&str; 8] = [
    "rawbpf loader::events, read only",
    "rawbpf loader::events + text line (as rawbpf load)",
    "rawbpf loader::events + JSON line (as load --json)",
    "rawbpf loader::events, read only, busy_delay 0",
    "libbpf {v} {api}, read only",
    "libbpf {v} {api} + snprintf text line",
    "whole `rawbpf load --event-type event`",
    "whole `rawbpf load --event-type event --json`",
];

fn measure(obj: &str, kind: &str, api: &str, helper: &Path) -> Vec<Series> {
    let mut series: Vec<Series> = READERS
        .iter()
        .map(|n| Series { name: n.replace("{v}", &libbpf_version()).replace("{api}", api), runs: Vec::new() })
        .collect();
    let o = Object::open(root().join(format!("progs/{obj}.o"))).expect("open object");
    let ty = EventType::find(o.btf.as_ref(), "event").expect("struct event");
    for _ in 0..rounds() {
        let loaded = load::load(&o, &load::LoadOptions::default()).expect("load");
        let links: Vec<_> =
            loaded.programs.iter().filter_map(|p| attach::attach(p, &mut Quiet).ok().flatten()).collect();
        let batched = EventOptions::default();
        // Read on every wakeup, as libbpf: the reading itself, like with like.
        let eager = EventOptions { busy_delay: Duration::ZERO, ..batched };
        for (i, (work, opts)) in
            [(Work::Count, &batched), (Work::Text, &batched), (Work::Json, &batched), (Work::Count, &eager)]
                .into_iter()
                .enumerate()
        {
            series[i].runs.push(rawbpf_reader(&loaded, &ty, work, opts));
        }
        let id = loaded.maps.iter().find(|m| m.name == "events").map(|m| m.id.get()).unwrap();
        for (i, work) in [(4, "count"), (5, "print")] {
            match libbpf_reader(helper, kind, work, id) {
                Ok(run) => series[i].runs.push(run),
                Err(why) => println!("  libbpf {work}: not run: {why}"),
            }
        }
        drop(links);
        drop(loaded);
        for (i, json) in [(6, false), (7, true)] {
            match rawbpf_load(obj, json) {
                Ok(run) => series[i].runs.push(run),
                Err(why) => println!("  {}: not run: {why}", series[i].name),
            }
        }
    }
    println!("{obj}.o ({kind}), medians of {} round(s):", rounds());
    series.iter().for_each(Series::print);
    series
}

fn ratios(s: &[Series]) {
    let r = |a: usize, b: usize| match (s[a].median(), s[b].median()) {
        (Some(x), Some(y)) => format!("{:.2}", x / y),
        _ => "n/a".to_owned(),
    };
    println!("  ratio rawbpf/libbpf, records per reader CPU-second (medians):");
    println!("    read only                                        {}", r(0, 4));
    println!("    read only, both reading on every wakeup          {}", r(3, 4));
    println!("    text line vs snprintf text line (like with like) {}", r(1, 5));
    println!("    JSON line vs snprintf text line                  {}", r(2, 5));
    println!("    text line vs libbpf read only                    {}", r(1, 4));
    println!("    whole rawbpf load vs snprintf text line          {}", r(6, 5));
    println!("    whole rawbpf load --json vs snprintf text line   {}", r(7, 5));
}

/// The records formatted from memory: the same bytes as the C helper's.
fn memory_records() -> Vec<Vec<u8>> {
    (0..1024u32)
        .map(|i| {
            let mut d = Vec::with_capacity(32);
            d.extend((4242 + i).to_ne_bytes());
            d.extend(4243u32.to_ne_bytes());
            d.extend(b"rawbpf-bench\0\0\0\0");
            d.extend((1_000_000_000u64 + u64::from(i) * 977).to_ne_bytes());
            d
        })
        .collect()
}

/// ns per record of `f` over `IN_MEMORY` records, on this thread's CPU clock.
fn ns_per_record(mut f: impl FnMut(&[u8]) -> usize) -> f64 {
    let recs = memory_records();
    let c0 = cpu(UsageWho::RUSAGE_THREAD);
    let mut total = 0usize;
    for i in 0..IN_MEMORY {
        total += f(&recs[i % recs.len()]);
    }
    assert!(total > 0);
    (cpu(UsageWho::RUSAGE_THREAD) - c0).as_nanos() as f64 / IN_MEMORY as f64
}

/// The C helper formatting `IN_MEMORY` records: ns per record.
fn c_format(helper: &Path) -> Option<f64> {
    let c = Command::new(helper).args(["format", &IN_MEMORY.to_string()]).output().ok()?;
    let f: Vec<f64> = String::from_utf8_lossy(&c.stdout).split_whitespace().filter_map(|w| w.parse().ok()).collect();
    match f[..] {
        [n, _, cpu_ns, _, _] => Some(cpu_ns / n),
        _ => None,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn in_memory(helper: &Path) {
    let o = Object::open(root().join("progs/ringbuf_output.o")).expect("open object");
    let ty = EventType::find(o.btf.as_ref(), "event").expect("struct event");
    let mut out = BufWriter::with_capacity(64 * 1024, File::create("/dev/null").expect("/dev/null"));
    let mut ns: [Vec<f64>; 5] = Default::default();
    for _ in 0..rounds() {
        ns[0].push(ns_per_record(|d| match ty.decode(d) {
            Ok(btf::value::Value::Struct(m)) => m.len(),
            _ => 0,
        }));
        // What each record cost before: the tree, its text, the line (render::events::text).
        ns[4].push(ns_per_record(|d| {
            let v = ty.decode(d).expect("an event");
            let line = format!("{} size={} {}", "events", d.len(), value::text(&v));
            let _ = writeln!(out, "{line}");
            line.len()
        }));
        for json in [false, true] {
            let mut w = LineWriter::new(Some(&ty), json);
            ns[1 + usize::from(json)].push(ns_per_record(|d| {
                let line = w.line(&loader::events::Record { map: "events", cpu: None, data: d }).expect("an event");
                let _ = out.write_all(line);
                line.len()
            }));
        }
        ns[3].extend(c_format(helper));
    }
    let [tree, text, json, c, before] = ns.map(median);
    println!(
        "formatting alone, {IN_MEMORY} records from memory, no ring (ns per record, medians of {} rounds):",
        rounds()
    );
    println!("  rawbpf before: value tree, its text, the line, to /dev/null   {before:>7.1}");
    println!("  rawbpf EventType::decode, value tree only                     {tree:>7.1}");
    println!("  rawbpf text line into the buffer, to /dev/null                {text:>7.1}");
    println!("  rawbpf JSON line into the buffer, to /dev/null                {json:>7.1}");
    println!("  C snprintf text line, fwrite to /dev/null                     {c:>7.1}");
    println!(
        "  ratio rawbpf/C, records per CPU-second: text {:.2}, JSON {:.2}; before (value tree, text): {:.2}",
        c / text,
        c / json,
        c / before
    );
}

fn main() {
    if !nix::unistd::geteuid().is_root() {
        return println!("SKIP: events bench: needs root");
    }
    let built = Command::new(root().join("progs-build/build")).output();
    if !built.is_ok_and(|o| o.status.success()) {
        return println!("SKIP: events bench: progs-build/build failed (clang-19?)");
    }
    let helper = match build_helper() {
        Ok(h) => h,
        Err(why) => return println!("SKIP: events bench: {why}"),
    };
    println!(
        "events: {} s per reader, {} round(s); producer: getpid() in a tight loop; reference libbpf {} (libbpf-dev)",
        secs(),
        rounds(),
        libbpf_version()
    );
    println!("  lines go to /dev/null through 64 KiB buffers on both sides; libbpf's line is the same text");
    // RAWBPF_BENCH_ONLY=memory: formatting alone (quick, and what a profiler wants to see);
    // =ringbuf or =perf: that ring alone.
    let only = std::env::var("RAWBPF_BENCH_ONLY").ok();
    let runs = |what: &str| only.as_deref().is_none_or(|o| o == what);
    for (obj, kind, api) in
        [("ringbuf_output", "ringbuf", "ring_buffer__poll"), ("perf_output", "perf", "perf_buffer__poll")]
            .into_iter()
            .filter(|(_, kind, _)| runs(kind))
    {
        let s = measure(obj, kind, api, &helper);
        ratios(&s);
    }
    if runs("memory") {
        in_memory(&helper);
    }
    let _ = std::fs::remove_file(&helper);
}
