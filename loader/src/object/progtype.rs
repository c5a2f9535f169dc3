//! Section name → program type. A program's ELF section name (`SEC("fentry/tcp_connect")`) is
//! the only place a BPF object says what kind of program it holds; this table is the
//! convention (libbpf's) spelled out.

use super::error::ObjectError;

/// `BPF_F_SLEEPABLE`: the program may sleep (prog_flags at load).
pub const BPF_F_SLEEPABLE: u32 = 1 << 4;

/// How a program of this kind gets attached (what the `attach` module will do with it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachMethod {
    /// BPF_LINK_CREATE (or BPF_RAW_TRACEPOINT_OPEN on old kernels) on a kernel BTF id: fentry,
    /// fexit, fmod_ret, tp_btf, lsm. The target is resolved in kernel BTF at load time.
    Tracing,
    /// BPF_RAW_TRACEPOINT_OPEN by tracepoint name.
    RawTracepoint,
    /// perf_event_open on a tracefs event id, then PERF_EVENT_IOC_SET_BPF.
    Tracepoint,
    /// A kprobe (`retprobe: true` for kretprobe) through perf_event_open.
    Kprobe {
        /// Attach to the function's return.
        retprobe: bool,
    },
    /// Not attached by rawbpf (sockets, XDP, tc, perf events): loaded only.
    Manual,
}

/// Whether a prefix takes an attach target after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `prefix/<target>` — the target is required; the string is an example for messages.
    Required(&'static str),
    /// The exact name, or `name/<anything>` (the rest is kept but unused).
    None,
}

/// One row of the section table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecDef {
    /// Section name prefix; prefixes with a target end in `/`.
    pub prefix: &'static str,
    /// `bpf_prog_type`.
    pub prog_type: u32,
    /// `expected_attach_type` for BPF_PROG_LOAD, if the kind needs one.
    pub expected_attach_type: Option<u32>,
    /// Loaded with BPF_F_SLEEPABLE.
    pub sleepable: bool,
    /// Target rule.
    pub target: Target,
    /// How it is attached.
    pub attach: AttachMethod,
}

impl SecDef {
    /// How a section of this kind is spelled: `fentry/<target>` or `socket`.
    pub fn usage(&self) -> String {
        match self.target {
            Req(_) => format!("{}<target>", self.prefix),
            NoTarget => self.prefix.to_owned(),
        }
    }

    /// A complete example section name: `fentry/tcp_connect`, `socket`.
    pub fn example(&self) -> String {
        match self.target {
            Req(example) => format!("{}{example}", self.prefix),
            NoTarget => self.prefix.to_owned(),
        }
    }
}

const fn def(prefix: &'static str, prog_type: u32, eat: Option<u32>, target: Target, attach: AttachMethod) -> SecDef {
    SecDef { prefix, prog_type, expected_attach_type: eat, sleepable: false, target, attach }
}

const fn sleepable(d: SecDef) -> SecDef {
    SecDef { sleepable: true, ..d }
}

// Numbers come from sys::types, the one table checked against the UAPI header.
use crate::sys::{AttachType as AT, ProgType as PT};
use AttachMethod as A;
use Target::{None as NoTarget, Required as Req};

/// The known section prefixes, in match order. Prefixes never overlap, so order only affects
/// how the table is printed.
#[rustfmt::skip]
pub static SEC_DEFS: &[SecDef] = &[
    def("fentry/", PT::TRACING.0, Some(AT::TRACE_FENTRY.0), Req("tcp_connect"), A::Tracing),
    def("fexit/", PT::TRACING.0, Some(AT::TRACE_FEXIT.0), Req("tcp_connect"), A::Tracing),
    def("fmod_ret/", PT::TRACING.0, Some(AT::MODIFY_RETURN.0), Req("security_file_open"), A::Tracing),
    sleepable(def("fentry.s/", PT::TRACING.0, Some(AT::TRACE_FENTRY.0), Req("do_sys_openat2"), A::Tracing)),
    sleepable(def("fexit.s/", PT::TRACING.0, Some(AT::TRACE_FEXIT.0), Req("do_sys_openat2"), A::Tracing)),
    sleepable(def("fmod_ret.s/", PT::TRACING.0, Some(AT::MODIFY_RETURN.0), Req("security_file_open"), A::Tracing)),
    def("tp_btf/", PT::TRACING.0, Some(AT::TRACE_RAW_TP.0), Req("sched_process_exec"), A::Tracing),
    def("raw_tp/", PT::RAW_TRACEPOINT.0, None, Req("sys_enter"), A::RawTracepoint),
    def("raw_tracepoint/", PT::RAW_TRACEPOINT.0, None, Req("sys_enter"), A::RawTracepoint),
    def("tracepoint/", PT::TRACEPOINT.0, None, Req("syscalls/sys_enter_openat"), A::Tracepoint),
    def("tp/", PT::TRACEPOINT.0, None, Req("syscalls/sys_enter_openat"), A::Tracepoint),
    def("kprobe/", PT::KPROBE.0, None, Req("tcp_connect"), A::Kprobe { retprobe: false }),
    def("kretprobe/", PT::KPROBE.0, None, Req("tcp_connect"), A::Kprobe { retprobe: true }),
    def("lsm/", PT::LSM.0, Some(AT::LSM_MAC.0), Req("file_open"), A::Tracing),
    sleepable(def("lsm.s/", PT::LSM.0, Some(AT::LSM_MAC.0), Req("file_open"), A::Tracing)),
    def("socket", PT::SOCKET_FILTER.0, None, NoTarget, A::Manual),
    def("xdp", PT::XDP.0, None, NoTarget, A::Manual),
    def("tc", PT::SCHED_CLS.0, None, NoTarget, A::Manual),
    def("classifier", PT::SCHED_CLS.0, None, NoTarget, A::Manual),
    def("action", PT::SCHED_ACT.0, None, NoTarget, A::Manual),
    def("perf_event", PT::PERF_EVENT.0, None, NoTarget, A::Manual),
];

/// What a program section name means: its table row and the attach target after the prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgKind {
    /// The matching table row.
    pub def: SecDef,
    /// The text after the prefix: a function (`tcp_connect`), `category/event` for
    /// tracepoints, a tracepoint name for raw_tp/tp_btf. `None` for target-less kinds.
    pub attach_target: Option<String>,
}

impl ProgKind {
    /// `bpf_prog_type`.
    pub fn prog_type(&self) -> u32 {
        self.def.prog_type
    }

    /// `expected_attach_type` (0 when the kind has none).
    pub fn expected_attach_type(&self) -> u32 {
        self.def.expected_attach_type.unwrap_or(0)
    }

    /// `prog_flags` for BPF_PROG_LOAD.
    pub fn prog_flags(&self) -> u32 {
        if self.def.sleepable {
            BPF_F_SLEEPABLE
        } else {
            0
        }
    }
}

/// Classifies a program section name. `program` only serves the error message.
pub fn classify(section: &str, program: &str) -> Result<ProgKind, ObjectError> {
    for d in SEC_DEFS {
        match d.target {
            Req(example) => {
                if let Some(rest) = section.strip_prefix(d.prefix) {
                    if rest.is_empty() {
                        return Err(ObjectError::MissingTarget { section: section.into(), prefix: d.prefix, example });
                    }
                    return Ok(ProgKind { def: *d, attach_target: Some(rest.to_owned()) });
                }
                // `fentry` without the slash: a target-taking kind named without a target.
                if section == d.prefix.trim_end_matches('/') {
                    return Err(ObjectError::MissingTarget { section: section.into(), prefix: d.prefix, example });
                }
            }
            NoTarget => {
                let rest = section.strip_prefix(d.prefix);
                if rest.is_some_and(|r| r.is_empty() || r.starts_with('/')) {
                    return Ok(ProgKind { def: *d, attach_target: None });
                }
            }
        }
    }
    Err(ObjectError::UnknownSection { section: section.into(), program: program.into() })
}

/// The known prefixes as one comma-separated list (for messages).
pub fn known_prefixes() -> String {
    SEC_DEFS.iter().map(|d| d.prefix).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fentry_and_tracepoint_targets() {
        let k = classify("fentry/tcp_connect", "p").unwrap();
        assert_eq!((k.prog_type(), k.expected_attach_type(), k.prog_flags()), (26, 24, 0));
        assert_eq!(k.attach_target.as_deref(), Some("tcp_connect"));
        let k = classify("fexit.s/do_sys_openat2", "p").unwrap();
        assert_eq!((k.prog_type(), k.expected_attach_type(), k.prog_flags()), (26, 25, BPF_F_SLEEPABLE));
        let k = classify("tracepoint/syscalls/sys_enter_openat", "p").unwrap();
        assert_eq!((k.prog_type(), k.attach_target.as_deref()), (5, Some("syscalls/sys_enter_openat")));
        let k = classify("tp_btf/sched_process_exec", "p").unwrap();
        assert_eq!((k.prog_type(), k.expected_attach_type()), (26, 23));
        assert_eq!(classify("lsm.s/file_open", "p").unwrap().expected_attach_type(), 27);
        assert_eq!(classify("raw_tp/sys_enter", "p").unwrap().prog_type(), 17);
    }

    #[test]
    fn targetless_kinds_match_exactly_or_with_a_slash() {
        assert_eq!(classify("socket", "p").unwrap().prog_type(), 1);
        assert_eq!(classify("xdp/anything", "p").unwrap().prog_type(), 6);
        assert_eq!(classify("tc", "p").unwrap().prog_type(), 3);
        // "tcx" is not "tc": no prefix confusion.
        assert!(matches!(classify("tcx/ingress", "p"), Err(ObjectError::UnknownSection { .. })));
    }

    #[test]
    fn unknown_and_targetless_errors_explain() {
        let e = classify("kprobe.multi/x", "prog").unwrap_err().to_string();
        assert!(e.contains("kprobe.multi/x") && e.contains("fentry/") && e.contains("socket"), "{e}");
        let e = classify("fentry/", "p").unwrap_err().to_string();
        assert!(e.contains("fentry/tcp_connect"), "{e}");
        assert!(matches!(classify("fentry", "p"), Err(ObjectError::MissingTarget { .. })));
    }

    #[test]
    fn every_example_classifies_to_its_own_row() {
        for d in SEC_DEFS {
            let k = classify(&d.example(), "p").unwrap();
            assert_eq!(k.def, *d, "{}", d.example());
        }
        assert_eq!(SEC_DEFS[0].usage(), "fentry/<target>");
    }
}
