//! DWARF source mapping for BPF instructions, richer than BTF line_info where clang's `-g` left
//! DWARF in the object: full file paths (directory + file) and inlining chains
//! (`tcp_port <- inlined into rawbpf_fentry_connect`).
//!
//! BPF objects are relocatable: a code address in DWARF is an offset whose section is named only
//! by a REL relocation. `sections` applies those relocations while gimli reads, so every address
//! is `(ELF section index << 32) | offset`; `lines` and `scopes` index by that. An object without
//! DWARF gives `Ok(None)`: BTF line_info alone remains the source of truth then.

mod lines;
mod scopes;
mod sections;

use std::fmt;

use gimli::{AttributeValue, Dwarf, Format, SectionId, UnitHeader};

use crate::object::SectionIndex;

use lines::LineTable;
use scopes::Scopes;
use sections::{encode_address, DebugSections, DwarfReader};

/// Why the DWARF of an object could not be read. Each variant names the section and offset; when
/// the cause is the ELF or DWARF reader's error, that is the `source()` (print the chain).
#[derive(Debug, thiserror::Error)]
pub enum DwarfError {
    /// The ELF container itself (headers, section table, symbol table) is malformed.
    #[error("ELF {part}")]
    Elf {
        /// What could not be read.
        part: ElfPart,
        /// What the ELF reader said.
        #[source]
        source: object::read::Error,
    },
    /// A debug section is SHF_COMPRESSED; rawbpf reads only uncompressed DWARF.
    #[error("{section}: compressed debug sections are not supported (rebuild without -gz)")]
    Compressed {
        /// The debug section.
        section: &'static str,
    },
    /// A RELA section patches a debug section; BPF objects have REL sections only.
    #[error("relocations for {section}: RELA section {rela} found; BPF objects use REL only")]
    Rela {
        /// The debug section patched.
        section: &'static str,
        /// The RELA section.
        rela: SectionIndex,
    },
    /// A relocation patching a debug section is malformed or of an unexpected kind.
    #[error("relocations for {section}: entry {index} at offset {offset:#x}: {problem}")]
    Relocation {
        /// The debug section patched.
        section: &'static str,
        /// The entry's position in its REL section.
        index: usize,
        /// `r_offset`.
        offset: u64,
        /// What is wrong.
        problem: DebugRelocProblem,
    },
    /// A unit uses a DWARF format clang never emits for BPF.
    #[error("{section}: unit at offset {offset:#x}: {feature}")]
    Unsupported {
        /// The section of the unit.
        section: &'static str,
        /// The unit's offset in it.
        offset: usize,
        /// What it uses.
        feature: DwarfFeature,
    },
    /// gimli rejected the content of a DWARF section.
    #[error("{section}: {context}")]
    Dwarf {
        /// The section read.
        section: &'static str,
        /// What was being read.
        context: DwarfContext,
        /// What gimli said.
        #[source]
        source: gimli::Error,
    },
}

impl DwarfError {
    fn dwarf(section: &'static str, context: DwarfContext, source: gimli::Error) -> Self {
        DwarfError::Dwarf { section, context, source }
    }
}

/// The parts of the ELF container read before the DWARF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfPart {
    /// The file header.
    Header,
    /// The section header table.
    SectionHeaders,
    /// `.symtab`.
    SymbolTable,
    /// Section names.
    SectionNames,
    /// A debug section's bytes.
    SectionData,
    /// A REL section's entries.
    Relocations,
}

impl fmt::Display for ElfPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ElfPart::Header => "header",
            ElfPart::SectionHeaders => "section headers",
            ElfPart::SymbolTable => ".symtab",
            ElfPart::SectionNames => "section names",
            ElfPart::SectionData => "debug section data",
            ElfPart::Relocations => "relocation section",
        })
    }
}

/// What is wrong with a REL entry patching a debug section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DebugRelocProblem {
    /// Not one of the absolute data relocations (R_BPF_64_ABS64, _ABS32, _NODYLD32).
    #[error("relocation type {r_type} is not an absolute data relocation")]
    NotAbsolute {
        /// `r_type`.
        r_type: u32,
    },
    /// `r_offset` does not fit in this machine's address space.
    #[error("offset does not fit in memory")]
    OffsetTooLarge,
    /// The patched bytes run past the end of the section.
    #[error("patches {width} bytes past the end of a {section_len}-byte section")]
    PastEnd {
        /// Bytes patched.
        width: usize,
        /// The section's size.
        section_len: usize,
    },
    /// The symbol index is past the end of `.symtab`.
    #[error("symbol index {symbol} is outside .symtab")]
    NoSuchSymbol {
        /// `r_sym`.
        symbol: u32,
    },
    /// Another entry already patches this offset.
    #[error("a second relocation patches the same offset")]
    SameOffset,
}

/// A DWARF feature rawbpf does not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DwarfFeature {
    /// The 64-bit DWARF format.
    #[error("64-bit DWARF (clang emits 32-bit DWARF for BPF)")]
    Dwarf64,
}

/// What was being read when gimli failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DwarfContext {
    /// The next unit header.
    #[error("unit header")]
    UnitHeader,
    /// A unit (its abbreviations, root DIE, line program header).
    #[error("unit at offset {offset:#x}")]
    Unit {
        /// The unit's offset in `.debug_info`.
        offset: usize,
    },
    /// A unit's line program header.
    #[error("line program at offset {offset:#x} (unit at .debug_info+{unit:#x})")]
    LineProgram {
        /// The program's offset in `.debug_line`.
        offset: usize,
        /// The unit's offset in `.debug_info`.
        unit: usize,
    },
    /// The root DIE of a unit, vetted before gimli resolves its attributes.
    #[error("root DIE of the unit at offset {unit:#x}")]
    RootDie {
        /// The unit's offset in `.debug_info`.
        unit: usize,
    },
    /// The rows of a line program.
    #[error("running the line program")]
    LineRows,
    /// The name (or directory) of a line-table file entry.
    #[error("name of file #{index}")]
    FileName {
        /// The file index.
        index: u64,
    },
    /// A unit's compilation directory.
    #[error("DW_AT_comp_dir")]
    CompDir,
    /// The DIE tree of a unit.
    #[error("walking the DIE tree")]
    DieTree,
    /// A DIE's attributes.
    #[error("attributes")]
    Attributes,
    /// A function's address range from low/high pc.
    #[error("DW_AT_low_pc/DW_AT_high_pc")]
    PcRange,
    /// A function's address ranges list.
    #[error("DW_AT_ranges")]
    Ranges,
    /// A function's name attribute (through abstract origins and specifications).
    #[error("function name")]
    FunctionName,
    /// A name string.
    #[error("DW_AT_name")]
    Name,
}

/// Where one instruction comes from, according to DWARF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Directory + file name (relative directories resolved against the unit's comp_dir).
    pub path: String,
    /// 1-based line; 0 means the compiler attributed the code to no line.
    pub line: u32,
    /// 1-based column; 0 means unknown.
    pub column: u32,
    /// Functions whose code covers the instruction, innermost first: the functions it was inlined
    /// from, then the outer (real) function. One entry means "not inlined"; empty means no
    /// function DIE covers it.
    pub inlined: Vec<String>,
}

impl Location {
    /// `helper <- inlined into outer`, or `None` when the instruction was not inlined.
    pub fn inline_chain(&self) -> Option<String> {
        (self.inlined.len() > 1).then(|| self.inlined.join(" <- inlined into "))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path, self.line, self.column)?;
        if let Some(chain) = self.inline_chain() {
            write!(f, " ({chain})")?;
        }
        Ok(())
    }
}

/// DWARF line table and function scopes of one BPF object, keyed by (ELF section, byte offset).
#[derive(Debug)]
pub struct DwarfLines {
    lines: LineTable,
    scopes: Scopes,
}

impl DwarfLines {
    /// Reads the DWARF of an ELF object; `Ok(None)` when it has no `.debug_info` or `.debug_line`.
    pub fn parse(elf_bytes: &[u8]) -> Result<Option<DwarfLines>, DwarfError> {
        let sections = DebugSections::load(elf_bytes)?;
        if !sections.has(SectionId::DebugInfo) || !sections.has(SectionId::DebugLine) {
            return Ok(None);
        }
        let dwarf = Dwarf::load(|id| Ok::<_, DwarfError>(sections.reader(id)))?;
        let mut lines = LineTable::default();
        let mut scopes = Scopes::default();
        let mut units = dwarf.units();
        let header_err = |e| DwarfError::dwarf(".debug_info", DwarfContext::UnitHeader, e);
        while let Some(header) = units.next().map_err(header_err)? {
            let offset = unit_offset(&header);
            if header.format() != Format::Dwarf32 {
                let feature = DwarfFeature::Dwarf64;
                return Err(DwarfError::Unsupported { section: ".debug_info", offset, feature });
            }
            guard_root_die(&dwarf, &header)?;
            let unit = dwarf.unit(header.clone()).map_err(|e| unit_error(&dwarf, &header, e))?;
            lines.add_unit(&dwarf, &unit)?;
            scopes.add_unit(&dwarf, &unit)?;
        }
        lines.finish();
        Ok(Some(DwarfLines { lines, scopes }))
    }

    /// The source location of the instruction at `byte_offset` in ELF section `section`.
    pub fn location(&self, section: SectionIndex, byte_offset: u64) -> Option<Location> {
        if byte_offset > u64::from(u32::MAX) {
            return None;
        }
        let address = encode_address(section.get() as u64, byte_offset);
        let row = self.lines.find(address)?;
        Some(Location {
            path: self.lines.path(row.path).to_string(),
            line: row.line,
            column: row.column,
            inlined: self.scopes.chain(address),
        })
    }

    /// Whether the line table is empty (DWARF present but describing no code).
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

fn unit_offset(header: &UnitHeader<DwarfReader<'_>>) -> usize {
    header.offset().as_debug_info_offset().map_or(0, |o| o.0)
}

/// gimli parses the unit's line program header while building the unit; when that is what
/// failed, blame `.debug_line` (with its offset) instead of `.debug_info`.
fn unit_error(dwarf: &Dwarf<DwarfReader<'_>>, header: &UnitHeader<DwarfReader<'_>>, err: gimli::Error) -> DwarfError {
    let offset = unit_offset(header);
    let stmt_list = dwarf.abbreviations(header).ok().and_then(|abbrevs| {
        let mut cursor = header.entries(&abbrevs);
        cursor.next_dfs().ok().flatten()?;
        match cursor.current()?.attr_value(gimli::DW_AT_stmt_list).ok().flatten()? {
            AttributeValue::DebugLineRef(line_offset) => Some(line_offset),
            _ => None,
        }
    });
    if let Some(line_offset) = stmt_list {
        if let Err(e) = dwarf.debug_line.program(line_offset, header.address_size(), None, None) {
            let context = DwarfContext::LineProgram { offset: line_offset.0, unit: offset };
            return DwarfError::dwarf(".debug_line", context, e);
        }
    }
    DwarfError::dwarf(".debug_info", DwarfContext::Unit { offset }, err)
}

/// `Dwarf::unit` resolves the root DIE's name, comp_dir and low_pc itself: vet their indices first.
fn guard_root_die(dwarf: &Dwarf<DwarfReader<'_>>, header: &UnitHeader<DwarfReader<'_>>) -> Result<(), DwarfError> {
    let context = DwarfContext::RootDie { unit: unit_offset(header) };
    let err = |e| DwarfError::dwarf(".debug_info", context, e);
    let abbrevs = dwarf.abbreviations(header).map_err(|e| DwarfError::dwarf(".debug_abbrev", context, e))?;
    let mut cursor = header.entries(&abbrevs);
    cursor.next_dfs().map_err(err)?;
    let Some(root) = cursor.current() else {
        return Ok(());
    };
    let mut attrs = root.attrs();
    while let Some(attr) = attrs.next().map_err(err)? {
        guard_index(&attr.value()).map_err(err)?;
    }
    Ok(())
}

/// Rejects absurd `*x` form indices before gimli multiplies them by an entry size: unchecked
/// arithmetic there would overflow (and panic in debug builds) on hostile input.
fn guard_index(value: &AttributeValue<DwarfReader<'_>>) -> gimli::Result<()> {
    let index = match value {
        AttributeValue::DebugAddrIndex(i) => i.0,
        AttributeValue::DebugStrOffsetsIndex(i) => i.0,
        AttributeValue::DebugRngListsIndex(i) => i.0,
        AttributeValue::DebugLocListsIndex(i) => i.0,
        _ => return Ok(()),
    };
    if index > u32::MAX as usize {
        return Err(gimli::Error::OffsetOutOfBounds);
    }
    Ok(())
}
