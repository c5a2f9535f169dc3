/* loadone: the libbpf side of the differential test (rawbpf/tests/libbpf_tools, VM scenario libbpf-tools).
 * A test-only oracle, never part of the product.
 *   loadone list OBJ        one line per program, as libbpf sees it: "NAME SECTION"
 *   loadone load OBJ NAME [TARGET]
 *                           loads NAME alone (every other program's autoload off), no attach; prints
 *                           "ok id=ID tag=HEX" and exits 0, or "error errno=ENAME: MESSAGE" and exits 1.
 *                           TARGET: bpf_program__set_attach_target(NAME, 0, TARGET) first (fentry & co.)
 * LOADONE_BTF=PATH in the environment: CO-RE relocates against that BTF (btf_custom_path), as rawbpf --btf.
 * MESSAGE is libbpf's first warning, plus the verifier's last meaningful line when the kernel refused the
 * program: the two lines a person reads first. The caller provides the bpffs (objects may pin maps by name). */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything libbpf prints at WARN level, in order (verifier logs arrive inside one message). */
static char warnings[1 << 16];
static size_t warnings_len;

static int collect(enum libbpf_print_level level, const char *fmt, va_list ap) {
    if (level != LIBBPF_WARN || warnings_len >= sizeof warnings - 1) return 0;
    int n = vsnprintf(warnings + warnings_len, sizeof warnings - warnings_len, fmt, ap);
    if (n > 0) warnings_len += (size_t)n < sizeof warnings - warnings_len ? (size_t)n : sizeof warnings - 1 - warnings_len;
    return 0;
}

/* Strips the "libbpf: " prefix and the newline; returns a static copy of the line starting at s. */
static const char *one_line(const char *s) {
    static char line[512];
    if (strncmp(s, "libbpf: ", 8) == 0) s += 8;
    size_t n = strcspn(s, "\n");
    if (n >= sizeof line) n = sizeof line - 1;
    memcpy(line, s, n);
    line[n] = 0;
    return line;
}

/* The verifier's last line that says something: not the statistics ("processed N insns", "verification time")
 * nor the END marker. Empty when there was no verifier log. */
static const char *verifier_verdict(void) {
    static char last[512];
    last[0] = 0;
    char *begin = strstr(warnings, "-- BEGIN PROG LOAD LOG --\n");
    if (!begin) return last;
    char *end = strstr(begin, "-- END PROG LOAD LOG --");
    for (char *p = begin + strlen("-- BEGIN PROG LOAD LOG --\n"); *p && (!end || p < end); p += strcspn(p, "\n") + !!p[strcspn(p, "\n")]) {
        if (*p == '\n' || !strncmp(p, "processed ", 10) || !strncmp(p, "verification time", 17) ||
            !strncmp(p, "stack depth", 11))
            continue;
        snprintf(last, sizeof last, "%s", one_line(p));
    }
    return last;
}

static int fail(int err) {
    const char *name = strerrorname_np(err);
    printf("error errno=%s: ", name ? name : "?");
    if (warnings_len) {
        printf("%s", one_line(warnings));
        const char *v = verifier_verdict();
        if (*v) printf(" | verifier: %s", v);
    } else {
        printf("%s", strerror(err));
    }
    printf("\n");
    return 1;
}

int main(int argc, char **argv) {
    int list = argc == 3 && !strcmp(argv[1], "list");
    if (!list && !((argc == 4 || argc == 5) && !strcmp(argv[1], "load"))) {
        fprintf(stderr, "usage: %s list OBJ | load OBJ PROGRAM [ATTACH_TARGET]\n", argv[0]);
        return 2;
    }
    libbpf_set_print(collect);
    LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = getenv("LOADONE_BTF"));
    struct bpf_object *obj = bpf_object__open_file(argv[2], &opts);
    if (!obj) return fail(errno);

    struct bpf_program *p, *want = NULL;
    int err;
    bpf_object__for_each_program(p, obj) {
        if (list) printf("%s %s\n", bpf_program__name(p), bpf_program__section_name(p));
        else if (!strcmp(bpf_program__name(p), argv[3])) want = p;
    }
    if (list) return 0;
    if (!want) {
        printf("error errno=ENOENT: no program named %s\n", argv[3]);
        return 1;
    }
    /* Sections starting with '?' are off by default: without the explicit true, libbpf would load nothing. */
    bpf_object__for_each_program(p, obj) bpf_program__set_autoload(p, p == want);
    if (argc == 5 && (err = bpf_program__set_attach_target(want, 0, argv[4]))) return fail(-err);

    err = bpf_object__load(obj);
    if (err) return fail(-err);
    struct bpf_prog_info info = {0};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(want), &info, &len)) return fail(errno);
    printf("ok id=%u tag=", info.id);
    for (int i = 0; i < 8; i++) printf("%02x", info.tag[i]);
    printf("\n");
    bpf_object__close(obj);
    return 0;
}
