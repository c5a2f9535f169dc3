// SPDX-License-Identifier: GPL-2.0
/*
 * The tutorial's tracepoint step and its map steps in one program: a tracepoint on
 * syscalls/sys_enter_close, a `const volatile` pid filter set from the command line
 * (`rawbpf load close_count.o --set target_pid=PID`), and a HASH map used as a global
 * (close_counts: pid → number of close() calls), read from user space with
 * `rawbpf map dump|lookup|count name close_counts` while it runs.
 */
#include "vmlinux.h"
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * The record of syscalls/sys_enter_close (events/syscalls/sys_enter_close/format): a tracepoint
 * program may read only the record's 24 bytes.
 */
struct close_enter_record {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
	__s32 syscall_nr;
	__u32 pad;
	__u64 fd;
};

/* 0: every process; otherwise only this pid (a constant to the verifier once loaded). */
const volatile __u32 target_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} close_counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_close")
int rawbpf_on_close(struct close_enter_record *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *count;

	if (target_pid && pid != target_pid)
		return 0;
	count = bpf_map_lookup_elem(&close_counts, &pid);
	if (count)
		*count += 1;
	else
		bpf_map_update_elem(&close_counts, &pid, &one, BPF_NOEXIST);
	bpf_printk("rawbpf-close: pid=%d fd=%llu count=%llu", pid, ctx->fd, count ? *count : 1);
	return 0;
}
