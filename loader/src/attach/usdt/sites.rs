//! The call sites of one USDT probe in a binary, as uprobes need them (libbpf's
//! `collect_usdt_targets`): each note's address corrected by `.stapsdt.base` (prelink moves that
//! section and not the notes), made a file offset through the `PT_LOAD` segment that holds it,
//! and the semaphore's likewise; each argument string read into a spec.

use object::elf::{FileHeader64, ET_DYN, ET_EXEC, PF_X, PT_LOAD, SHT_NOTE};
use object::read::elf::{FileHeader, ProgramHeader, SectionHeader};
use object::{Endianness, Object, ObjectSection};

use super::note::{self, NoteError, UsdtNote, NOTE_SECTION};
use super::spec::{self, SpecError, UsdtSpec};

/// The section whose link-time address each note records.
const BASE_SECTION: &str = ".stapsdt.base";

/// One call site of the probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsdtSite {
    /// The site's address in the binary as it runs (unrelocated for a PIE or library): what a
    /// BPF program's `PT_REGS_IP` reads in a non-PIE executable.
    pub address: u64,
    /// The file offset a uprobe takes.
    pub file_offset: u64,
    /// The semaphore's file offset (the uprobe's `ref_ctr_offset`), 0 for none.
    pub semaphore_offset: u64,
    /// The note's argument string.
    pub args: String,
    /// The string read.
    pub spec: UsdtSpec,
}

/// A binary's probe sites and what kind of ELF it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sites {
    /// `ET_DYN` (a PIE or a shared library: loaded at an address only the process knows).
    pub position_independent: bool,
    /// The matching sites, in note order.
    pub sites: Vec<UsdtSite>,
    /// `provider:name` of every probe the binary has, for a message when none matched.
    pub probes: Vec<String>,
}

/// Why a binary's USDT sites could not be found.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// Not a 64-bit little-endian ELF `object` can parse.
    #[error("not a 64-bit little-endian ELF file")]
    NotElf(#[source] Option<object::Error>),
    /// Neither an executable nor a shared object.
    #[error("ELF type {0} is neither an executable (ET_EXEC) nor a shared object / PIE (ET_DYN)")]
    ElfType(u16),
    /// No `.note.stapsdt`: the binary has no USDT probes.
    #[error("no {NOTE_SECTION} section: the binary has no USDT probes")]
    NoNotes,
    /// `.note.stapsdt` is not `SHT_NOTE`, or its bytes are not in the file.
    #[error("{NOTE_SECTION} is not a note section in the file")]
    BadNoteSection,
    /// A note cannot be read.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// No `PT_LOAD` program header.
    #[error("no PT_LOAD program headers")]
    NoSegments,
    /// A site's address is in no loaded segment.
    #[error("call site {address:#x} is in no PT_LOAD segment")]
    NoSegment {
        /// The corrected address.
        address: u64,
    },
    /// A site's address is in a segment that is not executable.
    #[error("call site {address:#x} is in a segment that is not executable")]
    NotExecutable {
        /// The corrected address.
        address: u64,
    },
    /// A semaphore's address is in no loaded segment, or in an executable one.
    #[error("semaphore {address:#x} is not in a writable loaded segment")]
    BadSemaphore {
        /// The semaphore's address.
        address: u64,
    },
    /// A site's argument string cannot be read.
    #[error("call site {address:#x}: arguments {args:?}")]
    Spec {
        /// The site.
        address: u64,
        /// The string.
        args: String,
        /// What is wrong.
        #[source]
        source: SpecError,
    },
}

/// One `PT_LOAD` segment: `[start, end)` in memory, from `offset` in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Segment {
    start: u64,
    end: u64,
    offset: u64,
    exec: bool,
}

impl Segment {
    fn holds(&self, address: u64) -> bool {
        self.start <= address && address < self.end
    }

    /// `address` (inside the segment) as a file offset.
    fn file_offset(&self, address: u64) -> u64 {
        address - self.start + self.offset
    }
}

/// The sites of `provider:name` in ELF `data`, each spec carrying `cookie`.
pub fn find(data: &[u8], provider: &str, name: &str, cookie: u64) -> Result<Sites, SiteError> {
    let file = object::read::elf::ElfFile64::<Endianness>::parse(data).map_err(|e| SiteError::NotElf(Some(e)))?;
    let endian = file.endian();
    if !file.is_little_endian() {
        return Err(SiteError::NotElf(None));
    }
    let e_type = file.elf_header().e_type(endian);
    if e_type != ET_EXEC && e_type != ET_DYN {
        return Err(SiteError::ElfType(e_type));
    }
    let notes = read_notes(&file)?;
    let segments = segments(file.elf_header(), endian, data)?;
    // Without the base section no correction applies (libbpf: base 0).
    let base = file.section_by_name(BASE_SECTION).map_or(0, |s| s.address());
    let probes = probe_names(&notes);
    let mut sites = Vec::new();
    for n in notes.iter().filter(|n| n.provider == provider && n.name == name) {
        sites.push(site(n, base, &segments, cookie)?);
    }
    Ok(Sites { position_independent: e_type == ET_DYN, sites, probes })
}

/// Every note of the binary's `.note.stapsdt`.
fn read_notes(file: &object::read::elf::ElfFile64<'_, Endianness>) -> Result<Vec<UsdtNote>, SiteError> {
    let endian = file.endian();
    let section = file.section_by_name(NOTE_SECTION).ok_or(SiteError::NoNotes)?;
    let header = section.elf_section_header();
    if header.sh_type(endian) != SHT_NOTE {
        return Err(SiteError::BadNoteSection);
    }
    let bytes = section.data().map_err(|_| SiteError::BadNoteSection)?;
    Ok(note::parse_notes::<FileHeader64<Endianness>>(endian, header.sh_addralign(endian), bytes)?)
}

/// The `PT_LOAD` segments, sorted by address.
fn segments(header: &FileHeader64<Endianness>, endian: Endianness, data: &[u8]) -> Result<Vec<Segment>, SiteError> {
    let phdrs = header.program_headers(endian, data).map_err(|e| SiteError::NotElf(Some(e)))?;
    let mut out: Vec<Segment> = phdrs
        .iter()
        .filter(|p| p.p_type(endian) == PT_LOAD)
        .map(|p| {
            let start = p.p_vaddr(endian);
            let end = start.saturating_add(p.p_memsz(endian));
            Segment { start, end, offset: p.p_offset(endian), exec: p.p_flags(endian) & PF_X != 0 }
        })
        .collect();
    if out.is_empty() {
        return Err(SiteError::NoSegments);
    }
    out.sort_by_key(|s| s.start);
    Ok(out)
}

/// One note made a site: the address corrected by the base section's move, both addresses made
/// file offsets, the arguments read.
fn site(n: &UsdtNote, base: u64, segments: &[Segment], cookie: u64) -> Result<UsdtSite, SiteError> {
    let address = if base != 0 { n.location.wrapping_add(base.wrapping_sub(n.base)) } else { n.location };
    let seg = segments.iter().find(|s| s.holds(address)).ok_or(SiteError::NoSegment { address })?;
    if !seg.exec {
        return Err(SiteError::NotExecutable { address });
    }
    let file_offset = seg.file_offset(address);
    // libbpf applies no base correction to the semaphore.
    let semaphore_offset = match n.semaphore {
        0 => 0,
        sema => {
            let seg = segments.iter().find(|s| s.holds(sema)).filter(|s| !s.exec);
            seg.ok_or(SiteError::BadSemaphore { address: sema })?.file_offset(sema)
        }
    };
    let spec =
        spec::parse(&n.args, cookie).map_err(|source| SiteError::Spec { address, args: n.args.clone(), source })?;
    Ok(UsdtSite { address, file_offset, semaphore_offset, args: n.args.clone(), spec })
}

/// `provider:name` of each distinct probe, in note order.
fn probe_names(notes: &[UsdtNote]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in notes {
        let p = format!("{}:{}", n.provider, n.name);
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests;
