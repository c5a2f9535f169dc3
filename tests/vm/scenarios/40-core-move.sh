# core-move: progs/core_move.o was built against the 6.18 vmlinux.h, where task_struct::pid is at
# byte 1264. On this kernel it sits elsewhere: rawbpf must patch the offset to this kernel's (as its
# own BTF says), and the pid read through it must equal the pid the kernel writes in each line.
. /lib/rawbpf/lib.sh
require_prog core_move.o
require_rawbpf_cmd load

want=$(rawbpf btf dump task_struct --kind struct | awk '$1 == "pid_t" && $2 == "pid;" { print $4; exit }')
[ -n "$want" ] || fail "cannot find task_struct::pid in this kernel's BTF"
echo "this kernel: task_struct::pid at byte $want"

rawbpf load /progs/core_move.o --explain --duration 4 > out 2>&1 &
rb=$!
wait_for_line out attached 15 "$rb" || { cat out; fail "rawbpf did not attach"; }
for _ in 1 2 3; do /bin/true; done
wait_exit "$rb" 30 || { kill -9 "$rb"; cat out; fail "rawbpf still running"; }
grep -E 'task_struct::pid|rawbpf-core-move' out | head -n 8
[ "$WAIT_RC" = 0 ] || { cat out; fail "rawbpf load exited with $WAIT_RC"; }

grep -q "struct task_struct::pid .*local 1264 → target $want" out ||
    fail "no CO-RE decision 'local 1264 → target $want' for task_struct::pid"
lines=$(grep -c 'rawbpf-core-move: ' out)
[ "$lines" -gt 0 ] || fail "no rawbpf-core-move line"
# Every line: the CO-RE-read pid equals the header's pid, and the offset is this kernel's.
bad=$(grep 'rawbpf-core-move: ' out | awk -v want="$want" '{
    n = split($2, a, "-"); hdr = a[n]
    pid = ""; off = ""
    for (i = 1; i <= NF; i++) { if ($i ~ /^pid=/) pid = substr($i, 5); if ($i ~ /^pid_off=/) off = substr($i, 9) }
    if (pid != hdr || off != want) print
}')
[ -z "$bad" ] || fail "mismatched lines: $bad"
echo "ok: $lines lines, pid read at offset $want matches the kernel's pid"
exit 0
