//! `.BTF.ext` parser tests over hand-built and hostile blobs.

use super::*;
use crate::error::BtfError;
use crate::wire::BTF_MAGIC;
use crate::write::BtfBuilder;

/// BTF with the strings the records point at; returns the blob and the string offsets.
struct Strs {
    text: u32,
    fentry: u32,
    file: u32,
    line: u32,
    access: u32,
}

fn object_btf(endian: Endian) -> (Btf, Strs) {
    let mut b = BtfBuilder::with_endian(endian);
    let int = b.int("int", 4, true);
    b.struct_("sock", 8, &[("a", int, 0), ("b", int, 32)]);
    let s = Strs {
        text: b.add_str(".text"),
        fentry: b.add_str("fentry/tcp_connect"),
        file: b.add_str("/src/demo.bpf.c"),
        line: b.add_str("    return sk->b;"),
        access: b.add_str("0:1"),
    };
    (Btf::parse(b.build()).unwrap(), s)
}

/// One block: `(rec_size, [(sec_name_off, [record words])])`.
type BlockSpec = (u32, Vec<(u32, Vec<Vec<u32>>)>);

/// Writes a `.BTF.ext` blob: each block is `(rec_size, [(sec_name_off, [record words])])`.
struct ExtWriter {
    endian: Endian,
    hdr_len: u32,
    blocks: [Option<BlockSpec>; 3],
}

impl ExtWriter {
    fn new(endian: Endian) -> Self {
        ExtWriter { endian, hdr_len: 32, blocks: [None, None, None] }
    }

    fn block(mut self, i: usize, rec_size: u32, secs: Vec<(u32, Vec<Vec<u32>>)>) -> Self {
        self.blocks[i] = Some((rec_size, secs));
        self
    }

    fn build(&self) -> Vec<u8> {
        let e = self.endian;
        let mut body: Vec<u8> = Vec::new();
        let mut spans = [(0u32, 0u32); 3];
        for (i, blk) in self.blocks.iter().enumerate() {
            let Some((rec_size, secs)) = blk else {
                continue;
            };
            let start = body.len();
            body.extend_from_slice(&e.put_u32(*rec_size));
            for (name, recs) in secs {
                body.extend_from_slice(&e.put_u32(*name));
                body.extend_from_slice(&e.put_u32(recs.len() as u32));
                for rec in recs {
                    let mut bytes: Vec<u8> = rec.iter().flat_map(|w| e.put_u32(*w)).collect();
                    bytes.resize(*rec_size as usize, 0xee);
                    body.extend_from_slice(&bytes);
                }
            }
            spans[i] = (start as u32, (body.len() - start) as u32);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&e.put_u16(BTF_MAGIC));
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&e.put_u32(self.hdr_len));
        for (off, len) in spans.iter().take(if self.hdr_len >= 32 { 3 } else { 2 }) {
            out.extend_from_slice(&e.put_u32(*off));
            out.extend_from_slice(&e.put_u32(*len));
        }
        out.resize(self.hdr_len as usize, 0);
        out.extend_from_slice(&body);
        out
    }
}

fn full(endian: Endian, s: &Strs) -> ExtWriter {
    ExtWriter::new(endian)
        .block(0, 8, vec![(s.fentry, vec![vec![0, 1]]), (s.text, vec![vec![0, 1], vec![64, 2]])])
        .block(1, 16, vec![(s.fentry, vec![vec![8, s.file, s.line, 42 << 10 | 7]])])
        .block(2, 16, vec![(s.fentry, vec![vec![24, 2, s.access, 0]])])
}

#[test]
fn parses_every_block_with_names_resolved() {
    let (btf, s) = object_btf(Endian::Little);
    let ext = BtfExt::parse(&full(Endian::Little, &s).build(), &btf).unwrap();
    assert_eq!(ext.func_info.len(), 2);
    assert_eq!(ext.func_info[1].name, ".text");
    assert_eq!(
        ext.func_info_for(".text"),
        &[FuncInfo { insn_off: 0, type_id: TypeId::new(1) }, FuncInfo { insn_off: 64, type_id: TypeId::new(2) }]
    );
    let li = &ext.line_info_for("fentry/tcp_connect")[0];
    assert_eq!((li.insn_off, li.line_num(), li.col()), (8, 42, 7));
    assert_eq!((li.file_name.as_str(), li.line.as_str()), ("/src/demo.bpf.c", "    return sk->b;"));
    let relo = &ext.core_relos_for("fentry/tcp_connect")[0];
    assert_eq!(relo.access, "0:1");
    assert_eq!(relo.kind, RelocKind::FieldByteOffset);
    assert_eq!((relo.insn_off, relo.insn_idx(), relo.type_id), (24, Some(3), TypeId::new(2)));
    assert_eq!((ext.func_info_rec_size, ext.line_info_rec_size, ext.core_relo_rec_size), (8, 16, 16));
    assert!(ext.core_relos_for(".text").is_empty());
}

#[test]
fn big_endian_objects_parse() {
    let (btf, s) = object_btf(Endian::Big);
    let ext = BtfExt::parse(&full(Endian::Big, &s).build(), &btf).unwrap();
    assert_eq!(ext.endian, Endian::Big);
    assert_eq!(ext.line_info[0].records[0].line_num(), 42);
    assert_eq!(ext.core_relos[0].records[0].access, "0:1");
}

#[test]
fn larger_records_skip_unknown_trailing_bytes() {
    let (btf, s) = object_btf(Endian::Little);
    let blob = ExtWriter::new(Endian::Little)
        .block(0, 12, vec![(s.text, vec![vec![0, 1], vec![16, 2]])])
        .block(2, 24, vec![(s.text, vec![vec![8, 2, s.access, 2], vec![16, 2, s.access, 12]])])
        .build();
    let ext = BtfExt::parse(&blob, &btf).unwrap();
    assert_eq!(ext.func_info[0].records[1], FuncInfo { insn_off: 16, type_id: TypeId::new(2) });
    assert_eq!(ext.core_relos[0].records[1].kind, RelocKind::TypeMatches);
}

#[test]
fn short_header_has_no_core_relos() {
    let (btf, s) = object_btf(Endian::Little);
    let mut w = full(Endian::Little, &s);
    w.hdr_len = 24;
    let ext = BtfExt::parse(&w.build(), &btf).unwrap();
    assert!(ext.core_relos.is_empty());
    assert_eq!(ext.line_info.len(), 1);
}

fn err_of(blob: &[u8], btf: &Btf) -> String {
    BtfExt::parse(blob, btf).unwrap_err().to_string()
}

/// The reason of a header error, or a panic naming what came instead.
fn header_problem(blob: &[u8], btf: &Btf) -> HeaderProblem {
    match BtfExt::parse(blob, btf).unwrap_err() {
        ExtError::Header { reason } => reason,
        other => panic!("not a header error: {other:?}"),
    }
}

#[test]
fn header_errors_are_named() {
    let (btf, s) = object_btf(Endian::Little);
    let good = full(Endian::Little, &s).build();
    assert_eq!(header_problem(&good[..5], &btf), HeaderProblem::TooShort { len: 5 });
    assert!(err_of(&good[..5], &btf).contains("only 5 bytes; the header needs at least 24"));
    let mut bad = good.clone();
    bad[0] = 0x12;
    assert_eq!(header_problem(&bad, &btf), HeaderProblem::BadMagic { magic: 0xeb12 });
    assert!(err_of(&bad, &btf).contains("bad magic 0xeb12 (expected 0xeb9f)"));
    let mut bad = good.clone();
    bad[2] = 2;
    assert_eq!(header_problem(&bad, &btf), HeaderProblem::BadVersion { version: 2 });
    assert!(err_of(&bad, &btf).contains("unsupported version 2"));
    let mut bad = good.clone();
    bad[4..8].copy_from_slice(&16u32.to_le_bytes());
    assert_eq!(header_problem(&bad, &btf), HeaderProblem::HdrLenTooSmall { hdr_len: 16 });
    assert!(err_of(&bad, &btf).contains("hdr_len 16 is smaller"));
    bad[4..8].copy_from_slice(&100_000u32.to_le_bytes());
    assert_eq!(header_problem(&bad, &btf), HeaderProblem::HdrLenTooLarge { hdr_len: 100_000, len: good.len() });
    assert!(err_of(&bad, &btf).contains("hdr_len 100000 is larger"));
}

#[test]
fn block_errors_are_named() {
    let (btf, s) = object_btf(Endian::Little);
    let mut bad = full(Endian::Little, &s).build();
    // func_info_len far beyond the data.
    bad[12..16].copy_from_slice(&0x1000_0000u32.to_le_bytes());
    let e = BtfExt::parse(&bad, &btf).unwrap_err();
    assert!(matches!(e, ExtError::Block { block: Block::FuncInfo, offset: 32, .. }), "{e}");
    let mut bad = full(Endian::Little, &s).build();
    bad[8..12].copy_from_slice(&2u32.to_le_bytes());
    let e = BtfExt::parse(&bad, &btf).unwrap_err();
    assert!(matches!(e, ExtError::Block { reason: BlockProblem::Unaligned { off: 2 }, .. }), "{e:?}");
    assert!(e.to_string().contains("offset 2 (from the header's end) is not 4-byte aligned"), "{e}");
    for (rec_size, want, text) in [
        (0, BlockProblem::RecSizeTooSmall { rec_size: 0, min: 8 }, "rec_size 0 is smaller"),
        (4, BlockProblem::RecSizeTooSmall { rec_size: 4, min: 8 }, "rec_size 4 is smaller"),
        (10, BlockProblem::RecSizeUnaligned { rec_size: 10 }, "not a multiple of 4"),
    ] {
        let blob = ExtWriter::new(Endian::Little).block(0, 8, vec![(s.text, vec![vec![0, 1]])]).build();
        let mut bad = blob.clone();
        bad[32..36].copy_from_slice(&(rec_size as u32).to_le_bytes());
        let e = BtfExt::parse(&bad, &btf).unwrap_err();
        assert_eq!(e, ExtError::Block { block: Block::FuncInfo, offset: 32, reason: want });
        let msg = e.to_string();
        assert!(msg.contains(text) && msg.contains("func_info"), "{msg}");
    }
    let blob = ExtWriter::new(Endian::Little).block(1, 12, vec![(s.text, vec![vec![0, s.file, s.line]])]).build();
    let e = BtfExt::parse(&blob, &btf).unwrap_err();
    let want = BlockProblem::RecSizeTooSmall { rec_size: 12, min: 16 };
    assert_eq!(e, ExtError::Block { block: Block::LineInfo, offset: 32, reason: want });
    assert!(e.to_string().contains("line_info block at offset 32: rec_size 12 is smaller than the 16-byte"));
}

#[test]
fn huge_num_info_is_refused_before_allocating() {
    let (btf, s) = object_btf(Endian::Little);
    let mut bad = ExtWriter::new(Endian::Little).block(0, 8, vec![(s.text, vec![vec![0, 1]])]).build();
    bad[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = BtfExt::parse(&bad, &btf).unwrap_err();
    match &e {
        ExtError::Section { block: Block::FuncInfo, index: 0, section, offset: 36, reason } => {
            assert_eq!(section, ".text");
            assert!(
                matches!(reason, SectionProblem::TooManyRecords { num_info: u32::MAX, rec_size: 8, left: 8, .. }),
                "{reason:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("4294967295 records of 8 bytes need 34359738360 bytes, only 8 remain"), "{e}");
    bad[40..44].copy_from_slice(&0u32.to_le_bytes());
    let e = BtfExt::parse(&bad, &btf).unwrap_err();
    assert!(matches!(e, ExtError::Section { reason: SectionProblem::NoRecords, .. }), "{e:?}");
    assert!(e.to_string().contains("num_info is 0"));
}

#[test]
fn bad_string_offsets_name_the_record() {
    let (btf, s) = object_btf(Endian::Little);
    let blob = ExtWriter::new(Endian::Little).block(0, 8, vec![(9999, vec![vec![0, 1]])]).build();
    let e = BtfExt::parse(&blob, &btf).unwrap_err();
    assert!(
        matches!(
            &e,
            ExtError::Section {
                index: 0,
                reason: SectionProblem::Name(BtfError::BadStringOffset { offset: 9999, .. }),
                ..
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("section #0") && msg.contains("section name") && msg.contains("9999"), "{msg}");
    let blob = ExtWriter::new(Endian::Little)
        .block(1, 16, vec![(s.text, vec![vec![0, s.file, s.line, 1 << 10], vec![8, s.file, 7777, 1 << 10]])])
        .build();
    match BtfExt::parse(&blob, &btf).unwrap_err() {
        ExtError::Record { block: Block::LineInfo, section, record: 1, offset, reason } => {
            assert_eq!((section.as_str(), offset), (".text", 32 + 4 + 8 + 16));
            assert!(
                matches!(
                    reason,
                    RecordProblem::String {
                        field: StringField::SourceLine,
                        error: BtfError::BadStringOffset { offset: 7777, .. }
                    }
                ),
                "{reason:?}"
            );
            assert!(reason.to_string().starts_with("source line: "), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_kinds_and_type_ids_name_the_record() {
    let (btf, s) = object_btf(Endian::Little);
    let blob = ExtWriter::new(Endian::Little).block(2, 16, vec![(s.text, vec![vec![0, 2, s.access, 13]])]).build();
    let e = BtfExt::parse(&blob, &btf).unwrap_err();
    assert!(matches!(e, ExtError::Record { reason: RecordProblem::UnknownRelocKind { kind: 13 }, .. }), "{e:?}");
    assert!(e.to_string().contains(
        "core_relo record #0 of section '.text' at offset 44: unknown CO-RE relocation kind 13 (known kinds are 0..=12)"
    ));
    let blob = ExtWriter::new(Endian::Little).block(0, 8, vec![(s.text, vec![vec![0, 55]])]).build();
    let e = BtfExt::parse(&blob, &btf).unwrap_err();
    let want = RecordProblem::NoSuchType { id: TypeId::new(55), count: btf.count() };
    assert!(matches!(&e, ExtError::Record { block: Block::FuncInfo, reason, .. } if *reason == want), "{e:?}");
    assert!(e.to_string().contains("type id 55 does not exist in .BTF (ids 0..3)"), "{e}");
}

/// What a successful parse of `bytes` may claim: every record lies within the input, the
/// declared record sizes are ones the parser can read, and every name and type id it returns
/// resolves in `btf`.
fn assert_parse_stays_within(bytes: &[u8], btf: &Btf, ext: &BtfExt, what: &str) {
    assert!(ext.hdr_len >= MIN_HDR_LEN && ext.hdr_len as usize <= bytes.len(), "{what}: hdr_len {}", ext.hdr_len);
    let body = bytes.len() - ext.hdr_len as usize;
    let strings: std::collections::HashSet<&str> = (0..btf.strings_len()).filter_map(|o| btf.str_at(o).ok()).collect();
    let check_block = |block: Block, rec_size: u32, secs: Vec<(&str, usize)>| {
        if secs.is_empty() {
            return;
        }
        assert!(rec_size >= block.min_rec_size() && rec_size.is_multiple_of(4), "{what}: {block} rec_size {rec_size}");
        let used: usize = 4 + secs.iter().map(|&(_, n)| 8 + n * rec_size as usize).sum::<usize>();
        assert!(used <= body, "{what}: {block} records need {used} bytes, the blob has {body} after its header");
        for (name, n) in secs {
            assert!(n > 0, "{what}: {block} section '{name}' without records");
            assert!(strings.contains(name), "{what}: {block} section name '{name}' is not a .BTF string");
        }
    };
    check_block(
        Block::FuncInfo,
        ext.func_info_rec_size,
        ext.func_info.iter().map(|s| (s.name.as_str(), s.records.len())).collect(),
    );
    check_block(
        Block::LineInfo,
        ext.line_info_rec_size,
        ext.line_info.iter().map(|s| (s.name.as_str(), s.records.len())).collect(),
    );
    check_block(
        Block::CoreRelo,
        ext.core_relo_rec_size,
        ext.core_relos.iter().map(|s| (s.name.as_str(), s.records.len())).collect(),
    );
    for r in ext.func_info.iter().flat_map(|s| &s.records) {
        assert!(r.type_id.get() < btf.count(), "{what}: func_info type id {}", r.type_id);
    }
    for r in ext.line_info.iter().flat_map(|s| &s.records) {
        assert_eq!(btf.str_at(r.file_name_off).ok(), Some(r.file_name.as_str()), "{what}");
        assert_eq!(btf.str_at(r.line_off).ok(), Some(r.line.as_str()), "{what}");
    }
    for r in ext.core_relos.iter().flat_map(|s| &s.records) {
        assert!(r.type_id.get() < btf.count(), "{what}: core_relo type id {}", r.type_id);
        assert_eq!(btf.str_at(r.access_str_off).ok(), Some(r.access.as_str()), "{what}");
    }
}

#[test]
fn truncations_and_corruptions_never_panic() {
    let (btf, s) = object_btf(Endian::Little);
    let good = full(Endian::Little, &s).build();
    let u32_at = |o: usize| u32::from_le_bytes(good[o..o + 4].try_into().unwrap()) as usize;
    let hdr_len = u32_at(4);
    // Where each block ends in the full blob: a cut before that end is that block's error.
    let ends: Vec<(Block, usize, usize)> = [(Block::FuncInfo, 8), (Block::LineInfo, 16), (Block::CoreRelo, 24)]
        .into_iter()
        .map(|(b, at)| (b, hdr_len + u32_at(at), hdr_len + u32_at(at) + u32_at(at + 4)))
        .collect();
    assert_eq!(ends.last().unwrap().2, good.len(), "the core_relo block ends the blob");
    // Every truncation is an error, and the right one: the header, or the first block cut short.
    for len in 0..good.len() {
        let e = BtfExt::parse(&good[..len], &btf).expect_err(&format!("truncated to {len} bytes"));
        if len < hdr_len {
            assert!(matches!(e, ExtError::Header { .. }), "{len}: {e}");
        } else {
            let &(block, start, _) = ends.iter().find(|&&(_, _, end)| end > len).unwrap();
            match &e {
                ExtError::Block { block: b, offset, reason } => {
                    assert_eq!((*b, *offset), (block, start), "{len}: {e}");
                    assert!(matches!(reason, BlockProblem::PastEnd { data_len, .. } if *data_len == len), "{len}: {e}");
                }
                other => panic!("{len}: expected a {block} block error, got {other}"),
            }
        }
    }
    // Corruptions may parse (a changed instruction offset is still a valid record), but what
    // parses stays within the input, and what fails names a place inside it.
    let (mut parsed, mut refused) = (0, 0);
    for i in 0..good.len() {
        for v in [0x00, 0x03, 0x7f, 0xff] {
            if good[i] == v {
                continue;
            }
            let mut bad = good.clone();
            bad[i] = v;
            let what = format!("byte {i} set to {v:#x}");
            match BtfExt::parse(&bad, &btf) {
                Ok(ext) => {
                    assert!(i >= 3, "{what}: a broken magic or version must not parse");
                    assert_parse_stays_within(&bad, &btf, &ext, &what);
                    parsed += 1;
                }
                Err(e) => {
                    if i < 3 {
                        assert!(matches!(e, ExtError::Header { .. }), "{what}: {e}");
                    }
                    if let ExtError::Section { offset, .. } | ExtError::Record { offset, .. } = e {
                        assert!(offset < bad.len(), "{what}: {e}");
                    }
                    refused += 1;
                }
            }
        }
    }
    assert!(parsed > 0 && refused > 0, "parsed {parsed}, refused {refused}");
    // The uncorrupted blob passes the same check.
    assert_parse_stays_within(&good, &btf, &BtfExt::parse(&good, &btf).unwrap(), "good");
}
