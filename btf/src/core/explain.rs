//! One-line human explanations of resolved relocations.

use std::fmt;

use crate::core::patch::poison_reason;
use crate::core::relo::RelocKind;
use crate::core::resolve::CoreResolution;

impl fmt::Display for CoreResolution {
    /// `#2 field byte offset  struct sock::__sk_common.skc_dport  (0:0:12)  local 12 → target 16 (moved)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {}  {}  ({})  local {}",
            self.relo_idx, self.kind, self.local_spec, self.access, self.local_value
        )?;
        let Some(new) = self.target_value else {
            return write!(f, " → poisoned: {}", poison_reason(self));
        };
        write!(f, " → target {new}")?;
        let note = if self.kind.is_existence() && new == 0 {
            if self.candidates.is_empty() {
                "(no such type in target)".to_owned()
            } else {
                match self.kind {
                    RelocKind::FieldExists => "(field missing in target)",
                    RelocKind::EnumvalExists => "(enum value missing in target)",
                    RelocKind::TypeMatches => "(no structurally matching type in target)",
                    _ => "(type missing in target)",
                }
                .to_owned()
            }
        } else if new == self.local_value {
            "(unchanged)".to_owned()
        } else if self.kind.is_field_based() {
            "(moved)".to_owned()
        } else {
            "(changed)".to_owned()
        };
        write!(f, " {note}")?;
        if let Some(n) = self.new_size() {
            write!(f, ", size {} → {n} bytes", self.local_size)?;
        }
        if let Some(t) = &self.target {
            if t.raw != self.access || t.spec != self.local_spec {
                write!(f, "  [target {} = {} ({})]", t.ty, t.spec, t.raw)?;
            }
        }
        if let Some(p) = &self.size_problem {
            write!(f, "; {p}")?;
        }
        Ok(())
    }
}

impl CoreResolution {
    /// A few indented lines that spell out how the value was found, for `--explain` output:
    /// the candidates and which matched, the target path, what the instruction is checked
    /// against, and what a poisoned instruction will make the verifier say.
    pub fn details(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.kind == RelocKind::TypeIdLocal {
            out.push("local type id: needs no target lookup".to_owned());
            return out;
        }
        if self.candidates.is_empty() {
            out.push(format!("no type in the target has the essential name of {}", self.local_type.name));
        } else {
            let list: Vec<String> = self
                .candidates
                .iter()
                .map(|c| format!("{c} ({})", if self.matched.contains(&c.id) { "matches" } else { "does not match" }))
                .collect();
            out.push(format!("candidates: {}", list.join(", ")));
        }
        if let Some(t) = &self.target {
            out.push(format!("target: {} = {} ({}), bit offset {}", t.ty, t.spec, t.raw, t.bit_offset));
        }
        out.push(if self.validate {
            format!("the instruction must hold the local value {} before patching", self.local_value)
        } else {
            "the instruction's current value is not checked (bitfield layout or type id: the compiler may differ)"
                .to_owned()
        });
        if let Some(n) = self.new_size() {
            out.push(format!(
                "the field's size changes from {} to {n} bytes: loads/stores change width",
                self.local_size
            ));
        }
        if let Some(p) = &self.size_problem {
            out.push(format!("a load/store of it is poisoned: {p}"));
        }
        if self.is_poison() {
            out.push(format!(
                "the instruction becomes `call {:#x}`; if it is reachable the verifier rejects the program with \
                 \"invalid func unknown#{}\"",
                crate::core::patch::POISON_CALL_IMM,
                crate::core::patch::POISON_CALL_IMM
            ));
        }
        out
    }
}
