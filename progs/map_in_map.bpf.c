// SPDX-License-Identifier: GPL-2.0
/*
 * Initial values of map-in-map and prog-array maps (`__array(values, ...)`): the loader
 * creates rawbpf_outer against a template of its inner maps, puts rawbpf_inner_a in slot 0
 * and rawbpf_inner_b in slot 2, and puts the program rawbpf_mim_tail in slot 1 of
 * rawbpf_jump once it is loaded. On getpid, the entry program counts in whichever inner map
 * slot 0 holds, then tail-calls slot 1, which prints the count.
 */
#include "vmlinux.h"
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

struct rawbpf_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

struct rawbpf_inner rawbpf_inner_a SEC(".maps");
struct rawbpf_inner rawbpf_inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct rawbpf_inner);
} rawbpf_outer SEC(".maps") = {
	.values = { [0] = &rawbpf_inner_a, [2] = &rawbpf_inner_b },
};

int rawbpf_mim_tail(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int(void *));
} rawbpf_jump SEC(".maps") = {
	.values = { [1] = (void *)&rawbpf_mim_tail },
};

__u64 rawbpf_mim_count; /* .bss: the count, for the tail call to print */

SEC("tracepoint/syscalls/sys_enter_getpid")
int rawbpf_mim_getpid(void *ctx)
{
	__u32 zero = 0;
	void *inner = bpf_map_lookup_elem(&rawbpf_outer, &zero);
	__u64 *n;

	if (!inner)
		return 0;
	n = bpf_map_lookup_elem(inner, &zero);
	if (!n)
		return 0;
	*n += 1;
	rawbpf_mim_count = *n;
	bpf_tail_call(ctx, &rawbpf_jump, 1);
	bpf_printk("rawbpf-mim: tail call failed pid=%d", (__u32)(bpf_get_current_pid_tgid() >> 32));
	return 0;
}

/* Reached only through rawbpf_jump[1]; its own section attaches it to getppid, unused here. */
SEC("tracepoint/syscalls/sys_enter_getppid")
int rawbpf_mim_tail(void *ctx)
{
	bpf_printk("rawbpf-mim: tail pid=%d count=%llu", (__u32)(bpf_get_current_pid_tgid() >> 32), rawbpf_mim_count);
	return 0;
}
