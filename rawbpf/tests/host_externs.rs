//! Externs on this host's kernel: progs/externs.bpf.c prints the `__kconfig`, `__ksym` and kfunc
//! values rawbpf resolved, and each is checked against the system it came from (uname, the
//! kernel configuration, /proc/kallsyms, the kernel's own pid lookup); the program's tag is
//! libbpf's (through the differential test's oracle, tests/vm/oracle/loadone.c); a typed ksym
//! the kernel cannot give an address is explained. Runs the real binary; serialized.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use loader::sys::kernel_ids;

use common::{assert_nothing_left, build_progs, cannot_load_programs, root};

static LOCK: Mutex<()> = Mutex::new(());

fn object(test: &str) -> Option<PathBuf> {
    if let Some(why) = cannot_load_programs(true) {
        println!("SKIP: {test}: {why}");
        return None;
    }
    build_progs();
    Some(root().join("progs/externs.o"))
}

fn rawbpf(obj: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rawbpf"));
    c.arg("load").arg(obj).args(args);
    c
}

/// Runs `rawbpf load` while this process calls getpid, which the programs print for. trace_pipe
/// has one reader at a time: when another process on the machine holds it, try again.
fn load_while_getpid(obj: &Path, args: &[&str]) -> Output {
    for _ in 0..5 {
        let child = rawbpf(obj, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn rawbpf");
        for _ in 0..20 {
            thread::sleep(Duration::from_millis(100));
            let _ = nix::unistd::getpid();
        }
        let out = child.wait_with_output().expect("wait for rawbpf");
        if !String::from_utf8_lossy(&out.stderr).contains("trace_pipe: Device or resource busy") {
            return out;
        }
        thread::sleep(Duration::from_secs(1));
    }
    panic!("trace_pipe stayed busy: another reader holds it");
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// `LINUX_KERNEL_VERSION` as libbpf defines it, computed here from uname independently.
fn kernel_version() -> u32 {
    let u = nix::sys::utsname::uname().unwrap();
    let version = u.version().to_string_lossy().into_owned();
    let release = u.release().to_string_lossy().into_owned();
    let from = |s: &str| -> Option<u32> {
        let mut it = s.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty());
        let (a, b, c): (u32, u32, u32) = (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?);
        Some((a << 16) + (b << 8) + c.min(255))
    };
    if let Ok(sig) = std::fs::read_to_string("/proc/version_signature") {
        if let Some(v) = sig.split_whitespace().nth(2).and_then(from) {
            return v;
        }
    }
    if let Some(at) = version.find("Debian ") {
        if let Some(v) = from(&version[at + 7..]) {
            return v;
        }
    }
    from(&release).expect("a.b.c in the release")
}

/// The kernel configuration's text, as `zcat` or `cat` reads it; `None` when there is none.
fn kernel_config() -> Option<String> {
    let release = nix::sys::utsname::uname().unwrap().release().to_string_lossy().into_owned();
    let boot = format!("/boot/config-{release}");
    let out = if Path::new(&boot).exists() {
        Command::new("zcat").args(["-f", &boot]).output().ok()?
    } else {
        Command::new("zcat").arg("/proc/config.gz").output().ok()?
    };
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn config_value<'a>(config: &'a str, name: &str) -> Option<&'a str> {
    config.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
}

fn kallsyms_address(name: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/kallsyms").ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        let (addr, _, sym) = (f.next()?, f.next()?, f.next()?);
        (sym == name).then(|| u64::from_str_radix(addr, 16).ok()).flatten()
    })
}

/// The first trace line of this thread (the one calling getpid) that contains `marker`.
fn line_of<'a>(stdout: &'a str, marker: &str) -> &'a str {
    // The trace header names the thread, the program prints the process (its tgid).
    let pid = nix::unistd::gettid().to_string();
    stdout
        .lines()
        .filter(|l| l.split_whitespace().nth(1).and_then(|t| t.rsplit('-').next()) == Some(pid.as_str()))
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no line of pid {pid} with {marker}:\n{stdout}"))
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace().find_map(|w| w.strip_prefix(key)).unwrap_or_else(|| panic!("no {key} in {line}"))
}

#[test]
fn externs_print_the_values_of_this_kernel() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let test = "externs_print_the_values_of_this_kernel";
    let Some(obj) = object(test) else { return };
    let Some(config) = kernel_config() else {
        return println!("SKIP: {test}: no kernel configuration (/boot/config-*, /proc/config.gz) for CONFIG_ externs");
    };
    let before = kernel_ids().unwrap();
    let args = ["--program", "rawbpf_externs", "--program", "rawbpf_externs_weak", "--duration", "2", "--explain"];
    let out = load_while_getpid(&obj, &args);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "rawbpf failed:\n{stderr}");

    let kconfig = line_of(&stdout, "rawbpf-externs: version=");
    assert_eq!(field(kconfig, "version="), kernel_version().to_string(), "{kconfig}");
    assert_eq!(field(kconfig, "cookie="), "1", "bpf_get_attach_cookie exists since 5.15: {kconfig}");
    assert_eq!(Some(field(kconfig, "hz=")), config_value(&config, "CONFIG_HZ"), "{kconfig}");

    // libbpf's probe: a kprobe on the bpf() syscall wrapper opens (needs the kprobe PMU).
    let wrapper = line_of(&stdout, "rawbpf-externs: syscall_wrapper=");
    let kprobes = Path::new("/sys/bus/event_source/devices/kprobe/type").exists();
    let want = if kprobes && kallsyms_address("__x64_sys_bpf").is_some() { "1" } else { "0" };
    assert_eq!(field(wrapper, "syscall_wrapper="), want, "{wrapper}");

    let options = line_of(&stdout, "rawbpf-externs: bpf_syscall=");
    let tristate = match config_value(&config, "CONFIG_BPF_SYSCALL") {
        Some("y") => "1",
        Some("m") => "2",
        _ => "0",
    };
    assert_eq!(field(options, "bpf_syscall="), tristate, "{options}");
    let local = config_value(&config, "CONFIG_LOCALVERSION").map_or("", |v| v.trim_matches('"'));
    // An empty string prints as nothing: the next word is then `unset=0`.
    let printed = options.split("localversion=").nth(1).unwrap().split(' ').next().unwrap();
    assert_eq!(printed, &local[..local.len().min(31)], "{options}");
    assert_eq!(field(options, "unset="), "0", "a __weak option that is not set is 0: {options}");

    let ksyms = line_of(&stdout, "rawbpf-externs: schedule=");
    let schedule = kallsyms_address("schedule").expect("schedule in /proc/kallsyms");
    assert_eq!(u64::from_str_radix(field(ksyms, "schedule="), 16).unwrap(), schedule, "{ksyms}");
    assert_eq!(field(ksyms, "missing="), "0", "a __weak ksym the kernel lacks is 0: {ksyms}");

    let pid = std::process::id().to_string();
    let kfuncs = line_of(&stdout, "rawbpf-externs: tgid=");
    assert_eq!(field(kfuncs, "tgid="), pid, "{kfuncs}");
    // The kfuncs are __weak (kernels before 6.2 lack them): what rawbpf found decides what prints.
    let found = |f: &str| stderr.contains(&format!("extern {f} (kfunc, __weak) = FUNC ["));
    let want_tgid = if found("bpf_task_from_pid") && found("bpf_task_release") { pid.as_str() } else { "-1" };
    assert_eq!(field(kfuncs, "task_tgid="), want_tgid, "bpf_task_from_pid(our pid) is this process: {kfuncs}");
    let want_rcu = if found("bpf_rcu_read_lock") { "1" } else { "0" };
    assert_eq!(field(kfuncs, "rcu_lock="), want_rcu, "bpf_ksym_exists() of a __weak kfunc: {kfuncs}");
    let weak = line_of(&stdout, "rawbpf-externs: weak kfunc exists=");
    assert_eq!(field(weak, "exists="), "0", "{weak}");

    // --explain narrates each value with where it came from.
    assert!(stderr.contains("extern CONFIG_HZ (signed integer, .kconfig+"), "{stderr}");
    assert!(
        stderr.contains(&format!("extern schedule (typeless ksym) = {schedule:#x} (from /proc/kallsyms)")),
        "{stderr}"
    );
    assert!(stderr.contains("extern bpf_rawbpf_no_such_kfunc (kfunc, __weak) = 0 (not in this kernel"), "{stderr}");
    assert_nothing_left(&before);
}

/// Builds the differential test's libbpf oracle against the host's libbpf; `Err` says why not.
fn libbpf_oracle() -> Result<PathBuf, String> {
    if !Path::new("/usr/include/bpf/libbpf.h").exists() {
        return Err("libbpf-dev is not installed".into());
    }
    let bin = Path::new(env!("CARGO_TARGET_TMPDIR")).join("externs-loadone");
    let src = root().join("tests/vm/oracle/loadone.c");
    let out = Command::new("cc").args(["-O2", "-o"]).arg(&bin).arg(&src).arg("-lbpf").output();
    match out {
        Ok(o) if o.status.success() => Ok(bin),
        Ok(o) => Err(format!("building the oracle failed: {}", String::from_utf8_lossy(&o.stderr))),
        Err(e) => Err(format!("no C compiler: {e}")),
    }
}

#[test]
fn externs_relocate_like_libbpf() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let test = "externs_relocate_like_libbpf";
    let Some(obj) = object(test) else { return };
    let before = kernel_ids().unwrap();
    let out = rawbpf(&obj, &["--program", "rawbpf_externs", "--no-attach", "--json"]).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let tag = stdout.split("\"tag\":\"").nth(1).map(|s| &s[..16]).expect("a tag");
    assert!(stdout.contains("\"name\":\"externs.kconfig\""), "the .kconfig map: {stdout}");
    assert_nothing_left(&before);
    // The program reads .kconfig values, a kallsyms address and calls kfuncs by BTF id: the same
    // instructions as libbpf's (the weak-kfunc program is poisoned as libbpf 1.5 does, which the
    // host's libbpf predates, so only this one is compared).
    let oracle = match libbpf_oracle() {
        Ok(o) => o,
        Err(why) => return println!("not checked here: {test}: libbpf oracle: {why}"),
    };
    let out = Command::new(&oracle).arg("load").arg(&obj).arg("rawbpf_externs").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    let reference = said.split("tag=").nth(1).map(str::trim).unwrap_or_else(|| panic!("libbpf: {said}"));
    assert_eq!(tag, reference, "rawbpf and libbpf relocated the externs differently");
    assert_nothing_left(&before);
}

#[test]
fn typed_ksym_reads_this_cpus_runqueue_or_is_explained() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let test = "typed_ksym_reads_this_cpus_runqueue_or_is_explained";
    let Some(obj) = object(test) else { return };
    let before = kernel_ids().unwrap();
    let out = load_while_getpid(&obj, &["--program", "rawbpf_externs_percpu", "--duration", "2"]);
    let (stdout, stderr) = text(&out);
    let kallsyms_all = kernel_config().is_some_and(|c| config_value(&c, "CONFIG_KALLSYMS_ALL") == Some("y"));
    if kallsyms_all {
        assert!(out.status.success(), "{stderr}");
        let line = line_of(&stdout, "rawbpf-externs: cpu=");
        assert_eq!(field(line, "cpu="), field(line, "rq_cpu="), "this CPU's struct rq says which CPU: {line}");
    } else {
        // The kernel's BTF has runqueues but kallsyms no address: the kernel refuses, and says which.
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("ldimm64 failed to find the address for kernel symbol 'runqueues'"), "{stderr}");
        assert!(stderr.contains("the __ksym variable runqueues but kallsyms has no address"), "{stderr}");
        assert!(stderr.contains("CONFIG_KALLSYMS_ALL=y"), "{stderr}");
    }
    assert_nothing_left(&before);
}

const HEADER: &str =
    "#include \"vmlinux.h\"\n#include \"rawbpf_helpers.h\"\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n";

/// Builds a tp_btf/sys_enter program whose body is `body` after the declarations `decls`, and
/// loads it; `None` (after the SKIP line) when that cannot be done here.
fn load_source(test: &str, name: &str, decls: &str, body: &str) -> Option<(i32, String)> {
    object(test)?;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("externs-errors");
    std::fs::create_dir_all(&dir).unwrap();
    let (c, obj) = (dir.join(format!("{name}.bpf.c")), dir.join(format!("{name}.o")));
    let src =
        format!("{HEADER}{decls}\nSEC(\"tp_btf/sys_enter\")\nint {name}(void *ctx)\n{{\n{body}\n\treturn 0;\n}}\n");
    std::fs::write(&c, src).unwrap();
    let out = Command::new("clang-19")
        .args(["-target", "bpf", "-O2", "-g", "-D__TARGET_ARCH_x86", "-c"])
        .arg("-I")
        .arg(root().join("progs"))
        .arg("-I")
        .arg(root().join("progs/include"))
        .arg(&c)
        .arg("-o")
        .arg(&obj)
        .output()
        .unwrap();
    assert!(out.status.success(), "clang: {}", String::from_utf8_lossy(&out.stderr));
    let out = rawbpf(&obj, &["--duration", "1"]).output().unwrap();
    Some((out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned()))
}

#[test]
fn a_strong_extern_nothing_resolves_is_named() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let test = "a_strong_extern_nothing_resolves_is_named";
    let cases = [
        (
            "extern int CONFIG_RAWBPF_NOPE __kconfig;",
            "bpf_printk(\"%d\", CONFIG_RAWBPF_NOPE);",
            "extern 'CONFIG_RAWBPF_NOPE' is not set in ",
        ),
        (
            "extern int LINUX_RAWBPF_NOPE __kconfig;",
            "bpf_printk(\"%d\", LINUX_RAWBPF_NOPE);",
            "extern 'LINUX_RAWBPF_NOPE': unknown __kconfig value",
        ),
        (
            "extern const void rawbpf_nope_sym __ksym;",
            "bpf_printk(\"%lx\", (long)&rawbpf_nope_sym);",
            "extern 'rawbpf_nope_sym' is not in /proc/kallsyms",
        ),
        (
            "extern void bpf_rawbpf_nope(void) __ksym;",
            "bpf_rawbpf_nope();",
            "extern 'bpf_rawbpf_nope': the kernel has no FUNC of this name in its BTF",
        ),
    ];
    for (i, (decls, body, want)) in cases.iter().enumerate() {
        let Some((rc, stderr)) = load_source(test, &format!("strong{i}"), decls, body) else { return };
        assert_eq!(rc, 1, "{stderr}");
        assert!(stderr.contains(want), "want {want:?} in:\n{stderr}");
        assert!(stderr.contains("declare it __weak") || !want.contains("is not"), "{stderr}");
    }
}

#[test]
fn an_extern_of_the_wrong_type_is_refused_with_both_types() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let test = "an_extern_of_the_wrong_type_is_refused_with_both_types";
    let cases = [
        // The kernel's runqueues is a struct rq.
        (
            "extern const int runqueues __ksym;",
            "bpf_printk(\"%lx\", (long)&runqueues);",
            "extern 'runqueues': incompatible types: the object declares [",
        ),
        ("extern int *CONFIG_HZ __kconfig;", "bpf_printk(\"%lx\", (long)CONFIG_HZ);", "extern 'CONFIG_HZ' (symbol "),
        // The configuration says CONFIG_HZ=<number>: no bool holds it.
        ("extern bool CONFIG_HZ __kconfig;", "bpf_printk(\"%d\", CONFIG_HZ);", "(CONFIG_HZ): value "),
    ];
    let more = ["vmlinux has [", "__kconfig type [", "cannot be stored in a bool (it needs an integer or char)"];
    // Declarations libbpf refuses as well, named by the object reader.
    let declared = [
        (
            "extern int rawbpf_ext __attribute__((section(\".data.ext\")));",
            "bpf_printk(\"%d\", rawbpf_ext);",
            "declared in section '.data.ext'; externs are __kconfig (.kconfig) or __ksym (.ksyms)",
        ),
        ("extern void rawbpf_fn(void) __kconfig;", "rawbpf_fn();", "a function cannot be __kconfig"),
        (
            "extern char CONFIG_RAWBPF_HUGE[8 << 20] __kconfig __weak;",
            "bpf_printk(\"%s\", CONFIG_RAWBPF_HUGE);",
            "the __kconfig values need 8388608 bytes, more than the 4194304 of the largest map value",
        ),
    ];
    for (i, (decls, body, want)) in declared.iter().enumerate() {
        let Some((rc, stderr)) = load_source(test, &format!("declared{i}"), decls, body) else { return };
        assert_eq!(rc, 1, "{stderr}");
        assert!(stderr.contains(want), "want {want:?} in:\n{stderr}");
    }
    for (i, ((decls, body, want), also)) in cases.iter().zip(more).enumerate() {
        let Some((rc, stderr)) = load_source(test, &format!("wrongtype{i}"), decls, body) else { return };
        assert_eq!(rc, 1, "{stderr}");
        assert!(stderr.contains(want) && stderr.contains(also), "want {want:?} and {also:?} in:\n{stderr}");
    }
}

#[test]
fn a_reachable_call_of_a_missing_weak_kfunc_is_explained() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let test = "a_reachable_call_of_a_missing_weak_kfunc_is_explained";
    let decls = "extern void bpf_rawbpf_nope(void) __ksym __weak;";
    let Some((rc, stderr)) = load_source(test, "unguarded", decls, "bpf_rawbpf_nope();") else { return };
    assert_eq!(rc, 1, "{stderr}");
    // The only extern has index 0: its calls became call 2002000000.
    assert!(stderr.contains("invalid func unknown#2002000000"), "{stderr}");
    assert!(stderr.contains("guard it with if (bpf_ksym_exists(f))"), "{stderr}");
}
