# attach-target: `rawbpf load --attach-target PROG=FUNC` is libbpf's bpf_program__set_attach_target. libbpf-tools'
# fsdist declares its fentry/fexit programs on placeholders (fentry/dummy_file_read...) that the tool replaces at run
# time with the filesystem's functions (fsslower does the same, but its perf_event_array map with max_entries 0 is a
# gap of its own: tests/differential/expected). Here each is loaded for a real function of the same signature
# (the generic_* ones every filesystem falls back to), by rawbpf and by libbpf (/bin/loadone with a target): both
# must load, with equal tags. Then progs/select.o's bare SEC("?fentry"), through the MODULE:FUNC form.
# Needs the libbpf-tools payload (tests/vm/run builds it for this scenario too). Each load parses the kernel BTF
# under TCG, hence:
# guest-timeout: 240
. /lib/rawbpf/lib.sh
[ -x /bin/loadone ] && [ -d /differential/corpus ] || skip "no libbpf oracle in the initramfs (libbpf-tools or libbpf-dev unavailable on the host?)"
rawbpf load --help 2>&1 | grep -q -- --attach-target || skip "this /bin/rawbpf has no 'load --attach-target'"
require_prog select.o

targets="file_read=generic_file_read_iter file_write=generic_file_write_iter file_open=generic_file_open
file_sync=noop_fsync getattr=simple_getattr"
n=0
for obj in fsdist; do
    for t in $targets; do
        for end in fentry fexit; do
            prog="${t%%=*}_$end" func="${t#*=}" o="/differential/corpus/$obj.bpf.o"
            lib=$(loadone load "$o" "$prog" "$func") || fail "libbpf: $obj $prog on $func: $lib"
            raw=$(rawbpf load "$o" --program "$prog" --attach-target "$prog=$func" --no-attach --json 2>&1) \
                || fail "rawbpf: $obj $prog on $func: $raw"
            ltag="${lib##*tag=}"
            rtag=$(echo "$raw" | sed -n 's/.*"tag":"\([0-9a-f]*\)".*/\1/p')
            [ "$ltag" = "$rtag" ] || fail "$obj $prog on $func: libbpf tag $ltag, rawbpf tag $rtag"
            n=$((n + 1))
        done
    done
done
[ "$n" -eq 10 ] || fail "only $n programs compared"
echo "@@RAWBPF-NOTE attach-target: $n fsdist programs loaded for real targets, tags equal to libbpf's"

out=$(rawbpf load /progs/select.o --program late_fentry --attach-target late_fentry=vmlinux:do_nanosleep --no-attach 2>&1) \
    || fail "select.o late_fentry on vmlinux:do_nanosleep: $out"
echo "$out" | grep -q "name late_fentry" || fail "not loaded: $out"
out=$(rawbpf load /progs/select.o --program late_fentry --no-attach 2>&1) && fail "loaded without a target: $out"
echo "$out" | grep -q -- "--attach-target late_fentry=FUNC" || fail "no hint: $out"
exit 0
