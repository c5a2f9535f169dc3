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

use lines::LineTable;
use scopes::Scopes;
use sections::{encode_address, DebugSections, DwarfReader};

/// Why the DWARF of an object could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DwarfError {
    /// The ELF container itself (headers, section table, symbol table) is malformed.
    #[error("ELF {what}: {source}")]
    Elf {
        what: &'static str,
        #[source]
        source: object::read::Error,
    },
    /// A debug section is SHF_COMPRESSED; rawbpf reads only uncompressed DWARF.
    #[error("{section}: compressed debug sections are not supported (rebuild without -gz)")]
    Compressed { section: &'static str },
    /// A relocation patching a debug section is malformed or of an unexpected kind.
    #[error("relocations for {section}: entry {index} at offset {offset:#x}: {reason}")]
    Relocation { section: &'static str, index: usize, offset: u64, reason: String },
    /// A unit uses a DWARF format clang never emits for BPF.
    #[error("{section}: unit at offset {offset:#x}: {reason}")]
    Unsupported { section: &'static str, offset: usize, reason: &'static str },
    /// gimli rejected the content of a DWARF section.
    #[error("{section}: {context}: {source}")]
    Dwarf {
        section: &'static str,
        context: String,
        #[source]
        source: gimli::Error,
    },
}

impl DwarfError {
    fn dwarf(section: &'static str, context: impl Into<String>, source: gimli::Error) -> Self {
        DwarfError::Dwarf { section, context: context.into(), source }
    }
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
        while let Some(header) = units.next().map_err(|e| DwarfError::dwarf(".debug_info", "unit header", e))? {
            let offset = unit_offset(&header);
            if header.format() != Format::Dwarf32 {
                let reason = "64-bit DWARF (clang emits 32-bit DWARF for BPF)";
                return Err(DwarfError::Unsupported { section: ".debug_info", offset, reason });
            }
            guard_root_die(&dwarf, &header)?;
            let unit = dwarf.unit(header.clone()).map_err(|e| unit_error(&dwarf, &header, e))?;
            lines.add_unit(&dwarf, &unit)?;
            scopes.add_unit(&dwarf, &unit)?;
        }
        lines.finish();
        Ok(Some(DwarfLines { lines, scopes }))
    }

    /// The source location of the instruction at `byte_offset` in ELF section `section_index`.
    pub fn location(&self, section_index: usize, byte_offset: u64) -> Option<Location> {
        if byte_offset > u64::from(u32::MAX) {
            return None;
        }
        let address = encode_address(section_index as u64, byte_offset);
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
            let context = format!("line program at offset {:#x} (unit at .debug_info+{offset:#x})", line_offset.0);
            return DwarfError::dwarf(".debug_line", context, e);
        }
    }
    DwarfError::dwarf(".debug_info", format!("unit at offset {offset:#x}"), err)
}

/// `Dwarf::unit` resolves the root DIE's name, comp_dir and low_pc itself: vet their indices first.
fn guard_root_die(dwarf: &Dwarf<DwarfReader<'_>>, header: &UnitHeader<DwarfReader<'_>>) -> Result<(), DwarfError> {
    let context = || format!("root DIE of the unit at offset {:#x}", unit_offset(header));
    let err = |e| DwarfError::dwarf(".debug_info", context(), e);
    let abbrevs = dwarf.abbreviations(header).map_err(|e| DwarfError::dwarf(".debug_abbrev", context(), e))?;
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
