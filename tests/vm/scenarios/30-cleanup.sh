# cleanup: every prog/link/map rawbpf creates is gone once it exits, by --duration and by SIGINT.
# Ids are compared with a snapshot taken before (the kernel may hold other objects), using bpftool in the guest.
. /lib/rawbpf/lib.sh
require_prog connect.o
require_rawbpf_cmd load

# run_and_stop HOW: starts `rawbpf load`, proves it created objects, stops it HOW (duration|sigint), checks cleanup.
run_and_stop() {
    local dur=3 out="$1.out"
    [ "$1" = sigint ] && dur=60
    bpf_ids > before.ids
    rawbpf load /progs/connect.o --duration "$dur" > "$out" 2>&1 &
    local rb=$!
    wait_for_line "$out" attached 15 "$rb"
    [ $? = 2 ] && { cat "$out"; fail "rawbpf exited before printing 'attached' ($1)"; }
    bpf_ids > during.ids
    echo "new objects while running ($1):" $(new_lines before.ids during.ids)
    new_lines before.ids during.ids | grep -q '^prog ' \
        || { cat "$out"; bpftool prog list; fail "no new prog id while rawbpf ran ($1): nothing was loaded, so nothing to check"; }
    if [ "$1" = sigint ]; then
        kill -INT "$rb"
        wait_exit "$rb" 10 || { kill -9 "$rb"; cat "$out"
            fail "rawbpf still running 10 s after SIGINT (a background job inherits SIGINT ignored; rawbpf must install its own handler)"; }
    else
        wait_exit "$rb" 30 || { kill -9 "$rb"; cat "$out"; fail "rawbpf --duration $dur still running after 30 s"; }
    fi
    echo "rawbpf exited with $WAIT_RC ($1)"
    check_nothing_left before.ids "after exit by $1"
}

run_and_stop duration
run_and_stop sigint
exit 0
