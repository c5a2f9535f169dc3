//! The one-line form of a resolved relocation (`rawbpf` adds the longer explanations).

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
