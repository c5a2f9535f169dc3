//! The `--explain` / `-v` narration: each step of the library's pipeline as one line (or a few)
//! on stderr, headed by the phase (`rawbpf::load:`, `rawbpf::core:`, `rawbpf::attach:`) like
//! the syscall lines `tracing` prints beside them.

use loader::attach::usdt::maps as usdt_maps;
use loader::attach::{Link, Mechanism, Probe, ProbeFamily, ProbeVia, UsdtAttachment};
use loader::features::Features;
use loader::load::MapAdjustment;
use loader::memlock::Memlock;
use loader::object::progtype::AttachMethod;
use loader::object::{Object, ProgramIndex};
use loader::progress::{Observer, Step};

use super::{btf_change, core, externs};

/// How much to say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Detail {
    /// Only what a user must know (the object's BTF refused).
    Quiet,
    /// Every phase and decision (`-v`, `--explain`).
    Phases,
    /// Fallbacks and probes too (`-vv`).
    Debug,
}

/// Prints the steps it is given at its level of detail.
pub struct Narrator {
    /// The level.
    pub detail: Detail,
}

impl Observer for Narrator {
    fn step(&mut self, step: Step<'_>) {
        let (detail, phase, text) = line(&step);
        if detail <= self.detail {
            eprintln!("rawbpf::{phase}: {text}");
        }
        if let (Step::Core(d), Detail::Debug) = (&step, self.detail) {
            for l in core::details(&d.resolution) {
                eprintln!("rawbpf::core:     {l}");
            }
        }
    }
}

/// The level, phase and text of one step.
fn line(step: &Step<'_>) -> (Detail, &'static str, String) {
    use Detail::*;
    match step {
        Step::Selected { obj, programs } => (Phases, "load", selected(obj, programs)),
        Step::Memlock(m) => memlock(*m),
        Step::Features(f) => (Phases, "load", format!("kernel BTF features: {}", features(f))),
        Step::NoObjectBtf => {
            (Phases, "load", "object has no .BTF: maps get no BTF types, programs no line info".into())
        }
        Step::BtfChange(c) => (Phases, "load", format!("BTF fixup: {}", btf_change::text(c))),
        Step::ObjectBtfRefused(e) => {
            (Quiet, "load", format!("kernel refused the object's BTF ({}); loading without it\n{}", e.sys, e.log))
        }
        Step::KernelBtf { types, path } => {
            (Phases, "load", format!("kernel BTF: {types} types from {}", path.display()))
        }
        Step::KernelBtfStandIn { types, path } => (
            Quiet,
            "load",
            format!(
                "this kernel exposes no BTF ({} is missing): {} ({types} types) stands in for CO-RE and typed \
                 externs; programs that attach by BTF id (fentry, fexit, tp_btf, lsm, iter) cannot load",
                btf::source::VMLINUX_BTF,
                path.display()
            ),
        ),
        Step::Extern { index, ext, value } => (Phases, "load", externs::resolved(*index, ext, value)),
        Step::Core(d) => (Phases, "core", core::decision(d)),
        Step::MapAdjusted { name, adjustment } => {
            (Phases, "load", format!("map {name}: {}", map_adjustment(adjustment)))
        }
        Step::MapBtfRetry { name, error } => (
            Quiet,
            "load",
            format!("map {name}: {error} with BTF key/value types; retrying without BTF, as libbpf does"),
        ),
        Step::SlotFilled { map, index, target } => {
            (Phases, "load", format!("map {map}: slot [{index}] = {}", super::slots::slot_words(target)))
        }
        Step::SlotLeftEmpty { map, index, program } => {
            (Phases, "load", format!("map {map}: slot [{index}] left empty: program {program} is not loaded"))
        }
        Step::MapCreated { name, map_type, id } => {
            (Phases, "load", format!("map {name} ({map_type}) created: id {id}"))
        }
        Step::AttachTarget { program, target } => {
            let module = target.module.as_deref().unwrap_or("vmlinux");
            (
                Phases,
                "load",
                format!("{program}: attach target {} is BTF id {} in {module}", target.btf_name, target.btf_id),
            )
        }
        Step::ProgramLoaded { name, prog_type, info, insns } => (
            Phases,
            "load",
            format!("program {name} ({prog_type}) loaded: id {} tag {} ({insns} insns)", info.id, info.tag_hex()),
        ),
        Step::AttachFallback { error, to, .. } => {
            (Debug, "attach", format!("{error}: falling back to {}", fallback_words(*to)))
        }
        Step::Attached(link) => (Phases, "attach", attached(link)),
        Step::MapReused { name, path, id } => (
            Phases,
            "load",
            format!("map {name}: reusing the map pinned at {} (id {id}): compatible, so nothing is created and no initial data written", path.display()),
        ),
        Step::MapPinned { name, path, id } => (
            Phases,
            "load",
            format!(
                "map {name} (id {id}) pinned at {} (LIBBPF_PIN_BY_NAME): the pin stays after rawbpf exits, for the next load to reuse; rm {} removes it",
                path.display(),
                path.display()
            ),
        ),
        Step::TracefsMounted(path) => (Phases, "load", format!("mounted tracefs at {}", path.display())),
    }
}

/// Which programs will be loaded, and why the others will not.
fn selected(obj: &Object, programs: &[ProgramIndex]) -> String {
    let names: Vec<&str> = programs.iter().filter_map(|&r| obj.program(r)).map(|p| p.name.as_str()).collect();
    let mut text = format!("loading {} of {} programs: {}", names.len(), obj.programs.len(), names.join(", "));
    for (_, p) in obj.program_indices().zip(&obj.programs).filter(|(r, _)| !programs.contains(r)) {
        let why = if p.autoload { "not named" } else { "its section starts with '?': off unless named" };
        text.push_str(&format!("\n  skipped {} ({why})", p.name));
    }
    text
}

fn memlock(m: Memlock) -> (Detail, &'static str, String) {
    let kib = |b: u64| b / 1024;
    match m {
        Memlock::Memcg => (
            Detail::Phases,
            "load",
            "BPF memory is charged to the memory cgroup (5.11+): RLIMIT_MEMLOCK left as it is".into(),
        ),
        Memlock::Unlimited => (Detail::Phases, "load", "RLIMIT_MEMLOCK: already unlimited".into()),
        Memlock::Raised { from } => (
            Detail::Phases,
            "load",
            format!(
                "this kernel charges BPF memory to RLIMIT_MEMLOCK (before 5.11): raised it from {} KiB to unlimited",
                kib(from)
            ),
        ),
        Memlock::Stuck { limit, errno } => (
            Detail::Quiet,
            "load",
            format!(
                "this kernel charges BPF memory to RLIMIT_MEMLOCK ({} KiB) and raising it failed ({errno:?}): maps and \
                 programs beyond it will be refused with EPERM; run as root, or raise it first (ulimit -l unlimited)",
                kib(limit)
            ),
        ),
    }
}

/// The probed BTF kinds as a two-column table (the first row follows the heading).
fn features(f: &Features) -> String {
    let rows: Vec<String> =
        f.list().iter().map(|(name, ok)| format!("{name:<16} {}", if *ok { "yes" } else { "no" })).collect();
    rows.join("\n  ")
}

/// What a fallback tries next, as `-vv` names it.
fn fallback_words(m: Mechanism) -> &'static str {
    match m {
        Mechanism::PerfEventIoctl => "PERF_EVENT_IOC_SET_BPF",
        other => mechanism(other),
    }
}

/// How a link was made, as `rawbpf load` reports it.
pub fn mechanism(m: Mechanism) -> &'static str {
    match m {
        Mechanism::LinkCreate => "BPF_LINK_CREATE",
        Mechanism::RawTracepointOpen => "BPF_RAW_TRACEPOINT_OPEN",
        Mechanism::PerfEventLink => "perf_event_open + BPF_LINK_CREATE",
        Mechanism::PerfEventIoctl => "perf_event_open + PERF_EVENT_IOC_SET_BPF",
        Mechanism::KprobeMulti => "BPF_LINK_CREATE (kprobe_multi)",
        Mechanism::UprobeMulti => "BPF_LINK_CREATE (uprobe_multi)",
    }
}

fn attached(l: &Link) -> String {
    let how = mechanism(l.mechanism);
    if let Some(p) = &l.probe {
        return format!("{} attached to {} with {how}", l.program, probe(l, p));
    }
    match (l.method, l.tracepoint_id) {
        (AttachMethod::RawTracepoint, _) => format!("{} attached to raw tracepoint {}", l.program, l.target),
        (AttachMethod::Tracepoint, Some(id)) => {
            format!("{} attached to tracepoint {} (id {id}) with {how}", l.program, l.target)
        }
        _ => format!("{} attached to {} with {how}", l.program, l.target),
    }
}

/// Where a probe is and how its event was made: `kprobe __x64_sys_clone (ksyscall/clone) through
/// the kprobe PMU (perf type 6)`.
pub fn probe(l: &Link, p: &Probe) -> String {
    if let Some(u) = &l.usdt {
        return usdt(u, &p.via);
    }
    let kind = match (p.family, p.retprobe) {
        (ProbeFamily::Kernel, false) => "kprobe",
        (ProbeFamily::Kernel, true) => "kretprobe",
        (ProbeFamily::User, false) => "uprobe",
        (ProbeFamily::User, true) => "uretprobe",
    };
    let place = match (&p.symbol, p.family) {
        (_, ProbeFamily::Kernel) if p.offset != 0 => format!("{}+{:#x}", p.location, p.offset),
        (_, ProbeFamily::Kernel) => p.location.clone(),
        (Some(sym), ProbeFamily::User) => format!("{}:{sym} (file offset {:#x})", p.location, p.offset),
        (None, ProbeFamily::User) => format!("{}:{:#x}", p.location, p.offset),
    };
    let asked = match l.method {
        AttachMethod::Ksyscall { retprobe } => {
            format!(" ({}/{})", if retprobe { "kretsyscall" } else { "ksyscall" }, l.target)
        }
        _ => String::new(),
    };
    let pmu = match p.family {
        ProbeFamily::Kernel => "kprobe",
        ProbeFamily::User => "uprobe",
    };
    match &p.via {
        ProbeVia::Pmu { perf_type } => format!("{kind} {place}{asked} through the {pmu} PMU (perf type {perf_type})"),
        ProbeVia::Tracefs(ev) => format!(
            "{kind} {place}{asked} through tracefs {} (event {}, id {})",
            p.family.events_file(),
            ev.event,
            ev.id
        ),
        ProbeVia::Multi { functions } => {
            format!("{kind} on {functions} kernel function(s) matching {:?} (first {place})", l.target)
        }
    }
}

/// A USDT probe's sites and how each finds its argument spec: `usdt /bin/x:rawbpf:add: 2 sites
/// at file offsets 0x1740, 0x1741 (spec ids 0, 1 as BPF cookies) through the uprobe PMU (perf
/// type 9)`.
fn usdt(u: &UsdtAttachment, via: &ProbeVia) -> String {
    let hex = |v: &[u64]| v.iter().map(|x| format!("{x:#x}")).collect::<Vec<_>>().join(", ");
    let plural = |n: usize, word: &str| if n == 1 { word.to_owned() } else { format!("{word}s") };
    let offsets: Vec<u64> = u.sites.iter().map(|s| s.file_offset).collect();
    let ids = u.spec_ids.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
    let found = if u.cookies {
        format!("as BPF {}", plural(u.spec_ids.len(), "cookie"))
    } else {
        format!("by address in {}", usdt_maps::IP_MAP)
    };
    let mut semaphores: Vec<u64> = u.sites.iter().map(|s| s.semaphore_offset).filter(|&o| o != 0).collect();
    semaphores.dedup();
    let semaphore =
        if semaphores.is_empty() { String::new() } else { format!("; semaphore at file offset {}", hex(&semaphores)) };
    let how = match via {
        ProbeVia::Pmu { perf_type } => format!("the uprobe PMU (perf type {perf_type})"),
        ProbeVia::Tracefs(_) => "tracefs uprobe_events".to_owned(),
        ProbeVia::Multi { .. } => "one uprobe_multi link".to_owned(),
    };
    format!(
        "usdt {}:{}:{}: {} {} at {} {} ({} {ids} {found}{semaphore}) through {how}",
        u.path.display(),
        u.provider,
        u.name,
        u.sites.len(),
        plural(u.sites.len(), "site"),
        plural(offsets.len(), "file offset"),
        hex(&offsets),
        plural(u.spec_ids.len(), "spec id"),
    )
}

fn map_adjustment(a: &MapAdjustment) -> String {
    match a {
        MapAdjustment::SizedToCpus { cpus } => {
            format!("perf_event_array declared without max_entries: one slot per possible CPU, {cpus}")
        }
        MapAdjustment::RingbufRounded { from, to } => {
            format!("ring buffer size {from} rounded up to {to} (a power-of-two number of pages)")
        }
        MapAdjustment::BtfLeftOff => "created without BTF key/value types (this map type takes none)".into(),
    }
}
