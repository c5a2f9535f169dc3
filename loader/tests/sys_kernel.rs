//! The syscall layer against the running kernel. Needs root; prints "SKIP:" otherwise.
//! Tests share one lock: they count kernel objects and fire global tracepoints.

use std::ffi::CStr;
use std::sync::{Mutex, MutexGuard};

use btf::insn::Insn;
use loader::diagnose::caps::Environment;
use loader::diagnose::refusal::{explain, Cause};
use loader::features::{BtfFeature, Features};
use loader::sys::*;
use nix::errno::Errno;

static LOCK: Mutex<()> = Mutex::new(());

fn serialize() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether this process is root; otherwise prints the test's one `SKIP:` line. Call it once,
/// first thing in a test, with the test's name.
fn root(test: &str) -> bool {
    if !loader::diagnose::caps::is_root() {
        println!("SKIP: {test}: needs root");
        return false;
    }
    true
}

const GPL: &CStr = c"GPL";

fn mov64_imm(dst: u8, imm: i32) -> Insn {
    Insn { code: 0xb7, dst, imm, ..Default::default() }
}
fn exit() -> Insn {
    Insn { code: 0x95, ..Default::default() }
}

/// `r0 = imm; exit`.
fn ret(imm: i32) -> Vec<u8> {
    encode_insns(&[mov64_imm(0, imm), exit()])
}

/// Adds 1 to the u64 at key 0 of an array map, then returns 0.
fn counter_prog(map: &MapFd) -> Vec<u8> {
    use std::os::fd::AsRawFd;
    let i = |code, dst, src, off, imm| Insn { code, dst, src, off, imm };
    encode_insns(&[
        i(0x62, 10, 0, -4, 0),             // *(u32 *)(r10 - 4) = 0
        i(0xbf, 2, 10, 0, 0),              // r2 = r10
        i(0x07, 2, 0, 0, -4),              // r2 += -4
        i(0x18, 1, 1, 0, map.as_raw_fd()), // r1 = map (ld_imm64, BPF_PSEUDO_MAP_FD)
        i(0, 0, 0, 0, 0),
        i(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
        i(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
        mov64_imm(1, 1),     // r1 = 1
        i(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1
        mov64_imm(0, 0),
        exit(),
    ])
}

fn counter_map() -> MapFd {
    map_create(&MapCreate {
        map_type: MapType::ARRAY,
        key_size: 4,
        value_size: 8,
        max_entries: 1,
        name: "rawbpf_counter",
        ..Default::default()
    })
    .expect("array map")
}

fn count(map: &MapFd) -> u64 {
    let mut v = [0u8; 8];
    map_lookup_elem(map, &0u32.to_ne_bytes(), &mut v).expect("lookup key 0");
    u64::from_ne_bytes(v)
}

fn load(prog_type: ProgType, insns: &[u8], name: &str) -> Result<ProgFd, LoggedError> {
    prog_load(&ProgLoad { prog_type, insns, license: GPL, name, ..Default::default() })
}

#[test]
fn socket_filter_loads_and_reports_a_stable_tag() {
    let _g = serialize();
    if !root("socket_filter_loads_and_reports_a_stable_tag") {
        return;
    }
    let a = load(ProgType::SOCKET_FILTER, &ret(0), "rawbpf_test_a").expect("load r0=0");
    let b = load(ProgType::SOCKET_FILTER, &ret(0), "rawbpf_test_b").expect("load again");
    let c = load(ProgType::SOCKET_FILTER, &ret(1), "rawbpf_test_c").expect("load r0=1");
    let (ia, ib, ic) = (prog_info(&a).unwrap(), prog_info(&b).unwrap(), prog_info(&c).unwrap());
    assert!(ia.id.get() > 0 && ia.id != ib.id);
    assert_eq!(ia.prog_type, ProgType::SOCKET_FILTER);
    assert_eq!(ia.name, "rawbpf_test_a");
    // First 8 bytes of the hash of the 16 instruction bytes: SHA-1 before Linux 6.18, SHA-256 since
    // (python: hashlib.sha1(b"\xb7" + 7 * b"\0" + b"\x95" + 7 * b"\0").hexdigest()[:16]).
    assert!(["a04f5eef06a7f555", "59f4a931744dcdc6"].contains(&ia.tag_hex().as_str()), "{}", ia.tag_hex());
    assert_eq!(ia.tag, ib.tag);
    assert!(["57cd311f2e27366b", "b11459a0e11ca14c"].contains(&ic.tag_hex().as_str()), "{}", ic.tag_hex());
    assert_eq!(ia.xlated_len, 16);
    assert!(ia.gpl_compatible);
    assert_eq!(prog_xlated_insns(&a).unwrap(), ret(0));
}

#[test]
fn bad_program_returns_the_verifier_log() {
    let _g = serialize();
    if !root("bad_program_returns_the_verifier_log") {
        return;
    }
    // `exit` with r0 never written.
    let err = load(ProgType::SOCKET_FILTER, &encode_insns(&[exit()]), "rawbpf_bad").unwrap_err();
    assert_eq!(err.errno(), Errno::EACCES, "{err}");
    assert!(err.log.contains("R0 !read_ok"), "log: {}", err.log);
    assert!(err.to_string().starts_with("BPF_PROG_LOAD failed: EACCES"), "{err}");
    // A log on request, even for a good program.
    let ok = prog_load_with_log(
        &ProgLoad { prog_type: ProgType::SOCKET_FILTER, insns: &ret(0), license: GPL, ..Default::default() },
        LogLevel::Always(2),
    )
    .unwrap();
    assert!(ok.log.unwrap().contains("processed 2 insns"));
}

#[test]
fn map_round_trip_and_freeze() {
    let _g = serialize();
    if !root("map_round_trip_and_freeze") {
        return;
    }
    let m = map_create(&MapCreate {
        map_type: MapType::HASH,
        key_size: 4,
        value_size: 8,
        max_entries: 4,
        name: "rawbpf-test-hash-too-long",
        ..Default::default()
    })
    .unwrap();
    let info = map_info(&m).unwrap();
    assert_eq!((info.map_type, info.key_size, info.value_size, info.max_entries), (MapType::HASH, 4, 8, 4));
    assert_eq!(info.name, "rawbpf_test_has");
    let key = 7u32.to_ne_bytes();
    let mut v = [0u8; 8];
    assert_eq!(map_lookup_elem(&m, &key, &mut v).unwrap_err().errno(), Errno::ENOENT);
    map_update_elem(&m, &key, &0xdead_beef_u64.to_ne_bytes(), BPF_NOEXIST).unwrap();
    map_lookup_elem(&m, &key, &mut v).unwrap();
    assert_eq!(u64::from_ne_bytes(v), 0xdead_beef);
    let e = map_update_elem(&m, &key, &v, BPF_NOEXIST).unwrap_err();
    assert_eq!(e.errno(), Errno::EEXIST);
    // Short buffers are refused before the kernel could read past them.
    assert_eq!(map_lookup_elem(&m, &key, &mut [0u8; 4]).unwrap_err().errno(), Errno::EINVAL);
    let mut next = [0u8; 4];
    map_get_next_key(&m, None, &mut next).unwrap();
    assert_eq!(next, key);
    map_delete_elem(&m, &key).unwrap();

    let a = counter_map();
    map_update_elem(&a, &0u32.to_ne_bytes(), &5u64.to_ne_bytes(), BPF_ANY).unwrap();
    map_freeze(&a).unwrap();
    let e = map_update_elem(&a, &0u32.to_ne_bytes(), &6u64.to_ne_bytes(), BPF_ANY).unwrap_err();
    assert_eq!(e.errno(), Errno::EPERM, "{e}");
    assert_eq!(count(&a), 5);
}

#[test]
fn btf_blob_loads_and_garbage_gets_a_log() {
    let _g = serialize();
    if !root("btf_blob_loads_and_garbage_gets_a_log") {
        return;
    }
    let mut b = btf::BtfBuilder::new();
    let int = b.int("int", 4, true);
    b.struct_("pair", 8, &[("a", int, 0), ("b", int, 32)]);
    let loaded = btf_load(&b.build(), LogLevel::OnFailure).unwrap();
    let info = btf_info(&loaded.fd).unwrap();
    assert!(info.id.get() > 0 && !info.kernel_btf && info.name.is_empty());
    assert_eq!(info.btf_size as usize, b.build().len());

    let mut bad = b.build();
    bad[24..28].copy_from_slice(&0xffffu32.to_ne_bytes()); // first type's name_off far past the strings
    let err = btf_load(&bad, LogLevel::OnFailure).unwrap_err();
    assert_eq!(err.errno(), Errno::EINVAL);
    assert!(!err.log.is_empty(), "BTF checker wrote no log");
}

#[test]
fn maps_with_btf_and_vmlinux_btf_by_name() {
    let _g = serialize();
    if !root("maps_with_btf_and_vmlinux_btf_by_name") {
        return;
    }
    if std::path::Path::new(btf::source::VMLINUX_BTF).exists() {
        let (fd, info) = find_kernel_btf("vmlinux").unwrap().expect("vmlinux BTF object");
        assert!(info.kernel_btf && info.id.get() > 0);
        assert_eq!(btf_info(&fd).unwrap().name, "vmlinux");
    } else {
        println!(
            "not checked here: maps_with_btf_and_vmlinux_btf_by_name: vmlinux BTF by name (no {})",
            btf::source::VMLINUX_BTF
        );
    }
    assert!(find_kernel_btf("no_such_module_rawbpf").unwrap().is_none());

    let mut b = btf::BtfBuilder::new();
    let u32_ = b.int("unsigned int", 4, false);
    let u64_ = b.int("long long unsigned int", 8, false);
    let btf = btf_load(&b.build(), LogLevel::OnFailure).unwrap().fd;
    let m = map_create(&MapCreate {
        map_type: MapType::ARRAY,
        key_size: 4,
        value_size: 8,
        max_entries: 1,
        name: "with_btf",
        btf_fd: Some(&btf),
        btf_key_type_id: u32_.get(),
        btf_value_type_id: u64_.get(),
        ..Default::default()
    })
    .unwrap();
    let mi = map_info(&m).unwrap();
    assert_eq!((mi.btf_key_type_id, mi.btf_value_type_id), (u32_.get(), u64_.get()));
    assert_eq!(mi.btf_id, btf_info(&btf).unwrap().id);
}

#[test]
fn dropped_fds_leave_nothing_behind() {
    let _g = serialize();
    if !root("dropped_fds_leave_nothing_behind") {
        return;
    }
    let before = kernel_ids().unwrap();
    let (pid, mid);
    {
        let m = counter_map();
        let p = load(ProgType::SOCKET_FILTER, &counter_prog(&m), "rawbpf_ids").unwrap();
        pid = prog_info(&p).unwrap().id;
        mid = map_info(&m).unwrap().id;
        assert_eq!(prog_map_ids(&p).unwrap(), vec![mid]);
        let now = kernel_ids().unwrap().added_since(&before);
        assert!(now.progs.contains(&pid) && now.maps.contains(&mid), "{now:?}");
        let again = prog_get_fd_by_id(pid).unwrap();
        assert_eq!(prog_info(&again).unwrap().id, pid);
    }
    // Freeing is deferred to RCU work: poll briefly.
    let mut left = kernel_ids().unwrap().added_since(&before);
    for _ in 0..100 {
        if !left.progs.contains(&pid) && !left.maps.contains(&mid) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        left = kernel_ids().unwrap().added_since(&before);
    }
    assert!(!left.progs.contains(&pid) && !left.maps.contains(&mid), "still there: {left:?}");
    assert_eq!(prog_get_fd_by_id(pid).unwrap_err().errno(), Errno::ENOENT);
}

fn getpid_n(n: usize) {
    for _ in 0..n {
        std::hint::black_box(std::process::id());
    }
}

#[test]
fn tracepoint_via_perf_event_ioctl_and_link() {
    let _g = serialize();
    if !root("tracepoint_via_perf_event_ioctl_and_link") {
        return;
    }
    let id = match tracepoint_id("syscalls", "sys_enter_getpid") {
        Ok(id) => id,
        Err(e) => return println!("SKIP: tracepoint_via_perf_event_ioctl_and_link: syscalls/sys_enter_getpid: {e}"),
    };
    let map = counter_map();
    let prog = load(ProgType::TRACEPOINT, &counter_prog(&map), "rawbpf_tp").unwrap();

    // Old way: ioctl SET_BPF + ENABLE.
    let pfd = perf_event_open_tracepoint(id).unwrap();
    perf_event_set_bpf(&pfd, &prog).unwrap();
    perf_event_enable(&pfd).unwrap();
    getpid_n(5);
    let after_ioctl = count(&map);
    assert!(after_ioctl >= 5, "counter {after_ioctl}");
    drop(pfd);
    getpid_n(5);
    let detached = count(&map);

    // Link way: BPF_LINK_CREATE with attach type perf_event on a fresh event.
    let pfd = perf_event_open_tracepoint(id).unwrap();
    let mut l = LinkCreate::new(&prog, AttachType::PERF_EVENT);
    l.target_fd = Some(&pfd);
    let link = link_create(&l).unwrap();
    let li = link_info(&link).unwrap();
    assert_eq!((li.link_type, li.prog_id), (LinkType::PERF_EVENT, prog_info(&prog).unwrap().id));
    getpid_n(5);
    assert!(count(&map) >= detached + 5);
}

#[test]
fn raw_tracepoint_and_tp_btf_attach() {
    let _g = serialize();
    if !root("raw_tracepoint_and_tp_btf_attach") {
        return;
    }
    let map = counter_map();
    let prog = load(ProgType::RAW_TRACEPOINT, &counter_prog(&map), "rawbpf_raw_tp").unwrap();
    let link = raw_tracepoint_open(Some(c"sys_enter"), &prog).unwrap();
    getpid_n(3);
    assert!(count(&map) >= 3);
    let li = link_info(&link).unwrap();
    assert_eq!(li.detail, LinkDetail::RawTracepoint { name: "sys_enter".into() });
    drop(link);

    // The raw_tp half ran: without kernel BTF only the tp_btf half is left out (not a skip).
    let vmlinux = match btf::source::vmlinux() {
        Ok(b) => b,
        Err(e) => return println!("not checked here: raw_tracepoint_and_tp_btf_attach: the tp_btf half: {e}"),
    };
    let target = vmlinux.find_by_name_kind("btf_trace_sys_enter", btf::Kind::Typedef).expect("btf_trace_sys_enter");
    let map = counter_map();
    let insns = counter_prog(&map);
    let p = ProgLoad {
        prog_type: ProgType::TRACING,
        expected_attach_type: AttachType::TRACE_RAW_TP,
        insns: &insns,
        license: GPL,
        name: "rawbpf_tp_btf",
        attach_btf_id: target.get(),
        ..Default::default()
    };
    let prog = prog_load(&p).unwrap();
    let info = prog_info(&prog).unwrap();
    assert_eq!(info.attach_btf_id, target.get());
    for how in ["link_create", "raw_tracepoint_open"] {
        let before = count(&map);
        let link = if how == "link_create" {
            link_create(&LinkCreate::new(&prog, AttachType::TRACE_RAW_TP)).unwrap()
        } else {
            raw_tracepoint_open(None, &prog).unwrap()
        };
        getpid_n(3);
        assert!(count(&map) >= before + 3, "{how}");
        drop(link);
    }
}

#[test]
fn fentry_refusal_is_explained_as_policy() {
    let _g = serialize();
    if !root("fentry_refusal_is_explained_as_policy") {
        return;
    }
    let vmlinux = match btf::source::vmlinux() {
        Ok(b) => b,
        Err(e) => return println!("SKIP: fentry_refusal_is_explained_as_policy: {e}"),
    };
    let target = vmlinux.find_by_name_kind("tcp_connect", btf::Kind::Func).expect("tcp_connect");
    let insns = ret(0);
    let p = ProgLoad {
        prog_type: ProgType::TRACING,
        expected_attach_type: AttachType::TRACE_FENTRY,
        insns: &insns,
        license: GPL,
        name: "rawbpf_fentry",
        attach_btf_id: target.get(),
        ..Default::default()
    };
    match prog_load(&p) {
        Ok(_) => println!(
            "SKIP: fentry_refusal_is_explained_as_policy: this kernel allows fentry (no policy refusal to explain)"
        ),
        Err(e) => {
            assert_eq!(e.errno(), Errno::EPERM, "{e}");
            let env = Environment::detect();
            let r = explain(&e.sys, p.prog_type, p.expected_attach_type, &env);
            println!("{e}\n{r:?}");
            assert!(matches!(r.cause, Cause::Policy { trampoline: true, .. }), "{r:?}");
        }
    }
}

#[test]
fn btf_features_are_all_present_on_a_modern_kernel() {
    let _g = serialize();
    if !root("btf_features_are_all_present_on_a_modern_kernel") {
        return;
    }
    // The newest probed kinds (ENUM64, signed enums) arrived in 6.0.
    match Environment::detect().kernel {
        Some(v) if v >= (6, 0) => {}
        other => {
            return println!(
                "SKIP: btf_features_are_all_present_on_a_modern_kernel: kernel {other:?} is older than 6.0 or unknown"
            )
        }
    }
    for f in BtfFeature::ALL {
        assert!(f.probe(), "{} refused", f.name());
    }
    assert_eq!(Features::detect(), Features::all());
}

/// Collects formatted trace output.
#[derive(Clone, Default)]
struct Capture(std::sync::Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

#[test]
fn every_syscall_emits_one_debug_event() {
    let _g = serialize();
    if !root("every_syscall_emits_one_debug_event") {
        return;
    }
    let cap = Capture::default();
    let sub = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(cap.clone())
        .finish();
    tracing::subscriber::with_default(sub, || {
        let _ok = load(ProgType::SOCKET_FILTER, &ret(0), "rawbpf_traced").unwrap();
        let _ = map_create(&MapCreate { map_type: MapType::ARRAY, name: "bad", ..Default::default() });
    });
    let text = String::from_utf8(cap.0.lock().unwrap().clone()).unwrap();
    let loads: Vec<&str> = text.lines().filter(|l| l.contains("BPF_PROG_LOAD prog_type=")).collect();
    assert_eq!(loads.len(), 1, "{text}");
    assert!(loads[0].contains("rawbpf::sys"), "{text}");
    assert!(loads[0].contains("prog_type=socket_filter") && loads[0].contains("insn_cnt=2"), "{text}");
    assert!(loads[0].contains("name=\"rawbpf_traced\""), "{text}");
    let create = text.lines().find(|l| l.contains("BPF_MAP_CREATE map_type=array")).expect(&text);
    assert!(create.contains("key_size=0") && create.contains("= -EINVAL"), "{create}");
}

#[test]
fn func_info_and_line_info_reach_the_kernel() {
    let _g = serialize();
    if !root("func_info_and_line_info_reach_the_kernel") {
        return;
    }
    use btf::types::{Body, Func, FuncProto, Linkage, Param, Type};
    let mut b = btf::BtfBuilder::new();
    let int = b.int("int", 4, true);
    let void_ptr = b.ptr(btf::TypeId::VOID);
    let params = vec![Param { name: "ctx", type_id: void_ptr }];
    let proto = b.add(&Type { name: "", body: Body::FuncProto(FuncProto { ret: int, params }) });
    let func = b.add(&Type { name: "prog", body: Body::Func(Func { proto, linkage: Linkage::Global }) });
    let file = b.add_str("prog.c");
    let line = b.add_str("return 0;");
    let btf = btf_load(&b.build(), LogLevel::OnFailure).unwrap().fd;

    // struct bpf_func_info { insn_off, type_id }; struct bpf_line_info { insn_off, file_name_off, line_off, line_col }.
    let func_info: Vec<u8> = [0u32, func.get()].iter().flat_map(|v| v.to_ne_bytes()).collect();
    let line_info: Vec<u8> = [0u32, file, line, 3 << 10 | 5].iter().flat_map(|v| v.to_ne_bytes()).collect();
    let insns = ret(0);
    let p = ProgLoad {
        prog_type: ProgType::SOCKET_FILTER,
        insns: &insns,
        license: GPL,
        name: "prog",
        prog_btf_fd: Some(&btf),
        func_info: Records { data: &func_info, rec_size: 8 },
        line_info: Records { data: &line_info, rec_size: 16 },
        ..Default::default()
    };
    let prog = prog_load(&p).unwrap_or_else(|e| panic!("{e}\n{}", e.log));
    let info = prog_info(&prog).unwrap();
    assert_eq!(info.btf_id, btf_info(&btf).unwrap().id);
    assert_eq!((info.nr_func_info, info.nr_line_info), (1, 1));

    // A func_info pointing at a non-FUNC type is refused with a log naming the problem.
    let bad: Vec<u8> = [0u32, int.get()].iter().flat_map(|v| v.to_ne_bytes()).collect();
    let err = prog_load(&ProgLoad { func_info: Records { data: &bad, rec_size: 8 }, ..p }).unwrap_err();
    assert_eq!(err.errno(), Errno::EINVAL, "{err}");
    assert!(!err.log.is_empty(), "{err}");
}
