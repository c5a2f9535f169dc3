//! Externs in the object model, on progs/externs.bpf.c built by clang: the order and `.kconfig`
//! layout libbpf gives them, the `.kconfig` map, the rewritten DATASECs the kernel will see,
//! each kconfig value written where that DATASEC says, and the instructions `link` writes for
//! every kind of extern. No kernel needed.

use std::path::{Path, PathBuf};
use std::process::Command;

use object::{Object as _, ObjectSection as _};

use btf::insn::{pseudo, CALL, LD_IMM64};
use btf::types::{Body, Linkage};
use btf::{Btf, Kind, TypeId};
use loader::externs::kconfig;
use loader::kernel_btf::{prepare, Support};
use loader::link::{link_with, KsymValue, Symbols, POISON_CALL_KFUNC_BASE};
use loader::object::{ExternKind, KconfigType, MapKind, Object, RelocTarget};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// progs/externs.o, built by progs-build; `None` (after the SKIP line) without clang-19.
fn externs_object(test: &str) -> Option<Object> {
    if Command::new("clang-19").arg("--version").output().is_err() {
        println!("SKIP: {test}: clang-19 not installed, cannot build progs/");
        return None;
    }
    let out = Command::new(root().join("progs-build/build")).output().expect("run progs-build/build");
    assert!(out.status.success(), "progs-build/build failed:\n{}", String::from_utf8_lossy(&out.stderr));
    Some(Object::open(root().join("progs/externs.o")).expect("parse progs/externs.o"))
}

#[test]
fn externs_are_ordered_and_laid_out_like_libbpf() {
    let Some(obj) = externs_object("externs_are_ordered_and_laid_out_like_libbpf") else { return };
    let got: Vec<(&str, bool, Option<(u32, u32)>)> = obj
        .externs
        .iter()
        .map(|e| match e.kind {
            ExternKind::Kconfig(v) => (e.name.as_str(), e.weak, Some((v.offset, v.size))),
            _ => (e.name.as_str(), e.weak, None),
        })
        .collect();
    // .kconfig first: 4-byte-aligned values by size then name, then 1-byte ones; .ksyms by name.
    let want = [
        ("CONFIG_BPF_SYSCALL", false, Some((0, 4))),
        ("CONFIG_HZ", false, Some((4, 4))),
        ("CONFIG_RAWBPF_NO_SUCH_OPTION", true, Some((8, 4))),
        ("LINUX_KERNEL_VERSION", false, Some((12, 4))),
        ("LINUX_HAS_BPF_COOKIE", false, Some((16, 1))),
        ("LINUX_HAS_SYSCALL_WRAPPER", false, Some((17, 1))),
        ("CONFIG_LOCALVERSION", true, Some((18, 32))),
        ("bpf_rawbpf_no_such_kfunc", true, None),
        ("bpf_rcu_read_lock", true, None),
        ("bpf_rcu_read_unlock", true, None),
        ("bpf_task_from_pid", true, None),
        ("bpf_task_release", true, None),
        ("rawbpf_no_such_symbol", true, None),
        ("runqueues", true, None),
        ("schedule", false, None),
    ];
    assert_eq!(got, want);
    let types: Vec<_> = obj.externs.iter().map(|e| e.kind).collect();
    assert!(matches!(types[0], ExternKind::Kconfig(v) if v.ty == KconfigType::Tristate));
    assert!(matches!(types[1], ExternKind::Kconfig(v) if v.ty == KconfigType::Int { signed: true }));
    assert!(matches!(types[4], ExternKind::Kconfig(v) if v.ty == KconfigType::Bool));
    assert!(matches!(types[6], ExternKind::Kconfig(v) if v.ty == KconfigType::CharArray));
    assert!(matches!(types[10], ExternKind::Kfunc { .. }));
    assert!(matches!(types[13], ExternKind::Ksym { type_id: Some(_) }));
    assert!(matches!(types[14], ExternKind::Ksym { type_id: None }));

    let map = &obj.maps[obj.kconfig_map().expect("a .kconfig map").get()];
    assert_eq!(
        (map.name.as_str(), &map.kind, map.value_size, map.max_entries),
        ("externs.kconfig", &MapKind::Kconfig, 50, 1)
    );
    assert!(map.freeze && map.map_flags & (1 << 7) != 0, "frozen and BPF_F_RDONLY_PROG: {map:?}");
}

/// The object's BTF as the kernel gets it.
fn kernel_view(obj: &Object) -> Btf {
    let (bytes, _) = prepare(obj.btf.as_ref().unwrap(), &obj.elf_layout, Support::ALL).unwrap();
    Btf::parse(bytes).unwrap()
}

fn datasec(btf: &Btf, name: &str) -> (u32, Vec<(String, TypeId, u32, u32)>) {
    let id = btf.find_by_name_kind(name, Kind::Datasec).unwrap();
    let Body::Datasec(d) = btf.type_by_id(id).unwrap().body else { unreachable!() };
    let vars =
        d.vars.iter().map(|v| (btf.name_of(v.type_id).unwrap().to_owned(), v.type_id, v.offset, v.size)).collect();
    (d.size, vars)
}

#[test]
fn each_kconfig_value_lands_where_the_datasec_says() {
    let Some(obj) = externs_object("each_kconfig_value_lands_where_the_datasec_says") else { return };
    let btf = kernel_view(&obj);
    let (size, vars) = datasec(&btf, ".kconfig");
    assert_eq!(size, 50);
    let offsets: Vec<u32> = vars.iter().map(|v| v.2).collect();
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "the kernel wants increasing offsets: {vars:?}");
    for (_, id, _, _) in &vars {
        let Body::Var(v) = btf.type_by_id(*id).unwrap().body else { panic!() };
        assert_eq!(v.linkage, Linkage::Global, "no extern VAR reaches the kernel");
    }
    // A configuration, applied: each value is read back at its DATASEC offset.
    let config = "CONFIG_HZ=0x3e8\nCONFIG_BPF_SYSCALL=m\nCONFIG_LOCALVERSION=\"-rawbpf-test\"\n";
    let mut buf = vec![0u8; 50];
    let mut set = vec![None; obj.externs.len()];
    kconfig::apply(&obj.externs, config, &mut buf, &mut set).unwrap();
    let at = |name: &str| vars.iter().find(|v| v.0 == name).map(|v| v.2 as usize).unwrap();
    let u32_at = |o: usize| u32::from_ne_bytes(buf[o..o + 4].try_into().unwrap());
    assert_eq!(u32_at(at("CONFIG_HZ")), 1000);
    assert_eq!(u32_at(at("CONFIG_BPF_SYSCALL")), 2, "m is TRI_MODULE");
    let s = at("CONFIG_LOCALVERSION");
    assert_eq!(&buf[s..s + 13], b"-rawbpf-test\0");
    assert_eq!(u32_at(at("CONFIG_RAWBPF_NO_SUCH_OPTION")), 0, "not in the configuration: stays 0");
    assert!(set[0].is_some() && set[1].is_some() && set[2].is_none());
}

#[test]
fn ksyms_become_int_slots_and_kfuncs_point_at_dummy_ksym() {
    let Some(obj) = externs_object("ksyms_become_int_slots_and_kfuncs_point_at_dummy_ksym") else { return };
    let btf = kernel_view(&obj);
    let own = obj.btf.as_ref().unwrap();
    // `count` includes void (id 0): the added VAR takes the next id, own.count().
    let dummy = TypeId::new(own.count());
    assert_eq!((btf.count(), btf.name_of(dummy).unwrap()), (own.count() + 1, "dummy_ksym"));
    let (size, vars) = datasec(&btf, ".ksyms");
    assert_eq!(size, 4 * vars.len() as u32);
    for (i, (name, id, offset, vsize)) in vars.iter().enumerate() {
        assert_eq!((*offset, *vsize), (4 * i as u32, 4), "{name}");
        let Body::Var(v) = btf.type_by_id(*id).unwrap().body else { panic!("{name}: not a VAR") };
        assert_eq!(v.linkage, Linkage::Global);
        assert_eq!(btf.size_of(v.type_id).unwrap(), 4, "{name}: an int placeholder");
    }
    // Every kfunc's slot is dummy_ksym; its FUNC is global, its parameters named.
    let kfunc = btf.find_by_name_kind("bpf_task_from_pid", Kind::Func).unwrap();
    let Body::Func(f) = btf.type_by_id(kfunc).unwrap().body else { panic!() };
    assert_eq!(f.linkage, Linkage::Global);
    let Body::FuncProto(p) = btf.type_by_id(f.proto).unwrap().body else { panic!() };
    assert!(p.params.iter().all(|p| !p.name.is_empty()), "{p:?}");
    assert_eq!(vars.iter().filter(|v| v.1 == dummy).count(), 5, "five kfuncs: {vars:?}");
}

#[test]
fn link_writes_each_kind_of_extern_like_libbpf() {
    let Some(obj) = externs_object("link_writes_each_kind_of_extern_like_libbpf") else { return };
    let index = |name: &str| obj.externs.iter().position(|e| e.name == name).unwrap();
    let mut ksyms: Vec<Option<KsymValue>> = vec![None; obj.externs.len()];
    ksyms[index("schedule")] = Some(KsymValue::Address(0xffff_ffff_8226_6250));
    ksyms[index("rawbpf_no_such_symbol")] = Some(KsymValue::Missing);
    ksyms[index("runqueues")] = Some(KsymValue::Btf { id: 10671, btf_fd: 0, fd_index: 0 });
    for (name, id) in [
        ("bpf_task_from_pid", 65822),
        ("bpf_task_release", 65832),
        ("bpf_rcu_read_lock", 65401),
        ("bpf_rcu_read_unlock", 65403),
    ] {
        ksyms[index(name)] = Some(KsymValue::Btf { id, btf_fd: 0, fd_index: 0 });
    }
    ksyms[index("bpf_rawbpf_no_such_kfunc")] = Some(KsymValue::Missing);
    let fds: Vec<i32> = (0..obj.maps.len() as i32).map(|i| 100 + i).collect();
    let kconfig_fd = 100 + obj.kconfig_map().unwrap().get() as i32;
    for p in obj.program_indices() {
        let (sec, f) = obj.program_func(p).unwrap();
        let linked = link_with(&obj, &obj.code_sections, p, Symbols { map_fds: &fds, ksyms: &ksyms }).unwrap();
        for r in sec.relocs.iter().filter(|r| (f.start_insn..f.start_insn + f.len_insns).contains(&r.insn_idx)) {
            let RelocTarget::Extern { index: e } = r.target else { continue };
            let ext = &obj.externs[e.get()];
            let at = r.insn_idx - f.start_insn;
            let (i, next) = (linked.insns[at], linked.insns.get(at + 1).copied().unwrap_or_default());
            let what = format!("{} insn {at}: {i:?} {next:?}", ext.name);
            match (ext.kind, ksyms[e.get()]) {
                (ExternKind::Kconfig(v), _) => {
                    assert_eq!(
                        (i.code, i.src, i.imm, next.imm),
                        (LD_IMM64, pseudo::MAP_VALUE, kconfig_fd, v.offset as i32),
                        "{what}"
                    )
                }
                (_, Some(KsymValue::Address(a))) => {
                    assert_eq!((i.src, i.imm as u32, next.imm as u32), (0, a as u32, (a >> 32) as u32), "{what}")
                }
                (_, Some(KsymValue::Btf { id, .. })) if i.code == CALL => {
                    assert_eq!((i.src, i.imm, i.off), (pseudo::KFUNC_CALL, id as i32, 0), "{what}")
                }
                (_, Some(KsymValue::Btf { id, .. })) => {
                    assert_eq!((i.src, i.imm, next.imm), (pseudo::BTF_ID, id as i32, 0), "{what}")
                }
                (_, Some(KsymValue::Missing)) if i.code == CALL => {
                    let poison = POISON_CALL_KFUNC_BASE + e.get() as i32;
                    assert_eq!((i.src, i.dst, i.off, i.imm), (0, 0, 0, poison), "{what}")
                }
                (_, Some(KsymValue::Missing)) => assert_eq!((i.src, i.imm, next.imm), (0, 0, 0), "{what}"),
                (_, None) => panic!("{what}: unresolved"),
            }
        }
    }
    // Without the ksym values, linking names the extern it lacks.
    let p = obj.program_by_name("rawbpf_externs").unwrap();
    let e = link_with(&obj, &obj.code_sections, p, Symbols { map_fds: &fds, ksyms: &[] }).unwrap_err();
    assert!(e.to_string().contains("extern 'schedule' is referenced but was not resolved"), "{e}");
}

#[test]
fn corrupted_extern_objects_give_errors_not_panics() {
    let Some(obj) = externs_object("corrupted_extern_objects_give_errors_not_panics") else { return };
    let bytes = std::fs::read(root().join("progs/externs.o")).unwrap();
    let ksyms: Vec<Option<KsymValue>> = vec![Some(KsymValue::Missing); 64];
    let fds = vec![3; 16];
    let (mut parsed, mut refused) = (0, 0);
    // Every 5th byte of what the extern code reads (symbols, relocations, code, .BTF) flipped, one at
    // a time: whatever still parses must also prepare its BTF and link.
    let file = object::File::parse(&*bytes).unwrap();
    let ranges: Vec<(u64, u64)> = ["tp_btf/sys_enter", ".reltp_btf/sys_enter", ".symtab", ".BTF"]
        .iter()
        .map(|n| file.section_by_name(n).and_then(|s| s.file_range()).unwrap_or_else(|| panic!("no {n}")))
        .collect();
    for at in ranges.iter().flat_map(|&(off, len)| (off as usize..(off + len) as usize).step_by(5)) {
        let mut b = bytes.clone();
        b[at] ^= 0xff;
        let Ok(o) = Object::parse(&b, "externs.o") else {
            refused += 1;
            continue;
        };
        parsed += 1;
        if let Some(btf) = &o.btf {
            let _ = prepare(btf, &o.elf_layout, Support::ALL);
        }
        for p in o.program_indices() {
            let _ = link_with(&o, &o.code_sections, p, Symbols { map_fds: &fds, ksyms: &ksyms });
        }
    }
    assert!(parsed > 0 && refused > 0, "{parsed} parsed, {refused} refused");
    assert_eq!(obj.externs.len(), 15);
}
