// SPDX-License-Identifier: GPL-2.0
/*
 * A raw tracepoint: sys_enter passes (struct pt_regs *regs, long id) untyped in
 * struct bpf_raw_tracepoint_args. Only getpid (x86-64 syscall 39) is printed, to keep
 * trace_pipe quiet; the syscall number is read from regs->orig_ax via a CO-RE probe read
 * to exercise that path too.
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

#define NR_GETPID 39

SEC("raw_tp/sys_enter")
int rawbpf_raw_tp_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	long id = ctx->args[1];
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	unsigned long orig_ax;

	if (id != NR_GETPID)
		return 0;
	orig_ax = BPF_CORE_READ(regs, orig_ax);
	bpf_printk("rawbpf-raw_tp: sys_enter id=%ld orig_ax=%lu pid=%d", id, orig_ax,
		   (__u32)(bpf_get_current_pid_tgid() >> 32));
	return 0;
}
