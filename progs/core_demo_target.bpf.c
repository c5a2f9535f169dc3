// SPDX-License-Identifier: GPL-2.0
/*
 * The "kernel" side of the CO-RE demo: the same type names as core_demo.bpf.c with another
 * layout. Only its BTF is used (as the relocation target).
 *
 * Build: clang-19 -target bpf -g -O2 -c core_demo_target.bpf.c -o core_demo_target.bpf.o
 */

struct demo_common {
	unsigned int pad;
	unsigned short family;
	unsigned short dport;
};

struct demo {
	long long newfield;
	struct demo_common c;
	int pid;
	unsigned int extra : 7, flags : 3, mode : 5;
	long arr[6];
};

enum demo_state { DEMO_OFF = 7, DEMO_ON = 1 };

/* Globals so the types are emitted into .BTF. */
struct demo demo_instance;
enum demo_state demo_state_instance;
