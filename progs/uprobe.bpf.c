// SPDX-License-Identifier: GPL-2.0
/*
 * uprobes on a function of a user-space binary: the guest's tests/vm/guest target program
 * (rawbpf_uprobe_target, a static binary whose function rawbpf_target_add(a, b) returns a + b),
 * entry and return. The loader finds the function's file offset in the binary's ELF symbols.
 * The printed formats are a contract with tests/vm/scenarios/66-uprobe.sh and
 * rawbpf/tests/host_probes.rs.
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

/* Arguments in rdi, rsi (x86-64 SysV). */
SEC("uprobe//bin/rawbpf_uprobe_target:rawbpf_target_add")
int rawbpf_uprobe_add(struct pt_regs *ctx)
{
	bpf_printk("rawbpf-uprobe: add entry pid=%d a=%ld b=%ld", (__u32)(bpf_get_current_pid_tgid() >> 32),
		   (long)ctx->di, (long)ctx->si);
	return 0;
}

SEC("uretprobe//bin/rawbpf_uprobe_target:rawbpf_target_add")
int rawbpf_uretprobe_add(struct pt_regs *ctx)
{
	bpf_printk("rawbpf-uprobe: add return pid=%d ret=%ld", (__u32)(bpf_get_current_pid_tgid() >> 32),
		   (long)ctx->ax);
	return 0;
}

/* No target: given with --attach-target rawbpf_uprobe_any=BINARY:FUNC (the host test). */
SEC("?uprobe")
int rawbpf_uprobe_any(struct pt_regs *ctx)
{
	bpf_printk("rawbpf-uprobe: hit pid=%d", (__u32)(bpf_get_current_pid_tgid() >> 32));
	return 0;
}
