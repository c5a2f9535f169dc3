# usdt: progs/usdt.o's BPF_USDT programs (libbpf's <bpf/usdt.bpf.h>) on the USDT probes of the guest's static
# /bin/rawbpf_usdt_target (tests/vm/guest/usdt_target.c): rawbpf:add at two call sites, (-i, 100 + i) in registers
# and (-7, 1 << 40) as constants, and rawbpf:tick (i, 2 * i from the stack) behind a semaphore. Each kernel takes
# its own way, and the narration must say it: 5.10 has no BPF cookies, so each site's spec is found by its address
# in __bpf_usdt_ip_to_spec_id and the program hangs on its perf events with PERF_EVENT_IOC_SET_BPF; 6.1 gives each
# site's uprobe a perf link with the spec id as its cookie; 6.12 attaches all sites with one uprobe_multi link.
#   1. A target started while attached: every decoded argument, with its pid; the semaphore reads 1.
#   2. A target running before, during and after the load: the kernel raises its semaphore 0 -> 1 when the uprobe
#      comes and lowers it again when it goes (ref_ctr_offset), and tick fires only in between.
#   3. The PIE build (ET_DYN) through `SEC("?usdt")` and --attach-target: decoded on 6.1 and 6.12; refused on 5.10
#      (no cookies, and no pid to find the binary's load address), saying why.
# Nothing may be left: no BPF objects, uprobe_events empty.
# guest-timeout: 150
. /lib/rawbpf/lib.sh
require_prog usdt.o
require_rawbpf_cmd load
[ -x /bin/rawbpf_usdt_target ] || skip "/bin/rawbpf_usdt_target missing (no systemtap-sdt-dev or gcc -static on the host)"
[ -e /sys/bus/event_source/devices/uprobe/type ] || skip "this kernel has no uprobe PMU"
bpf_ids > before.ids
release=$(uname -r); major=${release%%.*}; minor=${release#*.}; minor=${minor%%.*}
version=$((major * 100 + minor))

# How this kernel's attachment must be narrated.
if [ "$version" -ge 606 ]; then
    way='as BPF cookies) through one uprobe_multi link (BPF_LINK_CREATE (uprobe_multi))'
elif [ "$version" -ge 515 ]; then
    way='as BPF cookies) through the uprobe PMU (perf type [0-9]*) (perf_event_open + BPF_LINK_CREATE)'
else
    way='by address in __bpf_usdt_ip_to_spec_id) through the uprobe PMU (perf type [0-9]*) (perf_event_open + PERF_EVENT_IOC_SET_BPF)'
fi

# 1. A target started while attached.
rawbpf load /progs/usdt.o --duration 4 > one.out 2> one.err & rb=$!
wait_for_line one.err 'rawbpf: streaming' 60 "$rb" || { cat one.err; fail "rawbpf did not attach"; }
/bin/rawbpf_usdt_target 3 > target.out & target=$!
wait $target
wait_exit "$rb" 60 || { kill -9 "$rb"; cat one.err; fail "rawbpf still running"; }
[ "$WAIT_RC" = 0 ] || { cat one.err; fail "rawbpf load exited with $WAIT_RC"; }
cat one.err target.out
grep -q "attached rawbpf_usdt_add to usdt /bin/rawbpf_usdt_target:rawbpf:add: 2 sites at file offsets 0x[0-9a-f]*, 0x[0-9a-f]* (spec ids 0, 1 $way" one.err \
    || fail "rawbpf:add not attached to its two sites the way this kernel takes"
grep -q "attached rawbpf_usdt_tick to usdt /bin/rawbpf_usdt_target:rawbpf:tick: 1 site at file offset 0x[0-9a-f]* (spec id 2 .*; semaphore at file offset 0x[0-9a-f]*) through" one.err \
    || fail "rawbpf:tick not attached with its semaphore"
for i in 1 2 3; do
    grep -m1 "rawbpf-usdt: add pid=$target a=-$i b=$((100 + i))\$" one.out || { cat one.out; fail "no add(-$i, $((100 + i)))"; }
    grep -m1 "rawbpf-usdt: tick pid=$target i=$i twice=$((2 * i))\$" one.out || { cat one.out; fail "no tick($i, $((2 * i)))"; }
    grep -q "^round $i: add(-$i, $((100 + i))) = 100, semaphore 1\$" target.out || fail "round $i: the semaphore is not 1"
done
n=$(grep -c "rawbpf-usdt: add pid=$target a=-7 b=1099511627776\$" one.out)
[ "$n" = 3 ] || { cat one.out; fail "the constant site fired $n times, not 3"; }
echo "ok: three rounds from pid $target decoded: registers, constants, the stack; semaphore 1"

# 2. A target running across the load: its semaphore goes 0 -> 1 -> 0.
/bin/rawbpf_usdt_target 400 > across.out & target=$!
wait_for_line across.out '^round 5:' 30 "$target" || fail "the target did not start"
rawbpf load /progs/usdt.o --program rawbpf_usdt_tick --duration 3 > two.out 2> two.err & rb=$!
wait_exit "$rb" 90 || { kill -9 "$rb"; cat two.err; fail "rawbpf (tick) still running"; }
[ "$WAIT_RC" = 0 ] || { cat two.err; fail "rawbpf load (tick) exited with $WAIT_RC"; }
# Some rounds after the detach, then stop the target.
last=$(tail -n1 across.out | sed 's/^round \([0-9]*\):.*/\1/')
wait_for_line across.out "^round $((last + 5)):" 30 "$target" || fail "the target stopped"
kill "$target"; wait "$target" 2>/dev/null
sems=$(sed -n 's/.*semaphore \([0-9]*\)$/\1/p' across.out | uniq | xargs)
echo "semaphore over the rounds: $sems"
[ "$sems" = "0 1 0" ] || { cat two.err; fail "the semaphore went $sems, not 0 1 0"; }
ticks=$(grep -c "rawbpf-usdt: tick pid=$target " two.out)
ones=$(grep -c 'semaphore 1$' across.out)
[ "$ticks" -ge 1 ] && [ "$ticks" -le "$ones" ] || { cat two.out; fail "$ticks ticks for $ones rounds with the semaphore up"; }
echo "ok: a running target's semaphore went 0 -> 1 -> 0; $ticks ticks while it was up"

# 3. The PIE build.
pie="--program rawbpf_usdt_any --attach-target rawbpf_usdt_any=/bin/rawbpf_usdt_target_pie:rawbpf:add"
if [ ! -x /bin/rawbpf_usdt_target_pie ]; then
    echo "note: no /bin/rawbpf_usdt_target_pie (gcc -static-pie failed on the host): part 3 not run"
elif [ "$version" -lt 515 ]; then
    rawbpf load /progs/usdt.o $pie --duration 1 > pie.out 2> pie.err && fail "the PIE attached without cookies"
    cat pie.err
    grep -q 'rawbpf: program rawbpf_usdt_any: usdt /bin/rawbpf_usdt_target_pie:rawbpf:add: the binary is position-independent (ET_DYN: a PIE or a shared library) and this kernel has no BPF cookies (5.15+)' pie.err \
        || fail "the PIE refusal does not say why"
    grep -q 'fix: a kernel with BPF cookies (5.15+), or a binary linked at a fixed address' pie.err || fail "no fix for the PIE"
    echo "ok: the PIE is refused without cookies, saying why"
else
    rawbpf load /progs/usdt.o $pie --duration 4 > pie.out 2> pie.err & rb=$!
    wait_for_line pie.err 'rawbpf: streaming' 60 "$rb" || { cat pie.err; fail "rawbpf did not attach to the PIE"; }
    /bin/rawbpf_usdt_target_pie 2 > pie_target.out & target=$!
    wait $target
    wait_exit "$rb" 60 || { kill -9 "$rb"; fail "rawbpf (PIE) still running"; }
    [ "$WAIT_RC" = 0 ] || { cat pie.err; fail "rawbpf load (PIE) exited with $WAIT_RC"; }
    cat pie.err
    for i in 1 2; do
        grep -m1 "rawbpf-usdt: any pid=$target x=-$i y=$((100 + i))\$" pie.out || { cat pie.out; fail "PIE: no add(-$i)"; }
    done
    grep -m1 "rawbpf-usdt: any pid=$target x=-7 y=1099511627776\$" pie.out || fail "PIE: no constant site"
    grep -m1 "rawbpf-usdt: any args=2\$" pie.out || fail "PIE: bpf_usdt_arg_cnt is not 2"
    echo "ok: the PIE's sites decoded with pid $target"
fi

[ ! -s /sys/kernel/tracing/uprobe_events ] || { cat /sys/kernel/tracing/uprobe_events; fail "uprobe_events not empty"; }
check_nothing_left before.ids "after the USDT runs"
echo "ok: uprobe_events empty"
exit 0
