/* The reference reader of benches/events.rs: libbpf's ring_buffer__poll or perf_buffer__poll on
 * a map rawbpf created (given by id) for SECONDS, its callback either counting records
 * ("count") or also formatting each one as the text line rawbpf load prints, with snprintf
 * over the fields of struct event (progs/include/rawbpf_events.h), and fwriting it to
 * /dev/null through a 64 KiB stdio buffer ("print"). Prints
 * "done" when the time is up, then, once a line comes on stdin (the producer has stopped), reads
 * what is left without waiting and prints "records N lost L cpu_ns C wakes W left K" (C: this
 * process's CPU time while reading; W: polls that returned records; K: records read after the
 * time, not in N).
 * "events_libbpf format N" formats N records from memory the same way, without a ring (the
 * formatting cost alone), and prints "records N lost 0 cpu_ns C".
 *
 * usage: events_libbpf ringbuf|perf count|print MAP_ID SECONDS
 *        events_libbpf format N */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct event {
	__u32 pid;
	__u32 tid;
	char comm[16];
	__u64 ktime_ns;
};

static unsigned long long records, lost, wakes;
static FILE *out;
static int print;

static void line(int cpu, const void *data, size_t size)
{
	const struct event *e = data;
	char buf[256];
	int n;

	if (size < sizeof(*e))
		return;
	if (cpu >= 0)
		n = snprintf(buf, sizeof(buf),
			     "events cpu=%d size=%zu { .pid = %u, .tid = %u, .comm = \"%.16s\", .ktime_ns = %llu }\n",
			     cpu, size, e->pid, e->tid, e->comm, (unsigned long long)e->ktime_ns);
	else
		n = snprintf(buf, sizeof(buf),
			     "events size=%zu { .pid = %u, .tid = %u, .comm = \"%.16s\", .ktime_ns = %llu }\n", size,
			     e->pid, e->tid, e->comm, (unsigned long long)e->ktime_ns);
	fwrite(buf, 1, n, out);
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	records++;
	if (print)
		line(-1, data, size);
	return 0;
}

static void on_perf(void *ctx, int cpu, void *data, __u32 size)
{
	records++;
	if (print)
		line(cpu, data, size);
}

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

/* The records benches/events.rs formats from memory: the same bytes on both sides. */
static int format_only(long n)
{
	struct event e = { .pid = 4242, .tid = 4243, .comm = "rawbpf-bench", .ktime_ns = 0 };
	long long c0 = cpu_ns();

	for (long i = 0; i < n; i++) {
		e.ktime_ns = 1000000000ULL + (unsigned long long)i * 977;
		e.pid = 4242 + (i & 1023);
		line(-1, &e, sizeof(e));
	}
	fflush(out);
	printf("records %ld lost 0 cpu_ns %lld wakes 0 left 0\n", n, cpu_ns() - c0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "format")) {
		out = fopen("/dev/null", "w");
		if (!out || setvbuf(out, NULL, _IOFBF, 64 * 1024))
			return 5;
		return format_only(atol(argv[2]));
	}
	if (argc != 5)
		return 2;
	print = !strcmp(argv[2], "print");
	int fd = bpf_map_get_fd_by_id(atoi(argv[3]));
	double secs = atof(argv[4]);
	struct ring_buffer *rb = NULL;
	struct perf_buffer *pb = NULL;
	if (fd < 0)
		return 3;
	out = fopen("/dev/null", "w");
	if (!out || setvbuf(out, NULL, _IOFBF, 64 * 1024))
		return 5;
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
		int n = rb ? ring_buffer__poll(rb, 100) : perf_buffer__poll(pb, 100);
		wakes += n > 0;
	}
	long long cpu = cpu_ns() - c0;
	unsigned long long timed = records;
	char go[8];

	fflush(out);
	printf("done\n");
	fflush(stdout);
	if (!fgets(go, sizeof(go), stdin))
		return 6;
	if (rb)
		ring_buffer__consume(rb);
	else
		perf_buffer__consume(pb);
	printf("records %llu lost %llu cpu_ns %lld wakes %llu left %llu\n", timed, lost, cpu, wakes, records - timed);
	ring_buffer__free(rb);
	perf_buffer__free(pb);
	return 0;
}
