// SPDX-License-Identifier: GPL-2.0
/*
 * Global variables set from user space, the tutorial's `const volatile` step: `rawbpf load
 * globals.o --set target_pid=1234 --set greeting=hi` writes the values into the .rodata map
 * before the program loads, and because .rodata is frozen the verifier knows them as
 * constants (a filter on target_pid == 0 is removed as dead code when a pid is set). The
 * .data and .bss variables start with what --set gives them and the program updates them.
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

enum rawbpf_level { RAWBPF_QUIET = 0, RAWBPF_NORMAL = 1, RAWBPF_LOUD = 2 };

/* .rodata: read-only for the program, set before loading. */
const volatile __s32 target_pid = 0;
const volatile char greeting[8] = "hello";
const volatile enum rawbpf_level level = RAWBPF_NORMAL;
const volatile bool verbose = false;
const volatile __u8 small = 7;
const volatile __s64 shift = -1;
const volatile __u16 ports[4] = { 22, 80 };
const volatile char letter = 'a';

/* .data and .bss: the program counts here, from the value --set starts them at. */
__u64 hits = 0;
__u32 last_pid;

SEC("tracepoint/syscalls/sys_enter_getpid")
int rawbpf_globals_getpid(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (target_pid && pid != target_pid)
		return 0;
	hits++;
	last_pid = pid;
	bpf_printk("rawbpf-globals: pid=%d hits=%llu level=%d", pid, hits, level);
	bpf_printk("rawbpf-globals: greeting=%s verbose=%d small=%u", greeting, verbose, small);
	bpf_printk("rawbpf-globals: shift=%lld port0=%u letter=%c", shift, ports[0], letter);
	return 0;
}
