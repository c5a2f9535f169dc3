//! The `.note.stapsdt` notes `<sys/sdt.h>` leaves in a binary, one per probe call site (libbpf's
//! `parse_usdt_note`). Each is an ELF note of owner `stapsdt` and type 3 whose descriptor holds
//! three addresses (the probe's `nop`, the link-time address of `.stapsdt.base`, the semaphore
//! or 0) and three NUL-terminated strings: provider, name, arguments.

use object::read::elf::{FileHeader, NoteIterator};

/// The note section.
pub const NOTE_SECTION: &str = ".note.stapsdt";
/// The note type (`NT_STAPSDT`).
const NOTE_TYPE: u32 = 3;
/// The note owner.
const NOTE_OWNER: &[u8] = b"stapsdt";

/// One probe call site as its note describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsdtNote {
    /// The provider (`rawbpf` in `STAP_PROBE(rawbpf, add)`).
    pub provider: String,
    /// The probe's name.
    pub name: String,
    /// The call site's `nop`, as linked.
    pub location: u64,
    /// `.stapsdt.base`'s address as linked; prelink moves the section, not the notes.
    pub base: u64,
    /// The semaphore (a `u16` in `.probes`), 0 when the probe has none.
    pub semaphore: u64,
    /// The argument string (`-4@%edi -8@%rsi`); empty when the probe has none.
    pub args: String,
}

/// What is wrong with one note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoteProblem {
    /// The note headers run past the section, or its alignment is not 4 or 8.
    #[error("{0}")]
    Framing(object::Error),
    /// The owner is not `stapsdt`.
    #[error("its owner is not stapsdt")]
    Owner,
    /// The type is not 3.
    #[error("type {0}, not 3 (NT_STAPSDT)")]
    Type(u32),
    /// Shorter than three addresses and three empty strings.
    #[error("its {0} bytes cannot hold three addresses and three strings")]
    Short(usize),
    /// The provider has no NUL.
    #[error("the provider is not NUL-terminated")]
    Provider,
    /// The name is missing or empty.
    #[error("the probe name is missing or empty")]
    NoName,
    /// The name has no NUL.
    #[error("the probe name is not NUL-terminated")]
    Name,
    /// Nothing after the name.
    #[error("the argument string is missing")]
    NoArgs,
}

/// A note that cannot be read, and which one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("note #{index} of .note.stapsdt: {problem}")]
pub struct NoteError {
    /// Zero-based, in section order.
    pub index: usize,
    /// What is wrong.
    pub problem: NoteProblem,
}

/// Every note of a `.note.stapsdt` section's bytes (`align`: its `sh_addralign`). One bad note
/// fails them all, as in libbpf.
pub fn parse_notes<Elf: FileHeader>(
    endian: Elf::Endian,
    align: Elf::Word,
    data: &[u8],
) -> Result<Vec<UsdtNote>, NoteError> {
    let framing = |index, e: object::Error| NoteError { index, problem: NoteProblem::Framing(e) };
    let mut notes = NoteIterator::<Elf>::new(endian, align, data).map_err(|e| framing(0, e))?;
    let mut out = Vec::new();
    while let Some(note) = notes.next().map_err(|e| framing(out.len(), e))? {
        let index = out.len();
        if note.name() != NOTE_OWNER {
            return Err(NoteError { index, problem: NoteProblem::Owner });
        }
        let n_type = note.n_type(endian);
        if n_type != NOTE_TYPE {
            return Err(NoteError { index, problem: NoteProblem::Type(n_type) });
        }
        let little = object::Endian::is_little_endian(endian);
        out.push(parse_desc(note.desc(), little).map_err(|problem| NoteError { index, problem })?);
    }
    Ok(out)
}

/// One descriptor: three 64-bit addresses in the file's byte order, then the strings.
pub fn parse_desc(desc: &[u8], little_endian: bool) -> Result<UsdtNote, NoteProblem> {
    if desc.len() < 3 * 8 + 3 {
        return Err(NoteProblem::Short(desc.len()));
    }
    let addr = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&desc[i * 8..i * 8 + 8]);
        if little_endian {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        }
    };
    let (provider, rest) = split_nul(&desc[24..]).ok_or(NoteProblem::Provider)?;
    if rest.first().is_none_or(|&b| b == 0) {
        return Err(NoteProblem::NoName);
    }
    let (name, rest) = split_nul(rest).ok_or(NoteProblem::Name)?;
    if rest.is_empty() {
        return Err(NoteProblem::NoArgs);
    }
    // The arguments run to their NUL, or to the end of the descriptor.
    let args = split_nul(rest).map_or(rest, |(args, _)| args);
    // libbpf: an argument string starting with ':' is no arguments.
    let args = if args.first() == Some(&b':') { &[][..] } else { args };
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Ok(UsdtNote {
        provider: text(provider),
        name: text(name),
        location: addr(0),
        base: addr(1),
        semaphore: addr(2),
        args: text(args),
    })
}

/// The bytes before the first NUL and those after it; `None` without a NUL.
fn split_nul(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = s.iter().position(|&b| b == 0)?;
    Some((&s[..at], &s[at + 1..]))
}

#[cfg(test)]
pub(crate) mod tests;
