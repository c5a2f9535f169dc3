# no-btf: a kernel that exposes no BTF, made by mounting an empty tmpfs over /sys/kernel/btf. (a) rawbpf load of a
# kprobe with CO-RE relocations (progs/core_kprobe.o) explains CONFIG_DEBUG_INFO_BTF and --btf; (b) with --btf given
# the BTF rawbpf extracts from this kernel's own vmlinuz (shipped as /boot/vmlinuz-RELEASE), and then with the
# minimal BTF `rawbpf btf min` writes from it, it loads, fires on do_nanosleep, and the pid/tgid it reads through
# the relocated task_struct offsets are the sleeping process's;
# (c) fentry (progs/connect.o) says why --btf cannot stand in for the kernel's own BTF ids. Nothing is left.
# guest-timeout: 200
. /lib/rawbpf/lib.sh
require_prog core_kprobe.o
require_prog connect.o
require_rawbpf_cmd load
[ -e /sys/bus/event_source/devices/kprobe/type ] || grep -q kprobe_events /proc/mounts 2>/dev/null ||
    [ -e /sys/kernel/tracing/kprobe_events ] || skip "this kernel has no kprobes"
image=/boot/vmlinuz-$(uname -r)
[ -e "$image" ] || skip "no $image in the initramfs (tests/vm/lib/initramfs.sh ships it for btf-extract and no-btf)"
rawbpf btf extract "$image" -o kernel.btf || fail "rawbpf btf extract $image"
bpf_ids > before.ids

mount -t tmpfs none /sys/kernel/btf || fail "cannot hide /sys/kernel/btf"
trap 'umount /sys/kernel/btf 2>/dev/null' EXIT
[ -e /sys/kernel/btf/vmlinux ] && fail "/sys/kernel/btf/vmlinux still visible"

rawbpf load /progs/core_kprobe.o --duration 1 > a.out 2> a.err && fail "(a) loaded CO-RE without any BTF"
cat a.err
grep -q 'CONFIG_DEBUG_INFO_BTF=y is the build option' a.err || fail "(a) no word on CONFIG_DEBUG_INFO_BTF"
grep -q 'fix: pass --btf FILE' a.err || fail "(a) no --btf fix"

# (b) with the extracted BTF, then with the minimal BTF rawbpf btf min takes from it for this object.
rawbpf btf min /progs/core_kprobe.o --btf kernel.btf -o min.btf || fail "(b) rawbpf btf min"
for target in kernel.btf min.btf; do
    rawbpf load /progs/core_kprobe.o --btf $target --duration 6 > b.out 2> b.err &
    rb=$!
    wait_for_line b.err 'rawbpf: streaming' 40 "$rb" || { cat b.err; fail "(b) rawbpf did not attach core_kprobe.o with $target"; }
    grep -q 'this kernel exposes no BTF' b.err || fail "(b) the stand-in is not said"
    : > sleepers
    for _ in 1 2 3; do sleep 0.2 & echo $! >> sleepers; wait $!; done
    wait_exit "$rb" 40 || { kill -9 "$rb"; cat b.err; fail "(b) rawbpf still running"; }
    [ "$WAIT_RC" = 0 ] || { cat b.err; fail "(b) rawbpf load with $target exited with $WAIT_RC"; }
    for p in $(cat sleepers); do
        line=$(grep "rawbpf-core-kprobe: tgid=$p " b.out | head -n1)
        [ -n "$line" ] || { head -n 20 b.out; fail "(b) $target: no line for sleep pid $p"; }
        echo "$target: $line"
        echo "$line" | grep -q "tgid=$p core_tgid=$p core_pid=$p" || fail "(b) $target: CO-RE read the wrong field: $line"
    done
done
echo "note: $(wc -c < kernel.btf) bytes of kernel BTF, $(wc -c < min.btf) bytes of minimal BTF for core_kprobe.o"

rawbpf load /progs/connect.o --btf kernel.btf --duration 1 > c.out 2> c.err && fail "(c) fentry loaded without kernel BTF"
cat c.err
grep -q "fentry programs attach by the kernel's own BTF ids, and this kernel exposes no BTF" c.err ||
    fail "(c) fentry's refusal does not say why"

umount /sys/kernel/btf
check_nothing_left before.ids "after the no-btf loads"
echo "ok: no BTF explained; kprobe CO-RE from the extracted BTF read the right pid; fentry refused with its reason"
exit 0
