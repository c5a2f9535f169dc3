# Reads the guest's markers out of a console log and renders the kernel × scenario table.
# shellcheck disable=SC2154,SC2034  # kernels, scenarios, logs, boot_rc, boot_time, failed: globals of tests/vm/run

# scenario_status LOG NAME BOOT_RC: PASS, FAIL(rc=N), SKIP, TIMEOUT (boot timed out mid-scenario) or NOT-RUN.
scenario_status() {
    local end
    end=$(grep -a "^@@RAWBPF-SCENARIO $2 END " "$1" | head -n1)
    if [ -n "$end" ]; then
        local rc; rc=$(echo "$end" | sed -n 's/.* rc=\([0-9]*\).*/\1/p')
        case "$rc" in
            0) echo PASS ;; 77) echo SKIP ;; 124|143) echo "FAIL(guest timeout)" ;; *) echo "FAIL(rc=$rc)" ;;
        esac
    elif grep -aq "^@@RAWBPF-SCENARIO $2 BEGIN" "$1"; then
        [ "$3" = 124 ] && echo TIMEOUT || echo "FAIL(crashed)"
    else
        [ "$3" = 124 ] && echo "NOT-RUN(timeout)" || echo NOT-RUN
    fi
}

# scenario_output LOG NAME: the guest's output between the scenario's BEGIN and END markers.
scenario_output() {
    awk -v b="@@RAWBPF-SCENARIO $2 BEGIN" -v e="@@RAWBPF-SCENARIO $2 END" \
        'index($0, b) == 1 { on = 1; next } index($0, e) == 1 { on = 0 } on' "$1"
}

# The guest's uptime when /init started (seconds since the kernel booted).
init_uptime() { sed -n 's/^@@RAWBPF-GUEST .*uptime=\([0-9.]*\).*/\1/p' "$1" | head -n1; }

# Why a boot gave no markers at all: the tail of the console, which usually holds the panic or the hang.
boot_failure_hint() { # boot_failure_hint LOG BOOT_RC
    if [ "$2" = 124 ]; then
        echo "guest timed out after ${BOOT_TIMEOUT}s (qemu killed). Last console lines:"
    else
        echo "qemu exited with $2 before the guest finished. Last console lines:"
    fi
    tail -n 15 "$1" | sed 's/^/    | /'
}

# print_table: kernel × scenario statuses, boot times. Reads kernels, scenarios, logs, boot_rc, boot_time; counts
# into n_pass, n_fail, n_skip and sets failed=1 on any failure.
print_table() {
    local k s st
    echo
    printf '%-22s' scenario; for k in "${kernels[@]}"; do printf '%-18s' "$k"; done; echo
    for s in "${scenarios[@]}"; do
        printf '%-22s' "$s"
        for k in "${kernels[@]}"; do
            st=$(scenario_status "$logs/$k.log" "$s" "${boot_rc[$k]}")
            printf '%-18s' "$st"
            case "$st" in
                PASS) n_pass=$((n_pass + 1)) ;; SKIP) n_skip=$((n_skip + 1)) ;; *) n_fail=$((n_fail + 1)); failed=1 ;;
            esac
        done
        echo
    done
    printf '%-22s' "boot to /init (s)"
    for k in "${kernels[@]}"; do printf '%-18s' "$(init_uptime "$logs/$k.log")"; done; echo
    printf '%-22s' "qemu wall time (s)"; for k in "${kernels[@]}"; do printf '%-18s' "${boot_time[$k]}"; done; echo
}

# print_details: the guest output of every failure (each headed "vm-failed: KERNEL SCENARIO: STATUS", which
# tests/run collects), the reason of every skip, the lines a scenario marked "@@RAWBPF-NOTE " for the report (e.g.
# libbpf-tools' counts), why a kernel did not boot.
print_details() {
    local k s st
    for k in "${kernels[@]}"; do
        if ! grep -aq '^@@RAWBPF-GUEST ' "$logs/$k.log"; then
            failed=1; echo; echo "vm-failed: $k: the guest never reached /init"; boot_failure_hint "$logs/$k.log" "${boot_rc[$k]}"
            continue
        fi
        # No note is not an error (pipefail would end the report here).
        { grep -a '^@@RAWBPF-NOTE ' "$logs/$k.log" || true; } | sed "s/^@@RAWBPF-NOTE /-- $k /"
        if [ "${boot_rc[$k]}" = 124 ]; then
            echo; echo "vm-failed: $k: guest timed out after ${BOOT_TIMEOUT}s (qemu killed)"; failed=1
        fi
        for s in "${scenarios[@]}"; do
            st=$(scenario_status "$logs/$k.log" "$s" "${boot_rc[$k]}")
            case "$st" in
                PASS) ;;
                SKIP) echo "-- $k $s: $(scenario_output "$logs/$k.log" "$s" | grep -a '^SKIP' | head -n1)" ;;
                *) echo; echo "vm-failed: $k $s: $st"; scenario_output "$logs/$k.log" "$s" | tail -n 40 | sed 's/^/    | /' ;;
            esac
        done
    done
}
