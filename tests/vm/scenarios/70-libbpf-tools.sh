# libbpf-tools: the differential test against libbpf on this kernel. Every program of every BPF object embedded in
# Debian's libbpf-tools is loaded alone, without attaching, by libbpf (/bin/loadone) and by rawbpf; both must agree
# on the tag where both load, and what only libbpf loads must be listed in tests/differential/expected/<kernel>.txt
# (a ratchet: see rawbpf/tests/libbpf_tools/main.rs). The runner is rawbpf/examples/differential.rs.
# 240 programs x 2 loaders under TCG take 150-180 s (5.10: one load at a time, see loaders.rs), hence a limit of its
# own (and the boot's limit grows by as much):
# guest-timeout: 900
. /lib/rawbpf/lib.sh
[ -x /bin/differential ] && [ -x /bin/loadone ] \
    || skip "no differential payload in the initramfs (libbpf-tools or libbpf-dev unavailable on the host?)"
rawbpf load --help 2>&1 | grep -q -- --no-attach || skip "this /bin/rawbpf has no 'load --no-attach' (RAWBPF_VM_LOADER=oracle?)"
differential run --oracle /bin/loadone --rawbpf /bin/rawbpf --corpus /differential/corpus \
    --expected-dir /differential/expected --scratch "$PWD" --workers "${DIFF_WORKERS:-$(grep -c ^processor /proc/cpuinfo)}" 2>progress
rc=$?
tail -n 3 progress  # one line per object; the last ones show how far it got (or why it stopped)
exit "$rc"
