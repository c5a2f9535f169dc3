# close-count: the tutorial's tracepoint, const volatile and HASH-map steps (progs/close_count.bpf.c).
# rawbpf load --set target_pid=$$ attaches to syscalls/sys_enter_close; this shell then closes fd 3
# five times. While it runs, `rawbpf map count` says the HASH map holds exactly one element (the
# filter let only this shell through), by batch lookups and the same by the key walk, and
# `map lookup ... key $$` gives at least 5 closes; the trace lines name this shell's pid and fd 3. Nothing may be left afterwards.
. /lib/rawbpf/lib.sh
require_prog close_count.o
require_rawbpf_cmd load
require_rawbpf_cmd map
bpf_ids > before.ids

me=$$
rawbpf load /progs/close_count.o --set target_pid=$me --duration 8 > close.out 2> close.err &
rb=$!
wait_for_line close.err 'rawbpf: streaming' 20 "$rb" || { cat close.err; fail "rawbpf did not attach close_count.o"; }
for _ in 1 2 3 4 5; do exec 3</dev/null; exec 3<&-; done
count=$(rawbpf map count name close_counts) || fail "map count failed"
echo "map count: $count"
[ "$count" = 1 ] || fail "close_counts should hold exactly this shell's pid, got: $count"
# Batch lookups exist since 5.6 for hashes: every kernel here counts with them, and the key walk agrees.
json=$(rawbpf map count name close_counts --json --explain) || fail "map count --json failed"
echo "map count --json: $json"
[ "$json" = '{"count":1,"method":"batch"}' ] || fail "expected a batch count of 1, got: $json"
walk=$(rawbpf map count name close_counts --json --count-method=get_next_key) || fail "map count by keys failed"
[ "$walk" = '{"count":1,"method":"get_next_key"}' ] || fail "the key walk disagrees: $walk"
value=$(rawbpf map lookup name close_counts key $me --json) || fail "no element for pid $me"
echo "lookup: $value"
n=$(echo "$value" | sed -n 's/.*"value":\([0-9]*\).*/\1/p')
[ -n "$n" ] && [ "$n" -ge 5 ] || fail "close_counts[$me] = '$n', expected at least 5"
wait_exit "$rb" 30 || { kill -9 "$rb"; cat close.err; fail "rawbpf still running"; }
[ "$WAIT_RC" = 0 ] || { cat close.err; fail "rawbpf load exited with $WAIT_RC"; }
lines=$(grep -c "rawbpf-close: pid=$me fd=3 count=" close.out)
[ "$lines" -ge 5 ] || { head -n 20 close.out; fail "expected 5 trace lines for pid $me fd 3, got $lines"; }
grep "rawbpf-close: " close.out | grep -v "pid=$me " && fail "a line from another pid passed the filter"
check_nothing_left before.ids "after rawbpf load of close_count.o"
echo "ok: tracepoint sys_enter_close, --set target_pid, HASH map counted ($count) and looked up ($n)"
exit 0
