//! Relocating a whole ELF section's instructions in one call, keeping everything the loader
//! needs to explain the result.

use crate::btf::Btf;
use crate::core::candidates::CoreCache;
use crate::core::error::CoreResult;
use crate::core::patch::{patch, PatchOutcome, PoisonLog};
use crate::core::relo::CoreRelo;
use crate::core::resolve::{relocate, CoreResolution};
use crate::insn::Insn;

/// The outcome of relocating one section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SectionReport {
    /// One resolution per relocation, in record order (index = relocation number).
    pub resolutions: Vec<CoreResolution>,
    /// What was done to each instruction, in the same order.
    pub outcomes: Vec<PatchOutcome>,
    /// Which instructions were poisoned by which relocation.
    pub poison: PoisonLog,
}

impl SectionReport {
    /// Relocations that poisoned an instruction.
    pub fn poisoned(&self) -> impl Iterator<Item = &CoreResolution> {
        self.outcomes
            .iter()
            .zip(&self.resolutions)
            .filter(|(o, _)| matches!(o, PatchOutcome::Poisoned { .. }))
            .map(|(_, r)| r)
    }
}

/// Resolves and applies every relocation of a section to `insns`, the section's instructions
/// as they are in the ELF (relocation `insn_off`s index them). Stops at the first error, as
/// libbpf does; relocations are numbered by their position in `relos`.
pub fn relocate_section(
    local: &Btf,
    target: &Btf,
    relos: &[CoreRelo],
    insns: &mut [Insn],
    cache: &mut CoreCache,
) -> CoreResult<SectionReport> {
    let mut report = SectionReport::default();
    for (i, relo) in relos.iter().enumerate() {
        let res = relocate(local, target, relo, i, cache)?;
        let outcome = patch(insns, res.insn_idx, &res)?;
        report.poison.record(&outcome);
        report.resolutions.push(res);
        report.outcomes.push(outcome);
    }
    Ok(report)
}
