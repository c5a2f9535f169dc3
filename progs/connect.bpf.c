// SPDX-License-Identifier: GPL-2.0
/*
 * fentry and fexit on tcp_connect(). The fentry program reads the destination port and address
 * straight from the BTF-typed `struct sock *`: the field offsets are CO-RE relocations that the
 * loader fixes for the running kernel. The printed formats are a contract with tests/vm.
 */
/* vmlinux.h marks its structs preserve_access_index itself; this makes sure, whoever generated it. */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/tcp_connect")
int BPF_PROG(rawbpf_fentry_connect, struct sock *sk)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u16 dport = sk->__sk_common.skc_dport;
	__u32 daddr = sk->__sk_common.skc_daddr;

	bpf_printk("fentry tcp_connect: pid=%d dport=%u daddr=%x", pid, bpf_ntohs(dport), daddr);
	return 0;
}

SEC("fexit/tcp_connect")
int BPF_PROG(rawbpf_fexit_connect, struct sock *sk, int ret)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	bpf_printk("fexit tcp_connect: pid=%d ret=%d", pid, ret);
	return 0;
}
