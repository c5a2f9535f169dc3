// SPDX-License-Identifier: GPL-2.0
/*
 * The same pinned map name as progs/pin_counts.bpf.c, declared differently (4-byte values,
 * 16 entries): a load of one after the other must refuse to reuse the pin, naming each
 * attribute that differs.
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

#define LIBBPF_PIN_BY_NAME 1

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rawbpf_pid_calls SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int rawbpf_count_getpid_small(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32, one = 1;

	bpf_map_update_elem(&rawbpf_pid_calls, &pid, &one, BPF_ANY);
	return 0;
}
