// SPDX-License-Identifier: GPL-2.0
/*
 * A map pinned by name: rawbpf_pid_calls counts getpid calls per process and is declared
 * `__uint(pinning, LIBBPF_PIN_BY_NAME)`, so the first load pins it at <pin root>/rawbpf_pid_calls
 * and every later load reuses it (same map, counts carry over). Watch it grow with
 * `rawbpf load progs/pin_counts.o --show-maps`.
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

/* libbpf's enum libbpf_pin_type, from bpf_helpers.h. */
#define LIBBPF_PIN_BY_NAME 1

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rawbpf_pid_calls SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int rawbpf_count_getpid(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *n = bpf_map_lookup_elem(&rawbpf_pid_calls, &pid);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&rawbpf_pid_calls, &pid, &one, BPF_NOEXIST);
	return 0;
}
