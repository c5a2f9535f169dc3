//! Which programs `rawbpf load` loads, on this host's kernel, with progs/select.o: by default
//! those whose section does not start with '?', with `--program` exactly the ones named; a
//! sibling rawbpf cannot load stops only itself; `--attach-target` gives a bare `SEC("tp_btf")`
//! its target; kinds rawbpf cannot attach load with `--no-attach` and are refused without it.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use common::{build_progs, cannot_load_programs, root};

static LOCK: Mutex<()> = Mutex::new(());

/// progs/select.o, or `None` after the one SKIP line of `test`.
fn object(test: &str) -> Option<PathBuf> {
    if let Some(why) = cannot_load_programs(true) {
        println!("SKIP: {test}: {why}");
        return None;
    }
    build_progs();
    Some(root().join("progs/select.o"))
}

/// `rawbpf load OBJ ARGS`: exit code, stdout, stderr.
fn load(obj: &PathBuf, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rawbpf")).arg("load").arg(obj).args(args).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// The names and JSON of the programs a `--no-attach --json` run loaded.
fn loaded(stdout: &str) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    doc["programs"].as_array().expect("programs").clone()
}

fn names(programs: &[serde_json::Value]) -> Vec<&str> {
    programs.iter().map(|p| p["name"].as_str().unwrap()).collect()
}

#[test]
fn by_default_only_programs_without_a_question_mark_load() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object("by_default_only_programs_without_a_question_mark_load") else { return };
    let (rc, out, err) = load(&obj, &["--no-attach", "--json"]);
    assert_eq!(rc, 0, "{err}");
    let progs = loaded(&out);
    // typo and uses_legacy_map cannot be loaded, but are off by default: nothing stops the rest.
    assert_eq!(names(&progs), ["on_sys_enter", "bare_kprobe", "on_nanosleep"]);
    assert!(progs.iter().all(|p| p["tag"].as_str().is_some_and(|t| t.len() == 16)), "{out}");
    assert_eq!(progs[1]["type"], "kprobe");
}

#[test]
fn a_named_program_loads_whatever_its_siblings_are() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object("a_named_program_loads_whatever_its_siblings_are") else { return };
    let (rc, out, err) = load(&obj, &["--program", "off_by_default", "--no-attach", "--json", "--explain"]);
    assert_eq!(rc, 0, "{err}");
    assert_eq!(names(&loaded(&out)), ["off_by_default"]);
    assert!(err.contains("loading 1 of 9 programs: off_by_default"), "{err}");
    assert!(err.contains("skipped typo (its section starts with '?': off unless named)"), "{err}");
    assert!(err.contains("skipped on_sys_enter (not named)"), "{err}");
}

#[test]
fn a_program_rawbpf_cannot_load_says_what_and_where_when_named() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object("a_program_rawbpf_cannot_load_says_what_and_where_when_named") else { return };
    let (rc, _, err) = load(&obj, &["--program", "typo", "--no-attach"]);
    assert_eq!(rc, 1);
    assert!(
        err.contains(
            "rawbpf: program typo: section '?fentri/do_nanosleep' names no program type libbpf knows (close: fentry)"
        ),
        "{err}"
    );
    let (rc, _, err) = load(&obj, &["--program", "uses_legacy_map", "--no-attach"]);
    assert_eq!(rc, 1);
    assert!(
        err.contains(
            "rawbpf: program uses_legacy_map: function uses_legacy_map: section '?raw_tp/sys_enter' relocation #0 \
             (insn 4): not supported yet: legacy 'maps' section map legacy"
        ),
        "{err}"
    );
}

/// The id of `btf_trace_sched_switch` in the running kernel's BTF.
fn sched_switch_btf_id() -> u32 {
    let vmlinux = loader::vmlinux::vmlinux().expect("kernel BTF");
    vmlinux.find_by_name_kind("btf_trace_sched_switch", btf::Kind::Typedef).expect("btf_trace_sched_switch").get()
}

#[test]
fn attach_target_gives_a_bare_tp_btf_its_tracepoint() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object("attach_target_gives_a_bare_tp_btf_its_tracepoint") else { return };
    let (rc, _, err) = load(&obj, &["--program", "late_target", "--no-attach"]);
    assert_eq!(rc, 1);
    assert!(err.contains("program late_target: section '?tp_btf' names no attach target and none was given"), "{err}");
    assert!(err.contains("--attach-target late_target=FUNC"), "{err}");

    let args = ["--program", "late_target", "--attach-target", "late_target=sched_switch", "--no-attach", "--json"];
    let (rc, out, err) = load(&obj, &args);
    assert_eq!(rc, 0, "{err}");
    let progs = loaded(&out);
    assert_eq!(names(&progs), ["late_target"]);
    assert_eq!(progs[0]["attach_btf_id"], sched_switch_btf_id(), "{out}");

    let (rc, _, err) = load(&obj, &["--program", "on_sys_enter", "--attach-target", "on_sys_enter=x", "--no-attach"]);
    assert_eq!(rc, 1);
    assert!(err.contains("program on_sys_enter: a raw_tp program takes no attach target"), "{err}");
    let (rc, _, err) = load(&obj, &["--attach-target", "nosuch=x", "--no-attach"]);
    assert_eq!(rc, 1);
    assert!(err.contains("no program named nosuch"), "{err}");
}

#[test]
fn kinds_rawbpf_cannot_attach_load_with_no_attach_and_are_refused_without() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object("kinds_rawbpf_cannot_attach_load_with_no_attach_and_are_refused_without") else { return };
    let before = loader::sys::kernel_ids().unwrap();
    let sections = root().join("progs/sections.o");
    let (rc, _, err) = load(&sections, &["--program", "k_kprobe_session", "--duration", "1"]);
    assert_eq!(rc, 1, "{err}");
    let want = "rawbpf: program k_kprobe_session: rawbpf cannot attach kprobe.session programs yet (load it with \
                --no-attach)";
    assert!(err.contains(want), "{err}");
    // USDT programs attach (rawbpf/tests/host_usdt.rs); this one names a binary that is nowhere.
    let (rc, _, err) = load(&obj, &["--program", "on_usdt", "--duration", "1"]);
    assert_eq!(rc, 1, "{err}");
    let want = "rawbpf: program on_usdt: probe target \"rawbpf_no_binary:rawbpf:probe\": the binary is not in the \
                library directories or PATH";
    assert!(err.contains(want), "{err}");
    let (rc, _, err) = load(&obj, &["--program", "bare_kprobe", "--duration", "1"]);
    assert_eq!(rc, 1, "{err}");
    let want = "bare_kprobe (kprobe) is loaded but not attached (its section names no target): give it one with \
                --attach-target bare_kprobe=TARGET";
    assert!(err.contains(want), "{err}");
    assert!(err.contains("no program could be attached by rawbpf"), "{err}");
    let left = loader::sys::kernel_ids().unwrap().added_since(&before);
    assert!(left.progs.is_empty() && left.links.is_empty(), "{left:?}");
}
