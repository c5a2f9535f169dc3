// SPDX-License-Identifier: GPL-2.0
/*
 * A BTF-typed tracepoint: sched_process_exec passes (struct task_struct *p, pid_t old_pid,
 * struct linux_binprm *bprm). p->pid and p->tgid are direct CO-RE reads.
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_process_exec")
int BPF_PROG(rawbpf_tp_btf_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	bpf_printk("rawbpf-tp_btf: exec pid=%d tgid=%d old_pid=%d", p->pid, p->tgid, old_pid);
	return 0;
}
