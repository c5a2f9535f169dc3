// SPDX-License-Identifier: GPL-2.0
/*
 * CO-RE demo object: the program's view of two structs and an enum. The layouts differ on
 * purpose from core_demo_target.bpf.c, which plays the "kernel". Every access below leaves a
 * CO-RE relocation in .BTF.ext; the btf crate's core_clang test resolves them against the
 * target's BTF and checks the values moved as the layouts say.
 *
 * Build: clang-19 -target bpf -g -O2 -c core_demo.bpf.c -o core_demo.bpf.o
 */

struct demo_common {
	unsigned short dport;
	unsigned short family;
} __attribute__((preserve_access_index));

struct demo {
	int pid;
	struct demo_common c;
	unsigned int flags : 3, mode : 5;
	long arr[4];
	int removed; /* absent from the target: its read is poisoned, its existence check is 0 */
} __attribute__((preserve_access_index));

enum demo_state { DEMO_ON = 1, DEMO_OFF = 2 };

__attribute__((section("raw_tp/demo"), used)) int demo_prog(struct demo *d)
{
	long r = 0;

	r += d->pid;
	r += d->c.dport;
	r += d->arr[2];
	r += __builtin_preserve_field_info(d->mode, 4 /* LSHIFT_U64 */);
	r += __builtin_preserve_field_info(d->mode, 5 /* RSHIFT_U64 */);
	r += __builtin_preserve_field_info(d->mode, 1 /* BYTE_SIZE */);
	if (__builtin_preserve_field_info(d->removed, 2 /* EXISTS */))
		r += d->removed;
	r += __builtin_preserve_type_info(*(struct demo *)0, 1 /* TYPE_SIZE */);
	r += __builtin_preserve_enum_value(*(enum demo_state *)DEMO_OFF, 1 /* ENUMVAL_VALUE */);
	r += __builtin_btf_type_id(*(struct demo *)0, 1 /* TYPE_ID_TARGET */);
	return r;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
