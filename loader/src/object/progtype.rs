//! Section name → program type. A program's ELF section name (`SEC("fentry/tcp_connect")`) is
//! the only place a BPF object says what kind of program it holds. The convention is libbpf's:
//! this is libbpf 1.5's `section_defs[]` (src/libbpf.c), row for row and in its order, with the
//! same matching rule (`sec_def_matches`), so an object means here what it means to libbpf.
//!
//! A leading `?` (`SEC("?kprobe/...")`) is not part of the kind: it marks the program as not
//! loaded by default (see [`split_autoload`]).

use crate::sys::{AttachType, ProgType};

/// `BPF_F_SLEEPABLE`: the program may sleep (prog_flags at load).
pub const BPF_F_SLEEPABLE: u32 = 1 << 4;

/// `BPF_F_XDP_HAS_FRAGS`: the XDP program handles multi-buffer packets (prog_flags at load).
pub const BPF_F_XDP_HAS_FRAGS: u32 = 1 << 5;

/// libbpf's `enum sec_def_flags`: what a section definition implies at load time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SecFlags(u32);

impl SecFlags {
    /// `SEC_NONE`.
    pub const NONE: SecFlags = SecFlags(0);
    /// `SEC_EXP_ATTACH_OPT`: the expected attach type may be left out on kernels without it.
    pub const EXP_ATTACH_OPT: SecFlags = SecFlags(1);
    /// `SEC_ATTACHABLE`: legacy, only used by libbpf's attach-type-by-name lookups.
    pub const ATTACHABLE: SecFlags = SecFlags(2);
    /// `SEC_ATTACHABLE_OPT` = `SEC_ATTACHABLE | SEC_EXP_ATTACH_OPT`.
    pub const ATTACHABLE_OPT: SecFlags = SecFlags(3);
    /// `SEC_ATTACH_BTF`: the attach target is a BTF id, resolved at load time.
    pub const ATTACH_BTF: SecFlags = SecFlags(4);
    /// `SEC_SLEEPABLE`: loaded with `BPF_F_SLEEPABLE`.
    pub const SLEEPABLE: SecFlags = SecFlags(8);
    /// `SEC_XDP_FRAGS`: loaded with `BPF_F_XDP_HAS_FRAGS`.
    pub const XDP_FRAGS: SecFlags = SecFlags(16);
    /// `SEC_USDT`: expected attach type `BPF_TRACE_UPROBE_MULTI` where the kernel has
    /// uprobe-multi links.
    pub const USDT: SecFlags = SecFlags(32);

    /// Both sets of flags.
    pub const fn with(self, other: SecFlags) -> SecFlags {
        SecFlags(self.0 | other.0)
    }

    /// All of `other`'s flags are set.
    pub const fn contains(self, other: SecFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The bits, as libbpf's `cookie` holds them.
    pub const fn bits(self) -> u32 {
        self.0
    }
}

/// How a program of this kind gets attached: libbpf's `prog_attach_fn` of the definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachMethod {
    /// `attach_trace`, `attach_lsm`: BPF_LINK_CREATE (or BPF_RAW_TRACEPOINT_OPEN on old
    /// kernels) on the kernel BTF id resolved at load time: fentry, fexit, fmod_ret, tp_btf, lsm.
    Tracing,
    /// `attach_trace` of an freplace program: it replaces a function of another BPF program.
    Freplace,
    /// `attach_raw_tp`: BPF_RAW_TRACEPOINT_OPEN by tracepoint name.
    RawTracepoint,
    /// `attach_tp`: perf_event_open on a tracefs event id, then a perf link or
    /// PERF_EVENT_IOC_SET_BPF.
    Tracepoint,
    /// `attach_kprobe`: a kprobe (`retprobe: true` for kretprobe) on a kernel function.
    Kprobe {
        /// Attach to the function's return.
        retprobe: bool,
    },
    /// `attach_ksyscall`: a kprobe on a syscall's arch-specific entry point.
    Ksyscall {
        /// Attach to the syscall's return.
        retprobe: bool,
    },
    /// `attach_kprobe_multi`: one link on many kernel functions (a glob).
    KprobeMulti {
        /// Attach to the functions' return.
        retprobe: bool,
    },
    /// `attach_kprobe_session`: entry and return of many functions, one program.
    KprobeSession,
    /// `attach_uprobe`: a uprobe on a function of a user-space binary.
    Uprobe {
        /// Attach to the function's return.
        retprobe: bool,
    },
    /// `attach_uprobe_multi`: one link on many user-space functions.
    UprobeMulti {
        /// Attach to the functions' return.
        retprobe: bool,
    },
    /// `attach_usdt`: a USDT probe of a user-space binary.
    Usdt,
    /// `attach_iter`: a BPF iterator link.
    Iter,
    /// No automatic attachment in libbpf (sockets, XDP, tc, cgroups, perf events, struct_ops,
    /// syscall programs...): loaded only, the caller attaches it.
    Manual,
}

/// One row of libbpf's `section_defs[]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecDef {
    /// The section name as libbpf spells it: matched exactly (`socket`, `tc/ingress`) or, when
    /// it ends in `+`, as the name alone or followed by `/` and anything (`kprobe+` matches
    /// `kprobe` and `kprobe/do_unlinkat`, not `kprobe.multi`).
    pub name: &'static str,
    /// `bpf_prog_type`.
    pub prog_type: ProgType,
    /// `expected_attach_type` for BPF_PROG_LOAD; `None` where libbpf's table has 0 for "none"
    /// (the kernel gets 0 either way).
    pub expected_attach_type: Option<AttachType>,
    /// libbpf's flags for the row.
    pub flags: SecFlags,
    /// How it is attached.
    pub attach: AttachMethod,
}

impl SecDef {
    /// The name without libbpf's trailing `+` (`kprobe`, `tc/ingress`): the kind as people say it.
    pub fn kind_name(&self) -> &'static str {
        self.name.strip_suffix('+').unwrap_or(self.name)
    }

    /// libbpf's `sec_def_matches`: a name ending in `/` is a prefix, one ending in `+` matches
    /// alone or before a `/`, any other name matches exactly.
    pub fn matches(&self, section: &str) -> bool {
        if self.name.ends_with('/') {
            return section.starts_with(self.name);
        }
        match self.name.strip_suffix('+') {
            Some(stem) => section.strip_prefix(stem).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
            None => section == self.name,
        }
    }
}

use crate::sys::{AttachType as AT, ProgType as PT};
use AttachMethod as A;

/// One row: libbpf's `SEC_DEF(name, type, attach type, flags, attach fn)`.
const fn def(name: &'static str, prog_type: PT, eat: Option<AT>, flags: SecFlags, attach: A) -> SecDef {
    SecDef { name, prog_type, expected_attach_type: eat, flags, attach }
}

const NONE: SecFlags = SecFlags::NONE;
const ATTACHABLE: SecFlags = SecFlags::ATTACHABLE;
const ATTACHABLE_OPT: SecFlags = SecFlags::ATTACHABLE_OPT;
const BTF: SecFlags = SecFlags::ATTACH_BTF;
const SLEEP: SecFlags = SecFlags::SLEEPABLE;
const BTF_SLEEP: SecFlags = SecFlags::ATTACH_BTF.with(SecFlags::SLEEPABLE);
const FRAGS: SecFlags = SecFlags::XDP_FRAGS;

/// libbpf 1.5's `section_defs[]`, in its order: the first row that matches wins. The comments
/// are libbpf's attach functions, where the kind has one.
#[rustfmt::skip]
pub static SEC_DEFS: &[SecDef] = &[
    def("socket", PT::SOCKET_FILTER, None, NONE, A::Manual),
    def("sk_reuseport/migrate", PT::SK_REUSEPORT, Some(AT::SK_REUSEPORT_SELECT_OR_MIGRATE), ATTACHABLE, A::Manual),
    def("sk_reuseport", PT::SK_REUSEPORT, Some(AT::SK_REUSEPORT_SELECT), ATTACHABLE, A::Manual),
    def("kprobe+", PT::KPROBE, None, NONE, A::Kprobe { retprobe: false }),
    def("uprobe+", PT::KPROBE, None, NONE, A::Uprobe { retprobe: false }),
    def("uprobe.s+", PT::KPROBE, None, SLEEP, A::Uprobe { retprobe: false }),
    def("kretprobe+", PT::KPROBE, None, NONE, A::Kprobe { retprobe: true }),
    def("uretprobe+", PT::KPROBE, None, NONE, A::Uprobe { retprobe: true }),
    def("uretprobe.s+", PT::KPROBE, None, SLEEP, A::Uprobe { retprobe: true }),
    def("kprobe.multi+", PT::KPROBE, Some(AT::TRACE_KPROBE_MULTI), NONE, A::KprobeMulti { retprobe: false }),
    def("kretprobe.multi+", PT::KPROBE, Some(AT::TRACE_KPROBE_MULTI), NONE, A::KprobeMulti { retprobe: true }),
    def("kprobe.session+", PT::KPROBE, Some(AT::TRACE_KPROBE_SESSION), NONE, A::KprobeSession),
    def("uprobe.multi+", PT::KPROBE, Some(AT::TRACE_UPROBE_MULTI), NONE, A::UprobeMulti { retprobe: false }),
    def("uretprobe.multi+", PT::KPROBE, Some(AT::TRACE_UPROBE_MULTI), NONE, A::UprobeMulti { retprobe: true }),
    def("uprobe.multi.s+", PT::KPROBE, Some(AT::TRACE_UPROBE_MULTI), SLEEP, A::UprobeMulti { retprobe: false }),
    def("uretprobe.multi.s+", PT::KPROBE, Some(AT::TRACE_UPROBE_MULTI), SLEEP, A::UprobeMulti { retprobe: true }),
    def("ksyscall+", PT::KPROBE, None, NONE, A::Ksyscall { retprobe: false }),
    def("kretsyscall+", PT::KPROBE, None, NONE, A::Ksyscall { retprobe: true }),
    def("usdt+", PT::KPROBE, None, SecFlags::USDT, A::Usdt),
    def("usdt.s+", PT::KPROBE, None, SecFlags::USDT.with(SLEEP), A::Usdt),
    def("tc/ingress", PT::SCHED_CLS, Some(AT::TCX_INGRESS), NONE, A::Manual),
    def("tc/egress", PT::SCHED_CLS, Some(AT::TCX_EGRESS), NONE, A::Manual),
    def("tcx/ingress", PT::SCHED_CLS, Some(AT::TCX_INGRESS), NONE, A::Manual),
    def("tcx/egress", PT::SCHED_CLS, Some(AT::TCX_EGRESS), NONE, A::Manual),
    def("tc", PT::SCHED_CLS, None, NONE, A::Manual),
    def("classifier", PT::SCHED_CLS, None, NONE, A::Manual),
    def("action", PT::SCHED_ACT, None, NONE, A::Manual),
    def("netkit/primary", PT::SCHED_CLS, Some(AT::NETKIT_PRIMARY), NONE, A::Manual),
    def("netkit/peer", PT::SCHED_CLS, Some(AT::NETKIT_PEER), NONE, A::Manual),
    def("tracepoint+", PT::TRACEPOINT, None, NONE, A::Tracepoint),
    def("tp+", PT::TRACEPOINT, None, NONE, A::Tracepoint),
    def("raw_tracepoint+", PT::RAW_TRACEPOINT, None, NONE, A::RawTracepoint),
    def("raw_tp+", PT::RAW_TRACEPOINT, None, NONE, A::RawTracepoint),
    def("raw_tracepoint.w+", PT::RAW_TRACEPOINT_WRITABLE, None, NONE, A::RawTracepoint),
    def("raw_tp.w+", PT::RAW_TRACEPOINT_WRITABLE, None, NONE, A::RawTracepoint),
    def("tp_btf+", PT::TRACING, Some(AT::TRACE_RAW_TP), BTF, A::Tracing),
    def("fentry+", PT::TRACING, Some(AT::TRACE_FENTRY), BTF, A::Tracing),
    def("fmod_ret+", PT::TRACING, Some(AT::MODIFY_RETURN), BTF, A::Tracing),
    def("fexit+", PT::TRACING, Some(AT::TRACE_FEXIT), BTF, A::Tracing),
    def("fentry.s+", PT::TRACING, Some(AT::TRACE_FENTRY), BTF_SLEEP, A::Tracing),
    def("fmod_ret.s+", PT::TRACING, Some(AT::MODIFY_RETURN), BTF_SLEEP, A::Tracing),
    def("fexit.s+", PT::TRACING, Some(AT::TRACE_FEXIT), BTF_SLEEP, A::Tracing),
    def("freplace+", PT::EXT, None, BTF, A::Freplace),
    def("lsm+", PT::LSM, Some(AT::LSM_MAC), BTF, A::Tracing),
    def("lsm.s+", PT::LSM, Some(AT::LSM_MAC), BTF_SLEEP, A::Tracing),
    // No attach function in libbpf: an lsm_cgroup link needs a cgroup.
    def("lsm_cgroup+", PT::LSM, Some(AT::LSM_CGROUP), BTF, A::Manual),
    def("iter+", PT::TRACING, Some(AT::TRACE_ITER), BTF, A::Iter),
    def("iter.s+", PT::TRACING, Some(AT::TRACE_ITER), BTF_SLEEP, A::Iter),
    def("syscall", PT::SYSCALL, None, SLEEP, A::Manual),
    def("xdp.frags/devmap", PT::XDP, Some(AT::XDP_DEVMAP), FRAGS, A::Manual),
    def("xdp/devmap", PT::XDP, Some(AT::XDP_DEVMAP), ATTACHABLE, A::Manual),
    def("xdp.frags/cpumap", PT::XDP, Some(AT::XDP_CPUMAP), FRAGS, A::Manual),
    def("xdp/cpumap", PT::XDP, Some(AT::XDP_CPUMAP), ATTACHABLE, A::Manual),
    def("xdp.frags", PT::XDP, Some(AT::XDP), FRAGS, A::Manual),
    def("xdp", PT::XDP, Some(AT::XDP), ATTACHABLE_OPT, A::Manual),
    def("perf_event", PT::PERF_EVENT, None, NONE, A::Manual),
    def("lwt_in", PT::LWT_IN, None, NONE, A::Manual),
    def("lwt_out", PT::LWT_OUT, None, NONE, A::Manual),
    def("lwt_xmit", PT::LWT_XMIT, None, NONE, A::Manual),
    def("lwt_seg6local", PT::LWT_SEG6LOCAL, None, NONE, A::Manual),
    def("sockops", PT::SOCK_OPS, Some(AT::CGROUP_SOCK_OPS), ATTACHABLE_OPT, A::Manual),
    def("sk_skb/stream_parser", PT::SK_SKB, Some(AT::SK_SKB_STREAM_PARSER), ATTACHABLE_OPT, A::Manual),
    def("sk_skb/stream_verdict", PT::SK_SKB, Some(AT::SK_SKB_STREAM_VERDICT), ATTACHABLE_OPT, A::Manual),
    def("sk_skb/verdict", PT::SK_SKB, Some(AT::SK_SKB_VERDICT), ATTACHABLE_OPT, A::Manual),
    def("sk_skb", PT::SK_SKB, None, NONE, A::Manual),
    def("sk_msg", PT::SK_MSG, Some(AT::SK_MSG_VERDICT), ATTACHABLE_OPT, A::Manual),
    def("lirc_mode2", PT::LIRC_MODE2, Some(AT::LIRC_MODE2), ATTACHABLE_OPT, A::Manual),
    def("flow_dissector", PT::FLOW_DISSECTOR, Some(AT::FLOW_DISSECTOR), ATTACHABLE_OPT, A::Manual),
    def("cgroup_skb/ingress", PT::CGROUP_SKB, Some(AT::CGROUP_INET_INGRESS), ATTACHABLE_OPT, A::Manual),
    def("cgroup_skb/egress", PT::CGROUP_SKB, Some(AT::CGROUP_INET_EGRESS), ATTACHABLE_OPT, A::Manual),
    def("cgroup/skb", PT::CGROUP_SKB, None, NONE, A::Manual),
    def("cgroup/sock_create", PT::CGROUP_SOCK, Some(AT::CGROUP_INET_SOCK_CREATE), ATTACHABLE, A::Manual),
    def("cgroup/sock_release", PT::CGROUP_SOCK, Some(AT::CGROUP_INET_SOCK_RELEASE), ATTACHABLE, A::Manual),
    def("cgroup/sock", PT::CGROUP_SOCK, Some(AT::CGROUP_INET_SOCK_CREATE), ATTACHABLE_OPT, A::Manual),
    def("cgroup/post_bind4", PT::CGROUP_SOCK, Some(AT::CGROUP_INET4_POST_BIND), ATTACHABLE, A::Manual),
    def("cgroup/post_bind6", PT::CGROUP_SOCK, Some(AT::CGROUP_INET6_POST_BIND), ATTACHABLE, A::Manual),
    def("cgroup/bind4", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_INET4_BIND), ATTACHABLE, A::Manual),
    def("cgroup/bind6", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_INET6_BIND), ATTACHABLE, A::Manual),
    def("cgroup/connect4", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_INET4_CONNECT), ATTACHABLE, A::Manual),
    def("cgroup/connect6", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_INET6_CONNECT), ATTACHABLE, A::Manual),
    def("cgroup/connect_unix", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_UNIX_CONNECT), ATTACHABLE, A::Manual),
    def("cgroup/sendmsg4", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_UDP4_SENDMSG), ATTACHABLE, A::Manual),
    def("cgroup/sendmsg6", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_UDP6_SENDMSG), ATTACHABLE, A::Manual),
    def("cgroup/sendmsg_unix", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_UNIX_SENDMSG), ATTACHABLE, A::Manual),
    def("cgroup/recvmsg4", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_UDP4_RECVMSG), ATTACHABLE, A::Manual),
    def("cgroup/recvmsg6", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_UDP6_RECVMSG), ATTACHABLE, A::Manual),
    def("cgroup/recvmsg_unix", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_UNIX_RECVMSG), ATTACHABLE, A::Manual),
    def("cgroup/getpeername4", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_INET4_GETPEERNAME), ATTACHABLE, A::Manual),
    def("cgroup/getpeername6", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_INET6_GETPEERNAME), ATTACHABLE, A::Manual),
    def("cgroup/getpeername_unix", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_UNIX_GETPEERNAME), ATTACHABLE, A::Manual),
    def("cgroup/getsockname4", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_INET4_GETSOCKNAME), ATTACHABLE, A::Manual),
    def("cgroup/getsockname6", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_INET6_GETSOCKNAME), ATTACHABLE, A::Manual),
    def("cgroup/getsockname_unix", PT::CGROUP_SOCK_ADDR, Some(AT::CGROUP_UNIX_GETSOCKNAME), ATTACHABLE, A::Manual),
    def("cgroup/sysctl", PT::CGROUP_SYSCTL, Some(AT::CGROUP_SYSCTL), ATTACHABLE, A::Manual),
    def("cgroup/getsockopt", PT::CGROUP_SOCKOPT, Some(AT::CGROUP_GETSOCKOPT), ATTACHABLE, A::Manual),
    def("cgroup/setsockopt", PT::CGROUP_SOCKOPT, Some(AT::CGROUP_SETSOCKOPT), ATTACHABLE, A::Manual),
    def("cgroup/dev", PT::CGROUP_DEVICE, Some(AT::CGROUP_DEVICE), ATTACHABLE_OPT, A::Manual),
    def("struct_ops+", PT::STRUCT_OPS, None, NONE, A::Manual),
    def("struct_ops.s+", PT::STRUCT_OPS, None, SLEEP, A::Manual),
    def("sk_lookup", PT::SK_LOOKUP, Some(AT::SK_LOOKUP), ATTACHABLE, A::Manual),
    def("netfilter", PT::NETFILTER, Some(AT::NETFILTER), NONE, A::Manual),
];

/// What a program section name means: its table row and the attach target after the kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgKind {
    /// The matching table row.
    pub def: SecDef,
    /// For a `+` row, the text after `kind/` (`tcp_connect`, `syscalls/sys_enter_openat` for
    /// tracepoints, `/bin/bash:readline` for uprobes); `None` when the section is the kind
    /// alone (`SEC("kprobe")`), ends at the `/`, or the row is an exact name. A loader can set
    /// another target for a BTF-attached kind (libbpf's `bpf_program__set_attach_target`).
    pub attach_target: Option<String>,
}

impl ProgKind {
    /// `bpf_prog_type`.
    pub fn prog_type(&self) -> u32 {
        self.def.prog_type.0
    }

    /// `expected_attach_type` as libbpf's table gives it (0 when the kind has none). The
    /// loader changes it for USDT programs on kernels with uprobe-multi links, as libbpf does.
    pub fn expected_attach_type(&self) -> u32 {
        self.def.expected_attach_type.map_or(0, |a| a.0)
    }

    /// `prog_flags` for BPF_PROG_LOAD, as libbpf's `libbpf_prepare_prog_load` sets them.
    pub fn prog_flags(&self) -> u32 {
        let mut flags = 0;
        if self.def.flags.contains(SecFlags::SLEEPABLE) {
            flags |= BPF_F_SLEEPABLE;
        }
        if self.def.prog_type == PT::XDP && self.def.flags.contains(SecFlags::XDP_FRAGS) {
            flags |= BPF_F_XDP_HAS_FRAGS;
        }
        flags
    }

    /// The kind attaches to a BTF id found at load time (fentry, tp_btf, lsm, iter, freplace...).
    pub fn attaches_by_btf_id(&self) -> bool {
        self.def.flags.contains(SecFlags::ATTACH_BTF)
    }
}

/// Splits libbpf's "not loaded by default" marker off a section name: `?kprobe/x` is
/// `(false, "kprobe/x")`, `kprobe/x` is `(true, "kprobe/x")`.
pub fn split_autoload(section: &str) -> (bool, &str) {
    match section.strip_prefix('?') {
        Some(rest) => (false, rest),
        None => (true, section),
    }
}

/// The row of [`SEC_DEFS`] a section name (without its `?`) matches, with its attach target;
/// `None` when libbpf knows no such kind.
pub fn classify(section: &str) -> Option<ProgKind> {
    let def = SEC_DEFS.iter().find(|d| d.matches(section))?;
    let attach_target = match def.name.strip_suffix('+') {
        Some(stem) => section[stem.len()..].strip_prefix('/').filter(|t| !t.is_empty()).map(str::to_owned),
        None => None,
    };
    Some(ProgKind { def: *def, attach_target })
}

/// Up to `limit` kind names close to an unknown section name's kind (the part before the first
/// `/`): `fentri/x` → `fentry`. For messages about a typo.
pub fn close_kinds(section: &str, limit: usize) -> Vec<&'static str> {
    let kind = section.split('/').next().unwrap_or(section);
    let mut found: Vec<(usize, &'static str)> = SEC_DEFS
        .iter()
        .map(SecDef::kind_name)
        .filter_map(|name| {
            let stem = name.split('/').next().unwrap_or(name);
            Some(edit_distance(kind, stem)).filter(|&d| d <= 2 && d < kind.len()).map(|d| (d, name))
        })
        .collect();
    found.sort();
    let mut names: Vec<&'static str> = Vec::new();
    for (_, n) in found {
        let stem = n.split('/').next().unwrap_or(n);
        if !names.iter().any(|m| m.split('/').next() == Some(stem)) {
            names.push(stem);
        }
    }
    names.truncate(limit);
    names
}

/// Levenshtein distance (names here are short, so the plain two-row table is enough).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests;
