// SPDX-License-Identifier: GPL-2.0
/*
 * Map keys and values whose layout matters in user space, for `rawbpf inspect`:
 *   struct rawbpf_flow_key    a hash key with a hole after `proto` and tail padding: the
 *                             compiler leaves those bytes uninitialized, and a hash map hashes
 *                             every byte, so user space must zero the whole key first.
 *   struct rawbpf_flow_stats  a value with bit-fields.
 *   struct rawbpf_wire_hdr    a packed value: user space must declare it packed too, or its
 *                             members land at other offsets.
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vmlinux.h"
#pragma clang attribute pop
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

struct rawbpf_flow_key {
	__u8 proto;
	/* 3-byte hole */
	__u32 addr;
	__u16 port;
	/* 2 bytes of tail padding */
};

struct rawbpf_flow_stats {
	__u64 packets;
	__u32 syn : 1;
	__u32 fin : 1;
	__u32 flags : 6;
	__u64 last_ns;
};

struct rawbpf_wire_hdr {
	__u8 version;
	__u32 length;
	__u16 kind;
} __attribute__((packed));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct rawbpf_flow_key);
	__type(value, struct rawbpf_flow_stats);
} rawbpf_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rawbpf_wire_hdr);
} rawbpf_last_hdr SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int rawbpf_map_layout(void *ctx)
{
	struct rawbpf_flow_key k;
	struct rawbpf_flow_stats one = { .packets = 1 };
	__u32 zero = 0;
	struct rawbpf_wire_hdr *h = bpf_map_lookup_elem(&rawbpf_last_hdr, &zero);

	__builtin_memset(&k, 0, sizeof(k));
	k.proto = 6;
	k.addr = bpf_get_current_pid_tgid() >> 32;
	k.port = 80;
	one.last_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&rawbpf_flows, &k, &one, BPF_ANY);
	if (h)
		h->length = k.addr;
	return 0;
}
