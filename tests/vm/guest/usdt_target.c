// SPDX-License-Identifier: GPL-2.0
/*
 * The USDT scenarios' target (tests/vm/scenarios/67-usdt.sh, rawbpf/tests/host_usdt.rs). For
 * i = 1..N (N from argv, default 3), one round per 50 ms after an initial START_MS sleep (argv[2],
 * default 0, so a loader can attach first):
 *   - rawbpf:add at two call sites: (-i, 100 + i), from registers, and (-7, 1 << 40), constants;
 *   - rawbpf:tick (usdt_semaphore.c) with (i, 2 * i), the second read from the stack, fired only
 *     while its semaphore is non-zero (the kernel counts attached uprobes in it);
 * and prints each round with the semaphore's value. The probes come from systemtap's <sys/sdt.h>
 * (Debian's systemtap-sdt-dev): a nop and a .note.stapsdt note each. Built static twice
 * (tests/vm/lib/build.sh): /bin/rawbpf_usdt_target (ET_EXEC) and /bin/rawbpf_usdt_target_pie
 * (-static-pie, ET_DYN).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/sdt.h>

int rawbpf_tick(long i);

__attribute__((noinline)) static long add(int a, long b)
{
	STAP_PROBE2(rawbpf, add, a, b);
	STAP_PROBE2(rawbpf, add, -7, 1L << 40);
	return a + b;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 3;
	sleep_ms(argc > 2 ? atol(argv[2]) : 0);
	for (long i = 1; i <= n; i++) {
		long sum = add(-i, 100 + i);
		int semaphore = rawbpf_tick(i);
		printf("round %ld: add(%ld, %ld) = %ld, semaphore %d\n", i, -i, 100 + i, sum, semaphore);
		fflush(stdout);
		sleep_ms(50);
	}
	return 0;
}
