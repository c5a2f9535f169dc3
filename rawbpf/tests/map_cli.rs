//! `rawbpf map` on maps a load holds: list, show, dump, lookup, update, delete and count, keys and
//! values decoded by the maps' BTF, as text and JSON.

use std::path::{Path, PathBuf};
use std::process::Command;

use loader::load::{load, LoadOptions};
use loader::object::Object;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn rawbpf(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rawbpf")).arg("map").args(args).output().expect("run rawbpf map");
    let text = String::from_utf8_lossy(if out.status.success() { &out.stdout } else { &out.stderr }).into_owned();
    (out.status.success(), text)
}

#[test]
fn maps_are_listed_read_written_and_counted() {
    if !loader::diagnose::caps::is_root() {
        return println!("SKIP: maps_are_listed_read_written_and_counted: needs root");
    }
    if Command::new("clang-19").arg("--version").output().is_err() {
        return println!("SKIP: maps_are_listed_read_written_and_counted: clang-19 not installed, cannot build progs/");
    }
    let build = Command::new(root().join("progs-build/build")).output().unwrap();
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
    let obj = Object::open(root().join("progs/maps_globals.o")).unwrap();
    let loaded = load(&obj, &LoadOptions::default()).expect("load maps_globals.o");
    let counts = loaded.maps.iter().find(|m| m.name == "rawbpf_counts").unwrap().id.to_string();
    let stats = loaded.maps.iter().find(|m| m.name == "rawbpf_stats").unwrap().id.to_string();

    let (ok, list) = rawbpf(&["list"]);
    assert!(ok && list.contains(&format!("{counts}: hash  name rawbpf_counts")), "{list}");
    let (ok, show) = rawbpf(&["show", "id", &counts, "--json"]);
    assert!(ok && show.contains("\"bytes_key\":4") && show.contains("\"max_entries\":128"), "{show}");

    // Written through rawbpf, read back through rawbpf: typed by BTF (u32 key, u64 value).
    assert_eq!(rawbpf(&["count", "id", &counts]), (true, "0\n".into()));
    assert!(rawbpf(&["update", "id", &counts, "key", "7", "value", "41"]).0);
    assert!(rawbpf(&["update", "id", &counts, "key", "0x08", "0", "0", "0", "value", "42"]).0);
    assert_eq!(rawbpf(&["lookup", "id", &counts, "key", "7"]), (true, "key: 7  value: 41\n".into()));
    assert_eq!(rawbpf(&["lookup", "id", &counts, "key", "8", "--json"]), (true, "{\"key\":8,\"value\":42}\n".into()));
    assert_eq!(rawbpf(&["count", "id", &counts]), (true, "2\n".into()));
    // Counted by batches where the kernel has them (Linux 5.6+), and the same key by key.
    let json = |extra: &[&str]| rawbpf(&[&["count", "id", &counts, "--json"], extra].concat());
    assert_eq!(json(&[]), (true, "{\"count\":2,\"method\":\"batch\"}\n".into()));
    assert_eq!(json(&["--count-method=get_next_key"]), (true, "{\"count\":2,\"method\":\"get_next_key\"}\n".into()));
    let explained =
        Command::new(env!("CARGO_BIN_EXE_rawbpf")).args(["map", "count", "id", &counts, "--explain"]).output().unwrap();
    let why = String::from_utf8_lossy(&explained.stderr);
    assert!(why.contains("rawbpf::map: counted 2 element(s) with BPF_MAP_LOOKUP_BATCH: 1 call(s)"), "{why}");
    let (ok, nope) = rawbpf(&["update", "id", &counts, "key", "7", "value", "1", "noexist"]);
    assert!(!ok && nope.contains("EEXIST"), "{nope}");
    assert!(rawbpf(&["delete", "id", &counts, "key", "7"]).0);
    let (ok, gone) = rawbpf(&["lookup", "id", &counts, "key", "7"]);
    assert!(!ok && gone.contains("no element with key 07 00 00 00"), "{gone}");

    // A struct value, by name, as C and as JSON.
    let (ok, dump) = rawbpf(&["dump", "name", "rawbpf_stats"]);
    assert!(
        ok && dump.contains("key: 0  value: { .count = 0, .last_ns = 0 }") && dump.ends_with("Found 4 element(s)\n"),
        "{dump}"
    );
    let (ok, json) = rawbpf(&["dump", "id", &stats, "--json"]);
    assert!(ok && json.starts_with("[{\"key\":0,\"value\":{\"count\":0,\"last_ns\":0}}"), "{json}");
    let (ok, bad) = rawbpf(&["dump", "id", "4294967295"]);
    assert!(!ok && bad.contains("no map id 4294967295"), "{bad}");
    drop(loaded);
}
