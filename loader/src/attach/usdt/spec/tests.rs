use super::*;

fn arg(kind: ArgKind, val_off: i64, reg_off: i16, size: i64) -> ArgSpec {
    let bitshift = (64 - 8 * size.unsigned_abs()) as u8;
    ArgSpec { val_off: val_off as u64, kind, reg_off, signed: size < 0, bitshift }
}

#[test]
fn gcc_argument_strings_read_as_libbpf_reads_them() {
    // What gcc 12 wrote for STAP_PROBE3(rawbpf, add, a, b, on_stack) and
    // STAP_PROBE2(rawbpf, add, -7, 1L << 40) (readelf -n of tests/vm/guest/usdt_target.c).
    let s = parse("-4@%edi -8@%rsi -8@-8(%rsp)", 7).unwrap();
    assert_eq!(
        s.args,
        [arg(ArgKind::Reg, 0, 112, -4), arg(ArgKind::Reg, 0, 104, -8), arg(ArgKind::RegDeref, -8, 152, -8)]
    );
    assert_eq!(s.cookie, 7);
    let s = parse("-4@$-7 -8@$1099511627776", 0).unwrap();
    assert_eq!(s.args, [arg(ArgKind::Const, -7, 0, -4), arg(ArgKind::Const, 1 << 40, 0, -8)]);
}

#[test]
fn the_twelve_argument_example_of_libbpf_reads_whole() {
    let s = parse(
        "-4@-1204(%rbp) -4@%edi -8@-1216(%rbp) -8@%r8 -4@$5 -8@%r9 8@%rdx 8@%r10 -4@$-9 -2@%cx -2@%ax -1@%sil",
        0,
    )
    .unwrap();
    let want = [
        arg(ArgKind::RegDeref, -1204, 32, -4),
        arg(ArgKind::Reg, 0, 112, -4),
        arg(ArgKind::RegDeref, -1216, 32, -8),
        arg(ArgKind::Reg, 0, 72, -8),
        arg(ArgKind::Const, 5, 0, -4),
        arg(ArgKind::Reg, 0, 64, -8),
        arg(ArgKind::Reg, 0, 96, 8),
        arg(ArgKind::Reg, 0, 56, 8),
        arg(ArgKind::Const, -9, 0, -4),
        arg(ArgKind::Reg, 0, 88, -2),
        arg(ArgKind::Reg, 0, 80, -2),
        arg(ArgKind::Reg, 0, 104, -1),
    ];
    assert_eq!(s.args, want);
}

#[test]
fn other_forms_and_aliases() {
    assert_eq!(parse("8@(%rsp)", 0).unwrap().args, [arg(ArgKind::RegDeref, 0, 152, 8)]);
    assert_eq!(parse("  4 @ 16 ( %r12)  ", 0).unwrap().args, [arg(ArgKind::RegDeref, 16, 24, 4)]);
    // As libbpf's `%15[^)]`, a blank before ')' is part of the register's name.
    assert_eq!(parse("4@16(%r12 )", 0), Err(SpecError::UnknownRegister { index: 0, register: "r12 ".into() }));
    assert_eq!(
        parse("1@%r15b 2@%r9w 4@%r10d 8@%rip", 0).unwrap().args.iter().map(|a| a.reg_off).collect::<Vec<_>>(),
        [0, 64, 56, 128]
    );
    assert_eq!(
        parse("1@%dil 2@%bp 4@%esp", 0).unwrap().args.iter().map(|a| a.reg_off).collect::<Vec<_>>(),
        [112, 32, 152]
    );
    assert_eq!(parse("", 0).unwrap().args, []);
}

#[test]
fn bad_strings_are_refused_with_where() {
    let unrecognized = |s: &str| matches!(parse(s, 0), Err(SpecError::Unrecognized { .. }));
    for s in ["x", "4", "4@", "4@rax", "4@$", "4@$x", "4@-8(rbp)", "4@-8(%rbp", "4@(%)", "@%rax", "4@$0x10"] {
        assert!(unrecognized(s), "{s:?}: {:?}", parse(s, 0));
    }
    // A register name over 15 characters stops at 15 and then misses its ')'.
    assert!(unrecognized("4@8(%abcdefghijklmnopq)"));
    assert_eq!(parse("4@%eax 4@nope", 0), Err(SpecError::Unrecognized { index: 1, text: "4@nope".into() }));
    assert_eq!(parse("4@%xmm0", 0), Err(SpecError::UnknownRegister { index: 0, register: "xmm0".into() }));
    assert_eq!(parse("4@8(%ah)", 0), Err(SpecError::UnknownRegister { index: 0, register: "ah".into() }));
    assert_eq!(parse("3@%eax", 0), Err(SpecError::BadSize { index: 0, size: 3 }));
    assert_eq!(parse("-16@%rax", 0), Err(SpecError::BadSize { index: 0, size: -16 }));
    assert!(unrecognized("99999999999@%rax"));
    assert!(unrecognized("8@$99999999999999999999"));
    let thirteen = ["4@$1"; 13].join(" ");
    assert_eq!(parse(&thirteen, 0), Err(SpecError::TooManyArgs));
    assert_eq!(parse(&thirteen[..thirteen.len() - 5], 0).unwrap().args.len(), 12);
}

#[test]
fn no_input_panics() {
    // Every prefix of every string above, and some bytes no assembler writes.
    let corpus = ["-4@-1204(%rbp) -4@%edi", "8@(%rsp)", "-4@$-7 -8@$1099511627776", "4@8(%r12)", "\u{0}@%\u{ff}"];
    for s in corpus {
        for end in (0..=s.len()).filter(|&e| s.is_char_boundary(e)) {
            let _ = parse(&s[..end], 0);
        }
    }
    for b in 0u8..=255 {
        let _ = parse(&String::from_utf8_lossy(&[b'4', b'@', b, b'(', b'%', b]), 0);
    }
}

#[test]
fn spec_bytes_are_the_c_layout() {
    let s = parse("-4@-8(%rbp) 2@%cx", 0x1122334455667788).unwrap();
    let b = s.to_bytes();
    assert_eq!(b.len(), 208);
    // args[0]: val_off -8, type 2 (REG_DEREF), reg_off 32, signed, bitshift 32.
    assert_eq!(&b[0..16], &[0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 32, 0, 1, 32]);
    // args[1]: val_off 0, type 1 (REG), reg_off 88, unsigned, bitshift 48.
    assert_eq!(&b[16..32], &[0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 88, 0, 0, 48]);
    assert!(b[32..192].iter().all(|&x| x == 0));
    assert_eq!(&b[192..200], &0x1122334455667788u64.to_le_bytes());
    assert_eq!(&b[200..202], &[2, 0]);
    assert!(b[202..].iter().all(|&x| x == 0));
}
