//! CO-RE: every `.BTF.ext` relocation resolved against the target BTF (the running kernel's, or
//! a file's) and applied to a copy of the object's code sections, which linking then reads. The
//! `Object` itself is never changed, so one object can be loaded again, against another target.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use btf::core::{relocate_section, CoreCache, CoreError, CoreResolution, PatchOutcome};
use btf::Btf;

use crate::object::{CodeSection, CodeSectionIndex, Object};
use crate::progress::{Observer, Step};

/// What CO-RE decided for one relocation.
#[derive(Clone, Debug)]
pub struct CoreDecision {
    /// The code section it is in.
    pub section: String,
    /// The function holding the relocated instruction.
    pub func: Option<String>,
    /// The resolution: kind, spec, local and target values, candidates.
    pub resolution: CoreResolution,
    /// Instructions (indices in the section) poisoned because nothing matched.
    pub poisoned: Vec<usize>,
}

/// Every decision, in section then relocation order.
#[derive(Clone, Debug, Default)]
pub struct CoreReport {
    /// The decisions.
    pub decisions: Vec<CoreDecision>,
}

impl CoreReport {
    /// The decisions that poisoned instructions of `section` within `range`, by instruction
    /// index relative to the range's start (a program's own function, as it is linked).
    pub fn poisoned_in(&self, section: &str, range: Range<usize>) -> BTreeMap<usize, CoreDecision> {
        let mut out = BTreeMap::new();
        for d in self.decisions.iter().filter(|d| d.section == section) {
            for &i in d.poisoned.iter().filter(|i| range.contains(i)) {
                out.insert(i - range.start, d.clone());
            }
        }
        out
    }
}

/// Why CO-RE could not be applied (an unresolved relocation is not an error: it is poisoned).
#[derive(Debug, thiserror::Error)]
pub enum CoreApplyError {
    /// The object has CO-RE relocations but no `.BTF` to read their local types from.
    #[error("section {section} has CO-RE relocations but the object has no .BTF")]
    NoObjectBtf {
        /// The section.
        section: String,
    },
    /// A relocation could not be applied to its instruction.
    #[error("CO-RE in section {section}")]
    Relocate {
        /// The section.
        section: String,
        /// What went wrong.
        #[source]
        source: CoreError,
    },
}

/// The object's code sections with the CO-RE relocations of `sections` applied against
/// `target` (the others copied as they are), and what was decided for each.
pub fn apply(
    obj: &Object,
    target: &Btf,
    sections: &BTreeSet<CodeSectionIndex>,
    obs: &mut dyn Observer,
) -> Result<(Vec<CodeSection>, CoreReport), CoreApplyError> {
    let mut code = obj.code_sections.clone();
    let mut report = CoreReport::default();
    let Some(ext) = obj.btf_ext.as_ref() else {
        return Ok((code, report));
    };
    let mut cache = CoreCache::new();
    for sec in ext.core_relos.iter().filter(|s| !s.records.is_empty()) {
        let Some(pos) = code.iter().position(|c| c.name == sec.name) else {
            continue;
        };
        if !sections.contains(&CodeSectionIndex::new(pos)) {
            continue;
        }
        let local = obj.btf.as_ref().ok_or_else(|| CoreApplyError::NoObjectBtf { section: sec.name.clone() })?;
        let code = &mut code[pos];
        let r = relocate_section(local, target, &sec.records, &mut code.insns, &mut cache)
            .map_err(|source| CoreApplyError::Relocate { section: sec.name.clone(), source })?;
        for (resolution, outcome) in r.resolutions.into_iter().zip(r.outcomes) {
            let poisoned = match outcome {
                PatchOutcome::Poisoned { insns, .. } => insns,
                _ => Vec::new(),
            };
            let func = code.func_containing(resolution.insn_idx).map(|f| f.name.clone());
            let decision = CoreDecision { section: sec.name.clone(), func, resolution, poisoned };
            obs.step(Step::Core(&decision));
            report.decisions.push(decision);
        }
    }
    Ok((code, report))
}

#[cfg(test)]
pub(crate) mod tests {
    use btf::core::{RelocKind, TypeRef};

    use super::*;

    /// A field-offset decision that found no target and poisoned instruction `insn`.
    pub fn poisoned_decision(section: &str, insn: usize) -> CoreDecision {
        let sock = TypeRef { id: btf::TypeId::new(7), name: "struct sock".into() };
        let resolution = CoreResolution {
            relo_idx: 3,
            insn_idx: insn,
            kind: RelocKind::FieldByteOffset,
            local_type: sock,
            access: "0:1".into(),
            local_spec: "struct sock::skc_foo".into(),
            target: None,
            candidates: Vec::new(),
            matched: Vec::new(),
            local_value: 8,
            target_value: None,
            validate: true,
            local_size: 4,
            target_size: 0,
            size_problem: None,
        };
        CoreDecision { section: section.into(), func: Some("tcp_connect".into()), resolution, poisoned: vec![insn] }
    }

    #[test]
    fn poisoned_instructions_are_found_by_function_range() {
        let report = CoreReport { decisions: vec![poisoned_decision("kprobe/x", 12), poisoned_decision("other", 12)] };
        let found = report.poisoned_in("kprobe/x", 10..20);
        assert_eq!(found.keys().copied().collect::<Vec<_>>(), [2]);
        assert!(report.poisoned_in("kprobe/x", 0..12).is_empty(), "the range is half-open");
    }
}
