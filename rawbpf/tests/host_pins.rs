//! Pinning and watching maps on this host's kernel: `rawbpf load --pin DIR` (read from a second
//! process while the load runs, gone after it, kept with --keep-pins), `LIBBPF_PIN_BY_NAME`
//! (the second load reuses the first one's map, an incompatible declaration is refused with
//! what differs) and `--show-maps` (a HASH map seen growing as new processes call getpid).
//!
//! Every bpffs here is a fresh one mounted on a scratch directory and unmounted afterwards:
//! the host's /sys/fs/bpf is never touched. Serialized: trace_pipe is one global stream.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use loader::sys::kernel_ids;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use serde_json::Value;

use common::{assert_nothing_left, build_progs, cannot_load_programs, root};

static LOCK: Mutex<()> = Mutex::new(());

/// A fresh bpffs on a scratch directory, unmounted (with whatever is pinned in it) on drop.
struct Bpffs(PathBuf);

impl Bpffs {
    fn new(test: &str) -> Bpffs {
        let dir = std::env::temp_dir().join(format!("rawbpf-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        mount(Some("bpf"), &dir, Some("bpf"), MsFlags::empty(), None::<&str>).expect("mount -t bpf");
        Bpffs(dir)
    }
}

impl Drop for Bpffs {
    fn drop(&mut self) {
        let _ = umount2(&self.0, MntFlags::MNT_DETACH);
        let _ = std::fs::remove_dir(&self.0);
    }
}

fn setup(test: &str) -> Option<(std::sync::MutexGuard<'static, ()>, Bpffs)> {
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(why) = cannot_load_programs(true) {
        println!("SKIP: {test}: {why}");
        return None;
    }
    build_progs();
    Some((guard, Bpffs::new(test)))
}

fn prog(name: &str) -> PathBuf {
    root().join("progs").join(format!("{name}.o"))
}

fn rawbpf(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rawbpf"));
    c.args(args);
    c
}

fn run(args: &[&str]) -> Output {
    rawbpf(args).output().expect("run rawbpf")
}

fn out(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn spawn_load(obj: &Path, args: &[&str]) -> Child {
    rawbpf(&["load", obj.to_str().unwrap()])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rawbpf load")
}

/// Waits up to 20 s for `path` to appear, while `child` runs.
fn wait_for(path: &Path, child: &mut Child) {
    let t = Instant::now();
    while !path.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err);
            panic!("rawbpf load exited ({status}) before pinning {}:\n{err}", path.display());
        }
        assert!(t.elapsed() < Duration::from_secs(20), "{} never appeared", path.display());
        thread::sleep(Duration::from_millis(50));
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The value of `key` in `rawbpf map dump --json` entries.
fn value_at(entries: &Value, key: u64) -> Option<u64> {
    entries.as_array()?.iter().find(|e| e["key"] == key).and_then(|e| e["value"].as_u64())
}

#[test]
fn pinned_maps_are_read_from_another_process_and_removed_at_exit() {
    let Some((_g, fs)) = setup("pinned_maps_are_read_from_another_process_and_removed_at_exit") else { return };
    let before = kernel_ids().unwrap();
    let dir = fs.0.join("run/maps_globals");
    let mut child = spawn_load(&prog("maps_globals"), &["--pin", dir.to_str().unwrap(), "--duration", "4"]);
    let counts = dir.join("rawbpf_counts");
    wait_for(&counts, &mut child);
    // Attached right after pinning: keep calling getpid until this process's counter shows.
    let me = u64::from(std::process::id() & 0xff);
    let t = Instant::now();
    let seen = loop {
        let _ = nix::unistd::getpid();
        let o = run(&["map", "dump", "pinned", counts.to_str().unwrap(), "--json"]);
        assert!(o.status.success(), "map dump pinned: {}", out(&o).1);
        let dump = json(&out(&o).0);
        if let Some(n) = value_at(&dump, me) {
            break n;
        }
        assert!(t.elapsed() < Duration::from_secs(3), "key {me} never counted: {dump}");
        thread::sleep(Duration::from_millis(100));
    };
    assert!(seen >= 1);
    // Every map of the object is pinned, the global-data ones with their dot made `_`.
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["maps_glo_bss", "maps_glo_data", "maps_glo_rodata", "rawbpf_counts", "rawbpf_stats"]);
    // .data decodes by variable: rawbpf_calls started at 1 and the program bumped it.
    let o = run(&["map", "dump", "pinned", dir.join("maps_glo_data").to_str().unwrap(), "--json"]);
    let calls = json(&out(&o).0)[0]["value"]["rawbpf_calls"].as_u64().expect("rawbpf_calls");
    assert!(calls >= 2, "{}", out(&o).0);
    let o = child.wait_with_output().unwrap();
    let (_, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("pinned 5 map(s) in {}, removed at exit", dir.display())), "{stderr}");
    // The pins and the directories made for them are gone; nothing stays in the kernel.
    assert!(!fs.0.join("run").exists(), "left behind: {:?}", std::fs::read_dir(&fs.0).unwrap().collect::<Vec<_>>());
    let o = run(&["map", "show", "pinned", counts.to_str().unwrap()]);
    assert!(!o.status.success());
    assert_eq!(out(&o).1.trim(), format!("rawbpf map: no map pinned {}", counts.display()));
    assert_nothing_left(&before);
}

#[test]
fn keep_pins_leaves_them_and_a_directory_off_bpffs_is_refused() {
    let Some((_g, fs)) = setup("keep_pins_leaves_them_and_a_directory_off_bpffs_is_refused") else { return };
    let before = kernel_ids().unwrap();
    let dir = fs.0.join("kept");
    let o = run(&[
        "load",
        prog("maps_globals").to_str().unwrap(),
        "--no-attach",
        "--json",
        "--pin",
        dir.to_str().unwrap(),
        "--keep-pins",
    ]);
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("kept after exit (--keep-pins)"), "{stderr}");
    let loaded = json(&stdout);
    let id_of =
        |name: &str| loaded["maps"].as_array().unwrap().iter().find(|m| m["name"] == name).unwrap()["id"].as_u64();
    // The pinned map outlived the process: same id, its initial .data value still there.
    let data = dir.join("maps_glo_data");
    let o = run(&["map", "show", "pinned", data.to_str().unwrap(), "--json"]);
    assert_eq!(json(&out(&o).0)["id"].as_u64(), id_of("maps_glo.data"), "{}", out(&o).1);
    let o = run(&["map", "dump", "pinned", data.to_str().unwrap()]);
    assert_eq!(out(&o).0, "key: 00 00 00 00  value: { .rawbpf_calls = 1 }\nFound 1 element(s)\n");
    for e in std::fs::read_dir(&dir).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    assert_nothing_left(&before);
    // Not a bpffs: refused before anything is created or loaded past the maps.
    let off = std::env::temp_dir().join(format!("rawbpf-not-bpffs-{}/x", std::process::id()));
    let o = run(&["load", prog("maps_globals").to_str().unwrap(), "--no-attach", "--pin", off.to_str().unwrap()]);
    let (_, stderr) = out(&o);
    assert!(!o.status.success());
    let tmp = std::env::temp_dir();
    assert!(
        stderr.starts_with(&format!("rawbpf: --pin: {} is not on a bpf filesystem (statfs magic 0x", tmp.display())),
        "{stderr}"
    );
    assert!(stderr.contains("fix: pin under /sys/fs/bpf"), "{stderr}");
    assert!(!off.parent().unwrap().exists());
    assert_nothing_left(&before);
}

#[test]
fn pin_by_name_reuses_a_compatible_map_and_refuses_an_incompatible_one() {
    let Some((_g, fs)) = setup("pin_by_name_reuses_a_compatible_map_and_refuses_an_incompatible_one") else { return };
    let before = kernel_ids().unwrap();
    let root_dir = fs.0.to_str().unwrap();
    let pin = fs.0.join("rawbpf_pid_calls");
    // First load: attached for a while, this process calls getpid, the map is created and pinned.
    let mut child = spawn_load(&prog("pin_counts"), &["--pin-root", root_dir, "--duration", "2", "--explain"]);
    wait_for(&pin, &mut child);
    while child.try_wait().unwrap().is_none() {
        let _ = nix::unistd::getpid();
        thread::sleep(Duration::from_millis(50));
    }
    let (_, stderr) = out(&child.wait_with_output().unwrap());
    assert!(
        stderr.contains(&format!("pinned at {} (LIBBPF_PIN_BY_NAME): the pin stays after rawbpf exits", pin.display())),
        "{stderr}"
    );
    assert!(pin.exists(), "the pin must outlive the first load");
    let me = std::process::id().to_string();
    let o = run(&["map", "lookup", "pinned", pin.to_str().unwrap(), "key", &me, "--json"]);
    let counted = json(&out(&o).0)["value"].as_u64().unwrap_or_else(|| panic!("{:?}", out(&o)));
    assert!(counted >= 1);
    let o = run(&["map", "show", "pinned", pin.to_str().unwrap(), "--json"]);
    let pinned_id = json(&out(&o).0)["id"].as_u64().unwrap();
    // Second load: reuses it (same id), and the count carried over (no fresh map).
    let o = run(&[
        "load",
        prog("pin_counts").to_str().unwrap(),
        "--pin-root",
        root_dir,
        "--no-attach",
        "--json",
        "--explain",
    ]);
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert_eq!(json(&stdout)["maps"][0]["id"].as_u64(), Some(pinned_id));
    assert!(
        stderr.contains(&format!("map rawbpf_pid_calls: reusing the map pinned at {} (id {pinned_id})", pin.display())),
        "{stderr}"
    );
    let o = run(&["map", "lookup", "pinned", pin.to_str().unwrap(), "key", &me, "--json"]);
    assert!(json(&out(&o).0)["value"].as_u64().unwrap() >= counted);
    // An object declaring the same name with other sizes: refused, each difference named.
    let o = run(&["load", prog("pin_counts_small").to_str().unwrap(), "--pin-root", root_dir, "--no-attach"]);
    let (_, stderr) = out(&o);
    assert!(!o.status.success());
    let want = format!(
        "rawbpf: map rawbpf_pid_calls: the map pinned at {p} differs from the object's declaration (LIBBPF_PIN_BY_NAME \
         reuses only an identical one):\n  value_size   declared 4, pinned 8\n  max_entries  declared 16, pinned 1024\n  \
         fix: remove the old pin if nothing uses it (rm {p}), or load with another --pin-root DIR\n",
        p = pin.display()
    );
    assert_eq!(stderr, want);
    std::fs::remove_file(&pin).unwrap();
    assert_nothing_left(&before);
}

/// The `entries` of `rawbpf_pid_calls` in one `--show-maps --json` line, as pid → count.
fn tick(line: &str) -> Option<(f64, Vec<(u64, u64)>)> {
    let v: Value = serde_json::from_str(line).ok()?;
    if v["map"] != "rawbpf_pid_calls" {
        return None;
    }
    let entries = v["entries"].as_array()?;
    let pairs = entries.iter().filter_map(|e| Some((e["key"].as_u64()?, e["value"].as_u64()?))).collect();
    Some((v["time"].as_f64()?, pairs))
}

#[test]
fn show_maps_shows_a_hash_map_grow() {
    let Some((_g, fs)) = setup("show_maps_shows_a_hash_map_grow") else { return };
    let before = kernel_ids().unwrap();
    let mut child = spawn_load(
        &prog("pin_counts"),
        &["--pin-root", fs.0.to_str().unwrap(), "--show-maps=0.4", "--duration", "4", "--json"],
    );
    let stdout = BufReader::new(child.stdout.take().unwrap());
    // After each of the first three ticks a new process calls getpid: its pid must be absent
    // from every tick before it ran, and counted in the last.
    let mut ticks: Vec<(f64, Vec<(u64, u64)>)> = Vec::new();
    let mut spawned: Vec<(usize, u64)> = Vec::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        let Some(t) = tick(&line) else { continue };
        ticks.push(t);
        if spawned.len() < 3 {
            let c = Command::new("python3").args(["-c", "import os; os.getpid()"]).spawn().expect("python3");
            let pid = u64::from(c.id());
            let _ = c.wait_with_output();
            spawned.push((ticks.len(), pid));
        }
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let times: Vec<f64> = ticks.iter().map(|t| t.0).collect();
    assert!(ticks.len() >= 5, "ticks at {times:?}");
    // Times: every 0.4 s, never going back, the last one at exit (about 4 s).
    assert!(times.windows(2).all(|w| w[1] >= w[0]), "{times:?}");
    assert!((times[times.len() - 1] - 4.0).abs() < 0.5, "{times:?}");
    assert!((ticks[0].0 - 0.4).abs() < 0.2, "first tick at {}", ticks[0].0);
    let last = &ticks.last().unwrap().1;
    for &(after, pid) in &spawned {
        for (i, (_, t)) in ticks.iter().enumerate().take(after) {
            assert!(t.iter().all(|&(k, _)| k != pid), "pid {pid} in tick {i}, before it ran");
        }
        let n = last.iter().find(|&&(k, _)| k == pid).map(|&(_, n)| n);
        assert!(n.is_some_and(|n| n >= 1), "pid {pid} not counted at exit: {last:?}");
    }
    // A HASH map only grows here: nothing deletes.
    let sizes: Vec<usize> = ticks.iter().map(|t| t.1.len()).collect();
    assert!(sizes.windows(2).all(|w| w[1] >= w[0]), "{sizes:?}");
    assert!(last.len() >= ticks[0].1.len() + 3);
    std::fs::remove_file(fs.0.join("rawbpf_pid_calls")).unwrap();
    assert_nothing_left(&before);
}

#[test]
fn ctrl_c_removes_the_pins() {
    let Some((_g, fs)) = setup("ctrl_c_removes_the_pins") else { return };
    let before = kernel_ids().unwrap();
    let dir = fs.0.join("interrupted");
    let mut child = spawn_load(&prog("maps_globals"), &["--pin", dir.to_str().unwrap()]);
    wait_for(&dir.join("rawbpf_stats"), &mut child);
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", out(&o).1);
    assert!(out(&o).1.contains("everything rawbpf created is released"), "{}", out(&o).1);
    assert!(!dir.exists(), "pins left after Ctrl-C");
    assert_nothing_left(&before);
}
