// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PERF_OUTPUT, the tutorial's first way to send records: every getpid() sends a struct
 * event through a BPF_MAP_TYPE_PERF_EVENT_ARRAY map. The map holds one perf event per CPU
 * (user space opens them and stores them at key = CPU); bpf_perf_event_output copies the
 * record into the ring of the CPU the program runs on.
 */
#include "vmlinux.h"
#include "rawbpf_helpers.h"
#include "rawbpf_events.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	/* At least the CPU count: keys are CPU numbers. */
	__uint(max_entries, 128);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int rawbpf_perf_getpid(void *ctx)
{
	struct event e = {};

	fill_event(&e);
	/* Copied into this CPU's ring; when it is full the kernel counts the record as lost. */
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}
