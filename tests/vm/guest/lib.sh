# Helpers for scenario scripts (busybox sh, run as root in the guest). Source with: . /lib/rawbpf/lib.sh
# Exit codes: 0 pass, 77 skip, anything else fail.

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# require_rawbpf_cmd CMD...: skips while bin/rawbpf does not implement CMD yet (the stub prints "not yet").
require_rawbpf_cmd() {
    rawbpf "$@" --help 2>&1 | grep -q 'not yet' && skip "'rawbpf $*' is not implemented yet (the binary says 'not yet')"
    return 0
}

# Skips unless the BPF object /progs/NAME exists (built by progs-build/build on the host).
require_prog() {
    [ -f "/progs/$1" ] || skip "/progs/$1 missing (progs/*.o not built on the host)"
}

# True while PID runs. A finished background child stays a zombie until `wait`, so `kill -0` is not enough.
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# wait_for_line FILE PATTERN SECONDS PID: waits until FILE has a line matching PATTERN. Returns 1 on timeout and
# 2 when process PID exited first.
wait_for_line() {
    local i=0
    while [ "$i" -lt $(($3 * 10)) ]; do
        grep -q "$2" "$1" 2>/dev/null && return 0
        alive "$4" || { grep -q "$2" "$1" 2>/dev/null && return 0; return 2; }
        usleep 100000; i=$((i + 1))
    done
    return 1
}

# wait_exit PID SECONDS: waits for a background child and sets WAIT_RC to its exit code. Returns 1 if it is still
# running after SECONDS. (Not for use inside $(...): a subshell cannot wait for its parent's children.)
wait_exit() {
    local i=0
    while alive "$1"; do
        [ "$i" -ge $(($2 * 10)) ] && return 1
        usleep 100000; i=$((i + 1))
    done
    wait "$1"; WAIT_RC=$?
}

# The kernel's BPF object ids, one "prog 12" / "map 3" / "link 7" per line, sorted.
bpf_ids() {
    local t
    for t in prog map link; do
        bpftool "$t" list 2>/dev/null | sed -n "s/^\([0-9][0-9]*\): .*/$t \1/p"
    done | sort
}

# Lines in file $2 that are not in file $1 (busybox has no comm; its grep -f with an empty file matches all).
new_lines() {
    if [ -s "$1" ]; then grep -vxF -f "$1" "$2"; else cat "$2"; fi
}

# check_nothing_left BEFORE WHAT: fails unless every BPF object id absent from BEFORE is gone. Polls for up to 3 s:
# maps are freed after an RCU grace period, and bpftool's own short-lived iterator maps linger just as long.
check_nothing_left() {
    local i=0
    while :; do
        bpf_ids > after.ids
        new_lines "$1" after.ids > left.ids
        [ -s left.ids ] || { echo "ok: nothing new remains $2"; return 0; }
        [ "$i" -ge 30 ] && break
        usleep 100000; i=$((i + 1))
    done
    echo "objects still present $2:"; cat left.ids
    bpftool prog list; bpftool link list; bpftool map list
    fail "kernel objects created by rawbpf remain $2"
}
