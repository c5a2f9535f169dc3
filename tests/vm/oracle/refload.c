/* refload: a reference loader built on libbpf, used ONLY to validate the tests/vm harness and scenarios
 * independently of rawbpf (RAWBPF_VM_LOADER=oracle). It mimics the `rawbpf load` contract the scenarios rely on:
 *   refload load OBJ [--duration SECONDS]
 * prints "attached <prog>" per program, then streams trace_pipe to stdout until the duration ends or SIGINT/SIGTERM,
 * then detaches and exits 0. Never part of the product. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    /* Other commands: say "not yet" like the rawbpf stub, so scenarios needing them SKIP instead of failing. */
    if (argc < 2 || strcmp(argv[1], "load") != 0) {
        fprintf(stderr, "refload: not yet (the oracle only implements 'load')\n");
        return 1;
    }
    if (argc < 3 || argv[2][0] == '-') {
        fprintf(stderr, "usage: %s load OBJ [--duration SECONDS]\n", argv[0]);
        return 2;
    }
    double duration = 1e9;
    if (argc >= 5 && strcmp(argv[3], "--duration") == 0) duration = atof(argv[4]);

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct bpf_object *obj = bpf_object__open_file(argv[2], NULL);
    if (!obj) { fprintf(stderr, "open %s: %s\n", argv[2], strerror(errno)); return 1; }
    if (bpf_object__load(obj)) { fprintf(stderr, "load %s: %s\n", argv[2], strerror(errno)); return 1; }
    struct bpf_program *prog;
    struct bpf_link *links[16];
    int n = 0;
    bpf_object__for_each_program(prog, obj) {
        if (n == 16) break;
        links[n] = bpf_program__attach(prog);
        if (!links[n]) { fprintf(stderr, "attach %s: %s\n", bpf_program__name(prog), strerror(errno)); return 1; }
        printf("attached %s\n", bpf_program__name(prog));
        n++;
    }
    fflush(stdout);

    int fd = open("/sys/kernel/tracing/trace_pipe", O_RDONLY | O_NONBLOCK);
    if (fd < 0) { perror("trace_pipe"); return 1; }
    double end = now() + duration;
    char buf[4096];
    while (!stop && now() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 200) > 0) {
            ssize_t r = read(fd, buf, sizeof buf);
            if (r > 0) { fwrite(buf, 1, r, stdout); fflush(stdout); }
        }
    }
    for (int i = 0; i < n; i++) bpf_link__destroy(links[i]);
    bpf_object__close(obj);
    printf("detached\n");
    return 0;
}
