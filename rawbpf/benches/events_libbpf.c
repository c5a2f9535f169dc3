/* The reference reader of benches/events.rs: libbpf's ring_buffer__poll or perf_buffer__poll on
 * a map rawbpf created (given by id), counting records for SECONDS; prints
 * "records N lost L cpu_ns C" (C: this process's CPU time while reading). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static unsigned long long records, lost;

static int on_ringbuf(void *ctx, void *data, size_t size) { records++; return 0; }
static void on_perf(void *ctx, int cpu, void *data, __u32 size) { records++; }
static void on_lost(void *ctx, int cpu, __u64 n) { lost += n; }

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static long long cpu_ns(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000000LL + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000LL;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int fd = bpf_map_get_fd_by_id(atoi(argv[2]));
	double secs = atof(argv[3]);
	struct ring_buffer *rb = NULL;
	struct perf_buffer *pb = NULL;
	if (fd < 0)
		return 3;
	if (!strcmp(argv[1], "ringbuf"))
		rb = ring_buffer__new(fd, on_ringbuf, NULL, NULL);
	else
		pb = perf_buffer__new(fd, 64, on_perf, on_lost, NULL, NULL);
	if (!rb && !pb)
		return 4;
	printf("ready\n");
	fflush(stdout);
	long long c0 = cpu_ns();
	double end = now() + secs;
	while (now() < end) {
		if (rb)
			ring_buffer__poll(rb, 100);
		else
			perf_buffer__poll(pb, 100);
	}
	printf("records %llu lost %llu cpu_ns %lld\n", records, lost, cpu_ns() - c0);
	ring_buffer__free(rb);
	perf_buffer__free(pb);
	return 0;
}
