/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * rawbpf_helpers.h: the few macros and helper declarations rawbpf's example programs need,
 * written out so nothing depends on libbpf's headers. Include it after "vmlinux.h".
 *
 * Everything here is plain C that clang turns into ELF sections, symbols and BTF; the loader
 * (loader/src/object/) reads those back:
 *   SEC("x")          -> the function or variable lands in ELF section "x"; for programs the
 *                        section name tells the loader the program type and attach target.
 *   __uint / __type   -> members of a map definition in ".maps", encoded purely in BTF types.
 *   bpf_xxx(...)      -> a call to kernel helper number N: `call N` in the instruction stream.
 */
#ifndef RAWBPF_HELPERS_H
#define RAWBPF_HELPERS_H

/* Place a function or variable in a named ELF section. `used` keeps unreferenced maps. */
#define SEC(name) __attribute__((section(name), used))

#define __always_inline inline __attribute__((always_inline))
#define __noinline __attribute__((noinline))

/*
 * BTF-defined map members. `__uint(max_entries, 64)` declares `int (*max_entries)[64]`: a
 * pointer to an array whose element count carries the number, so the value lives in BTF
 * only and the map struct takes no data. `__type(key, T)` declares `T *key`: the loader
 * reads the pointee's size and BTF id.
 */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]

/* Kernel helpers are called by number; the pointer's value is the helper id. */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static long (*bpf_trace_printk)(const char *fmt, __u32 fmt_size, ...) = (void *)6;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)113;
static __u32 (*bpf_get_smp_processor_id)(void) = (void *)8;
static void *(*bpf_this_cpu_ptr)(const void *percpu_ptr) = (void *)154;
static long (*bpf_tail_call)(void *ctx, void *prog_array_map, __u32 index) = (void *)12;

/*
 * Externs the loader resolves for the running kernel (loader/src/externs/), as libbpf's
 * bpf_helpers.h declares them: `__kconfig` values land in the DATASEC ".kconfig" (the loader's
 * `.kconfig` map), `__ksym` kernel symbols and kfuncs in ".ksyms". A `__weak` extern may be
 * missing from the kernel: it is zero then, which bpf_ksym_exists() tests.
 */
#define __kconfig __attribute__((section(".kconfig")))
#define __ksym __attribute__((section(".ksyms")))
#define __weak __attribute__((weak))

/* A __kconfig extern of this type takes y/n/m. */
enum libbpf_tristate {
	TRI_NO = 0,
	TRI_YES = 1,
	TRI_MODULE = 2,
};

/* True when a __weak ksym or kfunc exists in this kernel (the loader made its address 0 if not). */
#define bpf_ksym_exists(sym)                                                                   \
	({                                                                                     \
		_Static_assert(!__builtin_constant_p(!!sym), #sym " should be marked as __weak"); \
		!!sym;                                                                         \
	})

/*
 * bpf_printk: bpf_trace_printk with the format in a static array (it ends up in .rodata,
 * which the loader turns into a frozen array map). At most 3 arguments: that is all
 * bpf_trace_printk takes (kernels before 5.16 have no bpf_trace_vprintk).
 */
#define bpf_printk(fmt, args...)                                                               \
	({                                                                                     \
		static const char ____fmt[] = fmt;                                             \
		bpf_trace_printk(____fmt, sizeof(____fmt), ##args);                            \
	})

/* Network to host byte order for 16 bits (BPF targets here are little endian). */
#define bpf_ntohs(x) ((__u16)__builtin_bswap16(x))

/* Map update flags. */
#define BPF_ANY 0
#define BPF_NOEXIST 1

/*
 * BPF_PROG(name, args...): a tracing program (fentry/fexit/tp_btf/raw_tp) gets one argument,
 * `u64 *ctx`, holding the traced function's arguments. This macro defines `name(ctx)` and a
 * typed inner function `____name(ctx, args...)` and unpacks ctx[i] into the i-th argument.
 */
#define ___bpf_concat(a, b) a##b
#define ___bpf_apply(fn, n) ___bpf_concat(fn, n)
#define ___bpf_nth(_, _1, _2, _3, _4, _5, _6, N, ...) N
#define ___bpf_narg(...) ___bpf_nth(_, ##__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define ___bpf_ctx_cast0() ctx
#define ___bpf_ctx_cast1(x) ___bpf_ctx_cast0(), (void *)ctx[0]
#define ___bpf_ctx_cast2(x, args...) ___bpf_ctx_cast1(args), (void *)ctx[1]
#define ___bpf_ctx_cast3(x, args...) ___bpf_ctx_cast2(args), (void *)ctx[2]
#define ___bpf_ctx_cast4(x, args...) ___bpf_ctx_cast3(args), (void *)ctx[3]
#define ___bpf_ctx_cast5(x, args...) ___bpf_ctx_cast4(args), (void *)ctx[4]
#define ___bpf_ctx_cast6(x, args...) ___bpf_ctx_cast5(args), (void *)ctx[5]
#define ___bpf_ctx_cast(args...) ___bpf_apply(___bpf_ctx_cast, ___bpf_narg(args))(args)

#define BPF_PROG(name, args...)                                                                \
	name(unsigned long long *ctx);                                                         \
	static __always_inline typeof(name(0)) ____##name(unsigned long long *ctx, ##args);    \
	typeof(name(0)) name(unsigned long long *ctx)                                          \
	{                                                                                      \
		_Pragma("GCC diagnostic push")                                                 \
		_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")                         \
		return ____##name(___bpf_ctx_cast(args));                                      \
		_Pragma("GCC diagnostic pop")                                                  \
	}                                                                                      \
	static __always_inline typeof(name(0)) ____##name(unsigned long long *ctx, ##args)

/*
 * CO-RE-lite: read a field through a kernel pointer with bpf_probe_read_kernel, recording a
 * CO-RE relocation for the field's offset (__builtin_preserve_access_index), so the loader
 * can fix the offset for the running kernel. For BTF-typed pointers (fentry, tp_btf) plain
 * `p->field` works too: vmlinux.h marks its structs preserve_access_index.
 */
#define BPF_CORE_READ_INTO(dst, src, field)                                                    \
	bpf_probe_read_kernel((void *)(dst), sizeof(*(dst)),                                   \
			      (const void *)__builtin_preserve_access_index(&(src)->field))

#define BPF_CORE_READ(src, field)                                                              \
	({                                                                                     \
		typeof((src)->field) ____val = {};                                             \
		BPF_CORE_READ_INTO(&____val, src, field);                                      \
		____val;                                                                       \
	})

#endif /* RAWBPF_HELPERS_H */
