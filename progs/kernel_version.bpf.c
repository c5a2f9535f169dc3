// SPDX-License-Identifier: GPL-2.0
/*
 * A program that picks its tracepoint argument by LINUX_KERNEL_VERSION, as libbpf-tools'
 * block_rq_* programs do (their tracepoints lost an argument in 5.11). The verifier knows the
 * version (a frozen .kconfig map), so on each kernel only one branch is checked: here the
 * "old kernel" branch reads ctx[3], past  sched_process_exec's three arguments, which the
 * verifier refuses where that branch is taken. `rawbpf check` follows the same constant.
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

extern unsigned int LINUX_KERNEL_VERSION __kconfig;

#define VERSION(a, b, c) (((a) << 16) + ((b) << 8) + (c))

SEC("tp_btf/sched_process_exec")
int rawbpf_by_version(unsigned long long *ctx)
{
	struct task_struct *p;

	if (LINUX_KERNEL_VERSION >= VERSION(5, 11, 0))
		p = (void *)ctx[0];
	else
		p = (void *)ctx[3];
	bpf_printk("rawbpf-kernel-version: exec pid=%d", p->pid);
	return 0;
}

/* The same choice with work on each side, which clang compiles as a branch, not a select: the old
 * kernel's side reads ctx[3] directly. */
SEC("tp_btf/sched_process_exec")
int rawbpf_by_version_branch(unsigned long long *ctx)
{
	if (LINUX_KERNEL_VERSION < VERSION(5, 11, 0)) {
		bpf_printk("rawbpf-kernel-version: old exec bprm=%lx", ctx[3]);
		return 0;
	}
	bpf_printk("rawbpf-kernel-version: exec old_pid=%d", (int)ctx[1]);
	return 0;
}
