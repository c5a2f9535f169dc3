/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The helpers that send events to user space, by number as in rawbpf_helpers.h, and the
 * tutorial's event record, shared by perf_output.bpf.c and ringbuf_output.bpf.c.
 */
#ifndef RAWBPF_EVENTS_H
#define RAWBPF_EVENTS_H

/* bpf_perf_event_output's flags: the ring of the CPU the program runs on. */
#define BPF_F_CURRENT_CPU 0xffffffffULL

static long (*bpf_get_current_comm)(void *buf, __u32 size) = (void *)16;
static long (*bpf_perf_event_output)(void *ctx, void *map, __u64 flags, void *data, __u64 size) = (void *)25;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)131;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)132;
static void (*bpf_ringbuf_discard)(void *data, __u64 flags) = (void *)133;

/* What each program sends: `rawbpf load --event-type event` decodes it from the object's BTF. */
struct event {
	__u32 pid;  /* the process (tgid): what user space calls the pid */
	__u32 tid;  /* the thread */
	char comm[16];
	__u64 ktime_ns;
};

/*
 * Fills an event for the current task. Not inlined on purpose: a type that only local
 * variables use never reaches the object's BTF, while a function's parameter types do, so
 * `struct event` is there for user space to decode records by.
 */
static __noinline void fill_event(struct event *e)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->pid = id >> 32;
	e->tid = (__u32)id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->ktime_ns = bpf_ktime_get_ns();
}

#endif
