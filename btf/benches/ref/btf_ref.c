/* Reference for the parse benchmark: libbpf's btf__parse + btf__find_by_name_kind, looped.
 * Usage: btf_ref PATH ITERATIONS NAME
 * Prints the median time per iteration (parse + find, not free) and the id found. */
#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n, i, id = -1;
	double *t;

	if (argc != 4) {
		fprintf(stderr, "usage: %s PATH ITERATIONS NAME\n", argv[0]);
		return 2;
	}
	n = atoi(argv[2]);
	if (n < 1)
		n = 1;
	t = calloc(n, sizeof(*t));
	for (i = 0; i < n; i++) {
		double start = now_ns();
		struct btf *btf = btf__parse(argv[1], NULL);

		if (!btf) {
			fprintf(stderr, "btf__parse(%s) failed\n", argv[1]);
			return 1;
		}
		id = btf__find_by_name_kind(btf, argv[3], BTF_KIND_FUNC);
		t[i] = now_ns() - start;
		btf__free(btf);
	}
	qsort(t, n, sizeof(*t), cmp);
	printf("median_ns %.0f\nid %d\n", t[n / 2], id);
	return 0;
}
