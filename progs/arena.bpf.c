// SPDX-License-Identifier: GPL-2.0
/*
 * `__arena` globals: variables in address space 1, which clang puts in `.addr_space.1` and
 * reaches through addr_space_cast. They live in the pages of the object's ARENA map
 * (Linux 6.9+): the loader copies the section into the arena's first page after creating it,
 * as libbpf 1.5 does, so rawbpf_arena_hits starts at 41 and the first getpid prints 42.
 */
#include "vmlinux.h"
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

#define __arena __attribute__((address_space(1)))

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2); /* pages */
} rawbpf_arena SEC(".maps");

__u64 __arena rawbpf_arena_hits = 41;
__u64 __arena rawbpf_arena_evens; /* zero-initialized, still in .addr_space.1 */

SEC("tracepoint/syscalls/sys_enter_getpid")
int rawbpf_arena_getpid(void *ctx)
{
	rawbpf_arena_hits += 1;
	rawbpf_arena_evens += 2;
	bpf_printk("rawbpf-arena: pid=%d hits=%llu evens=%llu", (__u32)(bpf_get_current_pid_tgid() >> 32),
		   rawbpf_arena_hits, rawbpf_arena_evens);
	return 0;
}
