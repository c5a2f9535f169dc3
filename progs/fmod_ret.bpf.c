// SPDX-License-Identifier: GPL-2.0
/*
 * fmod_ret on the security_task_kill() LSM hook: every SIGURG is refused with EPERM, so
 * `kill -URG PID` fails while the program is attached. A non-zero return from an fmod_ret
 * program skips the function and becomes its return value; 0 lets it run. The kernel allows
 * fmod_ret only on functions named security_* or marked for error injection (Debian's cloud
 * kernels mark none). The printed format is a contract with tests/vm.
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

#define SIGURG 23
#define EPERM 1

SEC("fmod_ret/security_task_kill")
int BPF_PROG(rawbpf_fmod_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	/* SIGURG is ignored by default and nothing in the test guest sends it: a safe one to refuse. */
	if (sig != SIGURG)
		return 0;
	bpf_printk("fmod_ret security_task_kill: pid=%d target=%d sig=%d -> -EPERM",
		   (int)(bpf_get_current_pid_tgid() >> 32), p->tgid, sig);
	return -EPERM;
}
