// SPDX-License-Identifier: GPL-2.0
/*
 * The kprobe tutorial's "kprobe on clone", as rawbpf attaches it. The tutorial writes
 * SEC("kprobe/sys_clone"), but since 4.17 x86-64 kernels have no sys_clone: the syscall's entry
 * point is the wrapper __x64_sys_clone. SEC("ksyscall/clone") names the syscall and the loader
 * finds the wrapper (libbpf does the same); the tutorial's spelling is kept below, off by
 * default ('?'), to show the error rawbpf gives for it.
 *
 * The context of a kprobe is the probed function's registers (struct pt_regs); at a kretprobe,
 * `ax` holds the return value: for clone, the child's pid in the parent and 0 in the child.
 * The printed formats are a contract with tests/vm/scenarios/65-kprobe.sh.
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

SEC("ksyscall/clone")
int rawbpf_ksyscall_clone(struct pt_regs *ctx)
{
	bpf_printk("rawbpf-kprobe: clone entry pid=%d", (__u32)(bpf_get_current_pid_tgid() >> 32));
	return 0;
}

SEC("kretsyscall/clone")
int rawbpf_kretsyscall_clone(struct pt_regs *ctx)
{
	bpf_printk("rawbpf-kprobe: clone return pid=%d ret=%ld", (__u32)(bpf_get_current_pid_tgid() >> 32),
		   (long)ctx->ax);
	return 0;
}

/* A plain kprobe on the function every fork, clone and vfork goes through (5.10+). */
SEC("kprobe/kernel_clone")
int rawbpf_kprobe_kernel_clone(struct pt_regs *ctx)
{
	bpf_printk("rawbpf-kprobe: kernel_clone pid=%d", (__u32)(bpf_get_current_pid_tgid() >> 32));
	return 0;
}

/* The tutorial's spelling: on a kernel with syscall wrappers the attach fails, and says why. */
SEC("?kprobe/sys_clone")
int rawbpf_kprobe_sys_clone(struct pt_regs *ctx)
{
	bpf_printk("rawbpf-kprobe: sys_clone pid=%d", (__u32)(bpf_get_current_pid_tgid() >> 32));
	return 0;
}

/*
 * No target in the section: it is given at load time (--attach-target
 * rawbpf_kprobe_any=FUNC+OFFSET), which is how the scenario probes an offset into a function.
 */
SEC("?kprobe")
int rawbpf_kprobe_any(struct pt_regs *ctx)
{
	bpf_printk("rawbpf-kprobe: probe hit pid=%d ip=%lx", (__u32)(bpf_get_current_pid_tgid() >> 32),
		   (long)ctx->ip);
	return 0;
}

/* kprobe.multi (5.18+): one link on every function the glob matches. */
SEC("?kprobe.multi/kernel_clon*")
int rawbpf_kprobe_multi_clone(struct pt_regs *ctx)
{
	bpf_printk("rawbpf-kprobe: multi pid=%d", (__u32)(bpf_get_current_pid_tgid() >> 32));
	return 0;
}
