// Reference for the load benchmark: libbpf opens, relocates (CO-RE), loads and attaches every
// program of an object, then tears it all down; repeated N times. Prints the median per-iteration
// time in microseconds. Built and run only by rawbpf's benchmark, never part of the product.
// Usage: libbpf_load OBJ ITERATIONS [WARMUP [noattach]]; warm-up iterations run first and are not
// timed; noattach stops after bpf_object__load (objects whose kprobes this host cannot attach).
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int silent(enum libbpf_print_level level, const char *fmt, va_list args) {
    (void)level; (void)fmt; (void)args;
    return 0;
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s OBJ ITERATIONS\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[2]);
    int warmup = argc > 3 ? atoi(argv[3]) : 0;
    int attach = !(argc > 4 && !strcmp(argv[4], "noattach"));
    if (n < 1 || warmup < 0) {
        fprintf(stderr, "ITERATIONS must be >= 1 and WARMUP >= 0\n");
        return 2;
    }
    double *t = calloc(n, sizeof(*t));
    libbpf_set_print(silent);
    for (int i = -warmup; i < n; i++) {
        double start = now_us();
        struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
        if (!obj || bpf_object__load(obj)) {
            fprintf(stderr, "libbpf: cannot open/load %s\n", argv[1]);
            return 1;
        }
        struct bpf_program *prog;
        struct bpf_link *links[16];
        int nl = 0;
        bpf_object__for_each_program(prog, obj) {
            if (!attach) break;
            struct bpf_link *l = bpf_program__attach(prog);
            if (!l) {
                fprintf(stderr, "libbpf: cannot attach %s\n", bpf_program__name(prog));
                return 1;
            }
            if (nl < 16) links[nl++] = l;
        }
        for (int j = 0; j < nl; j++) bpf_link__destroy(links[j]);
        bpf_object__close(obj);
        if (i >= 0) t[i] = now_us() - start;
    }
    qsort(t, n, sizeof(*t), cmp);
    printf("%.1f\n", t[n / 2]);
    return 0;
}
