//! Struct and union bodies. For the compiler (the header style) gaps become anonymous
//! bitfields (`long: 64;`, `int: 32;`) and misaligned layouts get `__attribute__((packed))`,
//! so `sizeof` and every `offsetof` equal BTF's. For people (the annotated style of [`super::describe()`]) each member
//! carries a pahole-style `/* offset size */` comment and gaps are noted as holes.

use std::fmt::Write as _;

use super::emitter::{Emitter, Style};
use super::names::Namespace;
use super::Result;
use crate::types::{Composite, Member, TypeId};

/// Column where annotation comments start.
const COMMENT_COL: usize = 48;

/// Holes found while writing one annotated body.
#[derive(Default)]
struct Holes {
    count: u32,
    bytes: u32,
    bits: u32,
}

impl<'b> Emitter<'b> {
    /// Writes `struct name { ... }` (no trailing `;`); anonymous when the type has no name.
    pub fn composite_def(&mut self, id: TypeId, is_union: bool, c: &Composite<'b>, lvl: usize) -> Result<()> {
        let name = self.btf.name_of(id)?;
        self.push(if is_union { "union" } else { "struct" });
        if !name.is_empty() {
            self.push(" ");
            self.names.write(&mut self.out, id, name, Namespace::Tag, false);
        }
        self.push(" {");
        let packed = !is_union && self.align.is_packed(self.btf, c)?;
        match self.style {
            Style::Header => self.header_body(id, is_union, c, packed, lvl)?,
            Style::Annotated => self.annotated_body(is_union, c, lvl)?,
        }
        if !c.members.is_empty() || c.size != 0 {
            self.push("\n");
            self.indent(lvl);
        }
        self.push("}");
        if packed {
            self.push(" __attribute__((packed))");
        }
        Ok(())
    }

    fn member_decl(&mut self, m: &Member<'b>, lvl: usize) -> Result<()> {
        self.push("\n");
        self.indent(lvl + 1);
        self.decl(m.type_id, m.name, lvl + 1)?;
        if m.bitfield_size != 0 {
            let _ = write!(self.out, ": {}", m.bitfield_size);
        }
        self.push(";");
        Ok(())
    }

    fn header_body(&mut self, id: TypeId, is_union: bool, c: &Composite<'b>, packed: bool, lvl: usize) -> Result<()> {
        let mut off: u64 = 0;
        let mut prev_bitfield = false;
        for m in &c.members {
            let m_align = if packed { 1 } else { self.align.align_of(self.btf, m.type_id)? };
            let in_bitfield = prev_bitfield && m.bitfield_size != 0;
            if !is_union {
                self.bit_padding(off, m.bit_offset as u64, m_align as u64, in_bitfield, lvl + 1);
            }
            self.member_decl(m, lvl)?;
            if m.bitfield_size != 0 {
                off = m.bit_offset as u64 + m.bitfield_size as u64;
                prev_bitfield = true;
            } else {
                off = m.bit_offset as u64 + 8 * self.btf.size_of(m.type_id).unwrap_or(0) as u64;
                prev_bitfield = false;
            }
        }
        if !is_union {
            let align = self.align.align_of(self.btf, id)? as u64;
            self.bit_padding(off, 8 * c.size as u64, align, false, lvl + 1);
        }
        Ok(())
    }

    /// Fills bits `cur..next` with anonymous bitfields. The compiler pads up to a member's
    /// natural alignment by itself, so explicit padding is only needed where it would not:
    /// a `T: 0` marker forces alignment to `T`, then `T: bits` fields fill the rest.
    fn bit_padding(&mut self, cur: u64, next: u64, next_align: u64, in_bitfield: bool, lvl: usize) {
        const PADS: [(&str, u64); 4] = [("long", 64), ("int", 32), ("short", 16), ("char", 8)];
        if cur >= next {
            return;
        }
        let mut cur = cur;
        // The largest padding type whose alignment boundary after `cur` is still within the gap.
        let (mut pad_type, mut pad_bits, mut new_off) = ("char", 8, cur.div_ceil(8) * 8);
        for (ty, bits) in PADS {
            let aligned = cur.div_ceil(bits) * bits;
            (pad_type, pad_bits, new_off) = (ty, bits, aligned);
            if aligned <= next {
                break;
            }
        }
        if new_off > cur && new_off <= next {
            let compiler_aligns_there = (cur.div_ceil(next_align * 8) * next_align * 8) == new_off;
            if in_bitfield
                || (new_off == next && !compiler_aligns_there)
                || (new_off != next && next - new_off <= new_off - cur)
            {
                self.pad_field(pad_type, if in_bitfield { new_off - cur } else { 0 }, lvl);
            }
            cur = new_off;
        }
        while cur < next {
            let bits = (next - cur).min(pad_bits);
            if bits == pad_bits {
                self.pad_field(pad_type, pad_bits, lvl);
                cur += bits;
                continue;
            }
            // The last piece: the smallest type that holds it reads best.
            let (ty, _) = PADS.iter().rev().find(|(_, b)| *b >= bits).copied().unwrap_or(("long", 64));
            self.pad_field(ty, bits, lvl);
            cur += bits;
        }
    }

    fn pad_field(&mut self, ty: &str, bits: u64, lvl: usize) {
        self.push("\n");
        self.indent(lvl);
        let _ = write!(self.out, "{ty}: {bits};");
    }

    fn annotated_body(&mut self, is_union: bool, c: &Composite<'b>, lvl: usize) -> Result<()> {
        let base = self.base_bits;
        let mut end: u64 = 0;
        let mut holes = Holes::default();
        for m in &c.members {
            let start = m.bit_offset as u64;
            if !is_union && start > end {
                self.note_hole(start - end, &mut holes, lvl);
            }
            let size = self.btf.size_of(m.type_id).unwrap_or(0);
            self.base_bits = base + m.bit_offset;
            let r = self.member_decl(m, lvl);
            self.base_bits = base;
            r?;
            self.pad_to(COMMENT_COL);
            let abs = base as u64 + start;
            let _ = if m.bitfield_size != 0 {
                write!(self.out, "/* {:5}:{:2} {:4} */", abs / 8, abs % 8, size)
            } else {
                write!(self.out, "/* {:5} {:5} */", abs / 8, size)
            };
            let m_end = start + if m.bitfield_size != 0 { m.bitfield_size as u64 } else { 8 * size as u64 };
            end = if is_union { end.max(m_end) } else { m_end };
        }
        let size_bits = 8 * c.size as u64;
        if lvl == 0 {
            self.push("\n\n");
            self.indent(lvl + 1);
            let _ = write!(self.out, "/* size: {}, members: {}", c.size, c.members.len());
            if !is_union {
                let _ = write!(self.out, ", holes: {}, sum holes: {}", holes.count, holes.bytes);
                if holes.bits != 0 {
                    let _ = write!(self.out, ", bit holes: {}", holes.bits);
                }
            }
            self.push(" */");
            if size_bits > end {
                let pad = size_bits - end;
                self.push("\n");
                self.indent(lvl + 1);
                let _ = if pad.is_multiple_of(8) {
                    write!(self.out, "/* padding: {} */", pad / 8)
                } else {
                    write!(self.out, "/* padding: {} bits */", pad)
                };
            }
        }
        Ok(())
    }

    fn note_hole(&mut self, gap_bits: u64, holes: &mut Holes, lvl: usize) {
        holes.count += 1;
        self.push("\n\n");
        self.indent(lvl + 1);
        let _ = if gap_bits.is_multiple_of(8) {
            holes.bytes += (gap_bits / 8) as u32;
            writeln!(self.out, "/* XXX {} bytes hole, try to pack */", gap_bits / 8)
        } else {
            holes.bits += gap_bits as u32;
            writeln!(self.out, "/* XXX {} bits hole, try to pack */", gap_bits)
        };
    }
}
