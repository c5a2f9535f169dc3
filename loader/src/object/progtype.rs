//! Section name → program type. A program's ELF section name (`SEC("fentry/tcp_connect")`) is
//! the only place a BPF object says what kind of program it holds; this table is the
//! convention (libbpf's) spelled out. Numbers are from include/uapi/linux/bpf.h.

use super::error::ObjectError;

/// `enum bpf_prog_type` values used by the table.
pub mod prog_type {
    /// BPF_PROG_TYPE_SOCKET_FILTER.
    pub const SOCKET_FILTER: u32 = 1;
    /// BPF_PROG_TYPE_KPROBE.
    pub const KPROBE: u32 = 2;
    /// BPF_PROG_TYPE_SCHED_CLS.
    pub const SCHED_CLS: u32 = 3;
    /// BPF_PROG_TYPE_SCHED_ACT.
    pub const SCHED_ACT: u32 = 4;
    /// BPF_PROG_TYPE_TRACEPOINT.
    pub const TRACEPOINT: u32 = 5;
    /// BPF_PROG_TYPE_XDP.
    pub const XDP: u32 = 6;
    /// BPF_PROG_TYPE_PERF_EVENT.
    pub const PERF_EVENT: u32 = 7;
    /// BPF_PROG_TYPE_RAW_TRACEPOINT.
    pub const RAW_TRACEPOINT: u32 = 17;
    /// BPF_PROG_TYPE_TRACING.
    pub const TRACING: u32 = 26;
    /// BPF_PROG_TYPE_LSM.
    pub const LSM: u32 = 29;
}

/// `enum bpf_attach_type` values used by the table.
pub mod attach_type {
    /// BPF_TRACE_RAW_TP (tp_btf).
    pub const TRACE_RAW_TP: u32 = 23;
    /// BPF_TRACE_FENTRY.
    pub const TRACE_FENTRY: u32 = 24;
    /// BPF_TRACE_FEXIT.
    pub const TRACE_FEXIT: u32 = 25;
    /// BPF_MODIFY_RETURN.
    pub const MODIFY_RETURN: u32 = 26;
    /// BPF_LSM_MAC.
    pub const LSM_MAC: u32 = 27;
}

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

use attach_type as at;
use prog_type as pt;
use AttachMethod as A;
use Target::{None as NoTarget, Required as Req};

/// The known section prefixes, in match order. Prefixes never overlap, so order only affects
/// how the table is printed.
#[rustfmt::skip]
pub static SEC_DEFS: &[SecDef] = &[
    def("fentry/", pt::TRACING, Some(at::TRACE_FENTRY), Req("tcp_connect"), A::Tracing),
    def("fexit/", pt::TRACING, Some(at::TRACE_FEXIT), Req("tcp_connect"), A::Tracing),
    def("fmod_ret/", pt::TRACING, Some(at::MODIFY_RETURN), Req("security_file_open"), A::Tracing),
    sleepable(def("fentry.s/", pt::TRACING, Some(at::TRACE_FENTRY), Req("do_sys_openat2"), A::Tracing)),
    sleepable(def("fexit.s/", pt::TRACING, Some(at::TRACE_FEXIT), Req("do_sys_openat2"), A::Tracing)),
    sleepable(def("fmod_ret.s/", pt::TRACING, Some(at::MODIFY_RETURN), Req("security_file_open"), A::Tracing)),
    def("tp_btf/", pt::TRACING, Some(at::TRACE_RAW_TP), Req("sched_process_exec"), A::Tracing),
    def("raw_tp/", pt::RAW_TRACEPOINT, None, Req("sys_enter"), A::RawTracepoint),
    def("raw_tracepoint/", pt::RAW_TRACEPOINT, None, Req("sys_enter"), A::RawTracepoint),
    def("tracepoint/", pt::TRACEPOINT, None, Req("syscalls/sys_enter_openat"), A::Tracepoint),
    def("tp/", pt::TRACEPOINT, None, Req("syscalls/sys_enter_openat"), A::Tracepoint),
    def("kprobe/", pt::KPROBE, None, Req("tcp_connect"), A::Kprobe { retprobe: false }),
    def("kretprobe/", pt::KPROBE, None, Req("tcp_connect"), A::Kprobe { retprobe: true }),
    def("lsm/", pt::LSM, Some(at::LSM_MAC), Req("file_open"), A::Tracing),
    sleepable(def("lsm.s/", pt::LSM, Some(at::LSM_MAC), Req("file_open"), A::Tracing)),
    def("socket", pt::SOCKET_FILTER, None, NoTarget, A::Manual),
    def("xdp", pt::XDP, None, NoTarget, A::Manual),
    def("tc", pt::SCHED_CLS, None, NoTarget, A::Manual),
    def("classifier", pt::SCHED_CLS, None, NoTarget, A::Manual),
    def("action", pt::SCHED_ACT, None, NoTarget, A::Manual),
    def("perf_event", pt::PERF_EVENT, None, NoTarget, A::Manual),
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
    Err(ObjectError::UnknownSection { section: section.into(), program: program.into(), known: known_prefixes() })
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
