# uprobe: progs/uprobe.o's uprobe and uretprobe on rawbpf_target_add of the guest's static /bin/rawbpf_uprobe_target
# (built from tests/vm/guest/uprobe_target.c). The target runs with a known pid ($!) and calls add(i, 100 + i) for
# i = 1..3: each call must show up with that pid, its arguments and its sum, through the uprobe PMU and through
# tracefs uprobe_events (--probe-attach-mode legacy). Nothing may be left: no BPF objects, uprobe_events empty.
# guest-timeout: 120
. /lib/rawbpf/lib.sh
require_prog uprobe.o
require_rawbpf_cmd load
[ -x /bin/rawbpf_uprobe_target ] || skip "/bin/rawbpf_uprobe_target missing (gcc -static failed on the host)"
[ -e /sys/kernel/tracing/uprobe_events ] || skip "this kernel has no uprobe_events (CONFIG_UPROBE_EVENTS off)"
bpf_ids > before.ids

for mode in default legacy; do
    : > $mode.err
    rawbpf load /progs/uprobe.o --probe-attach-mode $mode --duration 4 > $mode.out 2> $mode.err &
    rb=$!
    wait_for_line $mode.err 'rawbpf: streaming' 60 "$rb" || { cat $mode.err; fail "$mode: rawbpf did not attach"; }
    cat /sys/kernel/tracing/uprobe_events > $mode.events
    /bin/rawbpf_uprobe_target 3 > target.out & target=$!
    wait $target
    wait_exit "$rb" 60 || { kill -9 "$rb"; cat $mode.err; fail "$mode: rawbpf still running"; }
    [ "$WAIT_RC" = 0 ] || { cat $mode.err; fail "$mode: rawbpf load exited with $WAIT_RC"; }
    cat $mode.err $mode.events target.out
    case $mode in
    default) grep -q 'attached rawbpf_uprobe_add to uprobe /bin/rawbpf_uprobe_target:rawbpf_target_add (file offset 0x[0-9a-f]*) through the uprobe PMU' $mode.err \
                 || fail "default: not through the uprobe PMU" ;;
    legacy) grep -q '^p:uprobes/rawbpf_[0-9]*_[0-9]* /bin/rawbpf_uprobe_target:0x' $mode.events || fail "legacy: no p: entry in uprobe_events"
            grep -q '^r:uprobes/rawbpf_[0-9]*_[0-9]* /bin/rawbpf_uprobe_target:0x' $mode.events || fail "legacy: no r: entry in uprobe_events" ;;
    esac
    for i in 1 2 3; do
        grep -m1 "rawbpf-uprobe: add entry pid=$target a=$i b=$((100 + i))\$" $mode.out || { cat $mode.out; fail "$mode: no entry for add($i)"; }
        grep -m1 "rawbpf-uprobe: add return pid=$target ret=$((2 * i + 100))\$" $mode.out || { cat $mode.out; fail "$mode: no return for add($i)"; }
    done
    echo "ok: $mode: three calls with pid $target, their arguments and sums"
done
[ ! -s /sys/kernel/tracing/uprobe_events ] || { cat /sys/kernel/tracing/uprobe_events; fail "uprobe_events not empty"; }
check_nothing_left before.ids "after the uprobe runs"
echo "ok: uprobe_events empty"
exit 0
