# smoke: the harness itself works — the kernel exposes BTF, tracefs is mounted, rawbpf runs, bpftool runs.
. /lib/rawbpf/lib.sh
[ -s /sys/kernel/btf/vmlinux ] || fail "/sys/kernel/btf/vmlinux missing (kernel without CONFIG_DEBUG_INFO_BTF?)"
echo "btf: /sys/kernel/btf/vmlinux is $(wc -c < /sys/kernel/btf/vmlinux) bytes"
grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts || fail "tracefs is not mounted at /sys/kernel/tracing"
[ -r /sys/kernel/tracing/trace_pipe ] || fail "no /sys/kernel/tracing/trace_pipe"
ip addr show lo | grep -q 'inet 127.0.0.1' || fail "lo has no 127.0.0.1"
out=$(rawbpf --version 2>&1); rc=$?
echo "rawbpf --version: rc=$rc: $out"
[ "$rc" -le 2 ] || fail "rawbpf did not run (rc=$rc): the binary must be static"
bpftool version >/dev/null 2>&1 || fail "bpftool does not run in the guest (missing libraries?)"
echo "bpftool: $(bpftool version | head -n1); kernel $(uname -r)"
bpftool prog list > progs.txt 2>&1 || { cat progs.txt; fail "bpftool prog list failed in the guest"; }
echo "bpf ids now: $(bpf_ids | xargs)"
exit 0
