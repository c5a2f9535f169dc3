//! Offline verdicts: would each program of an object load on the kernel a BTF describes? The
//! load pipeline's own steps, run against that BTF with the kernel's answers predicted: the
//! program's section, its attach target (for programs that attach by BTF id), CO-RE against
//! the BTF, typed externs and kfuncs present, and — on the linked, relocated program — no
//! reachable poisoned instruction (`reach`), helpers, map types and the program type within
//! what the kernel's own enums (`bpf_func_id`, `bpf_map_type`, `bpf_prog_type`) list. No
//! root, no syscalls: `rawbpf check`.

mod consts;
pub mod ctx;
mod reach;
pub mod version;

use std::collections::BTreeSet;

use btf::insn::CALL;
use btf::{Btf, Kind};

use crate::co_re::{self, CoreApplyError};
use crate::link::{link_with, KsymValue, LinkError, Symbols};
use crate::load::target::{btf_name, split_module};
use crate::object::{ExternKind, Object, ProgKind, ProgramError, ProgramIndex};
use crate::progress::Quiet;

pub use consts::Consts;
pub use ctx::{Prototype, Violation};
pub use reach::{analyze, reachable, Val};

/// Why a program would not load.
#[derive(Debug, thiserror::Error)]
pub enum Reason {
    /// Its section or a relocation it reaches is not one rawbpf (and libbpf) can load.
    #[error(transparent)]
    Program(ProgramError),
    /// The section names no attach target, and none was given (libbpf's
    /// `bpf_program__set_attach_target`, rawbpf's `--attach-target`).
    #[error("the section names no attach target: it is chosen at run time")]
    NoTarget,
    /// The attach target is not in the kernel's BTF.
    #[error("{what} {name} is not in this kernel's BTF")]
    NoAttachTarget {
        /// What kind of target (`function`, `raw tracepoint`...).
        what: &'static str,
        /// The name looked up.
        name: String,
    },
    /// CO-RE could not be applied (an ambiguous relocation, a malformed one).
    #[error(transparent)]
    Core(CoreApplyError),
    /// A non-`__weak` `__ksym` extern or kfunc the kernel's BTF lacks.
    #[error("extern {name} is not in this kernel's BTF")]
    Extern {
        /// The extern.
        name: String,
    },
    /// The program cannot be linked.
    #[error(transparent)]
    Link(LinkError),
    /// A CO-RE relocation the kernel cannot satisfy, or a call of a `__weak` kfunc it lacks,
    /// in code the verifier reaches.
    #[error(
        "{count} poisoned instruction(s) reachable, the first at {first} (a CO-RE relocation this kernel cannot \
         satisfy, or a call of a __weak kfunc it lacks)"
    )]
    PoisonReached {
        /// The first such instruction of the linked program.
        first: usize,
        /// How many.
        count: usize,
    },
    /// A helper this kernel does not have.
    #[error("helper #{id} is not among this kernel's {count} helpers (enum bpf_func_id)")]
    Helper {
        /// The helper id called.
        id: i32,
        /// How many this kernel lists.
        count: u64,
    },
    /// A map type this kernel does not know.
    #[error("map {map}: map type {map_type} is not among this kernel's {count} (enum bpf_map_type)")]
    MapType {
        /// The map.
        map: String,
        /// Its type.
        map_type: u32,
        /// How many this kernel lists.
        count: u64,
    },
    /// A map whose size the object leaves to run time (its tool sets it before loading):
    /// created as declared, the kernel refuses it.
    #[error(
        "map {map}: {attribute} is 0 in the object (set at run time by its loader): BPF_MAP_CREATE would refuse it"
    )]
    MapSize {
        /// The map.
        map: String,
        /// `max_entries` or `value_size`.
        attribute: &'static str,
    },
    /// A context access the verifier refuses when the program loads.
    #[error("{}", context_message(violation, target.as_ref(), *version_unknown))]
    Context {
        /// What the access does wrong.
        violation: Violation,
        /// The attach target's prototype, for programs typed by it.
        target: Option<Prototype>,
        /// The object reads `LINUX_KERNEL_VERSION`, which is not known for this kernel: both
        /// sides of a branch on it were followed.
        version_unknown: bool,
    },
    /// A program type this kernel does not know.
    #[error("program type {prog_type} is not among this kernel's {count} (enum bpf_prog_type)")]
    ProgType {
        /// The program's type.
        prog_type: u32,
        /// How many this kernel lists.
        count: u64,
    },
}

/// The verdict on one program against one kernel's BTF.
#[derive(Debug)]
pub struct Verdict {
    /// The program.
    pub program: String,
    /// Why it would not load; empty when it would.
    pub reasons: Vec<Reason>,
    /// What CO-RE decided for each relocation in the code it reaches, in order.
    pub core: Vec<btf::core::CoreResolution>,
    /// BTF kinds the object's BTF uses that this kernel's BTF has none of: rawbpf rewrites
    /// them for the kernel (sanitizing), as it would when loading there.
    pub sanitized: Vec<Kind>,
}

impl Verdict {
    /// True when nothing predicts a refusal.
    pub fn loads(&self) -> bool {
        self.reasons.is_empty()
    }
}

/// How many helpers, map types and program types a kernel knows, from its BTF's enums.
#[derive(Clone, Copy, Debug, Default)]
struct Limits {
    helpers: Option<u64>,
    map_types: Option<u64>,
    prog_types: Option<u64>,
}

impl Limits {
    fn of(target: &Btf) -> Limits {
        let max = |enum_name: &str, max_name: &str| -> Option<u64> {
            let id = target.find_by_name_kind(enum_name, Kind::Enum)?;
            match target.type_by_id(id).ok()?.body {
                btf::Body::Enum(e) => e.values.iter().find(|v| v.name == max_name).map(|v| v.value as u64),
                _ => None,
            }
        };
        Limits {
            helpers: max("bpf_func_id", "__BPF_FUNC_MAX_ID"),
            map_types: max("bpf_map_type", "__MAX_BPF_MAP_TYPE"),
            prog_types: max("bpf_prog_type", "__MAX_BPF_PROG_TYPE"),
        }
    }
}

/// What one check knows of the kernel: its BTF, its limits, the constants its verifier sees.
struct Kernel<'a> {
    btf: &'a Btf,
    limits: Limits,
    consts: Consts,
    sanitized: Vec<Kind>,
    version_unknown: bool,
}

/// The verdict on each program of `obj` loaded alone (as `rawbpf load --program NAME`), against
/// the kernel `target` describes, whose `LINUX_KERNEL_VERSION` is `version` when known
/// ([`version::of`]).
pub fn check(obj: &Object, target: &Btf, version: Option<u32>) -> Vec<Verdict> {
    let reads_version = obj.externs.iter().any(|e| e.name == "LINUX_KERNEL_VERSION");
    let kernel = Kernel {
        btf: target,
        limits: Limits::of(target),
        consts: Consts::of(obj, target, version),
        sanitized: sanitized_kinds(obj, target),
        version_unknown: reads_version && version.is_none(),
    };
    obj.program_indices().map(|p| check_one(obj, p, &kernel)).collect()
}

fn check_one(obj: &Object, p: ProgramIndex, k: &Kernel) -> Verdict {
    let (target, limits) = (k.btf, k.limits);
    let program = obj.programs[p.get()].name.clone();
    let mut reasons = Vec::new();
    let sanitized = k.sanitized.clone();
    let kind = match obj.programs[p.get()].loadable() {
        Ok(k) => k.clone(),
        Err(e) => return Verdict { program, reasons: vec![Reason::Program(e)], core: Vec::new(), sanitized },
    };
    let proto = attach_prototype(&kind, target, &mut reasons);
    if let (Some(count), t) = (limits.prog_types, kind.prog_type()) {
        if u64::from(t) >= count {
            reasons.push(Reason::ProgType { prog_type: t, count });
        }
    }
    // libbpf creates every map of the object, whichever programs load.
    for m in &obj.maps {
        if limits.map_types.is_some_and(|count| u64::from(m.map_type) >= count) {
            let count = limits.map_types.unwrap_or(0);
            reasons.push(Reason::MapType { map: m.name.clone(), map_type: m.map_type, count });
        }
        if let Some(attribute) = size_left_open(m) {
            reasons.push(Reason::MapSize { map: m.name.clone(), attribute });
        }
    }
    let ksyms = externs(obj, target, &mut reasons);
    let reached: BTreeSet<_> = obj.sections_reached(&[p]);
    let (code, core) = match co_re::apply(obj, target, &reached, &mut Quiet) {
        Ok((code, report)) => (code, report.decisions.into_iter().map(|d| d.resolution).collect()),
        Err(e) => {
            reasons.push(Reason::Core(e));
            return Verdict { program, reasons, core: Vec::new(), sanitized };
        }
    };
    let fds: Vec<i32> = (0..obj.maps.len() as i32).collect();
    match link_with(obj, &code, p, Symbols { map_fds: &fds, ksyms: &ksyms }) {
        Ok(linked) => reasons.extend(code_reasons(&linked.insns, k, proto)),
        Err(e) => reasons.push(Reason::Link(e)),
    }
    Verdict { program, reasons, core, sanitized }
}

/// The kinds newer than the first BTF (FLOAT, DECL_TAG, TYPE_TAG, ENUM64) that the object's
/// BTF uses and `target` has no type of: a kernel that describes none of them does not accept
/// them either, so loading there rewrites them.
fn sanitized_kinds(obj: &Object, target: &Btf) -> Vec<Kind> {
    let newer = [Kind::Float, Kind::DeclTag, Kind::TypeTag, Kind::Enum64];
    let kinds_of = |b: &Btf| -> BTreeSet<u8> { b.ids().filter_map(|id| b.kind_of(id).ok()).map(|k| k as u8).collect() };
    let Some(local) = &obj.btf else { return Vec::new() };
    let (used, known) = (kinds_of(local), kinds_of(target));
    newer.into_iter().filter(|k| used.contains(&(*k as u8)) && !known.contains(&(*k as u8))).collect()
}

/// The size attribute a map leaves at 0 where its type needs one (`PERF_EVENT_ARRAY`'s
/// `max_entries` the loader fills in; local storage has none; ring buffers and arenas no value).
fn size_left_open(m: &crate::object::MapDef) -> Option<&'static str> {
    use crate::sys::MapType as T;
    let t = T(m.map_type);
    let no_entries = matches!(
        t,
        T::PERF_EVENT_ARRAY
            | T::CGROUP_STORAGE
            | T::PERCPU_CGROUP_STORAGE
            | T::SK_STORAGE
            | T::INODE_STORAGE
            | T::TASK_STORAGE
            | T::CGRP_STORAGE
    );
    let no_value = matches!(t, T::RINGBUF | T::USER_RINGBUF | T::ARENA);
    if m.max_entries == 0 && !no_entries {
        Some("max_entries")
    } else if m.value_size == 0 && !no_value {
        Some("value_size")
    } else {
        None
    }
}

/// What each extern would resolve to: typed ksyms and kfuncs through `target`; a strong one
/// it lacks is a reason. Typeless ksyms come from /proc/kallsyms, unknown offline: assumed there.
fn externs(obj: &Object, target: &Btf, reasons: &mut Vec<Reason>) -> Vec<Option<KsymValue>> {
    obj.externs
        .iter()
        .map(|e| {
            let kind = match e.kind {
                ExternKind::Kfunc { .. } => Kind::Func,
                ExternKind::Ksym { type_id: Some(_) } => Kind::Var,
                ExternKind::Ksym { type_id: None } => return Some(KsymValue::Address(0)),
                ExternKind::Kconfig(_) => return None,
            };
            match target.find_by_name_kind(&e.name, kind) {
                Some(id) => Some(KsymValue::Btf { id: id.get(), btf_fd: 0, fd_index: 0 }),
                None => {
                    if !e.weak {
                        reasons.push(Reason::Extern { name: e.name.clone() });
                    }
                    Some(KsymValue::Missing)
                }
            }
        })
        .collect()
}

/// For a program that attaches by BTF id, its target's prototype in `target`; a missing target
/// is a reason.
fn attach_prototype(kind: &ProgKind, target: &Btf, reasons: &mut Vec<Reason>) -> Option<Prototype> {
    if !kind.attaches_by_btf_id() {
        return None;
    }
    let Some(t) = kind.attach_target.as_deref().filter(|t| !t.is_empty()) else {
        reasons.push(Reason::NoTarget);
        return None;
    };
    let short = split_module(t).1;
    let (name, btf_kind, what) = btf_name(kind, short);
    match target.find_by_name_kind(&name, btf_kind) {
        Some(id) => Prototype::of(target, id, short, kind),
        None => {
            reasons.push(Reason::NoAttachTarget { what, name });
            None
        }
    }
}

/// Reasons in the relocated program itself: a reachable poison, an unknown helper, a context
/// access the verifier refuses.
fn code_reasons(insns: &[btf::insn::Insn], k: &Kernel, proto: Option<Prototype>) -> Vec<Reason> {
    let limits = k.limits;
    let state = analyze(insns, &k.consts);
    let mut out = Vec::new();
    let mut poisoned = Vec::new();
    for (i, ins) in insns.iter().enumerate().filter(|(i, _)| state[*i].is_some()) {
        if ins.code != CALL {
            continue;
        }
        if ins.imm == btf::core::POISON_CALL_IMM || (ins.src == 0 && ins.imm >= crate::link::POISON_CALL_KFUNC_BASE) {
            poisoned.push(i);
        } else if ins.src == 0 && limits.helpers.is_some_and(|n| ins.imm < 0 || ins.imm as u64 >= n) {
            out.push(Reason::Helper { id: ins.imm, count: limits.helpers.unwrap_or(0) });
        }
    }
    if let Some(&first) = poisoned.first() {
        out.insert(0, Reason::PoisonReached { first, count: poisoned.len() });
    }
    out.extend(ctx::violations(insns, &state, proto.as_ref()).into_iter().map(|violation| Reason::Context {
        violation,
        target: proto.clone(),
        version_unknown: k.version_unknown,
    }));
    out
}

/// A refused context access in words, with the verifier's own phrase.
fn context_message(v: &Violation, target: Option<&Prototype>, version_unknown: bool) -> String {
    let mut m = match (v, target) {
        (Violation::Modified { insn, off }, _) => format!(
            "instruction {insn} dereferences the context pointer moved by {off} bytes, which the verifier refuses \
             (dereference of modified ctx ptr)"
        ),
        (Violation::PastArguments { insn, off }, Some(p)) => format!(
            "instruction {insn} reads ctx+{off} (argument {}), but {} takes {} argument(s){} in this kernel's BTF \
             (the verifier: func '{}' doesn't have {}-th argument)",
            off / 8 + 1,
            p.name,
            p.args,
            if p.ret_slot { " and its return value" } else { "" },
            p.name,
            off / 8 + 1
        ),
        (Violation::PastArguments { insn, off }, None) => format!("instruction {insn} reads ctx+{off}, no argument"),
        (Violation::Write { insn, off }, _) => {
            format!("instruction {insn} writes ctx+{off}: this program's context is read-only")
        }
    };
    if version_unknown {
        m.push_str(
            "; the object branches on LINUX_KERNEL_VERSION, not known for this kernel, so both sides were \
             followed (name the BTF file after the kernel release, e.g. 5.10.0-26-amd64.btf)",
        );
    }
    m
}
