//! What each resolved CO-RE relocation needs of its target, by kind.

use super::Need;
use crate::core::{CoreResolution, RelocKind};

/// The needs of `resolutions` (resolved against the full BTF): the matched target by its
/// access path (fields), its shell (type existence, size, id) or all of it (type match, enum
/// values); and every other candidate as a shell, so it is still found and still does not match.
pub fn needs(resolutions: &[CoreResolution]) -> Vec<Need> {
    let mut out = Vec::new();
    for r in resolutions {
        if let Some(t) = &r.target {
            out.push(match r.kind {
                RelocKind::FieldByteOffset
                | RelocKind::FieldByteSize
                | RelocKind::FieldExists
                | RelocKind::FieldSigned
                | RelocKind::FieldLshiftU64
                | RelocKind::FieldRshiftU64 => {
                    Need::Path { root: t.ty.id, access: t.raw.split(':').filter_map(|n| n.parse().ok()).collect() }
                }
                RelocKind::TypeMatches | RelocKind::EnumvalExists | RelocKind::EnumvalValue => Need::Whole(t.ty.id),
                RelocKind::TypeIdLocal | RelocKind::TypeIdTarget | RelocKind::TypeExists | RelocKind::TypeSize => {
                    Need::Shell(t.ty.id)
                }
            });
        }
        out.extend(r.candidates.iter().map(|c| Need::Shell(c.id)));
    }
    out
}
