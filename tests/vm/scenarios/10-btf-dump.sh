# btf-dump: `rawbpf btf dump tcp_connect` renders the function from this kernel's own BTF.
. /lib/rawbpf/lib.sh
require_rawbpf_cmd btf dump
rawbpf btf dump tcp_connect > out 2>&1; rc=$?
head -n 20 out
grep -qF 'int tcp_connect(struct sock *sk);' out || fail "no 'int tcp_connect(struct sock *sk);' in the output"
[ "$rc" = 0 ] || fail "rawbpf btf dump exited with $rc"
exit 0
