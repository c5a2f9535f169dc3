# pins: on a fresh bpffs at /sys/fs/bpf (the guest's own), rawbpf load --pin DIR pins every map of
# progs/maps_globals.o (dots made `_`), `rawbpf map dump pinned` reads one while the load runs, and the pins are
# gone after it. progs/pin_counts.o declares LIBBPF_PIN_BY_NAME: the first load (with --show-maps --json) pins
# rawbpf_pid_calls and counts each sh pid, the pin outlives it, a second load reuses the same map id, and
# progs/pin_counts_small.o (same name, other sizes) is refused naming value_size and max_entries. Nothing left.
# guest-timeout: 180
. /lib/rawbpf/lib.sh
require_prog maps_globals.o
require_prog pin_counts.o
require_prog pin_counts_small.o
require_rawbpf_cmd load
mkdir -p /sys/fs/bpf
mount -t bpf bpf /sys/fs/bpf || skip "cannot mount a bpffs on /sys/fs/bpf"
bpf_ids > before.ids

# 1. --pin DIR: readable from another process while the load runs, removed at exit.
rawbpf load /progs/maps_globals.o --pin /sys/fs/bpf/mg --duration 4 > mg.out 2> mg.err &
rb=$!
wait_for_line mg.err 'rawbpf: streaming' 30 "$rb" || { cat mg.err; fail "rawbpf did not attach maps_globals.o"; }
grep -q '^rawbpf: pinned 5 map(s) in /sys/fs/bpf/mg, removed at exit$' mg.err || { cat mg.err; fail "no pin line"; }
names=$(ls /sys/fs/bpf/mg | sort | tr '\n' ' ')
[ "$names" = "maps_glo_bss maps_glo_data maps_glo_rodata rawbpf_counts rawbpf_stats " ] || fail "pins: $names"
sh -c 'echo $$' > /dev/null
usleep 300000
rawbpf map dump pinned /sys/fs/bpf/mg/maps_glo_data > data.txt 2>&1 || { cat data.txt; fail "map dump pinned"; }
cat data.txt
grep -q '^key: 00 00 00 00  value: { .rawbpf_calls = [0-9]* }$' data.txt || fail "no decoded .data in the dump"
calls=$(sed -n 's/.*rawbpf_calls = \([0-9]*\).*/\1/p' data.txt)
[ "$calls" -ge 2 ] || fail "rawbpf_calls is $calls: the program never ran"
wait_exit "$rb" 30 || { kill -9 "$rb"; fail "rawbpf still running"; }
[ "$WAIT_RC" = 0 ] || { cat mg.err; fail "rawbpf load maps_globals.o exited with $WAIT_RC"; }
[ ! -e /sys/fs/bpf/mg ] || { ls -la /sys/fs/bpf/mg; fail "pins left after exit"; }

# 2. LIBBPF_PIN_BY_NAME: created and pinned, each sh pid counted, seen in the last --show-maps line.
rawbpf load /progs/pin_counts.o --show-maps=0.5 --json --duration 4 --explain > pc.out 2> pc.err &
rb=$!
wait_for_line pc.err 'rawbpf: streaming' 30 "$rb" || { cat pc.err; fail "rawbpf did not attach pin_counts.o"; }
: > pc.pids
for _ in 1 2 3; do sh -c 'echo $$' >> pc.pids; usleep 500000; done
wait_exit "$rb" 30 || { kill -9 "$rb"; fail "rawbpf still running"; }
[ "$WAIT_RC" = 0 ] || { cat pc.err; fail "rawbpf load pin_counts.o exited with $WAIT_RC"; }
grep 'rawbpf_pid_calls' pc.err | grep -v 'rawbpf::sys'
grep -q 'pinned at /sys/fs/bpf/rawbpf_pid_calls (LIBBPF_PIN_BY_NAME): the pin stays' pc.err || fail "no pin step"
[ "$(grep -c '^{"map":"rawbpf_pid_calls","time":' pc.out)" -ge 5 ] || { cat pc.out; fail "fewer than 5 --show-maps lines"; }
last=$(tail -n 1 pc.out)
for pid in $(cat pc.pids); do
    echo "$last" | grep -q "{\"key\":$pid,\"value\":[1-9][0-9]*}" || { echo "$last"; fail "pid $pid not counted"; }
done
[ -e /sys/fs/bpf/rawbpf_pid_calls ] || fail "the LIBBPF_PIN_BY_NAME pin did not outlive the load"
id=$(rawbpf map show pinned /sys/fs/bpf/rawbpf_pid_calls --json | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
[ -n "$id" ] || fail "map show pinned gave no id"
rawbpf load /progs/pin_counts.o --no-attach --json > reuse.out 2> reuse.err || { cat reuse.err; fail "second load"; }
cat reuse.out
grep -q "\"name\":\"rawbpf_pid_calls\",\"id\":$id}" reuse.out || fail "the second load did not reuse map $id"
if rawbpf load /progs/pin_counts_small.o --no-attach > small.out 2> small.err; then fail "incompatible pin reused"; fi
cat small.err
grep -q '^  value_size   declared 4, pinned 8$' small.err || fail "value_size difference not named"
grep -q '^  max_entries  declared 16, pinned 1024$' small.err || fail "max_entries difference not named"
rm /sys/fs/bpf/rawbpf_pid_calls
check_nothing_left before.ids "after the pinned loads and removing the pin"
echo "ok: --pin, map dump pinned, LIBBPF_PIN_BY_NAME reuse and refusal, --show-maps"
exit 0
