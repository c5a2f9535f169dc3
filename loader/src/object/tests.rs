//! Unit tests of the object reader and the linker on small handcrafted ELF files, and on
//! mutated copies of them (hostile input must give typed errors, never panics).

use btf::insn::{pseudo, Insn, CALL, EXIT, LD_IMM64};
use btf::wire::Endian;

use super::error::{ExternProblem, Reference, RelocProblem, SectionPart, SectionProblem, SymbolProblem};
use super::*;
use crate::link::{link, CallTargetProblem, FuncInfoRec, LineInfoRec, LinkError, SectionExtInfo};

/// One section of a handcrafted ELF.
struct Sec {
    name: &'static str,
    sh_type: u32,
    flags: u64,
    data: Vec<u8>,
    link: u32,
    info: u32,
    entsize: u64,
}

fn sec(name: &'static str, sh_type: u32, flags: u64, data: Vec<u8>) -> Sec {
    Sec { name, sh_type, flags, data, link: 0, info: 0, entsize: 0 }
}

const SHF_AX: u64 = (object::elf::SHF_ALLOC | object::elf::SHF_EXECINSTR) as u64;
const SHF_WA: u64 = (object::elf::SHF_ALLOC | object::elf::SHF_WRITE) as u64;

/// Lays out a little-endian ELF64 EM_BPF relocatable file: header, section bytes, then the
/// section header table. Section 1 must be `.strtab`; its contents are generated from `names`.
fn build_elf(mut secs: Vec<Sec>, machine: u16) -> Vec<u8> {
    let mut names = vec![0u8];
    let mut name_off = Vec::new();
    for s in &secs {
        name_off.push(names.len() as u32);
        names.extend_from_slice(s.name.as_bytes());
        names.push(0);
    }
    secs[1].data.splice(0..0, names);
    let mut out = vec![0u8; 64];
    let mut offsets = Vec::new();
    for s in &secs {
        while !out.len().is_multiple_of(8) {
            out.push(0);
        }
        offsets.push(out.len() as u64);
        if s.sh_type != object::elf::SHT_NOBITS {
            out.extend_from_slice(&s.data);
        }
    }
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
    let shoff = out.len() as u64;
    for (i, s) in secs.iter().enumerate() {
        out.extend_from_slice(&name_off[i].to_le_bytes());
        out.extend_from_slice(&s.sh_type.to_le_bytes());
        out.extend_from_slice(&s.flags.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes()); // addr
        out.extend_from_slice(&offsets[i].to_le_bytes());
        out.extend_from_slice(&(s.data.len() as u64).to_le_bytes());
        out.extend_from_slice(&s.link.to_le_bytes());
        out.extend_from_slice(&s.info.to_le_bytes());
        out.extend_from_slice(&8u64.to_le_bytes()); // align
        out.extend_from_slice(&s.entsize.to_le_bytes());
    }
    let h = &mut out[..64];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = 2; // ELFCLASS64
    h[5] = 1; // little endian
    h[6] = 1; // EV_CURRENT
    h[16..18].copy_from_slice(&1u16.to_le_bytes()); // ET_REL
    h[18..20].copy_from_slice(&machine.to_le_bytes());
    h[20..24].copy_from_slice(&1u32.to_le_bytes());
    h[40..48].copy_from_slice(&shoff.to_le_bytes());
    h[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    h[58..60].copy_from_slice(&64u16.to_le_bytes()); // e_shentsize
    h[60..62].copy_from_slice(&(secs.len() as u16).to_le_bytes());
    h[62..64].copy_from_slice(&1u16.to_le_bytes()); // e_shstrndx
    out
}

fn insns(list: &[Insn]) -> Vec<u8> {
    Insn::encode_all(list, Endian::Little)
}

fn ld_imm64(dst: u8, imm: i32) -> [Insn; 2] {
    [Insn { code: LD_IMM64, dst, imm, ..Default::default() }, Insn::default()]
}

fn call_pseudo(imm: i32) -> Insn {
    Insn { code: CALL, src: pseudo::CALL, imm, ..Default::default() }
}

fn mov0() -> Insn {
    Insn { code: 0xb7, ..Default::default() } // r0 = 0
}

fn exit() -> Insn {
    Insn { code: EXIT, ..Default::default() }
}

/// An `Elf64_Sym`. Names are offsets into .strtab, which starts with the section names; the
/// symbol names are appended after them by `Fixture`.
fn sym(name_off: u32, info: u8, shndx: u16, value: u64, size: u64) -> Vec<u8> {
    let mut v = name_off.to_le_bytes().to_vec();
    v.extend_from_slice(&[info, 0]);
    v.extend_from_slice(&shndx.to_le_bytes());
    v.extend_from_slice(&value.to_le_bytes());
    v.extend_from_slice(&size.to_le_bytes());
    v
}

fn rel(offset: u64, sym: u32, r_type: u32) -> Vec<u8> {
    let mut v = offset.to_le_bytes().to_vec();
    v.extend_from_slice(&((u64::from(sym) << 32) | u64::from(r_type)).to_le_bytes());
    v
}

const STT_FUNC_LOCAL: u8 = object::elf::STT_FUNC;
const STT_FUNC_GLOBAL: u8 = (object::elf::STB_GLOBAL << 4) | object::elf::STT_FUNC;
const STT_OBJECT_GLOBAL: u8 = (object::elf::STB_GLOBAL << 4) | object::elf::STT_OBJECT;
const STT_SECTION_LOCAL: u8 = object::elf::STT_SECTION;

/// The fixture: a socket program calling sub_a and sub_b in .text (sub_a calls sub_b), with
/// globals in .data referenced from both sections.
///
/// ```text
/// socket:  0: r1 = &counter ll (.data+4)   2: call sub_a   3: call sub_b   4: r0 = 0   5: exit
/// .text:   sub_a: 0: call +1 (sub_b, no relocation)   1: exit
///          sub_b: 2: r1 = .data+0 ll   4: r0 = 0   5: exit
/// ```
struct Fixture {
    socket: Vec<Insn>,
    text: Vec<Insn>,
    rel_socket: Vec<Vec<u8>>,
    rel_text: Vec<Vec<u8>>,
    syms: Vec<Vec<u8>>,
    section_name: &'static str,
    data_name: &'static str,
}

// Section indices of the fixture.
const S_SOCKET: u16 = 2;
const S_TEXT: u16 = 3;
const S_DATA: u16 = 4;

impl Fixture {
    fn new() -> Self {
        let [l0, l1] = ld_imm64(1, 0);
        let [t0, t1] = ld_imm64(1, 0);
        Fixture {
            socket: vec![l0, l1, call_pseudo(-1), call_pseudo(1), mov0(), exit()],
            text: vec![call_pseudo(1), exit(), t0, t1, mov0(), exit()],
            // symbols: 1 .data section, 2 sub_a, 3 sub_b, 4 prog, 5 counter, 6 ext (undefined)
            rel_socket: vec![rel(0, 5, 1), rel(16, 2, 10), rel(24, 7, 10)],
            rel_text: vec![rel(16, 1, 1)],
            syms: vec![
                sym(0, 0, 0, 0, 0),
                sym(0, STT_SECTION_LOCAL, S_DATA, 0, 0),
                sym(1, STT_FUNC_LOCAL, S_TEXT, 0, 16),
                sym(7, STT_FUNC_LOCAL, S_TEXT, 16, 32),
                sym(13, STT_FUNC_GLOBAL, S_SOCKET, 0, 48),
                sym(18, STT_OBJECT_GLOBAL, S_DATA, 4, 4),
                sym(26, STT_OBJECT_GLOBAL, 0, 0, 0),
                sym(0, STT_SECTION_LOCAL, S_TEXT, 0, 0),
            ],
            section_name: "socket",
            data_name: ".data",
        }
    }

    fn bytes(&self) -> Vec<u8> {
        // Symbol names; offsets above are relative to this blob, which follows the section names.
        let sym_names = b"\0sub_a\0sub_b\0prog\0counter\0ext_v\0".to_vec();
        let mut secs = vec![
            sec("", 0, 0, Vec::new()),
            sec(".strtab", object::elf::SHT_STRTAB, 0, Vec::new()),
            sec(self.section_name, object::elf::SHT_PROGBITS, SHF_AX, insns(&self.socket)),
            sec(".text", object::elf::SHT_PROGBITS, SHF_AX, insns(&self.text)),
            sec(self.data_name, object::elf::SHT_PROGBITS, SHF_WA, vec![1, 2, 3, 4, 5, 6, 7, 8]),
            sec("license", object::elf::SHT_PROGBITS, SHF_WA, b"GPL\0".to_vec()),
            sec(".relx", object::elf::SHT_REL, 0, self.rel_socket.concat()),
            sec(".rel.text", object::elf::SHT_REL, 0, self.rel_text.concat()),
            sec(".symtab", object::elf::SHT_SYMTAB, 0, Vec::new()),
            // NOBITS: a size but no bytes in the file.
            sec(".bss", object::elf::SHT_NOBITS, SHF_WA, vec![0; 16]),
        ];
        secs[6].info = u32::from(S_SOCKET);
        secs[6].link = 8;
        secs[7].info = u32::from(S_TEXT);
        secs[7].link = 8;
        secs[8].link = 1;
        secs[8].info = 4; // first global symbol
        secs[8].entsize = 24;
        // .strtab = section names (generated by build_elf) + symbol names: symbol name offsets
        // must be shifted by the section-name length, computed here the same way.
        let shift: u32 = 1 + secs.iter().map(|s| s.name.len() as u32 + 1).sum::<u32>();
        secs[8].data = self
            .syms
            .iter()
            .map(|s| {
                let mut s = s.clone();
                let off = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
                if off != 0 {
                    s[..4].copy_from_slice(&(off + shift).to_le_bytes());
                }
                s
            })
            .collect::<Vec<_>>()
            .concat();
        secs[1].data = sym_names;
        build_elf(secs, object::elf::EM_BPF)
    }

    fn parse(&self) -> Result<Object> {
        Object::parse(&self.bytes(), "fixture.o")
    }
}

#[test]
fn fixture_parses_into_the_model() {
    let obj = Fixture::new().parse().unwrap();
    assert_eq!(obj.license, "GPL");
    assert_eq!(obj.programs.len(), 1);
    let p = &obj.programs[0];
    assert_eq!((p.name.as_str(), p.section.as_str(), p.kind.as_ref().unwrap().prog_type()), ("prog", "socket", 1));
    assert!(p.autoload && p.problem.is_none());
    let text = obj.code_section_by_name(".text").unwrap();
    let names: Vec<_> = text.funcs.iter().map(|f| (f.name.as_str(), f.start_insn, f.len_insns, f.global)).collect();
    assert_eq!(names, [("sub_a", 0, 2, false), ("sub_b", 2, 4, false)]);
    let maps: Vec<_> = obj.maps.iter().map(|m| (m.name.as_str(), m.value_size, m.initial_data.as_deref())).collect();
    assert_eq!(maps, [("fixture.data", 8, Some(&[1, 2, 3, 4, 5, 6, 7, 8][..])), ("fixture.bss", 16, None)]);
    let sock = obj.code_section_by_name("socket").unwrap();
    let targets: Vec<_> = sock.relocs.iter().map(|r| (r.insn_idx, r.target)).collect();
    assert_eq!(
        targets,
        [
            (0, RelocTarget::Global { map_idx: MapIndex::new(0), offset: 4 }),
            (2, RelocTarget::Call { section: CodeSectionIndex::new(1), insn: 0 }),
            (3, RelocTarget::Call { section: CodeSectionIndex::new(1), insn: 2 }),
        ]
    );
    assert_eq!(sock.relocs[0].symbol, "counter");
    assert_eq!(sock.relocs[2].symbol, ".text");
}

#[test]
fn link_appends_subprograms_once_and_fixes_offsets() {
    let mut obj = Fixture::new().parse().unwrap();
    obj.ext_info.insert(
        "socket".into(),
        SectionExtInfo {
            func_info: vec![FuncInfoRec { insn_off: 0, type_id: 10 }],
            line_info: vec![LineInfoRec { insn_off: 24, file_name_off: 1, line_off: 2, line_col: 3 << 10 }],
        },
    );
    obj.ext_info.insert(
        ".text".into(),
        SectionExtInfo {
            func_info: vec![FuncInfoRec { insn_off: 0, type_id: 11 }, FuncInfoRec { insn_off: 16, type_id: 12 }],
            line_info: vec![LineInfoRec { insn_off: 32, file_name_off: 1, line_off: 5, line_col: 9 << 10 }],
        },
    );
    let l = link(&obj, &obj.code_sections, ProgramIndex::new(0), &[42]).unwrap();
    // prog (6) + sub_a at 6 (2) + sub_b at 8 (4): sub_b is called twice but appended once.
    assert_eq!(l.insns.len(), 12);
    assert_eq!(l.subprogs, [("sub_a".to_string(), 6), ("sub_b".to_string(), 8)]);
    let target = |i: usize| i as i32 + 1 + l.insns[i].imm;
    assert_eq!((target(2), target(3), target(6)), (6, 8, 8));
    // Globals: fd in imm, offset in the second slot, in both the program and sub_b.
    assert_eq!((l.insns[0].src, l.insns[0].imm, l.insns[1].imm), (pseudo::MAP_VALUE, 42, 4));
    assert_eq!((l.insns[8].src, l.insns[8].imm, l.insns[9].imm), (pseudo::MAP_VALUE, 42, 0));
    assert_eq!(l.func_info, [(0, 10), (6, 11), (8, 12)]);
    let lines: Vec<_> = l.line_info.iter().map(|r| (r.insn_idx, r.line_off)).collect();
    assert_eq!(lines, [(3, 2), (10, 5)]);
    // The object itself is untouched (CO-RE may patch it, link never does).
    assert_eq!(obj.code_sections[0].insns[2].imm, -1);
}

#[test]
fn link_wants_an_fd_for_every_referenced_map() {
    let obj = Fixture::new().parse().unwrap();
    let e = link(&obj, &obj.code_sections, ProgramIndex::new(0), &[]).unwrap_err();
    assert!(matches!(e, LinkError::MissingMapFd { map_idx, have: 0, .. } if map_idx.get() == 0), "{e}");
    let seven = ProgramIndex::new(7);
    assert_eq!(link(&obj, &obj.code_sections, seven, &[1]), Err(LinkError::NoSuchProgram { program: seven }));
}

#[test]
fn link_refuses_a_call_into_the_middle_of_a_function() {
    let mut f = Fixture::new();
    f.text[0].imm = 2; // sub_a calls insn 3: the second slot of sub_b's ld_imm64
    let obj = f.parse().unwrap();
    let e = link(&obj, &obj.code_sections, ProgramIndex::new(0), &[1]).unwrap_err();
    let problem = CallTargetProblem::NotAFunctionStart;
    assert!(matches!(e, LinkError::BadCallTarget { insn: 0, target_insn: 3, problem: p, .. } if p == problem), "{e}");
    assert_eq!(e.to_string(), "section '.text' insn 0: call target .text+3 is not the start of a function");

    // A call past the end of the section.
    let mut f = Fixture::new();
    f.text[0].imm = 40;
    let obj = f.parse().unwrap();
    let e = link(&obj, &obj.code_sections, ProgramIndex::new(0), &[1]).unwrap_err();
    let problem = CallTargetProblem::OutsideSection;
    assert!(matches!(e, LinkError::BadCallTarget { target_insn: 41, problem: p, .. } if p == problem), "{e}");
}

fn parse_err(f: &Fixture) -> ObjectError {
    f.parse().unwrap_err()
}

/// The relocation error the object reader deferred to the fixture's program: the object parses,
/// the program cannot be loaded.
fn deferred(f: &Fixture) -> std::sync::Arc<ObjectError> {
    let obj = f.parse().expect("the object parses; only the program has a problem");
    match obj.programs[0].loadable() {
        Err(ProgramError::Relocation { source, .. }) => source,
        other => panic!("not a deferred relocation: {other:?}"),
    }
}

/// The relocation problem of a `BadReloc`, with its relocation number and instruction.
fn reloc_problem(e: &ObjectError) -> (usize, u64, &str, &RelocProblem) {
    match e {
        ObjectError::BadReloc { number, insn, symbol, problem, .. } => (*number, *insn, symbol.as_str(), problem),
        other => panic!("not a relocation error: {other}"),
    }
}

#[test]
fn arena_globals_without_an_arena_map_are_refused_for_the_programs_using_them() {
    let mut f = Fixture::new();
    f.data_name = ".addr_space.1";
    let e = deferred(&f);
    assert_eq!(reloc_problem(&e).3, &RelocProblem::NoArenaMap);
    assert!(e.to_string().contains("__arena globals need an ARENA map declared in .maps"), "{e}");
}

#[test]
fn relocation_errors_name_section_number_insn_and_symbol() {
    let mut f = Fixture::new();
    f.rel_socket[1] = rel(800, 2, 10);
    let e = parse_err(&f);
    assert_eq!(reloc_problem(&e), (1, 100, "sub_a", &RelocProblem::PastEnd { insns: 6 }));
    assert_eq!(
        e.to_string(),
        "section 'socket' relocation #1 (insn 100, symbol 'sub_a'): points past the section's 6 instructions"
    );

    let mut f = Fixture::new();
    f.rel_socket[0] = rel(0, 99, 1);
    let e = deferred(&f);
    assert_eq!(reloc_problem(&e), (0, 0, "#99", &RelocProblem::NoSuchSymbol { symbol: 99, count: 8 }));

    let mut f = Fixture::new();
    f.rel_socket[0] = rel(32, 5, 1); // a global reference on `r0 = 0`
    let e = deferred(&f);
    let problem = RelocProblem::NotLdImm64 { reference: Reference::GlobalVariable, opcode: 0xb7 };
    assert_eq!(reloc_problem(&e), (0, 4, "counter", &problem));
    assert!(e.to_string().ends_with("a global variable reference must be on an ld_imm64, found opcode 0xb7"), "{e}");

    // An undefined STT_OBJECT symbol is no __kconfig/__ksym extern (those are NOTYPE).
    let mut f = Fixture::new();
    f.rel_socket[0] = rel(0, 6, 1);
    let e = deferred(&f);
    assert_eq!(reloc_problem(&e), (0, 0, "ext_v", &RelocProblem::NotAnExtern));

    // A NOTYPE one is an extern, and only BTF can say what it is.
    let mut f = Fixture::new();
    f.syms[6] = sym(26, object::elf::STB_GLOBAL << 4, 0, 0, 0);
    let e = parse_err(&f);
    let ObjectError::BadExtern { name, symbol: 6, problem: ExternProblem::NoBtf } = &e else { panic!("{e}") };
    assert_eq!(name, "ext_v");
    assert_eq!(e.to_string(), "extern 'ext_v' (symbol 6): the object has no .BTF to describe it; build with clang -g");

    // A call against a symbol with an absurd value: checked arithmetic, a typed error.
    let mut f = Fixture::new();
    f.syms[5] = sym(18, STT_OBJECT_GLOBAL, S_TEXT, u64::MAX - 3, 4);
    f.rel_socket[0] = rel(0, 1, 1);
    f.rel_socket[1] = rel(16, 5, 10);
    let e = deferred(&f);
    let (_, insn, _, problem) = reloc_problem(&e);
    assert!(
        insn == 2 && matches!(problem, RelocProblem::NotAnInstruction { section, insns: 6, .. } if section == ".text"),
        "{e}"
    );

    let mut f = Fixture::new();
    f.rel_socket[0] = rel(4, 5, 1);
    assert_eq!(reloc_problem(&deferred(&f)).3, &RelocProblem::Misaligned { offset: 4 });
}

#[test]
fn a_bad_relocation_in_a_subprogram_stops_the_programs_that_call_it_and_no_other() {
    // sub_b's global reference is misaligned: prog calls sub_b, so prog cannot load.
    let mut f = Fixture::new();
    f.rel_text[0] = rel(20, 1, 1);
    let obj = f.parse().expect("the object parses");
    let Err(ProgramError::Relocation { function, subprogram: true, source }) = obj.programs[0].loadable() else {
        panic!("{:?}", obj.programs[0].problem);
    };
    assert_eq!(function, "sub_b");
    assert_eq!(reloc_problem(&source).3, &RelocProblem::Misaligned { offset: 20 });
    let e = LoadErrorChain(&obj.programs[0].loadable().unwrap_err()).to_string();
    assert!(e.starts_with("subprogram sub_b: section '.text' relocation #0"), "{e}");

    // The same relocation, but prog no longer calls into .text: nothing reaches sub_b.
    let mut f = Fixture::new();
    f.rel_text[0] = rel(20, 1, 1);
    f.rel_socket.truncate(1);
    f.socket[2] = mov0();
    f.socket[3] = mov0();
    let obj = f.parse().unwrap();
    assert!(obj.programs[0].loadable().is_ok(), "{:?}", obj.programs[0].problem);
    assert_eq!(
        obj.sections_reached(&[ProgramIndex::new(0)]).into_iter().collect::<Vec<_>>(),
        [CodeSectionIndex::new(0)]
    );
}

/// `e` and its sources joined by ": ", as the binary prints errors.
pub(crate) struct LoadErrorChain<'a>(&'a dyn std::error::Error);

impl std::fmt::Display for LoadErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cur = self.0.source();
        while let Some(c) = cur {
            write!(f, ": {c}")?;
            cur = c.source();
        }
        Ok(())
    }
}

#[test]
fn malformed_sections_and_symbols_are_typed_errors() {
    let mut f = Fixture::new();
    f.text.pop();
    let mut bytes = f.bytes();
    // Cut .text to 5 instructions and 4 bytes: patch its sh_size (section header 3, +32).
    let shoff = u64::from_le_bytes(bytes[40..48].try_into().unwrap()) as usize;
    let size_at = shoff + 3 * 64 + 32;
    bytes[size_at..size_at + 8].copy_from_slice(&44u64.to_le_bytes());
    let e = Object::parse(&bytes, "x.o").unwrap_err();
    assert!(
        matches!(&e, ObjectError::BadSection { index, problem: SectionProblem::CodeSize { size: 44 }, .. }
            if index.get() == 3),
        "{e}"
    );
    assert_eq!(e.to_string(), "section 3 '.text': code size 44 is not a multiple of 8 (the size of an instruction)");

    // A section whose offset is past the end of the file.
    let mut bytes = Fixture::new().bytes();
    let shoff = u64::from_le_bytes(bytes[40..48].try_into().unwrap()) as usize;
    let off_at = shoff + 4 * 64 + 24;
    bytes[off_at..off_at + 8].copy_from_slice(&0x10_0000u64.to_le_bytes());
    let e = Object::parse(&bytes, "x.o").unwrap_err();
    assert!(
        matches!(e, ObjectError::UnreadableSection { index, part: SectionPart::Data, .. } if index.get() == 4),
        "{e}"
    );
    // The ELF reader's words are the source, not repeated in the text.
    let why = std::error::Error::source(&e).expect("a source").to_string();
    assert!(!e.to_string().contains(&why), "{e}");

    // A function symbol running past its section.
    let mut f = Fixture::new();
    f.syms[3] = sym(7, STT_FUNC_LOCAL, S_TEXT, 16, 64);
    let e = f.parse().unwrap_err();
    let want = SymbolProblem::FunctionOutOfBounds { offset: 16, size: 64, section_size: 48, section: ".text".into() };
    assert!(matches!(&e, ObjectError::BadSymbol { index: 3, problem, .. } if *problem == want), "{e}");

    // A symbol in a section that does not exist.
    let mut f = Fixture::new();
    f.syms[5] = sym(18, STT_OBJECT_GLOBAL, 77, 4, 4);
    let e = f.parse().unwrap_err();
    assert!(
        matches!(e, ObjectError::BadSymbol { index: 5, problem: SymbolProblem::NoSuchSection { section, .. }, .. }
            if section.get() == 77),
        "{e}"
    );

    let wrong = build_elf(vec![sec("", 0, 0, vec![]), sec(".strtab", object::elf::SHT_STRTAB, 0, vec![])], 62);
    assert!(matches!(Object::parse(&wrong, "x.o"), Err(ObjectError::NotBpf { machine: 62, .. })));
}

#[test]
fn an_unknown_section_is_a_problem_of_its_programs_not_of_the_object() {
    let mut f = Fixture::new();
    f.section_name = "sockit";
    let obj = f.parse().expect("the object parses");
    let p = &obj.programs[0];
    assert!(p.kind.is_none());
    let Err(ProgramError::UnknownSection { section, close }) = p.loadable() else { panic!("{:?}", p.problem) };
    assert_eq!((section.as_str(), close.as_slice()), ("sockit", &["socket"][..]));
    assert_eq!(
        p.problem.as_ref().unwrap().to_string(),
        "section 'sockit' names no program type libbpf knows (close: socket)"
    );
}

#[test]
fn a_question_mark_section_is_not_loaded_by_default() {
    let mut f = Fixture::new();
    f.section_name = "?socket";
    let obj = f.parse().unwrap();
    let p = &obj.programs[0];
    assert!(!p.autoload);
    assert_eq!(p.section, "?socket", "the ELF name stays (.BTF.ext records are keyed by it)");
    assert_eq!(p.loadable().unwrap().def.name, "socket");
}

/// What a parse of (possibly corrupted) `bytes` may claim: every program names a function of a
/// code section, every function and relocation lies within its section's instructions, every
/// relocation target exists, and nothing holds more bytes than the file has.
fn assert_model_stays_within(obj: &Object, bytes: &[u8], what: &str) {
    for p in &obj.programs {
        let sec = obj.code_section(p.code_section).unwrap_or_else(|| panic!("{what}: {p:?}"));
        assert!(p.func < sec.funcs.len() && sec.name == p.section, "{what}: {p:?}");
        assert!(p.kind.is_some() || p.problem.is_some(), "{what}: {p:?}");
    }
    for sec in &obj.code_sections {
        assert!(
            sec.insns.len() * Insn::SIZE <= bytes.len(),
            "{what}: section {} has {} insns",
            sec.name,
            sec.insns.len()
        );
        for f in &sec.funcs {
            assert!(f.start_insn + f.len_insns <= sec.insns.len(), "{what}: {} in {}: {f:?}", f.name, sec.name);
        }
        for r in &sec.relocs {
            assert!(r.insn_idx < sec.insns.len(), "{what}: {} relocation {r:?}", sec.name);
            match r.target {
                RelocTarget::Map { map_idx } | RelocTarget::Global { map_idx, .. } => {
                    assert!(obj.map(map_idx).is_some(), "{what}: {r:?}")
                }
                RelocTarget::Call { section, insn } | RelocTarget::FuncAddr { section, insn } => {
                    let target = obj.code_section(section).unwrap_or_else(|| panic!("{what}: {r:?}"));
                    assert!(insn < target.insns.len(), "{what}: {r:?}");
                }
                RelocTarget::Extern { index } => assert!(obj.extern_at(index).is_some(), "{what}: {r:?}"),
            }
        }
    }
    for m in &obj.maps {
        let init = m.initial_data.as_deref().map_or(0, <[u8]>::len);
        assert!(init <= bytes.len() && init <= m.value_size as usize, "{what}: map {}: {init} initial bytes", m.name);
    }
}

#[test]
fn truncated_and_corrupted_files_never_panic() {
    let good = Fixture::new().bytes();
    // The section header table ends the file: every cut loses part of it, and the ELF reader
    // (not a later stage working on missing bytes) refuses the file.
    for len in 0..good.len() {
        let e = Object::parse(&good[..len], "t.o").expect_err(&format!("truncated to {len} bytes"));
        assert!(matches!(e, ObjectError::BadElf { .. }), "truncated to {len} bytes: {e}");
    }
    assert!(matches!(Object::parse(&good[..40], "t.o"), Err(ObjectError::BadElf { .. })));
    // Change each byte in turn (every value class: 0, 0xff, +0x80). A changed byte may still
    // give a valid object (an instruction immediate, a name letter); then the model must stay
    // within the file and linking must give a stream whose calls land inside it, or a typed error.
    let (mut parsed, mut refused, mut linked) = (0, 0, 0);
    for i in 0..good.len() {
        for v in [0u8, 0xff, good[i].wrapping_add(0x80)] {
            if v == good[i] {
                continue;
            }
            let mut b = good.clone();
            b[i] = v;
            let what = format!("byte {i} set to {v:#x}");
            match Object::parse(&b, "t.o") {
                Ok(obj) => {
                    assert!(i >= 4, "{what}: a broken ELF magic must not parse");
                    assert!(!(18..20).contains(&i), "{what}: another e_machine must not parse");
                    assert_model_stays_within(&obj, &b, &what);
                    for p in 0..obj.programs.len() {
                        if obj.programs[p].loadable().is_err() {
                            continue; // what the loader refuses before linking
                        }
                        if let Ok(l) = link(&obj, &obj.code_sections, ProgramIndex::new(p), &[3, 4, 5]) {
                            let main = &obj.code_sections[obj.programs[p].code_section.get()];
                            assert!(l.insns.len() >= main.funcs[obj.programs[p].func].len_insns, "{what}");
                            for (j, ins) in l.insns.iter().enumerate() {
                                if ins.is_pseudo_call() {
                                    let t = j as i64 + 1 + i64::from(ins.imm);
                                    assert!((0..l.insns.len() as i64).contains(&t), "{what}: call at {j} to {t}");
                                }
                            }
                            linked += 1;
                        }
                    }
                    parsed += 1;
                }
                Err(e) => {
                    if i < 4 {
                        assert!(matches!(e, ObjectError::BadElf { .. }), "{what}: {e}");
                    }
                    if (18..20).contains(&i) {
                        assert!(matches!(e, ObjectError::NotBpf { .. }), "{what}: {e}");
                    }
                    refused += 1;
                }
            }
        }
    }
    assert!(parsed > 0 && refused > 0 && linked > 0, "parsed {parsed}, refused {refused}, linked {linked}");
}

mod selection {
    //! Which programs the loader picks (`load::select`), on the fixture: nothing here touches
    //! the kernel.
    use super::*;
    use crate::load::{select, LoadError, LoadOptions};

    fn opts(programs: &[&str], targets: &[(&str, &str)]) -> LoadOptions {
        LoadOptions {
            programs: programs.iter().map(|s| s.to_string()).collect(),
            attach_targets: targets.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect(),
            ..Default::default()
        }
    }

    fn with_section(name: &'static str) -> Object {
        let mut f = Fixture::new();
        f.section_name = name;
        f.parse().unwrap()
    }

    #[test]
    fn an_autoloaded_program_with_a_problem_fails_the_default_selection_as_in_libbpf() {
        let e = select(&with_section("sockit"), &LoadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, LoadError::Program { program, source: ProgramError::UnknownSection { .. } } if program == "prog")
        );
        assert_eq!(
            crate::object::tests::LoadErrorChain(&e).to_string(),
            "program prog: section 'sockit' names no program type libbpf knows (close: socket)"
        );
    }

    #[test]
    fn question_mark_programs_load_only_when_named() {
        let obj = with_section("?socket");
        let e = select(&obj, &LoadOptions::default()).unwrap_err();
        assert!(matches!(&e, LoadError::NothingSelected { not_autoloaded } if not_autoloaded == &["prog"]), "{e}");
        let chosen = select(&obj, &opts(&["prog", "prog"], &[])).unwrap();
        assert_eq!(chosen.iter().map(|s| s.prog.get()).collect::<Vec<_>>(), [0], "named twice, loaded once");
        assert!(matches!(select(&obj, &opts(&["nope"], &[])), Err(LoadError::NoSuchProgram { .. })));
    }

    #[test]
    fn btf_attached_kinds_need_a_target_from_the_section_or_the_options() {
        let obj = with_section("fentry");
        let e = select(&obj, &LoadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, LoadError::NoBtfTarget { program, section } if program == "prog" && section == "fentry"),
            "{e}"
        );
        let chosen = select(&obj, &opts(&[], &[("prog", "tcp_connect")])).unwrap();
        assert_eq!(chosen[0].kind.attach_target.as_deref(), Some("tcp_connect"));
        // The section's target is replaced, as bpf_program__set_attach_target does.
        let chosen = select(&with_section("fexit/old"), &opts(&[], &[("prog", "vmlinux:new")])).unwrap();
        assert_eq!(chosen[0].kind.attach_target.as_deref(), Some("vmlinux:new"));
        let e = select(&with_section("socket"), &opts(&[], &[("prog", "x")])).unwrap_err();
        assert!(matches!(e, LoadError::AttachTargetNotBtf { kind: "socket", .. }), "{e}");
        let e = select(&with_section("socket"), &opts(&[], &[("other", "x")])).unwrap_err();
        assert!(matches!(e, LoadError::NoSuchProgram { .. }), "{e}");
    }

    #[test]
    fn freplace_and_struct_ops_are_refused_by_name() {
        let e = select(&with_section("freplace/handler"), &LoadOptions::default()).unwrap_err();
        assert!(matches!(e, LoadError::UnsupportedKind { kind: crate::load::UnsupportedKind::Freplace, .. }), "{e}");
        let e = select(&with_section("struct_ops/init"), &LoadOptions::default()).unwrap_err();
        assert!(matches!(e, LoadError::UnsupportedKind { kind: crate::load::UnsupportedKind::StructOps, .. }), "{e}");
    }
}
