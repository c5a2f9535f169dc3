//! Records per second read from a busy producer: rawbpf's `loader::events` (reading and decoding
//! each record by BTF, as `rawbpf load --event-type event` does) against libbpf's
//! `ring_buffer__poll` and `perf_buffer__poll` (libbpf-dev, in a small C reader compiled here
//! with cc) reading the same maps, in the same run. The producer is progs/ringbuf_output.o or
//! progs/perf_output.o, fed by a thread calling getpid() in a tight loop. Prints; never asserts.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use loader::events::{Event, EventOptions, EventType, Events};
use loader::{attach, load, object::Object, progress::Quiet};
use nix::sys::resource::{getrusage, UsageWho};

/// How long each reader reads while the producer runs.
const SECS: f64 = 3.0;

struct Run {
    records: u64,
    lost: u64,
    cpu: Duration,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn thread_cpu() -> Duration {
    getrusage(UsageWho::RUSAGE_THREAD).map_or(Duration::ZERO, |u| {
        let t = |tv: nix::sys::time::TimeVal| Duration::new(tv.tv_sec() as u64, tv.tv_usec() as u32 * 1000);
        t(u.user_time()) + t(u.system_time())
    })
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

fn rawbpf_reader(loaded: &load::Loaded, ty: Option<&EventType<'_>>) -> Run {
    let mut events = Events::open(&loaded.maps, &EventOptions::default()).expect("open the rings");
    let stop = Arc::new(AtomicBool::new(false));
    let prod = producer(stop.clone());
    let (mut records, mut lost, mut pids) = (0u64, 0u64, 0u64);
    let c0 = thread_cpu();
    let end = Instant::now() + Duration::from_secs_f64(SECS);
    while Instant::now() < end {
        let r = events.poll(Some(Duration::from_millis(100)), |e| match e {
            Event::Record(r) => {
                records += 1;
                // The decode `rawbpf load --event-type` does; kept observable so it is not elided.
                match ty.map(|t| t.decode(r.data)) {
                    Some(Ok(btf::value::Value::Struct(m))) => pids += m.len() as u64,
                    _ => pids += r.data.len() as u64,
                }
            }
            Event::Lost { count, .. } => lost += count,
            Event::Discarded { .. } => {}
        });
        r.expect("poll");
    }
    let cpu = thread_cpu() - c0;
    stop.store(true, Ordering::Relaxed);
    prod.join().unwrap();
    assert!(pids > 0 || records == 0);
    Run { records, lost, cpu }
}

fn libbpf_reader(helper: &Path, kind: &str, map_id: u32) -> Result<Run, String> {
    let mut child = Command::new(helper)
        .args([kind, &map_id.to_string(), &SECS.to_string()])
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
    prod.join().unwrap();
    let _ = child.wait();
    let f: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    match f[..] {
        [records, lost, cpu_ns] => Ok(Run { records, lost, cpu: Duration::from_nanos(cpu_ns) }),
        _ => Err(format!("unexpected reference output {line:?}")),
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

fn report(name: &str, r: &Run) -> f64 {
    let per_s = r.records as f64 / SECS;
    let per_cpu = r.records as f64 / r.cpu.as_secs_f64().max(1e-9);
    println!(
        "  {name:<34} {:>10.0} records/s  {:>6} lost  {:>10.0} records per reader CPU-second",
        per_s, r.lost, per_cpu
    );
    per_cpu
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
    let reference = format!("libbpf {} (libbpf-dev)", libbpf_version());
    println!("events: {SECS} s per reader, producer: getpid() in a tight loop; reference {reference}");
    for (obj, kind, api) in
        [("ringbuf_output", "ringbuf", "ring_buffer__poll"), ("perf_output", "perf", "perf_buffer__poll")]
    {
        let o = Object::open(root().join(format!("progs/{obj}.o"))).expect("open object");
        let loaded = load::load(&o, &load::LoadOptions::default()).expect("load");
        let links: Vec<_> =
            loaded.programs.iter().filter_map(|p| attach::attach(p, &mut Quiet).ok().flatten()).collect();
        let ty = EventType::find(o.btf.as_ref(), "event").expect("struct event");
        println!("{obj}.o ({kind}):");
        // Reading alone is what libbpf's counting callback does; decoding is what rawbpf load adds.
        let bare = rawbpf_reader(&loaded, None);
        let a = report("rawbpf loader::events (count only)", &bare);
        let ours = rawbpf_reader(&loaded, Some(&ty));
        let d = report("rawbpf loader::events + BTF decode", &ours);
        let id = loaded.maps.iter().find(|m| m.name == "events").map(|m| m.id.get()).unwrap();
        match libbpf_reader(&helper, kind, id) {
            Ok(theirs) => {
                let b = report(&format!("{reference} {api}"), &theirs);
                println!(
                    "  ratio rawbpf/libbpf, records per reader CPU-second: count only {:.2}, with decode {:.2}",
                    a / b,
                    d / b
                );
                println!(
                    "  ratio rawbpf/libbpf, records/s: count only {:.2}",
                    bare.records as f64 / (theirs.records as f64).max(1.0)
                );
            }
            Err(why) => println!("  reference not run: {why}"),
        }
        drop(links);
    }
    let _ = std::fs::remove_file(&helper);
}
