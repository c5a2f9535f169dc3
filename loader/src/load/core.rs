//! CO-RE: every `.BTF.ext` relocation resolved against the target BTF and patched into the
//! object's code sections, before linking copies instructions out of them.

use std::collections::BTreeMap;

use btf::core::{relocate_section, CoreCache, PatchOutcome};
use btf::Btf;
use tracing::info;

use super::LoadError;
use crate::object::Object;

/// What CO-RE did, for `--explain`, `inspect` and verifier messages.
#[derive(Clone, Debug, Default)]
pub struct CoreReport {
    /// One line per relocation, per section.
    pub lines: Vec<(String, String)>,
    /// Poisoned instructions: (section, instruction index in the section) → description.
    pub poisoned: BTreeMap<(String, usize), String>,
}

/// Applies every section's CO-RE relocations in place.
pub fn apply(obj: &mut Object, target: &Btf) -> Result<CoreReport, LoadError> {
    let mut report = CoreReport::default();
    let Some(ext) = obj.btf_ext.as_ref() else {
        return Ok(report);
    };
    let mut cache = CoreCache::new();
    for sec in &ext.core_relos {
        if sec.records.is_empty() {
            continue;
        }
        let local = obj.btf.as_ref().ok_or_else(|| LoadError::CoreWithoutBtf { section: sec.name.clone() })?;
        let Some(code) = obj.code_sections.iter_mut().find(|c| c.name == sec.name) else {
            continue;
        };
        let r = relocate_section(local, target, &sec.records, &mut code.insns, &mut cache)
            .map_err(|source| LoadError::Core { section: sec.name.clone(), source })?;
        for (res, outcome) in r.resolutions.iter().zip(&r.outcomes) {
            info!(target: "rawbpf::core", "{}: {res}", sec.name);
            report.lines.push((sec.name.clone(), res.to_string()));
            if let PatchOutcome::Poisoned { insns, .. } = outcome {
                let func = code.func_containing(res.insn_idx).map_or("?", |f| f.name.as_str());
                let text = format!("CO-RE relocation #{} in {func}: {res}", res.relo_idx);
                for &i in insns {
                    report.poisoned.insert((sec.name.clone(), i), text.clone());
                }
            }
        }
    }
    Ok(report)
}
