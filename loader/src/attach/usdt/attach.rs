//! Attaching one USDT program (libbpf's `usdt_manager_attach_usdt`): the sites, a spec id for
//! each distinct argument string, the specs (and without cookies the addresses) written into the
//! object's maps, then one uprobe-multi link or one uprobe per site.

use std::cell::OnceCell;
use std::ffi::CString;
use std::path::{Path, PathBuf};

use super::ids::{SpecIds, SpecLease};
use super::maps::{self, IpEntries, UsdtMaps};
use super::sites::{self, Sites, UsdtSite};
use super::{parse_target, UsdtError};
use crate::attach::elf_offset::resolve_binary;
use crate::attach::probe_event::{self, ProbeAttachMode, ProbeFamily, ProbeSpec, ProbeVia};
use crate::attach::{probe_open_error, refused, target_of, AttachError, Link, Mechanism, Probe, TargetProblem};
use crate::externs::{KconfigSource, KconfigValue, Probe as ExternProbe, Value};
use crate::load::{Loaded, LoadedProgram};
use crate::progress::Observer;
use crate::sys::{self, AttachType, LinkFd, PerfEventFd, UprobeMulti};

/// What the USDT programs of one loaded object share: whether the kernel has BPF cookies (as
/// the object's `LINUX_HAS_BPF_COOKIE` said, so both sides agree) and the spec ids.
#[derive(Debug, Default)]
pub struct Shared {
    cookies: OnceCell<bool>,
    ids: OnceCell<SpecIds>,
}

impl Shared {
    /// Does this object use BPF cookies? The value its `LINUX_HAS_BPF_COOKIE` extern was given,
    /// else libbpf's probe.
    fn cookies(&self, loaded: &Loaded) -> bool {
        *self.cookies.get_or_init(|| {
            let given = loaded.externs.iter().find_map(|v| match v {
                Value::Kconfig {
                    value: KconfigValue::Bool(b),
                    source: KconfigSource::Probe(ExternProbe::BpfCookie),
                } => Some(*b),
                _ => None,
            });
            given.unwrap_or_else(crate::externs::probes::bpf_cookie)
        })
    }

    fn ids(&self, max: u32) -> &SpecIds {
        self.ids.get_or_init(|| SpecIds::new(max))
    }
}

/// One site's uprobe, when each site has its own: the link (or the program's ioctl), the perf
/// event, the probe (fields drop in this order).
#[derive(Debug)]
struct SiteProbe {
    fd: LinkFd,
    perf: PerfEventFd,
    via: ProbeVia,
    /// A perf link, or the ioctl.
    mechanism: Mechanism,
}

/// What a USDT link holds beyond its first uprobe: every site, the uprobes of the other sites,
/// the address map entries and the spec ids, released in that order when the link is dropped.
#[derive(Debug)]
pub struct UsdtAttachment {
    /// The probe's provider.
    pub provider: String,
    /// The probe's name.
    pub name: String,
    /// The binary.
    pub path: PathBuf,
    /// Every call site, in note order.
    pub sites: Vec<UsdtSite>,
    /// Each site's spec id (the key in `__bpf_usdt_specs`).
    pub spec_ids: Vec<u32>,
    /// Spec ids are the uprobes' BPF cookies; else `__bpf_usdt_ip_to_spec_id` maps each site's
    /// address to its id.
    pub cookies: bool,
    others: Vec<SiteProbe>,
    ip_entries: Option<IpEntries>,
    _lease: SpecLease,
}

impl UsdtAttachment {
    /// The uprobes besides the link's own (one per site after the first; none with a
    /// uprobe-multi link).
    pub fn other_uprobes(&self) -> usize {
        self.others.len()
    }

    /// The addresses entered in `__bpf_usdt_ip_to_spec_id` (kernels without cookies).
    pub fn addresses_entered(&self) -> &[u64] {
        self.ip_entries.as_ref().map_or(&[], |e| e.ips())
    }
}

/// The spec ids leased and written, the address entries made: what the uprobes need in place
/// before they fire.
struct Prepared {
    lease: SpecLease,
    ids: Vec<u32>,
    ip_entries: Option<IpEntries>,
}

/// Attaches a USDT program of `loaded` to every site of its probe.
pub fn attach(
    p: &LoadedProgram,
    loaded: &Loaded,
    shared: &Shared,
    obs: &mut dyn Observer,
) -> Result<Link, AttachError> {
    let target = target_of(p);
    let bad = |problem| AttachError::BadProbeTarget { program: p.name.clone(), target: target.clone(), problem };
    let t = parse_target(&target).map_err(bad)?;
    let path = resolve_binary(&t.binary).ok_or_else(|| bad(TargetProblem::NoSuchBinary))?;
    let err = |source| AttachError::Usdt {
        program: p.name.clone(),
        path: path.clone(),
        probe: format!("{}:{}", t.provider, t.name),
        source: Box::new(source),
    };
    let data = std::fs::read(&path).map_err(|source| err(UsdtError::Read { path: path.clone(), source }))?;
    let found = sites::find(&data, &t.provider, &t.name, 0).map_err(|e| err(e.into()))?;
    let cookies = shared.cookies(loaded);
    check(&found, cookies).map_err(err)?;
    let maps = maps::find(&loaded.maps).map_err(|e| err(e.into()))?;
    let prepared = prepare(&found.sites, &maps, shared, cookies).map_err(err)?;
    let multi = p.expected_attach_type == AttachType::TRACE_UPROBE_MULTI;
    let (mut link, others) = if multi {
        (attach_multi(p, &target, &path, &found.sites, &prepared.ids)?, Vec::new())
    } else {
        let mut probes = attach_each(p, &target, &path, &found.sites, &prepared.ids, cookies, obs)?.into_iter();
        let none = || err(UsdtError::NoSuchProbe { available: found.probes.clone() });
        let SiteProbe { fd, perf, via, mechanism } = probes.next().ok_or_else(none)?;
        let offset = found.sites.first().map_or(0, |s| s.file_offset);
        (usdt_link(p, &target, &path, offset, mechanism, fd, Some(perf), via), probes.collect())
    };
    link.usdt = Some(Box::new(UsdtAttachment {
        provider: t.provider,
        name: t.name,
        path,
        sites: found.sites,
        spec_ids: prepared.ids,
        cookies: multi || cookies,
        others,
        ip_entries: prepared.ip_entries,
        _lease: prepared.lease,
    }));
    Ok(link)
}

/// What rawbpf cannot attach, found before anything is written.
fn check(found: &Sites, cookies: bool) -> Result<(), UsdtError> {
    if found.sites.is_empty() {
        return Err(UsdtError::NoSuchProbe { available: found.probes.clone() });
    }
    if found.position_independent && !cookies {
        return Err(UsdtError::NeedsCookies);
    }
    let semaphores = found.sites.iter().any(|s| s.semaphore_offset != 0);
    if semaphores && probe_event::pmu(ProbeFamily::User).and_then(|p| p.ref_ctr_shift).is_none() {
        return Err(UsdtError::NoSemaphores);
    }
    Ok(())
}

/// Spec ids for the sites, their specs written, and without cookies each site's address entered.
fn prepare(sites: &[UsdtSite], maps: &UsdtMaps<'_>, shared: &Shared, cookies: bool) -> Result<Prepared, UsdtError> {
    let args: Vec<&str> = sites.iter().map(|s| s.args.as_str()).collect();
    let ids = shared.ids(maps.max_specs);
    let (lease, per_site) = ids.lease(&args).ok_or_else(|| {
        let needed = args.iter().enumerate().filter(|(i, a)| !args[..*i].contains(a)).count();
        UsdtError::TooManySpecs { needed, max: maps.max_specs }
    })?;
    // The first site holding an id writes its spec: the sites sharing it have the same string.
    for (at, (site, &id)) in sites.iter().zip(&per_site).enumerate() {
        if !per_site.get(..at).is_some_and(|before| before.contains(&id)) {
            maps::write_spec(maps, id, &site.spec.to_bytes())
                .map_err(|source| UsdtError::WriteMap { map: maps::SPECS_MAP, source })?;
        }
    }
    let ip_entries = if cookies {
        None
    } else {
        let mut entries = IpEntries::new(maps).map_err(UsdtError::Dup)?;
        for (site, &id) in sites.iter().zip(&per_site) {
            entries.insert(site.address, id).map_err(|source| {
                if source.is(nix::errno::Errno::EEXIST) {
                    UsdtError::IpCollision { ip: site.address }
                } else {
                    UsdtError::WriteMap { map: maps::IP_MAP, source }
                }
            })?;
        }
        Some(entries)
    };
    Ok(Prepared { lease, ids: per_site, ip_entries })
}

/// The path as the kernel takes it.
fn c_path(p: &LoadedProgram, target: &str, path: &Path) -> Result<CString, AttachError> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).map_err(|_| AttachError::BadProbeTarget {
        program: p.name.clone(),
        target: target.to_owned(),
        problem: TargetProblem::NoSuchBinary,
    })
}

/// One `BPF_TRACE_UPROBE_MULTI` link on every site, the spec ids as cookies.
fn attach_multi(
    p: &LoadedProgram,
    target: &str,
    path: &Path,
    sites: &[UsdtSite],
    ids: &[u32],
) -> Result<Link, AttachError> {
    let cpath = c_path(p, target, path)?;
    let offsets: Vec<u64> = sites.iter().map(|s| s.file_offset).collect();
    let refs: Vec<u64> = sites.iter().map(|s| s.semaphore_offset).collect();
    let refs: &[u64] = if refs.iter().any(|&r| r != 0) { &refs } else { &[] };
    let cookies: Vec<u64> = ids.iter().map(|&i| u64::from(i)).collect();
    let req = UprobeMulti { path: &cpath, offsets: &offsets, ref_ctr_offsets: refs, cookies: &cookies, pid: 0 };
    let fd = sys::link_create_uprobe_multi(&p.fd, &req).map_err(|e| refused(p, target, e))?;
    let via = ProbeVia::Multi { functions: sites.len() };
    let first = offsets.first().copied().unwrap_or(0);
    Ok(usdt_link(p, target, path, first, Mechanism::UprobeMulti, fd, None, via))
}

/// One uprobe per site, its spec id as the cookie when the kernel has cookies, in site order.
fn attach_each(
    p: &LoadedProgram,
    target: &str,
    path: &Path,
    sites: &[UsdtSite],
    ids: &[u32],
    cookies: bool,
    obs: &mut dyn Observer,
) -> Result<Vec<SiteProbe>, AttachError> {
    let name = path.to_string_lossy().into_owned();
    let mut probes = Vec::with_capacity(sites.len());
    for (site, &id) in sites.iter().zip(ids) {
        let spec = ProbeSpec {
            family: ProbeFamily::User,
            retprobe: false,
            name: &name,
            offset: site.file_offset,
            maxactive: None,
            // libbpf's USDT attach takes no attach mode: the default one.
            mode: ProbeAttachMode::Default,
            ref_ctr_offset: site.semaphore_offset,
        };
        let (perf, via) = probe_event::open(&spec).map_err(|e| match probe_open_error(p, ProbeFamily::User, e) {
            Ok(e) => refused(p, target, e),
            Err(err) => err,
        })?;
        let cookie = if cookies { u64::from(id) } else { 0 };
        let (fd, mechanism) = match probe_event::hang(p, &perf, ProbeAttachMode::Default, cookie, obs) {
            Ok(hung) => hung,
            Err(e) => {
                // The perf event first: a tracefs event in use cannot be removed.
                drop(perf);
                drop(via);
                return Err(refused(p, target, e));
            }
        };
        probes.push(SiteProbe { fd, perf, via, mechanism });
    }
    Ok(probes)
}

/// The link of a USDT attachment, its first uprobe (or the multi link) as the fd.
#[allow(clippy::too_many_arguments)]
fn usdt_link(
    p: &LoadedProgram,
    target: &str,
    path: &Path,
    offset: u64,
    mechanism: Mechanism,
    fd: LinkFd,
    perf_event: Option<PerfEventFd>,
    via: ProbeVia,
) -> Link {
    let location = path.to_string_lossy().into_owned();
    let probe = Probe { family: ProbeFamily::User, retprobe: false, location, symbol: None, offset, via };
    Link {
        program: p.name.clone(),
        method: p.kind.def.attach,
        mechanism,
        target: target.to_owned(),
        tracepoint_id: None,
        fd,
        perf_event,
        probe: Some(probe),
        usdt: None,
    }
}
