//! CO-RE decisions, in words.

use btf::core::{CoreResolution, RelocKind, POISON_CALL_IMM};
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

/// A few lines that spell out how the value was found, for `-vv` under each decision:
/// the candidates and which matched, the target path, what the instruction is checked
/// against, and what a poisoned instruction will make the verifier say.
pub fn details(r: &CoreResolution) -> Vec<String> {
    let mut out = Vec::new();
    if r.kind == RelocKind::TypeIdLocal {
        out.push("local type id: needs no target lookup".to_owned());
        return out;
    }
    if r.candidates.is_empty() {
        out.push(format!("no type in the target has the essential name of {}", r.local_type.name));
    } else {
        let list: Vec<String> = r
            .candidates
            .iter()
            .map(|c| format!("{c} ({})", if r.matched.contains(&c.id) { "matches" } else { "does not match" }))
            .collect();
        out.push(format!("candidates: {}", list.join(", ")));
    }
    if let Some(t) = &r.target {
        out.push(format!("target: {} = {} ({}), bit offset {}", t.ty, t.spec, t.raw, t.bit_offset));
    }
    out.push(if r.validate {
        format!("the instruction must hold the local value {} before patching", r.local_value)
    } else {
        "the instruction's current value is not checked (bitfield layout or type id: the compiler may differ)"
            .to_owned()
    });
    if let Some(n) = r.new_size() {
        out.push(format!("the field's size changes from {} to {n} bytes: loads/stores change width", r.local_size));
    }
    if let Some(p) = &r.size_problem {
        out.push(format!("a load/store of it is poisoned: {p}"));
    }
    if r.is_poison() {
        out.push(format!(
            "the instruction becomes `call {:#x}`; if it is reachable the verifier rejects the program with \
             \"invalid func unknown#{}\"",
            POISON_CALL_IMM, POISON_CALL_IMM
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use btf::core::{relocate, CoreCache, CoreRelo, RelocKind};
    use btf::{Btf, BtfBuilder, TypeId};

    use super::*;

    /// `struct sock { int a; int b; }` against a target where `b` moved to byte 12.
    fn sock(members: &[(&str, u32)], size: u32, lead: bool) -> Btf {
        let mut b = BtfBuilder::new();
        let long = lead.then(|| b.int("long", 8, true));
        let int = b.int("int", 4, true);
        let mut m: Vec<(&str, TypeId, u32)> = members.iter().map(|&(n, off)| (n, int, off)).collect();
        if let Some(long) = long {
            m.insert(0, ("x", long, 0));
        }
        b.struct_("sock", size, &m);
        Btf::parse(b.build()).unwrap()
    }

    fn resolve(local: &Btf, target: &Btf, type_id: u32) -> CoreResolution {
        let relo = CoreRelo {
            insn_off: 0,
            type_id: TypeId::new(type_id),
            access_str_off: 0,
            access: "0:1".into(),
            kind: RelocKind::FieldByteOffset,
        };
        relocate(local, target, &relo, 0, &mut CoreCache::new()).unwrap()
    }

    #[test]
    fn details_spell_out_candidates_checks_and_poison() {
        let local = sock(&[("a", 0), ("b", 32)], 8, false);
        let target = sock(&[("a", 64), ("b", 96)], 16, true);
        assert_eq!(
            details(&resolve(&local, &target, 2)),
            [
                "candidates: [3] struct sock (matches)",
                "target: [3] struct sock = struct sock::b (0:2), bit offset 96",
                "the instruction must hold the local value 4 before patching",
            ]
        );
        let gone = sock(&[("a", 0), ("gone", 32)], 8, false);
        let d = details(&resolve(&gone, &target, 2));
        assert_eq!(d[0], "candidates: [3] struct sock (does not match)");
        assert!(d.last().unwrap().contains("\"invalid func unknown#195896080\""), "{d:?}");
    }
}
