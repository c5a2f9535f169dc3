// SPDX-License-Identifier: GPL-2.0
/*
 * Maps and global data: a BTF-defined hash map and array map, a .rodata constant, a .data
 * counter and a .bss slot, and subprograms in .text (add_to is called from two places,
 * record_pid calls add_to: the linker appends each once and fixes the call offsets).
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

struct rawbpf_stat {
	__u64 count;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} rawbpf_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct rawbpf_stat);
} rawbpf_stats SEC(".maps");

const volatile __u32 rawbpf_magic = 0xc0ffee; /* .rodata */
__u64 rawbpf_calls = 1;                        /* .data */
__u32 rawbpf_last_pid;                         /* .bss */

/* Adds delta to counts[key]; returns the new value. Called twice below. */
static __noinline __u64 add_to(__u32 key, __u64 delta)
{
	__u64 *v = bpf_map_lookup_elem(&rawbpf_counts, &key);
	__u64 n = delta;

	if (v)
		n += *v;
	bpf_map_update_elem(&rawbpf_counts, &key, &n, BPF_ANY);
	return n;
}

/* Records the pid in .bss and in the stats array; calls add_to (a subprogram calling a subprogram). */
static __noinline int record_pid(__u32 pid)
{
	__u32 slot = 0;
	struct rawbpf_stat *s = bpf_map_lookup_elem(&rawbpf_stats, &slot);

	rawbpf_last_pid = pid;
	if (s) {
		s->count++;
		s->last_ns = bpf_ktime_get_ns();
	}
	return add_to(pid & 0xff, 1) > 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int rawbpf_maps_globals(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	rawbpf_calls++;
	add_to(0, rawbpf_magic);
	record_pid(pid);
	bpf_printk("rawbpf-maps_globals: magic=%x calls=%llu pid=%d", rawbpf_magic, rawbpf_calls, pid);
	return 0;
}
