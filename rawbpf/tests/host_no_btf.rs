//! A kernel that exposes no BTF, made on this host by mounting an empty tmpfs over
//! /sys/kernel/btf in a private mount namespace (`unshare -m`; nothing outside it changes):
//! a program without CO-RE loads as on any kernel; one with CO-RE relocations is refused with
//! what CONFIG_DEBUG_INFO_BTF is and how --btf fixes it, and with --btf (a copy of the kernel's
//! BTF) loads with the same tag as with the kernel's own; a tp_btf program says why --btf cannot
//! help it. Nothing is left in the kernel.

mod common;

use std::process::{Command, Output};

use loader::sys::kernel_ids;

use common::{assert_nothing_left, build_progs, cannot_load_programs, root};

/// `rawbpf ARGS` with /sys/kernel/btf hidden.
fn without_btf(args: &str) -> Output {
    let rawbpf = env!("CARGO_BIN_EXE_rawbpf");
    let script = format!("mount -t tmpfs none /sys/kernel/btf && exec {rawbpf} {args}");
    Command::new("unshare").args(["-m", "sh", "-c", &script]).current_dir(root()).output().expect("run unshare")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

/// The tag `rawbpf load --no-attach --json` reports for the object's first program.
fn tag(o: &Output) -> String {
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)));
    doc["programs"][0]["tag"].as_str().expect("a tag").to_owned()
}

#[test]
fn a_kernel_without_btf_loads_what_needs_none_and_says_what_the_rest_needs() {
    const TEST: &str = "a_kernel_without_btf_loads_what_needs_none_and_says_what_the_rest_needs";
    if let Some(why) = cannot_load_programs(true) {
        println!("SKIP: {TEST}: {why}");
        return;
    }
    if Command::new("unshare").arg("--version").output().is_err() {
        println!("SKIP: {TEST}: no unshare(1) to hide /sys/kernel/btf in a private mount namespace");
        return;
    }
    build_progs();
    let before = kernel_ids().unwrap();
    let copy = std::env::temp_dir().join(format!("rawbpf-no-btf-{}.btf", std::process::id()));
    std::fs::copy("/sys/kernel/btf/vmlinux", &copy).unwrap();
    let btf = copy.display();

    let plain = without_btf("load progs/tracepoint.o --no-attach --json");
    assert!(plain.status.success(), "a tracepoint without CO-RE needs no kernel BTF:\n{}", text(&plain));

    let refused = without_btf("load progs/raw_tp.o --no-attach");
    let t = text(&refused);
    assert!(!refused.status.success(), "{t}");
    for want in [
        "/sys/kernel/btf/vmlinux does not exist",
        "CONFIG_DEBUG_INFO_BTF=y is the build option",
        "fix: pass --btf FILE",
    ] {
        assert!(t.contains(want), "no `{want}` in:\n{t}");
    }

    let with_btf = without_btf(&format!("load progs/raw_tp.o --no-attach --json --btf {btf}"));
    assert!(with_btf.status.success(), "{}", text(&with_btf));
    assert!(text(&with_btf).contains("this kernel exposes no BTF"), "{}", text(&with_btf));
    let normal = Command::new(env!("CARGO_BIN_EXE_rawbpf"))
        .args(["load", "progs/raw_tp.o", "--no-attach", "--json"])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(tag(&with_btf), tag(&normal), "CO-RE against the stand-in must give the same program");

    let tp_btf = without_btf(&format!("load progs/tp_btf.o --no-attach --btf {btf}"));
    let t = text(&tp_btf);
    assert!(!tp_btf.status.success(), "{t}");
    assert!(t.contains("tp_btf programs attach by the kernel's own BTF ids, and this kernel exposes no BTF"), "{t}");
    std::fs::remove_file(&copy).ok();
    assert_nothing_left(&before);
}
