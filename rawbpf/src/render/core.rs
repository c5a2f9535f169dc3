//! CO-RE decisions, in words.

use loader::co_re::CoreDecision;

/// One decision as `--explain` narrates it: `SECTION: #N KIND SPEC (ACCESS) local X → target Y`.
pub fn decision(d: &CoreDecision) -> String {
    format!("{}: {}", d.section, d.resolution)
}

/// A decision that poisoned an instruction, as a verifier diagnosis names it.
pub fn poisoned(d: &CoreDecision) -> String {
    let func = d.func.as_deref().unwrap_or("?");
    format!("CO-RE relocation #{} in {func}: {}", d.resolution.relo_idx, d.resolution)
}
