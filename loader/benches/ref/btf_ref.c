/* Reference for the parse benchmark: libbpf's btf__parse + btf__find_by_name_kind, looped.
 * Usage: btf_ref PATH ITERATIONS NAME [mem]
 * With "mem", the file is read once and each iteration is btf__new on those bytes + find:
 * libbpf's parse alone, without the file reads.
 * Prints the median time per iteration (parse + find, not free) and the id found. */
#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	char *buf = NULL;
	size_t len = 0;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: %s PATH ITERATIONS NAME [mem]\n", argv[0]);
		return 2;
	}
	if (argc == 5 && strcmp(argv[4], "mem") == 0) {
		FILE *f = fopen(argv[1], "rb");
		size_t cap = 1 << 20, got;

		buf = malloc(cap);
		while (f && (got = fread(buf + len, 1, cap - len, f)) > 0) {
			len += got;
			if (len == cap)
				buf = realloc(buf, cap *= 2);
		}
		if (!f || !len) {
			fprintf(stderr, "cannot read %s\n", argv[1]);
			return 1;
		}
		fclose(f);
	}
	n = atoi(argv[2]);
	if (n < 1)
		n = 1;
	t = calloc(n, sizeof(*t));
	for (i = 0; i < n; i++) {
		double start = now_ns();
		struct btf *btf = buf ? btf__new(buf, len) : btf__parse(argv[1], NULL);

		if (!btf) {
			fprintf(stderr, "parsing %s failed\n", argv[1]);
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
