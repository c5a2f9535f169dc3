# globals: rawbpf load --set on a real kernel (progs/globals.bpf.c). target_pid (.rodata, a constant to
# the verifier) lets one process through: a child that waits on a FIFO, then execs a new busybox sh,
# which calls getpid(2) once under the same pid. The program prints every global it was given: a
# string, an enum by name, a bool, a u8 in hex, a negative s64, an array, a char, and the .bss counter
# started at the value set. A value out of range is refused, naming its type and range, before anything
# is loaded. Nothing may be left afterwards.
. /lib/rawbpf/lib.sh
require_prog globals.o
require_rawbpf_cmd load
bpf_ids > before.ids

rawbpf load /progs/globals.o --set small=256 > bad.out 2> bad.err && fail "small=256 (a __u8) was accepted"
cat bad.err
grep -q "global variable 'small' (volatile const __u8, in .rodata): 256 is out of range: accepted 0..=255" bad.err ||
    fail "the refusal should name small, its type and range"
check_nothing_left before.ids "after a refused --set"

mkfifo go
sh -c 'read x < go; exec sh -c ":"' &
child=$!
rawbpf load /progs/globals.o --set target_pid=$child --set greeting=vm --set level=RAWBPF_LOUD \
    --set verbose=true --set small=0xff --set shift=-5 --set ports=443,8080 --set letter=z --set hits=100 \
    --duration 5 > set.out 2> set.err &
rb=$!
wait_for_line set.err 'rawbpf: streaming' 20 "$rb" || { cat set.err; fail "rawbpf did not attach globals.o"; }
echo go > go
wait "$child"
wait_exit "$rb" 30 || { kill -9 "$rb"; cat set.err; fail "rawbpf still running"; }
[ "$WAIT_RC" = 0 ] || { cat set.err; fail "rawbpf load exited with $WAIT_RC"; }
grep 'rawbpf-globals:' set.out
grep -q "rawbpf-globals: pid=$child hits=101 level=2" set.out || fail "no line for pid $child with hits=101 level=2"
grep -q 'rawbpf-globals: greeting=vm verbose=1 small=255' set.out || fail "greeting/verbose/small not as set"
# bpf_trace_printk takes %c only since 5.13 (the printf helpers' common checker): before, that line is refused.
case $(uname -r) in
5.[0-9].* | 5.1[0-2].*) echo "note: $(uname -r) has no %c in bpf_trace_printk: shift/ports/letter line not printed" ;;
*) grep -q 'rawbpf-globals: shift=-5 port0=443 letter=z' set.out || fail "shift/ports/letter not as set" ;;
esac
[ "$(grep -c 'rawbpf-globals: pid=' set.out)" = 1 ] || fail "target_pid let more than one getpid through"
check_nothing_left before.ids "after rawbpf load of globals.o"
echo "ok: every --set value reached the program; only pid $child passed the filter"
exit 0
