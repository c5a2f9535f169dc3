// SPDX-License-Identifier: GPL-2.0
/*
 * BTF that older kernels reject: clang-19 describes these globals with kinds 5.10 does not know
 * (ENUM64 from 6.0, signed ENUM from 6.0, DECL_TAG from 5.16, TYPE_TAG from 5.17, FLOAT from
 * 5.13). rawbpf rewrites each into a kind the running kernel accepts, keeping every type id, so
 * the object's BTF, its map types and func/line info still load there.
 */
#include "vmlinux.h"
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

enum rawbpf_big { RAWBPF_BIG = 0x100000000ULL };	/* ENUM64 */
enum rawbpf_neg { RAWBPF_NEG = -1 };			/* signed ENUM (kind_flag) */

struct rawbpf_tagged {
	int value __attribute__((btf_decl_tag("rawbpf")));	/* DECL_TAG */
};

volatile enum rawbpf_big rawbpf_big_value = RAWBPF_BIG;
volatile enum rawbpf_neg rawbpf_neg_value = RAWBPF_NEG;
volatile struct rawbpf_tagged rawbpf_tagged = { 7 };
volatile float rawbpf_float = 1.5f;				/* FLOAT */
int __attribute__((btf_type_tag("rawbpf"))) *rawbpf_tagged_ptr;	/* TYPE_TAG */

SEC("tp_btf/sched_process_exec")
int BPF_PROG(rawbpf_sanitize, struct task_struct *p)
{
	bpf_printk("rawbpf-sanitize: big_hi=%u neg=%d tag=%d", (unsigned int)(rawbpf_big_value >> 32),
		   (int)rawbpf_neg_value, rawbpf_tagged.value);
	return 0;
}
