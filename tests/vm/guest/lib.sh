# Helpers for scenario scripts (busybox sh, run as root in the guest). Source with: . /lib/rawbpf/lib.sh
# Exit codes: 0 pass, 77 skip, anything else fail.

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# Skips while bin/rawbpf is still the placeholder that only prints "rawbpf: not yet".
require_real_rawbpf() {
    rawbpf --help 2>&1 | grep -q 'rawbpf: not yet' && skip "rawbpf is still the stub (prints 'rawbpf: not yet')"
    return 0
}

# Skips unless the BPF object /progs/NAME exists (built by progs-build/build on the host).
require_prog() {
    [ -f "/progs/$1" ] || skip "/progs/$1 missing (progs/*.o not built on the host)"
}

# wait_for_line FILE PATTERN SECONDS PID: waits until FILE has a line matching PATTERN. Returns 1 on timeout and
# 2 when process PID exited first.
wait_for_line() {
    local i=0
    while [ "$i" -lt $(($3 * 10)) ]; do
        grep -q "$2" "$1" 2>/dev/null && return 0
        kill -0 "$4" 2>/dev/null || { grep -q "$2" "$1" 2>/dev/null && return 0; return 2; }
        usleep 100000; i=$((i + 1))
    done
    return 1
}

# wait_exit PID SECONDS: waits for a background child; prints its exit code. Returns 1 if still alive after SECONDS.
wait_exit() {
    local i=0
    while kill -0 "$1" 2>/dev/null; do
        [ "$i" -ge $(($2 * 10)) ] && return 1
        usleep 100000; i=$((i + 1))
    done
    wait "$1"; echo $?
}

# The kernel's BPF object ids, one "prog 12" / "map 3" / "link 7" per line, sorted.
bpf_ids() {
    local t
    for t in prog map link; do
        bpftool "$t" list 2>/dev/null | sed -n "s/^\([0-9][0-9]*\): .*/$t \1/p"
    done | sort
}

# Lines in file $2 that are not in file $1 (busybox has no comm).
new_lines() { grep -vxF -f "$1" "$2"; }
