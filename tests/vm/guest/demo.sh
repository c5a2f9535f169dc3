# `tests/vm/run demo`: load connect.o for 10 s while a loop connects to 127.0.0.1:4242 every second. rawbpf's
# output goes straight to the console, which the host streams live.
. /lib/rawbpf/lib.sh
require_prog connect.o
( while :; do nc -w1 127.0.0.1 4242 </dev/null >/dev/null 2>&1; sleep 1; done ) &
loop=$!
echo "demo: connect loop is pid $loop (each nc is a child of it); starting rawbpf"
rawbpf load /progs/connect.o --duration 10
rc=$?
kill "$loop" 2>/dev/null
echo "demo: rawbpf exited with $rc"
exit "$rc"
