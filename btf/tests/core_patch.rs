//! Patching instructions with resolved CO-RE relocations: exact bytes after each patch.

mod core_util;

use btf::core::{
    patch, poison_reloc_index, CoreError, PatchOutcome, PatchProblem, PoisonLog, PoisonReason, RelocKind::*,
    SizeChange, POISON_CALL_IMM,
};
use btf::insn::Insn;
use btf::wire::Endian;
use core_util::*;

fn le(i: Insn) -> [u8; 8] {
    i.to_bytes(Endian::Little)
}

/// local: struct s { u32 a; u32 b; u64 ptr_like; int sv; }
/// target: struct s { u64 pad; u64 a; u32 b; ... ; long sv; }
fn pair() -> (btf::Btf, btf::Btf) {
    let mut l = B::new();
    let u32_ = l.int("u32", 4, false); // 1
    let int = l.int("int", 4, true); // 2
    l.st("s", 16, &[("a", u32_, 0), ("b", u32_, 32), ("sv", int, 64)]); // 3
    l.enm64("big", 8, false, &[("HUGE", 1 << 33)]); // 4
    let mut t = B::new();
    let u64_ = t.int("u64", 8, false);
    let u32_ = t.int("u32", 4, false);
    let long = t.int("long", 8, true);
    t.st("s", 32, &[("pad", u64_, 0), ("a", u64_, 64), ("b", u32_, 128), ("sv", long, 192)]);
    t.enm64("big", 8, false, &[("HUGE", 0x1_2345_6789)]);
    (l.btf(), t.btf())
}

#[test]
fn load_offset_is_rewritten() {
    let (l, t) = pair();
    let r = resolve(&l, &t, FieldByteOffset, 3, "0:1");
    // r1 = *(u32 *)(r2 + 4)
    let mut insns = [Insn { code: 0x61, dst: 1, src: 2, off: 4, imm: 0 }];
    let out = patch(&mut insns, 0, &r).unwrap();
    assert_eq!(le(insns[0]), [0x61, 0x21, 16, 0, 0, 0, 0, 0]);
    assert_eq!(out, PatchOutcome::Patched { relo_idx: 0, insn_idx: 0, field: "off", old: 4, new: 16, size: None });
    assert_eq!(out.to_string(), "relo #0: insn #0 off 4 -> 16");
}

#[test]
fn load_size_follows_an_unsigned_field() {
    let (l, t) = pair();
    let r = resolve(&l, &t, FieldByteOffset, 3, "0:0");
    let mut insns = [Insn { code: 0x61, dst: 1, src: 2, off: 0, imm: 0 }];
    let out = patch(&mut insns, 0, &r).unwrap();
    // LDX|MEM|W (0x61) becomes LDX|MEM|DW (0x79) at offset 8.
    assert_eq!(le(insns[0]), [0x79, 0x21, 8, 0, 0, 0, 0, 0]);
    assert!(out.to_string().ends_with("off 0 -> 8, access size 4 -> 8 bytes"), "{out}");
    // A store of the wrong width to begin with is refused.
    let mut insns = [Insn { code: 0x6b, dst: 1, src: 2, off: 0, imm: 0 }]; // STX|MEM|H
    let e = patch(&mut insns, 0, &r).unwrap_err();
    assert!(
        matches!(e, CoreError::Patch { relo: 0, insn: 0, reason: PatchProblem::AccessSize { access: 2, local: 4 } }),
        "{e:?}"
    );
    assert!(e.to_string().contains("accesses 2 bytes, but the local field is 4 bytes"), "{e}");
}

#[test]
fn signed_field_that_changes_size_poisons_the_load() {
    let (l, t) = pair();
    let r = resolve(&l, &t, FieldByteOffset, 3, "0:2");
    let mut insns = [Insn { code: 0x61, dst: 1, src: 2, off: 8, imm: 0 }];
    let out = patch(&mut insns, 0, &r).unwrap();
    assert_eq!(le(insns[0]), [0x85, 0, 0, 0, 0x10, 0x23, 0xad, 0x0b]);
    match &out {
        PatchOutcome::Poisoned { insns, reason: PoisonReason::SizeChange(SizeChange { from, to }), .. } => {
            assert_eq!((insns.as_slice(), from.name.as_str(), to.name.as_str()), (&[0][..], "int", "long"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        out.to_string()
            .ends_with("field type changed from int to long: only pointers and unsigned integers can change size"),
        "{out}"
    );
    // The same relocation in an ALU instruction is just a number: patched.
    let mut alu = [Insn { code: 0x07, dst: 1, src: 0, off: 0, imm: 8 }]; // r1 += 8
    patch(&mut alu, 0, &r).unwrap();
    assert_eq!(le(alu[0]), [0x07, 0x01, 0, 0, 24, 0, 0, 0]);
}

#[test]
fn alu_immediate_is_rewritten() {
    let (l, t) = pair();
    let r = resolve(&l, &t, FieldByteOffset, 3, "0:1");
    // r1 = 4 (mov64 imm)
    let mut insns = [Insn { code: 0xb7, dst: 1, src: 0, off: 0, imm: 4 }];
    patch(&mut insns, 0, &r).unwrap();
    assert_eq!(le(insns[0]), [0xb7, 0x01, 0, 0, 16, 0, 0, 0]);
    // Register-source ALU cannot carry a relocated value.
    let mut insns = [Insn { code: 0xbf, dst: 1, src: 2, off: 0, imm: 0 }];
    let e = patch(&mut insns, 0, &r).unwrap_err();
    assert!(matches!(e, CoreError::Patch { reason: PatchProblem::RegisterOperand { code: 0xbf }, .. }), "{e:?}");
    assert!(e.to_string().contains("ALU instruction 0xbf takes a register"), "{e}");
}

#[test]
fn ld_imm64_gets_both_halves() {
    let (l, t) = pair();
    let r = resolve(&l, &t, EnumvalValue, 4, "0");
    let mut insns =
        [Insn { code: 0x18, dst: 1, src: 0, off: 0, imm: 0 }, Insn { code: 0, dst: 0, src: 0, off: 0, imm: 2 }];
    let out = patch(&mut insns, 0, &r).unwrap();
    assert_eq!(le(insns[0]), [0x18, 0x01, 0, 0, 0x89, 0x67, 0x45, 0x23]);
    assert_eq!(le(insns[1]), [0, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(out.to_string(), "relo #0: insn #0 imm64 8589934592 -> 4886718345");
}

#[test]
fn poisoned_ld_imm64_poisons_both_slots_and_is_logged() {
    let (_, t) = pair();
    let mut l2 = B::new();
    l2.enm64("big", 8, false, &[("GONE", 5)]);
    let l2 = l2.btf();
    let r = resolve(&l2, &t, EnumvalValue, 1, "0");
    let mut insns = [
        Insn { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
        Insn { code: 0x18, dst: 1, src: 0, off: 0, imm: 5 },
        Insn { code: 0, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    let out = patch(&mut insns, 1, &r).unwrap();
    let poison = [0x85, 0, 0, 0, 0x10, 0x23, 0xad, 0x0b];
    assert_eq!((le(insns[1]), le(insns[2])), (poison, poison));
    assert_eq!(insns[1].imm, POISON_CALL_IMM);
    assert_eq!(POISON_CALL_IMM, 195896080);
    assert_eq!(out.to_string(), "relo #0: insn #1, #2 poisoned (call 0xbad2310): enum value missing in target");
    let mut log = PoisonLog::new();
    log.record(&out);
    assert_eq!(poison_reloc_index(&log, 1), Some(0));
    assert_eq!(poison_reloc_index(&log, 2), Some(0));
    assert_eq!(poison_reloc_index(&log, 0), None);
}

#[test]
fn existence_relocations_write_zero_instead_of_poisoning() {
    let (_, t) = pair();
    let mut l2 = B::new();
    let u32_ = l2.int("u32", 4, false);
    l2.st("s", 4, &[("gone", u32_, 0)]);
    let r = resolve(&l2.btf(), &t, FieldExists, 2, "0:0");
    let mut insns = [Insn { code: 0xb4, dst: 0, src: 0, off: 0, imm: 1 }]; // w0 = 1
    patch(&mut insns, 0, &r).unwrap();
    assert_eq!(le(insns[0]), [0xb4, 0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn the_instruction_must_hold_the_local_value() {
    let (l, t) = pair();
    let r = resolve(&l, &t, FieldByteOffset, 3, "0:1");
    let mut insns = [Insn::default(), Insn { code: 0x61, dst: 1, src: 2, off: 8, imm: 0 }];
    let mut res = r.clone();
    res.relo_idx = 5;
    match patch(&mut insns, 1, &res).unwrap_err() {
        CoreError::UnexpectedValue { relo: 5, insn: 1, what: "off", got: 8, expected: 4, new: 16 } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(insns[1].off, 8, "a refused patch leaves the instruction alone");
    let e = patch(&mut insns, 1, &res).unwrap_err().to_string();
    assert_eq!(e, "relocation #5: instruction #1 (off) holds 8, but the local type says 4 (would become 16)");
    // Type ids are not validated.
    let tid = resolve(&l, &t, TypeIdTarget, 3, "0");
    let mut insns = [Insn { code: 0x18, dst: 1, src: 0, off: 0, imm: 99 }, Insn::default()];
    patch(&mut insns, 0, &tid).unwrap();
    assert_eq!(insns[0].imm, 4);
}

#[test]
fn unpatchable_instructions_and_ranges_are_errors() {
    let (l, t) = pair();
    let r = resolve(&l, &t, FieldByteOffset, 3, "0:1");
    let ja = Insn { code: 0x05, dst: 0, src: 0, off: 4, imm: 4 };
    let mut insns = [ja];
    let e = patch(&mut insns, 0, &r).unwrap_err();
    assert_eq!(e, CoreError::Patch { relo: 0, insn: 0, reason: PatchProblem::Unpatchable { insn: ja } });
    assert!(e.to_string().ends_with("code 0x05 (dst r0, src r0, off 4, imm 4) is not an instruction CO-RE can patch"));
    let e = patch(&mut insns, 3, &r).unwrap_err();
    assert_eq!(e, CoreError::Patch { relo: 0, insn: 3, reason: PatchProblem::OutOfRange { count: 1 } });
    assert!(e.to_string().contains("out of range: the program has 1 instructions"), "{e}");
    let mut lone = [Insn { code: 0x18, dst: 1, src: 0, off: 0, imm: 4 }];
    let e = patch(&mut lone, 0, &r).unwrap_err();
    assert!(matches!(e, CoreError::Patch { reason: PatchProblem::NotLdImm64, .. }), "{e:?}");
    assert!(e.to_string().contains("not a plain two-slot ld_imm64"), "{e}");
    // An offset that does not fit 16 bits.
    let mut big = B::new();
    let u8_ = big.int("u8", 1, false);
    let arr = big.arr(u8_, u8_, 40000);
    big.st("s", 40008, &[("pad", arr, 0), ("b", u8_, 40000 * 8)]);
    let mut small = B::new();
    let u8_ = small.int("u8", 1, false);
    small.st("s", 8, &[("b", u8_, 32)]);
    let r = resolve(&small.btf(), &big.btf(), FieldByteOffset, 2, "0:0");
    let mut insns = [Insn { code: 0x71, dst: 1, src: 2, off: 4, imm: 0 }];
    let e = patch(&mut insns, 0, &r).unwrap_err();
    assert!(matches!(e, CoreError::Patch { reason: PatchProblem::OffsetTooLarge { offset: 40000 }, .. }), "{e:?}");
    assert!(e.to_string().contains("offset 40000 does not fit"), "{e}");
}
