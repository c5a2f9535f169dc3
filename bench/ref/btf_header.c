/* Reference for the vmlinux.h benchmark: what `bpftool btf dump file /sys/kernel/btf/vmlinux
 * format c` does (bpftool's preamble, btf_dump__dump_type over every id, the epilogue), on the
 * BTF libbpf loads itself (btf__load_vmlinux_btf), then free everything.
 * Usage: btf_header ITERATIONS   (0: once, the header to stdout; else to /dev/null; see bench.h) */
#include <bpf/btf.h>
#include <stdarg.h>

#include "bench.h"

static void to_file(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

static int once(FILE *out)
{
	struct btf *btf = btf__load_vmlinux_btf();
	struct btf_dump *d;
	int i, n, err = 0;

	if (!btf)
		return -1;
	d = btf_dump__new(btf, to_file, out, NULL);
	if (!d) {
		btf__free(btf);
		return -1;
	}
	fprintf(out, "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n");
	fprintf(out, "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n");
	fprintf(out, "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n");
	fprintf(out, "#endif\n\n");
	n = btf__type_cnt(btf);
	for (i = 1; i < n && !err; i++)
		err = btf_dump__dump_type(d, i);
	fprintf(out, "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n");
	fprintf(out, "#endif /* __VMLINUX_H__ */\n");
	fflush(out);
	btf_dump__free(d);
	btf__free(btf);
	return err;
}

int main(int argc, char **argv)
{
	int n, i;
	FILE *null;
	struct sample *t;

	if (argc != 2) {
		fprintf(stderr, "usage: %s ITERATIONS\n", argv[0]);
		return 2;
	}
	libbpf_set_print(silent);
	n = atoi(argv[1]);
	if (n <= 0)
		return once(stdout) ? 1 : 0;
	null = fopen("/dev/null", "w");
	t = calloc(n, sizeof(*t));
	for (i = 0; i < n; i++) {
		struct sample start = start_sample();

		if (once(null)) {
			fprintf(stderr, "btf_dump failed\n");
			return 1;
		}
		t[i] = since(start);
	}
	report(t, n);
	return 0;
}
