// SPDX-License-Identifier: GPL-2.0
/*
 * USDT probes of the guest's target program (tests/vm/guest/usdt_target.c, built static as
 * /bin/rawbpf_usdt_target): rawbpf:add, fired at two call sites with (-i, 100 + i) and
 * (-7, 1 << 40), and rawbpf:tick (i, 2 * i), which has a semaphore. libbpf's <bpf/usdt.bpf.h>
 * reads the arguments: BPF_USDT() calls bpf_usdt_arg(), which finds the call site's argument
 * locations in the __bpf_usdt_specs map that the loader fills at attach time, by the BPF cookie
 * or, on kernels without cookies (5.10), by the probed address. The printed formats are a
 * contract with tests/vm/scenarios/67-usdt.sh and rawbpf/tests/host_usdt.rs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "GPL";

SEC("usdt//bin/rawbpf_usdt_target:rawbpf:add")
int BPF_USDT(rawbpf_usdt_add, int a, long b)
{
	bpf_printk("rawbpf-usdt: add pid=%d a=%d b=%ld", (__u32)(bpf_get_current_pid_tgid() >> 32), a, b);
	return 0;
}

SEC("usdt//bin/rawbpf_usdt_target:rawbpf:tick")
int BPF_USDT(rawbpf_usdt_tick, long i, long twice)
{
	bpf_printk("rawbpf-usdt: tick pid=%d i=%ld twice=%ld", (__u32)(bpf_get_current_pid_tgid() >> 32), i, twice);
	return 0;
}

/* No target: given with --attach-target rawbpf_usdt_any=PATH:PROVIDER:NAME (the host test,
 * the PIE build of the target). Prints the first two arguments and how many there are. */
SEC("?usdt")
int BPF_USDT(rawbpf_usdt_any, long x, long y)
{
	bpf_printk("rawbpf-usdt: any pid=%d x=%ld y=%ld", (__u32)(bpf_get_current_pid_tgid() >> 32), x, y);
	bpf_printk("rawbpf-usdt: any args=%d", bpf_usdt_arg_cnt(ctx));
	return 0;
}
