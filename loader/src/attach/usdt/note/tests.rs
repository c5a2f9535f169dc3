use object::elf::FileHeader64;
use object::LittleEndian as LE;

use super::*;

/// `.note.stapsdt` of tests/vm/guest/usdt_target.c + usdt_semaphore.c as gcc 12 -O2 -static
/// built it (0xe4 bytes at file offset 0xa62b8); `readelf -n` says:
/// rawbpf:add at 0x401740 (-4@%edi -8@%rsi), rawbpf:add at 0x401741 (-4@$-7 -8@$1099511627776),
/// rawbpf:tick at 0x401770 with semaphore 0x4a6ab8 (-8@%rdi -8@-8(%rsp)), base 0x494cd4.
pub(crate) const TARGET_NOTES: &[u8] = &[
    0x08, 0x00, 0x00, 0x00, 0x33, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x73, 0x74, 0x61, 0x70, //
    0x73, 0x64, 0x74, 0x00, 0x40, 0x17, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd4, 0x4c, 0x49, 0x00, //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x72, 0x61, 0x77, 0x62, //
    0x70, 0x66, 0x00, 0x61, 0x64, 0x64, 0x00, 0x2d, 0x34, 0x40, 0x25, 0x65, 0x64, 0x69, 0x20, 0x2d, //
    0x38, 0x40, 0x25, 0x72, 0x73, 0x69, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, //
    0x03, 0x00, 0x00, 0x00, 0x73, 0x74, 0x61, 0x70, 0x73, 0x64, 0x74, 0x00, 0x41, 0x17, 0x40, 0x00, //
    0x00, 0x00, 0x00, 0x00, 0xd4, 0x4c, 0x49, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
    0x00, 0x00, 0x00, 0x00, 0x72, 0x61, 0x77, 0x62, 0x70, 0x66, 0x00, 0x61, 0x64, 0x64, 0x00, 0x2d, //
    0x34, 0x40, 0x24, 0x2d, 0x37, 0x20, 0x2d, 0x38, 0x40, 0x24, 0x31, 0x30, 0x39, 0x39, 0x35, 0x31, //
    0x31, 0x36, 0x32, 0x37, 0x37, 0x37, 0x36, 0x00, 0x08, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, //
    0x03, 0x00, 0x00, 0x00, 0x73, 0x74, 0x61, 0x70, 0x73, 0x64, 0x74, 0x00, 0x70, 0x17, 0x40, 0x00, //
    0x00, 0x00, 0x00, 0x00, 0xd4, 0x4c, 0x49, 0x00, 0x00, 0x00, 0x00, 0x00, 0xb8, 0x6a, 0x4a, 0x00, //
    0x00, 0x00, 0x00, 0x00, 0x72, 0x61, 0x77, 0x62, 0x70, 0x66, 0x00, 0x74, 0x69, 0x63, 0x6b, 0x00, //
    0x2d, 0x38, 0x40, 0x25, 0x72, 0x64, 0x69, 0x20, 0x2d, 0x38, 0x40, 0x2d, 0x38, 0x28, 0x25, 0x72, //
    0x73, 0x70, 0x29, 0x00,
];

/// The notes of `data`, copied to the heap first: `object` reads note headers only from 4-byte
/// aligned bytes (as a file read into a `Vec` is), which a `const` slice need not be.
fn notes(data: &[u8]) -> Result<Vec<UsdtNote>, NoteError> {
    let aligned: Vec<u8> = data.to_vec();
    parse_notes::<FileHeader64<LE>>(LE, 4, &aligned)
}

fn note(provider: &str, name: &str, location: u64, semaphore: u64, args: &str) -> UsdtNote {
    let (provider, name, args) = (provider.into(), name.into(), args.into());
    UsdtNote { provider, name, location, base: 0x494cd4, semaphore, args }
}

#[test]
fn real_notes_read_as_readelf_shows_them() {
    assert_eq!(
        notes(TARGET_NOTES).unwrap(),
        [
            note("rawbpf", "add", 0x401740, 0, "-4@%edi -8@%rsi"),
            note("rawbpf", "add", 0x401741, 0, "-4@$-7 -8@$1099511627776"),
            note("rawbpf", "tick", 0x401770, 0x4a6ab8, "-8@%rdi -8@-8(%rsp)"),
        ]
    );
}

/// One note's bytes: header, owner padded to 4, descriptor padded to 4.
fn one(owner: &[u8], n_type: u32, desc: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend((owner.len() as u32).to_le_bytes());
    v.extend((desc.len() as u32).to_le_bytes());
    v.extend(n_type.to_le_bytes());
    v.extend(owner);
    v.resize(v.len().next_multiple_of(4), 0);
    v.extend(desc);
    v.resize(v.len().next_multiple_of(4), 0);
    v
}

fn desc(strings: &[u8]) -> Vec<u8> {
    let mut d = [0x1000u64, 0x2000, 0].iter().flat_map(|a| a.to_le_bytes()).collect::<Vec<u8>>();
    d.extend(strings);
    d
}

#[test]
fn descriptors_are_checked_as_libbpf_checks_them() {
    let problem = |strings: &[u8]| parse_desc(&desc(strings), true).unwrap_err();
    assert_eq!(parse_desc(&desc(b"p\0n\0\0"), true).unwrap().args, "");
    assert_eq!(parse_desc(&desc(b"p\0n\0:x\0"), true).unwrap().args, "");
    assert_eq!(parse_desc(&desc(b"\0n\0a"), true).unwrap().provider, "");
    // Arguments without a NUL end with the descriptor.
    assert_eq!(parse_desc(&desc(b"p\0n\08@%rax"), true).unwrap().args, "8@%rax");
    assert_eq!(problem(b"p\0"), NoteProblem::Short(26));
    assert_eq!(problem(b"prov"), NoteProblem::Provider);
    assert_eq!(problem(b"p\0\0\0"), NoteProblem::NoName);
    assert_eq!(problem(b"pp\0nn"), NoteProblem::Name);
    assert_eq!(problem(b"p\0nn\0"), NoteProblem::NoArgs);
    let big = parse_desc(
        &[0, 0, 0, 0, 0, 0, 0x12, 0x34].repeat(3).into_iter().chain(*b"p\0n\0\0").collect::<Vec<_>>(),
        false,
    );
    assert_eq!(big.unwrap().location, 0x1234);
}

#[test]
fn foreign_or_broken_notes_fail_with_their_index() {
    let good = one(b"stapsdt\0", 3, &desc(b"p\0n\0\0"));
    let mut two = good.clone();
    two.extend(one(b"GNU\0", 3, &desc(b"p\0n\0\0")));
    assert_eq!(notes(&two), Err(NoteError { index: 1, problem: NoteProblem::Owner }));
    let wrong_type = one(b"stapsdt\0", 1, &desc(b"p\0n\0\0"));
    assert_eq!(notes(&wrong_type), Err(NoteError { index: 0, problem: NoteProblem::Type(1) }));
    // A header claiming more than the section holds.
    let mut cut = good.clone();
    cut.truncate(good.len() - 8);
    assert!(matches!(notes(&cut), Err(NoteError { index: 0, problem: NoteProblem::Framing(_) })));
    assert_eq!(notes(&[]).unwrap(), []);
    assert!(matches!(
        parse_notes::<FileHeader64<LE>>(LE, 16, &good),
        Err(NoteError { problem: NoteProblem::Framing(_), .. })
    ));
}

#[test]
fn no_truncation_or_corruption_panics() {
    for end in 0..=TARGET_NOTES.len() {
        let _ = notes(&TARGET_NOTES[..end]);
    }
    let mut v = TARGET_NOTES.to_vec();
    for i in 0..v.len() {
        for b in [0x00, 0xff, 0x7f] {
            let keep = v[i];
            v[i] = b;
            let _ = notes(&v);
            v[i] = keep;
        }
    }
}
