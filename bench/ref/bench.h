/* Shared by the reference drivers: a monotonic clock, medians, and the version line.
 * Each driver runs its task ITERATIONS times in one process and prints
 *   version <libbpf_version_string()>
 *   median_ns <median wall time per iteration>
 *   median_cpu_ns <median CPU time (user + system) per iteration>
 * or, with ITERATIONS 0, runs it once with its real output and prints nothing else (the
 * whole-process figure, timed and measured from outside). */
#ifndef RAWBPF_BENCH_H
#define RAWBPF_BENCH_H

#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One iteration's wall and CPU time. */
struct sample {
	double wall, cpu;
};

static struct sample start_sample(void)
{
	struct sample s = { clock_ns(CLOCK_MONOTONIC), clock_ns(CLOCK_PROCESS_CPUTIME_ID) };

	return s;
}

static struct sample since(struct sample s)
{
	struct sample d = { clock_ns(CLOCK_MONOTONIC) - s.wall, clock_ns(CLOCK_PROCESS_CPUTIME_ID) - s.cpu };

	return d;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

/* Prints the version and the medians of t[0..n) (reordered). */
static void report(struct sample *t, int n)
{
	double *v = calloc(n, sizeof(*v));
	int i;

	printf("version %s\n", libbpf_version_string());
	for (i = 0; i < n; i++)
		v[i] = t[i].wall;
	qsort(v, n, sizeof(*v), cmp_double);
	printf("median_ns %.0f\n", v[n / 2]);
	for (i = 0; i < n; i++)
		v[i] = t[i].cpu;
	qsort(v, n, sizeof(*v), cmp_double);
	printf("median_cpu_ns %.0f\n", v[n / 2]);
	free(v);
}

#endif
