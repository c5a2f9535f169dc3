# Boots one kernel under qemu with a hard timeout; picks TCG unless KVM proves it works.

BOOT_TIMEOUT="${RAWBPF_VM_TIMEOUT:-240}"

# extend_boot_timeout SCENARIO...: a scenario that declares its own guest-side limit ("# guest-timeout: N", read by
# guest/init) needs that much more time in the boot's limit too.
extend_boot_timeout() {
    local s extra
    for s in "$@"; do
        extra=$(sed -n 's/^# guest-timeout: *\([0-9][0-9]*\).*/\1/p' "$VM_DIR"/scenarios/[0-9]*-"$s".sh | head -n1)
        BOOT_TIMEOUT=$((BOOT_TIMEOUT + ${extra:-0}))
    done
}

# qemu_args KERNEL INITRD APPEND: sets QEMU_ARGS to the qemu command line. The serial console goes to stdout.
qemu_args() {
    local cpu=max
    [ "$ACCEL" = kvm ] && cpu=host
    QEMU_ARGS=(qemu-system-x86_64 -accel "$ACCEL" -cpu "$cpu" -m 1024 -smp 2 -nodefaults -no-user-config
        -display none -serial stdio -monitor none -no-reboot
        -kernel "$1" -initrd "$2" -append "console=ttyS0 quiet loglevel=3 panic=-1 $3")
}

# boot LOG KERNEL INITRD APPEND [live]: runs qemu, writing the console to LOG (and to stderr when live).
# Returns 124 when the guest timed out (qemu killed). (No `eval` here: under `set -e` it hides timeout's 124.)
boot() {
    local log="$1" rc
    qemu_args "$2" "$3" "$4"
    { printf '#'; printf ' %q' "${QEMU_ARGS[@]}"; echo; } > "$log"
    if [ "${5:-}" = live ]; then
        timeout -k 5 "$BOOT_TIMEOUT" "${QEMU_ARGS[@]}" </dev/null 2>&1 | tr -d '\r' | tee -a "$log" >&2
        rc=${PIPESTATUS[0]}
    else
        timeout -k 5 "$BOOT_TIMEOUT" "${QEMU_ARGS[@]}" </dev/null 2>&1 | tr -d '\r' >> "$log"
        rc=${PIPESTATUS[0]}
    fi
    return "$rc"
}

# Chooses ACCEL: RAWBPF_VM_ACCEL if set; else kvm only when /dev/kvm exists and a short probe boot reaches /init
# (nested KVM can hang forever); else tcg. The verdict is cached per host boot.
choose_accel() { # choose_accel KERNEL INITRD
    if [ -n "${RAWBPF_VM_ACCEL:-}" ]; then ACCEL="$RAWBPF_VM_ACCEL"; return; fi
    ACCEL=tcg
    [ -w /dev/kvm ] || return 0
    local stamp; stamp="$VM_CACHE/kvm-probe.$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"
    if [ -f "$stamp" ]; then ACCEL=$(cat "$stamp"); return; fi
    log "probing KVM (/dev/kvm exists; nested KVM may hang, 20 s limit)…"
    local log; log=$(mktemp)
    # A subshell with stderr discarded: a failing KVM qemu may abort, and bash would report the core dump.
    (ACCEL=kvm BOOT_TIMEOUT=20 boot "$log" "$1" "$2" "rawbpf.mode=probe") 2>/dev/null || true
    if grep -q '@@RAWBPF-DONE' "$log"; then
        ACCEL=kvm; log "  KVM works; using kvm"
    else
        ACCEL=tcg; log "  KVM unusable ($(grep -v '^#' "$log" | tail -n1 | cut -c1-100)); using tcg"
    fi
    rm -f "$log"
    mkdir -p "$VM_CACHE" && echo "$ACCEL" > "$stamp"
}
