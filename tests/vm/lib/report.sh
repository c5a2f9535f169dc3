# Reads the guest's markers out of a console log and renders the kernel × scenario table.

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
