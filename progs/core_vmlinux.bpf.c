// SPDX-License-Identifier: GPL-2.0
/*
 * CO-RE against the running kernel: local, partial definitions of kernel types (only the
 * members used, in an order of our choosing). The btf crate's core_vmlinux test relocates this
 * object against /sys/kernel/btf/vmlinux and compares every result with what libbpf computes
 * (bpftool -d prog load prints libbpf's CO-RE log).
 *
 * Build: clang-19 -target bpf -g -O2 -c core_vmlinux.bpf.c -o core_vmlinux.bpf.o
 */

typedef int pid_t;

struct task_struct {
	pid_t tgid;
	pid_t pid;
	unsigned int flags;
	char comm[16];
	unsigned int in_execve : 1;
	struct task_struct *real_parent;
} __attribute__((preserve_access_index));

/* A flavor for old kernels, where the state field was called `state`. */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

struct sock_common {
	union {
		struct {
			unsigned short skc_dport;
			unsigned short skc_num;
		};
	};
	unsigned short skc_family;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct sk_buff {
	unsigned int len;
	unsigned char pkt_type : 3;
} __attribute__((preserve_access_index));

enum pid_type { PIDTYPE_PID, PIDTYPE_TGID, PIDTYPE_PGID, PIDTYPE_SID, PIDTYPE_MAX, PIDTYPE_GONE };

struct rawbpf_not_in_kernel {
	int a;
} __attribute__((preserve_access_index));

__attribute__((section("raw_tp/sys_enter"), used)) int core_vmlinux(unsigned long long *ctx)
{
	struct task_struct *t = (void *)ctx[0];
	struct sock *sk = (void *)ctx[1];
	struct sk_buff *skb = (void *)ctx[2];
	long r = 0;

	r += t->pid;
	r += t->tgid;
	r += t->comm[3];
	r += t->real_parent->flags;
	r += __builtin_preserve_field_info(t->in_execve, 0 /* BYTE_OFFSET */);
	r += __builtin_preserve_field_info(t->in_execve, 4 /* LSHIFT_U64 */);
	r += __builtin_preserve_field_info(t->in_execve, 5 /* RSHIFT_U64 */);
	if (__builtin_preserve_field_info(((struct task_struct___old *)t)->state, 2 /* EXISTS */))
		r += ((struct task_struct___old *)t)->state;
	r += sk->__sk_common.skc_dport;
	r += sk->__sk_common.skc_family;
	r += skb->len;
	r += __builtin_preserve_field_info(skb->pkt_type, 0 /* BYTE_OFFSET */);
	r += __builtin_preserve_field_info(skb->pkt_type, 4 /* LSHIFT_U64 */);
	r += __builtin_preserve_field_info(skb->pkt_type, 1 /* BYTE_SIZE */);
	r += __builtin_preserve_type_info(*(struct task_struct *)0, 1 /* TYPE_SIZE */);
	r += __builtin_preserve_type_info(*(struct rawbpf_not_in_kernel *)0, 0 /* TYPE_EXISTS */);
	r += __builtin_preserve_type_info(*(struct sock *)0, 2 /* TYPE_MATCHES */);
	r += __builtin_preserve_enum_value(*(enum pid_type *)PIDTYPE_SID, 1 /* ENUMVAL_VALUE */);
	r += __builtin_preserve_enum_value(*(enum pid_type *)PIDTYPE_GONE, 0 /* ENUMVAL_EXISTS */);
	r += __builtin_btf_type_id(*(struct task_struct *)0, 1 /* TYPE_ID_TARGET */);
	return r;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
