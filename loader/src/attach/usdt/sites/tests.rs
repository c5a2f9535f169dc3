use object::elf::{ET_REL, PF_R, PF_W, SHT_PROGBITS, SHT_STRTAB};

use super::*;
use crate::attach::usdt::note::tests::TARGET_NOTES;

/// A `PT_LOAD` segment: vaddr, memsz, file offset, flags.
type Seg = (u64, u64, u64, u32);

/// The segments of the gcc-built target whose notes are `TARGET_NOTES` (readelf -lW).
const TARGET_SEGMENTS: [Seg; 4] = [
    (0x400000, 0x518, 0, PF_R),
    (0x401000, 0x77e01, 0x1000, PF_R | PF_X),
    (0x479000, 0x27056, 0x79000, PF_R),
    (0x4a16d8, 0xb3e8, 0xa06d8, PF_R | PF_W),
];

/// A minimal ELF64: header, program headers, the notes, `.stapsdt.base` at `base` (if any),
/// the section name table and the section headers.
fn elf(e_type: u16, segments: &[Seg], notes: &[u8], base: Option<u64>) -> Vec<u8> {
    let mut v = vec![0u8; 64];
    v[..8].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    let put16 = |v: &mut Vec<u8>, at: usize, x: u16| v[at..at + 2].copy_from_slice(&x.to_le_bytes());
    put16(&mut v, 16, e_type);
    put16(&mut v, 18, 62);
    v[20..24].copy_from_slice(&1u32.to_le_bytes());
    v[32..40].copy_from_slice(&64u64.to_le_bytes());
    put16(&mut v, 52, 64);
    put16(&mut v, 54, 56);
    put16(&mut v, 56, segments.len() as u16);
    put16(&mut v, 58, 64);
    for &(vaddr, memsz, offset, flags) in segments {
        let fields = [offset, vaddr, vaddr, memsz, memsz, 0x1000];
        v.extend(PT_LOAD.to_le_bytes());
        v.extend(flags.to_le_bytes());
        v.extend(fields.iter().flat_map(|f| f.to_le_bytes()));
    }
    let notes_at = v.len() as u64;
    v.extend(notes);
    let names = b"\0.note.stapsdt\0.stapsdt.base\0.shstrtab\0";
    let names_at = v.len() as u64;
    v.extend(names);
    v.resize(v.len().next_multiple_of(8), 0);
    let shoff = v.len() as u64;
    // (name, type, addr, offset, size, align)
    let mut sections = vec![(0, 0, 0, 0, 0, 0), (1, SHT_NOTE, 0, notes_at, notes.len() as u64, 4)];
    if let Some(addr) = base {
        sections.push((15, SHT_PROGBITS, addr, 0, 1, 1));
    }
    sections.push((29, SHT_STRTAB, 0, names_at, names.len() as u64, 1));
    for &(name, ty, addr, offset, size, align) in &sections {
        v.extend((name as u32).to_le_bytes());
        v.extend(ty.to_le_bytes());
        v.extend([0u64, addr, offset, size].iter().flat_map(|f| f.to_le_bytes()));
        v.extend([0u8; 8]);
        v.extend([align as u64, 0].iter().flat_map(|f| f.to_le_bytes()));
    }
    v[40..48].copy_from_slice(&shoff.to_le_bytes());
    put16(&mut v, 60, sections.len() as u16);
    put16(&mut v, 62, sections.len() as u16 - 1);
    v
}

fn target(base: Option<u64>) -> Vec<u8> {
    elf(ET_EXEC, &TARGET_SEGMENTS, TARGET_NOTES, base)
}

#[test]
fn sites_of_the_real_target_become_file_offsets() {
    let s = find(&target(Some(0x494cd4)), "rawbpf", "add", 9).unwrap();
    assert!(!s.position_independent);
    assert_eq!(s.probes, ["rawbpf:add", "rawbpf:tick"]);
    let at: Vec<_> = s.sites.iter().map(|s| (s.address, s.file_offset, s.semaphore_offset)).collect();
    assert_eq!(at, [(0x401740, 0x1740, 0), (0x401741, 0x1741, 0)]);
    assert_eq!(s.sites[1].args, "-4@$-7 -8@$1099511627776");
    assert_eq!(s.sites[1].spec, spec::parse("-4@$-7 -8@$1099511627776", 9).unwrap());
    // The semaphore is in the RW segment: file offset 0xa5ab8, as readelf -S places .probes.
    let tick = find(&target(Some(0x494cd4)), "rawbpf", "tick", 0).unwrap();
    assert_eq!(tick.sites.len(), 1);
    assert_eq!((tick.sites[0].file_offset, tick.sites[0].semaphore_offset), (0x1770, 0xa5ab8));
    assert!(find(&target(None), "rawbpf", "nope", 0).unwrap().sites.is_empty());
    assert!(find(&target(None), "rawbpf_", "add", 0).unwrap().sites.is_empty());
}

#[test]
fn a_moved_base_section_moves_the_sites() {
    // prelink moved .stapsdt.base (and the code) by 0x100; the notes still say 0x494cd4.
    let s = find(&target(Some(0x494dd4)), "rawbpf", "add", 0).unwrap();
    assert_eq!(s.sites[0].address, 0x401840);
    assert_eq!(s.sites[0].file_offset, 0x1840);
    // Without the section nothing is corrected.
    assert_eq!(find(&target(None), "rawbpf", "add", 0).unwrap().sites[0].address, 0x401740);
}

#[test]
fn position_independent_binaries_are_said_so() {
    let pie = elf(ET_DYN, &TARGET_SEGMENTS, TARGET_NOTES, Some(0x494cd4));
    assert!(find(&pie, "rawbpf", "add", 0).unwrap().position_independent);
}

#[test]
fn what_cannot_be_attached_is_refused_with_the_reason() {
    let err = |data: &[u8], name: &str| find(data, "rawbpf", name, 0).unwrap_err();
    assert!(matches!(err(b"\x7fELF nonsense", "add"), SiteError::NotElf(Some(_))));
    assert!(matches!(err(&elf(ET_REL, &TARGET_SEGMENTS, TARGET_NOTES, None), "add"), SiteError::ElfType(1)));
    assert!(matches!(err(&elf(ET_EXEC, &[], TARGET_NOTES, None), "add"), SiteError::NoSegments));
    let code_only = [TARGET_SEGMENTS[0], TARGET_SEGMENTS[2], TARGET_SEGMENTS[3]];
    let no_code = elf(ET_EXEC, &code_only, TARGET_NOTES, None);
    assert!(matches!(err(&no_code, "add"), SiteError::NoSegment { address: 0x401740 }));
    let mut readonly = TARGET_SEGMENTS;
    readonly[1].3 = PF_R;
    let not_exec = elf(ET_EXEC, &readonly, TARGET_NOTES, None);
    assert!(matches!(err(&not_exec, "add"), SiteError::NotExecutable { address: 0x401740 }));
    let mut sema_exec = TARGET_SEGMENTS;
    sema_exec[3].3 |= PF_X;
    let sema = elf(ET_EXEC, &sema_exec, TARGET_NOTES, None);
    assert!(matches!(err(&sema, "tick"), SiteError::BadSemaphore { address: 0x4a6ab8 }));
    // The semaphore check is per matching site: add has none.
    assert_eq!(find(&sema, "rawbpf", "add", 0).unwrap().sites.len(), 2);
    // A spec gcc never writes, patched into the first note (`%edi` -> `%xdi`).
    let mut notes = TARGET_NOTES.to_vec();
    let at = notes.windows(4).position(|w| w == b"%edi").unwrap();
    notes[at + 1] = b'x';
    let bad = elf(ET_EXEC, &TARGET_SEGMENTS, &notes, None);
    assert!(matches!(
        err(&bad, "add"),
        SiteError::Spec { address: 0x401740, source: SpecError::UnknownRegister { index: 0, .. }, .. }
    ));
}

#[test]
fn note_sections_that_are_not_notes_are_refused() {
    // The section header of .note.stapsdt made SHT_PROGBITS.
    let mut v = target(None);
    let shoff = u64::from_le_bytes(v[40..48].try_into().unwrap()) as usize;
    v[shoff + 64 + 4..shoff + 64 + 8].copy_from_slice(&SHT_PROGBITS.to_le_bytes());
    assert!(matches!(find(&v, "rawbpf", "add", 0), Err(SiteError::BadNoteSection)));
    let none = elf(ET_EXEC, &TARGET_SEGMENTS, &[], None);
    assert!(find(&none, "rawbpf", "add", 0).unwrap().sites.is_empty());
}

#[test]
fn no_truncation_or_corruption_panics() {
    let full = target(Some(0x494cd4));
    for end in 0..full.len() {
        let _ = find(&full[..end], "rawbpf", "add", 0);
    }
    let mut v = full.clone();
    for i in (0..v.len()).step_by(3) {
        let keep = v[i];
        v[i] = 0xff;
        let _ = find(&v, "rawbpf", "tick", 0);
        v[i] = keep;
    }
}
