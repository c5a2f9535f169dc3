// SPDX-License-Identifier: GPL-2.0
/*
 * rawbpf:tick, the USDT target's probe with a semaphore (a file of its own: <sys/sdt.h> gives
 * every probe of a file a semaphore when _SDT_HAS_SEMAPHORES is defined before it). The
 * semaphore is a u16 in section .probes that the kernel increments for each uprobe attached with
 * its file offset as ref_ctr_offset, and decrements again when the uprobe goes.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

__attribute__((used, section(".probes"))) volatile unsigned short rawbpf_tick_semaphore;

/* Fires rawbpf:tick(i, 2 * i) when traced; returns the semaphore's value it went by. */
int rawbpf_tick(long i)
{
	volatile long twice = 2 * i;
	unsigned short traced = rawbpf_tick_semaphore;

	if (__builtin_expect(traced, 0))
		STAP_PROBE2(rawbpf, tick, i, twice);
	return traced;
}
