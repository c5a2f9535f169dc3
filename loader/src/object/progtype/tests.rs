//! The section table against libbpf 1.5's `section_defs[]`, written out by hand from
//! src/libbpf.c (v1.5.0) in libbpf's own terms, so a typo in `SEC_DEFS` shows up as a
//! difference rather than being copied into the expectation.

use super::*;

/// One line per section name form: the name, then what libbpf 1.5 makes of it: program type,
/// expected attach type (`-` for 0/none), prog_flags at load, attach target (`-` for none).
/// Every row of `section_defs[]` appears, `+` rows both alone and with a target.
const LIBBPF_1_5: &str = "
socket                          socket_filter            -                              0   -
sk_reuseport/migrate            sk_reuseport             sk_reuseport_select_or_migrate 0   -
sk_reuseport                    sk_reuseport             sk_reuseport_select            0   -
kprobe                          kprobe                   -                              0   -
kprobe/do_unlinkat              kprobe                   -                              0   do_unlinkat
kprobe/                         kprobe                   -                              0   -
uprobe                          kprobe                   -                              0   -
uprobe//bin/bash:readline       kprobe                   -                              0   /bin/bash:readline
uprobe.s                        kprobe                   -                              16  -
uprobe.s/libc.so.6:malloc       kprobe                   -                              16  libc.so.6:malloc
kretprobe                       kprobe                   -                              0   -
kretprobe/tcp_connect           kprobe                   -                              0   tcp_connect
uretprobe                       kprobe                   -                              0   -
uretprobe//bin/bash:readline    kprobe                   -                              0   /bin/bash:readline
uretprobe.s                     kprobe                   -                              16  -
uretprobe.s/libc.so.6:free      kprobe                   -                              16  libc.so.6:free
kprobe.multi                    kprobe                   trace_kprobe_multi             0   -
kprobe.multi/tcp_*              kprobe                   trace_kprobe_multi             0   tcp_*
kretprobe.multi                 kprobe                   trace_kprobe_multi             0   -
kretprobe.multi/tcp_*           kprobe                   trace_kprobe_multi             0   tcp_*
kprobe.session                  kprobe                   trace_kprobe_session           0   -
kprobe.session/vfs_*            kprobe                   trace_kprobe_session           0   vfs_*
uprobe.multi                    kprobe                   trace_uprobe_multi             0   -
uprobe.multi//bin/sh:f*         kprobe                   trace_uprobe_multi             0   /bin/sh:f*
uretprobe.multi                 kprobe                   trace_uprobe_multi             0   -
uretprobe.multi//bin/sh:f*      kprobe                   trace_uprobe_multi             0   /bin/sh:f*
uprobe.multi.s                  kprobe                   trace_uprobe_multi             16  -
uprobe.multi.s//bin/sh:f*       kprobe                   trace_uprobe_multi             16  /bin/sh:f*
uretprobe.multi.s               kprobe                   trace_uprobe_multi             16  -
uretprobe.multi.s//bin/sh:f*    kprobe                   trace_uprobe_multi             16  /bin/sh:f*
ksyscall                        kprobe                   -                              0   -
ksyscall/openat                 kprobe                   -                              0   openat
kretsyscall                     kprobe                   -                              0   -
kretsyscall/openat              kprobe                   -                              0   openat
usdt                            kprobe                   -                              0   -
usdt/libc.so.6:libc:setjmp      kprobe                   -                              0   libc.so.6:libc:setjmp
usdt.s                          kprobe                   -                              16  -
usdt.s/libc.so.6:libc:setjmp    kprobe                   -                              16  libc.so.6:libc:setjmp
tc/ingress                      sched_cls                tcx_ingress                    0   -
tc/egress                       sched_cls                tcx_egress                     0   -
tcx/ingress                     sched_cls                tcx_ingress                    0   -
tcx/egress                      sched_cls                tcx_egress                     0   -
tc                              sched_cls                -                              0   -
classifier                      sched_cls                -                              0   -
action                          sched_act                -                              0   -
netkit/primary                  sched_cls                netkit_primary                 0   -
netkit/peer                     sched_cls                netkit_peer                    0   -
tracepoint                      tracepoint               -                              0   -
tracepoint/syscalls/sys_enter_openat tracepoint          -                              0   syscalls/sys_enter_openat
tp                              tracepoint               -                              0   -
tp/sched/sched_switch           tracepoint               -                              0   sched/sched_switch
raw_tracepoint                  raw_tracepoint           -                              0   -
raw_tracepoint/sys_enter        raw_tracepoint           -                              0   sys_enter
raw_tp                          raw_tracepoint           -                              0   -
raw_tp/sched_switch             raw_tracepoint           -                              0   sched_switch
raw_tracepoint.w                raw_tracepoint_writable  -                              0   -
raw_tracepoint.w/bpf_test_finish raw_tracepoint_writable -                              0   bpf_test_finish
raw_tp.w                        raw_tracepoint_writable  -                              0   -
raw_tp.w/bpf_test_finish        raw_tracepoint_writable  -                              0   bpf_test_finish
tp_btf                          tracing                  trace_raw_tp                   0   -
tp_btf/sched_switch             tracing                  trace_raw_tp                   0   sched_switch
fentry                          tracing                  trace_fentry                   0   -
fentry/tcp_connect              tracing                  trace_fentry                   0   tcp_connect
fentry/nf_tables:nft_do_chain   tracing                  trace_fentry                   0   nf_tables:nft_do_chain
fmod_ret                        tracing                  modify_return                  0   -
fmod_ret/security_file_open     tracing                  modify_return                  0   security_file_open
fexit                           tracing                  trace_fexit                    0   -
fexit/tcp_connect               tracing                  trace_fexit                    0   tcp_connect
fentry.s                        tracing                  trace_fentry                   16  -
fentry.s/do_sys_openat2         tracing                  trace_fentry                   16  do_sys_openat2
fmod_ret.s                      tracing                  modify_return                  16  -
fmod_ret.s/security_file_open   tracing                  modify_return                  16  security_file_open
fexit.s                         tracing                  trace_fexit                    16  -
fexit.s/do_sys_openat2          tracing                  trace_fexit                    16  do_sys_openat2
freplace                        ext                      -                              0   -
freplace/handle_packet          ext                      -                              0   handle_packet
lsm                             lsm                      lsm_mac                        0   -
lsm/file_open                   lsm                      lsm_mac                        0   file_open
lsm.s                           lsm                      lsm_mac                        16  -
lsm.s/bprm_committed_creds      lsm                      lsm_mac                        16  bprm_committed_creds
lsm_cgroup                      lsm                      lsm_cgroup                     0   -
lsm_cgroup/socket_bind          lsm                      lsm_cgroup                     0   socket_bind
iter                            tracing                  trace_iter                     0   -
iter/task                       tracing                  trace_iter                     0   task
iter.s                          tracing                  trace_iter                     16  -
iter.s/task_file                tracing                  trace_iter                     16  task_file
syscall                         syscall                  -                              16  -
xdp.frags/devmap                xdp                      xdp_devmap                     32  -
xdp/devmap                      xdp                      xdp_devmap                     0   -
xdp.frags/cpumap                xdp                      xdp_cpumap                     32  -
xdp/cpumap                      xdp                      xdp_cpumap                     0   -
xdp.frags                       xdp                      xdp                            32  -
xdp                             xdp                      xdp                            0   -
perf_event                      perf_event               -                              0   -
lwt_in                          lwt_in                   -                              0   -
lwt_out                         lwt_out                  -                              0   -
lwt_xmit                        lwt_xmit                 -                              0   -
lwt_seg6local                   lwt_seg6local            -                              0   -
sockops                         sock_ops                 cgroup_sock_ops                0   -
sk_skb/stream_parser            sk_skb                   sk_skb_stream_parser           0   -
sk_skb/stream_verdict           sk_skb                   sk_skb_stream_verdict          0   -
sk_skb/verdict                  sk_skb                   sk_skb_verdict                 0   -
sk_skb                          sk_skb                   -                              0   -
sk_msg                          sk_msg                   sk_msg_verdict                 0   -
lirc_mode2                      lirc_mode2               lirc_mode2                     0   -
flow_dissector                  flow_dissector           flow_dissector                 0   -
cgroup_skb/ingress              cgroup_skb               cgroup_inet_ingress            0   -
cgroup_skb/egress               cgroup_skb               cgroup_inet_egress             0   -
cgroup/skb                      cgroup_skb               -                              0   -
cgroup/sock_create              cgroup_sock              cgroup_inet_sock_create        0   -
cgroup/sock_release             cgroup_sock              cgroup_inet_sock_release       0   -
cgroup/sock                     cgroup_sock              cgroup_inet_sock_create        0   -
cgroup/post_bind4               cgroup_sock              cgroup_inet4_post_bind         0   -
cgroup/post_bind6               cgroup_sock              cgroup_inet6_post_bind         0   -
cgroup/bind4                    cgroup_sock_addr         cgroup_inet4_bind              0   -
cgroup/bind6                    cgroup_sock_addr         cgroup_inet6_bind              0   -
cgroup/connect4                 cgroup_sock_addr         cgroup_inet4_connect           0   -
cgroup/connect6                 cgroup_sock_addr         cgroup_inet6_connect           0   -
cgroup/connect_unix             cgroup_sock_addr         cgroup_unix_connect            0   -
cgroup/sendmsg4                 cgroup_sock_addr         cgroup_udp4_sendmsg            0   -
cgroup/sendmsg6                 cgroup_sock_addr         cgroup_udp6_sendmsg            0   -
cgroup/sendmsg_unix             cgroup_sock_addr         cgroup_unix_sendmsg            0   -
cgroup/recvmsg4                 cgroup_sock_addr         cgroup_udp4_recvmsg            0   -
cgroup/recvmsg6                 cgroup_sock_addr         cgroup_udp6_recvmsg            0   -
cgroup/recvmsg_unix             cgroup_sock_addr         cgroup_unix_recvmsg            0   -
cgroup/getpeername4             cgroup_sock_addr         cgroup_inet4_getpeername       0   -
cgroup/getpeername6             cgroup_sock_addr         cgroup_inet6_getpeername       0   -
cgroup/getpeername_unix         cgroup_sock_addr         cgroup_unix_getpeername        0   -
cgroup/getsockname4             cgroup_sock_addr         cgroup_inet4_getsockname       0   -
cgroup/getsockname6             cgroup_sock_addr         cgroup_inet6_getsockname       0   -
cgroup/getsockname_unix         cgroup_sock_addr         cgroup_unix_getsockname        0   -
cgroup/sysctl                   cgroup_sysctl            cgroup_sysctl                  0   -
cgroup/getsockopt               cgroup_sockopt           cgroup_getsockopt              0   -
cgroup/setsockopt               cgroup_sockopt           cgroup_setsockopt              0   -
cgroup/dev                      cgroup_device            cgroup_device                  0   -
struct_ops                      struct_ops               -                              0   -
struct_ops/tcp_init             struct_ops               -                              0   tcp_init
struct_ops.s                    struct_ops               -                              16  -
struct_ops.s/sleepy_init        struct_ops               -                              16  sleepy_init
sk_lookup                       sk_lookup                sk_lookup                      0   -
netfilter                       netfilter                netfilter                      0   -
";

/// Names libbpf 1.5 matches to no row: exact rows take no suffix, `+` rows need `/` after the
/// kind, and there is no prefix matching.
const UNKNOWN: &[&str] = &[
    "xdp/anything", // "xdp" is exact (libbpf 1.0 dropped the sloppy prefixes)
    "xdp_prog",
    "socket/1",
    "tc/anything", // only tc/ingress and tc/egress
    "tcx",
    "tcx/other",
    "kprobe.foo/x", // not kprobe+, whose kind must end at '/'
    "kprobes/x",
    "kprobe.multi.s/x", // there is no sleepable kprobe.multi
    "fentri/tcp_connect",
    "cgroup/other",
    "cgroup",
    "sk_skb/other",
    "netkit",
    "lsm.s.x",
    ".text",
    "",
];

#[test]
fn every_libbpf_section_form_classifies_as_libbpf_does() {
    let mut rows = 0;
    for line in LIBBPF_1_5.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [section, prog_type, attach_type, flags, target] = f[..] else { panic!("bad row: {line}") };
        let kind = classify(section).unwrap_or_else(|| panic!("{section}: libbpf knows it, rawbpf does not"));
        let got_type = ProgType(kind.prog_type()).name().unwrap_or("?");
        assert_eq!(got_type, prog_type, "{section}: program type");
        let want_attach = if attach_type == "-" { 0 } else { AttachType::from_name(attach_type).expect(attach_type).0 };
        assert_eq!(kind.expected_attach_type(), want_attach, "{section}: expected attach type");
        assert_eq!(kind.prog_flags().to_string(), flags, "{section}: prog_flags");
        let want_target = (target != "-").then_some(target);
        assert_eq!(kind.attach_target.as_deref(), want_target, "{section}: attach target");
        rows += 1;
    }
    // Each row of section_defs[] is exercised at least once (the forms above name them all).
    for d in SEC_DEFS {
        let named = LIBBPF_1_5
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .any(|s| classify(s).is_some_and(|k| k.def == *d));
        assert!(named, "{}: no form of this row in the expected table", d.name);
    }
    assert_eq!(SEC_DEFS.len(), 101, "libbpf 1.5 has 101 section definitions");
    assert!(rows > SEC_DEFS.len());
}

#[test]
fn names_libbpf_does_not_know_match_no_row() {
    for s in UNKNOWN {
        assert_eq!(classify(s), None, "{s:?}");
    }
}

#[test]
fn the_first_matching_row_wins_in_libbpf_order() {
    // tc/ingress is a tcx alias and comes before the legacy "tc"; sk_reuseport/migrate before
    // sk_reuseport; the .s rows are separate rows, not flags on the plain ones.
    assert_eq!(classify("tc/ingress").unwrap().def.name, "tc/ingress");
    assert_eq!(classify("sk_reuseport/migrate").unwrap().def.name, "sk_reuseport/migrate");
    assert_eq!(classify("uprobe.s/x").unwrap().def.name, "uprobe.s+");
    assert_eq!(classify("kretprobe.multi/x").unwrap().def.name, "kretprobe.multi+");
    // Targets keep every '/' after the first one.
    assert_eq!(
        classify("uprobe//usr/lib/libc.so.6:malloc").unwrap().attach_target.as_deref(),
        Some("/usr/lib/libc.so.6:malloc")
    );
}

#[test]
fn attach_methods_follow_libbpfs_attach_functions() {
    let method = |s: &str| classify(s).unwrap().def.attach;
    assert_eq!(method("kretprobe/x"), AttachMethod::Kprobe { retprobe: true });
    assert_eq!(method("kretsyscall/x"), AttachMethod::Ksyscall { retprobe: true });
    assert_eq!(method("uretprobe.multi.s/x"), AttachMethod::UprobeMulti { retprobe: true });
    assert_eq!(method("usdt.s/x"), AttachMethod::Usdt);
    assert_eq!(method("lsm.s/x"), AttachMethod::Tracing);
    assert_eq!(method("lsm_cgroup/x"), AttachMethod::Manual);
    assert_eq!(method("freplace/x"), AttachMethod::Freplace);
    assert_eq!(method("raw_tp.w/x"), AttachMethod::RawTracepoint);
    assert_eq!(method("xdp"), AttachMethod::Manual);
    assert!(classify("tp_btf").unwrap().attaches_by_btf_id() && !classify("raw_tp/x").unwrap().attaches_by_btf_id());
    assert!(classify("usdt").unwrap().def.flags.contains(SecFlags::USDT));
}

#[test]
fn a_question_mark_only_turns_autoload_off() {
    assert_eq!(split_autoload("?kprobe/x"), (false, "kprobe/x"));
    assert_eq!(split_autoload("kprobe/x"), (true, "kprobe/x"));
    assert_eq!(split_autoload("??x"), (false, "?x"));
    assert_eq!(classify(split_autoload("?tp_btf/sched_switch").1).unwrap().def.name, "tp_btf+");
}

#[test]
fn typos_get_close_kinds() {
    assert_eq!(close_kinds("fentri/tcp_connect", 3), ["fentry"]);
    assert_eq!(close_kinds("kprob/x", 3)[0], "kprobe");
    assert!(close_kinds("zzzzzzzz/x", 3).is_empty());
    assert!(close_kinds("", 3).is_empty());
}
