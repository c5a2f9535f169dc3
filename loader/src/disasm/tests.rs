//! Expected strings follow the format strings of `print_bpf_insn()` in kernel/bpf/disasm.c.

use super::*;
use crate::insn::LD_IMM64;

fn i(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn { code, dst, src, off, imm }
}

fn one(insn: Insn) -> String {
    let (text, used) = format_insn(&[insn], 0);
    assert_eq!(used, 1, "{text}");
    text
}

fn ld64(dst: u8, src: u8, lo: i32, hi: i32) -> [Insn; 2] {
    [i(LD_IMM64, dst, src, 0, lo), i(0, 0, 0, 0, hi)]
}

#[test]
fn alu64_and_alu32() {
    assert_eq!(one(i(0xb7, 0, 0, 0, 0)), "r0 = 0"); // mov64 imm
    assert_eq!(one(i(0xb7, 2, 0, 0, -7)), "r2 = -7");
    assert_eq!(one(i(0xbc, 1, 2, 0, 0)), "w1 = w2"); // mov32 reg
    assert_eq!(one(i(0x07, 1, 0, 0, 8)), "r1 += 8");
    assert_eq!(one(i(0x0f, 1, 10, 0, 0)), "r1 += r10");
    assert_eq!(one(i(0x1f, 3, 4, 0, 0)), "r3 -= r4");
    assert_eq!(one(i(0x27, 3, 0, 0, 3)), "r3 *= 3");
    assert_eq!(one(i(0x34, 3, 0, 0, 10)), "w3 /= 10");
    assert_eq!(one(i(0x47, 3, 0, 0, 1)), "r3 |= 1");
    assert_eq!(one(i(0x57, 3, 0, 0, 255)), "r3 &= 255");
    assert_eq!(one(i(0x67, 1, 0, 0, 32)), "r1 <<= 32");
    assert_eq!(one(i(0x77, 1, 0, 0, 32)), "r1 >>= 32");
    assert_eq!(one(i(0xc7, 1, 0, 0, 32)), "r1 s>>= 32");
    assert_eq!(one(i(0x97, 1, 0, 0, 7)), "r1 %= 7");
    assert_eq!(one(i(0xaf, 1, 2, 0, 0)), "r1 ^= r2");
    assert_eq!(one(i(0x87, 4, 0, 0, 0)), "r4 = -r4"); // neg64
    assert_eq!(one(i(0x84, 4, 0, 0, 0)), "w4 = -w4"); // neg32
}

#[test]
fn cpu_v4_signed_ops_and_sign_extending_moves() {
    assert_eq!(one(i(0x3f, 1, 2, 1, 0)), "r1 s/= r2");
    assert_eq!(one(i(0x97, 1, 0, 1, 3)), "r1 s%= 3");
    assert_eq!(one(i(0xbf, 1, 2, 8, 0)), "r1 = (s8)r2");
    assert_eq!(one(i(0xbf, 1, 2, 32, 0)), "r1 = (s32)r2");
    assert_eq!(one(i(0xbc, 1, 2, 16, 0)), "w1 = (s16)w2");
    assert_eq!(one(i(0x91, 1, 2, 4, 0)), "r1 = *(s8 *)(r2 +4)"); // ldxsb
    assert_eq!(one(i(0x81, 1, 2, -4, 0)), "r1 = *(s32 *)(r2 -4)"); // ldxsw
    assert_eq!(one(i(0xbf, 1, 2, 1, 0x0001_0000)), "r1 = addr_space_cast(r2, 1, 0)");
    assert_eq!(one(i(0xbf, 1, 2, -1, 0)), "r1 = &(void __percpu *)(r2)");
}

#[test]
fn byte_swaps() {
    assert_eq!(one(i(0xdc, 1, 0, 0, 16)), "r1 = be16 r1"); // BPF_ALU | BPF_END | BPF_TO_BE
    assert_eq!(one(i(0xd4, 1, 0, 0, 64)), "r1 = le64 r1");
    assert_eq!(one(i(0xd7, 2, 0, 0, 32)), "r2 = bswap32 r2"); // cpu v4 unconditional swap
}

#[test]
fn loads_and_stores() {
    assert_eq!(one(i(0x79, 1, 2, 8, 0)), "r1 = *(u64 *)(r2 +8)");
    assert_eq!(one(i(0x79, 1, 1, 0, 0)), "r1 = *(u64 *)(r1 +0)");
    assert_eq!(one(i(0x61, 3, 1, 4, 0)), "r3 = *(u32 *)(r1 +4)");
    assert_eq!(one(i(0x69, 3, 1, 2, 0)), "r3 = *(u16 *)(r1 +2)");
    assert_eq!(one(i(0x71, 3, 1, 1, 0)), "r3 = *(u8 *)(r1 +1)");
    assert_eq!(one(i(0x63, 10, 1, -4, 0)), "*(u32 *)(r10 -4) = r1");
    assert_eq!(one(i(0x7b, 10, 1, -16, 0)), "*(u64 *)(r10 -16) = r1");
    assert_eq!(one(i(0x62, 10, 0, -8, 42)), "*(u32 *)(r10 -8) = 42");
    assert_eq!(one(i(0x72, 10, 0, -1, -1)), "*(u8 *)(r10 -1) = -1");
    assert_eq!(one(i(0x20, 0, 0, 0, 12)), "r0 = *(u32 *)skb[12]"); // ld_abs
    assert_eq!(one(i(0x48, 0, 7, 0, 2)), "r0 = *(u16 *)skb[r7 + 2]"); // ld_ind
}

#[test]
fn atomics() {
    assert_eq!(one(i(0xdb, 1, 2, 0, 0x00)), "lock *(u64 *)(r1 +0) += r2");
    assert_eq!(one(i(0xc3, 1, 2, 8, 0x50)), "lock *(u32 *)(r1 +8) &= r2");
    assert_eq!(one(i(0xdb, 1, 2, 0, 0x41)), "r2 = atomic64_fetch_or((u64 *)(r1 +0), r2)");
    assert_eq!(one(i(0xc3, 1, 2, 0, 0xa1)), "r2 = atomic_fetch_xor((u32 *)(r1 +0), r2)");
    assert_eq!(one(i(0xdb, 1, 2, -8, 0xe1)), "r2 = atomic64_xchg((u64 *)(r1 -8), r2)");
    assert_eq!(one(i(0xdb, 1, 2, 0, 0xf1)), "r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)");
    assert_eq!(one(i(0xdb, 3, 2, 0, 0x100)), "r3 = load_acquire((u64 *)(r2 +0))");
    assert_eq!(one(i(0xdb, 1, 2, 0, 0x110)), "store_release((u64 *)(r1 +0), r2)");
    assert_eq!(one(i(0xdb, 1, 2, 0, 0x20)), "BUG_db");
}

#[test]
fn jumps_calls_exit() {
    assert_eq!(one(i(0x25, 1, 0, 5, 3)), "if r1 > 0x3 goto pc+5");
    assert_eq!(one(i(0x15, 0, 0, -3, 0)), "if r0 == 0x0 goto pc-3");
    assert_eq!(one(i(0x55, 0, 0, 1, -1)), "if r0 != 0xffffffff goto pc+1");
    assert_eq!(one(i(0x6d, 1, 2, 2, 0)), "if r1 s> r2 goto pc+2");
    assert_eq!(one(i(0xc5, 1, 0, 2, 0)), "if r1 s< 0x0 goto pc+2");
    assert_eq!(one(i(0xa6, 1, 0, 2, 9)), "if w1 < 0x9 goto pc+2"); // jmp32
    assert_eq!(one(i(0x4e, 1, 2, 0, 0)), "if w1 & w2 goto pc+0");
    assert_eq!(one(i(0x05, 0, 0, -3, 0)), "goto pc-3");
    assert_eq!(one(i(0x06, 0, 0, 0, 70000)), "gotol pc+70000");
    assert_eq!(one(i(0x0d, 3, 0, 0, 0)), "gotox r3");
    assert_eq!(one(i(0xe5, 0, 0, 4, 0)), "may_goto pc+4");
    assert_eq!(one(i(0x95, 0, 0, 0, 0)), "exit");
    assert_eq!(one(i(0x85, 0, 0, 0, 14)), "call bpf_get_current_pid_tgid#14");
    assert_eq!(one(i(0x85, 0, 0, 0, 9999)), "call unknown#9999");
    assert_eq!(one(i(0x85, 0, 1, 0, 5)), "call pc+5");
    assert_eq!(one(i(0x85, 0, 1, 0, -12)), "call pc-12");
    assert_eq!(one(i(0x85, 0, 2, 0, 1234)), "call kernel-function#1234");
}

#[test]
fn ld_imm64_forms() {
    let fmt = |pair: [Insn; 2]| format_insn(&pair, 0);
    assert_eq!(fmt(ld64(1, 0, 0x1234, 0)), ("r1 = 0x1234".to_owned(), 2));
    assert_eq!(fmt(ld64(1, 0, -1, 0x10)), ("r1 = 0x10ffffffff".to_owned(), 2));
    assert_eq!(fmt(ld64(1, 1, 5, 0)).0, "r1 = map[fd:5]");
    assert_eq!(fmt(ld64(2, 2, 5, 16)).0, "r2 = map[fd:5][0]+16");
    assert_eq!(fmt(ld64(1, 3, 777, 0)).0, "r1 = btf_id[777]");
    assert_eq!(fmt(ld64(1, 4, 9, 0)).0, "r1 = subprog[+9]");
    assert_eq!(fmt(ld64(1, 5, 0, 0)).0, "r1 = map[idx:0]");
    assert_eq!(fmt(ld64(1, 6, 1, 4)).0, "r1 = map[idx:1]+4");
    let pair = ld64(1, 1, 42, 0);
    assert_eq!(format_insn_with(&pair, 0, &Xlated).0, "r1 = map[id:42]");
    // Cut short by the end of the program: one slot, reported, no panic.
    assert_eq!(format_insn(&pair[..1], 0), ("BUG_ld_18 (missing second slot)".to_owned(), 1));
    assert_eq!(format_insn(&pair, 2), (String::new(), 0));
}

#[test]
fn symbols_rename_kfuncs_and_pseudo_immediates() {
    struct Names;
    impl Symbols for Names {
        fn call_name(&self, _: usize, insn: &Insn) -> Option<String> {
            (insn.src == 2).then(|| "bpf_obj_new_impl".to_owned())
        }
        fn imm_name(&self, idx: usize, _: &Insn, _: u64) -> Option<String> {
            (idx == 1).then(|| "map[events]".to_owned())
        }
    }
    let prog = [i(0x85, 0, 2, 0, 321), ld64(1, 1, 3, 0)[0], ld64(1, 1, 3, 0)[1]];
    assert_eq!(format_insn_with(&prog, 0, &Names).0, "call bpf_obj_new_impl#321");
    assert_eq!(format_insn_with(&prog, 1, &Names).0, "r1 = map[events]");
    // Helpers keep their UAPI names whatever the symbols say.
    assert_eq!(format_insn_with(&[i(0x85, 0, 0, 0, 1)], 0, &Names).0, "call bpf_map_lookup_elem#1");
}

#[test]
fn invalid_encodings_never_panic() {
    assert_eq!(one(i(0xe7, 1, 0, 0, 0)), "BUG_alu_e7");
    assert_eq!(one(i(0x42, 1, 0, 0, 0)), "BUG_st_42");
    assert_eq!(one(i(0x99, 1, 0, 0, 0)), "BUG_ldx_99"); // ldx dw with MEMSX
    assert_eq!(one(i(0xf5, 1, 0, 0, 0)), "BUG_jmp_f5");
    // Every opcode with a spread of fields formats to something non-empty.
    for code in 0..=255u8 {
        for (src, off, imm) in [(0, 0, 0), (1, -1, -1), (15, i16::MIN, i32::MIN), (2, 1, 0x100)] {
            let prog = [i(code, 15, src, off, imm)];
            assert!(!format_insn(&prog, 0).0.is_empty(), "opcode {code:#x}");
        }
    }
}

#[test]
fn listing_has_indices_opcodes_sources_and_marks() {
    let [a, b] = ld64(1, 1, 4, 0);
    let prog = [
        i(0x79, 6, 1, 0, 0),
        a,
        b,
        i(0x85, 0, 0, 0, 1),
        i(0x15, 0, 0, 1, 0),
        i(0x85, 0, 1, 0, 1),
        i(0x95, 0, 0, 0, 0),
        i(0xb7, 0, 0, 0, 0),
        i(0x95, 0, 0, 0, 0),
    ];
    let mut notes = Annotations::new();
    notes
        .label(0, "handle")
        .source(0, SourceLine { text: "\tu64 x = ctx->a;".into(), file: "/src/progs/demo.bpf.c".into(), line: 12 })
        .mark(0, "CO-RE field ctx.a")
        .mark(2, "map counts")
        .mark(5, "calls helper_sub")
        .label(7, "helper_sub");
    let expected = "\
handle:
; u64 x = ctx->a; @ demo.bpf.c:12
   0: (79) r6 = *(u64 *)(r1 +0)  ; CO-RE field ctx.a
   1: (18) r1 = map[fd:4]  ; map counts
   3: (85) call bpf_map_lookup_elem#1
   4: (15) if r0 == 0x0 goto pc+1
   5: (85) call pc+1  ; calls helper_sub
   6: (95) exit
helper_sub:
   7: (b7) r0 = 0
   8: (95) exit
";
    assert_eq!(format_program(&prog, &notes, &Plain), expected);
}
