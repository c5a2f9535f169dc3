// SPDX-License-Identifier: GPL-2.0
/*
 * A classic tracepoint: syscalls/sys_enter_getpid. The context is the tracepoint's record
 * (struct trace_event_raw_sys_enter); `id` is the syscall number.
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_getpid")
int rawbpf_tracepoint_getpid(struct trace_event_raw_sys_enter *ctx)
{
	bpf_printk("rawbpf-tracepoint: getpid pid=%d nr=%ld", (__u32)(bpf_get_current_pid_tgid() >> 32), ctx->id);
	return 0;
}
