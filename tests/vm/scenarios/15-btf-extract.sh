# btf-extract: `rawbpf btf extract` on this kernel's own vmlinuz (as its Debian package ships it) must write exactly
# the bytes the running kernel exposes at /sys/kernel/btf/vmlinux.
. /lib/rawbpf/lib.sh
require_rawbpf_cmd btf extract
img=/boot/vmlinuz-$(uname -r)
[ -s "$img" ] || skip "no $img in the initramfs (lib/initramfs.sh adds it when btf-extract is selected)"
rawbpf btf extract "$img" -o /tmp/x.btf > out 2>&1; rc=$?
cat out
[ "$rc" = 0 ] || fail "rawbpf btf extract exited with $rc"
cmp /tmp/x.btf /sys/kernel/btf/vmlinux || fail "the BTF extracted from $img differs from /sys/kernel/btf/vmlinux"
echo "@@RAWBPF-NOTE btf-extract: $(sed -n 's/^  \(lz4\|zstd\|gzip\|xz\|lzma\|lzo\|bzip2\) .*/\1/p' out) payload, $(wc -c < /tmp/x.btf) bytes identical to /sys/kernel/btf/vmlinux"
exit 0
