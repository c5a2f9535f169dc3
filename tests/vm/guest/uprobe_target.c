// SPDX-License-Identifier: GPL-2.0
/*
 * The uprobe scenarios' target: calls rawbpf_target_add(i, 100 + i) for i = 1..N (N from argv,
 * default 3), one call per 50 ms after an initial START_MS sleep (argv[2], default 0, so a
 * loader can attach first), and prints each sum. Built static (tests/vm/lib/build.sh) as the
 * guest's /bin/rawbpf_uprobe_target; rawbpf/tests/host_probes.rs builds it with cc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

__attribute__((noinline, used)) long rawbpf_target_add(long a, long b)
{
	/* An empty asm keeps the call from being folded away. */
	__asm__ volatile("" ::: "memory");
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
		printf("rawbpf_target_add(%ld, %ld) = %ld\n", i, 100 + i, rawbpf_target_add(i, 100 + i));
		fflush(stdout);
		sleep_ms(50);
	}
	return 0;
}
