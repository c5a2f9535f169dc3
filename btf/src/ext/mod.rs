//! `.BTF.ext`: func_info, line_info and CO-RE relocation records, per ELF section.
//!
//! Layout: a header (magic 0xeB9F, version 1, flags, hdr_len, then offset/length pairs relative to
//! the end of the header), then up to three blocks. Each block is `u32 rec_size` followed by
//! `{u32 sec_name_off; u32 num_info; rec[num_info]}` repeated. String offsets point into the
//! object's `.BTF` strings, so parsing takes that `Btf`. Records may be larger than this parser
//! knows (newer producers append fields), never smaller.

mod error;
#[cfg(test)]
mod tests;

pub use error::{Block, BlockProblem, ExtError, HeaderProblem, RecordProblem, SectionProblem, StringField};

use crate::btf::Btf;
use crate::core::relo::{CoreRelo, RelocKind};
use crate::error::BtfError;
use crate::types::TypeId;
use crate::wire::{Endian, Reader};

/// Length of the header up to and including the line_info pair.
const MIN_HDR_LEN: u32 = 24;
/// Length of the header that also carries the core_relo pair.
const CORE_HDR_LEN: u32 = 32;

/// `struct bpf_func_info`: the BTF FUNC describing the function that starts at `insn_off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncInfo {
    /// Byte offset of the function's first instruction within the ELF section.
    pub insn_off: u32,
    /// The FUNC type in `.BTF`.
    pub type_id: TypeId,
}

/// `struct bpf_line_info`: the source line an instruction came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineInfo {
    /// Byte offset of the instruction within the ELF section.
    pub insn_off: u32,
    /// Offset of the file name in `.BTF` strings (the kernel wants the raw offsets back).
    pub file_name_off: u32,
    /// Offset of the source line text in `.BTF` strings.
    pub line_off: u32,
    /// The raw `line_col` word: line in the top 22 bits, column in the low 10.
    pub line_col: u32,
    /// The file name.
    pub file_name: String,
    /// The source line's text.
    pub line: String,
}

impl LineInfo {
    /// 1-based line number.
    pub fn line_num(&self) -> u32 {
        self.line_col >> 10
    }

    /// 1-based column (0 when unknown).
    pub fn col(&self) -> u32 {
        self.line_col & 0x3ff
    }
}

/// The records of one block that belong to one ELF section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtSection<T> {
    /// ELF section name, e.g. `fentry/tcp_connect` or `.text`.
    pub name: String,
    /// Records in file order.
    pub records: Vec<T>,
}

/// A parsed `.BTF.ext`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfExt {
    /// Byte order, from the magic.
    pub endian: Endian,
    /// Header flags (none are defined).
    pub flags: u8,
    /// Header length as recorded.
    pub hdr_len: u32,
    /// `rec_size` of the func_info block as recorded (0 if the block is absent).
    pub func_info_rec_size: u32,
    /// `rec_size` of the line_info block as recorded (0 if the block is absent).
    pub line_info_rec_size: u32,
    /// `rec_size` of the core_relo block as recorded (0 if the block is absent).
    pub core_relo_rec_size: u32,
    /// func_info per section.
    pub func_info: Vec<ExtSection<FuncInfo>>,
    /// line_info per section.
    pub line_info: Vec<ExtSection<LineInfo>>,
    /// CO-RE relocations per section.
    pub core_relos: Vec<ExtSection<CoreRelo>>,
}

impl BtfExt {
    /// Parses `.BTF.ext` bytes, resolving names through the object's `.BTF`.
    pub fn parse(bytes: &[u8], btf: &Btf) -> Result<BtfExt, ExtError> {
        let hdr = parse_header(bytes)?;
        let r = Reader::new(bytes, hdr.endian, ".BTF.ext");
        let mut ext = BtfExt {
            endian: hdr.endian,
            flags: hdr.flags,
            hdr_len: hdr.hdr_len,
            func_info_rec_size: 0,
            line_info_rec_size: 0,
            core_relo_rec_size: 0,
            func_info: Vec::new(),
            line_info: Vec::new(),
            core_relos: Vec::new(),
        };
        if let Some(b) = block_bytes(&r, &hdr, Block::FuncInfo, hdr.func_info)? {
            ext.func_info_rec_size = b.rec_size;
            ext.func_info = parse_block(&r, btf, &b, |rec, ctx| {
                let type_id = TypeId::new(rec.u32(4)?);
                ctx.check_type(type_id)?;
                Ok(FuncInfo { insn_off: rec.u32(0)?, type_id })
            })?;
        }
        if let Some(b) = block_bytes(&r, &hdr, Block::LineInfo, hdr.line_info)? {
            ext.line_info_rec_size = b.rec_size;
            ext.line_info = parse_block(&r, btf, &b, |rec, ctx| {
                let (file_name_off, line_off) = (rec.u32(4)?, rec.u32(8)?);
                Ok(LineInfo {
                    insn_off: rec.u32(0)?,
                    file_name_off,
                    line_off,
                    line_col: rec.u32(12)?,
                    file_name: ctx.string(file_name_off, StringField::FileName)?,
                    line: ctx.string(line_off, StringField::SourceLine)?,
                })
            })?;
        }
        if let Some(b) = block_bytes(&r, &hdr, Block::CoreRelo, hdr.core_relo)? {
            ext.core_relo_rec_size = b.rec_size;
            ext.core_relos = parse_block(&r, btf, &b, |rec, ctx| {
                let (type_id, access_str_off, kind_no) = (TypeId::new(rec.u32(4)?), rec.u32(8)?, rec.u32(12)?);
                ctx.check_type(type_id)?;
                let kind = RelocKind::from_u32(kind_no).ok_or(RecordProblem::UnknownRelocKind { kind: kind_no })?;
                Ok(CoreRelo {
                    insn_off: rec.u32(0)?,
                    type_id,
                    access_str_off,
                    access: ctx.string(access_str_off, StringField::AccessString)?,
                    kind,
                })
            })?;
        }
        Ok(ext)
    }

    /// func_info of the named section (empty if it has none).
    pub fn func_info_for(&self, section: &str) -> &[FuncInfo] {
        find(&self.func_info, section)
    }

    /// line_info of the named section (empty if it has none).
    pub fn line_info_for(&self, section: &str) -> &[LineInfo] {
        find(&self.line_info, section)
    }

    /// CO-RE relocations of the named section (empty if it has none).
    pub fn core_relos_for(&self, section: &str) -> &[CoreRelo] {
        find(&self.core_relos, section)
    }
}

fn find<'a, T>(secs: &'a [ExtSection<T>], name: &str) -> &'a [T] {
    secs.iter().find(|s| s.name == name).map(|s| s.records.as_slice()).unwrap_or(&[])
}

/// Offset (relative to the end of the header) and length of one block.
#[derive(Clone, Copy, Debug)]
struct Span {
    off: u32,
    len: u32,
}

struct Header {
    endian: Endian,
    flags: u8,
    hdr_len: u32,
    func_info: Span,
    line_info: Span,
    core_relo: Span,
}

fn header_err(reason: HeaderProblem) -> ExtError {
    ExtError::Header { reason }
}

fn parse_header(bytes: &[u8]) -> Result<Header, ExtError> {
    if bytes.len() < 8 {
        return Err(header_err(HeaderProblem::TooShort { len: bytes.len() }));
    }
    let magic = [bytes[0], bytes[1]];
    let endian = Endian::from_magic(magic)
        .ok_or_else(|| header_err(HeaderProblem::BadMagic { magic: u16::from_le_bytes(magic) }))?;
    let r = Reader::new(bytes, endian, ".BTF.ext header");
    let u32_at = |off: usize| r.u32(off).map_err(|e| header_err(HeaderProblem::Read(e)));
    let version = bytes[2];
    if version != 1 {
        return Err(header_err(HeaderProblem::BadVersion { version }));
    }
    let hdr_len = u32_at(4)?;
    if hdr_len < MIN_HDR_LEN {
        return Err(header_err(HeaderProblem::HdrLenTooSmall { hdr_len }));
    }
    if hdr_len as usize > bytes.len() {
        return Err(header_err(HeaderProblem::HdrLenTooLarge { hdr_len, len: bytes.len() }));
    }
    let span = |at: usize| -> Result<Span, ExtError> { Ok(Span { off: u32_at(at)?, len: u32_at(at + 4)? }) };
    let core_relo = if hdr_len >= CORE_HDR_LEN { span(24)? } else { Span { off: 0, len: 0 } };
    Ok(Header { endian, flags: bytes[3], hdr_len, func_info: span(8)?, line_info: span(16)?, core_relo })
}

/// A block's location, validated to lie within the data, and its record size.
struct BlockBytes {
    block: Block,
    /// Absolute offset of the first section header (just past `rec_size`).
    start: usize,
    /// Absolute end of the block.
    end: usize,
    rec_size: u32,
}

fn block_bytes(r: &Reader<'_>, hdr: &Header, block: Block, span: Span) -> Result<Option<BlockBytes>, ExtError> {
    if span.len == 0 {
        return Ok(None);
    }
    let offset = hdr.hdr_len as usize + span.off as usize;
    let err = |reason: BlockProblem| ExtError::Block { block, offset, reason };
    if span.off & 3 != 0 {
        return Err(err(BlockProblem::Unaligned { off: span.off }));
    }
    let end = offset + span.len as usize;
    if end > r.len() {
        return Err(err(BlockProblem::PastEnd { len: span.len, data_len: r.len() }));
    }
    if span.len < 4 {
        return Err(err(BlockProblem::NoRecSize { len: span.len }));
    }
    let rec_size = r.u32(offset).map_err(|e| err(BlockProblem::Read(e)))?;
    if rec_size < block.min_rec_size() {
        return Err(err(BlockProblem::RecSizeTooSmall { rec_size, min: block.min_rec_size() }));
    }
    if rec_size & 3 != 0 {
        return Err(err(BlockProblem::RecSizeUnaligned { rec_size }));
    }
    Ok(Some(BlockBytes { block, start: offset + 4, end, rec_size }))
}

// A record decoder's reads fail as `RecordProblem::Read`; `parse_block` adds the position.
impl From<BtfError> for RecordProblem {
    fn from(e: BtfError) -> Self {
        RecordProblem::Read(e)
    }
}

/// Lookups a record decoder needs, against the object's `.BTF`.
struct RecordCtx<'b> {
    btf: &'b Btf,
}

impl RecordCtx<'_> {
    fn string(&self, off: u32, field: StringField) -> Result<String, RecordProblem> {
        self.btf.str_at(off).map(str::to_owned).map_err(|error| RecordProblem::String { field, error })
    }

    fn check_type(&self, id: TypeId) -> Result<(), RecordProblem> {
        let count = self.btf.count();
        if id.get() >= count {
            return Err(RecordProblem::NoSuchType { id, count });
        }
        Ok(())
    }
}

fn parse_block<T>(
    r: &Reader<'_>,
    btf: &Btf,
    b: &BlockBytes,
    decode: impl Fn(&Reader<'_>, &RecordCtx<'_>) -> Result<T, RecordProblem>,
) -> Result<Vec<ExtSection<T>>, ExtError> {
    let ctx = RecordCtx { btf };
    let block = b.block;
    let rec_size = b.rec_size as usize;
    let mut out = Vec::new();
    let mut pos = b.start;
    while pos < b.end {
        let index = out.len();
        let sec_err =
            |section: String, reason: SectionProblem| ExtError::Section { block, index, section, offset: pos, reason };
        let left = b.end - pos;
        if left < 8 {
            return Err(sec_err(String::new(), SectionProblem::NoHeader { left }));
        }
        let (name_off, num) = match (r.u32(pos), r.u32(pos + 4)) {
            (Ok(n), Ok(c)) => (n, c),
            (Err(e), _) | (_, Err(e)) => return Err(sec_err(String::new(), SectionProblem::Read(e))),
        };
        let name = btf.str_at(name_off).map_err(|e| sec_err(String::new(), SectionProblem::Name(e)))?;
        if num == 0 {
            return Err(sec_err(name.to_owned(), SectionProblem::NoRecords));
        }
        // Bound the count by the bytes that remain before allocating anything.
        let need = (num as u64) * rec_size as u64;
        if need > (left - 8) as u64 {
            let reason = SectionProblem::TooManyRecords { num_info: num, rec_size: b.rec_size, need, left: left - 8 };
            return Err(sec_err(name.to_owned(), reason));
        }
        let mut records = Vec::with_capacity(num as usize);
        for i in 0..num as usize {
            let offset = pos + 8 + i * rec_size;
            let rec_err =
                |reason: RecordProblem| ExtError::Record { block, section: name.to_owned(), record: i, offset, reason };
            let rec = r.sub(offset, rec_size).map_err(|e| rec_err(RecordProblem::Read(e)))?;
            records.push(decode(&rec, &ctx).map_err(rec_err)?);
        }
        out.push(ExtSection { name: name.to_owned(), records });
        pos += 8 + need as usize;
    }
    Ok(out)
}
