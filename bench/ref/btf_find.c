/* Reference for the parse benchmark: load the running kernel's BTF as libbpf does
 * (btf__load_vmlinux_btf: mapped on libbpf >= 1.6, read before), find FUNC NAME and print its
 * declaration as C (btf_dump__emit_type_decl), then free everything.
 * Usage: btf_find NAME ITERATIONS   (0: once, the declaration to stdout; see bench.h) */
#include <bpf/btf.h>
#include <stdarg.h>
#include <string.h>

#include "bench.h"

static void to_file(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/* One iteration; returns the id found, or -1. */
static int once(const char *name, FILE *out)
{
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts);
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	struct btf_dump *d;
	int id;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id > 0) {
		t = btf__type_by_id(btf, id);
		d = btf_dump__new(btf, to_file, out, NULL);
		opts.field_name = name;
		if (d && btf_dump__emit_type_decl(d, t->type, &opts) == 0)
			fprintf(out, ";\n");
		btf_dump__free(d);
	}
	fflush(out);
	btf__free(btf);
	return id;
}

int main(int argc, char **argv)
{
	int n, i, id = -1;
	FILE *null;
	struct sample *t;

	if (argc != 3) {
		fprintf(stderr, "usage: %s NAME ITERATIONS\n", argv[0]);
		return 2;
	}
	libbpf_set_print(silent);
	n = atoi(argv[2]);
	if (n <= 0)
		return once(argv[1], stdout) > 0 ? 0 : 1;
	null = fopen("/dev/null", "w");
	t = calloc(n, sizeof(*t));
	for (i = 0; i < n; i++) {
		struct sample start = start_sample();

		id = once(argv[1], null);
		t[i] = since(start);
	}
	if (id <= 0) {
		fprintf(stderr, "FUNC %s not found\n", argv[1]);
		return 1;
	}
	report(t, n);
	printf("id %d\n", id);
	return 0;
}
