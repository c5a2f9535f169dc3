# events: progs/perf_output.o (a perf event array, one ring per CPU) and progs/ringbuf_output.o (a ring buffer)
# send a struct event for every getpid(); rawbpf load --event-type event --json decodes them by the object's BTF.
# Busybox sh calls getpid(2) once at start and prints that pid: each such pid must come back as a record with
# comm "sh", from a CPU ring for perf and without a CPU for the ring buffer; getppid() records are discarded and
# counted. Nothing may be left afterwards.
. /lib/rawbpf/lib.sh
require_prog perf_output.o
require_prog ringbuf_output.o
require_rawbpf_cmd load
bpf_ids > before.ids

for obj in perf_output ringbuf_output; do
    rawbpf load /progs/$obj.o --event-type event --json --duration 4 > $obj.out 2> $obj.err &
    rb=$!
    wait_for_line $obj.err 'rawbpf: streaming' 20 "$rb" || { cat $obj.err; fail "rawbpf did not attach $obj.o"; }
    : > $obj.pids
    for _ in 1 2 3; do sh -c 'echo $$' >> $obj.pids; done
    wait_exit "$rb" 30 || { kill -9 "$rb"; cat $obj.err; fail "rawbpf still running"; }
    [ "$WAIT_RC" = 0 ] || { cat $obj.err; fail "rawbpf load $obj.o exited with $WAIT_RC"; }
    cat $obj.err
    for pid in $(cat $obj.pids); do
        line=$(grep "\"pid\":$pid," $obj.out | head -n1)
        [ -n "$line" ] || { head -n 20 $obj.out; fail "$obj: no record for pid $pid"; }
        echo "$line"
        echo "$line" | grep -q '"map":"events"' || fail "$obj: record without its map: $line"
        echo "$line" | grep -q '"comm":"sh"' || fail "$obj: pid $pid is not sh: $line"
        case $obj in
        perf_output) echo "$line" | grep -q '"cpu":[0-9]*,"size":36,' || fail "perf record without CPU or size 36: $line" ;;
        ringbuf_output) echo "$line" | grep -q '^{"map":"events","size":32,' || fail "ringbuf record shape: $line" ;;
        esac
    done
    grep -q '^rawbpf: events: events: ' $obj.err || fail "$obj: no summary line"
done
grep -q ' record(s), [1-9][0-9]* discarded' ringbuf_output.err || fail "getppid() records were not counted as discarded"
check_nothing_left before.ids "after rawbpf load of perf_output.o and ringbuf_output.o"
echo "ok: perf event array and ring buffer records decoded for every sh pid"
exit 0
