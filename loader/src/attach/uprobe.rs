//! uprobes and uretprobes (`uprobe//bin/bash:readline`, `uprobe/libc.so.6:malloc+4`): the
//! function's file offset from the binary's ELF symbols, then a perf event on the uprobe PMU
//! (or a tracefs `uprobe_events` entry without it) with the program hung on it, for every
//! process running the binary.

use std::path::PathBuf;

use super::elf_offset::{self, resolve_binary};
use super::kprobe::parse_offset;
use super::probe_event::{self, ProbeAttachMode, ProbeFamily, ProbeSpec};
use super::{probe_open_error, refused, target_of, AttachError, Link, Probe, TargetProblem};
use crate::load::LoadedProgram;
use crate::progress::Observer;

/// A uprobe target: `BINARY:FUNC[+OFFSET]` or `BINARY:0xFILE_OFFSET`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UprobeTarget {
    /// The binary, as written (a path, or a library / program name to look up).
    pub binary: String,
    /// The function, `None` for a raw file offset.
    pub func: Option<String>,
    /// Bytes into the function, or the file offset.
    pub offset: u64,
}

/// Parses a uprobe section's target as libbpf does (`%m[^:]:%m[^\n]`, then `%m[^+]+%li`).
pub fn parse_target(s: &str) -> Result<UprobeTarget, TargetProblem> {
    let (binary, rest) = s.split_once(':').ok_or(TargetProblem::NoBinary)?;
    if binary.is_empty() {
        return Err(TargetProblem::NoBinary);
    }
    let (func, offset) = match rest.split_once('+') {
        Some((f, o)) => (f, parse_offset(o).ok_or(TargetProblem::BadOffset)?),
        None => (rest, 0),
    };
    if func.is_empty() {
        return Err(TargetProblem::BadFunction);
    }
    if func.as_bytes()[0].is_ascii_digit() {
        let at = parse_offset(func).ok_or(TargetProblem::BadOffset)?;
        let offset = at.checked_add(offset).ok_or(TargetProblem::BadOffset)?;
        return Ok(UprobeTarget { binary: binary.to_owned(), func: None, offset });
    }
    Ok(UprobeTarget { binary: binary.to_owned(), func: Some(func.to_owned()), offset })
}

/// Attaches a uprobe / uretprobe program.
pub fn attach(
    p: &LoadedProgram,
    retprobe: bool,
    mode: ProbeAttachMode,
    obs: &mut dyn Observer,
) -> Result<Link, AttachError> {
    let target = target_of(p);
    let bad = |problem| AttachError::BadProbeTarget { program: p.name.clone(), target: target.clone(), problem };
    let t = parse_target(&target).map_err(bad)?;
    let path: PathBuf = resolve_binary(&t.binary).ok_or_else(|| bad(TargetProblem::NoSuchBinary))?;
    let offset = match &t.func {
        Some(func) => {
            let at = elf_offset::function_offset_in(&path, func).map_err(|source| AttachError::BinarySymbol {
                program: p.name.clone(),
                path: path.clone(),
                source,
            })?;
            at.checked_add(t.offset).ok_or_else(|| bad(TargetProblem::BadOffset))?
        }
        None => t.offset,
    };
    let name = path.to_string_lossy().into_owned();
    let spec = ProbeSpec {
        family: ProbeFamily::User,
        retprobe,
        name: &name,
        offset,
        maxactive: None,
        mode,
        ref_ctr_offset: 0,
    };
    let (perf, via) = probe_event::open(&spec).map_err(|e| match probe_open_error(p, ProbeFamily::User, e) {
        Ok(e) => refused(p, &target, e),
        Err(err) => err,
    })?;
    let (fd, mechanism) = match probe_event::hang(p, &perf, mode, 0, obs) {
        Ok(hung) => hung,
        Err(e) => {
            // The perf event first: a tracefs event in use cannot be removed.
            drop(perf);
            drop(via);
            return Err(refused(p, &target, e));
        }
    };
    let probe = Probe { family: ProbeFamily::User, retprobe, location: name, symbol: t.func, offset, via };
    Ok(Link {
        program: p.name.clone(),
        method: p.kind.def.attach,
        mechanism,
        target,
        tracepoint_id: None,
        fd,
        perf_event: Some(perf),
        probe: Some(probe),
        usdt: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_as_libbpf_reads_them() {
        let t = |b: &str, f: Option<&str>, o| UprobeTarget { binary: b.into(), func: f.map(Into::into), offset: o };
        assert_eq!(parse_target("/bin/bash:readline"), Ok(t("/bin/bash", Some("readline"), 0)));
        assert_eq!(parse_target("/bin/bash:readline+0x4"), Ok(t("/bin/bash", Some("readline"), 4)));
        assert_eq!(parse_target("libc.so.6:malloc"), Ok(t("libc.so.6", Some("malloc"), 0)));
        assert_eq!(parse_target("/bin/x:0x1130"), Ok(t("/bin/x", None, 0x1130)));
        assert_eq!(parse_target("/bin/bash"), Err(TargetProblem::NoBinary));
        assert_eq!(parse_target(":readline"), Err(TargetProblem::NoBinary));
        assert_eq!(parse_target("/bin/bash:"), Err(TargetProblem::BadFunction));
        assert_eq!(parse_target("/bin/bash:readline+x"), Err(TargetProblem::BadOffset));
        assert_eq!(parse_target("/bin/x:0xzz"), Err(TargetProblem::BadOffset));
    }
}
