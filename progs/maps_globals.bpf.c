// SPDX-License-Identifier: GPL-2.0
/*
 * Maps and global data: a BTF-defined hash map and array map, a .rodata constant, a .data
 * counter and a .bss slot, and subprograms in .text: the program calls record_pid, then
 * bump_calls; record_pid calls add_to twice. The linker appends each once, depth-first like
 * libbpf (record_pid, add_to, bump_calls), and fixes the call offsets.
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

/* Records the pid in .bss and the stats array, and counts through add_to (called twice here). */
static __noinline int record_pid(__u32 pid)
{
	__u32 slot = 0;
	struct rawbpf_stat *s = bpf_map_lookup_elem(&rawbpf_stats, &slot);

	rawbpf_last_pid = pid;
	if (s) {
		s->count++;
		s->last_ns = bpf_ktime_get_ns();
	}
	add_to(0, rawbpf_magic);
	return add_to(pid & 0xff, 1) > 0;
}

/* Increments the .data counter. */
static __noinline __u64 bump_calls(void)
{
	return ++rawbpf_calls;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int rawbpf_maps_globals(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 calls;

	record_pid(pid);
	calls = bump_calls();
	bpf_printk("rawbpf-maps_globals: magic=%x calls=%llu pid=%d", rawbpf_magic, calls, pid);
	return 0;
}
