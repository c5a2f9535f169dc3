# kprobe: progs/kprobe.o, the tutorial's "kprobe on clone". ksyscall/clone and kretsyscall/clone resolve to the
# syscall wrapper (__x64_sys_clone) and kprobe/kernel_clone is a plain kprobe. The shell forks three children with
# known pids ($!): each fork must show up as a clone entry and a kernel_clone hit from this shell's pid, and as a
# clone return in this shell with ret = the child's pid. Then: the same through tracefs kprobe_events
# (--probe-attach-mode legacy), a kretprobe with maxactive (r20: in kprobe_events), an offset into kernel_clone
# (--attach-target), kprobe.multi (5.18+; a clear refusal before), and the tutorial's own SEC("kprobe/sys_clone"),
# whose error must name __x64_sys_clone and suggest ksyscall/. Nothing may be left: no BPF objects, and
# kprobe_events empty.
# guest-timeout: 240
. /lib/rawbpf/lib.sh
require_prog kprobe.o
require_rawbpf_cmd load
[ -e /sys/kernel/tracing/kprobe_events ] || skip "this kernel has no kprobe_events (CONFIG_KPROBE_EVENTS off)"
bpf_ids > before.ids
me=$$

# run NAME ARGS...: rawbpf load /progs/kprobe.o ARGS while this shell forks three children; their pids go to
# NAME.kids, rawbpf's stdout/stderr to NAME.out/NAME.err; kprobe_events as seen while attached to NAME.events.
run() {
    local name=$1 rb i
    shift
    : > $name.err
    rawbpf load /progs/kprobe.o "$@" --duration 5 > $name.out 2> $name.err &
    rb=$!
    wait_for_line $name.err 'rawbpf: streaming' 60 "$rb" || { cat $name.err; fail "$name: rawbpf did not attach"; }
    cat /sys/kernel/tracing/kprobe_events > $name.events
    : > $name.kids
    for i in 1 2 3; do true & echo $! >> $name.kids; wait $!; done
    wait_exit "$rb" 60 || { kill -9 "$rb"; cat $name.err; fail "$name: rawbpf still running"; }
    [ "$WAIT_RC" = 0 ] || { cat $name.err; fail "$name: rawbpf load exited with $WAIT_RC"; }
    cat $name.err
}

# expect NAME PATTERN: NAME.out has a line matching PATTERN (printed), else fail.
expect() {
    grep -m1 "$2" $1.out || { head -n 30 $1.out; fail "$1: no trace line matching '$2'"; }
}

# clone_lines NAME: every child of NAME.kids came back from ksyscall, kretsyscall and the kernel_clone kprobe.
clone_lines() {
    local kid
    expect $1 "rawbpf-kprobe: clone entry pid=$me\$"
    expect $1 "rawbpf-kprobe: kernel_clone pid=$me\$"
    for kid in $(cat $1.kids); do expect $1 "rawbpf-kprobe: clone return pid=$me ret=$kid\$"; done
    [ "$(grep -c "rawbpf-kprobe: clone return pid=$me ret=" $1.out)" -ge 3 ] || fail "$1: fewer than 3 clone returns"
}

run pmu
grep -q 'attached rawbpf_ksyscall_clone to kprobe __x64_sys_clone (ksyscall/clone) through the kprobe PMU' pmu.err \
    || fail "ksyscall/clone was not resolved to __x64_sys_clone through the PMU"
grep -q 'attached rawbpf_kretsyscall_clone to kretprobe __x64_sys_clone (kretsyscall/clone)' pmu.err \
    || fail "kretsyscall/clone was not a kretprobe on __x64_sys_clone"
clone_lines pmu
[ ! -s pmu.events ] || { cat pmu.events; fail "the PMU path wrote kprobe_events"; }
echo "ok: ksyscall, kretsyscall and kprobe through the kprobe PMU, pids and return values checked"

run legacy --probe-attach-mode legacy
grep -q 'through tracefs kprobe_events (event kprobes/rawbpf_' legacy.err || fail "legacy mode did not use kprobe_events"
grep -q "^p:kprobes/rawbpf_[0-9]*_[0-9]* __x64_sys_clone" legacy.events || { cat legacy.events; fail "no p: entry"; }
grep -q "^r[0-9]*:kprobes/rawbpf_[0-9]*_[0-9]* __x64_sys_clone" legacy.events || { cat legacy.events; fail "no r: entry"; }
clone_lines legacy
echo "ok: the same through tracefs kprobe_events"

run maxactive --program rawbpf_kretsyscall_clone --kretprobe-maxactive 20
cat maxactive.events
grep -q "^r20:kprobes/rawbpf_" maxactive.events || fail "no r20: entry for --kretprobe-maxactive 20"
for kid in $(cat maxactive.kids); do expect maxactive "rawbpf-kprobe: clone return pid=$me ret=$kid\$"; done
echo "ok: kretprobe with maxactive 20"

# An offset into kernel_clone: an instruction boundary after the ftrace call (nop5 at +0, or endbr64 + nop5 with IBT).
offset_ok=""
for off in 0x5 0x9 0x4; do
    : > offset.err
    rawbpf load /progs/kprobe.o --program rawbpf_kprobe_any --attach-target rawbpf_kprobe_any=kernel_clone+$off \
        --duration 4 > offset.out 2> offset.err &
    rb=$!
    if wait_for_line offset.err 'rawbpf: streaming' 60 "$rb"; then
        true & kid=$!; wait $kid
        wait_exit "$rb" 60 || { kill -9 "$rb"; fail "offset: rawbpf still running"; }
        cat offset.err
        grep -q "kprobe kernel_clone+$off through" offset.err || fail "offset $off not shown"
        expect offset "rawbpf-kprobe: probe hit pid=$me ip="
        offset_ok=$off; break
    fi
    wait_exit "$rb" 30; cat offset.err
    grep -q "probe target \"kernel_clone+$off\": the kernel refused the offset (EILSEQ): it is not the start of an instruction" offset.err \
        || fail "offset $off: refused without saying why"
done
[ -n "$offset_ok" ] || fail "no offset into kernel_clone attached"
echo "ok: kprobe at kernel_clone+$offset_ok"
# Own file names, created empty first: waiting on a file an earlier run wrote would not wait.
: > offset_legacy.err
rawbpf load /progs/kprobe.o --program rawbpf_kprobe_any --attach-target rawbpf_kprobe_any=kernel_clone+$offset_ok \
    --probe-attach-mode legacy --duration 4 > offset_legacy.out 2> offset_legacy.err &
rb=$!
wait_for_line offset_legacy.err 'rawbpf: streaming' 60 "$rb" || { cat offset_legacy.err; fail "legacy offset: rawbpf did not attach"; }
cat /sys/kernel/tracing/kprobe_events > offset_legacy.events
true & kid=$!; wait $kid
wait_exit "$rb" 60 || { kill -9 "$rb"; fail "legacy offset: rawbpf still running"; }
cat offset_legacy.err offset_legacy.events
grep -q "^p:kprobes/rawbpf_[0-9]*_[0-9]* kernel_clone+$((offset_ok))\$" offset_legacy.events \
    || fail "legacy offset: no p: entry at kernel_clone+$offset_ok"
expect offset_legacy "rawbpf-kprobe: probe hit pid=$me ip="
echo "ok: kprobe at kernel_clone+$offset_ok through kprobe_events"

release=$(uname -r); major=${release%%.*}; minor=${release#*.}; minor=${minor%%.*}
# Debian's 6.1 is built without CONFIG_FPROBE: it knows the link type and refuses it (EOPNOTSUPP).
if grep -q '^CONFIG_FPROBE=y' /boot/config-"$release" 2>/dev/null; then
    run multi --program rawbpf_kprobe_multi_clone
    grep -q 'kernel function(s) matching "kernel_clon\*"' multi.err || fail "kprobe.multi not narrated"
    expect multi "rawbpf-kprobe: multi pid=$me\$"
    echo "ok: kprobe.multi on kernel_clon*"
elif [ "$major" -gt 5 ] || { [ "$major" = 5 ] && [ "$minor" -ge 18 ]; }; then
    rawbpf load /progs/kprobe.o --program rawbpf_kprobe_multi_clone --duration 1 > multi.out 2> multi.err && fail "kprobe.multi attached without CONFIG_FPROBE"
    cat multi.err
    grep -q 'this kernel has no kprobe.multi links (BPF_LINK_CREATE failed: EOPNOTSUPP' multi.err \
        && grep -q 'built without CONFIG_FPROBE' multi.err || fail "kprobe.multi refusal does not name CONFIG_FPROBE"
    echo "ok: kprobe.multi refused: no CONFIG_FPROBE"
else
    rawbpf load /progs/kprobe.o --program rawbpf_kprobe_multi_clone --duration 1 > multi.out 2> multi.err && fail "kprobe.multi attached before 5.18"
    cat multi.err
    grep -q 'kprobe.multi links' multi.err && grep -q '5.18' multi.err || fail "kprobe.multi refusal does not say 5.18"
    echo "ok: kprobe.multi refused with the kernel version it needs"
fi

for mode in default legacy; do
    rawbpf load /progs/kprobe.o --program rawbpf_kprobe_sys_clone --probe-attach-mode $mode --duration 1 \
        > tutorial.out 2> tutorial.err && fail "kprobe/sys_clone attached ($mode)"
    cat tutorial.err
    grep -q 'sys_clone is not a kernel symbol' tutorial.err || fail "$mode: the error does not say sys_clone is missing"
    grep -q '__x64_sys_clone' tutorial.err || fail "$mode: the error does not name __x64_sys_clone"
    grep -q 'SEC("ksyscall/clone")' tutorial.err || fail "$mode: the error does not suggest ksyscall/clone"
done
echo "ok: the tutorial's kprobe/sys_clone gets an error naming __x64_sys_clone and ksyscall/clone"

# Ctrl-C (SIGINT) while attached through tracefs: the definitions must go too.
: > sigint.err
rawbpf load /progs/kprobe.o --probe-attach-mode legacy --duration 60 > sigint.out 2> sigint.err &
rb=$!
wait_for_line sigint.err 'rawbpf: streaming' 60 "$rb" || { cat sigint.err; fail "sigint: rawbpf did not attach"; }
[ "$(grep -c rawbpf_ /sys/kernel/tracing/kprobe_events)" = 3 ] || { cat /sys/kernel/tracing/kprobe_events; fail "sigint: not 3 definitions"; }
kill -INT "$rb"
wait_exit "$rb" 30 || { kill -9 "$rb"; fail "sigint: rawbpf still running after SIGINT"; }
cat sigint.err
[ "$WAIT_RC" = 0 ] || fail "sigint: rawbpf exited with $WAIT_RC"
echo "ok: SIGINT while attached through kprobe_events"

[ ! -s /sys/kernel/tracing/kprobe_events ] || { cat /sys/kernel/tracing/kprobe_events; fail "kprobe_events not empty"; }
check_nothing_left before.ids "after the kprobe runs"
echo "ok: kprobe_events empty"
exit 0
