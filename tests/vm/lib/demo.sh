# `tests/vm/run demo`: one boot, the guest console streamed live, success when trace lines were seen.
# shellcheck disable=SC2154  # image, initrd, logs: globals of tests/vm/run

# run_demo KERNEL: reads image, initrd, logs, ACCEL. Exits the status: 0 when fentry and fexit lines appeared.
run_demo() {
    local k="$1" log="$logs/demo-$1.log" rc=0
    log "booting $k ($ACCEL) for the demo; the guest's console follows…"
    boot "$log" "${image[$k]}" "$initrd" "rawbpf.mode=demo" live || rc=$?
    [ "$rc" = 124 ] && log "guest timed out after ${BOOT_TIMEOUT}s"
    log "full log: $log"
    if grep -aq 'fentry tcp_connect:' "$log" && grep -aq 'fexit tcp_connect:' "$log"; then
        log "demo: saw fentry and fexit trace lines"; return 0
    fi
    grep -a '^SKIP' "$log" | sed 's/^/vm: demo: /' >&2 || true
    log "demo: no fentry/fexit trace lines seen"; return 1
}
