// SPDX-License-Identifier: GPL-2.0
/*
 * Which programs of an object get loaded, as libbpf decides it: every program by default except
 * those whose section starts with '?', or exactly the ones named. Only those are processed, so
 * the siblings here that rawbpf cannot load (an unknown section name, a legacy map) stop nothing
 * but themselves. rawbpf/tests/host_select.rs drives `rawbpf load` through each case.
 */
#include "vmlinux.h"
#include "rawbpf_helpers.h"

char LICENSE[] SEC("license") = "GPL";

/* A map definition the way libbpf before 1.0 took them: rawbpf does not support it. */
struct legacy_map_def {
	unsigned int type, key_size, value_size, max_entries;
};
struct legacy_map_def legacy SEC("maps") = { .type = 2, .key_size = 4, .value_size = 8, .max_entries = 1 };

SEC("raw_tp/sys_enter")
int on_sys_enter(void *ctx) { return 0; }

/* Off by default: loaded only when named. */
SEC("?raw_tp/sys_exit")
int off_by_default(void *ctx) { return 0; }

/* The target is chosen at run time (libbpf's bpf_program__set_attach_target). */
SEC("?tp_btf")
int late_target(void *ctx) { return 0; }

/* The same for fentry (fentry loads only where trampolines are allowed: tests/vm). */
SEC("?fentry")
int late_fentry(void *ctx) { return 0; }

/* A kprobe with no function: libbpf loads it and leaves attaching to the caller (or --attach-target). */
SEC("kprobe")
int bare_kprobe(struct pt_regs *ctx) { return 0; }

/* A kprobe on a function. */
SEC("kprobe/do_nanosleep")
int on_nanosleep(struct pt_regs *ctx) { return 0; }

/* A USDT probe of a binary that is nowhere: loads, and is refused at attach. */
SEC("?usdt/rawbpf_no_binary:rawbpf:probe")
int on_usdt(void *ctx) { return 0; }

/* A typo: libbpf knows no "fentri". Off by default, so the default selection still works. */
SEC("?fentri/do_nanosleep")
int typo(void *ctx) { return 0; }

SEC("?raw_tp/sys_enter")
int uses_legacy_map(void *ctx)
{
	int key = 0;
	return bpf_map_lookup_elem(&legacy, &key) != 0;
}
