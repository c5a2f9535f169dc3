//! Runs both loaders on every program of every object, `workers` programs at a time, and
//! classifies rawbpf's refusals. Progress goes to stderr, one line per object.

use std::collections::HashMap;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

use crate::carve::Object;
use crate::loaders::{Loaders, Verdict};
use crate::ratchet::{classify, Row};

/// The rows, sorted by object then program; notes (an object libbpf cannot even open has no
/// programs to compare); the number of workers used.
pub fn run(objects: &[Object], loaders: &Loaders, workers: usize) -> (Vec<Row>, Vec<String>, usize) {
    let mut notes = Vec::new();
    let mut jobs = Vec::new();
    for (o, obj) in objects.iter().enumerate() {
        match loaders.programs(&obj.path) {
            Ok(programs) => jobs.extend(programs.into_iter().map(|p| (o, p))),
            Err(why) => notes.push(format!("{}: {why}", obj.name)),
        }
    }
    // Settling waits for a quiet kernel: only one load at a time can have one.
    let workers = if loaders.settle.is_some() { 1 } else { workers.max(1) };
    let next = AtomicUsize::new(0);
    let rows: Mutex<Vec<Option<Row>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    thread::scope(|s| {
        for slot in 0..workers {
            let (jobs, next, rows) = (&jobs, &next, &rows);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((o, p)) = jobs.get(i) else { break };
                let obj = &objects[*o];
                let libbpf = loaders.libbpf(&obj.path, &p.name, slot);
                let rawbpf = loaders.rawbpf(&obj.path, &p.name, slot);
                let row = Row {
                    object: obj.name.clone(),
                    program: p.name.clone(),
                    section: p.section.clone(),
                    libbpf,
                    rawbpf,
                    class: None,
                };
                rows.lock().unwrap()[i] = Some(row);
                if jobs.get(i + 1).is_none_or(|(next_o, _)| next_o != o) {
                    eprintln!("differential: {} done ({}/{} programs started)", obj.name, i + 1, jobs.len());
                }
            });
        }
    });
    let mut rows: Vec<Row> = rows.into_inner().unwrap().into_iter().flatten().collect();
    classify_refusals(&mut rows, objects, loaders);
    rows.sort_by(|a, b| (&a.object, &a.program).cmp(&(&b.object, &b.program)));
    (rows, notes, workers)
}

/// Sets each rawbpf refusal's class. Map-create failures are described by the map's type (from
/// `rawbpf inspect --json`, asked once per object that needs it).
fn classify_refusals(rows: &mut [Row], objects: &[Object], loaders: &Loaders) {
    let mut maps: HashMap<String, HashMap<String, String>> = HashMap::new();
    let none = HashMap::new();
    for row in rows.iter_mut() {
        let Verdict::Refused(error) = &row.rawbpf else { continue };
        let kinds = if error.contains("BPF_MAP_CREATE") {
            let path = objects.iter().find(|o| o.name == row.object).map(|o| &o.path);
            &*maps
                .entry(row.object.clone())
                .or_insert_with(|| path.map_or_else(HashMap::new, |p| map_kinds(loaders, p)))
        } else {
            &none
        };
        row.class = Some(classify(error, &|m| kinds.get(m).cloned(), loaders.settle.is_some()));
    }
}

/// Map name → "TYPE" or "TYPE max_entries 0", from `rawbpf inspect --json OBJ`; empty when that
/// fails (the class then names the map instead).
fn map_kinds(loaders: &Loaders, obj: &std::path::Path) -> HashMap<String, String> {
    let Ok(out) = Command::new(&loaders.rawbpf).args(["inspect", "--json"]).arg(obj).output() else {
        return HashMap::new();
    };
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else { return HashMap::new() };
    let maps = doc["maps"].as_array().cloned().unwrap_or_default();
    maps.iter()
        .filter_map(|m| {
            let (name, kind) = (m["name"].as_str()?, m["type"].as_str()?);
            let zero = if m["max_entries"].as_u64() == Some(0) { " max_entries 0" } else { "" };
            Some((name.to_owned(), format!("{kind}{zero}")))
        })
        .collect()
}

/// The running kernel's release, e.g. "6.1.0-56-cloud-amd64".
pub fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease").map_or_else(|_| "unknown".into(), |s| s.trim().to_owned())
}

/// "6.1.0-56-cloud-amd64" → "6.1": the expectations are per kernel line, not per build.
pub fn major_minor(release: &str) -> String {
    release.split(['.', '-']).take(2).collect::<Vec<_>>().join(".")
}
