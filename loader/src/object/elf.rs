//! A bounds-checked, owned view of the ELF parts a BPF object needs: sections (name, role,
//! bytes), symbols and `.rel` entries. All use of the `object` crate's ELF reader is here; the
//! rest of the module works on these plain structs.

use object::elf::{FileHeader64, Rel64, EM_BPF, SHT_NOBITS};
use object::read::elf::{FileHeader, Rel as _, SectionHeader as _, SectionTable, Sym as _};
use object::{Endianness, SymbolIndex};

use btf::wire::Endian;

use super::error::{ElfPart, ObjectError, Result, SectionPart, SymbolPart, SymbolProblem};
use super::sections::{classify, SectionRole};
use super::SectionIndex;

/// One section header with its bytes.
#[derive(Debug)]
pub(crate) struct RawSection<'a> {
    /// ELF section index.
    pub index: SectionIndex,
    pub name: String,
    pub role: SectionRole,
    /// `sh_info`: for `.rel` sections, the section the relocations apply to.
    pub info: u32,
    /// `sh_size` (for SHT_NOBITS the size with no bytes in the file).
    pub size: u64,
    /// The bytes in the file (empty for SHT_NOBITS), already bounds-checked.
    pub data: &'a [u8],
}

/// One `.symtab` entry.
#[derive(Clone, Debug)]
pub(crate) struct RawSymbol {
    pub index: usize,
    pub name: String,
    /// STT_* type.
    pub st_type: u8,
    /// STB_* binding.
    pub bind: u8,
    /// Defining section, `None` for undefined (extern) and special (ABS, COMMON) symbols.
    pub section: Option<SectionIndex>,
    /// `st_shndx` is `SHN_UNDEF`: defined in no section of this file (an extern).
    pub undefined: bool,
    pub value: u64,
    pub size: u64,
    /// STV_* visibility (low bits of st_other).
    pub visibility: u8,
}

/// One `Elf64_Rel` entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawRel {
    pub offset: u64,
    pub sym: u32,
    pub r_type: u32,
}

/// The parsed ELF: byte order, sections, symbols.
pub(crate) struct RawElf<'a> {
    pub endian: Endian,
    pub sections: Vec<RawSection<'a>>,
    pub symbols: Vec<RawSymbol>,
    table: SectionTable<'a, FileHeader64<Endianness>>,
    file_endian: Endianness,
    data: &'a [u8],
}

fn bad_elf(object: &str, part: ElfPart) -> impl FnOnce(object::read::Error) -> ObjectError + '_ {
    move |source| ObjectError::BadElf { object: object.to_owned(), part, source }
}

impl<'a> RawElf<'a> {
    /// Parses the header, section table and symbol table.
    pub fn parse(data: &'a [u8], object: &str) -> Result<RawElf<'a>> {
        let header = FileHeader64::<Endianness>::parse(data).map_err(bad_elf(object, ElfPart::Header))?;
        let file_endian = header.endian().map_err(bad_elf(object, ElfPart::Header))?;
        let machine = header.e_machine(file_endian);
        if machine != EM_BPF {
            return Err(ObjectError::NotBpf { object: object.to_owned(), machine });
        }
        let endian = match file_endian {
            Endianness::Little => Endian::Little,
            Endianness::Big => Endian::Big,
        };
        let table = header.sections(file_endian, data).map_err(bad_elf(object, ElfPart::SectionTable))?;
        let mut sections = Vec::with_capacity(table.len());
        for (index, sh) in table.enumerate() {
            let index = SectionIndex::new(index.0);
            let name = table
                .section_name(file_endian, sh)
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .map_err(unreadable(index, "", SectionPart::Name))?;
            let sh_type = sh.sh_type(file_endian);
            let role = classify(&name, sh_type, sh.sh_flags(file_endian));
            let bytes = sh.data(file_endian, data).map_err(unreadable(index, &name, SectionPart::Data))?;
            let size = if sh_type == SHT_NOBITS { sh.sh_size(file_endian) } else { bytes.len() as u64 };
            sections.push(RawSection { index, name, role, info: sh.sh_info(file_endian), size, data: bytes });
        }
        let mut elf = RawElf { endian, sections, symbols: Vec::new(), table, file_endian, data };
        elf.symbols = elf.read_symbols(object)?;
        Ok(elf)
    }

    fn read_symbols(&self, object: &str) -> Result<Vec<RawSymbol>> {
        let e = self.file_endian;
        let symtab =
            self.table.symbols(e, self.data, object::elf::SHT_SYMTAB).map_err(bad_elf(object, ElfPart::SymbolTable))?;
        let mut out = Vec::with_capacity(symtab.len());
        for (index, sym) in symtab.enumerate() {
            let unreadable = |name: &str, part| {
                let name = name.to_owned();
                move |source| ObjectError::UnreadableSymbol { index: index.0, name, part, source }
            };
            let name = symtab
                .symbol_name(e, sym)
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .map_err(unreadable("", SymbolPart::Name))?;
            let section = symtab
                .symbol_section(e, sym, SymbolIndex(index.0))
                .map_err(unreadable(&name, SymbolPart::Section))?
                .map(|object::SectionIndex(i)| SectionIndex::new(i));
            if let Some(s) = section.filter(|s| s.get() >= self.sections.len()) {
                let problem = SymbolProblem::NoSuchSection { section: s, count: self.sections.len() };
                return Err(ObjectError::BadSymbol { index: index.0, name, problem });
            }
            out.push(RawSymbol {
                index: index.0,
                name,
                st_type: sym.st_type(),
                bind: sym.st_bind(),
                section,
                undefined: sym.st_shndx(e) == object::elf::SHN_UNDEF,
                value: sym.st_value(e),
                size: sym.st_size(e),
                visibility: sym.st_other() & 0x3,
            });
        }
        Ok(out)
    }

    /// The relocation entries of `.rel` section `rel_index`.
    pub fn rels(&self, rel_index: SectionIndex) -> Result<Vec<RawRel>> {
        let e = self.file_endian;
        let name = &self.section(rel_index).name;
        let header = unreadable(rel_index, name, SectionPart::Header);
        let sh = self.table.section(object::SectionIndex(rel_index.get())).map_err(header)?;
        let rels: &[Rel64<Endianness>] = match sh.rel(e, self.data) {
            Ok(Some((rels, _link))) => rels,
            Ok(None) => return Ok(Vec::new()),
            Err(err) => return Err(unreadable(rel_index, name, SectionPart::Relocations)(err)),
        };
        Ok(rels.iter().map(|r| RawRel { offset: r.r_offset(e), sym: r.r_sym(e), r_type: r.r_type(e) }).collect())
    }

    /// The section at `index`, which must exist (indices in `RawSection` and `RawSymbol` do).
    pub fn section(&self, index: SectionIndex) -> &RawSection<'a> {
        &self.sections[index.get()]
    }

    /// The first section with this role.
    pub fn section_by_role(&self, role: SectionRole) -> Option<&RawSection<'a>> {
        self.sections.iter().find(|s| s.role == role)
    }
}

fn unreadable(index: SectionIndex, name: &str, part: SectionPart) -> impl FnOnce(object::read::Error) -> ObjectError {
    let name = name.to_owned();
    move |source| ObjectError::UnreadableSection { index, name, part, source }
}
