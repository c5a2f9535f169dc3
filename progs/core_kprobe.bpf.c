// SPDX-License-Identifier: GPL-2.0
/*
 * A kprobe with CO-RE, for kernels that expose no BTF: on do_nanosleep it reads the current
 * task's pid and tgid through bpf_get_current_task() with BPF_CORE_READ, so their offsets in
 * task_struct are CO-RE relocations the loader must resolve, from --btf when the kernel has
 * no /sys/kernel/btf/vmlinux. The program prints them next to what bpf_get_current_pid_tgid()
 * says, and a test requires all three to agree for a single-threaded process (a wrong offset
 * reads another field).
 */
#include "vmlinux.h"
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

static struct task_struct *(*bpf_get_current_task)(void) = (void *)35;

SEC("kprobe/do_nanosleep")
int rawbpf_core_kprobe(void *ctx)
{
	struct task_struct *task = bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	int pid = BPF_CORE_READ(task, pid);
	int tgid = BPF_CORE_READ(task, tgid);

	/* Three arguments at most (bpf_trace_printk); a single-threaded sleep has pid == tgid. */
	bpf_printk("rawbpf-core-kprobe: tgid=%d core_tgid=%d core_pid=%d", (__u32)(id >> 32), tgid, pid);
	return 0;
}
