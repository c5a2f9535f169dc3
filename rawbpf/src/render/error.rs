//! Errors, in words: the chain of `source()`s on one line (`what: why: root cause`), with the
//! refusals and verifier rejections the library classified spelled out below it.

use std::error::Error;

use loader::attach::usdt::maps::UsdtMapError;
use loader::attach::usdt::sites::SiteError;
use loader::attach::usdt::UsdtError;
use loader::attach::{AttachError, ProbeFamily};
use loader::load::{LoadError, LoadedProgram, MapAttribute, MapPinError, PinMismatch};
use loader::object::progtype::AttachMethod;
use loader::object::ProgramError;
use loader::sys::Cmd;
use loader::trace_pipe::TracefsError;
use nix::errno::Errno;

use super::{refusal, verifier};

/// The whole chain of `e`, joined by `: `.
pub fn chain(e: &(dyn Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// A pinned map that is not the one the object declares: each attribute, declared vs pinned.
fn incompatible_pin(map: &str, path: &std::path::Path, diffs: &[PinMismatch]) -> String {
    let value = |a: MapAttribute, v: u64| match a {
        MapAttribute::Type => loader::sys::MapType(v as u32).to_string(),
        MapAttribute::MapFlags => format!("{v:#x}"),
        _ => v.to_string(),
    };
    let mut s = format!(
        "map {map}: the map pinned at {} differs from the object's declaration (LIBBPF_PIN_BY_NAME reuses only an identical one):",
        path.display()
    );
    for d in diffs {
        s += &format!(
            "\n  {:<12} declared {}, pinned {}",
            d.attribute.name(),
            value(d.attribute, d.declared),
            value(d.attribute, d.pinned)
        );
    }
    s += &format!(
        "\n  fix: remove the old pin if nothing uses it (rm {}), or load with another --pin-root DIR",
        path.display()
    );
    s
}

/// A `--pin` failure, with what to do about a directory that is not on a bpffs.
pub fn pin(e: &loader::pins::PinError) -> String {
    use loader::pins::PinError;
    match e {
        PinError::NotBpffs { .. } => format!(
            "--pin: {}\n  fix: pin under /sys/fs/bpf (mount it: mount -t bpf bpf /sys/fs/bpf), or mount a bpffs \
             on the directory: mount -t bpf bpf DIR",
            chain(e)
        ),
        PinError::Pin { source, .. } if source.is(Errno::EEXIST) => {
            format!("--pin: {}\n  fix: remove the old pin (rm it) or pin elsewhere", chain(e))
        }
        _ => format!("--pin: {}", chain(e)),
    }
}

/// A load failure: verifier rejections with their log and diagnosis, the rest as a chain, with
/// the flag that fixes it where there is one.
pub fn load(e: &LoadError) -> String {
    match e {
        LoadError::MapPin { map, path, source: MapPinError::Incompatible(diffs) } => incompatible_pin(map, path, diffs),
        LoadError::ProgLoad(f) => verifier::prog_load(f),
        LoadError::KernelBtf(b) => format!("kernel BTF: {}", btf_source(b)),
        LoadError::Map { source, .. } if source.is(Errno::EPERM) && source.call == Cmd::MapCreate.into() => {
            let caps = loader::diagnose::caps::Caps::current().unwrap_or_default();
            map_create_refused(&chain(e), caps.sys_admin)
        }
        LoadError::AttachNeedsKernelBtf { .. } => format!(
            "{}\n  the kernel checks these programs against its own BTF, by id, and without \
             CONFIG_DEBUG_INFO_BTF (or with /sys/kernel/btf hidden) it has none to offer: --btf only \
             describes types for CO-RE. kprobes, tracepoints and raw_tp programs load without kernel BTF",
            chain(e)
        ),
        LoadError::NothingSelected { not_autoloaded } => {
            let first = not_autoloaded.first().map_or("NAME", String::as_str);
            format!("{}\n  fix: name the ones to load: --program {first}", chain(e))
        }
        LoadError::NoBtfTarget { program, .. } => format!(
            "{}\n  fix: this program's target is chosen at run time (libbpf: bpf_program__set_attach_target): \
             --attach-target {program}=FUNC",
            chain(e)
        ),
        LoadError::Program { source: ProgramError::UnknownSection { .. }, .. } => format!(
            "{}\n  the section name is the program's kind, spelled as libbpf does (SEC(\"kprobe/FUNC\"), \
             SEC(\"tp_btf/EVENT\"), ...); the object's other programs load with --program NAME",
            chain(e)
        ),
        LoadError::Program { .. } => {
            format!("{}\n  the object's other programs load with --program NAME", chain(e))
        }
        other => chain(other),
    }
}

/// BPF_MAP_CREATE answered EPERM: missing capabilities, or (with CAP_SYS_ADMIN, which every map
/// type accepts) a policy of this host.
fn map_create_refused(chain: &str, sys_admin: bool) -> String {
    if sys_admin {
        format!(
            "{chain}\n  you have CAP_SYS_ADMIN, which every map type accepts: a security policy of this host forbids \
             this map ({}){}\n  fix: check the LSM audit log (dmesg, /var/log/audit); other map types may still be allowed",
            refusal::POLICY_SOURCES,
            refusal::lockdown_words(loader::diagnose::caps::lockdown())
        )
    } else {
        format!(
            "{chain}\n  fix: run as root: maps need CAP_BPF, and some types (ARENA, STRUCT_OPS, queues of \
             sockets) CAP_SYS_ADMIN or CAP_NET_ADMIN"
        )
    }
}

/// Reading BTF failed; for a kernel without BTF, what it means and the way out.
pub fn btf_source(e: &btf::source::LoadError) -> String {
    match e {
        btf::source::LoadError::NoKernelBtf { .. } => format!(
            "{}\n  CONFIG_DEBUG_INFO_BTF=y is the build option that makes a kernel carry BTF, the description of \
             its own types (pahole writes it from the kernel's DWARF); CO-RE relocates against it.\n  fix: pass \
             --btf FILE with this kernel's BTF (a vmlinux ELF with .BTF, its vmlinuz or linux-image .deb, or a \
             BTFHub file): CO-RE, kprobes, tracepoints and raw_tp then work; fentry/fexit/tp_btf still need the \
             kernel's own",
            chain(e)
        ),
        btf::source::LoadError::Image { path, source } => {
            super::kernel_image::error(&path.display().to_string(), source)
        }
        other => chain(other),
    }
}

/// A program `rawbpf load` leaves for the user to attach: one of the kinds libbpf does not
/// attach on its own, or one whose section names no target.
pub fn not_attached(p: &LoadedProgram) -> String {
    let why = match p.kind.def.attach {
        AttachMethod::Manual => "rawbpf does not attach this kind",
        _ => "its section names no target",
    };
    let probe = matches!(
        p.kind.def.attach,
        AttachMethod::Kprobe { .. }
            | AttachMethod::Ksyscall { .. }
            | AttachMethod::KprobeMulti { .. }
            | AttachMethod::Uprobe { .. }
            | AttachMethod::Usdt
    );
    if probe {
        return format!(
            "{} ({}) is loaded but not attached ({why}): give it one with --attach-target {}=TARGET",
            p.name,
            p.kind.def.kind_name(),
            p.name
        );
    }
    format!("{} ({}) is loaded but not attached ({why}): attach it yourself", p.name, p.kind.def.kind_name())
}

/// Parses `--attach-target PROG=FUNC`.
pub fn parse_attach_target(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((prog, func)) if !prog.is_empty() && !func.is_empty() => Ok((prog.to_owned(), func.to_owned())),
        _ => Err(format!("'{s}' is not PROG=FUNC (a program of the object, then the kernel function to load it for)")),
    }
}

/// An attach failure, with what the refusal means.
pub fn attach(e: &AttachError) -> String {
    match e {
        AttachError::Refused { refusal: r, .. } => format!("{}\n  {}", chain(e), refusal::text(r)),
        AttachError::NoTracepoint { .. } => format!("{}; list them in /sys/kernel/tracing/events", chain(e)),
        AttachError::Unsupported { .. } => format!("{} (load it with --no-attach)", chain(e)),
        AttachError::NoKernelSymbol { wrapper: Some(w), symbol, .. } => {
            let name = symbol.strip_prefix("sys_").unwrap_or(symbol);
            format!(
                "{}; this kernel has {w}, the architecture's wrapper of the {name} syscall\n  fix: write \
                 SEC(\"ksyscall/{name}\") (rawbpf finds the wrapper, as libbpf does), or SEC(\"kprobe/{w}\")",
                chain(e)
            )
        }
        AttachError::NoKernelSymbol { .. } => format!(
            "{}\n  fix: a kprobe needs a function in /proc/kallsyms (traceable ones are in \
             /sys/kernel/tracing/available_filter_functions)",
            chain(e)
        ),
        AttachError::NoKprobeMulti { .. } => {
            format!("{}\n  fix: one kprobe/FUNC program per function instead", chain(e))
        }
        AttachError::NoFunctionMatches { .. } => {
            format!("{}\n  fix: the names are in /sys/kernel/tracing/available_filter_functions", chain(e))
        }
        AttachError::BinarySymbol { path, .. } => {
            format!(
                "{}\n  fix: list its functions with nm -D {} (or nm, if it is not stripped)",
                chain(e),
                path.display()
            )
        }
        AttachError::NoProbeSupport { family: ProbeFamily::Kernel, pmu_required: false, .. } => format!(
            "{}\n  fix: kprobes need a kernel built with CONFIG_KPROBES and CONFIG_KPROBE_EVENTS; fentry/fexit \
             (CONFIG_DEBUG_INFO_BTF) or tracepoints reach most of the same places",
            chain(e)
        ),
        AttachError::NoProbeSupport { pmu_required: true, .. } => {
            format!("{}\n  fix: --probe-attach-mode legacy (tracefs), or the default", chain(e))
        }
        AttachError::NoProbeSupport { .. } => {
            format!("{}\n  fix: uprobes need a kernel built with CONFIG_UPROBE_EVENTS", chain(e))
        }
        AttachError::NoTracefs { .. } => {
            format!("{}\n  fix: mount -t tracefs tracefs /sys/kernel/tracing", chain(e))
        }
        AttachError::Usdt { path, source, .. } => format!("{}{}", chain(e), usdt_fix(path, source.as_ref())),
        AttachError::NoRefCtr { .. } => format!("{}\n  fix: a kernel 4.20 or newer", chain(e)),
        AttachError::BadProbeTarget { .. }
        | AttachError::ProbeEventId { .. }
        | AttachError::FilterFunctions { .. }
        | AttachError::UsdtNeedsObject { .. } => chain(e),
    }
}

/// What to do about a USDT probe that cannot be attached (a line starting `\n  fix: `, or
/// nothing).
fn usdt_fix(path: &std::path::Path, e: &UsdtError) -> String {
    let fix = match e {
        UsdtError::NoSuchProbe { .. } | UsdtError::Sites(SiteError::NoNotes) => {
            format!("list its probes with readelf -n {}", path.display())
        }
        UsdtError::NeedsCookies => {
            "a kernel with BPF cookies (5.15+), or a binary linked at a fixed address (gcc -no-pie, or -static)".into()
        }
        UsdtError::NoSemaphores => "a kernel 4.20 or newer".into(),
        UsdtError::Maps(UsdtMapError::Missing(_)) => {
            "#include <bpf/usdt.bpf.h> in the program and read arguments with \
                                                      bpf_usdt_arg() or BPF_USDT()"
                .into()
        }
        UsdtError::TooManySpecs { .. } => "#define BPF_USDT_MAX_SPEC_CNT larger before including usdt.bpf.h".into(),
        _ => return String::new(),
    };
    format!("\n  fix: {fix}")
}

/// No tracefs, and what to do about it.
pub fn tracefs(e: &TracefsError) -> String {
    let fix = match e.errno {
        Errno::EPERM | Errno::EACCES => "run as root (mounting needs CAP_SYS_ADMIN)",
        Errno::ENODEV => "the kernel lacks tracefs: it needs CONFIG_TRACING (bpf_printk output depends on it)",
        Errno::ENOENT => "the mount point is missing: the kernel may lack CONFIG_TRACING, or /sys is not sysfs",
        _ => "mount it by hand: mount -t tracefs tracefs /sys/kernel/tracing",
    };
    format!("{e}\n  fix: {fix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("map counts")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_tracefs_refusal_says_what_to_do() {
        let e = TracefsError { tried: vec!["/t".into()], mount_point: "/t".into(), errno: Errno::EPERM };
        assert!(tracefs(&e).ends_with("\n  fix: run as root (mounting needs CAP_SYS_ADMIN)"), "{}", tracefs(&e));
    }

    #[test]
    fn a_refused_map_names_policy_only_with_every_capability() {
        let e = LoadError::Map { map: "arena".into(), source: loader::sys::SysError::new(Cmd::MapCreate, 1) };
        let text = load(&e);
        assert!(text.starts_with("map arena: BPF_MAP_CREATE failed: EPERM"), "{text}");
        assert!(map_create_refused("x", true).contains("a security policy of this host forbids"));
        assert!(map_create_refused("x", false).contains("fix: run as root"));
    }

    #[test]
    fn a_kernel_without_btf_gets_the_way_out() {
        let e = btf::source::vmlinux_at(std::path::Path::new("/nonexistent/btf/vmlinux")).unwrap_err();
        let text = btf_source(&e);
        assert!(text.contains("CONFIG_DEBUG_INFO_BTF") && text.contains("\n  fix: pass --btf FILE"), "{text}");
    }

    #[test]
    fn attach_targets_are_prog_equals_func() {
        assert_eq!(parse_attach_target("a=b:c"), Ok(("a".into(), "b:c".into())));
        assert!(parse_attach_target("a").unwrap_err().contains("PROG=FUNC"));
        assert!(parse_attach_target("=f").is_err() && parse_attach_target("p=").is_err());
    }

    #[test]
    fn the_chain_reads_from_what_to_why() {
        let e = Outer(std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"));
        assert_eq!(chain(&e), "map counts: no such file");
    }
}
