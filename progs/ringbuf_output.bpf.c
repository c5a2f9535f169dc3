// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_RINGBUF_OUTPUT, the tutorial's second way (Linux 5.8+): one BPF_MAP_TYPE_RINGBUF map
 * shared by every CPU. A program reserves room in it, fills the record in place and submits
 * it; or discards it, and the reader skips it. getpid() sends a struct event; getppid()
 * reserves one and discards it, to show a discard.
 */
#include "vmlinux.h"
#include "rawbpf_helpers.h"
#include "rawbpf_events.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	/* Bytes of data: a power of two, a multiple of the page size. */
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int rawbpf_ringbuf_getpid(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	/* NULL when the ring is full: the record is lost before it exists. */
	if (!e)
		return 0;
	fill_event(e);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int rawbpf_ringbuf_getppid(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	bpf_ringbuf_discard(e, 0);
	return 0;
}
