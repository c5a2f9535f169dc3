//! USDT probes (`usdt/PATH:PROVIDER:NAME`), as libbpf 1.5's `usdt.c` attaches them. A USDT
//! program is a kprobe-type program hung on a uprobe at each call site of the probe
//! (`sites.rs`: the `.note.stapsdt` notes, `note.rs`, made file offsets). `bpf_usdt_arg()` in
//! `<bpf/usdt.bpf.h>` finds a site's argument locations in the `__bpf_usdt_specs` map
//! (`spec.rs`, `maps.rs`) by a spec id: the BPF cookie of the site's uprobe where the kernel has
//! cookies (5.15+), else the `__bpf_usdt_ip_to_spec_id` entry of the site's address. A probe
//! with a semaphore gets the semaphore's file offset as the uprobe's reference counter offset,
//! and the kernel counts attached uprobes in it. Where the program was loaded for uprobe-multi
//! links (6.6+, `load::prepare`), every site is one `BPF_TRACE_UPROBE_MULTI` link; elsewhere each
//! site is a perf event on the uprobe PMU with a perf link (or `PERF_EVENT_IOC_SET_BPF`).
//!
//! Like libbpf's section auto-attach, every process running the binary is probed (pid -1). On a
//! kernel without cookies that works for executables linked at a fixed address only (`ET_EXEC`):
//! a PIE or a shared library runs at an address only its process knows, which libbpf reads
//! from `/proc/PID/maps` when given a pid; rawbpf refuses it, saying why.

mod attach;
pub mod ids;
pub mod maps;
pub mod note;
pub mod sites;
pub mod spec;

pub use attach::{attach, Shared, UsdtAttachment};

use std::path::PathBuf;

use super::TargetProblem;

/// A USDT section's target: `PATH:PROVIDER:NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsdtTarget {
    /// The binary, as written (a path, or a name looked up as for uprobes).
    pub binary: String,
    /// The probe's provider.
    pub provider: String,
    /// The probe's name.
    pub name: String,
}

/// Parses `PATH:PROVIDER:NAME` as libbpf does (`usdt/%m[^:]:%m[^:]:%m[^:]`: three non-empty
/// parts; what follows a third `:` is ignored).
pub fn parse_target(s: &str) -> Result<UsdtTarget, TargetProblem> {
    let mut parts = s.split(':');
    let mut part = || parts.next().filter(|p| !p.is_empty()).map(str::to_owned).ok_or(TargetProblem::NotUsdtTarget);
    Ok(UsdtTarget { binary: part()?, provider: part()?, name: part()? })
}

/// Why a USDT program could not be attached (the kernel's refusals are
/// [`super::AttachError::Refused`]).
#[derive(Debug, thiserror::Error)]
pub enum UsdtError {
    /// Reading the binary.
    #[error("cannot read {}", path.display())]
    Read {
        /// The binary.
        path: PathBuf,
        /// The read.
        #[source]
        source: std::io::Error,
    },
    /// The binary's notes, segments or argument strings.
    #[error(transparent)]
    Sites(#[from] sites::SiteError),
    /// No note has that provider and name.
    #[error("the binary has no such probe ({})", if available.is_empty() { "it has none".to_owned() } else { format!("it has {}", available.join(", ")) })]
    NoSuchProbe {
        /// `provider:name` of the probes it has.
        available: Vec<String>,
    },
    /// A position-independent binary on a kernel without BPF cookies.
    #[error("the binary is position-independent (ET_DYN: a PIE or a shared library) and this kernel has no BPF cookies (5.15+): without them a site is found by its address in the process, which rawbpf does not know when probing every process")]
    NeedsCookies,
    /// The probe has a semaphore and the kernel's uprobe PMU cannot count in it.
    #[error("the probe has a semaphore and this kernel's uprobes take no reference counter (the uprobe PMU's ref_ctr_offset, 4.20+)")]
    NoSemaphores,
    /// The object's USDT maps.
    #[error(transparent)]
    Maps(#[from] maps::UsdtMapError),
    /// The sites need more spec ids than `__bpf_usdt_specs` has entries.
    #[error(
        "{needed} more argument specs do not fit in {}'s {max} entries (define BPF_USDT_MAX_SPEC_CNT larger)",
        maps::SPECS_MAP
    )]
    TooManySpecs {
        /// Distinct argument strings of this probe.
        needed: usize,
        /// The map's `max_entries`.
        max: u32,
    },
    /// Another attachment has a site at the same address (kernels without cookies).
    #[error("another USDT attachment already has the site at {ip:#x} in {}", maps::IP_MAP)]
    IpCollision {
        /// The address.
        ip: u64,
    },
    /// Writing one of the USDT maps.
    #[error("writing {map}")]
    WriteMap {
        /// The map.
        map: &'static str,
        /// The call.
        #[source]
        source: crate::sys::SysError,
    },
    /// Duplicating the address map's fd.
    #[error("duplicating the fd of {}", maps::IP_MAP)]
    Dup(#[source] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_as_libbpf_reads_them() {
        let t = |b: &str, p: &str, n: &str| UsdtTarget { binary: b.into(), provider: p.into(), name: n.into() };
        assert_eq!(parse_target("/bin/x:rawbpf:add"), Ok(t("/bin/x", "rawbpf", "add")));
        assert_eq!(parse_target("libc.so.6:libc:setjmp"), Ok(t("libc.so.6", "libc", "setjmp")));
        // sscanf stops at a third ':'.
        assert_eq!(parse_target("/bin/x:p:n:extra"), Ok(t("/bin/x", "p", "n")));
        for bad in ["", "/bin/x", "/bin/x:p", "/bin/x:p:", ":p:n", "/bin/x::n"] {
            assert_eq!(parse_target(bad), Err(TargetProblem::NotUsdtTarget), "{bad:?}");
        }
    }
}
