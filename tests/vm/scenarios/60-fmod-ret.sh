# fmod_ret: a program on the security_task_kill() hook refuses every SIGURG with EPERM. `kill -URG` on a sleeping
# child succeeds before loading, fails with "Operation not permitted" while attached, and succeeds again after
# rawbpf exits: the program changed the hook's result only while attached. The trace line must name the shell
# that called kill and the child it targeted.
. /lib/rawbpf/lib.sh
require_prog fmod_ret.o
require_rawbpf_cmd load

sleep 120 &
victim=$!
# `kill` is a shell builtin, so the pid calling kill(2) is the `sh -c` itself.
try_kill() { sh -c "kill -URG $victim" > "$1" 2>&1 & KILL_PID=$!; wait "$KILL_PID"; KILL_RC=$?; }

try_kill before; echo "before: rc=$KILL_RC $(cat before)"
[ "$KILL_RC" = 0 ] || fail "kill -URG $victim before loading should succeed"

bpf_ids > before.ids
rawbpf load /progs/fmod_ret.o --duration 8 > out 2>&1 &
rb=$!
wait_for_line out attached 20 "$rb"
case $? in
    2) cat out; fail "rawbpf exited before printing 'attached'" ;;
    1) cat out; fail "no 'attached' line after 20 s" ;;
esac

try_kill during; echo "during (sh pid $KILL_PID): rc=$KILL_RC $(cat during)"
during_pid=$KILL_PID during_rc=$KILL_RC

wait_exit "$rb" 30 || { kill -9 "$rb"; cat out; fail "rawbpf --duration 8 still running after 30 s"; }
echo "rawbpf exited with $WAIT_RC; its output:"
cat out
[ "$WAIT_RC" = 0 ] || fail "rawbpf load exited with $WAIT_RC"
[ "$during_rc" != 0 ] && grep -q "Operation not permitted" during \
    || fail "kill -URG $victim while attached: expected EPERM from the fmod_ret program"
grep -qE "fmod_ret security_task_kill: pid=$during_pid target=$victim sig=23 -> -EPERM" out \
    || fail "no 'fmod_ret security_task_kill: pid=$during_pid target=$victim sig=23' trace line"

try_kill after; echo "after: rc=$KILL_RC $(cat after)"
[ "$KILL_RC" = 0 ] || fail "kill -URG $victim after rawbpf exited should succeed again"
kill "$victim"
check_nothing_left before.ids "after the fmod_ret run"
echo "ok: fmod_ret refused SIGURG only while attached"
