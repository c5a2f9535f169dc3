// SPDX-License-Identifier: GPL-2.0
/*
 * Externs: values and symbols the object does not define, which the loader resolves for the
 * running kernel before loading (loader/src/externs/), and prints here so a test can compare
 * them with the system:
 *   __kconfig  libbpf's virtual LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE and
 *              LINUX_HAS_SYSCALL_WRAPPER (a kprobe on __x64_sys_bpf opens), CONFIG_* options
 *              of the kernel configuration (int, tristate, string), a __weak option that is not
 *              set (0);
 *   __ksym     a typeless symbol (schedule: an address from /proc/kallsyms), a __weak one the
 *              kernel lacks (0), and a typed per-CPU variable (runqueues, by BTF id) in a program
 *              of its own: the kernel gives it an address only with CONFIG_KALLSYMS_ALL=y, and
 *              it is __weak because some kernels' BTF has no per-CPU VARs (Debian's 5.10);
 *   kfuncs     bpf_task_from_pid / bpf_task_release and bpf_rcu_read_lock (called by BTF id;
 *              __weak and guarded, so that kernels before 6.2, which lack them, load the object
 *              too) and a __weak kfunc no kernel has, whose guarded call is poisoned and never
 *              reached.
 * Only getpid (x86-64 syscall 39) prints, to keep trace_pipe quiet.
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

#define NR_GETPID 39

extern int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern int CONFIG_HZ __kconfig;
extern enum libbpf_tristate CONFIG_BPF_SYSCALL __kconfig;
extern char CONFIG_LOCALVERSION[32] __kconfig __weak;
extern int CONFIG_RAWBPF_NO_SUCH_OPTION __kconfig __weak;

extern struct rq runqueues __ksym __weak;
extern const void schedule __ksym;
extern const void rawbpf_no_such_symbol __ksym __weak;

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;
extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym __weak;
extern void bpf_rawbpf_no_such_kfunc(void) __ksym __weak;

SEC("tp_btf/sys_enter")
int BPF_PROG(rawbpf_externs, struct pt_regs *regs, long id)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct task_struct *task;
	int task_tgid = -1;

	if (id != NR_GETPID)
		return 0;
	bpf_printk("rawbpf-externs: version=%d cookie=%d hz=%d", LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE,
		   CONFIG_HZ);
	bpf_printk("rawbpf-externs: syscall_wrapper=%d", LINUX_HAS_SYSCALL_WRAPPER);
	bpf_printk("rawbpf-externs: bpf_syscall=%d localversion=%s unset=%d", CONFIG_BPF_SYSCALL,
		   CONFIG_LOCALVERSION, CONFIG_RAWBPF_NO_SUCH_OPTION);
	bpf_printk("rawbpf-externs: schedule=%lx missing=%lx", (unsigned long)&schedule,
		   (unsigned long)&rawbpf_no_such_symbol);
	if (bpf_ksym_exists(bpf_task_from_pid) && bpf_ksym_exists(bpf_task_release)) {
		task = bpf_task_from_pid(tgid);
		if (task) {
			task_tgid = task->tgid;
			bpf_task_release(task);
		}
	}
	if (bpf_ksym_exists(bpf_rcu_read_lock)) {
		bpf_rcu_read_lock();
		bpf_rcu_read_unlock();
	}
	bpf_printk("rawbpf-externs: tgid=%u task_tgid=%d rcu_lock=%d", tgid, task_tgid,
		   bpf_ksym_exists(bpf_rcu_read_lock));
	return 0;
}

/* A guarded call of a kfunc this kernel lacks: libbpf 1.5 poisons it; the verifier prunes it. */
SEC("tp_btf/sys_enter")
int BPF_PROG(rawbpf_externs_weak, struct pt_regs *regs, long id)
{
	if (id != NR_GETPID)
		return 0;
	if (bpf_ksym_exists(bpf_rawbpf_no_such_kfunc))
		bpf_rawbpf_no_such_kfunc();
	bpf_printk("rawbpf-externs: weak kfunc exists=%d", bpf_ksym_exists(bpf_rawbpf_no_such_kfunc));
	return 0;
}

/* A typed ksym: this CPU's struct rq, whose cpu member must be the CPU the program runs on. */
SEC("tp_btf/sys_enter")
int BPF_PROG(rawbpf_externs_percpu, struct pt_regs *regs, long id)
{
	struct rq *rq;

	if (id != NR_GETPID || !bpf_ksym_exists(&runqueues))
		return 0;
	rq = bpf_this_cpu_ptr(&runqueues);
	bpf_printk("rawbpf-externs: cpu=%u rq_cpu=%d", bpf_get_smp_processor_id(), rq->cpu);
	return 0;
}
