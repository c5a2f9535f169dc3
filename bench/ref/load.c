/* Reference for the load benchmark: libbpf opens an object, applies CO-RE, creates its maps and
 * loads its programs (bpf_object__open_file + bpf_object__load, no attach), then closes it all.
 * Usage: load OBJ ITERATIONS [WARMUP]   (0: once, silently; see bench.h). Warm-up iterations run
 * first and are not timed. */
#include "bench.h"

static int once(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	int err;

	if (!obj)
		return -1;
	err = bpf_object__load(obj);
	bpf_object__close(obj);
	return err;
}

int main(int argc, char **argv)
{
	int n, i, warmup;
	struct sample *t;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s OBJ ITERATIONS [WARMUP]\n", argv[0]);
		return 2;
	}
	libbpf_set_print(silent);
	n = atoi(argv[2]);
	warmup = argc > 3 ? atoi(argv[3]) : 0;
	if (n <= 0)
		return once(argv[1]) ? 1 : 0;
	t = calloc(n, sizeof(*t));
	for (i = -warmup; i < n; i++) {
		struct sample start = start_sample();

		if (once(argv[1])) {
			fprintf(stderr, "libbpf: cannot open/load %s\n", argv[1]);
			return 1;
		}
		if (i >= 0)
			t[i] = since(start);
	}
	report(t, n);
	return 0;
}
