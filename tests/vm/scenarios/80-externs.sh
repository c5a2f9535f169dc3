# externs: progs/externs.o's __kconfig, __ksym and kfunc externs, which rawbpf resolves for this kernel, printed by
# its programs and checked against the guest: LINUX_KERNEL_VERSION against uname (Debian's version in uname -v),
# CONFIG_HZ against /boot/config-$(uname -r), schedule against /proc/kallsyms, the kfunc pid lookup against the
# caller's pid (when this kernel has the kfuncs: 6.2+), LINUX_HAS_SYSCALL_WRAPPER against the kprobe PMU, and the typed per-CPU ksym runqueues (an address only with
# CONFIG_KALLSYMS_ALL, which Debian's kernels have; __weak, as 5.10's BTF has no per-CPU VARs) against the CPU each
# line comes from.
. /lib/rawbpf/lib.sh
require_prog externs.o
require_rawbpf_cmd load
config=/boot/config-$(uname -r)
[ -s "$config" ] || skip "no $config in the guest (the CONFIG_* externs need it; tests/vm/lib/kernels.sh fetches it)"
bpf_ids > before.ids

rawbpf load /progs/externs.o --explain --duration 4 > out 2>&1 &
rb=$!
wait_for_line out 'attached rawbpf_externs_percpu' 20 "$rb" || { cat out; fail "rawbpf did not attach"; }
# busy sh calls getpid(2) once at start, and prints that pid: the programs print for getpid.
for _ in 1 2 3; do sh -c 'echo $$' >> pids; done
wait_exit "$rb" 30 || { kill -9 "$rb"; cat out; fail "rawbpf still running"; }
grep -E 'extern |rawbpf-externs' out | head -n 30
[ "$WAIT_RC" = 0 ] || { cat out; fail "rawbpf load exited with $WAIT_RC"; }

field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" | head -n1; }
v=$(uname -v | sed -n 's/.*Debian \([0-9]*\)\.\([0-9]*\)\.\([0-9]*\).*/\1 \2 \3/p')
[ -n "$v" ] || v=$(uname -r | sed -n 's/^\([0-9]*\)\.\([0-9]*\)\.\([0-9]*\).*/\1 \2 \3/p')
set -- $v
patch=$3; [ "$patch" -gt 255 ] && patch=255
want_version=$(( ($1 << 16) + ($2 << 8) + patch ))
got=$(grep 'rawbpf-externs: version=' out | field version)
[ "$got" = "$want_version" ] || fail "LINUX_KERNEL_VERSION printed $got, want $want_version (uname: $(uname -r) $(uname -v))"
want_hz=$(sed -n 's/^CONFIG_HZ=//p' "$config")
got=$(grep 'rawbpf-externs: version=' out | field hz)
[ "$got" = "$want_hz" ] || fail "CONFIG_HZ printed $got, $config says $want_hz"
want=$(awk '$3 == "schedule" { print $1; exit }' /proc/kallsyms | sed 's/^0*//')
got=$(grep 'rawbpf-externs: schedule=' out | field schedule)
[ "$got" = "$want" ] || fail "schedule printed $got, /proc/kallsyms says $want"
[ "$(grep 'rawbpf-externs: schedule=' out | field missing)" = 0 ] || fail "the __weak missing ksym is not 0"
# libbpf's probe for LINUX_HAS_SYSCALL_WRAPPER: a kprobe on __x64_sys_bpf opens (Debian's kernels have kprobes).
want=0
[ -e /sys/bus/event_source/devices/kprobe/type ] && grep -q ' __x64_sys_bpf$' /proc/kallsyms && want=1
got=$(grep 'rawbpf-externs: syscall_wrapper=' out | field syscall_wrapper)
[ "$got" = "$want" ] || fail "LINUX_HAS_SYSCALL_WRAPPER printed $got, want $want"
[ "$(grep 'rawbpf-externs: weak kfunc exists=' out | field exists)" = 0 ] || fail "the missing weak kfunc exists?"
if grep -q 'extern bpf_task_from_pid (kfunc, __weak) = FUNC' out; then
    for pid in $(cat pids); do
        line=$(grep "rawbpf-externs: tgid=$pid " out) || continue
        [ "$(echo "$line" | field task_tgid)" = "$pid" ] || fail "bpf_task_from_pid($pid) gave another task: $line"
        echo "ok: kfunc bpf_task_from_pid($pid) is the caller"
    done
else
    grep -q 'task_tgid=-1' out || fail "without the kfuncs the program must print task_tgid=-1"
fi
lines=$(grep -c 'rawbpf-externs: cpu=' out)
if grep -q 'extern runqueues (typed ksym, __weak) = 0' out; then
    # This kernel's BTF has no per-CPU VARs (Debian's 5.10): the __weak ksym is 0 and the program returns.
    [ "$lines" = 0 ] || fail "runqueues is missing, yet the typed-ksym program printed"
    echo "note: no runqueues VAR in this kernel's BTF; the __weak ksym is 0"
else
    [ "$lines" -gt 0 ] || fail "no line from the typed-ksym program"
fi
bad=$(grep 'rawbpf-externs: cpu=' out | awk '{ c = ""; r = ""
    for (i = 1; i <= NF; i++) { if ($i ~ /^cpu=/) c = substr($i, 5); if ($i ~ /^rq_cpu=/) r = substr($i, 8) }
    if (c != r) print }')
[ -z "$bad" ] || fail "runqueues of another CPU: $bad"
check_nothing_left before.ids "after rawbpf load of externs.o"
echo "ok: kconfig values, kallsyms address, kfuncs and $lines typed-ksym lines match this kernel"
exit 0
