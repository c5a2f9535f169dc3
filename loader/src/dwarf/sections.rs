//! The ELF side of DWARF reading: the `.debug_*` sections of a relocatable BPF object and their
//! REL relocations, handed to gimli as readers that apply those relocations while reading.
//!
//! In a `.o` every code address in DWARF is a section-relative value whose section is named only
//! by the relocation at that spot. The reader folds the two together into one `u64`:
//! `(ELF section index << 32) | offset within that section` (see [`encode_address`]).

use std::collections::HashMap;

use gimli::{EndianSlice, RelocateReader, RunTimeEndian, SectionId};
use object::elf::{FileHeader64, SHF_COMPRESSED, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS, SHT_REL, SHT_RELA, SHT_SYMTAB};
use object::read::elf::{FileHeader, Rel, SectionHeader, Sym};
use object::{Endianness, SymbolIndex};

use super::{DebugRelocProblem, DwarfError, ElfPart};
use crate::object::SectionIndex;

/// `R_BPF_64_ABS64`: 64-bit absolute value (DWARF addresses). Not in `object`'s constant list.
const R_BPF_64_ABS64: u32 = 2;
/// `R_BPF_64_ABS32`: 32-bit absolute value (DWARF section offsets).
const R_BPF_64_ABS32: u32 = 3;
/// `R_BPF_64_NODYLD32`: 32-bit absolute value, "no dynamic loader" flavour used in .BTF.ext.
const R_BPF_64_NODYLD32: u32 = 4;

/// The DWARF sections rawbpf reads; everything else gimli asks for is served empty.
const WANTED: [SectionId; 9] = [
    SectionId::DebugAbbrev,
    SectionId::DebugAddr,
    SectionId::DebugInfo,
    SectionId::DebugLine,
    SectionId::DebugLineStr,
    SectionId::DebugRanges,
    SectionId::DebugRngLists,
    SectionId::DebugStr,
    SectionId::DebugStrOffsets,
];

/// The gimli reader over one relocated debug section.
pub(super) type DwarfReader<'a> = RelocateReader<EndianSlice<'a, RunTimeEndian>, Relocations<'a>>;

/// Folds an (ELF section index, byte offset) pair into the single address gimli works with.
pub(super) fn encode_address(section_index: u64, offset: u64) -> u64 {
    (section_index << 32) | (offset & 0xffff_ffff)
}

/// What one relocation resolves to: the symbol's section and value.
#[derive(Debug, Clone, Copy)]
pub(super) struct Target {
    /// ELF section index of the symbol; 0 when the symbol is undefined or special (ABS, COMMON).
    section: u32,
    /// `st_value`: offset of the symbol inside its section (0 for section symbols).
    value: u64,
}

/// One debug section's bytes and its relocations keyed by the offset they patch.
#[derive(Debug, Default)]
struct DebugSection<'d> {
    index: usize,
    data: &'d [u8],
    relocs: HashMap<usize, Target>,
}

/// The debug sections of one ELF object, ready to hand to `gimli::Dwarf::load`.
#[derive(Debug)]
pub(super) struct DebugSections<'d> {
    endian: RunTimeEndian,
    sections: HashMap<SectionId, DebugSection<'d>>,
}

/// Applies one section's relocations to what gimli reads from it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Relocations<'a>(Option<&'a HashMap<usize, Target>>);

impl Relocations<'_> {
    fn at(&self, offset: usize) -> Option<Target> {
        self.0.and_then(|m| m.get(&offset).copied())
    }
}

impl gimli::Relocate<usize> for Relocations<'_> {
    fn relocate_address(&self, offset: usize, value: u64) -> gimli::Result<u64> {
        match self.at(offset) {
            // REL: the in-place value is the addend.
            Some(t) => Ok(encode_address(u64::from(t.section), t.value.wrapping_add(value))),
            None => Ok(value),
        }
    }

    fn relocate_offset(&self, offset: usize, value: usize) -> gimli::Result<usize> {
        match self.at(offset) {
            Some(t) => {
                usize::try_from(t.value).ok().and_then(|v| v.checked_add(value)).ok_or(gimli::Error::OffsetOutOfBounds)
            }
            None => Ok(value),
        }
    }
}

impl<'d> DebugSections<'d> {
    /// Finds the debug sections of `elf` and resolves the REL relocations that patch them.
    pub(super) fn load(elf: &'d [u8]) -> Result<Self, DwarfError> {
        let elf_err = |part| move |source| DwarfError::Elf { part, source };
        let header = FileHeader64::<Endianness>::parse(elf).map_err(elf_err(ElfPart::Header))?;
        let endian = header.endian().map_err(elf_err(ElfPart::Header))?;
        let table = header.sections(endian, elf).map_err(elf_err(ElfPart::SectionHeaders))?;
        let symbols = table.symbols(endian, elf, SHT_SYMTAB).map_err(elf_err(ElfPart::SymbolTable))?;

        let mut sections = HashMap::new();
        for (index, sh) in table.enumerate() {
            let name = table.section_name(endian, sh).map_err(elf_err(ElfPart::SectionNames))?;
            let Some(id) = WANTED.iter().copied().find(|id| id.name().as_bytes() == name) else {
                continue;
            };
            if sh.sh_flags(endian) & u64::from(SHF_COMPRESSED) != 0 {
                return Err(DwarfError::Compressed { section: id.name() });
            }
            let data = if sh.sh_type(endian) == SHT_NOBITS {
                &[][..]
            } else {
                sh.data(endian, elf).map_err(elf_err(ElfPart::SectionData))?
            };
            sections.insert(id, DebugSection { index: index.0, data, relocs: HashMap::new() });
        }

        for (rel_index, sh) in table.enumerate() {
            if sh.sh_type(endian) != SHT_REL && sh.sh_type(endian) != SHT_RELA {
                continue;
            }
            // sh_info of a relocation section is the index of the section it patches.
            let target = sh.sh_info(endian) as usize;
            let Some((id, section)) = sections.iter_mut().find(|(_, s)| s.index == target) else {
                continue;
            };
            let rel_section = id.name();
            if sh.sh_type(endian) == SHT_RELA {
                return Err(DwarfError::Rela { section: rel_section, rela: SectionIndex::new(rel_index.0) });
            }
            let rels = match sh.rel(endian, elf).map_err(elf_err(ElfPart::Relocations))? {
                Some((rels, _link)) => rels,
                None => continue,
            };
            for (i, rel) in rels.iter().enumerate() {
                let (offset, t) = resolve(endian, rel, &symbols, section.data.len()).map_err(|problem| {
                    DwarfError::Relocation { section: rel_section, index: i, offset: rel.r_offset(endian), problem }
                })?;
                if section.relocs.insert(offset, t).is_some() {
                    return Err(DwarfError::Relocation {
                        section: rel_section,
                        index: i,
                        offset: offset as u64,
                        problem: DebugRelocProblem::SameOffset,
                    });
                }
            }
        }
        let endian = if endian == Endianness::Little { RunTimeEndian::Little } else { RunTimeEndian::Big };
        Ok(DebugSections { endian, sections })
    }

    /// Whether the object has a non-empty section with this id.
    pub(super) fn has(&self, id: SectionId) -> bool {
        self.sections.get(&id).is_some_and(|s| !s.data.is_empty())
    }

    /// A relocating reader over the section `id` (empty when the object lacks it).
    pub(super) fn reader(&self, id: SectionId) -> DwarfReader<'_> {
        let section = self.sections.get(&id);
        let data = section.map_or(&[][..], |s| s.data);
        RelocateReader::new(EndianSlice::new(data, self.endian), Relocations(section.map(|s| &s.relocs)))
    }
}

/// Resolves one REL entry: the offset it patches (bounds-checked) and its symbol's section/value.
fn resolve(
    endian: Endianness,
    rel: &object::elf::Rel64<Endianness>,
    symbols: &object::read::elf::SymbolTable<'_, FileHeader64<Endianness>>,
    section_len: usize,
) -> Result<(usize, Target), DebugRelocProblem> {
    let width = match rel.r_type(endian) {
        R_BPF_64_ABS64 => 8,
        R_BPF_64_ABS32 | R_BPF_64_NODYLD32 => 4,
        r_type => return Err(DebugRelocProblem::NotAbsolute { r_type }),
    };
    let offset = usize::try_from(rel.r_offset(endian)).map_err(|_| DebugRelocProblem::OffsetTooLarge)?;
    if !matches!(offset.checked_add(width), Some(end) if end <= section_len) {
        return Err(DebugRelocProblem::PastEnd { width, section_len });
    }
    let symbol = rel.r_sym(endian);
    let sym = symbols.symbol(SymbolIndex(symbol as usize)).map_err(|_| DebugRelocProblem::NoSuchSymbol { symbol })?;
    let shndx = sym.st_shndx(endian);
    let section = if shndx == SHN_UNDEF || shndx >= SHN_LORESERVE { 0 } else { u32::from(shndx) };
    Ok((offset, Target { section, value: sym.st_value(endian) }))
}
