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

/*
 * The record of syscalls/sys_enter_getpid, from events/syscalls/sys_enter_getpid/format. A
 * tracepoint program may read only that many bytes of its context: the kernel refuses to attach
 * one that reads further (EACCES), so the generic struct trace_event_raw_sys_enter, whose `long id`
 * and args[] run past this 12-byte record, is the wrong type here.
 */
struct getpid_enter_record {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
	__s32 syscall_nr;
};

SEC("tracepoint/syscalls/sys_enter_getpid")
int rawbpf_tracepoint_getpid(struct getpid_enter_record *ctx)
{
	bpf_printk("rawbpf-tracepoint: getpid pid=%d nr=%d", (__u32)(bpf_get_current_pid_tgid() >> 32), ctx->syscall_nr);
	return 0;
}
