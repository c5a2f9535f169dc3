//! Loading reads the object and never changes it: the same `Object` loads twice (the first copy
//! still loaded) with identical kernel program tags, and against another CO-RE target in
//! between, and its code is byte for byte what the file holds afterwards.

use std::path::{Path, PathBuf};
use std::process::Command;

use loader::load::{load, LoadOptions, Loaded};
use loader::object::Object;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// Builds progs/ and opens `<name>.o`; `None` (after the test's one SKIP line) when it cannot run.
fn object(test: &str, name: &str) -> Option<Object> {
    let why = if !nix::unistd::geteuid().is_root() {
        Some("needs root to load BPF programs")
    } else if Command::new("clang-19").arg("--version").output().is_err() {
        Some("clang-19 is not installed")
    } else if !Path::new(btf::source::VMLINUX_BTF).exists() {
        Some("no /sys/kernel/btf/vmlinux")
    } else {
        None
    };
    if let Some(why) = why {
        println!("SKIP: {test}: {why}");
        return None;
    }
    let out = Command::new(root().join("progs-build/build")).output().expect("run progs-build/build");
    assert!(out.status.success(), "progs-build/build failed:\n{}", String::from_utf8_lossy(&out.stderr));
    Some(Object::open(root().join("progs").join(format!("{name}.o"))).expect("open the object"))
}

fn tags(l: &Loaded) -> Vec<(String, String)> {
    l.programs.iter().map(|p| (p.name.clone(), p.info.tag_hex())).collect()
}

#[test]
fn one_object_loads_twice_with_identical_tags() {
    let Some(obj) = object("one_object_loads_twice_with_identical_tags", "maps_globals") else {
        return;
    };
    let code_before = obj.code_sections.clone();
    let first = load(&obj, &LoadOptions::default()).expect("first load");
    let second = load(&obj, &LoadOptions::default()).expect("second load, the first still loaded");
    assert!(!tags(&first).is_empty());
    assert_eq!(tags(&first), tags(&second));
    assert_ne!(first.programs[0].info.id, second.programs[0].info.id, "two programs in the kernel");
    assert_eq!(obj.code_sections, code_before, "loading changed the object");
}

#[test]
fn co_re_against_another_target_leaves_the_object_as_it_was() {
    let Some(obj) = object("co_re_against_another_target_leaves_the_object_as_it_was", "core_demo") else {
        return;
    };
    let code_before = obj.code_sections.clone();
    let target = LoadOptions { target_btf: Some(root().join("progs/core_demo_target.o")), ..Default::default() };
    let moved = load(&obj, &target).expect("load against core_demo_target.o");
    assert_eq!(obj.code_sections, code_before, "CO-RE patched the object itself");
    // The relocations moved offsets, so the program differs from one relocated against itself.
    let own = LoadOptions { target_btf: Some(root().join("progs/core_demo.o")), ..Default::default() };
    let unmoved = load(&obj, &own).expect("load against its own BTF");
    assert_ne!(tags(&moved), tags(&unmoved), "the target made no difference");
    let again = load(&obj, &target).expect("load against core_demo_target.o again");
    assert_eq!(tags(&moved), tags(&again));
}
