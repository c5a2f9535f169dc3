//! Context accesses against what the verifier allows at load time: a context pointer moved by
//! an offset is never dereferenced (any program type), and a BTF-typed program (fentry, fexit,
//! fmod_ret, tp_btf, lsm) reads only its target's arguments — `ctx[i]` for each parameter of the
//! target's prototype, plus the return value for fexit, fmod_ret and lsm — as `btf_ctx_access`
//! checks them. The prototype is the one in this kernel's BTF: a tracepoint whose arguments
//! changed between kernels shows here.

use btf::insn::{class, mode, Insn};
use btf::{Body, Btf, TypeId};

use super::reach::{Regs, Val};
use crate::object::ProgKind;
use crate::sys::AttachType;

/// The most arguments a BPF trampoline passes (`MAX_BPF_FUNC_ARGS`).
const MAX_ARGS: i64 = 12;

/// What the verifier holds a typed program's context to: its target's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prototype {
    /// The target as the kernel names it (`block_rq_issue`, `tcp_connect`).
    pub name: String,
    /// Its parameters (for a tracepoint, without the leading `void *__data`).
    pub args: u32,
    /// Whether `ctx[args]` is the return value (fexit, fmod_ret, lsm).
    pub ret_slot: bool,
}

impl Prototype {
    /// The prototype of the target `id` of `target` (a FUNC, or a `btf_trace_*` TYPEDEF of a
    /// pointer to FUNC_PROTO), for a program of `kind`; `None` for other kinds or shapes.
    pub fn of(target: &Btf, id: TypeId, name: &str, kind: &ProgKind) -> Option<Prototype> {
        let attach = kind.def.expected_attach_type?;
        let (proto, skip, ret_slot) = match attach {
            AttachType::TRACE_RAW_TP => (pointee(target, id)?, 1, false),
            AttachType::TRACE_FENTRY => (func_proto(target, id)?, 0, false),
            AttachType::TRACE_FEXIT | AttachType::MODIFY_RETURN | AttachType::LSM_MAC => {
                (func_proto(target, id)?, 0, true)
            }
            _ => return None,
        };
        let Body::FuncProto(p) = target.type_by_id(proto).ok()?.body else { return None };
        let args = (p.params.len() as u32).saturating_sub(skip);
        Some(Prototype { name: name.to_owned(), args, ret_slot })
    }
}

/// A FUNC's prototype.
fn func_proto(target: &Btf, id: TypeId) -> Option<TypeId> {
    match target.type_by_id(id).ok()?.body {
        Body::Func(f) => Some(f.proto),
        _ => None,
    }
}

/// What a TYPEDEF of a pointer points to (`typedef void (*btf_trace_x)(void *, ...)`).
fn pointee(target: &Btf, id: TypeId) -> Option<TypeId> {
    let ptr = target.skip_mods_and_typedefs(id).ok()?;
    match target.type_by_id(ptr).ok()?.body {
        Body::Ptr(to) => Some(to),
        _ => None,
    }
}

/// A context access the verifier refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A dereference of the context pointer plus `off` (`dereference of modified ctx ptr`).
    Modified {
        /// The instruction.
        insn: usize,
        /// How far the pointer was moved.
        off: i64,
    },
    /// `ctx + off` is not one of the target's argument slots.
    PastArguments {
        /// The instruction.
        insn: usize,
        /// The byte offset into the context.
        off: i64,
    },
    /// A store into a typed program's context, which is read-only.
    Write {
        /// The instruction.
        insn: usize,
        /// The byte offset into the context.
        off: i64,
    },
}

/// The first refused context access of each kind among the instructions the verifier reaches
/// (`state[i]` is `None` where it does not), in instruction order.
pub fn violations(insns: &[Insn], state: &[Option<Regs>], proto: Option<&Prototype>) -> Vec<Violation> {
    let mut out: Vec<Violation> = Vec::new();
    for (pc, (i, regs)) in insns.iter().zip(state).enumerate() {
        let Some(regs) = regs else { continue };
        let Some((base, write)) = access(i) else { continue };
        let Val::Ctx(moved) = regs[usize::from(base).min(10)] else { continue };
        let off = i64::from(i.off);
        let v = if moved != 0 {
            Some(Violation::Modified { insn: pc, off: moved })
        } else if let Some(p) = proto {
            if write {
                Some(Violation::Write { insn: pc, off })
            } else {
                (!p.allows(off)).then_some(Violation::PastArguments { insn: pc, off })
            }
        } else {
            None
        };
        if let Some(v) = v.filter(|v| !out.iter().any(|o| std::mem::discriminant(o) == std::mem::discriminant(v))) {
            out.push(v);
        }
    }
    out
}

impl Prototype {
    /// Whether a read at `off` is an argument slot (8 bytes each) the verifier allows.
    pub fn allows(&self, off: i64) -> bool {
        let slots = i64::from(self.args) + i64::from(self.ret_slot);
        (0..MAX_ARGS * 8).contains(&off) && off % 8 == 0 && off / 8 < slots
    }
}

/// The register a memory instruction goes through, and whether it writes.
fn access(i: &Insn) -> Option<(u8, bool)> {
    let m = i.code & 0xe0;
    match i.class() {
        class::LDX if m == mode::MEM || m == mode::MEMSX => Some((i.src, false)),
        class::ST | class::STX if m == mode::MEM || m == mode::ATOMIC => Some((i.dst, true)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ldx(dst: u8, src: u8, off: i16) -> Insn {
        Insn { code: 0x79, dst, src, off, imm: 0 }
    }

    fn ctx_regs(moved: i64) -> Option<Regs> {
        let mut r = [Val::Unknown; 11];
        r[1] = Val::Ctx(moved);
        Some(r)
    }

    #[test]
    fn reads_are_bounded_by_the_targets_arguments() {
        let tp = Prototype { name: "block_rq_issue".into(), args: 1, ret_slot: false };
        let fexit = Prototype { name: "tcp_connect".into(), args: 1, ret_slot: true };
        assert!(tp.allows(0));
        assert!(!tp.allows(8), "a one-argument tracepoint has no ctx[1]");
        assert!(fexit.allows(8), "fexit reads the return value after the arguments");
        assert!(!fexit.allows(16));
        assert!(!tp.allows(4), "not a multiple of 8");
        assert!(!tp.allows(-8));
    }

    #[test]
    fn finds_the_first_refused_access_of_each_kind() {
        let tp = Prototype { name: "block_rq_issue".into(), args: 1, ret_slot: false };
        let insns = [ldx(2, 1, 0), ldx(2, 1, 8), ldx(2, 1, 16), ldx(2, 1, 0)];
        let state = [ctx_regs(0), ctx_regs(0), ctx_regs(0), ctx_regs(8)];
        assert_eq!(
            violations(&insns, &state, Some(&tp)),
            [Violation::PastArguments { insn: 1, off: 8 }, Violation::Modified { insn: 3, off: 8 }]
        );
        // Without a prototype (a kprobe), only the moved pointer is refused.
        assert_eq!(violations(&insns, &state, None), [Violation::Modified { insn: 3, off: 8 }]);
        // Code the verifier does not reach is not checked.
        assert_eq!(violations(&insns, &[ctx_regs(0), None, None, None], Some(&tp)), []);
        // A store into a typed program's context.
        let st = [Insn { code: 0x7b, dst: 1, src: 2, off: 0, imm: 0 }];
        assert_eq!(violations(&st, &[ctx_regs(0)], Some(&tp)), [Violation::Write { insn: 0, off: 0 }]);
    }
}
