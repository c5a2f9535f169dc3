//! What kprobes and uprobes share: the probe PMUs in sysfs, tracefs dynamic events (the fallback
//! for kernels without the PMU) that are removed again when dropped, and hanging a program on
//! the perf event with a perf link or, before 5.15, `PERF_EVENT_IOC_SET_BPF`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use super::Mechanism;
use crate::load::LoadedProgram;
use crate::progress::{Observer, Step};
use crate::sys::{self, AttachType, Call, LinkCreate, LinkFd, PerfEventFd, SysError};

/// Kernel or user-space probes: the PMU directory and the tracefs file of each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeFamily {
    /// kprobes and kretprobes.
    Kernel,
    /// uprobes and uretprobes.
    User,
}

impl ProbeFamily {
    fn pmu(self) -> &'static str {
        match self {
            ProbeFamily::Kernel => "kprobe",
            ProbeFamily::User => "uprobe",
        }
    }

    /// The tracefs file that creates and removes dynamic events of this family.
    pub fn events_file(self) -> &'static str {
        match self {
            ProbeFamily::Kernel => "kprobe_events",
            ProbeFamily::User => "uprobe_events",
        }
    }

    fn write_call(self) -> Call {
        match self {
            ProbeFamily::Kernel => Call::KprobeEventsWrite,
            ProbeFamily::User => Call::UprobeEventsWrite,
        }
    }

    /// The tracefs event group rawbpf's dynamic events are made in (the kernel's default one).
    fn group(self) -> &'static str {
        match self {
            ProbeFamily::Kernel => "kprobes",
            ProbeFamily::User => "uprobes",
        }
    }
}

/// A probe PMU as sysfs describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pmu {
    /// The perf type (`devices/<pmu>/type`).
    pub perf_type: u32,
    /// The `config` bit that makes a return probe (`format/retprobe`, `config:0`).
    pub retprobe_bit: u32,
    /// Where a uprobe's reference counter offset (a USDT semaphore) goes in `config`
    /// (`format/ref_ctr_offset`, `config:32-63`, 4.20+); `None` when the PMU cannot take one.
    pub ref_ctr_shift: Option<u32>,
}

/// The family's PMU (4.17+), or `None` when sysfs has none: then tracefs is the way.
pub fn pmu(family: ProbeFamily) -> Option<Pmu> {
    let dir = PathBuf::from("/sys/bus/event_source/devices").join(family.pmu());
    let perf_type = std::fs::read_to_string(dir.join("type")).ok()?.trim().parse().ok()?;
    let format = std::fs::read_to_string(dir.join("format/retprobe")).unwrap_or_default();
    // Every kernel says `config:0`; that is also what libbpf assumes when the file is missing.
    let retprobe_bit = parse_format_bit(&format).unwrap_or(0);
    let ref_ctr = std::fs::read_to_string(dir.join("format/ref_ctr_offset")).ok();
    let ref_ctr_shift = ref_ctr.as_deref().and_then(parse_format_start);
    Some(Pmu { perf_type, retprobe_bit, ref_ctr_shift })
}

/// The bit of a one-bit PMU format (`config:0`).
fn parse_format_bit(text: &str) -> Option<u32> {
    text.trim().strip_prefix("config:")?.parse().ok().filter(|&b| b < 64)
}

/// The first bit of a PMU format field (`config:32-63` → 32).
fn parse_format_start(text: &str) -> Option<u32> {
    let bits = text.trim().strip_prefix("config:")?;
    bits.split('-').next()?.parse().ok().filter(|&b| b < 64)
}

/// A tracefs dynamic event rawbpf created (`p:kprobes/rawbpf_<pid>_<n> func`), removed when
/// dropped: after the perf events on it are closed, which is why a [`super::Link`] holds it last.
#[derive(Debug)]
pub struct DynamicEvent {
    family: ProbeFamily,
    /// `group/name` (`kprobes/rawbpf_812_0`).
    pub event: String,
    /// The event's tracefs id.
    pub id: u64,
}

/// Why a dynamic event could not be made.
#[derive(Debug)]
pub enum DynamicEventError {
    /// tracefs is not mounted.
    NoTracefs,
    /// tracefs has no `kprobe_events` / `uprobe_events`: the kernel has no such probes.
    NoEventsFile,
    /// The PMU was asked for and the kernel has none.
    NoPmu,
    /// A reference counter offset was asked for and the kernel's uprobe PMU cannot take one
    /// (before 4.20), or there is no PMU (tracefs events take none here, as in libbpf).
    NoRefCtr,
    /// Writing the definition (the kernel's answer: ENOENT for an unknown symbol...).
    Define(SysError),
    /// Reading the new event's id.
    Id(io::Error),
}

impl From<SysError> for DynamicEventError {
    fn from(e: SysError) -> Self {
        DynamicEventError::Define(e)
    }
}

/// Each dynamic event of this process gets a new number.
static NEXT_EVENT: AtomicU32 = AtomicU32::new(0);

impl DynamicEvent {
    /// Defines a probe: `kind` is `p`, `r` or `r<maxactive>`; `location` is `func+0x10` or
    /// `/path:0x1234`.
    pub fn create(family: ProbeFamily, kind: &str, location: &str) -> Result<DynamicEvent, DynamicEventError> {
        let root = sys::tracefs_root().ok_or(DynamicEventError::NoTracefs)?;
        if !root.join(family.events_file()).exists() {
            return Err(DynamicEventError::NoEventsFile);
        }
        let name = format!("rawbpf_{}_{}", std::process::id(), NEXT_EVENT.fetch_add(1, Ordering::Relaxed));
        let event = format!("{}/{name}", family.group());
        let definition = format!("{kind}:{event} {location}");
        let written = append(&root.join(family.events_file()), &definition);
        tracing::debug!(target: "rawbpf::sys", file = family.events_file(), %definition, ok = written.is_ok(), "tracefs probe event");
        written.map_err(|e| SysError::new(family.write_call(), e.raw_os_error().unwrap_or(libc::EIO)))?;
        // From here on the event exists: dropping `ev` removes it, on the error path too.
        let mut ev = DynamicEvent { family, event, id: 0 };
        ev.id = sys::tracepoint_id(family.group(), &name).map_err(DynamicEventError::Id)?;
        Ok(ev)
    }
}

impl Drop for DynamicEvent {
    fn drop(&mut self) {
        let Some(root) = sys::tracefs_root() else { return };
        let file = root.join(self.family.events_file());
        let line = format!("-:{}", self.event);
        // The last perf event on it closes asynchronously on some kernels (EBUSY until then).
        for attempt in 0..20 {
            match append(&file, &line) {
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) && attempt < 19 => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                Err(e) => {
                    tracing::warn!(event = %self.event, error = %e, "could not remove the tracefs probe event");
                    return;
                }
                Ok(()) => return,
            }
        }
    }
}

/// How a probe's perf event was made.
#[derive(Debug)]
pub enum ProbeVia {
    /// `perf_event_open` on the family's PMU.
    Pmu {
        /// The PMU's perf type.
        perf_type: u32,
    },
    /// A tracefs dynamic event (no PMU, or a kretprobe maxactive only tracefs can express),
    /// removed when this is dropped.
    Tracefs(DynamicEvent),
    /// No perf event: one kprobe.multi link on many functions.
    Multi {
        /// How many functions the glob matched.
        functions: usize,
    },
}

/// How probes are made, as libbpf's `enum probe_attach_mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProbeAttachMode {
    /// The PMU and a perf link where the kernel has them, else what it has.
    #[default]
    Default,
    /// tracefs dynamic events, even when the kernel has the PMU.
    Legacy,
    /// The PMU, and `PERF_EVENT_IOC_SET_BPF` rather than a perf link.
    Perf,
    /// The PMU and a perf link, nothing else.
    Link,
}

/// A probe to open.
#[derive(Clone, Copy, Debug)]
pub struct ProbeSpec<'a> {
    /// Kernel or user space.
    pub family: ProbeFamily,
    /// On the function's return.
    pub retprobe: bool,
    /// The kernel function, or the binary's path.
    pub name: &'a str,
    /// Into the function, or into the file.
    pub offset: u64,
    /// kretprobe instances (tracefs `r<N>:`); `None`: the kernel's default.
    pub maxactive: Option<u32>,
    /// PMU or tracefs.
    pub mode: ProbeAttachMode,
    /// uprobes: the file offset of a `u16` the kernel increments while the probe is attached
    /// (a USDT semaphore); 0 for none.
    pub ref_ctr_offset: u64,
}

/// Opens the probe's perf event: through the PMU when the kernel has one (and no maxactive is
/// asked for), else through a tracefs dynamic event, as libbpf does.
pub fn open(spec: &ProbeSpec<'_>) -> Result<(PerfEventFd, ProbeVia), DynamicEventError> {
    let legacy = spec.maxactive.is_some() || spec.mode == ProbeAttachMode::Legacy;
    let pmu = pmu(spec.family);
    if pmu.is_none() && matches!(spec.mode, ProbeAttachMode::Perf | ProbeAttachMode::Link) {
        return Err(DynamicEventError::NoPmu);
    }
    if let Some(pmu) = pmu.filter(|_| !legacy) {
        // A NUL inside the name cannot name anything: the kernel's ENOENT is the honest answer.
        let name = std::ffi::CString::new(spec.name).map_err(|_| SysError::new(Call::PerfEventOpen, libc::ENOENT))?;
        let mut config = if spec.retprobe { 1u64 << pmu.retprobe_bit } else { 0 };
        if spec.ref_ctr_offset != 0 {
            let shift = pmu.ref_ctr_shift.ok_or(DynamicEventError::NoRefCtr)?;
            config |= spec
                .ref_ctr_offset
                .checked_shl(shift)
                .filter(|c| c >> shift == spec.ref_ctr_offset)
                .ok_or(DynamicEventError::NoRefCtr)?;
        }
        let open = sys::ProbeOpen { pmu_type: pmu.perf_type, config, name: &name, offset: spec.offset, pid: -1 };
        let fd = sys::perf_event_open_probe(&open)?;
        return Ok((fd, ProbeVia::Pmu { perf_type: pmu.perf_type }));
    }
    if spec.ref_ctr_offset != 0 {
        return Err(DynamicEventError::NoRefCtr);
    }
    let kind = match (spec.retprobe, spec.maxactive) {
        (false, _) => "p".to_owned(),
        (true, None) => "r".to_owned(),
        (true, Some(n)) => format!("r{n}"),
    };
    let location = match spec.family {
        ProbeFamily::Kernel => format!("{}+{:#x}", spec.name, spec.offset),
        ProbeFamily::User => format!("{}:{:#x}", spec.name, spec.offset),
    };
    let ev = DynamicEvent::create(spec.family, &kind, &location)?;
    // If this fails, dropping `ev` removes the event again.
    let fd = sys::perf_event_open_tracepoint(ev.id)?;
    Ok((fd, ProbeVia::Tracefs(ev)))
}

/// Appends one line to a tracefs control file (one write, as the kernel parses each write).
fn append(path: &std::path::Path, line: &str) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new().append(true).open(path)?;
    f.write_all(format!("{line}\n").as_bytes())
}

/// Hangs program `p` on perf event `perf`: a perf link (5.15+), else `PERF_EVENT_IOC_SET_BPF`
/// and `PERF_EVENT_IOC_ENABLE`, the fallback announced to `obs`. In the second case the link
/// fd is a duplicate of the perf event. A non-zero `cookie` (what `bpf_get_attach_cookie()`
/// returns) needs the perf link: there is no fallback then, as in libbpf.
pub fn hang(
    p: &LoadedProgram,
    perf: &PerfEventFd,
    mode: ProbeAttachMode,
    cookie: u64,
    obs: &mut dyn Observer,
) -> Result<(LinkFd, Mechanism), SysError> {
    let mut req = LinkCreate::new(&p.fd, AttachType::PERF_EVENT);
    req.target_fd = Some(perf);
    req.cookie = cookie;
    // libbpf's legacy mode hangs the program with the ioctl too.
    let ioctl = matches!(mode, ProbeAttachMode::Perf | ProbeAttachMode::Legacy);
    if ioctl && cookie != 0 {
        return Err(SysError::new(sys::Cmd::LinkCreate, libc::EOPNOTSUPP));
    }
    let link = if ioctl { None } else { Some(sys::link_create(&req)) };
    match link {
        Some(Ok(fd)) => Ok((fd, Mechanism::PerfEventLink)),
        Some(Err(e)) if mode == ProbeAttachMode::Link || cookie != 0 => Err(e),
        Some(Err(e)) => {
            let to = Mechanism::PerfEventIoctl;
            obs.step(Step::AttachFallback { program: &p.name, from: Mechanism::PerfEventLink, to, error: &e });
            ioctl_attach(p, perf)
        }
        None => ioctl_attach(p, perf),
    }
}

/// `PERF_EVENT_IOC_SET_BPF` and `PERF_EVENT_IOC_ENABLE`; the link fd is a duplicate of the event.
fn ioctl_attach(p: &LoadedProgram, perf: &PerfEventFd) -> Result<(LinkFd, Mechanism), SysError> {
    sys::perf_event_set_bpf(perf, &p.fd)?;
    sys::perf_event_enable(perf)?;
    let dup = perf.try_clone().map_err(|e| SysError::new(Call::Dup, e.raw_os_error().unwrap_or(libc::EBADF)))?;
    Ok((LinkFd::from_owned(dup.into_owned()), Mechanism::PerfEventIoctl))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_bits_parse_and_nonsense_does_not() {
        assert_eq!(parse_format_bit("config:0\n"), Some(0));
        assert_eq!(parse_format_bit("config:12"), Some(12));
        assert_eq!(parse_format_bit("config:64"), None);
        assert_eq!(parse_format_bit("config1:0"), None);
        assert_eq!(parse_format_bit(""), None);
    }

    #[test]
    fn field_starts_parse() {
        assert_eq!(parse_format_start("config:32-63\n"), Some(32));
        assert_eq!(parse_format_start("config:5"), Some(5));
        assert_eq!(parse_format_start("config:64-70"), None);
        assert_eq!(parse_format_start("config1:32-63"), None);
        assert_eq!(parse_format_start("config:-3"), None);
    }
}
