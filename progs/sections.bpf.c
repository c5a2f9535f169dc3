// SPDX-License-Identifier: GPL-2.0
/*
 * One trivial program per kind of libbpf's section table (libbpf 1.5 `section_defs[]`), so the
 * program type, expected attach type and flags each section name implies can be checked against
 * the kernel: rawbpf/tests/host_sections.rs loads every program alone with rawbpf and with
 * libbpf and compares their verdicts and tags.
 *
 * Each body does the least that still depends on what the section says, where the kernel checks
 * it at load time: the sleepable kinds call bpf_copy_from_user (the verifier refuses it without
 * BPF_F_SLEEPABLE), cgroup/connect4 reads user_ip4 (allowed only for the connect4 attach type).
 * None is attached by the tests; loading is the point.
 */
#include "vmlinux.h"
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

static long (*bpf_copy_from_user)(void *dst, __u32 size, const void *user_ptr) = (void *)148;

SEC("socket")
int k_socket(struct __sk_buff *skb) { return 0; }

SEC("kprobe")
int k_kprobe_bare(struct pt_regs *ctx) { return 0; }

SEC("kprobe/do_nanosleep")
int k_kprobe(struct pt_regs *ctx) { return 0; }

SEC("kretprobe/do_nanosleep")
int k_kretprobe(struct pt_regs *ctx) { return 0; }

SEC("ksyscall/nanosleep")
int k_ksyscall(struct pt_regs *ctx) { return 0; }

SEC("kprobe.multi/do_nano*")
int k_kprobe_multi(struct pt_regs *ctx) { return 0; }

SEC("kprobe.session/do_nanosleep")
int k_kprobe_session(struct pt_regs *ctx) { return 0; }

SEC("uprobe//proc/self/exe:main")
int k_uprobe(struct pt_regs *ctx) { return 0; }

SEC("uprobe.s//proc/self/exe:main")
int k_uprobe_s(struct pt_regs *ctx)
{
	char buf[8];
	return bpf_copy_from_user(buf, sizeof(buf), (void *)ctx->di);
}

SEC("uretprobe.multi.s//proc/self/exe:main")
int k_uretprobe_multi_s(struct pt_regs *ctx)
{
	char buf[8];
	return bpf_copy_from_user(buf, sizeof(buf), (void *)ctx->di);
}

SEC("usdt")
int k_usdt(struct pt_regs *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_enter_nanosleep")
int k_tracepoint(void *ctx) { return 0; }

SEC("tp")
int k_tp_bare(void *ctx) { return 0; }

SEC("raw_tp/sys_enter")
int k_raw_tp(void *ctx) { return 0; }

SEC("raw_tp.w/bpf_test_finish")
int k_raw_tp_w(void *ctx) { return 0; }

SEC("tp_btf/sched_switch")
int k_tp_btf(void *ctx) { return 0; }

SEC("iter/task")
int k_iter(struct bpf_iter__task *ctx) { return 0; }

SEC("syscall")
int k_syscall(void *ctx)
{
	char buf[8];
	return bpf_copy_from_user(buf, sizeof(buf), ctx);
}

SEC("tc")
int k_tc(struct __sk_buff *skb) { return 0; }

SEC("tcx/ingress")
int k_tcx_ingress(struct __sk_buff *skb) { return 0; }

SEC("tc/egress")
int k_tc_egress(struct __sk_buff *skb) { return 0; }

SEC("netkit/primary")
int k_netkit(struct __sk_buff *skb) { return 0; }

SEC("action")
int k_action(struct __sk_buff *skb) { return 0; }

SEC("xdp")
int k_xdp(struct xdp_md *ctx) { return 2; }

SEC("xdp.frags")
int k_xdp_frags(struct xdp_md *ctx) { return 2; }

SEC("xdp/devmap")
int k_xdp_devmap(struct xdp_md *ctx) { return 2; }

SEC("xdp.frags/cpumap")
int k_xdp_frags_cpumap(struct xdp_md *ctx) { return 2; }

SEC("perf_event")
int k_perf_event(struct bpf_perf_event_data *ctx) { return 0; }

SEC("lwt_in")
int k_lwt_in(struct __sk_buff *skb) { return 0; }

SEC("sockops")
int k_sockops(struct bpf_sock_ops *ctx) { return 1; }

SEC("sk_skb/stream_verdict")
int k_sk_skb(struct __sk_buff *skb) { return 1; }

SEC("sk_msg")
int k_sk_msg(struct sk_msg_md *msg) { return 1; }

SEC("sk_lookup")
int k_sk_lookup(struct bpf_sk_lookup *ctx) { return 1; }

SEC("sk_reuseport/migrate")
int k_sk_reuseport(struct sk_reuseport_md *ctx) { return 1; }

SEC("flow_dissector")
int k_flow_dissector(struct __sk_buff *skb) { return 0; }

SEC("cgroup_skb/ingress")
int k_cgroup_skb(struct __sk_buff *skb) { return 1; }

SEC("cgroup/sock_create")
int k_sock_create(struct bpf_sock *sk) { return 1; }

SEC("cgroup/connect4")
int k_connect4(struct bpf_sock_addr *ctx) { return ctx->user_ip4 != 0; }

SEC("cgroup/sendmsg_unix")
int k_sendmsg_unix(struct bpf_sock_addr *ctx) { return 1; }

SEC("cgroup/sysctl")
int k_sysctl(struct bpf_sysctl *ctx) { return 1; }

SEC("cgroup/getsockopt")
int k_getsockopt(struct bpf_sockopt *ctx) { return 1; }

SEC("cgroup/dev")
int k_dev(struct bpf_cgroup_dev_ctx *ctx) { return 1; }

SEC("netfilter")
int k_netfilter(struct bpf_nf_ctx *ctx) { return 1; }
