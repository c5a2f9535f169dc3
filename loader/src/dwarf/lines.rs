//! The DWARF line table, flattened: address ranges (one per line-program sequence) of rows with a
//! resolved file path, line and column.

use std::collections::HashMap;

use gimli::{ColumnType, Dwarf, LineProgramHeader, Unit};

use super::sections::DwarfReader;
use super::{guard_index, DwarfContext, DwarfError};

/// One row of a line program: from `address` up to the next row, code comes from here.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    pub(super) address: u64,
    /// Index into [`LineTable::paths`].
    pub(super) path: u32,
    pub(super) line: u32,
    pub(super) column: u32,
}

/// A contiguous run of code (`DW_LNE_end_sequence` closes it), rows sorted by address.
#[derive(Debug)]
struct Sequence {
    start: u64,
    end: u64,
    rows: Vec<Row>,
}

/// Every sequence of every unit, plus the deduplicated file paths the rows point into.
#[derive(Debug, Default)]
pub(super) struct LineTable {
    sequences: Vec<Sequence>,
    paths: Vec<String>,
    path_ids: HashMap<String, u32>,
}

impl LineTable {
    /// Runs the line program of `unit` (if it has one) and records its sequences.
    pub(super) fn add_unit(
        &mut self,
        dwarf: &Dwarf<DwarfReader<'_>>,
        unit: &Unit<DwarfReader<'_>>,
    ) -> Result<(), DwarfError> {
        let Some(program) = unit.line_program.clone() else {
            return Ok(());
        };
        let line_err = |e| DwarfError::dwarf(".debug_line", DwarfContext::LineRows, e);
        let mut file_cache: HashMap<u64, u32> = HashMap::new();
        let mut rows = program.rows();
        let mut current: Vec<Row> = Vec::new();
        while let Some((header, row)) = rows.next_row().map_err(line_err)? {
            if row.end_sequence() {
                self.close_sequence(std::mem::take(&mut current), row.address());
                continue;
            }
            let path = match file_cache.get(&row.file_index()) {
                Some(&id) => id,
                None => {
                    let path = file_path(dwarf, unit, header, row.file_index())?;
                    let id = self.intern(path);
                    file_cache.insert(row.file_index(), id);
                    id
                }
            };
            let column = match row.column() {
                ColumnType::LeftEdge => 0,
                ColumnType::Column(c) => saturate(c.get()),
            };
            let line = row.line().map_or(0, |l| saturate(l.get()));
            current.push(Row { address: row.address(), path, line, column });
        }
        // A program that ends without DW_LNE_end_sequence leaves rows with no known end: drop them.
        Ok(())
    }

    fn close_sequence(&mut self, mut rows: Vec<Row>, end: u64) {
        // A well-formed sequence is already ascending; sorting (stably) keeps lookups sound otherwise.
        rows.sort_by_key(|r| r.address);
        let Some(start) = rows.first().map(|r| r.address) else {
            return;
        };
        if start < end {
            self.sequences.push(Sequence { start, end, rows });
        }
    }

    fn intern(&mut self, path: String) -> u32 {
        if let Some(&id) = self.path_ids.get(&path) {
            return id;
        }
        let id = self.paths.len() as u32;
        self.paths.push(path.clone());
        self.path_ids.insert(path, id);
        id
    }

    /// Whether no unit contributed a single row.
    pub(super) fn is_empty(&self) -> bool {
        self.sequences.is_empty()
    }

    /// Orders sequences by start address; call once after the last [`LineTable::add_unit`].
    pub(super) fn finish(&mut self) {
        self.sequences.sort_by_key(|s| s.start);
    }

    /// The row covering `address`: the last row at or before it in the sequence that contains it.
    pub(super) fn find(&self, address: u64) -> Option<&Row> {
        let before = self.sequences.partition_point(|s| s.start <= address);
        // Nearest start first; a sequence never spans two ELF sections (the high 32 bits).
        let seq = self.sequences[..before]
            .iter()
            .rev()
            .take_while(|s| s.start >> 32 == address >> 32)
            .find(|s| address < s.end)?;
        let after = seq.rows.partition_point(|r| r.address <= address);
        seq.rows.get(after.checked_sub(1)?)
    }

    /// The file path a row points to.
    pub(super) fn path(&self, id: u32) -> &str {
        self.paths.get(id as usize).map_or("", String::as_str)
    }
}

fn saturate(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// `directory/file` for a line-table file index; relative directories are under the unit's comp_dir.
fn file_path(
    dwarf: &Dwarf<DwarfReader<'_>>,
    unit: &Unit<DwarfReader<'_>>,
    header: &LineProgramHeader<DwarfReader<'_>>,
    index: u64,
) -> Result<String, DwarfError> {
    let Some(file) = header.file(index) else {
        return Ok(format!("<file #{index} missing from the line table header>"));
    };
    let context = DwarfContext::FileName { index };
    let string = |value| -> Result<String, DwarfError> {
        guard_index(&value).map_err(|e| DwarfError::dwarf(".debug_line", context, e))?;
        let r = dwarf.attr_string(unit, value).map_err(|e| DwarfError::dwarf(".debug_line_str", context, e))?;
        let s = gimli::Reader::to_string_lossy(&r).map_err(|e| DwarfError::dwarf(".debug_line_str", context, e))?;
        Ok(s.into_owned())
    };
    let name = string(file.path_name())?;
    if name.starts_with('/') {
        return Ok(join("", &name));
    }
    let mut dir = match file.directory(header) {
        Some(d) => string(d)?,
        None => String::new(),
    };
    if !dir.starts_with('/') {
        if let Some(comp_dir) = &unit.comp_dir {
            let comp_dir = gimli::Reader::to_string_lossy(comp_dir)
                .map_err(|e| DwarfError::dwarf(".debug_str", DwarfContext::CompDir, e))?;
            dir = join(&comp_dir, &dir);
        }
    }
    Ok(join(&dir, &name))
}

/// `dir/name` without `.` components (clang records `#include "inc/x.h"` under directory `.`).
/// `..` stays: resolving it lexically would be wrong across symlinks.
fn join(dir: &str, name: &str) -> String {
    let absolute = dir.starts_with('/') || (dir.is_empty() && name.starts_with('/'));
    let parts: Vec<&str> = dir.split('/').chain(name.split('/')).filter(|p| !p.is_empty() && *p != ".").collect();
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn join_drops_dot_components_but_keeps_dotdot() {
        assert_eq!(join("/work/prog", "./inc/helper.h"), "/work/prog/inc/helper.h");
        assert_eq!(join("/work/prog/.", "x.c"), "/work/prog/x.c");
        assert_eq!(join("/work/prog/", "../vmlinux.h"), "/work/prog/../vmlinux.h");
        assert_eq!(join("", "/abs/x.c"), "/abs/x.c");
        assert_eq!(join("rel", "x.c"), "rel/x.c");
        assert_eq!(join("", ""), "");
    }
}
