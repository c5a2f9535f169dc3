//! Function scopes from `.debug_info`: the address ranges of every `DW_TAG_subprogram` and
//! `DW_TAG_inlined_subroutine`, with their nesting depth, so an address yields its inlining chain.

use std::collections::HashMap;

use gimli::{constants, AttributeValue, DebuggingInformationEntry, Dwarf, Unit};

use super::sections::DwarfReader;
use super::{guard_index, DwarfContext, DwarfError};

/// How many `DW_AT_abstract_origin`/`DW_AT_specification` links a name lookup follows.
const MAX_ORIGIN_HOPS: usize = 8;

/// One address range of one function scope.
#[derive(Debug, Clone, Copy)]
struct Scope {
    start: u64,
    end: u64,
    /// DIE depth: deeper scopes are inlined into shallower ones that contain them.
    depth: i64,
    /// Index into [`Scopes::names`].
    name: u32,
}

/// All function scopes of all units.
#[derive(Debug, Default)]
pub(super) struct Scopes {
    scopes: Vec<Scope>,
    names: Vec<String>,
    name_ids: HashMap<String, u32>,
}

type Die<'abbrev, 'unit, 'd> = DebuggingInformationEntry<'abbrev, 'unit, DwarfReader<'d>>;

impl Scopes {
    /// Walks the DIE tree of `unit` (iteratively: depth is a counter, not recursion).
    pub(super) fn add_unit(
        &mut self,
        dwarf: &Dwarf<DwarfReader<'_>>,
        unit: &Unit<DwarfReader<'_>>,
    ) -> Result<(), DwarfError> {
        let info_err = |e| DwarfError::dwarf(".debug_info", DwarfContext::DieTree, e);
        let mut cursor = unit.entries();
        let mut depth: i64 = 0;
        while let Some((delta, entry)) = cursor.next_dfs().map_err(info_err)? {
            depth += delta as i64;
            let tag = entry.tag();
            if tag != constants::DW_TAG_subprogram && tag != constants::DW_TAG_inlined_subroutine {
                continue;
            }
            let ranges = die_ranges(dwarf, unit, entry)?;
            if ranges.is_empty() {
                continue; // declarations and abstract (inline-only) instances have no code
            }
            let name = die_name(dwarf, unit, entry)?.unwrap_or_else(|| "<anonymous>".to_string());
            let name = self.intern(name);
            self.scopes.extend(ranges.into_iter().map(|(start, end)| Scope { start, end, depth, name }));
        }
        Ok(())
    }

    fn intern(&mut self, name: String) -> u32 {
        if let Some(&id) = self.name_ids.get(&name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.clone());
        self.name_ids.insert(name, id);
        id
    }

    /// Function names whose code covers `address`, innermost (most deeply inlined) first.
    pub(super) fn chain(&self, address: u64) -> Vec<String> {
        let mut hits: Vec<&Scope> = self.scopes.iter().filter(|s| s.start <= address && address < s.end).collect();
        hits.sort_by_key(|s| std::cmp::Reverse(s.depth));
        hits.dedup_by_key(|s| (s.depth, s.name));
        hits.iter().filter_map(|s| self.names.get(s.name as usize).cloned()).collect()
    }
}

/// The `[start, end)` ranges of a DIE from `DW_AT_low_pc`/`DW_AT_high_pc` or `DW_AT_ranges`.
///
/// Written out instead of `Dwarf::die_ranges` because that adds `low_pc + size` unchecked.
fn die_ranges(
    dwarf: &Dwarf<DwarfReader<'_>>,
    unit: &Unit<DwarfReader<'_>>,
    entry: &Die<'_, '_, '_>,
) -> Result<Vec<(u64, u64)>, DwarfError> {
    let addr_err = |e| DwarfError::dwarf(".debug_addr", DwarfContext::PcRange, e);
    let range_err = |e| DwarfError::dwarf(".debug_rnglists", DwarfContext::Ranges, e);
    let (mut low, mut high, mut size) = (None, None, None);
    let mut attrs = entry.attrs();
    while let Some(attr) = attrs.next().map_err(|e| DwarfError::dwarf(".debug_info", DwarfContext::Attributes, e))? {
        match attr.name() {
            constants::DW_AT_low_pc => {
                guard_index(&attr.value()).map_err(addr_err)?;
                low = dwarf.attr_address(unit, attr.value()).map_err(addr_err)?;
            }
            constants::DW_AT_high_pc => match attr.value() {
                AttributeValue::Udata(n) => size = Some(n),
                v => {
                    guard_index(&v).map_err(addr_err)?;
                    high = dwarf.attr_address(unit, v).map_err(addr_err)?;
                }
            },
            constants::DW_AT_ranges => {
                guard_index(&attr.value()).map_err(range_err)?;
                let Some(mut list) = dwarf.attr_ranges(unit, attr.value()).map_err(range_err)? else {
                    continue;
                };
                let mut out = Vec::new();
                while let Some(r) = list.next().map_err(range_err)? {
                    if r.begin < r.end {
                        out.push((r.begin, r.end));
                    }
                }
                return Ok(out);
            }
            _ => {}
        }
    }
    let end = match (low, size, high) {
        (Some(low), Some(size), _) => low.checked_add(size),
        (Some(_), None, high) => high,
        _ => None,
    };
    Ok(match (low, end) {
        (Some(low), Some(end)) if low < end => vec![(low, end)],
        _ => Vec::new(),
    })
}

/// `DW_AT_name` of a DIE, following abstract origins (inlined copies) and specifications.
fn die_name(
    dwarf: &Dwarf<DwarfReader<'_>>,
    unit: &Unit<DwarfReader<'_>>,
    entry: &Die<'_, '_, '_>,
) -> Result<Option<String>, DwarfError> {
    let info_err = |e| DwarfError::dwarf(".debug_info", DwarfContext::FunctionName, e);
    let mut current = entry.clone();
    for _ in 0..=MAX_ORIGIN_HOPS {
        if let Some(name) = current.attr_value(constants::DW_AT_name).map_err(info_err)? {
            let str_err = |e| DwarfError::dwarf(".debug_str", DwarfContext::Name, e);
            guard_index(&name).map_err(str_err)?;
            let s = dwarf.attr_string(unit, name).map_err(str_err)?;
            return Ok(Some(gimli::Reader::to_string_lossy(&s).map_err(str_err)?.into_owned()));
        }
        let origin = match current.attr_value(constants::DW_AT_abstract_origin).map_err(info_err)? {
            Some(v) => Some(v),
            None => current.attr_value(constants::DW_AT_specification).map_err(info_err)?,
        };
        // Only same-unit references: a BPF object is one compile unit.
        let Some(AttributeValue::UnitRef(offset)) = origin else {
            return Ok(None);
        };
        current = unit.entry(offset).map_err(info_err)?;
    }
    Ok(None)
}
