# old-kernel-sanitize: progs/sanitize.o carries BTF kinds added after 5.10 (ENUM64, signed ENUM,
# DECL_TAG, TYPE_TAG, FLOAT). rawbpf must rewrite them for kernels that lack them, so the object's
# BTF loads (no "refused the object's BTF" fallback) and the program prints its globals.
. /lib/rawbpf/lib.sh
require_prog sanitize.o
require_rawbpf_cmd load

rawbpf load /progs/sanitize.o --explain --duration 4 > out 2>&1 &
rb=$!
wait_for_line out attached 15 "$rb" || { cat out; fail "rawbpf did not attach"; }
for _ in 1 2 3; do /bin/true; done
wait_exit "$rb" 30 || { kill -9 "$rb"; cat out; fail "rawbpf still running"; }
grep -E 'kernel lacks|refused|rawbpf-sanitize' out | head -n 12
[ "$WAIT_RC" = 0 ] || { cat out; fail "rawbpf load exited with $WAIT_RC"; }
grep -q "refused the object's BTF" out && fail "the kernel refused the sanitized BTF"
grep -q 'rawbpf-sanitize: big_hi=1 neg=-1 tag=7' out || fail "no 'rawbpf-sanitize: big_hi=1 neg=-1 tag=7' line"
case $(uname -r) in
5.10.*)
    for kind in ENUM64 DECL_TAG TYPE_TAG FLOAT; do
        grep -q "kernel lacks $kind" out || fail "5.10 lacks $kind but rawbpf did not rewrite it"
    done ;;
*)
    grep -q 'kernel lacks' out && fail "this kernel has every kind, yet rawbpf rewrote some" ;;
esac
echo "ok: sanitized BTF loaded and the globals read back"
exit 0
