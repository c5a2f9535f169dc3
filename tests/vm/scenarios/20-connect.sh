# connect: fentry/fexit on tcp_connect fire for our own connects. A connect to a closed port on 127.0.0.1 still runs
# tcp_connect (it sends the SYN and returns 0; the RST makes connect() fail later with ECONNREFUSED).
# The check is pid-exact: the trace must name a pid of an nc we started, with dport=4242 and ret=0.
. /lib/rawbpf/lib.sh
require_prog connect.o
require_rawbpf_cmd load

rawbpf load /progs/connect.o --duration 6 > out 2>&1 &
rb=$!
wait_for_line out attached 15 "$rb"
case $? in
    2) cat out; fail "rawbpf exited before printing 'attached'" ;;
    1) echo "note: no 'attached' line after 15 s; connecting anyway" ;;
esac

# Three connects, each an nc run in the background so $! is the pid that calls connect().
pids=""
for _ in 1 2 3; do
    nc -w1 127.0.0.1 4242 </dev/null >/dev/null 2>&1 &
    pids="$pids $!"
    wait $!
done
echo "nc pids:$pids"

wait_exit "$rb" 30 || { kill -9 "$rb"; cat out; fail "rawbpf --duration 6 still running after 30 s"; }
echo "rawbpf exited with $WAIT_RC; its output:"
cat out
[ "$WAIT_RC" = 0 ] || fail "rawbpf load exited with $WAIT_RC"

for p in $pids; do
    if grep -qE "fentry tcp_connect: pid=$p dport=4242( |\$)" out && grep -qE "fexit tcp_connect: pid=$p ret=0( |\$)" out
    then
        echo "ok: fentry and fexit of tcp_connect traced for nc pid $p"
        exit 0
    fi
done
fail "no 'fentry tcp_connect: pid=P dport=4242' + 'fexit tcp_connect: pid=P ret=0' pair for any nc pid ($pids)"
