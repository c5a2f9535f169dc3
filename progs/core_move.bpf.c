// SPDX-License-Identifier: GPL-2.0
/*
 * CO-RE that must move: task_struct's pid and tgid sit at different offsets in every kernel
 * (1264 in the 6.18 vmlinux.h this is built against; elsewhere on 5.10, 6.1, 6.12). The program
 * reads them through the BTF-typed tp_btf argument, which clang records as CO-RE relocations,
 * and prints the offset the loader patched in, so a test can compare it with the kernel's BTF
 * and the pid with the one the kernel writes in the trace line header.
 */
#include "vmlinux.h"
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_process_exec")
int BPF_PROG(rawbpf_core_move, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	int pid = p->pid;
	int tgid = p->tgid;
	/* FIELD_BYTE_OFFSET relocation: the loader writes the target kernel's offset here. */
	unsigned int off = __builtin_preserve_field_info(p->pid, 0);

	bpf_printk("rawbpf-core-move: pid=%d tgid=%d pid_off=%u", pid, tgid, off);
	return 0;
}
